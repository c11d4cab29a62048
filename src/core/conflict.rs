//! Which existing sockets stand in the way of a bind, and what a bound address means. Pure.
//!
//! The rules are those of the kernel's bind check (without SO_REUSEPORT), which peers get wrong
//! in both directions: a listener on `0.0.0.0` blocks `127.0.0.1`, a dual-stack `::` blocks every
//! IPv4 address, `::ffff:a.b.c.d` *is* `a.b.c.d`, but `127.0.0.1` leaves `127.0.0.2` free and
//! `0.0.0.0` leaves `::1` free. Only a listener (TCP) or a bound socket (UDP) holds a port:
//! clients, live connections and TIME_WAIT leftovers do not.
//!
//! Whether a `::` socket also takes IPv4 (dual-stack) is not in the socket table, so the OS
//! default is assumed (`v6only_default`: Linux `net.ipv6.bindv6only`, 0 unless changed; macOS
//! dual-stack; Windows v6-only).

use std::net::{IpAddr, SocketAddr};

use crate::core::socket::Socket;

/// True when `existing` would make a bind of `wanted` fail: it holds the same port (protocol is
/// the caller's concern) on an overlapping address.
pub(crate) fn blocks(existing: &Socket, wanted: SocketAddr, v6only_default: bool) -> bool {
    existing.holds_port()
        && existing.local.port() == wanted.port()
        && addrs_overlap(existing.local.ip(), wanted.ip(), v6only_default)
}

/// True when two binds of the same port on these addresses collide.
pub(crate) fn addrs_overlap(a: IpAddr, b: IpAddr, v6only: bool) -> bool {
    match (a.to_canonical(), b.to_canonical()) {
        (IpAddr::V4(x), IpAddr::V4(y)) => x.is_unspecified() || y.is_unspecified() || x == y,
        (IpAddr::V6(x), IpAddr::V6(y)) => x.is_unspecified() || y.is_unspecified() || x == y,
        // One side IPv4 (or IPv4-mapped), the other a real IPv6 address: they meet only when the
        // IPv6 side is a dual-stack wildcard.
        (IpAddr::V6(x), IpAddr::V4(_)) | (IpAddr::V4(_), IpAddr::V6(x)) => x.is_unspecified() && !v6only,
    }
}

/// True when two socket addresses name the same endpoint (`::ffff:127.0.0.1:80` is
/// `127.0.0.1:80`).
pub(crate) fn same_endpoint(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

/// Who can reach a socket bound to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Reach {
    /// 127.0.0.0/8, ::1: this machine only.
    Loopback,
    /// 0.0.0.0 or `::`: every address of this machine, so other machines too.
    AllInterfaces,
    /// A private, link-local or unique-local address: machines on that network.
    LocalNetwork,
    /// Any other address: whoever can route to it.
    Public,
}

/// What binding `addr` exposes.
pub(crate) fn reach(addr: IpAddr) -> Reach {
    match addr.to_canonical() {
        a if a.is_loopback() => Reach::Loopback,
        a if a.is_unspecified() => Reach::AllInterfaces,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => Reach::LocalNetwork,
        // fc00::/7 unique-local, fe80::/10 link-local
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80 => {
            Reach::LocalNetwork
        }
        _ => Reach::Public,
    }
}

/// A plain sentence on what a socket bound to `addr` means for who can connect.
pub(crate) fn describe_bind(addr: IpAddr, v6only_default: bool) -> String {
    match reach(addr) {
        Reach::Loopback => "loopback only: reachable from this machine only".into(),
        Reach::AllInterfaces => {
            let which = match addr.to_canonical() {
                IpAddr::V4(_) => "every IPv4 address of this machine",
                IpAddr::V6(_) if v6only_default => "every IPv6 address of this machine",
                IpAddr::V6(_) => "every address of this machine (IPv6 and IPv4)",
            };
            format!("{which}: reachable from other machines")
        }
        Reach::LocalNetwork => {
            "one address on a local network: reachable from machines on that network".into()
        }
        Reach::Public => {
            "one address of this machine: reachable from other machines that can route to it".into()
        }
    }
}

/// What an address asked about is, for this machine: the question "what is 127.0.0.1:62893,
/// is it safe?" starts here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum AddressKind {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 0.0.0.0 or `::`: every address of this machine.
    Wildcard,
    /// One of this machine's addresses on a local network (private, link-local, unique-local).
    LocalNetwork,
    /// One of this machine's addresses that is not a local-network one.
    Public,
    /// Not an address of this machine: another machine's.
    NotThisHost,
}

