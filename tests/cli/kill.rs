//! `portfix kill` end to end, against real holders: Python processes that listen on a port the
//! OS chose (fixed ports only inside a private network namespace) and record the signals they
//! get in a marker file.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Proc, poll, portfix, read_first_line, run, spawn};

/// The system Python: readable by `nobody` too (pyenv's lives under /root).
const PY: &str = "/usr/bin/python3";

/// A holder: `holder.py PORT MODE [MARKER]` listens on 127.0.0.1:PORT (0: the OS chooses),
/// prints the port, then waits. On SIGTERM it appends `TERM` to MARKER and, by MODE:
/// `exit` exits 0, `ignore` carries on, `prefork` (no handler: dies) after forking two workers
/// that share the socket (their pids follow the port on the line), `proxy` names itself
/// docker-proxy, `linger` closes its socket at once but exits 3 s later (a pre-fork master
/// such as gunicorn's).
const HOLDER: &str = r#"
import os, signal, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
marker = sys.argv[3] if len(sys.argv) > 3 else None
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen()
def on_term(*_):
    if marker:
        with open(marker, 'a') as f:
            f.write('TERM\n')
    if mode in ('exit', 'proxy'):
        sys.exit(0)
    if mode == 'linger':
        s.close()
        time.sleep(3)
        sys.exit(0)
if mode == 'proxy':
    import ctypes
    ctypes.CDLL(None).prctl(15, b'docker-proxy', 0, 0, 0)
if mode != 'prefork':
    signal.signal(signal.SIGTERM, on_term)
kids = []
if mode == 'prefork':
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            while True:
                time.sleep(1)
        kids.append(pid)
print(s.getsockname()[1], *kids, flush=True)
while True:
    time.sleep(1)
"#;

/// A directory with `holder.py`, readable by every user.
struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("holder.py"), HOLDER).unwrap();
        Scene { dir }
    }
    fn script(&self) -> PathBuf {
        self.dir.path().join("holder.py")
    }
    fn marker(&self) -> PathBuf {
        self.dir.path().join("marker")
    }
    /// Starts a holder on a port the OS chooses; returns it and the port.
    fn holder(&self, mode: &str) -> (Proc, u16, String) {
        let mut cmd = Command::new(PY);
        cmd.arg(self.script()).args(["0", mode]).arg(self.marker()).stdout(Stdio::piped());
        let mut p = spawn(&mut cmd);
        let line = read_first_line(&mut p);
        let port =
            line.split_whitespace().next().and_then(|t| t.parse().ok()).expect("holder prints its port");
        (p, port, line)
    }
    fn got_term(&self) -> bool {
        std::fs::read_to_string(self.marker()).is_ok_and(|m| m.contains("TERM"))
    }
}

fn kill(args: &[&str]) -> crate::harness::Run {
    run(portfix().arg("kill").args(args))
}

/// True once `pid` has ended (gone, or a zombie nobody reaped yet).
fn ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// The port can be bound again (the listener the holder had is gone).
fn bindable(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Sends `sig` to a process this test started.
fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on a process this test started; no memory is touched.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// Field 3 of `/proc/PID/stat` (the state letter), `None` when the process is gone.
fn state(pid: u32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(')')?.1.trim_start().chars().next()
}

#[test]
fn a_holder_that_exits_on_term_gets_term_not_kill() {
    let scene = Scene::new();
    let (mut h, port, _) = scene.holder("exit");
    let r = kill(&[&port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("stop pid {}: it listens on port {port}", h.pid())), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("port {port} is free")), "{}", r.stdout);
    assert!(!r.stdout.contains("SIGKILL"), "{}", r.stdout);
    let status = h.wait_for_exit(Duration::from_secs(30)).expect("holder ended");
    assert_eq!(status.code(), Some(0), "it exited by its TERM handler, not by SIGKILL: {status:?}");
    assert!(scene.got_term());
    assert!(bindable(port));
}

