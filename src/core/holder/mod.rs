//! What a holder's process details mean, and how to show them. Pure: it reads `ProcessInfo`
//! values that `os::process` filled in.
//!
//! Every function here takes a **chain**: the holder first, then its parents, nearest first —
//! what `os::process::chain(pid, max)` returns.
//!
//! - [`supervisor`]: what would start the holder again if it were stopped (nodemon, pm2, a shell
//!   loop, a systemd service, a container…) and how to stop *that*.
//! - [`dev_command_root`]: for a dev command run through a package manager (`npm start` → `sh -c`
//!   → `node`), the package manager's process: the top of that run.
//! - [`same_run`] / [`earlier_run`]: is this an earlier run of the command the wrapper is about
//!   to start, in the same directory?
//! - [`HolderView`]: one holder for people (`lines`) and for `--json` (serde).
//!
//! How the chain is read. Walking up from the holder, some parents only pass a command on:
//! a shell running `-c` without a loop (npm's script shell), a package manager, an interpreter
//! (a dev server's parent process, such as `next dev` or vite's), `cargo run`, `go run`. The walk
//! goes through those; the first other process ends it — if it is a supervisor, that is the
//! answer, if not (an interactive shell, a terminal, a test harness, an IDE), nothing restarts
//! the holder. Stopping there keeps a build script or a login shell far up the tree from being
//! blamed.

mod command;
mod restart;
mod same_run;
mod view;

pub(crate) use self::restart::{Supervisor, SupervisorKind, supervisor};
pub(crate) use self::same_run::{dev_command_root, earlier_run, same_run};
pub(crate) use self::view::{HolderView, suspended_text, user_text};

#[cfg(test)]
mod tests;
