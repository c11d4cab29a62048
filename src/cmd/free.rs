//! `portfix free [PORT] [--range LO-HI] [--count N] [--json]`: print free TCP ports, for
//! `PORT=$(portfix free 3000)`.
//!
//! Rules (the choice itself is `core::freeport`, the probe `os::probe`):
//! - Where: without `--range`, upward from PORT (default 3000) over 100 ports (PORT..PORT+99,
//!   widened to N ports for a larger `--count N`, never past 65535, no wrap-around). With
//!   `--range LO-HI`, the range, from PORT when one is given (it must lie inside the range).
//! - Never a port browsers refuse (6000, 6665-6669, 10080, ...), never one below 1024 unless the
//!   search starts below 1024 (`free 80`, `--range 80-90`).
//! - Free: no TCP listener on the port in the socket table (on any address, so a server on
//!   127.0.0.2:3000 makes 3000 not free: a dev server binding `0.0.0.0:3000` would fail), and
//!   probe binds on 0.0.0.0, ::, 127.0.0.1 and ::1 without SO_REUSEADDR succeed.
//! - All or nothing: when fewer than N free ports are found, nothing is printed on stdout; stderr
//!   says how many were found and why the others were passed over, and the exit code is 1. A
//!   script's `$(portfix free -n 3)` never gets a short list silently.
//!
//! - Reserved: each port found is reserved against other portfix runs (`os::reserve`) while this
//!   one runs; `--reserve SECS` keeps the reservations in a background process for SECS seconds,
//!   each until something listens on its port.
//!
//! Output: one port per line, ascending. With `--json`, one object:
//! `{"ports":[3000,3001],"proto":"tcp","searched":{"lo":3000,"hi":3099}}` — `ports` the free
//! ports (ascending, exactly N), `searched` the ports that were looked through.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::FreeArgs;
use crate::core::freeport::{DEFAULT_START, Picked, Search};
use crate::core::port::{Port, PortRange};
use crate::core::socket::Proto;
use crate::exit::{Failure, Outcome};
use crate::os::probe::{self, Found};
use crate::os::reserve;

#[derive(serde::Serialize)]
struct Report {
    ports: Vec<Port>,
    proto: Proto,
    searched: PortRange,
}

#[expect(clippy::needless_pass_by_value, reason = "cmd::run hands every command its arguments by value")]
pub(crate) fn run(args: FreeArgs) -> anyhow::Result<Outcome> {
    let FreeArgs { port, range, count, json, reserve } = args;
    let search = search_of(port, range, count)?;
    let proto = Proto::Tcp;
    let Found { choice, denied, reserved } = probe::find_free(search, count, proto)?;
    if choice.ports.len() < count as usize {
        return Err(shortage(search, count, &choice, denied).into());
    }
    let mut out = crate::out::stdout();
    if json {
        let report = Report { ports: choice.ports.clone(), proto, searched: search.range() };
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for port in &choice.ports {
            writeln!(out, "{port}")?;
        }
    }
    out.flush()?;
    if let Some(secs) = reserve {
        let ports = choice.ports.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let s = if choice.ports.len() == 1 { "" } else { "s" };
        let pid = reserve::hold_in_background(reserved, Duration::from_secs(u64::from(secs)))
            .context("could not keep the reservation")?;
        eprintln!("portfix: port{s} {ports} reserved for {secs}s or until listened on (pid {pid})");
    }
    Ok(Outcome::SUCCESS)
}

/// Turns the arguments into the ports to look through.
fn search_of(port: Option<Port>, range: Option<PortRange>, count: u32) -> Result<Search, Failure> {
    match (range, port) {
        (None, port) => {
            let start = port.unwrap_or_else(|| Port::new(DEFAULT_START).expect("nonzero"));
            Ok(Search::upward(start, count))
        }
        (Some(range), Some(port)) if !range.contains(port) => Err(Failure::usage(format!(
            "port {port} is outside --range {range}: give a port inside it, or leave the port out"
        ))),
        (Some(range), port) => Ok(Search::within(range, port).expect("port is inside the range")),
    }
}

/// The failure for a search that found fewer ports than asked: how many, why, what to do.
fn shortage(search: Search, count: u32, choice: &Picked, denied: u32) -> Failure {
    let range = search.range();
    let found = choice.ports.len();
    let what = if count == 1 {
        format!("no free port in {range}")
    } else {
        format!("only {found} of the {count} free ports asked for are in {range}, so none are printed")
    };
    let in_use = choice.taken.len() as u32 - denied;
    let mut why = Vec::new();
    match (in_use, choice.taken.first()) {
        (0, _) => {}
        (1, Some(port)) if denied == 0 => why.push(format!("{port} is in use")),
        (n, _) => why.push(format!("{n} in use")),
    }
    if denied > 0 {
        why.push(format!("{denied} below 1024 need privileges"));
    }
    if choice.browser_bad > 0 {
        why.push(format!("{} refused by browsers", choice.browser_bad));
    }
    if choice.low > 0 {
        why.push(format!("{} below 1024 not allowed", choice.low));
    }
    let message = if why.is_empty() { what } else { format!("{what}: {}", why.join(", ")) };
    let hint = if range.hi.get() < u16::MAX {
        let wider = (u32::from(range.hi.get()) + 1000).min(u32::from(u16::MAX));
        format!("search more ports, e.g. `portfix free --range {}-{wider}`", range.lo)
    } else {
        format!("search lower ports, e.g. `portfix free --range 3000-{}`", range.hi)
    };
    Failure::nothing(message).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    #[test]
    fn shortage_messages() {
        let one = Search::within(PortRange::new(p(3000), p(3000)).unwrap(), None).unwrap();
        let c = Picked { taken: vec![p(3000)], ..Picked::default() };
        let f = shortage(one, 1, &c, 0);
        assert_eq!(f.message, "no free port in 3000-3000: 3000 is in use");
        assert_eq!(f.hint.as_deref(), Some("search more ports, e.g. `portfix free --range 3000-4000`"));
        assert_eq!(f.code, crate::exit::Code::Nothing);

        let wide = Search::upward(p(65000), 3);
        let c = Picked { ports: vec![p(65001)], taken: vec![p(65000), p(65002)], browser_bad: 0, low: 0 };
        let f = shortage(wide, 3, &c, 0);
        assert_eq!(
            f.message,
            "only 1 of the 3 free ports asked for are in 65000-65099, so none are printed: 2 in use"
        );

        let top = Search::upward(p(65500), 1);
        let c = Picked { taken: vec![p(65500)], browser_bad: 2, low: 0, ports: vec![] };
        let f = shortage(top, 1, &c, 0);
        assert!(f.message.ends_with("65500 is in use, 2 refused by browsers"), "{}", f.message);
        assert!(f.hint.unwrap().contains("--range 3000-65535"));

        let low = Search::upward(p(80), 1);
        let c = Picked { taken: vec![p(80), p(81)], ..Picked::default() };
        let f = shortage(low, 1, &c, 2);
        assert!(f.message.ends_with(": 2 below 1024 need privileges"), "{}", f.message);
    }
}
