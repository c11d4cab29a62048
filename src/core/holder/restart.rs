//! What would start a holder again if it were stopped: a dev watcher, a process manager, a shell
//! loop, a systemd unit, a container.

use super::command::{ShellRole, file_name, has_loop, passes_through, program, shell_role};
use crate::core::process::ProcessInfo;
use serde::Serialize;

/// What kind of thing would restart a holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SupervisorKind {
    Nodemon,
    Pm2,
    Forever,
    Supervisord,
    /// A file watcher that restarts on change: watchexec, cargo-watch, air, entr, reflex,
    /// `node --watch`, `tsx watch`, `bun --watch`, `deno --watch`, ts-node-dev.
    Watcher,
    /// `sh -c 'while …; do …; done'` (or `until`/`for`).
    ShellLoop,
    /// A shell script (not interactive) that started it: it may or may not start it again.
    ShellScript,
    /// A systemd service (system or `--user`).
    Systemd,
    /// The holder is docker-proxy: a container publishes the port.
    DockerProxy,
    /// The holder runs inside a container (Docker or Podman scope).
    Container,
    /// Windows: wslrelay.exe forwards a WSL distribution's server (`core::platform`).
    WslRelay,
    /// Windows, macOS: Docker Desktop (com.docker.backend, vpnkit) publishes a container's port.
    DockerDesktop,
    /// Windows: System, pid 4 (http.sys, for a service that registered a URL).
    HttpSys,
    /// macOS: the AirPlay Receiver (ControlCenter) on 5000 and 7000.
    AirPlayReceiver,
    /// macOS: rapportd (Continuity, Handoff).
    Rapportd,
}

/// What would restart a holder, and how to stop it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Supervisor {
    pub(crate) kind: SupervisorKind,
    /// The supervising process, when it is one (not for a systemd unit or a container).
    pub(crate) pid: Option<u32>,
    /// One sentence for people: "nodemon (pid 4560) starts it again when files change".
    /// Unescaped: pass it through `render::escape` before printing.
    pub(crate) note: String,
    /// Whether it surely restarts the holder. `false` for a shell script (it may just run the
    /// server once) and for systemd (only with a `Restart=` setting).
    pub(crate) certain: bool,
    /// How to stop it for good: `kill 4560`, `systemctl stop nginx.service`,
    /// `pm2 stop <name> (see pm2 list)`. Unescaped, like `note`.
    pub(crate) stop: String,
}

/// What would start the holder (`chain[0]`) again if it were stopped: the nearest supervising
/// parent (see the module docs for how far the walk goes), else the systemd service or the
/// container that `unit` names (normally `chain[0].systemd_unit`; a user unit when
/// `chain[0].systemd_user` is set). Login sessions' and terminals' scopes restart nothing and
/// give `None`. A holder that is itself docker-proxy gives [`SupervisorKind::DockerProxy`].
pub(crate) fn supervisor(chain: &[ProcessInfo], unit: Option<&str>) -> Option<Supervisor> {
    let holder = chain.first();
    if let Some(h) = holder {
        if let Some(s) = docker_proxy(h) {
            return Some(s);
        }
        if let Some(s) = crate::core::platform::known_holder(crate::core::platform::Os::CURRENT, h, None) {
            return Some(s);
        }
    }
    for p in chain.iter().skip(1) {
        if let Some(s) = supervising_process(p) {
            return Some(s);
        }
        if !passes_through(p) {
            break;
        }
    }
    unit_supervisor(unit?, holder.and_then(|h| h.systemd_user))
}

pub(super) fn docker_proxy(h: &ProcessInfo) -> Option<Supervisor> {
    let prog = program(&h.cmdline);
    if h.name != "docker-proxy" && prog.name != "docker-proxy" {
        return None;
    }
    let arg = |flag: &str| {
        prog.args
            .iter()
            .position(|a| a == flag || a == &format!("-{flag}"))
            .and_then(|i| prog.args.get(i + 1))
            .cloned()
    };
    let port = arg("-host-port");
    let target = match (arg("-container-ip"), arg("-container-port")) {
        (Some(ip), Some(p)) => format!(" to {ip}:{p}"),
        _ => String::new(),
    };
    Some(Supervisor {
        kind: SupervisorKind::DockerProxy,
        pid: Some(h.pid),
        note: format!("a Docker container publishes this port (docker-proxy forwards it{target})"),
        certain: true,
        stop: match port {
            Some(port) => format!("docker ps --filter publish={port}, then docker stop <container>"),
            None => "docker ps, then docker stop <container>".to_string(),
        },
    })
}

