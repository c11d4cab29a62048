//! The watchdog: a tiny process forked before any thread, that SIGKILLs the command's groups
//! when portfix dies by any means.

use super::{cloexec_pipe, errno};
use std::io;
use std::os::fd::OwnedFd;
use std::os::fd::RawFd;
use std::os::fd::{FromRawFd, IntoRawFd};

// ---------------------------------------------------------------------------------------------
// The watchdog.

/// A process that SIGKILLs the guarded process groups when portfix dies (see the module docs).
///
/// On every orderly way out (an exit, an error, a signal that ends portfix after the command)
/// portfix stands it down and reaps it ([`Watchdog::stand_down`], also on drop): when portfix's
/// exit status is visible to its parent, no process of portfix's is left, not even for an
/// instant (otherwise the watchdog, re-parented, outlives portfix by a scheduling slice).
pub(crate) struct Watchdog {
    /// The only write end of the watchdog's pipe; `None` once stood down.
    pub(super) pipe: Option<OwnedFd>,
    pub(super) pid: libc::pid_t,
}

pub(super) const MAX_GUARDED: usize = 32;

impl Watchdog {
    /// Forks the watchdog. Call it before portfix starts any thread: the forked copy then has
    /// nothing but this one thread, and it only makes async-signal-safe calls anyway.
    pub(crate) fn start() -> io::Result<Watchdog> {
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
    pub(crate) fn stand_down(&mut self) {
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
    pub(crate) fn guard(&self, group: libc::pid_t) {
        self.send(group);
    }

    /// `group` has ended: forget it (its number may be reused).
    pub(crate) fn forget(&self, group: libc::pid_t) {
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
    // SAFETY: the whole body makes async-signal-safe calls only, on fds and stack memory we own.
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
pub(crate) fn raw_out(fd: RawFd) -> Box<dyn io::Write + Send> {
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
