//! A bind the OS refused (`core::denied`: EACCES, WSAEACCES), not a port in use: nothing holds
//! it, so there is no one to stop. Said as what it is (`port 80 is privileged here: …`), then
//! by policy (`core::privilege::decide`): move to a free unprivileged port (`--next`, `-y`),
//! ask at a terminal (move, another port, abort), or exit 5 with the flag to re-run with and the
//! exact command that allows the port.

use crate::core::bindfail::{Cause, Detected};
use crate::core::freeport::Search;
use crate::core::port::Port;
use crate::core::privilege::{self, Decision, Rules};
use crate::core::socket::Proto;
use crate::exit::Failure;
use crate::os;

use super::Wrapper;
use super::aftermath::Next;
use super::prompt::{self, Reply};

/// Whether a refusal seen in the output is one for `port` (the port it names, else the one the
/// command was launched on): certain when the line said it was the bind, else only when the
/// port needs privilege here (a permission error about a file reads the same).
pub(crate) fn applies(d: &Detected, port: Option<Port>) -> bool {
    match d.cause {
        Cause::Denied { certain: true } => true,
        Cause::Denied { certain: false } => port.is_some_and(|p| os::privilege::rules().needs_privilege(p)),
        Cause::InUse => false,
    }
}

/// Resolves a refused `port`; the port to relaunch on.
pub(crate) fn resolve(w: &Wrapper, port: Port) -> anyhow::Result<Next> {
    let s = &w.settings;
    let rules = os::privilege::rules();
    eprintln!("portfix: {}", rules.why(port));
    match privilege::decide(s.situation, port, rules, &s.display) {
        Decision::Move => {
            let to = move_to(w, port, rules)?;
            eprintln!("portfix: using port {to} instead");
            Ok(Next::Relaunch(to))
        }
        Decision::Ask => {
            let next = move_to(w, port, rules).ok();
            match prompt::ask_refused(port, next, &rules.allow(port, &s.display), s.paint)? {
                Reply::Use(p) => Ok(Next::Relaunch(p)),
                Reply::Reuse | Reply::Stop | Reply::Abort => {
                    Err(Failure::refused(format!("aborted: port {port} is privileged here")).into())
                }
            }
        }
        Decision::Fail(r) => {
            Err(Failure::new(r.code(), format!("port {port} is privileged here: {}", r.why))
                .with_hint(r.hint)
                .into())
        }
    }
}

/// A free port the OS will not refuse, from where `core::privilege` says (80 → 8080), within
/// `--range` when given (from its first unprivileged port); reserved for this run.
fn move_to(w: &Wrapper, port: Port, rules: Rules) -> anyhow::Result<Port> {
    let first = Port::new(rules.first_unprivileged().max(1)).expect("nonzero");
    let search = match (w.settings.range, rules.move_from(port)) {
        (Some(r), _) => Search::within(r, Some(first.max(r.lo))),
        (None, Some(from)) => Some(Search::upward(from, 1)),
        (None, None) => None,
    };
    let Some(search) = search else {
        return Err(Failure::refused(format!("no unprivileged port to move to from {port}"))
            .with_hint("give a --range LO-HI of ports from 1024 up")
            .into());
    };
    let found = crate::os::probe::find_free(search, 1, Proto::Tcp)?;
    w.reserve(found.reserved);
    match found.choice.ports.first() {
        Some(&p) => Ok(p),
        None => Err(Failure::refused(format!("no free port in {} to move to", search.range()))
            .with_hint("give a wider --range LO-HI")
            .into()),
    }
}
