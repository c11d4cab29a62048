//! The terminal's foreground process group, handed to the command's group and taken back.

use std::os::fd::OwnedFd;
use std::os::fd::RawFd;
use std::os::fd::{AsRawFd, FromRawFd};

// ---------------------------------------------------------------------------------------------
// The terminal.

/// portfix's controlling terminal, when portfix is in its foreground process group.
pub(crate) struct Terminal {
    pub(super) tty: OwnedFd,
    pub(super) own_group: libc::pid_t,
    /// Its modes when portfix started.
    pub(super) found: Option<rustix::termios::Termios>,
}

impl Terminal {
    /// The controlling terminal if portfix is in its foreground group; `None` off a terminal or
    /// in the background (then the command stays in the background too, as a job would).
    pub(crate) fn foreground() -> Option<Terminal> {
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
    pub(crate) fn restore_found_modes(&self) {
        let Some(modes) = &self.found else { return };
        with_sigttou_blocked(|| {
            let _ = rustix::termios::tcsetattr(&self.tty, rustix::termios::OptionalActions::Now, modes);
            let _ = rustix::io::write(&self.tty, b"\x1b[?25h");
        });
    }

    pub(super) fn fd(&self) -> RawFd {
        self.tty.as_raw_fd()
    }

    /// Makes `group` the terminal's foreground group.
    pub(crate) fn give_to(&self, group: libc::pid_t) {
        set_foreground(self.fd(), group);
    }

    /// Takes the terminal back for portfix's own group (to prompt, or on the way out).
    pub(crate) fn reclaim(&self) {
        set_foreground(self.fd(), self.own_group);
    }

    /// True when portfix's group is the foreground group again (after `fg`, not after `bg`).
    pub(crate) fn is_ours(&self) -> bool {
        // SAFETY: plain syscall on our own fd.
        unsafe { libc::tcgetpgrp(self.fd()) == self.own_group }
    }
}

/// `tcsetpgrp` from any group: with SIGTTOU blocked, a background caller is allowed.
/// Async-signal-safe: also called in the child between fork and exec.
pub(super) fn set_foreground(fd: RawFd, group: libc::pid_t) {
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
