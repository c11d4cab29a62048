//! Child supervision: find the command, spawn it so that its whole tree can be ended (and is
//! ended when portfix is killed), relay its output, report its state.
//!
//! The Unix design is explained in `unix/mod.rs`; the pseudo-terminal used at a terminal in
//! `unix/pty.rs`. Windows in `windows.rs`: the tree in a Job Object that ends it when portfix ends,
//! console control events in place of signals (run under Wine by `scripts/windows-test`).

mod relay;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::core::signal::Signal;
use crate::exit::Failure;

pub(crate) use relay::{LineSink, Lines, Pipes, Relay, Relaying, Stream};
#[cfg(unix)]
pub(crate) use unix::{Running, Terminal, Watchdog, die_of, listen_signals, reap_orphans};
#[cfg(windows)]
pub(crate) use windows::{Running, Terminal, Watchdog, die_of, listen_signals, reap_orphans};

/// What portfix was told about (see [`listen_signals`]). Windows tells only of stop requests
/// (console control events): a child's end is noticed by polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(windows, allow(dead_code))]
pub(crate) enum Notice {
    /// portfix itself was asked to stop with this signal.
    Stop(Signal),
    /// A child changed state (exited or stopped).
    ChildChanged,
}

/// The direct child's state once it is no longer running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildState {
    /// Stopped by job control (Ctrl-Z). Not on Windows (no job control).
    #[cfg_attr(windows, allow(dead_code))]
    Stopped,
    /// Ended: its exit code, or 128+N when signal N ended it.
    Exited(i32),
}

/// The command to start, fully decided.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// As the user wrote it (argv[0] of the command).
    pub(crate) name: OsString,
    /// Where `which` found it.
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    /// Variables set on top of portfix's own environment.
    pub(crate) env: Vec<(OsString, OsString)>,
}

/// Finds the command like a shell would (no shell involved): exit 127 when it is nowhere,
/// 126 when something by that name exists but cannot be run (no execute bit, a directory).
pub(crate) fn lookup(name: &str) -> Result<PathBuf, Failure> {
    if let Ok(path) = which::which(name) {
        if !path.is_dir() {
            return Ok(path);
        }
    }
    let blocked = if name.contains(std::path::MAIN_SEPARATOR) || name.contains('/') {
        Path::new(name).exists().then(|| PathBuf::from(name))
    } else {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(name))
            .find(|p| p.exists())
    };
    match blocked {
        Some(p) if p.is_dir() => Err(not_executable(name, &format!("{} is a directory", p.display()))),
        Some(p) => Err(not_executable(name, &format!("{} has no execute permission", p.display()))),
        None => Err(Failure::not_found(format!("command not found: {name}"))
            .with_hint("check the name, or that its directory is in PATH")),
    }
}

fn not_executable(name: &str, why: &str) -> Failure {
    Failure::not_executable(format!("cannot run {name}: {why}"))
}

/// The relay for this run: at a terminal (portfix's stdout is one) the command gets a
/// pseudo-terminal of its own and behaves as without portfix; elsewhere, or when asked
/// (`--pipes`, which keeps stdout and stderr apart), pipes. Windows: pipes.
pub(crate) fn choose_relay(keep_pipes: bool) -> Box<dyn Relay> {
    #[cfg(unix)]
    if !keep_pipes && rustix::termios::isatty(rustix::stdio::stdout()) {
        return Box::new(unix::pty::Pty::new());
    }
    let _ = keep_pipes;
    Box::new(Pipes)
}

/// Writes one line of portfix's own to stderr (`portfix: ` is added) while a command may run.
/// The pseudo-terminal relay keeps the user's terminal raw (no output processing), where `\n`
/// alone moves down without going back to the start of the line: the line then ends in
/// `\r\n`, and so does each line within it. One write, so the command's output does not cut it.
pub(crate) fn say(line: &str) {
    use std::io::Write as _;
    #[cfg(unix)]
    let raw = unix::pty::terminal_is_raw();
    #[cfg(not(unix))]
    let raw = false;
    let text = format!("portfix: {line}\n");
    let text = if raw { text.replace('\n', "\r\n") } else { text };
    let _ = io::stderr().write_all(text.as_bytes());
}

/// Gives the user's terminal back its modes if the pseudo-terminal relay changed them.
pub(crate) fn restore_terminal() {
    #[cfg(unix)]
    unix::pty::restore_terminal();
}

