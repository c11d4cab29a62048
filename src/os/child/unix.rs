//! Unix supervision: the command runs in a process group of its own, so that its whole tree
//! (`npm run` → sh → node) can be signalled at once; a watchdog ends that group if portfix
//! itself is killed; at a terminal the group is made the terminal's foreground group.
//!
//! Why each piece:
//! - **Own process group.** `npm run` does not pass a SIGINT on to its script; signalling the
//!   direct child alone leaves the server running. `kill(-pgid)` reaches every process of the
//!   tree that has not left the group (a daemon that calls `setsid` escapes: dev servers don't).
//! - **The terminal.** A process group other than the terminal's foreground group cannot read
//!   the terminal (SIGTTIN) nor set its modes (SIGTTOU). So when portfix is in the foreground,
//!   the command's group is made the foreground group (`tcsetpgrp`, by the child before `exec`
//!   and by portfix, as shells do, so neither order races) and portfix takes it back when the
//!   command ends or stops. Ctrl-C and Ctrl-Z then reach the command exactly as without portfix;
//!   portfix sees the stop and stops its own group, so the shell's job control keeps working.
//! - **portfix killed.** `PR_SET_PDEATHSIG(SIGKILL)` (Linux) ends the direct child; only the
//!   direct child. The watchdog covers the rest: a tiny process forked from portfix before any
//!   thread exists, holding the read end of a pipe whose only write end is portfix's. When
//!   portfix dies by any means the pipe closes and the watchdog SIGKILLs every group it was told
//!   to guard. It ignores the terminal's signals and only does `read`, `kill` and `_exit`.
//!   macOS has no PDEATHSIG: there the watchdog alone gives the guarantee.

use std::ffi::c_int;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use crate::core::signal::Signal;

use super::{Notice, State};

/// The OS number of a signal (the one table is `os::unix::raw`).
pub fn signo(sig: Signal) -> c_int {
    crate::os::unix::raw(sig).as_raw()
}

/// An exit status as a shell shows it: the code, or 128+N when signal N ended the process.
pub fn status_code(status: std::process::ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(125)
}

// ---------------------------------------------------------------------------------------------
// Signals sent to portfix: a self-pipe written by the handler, read by one thread.

static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

/// The signals portfix inherited as ignored (bit N for signal N): see [`die_of`].
static INHERITED_IGNORED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(sig: c_int) {
    let fd = WAKE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = sig as u8;
        // SAFETY: write(2) and errno access are async-signal-safe; errno is restored so the
        // interrupted code never sees ours.
        unsafe {
            let saved = *errno();
            libc::write(fd, (&raw const byte).cast(), 1);
            *errno() = saved;
        }
    }
}

#[cfg(target_os = "linux")]
unsafe fn errno() -> *mut c_int {
    // SAFETY: the thread's errno location, always valid.
    unsafe { libc::__errno_location() }
}

#[cfg(not(target_os = "linux"))]
unsafe fn errno() -> *mut c_int {
    // SAFETY: the thread's errno location, always valid.
    unsafe { libc::__error() }
}

/// A pipe whose ends are closed on exec. macOS has no pipe2(2), so the flag is set after the
/// fact on every Unix alike; portfix makes these pipes before it spawns anything, so no exec can
/// slip in between.
pub(super) fn cloexec_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe()?;
    for end in [&r, &w] {
        rustix::io::fcntl_setfd(end, rustix::io::FdFlags::CLOEXEC)?;
    }
    Ok((r, w))
}

