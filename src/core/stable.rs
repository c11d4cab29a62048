//! Stable ports: one port per checkout and name, the same on every call, chosen once and
//! remembered. Pure: the state is text in, text out; whether a port is free is asked through a
//! probe the caller passes in (`os::probe` for real, a table in the tests below); the file, its
//! lock and the checkout's root are `os::state`'s.
//!
//! - **The key** is (checkout, name). A checkout is the root of the git worktree the command runs
//!   in (each worktree of a repository is a checkout of its own), else the current directory.
//!   The name is what the user gives (`portfix port web`), else the name of the npm script or
//!   command it runs (`npm run dev` → `dev`, `vite` → `vite`), else [`DEFAULT_NAME`].
//! - **The choice**, made once per key: from [`DEFAULT_RANGE`] (or `--range`), starting at a
//!   place derived from the key (FNV-1a of checkout and name: the same key starts at the same
//!   port even on another machine or after the state was lost), upward with wrap-around inside
//!   the range; passing over ports browsers refuse, the well-known ports of other tools (every
//!   default in the tool table, the usual uses `who` names, the shared services of
//!   `core::wellknown`), ports already assigned to another key, and ports that are not free
//!   now.
//! - **Remembered**: the assignment stays until pruned (`portfix ports --prune` drops checkouts
//!   that no longer exist). A port held later by someone else is still the assignment: the
//!   wrapper's policy deals with the holder, and `--next` moves that run only.
//! - **An asked range** (`--range`) that the assignment lies outside of moves it into the range.
//!
//! The state file (JSON, `version` 1):
//! `{"version":1,"ports":[{"port":20417,"checkout":"/home/me/shop","name":"dev","since":1764750000}]}`
//! — `since` in seconds since the Unix epoch. Paths are kept as text (a path that is not UTF-8
//! is read with U+FFFD in place of what is not).

use std::collections::HashSet;
use std::path::Path;

use super::port::{self, Port, PortRange};

/// Where stable ports are chosen unless `--range` says otherwise: above the dev-server defaults
/// (3000-9999), below every OS's ephemeral range (Linux 32768-60999, macOS and Windows
/// 49152-65535), so a port chosen here is not taken by an outgoing connection.
pub(crate) const DEFAULT_RANGE: (u16, u16) = (20000, 29999);

/// The name of a stable port when neither a name nor a command says one.
pub(crate) const DEFAULT_NAME: &str = "default";

/// The state file's format version.
pub(crate) const VERSION: u32 = 1;

/// [`DEFAULT_RANGE`] as a range.
pub(crate) fn default_range() -> PortRange {
    let p = |n| Port::new(n).expect("nonzero");
    PortRange { lo: p(DEFAULT_RANGE.0), hi: p(DEFAULT_RANGE.1) }
}

/// One remembered port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Assignment {
    pub(crate) port: u16,
    pub(crate) checkout: String,
    pub(crate) name: String,
    /// When it was chosen, seconds since the Unix epoch.
    pub(crate) since: u64,
}

/// What to tell the user when a stable port was chosen or moved now (nothing when it was kept):
/// "the stable port of dev in /home/me/shop is now 20417". Escaped.
pub(crate) fn chosen_line(assigned: Assigned, name: &str, checkout: &Path) -> Option<String> {
    let checkout = super::render::escape(&checkout.to_string_lossy());
    let name = super::render::escape(name);
    match assigned {
        Assigned::Kept(_) => None,
        Assigned::New(p) => Some(format!("port {p} is now the stable port of {name} in {checkout}")),
        Assigned::Moved { from, to } => {
            Some(format!("the stable port of {name} in {checkout} moved from {from} to {to} (--range)"))
        }
    }
}

/// Every assignment of this user.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Ledger {
    pub(crate) version: u32,
    pub(crate) ports: Vec<Assignment>,
}

/// What [`Ledger::assign`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assigned {
    /// The key had this port already.
    Kept(Port),
    /// Chosen now.
    New(Port),
    /// It had `from`, outside the range asked for; moved to `to`.
    Moved { from: Port, to: Port },
}

impl Assigned {
    pub(crate) fn port(self) -> Port {
        match self {
            Assigned::Kept(p) | Assigned::New(p) | Assigned::Moved { to: p, .. } => p,
        }
    }
    /// Whether the state changed (and must be written).
    pub(crate) fn changed(self) -> bool {
        !matches!(self, Assigned::Kept(_))
    }
}

