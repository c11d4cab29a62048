//! `portfix list [--all] [--json]`: what is listening, with owners, one line per socket, sorted by
//! port then address.
//!
//! One read of the listening sockets (on Linux the kernel leaves the connections out) and one
//! pass over `/proc` for every socket listed (never one per socket). Without `--all` only TCP listeners on ports from 1024 up are shown (the ones a dev
//! server collides with); `--all` adds the ports below 1024 and bound UDP sockets.
//!
//! # JSON shape (`--json`)
//!
//! ```text
//! {
//!   "sockets": [{
//!     "proto": "tcp",                  // "tcp" | "udp"
//!     "local": "127.0.0.1:3000",
//!     "port": 3000,
//!     "state": "listen",               // "listen" (tcp) | "bound" (udp)
//!     "reach": "loopback",             // "loopback" | "all-interfaces" | "local-network" | "public"
//!     "uid": 1000, "user": "me",       // the socket's owner
//!     "hidden": false,                 // true: its process could not be seen (sudo shows more)
//!     "processes": [ ... the process objects of `portfix who --json` (core::holder::HolderView) ... ],
//!     "service": null                  // a shared service (a database, sshd), as in `portfix who --json`
//!   }]
//! }
//! ```

use std::io::Write as _;
use std::net::SocketAddr;

use crate::cli::ListArgs;
use crate::core::conflict::{self, Reach};
use crate::core::holder::HolderView;
use crate::core::owners::Owners;
use crate::core::render::{self, Paint};
use crate::core::socket::{Proto, SockState, Socket};
use crate::exit::Outcome;
use crate::os;
use crate::os::terminal::colour_wanted;

pub(crate) fn run(args: &ListArgs) -> anyhow::Result<Outcome> {
    let mut sockets: Vec<Socket> = os::sockets::listening(true, args.all)?
        .into_iter()
        .filter(|s| args.all || s.local.port() >= 1024)
        .collect();
    sockets.sort_by_key(|s| (s.local.port(), s.local.ip(), s.proto == Proto::Udp));
    os::sockets::attach_owners(&mut sockets)?;
    let owners = crate::os::holders::load(sockets.iter());
    let entries: Vec<Entry> = sockets.iter().map(|s| entry(s, &owners)).collect();
    let mut out = std::io::BufWriter::new(crate::out::stdout());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &ListJson { sockets: &entries })?;
        writeln!(out)?;
    } else {
        for line in human(&entries, &owners, Paint { on: colour_wanted() }) {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    Ok(Outcome::SUCCESS)
}

#[derive(Debug, serde::Serialize)]
struct ListJson<'a> {
    sockets: &'a [Entry],
}

#[derive(Debug, serde::Serialize)]
struct Entry {
    proto: Proto,
    local: SocketAddr,
    port: u16,
    state: SockState,
    reach: Reach,
    uid: Option<u32>,
    user: Option<String>,
    hidden: bool,
    processes: Vec<HolderView>,
    /// A shared service of the machine, as in `portfix who --json`.
    service: Option<crate::core::wellknown::ServiceView>,
}

fn entry(s: &Socket, owners: &Owners) -> Entry {
    let processes = owners.processes(s);
    Entry {
        proto: s.proto,
        local: s.local,
        port: s.local.port(),
        state: s.state,
        reach: conflict::reach(s.local.ip()),
        uid: s.uid,
        user: owners.user(s.uid),
        hidden: processes.is_empty(),
        service: crate::core::who::report::service(&processes, s),
        processes,
    }
}

fn human(entries: &[Entry], owners: &Owners, paint: Paint) -> Vec<String> {
    if entries.is_empty() {
        return vec![
            "nothing is listening (`portfix list --all` also shows UDP and ports below 1024)".into(),
        ];
    }
    let mut rows =
        vec![vec!["PROTO".to_string(), "ADDRESS".into(), "PID".into(), "USER".into(), "COMMAND".into()]];
    rows.extend(entries.iter().map(|e| row(e, owners)));
    let mut lines = render::columns(&rows);
    lines[0] = paint.bold(&lines[0]);
    lines
}

/// How much of a command line one line of `list` shows (`--json` gives it whole).
const COMMAND_WIDTH: usize = 100;

/// The one shortener `who` uses too.
fn shorten(s: &str, width: usize) -> String {
    render::shorten(s, Some(width))
}

fn row(e: &Entry, owners: &Owners) -> Vec<String> {
    let pids = e.processes.iter().map(|p| p.pid.to_string()).collect::<Vec<_>>().join(",");
    let (pids, command) = match e.processes.first() {
        Some(p) if p.suspended => {
            (pids, format!("[{}] {}", p.suspended_text(), shorten(&p.command_text(), COMMAND_WIDTH)))
        }
        Some(p) => (pids, shorten(&p.command_text(), COMMAND_WIDTH)),
        None => ("-".into(), format!("({})", owners.hidden_short())),
    };
    let user = e.processes.first().and_then(|p| p.user.clone()).or_else(|| e.user.clone());
    let user = user.map_or_else(|| e.uid.map_or("-".into(), |u| u.to_string()), |u| render::escape(&u));
    vec![e.proto.to_string(), e.local.to_string(), pids, user, command]
}
