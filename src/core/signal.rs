//! Signals the user may name with `--signal`, and durations for `--grace`. Pure parsing; the OS
//! layer turns a [`Signal`] into its number.

use std::fmt;
use std::time::Duration;

/// A signal portfix can send to a holder. Windows has no signals: any of them ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Signal {
    Hup,
    Int,
    Quit,
    Kill,
    Usr1,
    Usr2,
    Term,
    /// Resumes a suspended process; sent by portfix after the stop signal, never chosen with
    /// `--signal`.
    Cont,
}

const NAMES: &[(Signal, &str, Option<u8>)] = &[
    // Numbers are given only where POSIX fixes them the same on every OS.
    (Signal::Hup, "HUP", Some(1)),
    (Signal::Int, "INT", Some(2)),
    (Signal::Quit, "QUIT", Some(3)),
    (Signal::Kill, "KILL", Some(9)),
    (Signal::Usr1, "USR1", None),
    (Signal::Usr2, "USR2", None),
    (Signal::Term, "TERM", Some(15)),
    (Signal::Cont, "CONT", None),
];

impl Signal {
    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(s, _, _)| *s == self).map(|(_, n, _)| *n).expect("every signal is named")
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name())
    }
}

/// Parses `TERM`, `SIGTERM`, `term`, or `15`.
pub fn parse_signal(s: &str) -> Result<Signal, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let found = if let Ok(n) = name.parse::<u8>() {
        NAMES.iter().find(|(_, _, num)| *num == Some(n))
    } else {
        NAMES.iter().find(|(_, nm, _)| *nm == name)
    };
    found.map(|(sig, _, _)| *sig).filter(|&sig| sig != Signal::Cont).ok_or_else(|| {
        format!("'{s}' is not a signal portfix sends: use TERM, INT, HUP, QUIT, USR1, USR2 or KILL (or 1, 2, 3, 9, 15)")
    })
}

/// Parses `5s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("'{s}' is not a duration: write e.g. 5s, 500ms, 2m (or a number of seconds)");
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let scale = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    let secs = value * scale;
    if !secs.is_finite() || secs > 86_400.0 {
        return Err(format!("'{s}' is too long: a grace of at most a day (24h) is accepted"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        for (input, want) in [
            ("TERM", Signal::Term),
            ("SIGTERM", Signal::Term),
            ("term", Signal::Term),
            ("15", Signal::Term),
            ("9", Signal::Kill),
            ("sigkill", Signal::Kill),
            ("INT", Signal::Int),
            ("HUP", Signal::Hup),
            ("usr1", Signal::Usr1),
        ] {
            assert_eq!(parse_signal(input), Ok(want), "{input}");
        }
        for bad in ["", "TERMINATE", "0", "99", "10", "SIG", "CONT"] {
            assert!(parse_signal(bad).unwrap_err().contains("is not a signal"), "{bad}");
        }
        assert_eq!(Signal::Term.to_string(), "SIGTERM");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "abc", "5x", "-1s", "s", "1..2s"] {
            assert!(parse_duration(bad).unwrap_err().contains("is not a duration"), "{bad}");
        }
        assert!(parse_duration("100000h").unwrap_err().contains("too long"));
    }
}