/// The kind of `addr`, given this machine's own addresses (`None` where the OS did not list
/// them: the address is then taken to be this machine's).
pub(crate) fn address_kind(addr: IpAddr, host: Option<&[IpAddr]>) -> AddressKind {
    let a = addr.to_canonical();
    let mine = || host.is_none_or(|h| h.iter().any(|x| x.to_canonical() == a));
    match reach(a) {
        Reach::Loopback => AddressKind::Loopback,
        Reach::AllInterfaces => AddressKind::Wildcard,
        _ if !mine() => AddressKind::NotThisHost,
        Reach::LocalNetwork => AddressKind::LocalNetwork,
        Reach::Public => AddressKind::Public,
    }
}

impl AddressKind {
    /// Whether other machines can reach a server bound to an address of this kind (one that is
    /// not this machine's cannot be bound here at all).
    pub(crate) fn reachable_from_other_machines(self) -> bool {
        matches!(self, AddressKind::Wildcard | AddressKind::LocalNetwork | AddressKind::Public)
    }

    /// A plain sentence on the address and who could reach a server bound there.
    pub(crate) fn describe(self, addr: IpAddr, v6only_default: bool) -> String {
        match self {
            AddressKind::Loopback => "loopback: only this machine can reach a server bound there".into(),
            AddressKind::Wildcard => {
                let which = match addr.to_canonical() {
                    IpAddr::V4(_) => "every IPv4 address of this machine",
                    IpAddr::V6(_) if v6only_default => "every IPv6 address of this machine",
                    IpAddr::V6(_) => "every address of this machine (IPv6 and IPv4)",
                };
                format!("wildcard, {which}: other machines can reach a server bound there")
            }
            AddressKind::LocalNetwork => "one of this machine's local-network addresses: machines on that \
                 network can reach a server bound there"
                .into(),
            AddressKind::Public => "one of this machine's public addresses: any machine that can route to \
                 it can reach a server bound there"
                .into(),
            AddressKind::NotThisHost => {
                let what =
                    if reach(addr) == Reach::LocalNetwork { "a local-network address" } else { "an address" };
                format!(
                    "not an address of this machine ({what} of another one): no server here can bind it; \
                     a connection to it goes to that machine"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::socket::{Proto, SockState};

    fn sock(local: &str, state: SockState) -> Socket {
        Socket {
            proto: Proto::Tcp,
            local: local.parse().unwrap(),
            remote: None,
            state,
            uid: None,
            inode: None,
            pids: Vec::new(),
        }
    }

    #[test]
    fn bind_conflicts_on_linux_defaults() {
        use SockState::*;
        // (existing socket, its state, the bind wanted, conflicts?)
        let table = [
            ("127.0.0.1:3000", Listen, "127.0.0.1:3000", true),
            ("127.0.0.1:3000", Listen, "127.0.0.1:30001", false),
            ("127.0.0.1:30001", Listen, "127.0.0.1:3000", false),
            ("127.0.0.1:3000", Listen, "127.0.0.2:3000", false),
            ("0.0.0.0:3000", Listen, "127.0.0.1:3000", true),
            ("127.0.0.1:3000", Listen, "0.0.0.0:3000", true),
            ("0.0.0.0:3000", Listen, "[::1]:3000", false),
            ("0.0.0.0:3000", Listen, "[::]:3000", true),
            ("[::]:3000", Listen, "127.0.0.1:3000", true),
            ("[::]:3000", Listen, "0.0.0.0:3000", true),
            ("[::]:3000", Listen, "[::1]:3000", true),
            ("[::1]:3000", Listen, "127.0.0.1:3000", false),
            ("[::1]:3000", Listen, "[::1]:3000", true),
            ("[::1]:3000", Listen, "[::]:3000", true),
            ("[::ffff:127.0.0.1]:3000", Listen, "127.0.0.1:3000", true),
            ("127.0.0.1:3000", Listen, "[::ffff:127.0.0.1]:3000", true),
            ("[::ffff:127.0.0.1]:3000", Listen, "127.0.0.2:3000", false),
            ("[fe80::1]:3000", Listen, "[fe80::2]:3000", false),
            ("127.0.0.1:3000", Bound, "127.0.0.1:3000", true),
            ("127.0.0.1:3000", TimeWait, "127.0.0.1:3000", false),
            ("127.0.0.1:3000", Established, "127.0.0.1:3000", false),
            ("127.0.0.1:3000", Other, "0.0.0.0:3000", false),
        ];
        for (existing, state, wanted, want) in table {
            let got = blocks(&sock(existing, state), wanted.parse().unwrap(), false);
            assert_eq!(got, want, "{existing} ({state:?}) vs bind {wanted}");
        }
    }

    #[test]
    fn v6only_systems_keep_families_apart() {
        let table = [
            ("[::]:3000", "127.0.0.1:3000", false),
            ("[::]:3000", "0.0.0.0:3000", false),
            ("0.0.0.0:3000", "[::]:3000", false),
            ("[::]:3000", "[::1]:3000", true),
            ("[::ffff:127.0.0.1]:3000", "127.0.0.1:3000", true),
        ];
        for (existing, wanted, want) in table {
            let got = blocks(&sock(existing, SockState::Listen), wanted.parse().unwrap(), true);
            assert_eq!(got, want, "{existing} vs bind {wanted} (v6only)");
        }
    }

    #[test]
    fn endpoints_compare_through_mapping() {
        let sa = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(same_endpoint(sa("[::ffff:127.0.0.1]:5"), sa("127.0.0.1:5")));
        assert!(!same_endpoint(sa("127.0.0.1:5"), sa("127.0.0.1:50")));
        assert!(!same_endpoint(sa("127.0.0.1:5"), sa("127.0.0.2:5")));
        assert!(!same_endpoint(sa("[::1]:5"), sa("127.0.0.1:5")));
    }

    #[test]
    fn reach_of_addresses() {
        let table = [
            ("127.0.0.1", Reach::Loopback),
            ("127.0.0.2", Reach::Loopback),
            ("::1", Reach::Loopback),
            ("::ffff:127.0.0.1", Reach::Loopback),
            ("0.0.0.0", Reach::AllInterfaces),
            ("::", Reach::AllInterfaces),
            ("192.168.1.10", Reach::LocalNetwork),
            ("10.1.2.3", Reach::LocalNetwork),
            ("fe80::1", Reach::LocalNetwork),
            ("fd00::1", Reach::LocalNetwork),
            ("8.8.8.8", Reach::Public),
            ("2001:db8::1", Reach::Public),
        ];
        for (addr, want) in table {
            assert_eq!(reach(addr.parse().unwrap()), want, "{addr}");
        }
        let any = describe_bind("0.0.0.0".parse().unwrap(), false);
        assert!(any.contains("reachable from other machines"), "{any}");
        let dual = describe_bind("::".parse().unwrap(), false);
        assert!(dual.contains("IPv6 and IPv4"), "{dual}");
        assert!(describe_bind("::1".parse().unwrap(), false).starts_with("loopback only"));
    }

    #[test]
    fn address_kinds_against_this_machine() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let host = [ip("127.0.0.1"), ip("192.168.1.10"), ip("203.0.113.7"), ip("fe80::1"), ip("::1")];
        let table = [
            ("127.0.0.1", AddressKind::Loopback, false),
            ("127.0.0.53", AddressKind::Loopback, false),
            ("::1", AddressKind::Loopback, false),
            ("::ffff:127.0.0.1", AddressKind::Loopback, false),
            ("0.0.0.0", AddressKind::Wildcard, true),
            ("::", AddressKind::Wildcard, true),
            ("192.168.1.10", AddressKind::LocalNetwork, true),
            ("::ffff:192.168.1.10", AddressKind::LocalNetwork, true),
            ("fe80::1", AddressKind::LocalNetwork, true),
            ("203.0.113.7", AddressKind::Public, true),
            ("192.168.1.11", AddressKind::NotThisHost, false),
            ("8.8.8.8", AddressKind::NotThisHost, false),
            ("2001:db8::1", AddressKind::NotThisHost, false),
        ];
        for (addr, kind, reachable) in table {
            let got = address_kind(ip(addr), Some(&host));
            assert_eq!(got, kind, "{addr}");
            assert_eq!(got.reachable_from_other_machines(), reachable, "{addr}");
            assert!(!got.describe(ip(addr), false).contains('\n'));
        }
        // Where the OS did not list its addresses, an address is taken to be this machine's.
        assert_eq!(address_kind(ip("8.8.8.8"), None), AddressKind::Public);
        assert_eq!(address_kind(ip("10.0.0.2"), None), AddressKind::LocalNetwork);
        let any = AddressKind::Wildcard.describe(ip("0.0.0.0"), false);
        assert!(any.starts_with("wildcard, every IPv4 address"), "{any}");
        let other = AddressKind::NotThisHost.describe(ip("192.168.1.11"), false);
        assert!(other.starts_with("not an address of this machine (a local-network address"), "{other}");
    }
}
