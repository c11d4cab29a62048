//! `portfix who <PORT | ADDR:PORT>... [--udp] [--json]`: who holds a port, or what one end of a
//! connection is, explained.
//!
//! The OS is asked only about the ports named (on Linux the kernel picks the sockets itself):
//! first the sockets that hold each port; then, only for a target that nothing holds, the
//! connections and TIME_WAIT leftovers on its port. The owners of every socket picked are found
//! in one pass over `/proc`, then each target is reported: the holders (a TCP listener or bound
//! UDP socket whose address conflicts with the target, per `core::conflict`), the address bound
//! and who can reach it, the port's class; when nothing holds it, the connections it is one end
//! of (with the process at each end that is on this machine) and the TIME_WAIT leftovers.
//! Processes are shown by `core::holder::HolderView`: with their parents, and what would start
//! them again if they were stopped. Exit 0 when any target is held, 1 when none is.
//!
//! # JSON shape (`--json`)
//!
//! ```text
//! {
//!   "targets": [{
//!     "target": "3000",                 // as asked: "3000" or "127.0.0.1:62893"
//!     "proto": "tcp",                   // "tcp" | "udp"
//!     "port": 3000,
//!     "address": null,                  // the address asked about, or null
//!     "held": true,
//!     "port_class": "registered",       // "well-known" | "registered" | "ephemeral" | "dynamic"
//!     "port_class_text": "registered port (1024-49151: where servers usually listen)",
//!     "holders": [{
//!       "local": "127.0.0.1:3000",
//!       "state": "listen",              // "listen" (tcp) | "bound" (udp)
//!       "reach": "loopback",            // "loopback" | "all-interfaces" | "local-network" | "public"
//!       "meaning": "loopback only: reachable from this machine only",
//!       "uid": 1000, "user": "me",      // the socket's owner (null where the OS does not say)
//!       "hidden": false,                // true: its process could not be seen (see "hint")
//!       "processes": [{                 // a core::holder::HolderView
//!         "pid": 4567, "name": "node",
//!         "command": ["node", "server.js"], // the arguments, raw ([] when hidden)
//!         "exe": "/usr/bin/node", "cwd": "/home/me/app",
//!         "uid": 1000, "user": "me",
//!         "start_time": 1732600000,     // seconds since the Unix epoch
//!         "age_secs": 125,
//!         "kernel_thread": false,
//!         "systemd_unit": null,         // "nginx.service", "docker-<id>.scope", ...
//!         "parents": [{ "pid": 4566, "name": "sh", "command": ["sh", "-c", "node server.js"] }],
//!         "supervisor": null,           // what would start it again: {"kind": "nodemon",
//!                                       //   "pid": 4560, "note": ..., "certain": true, "stop": ...}
//!         "run_root": null,             // the package manager's pid atop its run (npm start)
//!         "earlier_run": false          // (the wrapper's question; always false here)
//!       }]
//!     }],
//!     "connections": [{                 // only when nothing holds the target
//!       "state": "established",         // "established" | "other"
//!       "ends": [{                      // the target's end first
//!         "address": "127.0.0.1:62893",
//!         "on_this_machine": true,
//!         "uid": 1000, "user": "me", "hidden": false,
//!         "processes": [ ... as above ... ]
//!       }, { ... the other end ... }]
//!     }],
//!     "time_wait": 0,                   // TIME_WAIT sockets on the target, which hold nothing:
//!                                       // counted only when nothing holds it (else 0)
//!     "hint": null                      // what to do to see more, e.g. "run `sudo portfix who 3000` ..."
//!   }]
//! }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};

use crate::cli::WhoArgs;
use crate::core::conflict::{self, Reach};
use crate::core::holder::{HolderView, user_text};
use crate::core::port::{Endpoint, Port, PortClass};
use crate::core::render::{self, Paint};
use crate::core::socket::{Proto, SockState, Socket};
use crate::exit::Outcome;
use crate::os;

/// How many parents of a holder are read: enough to reach what would restart it (nodemon, a
/// shell loop, pm2) through the shells and package managers in between.
pub(super) const MAX_PARENTS: usize = 12;

