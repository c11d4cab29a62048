//! `portfix [OPTIONS] -- COMMAND` end to end: real processes, real signals, a real terminal.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{self, Proc, poll, portfix, read_first_line, spawn};

fn servers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers")
}

/// Every live descendant of `pid` (from /proc parent links).
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Some((_, ppid)) = stat(p) {
            parents.push((p, ppid));
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found.remove(0);
    found
}

/// State letter and parent pid of a process, `None` when it is gone.
fn stat(pid: u32) -> Option<(char, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Gone, or a zombie (it has ended; only its exit status is left to collect).
fn gone(pid: u32) -> bool {
    stat(pid).is_none_or(|(state, _)| state == 'Z')
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on a process this test started.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

fn exit_code(status: std::process::ExitStatus) -> Option<i32> {
    status.code()
}

#[test]
fn exit_status_is_passed_through() {
    let r = harness::run(portfix().args(["--", "sh", "-c", "exit 7"]));
    assert_eq!(r.code, 7, "{}", r.stderr);
    let r = harness::run(portfix().args(["--", "sh", "-c", "kill -TERM $$"]));
    assert_eq!(r.code, 143, "a signal death is 128+N: {}", r.stderr);
    let r = harness::run(portfix().args(["--", "true"]));
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn a_missing_command_is_127_and_one_that_cannot_run_is_126() {
    let r = harness::run(portfix().args(["--", "portfix-no-such-command-xyz"]));
    assert_eq!(r.code, 127);
    assert!(r.stderr.contains("portfix: command not found: portfix-no-such-command-xyz"), "{}", r.stderr);

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    for target in [script.to_str().unwrap(), dir.path().to_str().unwrap()] {
        let r = harness::run(portfix().args(["--", target]));
        assert_eq!(r.code, 126, "{target}: {}", r.stderr);
        assert!(r.stderr.starts_with("portfix: cannot run"), "{}", r.stderr);
    }
    // by name through PATH too
    let r = harness::run(portfix().env("PATH", dir.path()).args(["--", "not-executable"]));
    assert_eq!(r.code, 126, "{}", r.stderr);
}

#[test]
fn output_is_relayed_byte_for_byte() {
    // every byte value, no trailing newline, different on each stream, and a \r\n kept as is
    let code = "import sys\n\
                sys.stdout.buffer.write(bytes(range(256)) * 3 + b'a\\r\\nno newline')\n\
                sys.stderr.buffer.write(b'\\x00err\\xff' * 1000)\n";
    let out = portfix().args(["--", "python3", "-c", code]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut want = (0..=255u8).collect::<Vec<_>>().repeat(3);
    want.extend_from_slice(b"a\r\nno newline");
    assert_eq!(out.stdout, want);
    assert_eq!(out.stderr, b"\x00err\xff".repeat(1000));
}

#[test]
fn output_arrives_live_not_at_exit() {
    // The child writes a line without a newline and then waits for us: only a relay that
    // writes chunks as they come lets the test see it before the child ends.
    let mut p = spawn(
        portfix()
            .args(["--", "sh", "-c", "printf 'first'; read x; printf \"got $x\""])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped()),
    );
    let mut out = p.child.stdout.take().unwrap();
    let mut buf = [0u8; 5];
    out.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"first");
    // and stdin reaches the child
    p.child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got hello");
    assert_eq!(p.wait_for_exit(Duration::from_secs(5)).and_then(exit_code), Some(0));
}

/// `npm run start` → sh → node, under portfix, with the test reading node's first line.
fn npm_tree() -> (tempfile::TempDir, Proc, u32) {
    let dir = tempfile::tempdir().unwrap();
    let server = servers().join("idle.js");
    std::fs::write(
        dir.path().join("package.json"),
        format!(r#"{{"name":"t","version":"1.0.0","scripts":{{"start":"node {}"}}}}"#, server.display()),
    )
    .unwrap();
    let mut p = spawn(
        portfix()
            .args(["--", "npm", "run", "start", "--silent"])
            .current_dir(dir.path())
            .env("npm_config_update_notifier", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    let line = read_first_line(&mut p);
    let node: u32 = line.strip_prefix("ready ").and_then(|s| s.parse().ok()).expect("node's pid");
    (dir, p, node)
}

#[test]
fn sigint_to_portfix_alone_ends_the_whole_npm_tree() {
    let (_dir, mut p, node) = npm_tree();
    let tree = descendants(p.pid());
    assert!(tree.contains(&node), "node {node} runs under portfix: {tree:?}");
    assert!(tree.len() >= 3, "npm, sh, node (and the watchdog): {tree:?}");
    signal(p.pid(), libc::SIGINT);
    let status = p.wait_for_exit(Duration::from_secs(10)).expect("portfix ends");
    let left = poll(Duration::from_secs(3), || tree.iter().all(|&pid| gone(pid)).then_some(()));
    let alive: Vec<_> = tree.iter().filter(|&&pid| !gone(pid)).collect();
    assert!(left.is_some(), "still running after portfix ended: {alive:?}");
    // node died of the SIGINT (or npm reported it): never a success
    assert_ne!(status.code(), Some(0));
}

#[test]
fn portfix_killed_takes_the_whole_tree_with_it() {
    let (_dir, p, node) = npm_tree();
    let tree = descendants(p.pid());
    assert!(tree.contains(&node));
    signal(p.pid(), libc::SIGKILL); // portfix alone, as the OOM killer would
    let ended = poll(Duration::from_secs(1), || tree.iter().all(|&pid| gone(pid)).then_some(()));
    let alive: Vec<_> = tree.iter().filter(|&&pid| !gone(pid)).collect();
    assert!(ended.is_some(), "left running a second after portfix was killed: {alive:?}");
}

#[test]
fn sigterm_to_portfix_reaches_the_command() {
    let mut p = spawn(
        portfix()
            .args(["--", "sh", "-c", "echo ready; exec sleep 300"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    assert_eq!(read_first_line(&mut p), "ready");
    signal(p.pid(), libc::SIGTERM);
    let status = p.wait_for_exit(Duration::from_secs(5)).expect("portfix ends");
    assert_eq!(status.code(), Some(143));
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_the_grace() {
    let mut p = spawn(
        portfix()
            .args([
                "--grace",
                "300ms",
                "--",
                "sh",
                "-c",
                "trap '' TERM INT; echo ready; while :; do sleep 0.05; done",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    assert_eq!(read_first_line(&mut p), "ready");
    let tree = descendants(p.pid());
    let start = std::time::Instant::now();
    signal(p.pid(), libc::SIGTERM);
    let status = p.wait_for_exit(Duration::from_secs(5)).expect("portfix ends");
    assert_eq!(status.code(), Some(137), "SIGKILLed after the grace");
    assert!(start.elapsed() >= Duration::from_millis(300), "the grace was given");
    assert!(poll(Duration::from_secs(2), || tree.iter().all(|&pid| gone(pid)).then_some(())).is_some());
}

#[test]
fn what_the_command_left_running_is_ended_with_it() {
    // sh exits at once, leaving a background sleep: no orphan may outlive portfix.
    let mut p = spawn(
        portfix()
            .args(["--grace", "1s", "--", "sh", "-c", "sleep 300 & echo $!"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    let orphan: u32 = read_first_line(&mut p).parse().unwrap();
    let status = p.wait_for_exit(Duration::from_secs(5)).expect("portfix does not wait 300 s");
    assert_eq!(status.code(), Some(0));
    assert!(
        poll(Duration::from_secs(2), || gone(orphan).then_some(())).is_some(),
        "sleep {orphan} left running"
    );
}

mod at_a_terminal {
    use super::*;
    use expectrl::process::unix::WaitStatus;
    use expectrl::session::OsSession as Session;
    use expectrl::{ControlCode, Eof, Expect};

    fn session(args: &[&str]) -> Session {
        let mut cmd = portfix();
        cmd.args(args);
        let mut s = Session::spawn(cmd).expect("spawn portfix on a pty");
        s.set_expect_timeout(Some(Duration::from_secs(10)));
        s
    }

    #[test]
    fn the_command_can_read_the_terminal() {
        // In its own process group the command must still be in the terminal's foreground:
        // otherwise `read` stops it with SIGTTIN and this hangs.
        // The command's group is the terminal's foreground group from its first instruction
        // (tpgid = the terminal's foreground group), not only after a SIGTTIN.
        let script = "echo \"fg $(ps -o tpgid= -p $$ | tr -d ' ') $(ps -o pgid= -p $$ | tr -d ' ')\"; \
                      echo ready; read x; echo \"got $x\"; exit 4";
        let mut s = session(&["--", "sh", "-c", script]);
        let fg = s.expect(expectrl::Regex(r"fg (\d+) (\d+)")).unwrap();
        let groups: Vec<&[u8]> = fg.matches().skip(1).collect();
        assert_eq!(groups[0], groups[1], "the command's group holds the terminal");
        s.expect("ready").unwrap();
        s.send_line("hello").unwrap();
        s.expect("got hello").unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 4)));
    }

    #[test]
    fn ctrl_c_ends_the_command_and_portfix_exits_130() {
        let mut s =
            session(&["--", "python3", "-c", "import time; print('ready', flush=True); time.sleep(300)"]);
        s.expect("ready").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 130)));
    }
}

/// A shell script run in a private network namespace (fixed ports allowed there), with the
/// portfix binary as `$PORTFIX`.
fn in_netns(script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &format!("ip link set lo up; {script}")])
        .env("PORTFIX", env!("CARGO_BIN_EXE_portfix"))
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("PORT");
    cmd
}

#[test]
fn the_port_is_confirmed_once_the_command_listens_there() {
    let mut p = spawn(
        in_netns("exec $PORTFIX -p 8000 -- python3 -m http.server 8000 --bind 127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let err = std::io::BufReader::new(p.child.stderr.take().unwrap());
    use std::io::BufRead;
    let line =
        err.lines().map_while(Result::ok).find(|l| l.starts_with("portfix:")).expect("a line from portfix");
    let pid: u32 = line
        .strip_prefix("portfix: python3 -m http.server 8000 --bind 127.0.0.1 is listening on http://localhost:8000 (pid ")
        .and_then(|s| s.strip_suffix(')'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected: {line}"));
    assert!(descendants(p.pid()).contains(&pid), "pid {pid} is the command's");
}

#[test]
fn a_listener_outside_the_command_is_not_taken_for_it() {
    // Someone else listens on 8000; the command never does: no confirmation may be printed.
    // The holder prints its pid once it listens; the command starts only then.
    let holder = "python3 -c \"import os,socket,time; s=socket.socket(); s.bind(('127.0.0.1',8000)); s.listen(); print(os.getpid(), flush=True); time.sleep(60)\"";
    let mut cmd = in_netns(&format!(
        "{holder} | {{ read holder; $PORTFIX -p 8000 -- sh -c 'sleep 1; echo done'; kill $holder; }}"
    ));
    let r = harness::run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("done"), "{}", r.stdout);
    assert!(!r.stderr.contains("is listening"), "{}", r.stderr);
}
