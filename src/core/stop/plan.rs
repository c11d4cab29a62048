//! The stop plan: what to signal for one port, and whether that needs a confirmation.

use crate::core::holder::{self, Supervisor};
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::socket::{Proto, Socket};

use super::report::describe_short;
pub(crate) use super::report::short_command;

/// A process as portfix identifies it: its pid plus its start time, so that a pid reused by a
/// new process is never mistaken for the old one. `start` is in clock ticks since boot on Linux
/// (field 22 of `/proc/PID/stat`), whole seconds since the epoch elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Ident {
    pub(crate) pid: u32,
    pub(crate) start: Option<u64>,
}

impl Ident {
    /// The identity the OS layer recorded for this process (ticks where known, else seconds).
    pub(crate) fn of(p: &ProcessInfo) -> Ident {
        Ident { pid: p.pid, start: p.start_ticks.or(p.start_time) }
    }
}

/// Where portfix itself stands: what it must never stop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Me {
    pub(crate) pid: u32,
    pub(crate) uid: Option<u32>,
    pub(crate) pgid: Option<u32>,
    /// portfix's parent, grandparent, ... up to pid 1.
    pub(crate) ancestors: Vec<u32>,
}

impl Me {
    pub(crate) fn is_root(&self) -> bool {
        self.uid == Some(0)
    }
}

/// A container that publishes the port (from `docker ps --filter publish=PORT`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Container {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// Everything the plan is made from.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) port: Port,
    pub(crate) proto: Proto,
    /// The sockets that hold the port, with their owner pids.
    pub(crate) sockets: Vec<Socket>,
    /// The holders and their ancestors, as far as the user may see them.
    pub(crate) procs: Vec<ProcessInfo>,
    /// A TIME_WAIT socket is left on the port (looked for only when nothing holds it).
    pub(crate) time_wait: bool,
    /// The containers publishing the port; `None` when docker was not asked (not on PATH, no
    /// docker-proxy holder, or `docker ps` failed).
    pub(crate) containers: Option<Vec<Container>>,
    pub(crate) me: Me,
    /// The command the wrapper is about to start, and where: an earlier run of it that holds
    /// the port is stopped as a whole (`None` for `portfix kill`).
    pub(crate) wrapped: Option<Wrapped>,
}

/// The command the wrapper is about to start (as the user wrote it) and its directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wrapped {
    pub(crate) command: Vec<String>,
    pub(crate) cwd: std::path::PathBuf,
}

/// What gets signalled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Unit {
    /// One process (with its followers, see [`Target::followers`]).
    Process { pid: u32 },
    /// A whole process group, led by `leader` (the dev command that started the holder).
    Group { pgid: u32, leader: u32 },
    /// A container, stopped with `docker stop`.
    Container { id: String, name: String },
}

impl Unit {
    /// "pid 123", "process group 120", "container db".
    pub(crate) fn name(&self) -> String {
        match self {
            Unit::Process { pid } => format!("pid {pid}"),
            Unit::Group { pgid, .. } => format!("process group {pgid}"),
            Unit::Container { name, .. } => format!("container {name}"),
        }
    }
}

/// One unit to stop, and why it is that unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) unit: Unit,
    /// The listening process (for a container: the docker-proxy).
    pub(crate) holder: ProcessInfo,
    /// The identity re-checked before signalling the holder.
    pub(crate) ident: Ident,
    /// The group leader, for [`Unit::Group`].
    pub(crate) leader: Option<ProcessInfo>,
    /// Why this unit: one line for people.
    pub(crate) why: String,
    /// Processes sharing the socket (pre-fork workers): signalled only if they outlive the unit.
    pub(crate) followers: Vec<Ident>,
    /// The process that could start the holder again (its parent, or the group leader's).
    pub(crate) restarter: Option<ProcessInfo>,
    /// What would start it again, as `core::holder::supervisor` reads the chain.
    pub(crate) supervisor: Option<Supervisor>,
    /// Whether the port is watched for a respawn after the holder ended (see [`RESPAWN_WINDOW`]).
    pub(crate) watch_respawn: bool,
}

/// Why portfix will not stop anything on this port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Blocked {
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

/// What `execute` will do for one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StopPlan {
    pub(crate) port: Port,
    pub(crate) proto: Proto,
    pub(crate) targets: Vec<Target>,
    /// Set when something about the holders forbids stopping them (exit 4).
    pub(crate) blocked: Option<Blocked>,
    /// Reasons a confirmation is needed (another user, a system service, more than one process).
    pub(crate) confirm: Vec<String>,
    /// Nothing holds the port but TIME_WAIT sockets are left on it.
    pub(crate) time_wait: bool,
    /// The sockets that held the port when the plan was made: the port is free once none of
    /// them is left.
    pub(crate) sockets: Vec<Socket>,
}

