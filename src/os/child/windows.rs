//! Windows: minimal and untested (type-checked only). The command is spawned with std and its
//! direct child killed with `TerminateProcess`; nothing ends the rest of its tree and nothing
//! ends the command if portfix is killed (a Job Object with KILL_ON_JOB_CLOSE would: not yet).

use std::io;
use std::process::{Child, Command};

use crate::core::signal::Signal;

use super::{Notice, State};

pub fn status_code(status: std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(125)
}

/// No signals to listen to: a console Ctrl-C reaches every process on the console.
pub fn listen_signals(_on: impl Fn(Notice) + Send + 'static) -> io::Result<()> {
    Ok(())
}

pub struct Terminal;

impl Terminal {
    pub fn foreground() -> Option<Terminal> {
        None
    }
    pub fn give_to(&self, _group: u32) {}
    pub fn reclaim(&self) {}
    pub fn is_ours(&self) -> bool {
        true
    }
    pub fn restore_found_modes(&self) {}
}

/// No signals here.
pub fn block_here(_signals: &[Signal]) {}

/// Never called: no stop requests are noticed here (see `listen_signals`).
pub fn die_by(_sig: Signal) -> ! {
    std::process::exit(125)
}

pub fn prepare(_cmd: &mut Command, _terminal: Option<&Terminal>, _own_session: bool) {}

pub fn stop_self() {}

/// No signal deaths to pass on: the caller exits with the command's code.
pub fn die_of(_sig: i32) {}

pub fn reap_orphans(_keep: u32) {}

pub struct Running {
    child: Child,
    exited: Option<i32>,
}

impl Running {
    pub fn new(child: Child) -> Running {
        Running { child, exited: None }
    }
    pub fn group(&self) -> u32 {
        self.child.id()
    }
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
    /// Only the direct child is known to be the command's (no process groups here).
    pub fn tree_member(&self) -> impl Fn(u32) -> bool + Send + 'static {
        let pid = self.child.id();
        move |p| p == pid
    }
    /// No signals here: a command never ends by one.
    pub fn killed_by(&self) -> Option<i32> {
        None
    }
    pub fn poll(&mut self) -> io::Result<Option<State>> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait()?.map(status_code);
        }
        Ok(self.exited.map(State::Exited))
    }
    pub fn signal_tree(&mut self, _sig: Signal) {
        let _ = self.child.kill();
    }
    pub fn resume(&self) {}
    pub fn tree_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

pub struct Watchdog;

impl Watchdog {
    pub fn start() -> io::Result<Watchdog> {
        Ok(Watchdog)
    }
    pub fn guard(&self, _group: u32) {}
    pub fn forget(&self, _group: u32) {}
    pub fn stand_down(&mut self) {}
}
