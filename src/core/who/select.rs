//! Which sockets of the table answer each target of `who`: the holders (a listener or bound
//! UDP socket whose address conflicts with it, per `core::conflict`), else the connections it
//! is one end of (with the peer's socket when that is on this machine, and for a connection not
//! yet accept()ed the listener it is queued on) and its TIME_WAIT leftovers. Pure: indices into
//! the table the OS gave.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use crate::core::conflict;
use crate::core::port::{Endpoint, Port};
use crate::core::socket::{Proto, SockState, Socket};

/// Whether the answer depends on `net.ipv6.bindv6only`: only when an IPv6 wildcard (`::`) is
/// involved, as a socket's local address or as a target (an IPv6 wildcard meets IPv4 addresses
/// only when dual-stack). Otherwise the setting is not read at all.
pub(crate) fn v6only_matters(table: &[Socket], targets: &[Endpoint]) -> bool {
    let v6_wildcard = |a: IpAddr| matches!(a.to_canonical(), IpAddr::V6(v6) if v6.is_unspecified());
    table.iter().any(|s| v6_wildcard(s.local.ip()))
        || targets.iter().filter_map(|t| t.addr()).any(v6_wildcard)
}

/// The sockets of the table that matter to one target, by index.
pub(crate) struct Pick {
    pub(crate) target: Endpoint,
    pub(crate) holders: Vec<usize>,
    /// Connections: the target's end (None: not on this machine) and the other end (None: not
    /// on this machine), with both addresses.
    pub(crate) connections: Vec<Conn>,
    pub(crate) time_wait: usize,
}

pub(crate) struct Conn {
    pub(crate) target_end: ConnEnd,
    pub(crate) other_end: ConnEnd,
    pub(crate) state: SockState,
}

/// One end of a connection: its address, its socket when that is on this machine, and, for a
/// connection the kernel completed that no process has accept()ed yet, the listener it waits on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnEnd {
    pub(crate) address: SocketAddr,
    pub(crate) socket: Option<usize>,
    pub(crate) queued_on: Option<usize>,
}

impl ConnEnd {
    pub(crate) fn new(address: SocketAddr, socket: Option<usize>) -> ConnEnd {
        ConnEnd { address, socket, queued_on: None }
    }
}

impl Pick {
    pub(crate) fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let conns = self
            .connections
            .iter()
            .flat_map(|c| [c.target_end, c.other_end])
            .flat_map(|e| [e.socket, e.queued_on])
            .flatten();
        self.holders.iter().copied().chain(conns)
    }
}

/// True for a connection's socket that no process has open: the kernel completed the handshake
/// and queued it on its listener, whose process has not accept()ed it yet. (Linux: no socket
/// inode; elsewhere: no owner pid, as the OS lists them with the table.)
pub(crate) fn awaiting_accept(s: &Socket) -> bool {
    s.proto == Proto::Tcp && s.state == SockState::Established && s.inode.is_none() && s.pids.is_empty()
}

/// The sockets of the table that hold `target`: on its port, and for an address, one whose bind
/// conflicts with it.
pub(crate) fn holders(table: &[Socket], target: Endpoint, v6only: bool) -> Vec<usize> {
    let port = target.port().get();
    (0..table.len())
        .filter(|&i| match target.addr() {
            Some(a) => conflict::blocks(&table[i], SocketAddr::new(a, port), v6only),
            None => table[i].holds_port() && table[i].local.port() == port,
        })
        .collect()
}

pub(crate) fn pick(table: &[Socket], target: Endpoint, v6only: bool) -> Pick {
    let port = target.port().get();
    let at = |s: &SocketAddr| match target.addr() {
        Some(a) => conflict::same_endpoint(*s, SocketAddr::new(a, port)),
        None => s.port() == port,
    };
    let holders = holders(table, target, v6only);
    if !holders.is_empty() {
        return Pick { target, holders, connections: Vec::new(), time_wait: 0 };
    }
    let time_wait = table.iter().filter(|s| s.state == SockState::TimeWait && at(&s.local)).count();
    Pick { target, holders, connections: connections(table, target, &at), time_wait }
}

pub(crate) fn is_connection(s: &Socket) -> bool {
    matches!(s.state, SockState::Established | SockState::Other) && s.remote.is_some()
}

