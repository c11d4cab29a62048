//! portfix's own output meeting a closed reader (`portfix list | head -1`, `portfix -- cmd 2>&1 |
//! head -1`) or a closed stream (`>&-`): never a panic or an abort. A closed pipe is quiet and
//! changes nothing (the work is done, the exit code is the one it would have been, text and
//! `--json` alike); a closed stdout is reported.

use std::os::fd::{FromRawFd as _, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{self, poll, portfix, python_listener, shell_status};

/// The write end of a pipe whose read end is already closed: every write meets EPIPE.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills the two-int array; both fds are owned below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] and fds[1] were just opened by pipe(2) and are owned by nothing else.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    write_end
}

/// Runs `cmd` with stdout on a closed pipe; returns (`$?`, stderr).
fn stdout_closed(cmd: &mut Command) -> (i32, String) {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(closed_pipe()))
        .stderr(Stdio::piped())
        .output()
        .expect("portfix runs");
    (shell_status(out.status), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `cmd` with stderr on a closed pipe; returns (`$?`, stdout).
fn stderr_closed(cmd: &mut Command) -> (i32, String) {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(closed_pipe()))
        .output()
        .expect("portfix runs");
    (shell_status(out.status), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, r)| !r.starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn a_closed_stdout_pipe_is_quiet_and_keeps_the_exit_code_text_and_json_alike() {
    let (_held, port) = python_listener("127.0.0.1", 0);
    let free = {
        let (l, p) = harness::listen_v4();
        drop(l);
        p
    };
    let p = port.to_string();
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["who", &p], 0),
        (vec!["who", &p, "--json"], 0),
        (vec!["list"], 0),
        (vec!["list", "--json"], 0),
        (vec!["free"], 0),
        (vec!["free", "--json"], 0),
        (vec!["kill", "--dry-run", &p], 0),
        (vec!["kill", "--dry-run", "--json", &p], 0),
    ];
    for (args, code) in cases {
        let (got, stderr) = stdout_closed(portfix().args(&args));
        assert_eq!((got, stderr.as_str()), (code, ""), "{args:?}");
    }
    // nothing holds it: 1 as with an open stdout (the work was done, only the reader is gone)
    let f = free.to_string();
    for args in [vec!["who", &f], vec!["who", &f, "--json"]] {
        let (got, stderr) = stdout_closed(portfix().args(&args));
        assert_eq!((got, stderr.as_str()), (1, ""), "{args:?}");
    }
}

#[test]
fn kill_with_a_closed_stdout_pipe_still_stops_the_holder() {
    for json in [false, true] {
        let (mut holder, port) = python_listener("127.0.0.1", 0);
        let mut cmd = portfix();
        cmd.arg("kill").args(json.then_some("--json")).arg(port.to_string());
        let (code, stderr) = stdout_closed(&mut cmd);
        assert_eq!((code, stderr.as_str()), (0, ""), "json {json}");
        let status = holder.wait_for_exit(Duration::from_secs(20));
        assert!(status.is_some(), "json {json}: the holder was stopped");
    }
}

#[test]
fn a_closed_stderr_pipe_is_never_a_panic_and_keeps_the_exit_code() {
    let (_held, port) = harness::listen_v4();
    let p = port.to_string();
    // the conflict is refused: exit 3, its lines to a closed stderr dropped
    let (code, _) = stderr_closed(portfix().args(["-p", &p, "--on-conflict", "fail", "--", "true"]));
    assert_eq!(code, 3);
    // moved to the next port: the command runs there and its status is passed through
    let (code, out) = stderr_closed(portfix().args(["-p", &p, "--next", "--", "sh", "-c", "echo $PORT"]));
    assert_eq!(code, 0, "{out}");
    let moved: u16 = out.trim().parse().unwrap_or_else(|_| panic!("a port: {out}"));
    assert_ne!(moved, port);
    // kill: nothing holds a free port (1), usage errors (2)
    let (code, _) = stderr_closed(portfix().args(["kill", "0"]));
    assert_eq!(code, 2);
    let (code, _) = stderr_closed(portfix().args(["who", "abc"]));
    assert_eq!(code, 2);
}

#[test]
fn the_wrapper_on_a_closed_pipe_ends_with_its_command_as_sigpipe_would() {
    // `portfix -p P --next -- CMD 2>&1 | head -0` with P held: portfix's own lines are dropped,
    // the command meets the closed pipe itself (as without portfix), dies of SIGPIPE, and
    // portfix passes that on; nothing is left behind.
    let (_held, port) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("cmd.pid");
    let script = format!("echo $$ > {}; while :; do echo tick; sleep 0.05; done", pidfile.display());
    let pipe = closed_pipe();
    let mut p = harness::spawn(
        portfix()
            .args(["-p", &port.to_string(), "--next", "--", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::from(pipe.try_clone().unwrap()))
            .stderr(Stdio::from(pipe)),
    );
    let status = p.wait_for_exit(Duration::from_secs(30)).expect("portfix ends with its command");
    assert_eq!(shell_status(status), 128 + libc::SIGPIPE, "as the command ended");
    let pid: u32 = std::fs::read_to_string(&pidfile).expect("the command ran").trim().parse().unwrap();
    let gone = poll(Duration::from_secs(10), || (!alive(pid)).then_some(()));
    assert!(gone.is_some(), "the command (pid {pid}) is not left behind");
}

#[test]
fn a_closed_stdout_is_reported_not_swallowed() {
    // `portfix list >&-`: the output cannot be written anywhere; that is an error, said on stderr.
    for args in ["list", "list --json", "free", "free --json"] {
        let mut sh = Command::new("sh");
        sh.args(["-c", &format!("exec \"$0\" {args} >&-"), env!("CARGO_BIN_EXE_portfix")]);
        harness::portfix_env(&mut sh);
        let r = harness::run(&mut sh);
        assert_ne!(r.code, 0, "{args}: {}", r.stderr);
        assert!(r.stderr.contains("stdout"), "{args}: says what failed: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args}: one line: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{args}: {}", r.stderr);
    }
}

#[test]
fn a_wrapped_command_meets_a_closed_stdout_itself() {
    // `portfix -- sh -c 'echo hi' >&-`: sh says it cannot write and fails, as without portfix.
    let mut sh = Command::new("sh");
    sh.args(["-c", "exec \"$0\" -- sh -c 'echo hi' >&-", env!("CARGO_BIN_EXE_portfix")]);
    harness::portfix_env(&mut sh);
    let r = harness::run(&mut sh);
    let mut direct = Command::new("sh");
    let without = harness::run(direct.args(["-c", "sh -c 'echo hi' >&-"]));
    assert_ne!(without.code, 0, "sh fails on a closed stdout: {}", without.stderr);
    assert_eq!(r.code, without.code, "{}", r.stderr);
}
