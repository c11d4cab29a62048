//! `portfix who`: real listeners held by this test process, by child processes, by another user;
//! portfix run unprivileged; wildcard binds and fixed ports inside a private network namespace.

use std::io::Read as _;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{self, listen_v4, listen_v6, portfix, python_listener, run, spawn, udp_v4};

fn who(args: &[&str]) -> harness::Run {
    run(portfix().arg("who").args(args))
}

fn who_json(args: &[&str]) -> (i32, Value) {
    let r = run(portfix().arg("who").arg("--json").args(args));
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("who --json: {e}\n{}", r.stdout));
    (r.code, v)
}

/// The pids holding a target's first holder socket, from `who --json` output.
fn holder_pids(v: &Value, target: usize) -> Vec<u64> {
    v["targets"][target]["holders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["processes"].as_array().unwrap().iter().map(|p| p["pid"].as_u64().unwrap()))
        .collect()
}

/// The pids holding the socket bound to `local` among a target's holders (other processes may
/// hold the same port number on another address).
fn pids_at(v: &Value, target: usize, local: &str) -> Vec<u64> {
    let h = holder_at(v, target, local);
    h["processes"].as_array().unwrap().iter().map(|p| p["pid"].as_u64().unwrap()).collect()
}

/// Our socket is held by this test process. Other tests running at the same time fork children
/// that share every open socket for the instant before they exec; such a pid may show up too,
/// and is accepted only when it is a child of ours (or already gone).
fn assert_held_by_this_test(pids: &[u64]) {
    let me = u64::from(std::process::id());
    assert!(pids.contains(&me), "this process {me} not among {pids:?}");
    for &pid in pids.iter().filter(|&&p| p != me) {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1));
            assert_eq!(ppid, Some(me.to_string().as_str()), "pid {pid} is not a child of this test");
        }
    }
}

fn holder_at<'a>(v: &'a Value, target: usize, local: &str) -> &'a Value {
    let holders = v["targets"][target]["holders"].as_array().unwrap();
    holders.iter().find(|h| h["local"] == local).unwrap_or_else(|| panic!("no holder {local}: {v}"))
}

/// A Python interpreter another user can run (`nobody` may not read root's pyenv).
pub(crate) fn system_python() -> &'static str {
    if std::path::Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" }
}

pub(crate) fn as_nobody() -> Command {
    assert!(rustix_is_root(), "these tests switch users with setpriv: run them as root (CI does)");
    let mut c = Command::new("setpriv");
    c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]);
    c
}

fn rustix_is_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `script` with `sh` inside a private network namespace (loopback up), with `$PF` the
/// portfix binary, and returns its stdout. Fixed ports and wildcard binds are safe in there.
pub(crate) fn in_netns(script: &str) -> String {
    let prelude = r#"
ip link set lo up
wait_port() { i=0; while ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; do i=$((i+1)); [ $i -gt 500 ] && { echo "port $1 never bound"; exit 99; }; sleep 0.01; done; }
hold() { python3 -c "import socket,time
s=socket.socket(socket.$1, socket.SOCK_STREAM)
s.bind(('$2',$3)); s.listen(); time.sleep(600)" & }
"#;
    let mut p = spawn(
        Command::new("unshare")
            .args(["-n", "sh", "-c", &format!("{prelude}\n{script}")])
            .env("PF", env!("CARGO_BIN_EXE_portfix"))
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped()),
    );
    let mut out = p.child.stdout.take().expect("stdout piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let status = p.wait_for_exit(Duration::from_secs(60)).expect("netns script finishes");
    let text = reader.join().expect("reader").expect("read script output");
    assert!(status.success(), "netns script failed ({status}):\n{text}");
    text
}

/// The exit code printed after `marker` by a netns script (`echo "marker rc=$?"`).
pub(crate) fn rc_of(out: &str, marker: &str) -> i32 {
    let line = out.lines().find(|l| l.starts_with(&format!("{marker} rc="))).unwrap_or_else(|| {
        panic!("no '{marker} rc=' in:\n{out}");
    });
    line.rsplit('=').next().unwrap().parse().unwrap()
}

#[test]
fn names_this_process_on_ipv4_loopback() {
    let (_l, port) = listen_v4();
    let r = who(&[&port.to_string()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("(pid {})", std::process::id())), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("127.0.0.1:{port}")), "{}", r.stdout);
    assert!(r.stdout.contains("loopback only"), "{}", r.stdout);
    let (_, v) = who_json(&[&port.to_string()]);
    assert_held_by_this_test(&pids_at(&v, 0, &format!("127.0.0.1:{port}")));
    assert_eq!(holder_at(&v, 0, &format!("127.0.0.1:{port}"))["reach"], "loopback");
}

