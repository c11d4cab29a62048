//! The npm packages: the tarballs `scripts/dist` writes into `target/npm/` (scripts/test runs it
//! first), installed from those files alone (no registry) into a new npm project, then run as a
//! user would: `npx portfix`, an npm script (`"dev": "portfix -- …"`), and the npm bin
//! (`node_modules/.bin/portfix`, the launcher, when a test signals it directly). Each test runs
//! once per Linux x64 platform package built: glibc and the static musl binary (the one that
//! runs on any Linux).
//!
//! When the tarballs are missing the tests fail saying to run `scripts/dist`; they skip only when
//! `PORTFIX_NPM_TESTS=skip` says so.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use expectrl::{ControlCode, Eof, Expect};

use crate::harness::{Proc, listen_v4, poll, portfix_env, pty_session, run, shell_status, spawn};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const LIMIT: Duration = Duration::from_secs(60);

fn npm_dir() -> PathBuf {
    match std::env::var_os("PORTFIX_NPM_DIR") {
        Some(d) if !d.is_empty() => d.into(),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/npm"),
    }
}

fn tarball(package: &str) -> PathBuf {
    npm_dir().join(format!("{package}-{VERSION}.tgz"))
}

/// The platform packages the tests install, each beside the launcher package.
const FLAVORS: [&str; 2] = ["portfix-linux-x64-gnu", "portfix-linux-x64-musl"];

/// A new npm project with the launcher and (unless `None`) one platform package installed from
/// their tarballs. `None` when the tarballs are missing and `PORTFIX_NPM_TESTS=skip`.
fn install(platform: Option<&str>) -> Option<PathBuf> {
    let mut files = vec![tarball("portfix")];
    files.extend(platform.map(tarball));
    if let Some(missing) = files.iter().find(|f| !f.is_file()) {
        if std::env::var("PORTFIX_NPM_TESTS").as_deref() == Ok("skip") {
            eprintln!("npm tests skipped (PORTFIX_NPM_TESTS=skip): {} is missing", missing.display());
            return None;
        }
        panic!("{} is missing: run scripts/dist (scripts/test runs it before the tests)", missing.display());
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("npm-{}", platform.unwrap_or("none")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "npm-test", "version": "1.0.0", "private": true,
  "scripts": {
    "ver": "portfix --version",
    "status": "portfix -- sh -c 'exit 7'",
    "dev": "portfix -- python3 -m http.server {port} --bind 127.0.0.1"
  } }
"#,
    )
    .unwrap();
    let mut cmd = npm(&dir, "npm");
    // --force: the musl package says `libc: musl`, and this Linux is glibc (where it runs too).
    cmd.args(["install", "--force", "--loglevel=error"]).args(&files);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "npm install from the tarballs failed:\n{}{}", r.stdout, r.stderr);
    Some(dir)
}

/// The project for `platform`, installed once per test process.
fn project(platform: &'static str) -> Option<&'static Path> {
    static GNU: OnceLock<Option<PathBuf>> = OnceLock::new();
    static MUSL: OnceLock<Option<PathBuf>> = OnceLock::new();
    let cell = if platform.ends_with("musl") { &MUSL } else { &GNU };
    cell.get_or_init(|| install(Some(platform))).as_deref()
}

/// `program` (npm, npx, the npm bin) in `dir`, with the tests' environment and npm kept off
/// any registry: offline, and pointed at a loopback port where nothing listens.
fn npm(dir: &Path, program: &str) -> Command {
    let mut cmd = Command::new(program);
    portfix_env(&mut cmd);
    cmd.current_dir(dir)
        .env("npm_config_offline", "true")
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false");
    cmd
}

fn bin(dir: &Path) -> Command {
    npm(dir, dir.join("node_modules/.bin/portfix").to_str().unwrap())
}

fn ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Waits for portfix's "… is listening on http://HOST:PORT (pid P)" line on the piped stderr of
/// `p`; returns (port, pid of the server).
fn listening(p: &mut Proc) -> (u16, u32) {
    let err = p.child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    loop {
        let line = rx
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("no 'is listening' line; stderr so far:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        if let Some((_, rest)) = line.split_once(" is listening on http://") {
            let (addr, pid) = rest.split_once(" (pid ").unwrap();
            let port = addr.rsplit_once(':').unwrap().1.parse().unwrap();
            return (port, pid.trim_end_matches(')').parse().unwrap());
        }
    }
}

/// The server the launcher started (through portfix) answers on `port`; returns the pids of
/// the launcher and of portfix, checked by their command lines.
fn chain(server: u32) -> (u32, u32) {
    let portfix = ppid(server).unwrap();
    let launcher = ppid(portfix).unwrap();
    assert!(cmdline(portfix).contains("portfix"), "the server's parent is portfix: {}", cmdline(portfix));
    assert!(
        cmdline(launcher).contains("bin/portfix"),
        "portfix's parent is the launcher: {}",
        cmdline(launcher)
    );
    (launcher, portfix)
}

/// Ends, on drop, the processes under the launcher that a test started (portfix and the dev
/// server), by pid and process group, should the test fail with them still running: once the
/// launcher is gone, `Proc`'s own clean-up no longer reaches them.
struct Leftovers(Vec<u32>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for &pid in &self.0 {
            if alive(pid) {
                // SAFETY: kill(2) of a process this test started (found under its launcher).
                unsafe {
                    libc::kill(-(pid as i32), libc::SIGKILL);
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }
        }
    }
}

/// Starts `cmd` (which runs a dev server through the launcher) off a terminal, stderr piped.
fn http_server(mut cmd: Command) -> Proc {
    cmd.env("CI", "true")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    spawn(&mut cmd)
}

#[test]
fn npx_and_an_npm_script_print_the_version() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let want = format!("portfix {VERSION}");
        let r = run(npm(dir, "npx").args(["portfix", "--version"]));
        assert_eq!((r.code, r.stdout.trim()), (0, want.as_str()), "{flavor} npx: {}", r.stderr);
        let r = run(npm(dir, "npm").args(["run", "--silent", "ver"]));
        assert_eq!((r.code, r.stdout.trim()), (0, want.as_str()), "{flavor} npm run: {}", r.stderr);
    }
}

