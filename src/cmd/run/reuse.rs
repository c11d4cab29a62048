//! Using the earlier run of this same command that holds the port (`--reuse`, or the prompt's
//! "use the one already running"): its URL printed, the port file written, exit 0, nothing
//! started. `core::reuse` decides when; this finds the run's URL — who answers localhost on its
//! port (`core::answer`), the run being every process below the earlier run's own.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::answer::{self, Bound, Check};
use crate::core::events::{Action, Event};
use crate::core::reuse::{self, Instance};
use crate::core::socket::{Proto, Socket};
use crate::os::{process, sockets};

use super::holder::Held;
use super::{Settings, confirm, events, localhost, write_port_file};

/// How many parents of a listener are read to see whether it belongs to the earlier run.
const PARENTS: usize = 8;

/// The earlier run holding the port, and how to reach it.
pub struct Reusable {
    pub instance: Instance,
    pub url: String,
    /// A process of the run that listens on the port.
    pid: u32,
    check: Check,
    sockets: Vec<Socket>,
}

/// portfix used an earlier run instead of starting the command: it ends with exit 0.
#[derive(Debug)]
pub struct Reused;

impl std::fmt::Display for Reused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("used the instance already running")
    }
}

impl std::error::Error for Reused {}

/// The earlier run of this same command from this same directory that holds the port, if the
/// holder is one.
pub fn find(s: &Settings, held: &Held) -> Option<Reusable> {
    if !held.facts.same_command {
        return None;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let instance = reuse::instance(&held.chain, &s.command, s.cwd.as_deref()?, now)?;
    let sockets = sockets::holders(held.port, Proto::Tcp).ok()?;
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
    let check = answer::check(&bound, held.port.get(), &machine.localhost, machine.v6only);
    Some(Reusable { instance, url: check.url(), pid, check, sockets })
}

/// Uses `r`: says so on stderr, prints its URL on stdout, writes the port file and the events.
/// Returns the [`Reused`] that ends the run with exit 0.
pub fn use_it(s: &Settings, held: &Held, r: &Reusable) -> anyhow::Error {
    let port = held.port.get();
    events::emit(s, || Event::Decision { action: Action::Reuse, port, to: None, reason: None });
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
