//! After a (re)launch: watch the socket table until a process of the command's tree listens on
//! the chosen port (or, after the command moved by itself, on any port), then say so in one
//! line. The table is read without owners (cheap, no `/proc` scan) until a listener on the port
//! shows up; owners are looked up then, for those listeners only. The table is polled every few
//! milliseconds at first: the confirmation (and `--port-file`) should follow the server's
//! `listen` closely.
//!
//! Once the tree listens, the listeners of that port that were just read decide who answers
//! each address of `localhost` (`core::answer`): the URL said is one that reaches the command,
//! and the other processes that answer are named for the warning. When an address of localhost
//! is refused at that moment, the port is read once more after [`SETTLE`]: a server that binds
//! both loopbacks, one after the other, may be between the two.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::core::answer::{self, Bound, Check};
use crate::core::port::Port;
use crate::core::socket::{Proto, Socket};
use crate::os::sockets;

/// How long a command may take to start listening before portfix stops watching.
const PATIENCE: Duration = Duration::from_secs(120);

/// How long the check waits before its second look when an address of localhost is refused.
const SETTLE: Duration = Duration::from_millis(1);

/// A process of the command's tree listens on the port.
pub(crate) struct Listening {
    pub(crate) pid: u32,
    pub(crate) port: u16,
    /// The URL that reaches the command (`check.url()`).
    pub(crate) url: String,
    /// Who answers each address of localhost on the port.
    pub(crate) check: Check,
    /// The listeners of the port with their owners, as `check` indexes them.
    pub(crate) sockets: Vec<Socket>,
}

impl Listening {
    /// The command's own addresses on the port.
    pub(crate) fn addresses(&self) -> Vec<SocketAddr> {
        self.check.ours.clone()
    }
}

/// What the check needs to know of this machine, read once a watch: the addresses of localhost
/// (::1 only where IPv6 loopback exists) and whether `::` leaves IPv4 alone.
pub(crate) struct Machine {
    pub(crate) localhost: Vec<IpAddr>,
    pub(crate) v6only: bool,
}

impl Machine {
    pub(crate) fn read() -> Machine {
        let v6 =
            sockets::host_addresses().is_none_or(|a| a.contains(&IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)));
        Machine { localhost: answer::localhost(v6), v6only: sockets::v6only_default() }
    }
}

/// Watches from a thread of its own; `found` is called at most once. Stops when `stop` is set.
/// `port: None` takes a listener of the tree on any port.
pub(crate) fn watch(
    port: Option<Port>,
    in_tree: impl Fn(u32) -> bool + Send + 'static,
    stop: Arc<AtomicBool>,
    found: impl FnOnce(Listening) + Send + 'static,
) {
    watch_where(port, |_| true, in_tree, stop, found);
}

/// [`watch`], taking only a listener that `accept` takes (a port other than the chosen one).
pub(crate) fn watch_where(
    port: Option<Port>,
    accept: impl Fn(&Listening) -> bool + Send + 'static,
    in_tree: impl Fn(u32) -> bool + Send + 'static,
    stop: Arc<AtomicBool>,
    found: impl FnOnce(Listening) + Send + 'static,
) {
    let spawned = std::thread::Builder::new().name("confirm".into()).spawn(move || {
        let start = Instant::now();
        let machine = Machine::read();
        let mut known = HashMap::new();
        while !stop.load(Ordering::Relaxed) && start.elapsed() < PATIENCE {
            let began = Instant::now();
            if let Some(mut l) = look(port, &in_tree, &accept, &mut known, &machine) {
                if l.check.unanswered() {
                    std::thread::sleep(SETTLE);
                    if let Some(again) = look_again(&l, &in_tree, &mut known, &machine) {
                        l = again;
                    }
                }
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

/// One look at the table. `known`: the owners of sockets already looked up (by inode); those
/// found to be another process's are not looked up again (a holder on the port would otherwise
/// cost a `/proc` pass on every poll).
fn look(
    port: Option<Port>,
    in_tree: &impl Fn(u32) -> bool,
    accept: &impl Fn(&Listening) -> bool,
    known: &mut HashMap<u64, Vec<u32>>,
    machine: &Machine,
) -> Option<Listening> {
    let mut listeners: Vec<Socket> = port
        .map_or_else(|| sockets::listening(true, false), |p| sockets::listeners(p, Proto::Tcp))
        .ok()?
        .into_iter()
        .filter(|s| s.proto == Proto::Tcp && s.holds_port() && port.is_none_or(|p| s.local.port() == p.get()))
        .collect();
    let fresh = attach_owners(&mut listeners, known)?;
    if fresh.is_empty() {
        return None;
    }
    for &i in &fresh {
        let s = &listeners[i];
        let Some(pid) = s.pids.iter().copied().find(|&p| in_tree(p)) else { continue };
        let l = listening(pid, s.local.port(), &listeners, in_tree, machine);
        if accept(&l) {
            return Some(l);
        }
    }
    // Not the tree's: another process's, or one portfix may not see (another user's; the
    // command's own are always visible). Either way not looked up again: each look up reads
    // every process's descriptors.
    None
}

/// The port of `first` read once more, for a second socket of the command that was about to
/// listen. `None` when the tree no longer listens there (the first look stands).
fn look_again(
    first: &Listening,
    in_tree: &impl Fn(u32) -> bool,
    known: &mut HashMap<u64, Vec<u32>>,
    machine: &Machine,
) -> Option<Listening> {
    let mut listeners = sockets::listeners(Port::new(first.port)?, Proto::Tcp).ok()?;
    listeners.retain(|s| s.proto == Proto::Tcp && s.holds_port());
    attach_owners(&mut listeners, known)?;
    let pid = listeners.iter().flat_map(|s| s.pids.iter().copied()).find(|&p| in_tree(p))?;
    Some(listening(pid, first.port, &listeners, in_tree, machine))
}

/// Fills in the owners of `listeners`: from `known` where they were looked up before, else
/// looked up now (one pass for all of them) and remembered. Returns the indexes of those looked
/// up now; `None` when the look up failed.
fn attach_owners(listeners: &mut [Socket], known: &mut HashMap<u64, Vec<u32>>) -> Option<Vec<usize>> {
    let mut fresh = Vec::new();
    for (i, s) in listeners.iter_mut().enumerate() {
        match s.inode.and_then(|inode| known.get(&inode)) {
            Some(pids) => s.pids.clone_from(pids),
            None => fresh.push(i),
        }
    }
    if fresh.is_empty() {
        return Some(fresh);
    }
    let mut new: Vec<Socket> = fresh.iter().map(|&i| listeners[i].clone()).collect();
    sockets::attach_owners(&mut new).ok()?;
    for (s, &i) in new.into_iter().zip(&fresh) {
        if let Some(inode) = s.inode {
            known.insert(inode, s.pids.clone());
        }
        listeners[i] = s;
    }
    Some(fresh)
}

/// The tree's process `pid` listens on `port`: who answers localhost there, from `listeners`
/// (those of other ports are left out).
fn listening(
    pid: u32,
    port: u16,
    listeners: &[Socket],
    in_tree: &impl Fn(u32) -> bool,
    machine: &Machine,
) -> Listening {
    let sockets: Vec<Socket> = listeners.iter().filter(|s| s.local.port() == port).cloned().collect();
    let bound: Vec<Bound> =
        sockets.iter().map(|s| Bound { addr: s.local, ours: s.pids.iter().any(|&p| in_tree(p)) }).collect();
    let check = answer::check(&bound, port, &machine.localhost, machine.v6only);
    Listening { pid, port, url: check.url(), check, sockets }
}
