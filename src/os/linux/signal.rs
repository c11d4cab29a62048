//! Linux: signalling a process only if it is still the one portfix looked at.
//!
//! A pid alone is not an identity: between the look-up and the signal the holder may exit and
//! its pid go to a new process. So before each signal portfix opens a pidfd (which pins the
//! process it names), compares the start time in clock ticks (field 22 of `/proc/PID/stat`)
//! with the one recorded in the plan, and signals through the pidfd. A process that died after
//! `pidfd_open` cannot be hit by a reused pid: the pidfd still names the dead one (ESRCH).
//! Kernels without pidfd (before 5.3, ENOSYS) fall back to the same start-time check plus
//! `kill(2)`, which leaves a window of microseconds between the check and the signal.

use rustix::process::{Pid, PidfdFlags};

use crate::core::signal::Signal;
use crate::core::stop::{Delivery, Ident};
use crate::os::stop::ProcStat;
use crate::os::unix::{check, errno, kill_checked, raw};

pub(crate) use crate::os::unix::{current_pgid, current_uid, is_alive, signal_group_checked};

/// Fields of `/proc/PID/stat` portfix needs; `None` when the process is gone or hidden.
pub(crate) fn proc_stat(pid: u32) -> Option<ProcStat> {
    let s = super::procfs::read_stat(pid)?;
    Some(ProcStat {
        ppid: Some(s.ppid),
        pgid: Some(s.pgid),
        sid: Some(s.sid),
        start: Some(s.start_ticks),
        kernel_thread: s.is_kernel_thread(),
        ended: s.has_ended(),
        stopped: s.is_suspended(),
    })
}

/// Sends `sig` to the process `id` names, if it is still that process.
pub(crate) fn signal_checked(id: Ident, sig: Signal) -> Delivery {
    signal_with(id, sig, true)
}

/// As [`signal_checked`]; `pidfd: false` takes the fallback path of kernels without pidfd.
pub(crate) fn signal_with(id: Ident, sig: Signal, pidfd: bool) -> Delivery {
    let Some(pid) = Pid::from_raw(id.pid as i32) else { return Delivery::Gone };
    if pidfd {
        match rustix::process::pidfd_open(pid, PidfdFlags::empty()) {
            Ok(fd) => {
                if let Err(s) = check(id) {
                    return s;
                }
                return match rustix::process::pidfd_send_signal(&fd, raw(sig)) {
                    Ok(()) => Delivery::Sent,
                    Err(e) => errno(e),
                };
            }
            Err(rustix::io::Errno::NOSYS) => {}
            Err(e) => return errno(e),
        }
    }
    kill_checked(id, sig)
}

/// Waits until one of these processes ends, or `timeout` passes (pidfds polled for readability,
/// which they become when their process ends): no busy polling of `/proc`.
pub(crate) fn wait_exit(ids: &[Ident], timeout: std::time::Duration) {
    use std::os::fd::AsRawFd as _;
    let fds: Vec<_> = ids
        .iter()
        .filter_map(|id| Pid::from_raw(id.pid as i32))
        .filter_map(|pid| rustix::process::pidfd_open(pid, PidfdFlags::empty()).ok())
        .collect();
    if fds.is_empty() {
        std::thread::sleep(timeout);
        return;
    }
    let mut polls: Vec<libc::pollfd> =
        fds.iter().map(|fd| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: `polls` is a valid array of `polls.len()` pollfd structs whose fds stay open (owned
    // by `fds`) for the duration of the call.
    unsafe {
        libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_has_ticks() {
        let me = std::process::id();
        let s = proc_stat(me).unwrap();
        assert!(s.start.is_some_and(|t| t > 0));
        assert!(is_alive(Ident { pid: me, start: s.start }));
        assert!(!is_alive(Ident { pid: me, start: s.start.map(|t| t + 1) }));
    }

    fn sleeper() -> std::process::Child {
        std::process::Command::new("sleep").arg("30").spawn().unwrap()
    }

    #[test]
    fn a_wrong_start_time_is_never_signalled_on_either_path() {
        for pidfd in [true, false] {
            let mut child = sleeper();
            let pid = child.id();
            let real = proc_stat(pid).unwrap().start;
            let wrong = Ident { pid, start: real.map(|t| t + 1) };
            assert_eq!(signal_with(wrong, Signal::Kill, pidfd), Delivery::IdentityChanged);
            assert!(child.try_wait().unwrap().is_none(), "pidfd={pidfd}: the process was hit");
            assert_eq!(signal_with(Ident { pid, start: real }, Signal::Kill, pidfd), Delivery::Sent);
            let status = child.wait().unwrap();
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9));
            // reaped: gone (or, should the pid already be reused, another process: not hit either)
            let after = signal_with(Ident { pid, start: real }, Signal::Term, pidfd);
            assert!(matches!(after, Delivery::Gone | Delivery::IdentityChanged), "{after:?}");
        }
    }
}
