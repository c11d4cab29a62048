//! Choosing free ports: which ports to try, in what order, and which to refuse before asking the
//! OS. Pure: the OS is asked through a probe the caller passes in (`os::probe` for real, a table
//! in the tests below).
//!
//! The rules, as the README states them:
//! - The search goes **upward** from its first port and never wraps around.
//! - Without a range it covers a window of [`DEFAULT_WINDOW`] ports (the first port and the 99
//!   above it), widened to `count` ports when more are asked for, never past 65535.
//! - With a range it covers the range, from its low end or from a given start inside it.
//! - A port that browsers refuse ([`is_browser_bad_port`]: 6000, 6665-6669, 10080, ...) is never
//!   handed out: a dev server there cannot be opened in a browser.
//! - A port below 1024 is handed out only when the search itself starts below 1024 (`free 80`,
//!   `--range 80-90`): an upward search from 1024 or above never reaches one, and a caller may
//!   forbid them outright ([`Search::allow_low`]).
//! - A port the socket table shows held is skipped without probing; the others are free only when
//!   the probe says so.

use std::collections::HashSet;

use crate::core::port::{Port, PortRange, is_browser_bad_port};

/// How many ports an upward search without a range looks at: the wanted port and the 99 above it.
pub(crate) const DEFAULT_WINDOW: u16 = 100;

/// Where `portfix free` starts when given neither a port nor a range: the most common dev-server
/// default, so that the answer is a familiar, browser-friendly port.
pub(crate) const DEFAULT_START: u16 = 3000;

/// The first port that needs no privileges to bind on Unix.
pub(crate) const FIRST_UNPRIVILEGED: u16 = 1024;

/// The ports a search may look at, in order: `first..=last` upward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Search {
    pub(crate) first: Port,
    pub(crate) last: Port,
    /// Whether ports below 1024 may be handed out.
    pub(crate) allow_low: bool,
}

impl Search {
    /// Upward from `start` over a window of [`DEFAULT_WINDOW`] ports, or `count` ports when that
    /// is more. Low ports are allowed only when `start` itself is one.
    pub(crate) fn upward(start: Port, count: u32) -> Search {
        let width = u32::from(DEFAULT_WINDOW).max(count);
        let last = (u32::from(start.get()) + width - 1).min(u32::from(u16::MAX));
        Search {
            first: start,
            last: Port::new(last as u16).expect("last >= start > 0"),
            allow_low: start.get() < FIRST_UNPRIVILEGED,
        }
    }

    /// The whole of `range`, or the part from `start` up when `start` is given. `None` when
    /// `start` is above the range (nothing left to search); a `start` below the range searches the
    /// whole range. Low ports are allowed only when the searched part begins below 1024.
    pub(crate) fn within(range: PortRange, start: Option<Port>) -> Option<Search> {
        let first = start.map_or(range.lo, |s| s.max(range.lo));
        if first > range.hi {
            return None;
        }
        Some(Search { first, last: range.hi, allow_low: first.get() < FIRST_UNPRIVILEGED })
    }

    /// Where "the next free port" after `wanted` is looked for (the wrapper's `--next` and its
    /// prompt): upward from `wanted + 1` over the default window; with a range, the part of the
    /// range above `wanted` when `wanted` is inside it, else the whole range. `None` when nothing
    /// is left above `wanted` (65535, or the top of the range): no wrap-around.
    pub(crate) fn next_after(wanted: Port, range: Option<PortRange>) -> Option<Search> {
        let above = wanted.get().checked_add(1).and_then(Port::new);
        match range {
            None => above.map(|start| Search::upward(start, 1)),
            Some(r) if r.contains(wanted) => Search::within(r, Some(above?)),
            Some(r) => Search::within(r, None),
        }
    }

    /// The searched ports as a range (for messages and JSON).
    pub(crate) fn range(self) -> PortRange {
        PortRange { lo: self.first, hi: self.last }
    }
}