/// Everything set up once per portfix run to supervise commands: the watchdog, the terminal
/// (when portfix is in its foreground group) and the relay.
///
/// A signal asking portfix to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT) is the supervising
/// loop's to act on while a command runs: it is forwarded to the command's tree, whose status
/// portfix then passes on. Between launches — the pre-flight, the conflict prompt, stopping a
/// holder — no loop is listening and nothing of portfix's runs, so portfix ends at once
/// ([`Session::listen_signals`]): the terminal as it was, the watchdog reaped, and portfix
/// dead of the same signal (128+N for a shell). A prompt must not hold a signal back until the
/// next launch.
pub(crate) struct Session {
    shared: Arc<Shared>,
    relay: Box<dyn Relay>,
}

/// What the main thread and the signal thread share.
struct Shared {
    terminal: Option<Terminal>,
    /// Locked by a spawn and by the end between launches, so that neither happens halfway
    /// through the other.
    watch: Mutex<Watch>,
}

struct Watch {
    watchdog: Watchdog,
    /// A launch is under way: stop requests go to the supervising loop.
    launched: bool,
    /// A stop request arrived during this launch.
    asked: bool,
}

impl Session {
    /// Starts the watchdog. Call first, before any thread is started (see `unix::Watchdog`).
    pub(crate) fn new(relay: Box<dyn Relay>) -> io::Result<Session> {
        let watch = Watch { watchdog: Watchdog::start()?, launched: false, asked: false };
        let shared = Shared { terminal: Terminal::foreground(), watch: Mutex::new(watch) };
        Ok(Session { shared: Arc::new(shared), relay })
    }

    /// Calls `on` for each signal sent to portfix and each change of a child's state (see
    /// [`listen_signals`]), except a stop request between launches: that ends portfix at once
    /// (see the type's docs).
    pub(crate) fn listen_signals(&self, on: impl Fn(Notice) + Send + 'static) -> io::Result<()> {
        let shared = Arc::clone(&self.shared);
        listen_signals(move |notice| {
            if let Notice::Stop(sig) = notice {
                let mut watch = lock(&shared.watch);
                if !watch.launched {
                    end_between_launches(sig, &mut watch, shared.terminal.as_ref());
                }
                watch.asked = true;
            }
            on(notice);
        })?;
        // From now on these signals are handled on the signal thread only: a prompt's read on
        // the main thread is never cut short by one (it would take it for a Ctrl-C at the
        // prompt and race the end above). Threads started later inherit the mask; the command
        // does not (`prepare` clears it before `exec`).
        block_here(&[Signal::Int, Signal::Term, Signal::Hup, Signal::Quit]);
        Ok(())
    }

    /// Spawns the command from the calling thread (the main thread: see
    /// `arm_parent_death_signal`) and starts relaying its output into `sink`.
    pub(crate) fn spawn(&self, spec: &Spec, sink: LineSink) -> Result<(Running, Relaying), Failure> {
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args).envs(spec.env.iter().map(|(k, v)| (k, v)));
        set_arg0(&mut cmd, &spec.name);
        let name = spec.name.to_string_lossy();
        self.relay.wire(&mut cmd).map_err(|e| {
            Failure::internal(format!("could not set up the output of {name}: {e}"))
                .with_hint("run with --pipes (or PORTFIX_PIPES=1) to use pipes instead of a pseudo-terminal")
        })?;
        let own_session = self.relay.own_session();
        let terminal = self.shared.terminal.as_ref().filter(|_| !own_session);
        prepare(&mut cmd, terminal, own_session);
        let mut watch = lock(&self.shared.watch);
        let child = cmd.spawn().map_err(|e| spawn_failure(&name, &spec.program, &e))?;
        drop(cmd); // its copies of the command's streams (a pty's slave) must not outlive it
        let mut running = Running::new(child);
        watch.watchdog.guard(running.group());
        (watch.launched, watch.asked) = (true, false);
        drop(watch);
        if let Some(t) = terminal {
            t.give_to(running.group());
        }
        let relaying = self
            .relay
            .start(running.child_mut(), sink)
            .map_err(|e| Failure::internal(format!("could not relay the output of {name}: {e}")))?;
        Ok((running, relaying))
    }

    /// Takes the terminal back (before a prompt, and when the command is over).
    pub(crate) fn reclaim_terminal(&self) {
        self.relay.release_terminal();
        if let Some(t) = &self.shared.terminal {
            t.reclaim();
        }
    }

    /// The command stopped (Ctrl-Z): stop portfix's own job too, and when the shell continues
    /// it, continue the command (in the foreground again if the job is).
    pub(crate) fn suspend(&self, running: &Running) {
        let Some(t) = &self.shared.terminal else { return };
        self.relay.release_terminal();
        t.reclaim();
        stop_self();
        if t.is_ours() {
            if self.relay.own_session() {
                self.relay.take_terminal();
            } else {
                t.give_to(running.group());
            }
        }
        running.resume();
    }

    /// The command's tree has ended: the watchdog may forget its group, and a stop request
    /// ends portfix at once again. True when one arrived during the launch (the supervising
    /// loop may have ended before it saw it): portfix must then not launch again.
    pub(crate) fn forget(&self, running: &Running) -> bool {
        let mut watch = lock(&self.shared.watch);
        watch.watchdog.forget(running.group());
        watch.launched = false;
        watch.asked
    }
}

