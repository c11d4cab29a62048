//! Shared services as holders (issue 16 item 4): a holder that is a database, the DNS resolver,
//! sshd… is said to be one, with the note that stopping it affects other programs, and moving is
//! the recommended choice (the prompt's default, what `-y` does), even when the command portfix
//! runs looks like an earlier run of it; `portfix who` and `portfix kill` say the same line (and
//! `--json` and `list --json` carry it), `kill` before its question, and still stop it.
//!
//! The holder is a real process whose name is `redis-server` (Python run through a link of that
//! name: the kernel names a process after the file it executed), listening on a port the OS
//! picked, in the test's own directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use expectrl::{Eof, Expect, Regex};

use crate::harness::{Proc, poll, portfix, portfix_env, pty_session, read_first_line, run, spawn};

/// Listens on $PORT, else on argv[1] (0: a port the OS picks), prints the port, and waits.
const HOLD: &str = "import os, socket, sys, time\n\
    s = socket.socket()\n\
    s.bind(('127.0.0.1', int(os.environ.get('PORT') or sys.argv[1])))\n\
    s.listen()\n\
    print(s.getsockname()[1], flush=True)\n\
    time.sleep(600)\n";

/// A directory with `redis-server` (a link to python3) and `hold.py`.
fn service_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let python = which_python();
    let link = dir.path().join("redis-server");
    std::os::unix::fs::symlink(python, &link).unwrap();
    std::fs::write(dir.path().join("hold.py"), HOLD).unwrap();
    (dir, link)
}

fn which_python() -> PathBuf {
    let out = Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// `PORT=0 redis-server hold.py` in `dir`: the holder and the port the OS gave it.
fn hold(dir: &Path, link: &Path) -> (Proc, u16) {
    let mut p = spawn(
        Command::new(link)
            .arg("hold.py")
            .current_dir(dir)
            .env("PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    let port = read_first_line(&mut p).parse().unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", p.pid())).unwrap();
    assert_eq!(comm.trim(), "redis-server", "the holder is named as the service is");
    (p, port)
}

const NOTE: &str = "note: redis-server is the Redis server (a database and cache): stopping it affects other \
                    programs (every program that uses it loses its data store or cache)";

#[test]
fn in_ci_a_shared_service_is_said_to_be_one() {
    let (dir, link) = service_dir();
    let (_holder, port) = hold(dir.path(), &link);
    let p = port.to_string();
    let r = run(portfix().env("CI", "true").args(["-p", &p, "--", "python3", "-m", "http.server", "{port}"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("port {port} is in use by:")), "{}", r.stderr);
    assert!(r.stderr.contains(NOTE), "{}", r.stderr);
    assert!(r.stderr.contains("re-run with -y or --next"), "moving is what it recommends: {}", r.stderr);
}

#[test]
fn yes_moves_away_from_a_shared_service_even_when_it_looks_like_an_earlier_run() {
    let (dir, link) = service_dir();
    let (mut holder, port) = hold(dir.path(), &link);
    // the same command in the same directory: an earlier run, which -y would stop if it were
    // not a shared service
    let file = dir.path().join("port");
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let p = spawn(
        portfix()
            .current_dir(dir.path())
            .args(["-y", "-p", &port.to_string(), "--port-file"])
            .arg(&file)
            .arg("--")
            .arg(&link)
            .arg("hold.py")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.reopen().unwrap()),
    );
    let log = || std::fs::read_to_string(stderr.path()).unwrap_or_default();
    let got =
        poll(Duration::from_secs(30), || std::fs::read_to_string(&file).ok()?.trim().parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no port file: {}", log()));
    assert_ne!(got, port, "{}", log());
    assert!(log().contains(", an earlier run of this same command; using port "), "{}", log());
    assert!(holder.try_status().is_none(), "the service was left alone: {}", log());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(), "and still holds its port");
    drop(p);
}

#[test]
fn at_a_terminal_enter_moves_away_from_a_shared_service_and_stopping_is_still_offered() {
    let (dir, link) = service_dir();
    let (mut holder, port) = hold(dir.path(), &link);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portfix"));
    cmd.current_dir(dir.path()).args([
        "-p",
        &port.to_string(),
        "--",
        "python3",
        "-m",
        "http.server",
        "{port}",
    ]);
    cmd.args(["--bind", "127.0.0.1"]);
    portfix_env(&mut cmd);
    let mut s = pty_session(cmd);
    s.expect(format!("port {port} is in use by:")).unwrap();
    s.expect(NOTE).unwrap();
    s.expect(format!("stop it and use port {port}")).unwrap();
    let next = s.expect(Regex(r"use port (\d+) \(the next free one\)")).unwrap();
    let next: u16 = std::str::from_utf8(next.get(1).unwrap()).unwrap().parse().unwrap();
    s.expect("abort").unwrap();
    s.send("\r").unwrap(); // Enter: the highlighted choice
    s.expect(format!("is listening on http://127.0.0.1:{next} (pid ")).unwrap();
    assert!(holder.try_status().is_none(), "the service was left alone");
    // Ctrl-C ends the server and portfix
    s.send("\x03").unwrap();
    s.expect(Eof).unwrap();
    let _ = s.get_process().wait();
}

/// The note without its `note: ` label, as `--json` gives it.
fn note_text() -> &'static str {
    NOTE.strip_prefix("note: ").unwrap()
}

