//! Linux: the socket table over netlink (sock_diag), read without owners; owners found afterwards
//! for just the sockets asked about (see `owners`). Port settings from `/proc/sys/net`.

use std::collections::HashMap;

use netstat2::{AddressFamilyFlags, ProtocolFlags, SocketInfo};

use crate::core::port::{PortRange, parse_range};
use crate::core::socket::Socket;

pub fn iterate_sockets(
    af: AddressFamilyFlags,
    protos: ProtocolFlags,
) -> Result<impl Iterator<Item = Result<SocketInfo, netstat2::error::Error>>, netstat2::error::Error> {
    netstat2::iterate_sockets_info_without_pids(af, protos)
}

pub fn socket_uid(info: &SocketInfo) -> Option<u32> {
    Some(info.uid)
}

pub fn socket_inode(info: &SocketInfo) -> Option<u64> {
    (info.inode != 0).then_some(u64::from(info.inode))
}

pub fn socket_pids(_info: &SocketInfo) -> Vec<u32> {
    Vec::new()
}

/// Finds the processes holding these sockets in one pass over `/proc` (see `owners`).
pub fn attach_owners(sockets: &mut [Socket]) -> anyhow::Result<()> {
    let wanted: HashMap<u64, Option<u32>> = sockets.iter().filter_map(|s| Some((s.inode?, s.uid))).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let found = super::owners::find(&wanted);
    for s in sockets.iter_mut() {
        if let Some(pids) = s.inode.and_then(|i| found.get(&i)) {
            s.pids.clone_from(pids);
        }
    }
    Ok(())
}

/// True when every process's fds can be read (root), so an owner not found is truly absent.
pub fn can_see_all_owners() -> bool {
    rustix::process::geteuid().is_root()
}

/// The ports this OS gives to outgoing connections (`net.ipv4.ip_local_port_range`).
pub fn ephemeral_range() -> Option<PortRange> {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace();
    parse_range(&format!("{}-{}", it.next()?, it.next()?)).ok()
}

/// Whether an IPv6 wildcard bind leaves IPv4 alone by default (`net.ipv6.bindv6only`, 0 unless
/// changed).
pub fn v6only_default() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").is_ok_and(|t| t.trim() == "1")
}
