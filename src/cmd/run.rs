//! `portfix [OPTIONS] -- COMMAND`: the wrapper.
//!
//! Runs the command in a supervised process tree (see `os::child`), relays its output while
//! scanning it, and passes its exit status through. Signals sent to portfix alone (a process
//! manager, `kill`) are forwarded to the command's whole tree, which gets `--grace` to end
//! before SIGKILL; a second signal does not wait. When the direct child has ended, whatever is
//! left of its tree is ended too: an orphan left holding the port is the bug portfix exists to
//! prevent.

mod confirm;

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::cli::RunArgs;
use crate::core::render;
use crate::core::signal::Signal;
use crate::exit::{Code, Failure, Outcome};
use crate::os::child::{self, LineSink, Notice, Relaying, Running, Spec, State, Supervisor};

/// How long portfix waits for output still in flight once the command's tree has ended.
const DRAIN: Duration = Duration::from_millis(200);

/// Without a wake-up from SIGCHLD (Windows has none), how often the child is looked at.
#[cfg(unix)]
const TICK: Duration = Duration::from_secs(1);
#[cfg(not(unix))]
const TICK: Duration = Duration::from_millis(50);

/// What the supervising loop waits for.
enum Event {
    Notice(Notice),
    /// A process of the command's tree listens on the chosen port.
    Listening(confirm::Listening),
}

pub fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let RunArgs { command, grace, port, pipes, .. } = args;
    let Some((name, rest)) = command.split_first() else {
        return Err(Failure::usage("no command given: run `portfix -- <COMMAND> [ARGS]...`").into());
    };
    let spec = Spec {
        name: OsString::from(name),
        program: child::lookup(name)?,
        args: rest.iter().map(OsString::from).collect(),
        env: Vec::new(),
    };

    // First, before any thread exists: the watchdog is forked from here.
    let supervisor = Supervisor::new(child::choose_relay(pipes))
        .map_err(|e| Failure::new(Code::Internal, format!("could not set up supervision: {e}")))?;
    let (tx, events) = mpsc::channel();
    let signals_tx = tx.clone();
    child::listen_signals(move |n| {
        let _ = signals_tx.send(Event::Notice(n));
    })
    .map_err(|e| Failure::new(Code::Internal, format!("could not listen for signals: {e}")))?;
    child::become_subreaper();

    let sink: LineSink = Arc::new(|_stream, _line| {});
    let (mut running, relaying) = supervisor.spawn(&spec, sink)?;
    let stop_confirm = Arc::new(AtomicBool::new(false));
    if let Some(port) = port {
        confirm::watch(port, running.tree_member(), Arc::clone(&stop_confirm), move |l| {
            let _ = tx.send(Event::Listening(l));
        });
    }
    let display = render::command_line(&command);
    let code = supervise(&supervisor, &mut running, &events, grace, &display)?;
    stop_confirm.store(true, Ordering::Relaxed);
    finish(&supervisor, &mut running, relaying, grace);
    Ok(Outcome::Child(code))
}

/// Waits for the command to end, forwarding signals sent to portfix; returns its status.
fn supervise(
    supervisor: &Supervisor,
    running: &mut Running,
    events: &Receiver<Event>,
    grace: Duration,
    display: &str,
) -> anyhow::Result<i32> {
    let mut kill_at: Option<Instant> = None;
    loop {
        match running.poll()? {
            Some(State::Exited(code)) => return Ok(code),
            Some(State::Stopped) => supervisor.suspend(running),
            None => {}
        }
        let wait = kill_at.map_or(TICK, |t| t.saturating_duration_since(Instant::now()).min(TICK));
        match events.recv_timeout(wait) {
            Ok(Event::Notice(Notice::Stop(sig))) => {
                if kill_at.is_some() {
                    // Asked twice: do not wait any longer.
                    running.signal_tree(Signal::Kill);
                } else {
                    running.signal_tree(sig);
                    kill_at = Some(Instant::now() + grace);
                }
            }
            Ok(Event::Listening(l)) => {
                eprintln!("portfix: {display} is listening on {} (pid {})", l.url, l.pid);
            }
            Ok(Event::Notice(Notice::ChildChanged)) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
        if kill_at.is_some_and(|t| Instant::now() >= t) {
            running.signal_tree(Signal::Kill);
        }
    }
}

/// The direct child has ended: end what is left of its tree (SIGTERM, then SIGKILL after the
/// grace), let the last output through, give the terminal back.
fn finish(supervisor: &Supervisor, running: &mut Running, relaying: Relaying, grace: Duration) {
    child::reap_orphans(0);
    if running.tree_alive() {
        running.signal_tree(Signal::Term);
        let deadline = Instant::now() + grace;
        while running.tree_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            child::reap_orphans(0);
        }
        if running.tree_alive() {
            running.signal_tree(Signal::Kill);
        }
    }
    relaying.finish(DRAIN);
    supervisor.forget(running);
    supervisor.reclaim_terminal();
}
