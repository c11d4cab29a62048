//! At a terminal the command runs on a pseudo-terminal of its own (issue 5). Each test drives
//! portfix inside an outer pseudo-terminal (expectrl), as a user's terminal would.
//!
//! The outer terminal's size is set by `stty` on its own side just before portfix starts (the
//! shell waits for "go", so the size is not raced by the harness's default 80x24).

use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession as Session;
use expectrl::{ControlCode, Eof, Expect, Regex};

use crate::harness::{poll, portfix, portfix_env, pty_session};

/// portfix with `args` in an outer pty of `cols`x`rows`. Call [`go`] to start it.
fn session(args: &[&str], cols: u16, rows: u16) -> Session {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("read go; stty cols {cols} rows {rows}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_portfix"))
        .args(args);
    portfix_env(&mut cmd).env_remove("PYTHONUNBUFFERED");
    pty_session(cmd)
}

fn go(s: &mut Session) {
    s.send_line("go").unwrap();
}

fn python(code: &str) -> Vec<&str> {
    vec!["--", "python3", "-c", code]
}

/// portfix's exit status as a shell shows it (`$?`): its code, or 128+N when it died of signal
/// N (as it does when a signal ended the command: see `os::child::die_of`).
fn exit_code(s: &mut Session) -> i32 {
    s.expect(Eof).unwrap();
    match s.get_process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, sig, _) => 128 + sig as i32,
        other => panic!("portfix did not end: {other:?}"),
    }
}

/// The outer terminal's modes, as `stty -g` shows them (read through the master: on Linux
/// the termios ioctls on a master act on its slave).
#[derive(Debug, PartialEq, Eq)]
struct Modes {
    flags: [libc::tcflag_t; 4],
    cc: Vec<libc::cc_t>,
}

fn modes(s: &Session) -> Modes {
    let master = s.get_process().get_raw_handle().unwrap();
    // SAFETY: tcgetattr on an fd we own into a zeroed struct.
    let t = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(master.as_raw_fd(), &mut t), 0, "tcgetattr on the outer pty");
        t
    };
    Modes { flags: [t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag], cc: t.c_cc.to_vec() }
}

fn is_raw(m: &Modes) -> bool {
    m.flags[3] & (libc::ICANON | libc::ISIG) == 0
}

#[test]
fn the_command_sees_a_terminal_on_all_three_streams_with_the_outer_size() {
    let code = "import os; print('tty', os.isatty(0), os.isatty(1), os.isatty(2), *os.get_terminal_size())";
    let mut s = session(&python(code), 97, 31);
    go(&mut s);
    s.expect("tty True True True 97 31").unwrap();
    assert_eq!(exit_code(&mut s), 0);
}

#[test]
fn with_pipes_the_command_sees_pipes_on_stdout_and_stderr() {
    let code = "import os; print('tty', os.isatty(0), os.isatty(1), os.isatty(2))";
    let mut s = session(&[&["--pipes"][..], &python(code)].concat(), 80, 24);
    go(&mut s);
    s.expect("tty True False False").unwrap();
    assert_eq!(exit_code(&mut s), 0);
}

#[test]
fn off_a_terminal_the_command_sees_pipes() {
    let code = "import os; print('tty', os.isatty(1), os.isatty(2))";
    let out = crate::harness::run(portfix().args(python(code)));
    assert_eq!(out.stdout, "tty False False\n");
}

#[test]
fn a_resize_reaches_the_command() {
    // SIGWINCH is taken with sigwaitinfo, not a handler that prints: CPython runs a handler from
    // inside a print's flush, still holding stdout's lock, so a resize landing while 'ready' (or
    // the last size) is being written made the handler's print raise "reentrant call inside
    // BufferedWriter" and Python exit 1. Blocked first, a resize made early stays pending;
    // unlike sigwait, sigwaitinfo lets the Ctrl-C below interrupt it (KeyboardInterrupt).
    let code = "import os,signal\n\
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGWINCH})\n\
                print('ready', flush=True)\n\
                while True: signal.sigwaitinfo({signal.SIGWINCH}); print('size', *os.get_terminal_size(), flush=True)\n";
    let mut s = session(&python(code), 80, 24);
    go(&mut s);
    s.expect("ready").unwrap();
    s.get_process_mut().set_window_size(123, 45).unwrap();
    s.expect("size 123 45").unwrap();
    s.get_process_mut().set_window_size(61, 17).unwrap();
    s.expect("size 61 17").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    assert_eq!(exit_code(&mut s), 130);
}

#[test]
fn typed_keys_reach_the_command_raw() {
    // A command that reads its terminal raw (as Vite's key shortcuts do): Ctrl-C and Ctrl-Z
    // arrive as bytes, not as signals to portfix. Then a line, read cooked again.
    let code = "import sys,tty,termios\n\
                saved = termios.tcgetattr(0)\n\
                tty.setraw(0)\n\
                print('raw', end='\\r\\n', flush=True)\n\
                got = sys.stdin.buffer.raw.read(1) + sys.stdin.buffer.raw.read(1) + sys.stdin.buffer.raw.read(1)\n\
                termios.tcsetattr(0, termios.TCSANOW, saved)\n\
                print('keys', got, flush=True)\n\
                print('line', input(), flush=True)\n";
    let mut s = session(&python(code), 80, 24);
    go(&mut s);
    s.expect("raw").unwrap();
    for key in [b"q", b"\x03", b"\x1a"] {
        s.send(key).unwrap();
    }
    s.expect(r"keys b'q\x03\x1a'").unwrap();
    s.send_line("hello").unwrap();
    s.expect("line hello").unwrap();
    assert_eq!(exit_code(&mut s), 0);
}

