//! After a (re)launch: watch the socket table until a process of the command's tree listens on
//! the chosen port, then say so in one line. The table is read without owners (cheap, no
//! `/proc` scan) until a listener on the port shows up; owners are looked up once, then.

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
    pub url: String,
}

/// Watches from a thread of its own; `found` is called at most once. Stops when `stop` is set.
pub fn watch(
    port: Port,
    in_tree: impl Fn(u32) -> bool + Send + 'static,
    stop: Arc<AtomicBool>,
    found: impl FnOnce(Listening) + Send + 'static,
) {
    let spawned = std::thread::Builder::new().name("confirm".into()).spawn(move || {
        let start = Instant::now();
        while !stop.load(Ordering::Relaxed) && start.elapsed() < PATIENCE {
            if let Some(l) = look(port, &in_tree) {
                found(l);
                return;
            }
            // Quick at first (most dev servers listen within a second), then gentler.
            let pause = if start.elapsed() < Duration::from_secs(3) { 10 } else { 200 };
            std::thread::sleep(Duration::from_millis(pause));
        }
    });
    // Without the thread portfix only loses the confirmation line.
    drop(spawned);
}

fn look(port: Port, in_tree: &impl Fn(u32) -> bool) -> Option<Listening> {
    let mut listeners: Vec<Socket> = sockets::table(true, false)
        .ok()?
        .into_iter()
        .filter(|s| s.local.port() == port.get() && s.holds_port() && s.proto == Proto::Tcp)
        .collect();
    if listeners.is_empty() {
        return None;
    }
    sockets::attach_owners(&mut listeners).ok()?;
    listeners.iter().find_map(|s| {
        let pid = s.pids.iter().copied().find(|&p| in_tree(p))?;
        Some(Listening { pid, url: url_of(s.local) })
    })
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
