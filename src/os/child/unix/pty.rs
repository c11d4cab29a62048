//! The pseudo-terminal relay: at a terminal the command gets a terminal of its own, so it
//! behaves exactly as without portfix (colours, line-buffered output, key shortcuts, progress
//! bars), while portfix still sees every byte it writes.
//!
//! Theory of operation:
//! - **A fresh pty per launch** (`wire`): its modes and window size copied from the user's
//!   terminal. The command gets the slave as stdin, stdout and stderr (so the two output
//!   streams are joined: `--pipes` keeps them apart) and as its controlling terminal: it leads a
//!   new session (`setsid` + `TIOCSCTTY`), whose process group is the pty's foreground group.
//!   That group is what the watchdog guards and what portfix signals, as in pipe mode; the
//!   session also gets SIGHUP from the kernel when the master closes (portfix gone).
//! - **The user's terminal in raw mode** while the command runs, when portfix holds it (stdin
//!   a terminal, portfix in its foreground group): keys go byte for byte to the master, and
//!   the pty's own line discipline turns Ctrl-C into SIGINT for the command's foreground group,
//!   Ctrl-D into end of input, and so on, as the command set its terminal up.
//! - **Ctrl-Z.** The command's group is an orphaned group (its session leader's parent,
//!   portfix, is in another session), and the kernel does not stop an orphaned group for a
//!   terminal's SIGTSTP. So when the pty's suspend character is typed while the pty generates
//!   signals, portfix also sends SIGSTOP to the pty's foreground group; the supervisor sees the
//!   stop and suspends portfix's own job, as the shell expects (see `Session::suspend`).
//! - **Restored on every way out**: the modes portfix found are kept in one place
//!   ([`restore_terminal`]), called when the command ends or stops, before any prompt, when a
//!   signal asks portfix to stop, from a panic hook, and when the supervisor is dropped (an
//!   error). Only SIGKILL of portfix itself leaves the terminal raw (the shell's `reset` or
//!   `stty sane` then).
//! - **Resizes**: SIGWINCH on portfix copies the user's window size to the master; the kernel
//!   then sends SIGWINCH to the command's foreground group.
//! - **Output** is read from the master and written unbuffered to portfix's stdout, each chunk
//!   before it is scanned, by the same copying loop as the pipes.
//!
//! Why rustix and not portable-pty: portable-pty spawns through its own command builder, which
//! would bypass the `std::process::Command` that the supervisor prepares (parent-death signal,
//! argv[0], the watchdog's group), and pulls in several crates; rustix is already here. Windows
//! (ConPTY) stays on pipes.

use std::ffi::c_int;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, Once, OnceLock, mpsc};
use std::time::Duration;

use rustix::termios::{self, OptionalActions, Termios};

use crate::os::child::relay::{LineSink, Relay, Relaying, Stream, copy_thread};

/// How long the end of a launch waits for the key-forwarding thread to stop.
const INPUT_STOP: Duration = Duration::from_millis(500);

/// The pseudo-terminal relay. See the module docs.
pub(crate) struct Pty {
    /// The master of the pty wired for the next spawn.
    next: Mutex<Option<OwnedFd>>,
    /// portfix holds the user's terminal: stdin is a terminal in portfix's foreground group.
    keys: bool,
    /// stdin is copied to the command: when it is portfix's terminal, or not a terminal at all
    /// (a pipe, a file). A terminal portfix does not hold (a background job) is left alone.
    input: bool,
}

impl Pty {
    pub(crate) fn new() -> Pty {
        let stdin = rustix::stdio::stdin();
        let tty = termios::isatty(stdin);
        let keys = tty && termios::tcgetpgrp(stdin).ok() == Some(rustix::process::getpgrp());
        Pty { next: Mutex::new(None), keys, input: keys || !tty }
    }
}

impl Relay for Pty {
    fn wire(&self, cmd: &mut Command) -> io::Result<()> {
        // The SIGWINCH handler goes in before the command exists: a resize made as soon as the
        // command is up must not fall on the default disposition (ignore) and be lost.
        winch_pipe()?;
        let (master, slave) = open_pty()?;
        if let Some(modes) = user_modes() {
            termios::tcsetattr(&slave, OptionalActions::Now, &modes)?;
        }
        sync_size(&master);
        cmd.stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        // SAFETY: between fork and exec: setsid and ioctl are async-signal-safe syscalls.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(io::Error::last_os_error());
                }
                // fd 0 is the slave by now: it becomes the new session's controlling terminal.
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        *lock(&self.next) = Some(master);
        Ok(())
    }

    fn start(&self, _child: &mut Child, sink: LineSink) -> io::Result<Relaying> {
        let master = lock(&self.next)
            .take()
            .ok_or_else(|| io::Error::other("no pseudo-terminal was wired for this command"))?;
        let to_master = File::from(master.try_clone()?);
        let (tx, done) = mpsc::channel();
        let output = copy_thread(File::from(master), Stream::Stdout, sink, tx)?;
        if self.keys {
            enter_raw()?;
        }
        let (stop_r, stop_w) = super::cloexec_pipe()?;
        let winch = winch_pipe()?;
        let (keys, input) = (self.keys, self.input);
        let (ended_tx, ended) = mpsc::channel();
        std::thread::Builder::new().name("pty-input".into()).spawn(move || {
            forward_input(&to_master, &stop_r, winch, keys, input);
            let _ = ended_tx.send(());
        })?;
        let stop = move || {
            drop(stop_w);
            let _ = ended.recv_timeout(INPUT_STOP);
        };
        Ok(Relaying::new(vec![output], done).with_stop(Box::new(stop)))
    }

    fn own_session(&self) -> bool {
        true
    }

    fn release_terminal(&self) {
        restore_terminal();
    }

    fn take_terminal(&self) {
        if self.keys {
            let _ = enter_raw();
        }
    }
}

