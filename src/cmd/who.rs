//! `portfix who <PORT | ADDR:PORT>... [--udp] [--json]`: who holds a port, or what one end of a
//! connection is, explained.
//!
//! The OS is asked only about the ports named (on Linux the kernel picks the sockets itself):
//! first the sockets that hold each port; then, only for a target that nothing holds, the
//! connections and TIME_WAIT leftovers on its port. The owners of every socket picked are found
//! in one pass over `/proc`, then each target is reported: the holders (a TCP listener or bound
//! UDP socket whose address conflicts with the target, per `core::conflict`), the address bound
//! and who can reach it, the port's class; when nothing holds it, the connections it is one end
//! of (with the process at each end that is on this machine, or, for a connection not yet
//! accept()ed, the listener it is queued on) and the TIME_WAIT leftovers. The address and port
//! asked about are explained either way: what the address is for this machine, the port's class
//! against this machine's ephemeral range, what usually listens there.
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
//!     "ephemeral_range": "32768-60999", // the ports this OS gives to outgoing connections
//!     "usual_use": "Node.js, ... dev servers", // what usually listens there (core::port), or null
//!     "address_kind": null,             // for an address: "loopback" | "wildcard" | "local-network"
//!                                       //   | "public" | "not-this-host" (core::conflict); else null
//!     "address_text": null,             // that kind in a sentence, or null
//!     "reachable_from_other_machines": null, // for an address: could other machines reach a
//!                                       //   server bound there; else null
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
//!       }],
//!       "service": null                 // a shared service of the machine (core::wellknown):
//!                                       //   {"name": "redis", "what": "the Redis server (...)",
//!                                       //   "affects": "...", "probably": false, "note": "..."}
//!     }],
//!     "connections": [{                 // only when nothing holds the target
//!       "state": "established",         // "established" | "other"
//!       "ends": [{                      // the target's end first
//!         "address": "127.0.0.1:62893",
//!         "on_this_machine": true,
//!         "uid": 1000, "user": "me", "hidden": false,
//!         "processes": [ ... as above ... ],
//!         "queued_on": null             // not yet accept()ed: the listener it waits on (a
//!                                       //   "holders" object), else null
//!       }, { ... the other end ... }]
//!     }],
//!     "time_wait": 0,                   // TIME_WAIT sockets on the target, which hold nothing:
//!                                       // counted only when nothing holds it (else 0)
//!     "hint": null                      // what to do to see more, e.g. "run `sudo portfix who 3000` ..."
//!   }]
//! }
//! ```

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};

use crate::cli::WhoArgs;
use crate::core::conflict::{self, AddressKind, Reach};
use crate::core::holder::{HolderView, user_text};
use crate::core::port::{self, Endpoint, Port, PortClass, PortRange};
use crate::core::render::{self, Paint};
use crate::core::socket::{Proto, SockState, Socket};
use crate::core::wellknown::{self, ServiceView};
use crate::exit::Outcome;
use crate::os;

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
    let mut picks: Vec<Pick> = args.targets.iter().map(|&t| pick(&table, t, v6only)).collect();
    find_accept_queues(&mut table, &mut picks, &ports, proto)?;
    let used: BTreeSet<usize> = picks.iter().flat_map(Pick::indices).collect();
    attach_owners(&mut table, &used)?;
    let owners = os::holders::Owners::load(used.iter().map(|&i| &table[i]));
    let host = Host::read(&args.targets, v6only);
    let reports: Vec<TargetReport> = picks.iter().map(|p| report(p, proto, &table, &owners, &host)).collect();
    let held = reports.iter().any(|r| r.held);
    write(&reports, args.json, args.full)?;
    Ok(if held { Outcome::SUCCESS } else { Outcome::NOTHING })
}