#[test]
fn a_holder_that_ignores_term_is_killed_after_the_grace_and_not_before() {
    let scene = Scene::new();
    let (mut h, port, _) = scene.holder("ignore");
    // A grace long enough that the test's own lateness in seeing the TERM (a loaded machine)
    // cannot eat it: SIGKILL must not come within 2 s of the TERM being seen.
    let mut k = spawn(portfix().args(["kill", "--grace", "5s", &port.to_string()]).stdout(Stdio::piped()));
    poll(Duration::from_secs(30), || scene.got_term().then_some(())).expect("the holder got TERM");
    let term_seen = Instant::now();
    // Still alive well into the grace: SIGKILL does not come early.
    while term_seen.elapsed() < Duration::from_secs(2) {
        assert!(h.try_status().is_none(), "killed before the grace was over");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = h.wait_for_exit(Duration::from_secs(30)).expect("killed after the grace");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status:?}");
    let code = k.wait_for_exit(Duration::from_secs(30)).expect("portfix ends").code();
    let mut out = String::new();
    k.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("SIGKILL to pid"), "{out}");
    assert!(bindable(port));
}

#[test]
fn a_prefork_server_is_stopped_master_and_workers() {
    let scene = Scene::new();
    let (mut h, port, line) = scene.holder("prefork");
    let kids: Vec<u32> = line.split_whitespace().skip(1).map(|p| p.parse().unwrap()).collect();
    assert_eq!(kids.len(), 2);
    let r = kill(&[&port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("stop pid {}: pre-fork master of 2 workers", h.pid())),
        "{}",
        r.stdout
    );
    assert!(h.wait_for_exit(Duration::from_secs(30)).is_some());
    for k in &kids {
        assert!(
            poll(Duration::from_secs(30), || ended(*k).then_some(())).is_some(),
            "worker {k} left running"
        );
    }
    assert!(bindable(port));
}

/// Runs `script` under `sh` in a private network namespace (fixed ports allowed), with the
/// portfix binary as `$PORTFIX` and the holder as `$HOLDER`; returns stdout, stderr, and ends
/// everything the script left running (its whole process group) when done.
fn in_netns(scene: &Scene, script: &str) -> (String, String) {
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &format!("ip link set lo up; {script}")])
        .env("PORTFIX", env!("CARGO_BIN_EXE_portfix"))
        .env("HOLDER", scene.script())
        .env("PY", PY)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p = spawn(&mut cmd);
    let mut out = String::new();
    let mut stderr = p.child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut e = String::new();
        let _ = stderr.read_to_string(&mut e);
        e
    });
    let _ = p.child.stdout.take().unwrap().read_to_string(&mut out);
    let pgid = p.pid() as i32;
    let _ = p.wait_for_exit(Duration::from_secs(30));
    // What the script left running (a holder restarted by the loop) is in its process group.
    // SAFETY: kill(2) on the process group this test started; no memory is touched.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    (out, reader.join().unwrap())
}

/// A shell loop that restarts a holder of port 4000 (after `then` each round), and
/// `portfix kill 4000` run against it: the loop's pid, portfix's exit status, its stderr.
fn kill_a_respawning_holder(then: &str) -> (String, String, String) {
    let scene = Scene::new();
    let script = format!(
        r#"
        sh -c 'while true; do "$PY" "$HOLDER" 4000 exit >/dev/null 2>&1; {then} done' &
        loop=$!
        for i in $(seq 200); do ss -ltnH 'sport = :4000' | grep -q . && break; sleep 0.02; done
        echo "loop=$loop"
        "$PORTFIX" kill --grace 2s 4000
        echo "rc=$?"
        kill -9 $loop
    "#
    );
    let (out, err) = in_netns(&scene, &script);
    let lp = out.lines().find_map(|l| l.strip_prefix("loop=")).expect("loop pid printed").to_string();
    let rc = out.lines().find_map(|l| l.strip_prefix("rc=")).unwrap_or_default().to_string();
    (lp, rc, err)
}

#[test]
fn a_respawning_holder_exits_3_and_names_the_loop() {
    let (lp, rc, err) = kill_a_respawning_holder("");
    assert_eq!(rc, "3", "{err}");
    assert!(err.contains("port 4000 was taken again by pid "), "{err}");
    assert!(err.contains(&format!("): a shell loop (pid {lp}) starts it again; to stop that: kill {lp}, then run portfix kill 4000 again")), "{err}");
}

