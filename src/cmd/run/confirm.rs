//! After a (re)launch: watch the socket table until a process of the command's tree listens on
//! the chosen port (or, after the command moved by itself, on any port), then say so in one
//! line. The table is read without owners (cheap, no `/proc` scan) until a listener on the port
//! shows up; owners are looked up then, for those listeners only. The table is polled every few
//! milliseconds at first: the confirmation (and `--port-file`) should follow the server's
//! `listen` closely.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::core::port::Port;
use crate::core::socket::{Proto, Socket};
use crate::os::sockets;

/// How long a command may take to start listening before portfix stops watching.
const PATIENCE: Duration = Duration::from_secs(120);

/// A process of the command's tree listens on the port.
pub struct Listening {
    pub pid: u32,
    pub port: u16,
    pub url: String,
}

/// Watches from a thread of its own; `found` is called at most once. Stops when `stop` is set.
/// `port: None` takes a listener of the tree on any port.
pub fn watch(
    port: Option<Port>,
    in_tree: impl Fn(u32) -> bool + Send + 'static,
    stop: Arc<AtomicBool>,
    found: impl FnOnce(Listening) + Send + 'static,
) {
    watch_where(port, |_| true, in_tree, stop, found);
}

/// [`watch`], taking only a listener that `accept` takes (a port other than the chosen one).
pub fn watch_where(
    port: Option<Port>,
    accept: impl Fn(&Listening) -> bool + Send + 'static,
    in_tree: impl Fn(u32) -> bool + Send + 'static,
    stop: Arc<AtomicBool>,
    found: impl FnOnce(Listening) + Send + 'static,
) {
    let spawned = std::thread::Builder::new().name("confirm".into()).spawn(move || {
        let start = Instant::now();
        let mut others = HashSet::new();
        while !stop.load(Ordering::Relaxed) && start.elapsed() < PATIENCE {
            let began = Instant::now();
            if let Some(l) = look(port, &in_tree, &accept, &mut others) {
                found(l);
                return;
            }
            // Quick at first (most dev servers listen within a second), then gentler; any port
            // (after a move) means reading more owners: gentler still. Never less than twice
            // what a look cost: on a host with thousands of sockets a read of the table takes
            // milliseconds, and the watch must not take the CPU from the server starting up.
            let pause = match start.elapsed().as_millis() {
                _ if port.is_none() => 100,
                0..500 => 2,
                500..3000 => 10,
                _ => 200,
            };
            std::thread::sleep(Duration::from_millis(pause).max(began.elapsed() * 2));
        }
    });
    // Without the thread portfix only loses the confirmation line.
    drop(spawned);
}

/// One look at the table. `others`: sockets (by inode) already found to be another process's,
/// whose owners are not looked up again (a holder on the port would otherwise cost a `/proc`
/// pass on every poll).
fn look(
    port: Option<Port>,
    in_tree: &impl Fn(u32) -> bool,
    accept: &impl Fn(&Listening) -> bool,
    others: &mut HashSet<u64>,
) -> Option<Listening> {
    let wanted = |s: &Socket| {
        port.is_none_or(|p| s.local.port() == p.get()) && !s.inode.is_some_and(|i| others.contains(&i))
    };
    let mut listeners: Vec<Socket> = port
        .map_or_else(|| sockets::listening(true, false), |p| sockets::listeners(p, Proto::Tcp))
        .ok()?
        .into_iter()
        .filter(|s| s.proto == Proto::Tcp && s.holds_port() && wanted(s))
        .collect();
    if listeners.is_empty() {
        return None;
    }
    sockets::attach_owners(&mut listeners).ok()?;
    let found = listeners.iter().find_map(|s| {
        let pid = s.pids.iter().copied().find(|&p| in_tree(p))?;
        Some(Listening { pid, port: s.local.port(), url: url_of(s.local) }).filter(accept)
    });
    if found.is_none() {
        // Not the tree's: another process's, or one portfix may not see (another user's; the
        // command's own are always visible). Either way not looked up again: each look up reads
        // every process's descriptors.
        others.extend(listeners.iter().filter_map(|s| s.inode));
    }
    found
}

/// The address a browser should open for a server listening on `local`: `localhost` for the
/// wildcard and loopback addresses, the address itself otherwise.
pub fn url_of(local: SocketAddr) -> String {
    let ip = local.ip();
    let ip = match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    };
    if ip.is_unspecified() || ip.is_loopback() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{}", SocketAddr::new(ip, local.port()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for (addr, want) in [
            ("0.0.0.0:3000", "http://localhost:3000"),
            ("127.0.0.1:3000", "http://localhost:3000"),
            ("[::]:3000", "http://localhost:3000"),
            ("[::1]:5173", "http://localhost:5173"),
            ("[::ffff:127.0.0.1]:8000", "http://localhost:8000"),
            ("192.168.1.5:8080", "http://192.168.1.5:8080"),
            ("[fe80::1]:8080", "http://[fe80::1]:8080"),
        ] {
            assert_eq!(url_of(addr.parse().unwrap()), want, "{addr}");
        }
    }
}
