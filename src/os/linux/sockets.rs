//! Linux: the socket table over netlink (`diag`), read without owners; owners found afterwards
//! for just the sockets asked about (`owners`). Port settings from `/proc/sys/net`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::diag::{self, DumpRequest, Ends};
use crate::core::port::{PortRange, parse_range};
use crate::core::socket::{Proto, Socket};
use crate::os::sockets::{Query, Select};

/// The sockets `query` asks for, as far as the kernel can pick them (the caller filters again).
pub(crate) fn read_sockets(query: Query) -> std::io::Result<Vec<Socket>> {
    let mut out = Vec::new();
    for (wanted, proto) in [(query.tcp, Proto::Tcp), (query.udp, Proto::Udp)] {
        let states = match (query.select, proto) {
            (Select::Holding, Proto::Udp) => diag::ALL_STATES,
            (Select::Holding, Proto::Tcp) => diag::LISTEN_ONLY,
            (Select::NotHolding, Proto::Tcp) => diag::ALL_STATES & !diag::LISTEN_ONLY,
            (Select::NotHolding, Proto::Udp) => continue, // every UDP socket holds its port
        };
        if !wanted {
            continue;
        }
        let ends = if query.select == Select::NotHolding { Ends::Either } else { Ends::Local };
        let port = query.port.map(|p| (p.get(), ends));
        out.extend(diag::dump(DumpRequest { proto, states, port })?);
    }
    Ok(out)
}

/// Finds the processes holding these sockets (see `owners`).
pub(crate) fn attach_owners(sockets: &mut [Socket]) -> anyhow::Result<()> {
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
pub(crate) fn can_see_all_owners() -> bool {
    rustix::process::geteuid().is_root()
}

/// The ports this OS gives to outgoing connections (`net.ipv4.ip_local_port_range`).
pub(crate) fn ephemeral_range() -> Option<PortRange> {
    let text = read_setting("/proc/sys/net/ipv4/ip_local_port_range")?;
    let mut it = text.split_whitespace();
    parse_range(&format!("{}-{}", it.next()?, it.next()?)).ok()
}

/// This machine's addresses, from getifaddrs(3) (glibc asks the kernel over netlink).
pub(crate) fn host_addresses() -> Option<Vec<IpAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list that is freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut node = head;
    while !node.is_null() {
        // SAFETY: `node` is an element of the list getifaddrs returned, not yet freed; its
        // `ifa_addr`, when not null, points at a sockaddr of the family it names.
        unsafe {
            let addr = (*node).ifa_addr;
            if !addr.is_null() {
                match i32::from((*addr).sa_family) {
                    libc::AF_INET => {
                        let sin = &*addr.cast::<libc::sockaddr_in>();
                        out.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))));
                    }
                    libc::AF_INET6 => {
                        let sin6 = &*addr.cast::<libc::sockaddr_in6>();
                        out.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
                    }
                    _ => {}
                }
            }
            node = (*node).ifa_next;
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Some(out)
}

/// Whether an IPv6 wildcard bind leaves IPv4 alone by default (`net.ipv6.bindv6only`, 0 unless
/// changed).
pub(crate) fn v6only_default() -> bool {
    read_setting("/proc/sys/net/ipv6/bindv6only").is_some_and(|t| t.trim() == "1")
}

/// A one-line `/proc/sys` setting: open, one read, close (no size query, no second read to see
/// the end: these files hand out their whole text in the first read).
fn read_setting(path: &str) -> Option<String> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut buf = [0u8; 64];
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// No port ranges are excluded from binding here (a Windows notion: `core::platform`).
pub(crate) fn excluded_ranges() -> Vec<crate::core::port::PortRange> {
    Vec::new()
}