#[test]
fn a_loop_that_pauses_before_restarting_is_still_caught() {
    // `while …; do server; sleep 1; done`: the server comes back a second after it ended, later
    // than the short watch for unknown parents, but a shell loop surely restarts.
    let (lp, rc, err) = kill_a_respawning_holder("sleep 1;");
    assert_eq!(rc, "3", "{err}");
    assert!(
        err.contains(&format!("a shell loop (pid {lp}) starts it again; to stop that: kill {lp}")),
        "{err}"
    );
}

#[test]
fn another_users_holder_needs_yes_off_a_terminal() {
    let scene = Scene::new();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", PY])
        .arg(scene.script())
        .args(["0", "exit"])
        .stdout(Stdio::piped());
    let mut h = spawn(&mut cmd);
    let port = read_first_line(&mut h);
    let r = kill(&[&port]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("belongs to another user (nobody)"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("portfix kill -y {port}")), "{}", r.stderr);
    assert!(h.try_status().is_none(), "refused, yet the holder was stopped");
    let r = kill(&["-y", &port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(h.wait_for_exit(Duration::from_secs(30)).is_some());
}

/// A Python process that listens on `addr:port` and runs portfix kill on it as its own child,
/// so the holder is portfix's parent; exits with portfix's code.
fn holder_running_portfix(port: u16) -> String {
    format!(
        "import socket, subprocess, sys\ns = socket.socket()\ns.bind(('127.0.0.1', {port}))\ns.listen()\n\
         sys.exit(subprocess.call([{:?}, 'kill', '-y', str(s.getsockname()[1])]))\n",
        env!("CARGO_BIN_EXE_portfix")
    )
}

#[test]
fn portfixs_own_ancestor_is_refused() {
    let r = run(Command::new(PY).args(["-c", &holder_running_portfix(0)]).env_remove("CI"));
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("which started this portfix"), "{}", r.stderr);
}

#[test]
fn pid_1_in_a_pid_namespace_is_refused() {
    let mut cmd = Command::new("unshare");
    // `exec` makes the holder pid 1 of the new namespace once loopback is up.
    let script = format!("ip link set lo up; exec {PY} -c \"$0\"");
    cmd.args(["-p", "-f", "-n", "--mount-proc", "sh", "-c", &script, &holder_running_portfix(4000)]);
    let r = run(&mut cmd);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("pid 1"), "{}", r.stderr);
    assert!(r.stderr.contains("never stops pid 1"), "{}", r.stderr);
}

