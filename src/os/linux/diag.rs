//! Linux: the socket table over netlink (`NETLINK_SOCK_DIAG`), asking the kernel for only what
//! a question needs.
//!
//! Why by hand: a question about one port needs one small request per address family, with the
//! states that matter (a LISTEN-only request never walks the kernel's table of connections,
//! which costs as much as the rest of `portfix who` even when it is empty) and a filter on the
//! port that the kernel runs itself (`INET_DIAG_REQ_BYTECODE`, as `ss 'sport = :P'` sends).
//! netstat2 asks for every TCP socket in every state and has no filter. The request and the
//! replies are small fixed C structs (`linux/inet_diag.h`), read here field by field.
//!
//! Both families are asked at once (one netlink socket each), so the two dumps overlap.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::OwnedFd;

use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, netlink};

use crate::core::socket::{Proto, SockState, Socket};

/// Which sockets a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DumpRequest {
    pub(crate) proto: Proto,
    /// Bit `1 << state` for each TCP state wanted (`TCP_LISTEN` = 10, ...); UDP sockets use the
    /// same numbers (7, CLOSE: unconnected; 1, ESTABLISHED: connected).
    pub(crate) states: u32,
    /// Only sockets whose local port is this (`Local`), or either of whose ends is (`Either`).
    pub(crate) port: Option<(u16, Ends)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ends {
    Local,
    Either,
}

pub(crate) const TCP_ESTABLISHED: u8 = 1;
pub(crate) const TCP_TIME_WAIT: u8 = 6;
pub(crate) const TCP_LISTEN: u8 = 10;
/// Every state the kernel knows (it ignores bits it has no state for).
pub(crate) const ALL_STATES: u32 = u32::MAX;
pub(crate) const LISTEN_ONLY: u32 = 1 << TCP_LISTEN;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDR: usize = 16;
/// `struct inet_diag_req_v2`.
const REQ_LEN: usize = 56;
/// `struct inet_diag_msg`.
const MSG_LEN: usize = 72;
const INET_DIAG_REQ_BYTECODE: u16 = 1;
const BC_NOP: u8 = 0;
const BC_JMP: u8 = 1;
const BC_S_GE: u8 = 2;
const BC_S_LE: u8 = 3;
const BC_D_GE: u8 = 4;
const BC_D_LE: u8 = 5;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
/// The kernel fills at most about 32 KiB per read of a dump; a larger message is never cut.
const RECV_BUF: usize = 32 * 1024;

/// The sockets of both address families that match `req`: two dumps, one after the other, on
/// one netlink socket (a socket runs one dump at a time; a second socket costs more than the
/// wait).
pub(crate) fn dump(req: DumpRequest) -> std::io::Result<Vec<Socket>> {
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        Some(netlink::SOCK_DIAG),
    )?;
    let mut buf = vec![0u8; RECV_BUF];
    let mut out = Vec::new();
    send(&fd, req, AF_INET)?;
    receive(&fd, req.proto, &mut buf, &mut out)?;
    send(&fd, req, AF_INET6)?;
    // A kernel built without IPv6 has no AF_INET6 handler: it answers ENOENT. Nothing to add.
    match receive(&fd, req.proto, &mut buf, &mut out) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
        other => other?,
    }
    Ok(out)
}

fn send(fd: &OwnedFd, req: DumpRequest, family: u8) -> std::io::Result<()> {
    let msg = request_bytes(req, family);
    rustix::net::sendto(fd, &msg, SendFlags::empty(), &netlink::SocketAddrNetlink::new(0, 0))?;
    Ok(())
}

/// One `SOCK_DIAG_BY_FAMILY` dump request: header, `inet_diag_req_v2`, and the port filter.
fn request_bytes(req: DumpRequest, family: u8) -> Vec<u8> {
    let bytecode = req.port.map(|(port, ends)| bytecode(port, ends)).unwrap_or_default();
    let attr_len = if bytecode.is_empty() { 0 } else { 4 + bytecode.len() };
    let total = NLMSG_HDR + REQ_LEN + attr_len;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_ne_bytes());
    m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&[0; 8]); // sequence number, port id (the kernel's: 0)
    m.push(family);
    m.push(match req.proto {
        Proto::Tcp => IPPROTO_TCP,
        Proto::Udp => IPPROTO_UDP,
    });
    m.extend_from_slice(&[0, 0]); // no extensions, padding
    m.extend_from_slice(&req.states.to_ne_bytes());
    // inet_diag_sockid: a local port here lets the kernel skip other ports before it even runs
    // the bytecode (it compares it for every socket it walks).
    let sport = match req.port {
        Some((port, Ends::Local)) => port,
        _ => 0,
    };
    m.extend_from_slice(&sport.to_be_bytes());
    m.extend_from_slice(&[0; 46]); // dport, src, dst, interface, cookie
    if !bytecode.is_empty() {
        m.extend_from_slice(&u16::try_from(attr_len).unwrap_or(u16::MAX).to_ne_bytes());
        m.extend_from_slice(&INET_DIAG_REQ_BYTECODE.to_ne_bytes());
        m.extend_from_slice(&bytecode);
    }
    m
}

