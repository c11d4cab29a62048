//! The socket table, read with netstat2. On Linux the table is read *without* owners (netlink
//! only) and owners are found afterwards for just the sockets that matter: netstat2's own pid
//! mapping reads every `/proc/*/fd/*` link first, which is most of the cost of a question about
//! one port.
//!
//! Entry points: [`holders`] (who holds a port, with owners: what `kill` and the wrapper ask),
//! [`port_is_held`] (a cheap yes/no that reads no process), [`table`] + [`attach_owners`] (for
//! `who` and `list`, which pick many sockets and find all their owners in one pass).

use anyhow::Context as _;
use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, SocketInfo, TcpState};
use std::net::SocketAddr;

use crate::core::port::{Port, PortRange};
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
/// their owners attached. A socket whose owner cannot be seen keeps empty `pids` and its `uid`.
pub fn holders(port: Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    let mut found = listeners(port, proto)?;
    attach_owners(&mut found)?;
    Ok(found)
}

/// The sockets that hold `port`, without looking for owners (no process is read).
pub fn listeners(port: Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    Ok(table(proto == Proto::Tcp, proto == Proto::Udp)?
        .into_iter()
        .filter(|s| s.local.port() == port.get() && s.holds_port())
        .collect())
}

/// True when any socket holds `port` on any address; cheap (reads no process), for a pre-flight.
pub fn port_is_held(port: Port, proto: Proto) -> anyhow::Result<bool> {
    Ok(!listeners(port, proto)?.is_empty())
}

/// True when the owner of every socket can be seen (root), so a socket without pids truly has
/// no visible process (a kernel socket, another namespace), rather than a hidden one.
pub fn can_see_all_owners() -> bool {
    super::sys::can_see_all_owners()
}

/// The ports this OS hands to outgoing connections (the client end of a connection).
pub fn ephemeral_range() -> PortRange {
    super::sys::ephemeral_range().unwrap_or(PortRange {
        lo: Port::new(49152).expect("nonzero"),
        hi: Port::new(65535).expect("nonzero"),
    })
}

/// Whether an IPv6 wildcard bind is v6-only by default on this OS (see `core::conflict`).
pub fn v6only_default() -> bool {
    super::sys::v6only_default()
}