impl StopPlan {
    /// Every pid the plan may signal (units' holders and leaders, and followers).
    pub(crate) fn pids(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for t in &self.targets {
            out.push(t.holder.pid);
            out.push(t.ident.pid);
            out.extend(t.leader.as_ref().map(|l| l.pid));
            out.extend(t.followers.iter().map(|f| f.pid));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Builds the plan for one port.
pub(crate) fn plan(f: &Facts) -> StopPlan {
    let mut plan = StopPlan {
        port: f.port,
        proto: f.proto,
        targets: Vec::new(),
        blocked: None,
        confirm: Vec::new(),
        time_wait: f.time_wait && f.sockets.is_empty(),
        sockets: f.sockets.clone(),
    };
    if f.sockets.is_empty() {
        return plan;
    }
    let info = |pid: u32| f.procs.iter().find(|p| p.pid == pid);

    // A socket whose owner we cannot see: another user's, and we are not root.
    if let Some(s) = f.sockets.iter().find(|s| s.pids.is_empty()) {
        let who = s.uid.map_or("another user".to_string(), |u| format!("uid {u}"));
        plan.blocked = Some(Blocked {
            message: format!("port {} is held by a process of {who} that you may not see or signal", f.port),
            hint: Some(if f.me.is_root() {
                // root sees every process of its own PID namespace: this one is outside it
                format!(
                    "its process is outside this PID namespace (a container?): stop it from there, or run portfix kill {} inside it",
                    f.port
                )
            } else {
                format!("run it as that user or with sudo: sudo portfix kill {}", f.port)
            }),
        });
        return plan;
    }

    let mut holders: Vec<u32> = f.sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
    holders.sort_unstable();
    holders.dedup();
    // A holder whose parent also holds the socket is a worker of a pre-fork master.
    let is_worker = |pid: u32| info(pid).and_then(|p| p.ppid).is_some_and(|pp| holders.contains(&pp));
    let masters: Vec<u32> = holders.iter().copied().filter(|&p| !is_worker(p)).collect();

    for &pid in &holders {
        let p = info(pid).cloned().unwrap_or_else(|| ProcessInfo { pid, ..ProcessInfo::default() });
        if let Some(b) = protected(&p, &f.me, f.port) {
            plan.blocked = Some(b);
            return plan;
        }
    }

    for &m in &masters {
        let holder = info(m).cloned().unwrap_or_else(|| ProcessInfo { pid: m, ..ProcessInfo::default() });
        let workers: Vec<Ident> =
            holders.iter().filter_map(|&w| info(w)).filter(|w| w.ppid == Some(m)).map(Ident::of).collect();
        if let Some(reason) = other_user(&holder, &f.me) {
            if !f.me.is_root() {
                plan.blocked = Some(Blocked {
                    message: format!("{reason}: you may not signal it"),
                    hint: Some(format!("ask its owner, or run: sudo portfix kill {}", f.port)),
                });
                return plan;
            }
            plan.confirm.push(reason);
        }
        if holder.namespace_init {
            plan.confirm.push(format!(
                "pid {m} ({}) is the init of a pid namespace (a container's init): stopping it ends every process in that namespace",
                describe_short(&holder)
            ));
        }
        if let Some(unit) = holder.systemd_unit.as_deref().filter(|u| is_system_service(u)) {
            plan.confirm.push(format!(
                "pid {m} runs as the system service {unit} (it may start again: systemctl stop {unit})"
            ));
        }
        if is_docker_proxy(&holder) {
            match &f.containers {
                Some(cs) if !cs.is_empty() => {
                    for c in cs {
                        plan.targets.push(Target {
                            unit: Unit::Container { id: c.id.clone(), name: c.name.clone() },
                            holder: holder.clone(),
                            ident: Ident::of(&holder),
                            leader: None,
                            why: format!(
                                "docker-proxy (pid {m}) forwards port {} to container {}: stopping the container, not the proxy",
                                f.port, c.name
                            ),
                            followers: Vec::new(),
                            restarter: None,
                            supervisor: None,
                            watch_respawn: false,
                        });
                    }
                    continue;
                }
                _ => {
                    plan.blocked = Some(Blocked {
                        message: format!(
                            "port {} is held by docker-proxy (pid {m}) for a container; stopping the proxy would break Docker's forwarding",
                            f.port
                        ),
                        hint: Some(format!(
                            "stop the container instead: docker ps --filter publish={} then docker stop <id>",
                            f.port
                        )),
                    });
                    return plan;
                }
            }
        }
        let chain = chain_of(&holder, &f.procs);
        let supervisor = holder::supervisor(&chain, holder.systemd_unit.as_deref());
        // A supervisor that is portfix's own ancestor (the script running `portfix kill`) waits
        // for portfix meanwhile: it cannot restart anything within the window.
        let busy = |s: &Supervisor| s.pid.is_some_and(|p| p == f.me.pid || f.me.ancestors.contains(&p));
        let watch_respawn = supervisor.as_ref().is_some_and(|s| !busy(s)) || could_restart(&holder);
        let root = f.wrapped.as_ref().and_then(|w| earlier_run_root(&chain, w, &f.me));
        let target = match (dev_command_root(&chain, &f.me), root) {
            // The earlier run's top leads its own group (a shell with job control, an earlier
            // portfix): the group holds the watcher and its server alike.
            (Some(leader), _) | (None, Some(EarlierRoot::Leads(leader))) => {
                let pgid = leader.pid;
                plan.confirm.push(format!(
                    "pid {m} was started by `{}` (pid {pgid}): its whole process group will be stopped",
                    short_command(leader)
                ));
                let restarter = leader.ppid.and_then(info).cloned();
                Target {
                    unit: Unit::Group { pgid, leader: pgid },
                    ident: Ident::of(&holder),
                    why: format!(
                        "an earlier run of `{}` (pid {pgid}) listens on port {}: its process group",
                        short_command(leader),
                        f.port
                    ),
                    watch_respawn,
                    leader: Some(leader.clone()),
                    holder,
                    followers: workers,
                    restarter,
                    supervisor,
                }
            }
            // The earlier run's top (a watcher, a reloader) shares its group with others: it is
            // signalled first, and what it started follows if it outlives it.
            (None, Some(EarlierRoot::Within(top, below))) => {
                let mut followers: Vec<Ident> = below.iter().map(Ident::of).collect();
                followers.extend(workers);
                Target {
                    unit: Unit::Process { pid: top.pid },
                    ident: Ident::of(top),
                    why: format!(
                        "an earlier run of `{}` (pid {}) listens on port {}: it and what it started",
                        short_command(top),
                        top.pid,
                        f.port
                    ),
                    watch_respawn,
                    leader: None,
                    holder,
                    followers,
                    restarter: top.ppid.and_then(info).cloned(),
                    supervisor,
                }
            }
            (None, None) => {
                let why = if workers.is_empty() {
                    format!("it listens on port {}", f.port)
                } else {
                    format!(
                        "pre-fork master of {} worker{} sharing the socket on port {}",
                        workers.len(),
                        if workers.len() == 1 { "" } else { "s" },
                        f.port
                    )
                };
                let restarter = holder.ppid.and_then(info).cloned();
                Target {
                    unit: Unit::Process { pid: m },
                    ident: Ident::of(&holder),
                    why,
                    watch_respawn,
                    leader: None,
                    holder,
                    followers: workers,
                    restarter,
                    supervisor,
                }
            }
        };
        plan.targets.push(target);
    }
    if plan.targets.len() > 1 {
        plan.confirm.push(format!("{} separate processes hold port {}", plan.targets.len(), f.port));
    }
    plan
}

/// Never stopped, whatever the flags: pid 1, portfix, its ancestors, kernel threads.
fn protected(p: &ProcessInfo, me: &Me, port: Port) -> Option<Blocked> {
    let what = describe_short(p);
    let (message, hint) = if p.pid == 1 {
        (
            format!("port {port} is held by pid 1 ({what}), the init process: portfix never stops pid 1"),
            "stop the service inside it instead (or the container or namespace it runs)".to_string(),
        )
    } else if p.pid == me.pid {
        (format!("port {port} is held by this portfix itself (pid {})", p.pid), "nothing to stop".to_string())
    } else if me.ancestors.contains(&p.pid) {
        (
            format!(
                "port {port} is held by pid {} ({what}), which started this portfix: stopping it would stop portfix too",
                p.pid
            ),
            format!("run `portfix kill {port}` from another shell, or end that process yourself"),
        )
    } else if p.kernel_thread {
        (
            format!("port {port} is held by the kernel thread pid {} ({what}): it cannot be stopped", p.pid),
            "stop the kernel service that uses the port (e.g. nfsd)".to_string(),
        )
    } else {
        return None;
    };
    Some(Blocked { message, hint: Some(hint) })
}

fn other_user(p: &ProcessInfo, me: &Me) -> Option<String> {
    match (p.uid, me.uid) {
        (Some(u), Some(mine)) if u != mine => {
            let name = p.user.clone().unwrap_or_else(|| format!("uid {u}"));
            Some(format!("pid {} ({}) belongs to another user ({name})", p.pid, describe_short(p)))
        }
        _ => None,
    }
}

/// A systemd unit that the system runs (not a user's session or scope).
fn is_system_service(unit: &str) -> bool {
    unit.ends_with(".service") && !unit.starts_with("user@") && !unit.starts_with("session-")
}

pub(crate) fn is_docker_proxy(p: &ProcessInfo) -> bool {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    p.name == "docker-proxy"
        || p.exe.as_ref().is_some_and(|e| e.file_name().is_some_and(|n| n == "docker-proxy"))
        || p.cmdline.first().is_some_and(|a| base(a) == "docker-proxy")
}

/// The holder followed by its parents, nearest first, as far as `procs` has them: the chain
/// `core::holder` reads.
pub(crate) fn chain_of(holder: &ProcessInfo, procs: &[ProcessInfo]) -> Vec<ProcessInfo> {
    let parents =
        crate::core::process::walk_up(holder.pid, holder.ppid, crate::core::process::PARENTS, |pid| {
            procs.iter().find(|p| p.pid == pid).map(|p| (p.clone(), p.ppid))
        });
    std::iter::once(holder.clone()).chain(parents).collect()
}

/// The leader of the holder's process group, when it is the top of an earlier run of a dev
/// command (`core::holder::dev_command_root`: npm → sh → node) and leads its own group: that
/// group is then the unit to stop. Never a group that holds portfix or one of its ancestors.
/// A root that does not lead a group (its group is its caller's) is not signalled as a group;
/// the holder alone is stopped then.
fn dev_command_root<'a>(chain: &'a [ProcessInfo], me: &Me) -> Option<&'a ProcessInfo> {
    let holder = chain.first()?;
    let root = holder::dev_command_root(chain)?;
    let pgid = root.pgid?;
    let ok = root.pid != holder.pid
        && pgid == root.pid
        && holder.pgid == Some(pgid)
        && Some(pgid) != me.pgid
        && pgid > 1
        && !me.ancestors.contains(&root.pid)
        && root.sid != Some(root.pid);
    ok.then_some(root)
}

/// Where an earlier run of the wrapped command starts, above the holder.
enum EarlierRoot<'a> {
    /// It leads its own process group, which holds the holder too.
    Leads(&'a ProcessInfo),
    /// It does not: the top of the run, and the processes below it down to the holder.
    Within(&'a ProcessInfo, &'a [ProcessInfo]),
}

/// The top of an earlier run of the wrapped command in the holder's chain: the farthest
/// process that is that same command in the same directory (`core::holder::same_run`), so that
/// a watcher (nodemon, `node --watch`, uvicorn `--reload`, Django's and Flask's reloaders,
/// watchexec, air, cargo-watch) goes with the server it restarts. `None` when the holder itself
/// is the top, or the run reaches portfix or one of its ancestors.
fn earlier_run_root<'a>(chain: &'a [ProcessInfo], w: &Wrapped, me: &Me) -> Option<EarlierRoot<'a>> {
    let holder = chain.first()?;
    let i = chain
        .iter()
        .rposition(|p| holder::same_run(&w.command, Some(&w.cwd), &p.cmdline, p.cwd.as_deref()))?;
    let top = &chain[i];
    let mine = |pid: u32| pid == me.pid || me.ancestors.contains(&pid) || pid <= 1;
    if i == 0 || chain[..=i].iter().any(|p| mine(p.pid)) {
        return None;
    }
    let leads = top.pgid == Some(top.pid)
        && holder.pgid == top.pgid
        && top.pgid != me.pgid
        && top.sid != Some(top.pid);
    Some(if leads { EarlierRoot::Leads(top) } else { EarlierRoot::Within(top, &chain[..i]) })
}