/// The kernel's filter program (`struct inet_diag_bc_op` list) for "local port is `port`"
/// or, for `Ends::Either`, "either port is `port`". Each op is `code, yes, no`, with `yes`/`no`
/// the byte offsets to jump by; landing exactly on the end accepts, 4 bytes past it rejects. A
/// comparison takes the next op's `no` field as its operand. The kernel only accepts programs
/// whose every op lies on the chain of `yes` jumps, so "or" is built as `ss` builds it: the first
/// test, an unconditional jump to accept, then the second test. `>=` and `<=` are used rather than
/// `==` (`INET_DIAG_BC_S_EQ`), which older kernels refuse.
fn bytecode(port: u16, ends: Ends) -> Vec<u8> {
    let op = |code: u8, yes: u8, no: u16| {
        let [a, b] = no.to_ne_bytes();
        [code, yes, a, b]
    };
    let operand = op(BC_NOP, 0, port);
    let ops: Vec<[u8; 4]> = match ends {
        // 0: sport >= P ? 8 : reject    8: sport <= P ? accept : reject           (16 bytes)
        Ends::Local => vec![op(BC_S_GE, 8, 20), operand, op(BC_S_LE, 8, 12), operand],
        // 0: sport >= P ? 8 : 20    8: sport <= P ? 16 : 20    16: jump to accept
        // 20: dport >= P ? 28 : reject    28: dport <= P ? accept : reject        (36 bytes)
        Ends::Either => vec![
            op(BC_S_GE, 8, 20),
            operand,
            op(BC_S_LE, 8, 12),
            operand,
            op(BC_JMP, 4, 20),
            op(BC_D_GE, 8, 20),
            operand,
            op(BC_D_LE, 8, 12),
            operand,
        ],
    };
    ops.concat()
}

/// Reads one dump to its end, appending its sockets to `out`.
fn receive(fd: &OwnedFd, proto: Proto, buf: &mut [u8], out: &mut Vec<Socket>) -> std::io::Result<()> {
    loop {
        let (_, len) = rustix::net::recv(fd, &mut *buf, RecvFlags::empty())?;
        if len > buf.len() {
            return Err(std::io::Error::other("a socket-table message did not fit the buffer"));
        }
        let mut rest = &buf[..len];
        while rest.len() >= NLMSG_HDR {
            let msg_len = read_u32(rest, 0) as usize;
            if msg_len < NLMSG_HDR || msg_len > rest.len() {
                return Err(std::io::Error::other("a malformed socket-table message"));
            }
            match read_u16(rest, 4) {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let errno = rest.get(NLMSG_HDR..NLMSG_HDR + 4).map_or(0, |b| read_i32(b, 0));
                    return Err(std::io::Error::from_raw_os_error(-errno));
                }
                SOCK_DIAG_BY_FAMILY => {
                    if let Some(s) = parse_socket(&rest[NLMSG_HDR..msg_len], proto) {
                        out.push(s);
                    }
                }
                _ => {}
            }
            rest = rest.get(align4(msg_len)..).unwrap_or_default();
        }
        if len == 0 {
            return Ok(());
        }
    }
}

