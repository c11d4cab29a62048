//! The places in a command's words that carry its port: port flags, bind flags and addresses,
//! positional ports, `PORT=N` assignments, and `$PORT` references in shell strings.

use super::locate::is_assignment;
use super::{ArgForm, PLACEHOLDER, Tool};
use crate::core::port::Port;

/// Port flags and bind flags understood for any command.
pub(super) const GENERIC_FLAGS: &[&str] = &["--port", "-p"];

pub(super) const GENERIC_BIND_FLAGS: &[&str] = &["--bind", "-b", "--listen", "--addr", "--address"];

/// One place in the arguments that carries the port: `argv[index]` is `prefix` + the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) index: usize,
    pub(super) prefix: String,
    pub(super) port: Port,
    pub(super) form: ArgForm,
}

/// A reference to a variable in a shell (or cmd, or PowerShell) string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct VarRef {
    /// The port written as its default: `${PORT:-3000}`, `${PORT-3000}`.
    pub(super) default: Option<Port>,
}

/// Whether `text` refers to the variable `name`: `$NAME`, `${NAME}`, `${NAME:-3000}` (also `-`,
/// `:=`, `=`), `%NAME%`, `$env:NAME`. A longer name (`$PORTAL`) is not a reference to `PORT`.
pub(super) fn var_ref(text: &str, name: &str) -> Option<VarRef> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = None;
    for (at, _) in text.match_indices(name) {
        let before = &text[..at];
        let after = &text[at + name.len()..];
        let ends = !after.starts_with(is_name_char);
        let plain = ((before.ends_with('$') || before.ends_with("$env:")) && ends)
            || (before.ends_with('%') && after.starts_with('%'));
        if plain {
            found.get_or_insert(VarRef { default: None });
        } else if before.ends_with("${") {
            let Some(end) = after.find('}') else { continue };
            let inside = &after[..end];
            let default =
                [":-", "-", ":=", "="].iter().find_map(|op| inside.strip_prefix(op)).and_then(port_value);
            let refers = inside.is_empty() || default.is_some() || !inside.starts_with(is_name_char);
            if refers && found.is_none_or(|f: VarRef| f.default.is_none()) {
                found = Some(VarRef { default });
            }
        }
    }
    found
}

/// `PORT=3000` words before the program, for the variables that carry the port.
pub(super) fn assignments(words: &[String], prog: usize, names: &[&str]) -> Vec<Slot> {
    words[..prog.min(words.len())]
        .iter()
        .enumerate()
        .filter_map(|(index, w)| {
            let (name, value) = w.split_once('=')?;
            if !is_assignment(w) || !names.contains(&name) {
                return None;
            }
            Some(Slot {
                index,
                prefix: format!("{name}="),
                port: port_value(value)?,
                form: ArgForm::Assignment,
            })
        })
        .collect()
}

/// `[addr:]port` (a bind address or a bare port) as a positional argument: (prefix, port).
pub(super) fn addr_port(s: &str) -> Option<(String, Port)> {
    if let Ok(p) = crate::core::port::parse_port(s) {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Some((String::new(), p));
        }
    }
    bind_address(s)
}

/// A bind-looking `HOST:PORT`: host empty, `*`, `localhost`, an IPv4 literal or `[IPv6]`.
/// Returns (everything up to and including the colon, port).
pub(super) fn bind_address(s: &str) -> Option<(String, Port)> {
    let (host, port) = s.rsplit_once(':')?;
    let port = port_value(port)?;
    let ok = match host {
        "" | "*" | "localhost" => true,
        h if h.starts_with('[') && h.ends_with(']') => {
            h[1..h.len() - 1].parse::<std::net::Ipv6Addr>().is_ok()
        }
        h => h.parse::<std::net::Ipv4Addr>().is_ok(),
    };
    ok.then(|| (format!("{host}:"), port))
}

