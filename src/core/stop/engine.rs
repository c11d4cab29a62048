//! Carrying out a stop plan — the state machine, with no I/O of its own: signal each unit with
//! its identity re-checked (a suspended one resumed with SIGCONT right after), watch the socket
//! table (not only the pids) until the port is free and then every signalled process until it
//! has exited, escalate to SIGKILL at the grace, and watch for a respawn.
//!
//! Everything it asks of the world goes through a [`Host`]: `os::stop::System` on a real OS,
//! a fake with a virtual clock in the tests below, so that every path (exits at once, ignores
//! SIGTERM, vanishes, pid reused, respawned, refused, suspended, several processes) is tested
//! to the millisecond without a process or a sleep.
//!
//! SIGKILL is sent in one place: [`Run::kill_the_rest`], once the grace is over.

use std::time::{Duration, Instant};

use super::{
    AFTER_KILL, Delivery, Gate, Ident, RESPAWN_WINDOW, StopOutcome, StopPlan, StopReport, Target, Unit,
};
use crate::core::holder;
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::signal::{Escalation, Signal};
use crate::core::socket::{Proto, Socket};

/// The first pause between two looks at the port while it is held; it doubles up to
/// [`POLL_MAX`]. A process that exits ends a pause at once (see [`Host::wait`]).
const POLL_FIRST: Duration = Duration::from_millis(2);
const POLL_MAX: Duration = Duration::from_millis(25);

/// What the engine asks of the OS. Each OS has one (`os::stop::System`); tests have a fake.
pub(crate) trait Host {
    fn now(&self) -> Instant;
    /// Sleeps up to `limit`, returning early when one of `ids` exits (none: just sleeps).
    fn wait(&mut self, ids: &[Ident], limit: Duration);
    /// Signals one process, if it still is `id`.
    fn signal(&mut self, id: Ident, sig: Signal) -> Delivery;
    /// Signals process group `pgid`, if one of `members` still is who it was.
    fn signal_group(&mut self, pgid: u32, members: &[Ident], sig: Signal) -> Delivery;
    /// `docker stop` with the grace.
    fn stop_container(&mut self, id: &str, grace: Duration) -> Delivery;
    fn is_alive(&self, id: Ident) -> bool;
    /// Suspended (SIGSTOP, Ctrl-Z): a signal other than SIGKILL waits until it is resumed.
    fn is_suspended(&self, id: Ident) -> bool;
    /// Some process has this pid (a supervisor known only by pid).
    fn pid_exists(&self, pid: u32) -> bool;
    /// The sockets listening on the port now, owners not attached; `None` when the table
    /// could not be read.
    fn listeners(&mut self, port: Port, proto: Proto) -> Option<Vec<Socket>>;
    fn attach_owners(&mut self, sockets: &mut Vec<Socket>);
    /// A process and its parents, nearest first (who took the port back).
    fn chain(&mut self, pid: u32) -> Vec<ProcessInfo>;
    /// portfix runs as root (for the wording of a refusal).
    fn is_root(&self) -> bool;
}

/// How to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Options {
    /// The first signal (`--signal`, default TERM).
    pub(crate) signal: Signal,
    /// How long the port gets to be free before SIGKILL (`--grace`).
    pub(crate) grace: Duration,
    /// `-y`: confirmed in advance.
    pub(crate) yes: bool,
    /// A prompt is possible (see `core::stop::interactive`).
    pub(crate) interactive: bool,
}

/// Carries out `plan`: asks `confirm` first when the plan needs a confirmation and a prompt is
/// possible (it returns whether the user agreed), then stops the units and checks the port.
pub(crate) fn execute<H: Host>(
    host: &mut H,
    plan: &StopPlan,
    opts: &Options,
    confirm: &mut dyn FnMut(&StopPlan) -> bool,
) -> StopReport {
    let t0 = host.now();
    let mut run =
        Run { t0, actions: Vec::new(), plan, opts, killed: false, followers_signalled: false, host };
    let outcome = match super::gate(plan, opts.yes, opts.interactive) {
        Gate::Refuse(b) => StopOutcome::NotPermitted(b),
        Gate::Ask if !confirm(plan) => StopOutcome::Declined,
        _ if plan.targets.is_empty() => StopOutcome::Nothing { time_wait: plan.time_wait },
        _ => {
            run.t0 = run.host.now();
            run.stop()
        }
    };
    StopReport { port: plan.port, proto: plan.proto, outcome, actions: run.actions }
}

