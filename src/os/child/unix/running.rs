//! Starting a command in a process group of its own, and waiting for it to end or stop.

use super::signals::signo;
use super::terminal::{Terminal, set_foreground};
use crate::core::signal::Signal;
use crate::os::child::ChildState;
use std::ffi::c_int;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Child;
use std::process::Command;

/// An exit status as a shell shows it: the code, or 128+N when signal N ended the process.
pub(crate) fn status_code(status: std::process::ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(125)
}

// ---------------------------------------------------------------------------------------------
// Spawning and the running command.

/// Prepares `cmd` to run in a group of its own, ended with portfix, holding the terminal when
/// `terminal` is given. With `own_session` the relay makes the command a session leader (on a
/// pseudo-terminal): it must not lead a group before that (`setsid` would fail), and the new
/// session's group is the group portfix guards and signals.
pub(crate) fn prepare(cmd: &mut Command, terminal: Option<&Terminal>, own_session: bool) {
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
            // stop signals (see `Session::listen_signals`), and std does not clear the mask.
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
pub(crate) struct Running {
    pub(super) child: Child,
    pub(super) group: libc::pid_t,
    pub(super) exited: Option<i32>,
    /// The signal that ended the direct child, if one did.
    pub(super) killed_by: Option<c_int>,
}

impl Running {
    pub(crate) fn new(child: Child) -> Running {
        let group = child.id() as libc::pid_t;
        Running { child, group, exited: None, killed_by: None }
    }

    pub(crate) fn group(&self) -> libc::pid_t {
        self.group
    }

    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The direct child's state, without blocking: `None` while it runs.
    pub(crate) fn poll(&mut self) -> io::Result<Option<ChildState>> {
        if let Some(code) = self.exited {
            return Ok(Some(ChildState::Exited(code)));
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
            return Ok(Some(ChildState::Stopped));
        }
        let code = status_code(std::process::ExitStatus::from_raw(status));
        self.exited = Some(code);
        self.killed_by = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));
        Ok(Some(ChildState::Exited(code)))
    }

    /// The signal that ended the direct child (once it has ended by one).
    pub(crate) fn killed_by(&self) -> Option<c_int> {
        self.killed_by
    }

    /// A test for "this pid belongs to the command's tree": it is in the command's group.
    pub(crate) fn tree_member(&self) -> impl Fn(u32) -> bool + Send + 'static {
        let group = self.group;
        // SAFETY: getpgid only reads; a pid that is gone gives -1.
        move |pid| unsafe { libc::getpgid(pid as libc::pid_t) == group }
    }

    /// Sends `sig` to every process of the command's group.
    pub(crate) fn signal_tree(&self, sig: Signal) {
        self.signal_group(signo(sig));
    }

    /// Resumes a stopped command.
    pub(crate) fn resume(&self) {
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
    pub(crate) fn tree_alive(&self) -> bool {
        // SAFETY: signal 0 only checks existence.
        unsafe { libc::kill(-self.group, 0) == 0 }
    }
}

/// Reaps every ended child of portfix except `keep` (orphans of the command's tree, which
/// portfix adopts as subreaper on Linux; the watchdog).
pub(crate) fn reap_orphans(keep: libc::pid_t) {
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
