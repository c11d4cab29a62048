//! Reuse of the instance already running (issue 15 item 2): an earlier run of this same command
//! from this same directory holds the port. In a private network namespace (fixed port 8000),
//! the first run started there too.

use std::path::Path;

use expectrl::process::unix::WaitStatus;
use expectrl::{ControlCode, Eof, Expect};

use crate::events::{kinds, read_events};
use crate::harness::{self, portfix};
use crate::run::in_netns;

const SERVE: &str = "python3 -m http.server 8000 --bind 127.0.0.1";

/// Bounded wait (60 s) in a script until `file` holds `text`.
fn until(file: &Path, text: &str) -> String {
    format!(
        "i=0; until grep -q '{text}' {} 2>/dev/null || [ $i -ge 6000 ]; do sleep 0.01; i=$((i+1)); done",
        file.display()
    )
}

#[test]
fn reuse_on_a_second_identical_run_prints_the_first_runs_url_and_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = |name: &str| d.join(name).display().to_string();
    let script = format!(
        "cd {dir}; $PORTFIX --events {ev1} -- {SERVE} >{out1} 2>{err1} & first=$!; {wait}; \
         $PORTFIX --reuse --events {ev2} -- {SERVE} >{out2} 2>{err2}; echo \"second $?\"; \
         kill -0 $first && echo 'first still running'; kill $first; wait $first",
        dir = d.display(),
        ev1 = f("first.events"),
        out1 = f("first.out"),
        err1 = f("first.err"),
        ev2 = f("second.events"),
        out2 = f("second.out"),
        err2 = f("second.err"),
        wait = until(&d.join("first.err"), "is listening"),
    );
    let r = harness::run(&mut in_netns(&script));
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap_or_default();
    let ctx = format!("{}\nfirst: {}\nsecond: {}", r.stdout, read("first.err"), read("second.err"));
    assert!(r.stdout.contains("second 0\n"), "--reuse exits 0: {ctx}");
    assert!(r.stdout.contains("first still running"), "{ctx}");
    let first = read_events(&d.join("first.events"));
    assert_eq!(kinds(&first), ["start", "listening", "exit"], "{first:#?}");
    let server = first[1]["pid"].as_u64().unwrap();
    // The first run's URL: 127.0.0.1, the one address of localhost it listens on.
    assert_eq!(read("second.out"), "http://127.0.0.1:8000\n", "{ctx}");
    assert!(
        read("second.err").starts_with(&format!(
            "portfix: {SERVE} is already running from this directory (http://127.0.0.1:8000, pid {server}, started "
        )),
        "{ctx}"
    );
    assert!(read("second.err").contains("using it instead of starting another"), "{ctx}");
    let second = read_events(&d.join("second.events"));
    assert_eq!(kinds(&second), ["conflict", "decision", "listening", "exit"], "nothing started: {second:#?}");
    assert_eq!(second[0]["holders"][0]["pid"], server);
    assert_eq!(second[0]["holders"][0]["same_project"], true);
    assert_eq!(second[1]["action"], "reuse");
    assert_eq!(second[2]["reused"], true);
    assert_eq!(second[2]["pid"], server);
    assert_eq!(second[2]["url"], "http://127.0.0.1:8000");
    assert_eq!(second[3]["code"], 0);
}

/// The prompt's items from the "what now?" question to `abort`, as the terminal showed them.
fn menu(s: &mut expectrl::session::OsSession) -> String {
    s.expect("what now?").unwrap();
    let m = s.expect("abort").unwrap();
    String::from_utf8_lossy(m.before()).into_owned()
}

#[test]
fn at_a_terminal_using_the_earlier_run_is_the_first_default_choice() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("events");
    let wait = "import socket,time\nwhile True:\n try:\n  socket.create_connection(('127.0.0.1',8000)); break\n except OSError:\n  time.sleep(0.01)";
    let script = format!(
        "cd {}; timeout 60 {SERVE} >/dev/null 2>&1 & earlier=$!; python3 -c \"{wait}\"; \
         $PORTFIX --events {} -- {SERVE}; echo \"portfix status $?\"; kill -0 $earlier && echo 'earlier still running'",
        dir.path().display(),
        ev.display()
    );
    let mut s = harness::pty_session(in_netns(&script));
    s.expect("(an earlier run of this same command)").unwrap();
    let items = menu(&mut s);
    let first = items.lines().skip(1).map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_string();
    assert!(
        first.starts_with("> use the one already running (http://127.0.0.1:8000, pid ")
            && first.contains(", started "),
        "first and highlighted: {items:?}"
    );
    assert!(items.contains("stop it and use port 8000"), "{items:?}");
    s.send("\r").unwrap(); // Enter: the default
    s.expect("is already running from this directory (http://127.0.0.1:8000, pid ").unwrap();
    let rest = s.expect("portfix status 0").unwrap();
    let rest = String::from_utf8_lossy(rest.before()).into_owned();
    assert!(rest.contains("http://127.0.0.1:8000\r\n"), "the URL on stdout: {rest:?}");
    assert!(!rest.contains("Serving HTTP"), "no second server started: {rest:?}");
    s.expect("earlier still running").unwrap();
    s.expect(Eof).unwrap();
    let events = read_events(&ev);
    assert_eq!(kinds(&events), ["conflict", "decision", "listening", "exit"], "{events:#?}");
    assert_eq!(events[1]["action"], "reuse");
}

