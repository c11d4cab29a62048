//! The socket table, read with netstat2. On Linux the table is read *without* owners (netlink
//! only) and owners are found afterwards for just the sockets that matter: netstat2's own pid
//! mapping reads every `/proc/*/fd/*` link first, which is most of the cost of a question about
//! one port.

use anyhow::Context as _;
use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, SocketInfo, TcpState};
use std::net::SocketAddr;

use crate::core::socket::{Proto, SockState, Socket};

/// Every socket of the given protocols, without owners on Linux (see [`attach_owners`]); with
/// owners elsewhere, where the OS gives them at no extra cost.
pub fn table(tcp: bool, udp: bool) -> anyhow::Result<Vec<Socket>> {
    let mut protos = ProtocolFlags::empty();
    if tcp {
        protos |= ProtocolFlags::TCP;
    }
    if udp {
        protos |= ProtocolFlags::UDP;
    }
    let af = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
    let iter = super::sys::iterate_sockets(af, protos).context("could not read the socket table")?;
    let mut out = Vec::new();
    for info in iter {
        let info = info.context("could not read the socket table")?;
        out.push(from_netstat(&info));
    }
    Ok(out)
}

/// Fills in `pids` for these sockets (Linux: one pass over `/proc`, reading only the processes
/// that could own them). Elsewhere the table already has them.
pub fn attach_owners(sockets: &mut [Socket]) -> anyhow::Result<()> {
    super::sys::attach_owners(sockets)
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
    Socket {
        proto,
        local,
        remote,
        state,
        uid: super::sys::socket_uid(info),
        inode: super::sys::socket_inode(info),
        pids: super::sys::socket_pids(info),
    }
}

/// The sockets that hold `port` (TCP listeners, or bound UDP sockets when `proto` is UDP), with
/// their owners attached.
pub fn holders(port: crate::core::port::Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    let mut found: Vec<Socket> = table(proto == Proto::Tcp, proto == Proto::Udp)?
        .into_iter()
        .filter(|s| s.local.port() == port.get() && s.holds_port())
        .collect();
    attach_owners(&mut found)?;
    Ok(found)
}
