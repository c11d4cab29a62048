//! Stable ports (issue 16 item 1): `portfix port`, `portfix ports [--prune]`, `portfix --stable`.
//!
//! Every test keeps its state in a temporary directory of its own (`PORTFIX_STATE_DIR`, or
//! `XDG_STATE_HOME` in the test of that), never in the user's state. Checkouts are temporary
//! directories (and, for worktrees, a real git repository with `git worktree add`). The ports are
//! the ones portfix chooses (free when chosen, in 20000-29999: below the ephemeral range, so no
//! port-0 bind of another test gets one); servers run on them with `--port-file` and answer HTTP.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{self, Proc, poll, portfix, run, spawn};

/// A state directory and checkouts, all temporary.
struct Setup {
    root: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup { root: tempfile::tempdir().unwrap() }
    }
    fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }
    /// A plain directory (no git above it) as a checkout.
    fn dir(&self, name: &str) -> PathBuf {
        let d = self.root.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::canonicalize(d).unwrap()
    }
    /// portfix in `dir` with this state.
    fn portfix(&self, dir: &Path) -> Command {
        let mut c = portfix();
        c.current_dir(dir).env("PORTFIX_STATE_DIR", self.state());
        c
    }
    fn port(&self, dir: &Path, args: &[&str]) -> u16 {
        let r = run(self.portfix(dir).arg("port").args(args));
        assert_eq!(r.code, 0, "portfix port {args:?} in {}: {}", dir.display(), r.stderr);
        r.stdout.trim().parse().unwrap_or_else(|_| panic!("a port on stdout: {:?}", r.stdout))
    }
    fn state_file(&self) -> Value {
        let text = std::fs::read_to_string(self.state().join("ports.json")).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("ports.json is valid JSON ({e}):\n{text}"))
    }
    fn ports_json(&self, dir: &Path, args: &[&str]) -> Value {
        let r = run(self.portfix(dir).args(["ports", "--json"]).args(args));
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    }
}

fn in_default_range(p: u16) -> bool {
    (20000..=29999).contains(&p)
}

