//! `--events FILE` (or `-`: standard error, when that is not a terminal): the wrapper's events
//! (`core::events`), one JSON line each, written in one `write` as it happens (no buffer to
//! flush, so a reader following the file sees each line at once).
//!
//! A write that fails (a full disk, a reader that has gone) is dropped: the events are a view
//! of the run, never a reason to stop the command.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::core::events::{Event, EventHolder};
use crate::core::holder;
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::socket::Proto;
use crate::exit::Failure;
use crate::os::{process, sockets};

use super::Settings;
use super::holder::Held;

/// Where the events go.
pub(crate) struct Log {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Log {
    /// Opens `--events` `spec`: `-` for standard error (refused when it is a terminal: the
    /// lines would be lost among the command's output), else a file, created or truncated.
    pub(crate) fn open(spec: &OsStr, stderr_terminal: bool) -> Result<Log, Failure> {
        let out: Box<dyn Write + Send> = if spec == "-" {
            if stderr_terminal {
                return Err(Failure::usage(
                    "--events -: standard error is a terminal; give a file (--events FILE), or redirect 2> FILE",
                ));
            }
            Box::new(std::io::stderr())
        } else {
            let path = Path::new(spec);
            let file = std::fs::File::create(path).map_err(|e| {
                Failure::usage(format!("--events {}: cannot write there ({e})", path.display()))
                    .with_hint("give a file in a directory that exists and that you may write to")
            })?;
            Box::new(file)
        };
        Ok(Log { out: Mutex::new(out) })
    }

    /// Writes one event, as one line in one write.
    pub(crate) fn write(&self, event: &Event) {
        let mut line = event.line();
        line.push('\n');
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.as_bytes());
        }
    }
}

/// Writes the event that `make` builds, when `--events` was given (nothing is built otherwise).
pub(crate) fn emit(s: &Settings, make: impl FnOnce() -> Event) {
    if let Some(log) = &s.events {
        log.write(&make());
    }
}

/// A process for events. `same_project`: an earlier run of this same command from this same
/// directory.
pub(crate) fn holder(p: &ProcessInfo, same_project: bool) -> EventHolder {
    EventHolder {
        pid: Some(p.pid),
        name: Some(p.name.clone()),
        cmdline: p.cmdline.clone(),
        cwd: p.cwd.as_ref().map(|d| d.to_string_lossy().into_owned()),
        user: p.user.clone(),
        uid: p.uid,
        same_project,
    }
}

/// A holder whose process cannot be seen: its uid, when the socket table gives one.
pub(crate) fn hidden(uid: Option<u32>) -> EventHolder {
    EventHolder {
        pid: None,
        name: None,
        cmdline: Vec::new(),
        cwd: None,
        user: uid.and_then(process::user_name),
        uid,
        same_project: false,
    }
}

/// Whether `pid` is (a process of) an earlier run of the command about to start.
pub(crate) fn same_project(s: &Settings, pid: u32) -> bool {
    let Some(cwd) = &s.cwd else { return false };
    holder::earlier_run(&process::chain(pid, 8), &s.command, cwd).is_some()
}

/// Every process that holds `port` (TCP), for the `secondary` event: by what the socket table
/// shows now.
pub(crate) fn holders_on(s: &Settings, port: Port) -> Vec<EventHolder> {
    let sockets = sockets::holders(port, Proto::Tcp).unwrap_or_default();
    let mut pids: Vec<u32> = sockets.iter().flat_map(|k| k.pids.iter().copied()).collect();
    pids.sort_unstable();
    pids.dedup();
    let mut out: Vec<EventHolder> =
        process::describe(&pids).iter().map(|p| holder(p, same_project(s, p.pid))).collect();
    if out.is_empty() {
        out.push(hidden(sockets.iter().find_map(|k| k.uid)));
    }
    out
}

/// Every process that holds the port, for the `conflict` event.
pub(crate) fn holders(s: &Settings, held: &Held) -> Vec<EventHolder> {
    let mut out = Vec::new();
    for &pid in &held.pids {
        if let Some(first) = held.chain.first().filter(|p| p.pid == pid) {
            out.push(holder(first, held.facts.same_command));
        } else if let Some(p) = process::describe(&[pid]).pop() {
            out.push(holder(&p, same_project(s, pid)));
        }
    }
    if out.is_empty() {
        out.push(hidden(held.uid));
    }
    out
}
