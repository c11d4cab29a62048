//! A port the OS refuses to this user (a bind refused with EACCES/WSAEACCES, recognised by
//! `core::denied`): whether it needs privilege here, how to say so, where to move, and what the
//! policy makes of it. Pure: the OS facts (which OS, `net.ipv4.ip_unprivileged_port_start`) are
//! passed in (`os::privilege` reads them).
//!
//! - **Linux**: ports below `net.ipv4.ip_unprivileged_port_start` (default 1024; per network
//!   namespace) need `CAP_NET_BIND_SERVICE`. To allow it: `sudo sysctl -w
//!   net.ipv4.ip_unprivileged_port_start=P` (until reboot; a file in `/etc/sysctl.d/` keeps it).
//! - **macOS**: ports below 1024 need root for a specific address (the wildcard is allowed since
//!   macOS 10.14): run the command with `sudo`, or bind every address.
//! - **Windows**: a refused bind is a port in an excluded range (reserved by Hyper-V, WSL, Docker
//!   or winnat) or reserved for administrators; `netsh interface ipv4 show excludedportrange
//!   protocol=tcp` lists the ranges, and `net stop winnat` then `net start winnat` (as
//!   administrator) usually releases the dynamic ones.
//!
//! The move (`--next`, `-y`, the prompt's default): the first free port from P + 8000 up (80 →
//! 8080, 443 → 8443), never below the first unprivileged port; for a refused port that is not
//! privileged by number (Windows' excluded ranges), from P + 1 up as for a port in use. The probe
//! binds skip ports that are refused to portfix too.

use super::policy::{Policy, Refusal, RefusalKind, Situation};
use super::port::Port;

/// What the OS says about privileged ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code, reason = "each OS makes its own (`os::privilege`); the tests make them all")]
pub(crate) enum Rules {
    /// `net.ipv4.ip_unprivileged_port_start` (read from `/proc/sys`).
    Linux { unprivileged_start: u16 },
    /// Below 1024, for some addresses.
    MacOs,
    /// Excluded ranges, reserved ports: not known by number.
    Windows,
    /// Another Unix: below 1024.
    OtherUnix,
}

impl Rules {
    /// The first port an unprivileged user may bind (Windows: any).
    pub(crate) fn first_unprivileged(self) -> u16 {
        match self {
            Rules::Linux { unprivileged_start } => unprivileged_start,
            Rules::MacOs | Rules::OtherUnix => 1024,
            Rules::Windows => 1,
        }
    }

    /// Whether `port` needs privilege by its number alone.
    pub(crate) fn needs_privilege(self, port: Port) -> bool {
        port.get() < self.first_unprivileged()
    }

    /// Why `port` was refused, in one line (`portfix: port 80 is privileged here: …`).
    pub(crate) fn why(self, port: Port) -> String {
        let privileged = self.needs_privilege(port);
        match self {
            Rules::Linux { unprivileged_start } if privileged => format!(
                "port {port} is privileged here: binding it needs privilege (Linux refuses ports below \
                 {unprivileged_start} to unprivileged users: net.ipv4.ip_unprivileged_port_start); nothing holds it"
            ),
            Rules::MacOs if privileged => format!(
                "port {port} is privileged here: binding it needs privilege (macOS refuses ports below 1024 \
                 to unprivileged users on a specific address); nothing holds it"
            ),
            Rules::OtherUnix if privileged => format!(
                "port {port} is privileged here: binding it needs privilege (ports below 1024 are refused to \
                 unprivileged users); nothing holds it"
            ),
            Rules::Windows => format!(
                "port {port} was refused by Windows (WSAEACCES, 10013): it is in an excluded port range \
                 (Hyper-V, WSL, Docker) or reserved for administrators; nothing holds it"
            ),
            _ => format!("binding port {port} was refused (permission denied); nothing holds it"),
        }
    }

    /// The exact command that allows `port` (`command` is the command line portfix runs, for
    /// `sudo`), or how to see why it is refused.
    pub(crate) fn allow(self, port: Port, command: &str) -> String {
        match self {
            Rules::Linux { .. } if self.needs_privilege(port) => {
                format!("sudo sysctl -w net.ipv4.ip_unprivileged_port_start={port}")
            }
            Rules::MacOs | Rules::OtherUnix if self.needs_privilege(port) => format!("sudo {command}"),
            Rules::Windows => crate::core::platform::excluded_range_hint(port, None),
            _ => format!("check what refuses port {port} here (a security policy, a sandbox)"),
        }
    }

    /// Where a free port is looked for instead of `port`: from P + 8000 (80 → 8080, 443 → 8443)
    /// for a privileged port, never below the first unprivileged one; else from P + 1.
    pub(crate) fn move_from(self, port: Port) -> Option<Port> {
        let from = if self.needs_privilege(port) {
            (u32::from(port.get()) + 8000).max(u32::from(self.first_unprivileged()))
        } else {
            u32::from(port.get()) + 1
        };
        u16::try_from(from).ok().and_then(Port::new)
    }
}

/// What to do about a refused port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Move to a free unprivileged port.
    Move,
    /// Ask at the terminal (move, another port, abort).
    Ask,
    /// Exit with this code and hint.
    Fail(Refusal),
}

