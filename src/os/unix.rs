//! Stopping a process on Unix (Linux and macOS): `kill(2)` only after the process is checked
//! to be the one portfix looked at, by its start time as `sys::proc_stat` reads it. Linux puts
//! a pidfd in front of this (`linux/signal.rs`); macOS has only this.

use rustix::process::{Pid, Signal as RSignal};

use crate::core::signal::Signal;
use crate::core::stop::{Delivery, Ident};

pub(crate) fn current_uid() -> Option<u32> {
    Some(rustix::process::getuid().as_raw())
}

/// portfix's process group; `None` when its leader lies outside our pid namespace (the kernel
/// then reports 0, which rustix would refuse).
pub(crate) fn current_pgid() -> Option<u32> {
    // SAFETY: getpgrp(2) takes no arguments, cannot fail and touches no memory.
    let pgid = unsafe { libc::getpgrp() };
    u32::try_from(pgid).ok().filter(|&g| g > 0)
}

pub(super) fn raw(sig: Signal) -> RSignal {
    match sig {
        Signal::Hup => RSignal::HUP,
        Signal::Int => RSignal::INT,
        Signal::Quit => RSignal::QUIT,
        Signal::Kill => RSignal::KILL,
        Signal::Usr1 => RSignal::USR1,
        Signal::Usr2 => RSignal::USR2,
        Signal::Term => RSignal::TERM,
        Signal::Cont => RSignal::CONT,
    }
}

/// The recorded identity against what the OS says now.
pub(super) fn check(id: Ident) -> Result<(), Delivery> {
    match super::sys::proc_stat(id.pid) {
        None => Err(Delivery::Gone),
        Some(s) if s.ended => Err(Delivery::Gone),
        Some(s) if id.start.is_none() || s.start != id.start => Err(Delivery::IdentityChanged),
        Some(_) => Ok(()),
    }
}

pub(super) fn errno(e: rustix::io::Errno) -> Delivery {
    match e {
        rustix::io::Errno::SRCH => Delivery::Gone,
        rustix::io::Errno::PERM => Delivery::Denied,
        _ => Delivery::Failed,
    }
}

/// Sends `sig` with `kill(2)` to the process `id` names, if it is still that process. A window
/// of microseconds remains between the check and the signal.
pub(crate) fn kill_checked(id: Ident, sig: Signal) -> Delivery {
    if let Err(s) = check(id) {
        return s;
    }
    let Some(pid) = Pid::from_raw(id.pid as i32) else { return Delivery::Gone };
    rustix::process::kill_process(pid, raw(sig)).map_or_else(errno, |()| Delivery::Sent)
}

/// Sends `sig` to process group `pgid`, if one of `members` (the holder, the group leader) is
/// still the process recorded and still in that group. The group cannot be reused while that
/// member lives, so the check stands for the whole group.
pub(crate) fn signal_group_checked(pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
    let mut verdict = Delivery::Gone;
    for &m in members {
        match check(m) {
            Ok(()) if super::sys::proc_stat(m.pid).and_then(|s| s.pgid) == Some(pgid) => {
                let Some(g) = Pid::from_raw(pgid as i32) else { return Delivery::Gone };
                return rustix::process::kill_process_group(g, raw(sig))
                    .map_or_else(errno, |()| Delivery::Sent);
            }
            Ok(()) | Err(Delivery::IdentityChanged) => verdict = Delivery::IdentityChanged,
            Err(_) => {}
        }
    }
    verdict
}

/// True while the process `id` names is alive (not a zombie) and still that process.
pub(crate) fn is_alive(id: Ident) -> bool {
    check(id).is_ok()
}
