//! Who answers `localhost:PORT`: the command portfix started, or someone else. Pure.
//!
//! A server that listens is not yet a server the browser reaches. `localhost` has two addresses
//! — `127.0.0.1` and `::1` (browsers try both; Node 17 and later take the one the resolver gives
//! first, often `::1`) — and on each of them the kernel hands a connection to one listening
//! socket of the port, picked by these rules (Linux's listener lookup; BSD and Windows agree on
//! the cases that matter here):
//!
//! 1. A socket bound to the address itself wins (`127.0.0.1`, or `::ffff:127.0.0.1` on an IPv6
//!    socket, for a connection to 127.0.0.1; `::1` for one to ::1).
//! 2. Else a wildcard of the same family (`0.0.0.0`; `::` for IPv6).
//! 3. Else, for IPv4 only, a dual-stack `::` (one that is not v6-only; the socket table does
//!    not say, so the OS default is taken, see `core::conflict`).
//! 4. Several sockets on the same address (SO_REUSEPORT co-binders) share the connections: the
//!    kernel hands each connection to one of them.
//!
//! So another process can answer one of localhost's addresses while the command answers the
//! other (Docker on `0.0.0.0`, an old server on `::1`), with a more specific bind, or as a
//! co-binder: `http://localhost:PORT` then reaches the wrong app, or sometimes the wrong app.
//! [`check`] gives the answer for each address, [`Check::url`] the URL to print — `localhost`
//! only when every address of localhost reaches the command, else the literal address that does —
//! and [`Check::others`] who else answers, for the warning.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One socket listening on the port, as [`check`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) addr: SocketAddr,
    /// Held by a process of the command's tree.
    pub(crate) ours: bool,
}

/// Who answers a connection to one address. Indexes point into the sockets given to [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The command, alone.
    Ours,
    /// Someone else: these sockets (several when they are co-binders of one address).
    Others(Vec<usize>),
    /// The command and someone else share the address (SO_REUSEPORT): each connection goes to
    /// one of them. `others` are the other sockets.
    Shared(Vec<usize>),
    /// Nothing listens there: the connection is refused.
    Nobody,
}

impl Answer {
    /// The other sockets that answer (some or all of the connections).
    pub(crate) fn others(&self) -> &[usize] {
        match self {
            Answer::Others(o) | Answer::Shared(o) => o,
            Answer::Ours | Answer::Nobody => &[],
        }
    }
}

/// The addresses `localhost` names for browsers and Node: 127.0.0.1, and ::1 where this machine
/// has IPv6 loopback (`ipv6`). Browsers map `localhost` to loopback whatever the hosts file
/// says; Node's resolver reads the hosts file, which names the same two on every system
/// portfix runs on.
pub(crate) fn localhost(ipv6: bool) -> Vec<IpAddr> {
    let mut out = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    if ipv6 {
        out.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    }
    out
}

/// How well a socket bound to `bound` matches a connection to `to` (higher wins; `None`: it
/// does not take it). See the module documentation for the rules.
fn score(bound: IpAddr, to: IpAddr, v6only: bool) -> Option<u8> {
    match (to.to_canonical(), bound) {
        (IpAddr::V4(t), IpAddr::V4(b)) if b == t => Some(4),
        (IpAddr::V4(t), IpAddr::V6(b)) if b.to_ipv4_mapped() == Some(t) => Some(3),
        (IpAddr::V4(_), IpAddr::V4(b)) if b.is_unspecified() => Some(2),
        (IpAddr::V4(_), IpAddr::V6(b)) if b.is_unspecified() && !v6only => Some(1),
        (IpAddr::V6(t), IpAddr::V6(b)) if b == t && b.to_ipv4_mapped().is_none() => Some(4),
        (IpAddr::V6(_), IpAddr::V6(b)) if b.is_unspecified() => Some(2),
        _ => None,
    }
}

