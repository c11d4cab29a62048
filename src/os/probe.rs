//! Probe binds: can a server take this port right now?
//!
//! A port is free for a dev server when nothing in the socket table holds it *and* a bind
//! succeeds on each address such a server commonly binds: `0.0.0.0`, `::`, `127.0.0.1`, `::1`.
//! Each probe is a fresh socket bound **without SO_REUSEADDR** (std's `TcpListener::bind` sets it
//! on Unix, which would let a bind succeed over TIME_WAIT leftovers a server without it would trip
//! on) and closed at once: it never listens, so no traffic can reach it. `::` is bound with
//! `IPV6_V6ONLY` so that the IPv4 and IPv6 sides are each tested by their own probe.
//!
//! A host without IPv6 (the family is not supported) or without one of the loopback addresses
//! (address not available) does not make a port busy: a server could not bind there either, so
//! that probe is skipped. Binding below 1024 without privileges is refused by the OS; that is
//! reported as [`Probe::Denied`], apart from "in use".
//!
//! Windows note: there a bind without `SO_EXCLUSIVEADDRUSE` may succeed on a specific address
//! while another socket holds the wildcard (and the reverse); the socket-table check catches those
//! listeners, so the probe stays the same on every OS.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use anyhow::Context as _;

use crate::core::freeport::{self, Picked, Search};
use crate::core::port::Port;
use crate::core::socket::Proto;
use crate::os::reserve::{self, Reservation};

/// The addresses a dev server commonly binds, in the order they are probed.
pub(crate) const PROBED: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

/// What the probe binds found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    /// Every address that exists on this host could be bound.
    Free,
    /// A bind failed because something uses the port.
    InUse,
    /// The OS refused the bind for lack of privileges (a port below 1024 without root).
    Denied,
}

/// The ports the socket table shows held for `proto` (TCP listeners, or bound UDP sockets), on
/// any address. One read of the table, without owners.
pub(crate) fn held_ports(proto: Proto) -> anyhow::Result<HashSet<u16>> {
    let table = super::sockets::listening(proto == Proto::Tcp, proto == Proto::Udp)?;
    Ok(table.iter().filter(|s| s.proto == proto && s.holds_port()).map(|s| s.local.port()).collect())
}

/// Probes `port` on every address in [`PROBED`]. An error is something other than "in use",
/// "denied" or "not on this host" (e.g. out of file descriptors).
pub(crate) fn probe(port: Port, proto: Proto) -> io::Result<Probe> {
    for ip in PROBED {
        match bind_once(SocketAddr::new(ip, port.get()), proto) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Ok(Probe::InUse),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Ok(Probe::Denied),
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable || is_family_unsupported(&e) => {}
            Err(e) => {
                return Err(io::Error::new(e.kind(), format!("probe bind on {ip} port {port} failed: {e}")));
            }
        }
    }
    Ok(Probe::Free)
}

/// Binds a fresh socket on `addr` without SO_REUSEADDR, and closes it.
fn bind_once(addr: SocketAddr, proto: Proto) -> io::Result<()> {
    let (ty, protocol) = match proto {
        Proto::Tcp => (Type::STREAM, Protocol::TCP),
        Proto::Udp => (Type::DGRAM, Protocol::UDP),
    };
    let socket = Socket::new(Domain::for_address(addr), ty, Some(protocol))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // socket2 leaves SO_REUSEADDR off: say so explicitly, it is the point of the probe.
    socket.set_reuse_address(false)?;
    socket.bind(&SockAddr::from(addr))
    // dropped here: closed without ever listening
}

/// True for "this address family is not supported here" (a host without IPv6).
fn is_family_unsupported(e: &io::Error) -> bool {
    #[cfg(unix)]
    let codes = [libc::EAFNOSUPPORT, libc::EPROTONOSUPPORT];
    // WSAEAFNOSUPPORT, WSAEPROTONOSUPPORT
    #[cfg(windows)]
    let codes = [10047, 10043];
    e.raw_os_error().is_some_and(|c| codes.contains(&c))
}

/// What [`find_free`] found.
pub(crate) struct Found {
    pub(crate) choice: Picked,
    /// How many ports the OS refused for lack of privileges.
    pub(crate) denied: u32,
    /// The ports of `choice` reserved for this process (see `os::reserve`): kept until the
    /// caller's server listens there, or dropped.
    pub(crate) reserved: Vec<Reservation>,
}

/// Looks through `search` for `count` free ports: one read of the socket table, then probe binds
/// (see `os::probe`); a port another portfix has reserved is passed over, and each port found is
/// reserved for this process. The wrapper's "next free port" comes from here too, with
/// `Search::next_after`.
pub(crate) fn find_free(search: Search, count: u32, proto: Proto) -> anyhow::Result<Found> {
    let held = held_ports(proto)?;
    // Windows: ports in a range Hyper-V, WinNAT or WSL excluded cannot be bound (TCP only).
    let excluded = if proto == Proto::Tcp { crate::os::sockets::excluded_ranges() } else { Vec::new() };
    let mut denied = 0u32;
    let mut reserved = Vec::new();
    let choice = freeport::choose(search, count, &held, |port| {
        if crate::core::platform::excluded_range_of(port, &excluded).is_some() {
            return Ok(false);
        }
        let verdict = probe(port, proto)?;
        if verdict == Probe::Denied {
            denied += 1;
        }
        if verdict != Probe::Free {
            return Ok(false);
        }
        // Without a usable reservation directory the port is taken unreserved: the retry on a
        // bind failure is the safety net.
        match reserve::try_reserve(port) {
            Ok(Some(r)) => reserved.push(r),
            Ok(None) => return Ok(false),
            Err(_) => {}
        }
        Ok::<_, std::io::Error>(true)
    })
    .context("could not probe ports")?;
    Ok(Found { choice, denied, reserved })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_loopback_ports_are_in_use_and_in_the_table() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = Port::new(l.local_addr().unwrap().port()).unwrap();
        assert_eq!(probe(port, Proto::Tcp).unwrap(), Probe::InUse);
        assert!(held_ports(Proto::Tcp).unwrap().contains(&port.get()));
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let uport = Port::new(u.local_addr().unwrap().port()).unwrap();
        assert_eq!(probe(uport, Proto::Udp).unwrap(), Probe::InUse);
        assert!(held_ports(Proto::Udp).unwrap().contains(&uport.get()));
    }
}