#[test]
fn a_python_servers_first_line_arrives_at_once() {
    // No flush, no PYTHONUNBUFFERED: through pipes Python would keep this line in its buffer
    // for the whole sleep.
    let mut s = session(&python("import time; print('first line'); time.sleep(60)"), 80, 24);
    go(&mut s);
    // Through pipes it would come only after the 60 s sleep: a bound well below that tells.
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("first line").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    assert_eq!(exit_code(&mut s), 130);
}

#[test]
fn ctrl_c_ends_the_command_130_and_the_terminal_is_restored() {
    let mut s = session(&python("import time; print('ready', flush=True); time.sleep(300)"), 80, 24);
    let before = modes(&s);
    assert!(!is_raw(&before));
    go(&mut s);
    s.expect("ready").unwrap();
    assert!(is_raw(&modes(&s)), "the user's terminal is raw while the command runs");
    s.send(ControlCode::EndOfText).unwrap();
    assert_eq!(exit_code(&mut s), 130);
    assert_eq!(modes(&s), before);
}

#[test]
fn the_terminal_is_restored_when_the_command_is_killed() {
    let code = "import os,time; print('pid', os.getpid(), flush=True); time.sleep(300)";
    let mut s = session(&python(code), 80, 24);
    let before = modes(&s);
    go(&mut s);
    let m = s.expect(Regex(r"pid (\d+)")).unwrap();
    let pid: i32 = String::from_utf8_lossy(m.get(1).unwrap()).parse().unwrap();
    assert!(is_raw(&modes(&s)));
    // SAFETY: kill(2) on the command this test started (through portfix).
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    assert_eq!(exit_code(&mut s), 137);
    assert_eq!(modes(&s), before);
}

#[test]
fn the_terminal_is_restored_as_soon_as_portfix_is_asked_to_stop() {
    // The command ignores SIGTERM and so keeps running for the grace: the terminal must not
    // wait for it.
    let code = "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(300)";
    // The poll's bound stays below the grace: modes restored only at the SIGKILL would fail it.
    let mut s = session(&[&["--grace", "15s"][..], &python(code)].concat(), 80, 24);
    let before = modes(&s);
    go(&mut s);
    s.expect("ready").unwrap();
    assert!(is_raw(&modes(&s)));
    s.get_process_mut().signal(expectrl::process::unix::Signal::SIGTERM).unwrap();
    let restored = poll(Duration::from_secs(12), || (modes(&s) == before).then_some(()));
    assert!(restored.is_some(), "modes restored at the SIGTERM, before the 15 s grace ends");
    assert_eq!(exit_code(&mut s), 137);
    assert_eq!(modes(&s), before);
}

/// The pids whose parent is `pid`, from /proc.
fn children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { continue };
        if rest.split(' ').nth(1).and_then(|p| p.parse().ok()) == Some(pid) {
            found.extend(entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()));
        }
    }
    found
}

#[test]
fn a_signal_at_the_prompt_ends_portfix_at_once_and_restores_the_terminal() {
    // No command runs while the prompt is open: a SIGTERM must not wait for the next launch.
    let (mut holder, port) = crate::harness::python_listener("127.0.0.1", 0);
    let port = port.to_string();
    let args = ["-p", &port, "--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"];
    let mut s = session(&args, 80, 24);
    let before = modes(&s);
    go(&mut s);
    s.expect("abort").unwrap();
    let raw = poll(Duration::from_secs(30), || is_raw(&modes(&s)).then_some(()));
    assert!(raw.is_some(), "the prompt reads keys raw");
    let pid = s.get_process().pid().as_raw() as u32;
    let watchdog = children(pid);
    assert_eq!(watchdog.len(), 1, "only the watchdog runs beside the prompt: {watchdog:?}");
    s.get_process_mut().signal(expectrl::process::unix::Signal::SIGTERM).unwrap();
    s.expect("portfix: stopped by SIGTERM").unwrap();
    assert_eq!(exit_code(&mut s), 143);
    assert_eq!(modes(&s), before, "the terminal as it was before the prompt");
    assert!(!std::fs::exists(format!("/proc/{}", watchdog[0])).unwrap(), "the watchdog was reaped");
    assert!(holder.try_status().is_none(), "the holder is left alone");
}

/// An interactive bash, as a user runs it, with the portfix binary as `$PORTFIX`.
fn bash() -> Session {
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-i"]).env("PS1", "$ ").env("PORTFIX", env!("CARGO_BIN_EXE_portfix"));
    portfix_env(&mut cmd);
    pty_session(cmd)
}