/// Whether this parent process would restart its child.
pub(super) fn supervising_process(p: &ProcessInfo) -> Option<Supervisor> {
    let pid = p.pid;
    let make = |kind, note: String, certain, stop: String| {
        Some(Supervisor { kind, pid: Some(pid), note, certain, stop })
    };
    // pid 1 (a container's init, or this system's) is never signalled by portfix: say what to stop
    let kill = if pid == 1 {
        "stop what runs pid 1 (its container, or the system's service manager); portfix never signals pid 1"
            .to_string()
    } else {
        format!("kill {pid}")
    };
    let raw = p.cmdline.join(" ");
    if raw.starts_with("PM2 ") && raw.contains("God Daemon") {
        return make(
            SupervisorKind::Pm2,
            format!("pm2 (its God Daemon, pid {pid}) starts it again"),
            true,
            "pm2 stop <name> (see pm2 list)".into(),
        );
    }
    if let Some(role) = shell_role(&p.cmdline) {
        return match role {
            ShellRole::Command(script) if has_loop(&script) => make(
                SupervisorKind::ShellLoop,
                format!("a shell loop (pid {pid}) starts it again"),
                true,
                kill,
            ),
            ShellRole::Script(script) => make(
                SupervisorKind::ShellScript,
                format!(
                    "the shell script {} (pid {pid}) started it and may start it again",
                    file_name(&script)
                ),
                false,
                kill,
            ),
            _ => None,
        };
    }
    let prog = program(&p.cmdline);
    let name = prog.name.as_str();
    let first = prog.args.first().map(String::as_str);
    let has = |flag: &str| prog.args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let interp_has = |flag: &str| {
        prog.interpreter
            .as_ref()
            .is_some_and(|(_, opts)| opts.iter().any(|a| a == flag || a.starts_with(&format!("{flag}="))))
    };
    match name {
        "nodemon" => make(
            SupervisorKind::Nodemon,
            format!("nodemon (pid {pid}) starts it again when files change"),
            true,
            kill,
        ),
        "forever" | "monitor" if name == "forever" || raw.contains("forever/bin/monitor") => make(
            SupervisorKind::Forever,
            format!("forever (pid {pid}) starts it again"),
            true,
            "forever stop <script> (see forever list)".into(),
        ),
        "supervisord" => make(
            SupervisorKind::Supervisord,
            format!("supervisord (pid {pid}) starts it again"),
            true,
            "supervisorctl stop <program> (see supervisorctl status)".into(),
        ),
        _ => {
            let tool = match name {
                "watchexec" | "cargo-watch" | "air" | "entr" | "reflex" | "ts-node-dev" | "tsnd"
                | "node-dev" => Some(name.to_string()),
                "cargo" if first == Some("watch") => Some("cargo watch".into()),
                "tsx" if first == Some("watch") => Some("tsx watch".into()),
                "bun" | "deno" if has("--watch") || has("--hot") => Some(format!("{name} --watch")),
                _ if interp_has("--watch") || interp_has("--watch-path") => Some("node --watch".into()),
                _ if name == "node" && (has("--watch") || has("--watch-path")) => Some("node --watch".into()),
                _ => None,
            }?;
            make(
                SupervisorKind::Watcher,
                format!("{tool} (pid {pid}) starts it again when files change"),
                true,
                kill,
            )
        }
    }
}

/// A systemd service or a container scope; nothing for login sessions, terminals' and apps'
/// scopes, or a user's service manager itself.
pub(super) fn unit_supervisor(unit: &str, user_manager: Option<u32>) -> Option<Supervisor> {
    if let Some(id) = unit.strip_prefix("docker-").and_then(|u| u.strip_suffix(".scope")) {
        let short: String = id.chars().take(12).collect();
        return Some(Supervisor {
            kind: SupervisorKind::Container,
            pid: None,
            note: format!("it runs in Docker container {short}"),
            certain: true,
            stop: format!("docker stop {short}"),
        });
    }
    if let Some(id) = unit.strip_prefix("libpod-").and_then(|u| u.strip_suffix(".scope")) {
        let short: String = id.chars().take(12).collect();
        return Some(Supervisor {
            kind: SupervisorKind::Container,
            pid: None,
            note: format!("it runs in Podman container {short}"),
            certain: true,
            stop: format!("podman stop {short}"),
        });
    }
    if !unit.ends_with(".service") || unit.starts_with("user@") {
        return None;
    }
    let (whose, stop) = match user_manager {
        Some(_) => ("user service", format!("systemctl --user stop {unit}")),
        None => ("systemd service", format!("systemctl stop {unit}")),
    };
    Some(Supervisor {
        kind: SupervisorKind::Systemd,
        pid: None,
        note: format!("the {whose} {unit} may start it again (if its Restart= setting says so)"),
        certain: false,
        stop,
    })
}
