//! `portfix list`: every listener with its owner, one line each, by port then address.

use serde_json::Value;

use crate::harness::{listen_v4, listen_v6, portfix, python_listener, run, udp_v4};
use crate::who::{as_nobody, in_netns};

fn list_json(args: &[&str]) -> Vec<Value> {
    let r = run(portfix().arg("list").arg("--json").args(args));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("list --json: {e}"));
    v["sockets"].as_array().unwrap().clone()
}

fn find<'a>(sockets: &'a [Value], local: &str) -> Option<&'a Value> {
    sockets.iter().find(|s| s["local"] == local)
}

#[test]
fn lists_listeners_of_this_process_and_a_child_with_owners() {
    let (_a, p4) = listen_v4();
    let (_b, p6) = listen_v6();
    let (child, pc) = python_listener("127.0.0.1", 0);
    let (_u, pu) = udp_v4();
    let me = u64::from(std::process::id());

    let all = list_json(&[]);
    let v4 = find(&all, &format!("127.0.0.1:{p4}")).expect("the IPv4 listener is listed");
    assert_eq!(v4["processes"][0]["pid"], me);
    assert_eq!(v4["proto"], "tcp");
    let v6 = find(&all, &format!("[::1]:{p6}")).expect("the IPv6 listener is listed");
    assert_eq!(v6["processes"][0]["pid"], me);
    let py = find(&all, &format!("127.0.0.1:{pc}")).expect("the child's listener is listed");
    assert_eq!(py["processes"][0]["pid"], child.pid());
    assert!(py["processes"][0]["command"][2].as_str().unwrap().contains("s.listen()"));
    assert!(
        find(&all, &format!("127.0.0.1:{pu}")).is_none_or(|s| s["proto"] != "udp"),
        "UDP only with --all"
    );

    let with_udp = list_json(&["--all"]);
    assert!(
        with_udp.iter().any(|s| s["proto"] == "udp" && s["local"] == format!("127.0.0.1:{pu}")),
        "--all lists the UDP socket"
    );

    let r = run(portfix().arg("list"));
    let line =
        r.stdout.lines().find(|l| l.contains(&format!("127.0.0.1:{pc} "))).expect("a line for the child");
    assert!(line.starts_with("tcp "), "{line}");
    assert!(line.contains(&format!(" {} ", child.pid())) && line.contains("python"), "{line}");
    assert!(r.stdout.starts_with("PROTO"), "{}", r.stdout);
    // one line per socket: the child's multi-line command is escaped onto its line
    assert!(line.contains("\\n"), "{line}");
}

#[test]
fn sorted_by_port_then_address_columns_aligned() {
    let out = in_netns(
        r#"
hold AF_INET 127.0.0.1 5000; PIDS=$!; wait_port 5000
hold AF_INET6 ::1 4000; PIDS="$PIDS $!"; wait_port 4000
hold AF_INET 0.0.0.0 3000; PIDS="$PIDS $!"; wait_port 3000
hold AF_INET 127.0.0.1 4000; PIDS="$PIDS $!"
i=0; until [ "$(ss -Hltn 'sport = :4000' | wc -l)" = 2 ]; do i=$((i+1)); [ $i -gt 500 ] && exit 99; sleep 0.01; done
hold AF_INET 127.0.0.1 80; PIDS="$PIDS $!"; wait_port 80
$PF list
echo "--- all"
$PF list --all
kill $PIDS
"#,
    );
    let (plain, all) = out.split_once("--- all").unwrap();
    let addrs: Vec<&str> = plain.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(addrs, ["0.0.0.0:3000", "127.0.0.1:4000", "[::1]:4000", "127.0.0.1:5000"], "{out}");
    let lines: Vec<&str> = plain.lines().collect();
    let col = lines[0].find("PID").unwrap();
    for l in &lines[1..] {
        assert!(l.as_bytes()[col - 1] == b' ' && l.as_bytes()[col] != b' ', "PID column aligned: {plain}");
    }
    assert!(all.contains("127.0.0.1:80 "), "--all shows ports below 1024: {all}");
}

#[test]
fn another_users_socket_is_listed_with_its_owner_and_the_sudo_hint() {
    let (_l, port) = listen_v4();
    let out =
        as_nobody().args([env!("CARGO_BIN_EXE_portfix"), "list"]).env("NO_COLOR", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line =
        text.lines().find(|l| l.contains(&format!("127.0.0.1:{port} "))).expect("our socket is listed");
    assert!(line.contains(" - ") && line.contains(" root "), "{line}");
    assert!(line.contains("sudo portfix list"), "{line}");
}