#[test]
fn names_this_process_on_ipv6_loopback() {
    let (_l, port) = listen_v6();
    let (code, v) = who_json(&[&port.to_string()]);
    assert_eq!(code, 0);
    assert_held_by_this_test(&pids_at(&v, 0, &format!("[::1]:{port}")));
    // an IPv4 bind on the same port does not collide with ::1 (another process may hold that
    // number on IPv4: only our socket must not be counted)
    let (_, v) = who_json(&[&format!("127.0.0.1:{port}")]);
    assert!(!holder_pids(&v, 0).contains(&u64::from(std::process::id())), "{v}");
}

#[test]
fn udp_only_with_the_flag() {
    let (_s, port) = udp_v4();
    let (code, v) = who_json(&["--udp", &port.to_string()]);
    assert_eq!(code, 0);
    assert_held_by_this_test(&pids_at(&v, 0, &format!("127.0.0.1:{port}")));
    assert_eq!(holder_at(&v, 0, &format!("127.0.0.1:{port}"))["state"], "bound");
    assert_eq!(v["targets"][0]["proto"], "udp");
    let (_, v) = who_json(&[&port.to_string()]);
    assert!(!holder_pids(&v, 0).contains(&u64::from(std::process::id())), "UDP is not TCP: {v}");
}

#[test]
fn names_a_child_process_with_its_command_line_and_directory() {
    let (child, port) = python_listener("127.0.0.1", 0);
    let (code, v) = who_json(&[&port.to_string()]);
    assert_eq!(code, 0);
    let local = format!("127.0.0.1:{port}");
    assert_eq!(pids_at(&v, 0, &local), [u64::from(child.pid())]);
    let p = &holder_at(&v, 0, &local)["processes"][0];
    assert!(p["name"].as_str().unwrap().starts_with("python"), "{p}");
    assert!(p["command"][1] == "-c" && p["command"][2].as_str().unwrap().contains("s.listen()"), "{p}");
    assert!(p["command"][2].as_str().unwrap().contains('\n'), "raw in JSON (serde escapes it): {p}");
    assert_eq!(p["cwd"], std::env::current_dir().unwrap().display().to_string());
    assert_eq!(p["user"], "root");
    assert!(p["age_secs"].as_u64().unwrap() < 600);
    let r = who(&[&port.to_string()]);
    assert!(r.stdout.contains(&format!("pid {}  python3", child.pid())), "{}", r.stdout);
    let command = r.stdout.lines().find(|l| l.trim_start().starts_with("command")).expect("a command line");
    assert!(command.contains("\\ns.bind("), "newlines are escaped for display: {}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "no colour off a terminal: {}", r.stdout);
}

#[test]
fn json_has_the_documented_fields() {
    let (_l, port) = listen_v4();
    let (_, v) = who_json(&[&port.to_string()]);
    let t = &v["targets"][0];
    for k in [
        "target",
        "proto",
        "port",
        "address",
        "held",
        "port_class",
        "port_class_text",
        "ephemeral_range",
        "usual_use",
        "address_kind",
        "address_text",
        "reachable_from_other_machines",
        "holders",
        "connections",
        "time_wait",
        "hint",
    ] {
        assert!(t.get(k).is_some(), "target lacks {k}: {t}");
    }
    let h = &t["holders"][0];
    for k in ["local", "state", "reach", "meaning", "uid", "user", "hidden", "processes"] {
        assert!(h.get(k).is_some(), "holder lacks {k}: {h}");
    }
    let p = &h["processes"][0];
    for k in [
        "pid",
        "name",
        "command",
        "exe",
        "cwd",
        "uid",
        "user",
        "start_time",
        "age_secs",
        "kernel_thread",
        "systemd_unit",
        "parents",
        "supervisor",
        "run_root",
        "earlier_run",
    ] {
        assert!(p.get(k).is_some(), "process lacks {k}: {p}");
    }
    assert_eq!(t["held"], true);
    assert_eq!(t["port"], port);
    assert_eq!(h["hidden"], false);
}

#[test]
fn a_holder_run_as_another_user_is_named_as_root() {
    let code = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)";
    let mut child = spawn(as_nobody().args([system_python(), "-c", code]).stdout(Stdio::piped()));
    let port = harness::read_first_line(&mut child);
    let (rc, v) = who_json(&[&port]);
    assert_eq!(rc, 0);
    let h = holder_at(&v, 0, &format!("127.0.0.1:{port}"));
    assert_eq!(pids_at(&v, 0, &format!("127.0.0.1:{port}")), [u64::from(child.pid())], "{v}");
    assert_eq!(h["processes"][0]["user"], "nobody");
    assert_eq!(h["user"], "nobody");
}

