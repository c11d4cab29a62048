//! `--events FILE`: the file parsed line by line for each path, in the order the README
//! documents. (The reuse and localhost-warning paths are in `reuse.rs` and `localhost.rs`, a
//! debugger's moved port in `debuggers.rs`.)

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{self, Proc, poll, portfix, spawn};

/// Every line of an events file, parsed (each must be one JSON object with its `event` and
/// `version` 1).
pub(crate) fn events_in(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object ({e}): {l}"));
            assert_eq!(v["version"], 1, "{l}");
            assert!(v["event"].is_string(), "{l}");
            v
        })
        .collect()
}

pub(crate) fn read_events(path: &Path) -> Vec<Value> {
    events_in(&std::fs::read_to_string(path).unwrap_or_default())
}

/// The kinds of `events`, in order.
pub(crate) fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["event"].as_str().unwrap()).collect()
}

/// Waits (bounded) until the events file has an event of `kind`.
pub(crate) fn wait_for(path: &Path, kind: &str) -> Option<Vec<Value>> {
    poll(Duration::from_secs(60), || {
        let text = std::fs::read_to_string(path).ok()?;
        // only whole lines: the last may still be on its way
        let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        let events = events_in(whole);
        events.iter().any(|e| e["event"] == kind).then_some(events)
    })
}

/// Ends portfix with SIGTERM (it passes it to the command) and waits for it.
pub(crate) fn end(mut p: Proc) {
    // SAFETY: kill(2) on a process this test started.
    unsafe {
        libc::kill(p.pid() as i32, libc::SIGTERM);
    }
    p.wait_for_exit(Duration::from_secs(30)).expect("portfix ends on SIGTERM");
}

