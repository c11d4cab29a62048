//! After launch, who answers `localhost` on the command's port (issue 15 item 1): a command that
//! listens on one family while another process holds the other. Its port is written in its
//! arguments in a form portfix does not read, so no pre-flight can see the other holder: only
//! the check after launch does.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::events::{end, kinds, read_events, wait_for};
use crate::harness::{self, Proc, poll, portfix, spawn};

fn answer_py() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/servers/answer.py")
}

/// The body of `GET /` at `addr`, `None` when nothing answers.
fn get(addr: SocketAddr) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out.split("\r\n\r\n").nth(1)?.to_string())
}

/// One co-bind scene: a Python process of the test's holds `theirs` (port 0: the OS picks P),
/// and the command `answer.py OURS P` listens on `ours` alone under portfix `--events`. Tried
/// again with a new port when the command could not bind (a stranger on `ours`:P).
struct Scene {
    holder: Proc,
    portfix: Proc,
    port: u16,
    stderr: tempfile::NamedTempFile,
    events: PathBuf,
    _dir: tempfile::TempDir,
}

fn scene(theirs: &str, ours: &str) -> Scene {
    for _ in 0..5 {
        let (holder, port) = harness::python_listener(theirs, 0);
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("events");
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut p = spawn(
            portfix()
                .arg("--events")
                .arg(&events)
                .args(["--", "python3"])
                .arg(answer_py())
                .args([ours, &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr.reopen().unwrap()),
        );
        let up = poll(Duration::from_secs(60), || {
            let err = std::fs::read_to_string(stderr.path()).unwrap_or_default();
            if err.contains("is listening on") {
                return Some(true);
            }
            p.try_status().map(|_| false)
        });
        match up {
            Some(true) => {
                // the warning follows the listening line
                wait_for(&events, "warning");
                return Scene { holder, portfix: p, port, stderr, events, _dir: dir };
            }
            Some(false)
                if std::fs::read_to_string(stderr.path()).unwrap().contains("Address already in use") =>
            {
                continue;
            }
            _ => panic!("the command never listened: {}", std::fs::read_to_string(stderr.path()).unwrap()),
        }
    }
    panic!("{ours}: no port free on both families in 5 tries");
}

impl Scene {
    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    /// Checks the lines and events of a scene where the command listens on `ours` and the
    /// holder answers `theirs` (both written as socket addresses), then ends it.
    fn check(self, ours: &str, theirs: &str) {
        let port = self.port;
        let (ours, theirs): (SocketAddr, SocketAddr) =
            (format!("{ours}:{port}").parse().unwrap(), format!("{theirs}:{port}").parse().unwrap());
        let url = format!("http://{ours}");
        let err = self.stderr();
        let line = err.lines().find(|l| l.contains("is listening on")).unwrap().to_string();
        let pid: u32 = line
            .strip_prefix(&format!("portfix: python3 {} ", answer_py().display()))
            .and_then(|l| l.split(&format!(" is listening on {url} (pid ")).nth(1))
            .and_then(|l| l.strip_suffix(')'))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the URL said is the address that reaches the command ({url}): {err}"));
        // the URL said reaches the command, not the other process
        assert_eq!(get(ours), Some(format!("ours {pid}\n")), "{err}");
        let h = self.holder.pid();
        let warning = format!(
            "portfix: warning: http://localhost:{port} may not reach python3 {} {} {port}: {theirs} is answered by pid {h} (python3)",
            answer_py().display(),
            ours.ip()
        );
        assert!(
            err.contains(&warning),
            "one warning naming the other process and its address:\n{warning}\n{err}"
        );
        assert!(err.contains(&format!("portfix: open {url} instead, or stop pid {h} (`kill {h}`)")), "{err}");
        assert_eq!(err.matches("warning:").count(), 1, "{err}");
        let events = self.events.clone();
        end(self.portfix);
        let ev = read_events(&events);
        assert_eq!(kinds(&ev), ["start", "listening", "warning", "exit"], "{ev:#?}");
        assert_eq!(ev[0]["port"], serde_json::Value::Null, "no port known before the launch");
        assert_eq!(ev[1]["url"], url);
        assert_eq!(ev[1]["pid"], pid);
        assert_eq!(ev[1]["addresses"], serde_json::json!([ours.to_string()]));
        let w = &ev[2];
        assert_eq!(
            (w["kind"].as_str(), w["address"].as_str()),
            (Some("localhost"), Some(theirs.to_string().as_str()))
        );
        assert_eq!(w["shared"], false);
        assert_eq!(
            (w["holder"]["pid"].as_u64(), w["holder"]["name"].as_str()),
            (Some(h.into()), Some("python3"))
        );
        assert!(w["text"].as_str().unwrap().contains(&format!("{theirs} is answered by pid {h}")));
    }
}

#[test]
fn a_command_on_ipv6_loopback_while_another_holds_127_0_0_1_gets_the_ipv6_url_and_a_warning() {
    scene("127.0.0.1", "::1").check("[::1]", "127.0.0.1");
}

#[test]
fn a_command_on_127_0_0_1_while_another_holds_ipv6_loopback_gets_the_ipv4_url_and_a_warning() {
    scene("::1", "127.0.0.1").check("127.0.0.1", "[::1]");
}

#[test]
fn a_command_on_both_loopbacks_is_localhost_and_no_warning() {
    // A dual-stack wildcard (Linux's default): both addresses of localhost reach it alone.
    let code = "import socket,time\n\
                s=socket.create_server(('::',0),family=socket.AF_INET6,dualstack_ipv6=True)\n\
                print('port',s.getsockname()[1],flush=True)\ntime.sleep(60)";
    let stderr = tempfile::NamedTempFile::new().unwrap();
    let mut p = spawn(
        portfix()
            .args(["--", "python3", "-c", code])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap()),
    );
    let port: u16 = harness::read_first_line(&mut p).strip_prefix("port ").unwrap().parse().unwrap();
    let said = format!("is listening on http://localhost:{port} (pid ");
    let err = poll(Duration::from_secs(60), || {
        let err = std::fs::read_to_string(stderr.path()).ok()?;
        err.contains(&said).then_some(err)
    })
    .unwrap_or_else(|| panic!("{said}: {}", std::fs::read_to_string(stderr.path()).unwrap()));
    end(p);
    let err = std::fs::read_to_string(stderr.path()).unwrap_or(err);
    assert!(!err.contains("warning"), "{err}");
}