#[test]
fn unprivileged_portfix_reports_a_root_socket_with_its_uid_and_the_sudo_hint() {
    let (_l, port) = listen_v4();
    let out = as_nobody()
        .args([env!("CARGO_BIN_EXE_portfix"), "who", &port.to_string()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("root (uid 0)"), "{text}");
    assert!(text.contains(&format!("sudo portfix who {port}")), "{text}");
    assert!(!text.contains(&std::process::id().to_string()), "nobody cannot see our pid: {text}");
}

#[test]
fn a_connected_client_is_not_a_holder_and_both_ends_are_named() {
    // A Python server that accepts one connection and keeps it open.
    let code = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\nc,_=s.accept()\ntime.sleep(600)";
    let mut server = spawn(Command::new("python3").args(["-c", code]).stdout(Stdio::piped()));
    let server_port: u16 = harness::read_first_line(&mut server).parse().unwrap();
    let client = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
    let client_port = client.local_addr().unwrap().port();
    let target = format!("127.0.0.1:{client_port}");

    // Poll until the server has accepted (its end then has an fd, so an owner).
    let v = harness::poll(Duration::from_secs(10), || {
        let (_, v) = who_json(&[&target]);
        let ends = v["targets"][0]["connections"][0]["ends"].clone();
        (ends[1]["processes"].as_array().is_some_and(|p| !p.is_empty())).then_some(v)
    })
    .expect("the other end of the connection gets an owner");
    let t = &v["targets"][0];
    assert_eq!(t["held"], false);
    let ends = &t["connections"][0]["ends"];
    assert_eq!(ends[0]["address"], target);
    assert_eq!(ends[0]["processes"][0]["pid"], std::process::id());
    assert_eq!(ends[1]["address"], format!("127.0.0.1:{server_port}"));
    assert_eq!(ends[1]["processes"][0]["pid"], server.pid());

    let r = who(&[&target]);
    assert_eq!(r.code, 1, "a client end holds nothing: {}", r.stdout);
    assert!(r.stdout.contains("nothing listens on it; it is one end of 1 connection"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("pid {} ", server.pid())), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("pid {} ", std::process::id())), "{}", r.stdout);
    assert_eq!(who(&[&client_port.to_string()]).code, 1);
    drop(client);
}