/// The port as the socket table shows it now, against the sockets of the plan.
enum PortNow {
    Free,
    /// One of the plan's sockets still holds it.
    Held,
    /// Only new sockets hold it: somebody else took the port.
    Taken(Vec<Socket>),
}

struct Run<'a, H: Host> {
    t0: Instant,
    actions: Vec<super::StopStep>,
    plan: &'a StopPlan,
    opts: &'a Options,
    /// SIGKILL was sent (the grace is over).
    killed: bool,
    /// The followers (workers outliving their master) were signalled.
    followers_signalled: bool,
    host: &'a mut H,
}

impl<H: Host> Run<'_, H> {
    fn ms(&self) -> u64 {
        self.host.now().saturating_duration_since(self.t0).as_millis() as u64
    }

    fn record(&mut self, target: String, signal: Option<Signal>, result: Delivery) -> Delivery {
        self.actions.push(super::StopStep { ms: self.ms(), target, signal, result });
        result
    }

    /// Signals the unit; a suspended one (Ctrl-Z) gets SIGCONT right after, so that it acts on
    /// the signal now rather than when someone resumes it (SIGKILL needs no help).
    fn signal_unit(&mut self, t: &Target, sig: Signal) -> Delivery {
        match &t.unit {
            Unit::Process { .. } => self.signal_process(t.ident, sig),
            Unit::Group { pgid, .. } => {
                let members = Self::members(t);
                let r = self.host.signal_group(*pgid, &members, sig);
                self.record(format!("process group {pgid}"), Some(sig), r);
                if r == Delivery::Sent
                    && sig != Signal::Kill
                    && members.iter().any(|m| self.host.is_suspended(*m))
                {
                    let c = self.host.signal_group(*pgid, &members, Signal::Cont);
                    self.record(format!("process group {pgid}"), Some(Signal::Cont), c);
                }
                r
            }
            Unit::Container { id, name } => {
                let r = self.host.stop_container(id, self.opts.grace);
                self.record(format!("container {name}"), None, r)
            }
        }
    }

    /// One process, by identity; SIGCONT follows when it is suspended (see [`Self::signal_unit`]).
    fn signal_process(&mut self, id: Ident, sig: Signal) -> Delivery {
        let r = self.host.signal(id, sig);
        self.record(format!("pid {}", id.pid), Some(sig), r);
        if r == Delivery::Sent && sig != Signal::Kill && self.host.is_suspended(id) {
            let c = self.host.signal(id, Signal::Cont);
            self.record(format!("pid {}", id.pid), Some(Signal::Cont), c);
        }
        r
    }

    /// The processes of a unit that portfix knows by identity: the unit's process, and a
    /// group's leader.
    fn members(t: &Target) -> Vec<Ident> {
        let mut members = vec![t.ident];
        members.extend(t.leader.as_ref().map(Ident::of).filter(|l| l.pid != t.ident.pid));
        members
    }

    fn unit_alive(&self, t: &Target) -> bool {
        match t.unit {
            Unit::Container { .. } => false,
            _ => self.host.is_alive(t.ident),
        }
    }

    /// The units still alive, by identity.
    fn units_alive(&self) -> Vec<Ident> {
        self.plan.targets.iter().filter(|t| self.unit_alive(t)).map(|t| t.ident).collect()
    }

    /// Signals the followers still alive (workers that outlived their master), once.
    fn signal_followers(&mut self, sig: Signal) {
        self.followers_signalled = true;
        let plan = self.plan;
        for t in &plan.targets {
            for &f in &t.followers {
                if self.host.is_alive(f) {
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
        out.retain(|&id| self.host.is_alive(id));
        out
    }

    /// The port is free: before that counts, every process portfix signalled must have exited
    /// (a pre-fork master closes its socket at once and exits later; relaunching meanwhile
    /// would meet "the earlier run is still alive"). Waits up to the grace, then SIGKILLs what is
    /// left and waits [`AFTER_KILL`]. `Some` when something outlived even SIGKILL.
    fn until_gone(&mut self, stopping: Escalation) -> Option<StopOutcome> {
        loop {
            if !self.followers_signalled && self.alive(false).is_empty() {
                self.signal_followers(self.opts.signal);
            }
            let left = self.alive(true);
            if left.is_empty() {
                return None;
            }
            let now = self.host.now();
            if self.killed || stopping.kill_due(now) {
                break;
            }
            self.host.wait(&left, stopping.left(now).min(POLL_MAX * 4));
        }
        if !self.killed {
            self.kill_the_rest();
        }
        let until = self.host.now() + AFTER_KILL;
        loop {
            let left = self.alive(true);
            if left.is_empty() {
                return None;
            }
            let now = self.host.now();
            if now >= until {
                let pids = left.iter().map(|i| i.pid.to_string()).collect::<Vec<_>>().join(", ");
                return Some(StopOutcome::StillHeld {
                    message: format!(
                        "port {} is free, but pid {pids} did not exit even after SIGKILL (blocked in the kernel?)",
                        self.plan.port
                    ),
                    hint: Some(format!("see its state: ps -o pid,stat,wchan -p {pids}")),
                });
            }
            self.host.wait(&left, until - now);
        }
    }

    /// SIGKILL to what is left of the plan: the units, then the followers. The one place
    /// portfix sends SIGKILL; it is called once the grace is over.
    fn kill_the_rest(&mut self) {
        self.killed = true;
        let plan = self.plan;
        for t in &plan.targets {
            if self.unit_alive(t) {
                self.signal_unit(t, Signal::Kill);
            }
            for &f in &t.followers {
                if self.host.is_alive(f) {
                    self.signal_process(f, Signal::Kill);
                }
            }
        }
    }

    /// The port is free: once every signalled process has exited, it is freed.
    fn free_when_gone(&mut self, stopping: Escalation) -> StopOutcome {
        match self.until_gone(stopping) {
            Some(outcome) => outcome,
            None => self.freed(),
        }
    }

    fn stop(&mut self) -> StopOutcome {
        let plan = self.plan;
        let sig = self.opts.signal;
        let first: Vec<Delivery> = plan.targets.iter().map(|t| self.signal_unit(t, sig)).collect();
        if !first.contains(&Delivery::Sent) {
            // Nothing was delivered: the holders ended on their own, changed identity, or the
            // OS refused. Decide now rather than wait out the grace.
            if let PortNow::Free = self.port_now() {
                return self.freed();
            }
            if let Some(t) = plan.targets.iter().zip(&first).find(|(_, s)| **s == Delivery::IdentityChanged) {
                return StopOutcome::StillHeld {
                    message: format!(
                        "pid {} is no longer the process that held port {} (its start time changed): nothing was signalled",
                        t.0.ident.pid, plan.port
                    ),
                    hint: Some(format!("look again: portfix kill {}", plan.port)),
                };
            }
            if let Some(t) = plan.targets.iter().zip(&first).find(|(_, s)| **s == Delivery::Denied) {
                return StopOutcome::NotPermitted(super::Blocked {
                    message: format!("the system refused to signal pid {}", t.0.ident.pid),
                    hint: Some(if self.host.is_root() {
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

        // The first signal went at t0: SIGKILL falls due at the grace.
        let stopping = Escalation::begun_at(self.t0, self.opts.grace);
        // A signal was just sent: the holder needs a moment to end. Sleep on it first rather
        // than look at once, which would find the port held and compete with its exit.
        let alive = self.units_alive();
        if !alive.is_empty() {
            self.host.wait(&alive, POLL_FIRST.min(self.opts.grace));
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
                PortNow::Free => return self.free_when_gone(stopping),
                PortNow::Taken(s) => return self.respawned(s),
                PortNow::Held => {}
            }
            let units_alive = self.units_alive();
            // A master that ended without taking its workers along: they are orphans now.
            if !self.followers_signalled && units_alive.is_empty() {
                self.signal_followers(sig);
            }
            let mut watched = units_alive;
            if self.followers_signalled {
                let followers = plan.targets.iter().flat_map(|t| &t.followers);
                watched.extend(followers.filter(|f| self.host.is_alive(**f)));
            }
            // One of them ended between the look and now: its socket may be closed already, so
            // look again rather than pause (each such turn leaves fewer processes: it ends).
            if watched.len() < watching {
                watching = watched.len();
                continue;
            }
            watching = watched.len();
            let now = self.host.now();
            if stopping.kill_due(now) {
                break;
            }
            self.host.wait(&watched, interval.min(stopping.left(now)));
            interval = (interval * 2).min(POLL_MAX);
        }

        // The grace is over and the port is still held: SIGKILL what is left of the plan.
        self.kill_the_rest();
        let until = self.host.now() + AFTER_KILL;
        loop {
            match self.port_now() {
                PortNow::Free => return self.free_when_gone(stopping),
                PortNow::Taken(s) => return self.respawned(s),
                PortNow::Held if self.host.now() >= until => break,
                PortNow::Held => self.host.wait(&[], Duration::from_millis(10)),
            }
        }
        let mut left: Vec<Socket> =
            self.current().unwrap_or_default().into_iter().filter(|s| self.is_original(s)).collect();
        self.host.attach_owners(&mut left);
        let mut pids: Vec<u32> = left.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        StopOutcome::StillHeld {
            message: format!(
                "port {} is still held{} after SIGKILL",
                plan.port,
                still_held_by(&pids, &plan.pids())
            ),
            hint: Some(format!("see who holds it: portfix who {}", plan.port)),
        }
    }

    /// The port is free: done, unless something could start the holder again, in which case
    /// the port is watched for [`super::respawn_window`] first.
    fn freed(&mut self) -> StopOutcome {
        let ms = self.ms();
        let watched: Vec<&Target> = self.plan.targets.iter().filter(|t| t.watch_respawn).collect();
        let Some(window) = watched.iter().map(|t| super::respawn_window(t.supervisor.as_ref())).max() else {
            return StopOutcome::Freed { ms };
        };
        // Supervising processes we know by pid: once all of them are gone, nothing comes back.
        let restarters: Vec<u32> = watched.iter().filter_map(|t| t.supervisor.as_ref()?.pid).collect();
        let all_known = restarters.len() == watched.len();
        let until = self.host.now() + window;
        while self.host.now() < until {
            let left = until.saturating_duration_since(self.host.now());
            self.host.wait(&[], Duration::from_millis(25).min(left));
            if let PortNow::Taken(s) = self.port_now() {
                return self.respawned(s);
            }
            let gone = restarters.iter().all(|&pid| !self.host.pid_exists(pid));
            if all_known && gone && until.saturating_duration_since(self.host.now()) < window - RESPAWN_WINDOW
            {
                break;
            }
        }
        StopOutcome::Freed { ms }
    }

    fn respawned(&mut self, mut taken: Vec<Socket>) -> StopOutcome {
        self.host.attach_owners(&mut taken);
        let pid = taken.iter().flat_map(|s| s.pids.iter().copied()).next();
        let chain = pid.map(|p| self.host.chain(p)).unwrap_or_default();
        let sup = chain.first().and_then(|h| holder::supervisor(&chain, h.systemd_unit.as_deref()));
        StopOutcome::Respawned(super::respawn_verdict(
            self.plan.port,
            chain.first(),
            chain.get(1),
            sup.as_ref(),
        ))
    }

    /// The sockets holding the port now (the kernel picks them: one small query at any
    /// scale); `None` when the table could not be read.
    fn current(&mut self) -> Option<Vec<Socket>> {
        self.host.listeners(self.plan.port, self.plan.proto)
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
    fn port_now(&mut self) -> PortNow {
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

/// " by pid 4" for who holds the port after SIGKILL; one portfix never signalled (it took the
/// port after the look) is said to be that.
fn still_held_by(pids: &[u32], signalled: &[u32]) -> String {
    let list = |pids: &[u32]| pids.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let (ours, others): (Vec<u32>, Vec<u32>) = pids.iter().partition(|p| signalled.contains(p));
    let strangers = "which portfix did not signal (not seen holding it before)";
    match (ours.is_empty(), others.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" by pid {}", list(&ours)),
        (true, false) => format!(" by pid {}, {strangers}", list(&others)),
        (false, false) => format!(" by pid {}, and by pid {}, {strangers}", list(&ours), list(&others)),
    }
}

/// Every path of the engine on a fake [`Host`]: a virtual clock that moves only when the engine
/// waits, processes that end when their script says, sockets that close with their process,
/// and a restarter that takes the port back.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::process::ProcessInfo;
    use crate::core::socket::SockState;
    use crate::core::stop::{Facts, Me, Wrapped, plan};

    /// How a fake process answers a signal other than SIGKILL (and SIGCONT).
    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Behaviour {
        /// Ends this long after the signal.
        EndsAfter(Duration),
        /// Ignores it; only SIGKILL ends it.
        Ignores,
        /// The OS refuses to signal it (EPERM).
        Refused,
    }

    struct Proc {
        info: ProcessInfo,
        /// Its identity now (a reused pid has another start time).
        now: Ident,
        answer: Behaviour,
        suspended: bool,
        /// When it ends, if it will.
        ends_at: Option<Duration>,
        ended: bool,
        /// It holds the plan's socket (inode 77) while alive.
        holds: bool,
    }

    /// A new holder that takes the port this long after the old one ended.
    struct Respawner {
        after: Duration,
        chain: Vec<ProcessInfo>,
        at: Option<Duration>,
    }

    struct Fake {
        base: Instant,
        t: Duration,
        procs: Vec<Proc>,
        respawner: Option<Respawner>,
        /// (ms, "pid N" or "group N", signal)
        log: Vec<(u64, String, Signal)>,
    }

    fn info(pid: u32, ppid: u32, cmd: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(ppid),
            pgid: Some(pid),
            sid: Some(ppid),
            name: cmd[0].to_string(),
            cmdline: cmd.iter().map(|s| (*s).to_string()).collect(),
            cwd: Some("/src/app".into()),
            uid: Some(1000),
            user: Some("dev".into()),
            start_ticks: Some(u64::from(pid) * 10),
            ..ProcessInfo::default()
        }
    }

    fn proc_(info: ProcessInfo, answer: Behaviour, holds: bool) -> Proc {
        let now = Ident::of(&info);
        Proc { info, now, answer, suspended: false, ends_at: None, ended: false, holds }
    }

    fn socket(inode: u64, pids: &[u32]) -> Socket {
        Socket {
            proto: Proto::Tcp,
            local: "127.0.0.1:3000".parse().unwrap(),
            remote: None,
            state: SockState::Listen,
            uid: Some(1000),
            inode: Some(inode),
            pids: pids.to_vec(),
        }
    }

    impl Fake {
        fn new(procs: Vec<Proc>) -> Fake {
            Fake { base: Instant::now(), t: Duration::ZERO, procs, respawner: None, log: Vec::new() }
        }

        /// The plan `core::stop::plan` makes of these processes (the holders of inode 77 and
        /// their parents), for `wrapped` when given.
        fn plan(&self, wrapped: Option<&[&str]>) -> StopPlan {
            let holders: Vec<u32> = self.procs.iter().filter(|p| p.holds).map(|p| p.info.pid).collect();
            plan(&Facts {
                port: Port::new(3000).unwrap(),
                proto: Proto::Tcp,
                sockets: vec![socket(77, &holders)],
                procs: self.procs.iter().map(|p| p.info.clone()).collect(),
                time_wait: false,
                containers: None,
                me: Me { pid: 900, uid: Some(1000), pgid: Some(900), ancestors: vec![800, 1] },
                wrapped: wrapped.map(|w| Wrapped {
                    command: w.iter().map(|s| (*s).to_string()).collect(),
                    cwd: "/src/app".into(),
                }),
            })
        }

        fn find(&self, id: Ident) -> Option<&Proc> {
            self.procs.iter().find(|p| p.now == id && !p.ended)
        }

        /// Ends what is due by now; starts the respawn when its time has come.
        fn settle(&mut self) {
            let t = self.t;
            for p in &mut self.procs {
                if p.ends_at.is_some_and(|at| at <= t) {
                    p.ended = true;
                }
            }
            let free = !self.procs.iter().any(|p| p.holds && !p.ended);
            if let Some(r) = &mut self.respawner {
                if free && r.at.is_none() {
                    r.at = Some(t + r.after);
                }
            }
        }

        /// The next moment something happens by itself.
        fn next_event(&self) -> Option<Duration> {
            let ends = self.procs.iter().filter(|p| !p.ended).filter_map(|p| p.ends_at);
            let respawn = self.respawner.as_ref().and_then(|r| r.at).filter(|&at| at > self.t);
            ends.chain(respawn).min()
        }

        fn deliver(&mut self, i: usize, sig: Signal) {
            let t = self.t;
            let p = &mut self.procs[i];
            match sig {
                Signal::Kill => p.ends_at = Some(t),
                Signal::Cont => {
                    p.suspended = false;
                    if let (Behaviour::EndsAfter(d), None) = (p.answer, p.ends_at) {
                        p.ends_at = Some(t + d);
                    }
                }
                _ if p.suspended => {}
                _ => {
                    if let (Behaviour::EndsAfter(d), None) = (p.answer, p.ends_at) {
                        p.ends_at = Some(t + d);
                    }
                }
            }
            self.settle();
        }
    }

    impl Host for Fake {
        fn now(&self) -> Instant {
            self.base + self.t
        }
        fn wait(&mut self, ids: &[Ident], limit: Duration) {
            let until = self.t + limit;
            // a watched process that ends wakes the wait; anything else happens on the way
            let wake = self
                .procs
                .iter()
                .filter(|p| !p.ended && ids.contains(&p.now))
                .filter_map(|p| p.ends_at)
                .filter(|&at| at <= until)
                .min();
            while let Some(at) = self.next_event().filter(|&at| at <= wake.unwrap_or(until)) {
                self.t = at.max(self.t);
                self.settle();
                if Some(at) == wake {
                    return;
                }
            }
            self.t = wake.unwrap_or(until);
            self.settle();
        }
        fn signal(&mut self, id: Ident, sig: Signal) -> Delivery {
            let Some(i) = self.procs.iter().position(|p| p.info.pid == id.pid && !p.ended) else {
                return Delivery::Gone;
            };
            if self.procs[i].now != id {
                return Delivery::IdentityChanged;
            }
            if self.procs[i].answer == Behaviour::Refused {
                return Delivery::Denied;
            }
            self.log.push((self.t.as_millis() as u64, format!("pid {}", id.pid), sig));
            self.deliver(i, sig);
            Delivery::Sent
        }
        fn signal_group(&mut self, pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
            if !members.iter().any(|m| self.find(*m).is_some()) {
                return Delivery::Gone;
            }
            self.log.push((self.t.as_millis() as u64, format!("group {pgid}"), sig));
            for i in 0..self.procs.len() {
                if self.procs[i].info.pgid == Some(pgid) && !self.procs[i].ended {
                    self.deliver(i, sig);
                }
            }
            Delivery::Sent
        }
        fn stop_container(&mut self, _id: &str, _grace: Duration) -> Delivery {
            Delivery::Failed
        }
        fn is_alive(&self, id: Ident) -> bool {
            self.find(id).is_some()
        }
        fn is_suspended(&self, id: Ident) -> bool {
            self.find(id).is_some_and(|p| p.suspended)
        }
        fn pid_exists(&self, pid: u32) -> bool {
            self.procs.iter().any(|p| p.info.pid == pid && !p.ended)
        }
        fn listeners(&mut self, _port: Port, _proto: Proto) -> Option<Vec<Socket>> {
            let holders: Vec<u32> =
                self.procs.iter().filter(|p| p.holds && !p.ended).map(|p| p.info.pid).collect();
            let mut out = Vec::new();
            if !holders.is_empty() {
                out.push(socket(77, &[]));
            }
            if let Some(r) = &self.respawner {
                if r.at.is_some_and(|at| at <= self.t) {
                    out.push(socket(78, &[]));
                }
            }
            Some(out)
        }
        fn attach_owners(&mut self, sockets: &mut Vec<Socket>) {
            for s in sockets {
                s.pids = match s.inode {
                    Some(77) => {
                        self.procs.iter().filter(|p| p.holds && !p.ended).map(|p| p.info.pid).collect()
                    }
                    _ => self.respawner.as_ref().map(|r| vec![r.chain[0].pid]).unwrap_or_default(),
                };
            }
        }
        fn chain(&mut self, pid: u32) -> Vec<ProcessInfo> {
            self.respawner.as_ref().map(|r| r.chain.clone()).filter(|c| c[0].pid == pid).unwrap_or_default()
        }
        fn is_root(&self) -> bool {
            false
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const GRACE: Duration = Duration::from_secs(5);

    fn run(fake: &mut Fake, plan: &StopPlan) -> StopReport {
        let opts = Options { signal: Signal::Term, grace: GRACE, yes: true, interactive: false };
        execute(fake, plan, &opts, &mut |_| panic!("no prompt with -y"))
    }

    fn server(pid: u32, answer: Behaviour) -> Proc {
        proc_(info(pid, 50, &["node", "server.js"]), answer, true)
    }

    fn shell() -> Proc {
        proc_(info(50, 1, &["bash"]), Behaviour::Ignores, false)
    }

    #[test]
    fn a_holder_that_exits_at_once_frees_the_port_with_one_term() {
        let mut f = Fake::new(vec![server(100, Behaviour::EndsAfter(ms(3))), shell()]);
        let plan = f.plan(None);
        let r = run(&mut f, &plan);
        assert_eq!(r.outcome, StopOutcome::Freed { ms: 3 });
        assert_eq!(f.log, [(0, "pid 100".to_string(), Signal::Term)]);
    }

    #[test]
    fn a_holder_that_ignores_term_gets_kill_exactly_at_the_grace() {
        let mut f = Fake::new(vec![server(100, Behaviour::Ignores), shell()]);
        let plan = f.plan(None);
        let r = run(&mut f, &plan);
        assert_eq!(r.outcome, StopOutcome::Freed { ms: GRACE.as_millis() as u64 });
        assert_eq!(
            f.log,
            [
                (0, "pid 100".to_string(), Signal::Term),
                (GRACE.as_millis() as u64, "pid 100".to_string(), Signal::Kill)
            ]
        );
    }

    #[test]
    fn a_holder_that_vanished_between_the_look_and_the_signal_is_no_error() {
        let mut f = Fake::new(vec![server(100, Behaviour::Ignores), shell()]);
        let plan = f.plan(None);
        f.procs[0].ended = true;
        let r = run(&mut f, &plan);
        assert_eq!(r.outcome, StopOutcome::Freed { ms: 0 });
        assert!(f.log.is_empty(), "nothing signalled: {:?}", f.log);
        assert_eq!(r.actions[0].result, Delivery::Gone);
    }

    #[test]
    fn a_reused_pid_is_never_signalled() {
        let mut f = Fake::new(vec![server(100, Behaviour::EndsAfter(ms(1))), shell()]);
        let plan = f.plan(None);
        f.procs[0].now.start = Some(999_999); // pid 100 is another process now
        let r = run(&mut f, &plan);
        assert!(f.log.is_empty(), "{:?}", f.log);
        match r.outcome {
            StopOutcome::StillHeld { message, .. } => {
                assert!(message.contains("start time changed"), "{message}");
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn a_refused_signal_is_not_permitted() {
        let mut f = Fake::new(vec![server(100, Behaviour::Refused), shell()]);
        let plan = f.plan(None);
        let r = run(&mut f, &plan);
        match r.outcome {
            StopOutcome::NotPermitted(b) => {
                assert_eq!(b.message, "the system refused to signal pid 100");
                assert!(b.hint.unwrap().contains("sudo portfix kill 3000"));
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn a_suspended_holder_is_resumed_right_after_the_signal() {
        let mut f = Fake::new(vec![server(100, Behaviour::EndsAfter(ms(2))), shell()]);
        f.procs[0].suspended = true;
        let plan = f.plan(None);
        let r = run(&mut f, &plan);
        assert_eq!(r.outcome, StopOutcome::Freed { ms: 2 });
        assert_eq!(
            f.log,
            [(0, "pid 100".to_string(), Signal::Term), (0, "pid 100".to_string(), Signal::Cont)]
        );
    }

    #[test]
    fn a_shell_loop_that_restarts_the_holder_is_named() {
        let loop_ = info(50, 1, &["sh", "-c", "while true; do node server.js; done"]);
        let mut f = Fake::new(vec![
            proc_(info(100, 50, &["node", "server.js"]), Behaviour::EndsAfter(ms(1)), true),
            proc_(loop_.clone(), Behaviour::Ignores, false),
        ]);
        f.respawner = Some(Respawner {
            after: ms(30),
            chain: vec![info(101, 50, &["node", "server.js"]), loop_],
            at: None,
        });
        let plan = f.plan(None);
        assert!(plan.targets[0].watch_respawn, "a shell loop could restart it");
        match run(&mut f, &plan).outcome {
            StopOutcome::Respawned(r) => {
                assert_eq!(r.pid, Some(101));
                assert_eq!(r.restarter.as_deref(), Some("a shell loop (pid 50) starts it again"));
                assert_eq!(r.stop, "kill 50");
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn a_supervisor_that_restarts_the_holder_is_named() {
        let nodemon = info(50, 40, &["nodemon", "server.js"]);
        let mut f = Fake::new(vec![
            proc_(info(100, 50, &["node", "server.js"]), Behaviour::EndsAfter(ms(1)), true),
            proc_(nodemon.clone(), Behaviour::Ignores, false),
        ]);
        f.respawner = Some(Respawner {
            after: ms(100),
            chain: vec![info(101, 50, &["node", "server.js"]), nodemon],
            at: None,
        });
        let plan = f.plan(None);
        match run(&mut f, &plan).outcome {
            StopOutcome::Respawned(r) => {
                assert_eq!(
                    r.restarter.as_deref(),
                    Some("nodemon (pid 50) starts it again when files change")
                );
            }
            o => panic!("{o:?}"),
        }
        // a restarter that waits longer than the watch: freed, as far as can be told
        let nodemon = info(50, 40, &["nodemon", "server.js"]);
        let mut f = Fake::new(vec![
            proc_(info(100, 50, &["node", "server.js"]), Behaviour::EndsAfter(ms(1)), true),
            proc_(nodemon.clone(), Behaviour::Ignores, false),
        ]);
        f.respawner = Some(Respawner {
            after: ms(5000),
            chain: vec![info(101, 50, &["node", "server.js"]), nodemon],
            at: None,
        });
        let plan = f.plan(None);
        assert_eq!(run(&mut f, &plan).outcome, StopOutcome::Freed { ms: 1 });
    }

    #[test]
    fn an_earlier_run_behind_its_watcher_goes_as_one_unit() {
        // `node --watch server.js` (pid 60, leads group 60) and its server (pid 100, group 60)
        let watcher = info(60, 50, &["node", "--watch", "server.js"]);
        let server = ProcessInfo { pgid: Some(60), ..info(100, 60, &["node", "server.js"]) };
        let mut f = Fake::new(vec![
            proc_(server, Behaviour::EndsAfter(ms(2)), true),
            proc_(watcher, Behaviour::EndsAfter(ms(4)), false),
            shell(),
        ]);
        let plan = f.plan(Some(&["node", "--watch", "server.js"]));
        let r = run(&mut f, &plan);
        assert_eq!(f.log, [(0, "group 60".to_string(), Signal::Term)]);
        // the port is free at 2 ms, but it is done only once the watcher has exited too
        assert_eq!(r.outcome, StopOutcome::Freed { ms: 4 });
        assert!(f.procs.iter().take(2).all(|p| p.ended));
    }

    #[test]
    fn workers_that_outlive_their_master_are_signalled_then_killed_at_the_grace() {
        // a pre-fork master (pid 100) ends at once; its worker (101) ignores TERM
        let master = info(100, 50, &["gunicorn", "app:app"]);
        let worker = ProcessInfo { pgid: Some(100), ..info(101, 100, &["gunicorn", "app:app"]) };
        let mut f = Fake::new(vec![
            proc_(master, Behaviour::EndsAfter(ms(1)), true),
            proc_(worker, Behaviour::Ignores, true),
            shell(),
        ]);
        let plan = f.plan(None);
        let r = run(&mut f, &plan);
        let grace = GRACE.as_millis() as u64;
        assert_eq!(
            f.log,
            [
                (0, "pid 100".to_string(), Signal::Term),
                (1, "pid 101".to_string(), Signal::Term),
                (grace, "pid 101".to_string(), Signal::Kill)
            ]
        );
        assert_eq!(r.outcome, StopOutcome::Freed { ms: grace });
    }

    #[test]
    fn one_that_outlives_even_sigkill_is_reported_with_its_pid() {
        let mut f = Fake::new(vec![server(100, Behaviour::Ignores), shell()]);
        let plan = f.plan(None);
        // SIGKILL does not end it (blocked in the kernel): the fake never lets it end
        f.procs[0].answer = Behaviour::Ignores;
        let opts = Options { signal: Signal::Term, grace: ms(100), yes: true, interactive: false };
        let mut stuck = StuckFake(f);
        match execute(&mut stuck, &plan, &opts, &mut |_| true).outcome {
            StopOutcome::StillHeld { message, .. } => {
                assert_eq!(message, "port 3000 is still held by pid 100 after SIGKILL");
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(stuck.0.t, ms(100) + AFTER_KILL, "it waited the grace, then AFTER_KILL");
    }

    /// A host where SIGKILL is delivered but nothing ends (a process in uninterruptible sleep).
    struct StuckFake(Fake);

    impl Host for StuckFake {
        fn now(&self) -> Instant {
            self.0.now()
        }
        fn wait(&mut self, ids: &[Ident], limit: Duration) {
            self.0.wait(ids, limit);
        }
        fn signal(&mut self, id: Ident, sig: Signal) -> Delivery {
            self.0.log.push((self.0.t.as_millis() as u64, format!("pid {}", id.pid), sig));
            Delivery::Sent
        }
        fn signal_group(&mut self, pgid: u32, members: &[Ident], sig: Signal) -> Delivery {
            self.0.signal_group(pgid, members, sig)
        }
        fn stop_container(&mut self, id: &str, grace: Duration) -> Delivery {
            self.0.stop_container(id, grace)
        }
        fn is_alive(&self, id: Ident) -> bool {
            self.0.is_alive(id)
        }
        fn is_suspended(&self, id: Ident) -> bool {
            self.0.is_suspended(id)
        }
        fn pid_exists(&self, pid: u32) -> bool {
            self.0.pid_exists(pid)
        }
        fn listeners(&mut self, port: Port, proto: Proto) -> Option<Vec<Socket>> {
            self.0.listeners(port, proto)
        }
        fn attach_owners(&mut self, sockets: &mut Vec<Socket>) {
            self.0.attach_owners(sockets);
        }
        fn chain(&mut self, pid: u32) -> Vec<ProcessInfo> {
            self.0.chain(pid)
        }
        fn is_root(&self) -> bool {
            false
        }
    }
}