fn write(reports: &[TargetReport], json: bool, full: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(crate::out::stdout());
    if json {
        serde_json::to_writer_pretty(&mut out, &Answer { targets: reports })?;
        writeln!(out)?;
    } else {
        use std::io::IsTerminal as _;
        let tty = std::io::stdout().is_terminal();
        let paint = Paint { on: os::terminal::colour_at(tty) };
        // Command lines are cut to the terminal's width (DEFAULT_WIDTH off one); --full and
        // JSON keep them whole. The size is asked only of a terminal: no call otherwise.
        let width =
            (!full).then(|| tty.then(os::terminal::stdout_columns).flatten().unwrap_or(DEFAULT_WIDTH));
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            for line in human(r, paint, width) {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// How wide a line of text may be off a terminal before a command line in it is cut.
const DEFAULT_WIDTH: usize = 200;

/// What the report needs to know of this machine beyond the sockets: its ephemeral port range,
/// its own addresses (read only when a target's address could be one of them) and the IPv6
/// wildcard default.
struct Host {
    ephemeral: PortRange,
    addresses: Option<Vec<IpAddr>>,
    v6only: bool,
}

impl Host {
    fn read(targets: &[Endpoint], v6only: bool) -> Host {
        let needs_addresses = targets
            .iter()
            .filter_map(|t| t.addr())
            .any(|a| matches!(conflict::reach(a), Reach::LocalNetwork | Reach::Public));
        Host {
            ephemeral: os::sockets::ephemeral_range(),
            addresses: if needs_addresses { os::sockets::host_addresses() } else { None },
            v6only,
        }
    }
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
    target_end: ConnEnd,
    other_end: ConnEnd,
    state: SockState,
}

/// One end of a connection: its address, its socket when that is on this machine, and, for a
/// connection the kernel completed that no process has accept()ed yet, the listener it waits on.
#[derive(Debug, Clone, Copy)]
struct ConnEnd {
    address: SocketAddr,
    socket: Option<usize>,
    queued_on: Option<usize>,
}

impl ConnEnd {
    fn new(address: SocketAddr, socket: Option<usize>) -> ConnEnd {
        ConnEnd { address, socket, queued_on: None }
    }
}

impl Pick {
    fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let conns = self
            .connections
            .iter()
            .flat_map(|c| [c.target_end, c.other_end])
            .flat_map(|e| [e.socket, e.queued_on])
            .flatten();
        self.holders.iter().copied().chain(conns)
    }
}

/// True for a connection's socket that no process has open: the kernel completed the handshake
/// and queued it on its listener, whose process has not accept()ed it yet. (Linux: no socket
/// inode; elsewhere: no owner pid, as the OS lists them with the table.)
fn awaiting_accept(s: &Socket) -> bool {
    s.proto == Proto::Tcp && s.state == SockState::Established && s.inode.is_none() && s.pids.is_empty()
}

/// Names the listener each not-yet-accepted connection end waits on: a listener on the same port
/// and an overlapping address (read here for the ports not already asked about).
fn find_accept_queues(
    table: &mut Vec<Socket>,
    picks: &mut [Pick],
    asked: &BTreeSet<Port>,
    proto: Proto,
) -> anyhow::Result<()> {
    let more: BTreeSet<Port> = picks
        .iter()
        .flat_map(|p| &p.connections)
        .flat_map(|c| [c.target_end.socket, c.other_end.socket])
        .flatten()
        .filter(|&i| awaiting_accept(&table[i]))
        .filter_map(|i| Port::new(table[i].local.port()))
        .filter(|p| !asked.contains(p))
        .collect();
    for port in more {
        table.extend(os::sockets::listeners(port, proto)?);
    }
    let listener_of = |s: &Socket| {
        // The queued socket exists because this listener took the handshake: any overlap of
        // addresses is it (dual-stack or not).
        table.iter().position(|l| {
            l.state == SockState::Listen
                && l.local.port() == s.local.port()
                && conflict::addrs_overlap(l.local.ip(), s.local.ip(), false)
        })
    };
    for c in picks.iter_mut().flat_map(|p| &mut p.connections) {
        for e in [&mut c.target_end, &mut c.other_end] {
            if let Some(i) = e.socket.filter(|&i| awaiting_accept(&table[i])) {
                e.queued_on = listener_of(&table[i]);
            }
        }
    }
    Ok(())
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
        out.push(Conn {
            target_end: ConnEnd::new(s.local, Some(i)),
            other_end: ConnEnd::new(remote, peer_of(s)),
            state: s.state,
        });
    }
    if target.addr().is_some() {
        let known: Vec<usize> = out.iter().filter_map(|c| c.other_end.socket).collect();
        for (i, s) in table.iter().enumerate() {
            let Some(remote) = s.remote.filter(|r| is_connection(s) && at(r)) else { continue };
            if !known.contains(&i) {
                out.push(Conn {
                    target_end: ConnEnd::new(remote, None),
                    other_end: ConnEnd::new(s.local, Some(i)),
                    state: s.state,
                });
            }
        }
    }
    out
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
    /// A shared service of the machine (a database, sshd): what it is, and the note.
    service: Option<ServiceView>,
}

#[derive(Debug, serde::Serialize)]
struct EndReport {
    address: SocketAddr,
    on_this_machine: bool,
    uid: Option<u32>,
    user: Option<String>,
    hidden: bool,
    processes: Vec<HolderView>,
    /// A connection not yet accept()ed: the listener it is queued on, whose process will get it.
    queued_on: Option<HolderReport>,
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
    ephemeral_range: String,
    usual_use: Option<&'static str>,
    address_kind: Option<AddressKind>,
    address_text: Option<String>,
    reachable_from_other_machines: Option<bool>,
    holders: Vec<HolderReport>,
    connections: Vec<ConnectionReport>,
    time_wait: usize,
    hint: Option<String>,
}

fn report(
    p: &Pick,
    proto: Proto,
    table: &[Socket],
    owners: &os::holders::Owners,
    host: &Host,
) -> TargetReport {
    let (eph, v6only) = (host.ephemeral, host.v6only);
    let class = PortClass::of(p.target.port(), eph);
    let kind = p.target.addr().map(|a| conflict::address_kind(a, host.addresses.as_deref()));
    let holders: Vec<HolderReport> = p.holders.iter().map(|&i| holder(&table[i], owners, v6only)).collect();
    let end = |e: ConnEnd| end(e, table, owners, v6only);
    let connections: Vec<ConnectionReport> = p
        .connections
        .iter()
        .map(|c| ConnectionReport { state: c.state, ends: [end(c.target_end), end(c.other_end)] })
        .collect();
    let any_hidden = holders.iter().any(|h| h.hidden)
        || connections
            .iter()
            .flat_map(|c| &c.ends)
            .any(|e| (e.on_this_machine && e.hidden) || e.queued_on.as_ref().is_some_and(|q| q.hidden));
    let udp = if proto == Proto::Udp { " --udp" } else { "" };
    TargetReport {
        target: p.target.to_string(),
        proto,
        port: p.target.port().get(),
        address: p.target.addr(),
        held: !holders.is_empty(),
        port_class: class,
        port_class_text: class.describe(eph),
        ephemeral_range: eph.to_string(),
        usual_use: port::usual_use(p.target.port()),
        address_kind: kind,
        address_text: kind.zip(p.target.addr()).map(|(k, a)| k.describe(a, v6only)),
        reachable_from_other_machines: kind.map(AddressKind::reachable_from_other_machines),
        holders,
        connections,
        time_wait: p.time_wait,
        hint: any_hidden.then(|| owners.hidden_note(&format!("who {}{udp}", p.target))),
    }
}

fn holder(s: &Socket, owners: &os::holders::Owners, v6only: bool) -> HolderReport {
    let processes = owners.processes(s);
    HolderReport {
        local: s.local,
        state: s.state,
        reach: conflict::reach(s.local.ip()),
        meaning: conflict::describe_bind(s.local.ip(), v6only),
        uid: s.uid,
        user: owners.user(s.uid),
        hidden: processes.is_empty(),
        service: service(&processes, s),
        processes,
    }
}

/// What `who` and `list` say of a socket's holder that is a shared service (`core::wellknown`).
pub fn service(processes: &[HolderView], s: &Socket) -> Option<ServiceView> {
    let first = processes.first().map(|p| (p.name.as_str(), p.exe.as_deref()));
    let known = wellknown::of_holder(first, s.uid.is_some(), s.local.port())?;
    Some(known.view(processes.first().map(|p| render::escape(&p.name)).as_deref()))
}

fn end(e: ConnEnd, table: &[Socket], owners: &os::holders::Owners, v6only: bool) -> EndReport {
    let s = e.socket.map(|i| &table[i]);
    let processes = s.map(|s| owners.processes(s)).unwrap_or_default();
    let queued_on = e.queued_on.map(|l| holder(&table[l], owners, v6only));
    EndReport {
        address: e.address,
        on_this_machine: s.is_some(),
        uid: s.and_then(|s| s.uid),
        user: owners.user(s.and_then(|s| s.uid)),
        hidden: s.is_some() && processes.is_empty() && queued_on.is_none(),
        processes,
        queued_on,
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
    /// A row whose value holds command lines: cut to the line's width.
    CommandRow([String; 2]),
    Lines(Vec<String>),
}

/// The report as lines: the keys of the rows aligned, each holder's own lines under its socket.
fn human(r: &TargetReport, paint: Paint, width: Option<usize>) -> Vec<String> {
    let mut parts: Vec<Part> = Vec::new();
    let row = |k: &str, v: String| Part::Row([k.to_string(), v]);
    let holder_width = width.map(|w| w.saturating_sub(4));
    for h in &r.holders {
        let verb = if h.state == SockState::Listen { "listening on" } else { "bound to" };
        parts.push(row(&format!("  {verb}"), format!("{} — {}", h.local, h.meaning)));
        if h.processes.is_empty() {
            parts.push(row("    owner", user_text(h.user.as_deref(), h.uid)));
        }
        for p in &h.processes {
            let lines = p.lines_within(paint, holder_width);
            parts.push(Part::Lines(lines.into_iter().map(|l| format!("    {l}")).collect()));
        }
        if let Some(service) = &h.service {
            parts.push(Part::Lines(vec![format!("    note: {}", service.note)]));
        }
    }
    for c in &r.connections {
        let [a, b] = &c.ends;
        let state = if c.state == SockState::Established { "established" } else { "closing or opening" };
        parts.push(row("  connection", format!("{} <-> {} ({state})", a.address, b.address)));
        for e in [a, b] {
            parts.push(Part::CommandRow([format!("    {}", e.address), end_text(e)]));
        }
    }
    if let (Some(a), Some(text)) = (r.address, &r.address_text) {
        parts.push(row("  address", format!("{a} — {text}")));
    }
    parts.push(row("  port", r.port_class_text.clone()));
    if let Some(usual) = r.usual_use {
        parts.push(row("  usually", usual.to_string()));
    }
    if let Some(hint) = &r.hint {
        parts.push(row("  hint", hint.clone()));
    }
    let key_width = parts
        .iter()
        .filter_map(|p| match p {
            Part::Row([k, _]) | Part::CommandRow([k, _]) => Some(k.chars().count()),
            Part::Lines(_) => None,
        })
        .max()
        .unwrap_or(0);
    let value_width = width.map(|w| w.saturating_sub(key_width + 2).max(10));
    let rows: Vec<Vec<String>> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Row([k, v]) => Some(vec![k.clone(), v.clone()]),
            Part::CommandRow([k, v]) => Some(vec![k.clone(), render::shorten(v, value_width)]),
            Part::Lines(_) => None,
        })
        .collect();
    let mut aligned = render::columns(&rows).into_iter();
    let mut lines = vec![headline(r, paint)];
    for p in parts {
        match p {
            Part::Row(_) | Part::CommandRow(_) => lines.extend(aligned.next()),
            Part::Lines(l) => lines.extend(l),
        }
    }
    lines
}

fn end_text(e: &EndReport) -> String {
    if !e.on_this_machine {
        return "another machine (or not visible here)".into();
    }
    if let Some(q) = &e.queued_on {
        let by = if q.processes.is_empty() {
            format!("({}, not visible)", user_text(q.user.as_deref(), q.uid))
        } else {
            let names: Vec<String> =
                q.processes.iter().map(|p| format!("pid {} {}", p.pid, render::escape(&p.name))).collect();
            format!("of {}", names.join(", "))
        };
        return format!(
            "queued on the listener {} {by}: not yet accepted (its process has not called accept())",
            q.local
        );
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