#[test]
fn time_wait_is_reported_but_holds_nothing() {
    let (l, port) = listen_v4();
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client_port = client.local_addr().unwrap().port();
    let (mut accepted, _) = l.accept().unwrap();
    drop(client); // the client closes first: its end goes to TIME_WAIT
    let mut buf = [0u8; 1];
    assert_eq!(accepted.read(&mut buf).unwrap(), 0);
    drop(accepted);
    let r = harness::poll(Duration::from_secs(10), || {
        let r = who(&[&client_port.to_string()]);
        r.stdout.contains("TIME_WAIT").then_some(r)
    })
    .expect("the client's end shows in TIME_WAIT");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("nothing holds it; 1 connection in TIME_WAIT, free again in about a minute"),
        "{}",
        r.stdout
    );
    drop(l);
}

#[test]
fn wildcards_and_neighbouring_addresses_in_a_private_namespace() {
    let out = in_netns(
        r#"
hold AF_INET6 :: 3000; P3000=$!; PIDS=$!; wait_port 3000
hold AF_INET 127.0.0.2 4000; PIDS="$PIDS $!"; wait_port 4000
hold AF_INET 0.0.0.0 5000; PIDS="$PIDS $!"; wait_port 5000
hold AF_INET 127.0.0.1 30002; PIDS="$PIDS $!"; wait_port 30002
echo "pid3000=$P3000"
$PF who --json 3000; echo "a rc=$?"
$PF who 127.0.0.1:3000 >/dev/null; echo "b rc=$?"
$PF who 30001 >/dev/null; echo "c rc=$?"
$PF who 300 >/dev/null; echo "d rc=$?"
$PF who 127.0.0.1:4000 >/dev/null; echo "e rc=$?"
$PF who 127.0.0.2:4000 >/dev/null; echo "f rc=$?"
$PF who 0.0.0.0:4000 >/dev/null; echo "g rc=$?"
$PF who 5000; echo "h rc=$?"
$PF who [::1]:5000 >/dev/null; echo "i rc=$?"
$PF who [::]:5000 >/dev/null; echo "j rc=$?"
$PF who [::ffff:127.0.0.2]:4000 >/dev/null; echo "k rc=$?"
kill $PIDS
"#,
    );
    let pid: u64 = out.lines().find_map(|l| l.strip_prefix("pid3000=")).unwrap().parse().unwrap();
    let json: String =
        out.lines().take_while(|l| !l.starts_with("a rc=")).skip(1).collect::<Vec<_>>().join("\n");
    let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(holder_pids(&v, 0), [pid], "{out}");
    let h = &v["targets"][0]["holders"];
    assert_eq!(h.as_array().unwrap().len(), 1, "only port 3000, never 30002: {out}");
    assert_eq!(h[0]["local"], "[::]:3000");
    assert_eq!(h[0]["reach"], "all-interfaces");
    assert!(h[0]["meaning"].as_str().unwrap().contains("reachable from other machines"));
    assert_eq!(rc_of(&out, "a"), 0);
    assert_eq!(rc_of(&out, "b"), 0, "dual-stack :: holds 127.0.0.1");
    assert_eq!(rc_of(&out, "c"), 1, "3000 is not 30001");
    assert_eq!(rc_of(&out, "d"), 1, "3000 is not 300");
    assert_eq!(rc_of(&out, "e"), 1, "127.0.0.2 leaves 127.0.0.1 free");
    assert_eq!(rc_of(&out, "f"), 0);
    assert_eq!(rc_of(&out, "g"), 0, "a wildcard bind collides with 127.0.0.2");
    assert!(
        out.contains("0.0.0.0:5000 — every IPv4 address of this machine: reachable from other machines"),
        "{out}"
    );
    assert_eq!(rc_of(&out, "h"), 0);
    assert_eq!(rc_of(&out, "i"), 1, "0.0.0.0 leaves ::1 free");
    assert_eq!(rc_of(&out, "j"), 0, "a dual-stack :: bind collides with 0.0.0.0");
    assert_eq!(rc_of(&out, "k"), 0, "::ffff:127.0.0.2 is 127.0.0.2");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for bad in ["0", "65536", "abc", "1.2.3.4:x"] {
        let r = who(&[bad]);
        assert_eq!(r.code, 2, "who {bad}: {}", r.stderr);
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "who {bad}: {}", r.stderr);
        assert!(r.stderr.starts_with("portfix: "), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn several_targets_exit_0_when_any_is_held() {
    let (l, port) = listen_v4();
    // A client's port: the kernel never gives a connection a port that something listens on.
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let free_port = client.local_addr().unwrap().port();
    let (code, v) = who_json(&[&free_port.to_string(), &port.to_string()]);
    assert_eq!(code, 0);
    assert_eq!(v["targets"][0]["held"], false);
    assert_eq!(v["targets"][1]["held"], true);
    assert_eq!(who(&[&free_port.to_string()]).code, 1);
    drop((client, l));
}

#[test]
fn forked_workers_that_changed_user_and_daemons_that_dropped_root_are_found() {
    // A master binds as root and forks a worker that becomes nobody: both hold the socket.
    let master = "import os,socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\npid=os.fork()\nif pid==0:\n    os.setgid(65534); os.setuid(65534); time.sleep(600)\nprint(s.getsockname()[1],pid,flush=True)\ntime.sleep(600)";
    let mut m = spawn(Command::new(system_python()).args(["-c", master]).stdout(Stdio::piped()));
    let line = harness::read_first_line(&mut m);
    let (port, worker) = line.split_once(' ').unwrap();
    // A daemon binds as root, then drops to nobody: the socket's uid (0) is not its owner's.
    let daemon = "import os,socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nos.setgid(65534); os.setuid(65534)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)";
    let mut d = spawn(Command::new(system_python()).args(["-c", daemon]).stdout(Stdio::piped()));
    let daemon_port = harness::read_first_line(&mut d);

    let (code, v) = who_json(&[port, &daemon_port]);
    assert_eq!(code, 0);
    let mut want = vec![u64::from(m.pid()), worker.parse().unwrap()];
    want.sort_unstable();
    assert_eq!(pids_at(&v, 0, &format!("127.0.0.1:{port}")), want, "{v}");
    assert_eq!(holder_at(&v, 0, &format!("127.0.0.1:{port}"))["uid"], 0);
    let daemon_local = format!("127.0.0.1:{daemon_port}");
    assert_eq!(pids_at(&v, 1, &daemon_local), [u64::from(d.pid())], "{v}");
    assert_eq!(holder_at(&v, 1, &daemon_local)["processes"][0]["user"], "nobody");
}

/// Issue 10, item 9: a connection the kernel completed but the listener's process has not
/// accept()ed yet has no fd anywhere. Its server end is queued on the listener (named), not a
/// hidden process; its client end is the connecting process.
#[test]
fn a_connection_not_yet_accepted_is_queued_on_its_listener() {
    let (listener, port) = python_listener("127.0.0.1", 0); // listens, never accepts
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client_port = client.local_addr().unwrap().port();
    let client_end = format!("127.0.0.1:{client_port}");
    let server_end = format!("127.0.0.1:{port}");

    let r = who(&[&client_end]);
    assert_eq!(r.code, 1, "the client end holds nothing: {}", r.stdout);
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with(&server_end)).unwrap_or_else(|| {
        panic!("no line for the server end {server_end}:\n{}", r.stdout);
    });
    assert!(
        line.contains(&format!("queued on the listener {server_end} of pid {} python3", listener.pid()))
            && line.contains("not yet accepted"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("not visible"), "{}", r.stdout);
    assert!(!r.stdout.contains("hint"), "nothing is hidden: {}", r.stdout);
    assert!(r.stdout.contains(&format!("{client_end}  pid {} ", std::process::id())), "{}", r.stdout);

    let (_, v) = who_json(&[&client_end]);
    let ends = &v["targets"][0]["connections"][0]["ends"];
    assert_eq!(ends[1]["address"], server_end, "{v}");
    assert_eq!(ends[1]["hidden"], false, "{v}");
    assert_eq!(ends[1]["queued_on"]["local"], server_end, "{v}");
    assert_eq!(ends[1]["queued_on"]["processes"][0]["pid"], listener.pid(), "{v}");
    assert_eq!(ends[0]["queued_on"], Value::Null, "{v}");
    assert_eq!(v["targets"][0]["hint"], Value::Null, "{v}");

    // Run by another user, portfix cannot see the listener's process: it says whose it is.
    let out = as_nobody()
        .args([env!("CARGO_BIN_EXE_portfix"), "who", &client_end])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("queued on the listener {server_end} (root (uid 0), not visible)")),
        "{text}"
    );
    assert!(text.contains(&format!("sudo portfix who {client_end}")), "{text}");

    // The server end's own address is the listener's: held by it, exit 0.
    let r = who(&[&server_end]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains(&format!("is held by python3 (pid {})", listener.pid())), "{}", r.stdout);
    drop(client);
}