/// Decides about a refused port: stopping anything cannot help (nothing holds it). `--next` and
/// `-y` move; a terminal asks; otherwise (CI, no terminal, `--on-conflict fail`, `--kill`) exit
/// `Code::Refused` with the flags to re-run with and the command that allows the port.
pub(crate) fn decide(s: Situation, port: Port, rules: Rules, command: &str) -> Decision {
    let fail = |why: &str| {
        Decision::Fail(Refusal {
            kind: RefusalKind::Privileged,
            why: why.to_string(),
            hint: format!(
                "re-run with --next (move to a free unprivileged port{}), or allow it: {}",
                rules.move_from(port).map_or(String::new(), |p| format!(", from {p} up")),
                rules.allow(port, command)
            ),
        })
    };
    match s.policy {
        Some(Policy::Next) => Decision::Move,
        Some(Policy::Kill) => fail("--kill: nothing holds it, there is nothing to stop"),
        Some(Policy::Fail) => fail("--on-conflict fail"),
        _ if s.yes => Decision::Move,
        Some(Policy::Ask) if s.terminal => Decision::Ask,
        None if s.terminal && !s.ci => Decision::Ask,
        None if s.ci => fail("not asking: CI is set"),
        _ => fail("not asking: stdin or stderr is not a terminal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    const LINUX: Rules = Rules::Linux { unprivileged_start: 1024 };

    #[test]
    fn which_ports_need_privilege() {
        assert!(LINUX.needs_privilege(p(80)));
        assert!(LINUX.needs_privilege(p(1023)));
        assert!(!LINUX.needs_privilege(p(1024)));
        let lowered = Rules::Linux { unprivileged_start: 80 };
        assert!(!lowered.needs_privilege(p(80)) && lowered.needs_privilege(p(79)));
        // a sysctl of 0 allows every port
        assert!(!Rules::Linux { unprivileged_start: 0 }.needs_privilege(p(1)));
        assert!(Rules::MacOs.needs_privilege(p(443)) && !Rules::MacOs.needs_privilege(p(8080)));
        assert!(!Rules::Windows.needs_privilege(p(80)));
    }

    #[test]
    fn what_is_said() {
        let why = LINUX.why(p(80));
        assert!(
            why.starts_with(
                "port 80 is privileged here: binding it needs privilege (Linux refuses ports below 1024"
            ),
            "{why}"
        );
        assert!(
            why.contains("net.ipv4.ip_unprivileged_port_start") && why.ends_with("nothing holds it"),
            "{why}"
        );
        assert!(!why.contains("in use"), "never called in use: {why}");
        assert_eq!(LINUX.allow(p(80), "x"), "sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80");
        assert!(Rules::MacOs.why(p(80)).contains("macOS refuses ports below 1024"));
        for r in [LINUX, Rules::MacOs, Rules::Windows, Rules::OtherUnix] {
            for n in [80, 3000] {
                assert!(!r.why(p(n)).contains("in use"), "{r:?} {n}: {}", r.why(p(n)));
            }
        }
        assert_eq!(Rules::MacOs.allow(p(80), "python3 -m http.server 80"), "sudo python3 -m http.server 80");
        let win = Rules::Windows.why(p(3000));
        assert!(win.contains("excluded port range") && win.contains("10013"), "{win}");
        assert!(Rules::Windows.allow(p(3000), "x").contains("netsh interface ipv4 show excludedportrange"));
        // refused though not privileged by number (a sandbox): said plainly
        assert_eq!(LINUX.why(p(3000)), "binding port 3000 was refused (permission denied); nothing holds it");
    }

    #[test]
    fn where_it_moves() {
        let from = |r: Rules, n| r.move_from(p(n)).map(Port::get);
        assert_eq!(from(LINUX, 80), Some(8080));
        assert_eq!(from(LINUX, 443), Some(8443));
        assert_eq!(from(LINUX, 22), Some(8022));
        assert_eq!(from(Rules::Linux { unprivileged_start: 10000 }, 80), Some(10000));
        assert_eq!(from(Rules::Windows, 3000), Some(3001));
        assert_eq!(from(Rules::Windows, 65535), None);
        assert_eq!(from(Rules::MacOs, 80), Some(8080));
    }

    #[test]
    fn decisions() {
        let sit = |policy, yes, terminal, ci| Situation { policy, yes, terminal, ci };
        let d = |s| decide(s, p(80), LINUX, "python3 -m http.server 80");
        assert_eq!(d(sit(Some(Policy::Next), false, false, true)), Decision::Move);
        assert_eq!(d(sit(None, true, false, true)), Decision::Move);
        assert_eq!(d(sit(None, false, true, false)), Decision::Ask);
        assert_eq!(d(sit(Some(Policy::Ask), false, true, true)), Decision::Ask);
        for (s, why) in [
            (sit(None, false, true, true), "not asking: CI is set"),
            (sit(None, false, false, false), "not asking: stdin or stderr is not a terminal"),
            (sit(Some(Policy::Fail), true, true, false), "--on-conflict fail"),
            (
                sit(Some(Policy::Kill), false, true, false),
                "--kill: nothing holds it, there is nothing to stop",
            ),
        ] {
            let Decision::Fail(r) = d(s) else { panic!("{s:?}") };
            assert_eq!((r.code(), r.why.as_str()), (Code::Refused, why), "{s:?}");
            assert_eq!(
                r.hint,
                "re-run with --next (move to a free unprivileged port, from 8080 up), or allow it: \
                 sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80"
            );
        }
    }
}