/// `python3 -m http.server {port} --bind 127.0.0.1` under portfix with `flags`, the port held by
/// a Python process of the test's; the events file and the holder.
fn http_server(flags: &[&str], events: &Path) -> (Proc, Proc, u16) {
    let (holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let p = spawn(
        portfix()
            .arg("--events")
            .arg(events)
            .args(flags)
            .args([
                "-p",
                &wanted.to_string(),
                "--",
                "python3",
                "-m",
                "http.server",
                "{port}",
                "--bind",
                "127.0.0.1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    (p, holder, wanted)
}

#[test]
fn next_conflict_decision_start_listening_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events");
    let (p, holder, wanted) = http_server(&["--next"], &file);
    wait_for(&file, "listening").unwrap_or_else(|| panic!("no listening event: {:?}", read_events(&file)));
    end(p);
    let ev = read_events(&file);
    assert_eq!(kinds(&ev), ["conflict", "decision", "start", "listening", "exit"], "{ev:#?}");
    let conflict = &ev[0];
    assert_eq!(conflict["port"], wanted);
    let h = &conflict["holders"][0];
    assert_eq!(h["pid"], holder.pid());
    assert_eq!(h["name"], "python3");
    assert_eq!(h["cmdline"][1], "-c", "{h}");
    // SAFETY: getuid has no preconditions and cannot fail.
    assert_eq!(h["uid"], unsafe { libc::getuid() });
    assert!(h["cwd"].is_string() && h["user"].is_string(), "{h}");
    assert_eq!(h["same_project"], false);
    let to = ev[1]["to"].as_u64().unwrap();
    assert_eq!((ev[1]["action"].as_str(), ev[1]["port"].as_u64()), (Some("next"), Some(wanted.into())));
    assert_ne!(to, u64::from(wanted));
    let start = &ev[2];
    assert_eq!(start["port"], to);
    assert_eq!(start["argv"][3], to.to_string(), "{{port}} filled in: {start}");
    assert_eq!(start["env"]["PORT"], to.to_string());
    let l = &ev[3];
    assert_eq!(
        (l["port"].as_u64(), l["url"].as_str()),
        (Some(to), Some(format!("http://127.0.0.1:{to}").as_str()))
    );
    assert_eq!(l["addresses"], serde_json::json!([format!("127.0.0.1:{to}")]));
    assert_eq!(l["pid"], start["pid"], "http.server itself listens");
    // SIGTERM reached http.server, which died of it: portfix passes that on
    assert_eq!((ev[4]["code"].as_i64(), ev[4]["signal"].as_i64()), (Some(143), Some(15)));
}

#[test]
fn kill_conflict_decision_stopped_start_listening_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events");
    let (p, mut holder, wanted) = http_server(&["--kill"], &file);
    wait_for(&file, "listening").unwrap_or_else(|| panic!("no listening event: {:?}", read_events(&file)));
    end(p);
    assert!(holder.try_status().is_some(), "the holder was stopped");
    let ev = read_events(&file);
    assert_eq!(kinds(&ev), ["conflict", "decision", "stopped", "start", "listening", "exit"], "{ev:#?}");
    assert_eq!(ev[1]["action"], "stop");
    assert!(ev[1].get("to").is_none(), "{}", ev[1]);
    let stopped = &ev[2];
    assert_eq!(stopped["port"], wanted);
    assert_eq!(stopped["pids"], serde_json::json!([holder.pid()]));
    assert_eq!(stopped["how"], "TERM", "python3 ends on SIGTERM: no SIGKILL needed");
    assert!(stopped["ms"].is_u64());
    assert_eq!(ev[3]["port"], wanted);
    assert_eq!(ev[4]["url"], format!("http://127.0.0.1:{wanted}"));
}

#[test]
fn a_refusal_in_ci_is_conflict_decision_exit_on_stderr_with_events_dash() {
    // `--events -`: standard error (a pipe here), among portfix's own lines.
    let (holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let r = harness::run(portfix().env("CI", "true").args([
        "--events",
        "-",
        "--reuse",
        "-p",
        &wanted.to_string(),
        "--",
        "python3",
        "-m",
        "http.server",
        "{port}",
    ]));
    assert_eq!(r.code, 3, "--reuse with a foreign holder: as if not given, so CI refuses: {}", r.stderr);
    assert!(r.stderr.contains(&format!(
        "port {wanted} is held by pid {} (python3): not asking: CI is set",
        holder.pid()
    )));
    let json: String = r.stderr.lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    let ev = events_in(&json);
    assert_eq!(kinds(&ev), ["conflict", "decision", "exit"], "nothing started: {ev:#?}");
    assert_eq!(ev[0]["holders"][0]["pid"], holder.pid());
    assert_eq!(ev[1]["action"], "abort");
    assert_eq!(ev[1]["reason"], "not asking: CI is set");
    assert_eq!(ev[2], serde_json::json!({"event": "exit", "version": 1, "code": 3, "signal": null}));
}

#[test]
fn a_run_without_conflict_is_start_and_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events");
    let r = harness::run(portfix().arg("--events").arg(&file).args(["--", "sh", "-c", "exit 7"]));
    assert_eq!(r.code, 7, "{}", r.stderr);
    let ev = read_events(&file);
    assert_eq!(kinds(&ev), ["start", "exit"]);
    assert_eq!(ev[0]["argv"], serde_json::json!(["sh", "-c", "exit 7"]));
    assert_eq!((ev[0]["port"].clone(), ev[0]["env"].clone()), (Value::Null, serde_json::json!({})));
    assert_eq!(ev[1]["code"], 7);
    // A command that cannot start: nothing but the exit.
    let r = harness::run(portfix().arg("--events").arg(&file).args(["--", "portfix-no-such-command-xyz"]));
    assert_eq!(r.code, 127, "{}", r.stderr);
    assert_eq!(
        read_events(&file),
        [serde_json::json!({"event": "exit", "version": 1, "code": 127, "signal": null})]
    );
}

#[test]
fn an_events_file_that_cannot_be_written_is_a_usage_error() {
    let r = harness::run(portfix().args(["--events", "/nonexistent-portfix-dir/events", "--", "true"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("portfix: --events /nonexistent-portfix-dir/events: cannot write there ("),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 2, "the problem and what to do: {}", r.stderr);
}

#[test]
fn events_on_a_terminal_stderr_are_refused() {
    use expectrl::process::unix::WaitStatus;
    use expectrl::{Eof, Expect};
    let mut cmd = portfix();
    cmd.args(["--events", "-", "--", "true"]);
    let mut s = harness::pty_session(cmd);
    s.expect("portfix: --events -: standard error is a terminal; give a file").unwrap();
    s.expect(Eof).unwrap();
    assert!(matches!(s.get_process().wait().unwrap(), WaitStatus::Exited(_, 2)));
}
