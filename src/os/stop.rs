//! Carrying out a stop plan: look up the holders, signal them with their identity re-checked
//! each time (a suspended one resumed with SIGCONT right after), watch the socket table (not
//! only the pids) until the port is free and then every signalled process until it has exited,
//! escalate to SIGKILL after the grace, and watch for a respawn. The decisions are `core::stop`'s; the
//! per-OS signalling is `sys`'s (`signal_checked`, `signal_group_checked`, `is_alive`,
//! `proc_stat`, with the same names on each OS). Nothing here prints: callers render the
//! [`StopReport`].

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::core::holder;
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::signal::Signal;
use crate::core::socket::{Proto, SockState, Socket};
use crate::core::stop::{
    self, AFTER_KILL, Action, Container, Delivery, Facts, Gate, Ident, Me, Outcome, Plan, RESPAWN_WINDOW,
    StopReport, Target, Unit,
};
use crate::os::{process, sockets};

/// The first pause between two looks at the port while it is held; it doubles up to
/// [`POLL_MAX`]. A process that exits ends a pause at once (see `Run::stop`).
const POLL_FIRST: Duration = Duration::from_millis(2);
const POLL_MAX: Duration = Duration::from_millis(25);

/// What the OS layer reads of a process for stopping it (Linux: `/proc/PID/stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub ppid: Option<u32>,
    pub pgid: Option<u32>,
    pub sid: Option<u32>,
    /// The start time that identifies the process: clock ticks since boot on Linux, seconds
    /// since the epoch elsewhere.
    pub start: Option<u64>,
    pub kernel_thread: bool,
    /// A zombie: it has ended (its sockets are closed) but was not reaped yet.
    pub ended: bool,
    /// Suspended (SIGSTOP, Ctrl-Z): a signal other than SIGKILL waits until it is resumed.
    pub stopped: bool,
}

/// How to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The first signal (`--signal`, default TERM).
    pub signal: Signal,
    /// How long the port gets to be free before SIGKILL (`--grace`).
    pub grace: Duration,
    /// `-y`: confirmed in advance.
    pub yes: bool,
    /// A prompt is possible (see `core::stop::interactive`).
    pub interactive: bool,
}

/// portfix's own place in the process tree.
pub fn me() -> Me {
    let pid = std::process::id();
    let mut ancestors = Vec::new();
    let mut next = super::sys::proc_stat(pid).and_then(|s| s.ppid);
    while let Some(p) = next {
        if p == 0 || ancestors.contains(&p) || ancestors.len() > 64 {
            break;
        }
        ancestors.push(p);
        next = super::sys::proc_stat(p).and_then(|s| s.ppid);
    }
    Me { pid, uid: super::sys::current_uid(), pgid: super::sys::current_pgid(), ancestors }
}

/// Looks up what holds `port` and plans how to stop it.
pub fn look(port: Port, proto: Proto) -> anyhow::Result<Plan> {
    Ok(stop::plan(&facts(port, proto, None)?))
}

