//! `portfix who <PORT | ADDR:PORT>... [--udp] [--json]`: who holds a port, or what one end of a
//! connection is, explained.
//!
//! The OS is asked only about the ports named (on Linux the kernel picks the sockets itself):
//! first the sockets that hold each port; then, only for a target that nothing holds, the
//! connections and TIME_WAIT leftovers on its port. The owners of every socket picked are found
//! in one pass over `/proc`, then each target is reported: the holders (a TCP listener or bound
//! UDP socket whose address conflicts with the target, per `core::conflict`), the address bound
//! and who can reach it, the port's class; when nothing holds it, the connections it is one end
//! of (with the process at each end that is on this machine, or, for a connection not yet
//! accept()ed, the listener it is queued on) and the TIME_WAIT leftovers. The address and port
//! asked about are explained either way: what the address is for this machine, the port's class
//! against this machine's ephemeral range, what usually listens there.
//! Processes are shown by `core::holder::HolderView`: with their parents, and what would start
//! them again if they were stopped. Exit 0 when any target is held, 1 when none is.
//!
//! The JSON shape is in `core::who::report`.

use std::collections::BTreeSet;
use std::io::Write as _;

use crate::cli::WhoArgs;
use crate::core::conflict::{self, Reach};
use crate::core::port::{Endpoint, Port};
use crate::core::render::Paint;
use crate::core::socket::{Proto, Socket};
use crate::core::who::report::{self, Machine, TargetReport, WhoJson};
use crate::core::who::select::{self, Pick};
use crate::exit::Outcome;
use crate::os;

pub(crate) fn run(args: &WhoArgs) -> anyhow::Result<Outcome> {
    let proto = if args.udp { Proto::Udp } else { Proto::Tcp };
    let ports: BTreeSet<Port> = args.targets.iter().map(|t| t.port()).collect();
    let mut table: Vec<Socket> = Vec::new();
    for &port in &ports {
        table.extend(os::sockets::listeners(port, proto)?);
    }
    // Connections never have a wildcard local end, so the listeners decide whether it matters.
    let v6only = select::v6only_matters(&table, &args.targets) && os::sockets::v6only_default();
    // Connections and TIME_WAIT leftovers matter only where nothing holds the target.
    let unheld: BTreeSet<Port> = args
        .targets
        .iter()
        .filter(|&&t| select::holders(&table, t, v6only).is_empty())
        .map(|t| t.port())
        .collect();
    for &port in &unheld {
        table.extend(os::sockets::connections(port, proto)?);
    }
    let mut picks: Vec<Pick> = args.targets.iter().map(|&t| select::pick(&table, t, v6only)).collect();
    find_accept_queues(&mut table, &mut picks, &ports, proto)?;
    let used: BTreeSet<usize> = picks.iter().flat_map(Pick::indices).collect();
    attach_owners(&mut table, &used)?;
    let owners = os::holders::load(used.iter().map(|&i| &table[i]));
    let host = machine(&args.targets, v6only);
    let reports: Vec<TargetReport> =
        picks.iter().map(|p| report::report(p, proto, &table, &owners, &host)).collect();
    let held = reports.iter().any(|r| r.held);
    write(&reports, args.json, args.full)?;
    Ok(if held { Outcome::SUCCESS } else { Outcome::NOTHING })
}

fn write(reports: &[TargetReport], json: bool, full: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(crate::out::stdout());
    if json {
        serde_json::to_writer_pretty(&mut out, &WhoJson { targets: reports })?;
        writeln!(out)?;
    } else {
        use std::io::IsTerminal as _;
        let tty = std::io::stdout().is_terminal();
        let paint = Paint { on: os::terminal::colour_at(tty) };
        // Command lines are cut to the terminal's width (DEFAULT_WIDTH off one); --full and
        // JSON keep them whole. The size is asked only of a terminal: no call otherwise.
        let width =
            (!full).then(|| tty.then(os::terminal::stdout_columns).flatten().unwrap_or(DEFAULT_WIDTH));
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            for line in report::human(r, paint, width) {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// How wide a line of text may be off a terminal before a command line in it is cut.
const DEFAULT_WIDTH: usize = 200;

/// What the report needs to know of this machine beyond the sockets. Its own addresses are read
/// only when a target's address could be one of them.
fn machine(targets: &[Endpoint], v6only: bool) -> Machine {
    let needs_addresses = targets
        .iter()
        .filter_map(|t| t.addr())
        .any(|a| matches!(conflict::reach(a), Reach::LocalNetwork | Reach::Public));
    Machine {
        ephemeral: os::sockets::ephemeral_range(),
        addresses: if needs_addresses { os::sockets::host_addresses() } else { None },
        v6only,
    }
}

/// Finds the owners of the sockets at `used` in one pass and writes them back into the table.
fn attach_owners(table: &mut [Socket], used: &BTreeSet<usize>) -> anyhow::Result<()> {
    let mut chosen: Vec<Socket> = used.iter().map(|&i| table[i].clone()).collect();
    os::sockets::attach_owners(&mut chosen)?;
    for (&i, s) in used.iter().zip(chosen) {
        table[i].pids = s.pids;
    }
    Ok(())
}

/// Reads the listeners that not-yet-accepted connections may wait on, and names them.
fn find_accept_queues(
    table: &mut Vec<Socket>,
    picks: &mut [Pick],
    asked: &BTreeSet<Port>,
    proto: Proto,
) -> anyhow::Result<()> {
    for port in select::queued_ports(table, picks, asked) {
        table.extend(os::sockets::listeners(port, proto)?);
    }
    select::mark_accept_queues(table, picks);
    Ok(())
}