pub fn run(args: &WhoArgs) -> anyhow::Result<Outcome> {
    let proto = if args.udp { Proto::Udp } else { Proto::Tcp };
    let ports: BTreeSet<Port> = args.targets.iter().map(|t| t.port()).collect();
    let mut table: Vec<Socket> = Vec::new();
    for &port in &ports {
        table.extend(os::sockets::listeners(port, proto)?);
    }
    // Connections never have a wildcard local end, so the listeners decide whether it matters.
    let v6only = v6only_matters(&table, &args.targets) && os::sockets::v6only_default();
    // Connections and TIME_WAIT leftovers matter only where nothing holds the target.
    let unheld: BTreeSet<Port> =
        args.targets.iter().filter(|&&t| holders(&table, t, v6only).is_empty()).map(|t| t.port()).collect();
    for &port in &unheld {
        table.extend(os::sockets::connections(port, proto)?);
    }
    let picks: Vec<Pick> = args.targets.iter().map(|&t| pick(&table, t, v6only)).collect();
    let used: BTreeSet<usize> = picks.iter().flat_map(Pick::indices).collect();
    attach_owners(&mut table, &used)?;
    let owners = Owners::load(used.iter().map(|&i| &table[i]));
    let reports: Vec<TargetReport> =
        picks.iter().map(|p| report(p, proto, &table, &owners, v6only)).collect();
    let held = reports.iter().any(|r| r.held);
    write(&reports, args.json)?;
    Ok(if held { Outcome::SUCCESS } else { Outcome::NOTHING })
}

