//! macOS and Windows: the whole socket table from netstat2, with owner pids (the OS gives them
//! at no extra cost there). `os::sockets` filters it to the question.

use std::net::SocketAddr;

use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, SocketInfo, TcpState};

use crate::core::socket::{Proto, SockState, Socket};
use crate::os::sockets::Query;

/// This machine's addresses, on every interface, as sysinfo lists them.
pub(crate) fn host_addresses() -> Option<Vec<std::net::IpAddr>> {
    let networks = sysinfo::Networks::new_with_refreshed_list();
    Some(networks.values().flat_map(|n| n.ip_networks().iter().map(|i| i.addr)).collect())
}

pub(crate) fn read_sockets(query: Query) -> Result<Vec<Socket>, netstat2::error::Error> {
    let mut protos = ProtocolFlags::empty();
    if query.tcp {
        protos |= ProtocolFlags::TCP;
    }
    if query.udp {
        protos |= ProtocolFlags::UDP;
    }
    let af = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
    let items = netstat2::iterate_sockets_info(af, protos)?.map(|info| info.map(|i| from_netstat(&i)));
    // macOS: a socket whose process ended mid-scan is an error of its own; the rest stands.
    crate::core::platform::socket_table(crate::core::platform::Os::CURRENT, items)
}

fn from_netstat(info: &SocketInfo) -> Socket {
    let (proto, local, remote, state) = match &info.protocol_socket_info {
        ProtocolSocketInfo::Tcp(t) => {
            let state = match t.state {
                TcpState::Listen => SockState::Listen,
                TcpState::Established => SockState::Established,
                TcpState::TimeWait => SockState::TimeWait,
                _ => SockState::Other,
            };
            let remote = (state != SockState::Listen).then(|| SocketAddr::new(t.remote_addr, t.remote_port));
            (Proto::Tcp, SocketAddr::new(t.local_addr, t.local_port), remote, state)
        }
        ProtocolSocketInfo::Udp(u) => {
            (Proto::Udp, SocketAddr::new(u.local_addr, u.local_port), None, SockState::Bound)
        }
    };
    Socket { proto, local, remote, state, uid: None, inode: None, pids: owners(&info.associated_pids) }
}

/// The owner pids the table gives, less pid 0: no process has it. Windows shows pid 0 only for
/// sockets no process owns any more (TIME_WAIT); Wine shows it for every socket. A listener
/// with pid 0 is held by a process that cannot be seen, and is reported so.
fn owners(pids: &[u32]) -> Vec<u32> {
    pids.iter().copied().filter(|&p| p != 0).collect()
}
