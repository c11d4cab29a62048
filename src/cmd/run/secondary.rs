//! Before the first launch, after the command's own port: its debuggers' ports (the Node and Deno
//! inspectors, debugpy; found by `core::secondary`). One held by someone else is moved to the
//! next free port above it, given the way the user gave it (the flag rewritten, or
//! `NODE_OPTIONS`), reserved against other portfix runs for as long as this one runs, and said in
//! one line and a `secondary` event. A port that cannot be moved (written in a package.json
//! script) is said too, and left. A debugger that still could not take its port at run time
//! (Deno's `Failed to start inspector server`: someone took it after the check) is moved the
//! same way, and the command started again on its own port.

use crate::core::freeport::Search;
use crate::core::port::Port;
use crate::core::render;
use crate::core::secondary::{Debugger, Kind};
use crate::core::socket::Proto;
use crate::os::reserve::Reservation;
use crate::os::{process, sockets};

use super::aftermath::Next;
use super::{Wrapper, events};
use crate::core::events::Event;
use crate::exit::{Failure, Outcome};

/// A debugger given another port for this run.
#[derive(Debug)]
pub(crate) struct Moved {
    pub(crate) debugger: Debugger,
    pub(crate) to: Port,
    /// Other portfix runs pass the port over while this one runs.
    _reservation: Option<Reservation>,
}

/// Moves the debuggers whose port someone else holds.
pub(crate) fn resolve(w: &Wrapper) -> anyhow::Result<Vec<Moved>> {
    let mut moved = Vec::new();
    for d in &w.settings.debuggers {
        if sockets::port_is_held(d.port, Proto::Tcp)? {
            moved.extend(relocate(w, d, d.port)?);
        }
    }
    Ok(moved)
}

/// After the command ended because a debugger could not take `failed` (Deno's `Failed to
/// start inspector server at …`, `core::bindfail`): someone took that port after the check
/// before the launch, or it was given where portfix does not look. A debugger portfix knows
/// is moved and the command started again on its own port; otherwise its exit passes through,
/// with a line that says whose port it was.
pub(crate) fn after_failure(w: &mut Wrapper, failed: Option<Port>, code: i32) -> anyhow::Result<Next> {
    let passed_through = Ok(Next::Exit(Outcome::Child(code)));
    let current = w.debuggers();
    let index = match failed {
        Some(p) => current.iter().position(|d| d.port == p.get()),
        None => current.iter().position(|d| d.kind == Kind::DenoInspector),
    };
    let at = index.map(|i| (w.settings.debuggers[i].clone(), Port::new(current[i].port)));
    let Some(port) = failed.or(at.as_ref().and_then(|(_, p)| *p)) else { return passed_through };
    if !sockets::port_is_held(port, Proto::Tcp)? {
        return passed_through;
    }
    let Some((d, _)) = at else {
        eprintln!(
            "portfix: {} could not start its inspector: port {port} is in use by {}; that is its debugger's port, not the server's",
            w.settings.display,
            holder_short(port)
        );
        eprintln!(
            "portfix: give it a free one where it is turned on (--inspect=127.0.0.1:PORT; `portfix free` finds one)"
        );
        return passed_through;
    };
    if w.relaunches.relaunches() >= w.settings.retries {
        return Err(Failure::unresolved(format!(
            "{}'s port {port} is still in use after {} relaunches",
            d.kind.describe(),
            w.settings.retries
        ))
        .with_hint("see who holds it with `portfix who PORT`, or allow more with --retries N")
        .into());
    }
    let Some(m) = relocate(w, &d, port)? else { return passed_through };
    w.moved.retain(|old| old.debugger != d);
    w.moved.push(m);
    Ok(Next::Again)
}

/// Moves `d` off `from` (its port in this run, held by someone else) to the next free port
/// above it: said in one line and a `secondary` event. `None`: it cannot be moved (said why).
fn relocate(w: &Wrapper, d: &Debugger, from: Port) -> anyhow::Result<Option<Moved>> {
    let what = d.kind.describe();
    let holder = holder_short(from);
    if !d.movable() {
        eprintln!(
            "portfix: {what}'s port {from} is in use by {holder}, and {}: portfix cannot move it",
            d.shown(from)
        );
        left(w, d, from, format!("{}: portfix cannot move it", d.shown(from)));
        return Ok(None);
    }
    let Some(search) = Search::next_after(from, None) else { return Ok(None) };
    let found = crate::os::probe::find_free(search, 1, Proto::Tcp)?;
    let Some(&to) = found.choice.ports.first() else {
        eprintln!(
            "portfix: {what}'s port {from} is in use by {holder}, and no port in {} is free",
            search.range()
        );
        left(w, d, from, format!("no port in {} is free", search.range()));
        return Ok(None);
    };
    eprintln!(
        "portfix: {what}'s port {from} is in use by {holder}; moving it to port {to} ({})",
        d.shown(to)
    );
    events::emit(&w.settings, || Event::Secondary {
        kind: d.kind,
        port: from.get(),
        holders: events::holders_on(&w.settings, from),
        to: Some(to.get()),
        given: Some(d.shown(to)),
        reason: None,
    });
    Ok(Some(Moved { debugger: d.clone(), to, _reservation: found.reserved.into_iter().next() }))
}

/// The `secondary` event of a debugger whose held port stays as it is, for `reason`.
fn left(w: &Wrapper, d: &Debugger, port: Port, reason: String) {
    events::emit(&w.settings, || Event::Secondary {
        kind: d.kind,
        port: port.get(),
        holders: events::holders_on(&w.settings, port),
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