impl Default for Pty {
    fn default() -> Self {
        Pty::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A new pseudo-terminal: (master, slave), both close-on-exec and not anyone's controlling
/// terminal yet.
fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    // macOS's posix_openpt takes no O_CLOEXEC: set it right after, on every OS alike.
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
    rustix::io::fcntl_setfd(&master, rustix::io::FdFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    Ok((master, slave))
}

/// The modes of the user's terminal as portfix found them (before raw mode), if stdin or
/// stdout is a terminal.
fn user_modes() -> Option<Termios> {
    if let Some(saved) = lock(&SAVED).as_ref() {
        return Some(saved.clone());
    }
    termios::tcgetattr(rustix::stdio::stdin()).or_else(|_| termios::tcgetattr(rustix::stdio::stdout())).ok()
}

/// Copies the user's window size (from stdout's terminal, else stdin's) to the pty.
fn sync_size(master: &impl AsFd) {
    let size = termios::tcgetwinsize(rustix::stdio::stdout())
        .or_else(|_| termios::tcgetwinsize(rustix::stdio::stdin()));
    if let Ok(size) = size {
        let _ = termios::tcsetwinsize(master, size);
    }
}

// ---------------------------------------------------------------------------------------------
// Keys and resizes, from one thread per launch.

/// Copies the user's input to the master until `stop` closes, and passes each resize on.
fn forward_input(master: &File, stop: &OwnedFd, winch: BorrowedFd<'_>, keys: bool, input: bool) {
    let stdin = rustix::stdio::stdin();
    let mut reading = input;
    let mut buf = [0u8; 4096];
    loop {
        let mut fds = [
            libc::pollfd { fd: stop.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: winch.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: if reading { 0 } else { -1 }, events: libc::POLLIN, revents: 0 },
        ];
        // SAFETY: poll on an array of pollfd we own; a negative fd is ignored.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if r < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if fds[0].revents != 0 {
            return;
        }
        if fds[1].revents != 0 {
            while matches!(rustix::io::read(winch, &mut buf), Ok(n) if n > 0) {}
            sync_size(master);
        }
        if fds[2].revents == 0 {
            continue;
        }
        if fds[2].revents & libc::POLLIN == 0 {
            reading = false; // hung up or not readable: nothing more will come
            continue;
        }
        match rustix::io::read(stdin, &mut buf) {
            Ok(0) => {
                // Input ended (a file or pipe on stdin): the command sees end of input, as it
                // would reading that file itself at a terminal's end of line.
                reading = false;
                let _ = (&*master).write_all(&[eof_char(master)]);
            }
            Ok(n) => {
                if (&*master).write_all(&buf[..n]).is_err() {
                    return;
                }
                if keys && typed_suspend(master, &buf[..n]) {
                    stop_foreground(master);
                }
            }
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(_) => reading = false,
        }
    }
}

/// The pty's end-of-input character (Ctrl-D unless the command changed it).
fn eof_char(master: &File) -> u8 {
    termios::tcgetattr(master).map(|t| t.special_codes[termios::SpecialCodeIndex::VEOF]).unwrap_or(4)
}

/// True when `keys` hold the pty's suspend character and the pty turns it into a signal.
fn typed_suspend(master: &File, keys: &[u8]) -> bool {
    let Ok(t) = termios::tcgetattr(master) else { return false };
    let susp = t.special_codes[termios::SpecialCodeIndex::VSUSP];
    t.local_modes.contains(termios::LocalModes::ISIG) && susp != 0 && keys.contains(&susp)
}

/// Stops the pty's foreground group (see the module docs, "Ctrl-Z").
fn stop_foreground(master: &File) {
    if let Ok(group) = termios::tcgetpgrp(master) {
        // SAFETY: kill(2) on the foreground group of the pty this launch created.
        unsafe {
            libc::kill(-group.as_raw_nonzero().get(), libc::SIGSTOP);
        }
    }
}

// SIGWINCH: a self-pipe written by the handler, installed once.

static WINCH_W: AtomicI32 = AtomicI32::new(-1);
static WINCH_R: OnceLock<OwnedFd> = OnceLock::new();

extern "C" fn on_winch(_sig: c_int) {
    let fd = WINCH_W.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; errno is saved and restored around it.
        unsafe {
            let saved = std::io::Error::last_os_error().raw_os_error();
            libc::write(fd, [1u8].as_ptr().cast(), 1);
            if let Some(e) = saved {
                set_errno(e);
            }
        }
    }
}

