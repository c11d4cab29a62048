//! Linux: signalling a process only if it is still the one portfix looked at.
//!
//! A pid alone is not an identity: between the look-up and the signal the holder may exit and
//! its pid go to a new process. So before each signal portfix opens a pidfd (which pins the
//! process it names), compares the start time in clock ticks (field 22 of `/proc/PID/stat`)
//! with the one recorded in the plan, and signals through the pidfd. A process that died after
//! `pidfd_open` cannot be hit by a reused pid: the pidfd still names the dead one (ESRCH).
//! Kernels without pidfd (before 5.3, ENOSYS) fall back to the same start-time check plus
//! `kill(2)`, which leaves a window of microseconds between the check and the signal.

use rustix::process::{Pid, PidfdFlags, Signal as RSignal};

use crate::core::signal::Signal;
use crate::core::stop::{Delivery, Ident};
use crate::os::stop::ProcStat;

/// Fields of `/proc/PID/stat` portfix needs; `None` when the process is gone or hidden.
pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    use std::io::Read as _;
    // One read into room for the whole line (about 300 bytes), where `fs::read_to_string`
    // would stat the file and grow its buffer from 32 bytes: this runs before every signal and
    // on every look at a process while waiting.
    let mut file = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let mut buf = Vec::with_capacity(1024);
    file.read_to_end(&mut buf).ok()?;
    parse_stat(std::str::from_utf8(&buf).ok()?)
}

/// Parses `/proc/PID/stat`: the command (field 2) may hold spaces and parentheses, so fields
/// are counted from after the last `)`.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state); field N is f[N - 3].
    let num = |n: usize| f.get(n - 3).and_then(|s| s.parse::<u64>().ok());
    const PF_KTHREAD: u64 = 0x0020_0000;
    let state = f.first()?.chars().next()?;
    Some(ProcStat {
        ppid: num(4).map(|n| n as u32),
        pgid: num(5).map(|n| n as u32),
        sid: num(6).map(|n| n as u32),
        start: Some(num(22)?),
        kernel_thread: num(9).is_some_and(|fl| fl & PF_KTHREAD != 0),
        ended: matches!(state, 'Z' | 'X' | 'x'),
    })
}

pub fn current_uid() -> Option<u32> {
    Some(rustix::process::getuid().as_raw())
}

/// portfix's process group; `None` when its leader lies outside our pid namespace (the kernel
/// then reports 0, which rustix would refuse).
pub fn current_pgid() -> Option<u32> {
    // SAFETY: getpgrp(2) takes no arguments, cannot fail and touches no memory.
    let pgid = unsafe { libc::getpgrp() };
    u32::try_from(pgid).ok().filter(|&g| g > 0)
}

fn raw(sig: Signal) -> RSignal {
    match sig {
        Signal::Hup => RSignal::HUP,
        Signal::Int => RSignal::INT,
        Signal::Quit => RSignal::QUIT,
        Signal::Kill => RSignal::KILL,
        Signal::Usr1 => RSignal::USR1,
        Signal::Usr2 => RSignal::USR2,
        Signal::Term => RSignal::TERM,
    }
}

/// The recorded identity against what `/proc` says now.
fn check(id: Ident) -> Result<(), Delivery> {
    match proc_stat(id.pid) {
        None => Err(Delivery::Gone),
        Some(s) if s.ended => Err(Delivery::Gone),
        Some(s) if id.start.is_none() || s.start != id.start => Err(Delivery::IdentityChanged),
        Some(_) => Ok(()),
    }
}

fn errno(e: rustix::io::Errno) -> Delivery {
    match e {
        rustix::io::Errno::SRCH => Delivery::Gone,
        rustix::io::Errno::PERM => Delivery::Denied,
        _ => Delivery::Failed,
    }
}

/// Sends `sig` to the process `id` names, if it is still that process.
pub fn signal_checked(id: Ident, sig: Signal) -> Delivery {
    signal_with(id, sig, true)
}

/// As [`signal_checked`]; `pidfd: false` takes the fallback path of kernels without pidfd.
pub fn signal_with(id: Ident, sig: Signal, pidfd: bool) -> Delivery {
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
    if let Err(s) = check(id) {
        return s;
    }
    match rustix::process::kill_process(pid, raw(sig)) {
        Ok(()) => Delivery::Sent,
        Err(e) => errno(e),
    }
}

/// Sends `sig` to process group `pgid`, if one of `members` (the holder, the group leader) is
/// still the process recorded and still in that group. The group cannot be reused while that
/// member lives, so the check stands for the whole group.
pub fn signal_group_checked(pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
    let mut verdict = Delivery::Gone;
    for &m in members {
        match check(m) {
            Ok(()) if proc_stat(m.pid).and_then(|s| s.pgid) == Some(pgid) => {
                let Some(g) = Pid::from_raw(pgid as i32) else { return Delivery::Gone };
                return match rustix::process::kill_process_group(g, raw(sig)) {
                    Ok(()) => Delivery::Sent,
                    Err(e) => errno(e),
                };
            }
            Ok(()) => verdict = Delivery::IdentityChanged,
            Err(Delivery::IdentityChanged) => verdict = Delivery::IdentityChanged,
            Err(_) => {}
        }
    }
    verdict
}

/// Waits until one of these processes ends, or `timeout` passes (pidfds polled for readability,
/// which they become when their process ends): no busy polling of `/proc`.
pub fn wait_exit(ids: &[Ident], timeout: std::time::Duration) {
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

/// True while the process `id` names is alive (not a zombie) and still that process.
pub fn is_alive(id: Ident) -> bool {
    check(id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_paren() {
        let line = "4242 (we ird) (name)) S 4000 4100 4200 34816 4100 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.ppid, s.pgid, s.sid, s.start), (Some(4000), Some(4100), Some(4200), Some(987_654)));
        assert!(!s.kernel_thread && !s.ended);
        let kt = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0";
        assert!(parse_stat(kt).unwrap().kernel_thread);
        let z = "9 (x) Z 1 9 9 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0";
        assert!(parse_stat(z).unwrap().ended);
        assert_eq!(parse_stat("garbage"), None);
    }

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
