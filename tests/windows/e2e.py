#!/usr/bin/env python3
"""portfix.exe end to end under Wine (run by scripts/windows-test, which builds everything and
runs this inside a private network and pid namespace: fixed ports are this run's alone).

Each test starts Windows programs through `wine` (a private copy of a Wine prefix, its own
wineserver), reads what they print, and checks exit codes, messages and ports from here: a
Wine program's sockets are this namespace's sockets. Every process a test starts is ended by
its pid (and its process group) even when the test fails. One closing line: `N passed, M failed`.

What Wine 8.0 cannot do, and so what is not tested here (see tests/windows/README.md): owner
pids (GetExtendedTcpTable gives pid 0, so `who` cannot name a holder and `--kill` cannot stop
one), a console for programs started without a terminal (so no Ctrl-Break can be sent), and
the excluded port ranges of Hyper-V/WinNAT (`netsh` has no such command under Wine).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

TIMEOUT = 120  # generous bounds for a loaded 2-core machine: never "within N seconds"


def winpath(path):
    return "Z:" + os.path.abspath(path).replace("/", "\\")


class Wine:
    """A private Wine prefix (a hard-linked copy of the prepared one) and its wineserver."""

    def __init__(self, template, bin_dir, node_dir):
        self.tmp = tempfile.mkdtemp(prefix="portfix-wine-")
        self.prefix = os.path.join(self.tmp, "prefix")
        subprocess.run(["cp", "-al", template, self.prefix], check=True)
        for reg in ("system.reg", "user.reg", "userdef.reg"):
            path = os.path.join(self.prefix, reg)
            if os.path.exists(path):
                os.unlink(path)
                shutil.copy2(os.path.join(template, reg), path)
        # Wine 8.0 lacks bcryptprimitives.dll, which Rust's std imports (ProcessPrng).
        sys32 = os.path.join(self.prefix, "drive_c", "windows", "system32")
        os.unlink(os.path.join(sys32, "bcryptprimitives.dll")) if os.path.exists(
            os.path.join(sys32, "bcryptprimitives.dll")) else None
        shutil.copy(os.path.join(bin_dir, "bcryptprimitives.dll"), sys32)
        self.env = dict(os.environ)
        for k in ("CI", "PORT", "PORTFIX_ON_CONFLICT", "NO_COLOR"):
            self.env.pop(k, None)
        self.env.update(
            WINEPREFIX=self.prefix,
            WINEDEBUG="-all",
            # Windows' PATH: the test programs, then Node (node.exe, npm.cmd) as installed.
            WINEPATH=";".join([winpath(bin_dir), winpath(node_dir)]),
            NO_COLOR="1",
        )
        subprocess.run(["wineserver", "-p"], env=self.env, check=True)
        # The first program starts the prefix's services; later ones are quick.
        self.run(["cmd", "/c", "exit 0"], timeout=TIMEOUT)

    def argv(self, args):
        return ["wine"] + list(args)

    def environ(self, env):
        e = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def run(self, args, env=None, timeout=TIMEOUT, cwd=None):
        """Runs a program to its end: exit code, stdout, stderr. Output goes through files, not
        pipes: Wine's own services, started by the first program, inherit what it was given and
        would hold a pipe open for ever."""
        with tempfile.TemporaryFile(dir=self.tmp) as o, tempfile.TemporaryFile(dir=self.tmp) as e:
            p = subprocess.Popen(self.argv(args), env=self.environ(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                 stdout=o, stderr=e, start_new_session=True)
            try:
                rc = p.wait(timeout)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            o.seek(0)
            e.seek(0)
            return rc, clean(o.read()), clean(e.read())

    def start(self, args, env=None, cwd=None):
        """Starts a program in a process group of its own (as a terminal's foreground job)."""
        log = tempfile.NamedTemporaryFile(dir=self.tmp, delete=False, suffix=".log")
        p = subprocess.Popen(self.argv(args), env=self.environ(env), cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return Proc(p, log.name)

    def close(self):
        subprocess.run(["wineserver", "-k"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def clean(b):
    return b.decode("utf-8", "replace").replace("\r\n", "\n")


class Proc:
    def __init__(self, popen, log):
        self.p, self.log = popen, log

    def output(self):
        with open(self.log, "rb") as f:
            return clean(f.read())

    def wait_for(self, text, timeout=TIMEOUT):
        """Waits until `text` is in the output; fails when the program ends first."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            out = self.output()
            if text in out:
                return out
            if self.p.poll() is not None:
                out = self.output()
                if text in out:
                    return out
                raise AssertionError(f"ended ({self.p.returncode}) before printing {text!r}:\n{out}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output()}")

    def wait(self, timeout=TIMEOUT):
        return self.p.wait(timeout)

    def end(self):
        """Ends it and its process group, whatever state the test left it in."""
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()


def port_is_free(port):
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def fetch(port, path="/"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.status, r.read().decode("utf-8", "replace")


def ask(port):
    """What the helper's server answers: `ok PORT`."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        return s.recv(64).decode().strip()


def helpers_running():
    """The test programs still running in this pid namespace (their Unix command lines), less
    the ended ones not yet reaped."""
    out = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()]
    return [" ".join(r) for r in rows if len(r) == 3 and not r[1].startswith("Z") and "helper.exe" in r[2]
            and "python" not in r[2] and "portfix.exe" not in r[2]]


def eventually(check, what, timeout=TIMEOUT):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not so after {timeout} s: {what}")


# ---- the tests ---------------------------------------------------------------------------------

class Suite:
    def __init__(self, args):
        self.a = args
        self.exe = args.portfix
        self.helper = os.path.join(args.bin, "helper.exe")
        self.wine = None
        self.procs = []

    def start(self, args, env=None, cwd=None):
        p = self.wine.start(args, env, cwd)
        self.procs.append(p)
        return p

    def portfix(self, *args, env=None, cwd=None, timeout=TIMEOUT):
        return self.wine.run([self.exe, *args], env=env, cwd=cwd, timeout=timeout)

    def hold(self, port, six=False):
        p = self.start([self.helper, "hold6" if six else "hold", str(port)])
        p.wait_for(f"holding {port}")
        return p

    def cleanup(self):
        for p in self.procs:
            p.end()
        self.procs = []

    # -- exit status, command resolution --

    def test_exit_status_passes_through(self):
        rc, out, err = self.portfix("--", "cmd", "/c", "exit 7")
        assert rc == 7, (rc, out, err)
        rc, out, err = self.portfix("--", self.helper, "args", "x")
        assert rc == 0 and out == "[x]\n", (rc, out, err)

    def test_command_not_found_is_127(self):
        rc, out, err = self.portfix("--", "no-such-command-here")
        assert rc == 127 and "command not found: no-such-command-here" in err, (rc, err)

    def test_cmd_file_through_pathext_with_quoting(self):
        d = tempfile.mkdtemp(dir=self.wine.tmp)
        with open(os.path.join(d, "echoargs.cmd"), "w", newline="\r\n") as f:
            f.write(f'@"{winpath(self.helper)}" args %*\n')
        # Not "%": std escapes it for cmd.exe as %%cd:~,%, which Wine's cmd.exe expands to nothing
        # (tests/windows/README.md).
        words = ["a b", "c&d", "x^y", "q\"uote", "(paren)", "semi;colon", "<in>", "tab\there", ""]
        # Found without its extension, through PATHEXT, in the directory on PATH.
        env = {"WINEPATH": ";".join([winpath(d), self.wine.env["WINEPATH"]])}
        rc, out, err = self.portfix("--", "echoargs", *words, env=env)
        assert rc == 0, (rc, out, err)
        assert out.splitlines() == [f"[{w}]" for w in words], out

    # -- free, who --

    def test_free_skips_ports_held_on_either_family(self):
        self.hold(4100)
        self.hold(4101, six=True)
        rc, out, err = self.portfix("free", "4100")
        assert (rc, out.strip()) == (0, "4102"), (rc, out, err)
        rc, out, err = self.portfix("free", "--range", "4100-4101")
        assert rc == 1 and "no free port in 4100-4101" in err, (rc, out, err)
        rc, out, err = self.portfix("free", "--count", "2", "--json", "4100")
        assert rc == 0 and json.loads(out)["ports"] == [4102, 4103], (rc, out, err)

    def test_free_port_is_really_free(self):
        rc, out, err = self.portfix("free")
        assert rc == 0, (rc, out, err)
        assert port_is_free(int(out)), out

    def test_who_says_held_with_owner_not_visible(self):
        self.hold(4200)
        rc, out, err = self.portfix("who", "4200")
        assert rc == 0, (rc, out, err)
        assert "port 4200/tcp" in out and "held" in out, out
        assert "Windows does not say by which process" in out and "sudo" not in out, out
        rc, out, err = self.portfix("who", "--json", "4200")
        t = json.loads(out)["targets"][0]
        assert rc == 0 and t["held"] and t["holders"][0]["hidden"], out
        assert t["holders"][0]["local"] == "127.0.0.1:4200", out

    def test_who_free_port_exits_1(self):
        rc, out, err = self.portfix("who", "4250")
        assert rc == 1, (rc, out, err)

    # -- the wrapper: pre-flight, CI, --next --

    def test_preflight_conflict_in_ci_exits_3_without_starting(self):
        self.hold(4300)
        rc, out, err = self.portfix("-p", "4300", "--", self.helper, "serve", env={"CI": "true"})
        assert rc == 3, (rc, out, err)
        assert "4300" in err and "listening on" not in out, (out, err)
        assert "--next" in err, err

    def test_next_moves_a_server_through_port(self):
        self.hold(4400)
        p = self.start([self.exe, "--next", "-p", "4400", "--", self.helper, "serve"], env={"CI": "true"})
        out = p.wait_for("listening on 4401")
        assert ask(4401) == "ok 4401", out

    def test_bind_failure_in_output_node_line_then_next(self):
        # The port is known to nobody before the start: the server's own failure tells it.
        self.hold(3000)
        p = self.start([self.exe, "--next", "--", self.helper, "serve"], env={"CI": "true"})
        out = p.wait_for("listening on 3001")
        assert "EADDRINUSE" in out and ask(3001) == "ok 3001", out

    def test_bind_failure_python_line_without_port_is_recognised(self):
        # Python's line names no port, and nothing told portfix one: it says so, and how to.
        self.hold(3000)
        rc, out, err = self.portfix("--", self.helper, "serve", "--say", "python", env={"CI": "true"})
        assert rc == 1, (rc, out, err)
        assert "failed to bind a port (OSError: [WinError 10048]" in err and "did not say which" in err, err
        assert "-p PORT" in err, err

    def test_retrying_server_is_stopped_and_moved(self):
        self.hold(8000)
        # --at: a port portfix cannot read, so only the server's own lines tell.
        p = self.start([self.exe, "--next", "--", self.helper, "retry", "--at", "8000"], env={"CI": "true"})
        out = p.wait_for("listening on 8001")
        assert "Connection in use" in out and "it keeps running: stopping it" in out, out
        assert ask(8001) == "ok 8001", out

    def test_retrying_server_in_ci_exits_3(self):
        self.hold(8000)
        rc, out, err = self.portfix("--", self.helper, "retry", "--at", "8000", env={"CI": "true"})
        assert rc == 3 and "8000" in err and "keeps running" in err, (rc, out, err)

    def test_kill_policy_says_the_holder_is_not_visible(self):
        self.hold(4500)
        rc, out, err = self.portfix("--kill", "-p", "4500", "--", self.helper, "serve", env={"CI": "true"})
        assert rc in (3, 4), (rc, out, err)
        assert "4500" in err and "listening on" not in out, (out, err)

    # -- npm.cmd, http-server: programs nobody wrote for these tests --

    def app(self, script):
        d = tempfile.mkdtemp(dir=self.wine.tmp)
        with open(os.path.join(d, "package.json"), "w") as f:
            json.dump({"name": "app", "version": "1.0.0", "private": True, "scripts": {"start": script}}, f)
        # What npm install writes on Windows for a package's bin: a .cmd shim in node_modules\.bin.
        # A copy, not a link: Node under Wine resolves modules from the path it was given.
        shutil.copytree(os.path.join(self.a.tools, "node_modules"), os.path.join(d, "node_modules"),
                        ignore=shutil.ignore_patterns("npm"))
        bins = os.path.join(d, "node_modules", ".bin")
        with open(os.path.join(bins, "http-server.cmd"), "w", newline="\r\n") as f:
            f.write('@ECHO off\nnode "%~dp0\\..\\http-server\\bin\\http-server" %*\n')
        return d

    def test_npm_start_through_npm_cmd(self):
        d = self.app(f'"{winpath(self.helper)}" serve')
        p = self.start([self.exe, "--", "npm", "start"], cwd=d, env={"PORT": "4600"})
        out = p.wait_for("listening on 4600")
        assert ask(4600) == "ok 4600", out

    def test_npm_start_http_server_next_through_port(self):
        d = self.app("http-server -a 127.0.0.1 -s")
        self.hold(8080)
        p = self.start([self.exe, "--next", "--", "npm", "start"], cwd=d, env={"CI": "true"})
        p.wait_for("using port 8081")
        eventually(lambda: not port_is_free(8081), "http-server listens on 8081")
        status, body = fetch(8081)
        assert status == 200 and "package.json" in body, body
        assert "8081" in p.output(), p.output()

    def test_npm_start_http_server_conflict_in_ci_exits_3(self):
        d = self.app("http-server -a 127.0.0.1 -s")
        self.hold(8080)
        rc, out, err = self.portfix("--", "npm", "start", cwd=d, env={"CI": "true"})
        assert rc == 3 and "8080" in err, (rc, out, err)

    # -- console control events, no orphans --

    def test_ctrl_c_reaches_the_command_and_portfix_exits_as_it_did(self):
        p = self.start([self.exe, "--", self.helper, "serve", "--port", "4700", "--ctrl", "42"])
        p.wait_for("listening on 4700")
        # A Ctrl-C at a terminal: SIGINT to the foreground process group, which Wine turns into
        # CTRL_C_EVENT for each Windows process in it (portfix and the command).
        os.killpg(p.p.pid, signal.SIGINT)
        rc = p.wait()
        assert rc == 42 and "got ctrl-c" in p.output(), (rc, p.output())
        eventually(lambda: port_is_free(4700), "port 4700 free")

    def test_killing_portfix_ends_the_whole_tree(self):
        p = self.start([self.exe, "--", self.helper, "tree", "--port", "4800"])
        out = p.wait_for("listening on 4800")
        assert ask(4800) == "ok 4800", out
        before = helpers_running()
        assert len(before) == 2, before
        # portfix alone, as Task Manager or taskkill /F would end it: no chance to clean up.
        os.kill(p.p.pid, signal.SIGKILL)
        p.wait()
        eventually(lambda: not helpers_running(),
                   f"the command's tree ended with portfix (left: {helpers_running()})")
        eventually(lambda: port_is_free(4800), "port 4800 free")

    def test_a_finished_command_leaves_no_child_behind(self):
        # cmd /c starts the server in the background and exits at once: portfix ends the rest.
        rc, out, err = self.portfix("--", "cmd", "/c", f'start /b "" "{winpath(self.helper)}" serve --port 4900 & exit 5')
        assert rc == 5, (rc, out, err)
        eventually(lambda: not helpers_running(),
                   f"the background server ended with the command (left: {helpers_running()})")
        eventually(lambda: port_is_free(4900), "port 4900 free")

    # -- Windows-only causes --

    def test_excluded_range_denial_is_explained_and_next_moves(self):
        rc, out, err = self.portfix("--", self.helper, "serve", "--deny", "5000",
                                    env={"CI": "true", "PORT": "5000"})
        assert rc == 5, (rc, out, err)  # refused, not in use: the documented exit 5
        assert "excludedportrange" in err and "winnat" in err, err
        p = self.start([self.exe, "--next", "--", self.helper, "serve", "--deny", "5000"],
                       env={"CI": "true", "PORT": "5000"})
        out = p.wait_for("listening on 5001")
        assert ask(5001) == "ok 5001", out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--portfix", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("only", nargs="*", help="run only tests whose name contains one of these")
    args = ap.parse_args()
    args.portfix = os.path.abspath(args.portfix)
    suite = Suite(args)
    tests = [n for n in dir(Suite) if n.startswith("test_")]
    tests.sort(key=lambda n: Suite.__dict__[n].__code__.co_firstlineno)
    if args.only:
        tests = [t for t in tests if any(o in t for o in args.only)]
    passed = failed = 0
    suite.wine = Wine(args.prefix, args.bin, args.node)
    for name in tests:
        start = time.monotonic()
        try:
            getattr(suite, name)()
            passed += 1
            print(f"ok     {name} ({time.monotonic() - start:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAILED {name} ({time.monotonic() - start:.1f} s)", flush=True)
            traceback.print_exc(file=sys.stdout)
        finally:
            suite.cleanup()
    suite.wine.close()
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
