//! After a launch ended: was it a port conflict, and can relaunching help?
//!
//! A conflict is a bind failure the recogniser saw in the output, or — when the output said
//! nothing portfix recognises — a non-zero exit within [`QUICK_FAILURE`] of the start while the
//! port it was launched on is held by another process. A failure that names no port is
//! attributed: to the port it was launched on, else to a port written in its arguments that is
//! now held, else to the port it announced it was binding before the failure, if that is held. Then `Relaunches::judge` applies the no-loop rule and `--retries`.

use std::time::Duration;

use crate::core::bindfail::{Behaviour, Cause};
use crate::core::plan::PLACEHOLDER;
use crate::core::policy::Verdict;
use crate::core::port::{Port, parse_port};
use crate::core::render;
use crate::core::socket::Proto;
use crate::exit::{Failure, Outcome};
use crate::os::sockets;

use super::launch::Ended;
use super::{Wrapper, refused, resolve};

/// A non-zero exit this soon after the start, with the port held by another process, is taken
/// for a conflict even when the output said nothing portfix recognises.
pub const QUICK_FAILURE: Duration = Duration::from_secs(3);

/// What to do after a launch.
pub enum Next {
    Exit(Outcome),
    Relaunch(Port),
}

pub fn judge(w: &mut Wrapper, launched_on: Option<Port>, ended: &Ended) -> anyhow::Result<Next> {
    let passed_through = Ok(Next::Exit(Outcome::Child(ended.code)));
    if ended.interrupted || ended.confirmed {
        return passed_through;
    }
    // A move by itself counts when the command was stopped for it (any policy but --next).
    let failure = ended
        .detected
        .as_ref()
        .filter(|d| ended.moved_from.is_some() || !matches!(d.behaviour, Behaviour::Moved { .. }));
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
            let port = port.or(launched_on).or_else(|| port_in_args(&w.settings.command, held)).or_else(|| {
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

/// A port written anywhere in the command's arguments (`8080`, `host:8080`, `--x=8080`) that is
/// now held: the likely victim of a failure that named no port.
fn port_in_args(command: &[String], held: impl Fn(Port) -> bool) -> Option<Port> {
    command
        .iter()
        .skip(1)
        .filter_map(|a| {
            let tail = a.rsplit([':', '=']).next().unwrap_or(a);
            tail.bytes().all(|b| b.is_ascii_digit()).then(|| parse_port(tail).ok()).flatten()
        })
        .find(|&p| held(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_in_arguments_that_are_held() {
        let argv = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let held = |p: Port| p.get() == 8123 || p.get() == 9000;
        for (cmd, want) in [
            ("node srv.js 8123", Some(8123)),
            ("node srv.js --listen-on=localhost:8123", Some(8123)),
            ("node srv.js --workers 4 9000", Some(9000)),
            ("node srv.js 8124 0 99999 abc", None),
            // argv[0] is never read
            ("9000", None),
        ] {
            assert_eq!(port_in_args(&argv(cmd), held).map(Port::get), want, "{cmd}");
        }
    }
}
