//! After a launch ended: was it a port conflict, and can relaunching help?
//!
//! A conflict is a bind failure the recogniser saw in the output, or — when the output said
//! nothing portfix recognises — a non-zero exit within [`QUICK_FAILURE`] of the start while the
//! port it was launched on is held by another process. A failure that names no port is
//! attributed: to the port it was launched on, else to a port written in its arguments that is
//! now held, else to the port it announced it was binding before the failure, if that is held. Then `Relaunches::judge` applies the no-loop rule and `--retries`.
//! A failure on a debugger's port (Deno's inspector) is not the command's: `secondary` moves
//! the debugger and the command is launched again on its own port.

use std::time::Duration;

use crate::core::bindfail::{Behaviour, Cause};
use crate::core::plan::PLACEHOLDER;
use crate::core::policy::Verdict;
use crate::core::port::Port;
use crate::core::render;
use crate::core::socket::Proto;
use crate::exit::{Failure, Outcome};
use crate::os::sockets;

use super::launch::Ended;
use super::{Wrapper, refused, resolve, secondary};

/// A non-zero exit this soon after the start, with the port held by another process, is taken
/// for a conflict even when the output said nothing portfix recognises.
pub(crate) const QUICK_FAILURE: Duration = Duration::from_secs(3);

/// What to do after a launch.
pub(crate) enum Next {
    Exit(Outcome),
    Relaunch(Port),
    /// Launch again on the same port (a debugger of the command was moved).
    Again,
}

pub(crate) fn judge(w: &mut Wrapper, launched_on: Option<Port>, ended: &Ended) -> anyhow::Result<Next> {
    let passed_through = Ok(Next::Exit(Outcome::Child(ended.code)));
    if ended.interrupted || ended.confirmed {
        return passed_through;
    }
    // A move by itself counts when the command was stopped for it (any policy but --next).
    let failure = ended
        .detected
        .as_ref()
        .filter(|d| ended.moved_from.is_some() || !matches!(d.behaviour, Behaviour::Moved { .. }));
    // A debugger's port (Deno's inspector), not the command's own: move the debugger.
    if let Some(d) = failure.filter(|d| d.debugger) {
        return secondary::after_failure(w, d.port, ended.code);
    }
    let held = |p: Port| sockets::port_is_held(p, Proto::Tcp).unwrap_or(false);
    let named = match (ended.moved_from, failure) {
        (Some(left), _) => Some(left),
        (None, Some(d)) => d.port,
        (None, None) => match launched_on {
            Some(p) if ended.code != 0 && ended.ran_for < QUICK_FAILURE && held(p) => {
                eprintln!(
                    "portfix: {} exited with status {} right after its start, and port {p} is held by another process",
                    w.settings.display, ended.code
                );
                Some(p)
            }
            _ => return passed_through,
        },
    };
    // Refused for lack of privilege, not in use (`refused`): unless it was a permission error
    // about something else, the command's output is all there is to it.
    let denied = failure.filter(|d| matches!(d.cause, Cause::Denied { .. }));
    if denied.is_some_and(|d| !refused::applies(d, named.or(launched_on))) {
        return passed_through;
    }
    // The command's tree has ended: whoever holds its port now is another process.
    let launched_held = launched_on.is_some_and(held);
    match w.relaunches.judge(named, launched_held) {
        Verdict::Resolve { port } => {
            // Which port a failure that names none meant: the port it was given (the tool's
            // default among them), a port in its command line, then the port it was seen
            // trying (announced before the failure), each only while another process holds it.
            let port = port.or(launched_on).or_else(|| crate::core::port::port_in_args(&w.settings.command, held)).or_else(|| {
                let tried = failure.and_then(|d| d.announced).filter(|&p| held(p))?;
                eprintln!(
                    "portfix: {} did not say which port failed; it said it was starting on port {tried}, which is held",
                    w.settings.display
                );
                Some(tried)
            });
            let Some(port) = port else {
                let line = failure.map_or(String::new(), |d| format!(" ({})", render::escape(&d.line)));
                eprintln!(
                    "portfix: {} failed to bind a port{line} but did not say which",
                    w.settings.display
                );
                eprintln!(
                    "portfix: tell portfix the port with -p PORT, or put {PLACEHOLDER} where the command takes it"
                );
                return passed_through;
            };
            if denied.is_some() {
                return refused::resolve(w, port);
            }
            Ok(Next::Relaunch(resolve::resolve(w, port)?))
        }
        verdict @ Verdict::IgnoresInjection { .. } => {
            let (message, hint) = verdict
                .fix(
                    &w.settings.display,
                    &render::command_line(&w.settings.plan.with_port_flag()),
                    w.settings.plan.env_names(),
                )
                .expect("a fix for this verdict");
            Err(Failure::unresolved(message).with_hint(hint).into())
        }
        Verdict::OutOfRetries { retries } => {
            let port = named.or(launched_on).map_or(String::new(), |p| format!(" on port {p}"));
            Err(Failure::unresolved(format!(
                "{} still fails to bind{port} after {retries} relaunch{}",
                w.settings.display,
                if retries == 1 { "" } else { "es" }
            ))
            .with_hint("see who holds it with `portfix who PORT`, or allow more with --retries N")
            .into())
        }
    }
}