/// Calls `on` (from a thread of its own) for each SIGINT, SIGTERM, SIGHUP, SIGQUIT sent to
/// portfix, and on each change of a child's state (SIGCHLD). A SIGINT, SIGQUIT or SIGHUP that
/// portfix inherited as ignored (`nohup`, `cmd &` in a script) stays ignored, for the command too.
/// Handlers, unlike ignored dispositions, are reset by `exec`: the command starts with defaults.
pub fn listen_signals(on: impl Fn(Notice) + Send + 'static) -> io::Result<()> {
    let (r, w) = cloexec_pipe()?;
    // Only the handler's end must never block; the reading end blocks.
    rustix::fs::fcntl_setfl(&w, rustix::fs::OFlags::NONBLOCK)?;
    WAKE_FD.store(w.into_raw_fd(), Ordering::Relaxed);
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGCHLD] {
        // SAFETY: sigaction with a handler that only writes to a pipe; structs zeroed first.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut old);
            if sig != libc::SIGTERM && sig != libc::SIGCHLD && old.sa_sigaction == libc::SIG_IGN {
                INHERITED_IGNORED.fetch_or(1 << sig, Ordering::Relaxed);
                continue;
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
            act.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut act.sa_mask);
            if libc::sigaction(sig, &act, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let mut byte = [0u8; 1];
        while let Ok(1) = rustix::io::read(&r, &mut byte) {
            let notice = match c_int::from(byte[0]) {
                libc::SIGINT => Notice::Stop(Signal::Int),
                libc::SIGTERM => Notice::Stop(Signal::Term),
                libc::SIGHUP => Notice::Stop(Signal::Hup),
                libc::SIGQUIT => Notice::Stop(Signal::Quit),
                _ => Notice::ChildChanged,
            };
            if matches!(notice, Notice::Stop(_)) {
                // portfix is asked to end: the user's terminal first, whatever happens next.
                super::pty::restore_terminal();
            }
            on(notice);
        }
    })?;
    Ok(())
}

/// Ends portfix by signal `sig`, the way the command was ended, so that whoever waits for
/// portfix sees a signal death and not an exit code. Returns only when that is not possible
/// (portfix inherited `sig` as ignored: a `nohup` or a background job keeps its promise), and
/// the caller then exits 128+`sig`. Call it last: nothing else runs after it.
///
/// Why not simply exit 128+N, as the exit-code table says? A shell's `$?` is 128+N either way,
/// so the contract holds; but callers that tell the two apart behave differently, and only a
/// signal death makes portfix as transparent as the command itself:
/// - bash breaks out of a `while`/`for` loop, and a non-interactive bash stops its script, when
///   the foreground command *died* of SIGINT (Ctrl-C); an exit 130 runs the next iteration. At a
///   terminal Ctrl-C reaches only the command's process group (see the module docs), so
///   portfix's own death is the only sign the shell gets.
/// - `npm run` (and pnpm, yarn) kill themselves with the signal that ended their script,
///   quietly; an exit 130 is printed as "Lifecycle script failed".
/// - systemd counts a death by SIGTERM, SIGINT, SIGHUP or SIGPIPE as a clean stop and exit 143
///   as a failure; Node's `child_process` reports `signal` rather than `code`.
///
/// GNU `timeout` does the same. Core dumps are turned off first: the command dumped its own,
/// if any; portfix has nothing to add.
pub fn die_of(sig: c_int) {
    if !(1..32).contains(&sig) || INHERITED_IGNORED.load(Ordering::Relaxed) & (1 << sig) != 0 {
        return;
    }
    let _ = io::Write::flush(&mut io::stdout());
    // SAFETY: plain syscalls on our own process; the structs are zeroed or filled by the kernel.
    unsafe {
        let mut core: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_CORE, &mut core) == 0 {
            core.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &core);
        }
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
}