/// Issue 10, item 10: the address and the port are explained even when nothing holds them:
/// the address's kind among this machine's own addresses, who could reach a server there, the
/// port's class against this machine's ephemeral range, and what usually listens there.
#[test]
fn the_address_and_port_are_explained_when_nothing_holds_them() {
    let out = in_netns(
        r#"
ip addr add 10.77.0.1/32 dev lo
ip addr add 203.0.113.7/32 dev lo
echo "40000 50000" > /proc/sys/net/ipv4/ip_local_port_range
$PF who 127.0.0.1:62893; echo "a rc=$?"
$PF who 0.0.0.0:5173; echo "b rc=$?"
$PF who 10.77.0.1:8000; echo "c rc=$?"
$PF who 203.0.113.7:5432; echo "d rc=$?"
$PF who 192.0.2.9:3000; echo "e rc=$?"
$PF who 45000; echo "f rc=$?"
$PF who --json 127.0.0.1:62893 45000 0.0.0.0:5173; echo "g rc=$?"
"#,
    );
    let section = |m: &str| -> String {
        let end = out.find(&format!("{m} rc=")).unwrap_or_else(|| panic!("no {m}: {out}"));
        let start = out[..end].rfind(" rc=").map_or(0, |i| i + 6);
        out[start..end].to_string()
    };
    for m in ["a", "b", "c", "d", "e", "f"] {
        assert_eq!(rc_of(&out, m), 1, "{out}");
    }
    let a = section("a");
    assert!(a.contains("address") && a.contains("127.0.0.1 — loopback"), "{a}");
    assert!(a.contains("only this machine can reach a server bound there"), "{a}");
    assert!(a.contains("dynamic/private port") && a.contains("40000-50000"), "the host's own range: {a}");
    let b = section("b");
    assert!(b.contains("0.0.0.0 — wildcard") && b.contains("other machines can reach"), "{b}");
    assert!(b.contains("Vite"), "what usually sits on 5173: {b}");
    let c = section("c");
    assert!(c.contains("one of this machine's local-network addresses"), "{c}");
    assert!(c.contains("Django") && c.contains("http.server"), "{c}");
    let d = section("d");
    assert!(d.contains("one of this machine's public addresses"), "{d}");
    assert!(d.contains("PostgreSQL"), "{d}");
    let e = section("e");
    assert!(e.contains("not an address of this machine"), "{e}");
    assert!(e.contains("React") && e.contains("Rails"), "{e}");
    let f = section("f");
    assert!(f.contains("ephemeral port") && f.contains("40000-50000"), "{f}");
    assert!(!f.contains("address "), "a bare port has no address to explain: {f}");

    let json = section("g");
    let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    let t = &v["targets"];
    assert_eq!(t[0]["address_kind"], "loopback", "{v}");
    assert_eq!(t[0]["reachable_from_other_machines"], false, "{v}");
    assert_eq!(t[0]["port_class"], "dynamic", "{v}");
    assert_eq!(t[0]["ephemeral_range"], "40000-50000", "{v}");
    assert_eq!(t[0]["usual_use"], Value::Null, "{v}");
    assert!(t[0]["address_text"].as_str().unwrap().contains("loopback"), "{v}");
    assert_eq!(t[1]["address_kind"], Value::Null, "{v}");
    assert_eq!(t[1]["reachable_from_other_machines"], Value::Null, "{v}");
    assert_eq!(t[1]["port_class"], "ephemeral", "{v}");
    assert_eq!(t[2]["address_kind"], "wildcard", "{v}");
    assert_eq!(t[2]["reachable_from_other_machines"], true, "{v}");
    assert!(t[2]["usual_use"].as_str().unwrap().contains("Vite"), "{v}");
}

