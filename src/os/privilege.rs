//! The OS facts about privileged ports that `core::privilege` decides with: on Linux
//! `net.ipv4.ip_unprivileged_port_start` of portfix's network namespace (read from `/proc/sys`
//! each time it is needed: a refused bind is rare); elsewhere the OS alone says the rule.

use crate::core::privilege::Rules;

/// This OS's rules for privileged ports.
pub(crate) fn rules() -> Rules {
    #[cfg(target_os = "linux")]
    {
        // absent (a kernel before 4.11): the classic 1024
        let start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
            .unwrap_or(1024);
        Rules::Linux { unprivileged_start: start }
    }
    #[cfg(target_os = "macos")]
    {
        Rules::MacOs
    }
    #[cfg(windows)]
    {
        Rules::Windows
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        Rules::OtherUnix
    }
}