#[test]
fn the_exit_status_passes_through_npx_and_an_npm_script() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let r = run(npm(dir, "npx").args(["portfix", "--", "sh", "-c", "exit 7"]));
        assert_eq!(r.code, 7, "{flavor} npx: {}", r.stderr);
        let r = run(npm(dir, "npm").args(["run", "--silent", "status"]));
        assert_eq!(r.code, 7, "{flavor} npm run: {}", r.stderr);
        let r = run(bin(dir).args(["who", "abc"]));
        assert_eq!(r.code, 2, "{flavor} bin, usage error: {}", r.stderr);
    }
}

#[test]
fn next_moves_a_real_server_off_a_held_port_through_npx() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let (_held, port) = listen_v4();
        let mut cmd = npm(dir, "npx");
        cmd.args([
            "portfix",
            "--next",
            "-p",
            &port.to_string(),
            "--",
            "python3",
            "-m",
            "http.server",
            "{port}",
        ])
        .args(["--bind", "127.0.0.1"]);
        let mut p = http_server(cmd);
        let (moved, server) = listening(&mut p);
        assert_ne!(moved, port, "{flavor}: the server was moved off the held port");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", moved)).is_ok(),
            "{flavor}: the server answers on {moved}"
        );
        chain(server);
    }
}

#[test]
fn in_ci_a_conflict_exits_3_through_an_npm_script() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let (_held, port) = listen_v4();
        let r = run(npm(dir, "npm")
            .args(["run", "--silent", "dev"])
            .env("CI", "true")
            .env("PORTFIX_PORT", port.to_string()));
        assert_eq!(r.code, 3, "{flavor}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("port {port} is held by pid")), "{flavor}: {}", r.stderr);
    }
}

/// The launcher of `dir` running `--next` http.server off a held port, listening: the launcher's
/// process, the server's pid, the launcher's and portfix's pids, the guard that ends what a failed
/// test leaves, and the held socket.
fn launched_server(dir: &Path) -> (Proc, u32, u32, u32, Leftovers, std::net::TcpListener) {
    let (held, port) = listen_v4();
    let mut cmd = bin(dir);
    cmd.args([
        "--next",
        "-p",
        &port.to_string(),
        "--",
        "python3",
        "-m",
        "http.server",
        "{port}",
        "--bind",
        "127.0.0.1",
    ]);
    let mut p = http_server(cmd);
    let (_, server) = listening(&mut p);
    let (launcher, portfix) = chain(server);
    (p, server, launcher, portfix, Leftovers(vec![server, portfix]), held)
}

