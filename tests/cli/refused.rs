//! Refused, not taken (issue 16 item 3): a bind the OS refuses for lack of privilege is said as
//! such ("privileged"), never "in use"; `--next` moves to a free unprivileged port (80 → 8080),
//! CI exits 5 with the command that allows it.
//!
//! Each case runs as `nobody` (setpriv) in a private network namespace (`unshare -n`, loopback
//! up): fixed ports are safe there, and the namespace has its own
//! `net.ipv4.ip_unprivileged_port_start` (1024 unless the case sets it). Nothing holds the port:
//! the bind is refused. The script runs portfix in the background, waits (bounded) for the port
//! file, fetches the page over HTTP, records the listeners (`ss`), and ends portfix by pid; its
//! process group is killed on drop.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::harness::{portfix_env, spawn};

const SCRIPT: &str = r#"
ip link set lo up
[ -n "$UNPRIVILEGED_START" ] && echo "$UNPRIVILEGED_START" > /proc/sys/net/ipv4/ip_unprivileged_port_start
cd "$DIR"
waitfor() { i=0; while [ ! -s "$1" ]; do i=$((i+1)); [ $i -gt 3000 ] && return 1; sleep 0.01; done; }
eval "set -- $ARGS"
setpriv --reuid=nobody --regid=nogroup --clear-groups env PATH=/usr/bin:/bin HOME=/tmp NO_COLOR=1 \
  "$PORTFIX" --port-file port "$@" > out.log 2> err.log < /dev/null &
P=$!
if [ "$FETCH" = 1 ]; then
  if waitfor port; then
    python3 -c 'import sys,urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode())' "$(cat port)" > page 2>&1
  else
    echo "no port file" > error
  fi
  ss -Hltnpe > listeners
  kill $P
fi
wait $P
echo $? > code
exit 0
"#;

const MARKER: &str = "refused-e2e-page";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// Runs portfix as nobody with `args` (shell words after `--port-file port`); `fetch`: wait
    /// for the port file and fetch the page, then end portfix.
    fn run(args: &str, fetch: bool, env: &[(&str, &str)]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        {
            use std::os::unix::fs::PermissionsExt as _;
            // nobody writes the port file there, and its server serves the page from there
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        std::fs::write(dir.path().join("index.html"), MARKER).unwrap();
        let server = "require('http').createServer((q, r) => r.end('refused-e2e-page'))\n\
                      .listen(Number(process.env.PORT) || 80);\n";
        std::fs::write(dir.path().join("server.js"), server).unwrap();
        let mut cmd = std::process::Command::new("unshare");
        cmd.args(["-n", "sh", "-c", SCRIPT]);
        portfix_env(&mut cmd);
        cmd.env("PORTFIX", env!("CARGO_BIN_EXE_portfix"))
            .env("DIR", dir.path())
            .env("ARGS", args)
            .env("FETCH", if fetch { "1" } else { "0" })
            .env_remove("UNPRIVILEGED_START");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut p = spawn(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()));
        let status = p.wait_for_exit(Duration::from_secs(120));
        let case = Case { dir };
        assert!(status.is_some_and(|s| s.success()), "the script ended ({status:?})\n{}", case.context());
        assert_eq!(case.read("error"), "", "{}", case.context());
        case
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
    fn context(&self) -> String {
        format!(
            "--- portfix stderr:\n{}\n--- command output:\n{}\n--- page:\n{}\n--- listeners:\n{}\n--- code: {}",
            self.read("err.log"),
            self.read("out.log"),
            self.read("page"),
            self.read("listeners"),
            self.read("code")
        )
    }
    /// portfix's own lines (the command's traceback is not portfix's wording).
    fn said(&self) -> Vec<String> {
        self.read("err.log").lines().filter(|l| l.starts_with("portfix:")).map(String::from).collect()
    }
}

/// Says "privileged", never "in use".
fn says_privileged_not_in_use(c: &Case, port: u16, below: u16) {
    let ctx = c.context();
    let said = c.said();
    let want = format!(
        "portfix: port {port} is privileged here: binding it needs privilege (Linux refuses ports below {below} \
         to unprivileged users: net.ipv4.ip_unprivileged_port_start); nothing holds it"
    );
    assert!(said.contains(&want), "{want}\n{ctx}");
    assert!(said.iter().all(|l| !l.contains("in use")), "never called in use\n{ctx}");
}