/// No port could be chosen in the range: why, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoPort {
    pub(crate) range: PortRange,
    /// Ports of the range assigned to other keys.
    pub(crate) assigned: u32,
    /// Ports of the range not free now.
    pub(crate) taken: u32,
    /// Ports passed over by rule (browsers refuse them, another tool's).
    pub(crate) excluded: u32,
}

impl Ledger {
    /// Reads the state file's text; an empty text is an empty state. An error says what is
    /// wrong with it, in one line.
    pub(crate) fn parse(text: &str) -> Result<Ledger, String> {
        if text.trim().is_empty() {
            return Ok(Ledger { version: VERSION, ports: Vec::new() });
        }
        let state: Ledger =
            serde_json::from_str(text).map_err(|e| format!("not a portfix state file ({e})"))?;
        if state.version != VERSION {
            return Err(format!(
                "written by another version of portfix (format {}, this one reads {VERSION})",
                state.version
            ));
        }
        if let Some(a) = state.ports.iter().find(|a| a.port == 0) {
            return Err(format!("port 0 for {} in {}", a.name, a.checkout));
        }
        Ok(state)
    }

    /// The state as the file's text (one assignment a line, by checkout then name).
    pub(crate) fn to_text(&self) -> String {
        let mut ports = self.ports.clone();
        ports.sort_by(|a, b| (&a.checkout, &a.name).cmp(&(&b.checkout, &b.name)));
        let lines: Vec<String> =
            ports.iter().map(|a| format!("  {}", serde_json::to_string(a).expect("plain data"))).collect();
        format!("{{\"version\": {VERSION}, \"ports\": [\n{}\n]}}\n", lines.join(",\n"))
    }

    /// The assignment of (checkout, name).
    pub(crate) fn find(&self, checkout: &str, name: &str) -> Option<&Assignment> {
        self.ports.iter().find(|a| a.checkout == checkout && a.name == name)
    }

    /// The port of (checkout, name): kept when it has one (and it lies in `range`, when a range
    /// is asked for), else chosen now ([`Ledger::choose`]) and remembered. `free` says whether a
    /// port is free now (a probe error stops the choice and is returned).
    pub(crate) fn assign<E>(
        &mut self,
        checkout: &str,
        name: &str,
        range: Option<PortRange>,
        now: u64,
        excluded: &HashSet<u16>,
        free: impl FnMut(Port) -> Result<bool, E>,
    ) -> Result<Result<Assigned, NoPort>, E> {
        let had = self.find(checkout, name).and_then(|a| Port::new(a.port));
        if let Some(p) = had {
            if range.is_none_or(|r| r.contains(p)) {
                return Ok(Ok(Assigned::Kept(p)));
            }
        }
        let range = range.unwrap_or_else(default_range);
        let chosen = match self.choose(checkout, name, range, excluded, free)? {
            Ok(p) => p,
            Err(no) => return Ok(Err(no)),
        };
        self.ports.retain(|a| !(a.checkout == checkout && a.name == name));
        self.ports.push(Assignment {
            port: chosen.get(),
            checkout: checkout.to_string(),
            name: name.to_string(),
            since: now,
        });
        Ok(Ok(match had {
            Some(from) => Assigned::Moved { from, to: chosen },
            None => Assigned::New(chosen),
        }))
    }

    /// Chooses a port for (checkout, name) in `range`, in [`candidates`] order: the first one
    /// that is not excluded by rule, not assigned to another key, and free now.
    pub(crate) fn choose<E>(
        &self,
        checkout: &str,
        name: &str,
        range: PortRange,
        excluded: &HashSet<u16>,
        mut free: impl FnMut(Port) -> Result<bool, E>,
    ) -> Result<Result<Port, NoPort>, E> {
        let others: HashSet<u16> = self
            .ports
            .iter()
            .filter(|a| !(a.checkout == checkout && a.name == name))
            .map(|a| a.port)
            .collect();
        let mut no = NoPort { range, assigned: 0, taken: 0, excluded: 0 };
        for p in candidates(range, checkout, name) {
            if excluded.contains(&p.get()) || port::is_browser_bad_port(p) {
                no.excluded += 1;
            } else if others.contains(&p.get()) {
                no.assigned += 1;
            } else if free(p)? {
                return Ok(Ok(p));
            } else {
                no.taken += 1;
            }
        }
        Ok(Err(no))
    }

    /// Drops the assignments whose checkout is gone (`exists` says); returns them.
    pub(crate) fn prune(&mut self, exists: impl Fn(&Path) -> bool) -> Vec<Assignment> {
        let (kept, dropped): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.ports).into_iter().partition(|a| exists(Path::new(&a.checkout)));
        self.ports = kept;
        dropped
    }
}

