//! `portfix port [NAME] [--range LO-HI] [--json] [-- COMMAND]` and `portfix ports [--prune]
//! [--json]`: stable ports, one per checkout and name (`core::stable` decides, `os::stable`
//! chooses under the state's lock, `os::state` keeps the file).
//!
//! Every read-decide-write of the state happens under its lock, so concurrent calls (twenty
//! checkouts starting at once) take turns and each sees the others' ports: they never get the
//! same one, and the file is always whole.
//!
//! # JSON shapes
//!
//! ```text
//! portfix port --json:
//! {"port": 20417, "name": "dev", "checkout": "/home/me/shop",
//!  "chosen": "kept",                  // "kept" | "new" | "moved" (into the --range asked for)
//!  "previous": null,                  // "moved": the port it had
//!  "state_file": "/home/me/.local/state/portfix/ports.json"}
//! portfix ports --json:
//! {"ports": [{"port": 20417, "name": "dev", "checkout": "/home/me/shop",
//!             "checkout_exists": true,
//!             "listening": true,      // something listens on the port now
//!             "pids": [812],          // who (empty when hidden, or nothing listens)
//!             "command": "node server.js",   // the first one's command line, or null
//!             "from_checkout": true,  // it runs in that checkout (its cwd is in it); null when
//!                                     //   nothing listens or its process cannot be seen
//!             "since": 1764750000}],
//!  "pruned": [ /* with --prune: the assignments dropped, as in "ports" */ ],
//!  "state_file": "..."}
//! ```

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::cli::{PortArgs, PortsArgs};
use crate::core::plan;
use crate::core::render;
use crate::core::socket::Socket;
use crate::core::stable::{self, Assigned, Assignment};
use crate::exit::Outcome;
use crate::os::stable_ports;
use crate::os::{process, sockets};

/// `portfix port`.
pub(crate) fn run_port(args: PortArgs) -> anyhow::Result<Outcome> {
    let PortArgs { name, range, json, command } = args;
    let command: Vec<String> = command.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let name = name.or_else(|| plan::run_name(&command)).unwrap_or_else(|| stable::DEFAULT_NAME.to_string());
    let checkout = stable_ports::here()?;
    let (assigned, file) = stable_ports::assign(&checkout, &name, range)?;
    let mut out = crate::out::stdout();
    if json {
        let (chosen, previous) = match assigned {
            Assigned::Kept(_) => ("kept", None),
            Assigned::New(_) => ("new", None),
            Assigned::Moved { from, .. } => ("moved", Some(from)),
        };
        let report = serde_json::json!({
            "port": assigned.port(),
            "name": name,
            "checkout": stable_ports::text(&checkout),
            "chosen": chosen,
            "previous": previous,
            "state_file": stable_ports::text(&file),
        });
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", assigned.port())?;
        if let Some(line) = stable::chosen_line(assigned, &name, &checkout) {
            eprintln!("portfix: {line}");
        }
    }
    out.flush()?;
    Ok(Outcome::SUCCESS)
}

/// One assignment with what listens on its port now.
#[derive(Debug, serde::Serialize)]
struct Row {
    port: u16,
    name: String,
    checkout: String,
    checkout_exists: bool,
    listening: bool,
    pids: Vec<u32>,
    command: Option<String>,
    from_checkout: Option<bool>,
    since: u64,
    /// The first listener's process name (for the table).
    #[serde(skip)]
    process: Option<String>,
}

