//! Causes of "port in use" that belong to one OS, and what to do about each. Pure: tables and
//! parsing, tested below; `os::` only runs the commands and reads the processes.
//!
//! - Windows: a bind refused with WSAEACCES (10013) on a port inside a range that Hyper-V,
//!   WinNAT or WSL excluded ([`parse_excluded_ranges`] reads `netsh interface ipv4 show
//!   excludedportrange protocol=tcp`; [`excluded_range_hint`] says the fix, for `core::privilege`); `wslrelay.exe` (a
//!   WSL distro's server forwarded to Windows); `com.docker.backend` / `vpnkit` (a Docker
//!   Desktop container, also on macOS); `System`, pid 4 (http.sys: a service registered a URL).
//! - macOS: `ControlCenter` on 5000 and 7000 (the AirPlay Receiver), `rapportd` (Continuity).
//!
//! Each known holder is a [`Supervisor`] like docker-proxy's (see `core::holder::supervisor`):
//! what keeps the port held, and how to stop it for good.

use crate::core::holder::{Supervisor, SupervisorKind};
use crate::core::port::{Port, PortRange};
use crate::core::process::ProcessInfo;

/// The OS a holder runs on: the tables are per OS, and testable on any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Os {
    Linux,
    Macos,
    Windows,
}

impl Os {
    pub(crate) const CURRENT: Os = if cfg!(windows) {
        Os::Windows
    } else if cfg!(target_os = "macos") {
        Os::Macos
    } else {
        Os::Linux
    };
}

/// The command that lists the excluded ranges, as the user would type it.
pub(crate) const EXCLUDED_RANGES_COMMAND: &str = "netsh interface ipv4 show excludedportrange protocol=tcp";

/// The ranges in `netsh interface ipv4 show excludedportrange protocol=tcp` output: each line of
/// two port numbers (a `*` after them marks an administered exclusion). Headers, the legend and
/// localised text are skipped; a line whose numbers are not ports is ignored.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn parse_excluded_ranges(output: &str) -> Vec<PortRange> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let lo: u16 = words.next()?.parse().ok()?;
            let hi: u16 = words.next()?.parse().ok()?;
            if !matches!(words.next(), None | Some("*")) {
                return None;
            }
            PortRange::new(Port::new(lo)?, Port::new(hi)?)
        })
        .collect()
}

/// The excluded range `port` is in, if any.
pub(crate) fn excluded_range_of(port: Port, ranges: &[PortRange]) -> Option<PortRange> {
    ranges.iter().copied().find(|r| r.contains(port))
}

/// What to say when Windows refused a bind with WSAEACCES on `port` (seen in `in_range`, when
/// the ranges could be read): why, how to see the ranges, and the two ways out.
pub(crate) fn excluded_range_hint(port: Port, in_range: Option<PortRange>) -> String {
    let why = match in_range {
        Some(r) => format!("port {port} is in the range {r} that Windows reserves (Hyper-V, WinNAT or WSL)"),
        None => format!(
            "Windows refused port {port} (WSAEACCES, 10013): it is most likely in a range that Hyper-V, WinNAT or WSL reserves"
        ),
    };
    format!(
        "{why}; see the ranges with `{EXCLUDED_RANGES_COMMAND}`. Pick a port outside them (--next does), or, \
         as administrator, `net stop winnat` then `net start winnat` to have them chosen again"
    )
}

/// A holder this OS itself explains: what holds the port and how to stop it for good.
pub(crate) fn known_holder(os: Os, holder: &ProcessInfo, port: Option<Port>) -> Option<Supervisor> {
    let name = holder.name.to_ascii_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    let make = |kind, note: String, certain, stop: String| {
        Some(Supervisor { kind, pid: Some(holder.pid), note, certain, stop })
    };
    let publish = port.map_or(String::new(), |p| format!(" --filter publish={p}"));
    match (os, name) {
        (Os::Windows, "wslrelay") => {
            let distro = arg_after(&holder.cmdline, &["--distro", "-d", "--distribution"]);
            let which = distro.as_deref().map_or("a WSL distribution".to_string(), |d| format!("the WSL distribution {d}"));
            let stop = match &distro {
                Some(d) => format!("stop the server inside {d} (`wsl -d {d}`), or `wsl --terminate {d}`"),
                None => "stop the server inside WSL (`wsl --list --running` names the distributions), or `wsl --shutdown`".into(),
            };
            make(
                SupervisorKind::WslRelay,
                format!("wslrelay.exe forwards this port from a server in {which}"),
                true,
                stop,
            )
        }
        (Os::Windows | Os::Macos, "com.docker.backend" | "vpnkit" | "com.docker.vpnkit" | "com.docker.proxy") => make(
            SupervisorKind::DockerDesktop,
            format!("a Docker Desktop container publishes this port ({} forwards it)", holder.name),
            true,
            format!("docker ps{publish}, then docker stop <container>"),
        ),
        (Os::Windows, "system") if holder.pid == 4 => make(
            SupervisorKind::HttpSys,
            "Windows itself holds it (http.sys, for a service that registered a URL on this port: IIS, WinRM, SSDP, ...)".into(),
            true,
            "`netsh http show servicestate` names the process that registered it: stop that service".into(),
        ),
        (Os::Macos, "controlcenter") => make(
            SupervisorKind::AirPlayReceiver,
            "the AirPlay Receiver (ControlCenter) listens on 5000 and 7000; macOS starts it again".into(),
            true,
            "turn it off in System Settings > General > AirDrop & Handoff > AirPlay Receiver".into(),
        ),
        (Os::Macos, "rapportd") => make(
            SupervisorKind::Rapportd,
            "rapportd (Apple's Continuity and Handoff daemon) holds it; launchd starts it again".into(),
            true,
            "pick another port (--next); turning off Handoff (System Settings > General > AirDrop & Handoff) stops it"
                .into(),
        ),
        _ => None,
    }
}

