"""Shared pieces of portfix's benchmark scripts (scripts/bench-*). Python 3 standard library only.

What lives here, and why in one place:
- cleanup: every process a benchmark starts is registered and ended by its own pid or process
  group on every way out (normal exit, error, Ctrl-C, SIGTERM, SIGHUP). Helpers also get
  PR_SET_PDEATHSIG so that even a SIGKILLed benchmark leaves nothing behind, and the benchmark
  is a child subreaper so that descendants orphaned by a wrapped command come back to it.
  Nothing is ever signalled that this process did not start.
- scales: the machine as it is, plus 1,000 loopback listeners and 300 idle processes, plus
  10,000 listeners and 1,500 idle processes (bench-who and bench-kill share them).
- timing: a child run with perf_counter_ns around spawn + os.wait4, whose rusage gives the
  child's own peak RSS.
- the portfix binary: target/release/portfix, rebuilt when older than the sources.
- tables, medians and PASS/FAIL lines.

Loopback only: every socket here is bound to 127.0.0.1, port 0 (the OS chooses).
"""

import argparse
import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)

# name -> (extra loopback listeners, extra idle processes), relative to the machine as it is.
SCALES = {1: (0, 0), 2: (1_000, 300), 3: (10_000, 1_500)}
SCALE_NAMES = {1: "as the machine is", 2: "+1,000 listeners, +300 idle", 3: "+10,000 listeners, +1,500 idle"}
SOCKETS_PER_HELPER = 2_500


def say(msg=""):
    print(msg, flush=True)