#[test]
fn who_and_list_say_what_a_shared_service_is() {
    let (dir, link) = service_dir();
    let (holder, port) = hold(dir.path(), &link);
    let p = port.to_string();
    let r = run(portfix().args(["who", &p]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&format!("is held by redis-server (pid {})", holder.pid())), "{}", r.stdout);
    assert!(
        r.stdout.lines().any(|l| l == format!("    {NOTE}")),
        "one line, the wrapper's words: {}",
        r.stdout
    );
    let r = run(portfix().args(["who", "--json", &p]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let service = &v["targets"][0]["holders"][0]["service"];
    assert_eq!(
        (service["name"].as_str(), service["probably"].as_bool()),
        (Some("redis"), Some(false)),
        "{service}"
    );
    assert_eq!(service["note"], note_text());
    assert_eq!(service["what"], "the Redis server (a database and cache)");
    let r = run(portfix().args(["list", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let entry = v["sockets"].as_array().unwrap().iter().find(|s| s["port"] == port).expect("listed");
    assert_eq!(entry["service"]["name"], "redis", "{entry}");
    // a holder that is no service: null
    let (_other, other) = crate::harness::python_listener("127.0.0.1", 0);
    let r = run(portfix().args(["who", "--json", &other.to_string()]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["targets"][0]["holders"][0]["service"], serde_json::Value::Null, "{}", r.stdout);
    assert!(!run(portfix().args(["who", &other.to_string()])).stdout.contains("note:"));
}

#[test]
fn kill_says_it_is_a_shared_service_and_still_stops_it() {
    let (dir, link) = service_dir();
    let (mut holder, port) = hold(dir.path(), &link);
    let p = port.to_string();
    let r = run(portfix().args(["kill", "--dry-run", "--json", &p]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v[0]["targets"][0]["service"]["name"], "redis", "{}", r.stdout);
    assert_eq!(v[0]["targets"][0]["service"]["note"], note_text());
    assert!(holder.try_status().is_none(), "a dry run stops nothing");
    let r = run(portfix().args(["kill", &p]));
    assert_eq!(r.code, 0, "no new refusal: {}{}", r.stdout, r.stderr);
    let note = r.stdout.lines().position(|l| l == format!("  {NOTE}"));
    let freed = r.stdout.lines().position(|l| l.starts_with(&format!("port {port} is free")));
    assert!(note.is_some() && note < freed, "the note, before the stop: {}", r.stdout);
    assert!(holder.wait_for_exit(Duration::from_secs(30)).is_some(), "it was stopped");
}

#[test]
fn kill_at_a_terminal_shows_the_note_before_the_question() {
    use std::os::unix::fs::PermissionsExt;
    // another user's process (nobody's) needs a confirmation: the question is asked
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = dir.path().join("redis-server");
    std::os::unix::fs::symlink("/usr/bin/python3", &link).unwrap(); // nobody can run this one
    std::fs::write(dir.path().join("hold.py"), HOLD).unwrap();
    let mut h = spawn(
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(&link)
            .args(["hold.py", "0"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped()),
    );
    let port: u16 = read_first_line(&mut h).parse().unwrap();
    let mut cmd = portfix();
    cmd.args(["kill", &port.to_string()]);
    let mut s = pty_session(cmd);
    s.expect(NOTE).unwrap();
    s.expect("belongs to another user (nobody)").unwrap();
    s.expect(format!("to free port {port}?")).unwrap();
    s.send("y").unwrap();
    s.expect(format!("port {port} is free")).unwrap();
    s.expect(Eof).unwrap();
    assert!(matches!(s.get_process().wait().unwrap(), expectrl::process::unix::WaitStatus::Exited(_, 0)));
    assert!(h.wait_for_exit(Duration::from_secs(30)).is_some(), "stopped when asked");
}
