//! Stopping what holds a port, on this OS: [`facts`] looks the port up once (its sockets,
//! owners and their parents, portfix's own place, containers), `core::stop::plan` decides,
//! and [`execute`] runs `core::stop`'s engine with [`System`], this OS's [`Host`]. Nothing here
//! decides or prints.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::signal::Signal;
use crate::core::socket::{Proto, SockState, Socket};
pub(crate) use crate::core::stop::Options;
use crate::core::stop::{self, Container, Delivery, Facts, Host, Ident, Me, StopPlan, StopReport};
use crate::os::{process, sockets};

/// What the OS layer reads of a process for stopping it (Linux: `/proc/PID/stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) ppid: Option<u32>,
    pub(crate) pgid: Option<u32>,
    pub(crate) sid: Option<u32>,
    /// The start time that identifies the process: clock ticks since boot on Linux, seconds
    /// since the epoch elsewhere.
    pub(crate) start: Option<u64>,
    pub(crate) kernel_thread: bool,
    /// A zombie: it has ended (its sockets are closed) but was not reaped yet.
    pub(crate) ended: bool,
    /// Suspended (SIGSTOP, Ctrl-Z): a signal other than SIGKILL waits until it is resumed.
    pub(crate) stopped: bool,
}

/// portfix's own place in the process tree.
pub(crate) fn me() -> Me {
    let pid = std::process::id();
    let first = super::sys::proc_stat(pid).and_then(|s| s.ppid);
    // every ancestor up to pid 1, however deep: portfix must never stop one
    let ancestors = crate::core::process::walk_up(pid, first, usize::MAX, |p| {
        Some((p, super::sys::proc_stat(p).and_then(|s| s.ppid)))
    });
    Me { pid, uid: super::sys::current_uid(), pgid: super::sys::current_pgid(), ancestors }
}

/// Looks up what holds `port` and plans how to stop it.
pub(crate) fn look(port: Port, proto: Proto) -> anyhow::Result<StopPlan> {
    Ok(stop::plan(&facts(port, proto, None)?))
}

/// The facts of `port` in one look: its holding sockets, their owners and the owners' parents
/// (each process read once), portfix's own place, the containers publishing it. `wrapped` is
/// the wrapper's command, for its "earlier run" rule.
pub(crate) fn facts(port: Port, proto: Proto, wrapped: Option<stop::Wrapped>) -> anyhow::Result<Facts> {
    let held = sockets::holders(port, proto)?;
    let time_wait = held.is_empty()
        && sockets::connections(port, proto)?
            .iter()
            .any(|s| s.local.port() == port.get() && s.state == SockState::TimeWait);
    let procs = gather(&held);
    let containers = if procs.iter().any(stop::is_docker_proxy) { docker_containers(port) } else { None };
    Ok(Facts { port, proto, sockets: held, procs, time_wait, containers, me: me(), wrapped })
}

/// The holders and their ancestors, described, with the identity fields filled in.
fn gather(held: &[Socket]) -> Vec<ProcessInfo> {
    let mut pids: Vec<u32> = Vec::new();
    let mut stats: Vec<Option<ProcStat>> = Vec::new();
    for &pid in held.iter().flat_map(|s| &s.pids) {
        if pids.contains(&pid) {
            continue;
        }
        let st = super::sys::proc_stat(pid);
        pids.push(pid);
        stats.push(st);
        // its parents up to the first one already read (another holder's), by the one walk
        let parents = crate::core::process::walk_up(pid, st.and_then(|s| s.ppid), process::PARENTS, |p| {
            if pids.contains(&p) {
                return None;
            }
            let st = super::sys::proc_stat(p);
            Some(((p, st), st.and_then(|s| s.ppid)))
        });
        for (p, st) in parents {
            pids.push(p);
            stats.push(st);
        }
    }
    let mut procs = process::describe(&pids);
    for p in &mut procs {
        // What `describe` left out comes from the stat read on the way up (no second read).
        // A pid reused in between changes the start time: the identity check made before
        // each signal then refuses to signal it.
        if let Some(st) = pids.iter().position(|&q| q == p.pid).and_then(|i| stats[i]) {
            fill_from_stat(p, st);
        }
    }
    procs
}

fn fill_from_stat(p: &mut ProcessInfo, st: ProcStat) {
    p.ppid = p.ppid.or(st.ppid);
    p.pgid = p.pgid.or(st.pgid);
    p.sid = p.sid.or(st.sid);
    p.kernel_thread |= st.kernel_thread;
    if cfg!(target_os = "linux") {
        p.start_ticks = p.start_ticks.or(st.start);
    } else {
        p.start_time = st.start.or(p.start_time);
    }
}

