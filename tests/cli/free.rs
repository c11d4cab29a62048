//! `portfix free` end to end, against real sockets.
//!
//! Two kinds of test:
//! - On the machine's own network: the test holds a port the OS gave it (127.0.0.1:0 or ::1:0)
//!   and asks `free` to start there. What `free` returns is then bound by the test on both
//!   loopback addresses. That check can only be upset by another process taking the very same
//!   port in the few milliseconds between the two; the returned port sits right above one the
//!   OS just handed out from its ephemeral range, where nothing listens by design, so a failure
//!   there is a real bug, not noise.
//! - Fixed ports and wildcard holders (0.0.0.0, ::, 127.0.0.2) only inside a private network
//!   namespace (`unshare -n`), through a small Python driver that brings `lo` up, binds the
//!   holders (bind and listen return before portfix runs: nothing to wait for), runs portfix,
//!   and binds what it returned on 0.0.0.0, ::, 127.0.0.1 and ::1 without SO_REUSEADDR.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{self, Run, listen_v4, listen_v6, portfix, run};

fn lines(r: &Run) -> Vec<u16> {
    r.stdout
        .lines()
        .map(|l| l.parse().unwrap_or_else(|_| panic!("not a port: {l:?} in {}", info(r))))
        .collect()
}

/// A run, for assertion messages.
fn info(r: &Run) -> String {
    format!("exit {}, stdout {:?}, stderr {:?}", r.code, r.stdout, r.stderr)
}

/// Binds `port` on 127.0.0.1 and ::1 (std, the way a server would), proving it was free.
fn binds_on_loopback(port: u16) {
    let v4 = TcpListener::bind(("127.0.0.1", port));
    let v6 = TcpListener::bind(("::1", port));
    assert!(v4.is_ok() && v6.is_ok(), "free returned {port}, but binding it failed: {v4:?} {v6:?}");
}

#[test]
fn a_port_held_on_127_0_0_1_is_skipped_and_the_answer_binds() {
    let (_held, port) = listen_v4();
    let r = run(portfix().args(["free", &port.to_string()]));
    assert_eq!(r.code, 0, "{}", info(&r));
    let got = lines(&r);
    assert_eq!(got.len(), 1, "{}", info(&r));
    assert!(got[0] > port && got[0] <= port + 99, "{port} held, got {got:?}");
    binds_on_loopback(got[0]);
}

#[test]
fn a_port_held_on_ipv6_loopback_only_is_skipped() {
    let (_held, port) = listen_v6();
    let r = run(portfix().args(["free", &port.to_string()]));
    assert_eq!(r.code, 0, "{}", info(&r));
    let got = lines(&r);
    assert_eq!(got.len(), 1, "{}", info(&r));
    assert_ne!(got[0], port, "{}", info(&r));
    binds_on_loopback(got[0]);
}

#[test]
fn count_gives_distinct_ascending_ports_that_bind() {
    let (_held, port) = listen_v4();
    let r = run(portfix().args(["free", &port.to_string(), "--count", "3"]));
    assert_eq!(r.code, 0, "{}", info(&r));
    let got = lines(&r);
    assert_eq!(got.len(), 3, "{}", info(&r));
    assert!(got.windows(2).all(|w| w[0] < w[1]), "not ascending: {got:?}");
    assert!(!got.contains(&port), "{got:?}");
    for p in got {
        binds_on_loopback(p);
    }
}

#[test]
fn a_held_one_port_range_is_exit_1_with_a_clear_line() {
    let (_held, port) = listen_v4();
    let r = run(portfix().args(["free", "--range", &format!("{port}-{port}")]));
    assert_eq!(r.code, 1, "{}", info(&r));
    assert_eq!(r.stdout, "", "{}", info(&r));
    let mut err = r.stderr.lines();
    assert_eq!(
        err.next(),
        Some(format!("portfix: no free port in {port}-{port}: {port} is in use").as_str())
    );
    assert!(err.next().is_some_and(|h| h.contains("--range")), "{}", info(&r));
}

#[test]
fn too_few_in_range_prints_none() {
    // a two-port range cannot give three ports: all or nothing, so stdout stays empty
    let (_held, port) = listen_v4();
    let r = run(portfix().args(["free", "--range", &format!("{port}-{}", port + 1), "-n", "3"]));
    assert_eq!(r.code, 1, "{}", info(&r));
    assert_eq!(r.stdout, "", "{}", info(&r));
    assert!(r.stderr.contains("of the 3 free ports asked for"), "{}", info(&r));
    assert!(r.stderr.contains(&format!("{port} is in use")), "{}", info(&r));
}

