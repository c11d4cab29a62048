//! The socket model every command reasons about. Pure data: the OS layer fills it in.

use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

/// The state of a socket, as far as port ownership cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SockState {
    /// TCP LISTEN: holds the port.
    Listen,
    /// UDP socket with a local port: holds the port.
    Bound,
    /// A live TCP connection (either end).
    Established,
    /// TIME_WAIT: a closed connection's leftover; does not hold the port against a server that
    /// sets SO_REUSEADDR, and goes away by itself in about a minute.
    TimeWait,
    /// CLOSE_WAIT, FIN_WAIT, SYN_SENT, ...: a connection on its way in or out.
    Other,
}

/// One socket from the table, with whatever the OS let us learn of its owners.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Socket {
    pub(crate) proto: Proto,
    pub(crate) local: SocketAddr,
    /// The other end, for a connection.
    pub(crate) remote: Option<SocketAddr>,
    pub(crate) state: SockState,
    /// The socket's owner uid (Linux: from the kernel's socket table, visible for every socket).
    pub(crate) uid: Option<u32>,
    /// The socket inode (Linux), by which owners are found in `/proc/*/fd`.
    #[serde(skip)]
    pub(crate) inode: Option<u64>,
    /// Every process holding this socket open (forked workers share one). Empty when none could
    /// be seen: another user's process without root.
    pub(crate) pids: Vec<u32>,
}

impl Socket {
    /// True for a socket that holds its port against a new server: a TCP listener or a bound UDP
    /// socket.
    pub(crate) fn holds_port(&self) -> bool {
        matches!(self.state, SockState::Listen | SockState::Bound)
    }
}
