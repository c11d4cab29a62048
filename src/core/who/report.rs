//! The report of `who` for each target, for `--json` (serde) and for people (`human`). Pure:
//! it reads the table, the picks ([`super::select`]) and the owners portfix found.
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

use std::net::{IpAddr, SocketAddr};

use super::select::{ConnEnd, Pick};
use crate::core::conflict::{self, AddressKind, Reach};
use crate::core::holder::{HolderView, user_text};
use crate::core::owners::Owners;
use crate::core::port::{self, PortClass, PortRange};
use crate::core::render::{self, Paint};
use crate::core::socket::{Proto, SockState, Socket};
use crate::core::wellknown::{self, ServiceView};

/// What the report needs to know of this machine beyond the sockets: its ephemeral port range,
/// its own addresses (read only when a target's address could be one of them) and the IPv6
/// wildcard default.
pub(crate) struct Machine {
    pub(crate) ephemeral: PortRange,
    pub(crate) addresses: Option<Vec<IpAddr>>,
    pub(crate) v6only: bool,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct HolderReport {
    pub(crate) local: SocketAddr,
    pub(crate) state: SockState,
    pub(crate) reach: Reach,
    pub(crate) meaning: String,
    pub(crate) uid: Option<u32>,
    pub(crate) user: Option<String>,
    pub(crate) hidden: bool,
    pub(crate) processes: Vec<HolderView>,
    /// A shared service of the machine (a database, sshd): what it is, and the note.
    pub(crate) service: Option<ServiceView>,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct EndReport {
    pub(crate) address: SocketAddr,
    pub(crate) on_this_machine: bool,
    pub(crate) uid: Option<u32>,
    pub(crate) user: Option<String>,
    pub(crate) hidden: bool,
    pub(crate) processes: Vec<HolderView>,
    /// A connection not yet accept()ed: the listener it is queued on, whose process will get it.
    pub(crate) queued_on: Option<HolderReport>,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct ConnectionReport {
    pub(crate) state: SockState,
    pub(crate) ends: [EndReport; 2],
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct WhoJson<'a> {
    pub(crate) targets: &'a [TargetReport],
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct TargetReport {
    pub(crate) target: String,
    pub(crate) proto: Proto,
    pub(crate) port: u16,
    pub(crate) address: Option<IpAddr>,
    pub(crate) held: bool,
    pub(crate) port_class: PortClass,
    pub(crate) port_class_text: String,
    pub(crate) ephemeral_range: String,
    pub(crate) usual_use: Option<&'static str>,
    pub(crate) address_kind: Option<AddressKind>,
    pub(crate) address_text: Option<String>,
    pub(crate) reachable_from_other_machines: Option<bool>,
    pub(crate) holders: Vec<HolderReport>,
    pub(crate) connections: Vec<ConnectionReport>,
    pub(crate) time_wait: usize,
    pub(crate) hint: Option<String>,
}

pub(crate) fn report(
    p: &Pick,
    proto: Proto,
    table: &[Socket],
    owners: &Owners,
    host: &Machine,
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

pub(crate) fn holder(s: &Socket, owners: &Owners, v6only: bool) -> HolderReport {
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
pub(crate) fn service(processes: &[HolderView], s: &Socket) -> Option<ServiceView> {
    let first = processes.first().map(|p| (p.name.as_str(), p.exe.as_deref()));
    let known = wellknown::of_holder(first, s.uid.is_some(), s.local.port())?;
    Some(known.view(processes.first().map(|p| render::escape(&p.name)).as_deref()))
}

pub(crate) fn end(e: ConnEnd, table: &[Socket], owners: &Owners, v6only: bool) -> EndReport {
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

pub(crate) fn label(r: &TargetReport) -> String {
    match r.address {
        Some(a) => format!("{}/{}", SocketAddr::new(a, r.port), r.proto),
        None => format!("port {}/{}", r.port, r.proto),
    }
}

pub(crate) fn headline(r: &TargetReport, paint: Paint) -> String {
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

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One piece of the human report: a row of the aligned key/value table, or lines of their own
/// (a holder's `HolderView::lines`, aligned by themselves).
pub(crate) enum Part {
    Row([String; 2]),
    /// A row whose value holds command lines: cut to the line's width.
    CommandRow([String; 2]),
    Lines(Vec<String>),
}

/// The report as lines: the keys of the rows aligned, each holder's own lines under its socket.
pub(crate) fn human(r: &TargetReport, paint: Paint, width: Option<usize>) -> Vec<String> {
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

pub(crate) fn end_text(e: &EndReport) -> String {
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
