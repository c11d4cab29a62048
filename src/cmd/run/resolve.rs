//! A held port, resolved by policy (`core::policy::decide`): move to the next free port, stop the
//! holder, ask at a terminal, or refuse — exit 3 (4 when portfix may not stop it) with a message
//! that names the holder and the exact flags to re-run with. The holder is never touched unless
//! the policy or the user says so.

use crate::core::freeport::Search;
use crate::core::policy::{self, Action};
use crate::core::port::Port;
use crate::core::socket::Proto;
use crate::core::stop::{self, Gate, Outcome};
use crate::exit::Failure;
use crate::os::stop as engine;

use super::Wrapper;
use super::holder::Held;
use super::prompt::{self, Answer};

/// Resolves a conflict on `port`; returns the port to launch on.
pub fn resolve(w: &Wrapper, port: Port) -> anyhow::Result<Port> {
    let s = &w.settings;
    let held = Held::look(port, s)?;
    if held.view.is_none() && held.uid.is_none() && !held.hidden {
        // Whoever held it is gone already: try the port again (the no-loop rule and --retries
        // still bound this). Held by an owner no one can see (Wine gives no owner pids), it is
        // a conflict still, resolved by policy.
        return Ok(port);
    }
    match policy::decide(s.situation, held.facts, port) {
        Action::Next => {
            let next = next_free(w, port)?;
            eprintln!("portfix: port {port} is held by {}; using port {next}", held.short());
            Ok(next)
        }
        Action::Kill => {
            eprintln!("portfix: port {port} is held by {}; stopping it", held.short());
            if let Some(note) = held.note() {
                eprintln!("portfix: note: {note}");
            }
            stop(w, &held, false)?;
            Ok(port)
        }
        Action::Fail(refusal) => {
            eprintln!("portfix: port {port} is in use by:");
            for line in held.lines(s.paint) {
                eprintln!("  {line}");
            }
            if let Some(note) = held.note() {
                eprintln!("  note: {note}");
            }
            Err(Failure::new(
                refusal.code,
                format!("port {port} is held by {}: {}", held.short(), refusal.why),
            )
            .with_hint(refusal.hint)
            .into())
        }
        Action::Ask { recommended, can_stop } => {
            let next = next_free(w, port).ok();
            match prompt::ask(&held, next, recommended, can_stop, s.paint)? {
                Answer::Stop => {
                    // The prompt showed why the stop needs a confirmation: picking "stop it" is one.
                    stop(w, &held, true)?;
                    Ok(port)
                }
                Answer::Use(p) => Ok(p),
                Answer::Abort => Err(Failure::unresolved(format!(
                    "aborted: port {port} is still held by {}",
                    held.short()
                ))
                .into()),
            }
        }
    }
}

/// The next free port above `port` (within `--range` when given), reserved for this run until
/// its command listens there (see `os::reserve`).
pub fn next_free(w: &Wrapper, port: Port) -> anyhow::Result<Port> {
    let s = &w.settings;
    let Some(search) = Search::next_after(port, s.range) else {
        return Err(Failure::unresolved(format!("no port left above {port} to move to"))
            .with_hint("give a --range LO-HI to look in")
            .into());
    };
    let found = crate::os::probe::find_free(search, 1, Proto::Tcp)?;
    w.reserve(found.reserved);
    match found.choice.ports.first() {
        Some(&p) => Ok(p),
        None => Err(Failure::unresolved(format!("no free port in {} to move to", search.range()))
            .with_hint("give a wider --range LO-HI")
            .into()),
    }
}

/// Stops the holder with the stopping engine, under the rules of `portfix kill`
/// (`core::stop::gate_with`): never a protected process; another user's process, a system
/// service, a namespace's init or several processes only with a confirmation — `-y`, the
/// prompt's "stop it" (`confirmed`), or a yes asked here at a terminal; off a terminal without
/// one, exit 4 with the reason and the command line that confirms. Then identity re-checked
/// before each signal, `--signal`, SIGKILL after `--grace`, every signalled process waited for,
/// a respawn named with what restarts it.
fn stop(w: &Wrapper, held: &Held, confirmed: bool) -> anyhow::Result<()> {
    let s = &w.settings;
    let port = held.port;
    let Some(plan) = &held.stop_plan else {
        return Err(
            Failure::unresolved(format!("cannot stop {}: portfix does not see it", held.short())).into()
        );
    };
    let interactive = s.situation.terminal && !s.situation.ci;
    let yes = confirmed || s.situation.yes;
    let rerun = format!("portfix -y --kill -p {port} -- {}", s.display);
    match stop::gate_with(plan, yes, interactive, &rerun) {
        Gate::Refuse(b) => return Err(blocked(Failure::not_permitted(b.message), b.hint)),
        Gate::Ask if !crate::os::terminal::confirm_stop(plan) => {
            return Err(Failure::unresolved(format!(
                "not stopped: port {port} is still held by {}",
                held.short()
            ))
            .into());
        }
        Gate::Ask | Gate::Go => {}
    }
    let opts = engine::Options { signal: s.signal, grace: s.grace, yes: true, interactive: false };
    let report = engine::execute(plan, &opts, &mut |_| true);
    match report.outcome {
        Outcome::Freed { ms } => {
            eprintln!("portfix: stopped {}: port {port} is free ({ms} ms)", held.short());
            Ok(())
        }
        Outcome::Nothing { .. } => Ok(()),
        Outcome::NotPermitted(b) => Err(blocked(Failure::not_permitted(b.message), b.hint)),
        Outcome::StillHeld { message, hint } => Err(blocked(Failure::unresolved(message), hint)),
        Outcome::Respawned(r) => Err(Failure::unresolved(r.message(port))
            .with_hint(format!("to stop that: {}, then run the command again", r.stop))
            .into()),
        Outcome::Declined | Outcome::DryRun => {
            Err(Failure::unresolved(format!("port {port} is still held by {}", held.short())).into())
        }
    }
}

fn blocked(f: Failure, hint: Option<String>) -> anyhow::Error {
    match hint {
        Some(h) => f.with_hint(h).into(),
        None => f.into(),
    }
}