def warn(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Cleanup: a registry of process groups and pids that we started.

_groups = {}  # pgid -> description; the leader is our child, not yet reaped (so the id is ours)
_pids = {}  # pid -> description; our children, not yet reaped


def _set_pdeathsig():
    """preexec_fn: the child dies with SIGKILL when the benchmark dies, however it dies."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _kill_and_reap(pid, pgid=None):
    try:
        if pgid is not None:
            os.killpg(pgid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _our_orphans(live_only=False):
    """Processes whose parent is this benchmark (we are a subreaper: orphaned descendants of
    the commands we started come back to us). Nothing else can have us as parent. With
    live_only, zombies (already dead, only waiting to be reaped) are left out."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[1]) == me and not (live_only and fields[0] == b"Z"):
            found.append(int(entry))
    return found


def reap_orphans():
    """Ends and reaps descendants re-parented to us that we did not start directly (left behind
    by a command we ran). Returns how many of them were still running (not zombies)."""
    live = [pid for pid in _our_orphans(live_only=True) if pid not in _pids and pid not in _groups]
    for pid in live:
        _kill_and_reap(pid)
    for pid in _our_orphans():
        if pid not in _pids and pid not in _groups:
            try:
                os.waitpid(pid, os.WNOHANG)  # a zombie: reap it, nothing to signal
            except ChildProcessError:
                pass
    return len(live)


def cleanup():
    """Ends everything this benchmark started. Safe to call more than once."""
    for pgid in list(_groups):
        _kill_and_reap(pgid, pgid)
        _groups.pop(pgid, None)
    for pid in list(_pids):
        _kill_and_reap(pid)
        _pids.pop(pid, None)
    for pid in _our_orphans():
        _kill_and_reap(pid)


def _on_signal(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so that every `finally` runs, then atexit.
    raise SystemExit(128 + signum)


def install_cleanup():
    atexit.register(cleanup)
    # Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    # Orphaned grandchildren (e.g. a server a wrapper failed to end) are re-parented to us, so
    # cleanup() can find and end them by pid.
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def track_group(proc, what):
    _groups[proc.pid] = what
    return proc


def end_group(proc, sig=signal.SIGKILL):
    """Ends a process group whose leader `proc` we started, then reaps the leader."""
    if proc.pid in _groups:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        if sig != signal.SIGKILL:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        _groups.pop(proc.pid, None)


# ---------------------------------------------------------------------------------------------
# Helper processes: listeners and idle processes.

_LISTENER_HELPER = r"""
import ctypes, json, resource, signal, socket, sys
ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the benchmark
n = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 64
if soft != resource.RLIM_INFINITY and soft < want:
    if hard != resource.RLIM_INFINITY and hard < want:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} is below the {want} descriptors needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks.append(s)
print(json.dumps([s.getsockname()[1] for s in socks]), flush=True)
sys.stdin.read()  # hold until the benchmark closes our stdin (or dies)
"""


def start_listeners(n, what="listener helper"):
    """A separate process holding n listening sockets on 127.0.0.1 (OS-chosen ports).
    Returns (Popen, [ports]); the process is its own group leader, registered for cleanup."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LISTENER_HELPER, str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        process_group=0,
    )
    track_group(proc, what)
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        _groups.pop(proc.pid, None)
        raise RuntimeError(f"{what} failed to start (exit {proc.returncode})")
    return proc, json.loads(line)


def start_holder():
    """One listener on a fresh 127.0.0.1:0 port in its own process, which the default SIGTERM
    disposition ends. Returns (Popen, port)."""
    proc, ports = start_listeners(1, "port holder")
    return proc, ports[0]


class Scale:
    """Grows the machine to a scale and keeps it there; `close()` ends all of it."""

    def __init__(self):
        self.helpers = []
        self.idle = []
        self.idle_leader = None
        self.listeners = 0

    def grow_to(self, scale):
        want_listeners, want_idle = SCALES[scale]
        while self.listeners < want_listeners:
            n = min(SOCKETS_PER_HELPER, want_listeners - self.listeners)
            proc, _ = start_listeners(n)
            self.helpers.append(proc)
            self.listeners += n
        while len(self.idle) < want_idle:
            self._spawn_idle()

    def _spawn_idle(self):
        # All idle processes share one process group, led by the first, so one killpg ends them.
        group = 0 if self.idle_leader is None else self.idle_leader.pid
        proc = subprocess.Popen(
            ["sleep", "3600"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=group,
            preexec_fn=_set_pdeathsig,
        )
        if self.idle_leader is None:
            self.idle_leader = track_group(proc, "idle processes")
        else:
            _pids[proc.pid] = "idle process"
        self.idle.append(proc)

    def close(self):
        for proc in self.helpers:
            end_group(proc)
        self.helpers.clear()
        self.listeners = 0
        if self.idle_leader is not None:
            try:
                os.killpg(self.idle_leader.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for proc in self.idle:
                proc.wait()
                _pids.pop(proc.pid, None)
            _groups.pop(self.idle_leader.pid, None)
        self.idle.clear()
        self.idle_leader = None


def machine_counts():
    """(TCP listening sockets, processes) on this machine now, for the table headers."""
    listeners = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                listeners += sum(1 for line in f if line.split()[3] == "0A")
        except OSError:
            pass
    procs = sum(1 for e in os.listdir("/proc") if e.isdigit())
    return listeners, procs


def describe_scale(scale):
    listeners, procs = machine_counts()
    return f"scale {scale} ({SCALE_NAMES[scale]}): {listeners:,} TCP listeners, {procs:,} processes"


def port_owners(port):
    """Pids of every process with a TCP socket whose local port is `port`, any state and
    address (from `ss`). Used before tools that kill by port, to be sure they can only hit a
    process we started."""
    out = subprocess.run(
        ["ss", "-Htanp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    pids = set()
    for chunk in out.split("pid=")[1:]:
        pids.add(int(chunk.split(",", 1)[0]))
    sockets = len([line for line in out.splitlines() if line.strip()])
    return pids, sockets


def probe_bind(port):
    """True when 127.0.0.1:port can be bound now (no SO_REUSEADDR)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# Running and timing one command.


class Result:
    def __init__(self, ms, code, maxrss_kib, out, err):
        self.ms = ms
        self.code = code
        self.maxrss_kib = maxrss_kib
        self.out = out
        self.err = err


_outdir = None


def _scratch():
    global _outdir
    if _outdir is None:
        _outdir = tempfile.mkdtemp(prefix="portfix-bench-")
        atexit.register(shutil.rmtree, _outdir, True)
    return _outdir


# Why a C launcher: Linux's ru_maxrss of a child includes the high-water RSS of the memory it had
# *before* exec, i.e. a copy of (or, with vfork, the very) Python process: every command would
# show ~16 MiB. This static launcher is a few hundred KiB, so its floor is small (printed), and it
# also takes the time around vfork+exec+wait4 itself, without Python's spawn overhead.
_LAUNCHER_C = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    struct timespec a, b; struct rusage ru; int st; pid_t pid; FILE *f;
    if (argc < 3) return 125;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid = vfork();
    if (pid == 0) { execv(argv[2], argv + 2); _exit(127); }
    if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 125;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!(f = fopen(argv[1], "w"))) return 125;
    fprintf(f, "%lld %ld %d\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
            ru.ru_maxrss, st);
    return fclose(f) == 0 ? 0 : 125;
}
"""

_launcher = None


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = os.path.join(base, "portfix-bench")
    os.makedirs(d, exist_ok=True)
    return d


def launcher():
    """Path of the compiled launcher, or None when no C compiler is available."""
    global _launcher
    if _launcher is None:
        import hashlib

        tag = hashlib.sha256(_LAUNCHER_C.encode()).hexdigest()[:12]
        path = os.path.join(cache_dir(), f"rssrun-{tag}")
        if not os.path.exists(path):
            cc = shutil.which("cc") or shutil.which("gcc")
            src = os.path.join(_scratch(), "rssrun.c")
            with open(src, "w") as f:
                f.write(_LAUNCHER_C)
            built = cc and subprocess.run(
                [cc, "-O2", "-static", "-o", path + ".tmp", src], capture_output=True, check=False
            ).returncode == 0
            if not built:
                warn("no C compiler (or no static libc): peak RSS includes Python's, timings its spawn")
                _launcher = ""
                return None
            os.replace(path + ".tmp", path)
        _launcher = path
    return _launcher or None


def run_timed(argv, env=None, cwd=None, stdout=None):
    """Runs argv to completion: wall time (ms) from spawn to exit, its exit code (negative:
    killed by that signal), its peak RSS in KiB (wait4's rusage) and its output. stdout may be a
    file object to send it to."""
    d = _scratch()
    exe = shutil.which(argv[0], path=(env or os.environ).get("PATH")) or argv[0]
    argv = [exe] + list(argv[1:])
    rssrun = launcher()
    result = os.path.join(d, "result")
    with open(os.path.join(d, "out"), "w+b") as fo, open(os.path.join(d, "err"), "w+b") as fe:
        full = [rssrun, result] + argv if rssrun else argv
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=stdout or fo, stderr=fe, env=env, cwd=cwd
        )
        _pids[p.pid] = argv[0]
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter_ns()
        _pids.pop(p.pid, None)
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out = fo.read().decode(errors="replace")
        err = fe.read().decode(errors="replace")
    if not rssrun:
        return Result((t1 - t0) / 1e6, p.returncode, ru.ru_maxrss, out, err)
    if p.returncode != 0:
        raise RuntimeError(f"launcher failed (exit {p.returncode}) running {argv}")
    with open(result) as f:
        ns, maxrss, st = (int(x) for x in f.read().split())
    return Result(ns / 1e6, os.waitstatus_to_exitcode(st), maxrss, out, err)


def rss_floor():
    """Peak RSS the launcher itself contributes (measured on `true`), in KiB, or None."""
    if not launcher():
        return None
    return run_timed(["true"]).maxrss_kib


# ---------------------------------------------------------------------------------------------
# The portfix binary.


def _newest_source_mtime():
    newest = 0.0
    for path in [ROOT / "Cargo.toml", ROOT / "Cargo.lock", ROOT / "build.rs"]:
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for path in (ROOT / "src").rglob("*"):
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def portfix_binary(args):
    """The binary to measure: --bin PATH as given, else target/release/portfix, built first
    when missing or older than the sources (unless --no-build)."""
    if args.bin:
        path = Path(args.bin)
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: --bin {path}: not an executable file")
        return str(path)
    path = ROOT / "target" / "release" / "portfix"
    stale = not path.exists() or path.stat().st_mtime < _newest_source_mtime()
    if stale and not args.no_build:
        warn(f"{path} is missing or older than the sources: running `cargo build --release`")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    elif stale:
        warn(f"{path} is older than the sources (--no-build: measuring it anyway)")
    if not path.exists():
        sys.exit(f"bench: {path} does not exist; build it or pass --bin PATH")
    return str(path)


def portfix_env():
    """The environment portfix runs in: no colour, no CI, no PORT, no PORTFIX_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFIX_")}
    for k in ("CI", "PORT"):
        env.pop(k, None)
    env["NO_COLOR"] = "1"
    return env


# ---------------------------------------------------------------------------------------------
# Arguments, statistics and tables.


def parser(description, rounds, scales="1,2,3"):
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=rounds, metavar="N", help=f"measured rounds (default {rounds})")
    p.add_argument(
        "--scales",
        default=scales,
        metavar="LIST",
        help=f"1: as the machine is; 2: +1,000 loopback listeners, +300 idle processes; "
        f"3: +10,000 and +1,500 (default {scales})",
    )
    p.add_argument("--bin", metavar="PATH", help="portfix binary (default: target/release/portfix, built if stale)")
    p.add_argument("--no-build", action="store_true", help="never run cargo build")
    return p