/// What a search found, and why the other ports were passed over (for the message when too few
/// were found).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Picked {
    /// The free ports, ascending, at most the number asked for.
    pub(crate) ports: Vec<Port>,
    /// Ports the socket table showed held or the probe found unusable.
    pub(crate) taken: Vec<Port>,
    /// Ports passed over because browsers refuse them.
    pub(crate) browser_bad: u32,
    /// Ports passed over because they are below 1024 and the search did not allow them.
    pub(crate) low: u32,
}

/// Looks upward through `search` for `count` free ports. A port is skipped when browsers refuse
/// it, when it is below 1024 and the search does not allow that, or when `held` (ports the socket
/// table shows held) has it; otherwise `probe` decides (`Ok(true)`: free). The search stops as
/// soon as `count` ports are found; a probe error stops it and is returned.
pub(crate) fn choose<E>(
    search: Search,
    count: u32,
    held: &HashSet<u16>,
    mut probe: impl FnMut(Port) -> Result<bool, E>,
) -> Result<Picked, E> {
    let mut choice = Picked::default();
    let wanted = count as usize;
    for port in PortRange::new(search.first, search.last).into_iter().flat_map(PortRange::iter) {
        if choice.ports.len() >= wanted {
            break;
        }
        if is_browser_bad_port(port) {
            choice.browser_bad += 1;
        } else if port.get() < FIRST_UNPRIVILEGED && !search.allow_low {
            choice.low += 1;
        } else if held.contains(&port.get()) || !probe(port)? {
            choice.taken.push(port);
        } else {
            choice.ports.push(port);
        }
    }
    Ok(choice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    fn range(lo: u16, hi: u16) -> PortRange {
        PortRange::new(p(lo), p(hi)).unwrap()
    }

    /// Runs a search where `held` is what the table shows and `busy` is what only the probe
    /// finds; returns the chosen ports as numbers and every port the probe was asked about.
    fn run(search: Search, count: u32, held: &[u16], busy: &[u16]) -> (Vec<u16>, Vec<u16>) {
        let held: HashSet<u16> = held.iter().copied().collect();
        let mut probed = Vec::new();
        let choice = choose(search, count, &held, |port| {
            probed.push(port.get());
            Ok::<_, Infallible>(!busy.contains(&port.get()))
        })
        .unwrap();
        (choice.ports.iter().map(|p| p.get()).collect(), probed)
    }

    #[test]
    fn windows_and_ranges() {
        let s = Search::upward(p(3000), 1);
        assert_eq!((s.first, s.last, s.allow_low), (p(3000), p(3099), false));
        // --count wider than the window widens it
        assert_eq!(Search::upward(p(3000), 250).last, p(3249));
        // never past 65535, no wrap-around
        assert_eq!(Search::upward(p(65500), 1).last, p(65535));
        assert_eq!(Search::upward(p(65535), 3).last, p(65535));
        // a start below 1024 asks for low ports
        assert!(Search::upward(p(80), 1).allow_low);
        assert!(Search::upward(p(1023), 1).allow_low);
        assert!(!Search::upward(p(1024), 1).allow_low);

        let r = range(3000, 3010);
        assert_eq!(Search::within(r, None).map(|s| (s.first, s.last)), Some((p(3000), p(3010))));
        assert_eq!(Search::within(r, Some(p(3005))).map(|s| s.first), Some(p(3005)));
        assert_eq!(Search::within(r, Some(p(2000))).map(|s| s.first), Some(p(3000)));
        assert_eq!(Search::within(r, Some(p(3011))), None);
        assert!(Search::within(range(80, 90), None).unwrap().allow_low);
        assert!(!Search::within(range(80, 2000), Some(p(1500))).unwrap().allow_low);
        assert_eq!(Search::within(r, None).unwrap().range(), r);
    }

    #[test]
    fn next_after_a_wanted_port() {
        let span = |s: Option<Search>| s.map(|s| (s.first.get(), s.last.get(), s.allow_low));
        assert_eq!(span(Search::next_after(p(3000), None)), Some((3001, 3100, false)));
        assert_eq!(span(Search::next_after(p(80), None)), Some((81, 180, true)));
        assert_eq!(span(Search::next_after(p(1023), None)), Some((1024, 1123, false)));
        assert_eq!(span(Search::next_after(p(65535), None)), None);
        let r = Some(range(4000, 4100));
        assert_eq!(span(Search::next_after(p(4050), r)), Some((4051, 4100, false)));
        assert_eq!(span(Search::next_after(p(3000), r)), Some((4000, 4100, false)));
        assert_eq!(span(Search::next_after(p(5000), r)), Some((4000, 4100, false)));
        assert_eq!(span(Search::next_after(p(4100), r)), None);
    }

    #[test]
    fn choices() {
        let up = |n, count| Search::upward(p(n), count);
        let within = |lo, hi| Search::within(range(lo, hi), None).unwrap();
        let whole_window: Vec<u16> = (3000..=3099).collect();
        /// (what, search, count, held in the table, busy on probe, expected)
        type Case<'a> = (&'a str, Search, u32, &'a [u16], &'a [u16], &'a [u16]);
        #[rustfmt::skip]
        let table: &[Case] = &[
            ("the start itself when free", up(3000, 1), 1, &[], &[], &[3000]),
            ("held in the table: skipped", up(3000, 1), 1, &[3000], &[], &[3001]),
            ("busy on probe: skipped", up(3000, 1), 1, &[], &[3000, 3001], &[3002]),
            ("count ascending", up(3000, 3), 3, &[3001], &[], &[3000, 3002, 3003]),
            ("6000 is browser-bad", up(5999, 1), 2, &[], &[], &[5999, 6001]),
            ("6665-6669 are browser-bad", up(6665, 1), 1, &[], &[], &[6670]),
            ("10080 is browser-bad", up(10080, 1), 1, &[], &[], &[10081]),
            ("low ports when the start asks", up(80, 1), 1, &[], &[], &[80]),
            ("low bad ports still refused", up(20, 1), 1, &[], &[], &[24]),
            ("range gives its low end", within(80, 90), 1, &[], &[], &[80]),
            ("range holds the search", within(3000, 3002), 5, &[3001], &[], &[3000, 3002]),
            ("one-port range, held", within(3000, 3000), 1, &[3000], &[], &[]),
            ("window ends at 65535", up(65534, 1), 5, &[], &[], &[65534, 65535]),
            ("window is 100 ports", up(3000, 1), 1, &[], &whole_window, &[]),
            ("low forbidden", Search { allow_low: false, ..up(1000, 1) }, 1, &[], &[], &[1024]),
        ];
        for (what, search, count, held, busy, want) in table {
            let (got, _) = run(*search, *count, held, busy);
            assert_eq!(&got, want, "{what}");
        }
    }

    #[test]
    fn probes_only_what_it_must() {
        // held and bad ports are never probed; the search stops once enough are found
        let (got, probed) = run(Search::upward(p(5998), 1), 2, &[5998], &[]);
        assert_eq!(got, [5999, 6001]);
        assert_eq!(probed, [5999, 6001]);
    }

    #[test]
    fn reasons_for_a_short_answer() {
        let held: HashSet<u16> = [3000].into();
        let c = choose(Search::within(range(2999, 3001), None).unwrap(), 3, &held, |port| {
            Ok::<_, Infallible>(port.get() != 3001)
        })
        .unwrap();
        assert_eq!(c.ports, [p(2999)]);
        assert_eq!(c.taken, [p(3000), p(3001)]);
        let c = choose(
            Search { allow_low: false, ..Search::within(range(1000, 1030), None).unwrap() },
            99,
            &held,
            |_| Ok::<_, Infallible>(true),
        )
        .unwrap();
        assert_eq!((c.ports.len(), c.low), (7, 24));
        let c =
            choose(Search::within(range(6665, 6669), None).unwrap(), 1, &held, |_| Ok::<_, Infallible>(true))
                .unwrap();
        assert_eq!((c.ports.len(), c.browser_bad), (0, 5));
    }

    #[test]
    fn a_probe_error_stops_the_search() {
        let mut asked = 0;
        let r = choose(Search::upward(p(3000), 1), 3, &HashSet::new(), |port| {
            asked += 1;
            if port.get() == 3001 { Err("too many open files") } else { Ok(true) }
        });
        assert_eq!(r, Err("too many open files"));
        assert_eq!(asked, 2);
    }
}
