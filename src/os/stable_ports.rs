//! Stable ports on this machine: the checkout portfix runs in, and the port of (checkout, name)
//! chosen under the state's lock. `core::stable` decides which port; this probes the candidates,
//! and `os::state` keeps the file. Used by `portfix port`/`ports` and the wrapper's `--stable`.
//!
//! Every read-decide-write of the state happens under its lock, so concurrent calls (twenty
//! checkouts starting at once) take turns and each sees the others' ports: they never get the
//! same one, and the file is always whole.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use crate::core::port::PortRange;
use crate::core::socket::Proto;
use crate::core::stable::{self, Assigned, Ledger, NoPort};
use crate::core::tools::TOOLS;
use crate::exit::{Code, Failure};
use crate::os::probe::{self, Probe};
use crate::os::{reserve, state};

/// The checkout portfix runs in (`os::state::checkout`).
pub(crate) fn here() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    Ok(state::checkout(&cwd))
}

/// The port of (checkout, name), under the state's lock; and the state file's path.
pub(crate) fn assign(
    checkout: &Path,
    name: &str,
    range: Option<PortRange>,
) -> anyhow::Result<(Assigned, PathBuf)> {
    let (locked, mut st) = open()?;
    let excluded = stable::excluded_ports(TOOLS.iter().filter_map(|t| t.default_port));
    let held = probe::held_ports(Proto::Tcp)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let chosen = st
        .assign(&text(checkout), name, range, now, &excluded, |p| {
            if held.contains(&p.get()) || probe::probe(p, Proto::Tcp)? != Probe::Free {
                return Ok::<_, std::io::Error>(false);
            }
            // a port another portfix has just chosen for its command is passed over
            Ok(!matches!(reserve::try_reserve(p), Ok(None)))
        })
        .context("could not probe ports")?;
    let assigned = chosen.map_err(|no| no_port(no, range.is_some()))?;
    if assigned.changed() {
        locked
            .write(&st.to_text())
            .with_context(|| format!("could not write {}", locked.path().display()))?;
    }
    Ok((assigned, locked.path()))
}

/// The state, locked, read and parsed.
pub(crate) fn open() -> anyhow::Result<(state::Locked, Ledger)> {
    let dir = state::dir().map_err(|e| Failure::new(Code::Internal, e))?;
    let locked = state::Locked::take(&dir)
        .with_context(|| format!("could not open portfix's state in {}", dir.display()))?;
    let text = locked.read().with_context(|| format!("could not read {}", locked.path().display()))?;
    let st = Ledger::parse(&text).map_err(|e| {
        Failure::new(Code::Internal, format!("{}: {e}", locked.path().display()))
            .with_hint("move it away (or delete it): portfix then chooses stable ports again")
    })?;
    Ok((locked, st))
}

fn no_port(no: NoPort, asked: bool) -> Failure {
    let why = [
        (no.assigned, "assigned to other checkouts"),
        (no.taken, "in use"),
        (no.excluded, "passed over by rule"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect::<Vec<_>>()
    .join(", ");
    let hint = if asked {
        "give a wider --range LO-HI".to_string()
    } else {
        "give another --range LO-HI, or drop gone checkouts with `portfix ports --prune`".to_string()
    };
    Failure::new(Code::Nothing, format!("no port in {} for a stable port ({why})", no.range)).with_hint(hint)
}

/// A path as text (lossy for non-UTF-8), as the state file and `--json` keep it.
pub(crate) fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
