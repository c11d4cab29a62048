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

/// Windows shows every process's sockets to an administrator; portfix does not ask.
pub fn can_see_all_owners() -> bool {
    false
}

/// Windows gives 49152-65535 to outgoing connections by default (`netsh int ipv4 show
/// dynamicport tcp`).
pub fn ephemeral_range() -> Option<PortRange> {
    parse_range("49152-65535").ok()
}

/// Windows: IPV6_V6ONLY is on by default, so `::` leaves IPv4 alone.
pub fn v6only_default() -> bool {
    true
}

pub fn describe_processes(pids: &[u32]) -> Vec<crate::core::process::ProcessInfo> {
    crate::os::process::describe_with_sysinfo(pids)
}

pub fn start_ticks(pid: u32) -> Option<u64> {
    crate::os::process::start_time_with_sysinfo(pid)
}