def parse_scales(p, text):
    try:
        scales = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        p.error(f"--scales {text!r}: expected a comma-separated list of 1, 2, 3")
    if not scales or any(s not in SCALES for s in scales):
        p.error(f"--scales {text!r}: expected a comma-separated list of 1, 2, 3")
    return scales


def check_rounds(p, n):
    if n < 1:
        p.error("--rounds must be at least 1")


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_ms(x):
    return "n/a" if x is None else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def fmt_kib(k):
    return "n/a" if k is None else f"{k / 1024:.1f} MiB"


def table(headers, rows):
    """Prints rows (lists of strings) aligned under headers; first column left, rest right."""
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    for r in [headers] + rows:
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)]
        say("  " + "  ".join(cells).rstrip())


class Verdicts:
    """Collects PASS/FAIL lines; exit code 1 if any target was missed."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, text):
        say(f"  {'PASS' if ok else 'FAIL'}  {text}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def finish(self):
        say()
        if self.failed:
            say(f"{self.failed} target(s) missed, {self.passed} met.")
            return 1
        say(f"all {self.passed} target(s) met.")
        return 0


def main_guard(fn):
    """Runs fn() with cleanup on every exit path; returns its exit code."""
    install_cleanup()
    try:
        return fn()
    except KeyboardInterrupt:
        warn("interrupted; cleaning up")
        return 130
    except BrokenPipeError:  # output piped into `head` or similar: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        cleanup()
