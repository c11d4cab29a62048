//! Before the first launch: the port to start on.
//!
//! - The wanted port is known: when nothing holds it, start there (one read of the socket table,
//!   no process is looked at); when it is held, resolve the conflict first, so that the command
//!   never makes a start that is bound to fail.
//! - The wanted port is unknown but the arguments hold `{port}`: take the first free port from
//!   the start of `--range`, else from 3000.
//! - Otherwise start the command as written; only a bind failure in its output can tell.
//! - With `--reuse` and no port known: an earlier run of this same command from this same
//!   directory listening on any port is used, and nothing is started.

use crate::core::freeport::{DEFAULT_START, Search};
use crate::core::port::Port;
use crate::core::socket::Proto;
use crate::exit::Failure;
use crate::os::sockets;

use super::{Wrapper, events, resolve, reuse};
use crate::core::events::Event;

/// Where the first launch starts.
pub(crate) struct Start {
    /// The port to launch on (`None`: launch the command as written).
    pub(crate) port: Option<Port>,
    /// The wanted port, when it was held and the conflict was resolved before the launch: the
    /// first launch then already carries a port portfix chose, and the no-loop rule applies to it.
    pub(crate) resolved: Option<Port>,
}

pub(crate) fn first_port(w: &Wrapper) -> anyhow::Result<Start> {
    let plan = &w.settings.plan;
    if w.settings.reuse && plan.wanted().is_none() {
        // No port to find the earlier run by: `--reuse` looks for it on any port.
        if let Some((r, holders)) = reuse::search(&w.settings) {
            let port = r.port.get();
            events::emit(&w.settings, || Event::Conflict { port, holders });
            return Err(reuse::use_it(&w.settings, &r));
        }
    }
    if let Some(wanted) = plan.wanted() {
        if !sockets::port_is_held(wanted, Proto::Tcp)? {
            return Ok(Start { port: Some(wanted), resolved: None });
        }
        let port = resolve::resolve(w, wanted)?;
        return Ok(Start { port: Some(port), resolved: Some(wanted) });
    }
    if !plan.has_placeholder() {
        return Ok(Start { port: None, resolved: None });
    }
    let search = match w.settings.range {
        Some(range) => Search::within(range, None).expect("a range is never empty"),
        None => Search::upward(Port::new(DEFAULT_START).expect("nonzero"), 1),
    };
    let found = crate::os::probe::find_free(search, 1, Proto::Tcp)?;
    w.reserve(found.reserved);
    match found.choice.ports.first() {
        Some(&p) => Ok(Start { port: Some(p), resolved: None }),
        None => Err(Failure::unresolved(format!("no free port in {} for {{port}}", search.range()))
            .with_hint("give a wider --range, or a port with -p")
            .into()),
    }
}