fn write(reports: &[TargetReport], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(crate::out::stdout());
    if json {
        serde_json::to_writer_pretty(&mut out, &Answer { targets: reports })?;
        writeln!(out)?;
    } else {
        let paint = Paint { on: colour_wanted() };
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            for line in human(r, paint) {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Colour only at a terminal, never with `NO_COLOR`.
pub(super) fn colour_wanted() -> bool {
    use std::io::IsTerminal as _;
    render::use_colour(
        std::io::stdout().is_terminal(),
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}

/// Whether the answer depends on `net.ipv6.bindv6only`: only when an IPv6 wildcard (`::`) is
/// involved, as a socket's local address or as a target (an IPv6 wildcard meets IPv4 addresses
/// only when dual-stack). Otherwise the setting is not read at all.
fn v6only_matters(table: &[Socket], targets: &[Endpoint]) -> bool {
    let v6_wildcard = |a: IpAddr| matches!(a.to_canonical(), IpAddr::V6(v6) if v6.is_unspecified());
    table.iter().any(|s| v6_wildcard(s.local.ip()))
        || targets.iter().filter_map(|t| t.addr()).any(v6_wildcard)
}

/// Finds the owners of the sockets at `used` in one pass and writes them back into the table.
fn attach_owners(table: &mut [Socket], used: &BTreeSet<usize>) -> anyhow::Result<()> {
    let mut chosen: Vec<Socket> = used.iter().map(|&i| table[i].clone()).collect();
    os::sockets::attach_owners(&mut chosen)?;
    for (&i, s) in used.iter().zip(chosen) {
        table[i].pids = s.pids;
    }
    Ok(())
}

/// The sockets of the table that matter to one target, by index.
struct Pick {
    target: Endpoint,
    holders: Vec<usize>,
    /// Connections: the target's end (None: not on this machine) and the other end (None: not
    /// on this machine), with both addresses.
    connections: Vec<Conn>,
    time_wait: usize,
}

struct Conn {
    target_end: (SocketAddr, Option<usize>),
    other_end: (SocketAddr, Option<usize>),
    state: SockState,
}

impl Pick {
    fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let conns = self.connections.iter().flat_map(|c| [c.target_end.1, c.other_end.1]).flatten();
        self.holders.iter().copied().chain(conns)
    }
}

/// The sockets of the table that hold `target`: on its port, and for an address, one whose bind
/// conflicts with it.
fn holders(table: &[Socket], target: Endpoint, v6only: bool) -> Vec<usize> {
    let port = target.port().get();
    (0..table.len())
        .filter(|&i| match target.addr() {
            Some(a) => conflict::blocks(&table[i], SocketAddr::new(a, port), v6only),
            None => table[i].holds_port() && table[i].local.port() == port,
        })
        .collect()
}

fn pick(table: &[Socket], target: Endpoint, v6only: bool) -> Pick {
    let port = target.port().get();
    let at = |s: &SocketAddr| match target.addr() {
        Some(a) => conflict::same_endpoint(*s, SocketAddr::new(a, port)),
        None => s.port() == port,
    };
    let holders = holders(table, target, v6only);
    if !holders.is_empty() {
        return Pick { target, holders, connections: Vec::new(), time_wait: 0 };
    }
    let time_wait = table.iter().filter(|s| s.state == SockState::TimeWait && at(&s.local)).count();
    Pick { target, holders, connections: connections(table, target, &at), time_wait }
}

fn is_connection(s: &Socket) -> bool {
    matches!(s.state, SockState::Established | SockState::Other) && s.remote.is_some()
}

/// The connections the target is one end of: those whose local end is the target (with the
/// other end found in the table when it is on this machine), then, for an address, those from
/// this machine to it.
fn connections(table: &[Socket], target: Endpoint, at: &dyn Fn(&SocketAddr) -> bool) -> Vec<Conn> {
    let peer_of = |s: &Socket| {
        let remote = s.remote?;
        table.iter().position(|p| {
            is_connection(p)
                && conflict::same_endpoint(p.local, remote)
                && p.remote.is_some_and(|r| conflict::same_endpoint(r, s.local))
        })
    };
    let mut out: Vec<Conn> = Vec::new();
    for (i, s) in table.iter().enumerate().filter(|(_, s)| is_connection(s) && at(&s.local)) {
        let remote = s.remote.expect("a connection has a remote end");
        out.push(Conn { target_end: (s.local, Some(i)), other_end: (remote, peer_of(s)), state: s.state });
    }
    if target.addr().is_some() {
        let known: Vec<usize> = out.iter().filter_map(|c| c.other_end.1).collect();
        for (i, s) in table.iter().enumerate() {
            let Some(remote) = s.remote.filter(|r| is_connection(s) && at(r)) else { continue };
            if !known.contains(&i) {
                out.push(Conn { target_end: (remote, None), other_end: (s.local, Some(i)), state: s.state });
            }
        }
    }
    out
}

/// The processes behind the picked sockets, each described once with its parents
/// (`HolderView`), and the names of the sockets' uids.
pub(super) struct Owners {
    by_pid: HashMap<u32, HolderView>,
    users: HashMap<u32, String>,
    see_all: bool,
}

impl Owners {
    pub(super) fn load<'a>(sockets: impl Iterator<Item = &'a Socket>) -> Owners {
        let sockets: Vec<&Socket> = sockets.collect();
        let mut pids: Vec<u32> = sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let by_pid: HashMap<u32, HolderView> = pids
            .iter()
            .filter_map(|&pid| {
                HolderView::from_chain(&os::process::chain_to_show(pid, MAX_PARENTS), now, false)
            })
            .map(|v| (v.pid, v))
            .collect();
        // Names the processes already carry first; the user database is asked only for the rest.
        let mut users: HashMap<u32, String> =
            by_pid.values().filter_map(|p| Some((p.uid?, p.user.clone()?))).collect();
        let missing: BTreeSet<u32> =
            sockets.iter().filter_map(|s| s.uid).filter(|u| !users.contains_key(u)).collect();
        users.extend(missing.into_iter().filter_map(|u| Some((u, os::process::user_name(u)?))));
        Owners { by_pid, users, see_all: os::sockets::can_see_all_owners() }
    }

    pub(super) fn user(&self, uid: Option<u32>) -> Option<String> {
        self.users.get(&uid?).cloned()
    }

    pub(super) fn processes(&self, s: &Socket) -> Vec<HolderView> {
        s.pids.iter().filter_map(|pid| self.by_pid.get(pid)).cloned().collect()
    }

    /// A few words on a socket without a visible process, for one line of `list`.
    pub(super) fn hidden_short(&self) -> &'static str {
        if self.see_all {
            "no process here: a kernel socket or another namespace"
        } else {
            "another user's: `sudo portfix list` shows more"
        }
    }

    /// How to see the owner of a socket whose process is not visible, or why there is none.
    pub(super) fn hidden_note(&self, command: &str) -> String {
        if self.see_all {
            "no process here has it open (a kernel socket, or one from another namespace)".into()
        } else {
            format!("its process belongs to another user: `sudo portfix {command}` shows more")
        }
    }
}

#[derive(Debug, serde::Serialize)]
struct HolderReport {
    local: SocketAddr,
    state: SockState,
    reach: Reach,
    meaning: String,
    uid: Option<u32>,
    user: Option<String>,
    hidden: bool,
    processes: Vec<HolderView>,
}

#[derive(Debug, serde::Serialize)]
struct EndReport {
    address: SocketAddr,
    on_this_machine: bool,
    uid: Option<u32>,
    user: Option<String>,
    hidden: bool,
    processes: Vec<HolderView>,
}

#[derive(Debug, serde::Serialize)]
struct ConnectionReport {
    state: SockState,
    ends: [EndReport; 2],
}

#[derive(Debug, serde::Serialize)]
struct Answer<'a> {
    targets: &'a [TargetReport],
}