#[test]
fn dry_run_stops_nothing_and_shows_the_plan() {
    let scene = Scene::new();
    let (mut h, port, _) = scene.holder("exit");
    let r = kill(&["--dry-run", "--json", &port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v[0]["outcome"], "dry-run");
    assert_eq!(v[0]["targets"][0]["pid"], h.pid());
    assert_eq!(v[0]["targets"][0]["unit"]["kind"], "process");
    assert_eq!(v[0]["actions"].as_array().map(Vec::len), Some(0));
    let r = kill(&["--dry-run", &port.to_string()]);
    assert!(r.stdout.contains("dry run: would send SIGTERM to pid"), "{}", r.stdout);
    assert!(h.try_status().is_none() && !scene.got_term(), "dry run signalled the holder");
}

#[test]
fn json_reports_the_signals_and_the_outcome() {
    let scene = Scene::new();
    let (_h, port, _) = scene.holder("exit");
    let r = kill(&["--json", &port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v[0]["outcome"], "freed");
    assert_eq!(v[0]["port"], port);
    assert_eq!(v[0]["actions"][0]["signal"], "SIGTERM");
    assert_eq!(v[0]["actions"][0]["result"], "sent");
}

#[test]
fn only_time_wait_left_is_nothing_to_stop() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (server_side, _) = l.accept().unwrap();
    drop(l);
    // The side that closes first keeps TIME_WAIT: the server's end, on `port`.
    drop(server_side);
    let mut buf = [0u8; 1];
    let _ = client.read(&mut buf);
    drop(client);
    let filter = format!("sport = :{port}");
    let in_time_wait = || {
        let out = Command::new("ss").args(["-tanH", "state", "time-wait", &filter]).output().unwrap();
        (!out.stdout.is_empty()).then_some(())
    };
    poll(Duration::from_secs(30), in_time_wait).expect("a TIME_WAIT socket on the port");
    let r = kill(&[&port.to_string()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("only TIME_WAIT"), "{}", r.stderr);
    assert!(r.stderr.contains("SO_REUSEADDR"), "{}", r.stderr);
}

#[test]
fn a_dev_commands_process_group_is_stopped_whole() {
    use std::os::unix::fs::PermissionsExt;
    let scene = Scene::new();
    // A stand-in `npm`: a script named npm run by an interpreter, as the real one is
    // (`node .../npm-cli.js`); npm -> sh -c -> python, one process group.
    let npm = scene.dir.path().join("npm");
    let body = format!(
        "#!{PY}\nimport subprocess, sys\nsubprocess.call(['sh', '-c', '{PY} {} 0 exit {}; echo done'])\nprint('npm finished')\n",
        scene.script().display(),
        scene.marker().display()
    );
    std::fs::write(&npm, body).unwrap();
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut n = spawn(Command::new(&npm).arg("start").stdout(Stdio::piped()));
    let port = read_first_line(&mut n);
    let r = kill(&[&port]);
    assert_eq!(r.code, 4, "a process group needs a confirmation: {}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("whole process group"), "{}", r.stderr);
    let r = kill(&["-y", &port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("stop process group {}: an earlier run of", n.pid())), "{}", r.stdout);
    // the runner itself got the signal too: it did not go on to `echo done`
    assert!(n.wait_for_exit(Duration::from_secs(30)).is_some_and(|s| !s.success()));
    assert!(scene.got_term());
}

#[test]
fn a_docker_proxy_holder_is_stopped_through_its_container() {
    use std::os::unix::fs::PermissionsExt;
    // No Docker engine runs here: a stand-in `docker` script, first on PATH, records its
    // arguments; for `ps` it names a container, for `stop` it ends the "proxy" the way the real
    // engine would by stopping the container.
    let scene = Scene::new();
    let (mut h, port, _) = scene.holder("proxy");
    let bin = scene.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = scene.dir.path().join("docker.log");
    let docker = bin.join("docker");
    std::fs::write(
        &docker,
        format!(
            "#!/bin/sh\necho \"$*\" >> {log}\ncase \"$1\" in\n  ps) printf 'abc123\\tdb\\n' ;;\n  stop) kill -9 {pid} ;;\nesac\n",
            log = log.display(),
            pid = h.pid()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let r = run(portfix().args(["kill", "--grace", "3s", &port.to_string()]).env("PATH", path));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("stop container db: docker-proxy"), "{}", r.stdout);
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains(&format!("ps --filter publish={port} --format")), "{calls}");
    assert!(calls.contains("stop --time 3 abc123"), "{calls}");
    assert!(!scene.got_term(), "the proxy itself was signalled");
    assert!(h.wait_for_exit(Duration::from_secs(30)).is_some());
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        &["0"][..],
        &["65536"],
        &["abc"],
        &["3000", "--signal", "NOPE"],
        &["3000", "--grace", "soon"],
        &["3000", "--grace", "-1s"],
    ] {
        let r = kill(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

mod at_a_terminal {
    use super::*;
    use expectrl::process::unix::WaitStatus;
    use expectrl::session::OsSession as Session;
    use expectrl::{Eof, Expect};

    fn nobodys_holder(scene: &Scene) -> (Proc, String) {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", PY])
            .arg(scene.script())
            .args(["0", "exit"])
            .stdout(Stdio::piped());
        let mut h = spawn(&mut cmd);
        let port = read_first_line(&mut h);
        (h, port)
    }

    fn session(port: &str) -> Session {
        let mut cmd = portfix();
        cmd.args(["kill", port]);
        crate::harness::pty_session(cmd)
    }

    /// Issue 13 "one CI rule": `CI=false` (any case), `CI=0` and an empty `CI` are not CI; at a
    /// terminal the wrapper and `kill` both ask (before, `kill` refused with exit 4 while the
    /// wrapper asked in the same shell).
    #[test]
    fn ci_false_at_a_terminal_lets_wrapper_and_kill_both_ask() {
        for ci in ["false", "FALSE", "0", ""] {
            let scene = Scene::new();
            let (mut h, port) = nobodys_holder(&scene);
            let mut cmd = portfix();
            cmd.env("CI", ci).args(["kill", &port]);
            let mut s = crate::harness::pty_session(cmd);
            s.expect(format!("to free port {port}?").as_str())
                .unwrap_or_else(|e| panic!("kill, CI={ci:?}: {e}"));
            s.send("n").unwrap();
            s.expect(Eof).unwrap();
            assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 3)), "CI={ci:?}");
            let mut cmd = portfix();
            cmd.env("CI", ci).args(["--kill", "-p", &port, "--", "true"]);
            let mut s = crate::harness::pty_session(cmd);
            s.expect(format!("to free port {port}?").as_str())
                .unwrap_or_else(|e| panic!("wrapper, CI={ci:?}: {e}"));
            s.send("n").unwrap();
            s.expect(Eof).unwrap();
            assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 3)), "CI={ci:?}");
            assert!(h.try_status().is_none(), "declined, yet the holder was stopped (CI={ci:?})");
        }
    }

    #[test]
    fn yes_at_the_prompt_stops_another_users_holder() {
        let scene = Scene::new();
        let (mut h, port) = nobodys_holder(&scene);
        let mut s = session(&port);
        s.expect("belongs to another user (nobody)").unwrap();
        s.expect(format!("to free port {port}?").as_str()).unwrap();
        s.send("y").unwrap();
        s.expect(format!("port {port} is free").as_str()).unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 0)));
        assert!(h.wait_for_exit(Duration::from_secs(30)).is_some());
    }

    #[test]
    fn no_at_the_prompt_leaves_it_and_exits_3() {
        let scene = Scene::new();
        let (mut h, port) = nobodys_holder(&scene);
        let mut s = session(&port);
        s.expect(format!("to free port {port}?").as_str()).unwrap();
        s.send("n").unwrap();
        s.expect("not stopped").unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 3)));
        assert!(h.try_status().is_none(), "declined, yet the holder was stopped");
    }
}