/// The facts of `port` in one look: its holding sockets, their owners and the owners' parents
/// (each process read once), portfix's own place, the containers publishing it. `wrapped` is
/// the wrapper's command, for its "earlier run" rule.
pub fn facts(port: Port, proto: Proto, wrapped: Option<stop::Wrapped>) -> anyhow::Result<Facts> {
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
        let mut next = Some(pid);
        while let Some(p) = next {
            if pids.contains(&p) || pids.len() > 64 {
                break;
            }
            let st = super::sys::proc_stat(p);
            pids.push(p);
            stats.push(st);
            next = if p == 1 { None } else { st.and_then(|s| s.ppid).filter(|&pp| pp > 0) };
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

/// Carries out `plan`: asks `confirm` first when the plan needs a confirmation and a prompt is
/// possible (it returns whether the user agreed), then stops the units and checks the port.
pub fn execute(plan: &Plan, opts: &Options, confirm: &mut dyn FnMut(&Plan) -> bool) -> StopReport {
    let mut run = Run {
        t0: Instant::now(),
        actions: Vec::new(),
        plan,
        opts,
        killed: false,
        followers_signalled: false,
    };
    let outcome = match stop::gate(plan, opts.yes, opts.interactive) {
        Gate::Refuse(b) => Outcome::NotPermitted(b),
        Gate::Ask if !confirm(plan) => Outcome::Declined,
        _ if plan.targets.is_empty() => Outcome::Nothing { time_wait: plan.time_wait },
        _ => {
            run.t0 = Instant::now();
            run.stop()
        }
    };
    StopReport { port: plan.port, proto: plan.proto, outcome, actions: run.actions }
}

/// The process is suspended (SIGSTOP, Ctrl-Z).
fn suspended(id: Ident) -> bool {
    super::sys::proc_stat(id.pid).is_some_and(|s| s.stopped && s.start == id.start)
}

/// The port as the socket table shows it now, against the sockets of the plan.
enum PortNow {
    Free,
    /// One of the plan's sockets still holds it.
    Held,
    /// Only new sockets hold it: somebody else took the port.
    Taken(Vec<Socket>),
}

struct Run<'a> {
    t0: Instant,
    actions: Vec<Action>,
    plan: &'a Plan,
    opts: &'a Options,
    /// SIGKILL was sent (the grace is over).
    killed: bool,
    /// The followers (workers outliving their master) were signalled.
    followers_signalled: bool,
}

impl Run<'_> {
    fn ms(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    fn record(&mut self, target: String, signal: Option<Signal>, result: Delivery) -> Delivery {
        self.actions.push(Action { ms: self.ms(), target, signal, result });
        result
    }

    /// Signals the unit; a suspended one (Ctrl-Z) gets SIGCONT right after, so that it acts on
    /// the signal now rather than when someone resumes it (SIGKILL needs no help).
    fn signal_unit(&mut self, t: &Target, sig: Signal) -> Delivery {
        match &t.unit {
            Unit::Process { .. } => self.signal_process(t.ident, sig),
            Unit::Group { pgid, .. } => {
                let members = Self::members(t);
                let r = super::sys::signal_group_checked(*pgid, &members, sig);
                self.record(format!("process group {pgid}"), Some(sig), r);
                if r == Delivery::Sent && sig != Signal::Kill && members.iter().any(|m| suspended(*m)) {
                    let c = super::sys::signal_group_checked(*pgid, &members, Signal::Cont);
                    self.record(format!("process group {pgid}"), Some(Signal::Cont), c);
                }
                r
            }
            Unit::Container { id, name } => {
                let r = docker_stop(id, self.opts.grace);
                self.record(format!("container {name}"), None, r)
            }
        }
    }

    /// One process, by identity; SIGCONT follows when it is suspended (see [`Self::signal_unit`]).
    fn signal_process(&mut self, id: Ident, sig: Signal) -> Delivery {
        let r = super::sys::signal_checked(id, sig);
        self.record(format!("pid {}", id.pid), Some(sig), r);
        if r == Delivery::Sent && sig != Signal::Kill && suspended(id) {
            let c = super::sys::signal_checked(id, Signal::Cont);
            self.record(format!("pid {}", id.pid), Some(Signal::Cont), c);
        }
        r
    }

    /// The processes of a unit that portfix knows by identity: the holder, and a group's leader.
    fn members(t: &Target) -> Vec<Ident> {
        let mut members = vec![t.ident];
        members.extend(t.leader.as_ref().map(Ident::of).filter(|l| l.pid != t.ident.pid));
        members
    }

    fn unit_alive(t: &Target) -> bool {
        match t.unit {
            Unit::Container { .. } => false,
            _ => super::sys::is_alive(t.ident),
        }
    }

    /// Signals the followers still alive (workers that outlived their master), once.
    fn signal_followers(&mut self, sig: Signal) {
        self.followers_signalled = true;
        let plan = self.plan;
        for t in &plan.targets {
            for &f in &t.followers {
                if super::sys::is_alive(f) {
                    self.signal_process(f, sig);
                }
            }
        }
    }

    /// Every process the plan signals (or will, as followers) that is still alive.
    fn alive(&self, followers: bool) -> Vec<Ident> {
        let mut out: Vec<Ident> = Vec::new();
        for t in &self.plan.targets {
            if !matches!(t.unit, Unit::Container { .. }) {
                out.extend(Self::members(t));
            }
            if followers {
                out.extend(&t.followers);
            }
        }
        out.retain(|&id| super::sys::is_alive(id));
        out
    }

    /// The port is free: before that counts, every process portfix signalled must have exited
    /// (a pre-fork master closes its socket at once and exits later; relaunching meanwhile
    /// would meet "the earlier run is still alive"). Waits up to the grace, then SIGKILLs what is
    /// left and waits [`AFTER_KILL`]. `Some` when something outlived even SIGKILL.
    fn until_gone(&mut self, deadline: Instant) -> Option<Outcome> {
        loop {
            if !self.followers_signalled && self.alive(false).is_empty() {
                self.signal_followers(self.opts.signal);
            }
            let left = self.alive(true);
            if left.is_empty() {
                return None;
            }
            let now = Instant::now();
            if self.killed || now >= deadline {
                break;
            }
            super::sys::wait_exit(&left, (deadline - now).min(POLL_MAX * 4));
        }
        if !self.killed {
            self.kill_the_rest();
        }
        let until = Instant::now() + AFTER_KILL;
        loop {
            let left = self.alive(true);
            if left.is_empty() {
                return None;
            }
            let now = Instant::now();
            if now >= until {
                let pids = left.iter().map(|i| i.pid.to_string()).collect::<Vec<_>>().join(", ");
                return Some(Outcome::StillHeld {
                    message: format!(
                        "port {} is free, but pid {pids} did not exit even after SIGKILL (blocked in the kernel?)",
                        self.plan.port
                    ),
                    hint: Some(format!("see its state: ps -o pid,stat,wchan -p {pids}")),
                });
            }
            super::sys::wait_exit(&left, until - now);
        }
    }

    /// SIGKILL to what is left of the plan: the units, then the followers.
    fn kill_the_rest(&mut self) {
        self.killed = true;
        let plan = self.plan;
        for t in &plan.targets {
            if Self::unit_alive(t) {
                self.signal_unit(t, Signal::Kill);
            }
            for &f in &t.followers {
                if super::sys::is_alive(f) {
                    self.signal_process(f, Signal::Kill);
                }
            }
        }
    }

    /// The port is free: once every signalled process has exited, it is freed.
    fn free_when_gone(&mut self, deadline: Instant) -> Outcome {
        match self.until_gone(deadline) {
            Some(outcome) => outcome,
            None => self.freed(),
        }
    }

    fn stop(&mut self) -> Outcome {
        let plan = self.plan;
        let first: Vec<Delivery> =
            plan.targets.iter().map(|t| self.signal_unit(t, self.opts.signal)).collect();
        if !first.contains(&Delivery::Sent) {
            // Nothing was delivered: the holders ended on their own, changed identity, or the
            // OS refused. Decide now rather than wait out the grace.
            if let PortNow::Free = self.port_now() {
                return self.freed();
            }
            if let Some(t) = plan.targets.iter().zip(&first).find(|(_, s)| **s == Delivery::IdentityChanged) {
                return Outcome::StillHeld {
                    message: format!(
                        "pid {} is no longer the process that held port {} (its start time changed): nothing was signalled",
                        t.0.holder.pid, plan.port
                    ),
                    hint: Some(format!("look again: portfix kill {}", plan.port)),
                };
            }
            if let Some(t) = plan.targets.iter().zip(&first).find(|(_, s)| **s == Delivery::Denied) {
                return Outcome::NotPermitted(stop::Blocked {
                    message: format!("the system refused to signal pid {}", t.0.holder.pid),
                    hint: Some(if super::sys::current_uid() == Some(0) {
                        "root was refused too: a security module, or a process of another user namespace, protects it".to_string()
                    } else {
                        format!(
                            "run it as that process's owner or with sudo: sudo portfix kill {}",
                            plan.port
                        )
                    }),
                });
            }
        }

        let deadline = self.t0 + self.opts.grace;
        // A signal was just sent: the holder needs a moment to end. Sleep on it first rather
        // than look at once, which would find the port held and compete with its exit.
        let alive: Vec<Ident> =
            plan.targets.iter().filter(|t| Self::unit_alive(t)).map(|t| t.ident).collect();
        if !alive.is_empty() {
            super::sys::wait_exit(&alive, POLL_FIRST.min(self.opts.grace));
        }
        // How many processes the last pause slept on.
        let mut watching = alive.len();
        // Between looks at the port portfix sleeps on the processes themselves (pidfds), so a
        // holder that exits wakes it at once, and one filtered look confirms the port is free.
        // A look asks the kernel for this port's sockets only, so its cost does not grow with
        // the machine: the pauses stay short (a port closed before its process exits, or held
        // by a process outside the plan, is seen within [`POLL_MAX`]).
        let mut interval = POLL_FIRST;
        loop {
            match self.port_now() {
                PortNow::Free => return self.free_when_gone(deadline),
                PortNow::Taken(s) => return self.respawned(s),
                PortNow::Held => {}
            }
            let units_alive: Vec<Ident> =
                plan.targets.iter().filter(|t| Self::unit_alive(t)).map(|t| t.ident).collect();
            // A master that ended without taking its workers along: they are orphans now.
            if !self.followers_signalled && units_alive.is_empty() {
                self.signal_followers(self.opts.signal);
            }
            let mut watched = units_alive;
            if self.followers_signalled {
                watched.extend(
                    plan.targets.iter().flat_map(|t| &t.followers).filter(|f| super::sys::is_alive(**f)),
                );
            }
            // One of them ended between the look and now: its socket may be closed already, so
            // look again rather than pause (each such turn leaves fewer processes: it ends).
            if watched.len() < watching {
                watching = watched.len();
                continue;
            }
            watching = watched.len();
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let wait = interval.min(deadline - now);
            if watched.is_empty() {
                std::thread::sleep(wait);
            } else {
                super::sys::wait_exit(&watched, wait);
            }
            interval = (interval * 2).min(POLL_MAX);
        }

        // The grace is over and the port is still held: SIGKILL what is left of the plan.
        self.kill_the_rest();
        let until = Instant::now() + AFTER_KILL;
        loop {
            match self.port_now() {
                PortNow::Free => return self.free_when_gone(until),
                PortNow::Taken(s) => return self.respawned(s),
                PortNow::Held if Instant::now() >= until => break,
                PortNow::Held => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let mut left: Vec<Socket> =
            self.current().unwrap_or_default().into_iter().filter(|s| self.is_original(s)).collect();
        let _ = sockets::attach_owners(&mut left);
        let mut pids: Vec<u32> = left.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        // Name who holds it now; one portfix never signalled (it took the port after the look)
        // is said to be that.
        let signalled = plan.pids();
        let list = |pids: &[u32]| pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        let (ours, others): (Vec<u32>, Vec<u32>) = pids.iter().partition(|p| signalled.contains(p));
        let who = match (ours.is_empty(), others.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!(" by pid {}", list(&ours)),
            (true, false) => format!(
                " by pid {}, which portfix did not signal (not seen holding it before)",
                list(&others)
            ),
            (false, false) => format!(
                " by pid {}, and by pid {}, which portfix did not signal (not seen holding it before)",
                list(&ours),
                list(&others)
            ),
        };
        Outcome::StillHeld {
            message: format!("port {} is still held{who} after SIGKILL", plan.port),
            hint: Some(format!("see who holds it: portfix who {}", plan.port)),
        }
    }

    /// The port is free: done, unless something could start the holder again, in which case
    /// the port is watched for [`stop::respawn_window`] first.
    fn freed(&mut self) -> Outcome {
        let ms = self.ms();
        let watched: Vec<&stop::Target> = self.plan.targets.iter().filter(|t| t.watch_respawn).collect();
        let Some(window) = watched.iter().map(|t| stop::respawn_window(t.supervisor.as_ref())).max() else {
            return Outcome::Freed { ms };
        };
        // Supervising processes we know by pid: once all of them are gone, nothing comes back.
        let restarters: Vec<u32> = watched.iter().filter_map(|t| t.supervisor.as_ref()?.pid).collect();
        let all_known = restarters.len() == watched.len();
        let until = Instant::now() + window;
        while Instant::now() < until {
            std::thread::sleep(
                Duration::from_millis(25).min(until.saturating_duration_since(Instant::now())),
            );
            if let PortNow::Taken(s) = self.port_now() {
                return self.respawned(s);
            }
            let gone = restarters.iter().all(|&pid| process::start_ticks(pid).is_none());
            if all_known && gone && until.saturating_duration_since(Instant::now()) < window - RESPAWN_WINDOW
            {
                break;
            }
        }
        Outcome::Freed { ms }
    }

    fn respawned(&mut self, mut taken: Vec<Socket>) -> Outcome {
        let _ = sockets::attach_owners(&mut taken);
        let pid = taken.iter().flat_map(|s| s.pids.iter().copied()).next();
        let chain = pid.map(|p| process::chain(p, 16)).unwrap_or_default();
        let sup = chain.first().and_then(|h| holder::supervisor(&chain, h.systemd_unit.as_deref()));
        Outcome::Respawned(stop::respawn_verdict(self.plan.port, chain.first(), chain.get(1), sup.as_ref()))
    }

    /// The sockets holding the port now (the kernel picks them: one small query at any
    /// scale); `None` when the table could not be read.
    fn current(&self) -> Option<Vec<Socket>> {
        sockets::listeners(self.plan.port, self.plan.proto).ok()
    }

    /// One of the plan's sockets: the same inode where the OS gives inodes, else the same
    /// address held by one of the plan's processes.
    fn is_original(&self, s: &Socket) -> bool {
        let pids = self.plan.pids();
        self.plan.sockets.iter().any(|o| match (o.inode, s.inode) {
            (Some(a), Some(b)) => a == b,
            _ => o.local == s.local && s.pids.iter().any(|p| pids.contains(p)),
        })
    }

    /// A table that cannot be read proves nothing: the port counts as still held.
    fn port_now(&self) -> PortNow {
        let Some(now) = self.current() else { return PortNow::Held };
        if now.is_empty() {
            PortNow::Free
        } else if now.iter().any(|s| self.is_original(s)) {
            PortNow::Held
        } else {
            PortNow::Taken(now)
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
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
        assert!(matches!(report.outcome, Outcome::Freed { .. }), "{report:?}");
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
            Outcome::StillHeld { message, .. } => {
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
        assert_eq!((asked, &report.outcome), (1, &Outcome::Declined));
        let report = execute(&plan, &opts(), &mut |_| panic!("no prompt off a terminal"));
        assert!(matches!(report.outcome, Outcome::NotPermitted(_)), "{report:?}");
        assert!(report.actions.is_empty());
        assert!(child.try_wait().unwrap().is_none());
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