/// `portfix ports`.
pub(crate) fn run_ports(args: &PortsArgs) -> anyhow::Result<Outcome> {
    let (locked, mut st) = stable_ports::open()?;
    let pruned = if args.prune {
        let dropped = st.prune(Path::exists);
        if !dropped.is_empty() {
            locked
                .write(&st.to_text())
                .with_context(|| format!("could not write {}", locked.path().display()))?;
        }
        dropped
    } else {
        Vec::new()
    };
    let file = locked.path();
    drop(locked);
    let mut ports = st.ports;
    ports.sort_by(|a, b| (&a.checkout, &a.name).cmp(&(&b.checkout, &b.name)));
    let rows = rows(&ports)?;
    let pruned_rows: Vec<Row> = pruned.iter().map(bare_row).collect();
    let mut out = std::io::BufWriter::new(crate::out::stdout());
    if args.json {
        let report = serde_json::json!({ "ports": rows, "pruned": pruned_rows, "state_file": stable_ports::text(&file) });
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for a in &pruned {
            eprintln!(
                "portfix: dropped port {} ({}) of {}: the checkout no longer exists",
                a.port,
                render::escape(&a.name),
                render::escape(&a.checkout)
            );
        }
        for line in human(&rows) {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    Ok(Outcome::SUCCESS)
}

fn bare_row(a: &Assignment) -> Row {
    Row {
        port: a.port,
        name: a.name.clone(),
        checkout: a.checkout.clone(),
        checkout_exists: Path::new(&a.checkout).exists(),
        listening: false,
        pids: Vec::new(),
        command: None,
        from_checkout: None,
        since: a.since,
        process: None,
    }
}

/// The assignments with their listeners: one read of the socket table, one pass for owners,
/// the owners' details.
fn rows(ports: &[Assignment]) -> anyhow::Result<Vec<Row>> {
    let wanted: std::collections::HashSet<u16> = ports.iter().map(|a| a.port).collect();
    let mut sockets: Vec<Socket> =
        sockets::listening(true, false)?.into_iter().filter(|s| wanted.contains(&s.local.port())).collect();
    sockets::attach_owners(&mut sockets)?;
    let mut by_port: HashMap<u16, Vec<u32>> = HashMap::new();
    let mut listening: std::collections::HashSet<u16> = std::collections::HashSet::new();
    for s in &sockets {
        listening.insert(s.local.port());
        let pids = by_port.entry(s.local.port()).or_default();
        for &pid in &s.pids {
            if !pids.contains(&pid) {
                pids.push(pid);
            }
        }
    }
    let mut all: Vec<u32> = by_port.values().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    let procs: HashMap<u32, crate::core::process::ProcessInfo> =
        process::describe(&all).into_iter().map(|p| (p.pid, p)).collect();
    Ok(ports
        .iter()
        .map(|a| {
            let mut row = bare_row(a);
            row.listening = listening.contains(&a.port);
            row.pids = by_port.get(&a.port).cloned().unwrap_or_default();
            let seen: Vec<_> = row.pids.iter().filter_map(|p| procs.get(p)).collect();
            row.command = seen.first().map(|p| render::command_line(&p.cmdline)).filter(|c| !c.is_empty());
            row.process = seen.first().map(|p| p.name.clone());
            let cwds: Vec<&Path> = seen.iter().filter_map(|p| p.cwd.as_deref()).collect();
            row.from_checkout = (!cwds.is_empty())
                .then(|| cwds.iter().any(|cwd| stable::belongs(Path::new(&a.checkout), cwd)));
            row
        })
        .collect())
}

fn human(rows: &[Row]) -> Vec<String> {
    if rows.is_empty() {
        return vec!["no stable ports yet (`portfix port` chooses this checkout's)".to_string()];
    }
    let mut table = vec![vec!["PORT".to_string(), "NAME".into(), "LISTENING".into(), "CHECKOUT".into()]];
    for r in rows {
        let who = match (r.pids.first(), &r.process) {
            (Some(pid), Some(name)) => format!("pid {pid} {}", render::escape(name)),
            (Some(pid), None) => format!("pid {pid}"),
            (None, _) => "a process you may not see".to_string(),
        };
        let listening = match (r.listening, r.from_checkout) {
            (false, _) => "no".to_string(),
            (true, Some(true)) => format!("yes: {who}, from its checkout"),
            (true, Some(false)) => format!("yes: {who}, not from its checkout"),
            (true, None) => format!("yes: {who}"),
        };
        let checkout = if r.checkout_exists {
            render::escape(&r.checkout)
        } else {
            format!("{} (gone: --prune drops it)", render::escape(&r.checkout))
        };
        table.push(vec![r.port.to_string(), render::escape(&r.name), listening, checkout]);
    }
    render::columns(&table)
}
