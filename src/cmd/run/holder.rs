//! Who holds the port the command wants: the facts the policy needs (an earlier run of this same
//! command? may portfix stop it?) and the lines that name the holder for people.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::core::holder::{self, HolderView};
use crate::core::policy::{self, Policy};
use crate::core::port::Port;
use crate::core::process::ProcessInfo;
use crate::core::render::{self, Paint};
use crate::core::socket::{Proto, Socket};
use crate::core::stop;
use crate::os::stop as engine;
use crate::os::{process, sockets};

use super::Settings;

/// How many parents are read above the holder (enough for npm → sh → node and a supervisor).
const PARENTS: usize = 8;

/// The holder of a port, as far as it can be seen.
pub struct Held {
    pub port: Port,
    /// The first visible holding process, with its parents; `None` when no owner can be seen.
    pub view: Option<HolderView>,
    /// The owner's uid when the process itself is hidden.
    pub uid: Option<u32>,
    /// How many more processes hold it (forked workers).
    pub more: usize,
    pub facts: policy::Holder,
    /// How the stopping engine would stop it (looked up unless the policy is to move anyway).
    pub stop_plan: Option<stop::Plan>,
    /// Every visible process holding the port (the first is `view`'s).
    pub pids: Vec<u32>,
    /// The first holder and its parents, as `view` was made from.
    pub chain: Vec<ProcessInfo>,
}

impl Held {
    /// Looks the holder of `port` up (one owner pass, then the holder's chain of parents), and
    /// — unless the policy is to move in any case — how the stopping engine would stop it.
    pub fn look(port: Port, s: &Settings) -> anyhow::Result<Held> {
        let held: Vec<Socket> = sockets::holders(port, Proto::Tcp)?;
        let mut pids: Vec<u32> = held.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        let uid = held.iter().find_map(|s| s.uid);
        let chain = pids.first().map(|&pid| process::chain(pid, PARENTS)).unwrap_or_default();
        let earlier = match &s.cwd {
            Some(cwd) if !chain.is_empty() => holder::earlier_run(&chain, &s.command, cwd).is_some(),
            _ => false,
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let view = HolderView::from_chain(&chain, now, earlier);
        let stop_plan = if s.situation.policy == Some(Policy::Next) || view.is_none() {
            None
        } else {
            Some(engine::look(port, Proto::Tcp)?)
        };
        // The engine's rules decide (never pid 1, portfix or its ancestors, another user's
        // process only where permitted).
        let ours_to_stop = stop_plan.as_ref().is_some_and(|p| p.blocked.is_none() && !p.targets.is_empty());
        Ok(Held {
            port,
            view,
            uid,
            more: pids.len().saturating_sub(1),
            facts: policy::Holder { same_command: earlier, ours_to_stop },
            stop_plan,
            pids,
            chain,
        })
    }

    /// One line: `pid 4567 (node)`, with "an earlier run" when it is one.
    pub fn short(&self) -> String {
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
    pub fn lines(&self, paint: Paint) -> Vec<String> {
        match &self.view {
            Some(v) => v.lines(paint),
            None => vec![format!("{} (sudo shows more)", self.short())],
        }
    }
}