/// A listener whose command line has a 20,000-character argument.
fn long_command_listener() -> (harness::Proc, u16, String) {
    let long = "x".repeat(20_000);
    let code = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)";
    let mut p = spawn(Command::new("python3").args(["-c", code, &long]).stdout(Stdio::piped()));
    let port = harness::read_first_line(&mut p).parse().unwrap();
    (p, port, long)
}

/// Issue 10, item 12: a long command line is shortened in `who`'s text (to about 200
/// characters off a terminal), whole with `--full` and in `--json`.
#[test]
fn a_long_command_line_is_shortened_unless_full_or_json() {
    let (_p, port, long) = long_command_listener();
    let r = who(&[&port.to_string()]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let command = r.stdout.lines().find(|l| l.trim_start().starts_with("command")).expect("a command line");
    assert!(command.ends_with('…'), "{command}");
    assert!(command.chars().count() <= 200, "{} characters", command.chars().count());
    assert!(r.stdout.lines().all(|l| l.chars().count() <= 200), "{}", r.stdout);

    let r = who(&["--full", &port.to_string()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&long), "--full shows it whole");
    let (_, v) = who_json(&[&port.to_string()]);
    assert_eq!(v["targets"][0]["holders"][0]["processes"][0]["command"][3], long.as_str());
}

/// At a terminal the command line is shortened to the terminal's width.
#[test]
fn a_long_command_line_fits_the_terminal() {
    use expectrl::{Eof, Expect};
    let (_p, port, _) = long_command_listener();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("stty cols 90 rows 20; exec \"$0\" who \"$1\"").arg(env!("CARGO_BIN_EXE_portfix"));
    cmd.arg(port.to_string());
    harness::portfix_env(&mut cmd);
    let mut s = harness::pty_session(cmd);
    let found = s.expect(Eof).unwrap();
    let text = String::from_utf8_lossy(found.as_bytes()).into_owned();
    assert!(text.contains("is held by python3"), "{text}");
    let command = text.lines().find(|l| l.trim_start().starts_with("command")).expect("a command line");
    assert!(command.trim_end().ends_with('…'), "{command}");
    assert!(command.trim_end().chars().count() <= 90, "wider than the terminal: {command:?}");
}

/// Issue 10, item 13: an IPv6 address with a port and no brackets, and its near misses, get one
/// line that says how to write it (exit 2).
#[test]
fn ipv6_without_brackets_and_other_near_misses_say_how_to_write_them() {
    for (bad, says) in [
        ("::1:4002", "[::1]:4002"),
        ("[::1]4002", "[::1]:4002"),
        ("::1", "[::1]:PORT"),
        ("[::1]", "[::1]:PORT"),
        ("127.0.0.1:", "127.0.0.1:PORT"),
        ("1.2.3.4", "1.2.3.4:PORT"),
        ("fe80::1:8080", "[fe80::1]:8080"),
    ] {
        let r = who(&[bad]);
        assert_eq!(r.code, 2, "who {bad}: {}", r.stderr);
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "who {bad}: {}", r.stderr);
        assert!(r.stderr.contains(says), "who {bad}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // `:PORT` is a port, as written in many logs.
    let (_l, port) = listen_v4();
    assert_eq!(who(&[&format!(":{port}")]).code, 0);
}