#[test]
fn ctrl_c_breaks_a_shell_loop_as_it_would_without_portfix() {
    // Ctrl-C reaches only the command (on its own pty), never the shell: the shell breaks its
    // loop only because portfix dies of the SIGINT, as the command did. An exit 130 would run
    // the next round.
    let mut s = bash();
    s.send_line("for i in 1 2; do \"$PORTFIX\" -- python3 -c \"import time; print('round', $i, flush=True); time.sleep(300)\"; done").unwrap();
    s.expect("round 1").unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    // The shell's prompt, or the loop going on.
    let seen = s.expect(Regex(r"round 2|KeyboardInterrupt\r\n(\r\n)?(\x1b\[\?2004h)?\$ ")).unwrap();
    assert!(seen.get(0).unwrap().starts_with(b"KeyboardInterrupt"), "the loop went on");
    s.send_line("echo status $?").unwrap();
    s.expect("status 130").unwrap();
    s.send_line("exit").unwrap();
    s.expect(Eof).unwrap();
}

#[test]
fn ctrl_z_suspends_the_job_and_fg_resumes_it() {
    // Under an interactive shell with job control, as a user runs it. The command's group on
    // its own pty is orphaned, so without portfix's help the kernel would ignore Ctrl-Z.
    let mut s = bash();
    s.send_line("\"$PORTFIX\" -- python3 -c \"import time,itertools\nfor i in itertools.count(): print('tick', i, flush=True); time.sleep(0.1)\"").unwrap();
    s.expect("tick 1").unwrap();
    s.send(ControlCode::Substitute).unwrap();
    s.expect("Stopped").unwrap();
    s.send_line("jobs -l").unwrap();
    s.expect(Regex(r"\[1\]\+\s+\d+ Stopped")).unwrap();
    s.send_line("fg").unwrap();
    // Ticks counting on after the one seen last: the command runs again.
    s.expect(Regex(r"tick \d+\r\ntick \d+\r\n")).unwrap();
    s.send(ControlCode::EndOfText).unwrap();
    // Wait for the shell's prompt: keys typed while portfix is still ending would go to it.
    s.expect(Regex(r"KeyboardInterrupt\r\n(\r\n)?(\x1b\[\?2004h)?\$ ")).unwrap();
    s.send_line("echo status $?").unwrap();
    s.expect("status 130").unwrap();
    s.send_line("exit").unwrap();
    s.expect(Eof).unwrap();
}

#[test]
fn portfix_lines_during_a_run_end_in_cr_lf_on_the_raw_terminal() {
    // The user's terminal is raw while the command runs (no output processing): a bare "\n"
    // would leave the server's next line starting mid-line. In a private network namespace
    // (fixed port 8000).
    let mut cmd = Command::new("unshare");
    cmd.args([
        "-n",
        "sh",
        "-c",
        "ip link set lo up; exec \"$0\" -- python3 -m http.server 8000 --bind 127.0.0.1",
        env!("CARGO_BIN_EXE_portfix"),
    ]);
    portfix_env(&mut cmd);
    let mut s = pty_session(cmd);
    let line = s.expect(Regex(r"is listening on http://127\.0\.0\.1:8000 \(pid \d+\)(\r?\n)")).unwrap();
    assert_eq!(line.get(1).unwrap(), b"\r\n", "the confirmation line returns to the line's start");
    s.send(ControlCode::EndOfText).unwrap();
    s.expect(Eof).unwrap();
}

#[test]
fn a_failure_only_the_output_shows_is_caught_at_a_terminal_and_enter_relaunches() {
    // No port known in advance: port-env.js takes it from an argument portfix does not read
    // (and from $PORT once portfix sets it). Node's EADDRINUSE, written on the command's own
    // pseudo-terminal, is what tells portfix; the prompt then shows on the user's terminal.
    let (_held, wanted) = crate::harness::listen_v4();
    let server = format!("{}/tests/servers/port-env.js", env!("CARGO_MANIFEST_DIR"));
    let w = wanted.to_string();
    let mut s = session(&["--", "node", &server, &w], 100, 30);
    go(&mut s);
    s.expect("EADDRINUSE").unwrap();
    s.expect(format!("port {wanted} is in use by:")).unwrap();
    s.expect(format!("pid {}", std::process::id())).unwrap();
    let next = s.expect(Regex(r"use port (\d+) \(the next free one\)")).unwrap();
    let next: u16 = std::str::from_utf8(next.get(1).unwrap()).unwrap().parse().unwrap();
    s.send("\r").unwrap(); // Enter: the recommended action, move (the holder is not an earlier run)
    s.expect(format!("is listening on http://127.0.0.1:{next} (pid ")).unwrap();
    let reply = poll(Duration::from_secs(30), || {
        use std::io::{Read as _, Write as _};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", next)).ok()?;
        c.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
        let mut body = String::new();
        c.read_to_string(&mut body).ok()?;
        Some(body)
    })
    .expect("the relaunched server answers on the port the prompt named");
    assert!(reply.ends_with(&format!("ok {next}\n")), "{reply}");
    s.send(ControlCode::EndOfText).unwrap();
    s.expect(Eof).unwrap();
}
