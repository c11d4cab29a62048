//! The socket table, read for just what a question needs.
//!
//! Linux asks the kernel over netlink (`linux/diag.rs`) for only the states and the port that
//! matter, and finds owners afterwards for just the sockets picked (`linux/owners.rs`).
//! macOS and Windows read the whole table with netstat2, owners included (`netstat.rs`), and
//! filter it here; on Linux the same filter re-checks what the kernel sent.
//!
//! Entry points: [`holders`] (who holds a port, with owners: what `kill` and the wrapper ask),
//! [`port_is_held`] (a cheap yes/no that reads no process), [`listeners`] and [`connections`]
//! (one port's listeners, or the connections and TIME_WAIT leftovers on it, without owners),
//! [`listening`] (every listener, for `list`), [`table`] (everything), and [`attach_owners`]
//! (owners of many sockets in one pass).

use crate::core::port::{Port, PortRange};
use crate::core::socket::{Proto, Socket};

/// Which sockets a read asks the OS for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Query {
    pub(crate) tcp: bool,
    pub(crate) udp: bool,
    pub(crate) select: Select,
    /// `Holding`: the local port. `NotHolding`: either end's port.
    pub(crate) port: Option<Port>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Select {
    /// TCP listeners and bound UDP sockets: what holds a port.
    Holding,
    /// TCP connections in any state but LISTEN, TIME_WAIT included.
    NotHolding,
}

impl Query {
    pub(crate) fn matches(&self, s: &Socket) -> bool {
        let proto = match s.proto {
            Proto::Tcp => self.tcp,
            Proto::Udp => self.udp,
        };
        let on_port = |p: Port| match self.select {
            Select::NotHolding => s.local.port() == p.get() || s.remote.is_some_and(|r| r.port() == p.get()),
            Select::Holding => s.local.port() == p.get(),
        };
        let state = match self.select {
            Select::Holding => s.holds_port(),
            Select::NotHolding => !s.holds_port(),
        };
        proto && state && self.port.is_none_or(on_port)
    }
}

fn read(query: Query) -> anyhow::Result<Vec<Socket>> {
    use anyhow::Context as _;
    let mut found = super::sys::read_sockets(query).context("could not read the socket table")?;
    found.retain(|s| query.matches(s));
    Ok(found)
}

/// Every socket that holds a port: TCP listeners (`tcp`), bound UDP sockets (`udp`).
pub(crate) fn listening(tcp: bool, udp: bool) -> anyhow::Result<Vec<Socket>> {
    read(Query { tcp, udp, select: Select::Holding, port: None })
}

/// Fills in `pids` for these sockets (Linux: one pass over `/proc`, reading only the processes
/// that could own them). Elsewhere the table already has them.
pub(crate) fn attach_owners(sockets: &mut [Socket]) -> anyhow::Result<()> {
    super::sys::attach_owners(sockets)
}

/// The sockets that hold `port` (TCP listeners, or bound UDP sockets when `proto` is UDP), with
/// their owners attached. A socket whose owner cannot be seen keeps empty `pids` and its `uid`.
pub(crate) fn holders(port: Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    let mut found = listeners(port, proto)?;
    attach_owners(&mut found)?;
    Ok(found)
}

/// The sockets that hold `port`, on any address, without looking for owners (no process is
/// read). On Linux the kernel itself picks them: a question about one port costs the same
/// however many sockets the machine has.
pub(crate) fn listeners(port: Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    let tcp = proto == Proto::Tcp;
    read(Query { tcp, udp: !tcp, select: Select::Holding, port: Some(port) })
}

/// The TCP sockets with either end on `port` that do not hold it: connections in any state
/// and TIME_WAIT leftovers, without owners. Empty for UDP (a UDP socket always holds its port).
/// Dearer than [`listeners`] on Linux (the kernel walks its whole connection table): ask only
/// when the answer is needed.
pub(crate) fn connections(port: Port, proto: Proto) -> anyhow::Result<Vec<Socket>> {
    if proto == Proto::Udp {
        return Ok(Vec::new());
    }
    read(Query { tcp: true, udp: false, select: Select::NotHolding, port: Some(port) })
}

/// True when any socket holds `port` on any address; cheap (reads no process), for a pre-flight.
pub(crate) fn port_is_held(port: Port, proto: Proto) -> anyhow::Result<bool> {
    Ok(!listeners(port, proto)?.is_empty())
}

/// True when the owner of every socket can be seen (root), so a socket without pids truly has
/// no visible process (a kernel socket, another namespace), rather than a hidden one.
pub(crate) fn can_see_all_owners() -> bool {
    super::sys::can_see_all_owners()
}

/// The ports this OS hands to outgoing connections (the client end of a connection).
pub(crate) fn ephemeral_range() -> PortRange {
    super::sys::ephemeral_range().unwrap_or(PortRange {
        lo: Port::new(49152).expect("nonzero"),
        hi: Port::new(65535).expect("nonzero"),
    })
}

/// This machine's own addresses, on every interface (`None` when the OS would not list them).
pub(crate) fn host_addresses() -> Option<Vec<std::net::IpAddr>> {
    super::sys::host_addresses()
}

/// The port ranges this OS will not let a server bind (Windows: those Hyper-V, WinNAT and WSL
/// excluded); empty elsewhere, or when they cannot be read.
pub(crate) fn excluded_ranges() -> Vec<PortRange> {
    super::sys::excluded_ranges()
}

/// Whether an IPv6 wildcard bind is v6-only by default on this OS (see `core::conflict`).
pub(crate) fn v6only_default() -> bool {
    super::sys::v6only_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::socket::SockState;

    fn sock(proto: Proto, local: &str, remote: Option<&str>, state: SockState) -> Socket {
        Socket {
            proto,
            local: local.parse().unwrap(),
            remote: remote.map(|r| r.parse().unwrap()),
            state,
            uid: None,
            inode: None,
            pids: Vec::new(),
        }
    }

    #[test]
    fn queries_pick_by_protocol_state_and_port() {
        let p = |n| Some(Port::new(n).unwrap());
        let listen = sock(Proto::Tcp, "127.0.0.1:3000", None, SockState::Listen);
        let conn = sock(Proto::Tcp, "127.0.0.1:50000", Some("127.0.0.1:3000"), SockState::Established);
        let tw = sock(Proto::Tcp, "127.0.0.1:3000", Some("127.0.0.1:50001"), SockState::TimeWait);
        let udp = sock(Proto::Udp, "127.0.0.1:3000", None, SockState::Bound);
        let q = |tcp, udp, select, port| Query { tcp, udp, select, port };
        let picks = |q: Query| [&listen, &conn, &tw, &udp].map(|s| q.matches(s));
        assert_eq!(picks(q(true, false, Select::Holding, p(3000))), [true, false, false, false]);
        assert_eq!(picks(q(false, true, Select::Holding, p(3000))), [false, false, false, true]);
        assert_eq!(picks(q(true, false, Select::Holding, p(30001))), [false; 4], "3000 is not 30001");
        assert_eq!(picks(q(true, false, Select::NotHolding, p(3000))), [false, true, true, false]);
        assert_eq!(picks(q(true, false, Select::NotHolding, p(50001))), [false, false, true, false]);
    }
}
