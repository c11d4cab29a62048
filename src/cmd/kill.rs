//! `portfix kill <PORT>...`: stop what holds each port, gently first, and prove it is free.
//!
//! For each port: look up the holders and plan the unit to stop (`core::stop::plan`), show it,
//! ask when the plan needs a confirmation and a prompt is possible, then stop it
//! (`os::stop::execute`) and say how it ended. A confirmation declined at the prompt exits 3
//! (the conflict is not resolved, as in the wrapper); a confirmation that cannot be asked (off a
//! terminal, or with `CI` set) and was not given with `-y` exits 4.
//!
//! Exit: 0 every port held is free (or `--dry-run` with a plan), 1 nothing held any of them,
//! 3 not freed (declined, still held, respawned), 4 not permitted. With several ports the worst
//! of them wins.
//!
//! `--json` prints one array, one object per port:
//!
//! ```json
//! [{
//!   "port": 3000, "proto": "tcp",
//!   "outcome": "freed",            // or nothing | dry-run | not-permitted | declined | still-held | respawned
//!   "ms": 41,                      // freed: until the port was free and every signalled process gone
//!   "time_wait": false,            // nothing: only TIME_WAIT sockets are left on the port
//!   "message": "...", "hint": "...",                 // not-permitted, still-held
//!   "pid": 812, "command": "python3 h.py",           // respawned: the new holder
//!   "restarter_pid": 790, "restarter": "a shell loop (pid 790) starts it again",
//!   "stop": "kill 790", "how_to_stop": "kill 790, then run portfix kill 3000 again",
//!   "targets": [{"unit": {"kind": "process", "pid": 700},   // or group {pgid, leader}, container {id, name}
//!                "pid": 700, "command": "node server.js", "user": "dev", "age_secs": 95,
//!                "why": "it listens on port 3000", "followers": [701, 702],
//!                "suspended": false, "tty": "/dev/pts/3",     // tty absent when it has none
//!                "service": {"name": "redis", "what": "...", "affects": "...",
//!                            "probably": false, "note": "..."}}],  // a shared service, else absent
//!   "confirm": ["pid 700 (...) belongs to another user (nobody)"],
//!   "actions": [{"ms": 0, "target": "pid 700", "signal": "SIGTERM", "result": "sent"}]
//! }]
//! ```
//! `result` is one of sent, gone, identity-changed (the pid is another process now: nothing
//! sent), denied, failed. Fields that do not apply to an outcome are absent.

use std::io::{IsTerminal as _, Write as _};

use crate::cli::KillArgs;
use crate::core::holder;
use crate::core::process::ProcessInfo;
use crate::core::render;
use crate::core::socket::Proto;
use crate::core::stop::{self, Delivery, Gate, StopOutcome, StopPlan, StopReport, Unit};
use crate::core::wellknown::{self, ServiceView};
use crate::exit::Outcome as Exit;
use crate::os::stop::{self as engine, Options};

pub(crate) fn run(args: KillArgs) -> anyhow::Result<Exit> {
    let KillArgs { ports, signal, grace, dry_run, yes, udp, json: as_json } = args;
    let interactive = stop::interactive(
        std::io::stdin().is_terminal(),
        std::io::stderr().is_terminal(),
        std::env::var("CI").ok().as_deref(),
    );
    let opts = Options { signal, grace, yes, interactive: interactive && !as_json };
    let proto = if udp { Proto::Udp } else { Proto::Tcp };
    let mut codes = Vec::new();
    let mut json = Vec::new();
    let mut out = crate::out::stdout();
    for &port in &ports {
        let plan = engine::look(port, proto)?;
        if !as_json {
            show_plan(&mut out, &plan)?;
        }
        let report = if dry_run {
            plan_only(&plan, &opts)
        } else {
            out.flush()?;
            engine::execute(&plan, &opts, &mut crate::os::terminal::confirm_stop)
        };
        codes.push(report.outcome.code());
        if as_json {
            json.push(serde_json::to_value(to_json(&plan, &report))?);
        } else {
            show_report(&mut out, &plan, &report, &opts, dry_run)?;
        }
    }
    if as_json {
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    }
    Ok(Exit::Code(crate::exit::combined_code(&codes)))
}

/// `--dry-run`: what `execute` would do, without doing it.
fn plan_only(plan: &StopPlan, opts: &Options) -> StopReport {
    let outcome = match stop::gate(plan, opts.yes, opts.interactive) {
        Gate::Refuse(b) => StopOutcome::NotPermitted(b),
        _ if plan.targets.is_empty() => StopOutcome::Nothing { time_wait: plan.time_wait },
        _ => StopOutcome::DryRun,
    };
    StopReport { port: plan.port, proto: plan.proto, outcome, actions: Vec::new() }
}

fn age_secs(p: &ProcessInfo) -> Option<u64> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    p.start_time.map(|s| now.saturating_sub(s))
}

fn holder_line(p: &ProcessInfo) -> String {
    let mut facts = Vec::new();
    if let Some(u) = p.user.clone().or_else(|| p.uid.map(|u| format!("uid {u}"))) {
        facts.push(format!("user {}", render::escape(&u)));
    }
    if let Some(a) = age_secs(p) {
        facts.push(format!("up {}", render::age(a)));
    }
    if let Some(cwd) = &p.cwd {
        facts.push(format!("in {}", render::escape(&cwd.to_string_lossy())));
    }
    format!("pid {} `{}` ({})", p.pid, stop::short_command(p), facts.join(", "))
}

