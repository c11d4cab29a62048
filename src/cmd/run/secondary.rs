//! Before the first launch, after the command's own port: its debuggers' ports (the Node and Deno
//! inspectors, debugpy; found by `core::secondary`). One held by someone else is moved to the
//! next free port above it, given the way the user gave it (the flag rewritten, or
//! `NODE_OPTIONS`), reserved against other portfix runs for as long as this one runs, and said in
//! one line and a `secondary` event. A port that cannot be moved (written in a package.json
//! script) is said too, and left.

use crate::core::freeport::Search;
use crate::core::port::Port;
use crate::core::render;
use crate::core::secondary::Debugger;
use crate::core::socket::Proto;
use crate::os::reserve::Reservation;
use crate::os::{process, sockets};

use super::{Wrapper, events};
use crate::core::events::Event;

/// A debugger given another port for this run.
#[derive(Debug)]
pub struct Moved {
    pub debugger: Debugger,
    pub to: Port,
    /// Other portfix runs pass the port over while this one runs.
    _reservation: Option<Reservation>,
}

/// Moves the debuggers whose port someone else holds.
pub fn resolve(w: &Wrapper) -> anyhow::Result<Vec<Moved>> {
    let mut moved = Vec::new();
    for d in &w.settings.debuggers {
        if !sockets::port_is_held(d.port, Proto::Tcp)? {
            continue;
        }
        let what = d.kind.describe();
        let holder = holder_short(d.port);
        if !d.movable() {
            eprintln!(
                "portfix: {what}'s port {} is in use by {holder}, and {}: portfix cannot move it",
                d.port,
                d.shown(d.port)
            );
            left(w, d, format!("{}: portfix cannot move it", d.shown(d.port)));
            continue;
        }
        let Some(search) = Search::next_after(d.port, None) else { continue };
        let found = crate::os::probe::find_free(search, 1, Proto::Tcp)?;
        let Some(&to) = found.choice.ports.first() else {
            eprintln!(
                "portfix: {what}'s port {} is in use by {holder}, and no port in {} is free",
                d.port,
                search.range()
            );
            left(w, d, format!("no port in {} is free", search.range()));
            continue;
        };
        eprintln!(
            "portfix: {what}'s port {} is in use by {holder}; moving it to port {to} ({})",
            d.port,
            d.shown(to)
        );
        events::emit(&w.settings, || Event::Secondary {
            kind: d.kind,
            port: d.port.get(),
            holders: events::holders_on(&w.settings, d.port),
            to: Some(to.get()),
            given: Some(d.shown(to)),
            reason: None,
        });
        moved.push(Moved { debugger: d.clone(), to, _reservation: found.reserved.into_iter().next() });
    }
    Ok(moved)
}

/// The `secondary` event of a debugger whose held port stays as it is, for `reason`.
fn left(w: &Wrapper, d: &Debugger, reason: String) {
    events::emit(&w.settings, || Event::Secondary {
        kind: d.kind,
        port: d.port.get(),
        holders: events::holders_on(&w.settings, d.port),
        to: None,
        given: None,
        reason: Some(reason),
    });
}

/// `pid N (name)` of who holds `port`, for one line.
fn holder_short(port: Port) -> String {
    let pids: Vec<u32> = sockets::holders(port, Proto::Tcp)
        .map(|held| held.iter().flat_map(|s| s.pids.iter().copied()).collect())
        .unwrap_or_default();
    match pids.first().and_then(|&pid| process::describe(&[pid]).pop()) {
        Some(p) => format!("pid {} ({})", p.pid, render::escape(&p.name)),
        None => "another process".to_string(),
    }
}