#[test]
fn as_a_normal_user_next_on_port_80_is_privileged_and_serves_on_a_free_unprivileged_port() {
    let c = Case::run("--next -- python3 -m http.server 80", true, &[]);
    let ctx = c.context();
    says_privileged_not_in_use(&c, 80, 1024);
    assert!(c.said().contains(&"portfix: using port 8080 instead".to_string()), "{ctx}");
    assert_eq!(c.read("port").trim(), "8080", "{ctx}");
    assert_eq!(c.read("page").trim(), MARKER, "the page is served on 8080\n{ctx}");
    // by nobody's python, on 8080 only
    let line =
        c.read("listeners").lines().find(|l| l.contains(":8080 ")).map(String::from).unwrap_or_default();
    assert!(line.contains("python3") && line.contains("uid:65534"), "{ctx}");
    assert!(!c.read("listeners").contains(":80 "), "{ctx}");
    assert!(
        c.said()
            .iter()
            // localhost when http.server took the dual-stack `::`, 127.0.0.1 when it took
            // 0.0.0.0 (the resolver's first passive address decides; ::1 then refuses it)
            .any(|l| ["localhost", "127.0.0.1"].iter().any(|host| l.starts_with(&format!(
                "portfix: python3 -m http.server 8080 is listening on http://{host}:8080"
            )))),
        "{ctx}"
    );
}

#[test]
fn in_ci_a_privileged_port_exits_5_with_the_command_that_allows_it() {
    let c = Case::run("-- python3 -m http.server 80", false, &[("CI", "true")]);
    let ctx = c.context();
    assert_eq!(c.read("code").trim(), "5", "{ctx}");
    says_privileged_not_in_use(&c, 80, 1024);
    let said = c.said();
    assert_eq!(said.len(), 3, "{ctx}");
    assert_eq!(said[1], "portfix: port 80 is privileged here: not asking: CI is set", "{ctx}");
    assert_eq!(
        said[2],
        "portfix: re-run with --next (move to a free unprivileged port, from 8080 up), or allow it: \
         sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80",
        "{ctx}"
    );
    // started once, not relaunched
    assert_eq!(c.read("err.log").matches("PermissionError").count(), 1, "{ctx}");
}

#[test]
fn node_eacces_on_a_port_it_chose_itself_is_moved_too() {
    // the port is unknown to portfix before the launch (server.js listens on $PORT, else 80):
    // Node's `listen EACCES: permission denied 0.0.0.0:80` tells it
    let c = Case::run("--next -- node server.js", true, &[]);
    let ctx = c.context();
    assert!(c.read("err.log").contains("Error: listen EACCES: permission denied"), "{ctx}");
    says_privileged_not_in_use(&c, 80, 1024);
    assert_eq!(c.read("port").trim(), "8080", "{ctx}");
    assert_eq!(c.read("page").trim(), MARKER, "{ctx}");
}

#[test]
fn the_namespace_s_own_unprivileged_port_start_is_read() {
    // 1500 is privileged here only because the namespace says ports below 2000 are
    let c = Case::run("--next -- python3 -m http.server 1500", true, &[("UNPRIVILEGED_START", "2000")]);
    let ctx = c.context();
    says_privileged_not_in_use(&c, 1500, 2000);
    assert_eq!(c.read("port").trim(), "9500", "from 1500 + 8000\n{ctx}");
    assert_eq!(c.read("page").trim(), MARKER, "{ctx}");
}

/// At a terminal: the question for a refused port offers a free unprivileged port first (the
/// default), says the command that would allow the port instead, and Enter takes it.
#[test]
fn at_a_terminal_enter_moves_a_privileged_port_to_a_free_unprivileged_one() {
    use expectrl::{Eof, Expect};
    let dir = tempfile::tempdir().unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::write(dir.path().join("index.html"), MARKER).unwrap();
    let mut cmd = std::process::Command::new("unshare");
    cmd.args([
        "-n",
        "sh",
        "-c",
        "ip link set lo up && cd \"$DIR\" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
         env PATH=/usr/bin:/bin HOME=/tmp \"$PORTFIX\" -- python3 -m http.server 80",
    ]);
    portfix_env(&mut cmd);
    cmd.env("PORTFIX", env!("CARGO_BIN_EXE_portfix")).env("DIR", dir.path());
    let mut s = crate::harness::pty_session(cmd);
    // the namespace and everything in it go with the session's process group on failure
    struct Group(i32);
    impl Drop for Group {
        fn drop(&mut self) {
            // SAFETY: kill(2) on the process group of the session this test started.
            unsafe {
                libc::kill(-self.0, libc::SIGKILL);
            }
        }
    }
    let _group = Group(s.get_process().pid().as_raw());
    s.expect("portfix: port 80 is privileged here: binding it needs privilege").unwrap();
    s.expect("to allow it instead: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80").unwrap();
    s.expect("port 80 is privileged here; what now?").unwrap();
    s.expect("use port 8080 (a free unprivileged port)").unwrap();
    s.expect("abort").unwrap();
    s.send("\r").unwrap(); // Enter: the default
    s.expect(expectrl::Regex(
        r"python3 -m http\.server 8080 is listening on http://(localhost|127\.0\.0\.1):8080 \(pid ",
    ))
    .unwrap();
    s.send("\x03").unwrap(); // Ctrl-C ends the server, and portfix with it
    s.expect(Eof).unwrap();
    let _ = s.get_process().wait();
}
