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

fn died_of(status: std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
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
fn a_signal_death_is_passed_on_as_one() {
    // A shell sees 128+N either way (the contract); callers that tell a death by SIGINT from an
    // exit 130 (bash loops at a terminal, npm, systemd) see what the command did.
    let mut p = spawn(portfix().args(["--", "sh", "-c", "kill -INT $$"]).stdin(Stdio::null()));
    let status = p.wait_for_exit(Duration::from_secs(10)).expect("portfix ends");
    assert_eq!(died_of(status), Some(libc::SIGINT), "{status:?}");
    let r = harness::run(Command::new("sh").args([
        "-c",
        r#""$0" -- sh -c 'kill -TERM $$'; echo "status $?""#,
        env!("CARGO_BIN_EXE_portfix"),
    ]));
    assert_eq!(r.stdout.trim(), "status 143", "{}", r.stderr);
    // An exit code is not a signal, whatever its value.
    let mut p = spawn(portfix().args(["--", "sh", "-c", "exit 130"]).stdin(Stdio::null()));
    let status = p.wait_for_exit(Duration::from_secs(10)).expect("portfix ends");
    assert_eq!((status.code(), died_of(status)), (Some(130), None));
    // A signal portfix inherited as ignored (nohup) is not raised: exit 128+N instead.
    let kill_self =
        "import os,signal; signal.signal(signal.SIGINT, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGINT)";
    let mut cmd = portfix();
    cmd.args(["--", "python3", "-c", kill_self]).stdin(Stdio::null());
    // SAFETY: between fork and exec; signal(2) is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut p = spawn(&mut cmd);
    let status = p.wait_for_exit(Duration::from_secs(10)).expect("portfix ends");
    assert_eq!((status.code(), died_of(status)), (Some(130), None));
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
    assert_eq!(p.wait_for_exit(Duration::from_secs(30)).map(harness::shell_status), Some(0));
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
    let left = poll(Duration::from_secs(30), || tree.iter().all(|&pid| gone(pid)).then_some(()));
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
    let ended = poll(Duration::from_secs(30), || tree.iter().all(|&pid| gone(pid)).then_some(()));
    let alive: Vec<_> = tree.iter().filter(|&&pid| !gone(pid)).collect();
    assert!(ended.is_some(), "left running after portfix was killed: {alive:?}");
}

/// SIGKILL to portfix's whole process group (`kill -9 -PGID`, `timeout -s KILL`, a harness
/// that ends a job): the watchdog is in a group of its own, so it survives to end the command's
/// group, grandchildren included (the direct child alone would go by PDEATHSIG).
#[test]
fn portfix_killed_with_its_whole_group_still_takes_the_tree_with_it() {
    let (_dir, p, node) = npm_tree();
    let tree = descendants(p.pid());
    assert!(tree.contains(&node));
    // SAFETY: kill(2) on the process group this test made for portfix (harness::spawn).
    unsafe {
        libc::kill(-(p.pid() as i32), libc::SIGKILL);
    }
    let ended = poll(Duration::from_secs(30), || tree.iter().all(|&pid| gone(pid)).then_some(()));
    let alive: Vec<_> = tree.iter().filter(|&&pid| !gone(pid)).collect();
    assert!(ended.is_some(), "left running after portfix's group was killed: {alive:?}");
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
    let status = p.wait_for_exit(Duration::from_secs(30)).expect("portfix ends");
    assert_eq!(harness::shell_status(status), 143);
    assert_eq!(died_of(status), Some(libc::SIGTERM), "the command's death passed on: {status:?}");
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
    let status = p.wait_for_exit(Duration::from_secs(30)).expect("portfix ends");
    assert_eq!(harness::shell_status(status), 137, "SIGKILLed after the grace");
    assert!(start.elapsed() >= Duration::from_millis(300), "the grace was given"); // a lower bound: load cannot break it
    assert!(poll(Duration::from_secs(30), || tree.iter().all(|&pid| gone(pid)).then_some(())).is_some());
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
    let status = p.wait_for_exit(Duration::from_secs(30)).expect("portfix does not wait 300 s");
    assert_eq!(status.code(), Some(0));
    assert!(
        poll(Duration::from_secs(30), || gone(orphan).then_some(())).is_some(),
        "sleep {orphan} left running"
    );
}

/// Runs portfix (`args`) under a Python subreaper that waits for portfix alone and then lists
/// every process that is still its child. Whatever portfix leaves behind at its exit (the
/// watchdog, an orphan of the command), alive or a zombie nobody reaped, is re-parented to the
/// subreaper before portfix's exit status can be collected, so it is always seen here: the
/// check is deterministic, not a race. With `term`, portfix gets SIGTERM once the command
/// printed "ready". Returns the status as a shell shows it and what was left.
fn left_behind(term: bool, args: &[&str]) -> (i32, String) {
    const SUBREAPER: &str = r#"
import ctypes, os, signal, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
if sys.argv[1] == "term":
    assert p.stdout.readline() == b"ready\n"
    p.send_signal(signal.SIGTERM)
code = p.wait()
left = []
for e in os.listdir("/proc"):
    try:
        st = open(f"/proc/{e}/stat", "rb").read()
    except OSError:
        continue
    f = st[st.rindex(b")") + 2 :].split()
    if int(f[1]) == os.getpid():
        left.append(f"{e} {f[0].decode()} {st[st.index(b'(') + 1 : st.rindex(b')')].decode()}")
print(code if code >= 0 else 128 - code, ", ".join(left) or "none", flush=True)
"#;
    let mut p = spawn(
        Command::new("python3")
            .args(["-c", SUBREAPER, if term { "term" } else { "exit" }, env!("CARGO_BIN_EXE_portfix")])
            .args(args)
            .env_remove("CI")
            .env_remove("PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let line = read_first_line(&mut p);
    p.wait_for_exit(Duration::from_secs(10)).expect("the subreaper ends");
    let (code, left) = line.split_once(' ').expect("status and what was left");
    (code.parse().expect("a status"), left.to_string())
}

#[test]
fn nothing_of_portfix_outlives_it_not_even_the_watchdog() {
    // Without the stand-down, the watchdog (forked by portfix) ends only after portfix is gone:
    // a parent waiting for portfix would find it still there (a process manager, a benchmark).
    let (code, left) = left_behind(false, &["--", "true"]);
    assert_eq!((code, left.as_str()), (0, "none"), "after `portfix -- true`");
    let (code, left) = left_behind(false, &["--", "sh", "-c", "exit 7"]);
    assert_eq!((code, left.as_str()), (7, "none"), "after a failing command");
    let (code, left) = left_behind(true, &["--", "sh", "-c", "echo ready; exec sleep 300"]);
    assert_eq!((code, left.as_str()), (143, "none"), "after a SIGTERM to portfix");
    let (code, left) = left_behind(false, &["-p", "0", "--", "true"]);
    assert_eq!((code, left.as_str()), (2, "none"), "after a usage error");
}

mod at_a_terminal {
    use super::*;
    use expectrl::process::unix::WaitStatus;
    use expectrl::session::OsSession as Session;
    use expectrl::{ControlCode, Eof, Expect};

    fn session(args: &[&str]) -> Session {
        let mut cmd = portfix();
        cmd.args(args);
        harness::pty_session(cmd)
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
    fn the_prompt_names_the_holder_and_enter_moves_to_the_named_port() {
        let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
        let w = wanted.to_string();
        let mut s =
            session(&["-p", &w, "--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]);
        s.expect(format!("port {wanted} is in use by:")).unwrap();
        s.expect(format!("pid {}", holder.pid())).unwrap();
        s.expect("command").unwrap();
        s.expect("cwd").unwrap();
        s.expect("user").unwrap();
        s.expect("started").unwrap();
        // a holder the test started (same user, not an earlier run): stopping is offered, moving
        // is recommended
        s.expect(format!("stop it and use port {wanted}")).unwrap();
        let next = s.expect(expectrl::Regex(r"use port (\d+) \(the next free one\)")).unwrap();
        let next: u16 = std::str::from_utf8(next.get(1).unwrap()).unwrap().parse().unwrap();
        s.expect("abort").unwrap();
        s.send("\r").unwrap(); // Enter: the highlighted default
        s.expect(format!("is listening on http://127.0.0.1:{next} (pid ")).unwrap();
        let reply = http_get(next).expect("the server answers on the port the prompt named");
        assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
        assert!(holder.try_status().is_none(), "moving left the holder alone");
        // Ctrl-C reaches the server, which ends as it would without portfix (http.server
        // exits 0 on a KeyboardInterrupt)
        s.send(ControlCode::EndOfText).unwrap();
        s.expect("Keyboard interrupt received").unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 0)));
    }

    #[test]
    fn another_port_is_asked_again_until_a_usable_one_is_typed() {
        // Fixed ports in a private network namespace: 8000 held, 8100 typed.
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("holder.pid");
        let script = format!(
            "python3 {} 8000 {pid} & while [ ! -s {pid} ]; do sleep 0.01; done; \
             $PORTFIX -p 8000 -- python3 -m http.server {{port}} --bind 127.0.0.1; code=$?; kill $(cat {pid}); exit $code",
            servers().join("hold.py").display(),
            pid = pidfile.display()
        );
        let mut s = harness::pty_session(in_netns(&script));
        s.expect("port 8000 is in use by:").unwrap();
        s.expect("another port").unwrap();
        s.expect("abort").unwrap();
        // the default is "use port 8001"; one down is "another port"
        s.send("\x1b[B").unwrap();
        s.send("\r").unwrap();
        s.expect("port").unwrap();
        for (typed, says) in [
            ("0", "port 0 means 'any port'"),
            ("abc", "'abc' is not a port"),
            ("8000", "port 8000 is in use too"),
        ] {
            s.send(typed).unwrap();
            s.send("\r").unwrap();
            s.expect(says).unwrap();
        }
        s.send("8100\r").unwrap();
        s.expect("is listening on http://127.0.0.1:8100 (pid ").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        s.expect("Keyboard interrupt received").unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 0)));
    }

    #[test]
    fn stop_it_frees_the_port_and_the_server_starts_there() {
        let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
        let w = wanted.to_string();
        let mut s =
            session(&["-p", &w, "--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]);
        s.expect(format!("pid {}", holder.pid())).unwrap();
        s.expect(format!("stop it and use port {wanted}")).unwrap();
        s.expect("abort").unwrap();
        s.send("\x1b[A").unwrap(); // up from the recommended move: "stop it"
        s.send("\r").unwrap();
        s.expect(format!("stopped pid {} (python3): port {wanted} is free", holder.pid())).unwrap();
        s.expect(format!("is listening on http://127.0.0.1:{wanted} (pid ")).unwrap();
        assert!(holder.try_status().is_some(), "the holder was stopped");
        let reply = http_get(wanted).expect("the server answers on the freed port");
        assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
        s.send(ControlCode::EndOfText).unwrap();
        s.expect(Eof).unwrap();
    }

    /// Issue 10 item 3: at a terminal, `--kill` on another user's holder asks first, as
    /// `portfix kill` does; a no leaves it running (exit 3).
    #[test]
    fn kill_at_a_terminal_asks_before_stopping_another_users_holder() {
        let (mut holder, port) = nobodys_listener();
        let p = port.to_string();
        let mut s = session(&["--kill", "-p", &p, "--", "true"]);
        s.expect("belongs to another user (nobody)").unwrap();
        s.expect(format!("to free port {port}?").as_str()).unwrap();
        s.send("n").unwrap();
        s.expect("not stopped").unwrap();
        s.expect(Eof).unwrap();
        assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 3)));
        assert!(holder.try_status().is_none(), "declined, yet the holder was stopped");
    }

    #[test]
    fn an_earlier_run_of_the_same_command_is_named_and_one_down_stops_it() {
        // In a private network namespace (fixed port 8000): the same command, in the same
        // directory, started earlier and still holding the port (bounded by `timeout`).
        let dir = tempfile::tempdir().unwrap();
        let wait = "import socket,time\nwhile True:\n try:\n  socket.create_connection(('127.0.0.1',8000)); break\n except OSError:\n  time.sleep(0.01)";
        let script = format!(
            "cd {}; timeout 60 python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 & \
             python3 -c \"{wait}\"; exec $PORTFIX -- python3 -m http.server 8000 --bind 127.0.0.1",
            dir.path().display()
        );
        let mut s = Session::spawn(in_netns(&script)).expect("spawn on a pty");
        s.set_expect_timeout(Some(Duration::from_secs(60)));
        s.expect("port 8000 is in use by:").unwrap();
        s.expect("(an earlier run of this same command)").unwrap();
        s.expect("abort").unwrap();
        // The default is to use it (tests/cli/reuse.rs); one down, what -y recommends: stop it.
        s.send("\x1b[B").unwrap();
        s.send("\r").unwrap();
        s.expect("port 8000 is free").unwrap();
        s.expect("is listening on http://127.0.0.1:8000 (pid ").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        s.expect(Eof).unwrap();
    }

    #[test]
    fn ctrl_c_at_the_prompt_gives_the_cursor_back_and_ends_as_by_sigint() {
        let (_holder, wanted) = harness::python_listener("127.0.0.1", 0);
        let w = wanted.to_string();
        let mut s = session(&["-p", &w, "--", "python3", "-m", "http.server", "{port}"]);
        s.expect("abort").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        // everything portfix wrote after the menu: the cursor shown again, then its end
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut rest);
        let rest = String::from_utf8_lossy(&rest).into_owned();
        assert!(rest.contains("\x1b[?25h"), "the cursor is shown again: {rest:?}");
        let status = s.get_process().wait().unwrap();
        assert!(
            matches!(status, WaitStatus::Signaled(_, expectrl::process::unix::Signal::SIGINT, _)),
            "130 for a shell, as Ctrl-C ends a program: {status:?} {rest:?}"
        );
    }

    #[test]
    fn ctrl_c_ends_the_command_and_portfix_exits_130() {
        let mut s =
            session(&["--", "python3", "-c", "import time; print('ready', flush=True); time.sleep(300)"]);
        s.expect("ready").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        s.expect(Eof).unwrap();
        // 130 for a shell: portfix died of the SIGINT that ended the command (see
        // `a_signal_death_is_passed_on_as_one`)
        let status = s.get_process().wait().unwrap();
        assert!(
            matches!(status, WaitStatus::Signaled(_, expectrl::process::unix::Signal::SIGINT, _)),
            "{status:?}"
        );
    }
}

