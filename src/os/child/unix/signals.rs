//! Signals: the stop signals portfix listens for between launches and while a command runs, and
//! dying of the same signal a command died of.

use super::{cloexec_pipe, errno};
use crate::core::signal::Signal;
use crate::os::child::Notice;
use std::ffi::c_int;
use std::io;
use std::os::fd::IntoRawFd;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering;

/// The OS number of a signal (the one table is `os::unix::raw`).
pub(crate) fn signo(sig: Signal) -> c_int {
    crate::os::unix::raw(sig).as_raw()
}

// ---------------------------------------------------------------------------------------------
// Signals sent to portfix: a self-pipe written by the handler, read by one thread.

pub(super) static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

/// The signals portfix inherited as ignored (bit N for signal N): see [`die_of`].
pub(super) static INHERITED_IGNORED: AtomicU32 = AtomicU32::new(0);

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

/// Calls `on` (from a thread of its own) for each SIGINT, SIGTERM, SIGHUP, SIGQUIT sent to
/// portfix, and on each change of a child's state (SIGCHLD). A SIGINT, SIGQUIT or SIGHUP that
/// portfix inherited as ignored (`nohup`, `cmd &` in a script) stays ignored, for the command too.
/// Handlers, unlike ignored dispositions, are reset by `exec`: the command starts with defaults.
pub(crate) fn listen_signals(on: impl Fn(Notice) + Send + 'static) -> io::Result<()> {
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
pub(crate) fn die_of(sig: c_int) {
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
pub(crate) fn block_here(signals: &[Signal]) {
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
pub(crate) fn die_by(sig: Signal) -> ! {
    let n = signo(sig);
    die_of(n);
    std::process::exit(128 + n)
}

/// Stops portfix's own group, as Ctrl-Z would have without portfix (the command's group has
/// already stopped); returns when the shell continues the job.
pub(crate) fn stop_self() {
    // SAFETY: SIGTSTP to our own group; the watchdog ignores it, portfix stops until SIGCONT.
    unsafe {
        libc::kill(0, libc::SIGTSTP);
    }
}