#[test]
fn json_shape() {
    let (_held, port) = listen_v4();
    let r = run(portfix().args(["free", &port.to_string(), "-n", "2", "--json"]));
    assert_eq!(r.code, 0, "{}", info(&r));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    let ports: Vec<u64> = v["ports"].as_array().expect("ports").iter().map(|p| p.as_u64().unwrap()).collect();
    assert_eq!(ports.len(), 2, "{v}");
    assert!(ports[0] > u64::from(port) && ports[0] < ports[1], "{v}");
    assert_eq!(v["proto"], "tcp");
    assert_eq!(v["searched"]["lo"], port);
    assert_eq!(v["searched"]["hi"], port + 99);
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn bad_input_is_exit_2_with_one_line() {
    for args in [
        &["free", "0"][..],
        &["free", "65536"],
        &["free", "abc"],
        &["free", "--range", "10-5"],
        &["free", "--count", "0"],
        &["free", "5000", "--range", "3000-3100"],
    ] {
        let r = run(portfix().args(args));
        assert_eq!(r.code, 2, "{args:?}: {}", info(&r));
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", info(&r));
        assert!(r.stderr.starts_with("portfix: "), "{args:?}: {}", info(&r));
    }
}

/// Runs inside a private network namespace: brings lo up, binds the holders given as JSON
/// `[[family, addr, port, v6only, type], ...]`, runs portfix with the remaining arguments, then
/// binds every port it printed on the four probed addresses without SO_REUSEADDR (holders closed
/// first). Prints one JSON object: code, stdout, stderr, and the ports that failed to bind.
const NETNS_DRIVER: &str = r#"
import errno, json, socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
spec, argv = json.loads(sys.argv[1]), sys.argv[2:]
if spec["no_ipv6"]:
    subprocess.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.lo.disable_ipv6=1"], check=True)
holders = []
for kind, addr, port, v6only in spec["holders"]:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    if kind == "tcp":
        s.listen()
    holders.append(s)
r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
for s in holders:
    s.close()
unbindable = []
for line in r.stdout.split() if r.returncode == 0 and not r.stdout.startswith("{") else []:
    for fam, addr in [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::"), (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]:
        t = socket.socket(fam)
        if fam == socket.AF_INET6:
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            t.bind((addr, int(line)))
        except OSError as e:
            if not (spec["no_ipv6"] and addr == "::1" and e.errno == errno.EADDRNOTAVAIL):
                unbindable.append([line, addr, str(e)])
        t.close()
print(json.dumps({"code": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "unbindable": unbindable}))
"#;

/// A holder for [`in_netns`]: (tcp|udp|bound, address, port, IPV6_V6ONLY); `bound` is a TCP
/// socket bound but not listening.
type Holder = (&'static str, &'static str, u16, bool);

/// Runs `prefix... portfix ARGS` inside `unshare -n` with `holders` bound (and IPv6 switched off
/// on every interface when `no_ipv6`); returns the run and asserts that every port it printed
/// binds on all four probed addresses.
fn in_netns_as(prefix: &[&str], no_ipv6: bool, holders: &[Holder], args: &[&str]) -> Run {
    let holders: Vec<(&str, &str, u16, u8)> =
        holders.iter().map(|&(k, a, p, v6)| (k, a, p, u8::from(v6))).collect();
    let spec = serde_json::json!({ "holders": holders, "no_ipv6": no_ipv6 });
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "python3", "-c", NETNS_DRIVER, &serde_json::to_string(&spec).unwrap()])
        .args(prefix)
        .arg(env!("CARGO_BIN_EXE_portfix"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut proc = harness::spawn(&mut cmd);
    let status = proc.wait_for_exit(Duration::from_secs(30)).expect("netns driver ends within 30 s");
    let mut out = String::new();
    let mut err = String::new();
    use std::io::Read as _;
    proc.child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    proc.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "netns driver failed: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(v["unbindable"], serde_json::json!([]), "free returned a port that does not bind: {v}");
    Run {
        code: v["code"].as_i64().unwrap() as i32,
        stdout: v["stdout"].as_str().unwrap().into(),
        stderr: v["stderr"].as_str().unwrap().into(),
    }
}

fn in_netns(holders: &[Holder], args: &[&str]) -> Run {
    in_netns_as(&[], false, holders, args)
}

/// `free ARGS` in a fresh namespace with `holders`: the printed ports.
fn free_in_netns(holders: &[Holder], args: &[&str]) -> Vec<u16> {
    let mut all = vec!["free"];
    all.extend_from_slice(args);
    let r = in_netns(holders, &all);
    assert_eq!(r.code, 0, "free {args:?} with {holders:?}: {}", info(&r));
    lines(&r)
}

#[test]
fn browser_bad_ports_are_never_returned() {
    assert_eq!(free_in_netns(&[], &["5999", "-n", "2"]), [5999, 6001]);
    assert_eq!(free_in_netns(&[], &["6665"]), [6670]);
    assert_eq!(free_in_netns(&[], &["10080"]), [10081]);
    let r = in_netns(&[], &["free", "--range", "6665-6669"]);
    assert_eq!(r.code, 1, "{}", info(&r));
    assert!(r.stderr.contains("5 refused by browsers"), "{}", info(&r));
}

#[test]
fn the_default_start_is_3000() {
    assert_eq!(free_in_netns(&[], &[]), [3000]);
    assert_eq!(free_in_netns(&[("tcp", "127.0.0.1", 3000, false)], &[]), [3001]);
}

#[test]
fn wildcard_holders_make_the_port_busy() {
    assert_eq!(free_in_netns(&[("tcp", "0.0.0.0", 3000, false)], &["3000"]), [3001]);
    assert_eq!(free_in_netns(&[("tcp", "::", 3000, true)], &["3000"]), [3001]);
    // dual-stack ::
    assert_eq!(free_in_netns(&[("tcp", "::", 3000, false)], &["3000"]), [3001]);
}

#[test]
fn a_holder_on_another_loopback_address_makes_the_port_busy() {
    // A dev server binding 0.0.0.0:3000 would fail next to 127.0.0.2:3000, so 3000 is not free.
    assert_eq!(free_in_netns(&[("tcp", "127.0.0.2", 3000, false)], &["3000"]), [3001]);
    assert_eq!(free_in_netns(&[("tcp", "::1", 3000, true)], &["3000"]), [3001]);
}

#[test]
fn a_socket_bound_but_not_listening_makes_the_port_busy() {
    // Not a listener, so not in the table as a holder; but a server's bind would fail on it (it
    // was bound without SO_REUSEADDR), and only the probe bind sees that.
    assert_eq!(free_in_netns(&[("bound", "127.0.0.1", 3000, false)], &["3000"]), [3001]);
}

#[test]
fn a_udp_socket_does_not_hold_a_tcp_port() {
    assert_eq!(free_in_netns(&[("udp", "0.0.0.0", 3000, false)], &["3000"]), [3000]);
}

#[test]
fn ports_below_1024_only_when_asked() {
    assert_eq!(free_in_netns(&[], &["80"]), [80]);
    assert_eq!(free_in_netns(&[("tcp", "0.0.0.0", 80, false)], &["--range", "80-90"]), [81]);
    // 1020-1023 are below 1024 but asked for by the range
    assert_eq!(free_in_netns(&[], &["--range", "1020-1030", "-n", "2"]), [1020, 1021]);
}

#[test]
fn ports_below_1024_without_privileges_are_reported_as_such() {
    let r = in_netns_as(
        &["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
        false,
        &[],
        &["free", "--range", "80-90"],
    );
    assert_eq!(r.code, 1, "{}", info(&r));
    assert!(r.stderr.contains("below 1024 need privileges"), "{}", info(&r));
}

#[test]
fn a_host_without_ipv6_loopback_still_has_free_ports() {
    // ::1 cannot be bound at all here ("cannot assign requested address"): that is not "in use".
    let r = in_netns_as(&[], true, &[("tcp", "127.0.0.1", 3000, false)], &["free", "3000"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "3001\n"), "{}", info(&r));
}

/// `portfix free --reserve SECS`: the port printed stays reserved (another `free`, or a wrapper
/// moving off a held port, passes it over) until something listens on it or SECS are up; the
/// command itself returns at once (`$(portfix free --reserve 60)` does not wait), and the
/// process that holds the reservation is named on stderr.
#[test]
fn a_reserved_port_is_passed_over_until_something_listens_there() {
    let (_held, start) = listen_v4();
    let s = start.to_string();
    let r = run(portfix().args(["free", &s, "--reserve", "60"]));
    assert_eq!(r.code, 0, "{}", info(&r));
    let reserved = lines(&r)[0];
    let holder: u32 = r
        .stderr
        .split("(pid ")
        .nth(1)
        .and_then(|t| t.split(')').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("names the holder's pid: {}", info(&r)));
    struct EndByPid(u32);
    impl Drop for EndByPid {
        fn drop(&mut self) {
            // SAFETY: kill(2) of the reservation holder this test's portfix started.
            unsafe {
                libc::kill(self.0 as i32, libc::SIGKILL);
            }
        }
    }
    let _end = EndByPid(holder);
    assert!(r.stderr.contains(&format!("port {reserved} reserved")), "{}", info(&r));
    // another search passes it over
    let again = run(portfix().args(["free", &s]));
    assert_eq!(again.code, 0, "{}", info(&again));
    assert_ne!(lines(&again)[0], reserved, "a reserved port is not handed out twice");
    // the script's server listens there: the reservation is let go, and the holder ends
    let server = TcpListener::bind(("127.0.0.1", reserved)).expect("the reserved port is free to bind");
    let ended = harness::poll(Duration::from_secs(20), || {
        std::fs::metadata(format!("/proc/{holder}")).is_err().then_some(())
    });
    assert!(ended.is_some(), "the holder ends once the port is listened on");
    drop(server);
    let after = harness::poll(Duration::from_secs(20), || {
        let r = run(portfix().args(["free", &s]));
        (lines(&r)[0] == reserved).then_some(())
    });
    assert!(after.is_some(), "free again once its server has gone");
}

#[test]
fn reserve_takes_a_number_of_seconds() {
    for bad in ["0", "x", "-1", "90000"] {
        let r = run(portfix().args(["free", "--reserve", bad]));
        assert_eq!(r.code, 2, "{bad}: {}", info(&r));
        assert_eq!(r.stderr.lines().count(), 1, "{bad}: {}", info(&r));
    }
}