/// Blocks `signals` on the calling thread (and the threads it starts from now on).
pub fn block_here(signals: &[Signal]) {
    // SAFETY: a signal mask change on this thread only; the set is initialised by sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in signals {
            libc::sigaddset(&mut set, signo(sig));
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Ends portfix by `sig` (see [`die_of`]), else exits 128+N.
pub fn die_by(sig: Signal) -> ! {
    let n = signo(sig);
    die_of(n);
    std::process::exit(128 + n)
}

// ---------------------------------------------------------------------------------------------
// The terminal.

/// portfix's controlling terminal, when portfix is in its foreground process group.
pub struct Terminal {
    tty: OwnedFd,
    own_group: libc::pid_t,
    /// Its modes when portfix started.
    found: Option<rustix::termios::Termios>,
}

impl Terminal {
    /// The controlling terminal if portfix is in its foreground group; `None` off a terminal or
    /// in the background (then the command stays in the background too, as a job would).
    pub fn foreground() -> Option<Terminal> {
        // SAFETY: open(2) of a fixed path; the fd is owned at once.
        let fd = unsafe { libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC | libc::O_NOCTTY) };
        if fd < 0 {
            return None;
        }
        // SAFETY: fd was just opened and is ours.
        let tty = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain syscalls on our own fd.
        let (fg, own_group) = unsafe { (libc::tcgetpgrp(fd), libc::getpgrp()) };
        let found = rustix::termios::tcgetattr(&tty).ok();
        (fg == own_group).then_some(Terminal { tty, own_group, found })
    }

    /// Gives the terminal back the modes it had when portfix started, and shows the cursor (a
    /// prompt's menu hides it): for an end at any moment, a prompt open or not.
    pub fn restore_found_modes(&self) {
        let Some(modes) = &self.found else { return };
        with_sigttou_blocked(|| {
            let _ = rustix::termios::tcsetattr(&self.tty, rustix::termios::OptionalActions::Now, modes);
            let _ = rustix::io::write(&self.tty, b"\x1b[?25h");
        });
    }

    fn fd(&self) -> RawFd {
        self.tty.as_raw_fd()
    }

    /// Makes `group` the terminal's foreground group.
    pub fn give_to(&self, group: libc::pid_t) {
        set_foreground(self.fd(), group);
    }

    /// Takes the terminal back for portfix's own group (to prompt, or on the way out).
    pub fn reclaim(&self) {
        set_foreground(self.fd(), self.own_group);
    }

    /// True when portfix's group is the foreground group again (after `fg`, not after `bg`).
    pub fn is_ours(&self) -> bool {
        // SAFETY: plain syscall on our own fd.
        unsafe { libc::tcgetpgrp(self.fd()) == self.own_group }
    }
}

/// `tcsetpgrp` from any group: with SIGTTOU blocked, a background caller is allowed.
/// Async-signal-safe: also called in the child between fork and exec.
fn set_foreground(fd: RawFd, group: libc::pid_t) {
    // SAFETY: tcsetpgrp(3) on a descriptor the caller keeps open.
    with_sigttou_blocked(|| unsafe {
        libc::tcsetpgrp(fd, group);
    });
}

/// Runs `f` with SIGTTOU blocked on this thread, so that a process in the background may still
/// change the terminal (modes, foreground group); the old mask is back before returning.
/// Async-signal-safe when `f` is: no allocation, no lock.
pub(super) fn with_sigttou_blocked(f: impl FnOnce()) {
    // SAFETY: signal mask calls on this thread only; both sets are initialised (sigemptyset,
    // then filled by pthread_sigmask) before they are read.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGTTOU);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
}

// ---------------------------------------------------------------------------------------------
// Spawning and the running command.

/// Prepares `cmd` to run in a group of its own, ended with portfix, holding the terminal when
/// `terminal` is given. With `own_session` the relay makes the command a session leader (on a
/// pseudo-terminal): it must not lead a group before that (`setsid` would fail), and the new
/// session's group is the group portfix guards and signals.
pub fn prepare(cmd: &mut Command, terminal: Option<&Terminal>, own_session: bool) {
    if !own_session {
        cmd.process_group(0);
    }
    // SAFETY: getpid is always safe.
    let parent = unsafe { libc::getpid() };
    let tty = terminal.map(Terminal::fd);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, getppid, getpid, sigprocmask, tcsetpgrp, kill).
    unsafe {
        cmd.pre_exec(move || {
            // The command starts with no signal blocked: portfix's main thread blocks the
            // stop signals (see `Supervisor::listen_signals`), and std does not clear the mask.
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            crate::os::sys::arm_parent_death_signal(parent);
            if let Some(fd) = tty {
                set_foreground(fd, libc::getpid());
            }
            Ok(())
        });
    }
}

/// The command, spawned and supervised: its direct child and the process group it leads.
pub struct Running {
    child: Child,
    group: libc::pid_t,
    exited: Option<i32>,
    /// The signal that ended the direct child, if one did.
    killed_by: Option<c_int>,
}

