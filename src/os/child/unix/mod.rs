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
use std::os::fd::OwnedFd;

pub(super) mod pty;
mod running;
mod signals;
mod terminal;
mod watchdog;

pub(crate) use self::running::{Running, prepare, reap_orphans};
pub(crate) use self::signals::{block_here, die_by, die_of, listen_signals, stop_self};
pub(crate) use self::terminal::Terminal;
pub(crate) use self::watchdog::{Watchdog, raw_out};

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