fn show_plan(out: &mut impl std::io::Write, plan: &StopPlan) -> std::io::Result<()> {
    for t in &plan.targets {
        writeln!(out, "port {}/{}: {}", plan.port, plan.proto, holder_line(&t.holder))?;
        if let Some(l) = &t.leader {
            writeln!(out, "  started by {}", holder_line(l))?;
        }
        writeln!(out, "  stop {}: {}", t.unit.name(), t.why)?;
        // A shared service (a database, sshd): said before any question; stopped when asked.
        if let Some(service) = service(plan, &t.holder) {
            writeln!(out, "  note: {}", service.note)?;
        }
        if t.holder.suspended {
            writeln!(
                out,
                "  pid {} is {}: SIGCONT follows the signal so that it can exit now",
                t.holder.pid,
                holder::suspended_text(t.holder.tty.as_deref())
            )?;
        }
    }
    Ok(())
}

/// What the holder is when it is a shared service of the machine (`core::wellknown`).
fn service(plan: &StopPlan, p: &ProcessInfo) -> Option<ServiceView> {
    let exe = p.exe.as_deref().and_then(|e| e.to_str());
    let known = wellknown::of_holder(Some((&p.name, exe)), true, plan.port.get())?;
    Some(known.view(Some(&render::escape(&p.name))))
}

fn show_report(
    out: &mut impl std::io::Write,
    plan: &StopPlan,
    report: &StopReport,
    opts: &Options,
    dry_run: bool,
) -> std::io::Result<()> {
    let port = plan.port;
    for a in &report.actions {
        let what = a.signal.map_or_else(|| "docker stop".to_string(), |s| s.to_string());
        let result = match a.result {
            Delivery::Sent => "sent",
            Delivery::Gone => "already ended",
            Delivery::IdentityChanged => "not sent: that pid is another process now",
            Delivery::Denied => "refused by the system",
            Delivery::Failed => "failed",
        };
        writeln!(out, "  {what} to {} at {} ms: {result}", a.target, a.ms)?;
    }
    match &report.outcome {
        StopOutcome::Freed { ms } => writeln!(out, "port {port} is free ({ms} ms)")?,
        StopOutcome::DryRun => {
            let ask = if plan.confirm.is_empty() || opts.yes { "" } else { "after asking, " };
            writeln!(
                out,
                "dry run: would {ask}send {} to {}, wait up to {} for port {port} to be free, then SIGKILL; nothing was stopped",
                opts.signal,
                plan.targets.iter().map(|t| t.unit.name()).collect::<Vec<_>>().join(", "),
                render_duration(opts.grace),
            )?;
        }
        StopOutcome::Nothing { time_wait: false } => {
            eprintln!("portfix: nothing holds port {port}/{}", plan.proto);
        }
        StopOutcome::Nothing { time_wait: true } => {
            eprintln!(
                "portfix: nothing holds port {port}: only TIME_WAIT sockets are left (closed connections, gone in about a minute); nothing to stop"
            );
            eprintln!("portfix: a server that sets SO_REUSEADDR (most do) can bind port {port} now");
        }
        StopOutcome::NotPermitted(b) => {
            eprintln!("portfix: {}{}", if dry_run { "dry run: would refuse: " } else { "" }, b.message);
            if let Some(h) = &b.hint {
                eprintln!("portfix: {h}");
            }
        }
        StopOutcome::Declined => eprintln!("portfix: not stopped; port {port} is still held"),
        StopOutcome::StillHeld { message, hint } => {
            eprintln!("portfix: {message}");
            if let Some(h) = hint {
                eprintln!("portfix: {h}");
            }
        }
        StopOutcome::Respawned(r) => {
            eprintln!("portfix: {}; to stop that: {}", r.message(port), r.how_to_stop);
        }
    }
    Ok(())
}

fn render_duration(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

#[derive(serde::Serialize)]
struct JsonTarget<'a> {
    unit: &'a Unit,
    pid: u32,
    command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    age_secs: Option<u64>,
    why: &'a str,
    followers: Vec<u32>,
    suspended: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tty: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<ServiceView>,
}

#[derive(serde::Serialize)]
struct JsonPort<'a> {
    #[serde(flatten)]
    report: &'a StopReport,
    targets: Vec<JsonTarget<'a>>,
    confirm: &'a [String],
}

fn to_json<'a>(plan: &'a StopPlan, report: &'a StopReport) -> JsonPort<'a> {
    JsonPort {
        report,
        targets: plan
            .targets
            .iter()
            .map(|t| JsonTarget {
                unit: &t.unit,
                pid: t.holder.pid,
                command: stop::short_command(&t.holder),
                user: t.holder.user.clone(),
                age_secs: age_secs(&t.holder),
                why: &t.why,
                followers: t.followers.iter().map(|f| f.pid).collect(),
                suspended: t.holder.suspended,
                tty: t.holder.tty.as_deref(),
                service: service(plan, &t.holder),
            })
            .collect(),
        confirm: &plan.confirm,
    }
}
