//! Using the earlier run of this same command that holds the port (`--reuse`, or the prompt's
//! "use the one already running"): its URL printed, the port file written, exit 0, nothing
//! started. `core::reuse` decides when; this finds the run's URL — who answers localhost on its
//! port (`core::answer`), the run being every process below the earlier run's own.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::answer::{self, Bound, Check};
use crate::core::events::{DecisionKind, Event, EventHolder};
use crate::core::port::Port;
use crate::core::reuse::{self, Instance};
use crate::core::socket::{Proto, Socket};
use crate::os::{process, sockets};

use super::holder::Held;
use super::{Settings, confirm, events, localhost, write_port_file};

/// How many parents of a listener are read to see whether it belongs to the earlier run.
const PARENTS: usize = 8;

/// The earlier run holding the port, and how to reach it.
pub(crate) struct Reusable {
    pub(crate) instance: Instance,
    pub(crate) url: String,
    pub(crate) port: Port,
    /// A process of the run that listens on the port.
    pid: u32,
    check: Check,
    sockets: Vec<Socket>,
}

/// portfix used an earlier run instead of starting the command: it ends with exit 0.
#[derive(Debug)]
pub(crate) struct Reused;

impl std::fmt::Display for Reused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("used the instance already running")
    }
}

impl std::error::Error for Reused {}

/// The earlier run of this same command from this same directory that holds the port, if the
/// holder is one.
pub(crate) fn find(s: &Settings, held: &Held) -> Option<Reusable> {
    if !held.facts.same_command {
        return None;
    }
    let instance = reuse::instance(&held.chain, &s.command, s.cwd.as_deref()?, now())?;
    let sockets = sockets::holders(held.port, Proto::Tcp).ok()?;
    reachable(held.port, instance, sockets)
}

/// `--reuse` with no port known before the launch: an earlier run of this same command from
/// this same directory that listens on any port (one owner pass over every listener, then the
/// chain of each listening process), and the holders of its port for the `conflict` event.
pub(crate) fn search(s: &Settings) -> Option<(Reusable, Vec<EventHolder>)> {
    let cwd = s.cwd.as_deref()?;
    let mut all = sockets::listening(true, false).ok()?;
    sockets::attach_owners(&mut all).ok()?;
    let mut pids: Vec<u32> = all.iter().flat_map(|sock| sock.pids.iter().copied()).collect();
    pids.sort_unstable();
    pids.dedup();
    let now = now();
    for pid in pids {
        let chain = process::chain(pid, PARENTS);
        let Some(instance) = reuse::instance(&chain, &s.command, cwd, now) else { continue };
        let Some(port) =
            all.iter().find(|sock| sock.pids.contains(&pid)).and_then(|sock| Port::new(sock.local.port()))
        else {
            continue;
        };
        let on_port: Vec<Socket> =
            all.iter().filter(|sock| sock.local.port() == port.get()).cloned().collect();
        let holders = vec![events::holder(&chain[0], true)];
        return Some((reachable(port, instance, on_port)?, holders));
    }
    None
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// How to reach `instance` on `port`, whose listeners (with owners) are `sockets`: the run is
/// the instance's process and every process below it.
fn reachable(port: Port, instance: Instance, sockets: Vec<Socket>) -> Option<Reusable> {
    let mut of_run: HashMap<u32, bool> = HashMap::new();
    let mut belongs = |pid: u32| {
        *of_run.entry(pid).or_insert_with(|| {
            pid == instance.pid || process::chain(pid, PARENTS).iter().any(|p| p.pid == instance.pid)
        })
    };
    let bound: Vec<Bound> = sockets
        .iter()
        .map(|sock| Bound { addr: sock.local, ours: sock.pids.iter().any(|&p| belongs(p)) })
        .collect();
    let pid =
        sockets.iter().zip(&bound).find(|(_, b)| b.ours).and_then(|(sock, _)| sock.pids.first().copied())?;
    let machine = confirm::Machine::read();
    let check = answer::check(&bound, port.get(), &machine.localhost, machine.v6only);
    Some(Reusable { instance, url: check.url(), port, pid, check, sockets })
}

/// Uses `r`: says so on stderr, prints its URL on stdout, writes the port file and the events.
/// Returns the [`Reused`] that ends the run with exit 0.
pub(crate) fn use_it(s: &Settings, r: &Reusable) -> anyhow::Error {
    let port = r.port.get();
    events::emit(s, || Event::Decision { action: DecisionKind::Reuse, port, to: None, reason: None });
    eprintln!("portfix: {}", reuse::used(&s.display, &r.url, &r.instance));
    {
        use std::io::Write as _;
        let _ = writeln!(crate::out::stdout(), "{}", r.url);
    }
    if let Some(path) = &s.port_file {
        if let Err(e) = write_port_file(path, port) {
            eprintln!("portfix: could not write the port to {}: {e}", path.display());
        }
    }
    events::emit(s, || Event::Listening {
        pid: r.pid,
        port,
        addresses: r.check.ours.iter().map(ToString::to_string).collect(),
        url: r.url.clone(),
        reused: true,
    });
    localhost::warn(s, &s.display, &r.check, &r.sockets);
    anyhow::Error::new(Reused)
}