#[cfg(target_os = "linux")]
unsafe fn set_errno(e: c_int) {
    // SAFETY: the thread's errno location, always valid.
    unsafe { *libc::__errno_location() = e }
}

#[cfg(not(target_os = "linux"))]
unsafe fn set_errno(e: c_int) {
    // SAFETY: the thread's errno location, always valid.
    unsafe { *libc::__error() = e }
}

/// The read end of the SIGWINCH self-pipe, installing the handler the first time.
fn winch_pipe() -> io::Result<BorrowedFd<'static>> {
    if let Some(r) = WINCH_R.get() {
        return Ok(r.as_fd());
    }
    let (r, w) = super::cloexec_pipe()?;
    for end in [&r, &w] {
        rustix::fs::fcntl_setfl(end, rustix::fs::OFlags::NONBLOCK)?;
    }
    WINCH_W.store(w.into_raw_fd(), Ordering::Relaxed);
    // SAFETY: sigaction with a handler that only writes to a pipe; the struct is zeroed first.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_winch as extern "C" fn(c_int) as usize;
        act.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(libc::SIGWINCH, &act, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(WINCH_R.get_or_init(|| r).as_fd())
}

// ---------------------------------------------------------------------------------------------
// The user's terminal modes.

/// The modes of the user's terminal (stdin) before portfix made it raw; `Some` while raw.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

/// Puts the user's terminal (stdin) in raw mode, keeping its modes for [`restore_terminal`].
fn enter_raw() -> io::Result<()> {
    let stdin = rustix::stdio::stdin();
    let mut saved = lock(&SAVED);
    let modes = match saved.as_ref() {
        Some(m) => m.clone(),
        None => termios::tcgetattr(stdin)?,
    };
    restore_on_panic();
    let mut raw = modes.clone();
    raw.make_raw();
    termios::tcsetattr(stdin, OptionalActions::Now, &raw)?;
    *saved = Some(modes);
    Ok(())
}

/// True while portfix keeps the user's terminal raw (a command runs on the pseudo-terminal).
pub(crate) fn terminal_is_raw() -> bool {
    lock(&SAVED).is_some()
}

/// Gives the user's terminal back its modes, if portfix changed them. Idempotent; safe to call
/// from any thread and from the panic hook.
pub(crate) fn restore_terminal() {
    let Some(modes) = lock(&SAVED).take() else { return };
    // A portfix moved to the background can still put back what it changed.
    super::terminal::with_sigttou_blocked(|| {
        let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &modes);
    });
}

/// A panic (also with `panic = "abort"`: the hook runs before the abort) restores the terminal
/// before the message is printed.
fn restore_on_panic() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::Arc;

    /// What the command writes on the pty reaches both portfix's copy and the line scanner,
    /// in order, as lines without their `\r\n` (the pty turns `\n` into `\r\n`).
    #[test]
    fn the_scanner_sees_what_the_command_writes_on_the_pty() {
        let pty = Pty { next: Mutex::new(None), keys: false, input: false };
        let lines = Arc::new(Mutex::new(Vec::<(Stream, String)>::new()));
        let seen = Arc::clone(&lines);
        let sink: LineSink = Arc::new(move |stream, lines: crate::os::child::Lines<'_>| {
            lines.each(|line| lock(&seen).push((stream, String::from_utf8_lossy(line).into_owned())));
        });
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo 'Error: listen EADDRINUSE: address already in use :::3000' >&2; [ -t 1 ] && [ -t 2 ] && echo tty"]);
        pty.wire(&mut cmd).unwrap();
        let mut child = cmd.spawn().unwrap();
        drop(cmd); // holds the slave until dropped, as `Session::spawn` does
        let relaying = pty.start(&mut child, sink).unwrap();
        assert!(child.wait().unwrap().success());
        assert!(relaying.finish(Duration::from_secs(5)), "the relay reaches the end of the output");
        let got = lock(&lines).clone();
        let want = ["out", "Error: listen EADDRINUSE: address already in use :::3000", "tty"];
        assert_eq!(got.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), want);
        assert!(got.iter().all(|(s, _)| *s == Stream::Stdout));
    }

    /// The command leads a session of its own with the pty as its controlling terminal.
    #[test]
    fn the_command_leads_a_session_on_its_pty() {
        let pty = Pty { next: Mutex::new(None), keys: false, input: false };
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ps -o sid=,pgid=,tpgid= -p $$; tty"]);
        pty.wire(&mut cmd).unwrap();
        let master = lock(&pty.next).take().unwrap();
        let mut child = cmd.spawn().unwrap();
        let pid = child.id().to_string();
        drop(cmd);
        let mut out = Vec::new();
        let mut reader = File::from(master);
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        child.wait().unwrap();
        let out = String::from_utf8_lossy(&out);
        let ids: Vec<&str> = out.split_whitespace().take(3).collect();
        assert_eq!(ids, [pid.as_str(); 3], "sid, pgid and the terminal's foreground group: {out}");
        assert!(out.contains("/dev/pts/"), "{out}");
    }
}