impl Drop for Session {
    /// portfix is leaving (also by an error): the user's terminal as it was, and the watchdog
    /// stood down and reaped (see `unix::Watchdog`).
    fn drop(&mut self) {
        self.reclaim_terminal();
        lock(&self.shared.watch).watchdog.stand_down();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// portfix was asked to stop while no command runs (see [`Session`]). Runs on the signal
/// thread, with the main thread possibly inside a prompt: the terminal gets back the modes
/// portfix found (a prompt reads keys raw) and its cursor (a menu hides it), the watchdog is
/// reaped, and portfix ends by `sig`.
fn end_between_launches(sig: Signal, watch: &mut Watch, terminal: Option<&Terminal>) -> ! {
    restore_terminal();
    if let Some(t) = terminal {
        t.restore_found_modes();
        eprintln!();
    }
    eprintln!("portfix: stopped by {sig}");
    watch.watchdog.stand_down();
    die_by(sig)
}

/// Makes portfix the reaper of the command's orphans where the OS allows it (Linux).
pub(crate) fn become_subreaper() {
    #[cfg(unix)]
    crate::os::sys::become_subreaper();
}

#[cfg(unix)]
fn set_arg0(cmd: &mut Command, name: &std::ffi::OsStr) {
    use std::os::unix::process::CommandExt;
    cmd.arg0(name);
}
#[cfg(windows)]
fn set_arg0(_cmd: &mut Command, _name: &std::ffi::OsStr) {}

#[cfg(unix)]
use unix::{block_here, die_by, prepare, stop_self};
#[cfg(windows)]
use windows::{block_here, die_by, prepare, stop_self};

fn spawn_failure(name: &str, program: &Path, e: &io::Error) -> Failure {
    match e.kind() {
        // The program is there (lookup found it): what is missing is the interpreter its `#!`
        // line names.
        io::ErrorKind::NotFound if interpreter(program).is_some_and(|i| !i.exists()) => {
            let i = interpreter(program).unwrap_or_default();
            Failure::not_found(format!(
                "cannot run {name}: its interpreter {} (its #! line) is not found",
                i.display()
            ))
            .with_hint(format!("install it, or fix the first line of {name}"))
        }
        io::ErrorKind::NotFound => Failure::not_found(format!("command not found: {name} ({e})")),
        io::ErrorKind::PermissionDenied => not_executable(name, &e.to_string()),
        _ if e.raw_os_error() == Some(8) => not_executable(name, "not an executable format"),
        _ => Failure::internal(format!("could not start {name}: {e}")),
    }
}

/// The interpreter a script's `#!` line names (`#!/usr/bin/env node` → `/usr/bin/env`).
fn interpreter(program: &Path) -> Option<PathBuf> {
    use std::io::Read as _;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(program).and_then(|mut f| f.read(&mut head)).ok()?;
    let line = head[..n].strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let text = String::from_utf8_lossy(line);
    text.split_whitespace().next().map(PathBuf::from)
}

/// portfix's own stdout or stderr, unbuffered, for the relay.
fn sys_out(stream: Stream) -> Box<dyn io::Write + Send> {
    #[cfg(unix)]
    {
        unix::raw_out(if stream == Stream::Stdout { 1 } else { 2 })
    }
    #[cfg(windows)]
    {
        match stream {
            Stream::Stdout => Box::new(io::stdout()),
            Stream::Stderr => Box::new(io::stderr()),
        }
    }
}