impl Running {
    pub fn new(child: Child) -> Running {
        let group = child.id() as libc::pid_t;
        Running { child, group, exited: None, killed_by: None }
    }

    pub fn group(&self) -> libc::pid_t {
        self.group
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The direct child's state, without blocking: `None` while it runs.
    pub fn poll(&mut self) -> io::Result<Option<State>> {
        if let Some(code) = self.exited {
            return Ok(Some(State::Exited(code)));
        }
        let mut status: c_int = 0;
        // SAFETY: waitpid on our own child; status is a valid out-pointer.
        let r = unsafe { libc::waitpid(self.group, &mut status, libc::WNOHANG | libc::WUNTRACED) };
        if r == 0 {
            return Ok(None);
        }
        if r < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted { Ok(None) } else { Err(err) };
        }
        if libc::WIFSTOPPED(status) {
            return Ok(Some(State::Stopped));
        }
        let code = status_code(std::process::ExitStatus::from_raw(status));
        self.exited = Some(code);
        self.killed_by = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
        Ok(Some(State::Exited(code)))
    }

    /// The signal that ended the direct child (once it has ended by one).
    pub fn killed_by(&self) -> Option<c_int> {
        self.killed_by
    }

    /// A test for "this pid belongs to the command's tree": it is in the command's group.
    pub fn tree_member(&self) -> impl Fn(u32) -> bool + Send + 'static {
        let group = self.group;
        // SAFETY: getpgid only reads; a pid that is gone gives -1.
        move |pid| unsafe { libc::getpgid(pid as libc::pid_t) == group }
    }

    /// Sends `sig` to every process of the command's group.
    pub fn signal_tree(&self, sig: Signal) {
        self.signal_group(signo(sig));
    }

    /// Resumes a stopped command.
    pub fn resume(&self) {
        self.signal_group(libc::SIGCONT);
    }

    fn signal_group(&self, sig: c_int) {
        // SAFETY: kill(2) on the group this run created; a group that is gone is ESRCH.
        unsafe {
            libc::kill(-self.group, sig);
        }
    }

    /// True while any process of the command's group is alive (zombies of the direct child
    /// excepted once it has been reaped).
    pub fn tree_alive(&self) -> bool {
        // SAFETY: signal 0 only checks existence.
        unsafe { libc::kill(-self.group, 0) == 0 }
    }
}

/// Reaps every ended child of portfix except `keep` (orphans of the command's tree, which
/// portfix adopts as subreaper on Linux; the watchdog).
pub fn reap_orphans(keep: libc::pid_t) {
    loop {
        // SAFETY: waitid with WNOWAIT only looks; the info struct is zeroed and ours.
        let pid = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let r = libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT);
            if r != 0 {
                return;
            }
            info.si_pid()
        };
        if pid == 0 || pid == keep {
            return;
        }
        // SAFETY: reaping a child we know has ended.
        unsafe {
            libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
        }
    }
}

/// Stops portfix's own group, as Ctrl-Z would have without portfix (the command's group has
/// already stopped); returns when the shell continues the job.
pub fn stop_self() {
    // SAFETY: SIGTSTP to our own group; the watchdog ignores it, portfix stops until SIGCONT.
    unsafe {
        libc::kill(0, libc::SIGTSTP);
    }
}

// ---------------------------------------------------------------------------------------------
// The watchdog.

/// A process that SIGKILLs the guarded process groups when portfix dies (see the module docs).
///
/// On every orderly way out (an exit, an error, a signal that ends portfix after the command)
/// portfix stands it down and reaps it ([`Watchdog::stand_down`], also on drop): when portfix's
/// exit status is visible to its parent, no process of portfix's is left, not even for an
/// instant (otherwise the watchdog, re-parented, outlives portfix by a scheduling slice).
pub struct Watchdog {
    /// The only write end of the watchdog's pipe; `None` once stood down.
    pipe: Option<OwnedFd>,
    pid: libc::pid_t,
}

const MAX_GUARDED: usize = 32;

