//! The socket table comes with owner pids from the OS at no extra cost here.

use crate::core::port::{PortRange, parse_range};
use crate::core::socket::Socket;

pub(crate) use super::netstat::{host_addresses, read_sockets};

pub(crate) fn attach_owners(_sockets: &mut [Socket]) -> anyhow::Result<()> {
    Ok(())
}

/// Only root sees every process's sockets.
pub(crate) fn can_see_all_owners() -> bool {
    rustix::process::geteuid().is_root()
}

/// macOS gives 49152-65535 to outgoing connections unless `net.inet.ip.portrange.first/last`
/// were changed; the documented default is used rather than a sysctl call nothing here can test.
pub(crate) fn ephemeral_range() -> Option<PortRange> {
    parse_range("49152-65535").ok()
}

/// macOS: an IPv6 wildcard bind also takes IPv4 (`net.inet6.ip6.v6only` is 0).
pub(crate) fn v6only_default() -> bool {
    false
}

/// macOS has no PR_SET_PDEATHSIG: nothing to arm in the child. There the watchdog
/// (`os::child::unix`) alone ends the command's process group when portfix dies.
pub(crate) fn arm_parent_death_signal(_parent: libc::pid_t) {}

/// macOS has no child subreaper: orphans of the command go to launchd, which reaps them.
pub(crate) fn become_subreaper() {}

pub(crate) use crate::os::process::sysinfo_backed::{describe_briefly, describe_processes, start_ticks};

// ---- Stopping: kill(2) with a start-time check. ----
//
// macOS has no pidfd: the start time (sysinfo, whole seconds) is compared just before kill(2),
// which leaves a window of microseconds in which a reused pid could be hit; a pid reused within
// the same second as the original start is not told apart. Not tested here (Linux only).

use rustix::process::Pid as RPid;
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System};

use crate::os::stop::ProcStat;

pub(crate) fn proc_stat(pid: u32) -> Option<ProcStat> {
    let spid = Pid::from_u32(pid);
    let mut sys = System::new();
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[spid]), true, ProcessRefreshKind::nothing());
    let p = sys.process(spid)?;
    let rpid = RPid::from_raw(pid as i32);
    let raw = |r: RPid| r.as_raw_nonzero().get() as u32;
    Some(ProcStat {
        ppid: p.parent().map(Pid::as_u32),
        pgid: rpid.and_then(|r| rustix::process::getpgid(Some(r)).ok()).map(raw),
        sid: rpid.and_then(|r| rustix::process::getsid(Some(r)).ok()).map(raw),
        start: Some(p.start_time()),
        kernel_thread: false,
        ended: p.status() == ProcessStatus::Zombie,
        stopped: p.status() == ProcessStatus::Stop,
    })
}

pub(crate) use super::unix::{
    current_pgid, current_uid, is_alive, kill_checked as signal_checked, signal_group_checked,
};

pub(crate) use super::wait_exit_polled as wait_exit;

/// No port ranges are excluded from binding here (a Windows notion: `core::platform`).
pub(crate) fn excluded_ranges() -> Vec<crate::core::port::PortRange> {
    Vec::new()
}