/// One `struct inet_diag_msg`.
fn parse_socket(m: &[u8], proto: Proto) -> Option<Socket> {
    if m.len() < MSG_LEN {
        return None;
    }
    let (family, state) = (m[0], m[1]);
    let id = &m[4..52];
    let sport = u16::from_be_bytes([id[0], id[1]]);
    let dport = u16::from_be_bytes([id[2], id[3]]);
    let addr = |b: &[u8]| -> Option<IpAddr> {
        match family {
            AF_INET => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
            AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&b[..16]).ok()?))),
            _ => None,
        }
    };
    let local = SocketAddr::new(addr(&id[4..20])?, sport);
    let peer = SocketAddr::new(addr(&id[20..36])?, dport);
    let uid = read_u32(m, 64);
    let inode = read_u32(m, 68);
    let state = match (proto, state) {
        (Proto::Udp, _) => SockState::Bound,
        (Proto::Tcp, TCP_LISTEN) => SockState::Listen,
        (Proto::Tcp, TCP_ESTABLISHED) => SockState::Established,
        (Proto::Tcp, TCP_TIME_WAIT) => SockState::TimeWait,
        (Proto::Tcp, _) => SockState::Other,
    };
    let remote =
        matches!(state, SockState::Established | SockState::TimeWait | SockState::Other).then_some(peer);
    Some(Socket {
        proto,
        local,
        remote,
        state,
        uid: Some(uid),
        inode: (inode != 0).then_some(u64::from(inode)),
        pids: Vec::new(),
    })
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn read_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn read_i32(b: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream, UdpSocket};

    fn listen_req(port: u16) -> DumpRequest {
        DumpRequest { proto: Proto::Tcp, states: LISTEN_ONLY, port: Some((port, Ends::Local)) }
    }

    #[test]
    fn finds_exactly_the_listeners_on_one_port() {
        let l4 = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l4.local_addr().unwrap().port();
        let l6 = TcpListener::bind(("::1", port)).ok(); // ::1 may be missing or taken
        let other = TcpListener::bind("127.0.0.1:0").unwrap();
        let got = dump(listen_req(port)).unwrap();
        assert!(got.iter().all(|s| s.local.port() == port && s.state == SockState::Listen), "{got:?}");
        let mine = got.iter().find(|s| s.local == l4.local_addr().unwrap()).expect("our v4 listener");
        assert_eq!(mine.remote, None);
        assert!(mine.inode.is_some() && mine.uid.is_some());
        if let Some(l6) = l6 {
            assert!(got.iter().any(|s| s.local == l6.local_addr().unwrap()), "our v6 listener: {got:?}");
        }
        let other_port = other.local_addr().unwrap().port();
        assert!(dump(listen_req(other_port)).unwrap().iter().any(|s| s.local == other.local_addr().unwrap()));
    }

    #[test]
    fn connections_from_either_end_and_no_listener_among_them() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server_end, _) = l.accept().unwrap();
        let cport = client.local_addr().unwrap().port();
        let req = |p| DumpRequest {
            proto: Proto::Tcp,
            states: ALL_STATES & !LISTEN_ONLY,
            port: Some((p, Ends::Either)),
        };
        for p in [port, cport] {
            let got = dump(req(p)).unwrap();
            assert!(got.iter().all(|s| s.state != SockState::Listen), "{got:?}");
            let ends: Vec<SocketAddr> = got.iter().map(|s| s.local).collect();
            assert!(ends.contains(&client.local_addr().unwrap()), "port {p}: {got:?}");
            assert!(ends.contains(&server_end.local_addr().unwrap()), "port {p}: {got:?}");
            let c = got.iter().find(|s| s.local == client.local_addr().unwrap()).unwrap();
            assert_eq!(c.remote, Some(l.local_addr().unwrap()));
            assert_eq!(c.state, SockState::Established);
        }
        // Listening only on the server's port: the listener, never the connections.
        let got = dump(listen_req(port)).unwrap();
        assert_eq!(got.iter().map(|s| s.local).collect::<Vec<_>>(), [l.local_addr().unwrap()]);
        assert!(dump(listen_req(cport)).unwrap().is_empty(), "a client's port has no listener");
    }

    #[test]
    fn udp_sockets_are_bound() {
        let u = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        let got =
            dump(DumpRequest { proto: Proto::Udp, states: ALL_STATES, port: Some((port, Ends::Local)) })
                .unwrap();
        assert_eq!(
            got.iter().map(|s| (s.local, s.state)).collect::<Vec<_>>(),
            [(u.local_addr().unwrap(), SockState::Bound)]
        );
    }

    #[test]
    fn the_whole_table_without_a_filter() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let got = dump(DumpRequest { proto: Proto::Tcp, states: ALL_STATES, port: None }).unwrap();
        assert!(got.iter().any(|s| s.local == l.local_addr().unwrap()));
    }

    /// Runs a program as the kernel does (`inet_diag_bc_run`), after its checks
    /// (`inet_diag_bc_audit`: every op on the chain of `yes` jumps, every jump inside).
    fn run_bytecode(prog: &[u8], sport: u16, dport: u16) -> bool {
        let len = prog.len();
        let mut on_yes_chain = vec![0];
        while let Some(&at) = on_yes_chain.last().filter(|&&at| at < len) {
            on_yes_chain.push(at + usize::from(prog[at + 1]));
        }
        assert_eq!(on_yes_chain.last(), Some(&len), "the yes chain ends at the end");
        let mut at = 0;
        while at < len {
            let (code, yes, no) = (prog[at], usize::from(prog[at + 1]), usize::from(read_u16(prog, at + 2)));
            let operand = || read_u16(prog, at + 6);
            let ok = match code {
                BC_JMP => false,
                BC_S_GE => sport >= operand(),
                BC_S_LE => sport <= operand(),
                BC_D_GE => dport >= operand(),
                BC_D_LE => dport <= operand(),
                _ => panic!("unexpected op {code}"),
            };
            let next = at + if ok { yes } else { no };
            assert!(next == len + 4 || on_yes_chain.contains(&next), "jump from {at} to {next}");
            at = next;
        }
        at == len
    }

    #[test]
    fn port_filters_accept_what_they_should() {
        let local = bytecode(3000, Ends::Local);
        let either = bytecode(3000, Ends::Either);
        let cases = [(3000, 0, true, true), (3000, 443, true, true), (443, 3000, false, true)];
        for (sport, dport, want_local, want_either) in cases {
            assert_eq!(run_bytecode(&local, sport, dport), want_local, "local {sport}->{dport}");
            assert_eq!(run_bytecode(&either, sport, dport), want_either, "either {sport}->{dport}");
        }
        for (sport, dport) in [(2999, 3001), (3001, 2999), (30001, 300), (0, 0), (65535, 65535)] {
            assert!(!run_bytecode(&local, sport, dport), "local {sport}->{dport}");
            assert!(!run_bytecode(&either, sport, dport), "either {sport}->{dport}");
        }
    }
}
