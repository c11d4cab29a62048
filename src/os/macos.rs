//! The socket table comes with owner pids from the OS at no extra cost here.

use netstat2::{AddressFamilyFlags, ProtocolFlags, SocketInfo};

use crate::core::port::{PortRange, parse_range};
use crate::core::socket::Socket;

pub fn iterate_sockets(
    af: AddressFamilyFlags,
    protos: ProtocolFlags,
) -> Result<impl Iterator<Item = Result<SocketInfo, netstat2::error::Error>>, netstat2::error::Error> {
    netstat2::iterate_sockets_info(af, protos)
}

pub fn socket_uid(_info: &SocketInfo) -> Option<u32> {
    None
}

pub fn socket_inode(_info: &SocketInfo) -> Option<u64> {
    None
}

pub fn socket_pids(info: &SocketInfo) -> Vec<u32> {
    info.associated_pids.clone()
}

pub fn attach_owners(_sockets: &mut [Socket]) -> anyhow::Result<()> {
    Ok(())
}

/// Only root sees every process's sockets.
pub fn can_see_all_owners() -> bool {
    rustix::process::geteuid().is_root()
}

/// macOS gives 49152-65535 to outgoing connections unless `net.inet.ip.portrange.first/last`
/// were changed; the documented default is used rather than a sysctl call nothing here can test.
pub fn ephemeral_range() -> Option<PortRange> {
    parse_range("49152-65535").ok()
}

/// macOS: an IPv6 wildcard bind also takes IPv4 (`net.inet6.ip6.v6only` is 0).
pub fn v6only_default() -> bool {
    false
}

/// macOS has no PR_SET_PDEATHSIG: nothing to arm in the child. There the watchdog
/// (`os::child::unix`) alone ends the command's process group when portfix dies.
pub fn arm_parent_death_signal(_parent: libc::pid_t) {}

/// macOS has no child subreaper: orphans of the command go to launchd, which reaps them.
pub fn become_subreaper() {}

pub fn describe_processes(pids: &[u32]) -> Vec<crate::core::process::ProcessInfo> {
    crate::os::process::describe_with_sysinfo(pids)
}

pub fn start_ticks(pid: u32) -> Option<u64> {
    crate::os::process::start_time_with_sysinfo(pid)
}