/// A shell script run in a private network namespace (fixed ports allowed there), with the
/// portfix binary as `$PORTFIX`.
pub(crate) fn in_netns(script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &format!("ip link set lo up; {script}")])
        .env("PORTFIX", env!("CARGO_BIN_EXE_portfix"))
        .env("PATH", harness::test_path())
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
        .strip_prefix("portfix: python3 -m http.server 8000 --bind 127.0.0.1 is listening on http://127.0.0.1:8000 (pid ")
        .and_then(|s| s.strip_suffix(')'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected: {line}"));
    assert!(descendants(p.pid()).contains(&pid), "pid {pid} is the command's");
}

#[test]
fn a_listener_outside_the_command_is_not_taken_for_it() {
    // 8000 is free at the pre-flight; then a process outside the command's tree (setsid) listens
    // there and the command itself never does: no confirmation may be printed.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("holder.pid");
    let command =
        "setsid python3 \"$0\" 8000 \"$1\" & while [ ! -s \"$1\" ]; do sleep 0.01; done; sleep 1; echo done";
    let mut cmd = in_netns(&format!(
        "$PORTFIX -p 8000 -- sh -c '{command}' {} {}; code=$?; kill $(cat {}); exit $code",
        servers().join("hold.py").display(),
        pidfile.display(),
        pidfile.display()
    ));
    let r = harness::run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("done"), "{}", r.stdout);
    assert!(!r.stderr.contains("is listening"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Conflicts: found before the launch or in the output, resolved, relaunched.

/// portfix started in the background with its stderr in a file (read once it has ended).
struct Wrapped {
    proc: Proc,
    stderr: tempfile::NamedTempFile,
}

impl Wrapped {
    fn start(cmd: &mut Command) -> Wrapped {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let proc = spawn(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(stderr.reopen().unwrap()));
        Wrapped { proc, stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    /// Ends portfix (and with it the command) with SIGTERM and returns what it printed on stderr.
    fn end(mut self) -> String {
        signal(self.proc.pid(), libc::SIGTERM);
        self.proc.wait_for_exit(Duration::from_secs(30)).expect("portfix ends on SIGTERM");
        self.stderr()
    }
}

/// The port written to a `--port-file`, once it is there.
fn port_file(path: &Path, limit: Duration) -> Option<u16> {
    poll(limit, || std::fs::read_to_string(path).ok().and_then(|s| s.strip_suffix('\n')?.parse().ok()))
}

/// An HTTP GET of / on 127.0.0.1:port: the whole response, or `None` when nothing answers.
fn http_get(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn server(name: &str) -> String {
    servers().join(name).to_str().unwrap().to_string()
}

/// `portfix -p WANTED --next --port-file FILE -- python3 -m http.server {port} --bind 127.0.0.1`.
fn http_server_next(wanted: u16, file: &Path) -> Wrapped {
    Wrapped::start(portfix().args(["-p", &wanted.to_string(), "--next", "--port-file"]).arg(file).args([
        "--",
        "python3",
        "-m",
        "http.server",
        "{port}",
        "--bind",
        "127.0.0.1",
    ]))
}

/// How many times a test server started (each start prints `starting PID on PORT`).
fn starts(stdout: &str) -> usize {
    stdout.lines().filter(|l| l.starts_with("starting ")).count()
}

#[test]
fn python_http_server_moves_to_the_next_free_port_and_answers_there() {
    let (held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let p = http_server_next(wanted, &file);
    let port =
        port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_ne!(port, wanted, "the held port is not handed out");
    let reply = http_get(port).expect("the server answers on the port in the port file");
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    let err = p.end();
    let me = std::process::id();
    assert!(err.contains(&format!("port {wanted} is held by pid {me} ")), "names the holder: {err}");
    assert!(err.contains(&format!("using port {port}")), "{err}");
    // the command as launched (its `{port}` filled in), and the port it really listens on
    let said = format!(
        "python3 -m http.server {port} --bind 127.0.0.1 is listening on http://127.0.0.1:{port} (pid "
    );
    assert!(err.contains(&said), "{err}");
    // the holder was left alone
    assert_eq!(held.local_addr().unwrap().port(), wanted);
    assert!(std::net::TcpStream::connect(("127.0.0.1", wanted)).is_ok());
}

#[test]
fn a_node_server_reading_port_is_started_on_the_next_free_port() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let mut p = Wrapped::start(
        portfix().env("PORT", wanted.to_string()).args(["--next", "--port-file"]).arg(&file).args([
            "--",
            "node",
            &server("port-env.js"),
        ]),
    );
    let port =
        port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_ne!(port, wanted);
    let reply = http_get(port).expect("answers");
    assert!(reply.ends_with(&format!("ok {port}\n")), "it got the port through $PORT: {reply}");
    let out = p.proc.child.stdout.take().unwrap();
    let err = p.end();
    let mut stdout = String::new();
    std::io::BufReader::new(out).read_to_string(&mut stdout).unwrap();
    assert_eq!(starts(&stdout), 1, "resolved before the launch, no failed start: {stdout}\n{err}");
}

#[test]
fn a_server_with_a_hard_coded_port_is_not_relaunched_in_a_loop() {
    let (_held, wanted) = harness::listen_v4();
    // The port reaches the script in a form portfix does not read: only the output names it.
    let r = harness::run(
        portfix()
            .args(["--next", "--retries", "5", "--", "node", &server("hard-port.js")])
            .arg(wanted.to_string()),
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(starts(&r.stdout), 2, "started once, relaunched once, then given up: {}", r.stdout);
    assert!(r.stderr.contains("ignores the port portfix gives it"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("it failed on port {wanted} again")), "{}", r.stderr);
    assert!(
        r.stderr.contains("{port}") && r.stderr.contains("--env NAME"),
        "says how to fix it: {}",
        r.stderr
    );
}

/// Issue 11 item 3: a failure that names no port (Python's `[Errno 98]`), from a command whose
/// port portfix cannot read (it comes from `$APP_LISTEN`), is attributed to the port the
/// command announced it was binding, because that port is held: `--next` moves it through PORT.
#[test]
fn a_portless_failure_is_put_on_the_port_the_command_announced() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let p = Wrapped::start(
        portfix()
            .env("APP_LISTEN", wanted.to_string())
            .current_dir(dir.path())
            .args(["--next", "--port-file"])
            .arg(&file)
            .args(["--", "python3", &server("announces.py")]),
    );
    let port =
        port_file(&file, Duration::from_secs(30)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_ne!(port, wanted);
    assert_eq!(http_get(port).map(|r| r.starts_with("HTTP/1.0 200")), Some(true));
    let err = p.end();
    assert!(err.contains(&format!("it said it was starting on port {wanted}, which is held")), "{err}");
    assert!(!err.contains("did not say which\n"), "{err}");
}

#[test]
fn a_server_that_keeps_retrying_is_stopped_and_relaunched_on_the_next_port() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let mut p = Wrapped::start(portfix().args(["--next", "--port-file"]).arg(&file).args([
        "--",
        "python3",
        &server("retrying.py"),
        &wanted.to_string(),
    ]));
    let port =
        port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_ne!(port, wanted);
    assert_eq!(http_get(port).map(|r| r.ends_with(&format!("ok {port}\n"))), Some(true));
    let out = p.proc.child.stdout.take().unwrap();
    let err = p.end();
    let mut stdout = String::new();
    std::io::BufReader::new(out).read_to_string(&mut stdout).unwrap();
    // the first instance, stuck retrying, was stopped: not left running beside the second
    let first: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("starting ")?.strip_suffix(&format!(" on {wanted}"))?.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(gone(first), "the retrying instance {first} is gone");
    assert!(
        err.contains(&format!("could not listen on port {wanted}: it keeps running: stopping it")),
        "{err}"
    );
}

#[test]
fn a_failure_seen_only_in_the_output_is_resolved() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    // No port known in advance: port-env.js takes it from an argument portfix does not read,
    // and from $PORT once portfix sets it.
    let p = Wrapped::start(portfix().args(["--next", "--port-file"]).arg(&file).args([
        "--",
        "node",
        &server("port-env.js"),
        &wanted.to_string(),
    ]));
    let port =
        port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_ne!(port, wanted);
    assert_eq!(http_get(port).map(|r| r.ends_with(&format!("ok {port}\n"))), Some(true));
    let err = p.end();
    assert!(err.contains("EADDRINUSE"), "node's own error was relayed: {err}");
    assert!(err.contains(&format!("port {wanted} is held by pid {}", std::process::id())), "{err}");
}

#[test]
fn in_ci_off_a_terminal_a_conflict_is_refused_and_the_holder_left_alone() {
    let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let r = harness::run(portfix().env("CI", "true").args(["-p", &wanted.to_string(), "--"]).args([
        "python3",
        "-m",
        "http.server",
        "{port}",
        "--bind",
        "127.0.0.1",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("pid {}", holder.pid())), "names the holder: {}", r.stderr);
    assert!(r.stderr.contains("python3"), "{}", r.stderr);
    assert!(r.stderr.contains("not asking: CI is set"), "the reason: {}", r.stderr);
    assert!(
        r.stderr.contains("--next") && r.stderr.contains("re-run with"),
        "the flags to re-run with: {}",
        r.stderr
    );
    assert!(!r.stdout.contains("Serving HTTP"), "the command was not started: {}", r.stdout);
    assert!(holder.try_status().is_none(), "the holder still runs");
    assert!(std::net::TcpStream::connect(("127.0.0.1", wanted)).is_ok(), "and still listens");
}

#[test]
fn a_quick_failure_while_its_port_is_held_is_a_conflict_even_unrecognised() {
    // 8000 is free at the pre-flight; the command's first run has a process outside its tree
    // (setsid) take it, then exits 1 saying nothing portfix recognises. The second run (on
    // another port) comes up.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("holder.pid");
    let command = "if [ \"$PORT\" = 8000 ]; then setsid python3 \"$0\" 8000 \"$1\" & \
                   while [ ! -s \"$1\" ]; do sleep 0.01; done; echo 'cannot start' >&2; exit 1; fi; \
                   echo \"up on $PORT\"";
    let script = format!(
        "$PORTFIX --next -p 8000 -- sh -c '{}' {} {}; code=$?; kill $(cat {}); exit $code",
        command.replace('\'', "'\\''"),
        server("hold.py"),
        pidfile.display(),
        pidfile.display()
    );
    let r = harness::run(&mut in_netns(&script));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "up on 8001", "{}", r.stderr);
    assert!(
        r.stderr.contains("exited with status 1 right after its start, and port 8000 is held"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("using port 8001"), "{}", r.stderr);
}

#[test]
fn with_next_a_server_that_moves_by_itself_stays_where_it_went() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let mut p = Wrapped::start(portfix().args(["--next", "--port-file"]).arg(&file).args([
        "--",
        "node",
        &server("moves.js"),
        &wanted.to_string(),
    ]));
    let port =
        port_file(&file, Duration::from_secs(30)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    let out = p.proc.child.stdout.take().unwrap();
    let mut first = String::new();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(out);
    lines.read_line(&mut first).unwrap();
    assert_eq!(first.trim(), format!("Port {wanted} is in use, trying another one..."));
    let mut local = String::new();
    lines.read_line(&mut local).unwrap();
    assert!(
        local.contains(&format!("http://localhost:{port}/")),
        "the port from the socket table is the one it took: {local}"
    );
    assert!(p.proc.try_status().is_none(), "not stopped: it is up");
    assert_eq!(http_get(port).map(|r| r.ends_with("ok\n")), Some(true));
    let err = p.end();
    let me = std::process::id();
    assert!(
        err.contains(&format!("moved to another port by itself ({wanted} is in use by pid {me} ")),
        "the move is said, with who holds the port it left: {err}"
    );
    assert!(err.contains("keeping it there (--next)"), "{err}");
    assert!(err.contains(&format!("is listening on http://127.0.0.1:{port} (pid ")), "{err}");
}

#[test]
fn off_a_terminal_a_server_that_moves_by_itself_is_a_conflict() {
    // No policy and no terminal: the move is not let pass (the server would drift to a port
    // nobody asked for): exit 3 naming the holder of the port it left, the server stopped.
    let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let mut p = spawn(
        portfix()
            .args(["--", "node", &server("moves.js"), &wanted.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let status = p.wait_for_exit(Duration::from_secs(60)).expect("portfix ends");
    let mut err = String::new();
    use std::io::Read;
    p.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(harness::shell_status(status), 3, "{err}");
    assert!(
        err.contains(&format!("moved to another port by itself because port {wanted} is in use")),
        "{err}"
    );
    assert!(
        err.contains(&format!("port {wanted} is held by pid {}", holder.pid())),
        "the holder named: {err}"
    );
    assert!(holder.try_status().is_none(), "the holder is left alone");
    let mine = |pid: u32| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
            let c = String::from_utf8_lossy(&c);
            c.contains("moves.js") && c.contains(&wanted.to_string())
        }) && !gone(pid)
    };
    let left = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|&p| mine(p))
    };
    assert!(
        poll(Duration::from_secs(30), || left().is_none().then_some(())).is_some(),
        "nothing of the command is left"
    );
}

#[test]
fn kill_stops_the_holder_of_the_port_a_server_moved_away_from_and_starts_it_there() {
    let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let p = Wrapped::start(portfix().args(["--kill", "--port-file"]).arg(&file).args([
        "--",
        "node",
        &server("moves.js"),
        &wanted.to_string(),
    ]));
    let port =
        port_file(&file, Duration::from_secs(30)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_eq!(port, wanted, "started again on the port it had left, now freed");
    assert!(holder.wait_for_exit(Duration::from_secs(30)).is_some(), "the holder was stopped");
    assert_eq!(http_get(port).map(|r| r.ends_with("ok\n")), Some(true));
    let err = p.end();
    assert!(err.contains(&format!("because port {wanted} is in use: stopping it")), "{err}");
    assert!(err.contains(&format!("is listening on http://127.0.0.1:{wanted} (pid ")), "{err}");
}

#[test]
fn a_command_given_no_port_is_said_where_it_listens() {
    // Nothing portfix knows, no port anywhere in the command: the socket table tells.
    let code = "require('http').createServer((q, r) => r.end('ok\\n')).listen(0, '127.0.0.1')";
    let p = Wrapped::start(portfix().args(["--", "node", "-e", code]));
    let line = poll(Duration::from_secs(30), || {
        p.stderr().lines().find(|l| l.contains("is listening on")).map(String::from)
    })
    .unwrap_or_else(|| panic!("no listening line: {}", p.stderr()));
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a port in: {line}"));
    assert_eq!(http_get(port).map(|r| r.ends_with("ok\n")), Some(true), "{line}");
    p.end();
}

/// `portfix ARGS -p 8000 -- sh -c '…'` in a private namespace, where the command first puts a
/// holder on 8000 outside its own tree (setsid), so that the pre-flight found 8000 free, and then
/// runs a server that moves away from `$PORT` without a word: only the socket table shows the
/// move. `then` runs beside portfix (`$pf` its pid, `$ERR` the file its stderr goes to).
fn silent_move(args: &str, then: &str) -> harness::Run {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("holder.pid");
    let command = format!(
        "setsid python3 {} 8000 {} & while [ ! -s {} ]; do sleep 0.01; done; exec node {}",
        servers().join("hold.py").display(),
        pidfile.display(),
        pidfile.display(),
        server("moves-silently.js")
    );
    let script = format!(
        "ERR={err}; $PORTFIX {args} -p 8000 -- sh -c '{command}' 2>$ERR </dev/null & pf=$!; {then}; \
         wait $pf; code=$?; kill $(cat {pid}); cat $ERR >&2; exit $code",
        err = dir.path().join("err").display(),
        pid = pidfile.display()
    );
    harness::run(&mut in_netns(&script))
}

#[test]
fn deno_serve_gets_its_port_flag_before_the_script() {
    // `deno serve serve.ts --port N` would hand --port to the script and serve on 8000: the flag
    // must come before the script. 8000 (its default) is held; --next moves it.
    harness::need_tool("deno");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("serve.ts"),
        "export default { fetch() { return new Response('deno ok\\n'); } };\n",
    )
    .unwrap();
    let (d, hold) = (dir.path().display(), servers().join("hold.py"));
    let script = format!(
        "cd {d}; python3 {hold} 8000 {d}/holder.pid & while [ ! -s {d}/holder.pid ]; do sleep 0.01; done; \
         DENO_NO_UPDATE_CHECK=1 $PORTFIX --next --port-file {d}/port -- deno serve serve.ts 2>{d}/err & pf=$!; \
         i=0; until [ -s {d}/port ] || [ $i -ge 6000 ]; do sleep 0.01; i=$((i+1)); done; \
         port=$(cat {d}/port); python3 -c \"import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:'+sys.argv[1]).read().decode().strip())\" $port; \
         pid=$(sed -n 's/.*is listening on .* (pid \\([0-9]*\\)).*/\\1/p' {d}/err); tr '\\0' ' ' </proc/$pid/cmdline; echo; \
         kill $pf; wait $pf; kill $(cat {d}/holder.pid); cat {d}/err >&2",
        hold = hold.display()
    );
    let r = harness::run(&mut in_netns(&script));
    let mut lines = r.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("deno ok"),
        "deno answered on the port it was given: {}{}",
        r.stdout,
        r.stderr
    );
    let port = std::fs::read_to_string(dir.path().join("port")).unwrap().trim().to_string();
    assert_ne!(port, "8000", "{}", r.stderr);
    let cmdline = lines.next().unwrap_or_default();
    assert!(
        cmdline.contains(&format!("serve --port {port} serve.ts")),
        "the flag before the script: {cmdline}\n{}",
        r.stderr
    );
}

#[test]
fn with_next_a_silent_move_is_seen_in_the_socket_table() {
    // Bounded wait (60 s) for the listening line, then portfix is ended by its pid.
    let wait = "i=0; until grep -q 'is listening' $ERR || [ $i -ge 6000 ]; do sleep 0.01; i=$((i+1)); done; kill $pf";
    let r = silent_move("--next", wait);
    assert!(
        r.stderr.contains("moved to another port ") && r.stderr.contains("by itself (8000 is in use by pid "),
        "the move seen, with who holds 8000: {}",
        r.stderr
    );
    let port = r
        .stderr
        .split("is listening on http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<u16>().ok());
    assert!(port.is_some_and(|p| p != 8000), "listening where it went: {}", r.stderr);
}

#[test]
fn off_a_terminal_a_silent_move_is_a_conflict() {
    let r = silent_move("", "true");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("because port 8000 is in use: stopping it"), "{}", r.stderr);
    assert!(r.stderr.contains("port 8000 is held by pid "), "the holder named: {}", r.stderr);
    assert!(!r.stderr.contains("is listening"), "{}", r.stderr);
}

#[test]
fn kill_stops_the_holder_and_starts_the_command_on_its_port() {
    let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let p = Wrapped::start(
        portfix().args(["--kill", "-p", &wanted.to_string(), "--port-file"]).arg(&file).args([
            "--",
            "node",
            &server("port-env.js"),
        ]),
    );
    let port =
        port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("no port file: {}", p.stderr()));
    assert_eq!(port, wanted, "the freed port itself");
    assert!(holder.wait_for_exit(Duration::from_secs(30)).is_some(), "the holder was stopped");
    assert_eq!(http_get(port).map(|r| r.ends_with(&format!("ok {port}\n"))), Some(true));
    let err = p.end();
    assert!(
        err.contains(&format!("port {wanted} is held by pid {} (python3); stopping it", holder.pid())),
        "{err}"
    );
}

#[test]
fn retries_bound_the_relaunches() {
    // Fails on whatever port it is given, naming it; nobody holds it, so portfix tries again,
    // at most --retries times.
    let command =
        "echo start; echo \"Error: listen EADDRINUSE: address already in use 127.0.0.1:$PORT\" >&2; exit 1";
    let r = harness::run(&mut in_netns(&format!("$PORTFIX --next --retries 2 -p 8000 -- sh -c '{command}'")));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout.matches("start").count(), 3, "the launch and 2 relaunches: {}", r.stdout);
    assert!(r.stderr.contains("still fails to bind on port 8000 after 2 relaunches"), "{}", r.stderr);
}

#[test]
fn a_port_hard_coded_in_a_package_script_is_moved_once_and_not_looped() {
    // `npm run dev` runs `python3 -m http.server ... 8000`: the pre-flight finds 8000 held and
    // moves, but the script keeps its 8000. One failed start, then the fix; never a second start.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name":"t","version":"1.0.0","scripts":{"dev":"python3 -m http.server --bind 127.0.0.1 8000"}}"#,
    )
    .unwrap();
    let pidfile = dir.path().join("holder.pid");
    let script = format!(
        "cd {d}; python3 {hold} 8000 {pid} & while [ ! -s {pid} ]; do sleep 0.01; done; \
         $PORTFIX --next -- npm run dev; code=$?; kill $(cat {pid}); exit $code",
        d = dir.path().display(),
        hold = servers().join("hold.py").display(),
        pid = pidfile.display()
    );
    let r = harness::run(in_netns(&script).env("npm_config_update_notifier", "false"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("port 8000 is held by pid"), "{}", r.stderr);
    assert_eq!(r.stdout.matches("> python3 -m http.server").count(), 1, "one start only: {}", r.stdout);
    assert!(r.stderr.contains("ignores the port portfix gives it: started on 8001"), "{}", r.stderr);
}

#[test]
fn a_placeholder_without_a_known_port_gets_the_first_free_one() {
    // In a private network namespace: 3000 is held, so `{port}` becomes 3001; $PORT carries it.
    let dir = tempfile::tempdir().unwrap();
    let pid = dir.path().join("holder.pid");
    let script = format!(
        "python3 {hold} 3000 {pid} & while [ ! -s {pid} ]; do sleep 0.01; done; \
         $PORTFIX -- sh -c 'echo \"arg $0 env $PORT\"' {{port}}; code=$?; kill $(cat {pid}); exit $code",
        hold = servers().join("hold.py").display(),
        pid = pid.display()
    );
    let r = harness::run(&mut in_netns(&script));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "arg 3001 env 3001", "{}", r.stderr);
}