/// Issue 10 item 7: a server whose master closes its socket at once on TERM but exits later
/// (gunicorn's master): `kill` reports the port free only once that process has exited.
#[test]
fn a_master_that_closes_its_socket_first_and_exits_later_is_waited_for() {
    let scene = Scene::new();
    let (h, port, _) = scene.holder("linger");
    let r = kill(&["--grace", "20s", &port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(scene.got_term());
    assert!(ended(h.pid()), "portfix reported success while pid {} still runs: {}", h.pid(), r.stdout);
    assert!(!r.stdout.contains("SIGKILL"), "{}", r.stdout);
}

/// Issue 10 item 3: the init of a nested pid namespace (a container's init), seen from outside,
/// is named for what it is and needs a confirmation (here: off a terminal, `-y`).
#[test]
fn the_init_of_a_nested_pid_namespace_needs_confirmation() {
    let scene = Scene::new();
    let mut cmd = Command::new("unshare");
    cmd.args(["-p", "-f", "--mount-proc", PY])
        .arg(scene.script())
        .args(["0", "exit"])
        .arg(scene.marker())
        .stdout(Stdio::piped());
    let mut h = spawn(&mut cmd);
    let port = read_first_line(&mut h);
    let r = kill(&[&port]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("the init of a pid namespace"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("portfix kill -y {port}")), "{}", r.stderr);
    assert!(!scene.got_term(), "refused, yet the namespace's init got TERM");
    let r = kill(&["-y", &port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(scene.got_term());
    assert!(h.wait_for_exit(Duration::from_secs(20)).is_some());
}

/// Two processes for a socket passed over a Unix socket (SCM_RIGHTS): `take PATH` listens on
/// PATH, prints `ready`, receives a descriptor, prints `got`; `give PATH` binds a TCP listener,
/// sends it to PATH, prints its port. Both keep it and wait (TERM ends them).
const PASS_FD: &str = r#"
import socket, sys, time
mode, path = sys.argv[1], sys.argv[2]
if mode == 'take':
    u = socket.socket(socket.AF_UNIX)
    u.bind(path)
    u.listen()
    print('ready', flush=True)
    c, _ = u.accept()
    _, fds, _, _ = socket.recv_fds(c, 16, 4)
    kept = socket.socket(fileno=fds[0])
    print('got', flush=True)
else:
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    s.listen()
    u = socket.socket(socket.AF_UNIX)
    u.connect(path)
    socket.send_fds(u, [b'x'], [s.fileno()])
    print(s.getsockname()[1], flush=True)
while True:
    time.sleep(1)
"#;

/// Issue 10 item 5: a listening socket held by two unrelated processes (one passed it to the
/// other): both are named, both need a confirmation to stop, and both are stopped.
#[test]
fn a_socket_passed_to_an_unrelated_process_names_and_stops_both() {
    let scene = Scene::new();
    let script = scene.dir.path().join("pass.py");
    std::fs::write(&script, PASS_FD).unwrap();
    let path = scene.dir.path().join("pass.sock");
    let mut taker = spawn(Command::new(PY).arg(&script).arg("take").arg(&path).stdout(Stdio::piped()));
    let mut out = std::io::BufReader::new(taker.child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let mut giver = spawn(Command::new(PY).arg(&script).arg("give").arg(&path).stdout(Stdio::piped()));
    let port = read_first_line(&mut giver);
    line.clear();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "got");
    let (g, t) = (giver.pid(), taker.pid());

    let who = run(portfix().args(["who", &port]));
    assert_eq!(who.code, 0, "{}{}", who.stdout, who.stderr);
    for pid in [g, t] {
        assert!(who.stdout.contains(&format!("pid {pid}")), "pid {pid} not named: {}", who.stdout);
    }
    let r = kill(&[&port]);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("2 separate processes"), "{}", r.stderr);
    assert!(giver.try_status().is_none() && taker.try_status().is_none(), "refused, yet one was stopped");
    let r = kill(&["-y", &port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for pid in [g, t] {
        assert!(r.stdout.contains(&format!("pid {pid}")), "pid {pid} not named: {}", r.stdout);
    }
    assert!(giver.wait_for_exit(Duration::from_secs(20)).is_some());
    assert!(taker.wait_for_exit(Duration::from_secs(20)).is_some());
}

/// A holder whose main thread has exited (the leader is a zombie): another thread keeps the
/// socket, visible only under `/proc/PID/task/TID/fd`. Prints the port.
const LEADER_GONE: &str = r#"
import ctypes, socket, threading, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen()
def hold():
    print(s.getsockname()[1], flush=True)
    while True:
        time.sleep(1)
threading.Thread(target=hold).start()
time.sleep(0.2)
ctypes.CDLL(None).pthread_exit(None)
"#;

/// Issue 10 item 5: the holder is found through its threads, and stopped.
#[test]
fn a_holder_whose_main_thread_exited_is_found_and_stopped() {
    let mut h = spawn(Command::new(PY).args(["-c", LEADER_GONE]).stdout(Stdio::piped()));
    let port = read_first_line(&mut h);
    let pid = h.pid();
    poll(Duration::from_secs(20), || (state(pid) == Some('Z')).then_some(())).expect("the leader exits");
    let who = run(portfix().args(["who", &port]));
    assert_eq!(who.code, 0, "{}{}", who.stdout, who.stderr);
    assert!(who.stdout.contains(&format!("pid {pid}")), "{}", who.stdout);
    let r = kill(&[&port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(h.wait_for_exit(Duration::from_secs(20)).is_some());
}

/// Issue 10 item 8: a suspended holder (SIGSTOP, as Ctrl-Z) is shown as such, and `kill`
/// resumes it after TERM so that it exits gracefully instead of being killed after the grace.
#[test]
fn a_suspended_holder_is_named_so_and_ends_gracefully() {
    let scene = Scene::new();
    let (mut h, port, _) = scene.holder("exit");
    let pid = h.pid();
    signal(pid, libc::SIGSTOP);
    poll(Duration::from_secs(20), || (state(pid) == Some('T')).then_some(())).expect("stopped");
    let who = run(portfix().args(["who", &port.to_string()]));
    assert!(who.stdout.contains("suspended (stopped, Ctrl-Z)"), "{}", who.stdout);
    let json = run(portfix().args(["who", "--json", &port.to_string()]));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["targets"][0]["holders"][0]["processes"][0]["suspended"], true, "{}", json.stdout);
    let list = run(portfix().arg("list"));
    assert!(list.stdout.contains("suspended"), "{}", list.stdout);
    let r = kill(&["--grace", "20s", "--json", &port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let signals: Vec<&str> =
        v[0]["actions"].as_array().unwrap().iter().filter_map(|a| a["signal"].as_str()).collect();
    assert!(!signals.contains(&"SIGKILL"), "{signals:?}");
    assert!(signals.contains(&"SIGCONT"), "{signals:?}");
    assert!(scene.got_term(), "it ended without running its TERM handler");
    assert!(h.wait_for_exit(Duration::from_secs(20)).is_some());
}

/// Issue 10 item 8: a holder suspended in a terminal is shown with that terminal.
#[test]
fn a_suspended_holder_names_its_terminal() {
    use expectrl::Expect as _;
    let scene = Scene::new();
    let mut cmd = Command::new(PY);
    cmd.arg(scene.script()).args(["0", "exit"]);
    let mut s = crate::harness::pty_session(cmd);
    let m = s.expect(expectrl::Regex(r"[0-9]+")).expect("the holder prints its port");
    let port = String::from_utf8_lossy(m.get(0).unwrap()).into_owned();
    let pid = s.get_process().pid().as_raw() as u32;
    struct End(u32);
    impl Drop for End {
        fn drop(&mut self) {
            signal(self.0, libc::SIGKILL);
        }
    }
    let _end = End(pid);
    let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    signal(pid, libc::SIGSTOP);
    poll(Duration::from_secs(20), || (state(pid) == Some('T')).then_some(())).expect("stopped");
    let who = run(portfix().args(["who", &port]));
    assert!(who.stdout.contains("suspended (stopped, Ctrl-Z)"), "{}", who.stdout);
    assert!(who.stdout.contains(&tty.display().to_string()), "{} not named: {}", tty.display(), who.stdout);
    let json = run(portfix().args(["who", "--json", &port]));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(
        v["targets"][0]["holders"][0]["processes"][0]["tty"],
        tty.display().to_string(),
        "{}",
        json.stdout
    );
}

/// A listener whose forked child daemonises (setsid, a second fork: re-parented away from its
/// family) and keeps the socket, while the original process keeps it too. Prints the port and
/// the daemon's pid.
const DAEMONISED: &str = r#"
import os, socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen()
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, b'%d\n' % os.getpid())
        while True:
            time.sleep(1)
    os._exit(0)
os.wait()
daemon = os.read(r, 32).decode().strip()
print(s.getsockname()[1], daemon, flush=True)
while True:
    time.sleep(1)
"#;

/// Issue 10 item 5: a daemonised child that keeps its parent's socket is named and stopped too.
#[test]
fn a_daemonised_child_sharing_the_socket_is_named_and_stopped() {
    let mut h = spawn(Command::new(PY).args(["-c", DAEMONISED]).stdout(Stdio::piped()));
    let line = read_first_line(&mut h);
    let (port, daemon) = line.split_once(' ').expect("port and daemon pid");
    let daemon: u32 = daemon.parse().unwrap();
    struct End(u32);
    impl Drop for End {
        fn drop(&mut self) {
            signal(self.0, libc::SIGKILL);
        }
    }
    let _end = End(daemon);
    let who = run(portfix().args(["who", port]));
    assert!(who.stdout.contains(&format!("pid {daemon}")), "the daemon is not named: {}", who.stdout);
    let r = kill(&["-y", port]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(h.wait_for_exit(Duration::from_secs(20)).is_some());
    poll(Duration::from_secs(20), || ended(daemon).then_some(())).expect("the daemon was stopped too");
}
