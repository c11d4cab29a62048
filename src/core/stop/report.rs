//! What a stop did: each signal's delivery, the outcome, and who restarted a respawned holder.

use crate::core::holder::Supervisor;
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::render;
use crate::core::signal::Signal;
use crate::core::socket::Proto;

use super::plan::Blocked;

/// What happened to one signal or stop request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Delivery {
    /// Delivered.
    Sent,
    /// The process had already ended.
    Gone,
    /// The pid now belongs to another process (its start time differs): nothing was sent.
    IdentityChanged,
    /// The OS refused (EPERM).
    Denied,
    /// Another failure (a `docker stop` that failed).
    Failed,
}

/// One step `execute` took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct StopStep {
    /// Milliseconds since the first signal.
    pub(crate) ms: u64,
    /// "pid 123", "process group 120", "container db".
    pub(crate) target: String,
    /// `None` for `docker stop`. Serialized as "SIGTERM".
    #[serde(serialize_with = "signal_name")]
    pub(crate) signal: Option<Signal>,
    pub(crate) result: Delivery,
}

fn signal_name<S: serde::Serializer>(sig: &Option<Signal>, s: S) -> Result<S::Ok, S::Error> {
    match sig {
        Some(sig) => s.serialize_str(&sig.to_string()),
        None => s.serialize_none(),
    }
}

/// Who took the port back after its holder ended, and how to stop that.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Respawn {
    pub(crate) pid: Option<u32>,
    pub(crate) command: String,
    /// The process that started the new holder: its supervisor, else its parent.
    pub(crate) restarter_pid: Option<u32>,
    /// Who restarted it, in words: "a shell loop (pid 4) starts it again", "restarted by pid 4
    /// (sh serve.sh)".
    pub(crate) restarter: Option<String>,
    /// How to stop the restarter: "kill 4", "systemctl stop web.service".
    pub(crate) stop: String,
    /// [`Respawn::stop`], then what to run again.
    pub(crate) how_to_stop: String,
}

impl Respawn {
    /// "port P was taken again by pid N (cmd): <who restarted it>".
    pub(crate) fn message(&self, port: Port) -> String {
        let who = self.pid.map_or_else(String::new, |p| format!("pid {p} "));
        let by = self.restarter.as_deref().unwrap_or("something restarted it");
        format!("port {port} was taken again by {who}({}): {by}", self.command)
    }
}

/// How a stop ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub(crate) enum StopOutcome {
    /// The port is free (exit 0).
    Freed { ms: u64 },
    /// Nothing held the port (exit 1); `time_wait` when only TIME_WAIT sockets are left.
    Nothing { time_wait: bool },
    /// `--dry-run`: nothing was stopped (exit 0, or 4 when it would be refused).
    DryRun,
    /// Refused (exit 4).
    NotPermitted(Blocked),
    /// The user said no at the prompt (exit 3: the port is still held).
    Declined,
    /// The port is still held (exit 3).
    StillHeld { message: String, hint: Option<String> },
    /// Another process took the port back (exit 3).
    Respawned(Respawn),
}

/// What `execute` did for one port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct StopReport {
    pub(crate) port: Port,
    pub(crate) proto: Proto,
    #[serde(flatten)]
    pub(crate) outcome: StopOutcome,
    pub(crate) actions: Vec<StopStep>,
}

/// Names who restarted the port's holder — what `core::holder::supervisor` finds in the new
/// holder's chain (a shell loop, nodemon, pm2, a systemd service…), else its parent — and how to
/// stop that.
pub(crate) fn respawn_verdict(
    port: Port,
    new: Option<&ProcessInfo>,
    parent: Option<&ProcessInfo>,
    supervisor: Option<&Supervisor>,
) -> Respawn {
    let command = new.map_or_else(|| "a process you may not see".to_string(), short_command);
    let (restarter_pid, restarter, stop) = match (supervisor, parent) {
        (Some(s), _) => (s.pid, Some(render::escape(&s.note)), render::escape(&s.stop)),
        (None, Some(p)) if p.pid > 1 => (
            Some(p.pid),
            Some(format!("restarted by pid {} ({})", p.pid, short_command(p))),
            format!("kill {}", p.pid),
        ),
        _ => (None, None, format!("find what restarts it (portfix who {port}) and stop that")),
    };
    let how_to_stop = format!("{stop}, then run portfix kill {port} again");
    Respawn { pid: new.map(|n| n.pid), command, restarter_pid, restarter, stop, how_to_stop }
}

/// A command line for one line of text: escaped, at most 80 characters.
pub(crate) fn short_command(p: &ProcessInfo) -> String {
    let full = if p.cmdline.is_empty() { render::escape(&p.name) } else { render::command_line(&p.cmdline) };
    if full.chars().count() > 80 { format!("{}…", full.chars().take(79).collect::<String>()) } else { full }
}

pub(super) fn describe_short(p: &ProcessInfo) -> String {
    let c = short_command(p);
    if c.is_empty() { "unknown command".into() } else { c }
}
