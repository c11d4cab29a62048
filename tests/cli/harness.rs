//! The test harness: the portfix binary, listeners held open for as long as a test needs them,
//! child processes that are always ended by pid, and bounded polling instead of sleeps.

#![allow(dead_code)]

use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder where `scripts/test` installs the dev servers the tests run (a venv and an npm
/// project): `PORTFIX_TEST_TOOLS`, else `target/test-tools` in the repository.
pub(crate) fn test_tools() -> std::path::PathBuf {
    match std::env::var_os("PORTFIX_TEST_TOOLS") {
        Some(dir) if !dir.is_empty() => dir.into(),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools"),
    }
}

/// `PATH` for everything the tests start: the test tools' bin folders first, then the caller's.
pub(crate) fn test_path() -> std::ffi::OsString {
    let tools = test_tools();
    let mut dirs = vec![tools.join("venv/bin"), tools.join("npm/node_modules/.bin")];
    // the heavy suite's (PORTFIX_HEAVY_TOOLS=1 scripts/test), after the others
    dirs.extend([tools.join("heavy/venv/bin"), tools.join("heavy/npm/node_modules/.bin")]);
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).expect("PATH entries without ':'")
}

/// Panics, saying how to install it, unless `program` is on [`test_path`]: a test that needs a
/// dev server fails with the fix instead of with "command not found".
pub(crate) fn need_tool(program: &str) {
    let found = std::env::split_paths(&test_path()).any(|dir| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    });
    assert!(
        found,
        "{program} is not installed for the tests: run scripts/test once (it installs the pinned dev \
         servers into {}; PORTFIX_HEAVY_TOOLS=1 adds the heavy suite's), then cargo test finds them",
        test_tools().display()
    );
}

/// Sets SIGINT and SIGQUIT back to their default in the test process, once: a shell's background
/// job (`scripts/test &` from a script) inherits them ignored, and every command a test starts
/// would inherit that too, so Ctrl-C at a test's terminal would do nothing.
pub(crate) fn default_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: signal(2) with SIG_DFL installs no handler; dispositions are process-wide and the
    // call is made once.
    ONCE.call_once(|| unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGQUIT, libc::SIG_DFL);
    });
}

/// The portfix binary under test, with colour off and `CI` cleared so policy defaults are those
/// of the test's own setting, and the test tools on `PATH` ([`test_path`]).
pub(crate) fn portfix() -> Command {
    default_signals();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portfix"));
    cmd.env("NO_COLOR", "1").env_remove("CI").env_remove("PORT").env("PATH", test_path());
    for (k, _) in std::env::vars() {
        if k.starts_with("PORTFIX_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Gives `cmd` — a shell or a driver that runs portfix — the environment [`portfix`] sets.
pub(crate) fn portfix_env(cmd: &mut Command) -> &mut Command {
    default_signals();
    for (k, v) in portfix().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// `cmd` on a pseudo-terminal of its own (expectrl), each `expect` waiting at most 60 s (a bound
/// for a loaded machine, not a speed requirement).
pub(crate) fn pty_session(cmd: Command) -> expectrl::session::OsSession {
    default_signals();
    let mut s = expectrl::session::OsSession::spawn(cmd).expect("spawn on a pty");
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    s
}

/// Output of a finished portfix run, with the streams as text.
pub(crate) struct Run {
    /// The exit status as a shell shows it (`$?`): the code, or 128+N when signal N ended it.
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(cmd: &mut Command) -> Run {
    default_signals();
    let out = cmd.stdin(Stdio::null()).output().expect("portfix runs");
    Run {
        code: shell_status(out.status),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An exit status as a shell shows it (`$?`): the code, or 128+N when signal N ended it.
pub(crate) fn shell_status(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(-1)
}

/// A TCP listener on 127.0.0.1, port chosen by the OS, held until dropped.
pub(crate) fn listen_v4() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// A TCP listener on ::1, port chosen by the OS.
pub(crate) fn listen_v6() -> (TcpListener, u16) {
    let l = TcpListener::bind("[::1]:0").expect("bind [::1]:0");
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// A UDP socket on 127.0.0.1, port chosen by the OS.
pub(crate) fn udp_v4() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
    let port = s.local_addr().unwrap().port();
    (s, port)
}

/// Polls `f` every 10 ms until it returns `Some`, for at most `limit`.
pub(crate) fn poll<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A child process that is killed (SIGKILL, by pid, whole process group) and reaped when
/// dropped, even when the test panics.
pub(crate) struct Proc {
    pub(crate) child: Child,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
    /// The exit status if it has ended, without waiting.
    pub(crate) fn try_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
    /// Waits up to `limit` for the process to end.
    pub(crate) fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        poll(limit, || self.try_status())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let pid = self.child.id() as i32;
            // SAFETY: kill(2) with a pid/pgid this test started; no memory is touched.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::kill(pid, libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }
}

/// Starts `cmd` in its own process group (so it and its children can be ended together).
pub(crate) fn spawn(cmd: &mut Command) -> Proc {
    default_signals();
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    Proc { child: cmd.spawn().expect("spawn test process") }
}

/// A Python process holding a listening TCP socket on `addr` (port 0 unless given). It prints
/// the port on its first line and then waits. Returns it with the port.
pub(crate) fn python_listener(addr: &str, port: u16) -> (Proc, u16) {
    let family = if addr.contains(':') { "AF_INET6" } else { "AF_INET" };
    let code = format!(
        "import socket,sys,time\ns=socket.socket(socket.{family})\ns.bind(('{addr}',{port}))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)\n"
    );
    let mut p = spawn(Command::new("python3").args(["-c", &code]).stdout(Stdio::piped()));
    let port = read_first_line(&mut p).parse().expect("python prints its port");
    (p, port)
}

/// Reads the first line a spawned process printed on its piped stdout.
pub(crate) fn read_first_line(p: &mut Proc) -> String {
    use std::io::BufRead;
    let out = p.child.stdout.as_mut().expect("stdout piped");
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).expect("read child's first line");
    line.trim().to_string()
}
