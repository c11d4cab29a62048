//! Who holds the port the command wants: the facts the policy needs (an earlier run of this same
//! command? may portfix stop it?) and the lines that name the holder for people.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::holder::{self, HolderView};
use crate::core::platform;
use crate::core::policy::{self, Policy};
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::render::{self, Paint};
use crate::core::socket::Proto;
use crate::core::stop;
use crate::core::wellknown::{self, Known};
use crate::os::stop as engine;

use super::Settings;

/// The holder of a port, as far as it can be seen.
pub(crate) struct Held {
    pub(crate) port: Port,
    /// The first visible holding process, with its parents; `None` when no owner can be seen.
    pub(crate) view: Option<HolderView>,
    /// The owner's uid when the process itself is hidden.
    pub(crate) uid: Option<u32>,
    /// The port is held, but by no process portfix can see (Windows under Wine gives no owner
    /// pids at all; elsewhere another user's process, where the OS gives no uid either).
    pub(crate) hidden: bool,
    /// How many more processes hold it (forked workers).
    pub(crate) more: usize,
    pub(crate) facts: policy::HolderFacts,
    /// How the stopping engine would stop it (looked up unless the policy is to move anyway).
    pub(crate) stop_plan: Option<stop::StopPlan>,
    /// Every visible process holding the port (the first is `view`'s).
    pub(crate) pids: Vec<u32>,
    /// The first holder and its parents, as `view` was made from.
    pub(crate) chain: Vec<ProcessInfo>,
    /// A shared service of the machine (a database, sshd, …): said before any choice.
    pub(crate) known: Option<Known>,
}

impl Held {
    /// Looks the holder of `port` up once (one owner pass, each holder and parent read once):
    /// the same facts give the view for people, the policy's facts and the stop plan.
    pub(crate) fn look(port: Port, s: &Settings) -> anyhow::Result<Held> {
        let wrapped = s.cwd.clone().map(|cwd| stop::Wrapped { command: s.command.clone(), cwd });
        let facts = engine::facts(port, Proto::Tcp, wrapped)?;
        let mut pids: Vec<u32> = facts.sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        let uid = facts.sockets.iter().find_map(|s| s.uid);
        let mut chain = pids
            .first()
            .and_then(|&pid| facts.procs.iter().find(|p| p.pid == pid))
            .map(|h| stop::chain_of(h, &facts.procs))
            .unwrap_or_default();
        chain.truncate(crate::core::process::PARENTS + 1);
        let earlier = match &s.cwd {
            Some(cwd) if !chain.is_empty() => holder::earlier_run(&chain, &s.command, cwd).is_some(),
            _ => false,
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let view = HolderView::from_chain(&chain, now, earlier);
        let stop_plan = if s.situation.policy == Some(Policy::Next) || view.is_none() {
            None
        } else {
            Some(stop::plan(&facts))
        };
        // The engine's rules decide (never pid 1, portfix or its ancestors, another user's
        // process only where permitted).
        let ours_to_stop = stop_plan.as_ref().is_some_and(|p| p.blocked.is_none() && !p.targets.is_empty());
        let first = chain.first().map(|h| (h.name.as_str(), h.exe.as_deref().and_then(|e| e.to_str())));
        let known = wellknown::of_holder(first, uid.is_some(), port.get());
        Ok(Held {
            port,
            view,
            uid,
            hidden: !facts.sockets.is_empty() && pids.is_empty(),
            more: pids.len().saturating_sub(1),
            facts: policy::HolderFacts {
                same_command: earlier,
                ours_to_stop,
                shared_service: known.is_some(),
            },
            stop_plan,
            pids,
            chain,
            known,
        })
    }

    /// The line that says what a shared service is and that stopping it affects other programs.
    pub(crate) fn note(&self) -> Option<String> {
        let name = self.view.as_ref().map(|v| render::escape(&v.name));
        self.known.map(|k| k.note(name.as_deref()))
    }

    /// One line: `pid 4567 (node)`, with "an earlier run" when it is one.
    pub(crate) fn short(&self) -> String {
        let Some(v) = &self.view else {
            return match self.uid {
                Some(uid) => format!("a process of uid {uid} that you may not see"),
                None => "a process portfix cannot see".to_string(),
            };
        };
        let more = match self.more {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let earlier = if v.earlier_run { ", an earlier run of this same command" } else { "" };
        let suspended = if v.suspended { format!(", {}", v.suspended_text()) } else { String::new() };
        format!("pid {} ({}){more}{earlier}{suspended}", v.pid, render::escape(&v.name))
    }

    /// The holder for people: pid, command, cwd, user, age, parents, what restarts it.
    pub(crate) fn lines(&self, paint: Paint) -> Vec<String> {
        match &self.view {
            Some(v) => v.lines(paint),
            None => vec![format!("{} ({})", self.short(), platform::hidden_words(platform::Os::CURRENT))],
        }
    }
}