/// The containers that publish `port`, when `docker` is on PATH and answers.
fn docker_containers(port: Port) -> Option<Vec<Container>> {
    let docker = which::which("docker").ok()?;
    let out = Command::new(docker)
        .args(["ps", "--filter", &format!("publish={port}"), "--format", "{{.ID}}\t{{.Names}}"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter_map(|l| {
                let mut it = l.split('\t');
                let id = it.next()?.trim();
                (!id.is_empty()).then(|| Container {
                    id: id.to_string(),
                    name: it.next().map_or_else(|| id.to_string(), |n| n.trim().to_string()),
                })
            })
            .collect(),
    )
}

fn docker_stop(id: &str, grace: Duration) -> Delivery {
    let Ok(docker) = which::which("docker") else { return Delivery::Failed };
    let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
    let status = Command::new(docker)
        .args(["stop", "--time", &secs.to_string(), id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if status.is_ok_and(|s| s.success()) { Delivery::Sent } else { Delivery::Failed }
}

/// Carries out `plan` on this OS (see `core::stop::execute`).
pub(crate) fn execute(
    plan: &StopPlan,
    opts: &Options,
    confirm: &mut dyn FnMut(&StopPlan) -> bool,
) -> StopReport {
    stop::execute(&mut System, plan, opts, confirm)
}

/// The stop engine's [`Host`] on this OS: the per-OS signalling of `sys` (`signal_checked`,
/// `signal_group_checked`, `is_alive`, `wait_exit`, `proc_stat`, the same names on each OS),
/// the socket table, `docker stop`, the real clock.
pub(crate) struct System;

impl Host for System {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wait(&mut self, ids: &[Ident], limit: Duration) {
        if ids.is_empty() { std::thread::sleep(limit) } else { super::sys::wait_exit(ids, limit) }
    }
    fn signal(&mut self, id: Ident, sig: Signal) -> Delivery {
        super::sys::signal_checked(id, sig)
    }
    fn signal_group(&mut self, pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
        super::sys::signal_group_checked(pgid, members, sig)
    }
    fn stop_container(&mut self, id: &str, grace: Duration) -> Delivery {
        docker_stop(id, grace)
    }
    fn is_alive(&self, id: Ident) -> bool {
        super::sys::is_alive(id)
    }
    fn is_suspended(&self, id: Ident) -> bool {
        super::sys::proc_stat(id.pid).is_some_and(|s| s.stopped && s.start == id.start)
    }
    fn pid_exists(&self, pid: u32) -> bool {
        process::start_ticks(pid).is_some()
    }
    fn listeners(&mut self, port: Port, proto: Proto) -> Option<Vec<Socket>> {
        sockets::listeners(port, proto).ok()
    }
    fn attach_owners(&mut self, s: &mut Vec<Socket>) {
        let _ = sockets::attach_owners(s);
    }
    fn chain(&mut self, pid: u32) -> Vec<ProcessInfo> {
        process::chain(pid, process::PARENTS)
    }
    fn is_root(&self) -> bool {
        super::sys::current_uid() == Some(0)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::core::stop::StopOutcome;
    use std::io::BufRead as _;

    /// A python3 listener on 127.0.0.1 (port from the OS), reporting its port on stdout.
    fn listener() -> (std::process::Child, Port) {
        let code = "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)\n";
        let mut child = Command::new("python3").args(["-c", code]).stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        (child, Port::new(line.trim().parse().unwrap()).unwrap())
    }

    fn opts() -> Options {
        Options { signal: Signal::Term, grace: Duration::from_secs(2), yes: false, interactive: false }
    }

    #[test]
    fn a_holder_that_exited_after_the_look_up_is_no_error() {
        let (mut child, port) = listener();
        let plan = look(port, Proto::Tcp).unwrap();
        assert_eq!(plan.targets.len(), 1, "{plan:?}");
        assert_eq!(plan.targets[0].holder.pid, child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        let report = execute(&plan, &opts(), &mut |_| panic!("no prompt"));
        assert!(matches!(report.outcome, StopOutcome::Freed { .. }), "{report:?}");
        assert!(report.actions.iter().all(|a| a.result != Delivery::Sent), "{report:?}");
    }

    #[test]
    fn an_identity_mismatch_signals_nothing() {
        let (mut child, port) = listener();
        let mut plan = look(port, Proto::Tcp).unwrap();
        // Simulate pid reuse: the plan remembers a different start time for this pid.
        let t = &mut plan.targets[0];
        t.ident.start = t.ident.start.map(|s| s + 1);
        let report = execute(&plan, &opts(), &mut |_| panic!("no prompt"));
        assert_eq!(report.actions[0].result, Delivery::IdentityChanged, "{report:?}");
        match &report.outcome {
            StopOutcome::StillHeld { message, .. } => {
                assert!(message.contains("start time changed"), "{message}");
            }
            o => panic!("{o:?}"),
        }
        assert!(child.try_wait().unwrap().is_none(), "the process was signalled");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn declined_and_refused_stop_nothing() {
        let (mut child, port) = listener();
        let mut plan = look(port, Proto::Tcp).unwrap();
        plan.confirm.push("test reason".into());
        let mut asked = 0;
        let interactive = Options { interactive: true, ..opts() };
        let report = execute(&plan, &interactive, &mut |_| {
            asked += 1;
            false
        });
        assert_eq!((asked, &report.outcome), (1, &StopOutcome::Declined));
        let report = execute(&plan, &opts(), &mut |_| panic!("no prompt off a terminal"));
        assert!(matches!(report.outcome, StopOutcome::NotPermitted(_)), "{report:?}");
        assert!(report.actions.is_empty());
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