impl Watchdog {
    /// Forks the watchdog. Call it before portfix starts any thread: the forked copy then has
    /// nothing but this one thread, and it only makes async-signal-safe calls anyway.
    pub fn start() -> io::Result<Watchdog> {
        let (r, w) = cloexec_pipe()?;
        let (r, w) = (r.into_raw_fd(), w.into_raw_fd());
        // SAFETY: between fork and _exit the child only calls async-signal-safe functions on
        // memory of its own stack. All signals are blocked around fork so that no handler of
        // portfix's runs in the child before it has ignored them.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            let pid = libc::fork();
            if pid == 0 {
                watchdog_main(r, w);
            }
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            libc::close(r);
            if pid < 0 {
                libc::close(w);
                return Err(io::Error::last_os_error());
            }
            Ok(Watchdog { pipe: Some(OwnedFd::from_raw_fd(w)), pid })
        }
    }

    /// portfix is leaving: closes the pipe (the watchdog then kills whatever it still guards,
    /// as if portfix had died, and exits) and waits for the watchdog to be gone. Idempotent.
    pub fn stand_down(&mut self) {
        if self.pipe.take().is_none() {
            return;
        }
        loop {
            // SAFETY: waitpid on the watchdog, our own child; no status wanted.
            let r = unsafe { libc::waitpid(self.pid, std::ptr::null_mut(), 0) };
            // ECHILD: already reaped (it was killed from outside and `reap_orphans` took it).
            if r >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
    }

    /// From now on, `group` is killed if portfix dies.
    pub fn guard(&self, group: libc::pid_t) {
        self.send(group);
    }

    /// `group` has ended: forget it (its number may be reused).
    pub fn forget(&self, group: libc::pid_t) {
        self.send(-group);
    }

    fn send(&self, msg: i32) {
        // Four bytes on a pipe are written whole (less than PIPE_BUF).
        if let Some(pipe) = &self.pipe {
            let _ = rustix::io::write(pipe, &msg.to_ne_bytes());
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stand_down();
    }
}

/// The watchdog's whole life. Never returns.
unsafe fn watchdog_main(r: RawFd, w: RawFd) -> ! {
    // SAFETY (whole body): async-signal-safe calls only, on fds and stack memory we own.
    unsafe {
        for sig in [
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGPIPE,
            libc::SIGUSR1,
            libc::SIGUSR2,
        ] {
            libc::signal(sig, libc::SIG_IGN);
        }
        let empty: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // A group of its own: a SIGKILL to portfix's whole process group (`kill -9 -PGID`,
        // `timeout -s KILL`, a test harness) must not take the watchdog along with portfix,
        // or the command's group would be left running.
        libc::setpgid(0, 0);
        libc::close(w);
        // Hold none of portfix's standard streams: whoever reads portfix's output sees its end
        // when portfix ends.
        for fd in 0..3 {
            libc::close(fd);
        }
        let mut guarded = [0 as libc::pid_t; MAX_GUARDED];
        let mut msg = [0u8; 4];
        loop {
            let n = libc::read(r, msg.as_mut_ptr().cast(), 4);
            if n == 4 {
                let v = i32::from_ne_bytes(msg);
                if v > 0 {
                    if let Some(slot) = guarded.iter_mut().find(|g| **g == 0) {
                        *slot = v;
                    }
                } else if let Some(slot) = guarded.iter_mut().find(|g| **g == v.wrapping_neg()) {
                    *slot = 0;
                }
                continue;
            }
            if n < 0 && *errno() == libc::EINTR {
                continue;
            }
            break; // end of file: portfix is gone
        }
        for &g in &guarded {
            if g > 0 {
                libc::kill(-g, libc::SIGKILL);
            }
        }
        libc::_exit(0)
    }
}

/// portfix's own standard streams, written to without buffering.
pub fn raw_out(fd: RawFd) -> Box<dyn io::Write + Send> {
    struct Raw(std::mem::ManuallyDrop<std::fs::File>);
    impl io::Write for Raw {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            (&*self.0).write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    // SAFETY: fd 1 or 2 stays open for portfix's life; ManuallyDrop never closes it.
    Box::new(Raw(std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) })))
}