/// Who answers a connection to `to` on the port that `sockets` listen on (the caller gives the
/// listeners of one port only). `v6only`: whether a `::` socket leaves IPv4 alone (the OS
/// default).
pub(crate) fn answer(sockets: &[Bound], to: IpAddr, v6only: bool) -> Answer {
    let scored: Vec<(usize, u8)> =
        sockets.iter().enumerate().filter_map(|(i, s)| Some((i, score(s.addr.ip(), to, v6only)?))).collect();
    let Some(best) = scored.iter().map(|&(_, sc)| sc).max() else { return Answer::Nobody };
    let group: Vec<usize> = scored.iter().filter(|&&(_, sc)| sc == best).map(|&(i, _)| i).collect();
    let others: Vec<usize> = group.iter().copied().filter(|&i| !sockets[i].ours).collect();
    match (others.len(), group.len()) {
        (0, _) => Answer::Ours,
        (o, g) if o == g => Answer::Others(others),
        _ => Answer::Shared(others),
    }
}

/// Who answers each of `addresses` (normally [`localhost`]) on the port `sockets` listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) port: u16,
    pub(crate) answers: Vec<(IpAddr, Answer)>,
    /// The command's own sockets on the port.
    pub(crate) ours: Vec<SocketAddr>,
}

pub(crate) fn check(sockets: &[Bound], port: u16, addresses: &[IpAddr], v6only: bool) -> Check {
    Check {
        port,
        answers: addresses.iter().map(|&a| (a, answer(sockets, a, v6only))).collect(),
        ours: sockets.iter().filter(|s| s.ours).map(|s| s.addr).collect(),
    }
}

impl Check {
    /// Every address reaches the command alone: `localhost` is the URL.
    pub(crate) fn localhost_reaches(&self) -> bool {
        !self.answers.is_empty() && self.answers.iter().all(|(_, a)| *a == Answer::Ours)
    }

    /// Some address is answered, in whole or in part, by someone else: the warning is due.
    pub(crate) fn someone_else_answers(&self) -> bool {
        self.answers.iter().any(|(_, a)| !a.others().is_empty())
    }

    /// Some address of localhost is refused now: a second socket of the command may be about
    /// to listen there (a server binding both loopbacks, one after the other). Worth one more
    /// look before the URL is decided.
    pub(crate) fn unanswered(&self) -> bool {
        self.answers.iter().any(|(_, a)| *a == Answer::Nobody)
    }

    /// The URL that reaches the command: `http://localhost:P` when every address of localhost
    /// reaches it alone; else the first address of localhost that does (`http://127.0.0.1:P`,
    /// `http://[::1]:P`); else the command's own address when it is a specific one
    /// (`http://192.168.1.5:P`, `http://127.0.0.2:P`); else an address it shares with a
    /// co-binder (it reaches the command some of the time, and the warning says so); else
    /// `localhost`, which the warning qualifies.
    pub(crate) fn url(&self) -> String {
        let p = self.port;
        if self.localhost_reaches() {
            return format!("http://localhost:{p}");
        }
        if let Some((a, _)) = self.answers.iter().find(|(_, a)| *a == Answer::Ours) {
            return literal(SocketAddr::new(*a, p));
        }
        if let Some(own) = self.ours.iter().find(|a| !a.ip().is_unspecified()) {
            return literal(SocketAddr::new(own.ip(), p));
        }
        if let Some((a, _)) = self.answers.iter().find(|(_, a)| matches!(a, Answer::Shared(_))) {
            return literal(SocketAddr::new(*a, p));
        }
        format!("http://localhost:{p}")
    }

    /// The addresses someone else answers, with the other sockets there and whether the
    /// command shares the address with them (co-binders) rather than losing it.
    pub(crate) fn others(&self) -> Vec<(SocketAddr, &[usize], bool)> {
        self.answers
            .iter()
            .filter(|(_, a)| !a.others().is_empty())
            .map(|(ip, a)| (SocketAddr::new(*ip, self.port), a.others(), matches!(a, Answer::Shared(_))))
            .collect()
    }
}

/// `http://127.0.0.1:P`, `http://[::1]:P` (an IPv4-mapped address as IPv4).
pub(crate) fn literal(addr: SocketAddr) -> String {
    format!("http://{}", SocketAddr::new(addr.ip().to_canonical(), addr.port()))
}