#[test]
fn the_same_port_on_every_call_another_for_another_name() {
    let s = Setup::new();
    let a = s.dir("a");
    let r = run(s.portfix(&a).arg("port"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first: u16 = r.stdout.trim().parse().unwrap();
    assert!(in_default_range(first), "{first}");
    assert!(
        r.stderr.contains(&format!("port {first} is now the stable port of default in {}", a.display())),
        "a new port is said once: {}",
        r.stderr
    );
    let again = run(s.portfix(&a).arg("port"));
    assert_eq!(again.stdout.trim(), first.to_string());
    assert_eq!(again.stderr, "", "a kept port is said by its number alone");
    let web = s.port(&a, &["web"]);
    assert_ne!(web, first);
    assert_eq!(s.port(&a, &["web"]), web);
    // the name of the command: `npm run dev` is `dev`, as `portfix --stable -- npm run dev` names it
    let dev = s.port(&a, &["--", "npm", "run", "dev"]);
    assert_eq!(s.port(&a, &["dev"]), dev);
    assert_eq!(s.port(&a, &["--", "python3", "-m", "http.server"]), s.port(&a, &["http.server"]));
    let all: std::collections::HashSet<u16> = [first, web, dev].into();
    assert_eq!(all.len(), 3);
    assert_eq!(s.state_file()["ports"].as_array().unwrap().len(), 4);
}

#[test]
fn three_git_worktrees_of_one_repository_get_three_ports() {
    let s = Setup::new();
    let main = s.dir("repo");
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=portfix",
                "-c",
                "user.email=portfix@localhost",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&main, &["init", "-q"]);
    git(&main, &["commit", "-q", "--allow-empty", "-m", "start"]);
    let wt2 = s.root.path().join("repo-feature");
    let wt3 = s.root.path().join("repo-fix");
    git(&main, &["worktree", "add", "-q", wt2.to_str().unwrap(), "-b", "feature"]);
    git(&main, &["worktree", "add", "-q", wt3.to_str().unwrap(), "-b", "fix"]);
    std::fs::create_dir_all(wt2.join("web/src")).unwrap();
    let p1 = s.port(&main, &["web"]);
    let p2 = s.port(&wt2, &["web"]);
    let p3 = s.port(&wt3, &["web"]);
    assert!(p1 != p2 && p2 != p3 && p1 != p3, "three worktrees, three ports: {p1} {p2} {p3}");
    // the same on every call, and from anywhere inside the worktree
    assert_eq!(s.port(&wt2.join("web/src"), &["web"]), p2);
    assert_eq!(s.port(&main, &["web"]), p1);
    assert_eq!(s.port(&wt3, &["web"]), p3);
    let v = s.ports_json(&main, &[]);
    let checkouts: Vec<&str> =
        v["ports"].as_array().unwrap().iter().map(|p| p["checkout"].as_str().unwrap()).collect();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap().to_string_lossy().into_owned();
    for wt in [&main, &wt2, &wt3] {
        assert!(checkouts.contains(&canon(wt).as_str()), "{checkouts:?} has {}", wt.display());
    }
}

#[test]
fn twenty_concurrent_calls_from_twenty_checkouts_get_twenty_ports() {
    let s = Setup::new();
    let dirs: Vec<PathBuf> = (0..20).map(|i| s.dir(&format!("checkout-{i:02}"))).collect();
    // all started before any is waited for: they contend for the state's lock
    let mut procs: Vec<Proc> = dirs
        .iter()
        .map(|d| {
            spawn(
                s.portfix(d)
                    .args(["port", "dev"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped()),
            )
        })
        .collect();
    let mut ports = Vec::new();
    for p in &mut procs {
        let status = p.wait_for_exit(Duration::from_secs(60)).expect("portfix port ends");
        let mut out = String::new();
        std::io::Read::read_to_string(p.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        assert!(status.success(), "{status:?}: {out}");
        ports.push(out.trim().parse::<u16>().unwrap());
    }
    let distinct: std::collections::HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(distinct.len(), 20, "twenty distinct ports: {ports:?}");
    assert!(ports.iter().all(|&p| in_default_range(p)), "{ports:?}");
    // the file stayed whole and holds every one
    let v = s.state_file();
    let kept = v["ports"].as_array().unwrap();
    assert_eq!(kept.len(), 20, "{v}");
    for (d, p) in dirs.iter().zip(&ports) {
        let row =
            kept.iter().find(|a| a["checkout"] == d.to_string_lossy().as_ref()).expect("each checkout kept");
        assert_eq!(row["port"].as_u64(), Some(u64::from(*p)));
        assert_eq!(row["name"], "dev");
    }
    // and twenty at once in one new checkout agree on one port
    let one = s.dir("one");
    let mut procs: Vec<Proc> = (0..20)
        .map(|_| {
            spawn(
                s.portfix(&one)
                    .args(["port", "dev"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null()),
            )
        })
        .collect();
    let mut same = std::collections::HashSet::new();
    for p in &mut procs {
        assert!(p.wait_for_exit(Duration::from_secs(60)).expect("ends").success());
        let mut out = String::new();
        std::io::Read::read_to_string(p.child.stdout.as_mut().unwrap(), &mut out).unwrap();
        same.insert(out.trim().to_string());
    }
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(s.state_file()["ports"].as_array().unwrap().len(), 21);
    let leftovers: Vec<_> = std::fs::read_dir(s.state())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ports.json" && n != "ports.lock")
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left: {leftovers:?}");
}

#[test]
fn a_range_is_where_it_is_chosen_and_json_says_how() {
    let s = Setup::new();
    let a = s.dir("a");
    let r = run(s.portfix(&a).args(["port", "api", "--range", "24000-24099", "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let port = v["port"].as_u64().unwrap();
    assert!((24000..=24099).contains(&port), "{v}");
    assert_eq!((v["name"].as_str(), v["chosen"].as_str()), (Some("api"), Some("new")));
    assert_eq!(v["checkout"], a.to_string_lossy().as_ref());
    assert_eq!(v["state_file"], s.state().join("ports.json").to_string_lossy().as_ref());
    let again: Value =
        serde_json::from_str(&run(s.portfix(&a).args(["port", "api", "--json"])).stdout).unwrap();
    assert_eq!((again["port"].as_u64(), again["chosen"].as_str()), (Some(port), Some("kept")));
    // a range it lies outside of moves it there, once
    let moved: Value = serde_json::from_str(
        &run(s.portfix(&a).args(["port", "api", "--range", "25000-25099", "--json"])).stdout,
    )
    .unwrap();
    assert_eq!((moved["chosen"].as_str(), moved["previous"].as_u64()), (Some("moved"), Some(port)));
    assert!((25000..=25099).contains(&moved["port"].as_u64().unwrap()));
    // a range where nothing can be had: exit 1, saying why
    let (_held, busy) = harness::listen_v4();
    let range = format!("{busy}-{busy}");
    let r = run(s.portfix(&a).args(["port", "other", "--range", &range]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("no port in {range} for a stable port (1 in use)")), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    // bad input: exit 2
    for bad in [&["port", "--range", "9-1"][..], &["port", ""], &["port", "a\u{7}b"]] {
        let r = run(s.portfix(&a).args(bad));
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    }
}

#[test]
fn ports_lists_and_prune_drops_checkouts_that_are_gone() {
    let s = Setup::new();
    let a = s.dir("a");
    let gone = s.dir("gone");
    let pa = s.port(&a, &["dev"]);
    let pg = s.port(&gone, &["dev"]);
    std::fs::remove_dir_all(&gone).unwrap();
    let r = run(s.portfix(&a).arg("ports"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("PORT") && lines[0].contains("LISTENING") && lines[0].contains("CHECKOUT"),
        "{}",
        r.stdout
    );
    let row = |p: u16| lines.iter().find(|l| l.starts_with(&p.to_string())).copied().unwrap_or_default();
    assert!(row(pa).contains(" no ") && row(pa).ends_with(a.to_string_lossy().as_ref()), "{}", r.stdout);
    assert!(row(pg).ends_with("(gone: --prune drops it)"), "{}", r.stdout);
    let r = run(s.portfix(&a).args(["ports", "--prune"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("dropped port {pg} (dev) of {}", gone.display())), "{}", r.stderr);
    assert!(!r.stdout.contains(&pg.to_string()), "{}", r.stdout);
    let v = s.state_file();
    assert_eq!(v["ports"].as_array().unwrap().len(), 1);
    // the checkout that is left keeps its port
    assert_eq!(s.port(&a, &["dev"]), pa);
    // an empty state
    let empty = Setup::new();
    let r = run(empty.portfix(&a).arg("ports"));
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "no stable ports yet (`portfix port` chooses this checkout's)")
    );
}

/// `portfix --stable --port-file FILE -- python3 -m http.server --bind 127.0.0.1` in `dir`.
fn stable_server(s: &Setup, dir: &Path, extra: &[&str], file: &Path) -> (Proc, tempfile::NamedTempFile) {
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let p = spawn(
        s.portfix(dir)
            .arg("--stable")
            .args(extra)
            .arg("--port-file")
            .arg(file)
            .args(["--", "python3", "-m", "http.server", "--bind", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.reopen().unwrap()),
    );
    (p, stderr)
}

fn port_file(path: &Path) -> Option<u16> {
    poll(Duration::from_secs(30), || std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()))
}

fn http_ok(port: u16) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = c.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.starts_with("HTTP/1.0 200")
}

#[test]
fn stable_runs_the_command_on_its_port_and_ports_sees_it_there() {
    let s = Setup::new();
    let a = s.dir("site");
    std::fs::write(a.join("index.html"), "stable-e2e").unwrap();
    let want = s.port(&a, &["http.server"]);
    let file = s.root.path().join("port");
    let (p, stderr) = stable_server(&s, &a, &[], &file);
    let log = || std::fs::read_to_string(stderr.path()).unwrap_or_default();
    assert_eq!(port_file(&file), Some(want), "it runs on its stable port: {}", log());
    assert!(http_ok(want), "and answers there: {}", log());
    let v = s.ports_json(&a, &[]);
    let row =
        v["ports"].as_array().unwrap().iter().find(|r| r["port"].as_u64() == Some(want.into())).unwrap();
    assert_eq!(row["listening"], true, "{v}");
    assert_eq!(row["from_checkout"], true, "its checkout's command listens there: {v}");
    assert!(row["command"].as_str().unwrap().contains("http.server"), "{v}");
    let r = run(s.portfix(&a).arg("ports"));
    assert!(r.stdout.contains(", from its checkout"), "{}", r.stdout);
    // a listener on another checkout's stable port, run from this one: not that checkout's
    let other = s.dir("other");
    let theirs = s.port(&other, &["api"]);
    let mut py = spawn(
        Command::new("python3")
            .current_dir(&a)
            .args(["-m", "http.server", &theirs.to_string(), "--bind", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let row = poll(Duration::from_secs(30), || {
        let v = s.ports_json(&a, &[]);
        let row = v["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["port"].as_u64() == Some(theirs.into()))?
            .clone();
        (row["listening"] == true).then_some(row)
    })
    .unwrap_or_else(|| panic!("python listens on {theirs}: {:?}", py.try_status()));
    assert_eq!(row["from_checkout"], false, "{row}");
    assert_eq!(row["pids"][0].as_u64(), Some(u64::from(py.pid())), "{row}");
    let r = run(s.portfix(&a).arg("ports"));
    assert!(
        r.stdout.contains(&format!("yes: pid {} python", py.pid()))
            && r.stdout.contains(", not from its checkout"),
        "{}",
        r.stdout
    );
    drop(py);
    drop(p);
    // a stable port that is free again: listed as not listening
    let gone = poll(Duration::from_secs(30), || {
        let v = s.ports_json(&a, &[]);
        (v["ports"][0]["listening"] == false).then_some(())
    });
    assert!(gone.is_some());
}

#[test]
fn a_stranger_on_the_stable_port_moves_this_run_only_with_next() {
    let s = Setup::new();
    let a = s.dir("site");
    let want = s.port(&a, &["http.server"]);
    // a stranger takes the stable port (it was free when chosen, so it binds)
    let stranger = std::net::TcpListener::bind(("127.0.0.1", want)).expect("the stable port is free to take");
    let file = s.root.path().join("port");
    // CI: the usual policy, exit 3 naming the holder
    let r = run(s.portfix(&a).env("CI", "true").args(["--stable", "--", "python3", "-m", "http.server"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("port {want} is in use by:")), "{}", r.stderr);
    // --next: this run elsewhere, the assignment unchanged
    let (p, stderr) = stable_server(&s, &a, &["--next"], &file);
    let log = || std::fs::read_to_string(stderr.path()).unwrap_or_default();
    let got = port_file(&file).unwrap_or_else(|| panic!("no port file: {}", log()));
    assert_ne!(got, want, "{}", log());
    assert!(http_ok(got), "{}", log());
    assert!(log().contains(&format!("port {want} is held by pid {} ", std::process::id())), "{}", log());
    drop(p);
    drop(stranger);
    assert_eq!(s.port(&a, &["http.server"]), want, "the stable port stays");
    // --stable=NAME names it: the command gets that port in $PORT
    let named = s.port(&a, &["web"]);
    let r = run(s.portfix(&a).args(["--stable=web", "--", "sh", "-c", "echo $PORT"]));
    assert_eq!((r.code, r.stdout.trim()), (0, named.to_string().as_str()), "{}", r.stderr);
    // with -p it is one or the other
    let r = run(s.portfix(&a).args(["--stable", "-p", "3000", "--", "true"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_port_written_in_the_command_is_replaced_by_the_stable_one() {
    let s = Setup::new();
    let a = s.dir("a");
    let want = s.port(&a, &["http.server"]);
    let file = s.root.path().join("port");
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let p = spawn(
        s.portfix(&a)
            .args(["--stable", "--port-file"])
            .arg(&file)
            .args(["--", "python3", "-m", "http.server", "8123", "--bind", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.reopen().unwrap()),
    );
    let log = || std::fs::read_to_string(stderr.path()).unwrap_or_default();
    assert_eq!(port_file(&file), Some(want), "{}", log());
    assert!(log().contains(&format!("port 8123 in the command replaced by {want} (--stable)")), "{}", log());
    drop(p);
}

#[test]
fn the_state_is_the_users_own_and_a_broken_file_is_named() {
    let s = Setup::new();
    let a = s.dir("a");
    // without PORTFIX_STATE_DIR: $XDG_STATE_HOME/portfix
    let xdg = s.root.path().join("xdg");
    let r = run(portfix().current_dir(&a).env("XDG_STATE_HOME", &xdg).arg("port"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(xdg.join("portfix/ports.json").is_file());
    // a file that is not portfix's: one line naming it, and what to do
    std::fs::create_dir_all(s.state()).unwrap();
    std::fs::write(s.state().join("ports.json"), "{ not json").unwrap();
    let r = run(s.portfix(&a).arg("port"));
    assert_eq!(r.code, 125, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(lines[0].contains("ports.json: not a portfix state file"), "{}", r.stderr);
    assert!(lines[1].contains("move it away"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(s.state().join("ports.json")).unwrap(),
        "{ not json",
        "left as it was"
    );
}
