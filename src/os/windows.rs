//! The socket table comes with owner pids from the OS at no extra cost here.

use crate::core::port::{PortRange, parse_range};
use crate::core::socket::Socket;

pub(crate) use super::netstat::{host_addresses, read_sockets};

pub(crate) fn attach_owners(_sockets: &mut [Socket]) -> anyhow::Result<()> {
    Ok(())
}

/// Windows shows every process's sockets to an administrator; portfix does not ask.
pub(crate) fn can_see_all_owners() -> bool {
    false
}

/// Windows gives 49152-65535 to outgoing connections by default (`netsh int ipv4 show
/// dynamicport tcp`).
pub(crate) fn ephemeral_range() -> Option<PortRange> {
    parse_range("49152-65535").ok()
}

/// The ranges `netsh interface ipv4 show excludedportrange protocol=tcp` lists (Hyper-V,
/// WinNAT, WSL). Empty when netsh is missing or says something else (Wine's netsh has no such
/// command).
pub(crate) fn excluded_ranges() -> Vec<PortRange> {
    use std::os::windows::process::CommandExt as _;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    let out = std::process::Command::new("netsh")
        .args(["interface", "ipv4", "show", "excludedportrange", "protocol=tcp"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .creation_flags(CREATE_NO_WINDOW)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            crate::core::platform::parse_excluded_ranges(&String::from_utf8_lossy(&o.stdout))
        }
        _ => Vec::new(),
    }
}

/// Windows: IPV6_V6ONLY is on by default, so `::` leaves IPv4 alone.
pub(crate) fn v6only_default() -> bool {
    true
}

pub(crate) use crate::os::process::sysinfo_backed::{describe_briefly, describe_processes, start_ticks};

// ---- Stopping: TerminateProcess through sysinfo. ----
//
// Windows has no signals: whatever `--signal` names, the process is ended at once with
// TerminateProcess (sysinfo's `Process::kill`), after its start time (whole seconds) is
// compared with the plan's. There are no process groups: a group unit ends its known members
// one by one. Untested here (Linux only); it is type-checked.

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::core::signal::Signal;
use crate::core::stop::{Delivery, Ident};
use crate::os::stop::ProcStat;

fn refreshed(pid: u32) -> System {
    let mut sys = System::new();
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[Pid::from_u32(pid)]),
        true,
        ProcessRefreshKind::nothing(),
    );
    sys
}

pub(crate) fn proc_stat(pid: u32) -> Option<ProcStat> {
    let sys = refreshed(pid);
    let p = sys.process(Pid::from_u32(pid))?;
    Some(ProcStat {
        ppid: p.parent().map(Pid::as_u32),
        pgid: None,
        sid: None,
        start: Some(p.start_time()),
        kernel_thread: false,
        ended: false,
        stopped: false,
    })
}

pub(crate) fn current_uid() -> Option<u32> {
    None
}

pub(crate) fn current_pgid() -> Option<u32> {
    None
}

pub(crate) fn signal_checked(id: Ident, _sig: Signal) -> Delivery {
    let sys = refreshed(id.pid);
    let Some(p) = sys.process(Pid::from_u32(id.pid)) else { return Delivery::Gone };
    if id.start != Some(p.start_time()) {
        return Delivery::IdentityChanged;
    }
    if p.kill() { Delivery::Sent } else { Delivery::Failed }
}

pub(crate) fn signal_group_checked(_pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
    let mut verdict = Delivery::Gone;
    for &m in members {
        match signal_checked(m, sig) {
            Delivery::Sent => verdict = Delivery::Sent,
            other if verdict != Delivery::Sent => verdict = other,
            _ => {}
        }
    }
    verdict
}

pub(crate) fn is_alive(id: Ident) -> bool {
    let sys = refreshed(id.pid);
    sys.process(Pid::from_u32(id.pid)).is_some_and(|p| Some(p.start_time()) == id.start)
}

pub(crate) use super::wait_exit_polled as wait_exit;