/// Another process that answers one of localhost's addresses, named for the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Other {
    pub(crate) addr: SocketAddr,
    /// `pid 4321 (python3)`, or `a process of uid 0 that you may not see` (escaped).
    pub(crate) who: String,
    /// Its pid, when it can be seen.
    pub(crate) pid: Option<u32>,
    /// A co-binder of the command's own address (SO_REUSEPORT), not a socket that takes the
    /// address from it.
    pub(crate) shared: bool,
}

/// The warning when someone else answers: what is wrong (naming the process and the address)
/// and what to do (the URL that reaches `command`, or stopping the other process). `command`
/// is the command for messages (escaped), `url` what [`Check::url`] gave.
pub(crate) fn warning(command: &str, port: u16, url: &str, others: &[Other]) -> (String, String) {
    let said: Vec<String> = others
        .iter()
        .map(|o| {
            let addr = SocketAddr::new(o.addr.ip().to_canonical(), o.addr.port());
            if o.shared {
                format!("{addr} is shared with {} (SO_REUSEPORT: some connections go to it)", o.who)
            } else {
                format!("{addr} is answered by {}", o.who)
            }
        })
        .collect();
    let text = format!("http://localhost:{port} may not reach {command}: {}", said.join("; "));
    let mut pids: Vec<u32> = others.iter().filter_map(|o| o.pid).collect();
    pids.dedup();
    let stop = match pids.as_slice() {
        [] => format!("see who it is with `sudo portfix who {port}`"),
        [pid] => format!("stop pid {pid} (`kill {pid}`)"),
        many => {
            let list: Vec<String> = many.iter().map(u32::to_string).collect();
            format!("stop pids {} (`kill {}`)", list.join(", "), list.join(" "))
        }
    };
    let hint = if url == format!("http://localhost:{port}") {
        format!("{stop} for localhost to reach {command} alone")
    } else {
        format!("open {url} instead, or {stop}")
    };
    (text, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(addr: &str, ours: bool) -> Bound {
        Bound { addr: addr.parse().unwrap(), ours }
    }

    const V4: &str = "127.0.0.1";
    const V6: &str = "::1";

    #[test]
    fn who_answers_each_address() {
        use Answer::*;
        // (listeners on the port, connection to, who answers) on Linux defaults (dual-stack ::)
        let table: Vec<(Vec<Bound>, &str, Answer)> = vec![
            (vec![b("127.0.0.1:80", true)], V4, Ours),
            (vec![b("127.0.0.1:80", true)], V6, Nobody),
            (vec![b("[::1]:80", true)], V6, Ours),
            (vec![b("[::1]:80", true)], V4, Nobody),
            (vec![b("0.0.0.0:80", true)], V4, Ours),
            (vec![b("0.0.0.0:80", true)], V6, Nobody),
            (vec![b("[::]:80", true)], V4, Ours),
            (vec![b("[::]:80", true)], V6, Ours),
            (vec![b("[::ffff:127.0.0.1]:80", true)], V4, Ours),
            (vec![b("[::ffff:127.0.0.1]:80", true)], V6, Nobody),
            (vec![b("127.0.0.2:80", true)], V4, Nobody),
            (vec![b("192.168.1.5:80", true)], V4, Nobody),
            // the other family
            (vec![b("[::1]:80", true), b("127.0.0.1:80", false)], V4, Others(vec![1])),
            (vec![b("[::1]:80", true), b("127.0.0.1:80", false)], V6, Ours),
            (vec![b("127.0.0.1:80", true), b("[::1]:80", false)], V6, Others(vec![1])),
            // a more specific bind beats a wildcard, either way round
            (vec![b("0.0.0.0:80", true), b("127.0.0.1:80", false)], V4, Others(vec![1])),
            (vec![b("[::]:80", true), b("[::1]:80", false)], V6, Others(vec![1])),
            (vec![b("[::]:80", true), b("[::1]:80", false)], V4, Ours),
            (vec![b("127.0.0.1:80", true), b("0.0.0.0:80", false)], V4, Ours),
            (vec![b("[::1]:80", true), b("[::]:80", false)], V4, Others(vec![1])),
            // Docker on 0.0.0.0, the command on ::1 (Node 17+ resolving localhost to ::1)
            (vec![b("0.0.0.0:80", false), b("[::1]:80", true)], V4, Others(vec![0])),
            // the same-family wildcard before a dual-stack one
            (vec![b("[::]:80", true), b("0.0.0.0:80", false)], V4, Others(vec![1])),
            (vec![b("0.0.0.0:80", true), b("[::]:80", false)], V4, Ours),
            (vec![b("0.0.0.0:80", true), b("[::]:80", false)], V6, Others(vec![1])),
            // IPv4 itself before IPv4-mapped on an IPv6 socket
            (vec![b("[::ffff:127.0.0.1]:80", false), b("127.0.0.1:80", true)], V4, Ours),
            // co-binders (SO_REUSEPORT) share
            (vec![b("127.0.0.1:80", true), b("127.0.0.1:80", false)], V4, Shared(vec![1])),
            (
                vec![b("0.0.0.0:80", false), b("0.0.0.0:80", true), b("0.0.0.0:80", false)],
                V4,
                Shared(vec![0, 2]),
            ),
            (vec![b("127.0.0.1:80", false), b("127.0.0.1:80", false)], V4, Others(vec![0, 1])),
            // forked workers of the command: two sockets, both ours
            (vec![b("127.0.0.1:80", true), b("127.0.0.1:80", true)], V4, Ours),
            (vec![], V4, Nobody),
        ];
        for (socks, to, want) in table {
            let got = answer(&socks, to.parse().unwrap(), false);
            assert_eq!(got, want, "{socks:?} <- {to}");
        }
    }

    #[test]
    fn a_v6only_wildcard_leaves_ipv4_alone() {
        let socks = [b("[::]:80", true)];
        assert_eq!(answer(&socks, V4.parse().unwrap(), true), Answer::Nobody);
        assert_eq!(answer(&socks, V6.parse().unwrap(), true), Answer::Ours);
        let socks = [b("[::]:80", true), b("0.0.0.0:80", false)];
        assert_eq!(answer(&socks, V4.parse().unwrap(), true), Answer::Others(vec![1]));
    }

    fn urls(socks: &[Bound], ipv6: bool) -> (String, bool) {
        let c = check(socks, 80, &localhost(ipv6), false);
        (c.url(), c.someone_else_answers())
    }

    #[test]
    fn the_url_reaches_the_command() {
        let s = |u: &str| u.to_string();
        let table: Vec<(Vec<Bound>, bool, (String, bool))> = vec![
            // every address of localhost reaches it
            (vec![b("[::]:80", true)], true, (s("http://localhost:80"), false)),
            (vec![b("127.0.0.1:80", true), b("[::1]:80", true)], true, (s("http://localhost:80"), false)),
            (vec![b("0.0.0.0:80", true), b("[::]:80", true)], true, (s("http://localhost:80"), false)),
            // without IPv6 loopback, localhost is 127.0.0.1 alone
            (vec![b("127.0.0.1:80", true)], false, (s("http://localhost:80"), false)),
            (vec![b("0.0.0.0:80", true)], false, (s("http://localhost:80"), false)),
            // one family only: ::1 refuses, and a client that does not fall back fails
            (vec![b("127.0.0.1:80", true)], true, (s("http://127.0.0.1:80"), false)),
            (vec![b("[::1]:80", true)], true, (s("http://[::1]:80"), false)),
            (vec![b("[::ffff:127.0.0.1]:80", true)], true, (s("http://127.0.0.1:80"), false)),
            // someone else on the other family: the literal address that reaches the command
            (vec![b("[::1]:80", true), b("127.0.0.1:80", false)], true, (s("http://[::1]:80"), true)),
            (vec![b("127.0.0.1:80", true), b("[::1]:80", false)], true, (s("http://127.0.0.1:80"), true)),
            (vec![b("[::1]:80", true), b("0.0.0.0:80", false)], true, (s("http://[::1]:80"), true)),
            (vec![b("[::]:80", true), b("127.0.0.1:80", false)], true, (s("http://[::1]:80"), true)),
            // the command on another address: its own; a loopback held by someone else is said
            (vec![b("192.168.1.5:80", true)], true, (s("http://192.168.1.5:80"), false)),
            (vec![b("127.0.0.2:80", true)], true, (s("http://127.0.0.2:80"), false)),
            (
                vec![b("192.168.1.5:80", true), b("127.0.0.1:80", false)],
                true,
                (s("http://192.168.1.5:80"), true),
            ),
            // co-binders everywhere: an address shared, with the warning
            (
                vec![b("[::]:80", true), b("[::]:80", false), b("0.0.0.0:80", false)],
                true,
                (s("http://[::1]:80"), true),
            ),
            (
                vec![b("127.0.0.1:80", true), b("127.0.0.1:80", false)],
                false,
                (s("http://127.0.0.1:80"), true),
            ),
        ];
        for (socks, ipv6, want) in table {
            assert_eq!(urls(&socks, ipv6), want, "{socks:?} ipv6={ipv6}");
        }
    }

    #[test]
    fn the_others_for_the_warning() {
        let socks = [b("[::1]:80", true), b("127.0.0.1:80", false)];
        let c = check(&socks, 80, &localhost(true), false);
        assert_eq!(c.others(), vec![("127.0.0.1:80".parse().unwrap(), &[1usize][..], false)]);
        assert!(!c.unanswered());
        assert_eq!(c.ours, vec!["[::1]:80".parse::<SocketAddr>().unwrap()]);
        let socks = [b("127.0.0.1:80", true), b("127.0.0.1:80", false)];
        let c = check(&socks, 80, &localhost(true), false);
        assert_eq!(c.others(), vec![("127.0.0.1:80".parse().unwrap(), &[1usize][..], true)]);
        assert!(c.unanswered(), "::1 is refused: worth another look");
        let c = check(&[b("[::]:80", true)], 80, &localhost(true), false);
        assert!(c.others().is_empty() && !c.unanswered() && c.localhost_reaches());
        assert!(!check(&[], 80, &[], false).localhost_reaches(), "no address: nothing reaches");
    }

    #[test]
    fn the_warning_names_the_process_and_the_address() {
        let other = |addr: &str, who: &str, pid: Option<u32>, shared: bool| Other {
            addr: addr.parse().unwrap(),
            who: who.into(),
            pid,
            shared,
        };
        let (text, hint) = warning(
            "npm run dev",
            5173,
            "http://[::1]:5173",
            &[other("127.0.0.1:5173", "pid 42 (node)", Some(42), false)],
        );
        assert_eq!(
            text,
            "http://localhost:5173 may not reach npm run dev: 127.0.0.1:5173 is answered by pid 42 (node)"
        );
        assert_eq!(hint, "open http://[::1]:5173 instead, or stop pid 42 (`kill 42`)");
        let (text, hint) = warning(
            "vite",
            80,
            "http://localhost:80",
            &[
                other("[::ffff:127.0.0.1]:80", "pid 7 (node)", Some(7), true),
                other("[::1]:80", "a process of uid 0 that you may not see", None, true),
            ],
        );
        assert_eq!(
            text,
            "http://localhost:80 may not reach vite: 127.0.0.1:80 is shared with pid 7 (node) (SO_REUSEPORT: \
             some connections go to it); [::1]:80 is shared with a process of uid 0 that you may not see \
             (SO_REUSEPORT: some connections go to it)"
        );
        assert_eq!(hint, "stop pid 7 (`kill 7`) for localhost to reach vite alone");
        let (_, hint) = warning("x", 80, "http://127.0.0.1:80", &[other("[::1]:80", "?", None, false)]);
        assert_eq!(hint, "open http://127.0.0.1:80 instead, or see who it is with `sudo portfix who 80`");
        let (_, hint) = warning(
            "x",
            80,
            "http://192.168.1.5:80",
            &[other("127.0.0.1:80", "a", Some(1), false), other("[::1]:80", "b", Some(2), false)],
        );
        assert_eq!(hint, "open http://192.168.1.5:80 instead, or stop pids 1, 2 (`kill 1 2`)");
    }
}
