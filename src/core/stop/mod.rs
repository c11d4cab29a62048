//! Stopping what holds a port: the decisions, with no I/O.
//!
//! Theory of operation. `os::stop::look` gathers [`Facts`] (the holding sockets with their
//! owners, those processes and their ancestors, portfix's own place in the process tree, the
//! containers that publish the port) and [`plan`] turns them into a [`StopPlan`]:
//!
//! - **The unit to stop.** The listening process; when several processes share one listening
//!   socket and one is the parent of the others (a pre-fork master and its workers), the master —
//!   stopping a worker only makes the master fork another. The workers are kept as *followers*:
//!   signalled only if they outlive their master. When the holder is part of an earlier run of a
//!   dev command (`npm start` → `sh` → `node`), the unit is that command's process group.
//!   A docker-proxy holder is replaced by the container it forwards to.
//! - **Permission.** Never pid 1, portfix itself, its ancestors or kernel threads
//!   ([`StopPlan::blocked`], exit 4). Another user's process, a system service, the init of a nested
//!   pid namespace (a container's init) or more than one process need a confirmation
//!   ([`StopPlan::confirm`]); [`gate_with`] says whether to go, ask or refuse, for `kill` and the
//!   wrapper alike.
//! - **Respawn.** After the holder ended, a new listener within [`respawn_window`] is a respawn;
//!   [`respawn_verdict`] names who restarted it and how to stop that.
//!
//! [`engine::execute`] carries the plan out through a [`Host`] (the OS's real one is
//! `os::stop::System`; the tests' is a fake with a virtual clock) and returns a [`StopReport`];
//! it prints nothing, so `portfix kill` and the wrapper each render it their own way. When
//! SIGKILL is due is `core::signal::Escalation`'s rule (at the grace); the engine sends it in
//! `kill_the_rest`. The exit code of each
//! outcome: `crate::exit`.

mod engine;
mod plan;
mod report;

use std::time::Duration;

use crate::core::holder::{self, Supervisor};

pub(crate) use engine::{Host, Options, execute};
pub(crate) use plan::*;
pub(crate) use report::*;

/// How long the port is watched after the holder ended for another process to take it back (a
/// respawn). A shell loop or nodemon restarts within tens of milliseconds, pm2 and systemd's
/// default `RestartSec=100ms` within a few hundred; a longer window would slow every `kill`.
/// It is only spent when something could restart the holder (see [`Target::watch_respawn`]).
pub(crate) const RESPAWN_WINDOW: Duration = Duration::from_millis(400);

/// The longer watch for a restarter that surely comes back but may pause first: a shell loop
/// with a `sleep`, forever's and supervisord's back-off, pm2's restart delay, systemd's
/// `RestartSec`. The watch ends early when that restarter itself has gone.
pub(crate) const RESPAWN_WINDOW_RESTARTER: Duration = Duration::from_secs(2);

/// How long to watch the port for a respawn after this holder ended.
pub(crate) fn respawn_window(supervisor: Option<&Supervisor>) -> Duration {
    use holder::SupervisorKind as K;
    match supervisor.map(|s| s.kind) {
        Some(K::ShellLoop | K::Pm2 | K::Forever | K::Supervisord | K::Systemd) => RESPAWN_WINDOW_RESTARTER,
        _ => RESPAWN_WINDOW,
    }
}

/// How long, after SIGKILL, the port gets to be released before portfix says it is still held.
pub(crate) const AFTER_KILL: Duration = Duration::from_secs(2);