/// The word after one of `flags` (`--distro Ubuntu`, `--distro=Ubuntu`).
fn arg_after(cmdline: &[String], flags: &[&str]) -> Option<String> {
    cmdline.iter().enumerate().find_map(|(i, a)| {
        flags.iter().find_map(|f| {
            if a == f {
                cmdline.get(i + 1).cloned()
            } else {
                a.strip_prefix(&format!("{f}=")).map(str::to_string)
            }
        })
    })
}

/// The socket table from per-socket results. On macOS, netstat2 reads each process's sockets
/// one by one (proc_pidinfo, then proc_pidfdinfo per descriptor) and gives an error for a
/// socket whose process exited or closed it mid-scan: that socket is gone, the rest of the table
/// stands. Elsewhere an error means the table itself could not be read (Windows'
/// GetExtendedTcpTable), and the read fails.
#[cfg_attr(target_os = "linux", allow(dead_code))]
pub(crate) fn socket_table<T, E>(os: Os, items: impl IntoIterator<Item = Result<T, E>>) -> Result<Vec<T>, E> {
    match os {
        Os::Macos => Ok(items.into_iter().filter_map(Result::ok).collect()),
        Os::Linux | Os::Windows => items.into_iter().collect(),
    }
}

/// How to see more of a socket whose owner is not shown, per OS: `sudo` on Unix, an elevated
/// prompt on Windows (where Wine, too, shows no owners). `see_all`: every owner is visible
/// already (root), so none means no process has it.
pub(crate) fn hidden_note(os: Os, see_all: bool, command: &str) -> String {
    match os {
        _ if see_all => "no process here has it open (a kernel socket, or one from another namespace)".into(),
        Os::Windows => format!(
            "the port is held, but Windows does not say by which process (run `portfix {command}` from an elevated prompt to see more)"
        ),
        Os::Linux | Os::Macos => {
            format!("its process belongs to another user: `sudo portfix {command}` shows more")
        }
    }
}

/// After "a process portfix cannot see", in brackets: how to see more.
pub(crate) fn hidden_words(os: Os) -> &'static str {
    match os {
        Os::Windows => "Windows does not say which process; an elevated prompt may show more",
        Os::Linux | Os::Macos => "sudo shows more",
    }
}