/// The ports of `range` in the order a key tries them: from a start derived from the key
/// (FNV-1a, 64 bits, of `checkout`, a NUL, `name`), upward, then from the bottom of the range up
/// to the start. Every port of the range once.
pub(crate) fn candidates(range: PortRange, checkout: &str, name: &str) -> impl Iterator<Item = Port> {
    let (lo, hi) = (u32::from(range.lo.get()), u32::from(range.hi.get()));
    let len = hi - lo + 1;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in checkout.bytes().chain([0]).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let start = (h % u64::from(len)) as u32;
    (0..len).filter_map(move |i| Port::new((lo + (start + i) % len) as u16))
}

/// The ports other tools are known for, kept out of stable choices: every default port in the
/// tool table, every port `who` names a usual use for, and the shared services' ports.
pub(crate) fn excluded_ports(tool_defaults: impl Iterator<Item = u16>) -> HashSet<u16> {
    tool_defaults.chain(port::usual_ports()).chain(super::wellknown::ports()).collect()
}

/// Whether a process working in `cwd` belongs to `checkout` (works in it or below it).
pub(crate) fn belongs(checkout: &Path, cwd: &Path) -> bool {
    cwd.starts_with(checkout)
}

/// A name for a stable port as the user wrote it: not empty, at most 100 characters, no control
/// characters (it is printed and kept in a file).
pub(crate) fn parse_name(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("a stable port's name cannot be empty (e.g. web, api)".into());
    }
    if t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(format!(
            "'{}' is not a name for a stable port: use up to 100 characters, no control characters (e.g. web, api)",
            super::render::escape(t)
        ));
    }
    Ok(t.to_string())
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

    fn all_free(_: Port) -> Result<bool, Infallible> {
        Ok(true)
    }

    fn assign(s: &mut Ledger, checkout: &str, name: &str, r: Option<PortRange>) -> Assigned {
        s.assign(checkout, name, r, 7, &HashSet::new(), all_free).unwrap().unwrap()
    }

    #[test]
    fn candidates_cover_the_range_once_from_a_start_of_the_key() {
        let r = range(20000, 20009);
        let a: Vec<u16> = candidates(r, "/src/a", "dev").map(Port::get).collect();
        assert_eq!(a.len(), 10);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (20000..=20009).collect::<Vec<_>>());
        // upward, wrapping once to the bottom
        assert!(a.windows(2).all(|w| w[1] == w[0] + 1 || (w[0] == 20009 && w[1] == 20000)), "{a:?}");
        // the same key starts at the same place; the name and the checkout both count
        assert_eq!(candidates(r, "/src/a", "dev").next(), Some(p(a[0])));
        let starts: HashSet<u16> = ["/src/a", "/src/b", "/src/c", "/src/d"]
            .iter()
            .flat_map(|c| ["dev", "api"].map(|n| candidates(range(20000, 29999), c, n).next().unwrap().get()))
            .collect();
        assert!(starts.len() >= 7, "keys spread over the range: {starts:?}");
        // a one-port range
        assert_eq!(candidates(range(3000, 3000), "x", "y").collect::<Vec<_>>(), [p(3000)]);
        // the top of the port space
        assert_eq!(candidates(range(65535, 65535), "x", "y").count(), 1);
    }

    #[test]
    fn a_key_keeps_its_port_and_keys_get_distinct_ports() {
        let mut s = Ledger::default();
        let first = assign(&mut s, "/src/a", "dev", None);
        assert!(matches!(first, Assigned::New(_)));
        assert!(default_range().contains(first.port()));
        assert_eq!(assign(&mut s, "/src/a", "dev", None), Assigned::Kept(first.port()));
        // in a small range, every key still gets a port of its own
        let mut s = Ledger::default();
        let r = Some(range(20000, 20019));
        let ports: HashSet<Port> =
            (0..20).map(|i| assign(&mut s, &format!("/src/{i}"), "dev", r).port()).collect();
        assert_eq!(ports.len(), 20);
        assert_eq!(s.ports.len(), 20);
        // the 21st finds none
        let no = s.assign("/src/x", "dev", r, 0, &HashSet::new(), all_free).unwrap().unwrap_err();
        assert_eq!((no.assigned, no.taken, no.excluded), (20, 0, 0));
    }

    #[test]
    fn passed_over_by_rule_assigned_or_taken() {
        let s = Ledger {
            version: VERSION,
            ports: vec![Assignment { port: 6001, checkout: "/other".into(), name: "dev".into(), since: 0 }],
        };
        let excluded: HashSet<u16> = [5999].into();
        // 5998 held now; 5999 another tool's; 6000 browsers refuse; 6001 another key's
        let got = s
            .choose("/src/a", "dev", range(5998, 6002), &excluded, |port| {
                Ok::<_, Infallible>(port.get() != 5998)
            })
            .unwrap();
        assert_eq!(got, Ok(p(6002)));
        let none = s
            .choose("/src/a", "dev", range(5998, 6001), &excluded, |port| {
                Ok::<_, Infallible>(port.get() != 5998)
            })
            .unwrap();
        assert_eq!(none, Err(NoPort { range: range(5998, 6001), assigned: 1, taken: 1, excluded: 2 }));
        // its own port is not "another key's"
        let own = s.choose("/other", "dev", range(6001, 6001), &excluded, all_free).unwrap();
        assert_eq!(own, Ok(p(6001)));
        // below 1024 when the range asked for is there (the default range never is)
        assert_eq!(s.choose("/a", "b", range(81, 81), &excluded, all_free).unwrap(), Ok(p(81)));
        // a probe error stops the choice
        let err = s.choose("/a", "b", range(3000, 3010), &excluded, |_| Err("EMFILE"));
        assert_eq!(err, Err("EMFILE"));
    }

    #[test]
    fn an_asked_range_moves_an_assignment_outside_it() {
        let mut s = Ledger::default();
        let first = assign(&mut s, "/a", "dev", Some(range(30000, 30010))).port();
        // no range asked: kept
        assert_eq!(assign(&mut s, "/a", "dev", None), Assigned::Kept(first));
        // a range that holds it: kept
        assert_eq!(assign(&mut s, "/a", "dev", Some(range(30000, 30100))), Assigned::Kept(first));
        let moved = assign(&mut s, "/a", "dev", Some(range(31000, 31010)));
        assert!(
            matches!(moved, Assigned::Moved { from, to } if from == first && range(31000, 31010).contains(to))
        );
        assert_eq!(s.ports.len(), 1, "one assignment per key");
    }

    #[test]
    fn excluded_ports_are_other_tools_and_services() {
        let ex = excluded_ports([5173, 4200].into_iter());
        for n in [5173, 4200, 3000, 8000, 9229, 5432, 6379, 27017, 631, 5353] {
            assert!(ex.contains(&n), "{n}");
        }
        assert!(!ex.contains(&20417));
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_named() {
        let mut s = Ledger::parse("").unwrap();
        assert_eq!(s.version, VERSION);
        assign(&mut s, "/src/b", "dev", None);
        assign(&mut s, "/src/a", "web", None);
        assign(&mut s, "/src/a", "api", None);
        let text = s.to_text();
        let back = Ledger::parse(&text).unwrap();
        assert_eq!(back.ports.len(), 3);
        for a in &s.ports {
            assert_eq!(back.find(&a.checkout, &a.name), Some(a));
        }
        // sorted by checkout then name, one a line
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].contains("\"/src/a\"") && lines[1].contains("\"api\""), "{text}");
        assert!(lines[3].contains("/src/b"), "{text}");
        assert!(Ledger::parse("{").unwrap_err().starts_with("not a portfix state file"));
        assert!(Ledger::parse("{\"version\": 9, \"ports\": []}").unwrap_err().contains("format 9"));
        let zero = "{\"version\": 1, \"ports\": [{\"port\": 0, \"checkout\": \"/a\", \"name\": \"x\", \"since\": 0}]}";
        assert!(Ledger::parse(zero).unwrap_err().contains("port 0"));
    }

    #[test]
    fn prune_drops_checkouts_that_are_gone() {
        let mut s = Ledger::default();
        assign(&mut s, "/here", "dev", None);
        assign(&mut s, "/gone", "dev", None);
        assign(&mut s, "/gone", "api", None);
        let dropped = s.prune(|p| p == Path::new("/here"));
        assert_eq!(dropped.len(), 2);
        assert!(dropped.iter().all(|a| a.checkout == "/gone"));
        assert_eq!(s.ports.len(), 1);
    }

    #[test]
    fn belongs_to_a_checkout() {
        assert!(belongs(Path::new("/src/shop"), Path::new("/src/shop")));
        assert!(belongs(Path::new("/src/shop"), Path::new("/src/shop/web")));
        assert!(!belongs(Path::new("/src/shop"), Path::new("/src/shop2")));
        assert!(!belongs(Path::new("/src/shop/web"), Path::new("/src/shop")));
    }

    #[test]
    fn names() {
        assert_eq!(parse_name(" web "), Ok("web".into()));
        assert!(parse_name("").is_err());
        assert!(parse_name("a\nb").is_err());
        assert!(parse_name(&"x".repeat(101)).is_err());
    }
}