#[test]
fn a_foreign_holder_is_not_offered_for_use_even_with_reuse() {
    let (mut holder, wanted) = harness::python_listener("127.0.0.1", 0);
    let mut cmd = portfix();
    cmd.args(["--reuse", "-p", &wanted.to_string(), "--", "python3", "-m", "http.server", "{port}"]);
    let mut s = harness::pty_session(cmd);
    s.expect(format!("pid {}", holder.pid())).unwrap();
    let items = menu(&mut s);
    assert!(!items.contains("already running"), "{items:?}");
    assert!(items.contains(&format!("stop it and use port {wanted}")), "{items:?}");
    assert!(items.contains("> use port "), "moving stays the default: {items:?}");
    s.send(ControlCode::EndOfText).unwrap();
    s.expect(Eof).unwrap();
    let status = s.get_process().wait().unwrap();
    assert!(matches!(status, WaitStatus::Signaled(..)), "{status:?}");
    assert!(holder.try_status().is_none(), "left alone");
}

#[test]
fn reuse_finds_an_earlier_npm_start_on_any_port_when_none_is_known() {
    // `npm start` → sh → node, its port written in the script in a form portfix does not read:
    // nothing tells the port before a launch, so --reuse looks for the earlier run by command
    // and directory among all listeners, and starts nothing.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/port-env.js");
    std::fs::write(
        d.join("package.json"),
        format!(r#"{{"name":"t","version":"1.0.0","scripts":{{"start":"node {} 3000"}}}}"#, server.display()),
    )
    .unwrap();
    let f = |name: &str| d.join(name).display().to_string();
    let script = format!(
        "cd {dir}; export npm_config_update_notifier=false; $PORTFIX --events {ev1} -- npm start >{out1} 2>{err1} & first=$!; {wait}; \
         $PORTFIX --reuse --events {ev2} -- npm start >{out2} 2>{err2}; echo \"second $?\"; \
         kill -0 $first && echo 'first still running'; kill $first; wait $first",
        dir = d.display(),
        ev1 = f("first.events"),
        out1 = f("first.out"),
        err1 = f("first.err"),
        ev2 = f("second.events"),
        out2 = f("second.out"),
        err2 = f("second.err"),
        wait = until(&d.join("first.err"), "is listening"),
    );
    let r = harness::run(&mut in_netns(&script));
    let read = |name: &str| std::fs::read_to_string(d.join(name)).unwrap_or_default();
    let ctx = format!(
        "{}\nfirst: {}\nsecond: {} {}",
        r.stdout,
        read("first.err"),
        read("second.out"),
        read("second.err")
    );
    assert!(r.stdout.contains("second 0\n") && r.stdout.contains("first still running"), "{ctx}");
    assert_eq!(read("second.out"), "http://127.0.0.1:3000\n", "nothing else ran (no npm output): {ctx}");
    let first = read_events(&d.join("first.events"));
    let npm = first[0]["pid"].as_u64().unwrap();
    let node = first[1]["pid"].as_u64().unwrap();
    assert_ne!(npm, node, "npm runs node through sh");
    assert!(
        read("second.err").starts_with(&format!(
            "portfix: npm start is already running from this directory (http://127.0.0.1:3000, pid {npm}, started "
        )),
        "the earlier run is npm's: {ctx}"
    );
    let second = read_events(&d.join("second.events"));
    assert_eq!(kinds(&second), ["conflict", "decision", "listening", "exit"], "nothing started: {second:#?}");
    assert_eq!(
        (second[0]["holders"][0]["pid"].as_u64(), second[0]["holders"][0]["same_project"].as_bool()),
        (Some(node), Some(true))
    );
    assert_eq!(
        (second[2]["pid"].as_u64(), second[2]["url"].as_str()),
        (Some(node), Some("http://127.0.0.1:3000"))
    );
}