/// [`hidden_note`] in a few words, for one line of `list`.
pub(crate) fn hidden_short(os: Os, see_all: bool) -> &'static str {
    match os {
        _ if see_all => "no process here: a kernel socket or another namespace",
        Os::Windows => "owner not visible: an elevated prompt shows more",
        Os::Linux | Os::Macos => "another user's: `sudo portfix list` shows more",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    fn proc(pid: u32, name: &str, cmdline: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            name: name.into(),
            cmdline: cmdline.iter().map(ToString::to_string).collect(),
            ..ProcessInfo::default()
        }
    }

    #[test]
    fn excluded_ranges_from_netsh() {
        let out = "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n\
                   ----------    --------\r\n      1080        1179\r\n      5357        5357\r\n\
                   \x20    50000       50059     *\r\n\r\n* - Administered port exclusions.\r\n";
        let r = parse_excluded_ranges(out);
        let want = [(1080, 1179), (5357, 5357), (50000, 50059)];
        assert_eq!(r.iter().map(|r| (r.lo.get(), r.hi.get())).collect::<Vec<_>>(), want);
        assert_eq!(excluded_range_of(p(1100), &r), Some(r[0]));
        assert_eq!(excluded_range_of(p(3000), &r), None);
        // German headers, nothing excluded, junk, a reversed or zero range.
        let de = "Protokoll tcp Portausschlussbereiche\n\nStartport    Endport\n---------    -------\n\n* - Verwaltete Portausschlüsse.\n";
        assert!(parse_excluded_ranges(de).is_empty());
        assert!(parse_excluded_ranges("0 10\n 20 10\n 70000 70001\n 1 2 3\n").is_empty());
        // Wine's netsh has no such command: what it prints is no range.
        assert!(parse_excluded_ranges("The following commands are available:\n").is_empty());
    }

    #[test]
    fn excluded_range_hints() {
        let h = excluded_range_hint(p(5000), Some(PortRange::new(p(4950), p(5049)).unwrap()));
        assert!(h.starts_with("port 5000 is in the range 4950-5049 that Windows reserves"), "{h}");
        assert!(
            h.contains(EXCLUDED_RANGES_COMMAND) && h.contains("net stop winnat") && h.contains("--next"),
            "{h}"
        );
        assert!(excluded_range_hint(p(5000), None).contains("WSAEACCES, 10013"));
    }

    #[test]
    fn known_holders_per_os() {
        let port = Some(p(3000));
        let kind = |os, h: &ProcessInfo| known_holder(os, h, port).map(|s| s.kind);
        let wsl = proc(9120, "wslrelay.exe", &["C:\\Program Files\\WSL\\wslrelay.exe", "--mode", "1"]);
        assert_eq!(kind(Os::Windows, &wsl), Some(SupervisorKind::WslRelay));
        assert!(known_holder(Os::Windows, &wsl, port).unwrap().stop.contains("wsl --shutdown"));
        let named = proc(9120, "wslrelay.exe", &["wslrelay.exe", "--distro", "Ubuntu-22.04"]);
        let s = known_holder(Os::Windows, &named, port).unwrap();
        assert!(s.note.contains("the WSL distribution Ubuntu-22.04"), "{}", s.note);
        assert!(s.stop.contains("wsl --terminate Ubuntu-22.04"), "{}", s.stop);

        for name in ["com.docker.backend.exe", "vpnkit.exe", "com.docker.backend"] {
            let h = proc(700, name, &[name]);
            let s = known_holder(Os::Windows, &h, port).unwrap();
            assert_eq!(s.kind, SupervisorKind::DockerDesktop, "{name}");
            assert_eq!(s.stop, "docker ps --filter publish=3000, then docker stop <container>");
        }
        assert_eq!(
            kind(Os::Macos, &proc(70, "com.docker.backend", &[])),
            Some(SupervisorKind::DockerDesktop)
        );

        assert_eq!(kind(Os::Windows, &proc(4, "System", &[])), Some(SupervisorKind::HttpSys));
        assert!(
            known_holder(Os::Windows, &proc(4, "System", &[]), port)
                .unwrap()
                .stop
                .contains("netsh http show servicestate")
        );
        assert_eq!(kind(Os::Windows, &proc(4000, "System", &[])), None, "only pid 4 is the kernel's");

        let cc = proc(
            512,
            "ControlCenter",
            &["/System/Library/CoreServices/ControlCenter.app/Contents/MacOS/ControlCenter"],
        );
        let s = known_holder(Os::Macos, &cc, Some(p(5000))).unwrap();
        assert_eq!(s.kind, SupervisorKind::AirPlayReceiver);
        assert!(s.stop.contains("AirDrop & Handoff > AirPlay Receiver"), "{}", s.stop);
        assert_eq!(
            kind(Os::Macos, &proc(388, "rapportd", &["/usr/libexec/rapportd"])),
            Some(SupervisorKind::Rapportd)
        );

        // Each OS's names mean nothing elsewhere.
        assert_eq!(kind(Os::Linux, &cc), None);
        assert_eq!(kind(Os::Linux, &wsl), None);
        assert_eq!(kind(Os::Macos, &wsl), None);
        assert_eq!(kind(Os::Linux, &proc(4, "System", &[])), None);
        assert_eq!(kind(Os::Windows, &proc(1, "node.exe", &["node", "server.js"])), None);
    }

    #[test]
    fn a_process_gone_mid_scan_drops_its_socket_on_macos_only() {
        let items = || vec![Ok(1), Err("ESRCH"), Ok(3)];
        assert_eq!(socket_table(Os::Macos, items()), Ok(vec![1, 3]));
        assert_eq!(socket_table(Os::Windows, items()), Err("ESRCH"));
        assert_eq!(socket_table::<u8, &str>(Os::Macos, vec![]), Ok(vec![]));
    }

    #[test]
    fn hidden_owner_notes() {
        assert!(hidden_note(Os::Windows, false, "who 3000").contains("elevated prompt"));
        assert!(!hidden_note(Os::Windows, false, "who 3000").contains("sudo"));
        assert!(hidden_note(Os::Linux, false, "who 3000").contains("sudo portfix who 3000"));
        assert!(hidden_note(Os::Linux, true, "who 3000").contains("kernel socket"));
        assert!(hidden_short(Os::Windows, false).contains("not visible"));
        assert!(hidden_short(Os::Macos, false).contains("sudo"));
    }
}