#[derive(Debug, serde::Serialize)]
struct TargetReport {
    target: String,
    proto: Proto,
    port: u16,
    address: Option<IpAddr>,
    held: bool,
    port_class: PortClass,
    port_class_text: String,
    holders: Vec<HolderReport>,
    connections: Vec<ConnectionReport>,
    time_wait: usize,
    hint: Option<String>,
}

fn report(p: &Pick, proto: Proto, table: &[Socket], owners: &Owners, v6only: bool) -> TargetReport {
    let eph = os::sockets::ephemeral_range();
    let class = PortClass::of(p.target.port(), eph);
    let holders: Vec<HolderReport> = p.holders.iter().map(|&i| holder(&table[i], owners, v6only)).collect();
    let connections: Vec<ConnectionReport> = p
        .connections
        .iter()
        .map(|c| ConnectionReport {
            state: c.state,
            ends: [end(c.target_end, table, owners), end(c.other_end, table, owners)],
        })
        .collect();
    let any_hidden = holders.iter().any(|h| h.hidden)
        || connections.iter().flat_map(|c| &c.ends).any(|e| e.on_this_machine && e.hidden);
    let udp = if proto == Proto::Udp { " --udp" } else { "" };
    TargetReport {
        target: p.target.to_string(),
        proto,
        port: p.target.port().get(),
        address: p.target.addr(),
        held: !holders.is_empty(),
        port_class: class,
        port_class_text: class.describe(eph),
        holders,
        connections,
        time_wait: p.time_wait,
        hint: any_hidden.then(|| owners.hidden_note(&format!("who {}{udp}", p.target))),
    }
}

fn holder(s: &Socket, owners: &Owners, v6only: bool) -> HolderReport {
    let processes = owners.processes(s);
    HolderReport {
        local: s.local,
        state: s.state,
        reach: conflict::reach(s.local.ip()),
        meaning: conflict::describe_bind(s.local.ip(), v6only),
        uid: s.uid,
        user: owners.user(s.uid),
        hidden: processes.is_empty(),
        processes,
    }
}

fn end((address, index): (SocketAddr, Option<usize>), table: &[Socket], owners: &Owners) -> EndReport {
    let s = index.map(|i| &table[i]);
    let processes = s.map(|s| owners.processes(s)).unwrap_or_default();
    EndReport {
        address,
        on_this_machine: s.is_some(),
        uid: s.and_then(|s| s.uid),
        user: owners.user(s.and_then(|s| s.uid)),
        hidden: s.is_some() && processes.is_empty(),
        processes,
    }
}

// ---- human output ----

fn label(r: &TargetReport) -> String {
    match r.address {
        Some(a) => format!("{}/{}", SocketAddr::new(a, r.port), r.proto),
        None => format!("port {}/{}", r.port, r.proto),
    }
}