/// An orphan under init is restarted only when it runs as a system service (systemd's
/// `Restart=`); `core::holder::supervisor` names every other restarter.
fn could_restart(holder: &ProcessInfo) -> bool {
    holder.ppid == Some(1) && holder.systemd_unit.as_deref().is_some_and(is_system_service)
}

/// Whether to go ahead, ask, or refuse, given `-y` and whether a prompt is possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    Go,
    Ask,
    Refuse(Blocked),
}

/// A prompt is possible when stdin and stderr are terminals and `CI` is unset.
pub(crate) fn interactive(stdin_tty: bool, stderr_tty: bool, ci: Option<&str>) -> bool {
    // The wrapper's rule for `CI` too: `CI=false` or `CI=0` is not CI (it asks there as well).
    stdin_tty && stderr_tty && !crate::core::policy::ci_is_set(ci)
}

/// [`gate_with`] for `portfix kill`.
pub(crate) fn gate(plan: &StopPlan, yes: bool, interactive: bool) -> Gate {
    gate_with(plan, yes, interactive, &format!("portfix kill -y {}", plan.port))
}

/// Whether to go, ask or refuse. Every path that stops something goes through here, so the
/// rules are the same everywhere; `rerun` is the command line that confirms with `-y`, for
/// the hint of a refusal.
pub(crate) fn gate_with(plan: &StopPlan, yes: bool, interactive: bool, rerun: &str) -> Gate {
    if let Some(b) = &plan.blocked {
        return Gate::Refuse(b.clone());
    }
    if plan.confirm.is_empty() || yes || plan.targets.is_empty() {
        Gate::Go
    } else if interactive {
        Gate::Ask
    } else {
        Gate::Refuse(Blocked {
            message: format!("not stopping without a confirmation: {}", plan.confirm.join("; ")),
            hint: Some(format!("run it at a terminal to be asked, or confirm with -y: {rerun}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::socket::SockState;
    use crate::core::stop::*;
    use crate::exit::Code;

    fn port() -> Port {
        Port::new(3000).unwrap()
    }

    fn proc_(pid: u32, ppid: u32, cmd: &str) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(ppid),
            pgid: Some(pid),
            sid: Some(ppid),
            name: cmd.split(' ').next().unwrap().to_string(),
            cmdline: cmd.split(' ').map(String::from).collect(),
            uid: Some(1000),
            user: Some("dev".into()),
            start_ticks: Some(u64::from(pid) * 10),
            ..ProcessInfo::default()
        }
    }

    #[test]
    fn sure_restarters_get_the_longer_respawn_watch() {
        use holder::SupervisorKind as K;
        let sup =
            |kind| Supervisor { kind, pid: Some(9), note: String::new(), certain: true, stop: String::new() };
        for kind in [K::ShellLoop, K::Pm2, K::Forever, K::Supervisord, K::Systemd] {
            assert_eq!(respawn_window(Some(&sup(kind))), RESPAWN_WINDOW_RESTARTER, "{kind:?}");
        }
        for kind in [K::Nodemon, K::Watcher, K::ShellScript] {
            assert_eq!(respawn_window(Some(&sup(kind))), RESPAWN_WINDOW, "{kind:?}");
        }
        assert_eq!(respawn_window(None), RESPAWN_WINDOW);
    }

    fn sock(pids: &[u32]) -> Socket {
        Socket {
            proto: Proto::Tcp,
            local: "127.0.0.1:3000".parse().unwrap(),
            remote: None,
            state: SockState::Listen,
            uid: Some(1000),
            inode: Some(77),
            pids: pids.to_vec(),
        }
    }

    fn me() -> Me {
        Me { pid: 900, uid: Some(1000), pgid: Some(900), ancestors: vec![800, 1] }
    }

    fn facts(sockets: Vec<Socket>, procs: Vec<ProcessInfo>) -> Facts {
        Facts {
            port: port(),
            proto: Proto::Tcp,
            sockets,
            procs,
            time_wait: false,
            containers: None,
            me: me(),
            wrapped: None,
        }
    }

    fn wrapped(cmd: &str) -> Option<Wrapped> {
        Some(Wrapped { command: cmd.split(' ').map(String::from).collect(), cwd: "/src/app".into() })
    }

    fn in_app(p: ProcessInfo) -> ProcessInfo {
        ProcessInfo { cwd: Some("/src/app".into()), ..p }
    }

    #[test]
    fn an_earlier_run_behind_its_watcher_is_stopped_with_the_watcher() {
        // node --watch (pid 60) started node server.js (pid 100); 60 leads its group
        let watcher = || in_app(proc_(60, 50, "node --watch server.js"));
        let server = || ProcessInfo { pgid: Some(60), ..in_app(proc_(100, 60, "node server.js")) };
        let mut f = facts(vec![sock(&[100])], vec![server(), watcher(), proc_(50, 1, "bash")]);
        f.wrapped = wrapped("node --watch server.js");
        let p = plan(&f);
        assert_eq!(p.targets[0].unit, Unit::Group { pgid: 60, leader: 60 });
        assert!(p.targets[0].why.contains("an earlier run of `node --watch server.js` (pid 60)"));

        // the same, started where no job control made it a group: the watcher first, the
        // server follows if it outlives it
        let shared = |p: ProcessInfo| ProcessInfo { pgid: Some(50), ..p };
        let mut f =
            facts(vec![sock(&[100])], vec![shared(server()), shared(watcher()), proc_(50, 1, "sh x.sh")]);
        f.wrapped = wrapped("node --watch server.js");
        let p = plan(&f);
        assert_eq!(p.targets[0].unit, Unit::Process { pid: 60 });
        assert_eq!(p.targets[0].ident.pid, 60);
        assert_eq!(p.targets[0].holder.pid, 100);
        assert_eq!(p.targets[0].followers.iter().map(|i| i.pid).collect::<Vec<_>>(), [100]);
        assert_eq!(p.pids(), [60, 100]);

        // another command, or another directory: only the holder, as for `portfix kill`
        for w in [wrapped("node server.js"), None] {
            let mut f = facts(vec![sock(&[100])], vec![server(), watcher(), proc_(50, 1, "bash")]);
            f.wrapped = w.clone();
            assert_eq!(plan(&f).targets[0].unit, Unit::Process { pid: 100 }, "{w:?}");
        }
        let mut f = facts(vec![sock(&[100])], vec![server(), proc_(60, 50, "node --watch server.js")]);
        f.wrapped = wrapped("node --watch server.js");
        assert_eq!(plan(&f).targets[0].unit, Unit::Process { pid: 100 }, "no directory, no match");
    }

    #[test]
    fn a_reloader_and_its_child_are_one_earlier_run_but_never_portfixs_own_tree() {
        // Django's autoreloader: parent and child have the same command line; the farthest wins
        let cmd = "python manage.py runserver";
        let child = ProcessInfo { pgid: Some(70), ..in_app(proc_(100, 70, cmd)) };
        let mut f =
            facts(vec![sock(&[100])], vec![child.clone(), in_app(proc_(70, 50, cmd)), proc_(50, 1, "bash")]);
        f.wrapped = wrapped(cmd);
        assert_eq!(plan(&f).targets[0].unit, Unit::Group { pgid: 70, leader: 70 });
        // the "earlier run" is portfix's own parent: never stopped as a run
        let mut f = facts(vec![sock(&[100])], vec![child, in_app(proc_(70, 50, cmd))]);
        f.me.ancestors = vec![70, 50, 1];
        f.wrapped = wrapped(cmd);
        assert_eq!(plan(&f).targets[0].unit, Unit::Process { pid: 100 });
    }

    #[test]
    fn a_lone_listener_is_its_own_unit_without_confirmation() {
        let p =
            plan(&facts(vec![sock(&[100])], vec![proc_(100, 50, "node server.js"), proc_(50, 1, "bash")]));
        assert_eq!(p.blocked, None);
        assert!(p.confirm.is_empty(), "{:?}", p.confirm);
        assert_eq!(p.targets.len(), 1);
        assert_eq!(p.targets[0].unit, Unit::Process { pid: 100 });
        assert_eq!(p.targets[0].ident, Ident { pid: 100, start: Some(1000) });
        // an interactive shell restarts nothing: no respawn watch, no waiting
        assert!(!p.targets[0].watch_respawn);
        assert_eq!(p.targets[0].supervisor, None);
        assert_eq!(gate(&p, false, false), Gate::Go);
    }

    #[test]
    fn prefork_master_is_the_unit_and_workers_follow() {
        let procs = vec![
            proc_(100, 50, "gunicorn app"),
            proc_(101, 100, "gunicorn app"),
            proc_(102, 100, "gunicorn app"),
        ];
        let p = plan(&facts(vec![sock(&[101, 100, 102])], procs));
        assert_eq!(p.targets.len(), 1);
        assert_eq!(p.targets[0].unit, Unit::Process { pid: 100 });
        let followers: Vec<u32> = p.targets[0].followers.iter().map(|f| f.pid).collect();
        assert_eq!(followers, [101, 102]);
        assert!(p.targets[0].why.contains("pre-fork master of 2 workers"));
        assert!(p.confirm.is_empty());
        assert_eq!(p.pids(), [100, 101, 102]);
    }

    #[test]
    fn unrelated_sharers_are_separate_units_and_need_confirmation() {
        let procs = vec![proc_(100, 50, "a"), proc_(200, 50, "b")];
        let p = plan(&facts(vec![sock(&[100, 200])], procs));
        assert_eq!(p.targets.len(), 2);
        assert!(p.confirm[0].contains("2 separate processes"));
        assert_eq!(gate(&p, false, true), Gate::Ask);
        assert_eq!(gate(&p, true, false), Gate::Go);
        match gate(&p, false, false) {
            Gate::Refuse(b) => assert!(b.hint.unwrap().contains("portfix kill -y 3000")),
            g => panic!("{g:?}"),
        }
    }

    #[test]
    fn protected_processes_are_refused_whatever_the_flags() {
        let cases: Vec<(ProcessInfo, &str)> = vec![
            (proc_(1, 0, "python3 -m http.server"), "pid 1"),
            (proc_(900, 800, "portfix kill 3000"), "portfix itself"),
            (proc_(800, 1, "python3 holder.py"), "started this portfix"),
            (ProcessInfo { kernel_thread: true, ..proc_(7, 2, "nfsd") }, "kernel thread"),
        ];
        for (p, want) in cases {
            let pid = p.pid;
            let plan = plan(&facts(vec![sock(&[pid])], vec![p]));
            let b = plan.blocked.clone().unwrap_or_else(|| panic!("pid {pid} not refused"));
            assert!(b.message.contains(want), "{}", b.message);
            assert!(matches!(gate(&plan, true, true), Gate::Refuse(_)));
        }
    }

    #[test]
    fn another_users_process_needs_confirmation_or_root() {
        let other =
            ProcessInfo { uid: Some(65534), user: Some("nobody".into()), ..proc_(100, 50, "python3 h.py") };
        let mut f = facts(vec![sock(&[100])], vec![other]);
        let p = plan(&f);
        assert!(p.blocked.as_ref().unwrap().message.contains("belongs to another user (nobody)"));
        assert!(p.blocked.unwrap().hint.unwrap().contains("sudo"));
        f.me.uid = Some(0);
        let p = plan(&f);
        assert_eq!(p.blocked, None);
        assert!(p.confirm[0].contains("another user (nobody)"));
        assert!(matches!(gate(&p, false, false), Gate::Refuse(_)));
        assert_eq!(gate(&p, true, false), Gate::Go);
    }

    #[test]
    fn a_socket_without_visible_owner_is_refused_with_sudo_hint() {
        let mut s = sock(&[]);
        s.uid = Some(0);
        let p = plan(&facts(vec![s], vec![]));
        let b = p.blocked.unwrap();
        assert!(b.message.contains("uid 0"), "{}", b.message);
        assert!(b.hint.unwrap().contains("sudo portfix kill 3000"));
        // already root: sudo would change nothing
        let mut f = facts(vec![sock(&[])], vec![]);
        f.me.uid = Some(0);
        let b = plan(&f).blocked.unwrap();
        assert!(!b.hint.as_deref().unwrap_or("").contains("sudo"), "{:?}", b.hint);
    }

    #[test]
    fn a_pid_namespaces_init_needs_confirmation() {
        let init = ProcessInfo { namespace_init: true, ..proc_(100, 50, "python3 h.py") };
        let p = plan(&facts(vec![sock(&[100])], vec![init]));
        assert_eq!(p.blocked, None);
        assert!(p.confirm[0].contains("the init of a pid namespace (a container's init)"), "{:?}", p.confirm);
        match gate_with(&p, false, false, "portfix -y --kill -p 3000 -- x") {
            Gate::Refuse(b) => assert!(b.hint.unwrap().ends_with("portfix -y --kill -p 3000 -- x")),
            g => panic!("{g:?}"),
        }
        assert_eq!(gate(&p, true, false), Gate::Go);
    }

    #[test]
    fn system_service_needs_confirmation() {
        let p0 = ProcessInfo { systemd_unit: Some("nginx.service".into()), ..proc_(100, 1, "nginx") };
        let p = plan(&facts(vec![sock(&[100])], vec![p0]));
        assert!(p.confirm[0].contains("system service nginx.service"));
        // an orphan under init is not restarted, a service is
        assert!(p.targets[0].watch_respawn);
        let orphan = plan(&facts(vec![sock(&[100])], vec![proc_(100, 1, "node x")]));
        assert!(!orphan.targets[0].watch_respawn);
        assert!(orphan.confirm.is_empty());
    }

    #[test]
    fn dev_command_group_is_the_unit() {
        // npm (leader of group 60) -> sh -> node
        let npm = ProcessInfo { pgid: Some(60), sid: Some(10), ..proc_(60, 10, "npm start") };
        let sh = ProcessInfo { pgid: Some(60), sid: Some(10), ..proc_(61, 60, "sh -c node server.js") };
        let node = ProcessInfo { pgid: Some(60), sid: Some(10), ..proc_(62, 61, "node server.js") };
        let shell = ProcessInfo { pgid: Some(10), sid: Some(10), ..proc_(10, 1, "bash") };
        let p = plan(&facts(vec![sock(&[62])], vec![node.clone(), sh.clone(), npm.clone(), shell.clone()]));
        assert_eq!(p.targets[0].unit, Unit::Group { pgid: 60, leader: 60 });
        assert!(p.targets[0].why.contains("earlier run of `npm start`"));
        assert!(p.confirm[0].contains("whole process group"));
        // the leader's parent (the user's shell) is what could restart it
        assert_eq!(p.targets[0].restarter.as_ref().map(|r| r.pid), Some(10));

        // a shell loop leading the group is not a dev command: the holder alone, so the loop
        // can be seen restarting it
        let lp = ProcessInfo { pgid: Some(60), ..proc_(60, 10, "sh -c while true; do node s.js; done") };
        let p = plan(&facts(vec![sock(&[62])], vec![ProcessInfo { ppid: Some(60), ..node.clone() }, lp]));
        assert_eq!(p.targets[0].unit, Unit::Process { pid: 62 });

        // never the group portfix itself is in
        let mut f = facts(vec![sock(&[62])], vec![node, sh, npm, shell]);
        f.me.pgid = Some(60);
        assert_eq!(plan(&f).targets[0].unit, Unit::Process { pid: 62 });
    }

    #[test]
    fn a_shell_loop_is_watched_for_a_respawn() {
        let lp = ProcessInfo {
            cmdline: vec!["sh".into(), "-c".into(), "while true; do node s.js; done".into()],
            ..proc_(50, 10, "sh")
        };
        let p = plan(&facts(vec![sock(&[62])], vec![proc_(62, 50, "node s.js"), lp]));
        assert!(p.targets[0].watch_respawn);
        assert_eq!(p.targets[0].supervisor.as_ref().and_then(|s| s.pid), Some(50));
        // the same loop running portfix itself is waiting for it: nothing to watch for
        let mut f = facts(
            vec![sock(&[62])],
            vec![proc_(62, 50, "node s.js"), p.targets[0].restarter.clone().unwrap()],
        );
        f.me.ancestors = vec![50, 10, 1];
        assert!(!plan(&f).targets[0].watch_respawn);
    }

    #[test]
    fn a_holder_started_by_portfixs_own_caller_costs_no_respawn_window() {
        // bench-kill's shape: a script (python3) starts the holder and then portfix; the script
        // was run by a shell script. The interpreter only passes the walk on; the shell script
        // above it waits for portfix meanwhile, so it cannot restart anything in the window.
        let script = ProcessInfo { cmdline: vec!["bash".into(), "run.sh".into()], ..proc_(40, 10, "bash") };
        let bench = proc_(50, 40, "python3 scripts/bench-kill");
        let procs = vec![proc_(62, 50, "python3 -c listen"), bench, script];
        let mut f = facts(vec![sock(&[62])], procs);
        f.me.ancestors = vec![50, 40, 10, 1];
        let p = plan(&f);
        assert_eq!(p.targets[0].supervisor.as_ref().and_then(|s| s.pid), Some(40));
        assert!(!p.targets[0].watch_respawn);
        // the same holder found from another terminal: the script may start it again, so the
        // port is watched
        f.me.ancestors = vec![800, 1];
        assert!(plan(&f).targets[0].watch_respawn);
    }

    #[test]
    fn docker_proxy_becomes_the_container_or_is_refused() {
        let proxy = ProcessInfo {
            name: "docker-proxy".into(),
            uid: Some(1000),
            ..proc_(100, 1, "/usr/bin/docker-proxy -proto tcp")
        };
        let mut f = facts(vec![sock(&[100])], vec![proxy]);
        let p = plan(&f);
        assert!(p.blocked.unwrap().hint.unwrap().contains("docker stop"));
        f.containers = Some(vec![Container { id: "abc123".into(), name: "db".into() }]);
        let p = plan(&f);
        assert_eq!(p.targets[0].unit, Unit::Container { id: "abc123".into(), name: "db".into() });
        assert!(p.targets[0].why.contains("container db"));
    }

    #[test]
    fn nothing_held_and_time_wait() {
        let mut f = facts(vec![], vec![]);
        f.time_wait = true;
        let p = plan(&f);
        assert!(p.targets.is_empty() && p.blocked.is_none() && p.time_wait);
        assert_eq!(gate(&p, false, false), Gate::Go);
    }

    #[test]
    fn respawn_names_the_restarter() {
        let loop_ = ProcessInfo {
            cmdline: vec!["sh".into(), "-c".into(), "while true; do python3 h.py; done".into()],
            ..proc_(50, 10, "sh")
        };
        let new = proc_(101, 50, "python3 h.py");
        let r = respawn_verdict(port(), Some(&new), Some(&loop_), None);
        assert_eq!(r.pid, Some(101));
        assert_eq!(r.restarter_pid, Some(50));
        assert_eq!(r.how_to_stop, "kill 50, then run portfix kill 3000 again");
        assert_eq!(
            r.message(port()),
            "port 3000 was taken again by pid 101 (python3 h.py): restarted by pid 50 (sh -c 'while true; do python3 h.py; done')"
        );
        let chain = [new.clone(), loop_.clone()];
        let sup = holder::supervisor(&chain, None).expect("a shell loop supervises");
        let r = respawn_verdict(port(), Some(&new), Some(&loop_), Some(&sup));
        assert_eq!(r.restarter_pid, Some(50));
        assert_eq!(r.how_to_stop, "kill 50, then run portfix kill 3000 again");
        assert_eq!(
            r.message(port()),
            "port 3000 was taken again by pid 101 (python3 h.py): a shell loop (pid 50) starts it again"
        );
        let r = respawn_verdict(port(), None, None, None);
        assert_eq!(
            r.message(port()),
            "port 3000 was taken again by (a process you may not see): something restarted it"
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(StopOutcome::Freed { ms: 1 }.code(), Code::Success);
        assert_eq!(StopOutcome::Nothing { time_wait: true }.code(), Code::Nothing);
        assert_eq!(StopOutcome::Declined.code(), Code::Unresolved);
        assert_eq!(crate::exit::combined_code(&[Code::Nothing, Code::Nothing]), Code::Nothing);
        assert_eq!(crate::exit::combined_code(&[Code::Nothing, Code::Success]), Code::Success);
        assert_eq!(
            crate::exit::combined_code(&[Code::Success, Code::NotPermitted, Code::Unresolved]),
            Code::NotPermitted
        );
    }

    #[test]
    fn interactive_needs_both_terminals_and_no_ci() {
        assert!(interactive(true, true, None));
        assert!(interactive(true, true, Some("")));
        assert!(!interactive(true, true, Some("true")));
        // the same rule as the wrapper's (core::policy::ci_is_set): false and 0 are not CI
        for not_ci in ["false", "FALSE", "0", " "] {
            assert!(interactive(true, true, Some(not_ci)), "CI={not_ci:?}");
        }
        assert!(!interactive(false, true, None));
        assert!(!interactive(true, false, None));
    }
}
