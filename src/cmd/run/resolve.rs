//! A held port, resolved by policy (`core::policy::decide`): move to the next free port, stop the
//! holder, ask at a terminal, or refuse — exit 3 (4 when portfix may not stop it) with a message
//! that names the holder and the exact flags to re-run with. The holder is never touched unless
//! the policy or the user says so.

use crate::core::events::{DecisionKind, Event};
use crate::core::freeport::Search;
use crate::core::policy;
use crate::core::port::Port;
use crate::core::reuse as core_reuse;
use crate::core::signal::Signal;
use crate::core::socket::Proto;
use crate::core::stop::{self, Gate, StopOutcome};
use crate::exit::Failure;
use crate::os::stop as engine;

use super::holder::Held;
use super::prompt::{self, Reply};
use super::{Wrapper, events, reuse};

/// Resolves a conflict on `port`; returns the port to launch on. When an earlier run of this
/// same command holds it and is used (`--reuse`, or the prompt's first choice), the error is
/// [`reuse::Reused`]: the run ends with exit 0, nothing started.
pub(crate) fn resolve(w: &Wrapper, port: Port) -> anyhow::Result<Port> {
    let s = &w.settings;
    let held = Held::look(port, s)?;
    if held.view.is_none() && held.uid.is_none() && !held.hidden {
        // Whoever held it is gone already: try the port again (the no-loop rule and --retries
        // still bound this). Held by an owner no one can see (Wine gives no owner pids), it is
        // a conflict still, resolved by policy.
        return Ok(port);
    }
    events::emit(s, || Event::Conflict { port: port.get(), holders: events::holders(s, &held) });
    let reusable = reuse::find(s, &held);
    if core_reuse::without_asking(s.reuse, reusable.as_ref().map(|r| &r.instance)) {
        return Err(reuse::use_it(s, reusable.as_ref().expect("an instance to use")));
    }
    let decided = |action: DecisionKind, to: Option<Port>, reason: Option<&str>| {
        events::emit(s, || Event::Decision {
            action,
            port: port.get(),
            to: to.map(Port::get),
            reason: reason.map(String::from),
        });
    };
    match policy::decide(s.situation, held.facts, port) {
        policy::Action::Next => {
            let next = next_free(w, port)?;
            decided(DecisionKind::Next, Some(next), None);
            eprintln!("portfix: port {port} is held by {}; using port {next}", held.short());
            Ok(next)
        }
        policy::Action::Kill => {
            decided(DecisionKind::Stop, None, None);
            eprintln!("portfix: port {port} is held by {}; stopping it", held.short());
            if let Some(note) = held.note() {
                eprintln!("portfix: note: {note}");
            }
            stop(w, &held, false)?;
            Ok(port)
        }
        policy::Action::Fail(refusal) => {
            decided(DecisionKind::Abort, None, Some(&refusal.why));
            eprintln!("portfix: port {port} is in use by:");
            for line in held.lines(s.paint) {
                eprintln!("  {line}");
            }
            if let Some(note) = held.note() {
                eprintln!("  note: {note}");
            }
            Err(Failure::new(
                refusal.code(),
                format!("port {port} is held by {}: {}", held.short(), refusal.why),
            )
            .with_hint(refusal.hint)
            .into())
        }
        policy::Action::Ask { recommended, can_stop } => {
            let next = next_free(w, port).ok();
            let offer = reusable.as_ref().map(|r| core_reuse::choice(&r.url, &r.instance));
            let answer = prompt::ask(&held, next, recommended, can_stop, offer, s.paint);
            if answer.as_ref().is_err_and(anyhow::Error::is::<prompt::Interrupted>) {
                decided(DecisionKind::Abort, None, Some("interrupted at the prompt"));
            }
            match answer? {
                Reply::Reuse => match &reusable {
                    Some(r) => Err(reuse::use_it(s, r)),
                    None => Err(Failure::unresolved("nothing to reuse").into()),
                },
                Reply::Stop => {
                    decided(DecisionKind::Stop, None, None);
                    // The prompt showed why the stop needs a confirmation: picking "stop it" is one.
                    stop(w, &held, true)?;
                    Ok(port)
                }
                Reply::Use(p) => {
                    decided(DecisionKind::Next, Some(p), None);
                    Ok(p)
                }
                Reply::Abort => {
                    decided(DecisionKind::Abort, None, Some("declined at the prompt"));
                    Err(Failure::unresolved(format!(
                        "aborted: port {port} is still held by {}",
                        held.short()
                    ))
                    .into())
                }
            }
        }
    }
}

/// The next free port above `port` (within `--range` when given), reserved for this run until
/// its command listens there (see `os::reserve`).
pub(crate) fn next_free(w: &Wrapper, port: Port) -> anyhow::Result<Port> {
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
        StopOutcome::Freed { ms } => {
            eprintln!("portfix: stopped {}: port {port} is free ({ms} ms)", held.short());
            events::emit(s, || {
                let killed = report.actions.iter().any(|a| a.signal == Some(Signal::Kill));
                let how = if killed { Signal::Kill } else { s.signal };
                Event::Stopped { port: port.get(), pids: plan.pids(), how: how.name().into(), ms }
            });
            Ok(())
        }
        StopOutcome::Nothing { .. } => Ok(()),
        StopOutcome::NotPermitted(b) => Err(blocked(Failure::not_permitted(b.message), b.hint)),
        StopOutcome::StillHeld { message, hint } => Err(blocked(Failure::unresolved(message), hint)),
        StopOutcome::Respawned(r) => Err(Failure::unresolved(r.message(port))
            .with_hint(format!("to stop that: {}, then run the command again", r.stop))
            .into()),
        StopOutcome::Declined | StopOutcome::DryRun => {
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