/// The connections the target is one end of: those whose local end is the target (with the
/// other end found in the table when it is on this machine), then, for an address, those from
/// this machine to it.
pub(crate) fn connections(table: &[Socket], target: Endpoint, at: &dyn Fn(&SocketAddr) -> bool) -> Vec<Conn> {
    let peer_of = |s: &Socket| {
        let remote = s.remote?;
        table.iter().position(|p| {
            is_connection(p)
                && conflict::same_endpoint(p.local, remote)
                && p.remote.is_some_and(|r| conflict::same_endpoint(r, s.local))
        })
    };
    let mut out: Vec<Conn> = Vec::new();
    for (i, s) in table.iter().enumerate().filter(|(_, s)| is_connection(s) && at(&s.local)) {
        let remote = s.remote.expect("a connection has a remote end");
        out.push(Conn {
            target_end: ConnEnd::new(s.local, Some(i)),
            other_end: ConnEnd::new(remote, peer_of(s)),
            state: s.state,
        });
    }
    if target.addr().is_some() {
        let known: Vec<usize> = out.iter().filter_map(|c| c.other_end.socket).collect();
        for (i, s) in table.iter().enumerate() {
            let Some(remote) = s.remote.filter(|r| is_connection(s) && at(r)) else { continue };
            if !known.contains(&i) {
                out.push(Conn {
                    target_end: ConnEnd::new(remote, None),
                    other_end: ConnEnd::new(s.local, Some(i)),
                    state: s.state,
                });
            }
        }
    }
    out
}

/// The ports of the listeners that connections not yet accept()ed may wait on, beyond those
/// already asked about (`asked`): the caller reads their listeners into the table, then
/// [`mark_accept_queues`] names them.
pub(crate) fn queued_ports(table: &[Socket], picks: &[Pick], asked: &BTreeSet<Port>) -> BTreeSet<Port> {
    picks
        .iter()
        .flat_map(|p| &p.connections)
        .flat_map(|c| [c.target_end.socket, c.other_end.socket])
        .flatten()
        .filter(|&i| awaiting_accept(&table[i]))
        .filter_map(|i| Port::new(table[i].local.port()))
        .filter(|p| !asked.contains(p))
        .collect()
}

/// Names the listener each not-yet-accepted connection end waits on: a listener on the same port
/// and an overlapping address.
pub(crate) fn mark_accept_queues(table: &[Socket], picks: &mut [Pick]) {
    let listener_of = |s: &Socket| {
        // The queued socket exists because this listener took the handshake: any overlap of
        // addresses is it (dual-stack or not).
        table.iter().position(|l| {
            l.state == SockState::Listen
                && l.local.port() == s.local.port()
                && conflict::addrs_overlap(l.local.ip(), s.local.ip(), false)
        })
    };
    for c in picks.iter_mut().flat_map(|p| &mut p.connections) {
        for e in [&mut c.target_end, &mut c.other_end] {
            if let Some(i) = e.socket.filter(|&i| awaiting_accept(&table[i])) {
                e.queued_on = listener_of(&table[i]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::port::parse_endpoint;

    fn listener(local: &str) -> Socket {
        Socket {
            proto: Proto::Tcp,
            local: local.parse().unwrap(),
            remote: None,
            state: SockState::Listen,
            uid: None,
            inode: None,
            pids: Vec::new(),
        }
    }

    #[test]
    fn bindv6only_is_needed_only_with_an_ipv6_wildcard() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "8080", false),
            (&["127.0.0.1:8080"], "8080", false),
            (&["0.0.0.0:8080", "[::1]:8080"], "8080", false),
            (&["[fe80::1]:8080"], "127.0.0.1:8080", false),
            (&["[::]:8080"], "8080", true),
            (&["127.0.0.1:8080", "[::]:8080"], "127.0.0.1:8080", true),
            (&["127.0.0.1:8080"], "[::]:8080", true),
            (&[], "[::]:8080", true),
        ];
        for &(locals, target, want) in cases {
            let table: Vec<Socket> = locals.iter().map(|l| listener(l)).collect();
            let targets = [parse_endpoint(target).unwrap()];
            assert_eq!(v6only_matters(&table, &targets), want, "{locals:?} {target}");
        }
    }
}