#[test]
fn sigterm_to_the_launcher_ends_the_server_and_exits_143() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let (mut p, server, launcher, portfix, _leftovers, _held) = launched_server(dir);
        assert_eq!(launcher, p.pid());
        // SAFETY: kill(2) of the launcher this test started.
        unsafe { libc::kill(launcher as i32, libc::SIGTERM) };
        let status = p.wait_for_exit(LIMIT).expect("the launcher ends after SIGTERM");
        assert_eq!(shell_status(status), 143, "{flavor}");
        assert!(
            poll(LIMIT, || (!alive(server) && !alive(portfix)).then_some(())).is_some(),
            "{flavor}: server and portfix gone"
        );
    }
}

#[test]
fn sigkill_of_the_launcher_leaves_no_orphan() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let (mut p, server, launcher, portfix, _leftovers, _held) = launched_server(dir);
        // SAFETY: kill(2) of the launcher this test started (only it: not its group).
        unsafe { libc::kill(launcher as i32, libc::SIGKILL) };
        p.wait_for_exit(LIMIT).expect("the launcher is gone");
        let gone = poll(LIMIT, || (!alive(server) && !alive(portfix)).then_some(()));
        assert!(
            gone.is_some(),
            "{flavor}: after SIGKILL of the launcher, portfix ({portfix}) and the server ({server}) are left"
        );
    }
}

#[test]
fn ctrl_c_at_a_terminal_exits_130_and_restores_the_terminal() {
    for flavor in FLAVORS {
        let Some(dir) = project(flavor) else { return };
        let script = "before=$(stty -g); node_modules/.bin/portfix -- python3 -c \"import time; print('ready', flush=True); time.sleep(300)\"; \
                      code=$?; [ \"$(stty -g)\" = \"$before\" ] && same=yes || same=no; echo \"status=$code terminal-restored=$same\"";
        let mut cmd = npm(dir, "sh");
        cmd.args(["-c", script]);
        let mut s = pty_session(cmd);
        s.expect("ready").unwrap();
        s.send(ControlCode::EndOfText).unwrap();
        s.expect("status=130 terminal-restored=yes").unwrap_or_else(|e| panic!("{flavor}: {e}"));
        s.expect(Eof).unwrap();
    }
}

#[test]
fn without_a_platform_package_the_launcher_says_so_in_one_line() {
    static NONE: OnceLock<Option<PathBuf>> = OnceLock::new();
    let Some(dir) = NONE.get_or_init(|| install(None)).as_deref() else { return };
    let r = run(npm(dir, "npx").args(["portfix", "--version"]));
    assert_eq!(r.code, 125, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", r.stderr);
    for part in [
        "linux-x64 (glibc)",
        "portfix-linux-x64-gnu is not installed",
        "--omit=optional",
        "cargo install portfix",
    ] {
        assert!(lines[0].contains(part), "the error names {part:?}: {}", lines[0]);
    }
}

/// The arm64 packages' binaries (glibc and static musl), when `scripts/dist
/// aarch64-unknown-linux-gnu aarch64-unknown-linux-musl` built them (scripts/test does not: a
/// cold cross build takes long), run under qemu-user: the version, and the wrapper passing an
/// exit code and a signal death through. qemu-user does not emulate netlink socket diagnostics
/// ("Protocol not supported"), so who/list/free/kill and a port conflict cannot run under it.
#[test]
fn the_arm64_binaries_run_under_qemu_when_built() {
    for (package, sysroot) in
        [("portfix-linux-arm64-gnu", Some("/usr/aarch64-linux-gnu")), ("portfix-linux-arm64-musl", None)]
    {
        let tgz = tarball(package);
        if !tgz.is_file() {
            eprintln!(
                "{package} skipped: {} not built (scripts/dist makes it on x86_64 Linux)",
                tgz.display()
            );
            continue;
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(package);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let r = run(Command::new("tar").arg("xzf").arg(&tgz).arg("-C").arg(&dir));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let bin = dir.join("package/bin/portfix");
        let qemu = |args: &[&str]| {
            let mut cmd = Command::new("qemu-aarch64");
            portfix_env(&mut cmd);
            if let Some(root) = sysroot {
                cmd.args(["-L", root]);
            }
            run(cmd.arg(&bin).args(args))
        };
        let r = qemu(&["--version"]);
        assert_eq!(
            (r.code, r.stdout.trim()),
            (0, format!("portfix {VERSION}").as_str()),
            "{package}: {}",
            r.stderr
        );
        let r = qemu(&["--", "sh", "-c", "exit 7"]);
        assert_eq!(r.code, 7, "{package}: {}", r.stderr);
        let r = qemu(&["--", "sh", "-c", "kill -TERM $$"]);
        assert_eq!(r.code, 143, "{package}: {}", r.stderr);
    }
}