/// The value of a bind flag: `HOST:PORT` with any host name (the flag says it is a bind), or
/// `tcp://HOST:PORT`.
pub(super) fn bind_value(s: &str) -> Option<(String, Port)> {
    let (scheme, rest) = s.split_once("://").map_or(("", s), |(sc, r)| (sc, r));
    if !matches!(scheme, "" | "tcp" | "ssl" | "http" | "https") {
        return None;
    }
    let (host, port) = rest.rsplit_once(':')?;
    let port = port_value(port)?;
    let host_ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._*[]:".contains(&b))
        && (!host.contains(':') || (host.starts_with('[') && host.ends_with(']')));
    let prefix = if scheme.is_empty() { format!("{host}:") } else { format!("{scheme}://{host}:") };
    host_ok.then_some((prefix, port))
}

/// An exact port value (digits only).
pub(super) fn port_value(s: &str) -> Option<Port> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    crate::core::port::parse_port(s).ok()
}

/// The places in `words[start..]` (leaving out the subcommand at `skip`) that carry the port.
pub(super) fn find_slots(
    words: &[String],
    start: usize,
    skip: Option<usize>,
    tool: Option<&Tool>,
) -> Vec<Slot> {
    let flags = tool.map_or(GENERIC_FLAGS, |t| t.flags);
    let bind_flags = tool.map_or(GENERIC_BIND_FLAGS, |t| t.bind_flags);
    let value_flags = tool.map_or(&[][..], |t| t.value_flags);
    let positional = tool.is_some_and(|t| t.positional);
    let mut slots = Vec::new();
    let mut i = start.max(1);
    let mut positionals_seen = 0;
    let slot = |index: usize, prefix: String, port: Port, form: ArgForm| Slot { index, prefix, port, form };
    while i < words.len() {
        if Some(i) == skip {
            i += 1;
            continue;
        }
        let a = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        if a.contains(PLACEHOLDER) {
            positionals_seen += usize::from(!a.starts_with('-'));
            i += 1;
            continue;
        }
        if flags.contains(&a) || bind_flags.contains(&a) || value_flags.contains(&a) {
            // a flag and its value: a port, a bind address, or something else to skip
            match next {
                Some(v) if v.starts_with('-') && port_value(v).is_none() => {
                    i += 1;
                    continue;
                }
                Some(v) if !v.contains(PLACEHOLDER) => {
                    if let Some(p) = port_value(v).filter(|_| flags.contains(&a)) {
                        slots.push(slot(i + 1, String::new(), p, ArgForm::FlagValue));
                    } else if let Some((prefix, p)) = bind_value(v).filter(|_| bind_flags.contains(&a)) {
                        slots.push(slot(i + 1, prefix, p, ArgForm::BindFlag));
                    }
                }
                _ => {}
            }
            i += 2;
            continue;
        }
        if let Some((flag, value)) = a.split_once('=').filter(|(f, _)| f.starts_with('-')) {
            if let Some(p) = port_value(value).filter(|_| flags.contains(&flag)) {
                slots.push(slot(i, format!("{flag}="), p, ArgForm::FlagEquals));
            } else if let Some((prefix, p)) = bind_value(value).filter(|_| bind_flags.contains(&flag)) {
                slots.push(slot(i, format!("{flag}={prefix}"), p, ArgForm::BindFlag));
            }
            i += 1;
            continue;
        }
        if let Some(f) = flags.iter().find(|f| f.len() == 2 && !f.starts_with("--") && a.starts_with(**f)) {
            if let Some(p) = port_value(&a[2..]) {
                slots.push(slot(i, (*f).to_string(), p, ArgForm::FlagAttached));
            }
            i += 1;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            if positional {
                if positionals_seen == 0 {
                    if let Some((prefix, p)) = addr_port(a) {
                        slots.push(slot(i, prefix, p, ArgForm::Positional));
                    }
                }
                positionals_seen += 1;
            } else if tool.is_none() {
                if let Some((prefix, p)) = bind_address(a) {
                    slots.push(slot(i, prefix, p, ArgForm::HostPort));
                }
            }
        }
        i += 1;
    }
    slots
}