/// A python3 holder of 127.0.0.1 (port from the OS) run as `nobody`; prints its port.
fn nobodys_listener() -> (Proc, u16) {
    let code = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)\n";
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", code])
        .stdout(Stdio::piped());
    let mut p = spawn(&mut cmd);
    let port = read_first_line(&mut p).parse().expect("the holder prints its port");
    (p, port)
}

/// Issue 10 item 3: `--kill` off a terminal keeps `portfix kill`'s rules: another user's
/// process is not stopped without `-y` (exit 4, the reason and the flag to confirm with).
#[test]
fn kill_off_a_terminal_refuses_another_users_holder_without_yes() {
    let (mut holder, port) = nobodys_listener();
    let p = port.to_string();
    let r = harness::run(portfix().args(["--kill", "-p", &p, "--", "true"]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("belongs to another user (nobody)"), "{}", r.stderr);
    assert!(r.stderr.contains("-y"), "{}", r.stderr);
    assert!(holder.try_status().is_none(), "refused, yet the holder was stopped: {}", r.stderr);
    let r = harness::run(portfix().args(["-y", "--kill", "-p", &p, "--", "true"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(holder.wait_for_exit(Duration::from_secs(20)).is_some(), "{}", r.stderr);
}

/// Issue 10 item 7: with `--kill`, the command is started only once every process portfix
/// signalled has exited, not as soon as the port is free (gunicorn's master closes its socket at
/// once and exits later).
#[test]
fn kill_relaunches_only_once_the_stopped_holder_has_exited() {
    let code = "import signal,socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\n\
                def term(*_):\n    s.close()\n    time.sleep(3)\n    sys.exit(0)\n\
                signal.signal(signal.SIGTERM, term)\nprint(s.getsockname()[1],flush=True)\n\
                while True:\n    time.sleep(1)\n";
    let mut holder = spawn(Command::new("python3").args(["-c", code]).stdout(Stdio::piped()));
    let port = read_first_line(&mut holder);
    let check = format!(
        "s=$(cut -d' ' -f3 /proc/{}/stat 2>/dev/null); if [ -z \"$s\" ] || [ \"$s\" = Z ]; then echo gone; else echo alive; fi",
        holder.pid()
    );
    let r = harness::run(portfix().args(["--kill", "--grace", "20s", "-p", &port, "--", "sh", "-c", &check]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "gone", "the command started while the holder still ran: {}", r.stderr);
}

/// `npm start` over a script that already passes the port on by a variable (`$PORT`, `${PORT}`,
/// an `--env` name): with its port held, it is moved, gets the port through the variable alone
/// (no second port appended) and answers there.
#[test]
fn a_package_script_that_passes_the_port_by_variable_is_moved_through_it_alone() {
    let cases: &[(&str, &[&str])] = &[
        ("python3 -m http.server $PORT --bind 127.0.0.1", &[]),
        ("python3 -m http.server ${PORT} --bind 127.0.0.1", &[]),
        ("python3 -m http.server --bind 127.0.0.1 \"$APP_PORT\"", &["--env", "APP_PORT"]),
    ];
    for (script, flags) in cases {
        let (_held, wanted) = harness::listen_v4();
        let dir = tempfile::tempdir().unwrap();
        let json = serde_json::json!({ "name": "t", "version": "1.0.0", "scripts": { "start": script } });
        std::fs::write(dir.path().join("package.json"), json.to_string()).unwrap();
        let file = dir.path().join("port");
        let p = Wrapped::start(
            portfix()
                .current_dir(dir.path())
                .env("npm_config_update_notifier", "false")
                .args(["-p", &wanted.to_string(), "--next", "--port-file"])
                .arg(&file)
                .args(*flags)
                .args(["--", "npm", "start"]),
        );
        let port = port_file(&file, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{script}: no port file: {}", p.stderr()));
        assert_ne!(port, wanted, "{script}");
        let reply = http_get(port).unwrap_or_else(|| panic!("{script}: nothing answers on {port}"));
        assert!(reply.starts_with("HTTP/1.0 200"), "{script}: {reply}");
        let err = p.end();
        assert!(!err.contains("unrecognized arguments"), "{script}: {err}");
        assert!(err.contains(&format!("using port {port}")), "{script}: {err}");
    }
}

/// Eight `portfix -p P --next -- python3 -m http.server {port}` started at once with P held: each
/// reserves the port it chose, so that the others pass it over; all eight end up serving, each
/// on a port of its own.
#[test]
fn concurrent_runs_moved_off_a_held_port_each_get_a_port_of_their_own() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<(Wrapped, PathBuf)> =
        (0..8)
            .map(|i| {
                let file = dir.path().join(format!("port{i}"));
                let w =
                    Wrapped::start(
                        portfix()
                            .args(["-p", &wanted.to_string(), "--next", "--port-file"])
                            .arg(&file)
                            .args(["--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]),
                    );
                (w, file)
            })
            .collect();
    let mut ports = Vec::new();
    for (w, file) in &runs {
        let port = port_file(file, Duration::from_secs(60))
            .unwrap_or_else(|| panic!("a run did not end up serving: {}", w.stderr()));
        ports.push(port);
    }
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "eight distinct ports: {ports:?}");
    assert!(!ports.contains(&wanted));
    for (mut w, _) in runs {
        assert!(w.proc.try_status().is_none(), "still running: {}", w.stderr());
        drop(w.end());
    }
    for port in ports {
        // each was served by its own run, now ended: nothing answers there any more
        let gone = poll(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err().then_some(())
        });
        assert!(gone.is_some(), "port {port} freed with its run");
    }
}

// ---------------------------------------------------------------------------------------------
// Small things, each one clear line.

#[test]
fn an_empty_command_is_a_usage_error() {
    for args in [&["--", ""][..], &["--", "", "x"]] {
        let r = harness::run(portfix().args(args));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("empty command"), "{}", r.stderr);
    }
}

#[test]
fn a_script_whose_interpreter_is_missing_names_the_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("x.sh");
    std::fs::write(&script, "#!/nonexistent/sh -e\necho hi\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = harness::run(portfix().current_dir(dir.path()).args(["--", "./x.sh"]));
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert!(r.stderr.contains("./x.sh"), "{}", r.stderr);
    assert!(r.stderr.contains("interpreter /nonexistent/sh"), "names the interpreter: {}", r.stderr);
}

#[test]
fn variables_that_would_break_the_command_are_refused_as_port_carriers() {
    for name in ["PATH", "LD_PRELOAD", "HOME", "LD_LIBRARY_PATH", "SHELL", "USER", "PWD", "IFS"] {
        let r = harness::run(portfix().args(["-p", "3000", "--env", name, "--", "true"]));
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(name), "{name}: {}", r.stderr);
        let r = harness::run(portfix().env("PORTFIX_ENV", format!("PORT,{name}")).args(["--", "true"]));
        assert_eq!(r.code, 2, "PORTFIX_ENV {name}: {}", r.stderr);
    }
}

#[test]
fn a_port_in_the_command_replaced_by_dash_p_is_said_once() {
    let (_held, free) = {
        let (l, p) = harness::listen_v4();
        (l, p)
    };
    // the command says 1 (the held port, not a server's); -p gives another, free one
    let (l, given) = harness::listen_v4();
    drop(l);
    let r = harness::run(portfix().args([
        "-p",
        &given.to_string(),
        "--",
        "sh",
        "-c",
        "echo $0",
        &format!("127.0.0.1:{free}"),
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), format!("127.0.0.1:{given}"), "{}", r.stderr);
    let said = format!("portfix: port {free} in the command replaced by {given} (-p)");
    assert_eq!(r.stderr.matches(&said).count(), 1, "{}", r.stderr);
}

#[test]
fn arguments_that_are_not_utf8_reach_the_command_unchanged() {
    use std::os::unix::ffi::OsStrExt;
    let arg = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let out =
        portfix().args(["--", "printf", "%s"]).arg(arg).stdin(Stdio::null()).output().expect("portfix runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"caf\xe9");
}

#[test]
fn the_confirmation_names_the_command_with_the_port_it_got() {
    let (_held, wanted) = harness::listen_v4();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("port");
    let p = http_server_next(wanted, &file);
    let port = port_file(&file, Duration::from_secs(20)).unwrap_or_else(|| panic!("{}", p.stderr()));
    let err = p.end();
    let said = format!(
        "python3 -m http.server {port} --bind 127.0.0.1 is listening on http://127.0.0.1:{port} (pid "
    );
    assert!(err.contains(&said), "{err}");
    assert!(!err.contains("{port} --bind"), "{err}");
}

/// Issue 11: behind a watcher, "an earlier run of this same command" is the watcher and the
/// server it restarts: `--kill` stops both (stopping the server alone leaves `node --watch` to
/// start the old app again on the next save). In a private network namespace (fixed port 4000).
#[test]
fn kill_stops_an_earlier_run_behind_a_watcher_with_its_watcher() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(servers().join("port-env.js"), dir.path().join("server.js")).unwrap();
    let d = dir.path().display();
    let wait = "import socket,time\nwhile True:\n try:\n  socket.create_connection(('127.0.0.1',4000)); break\n except OSError:\n  time.sleep(0.01)";
    let script = format!(
        "cd {d}; PORT=4000 node --watch server.js >old.log 2>&1 & echo $! >watcher.pid; \
         python3 -c \"{wait}\"; exec $PORTFIX --kill -p 4000 -- node --watch server.js"
    );
    let mut p = spawn(in_netns(&script).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()));
    let err = std::io::BufReader::new(p.child.stderr.take().unwrap());
    use std::io::BufRead;
    let mut lines = Vec::new();
    for l in err.lines().map_while(Result::ok) {
        let done = l.contains("is listening on http://127.0.0.1:4000");
        lines.push(l);
        if done {
            break;
        }
    }
    let log = lines.join("\n");
    assert!(log.contains("is listening on http://127.0.0.1:4000"), "the new run listens:\n{log}");
    assert!(log.contains("an earlier run of this same command"), "{log}");
    let watcher: u32 =
        std::fs::read_to_string(dir.path().join("watcher.pid")).unwrap().trim().parse().unwrap();
    let old = std::fs::read_to_string(dir.path().join("old.log")).unwrap();
    let server: u32 = old
        .lines()
        .find_map(|l| l.strip_prefix("starting ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("the old server's pid: {old}"));
    assert!(gone(watcher), "the old watcher (pid {watcher}) was left running:\n{log}");
    assert!(gone(server), "the old server (pid {server}) was left running:\n{log}");
    // portfix (the namespace's sh exec'd it) ends its own command's tree on SIGTERM
    signal(p.pid(), libc::SIGTERM);
    p.wait_for_exit(Duration::from_secs(30)).expect("portfix ends on SIGTERM");
}

/// Issue 13 "look once": during a wrapper conflict resolved with `--kill`, the holder's
/// `/proc/PID/cmdline` (and each parent's) is opened once: the facts that name the holder are
/// the facts the stop plan is made from. Seen with `strace -y` (fds shown with their paths).
#[test]
fn a_conflict_reads_each_holders_command_line_once() {
    harness::need_tool("strace");
    let (mut holder, port) = harness::python_listener("127.0.0.1", 0);
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let r = harness::run(
        Command::new("strace")
            .args(["-f", "-y", "-e", "trace=openat", "-o"])
            .arg(&trace)
            .arg(env!("CARGO_BIN_EXE_portfix"))
            .args(["--kill", "-p", &port.to_string(), "--", "true"])
            .env_remove("CI"),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("port ") && r.stderr.contains(" is free"), "{}", r.stderr);
    let text = std::fs::read_to_string(&trace).unwrap();
    let opens = |pid: u32| {
        text.lines()
            .filter(|l| {
                l.contains(&format!("</proc/{pid}>, \"cmdline\""))
                    || l.contains(&format!("\"/proc/{pid}/cmdline\""))
            })
            .count()
    };
    let pid = holder.pid();
    assert_eq!(opens(pid), 1, "the holder's cmdline opened once:\n{text}");
    let me = std::process::id();
    assert_eq!(opens(me), 1, "its parent's (this test's) cmdline opened once:\n{text}");
    assert!(holder.wait_for_exit(Duration::from_secs(10)).is_some(), "the holder was stopped");
}
