"""One end-to-end case of `portfix -- TOOL` with TOOL's default port taken (tests/cli/tools.rs).

Run inside a private network namespace (`unshare -n`, loopback up): the tools' fixed default
ports are safe only there. Usage: `python3 driver.py SPEC.json`, where the spec gives

  portfix   the binary under test          dir      the project directory (the tool's cwd)
  command   the tool's command line        default  the tool's default port
  mode      next | kill | prompt | ci      holder   foreign | earlier
  marker    text the tool's page must hold  result   where to write the facts (JSON)
  wait      bound in seconds on every wait
  path      (optional) the page to fetch, default "/"
  env       (optional) variables set for the holder and portfix (a tool's telemetry off)
  stdin     (optional) "open": off a terminal, portfix's stdin is a pipe kept open to the end
            (a tool that stops when its stdin closes, like `esbuild --serve`), not /dev/null; the
            earlier run's too

Steps: start the holder on the default port (`foreign`: a plain Python socket on the dual-stack
wildcard, which conflicts with every bind the tool could make; `earlier`: the tool itself, run
earlier in the same directory), run portfix on the command (`--next`, `--kill`, with no
policy at a terminal: then stdin/stderr are the terminal the test drives, or `ci`: no policy,
`CI=1`, off a terminal, where portfix must refuse and exit), wait for the port file and (off a
terminal) the confirmation line, fetch the page over HTTP, and record who listens where, read
from /proc (not from portfix). The driver is a child subreaper: whatever portfix's tree leaves
running when portfix has exited is reparented here and recorded (`left_behind`). Every process
is ended by pid before the driver exits, also on failure. The facts are judged by the Rust test;
the driver only records.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

spec = json.load(open(sys.argv[1]))
WAIT = float(spec["wait"])
# localhost when both loopbacks reach the tool, else the one address that does
CONFIRMED = re.compile(r"is listening on http://(?:localhost|127\.0\.0\.1|\[::1\]):(\d+) \(pid (\d+)\)")

HOLD = """
import socket, sys, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(('::', int(sys.argv[1])))
s.listen()
print('held', flush=True)
time.sleep(3600)
"""


def say(*words):
    print("driver:", *words, file=sys.stderr, flush=True)


def poll(f, limit=WAIT, pause=0.02):
    """f() until it gives something other than None, for at most `limit` seconds."""
    end = time.monotonic() + limit
    while True:
        v = f()
        if v is not None or time.monotonic() > end:
            return v
        time.sleep(pause)


def listening_inodes(port):
    """Inodes of TCP sockets in LISTEN on `port` (any address, both families)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                local, state, inode = cols[1], cols[3], cols[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    return inodes


def listeners(port):
    """Pids of the processes that hold a listening socket on `port`."""
    inodes = listening_inodes(port)
    pids = set()
    if not inodes:
        return pids
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{p}/fd"):
                link = os.readlink(f"/proc/{p}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.add(int(p))
        except OSError:
            pass
    return pids


def parent(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return int(stat[stat.rindex(")") + 2 :].split()[1])
    except (OSError, ValueError):
        return None


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return []


def descends_from(pid, ancestor):
    while pid and pid > 1:
        if pid == ancestor:
            return True
        pid = parent(pid)
    return False


def descendants(pid):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            pp = parent(int(p))
            if pp:
                kids.setdefault(pp, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2]
    except (OSError, ValueError):
        return None


def subreaper():
    """Orphans of the processes below the driver come to the driver, not to init."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def leftovers(keep):
    """Live processes below the driver other than those of `keep` (pids whose trees are
    expected), reaping the orphans that have already exited."""
    out = []
    for p in descendants(os.getpid()):
        if p in keep or any(descends_from(p, k) for k in keep):
            continue
        if state(p) == "Z":
            if parent(p) == os.getpid():
                try:
                    os.waitpid(p, os.WNOHANG)
                except ChildProcessError:
                    pass
            continue
        out.append(p)
    return out or None


def kill_tree(proc):
    """SIGKILL `proc` and everything below it, by pid, and reap it."""
    if proc is None or proc.poll() is not None:
        return
    for p in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def can_connect(port):
    import socket

    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family)
        s.settimeout(1)
        try:
            s.connect((host, port))
            return True
        except OSError:
            pass
        finally:
            s.close()
    return None


def fetch(port, marker, path="/"):
    """The first page from `port` (either loopback address) that holds `marker`, as
    (status, has_marker); the last answer seen when none holds it within the bound."""
    last = [None]

    def once():
        for host in ("127.0.0.1", "[::1]"):
            try:
                with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=3) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            except OSError:
                continue
            last[0] = (status, marker.encode() in body)
            if last[0][1]:
                return last[0]
        return None

    return poll(once, pause=0.1) or last[0] or (None, False)


class Done(Exception):
    """The case ended early by design (CI mode: portfix exited)."""


class Ended(Exception):
    """A signal asked the driver to end (the test gave up on it): tear down first."""


def on_signal(signum, _frame):
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Ended(f"signal {signum}")


for sig in (signal.SIGHUP, signal.SIGTERM):
    signal.signal(sig, on_signal)

facts = {"error": None, "stderr": []}
holder = portfix = None
started = time.monotonic()
try:
    subreaper()
    default = spec["default"]
    base_env = dict(os.environ, **spec.get("env", {}))
    log = open(os.path.join(os.path.dirname(spec["result"]), "holder.log"), "w")
    if spec["holder"] == "foreign":
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(default)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        holder.stdout.readline()
    else:
        holder = subprocess.Popen(
            spec["command"],
            cwd=spec["dir"],
            env=base_env,
            stdin=subprocess.PIPE if spec.get("stdin") == "open" else subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if not poll(lambda: can_connect(default)):
        raise RuntimeError(f"the holder never listened on {default}")
    facts["holder_pid"] = holder.pid
    facts["holder_listens"] = sorted(listeners(default))
    say("holder pid", holder.pid, "listens on", default)

    port_file = os.path.join(os.path.dirname(spec["result"]), "port")
    flags = {"next": ["--next"], "kill": ["--kill"], "prompt": [], "ci": []}[spec["mode"]]
    argv = [spec["portfix"], *flags, "--port-file", port_file, "--", *spec["command"]]
    at_terminal = spec["mode"] == "prompt"
    ci = spec["mode"] == "ci"
    env = dict(base_env, CI="1") if ci else base_env
    confirmed = []
    if at_terminal:
        portfix = subprocess.Popen(argv, cwd=spec["dir"], env=env)
    else:
        portfix = subprocess.Popen(
            argv,
            cwd=spec["dir"],
            env=env,
            stdin=subprocess.PIPE if spec.get("stdin") == "open" else subprocess.DEVNULL,
            stdout=open(os.path.join(os.path.dirname(spec["result"]), "tool.log"), "w"),
            stderr=subprocess.PIPE,
        )

        def read_stderr():
            for raw in portfix.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                facts["stderr"].append(line)
                print(line, file=sys.stderr, flush=True)
                m = CONFIRMED.search(line)
                if m:
                    confirmed.append((int(m.group(1)), int(m.group(2))))

        threading.Thread(target=read_stderr, daemon=True).start()
    facts["portfix_pid"] = portfix.pid

    if ci:
        # portfix refuses (before the start, or once the tool moved by itself) and exits
        poll(lambda: portfix.poll(), limit=WAIT * 2)
        facts["portfix_exit"] = portfix.poll()
        if facts["portfix_exit"] is None:
            raise RuntimeError("portfix did not exit in CI mode")
        facts["port_file"] = os.path.exists(port_file)
        facts["default_listeners"] = sorted(listeners(default))
        facts["holder_exit"] = holder.poll()
        raise Done()

    def port_written():
        if portfix.poll() is not None:
            return False
        try:
            with open(port_file) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None

    # The prompt waits for the test's key: allow it the same bound again.
    port = poll(port_written, limit=WAIT * (2 if at_terminal else 1))
    if not port:
        raise RuntimeError(f"no port file (portfix status {portfix.poll()})")
    facts["port"] = port
    if not at_terminal:
        facts["confirmed"] = poll(lambda: confirmed[0] if confirmed else None, limit=5)
    facts["http"] = fetch(port, spec["marker"], spec.get("path") or "/")
    servers = sorted(listeners(port))
    facts["server_pids"] = servers
    facts["server_cmdlines"] = [cmdline(p) for p in servers]
    facts["server_in_tree"] = bool(servers) and all(descends_from(p, portfix.pid) for p in servers)
    facts["default_listeners"] = sorted(listeners(default))
    facts["default_in_tree"] = [p for p in facts["default_listeners"] if descends_from(p, portfix.pid)]
    facts["holder_exit"] = holder.poll()
    facts["portfix_exit_before_end"] = portfix.poll()
except Done:
    pass
except Exception as e:  # recorded for the test, which fails with it
    facts["error"] = f"{type(e).__name__}: {e}"
finally:
    facts["seconds"] = round(time.monotonic() - started, 2)
    if portfix is not None and portfix.poll() is None:
        portfix.send_signal(signal.SIGTERM)
        try:
            portfix.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_tree(portfix)
    # what portfix's tree (or a stopped earlier run) left running once portfix is gone; a
    # process on its way out gets a moment
    keep = [holder.pid] if holder is not None and holder.poll() is None else []
    try:
        left = poll(lambda: None if leftovers(keep) else [], limit=10, pause=0.1)
        rest = leftovers(keep) or []
    except Exception as e:
        rest = []
        facts["error"] = facts["error"] or f"{type(e).__name__}: {e}"
    facts["left_behind"] = [cmdline(p) for p in rest]
    for p in rest:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    kill_tree(holder)
    with open(spec["result"], "w") as f:
        json.dump(facts, f)
    say("done in", facts["seconds"], "s")
