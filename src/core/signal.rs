//! Signals the user may name with `--signal`, and durations for `--grace`. Pure parsing; the OS
//! layer turns a [`Signal`] into its number.

use std::fmt;
use std::time::{Duration, Instant};

/// A signal portfix can send to a holder. Windows has no signals: any of them ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub(crate) enum Signal {
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
    pub(crate) fn name(self) -> &'static str {
        NAMES.iter().find(|(s, _, _)| *s == self).map(|(_, n, _)| *n).expect("every signal is named")
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name())
    }
}

/// Parses `TERM`, `SIGTERM`, `term`, or `15`.
pub(crate) fn parse_signal(s: &str) -> Result<Signal, String> {
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
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
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

/// The one escalation rule, for a holder portfix stops (`core::stop::engine`) and for the
/// command's own tree (`cmd::run::launch`) alike: the first signal, then SIGKILL once the grace
/// has passed since it, or at once when portfix is asked to stop a second time. Pure: the caller
/// gives the time and sends the signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Escalation {
    grace: Duration,
    kill_at: Option<Instant>,
}

impl Escalation {
    /// Not begun: no signal sent yet.
    pub(crate) fn new(grace: Duration) -> Escalation {
        Escalation { grace, kill_at: None }
    }

    /// Begun at `at`: the first signal went then.
    pub(crate) fn begun_at(at: Instant, grace: Duration) -> Escalation {
        Escalation { grace, kill_at: Some(at + grace) }
    }

    /// The first signal has been sent.
    pub(crate) fn begun(&self) -> bool {
        self.kill_at.is_some()
    }

    /// Begins it at `now` unless it has begun: true when the first signal is to be sent now.
    pub(crate) fn begin(&mut self, now: Instant) -> bool {
        let first = !self.begun();
        if first {
            self.kill_at = Some(now + self.grace);
        }
        first
    }

    /// portfix was asked to stop: the signal to send now, `first` when this begins it and
    /// SIGKILL when it had begun (asked twice: no more waiting).
    pub(crate) fn asked(&mut self, now: Instant, first: Signal) -> Signal {
        if self.begin(now) { first } else { Signal::Kill }
    }

    /// When SIGKILL falls due, once begun.
    pub(crate) fn kill_at(&self) -> Option<Instant> {
        self.kill_at
    }

    /// How long until SIGKILL falls due (zero when due, or not begun).
    pub(crate) fn left(&self, now: Instant) -> Duration {
        self.kill_at.map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    /// SIGKILL is due at `now`: begun, and the grace has passed.
    pub(crate) fn kill_due(&self, now: Instant) -> bool {
        self.kill_at.is_some_and(|t| now >= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_kills_at_the_grace_or_when_asked_twice() {
        let t0 = Instant::now();
        let grace = Duration::from_millis(500);
        let mut e = Escalation::new(grace);
        assert!(!e.begun() && !e.kill_due(t0 + grace * 10) && e.kill_at().is_none());
        assert!(e.begin(t0));
        assert!(!e.begin(t0 + grace), "begun once: the deadline stays");
        assert_eq!(e.kill_at(), Some(t0 + grace));
        assert!(!e.kill_due(t0 + grace - Duration::from_millis(1)));
        assert!(e.kill_due(t0 + grace));
        assert_eq!(e.left(t0 + Duration::from_millis(200)), Duration::from_millis(300));
        assert_eq!(e.left(t0 + grace * 2), Duration::ZERO);
        let mut asked = Escalation::new(grace);
        assert_eq!(asked.asked(t0, Signal::Int), Signal::Int);
        assert_eq!(asked.asked(t0, Signal::Int), Signal::Kill);
        assert_eq!(Escalation::begun_at(t0, grace), e);
    }

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