fn headline(r: &TargetReport, paint: Paint) -> String {
    let what = label(r);
    if r.held {
        let procs: Vec<&HolderView> = r.holders.iter().flat_map(|h| &h.processes).collect();
        let by = match procs.as_slice() {
            [] => "a process you may not see".to_string(),
            [one] => format!("{} (pid {})", render::escape(&one.name), one.pid),
            many => format!("{} processes", many.len()),
        };
        return paint.bold(&format!("{what} is held by {by}"));
    }
    let mut line = format!("{what}: nothing holds it");
    if !r.connections.is_empty() {
        let n = r.connections.len();
        line = format!("{what}: nothing listens on it; it is one end of {n} connection{}", plural(n));
    }
    if r.time_wait > 0 {
        let n = r.time_wait;
        line.push_str(&format!("; {n} connection{} in TIME_WAIT, free again in about a minute", plural(n)));
    }
    paint.green(&line)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One piece of the human report: a row of the aligned key/value table, or lines of their own
/// (a holder's `HolderView::lines`, aligned by themselves).
enum Part {
    Row([String; 2]),
    Lines(Vec<String>),
}

/// The report as lines: the keys of the rows aligned, each holder's own lines under its socket.
fn human(r: &TargetReport, paint: Paint) -> Vec<String> {
    let mut parts: Vec<Part> = Vec::new();
    let row = |k: &str, v: String| Part::Row([k.to_string(), v]);
    for h in &r.holders {
        let verb = if h.state == SockState::Listen { "listening on" } else { "bound to" };
        parts.push(row(&format!("  {verb}"), format!("{} — {}", h.local, h.meaning)));
        if h.processes.is_empty() {
            parts.push(row("    owner", user_text(h.user.as_deref(), h.uid)));
        }
        for p in &h.processes {
            parts.push(Part::Lines(p.lines(paint).into_iter().map(|l| format!("    {l}")).collect()));
        }
    }
    for c in &r.connections {
        let [a, b] = &c.ends;
        let state = if c.state == SockState::Established { "established" } else { "closing or opening" };
        parts.push(row("  connection", format!("{} <-> {} ({state})", a.address, b.address)));
        for e in [a, b] {
            parts.push(row(&format!("    {}", e.address), end_text(e)));
        }
    }
    parts.push(row("  port", r.port_class_text.clone()));
    if let Some(hint) = &r.hint {
        parts.push(row("  hint", hint.clone()));
    }
    let rows: Vec<Vec<String>> =
        parts.iter().filter_map(|p| if let Part::Row(r) = p { Some(r.to_vec()) } else { None }).collect();
    let mut aligned = render::columns(&rows).into_iter();
    let mut lines = vec![headline(r, paint)];
    for p in parts {
        match p {
            Part::Row(_) => lines.extend(aligned.next()),
            Part::Lines(l) => lines.extend(l),
        }
    }
    lines
}

fn end_text(e: &EndReport) -> String {
    if !e.on_this_machine {
        return "another machine (or not visible here)".into();
    }
    if e.processes.is_empty() {
        return format!("not visible: {}", user_text(e.user.as_deref(), e.uid));
    }
    e.processes
        .iter()
        .map(|p| format!("pid {} {}: {}", p.pid, render::escape(&p.name), p.command_text()))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::port::parse_endpoint;

    fn listener(local: &str) -> Socket {
        Socket {
            proto: Proto::Tcp,
            local: local.parse().unwrap(),
            remote: None,
            state: SockState::Listen,
            uid: None,
            inode: None,
            pids: Vec::new(),
        }
    }

    #[test]
    fn bindv6only_is_needed_only_with_an_ipv6_wildcard() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "8080", false),
            (&["127.0.0.1:8080"], "8080", false),
            (&["0.0.0.0:8080", "[::1]:8080"], "8080", false),
            (&["[fe80::1]:8080"], "127.0.0.1:8080", false),
            (&["[::]:8080"], "8080", true),
            (&["127.0.0.1:8080", "[::]:8080"], "127.0.0.1:8080", true),
            (&["127.0.0.1:8080"], "[::]:8080", true),
            (&[], "[::]:8080", true),
        ];
        for &(locals, target, want) in cases {
            let table: Vec<Socket> = locals.iter().map(|l| listener(l)).collect();
            let targets = [parse_endpoint(target).unwrap()];
            assert_eq!(v6only_matters(&table, &targets), want, "{locals:?} {target}");
        }
    }
}
