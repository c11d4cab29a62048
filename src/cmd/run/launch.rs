//! One launch of the command: spawn it, relay and scan its output, confirm its port, forward
//! signals, and act on a bind failure seen in its output:
//! - it **keeps running** (gunicorn retrying, nodemon waiting for changes): stop its tree now;
//! - it **exits** (an uncaught error): give it [`EXIT_WAIT`] to do so, then stop its tree (it
//!   caught the error and lives on without its port);
//! - it **moved** to another port by itself (its output says so in a wording the recogniser
//!   knows, or its tree listens on another port while the one it was given is held by someone
//!   else): a conflict like any other. With `--next` the move is accepted and said (with who
//!   holds the port it left); otherwise its tree is stopped and the conflict on the port it left
//!   is resolved by policy (`--kill` stops the holder and starts it there again, CI exits 3
//!   naming the holder, a terminal asks).
//!
//! Every launch is watched for the sockets its tree listens on (`confirm`), known tool or not:
//! the port it was given, or — when none was — whatever port it takes; the line saying where it
//! listens is printed either way.
//!
//! A failure seen after the command was confirmed listening on its port is left alone: the
//! server is up (a second, optional port such as a live-reload socket may be what failed).
//!
//! When the direct child has ended, whatever is left of its tree is ended too: an orphan left
//! holding the port is the bug portfix exists to prevent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::holder::Held;
use super::{Wrapper, confirm, events, localhost, write_port_file};
use crate::core::bindfail::{Behaviour, Detected, Recogniser};
use crate::core::events::{DebugPort, Event as Emitted};
use crate::core::policy::Policy;
use crate::core::port::Port;
use crate::core::signal::{Escalation, Signal};
use crate::core::socket::Proto;
use crate::os::child::{self, ChildState, LineSink, Lines, Notice, Relaying, Running};
use crate::os::reserve::Reservation;
use crate::os::sockets;

/// How long portfix waits for output still in flight once the command's tree has ended.
const DRAIN: Duration = Duration::from_millis(200);

/// How long a command whose bind failed gets to exit by itself before its tree is stopped.
const EXIT_WAIT: Duration = Duration::from_millis(1500);

/// Without a wake-up from SIGCHLD (Windows has none), how often the child is looked at.
#[cfg(unix)]
const TICK: Duration = Duration::from_secs(1);
#[cfg(not(unix))]
const TICK: Duration = Duration::from_millis(50);

/// What the supervising loop waits for. Events of a launch carry its number.
pub(crate) enum LoopEvent {
    Notice(Notice),
    /// A process of the command's tree listens on the chosen port (or, after a move, any port).
    Listening(u32, confirm::Listening),
    /// A process of the command's tree listens on another port than the chosen one.
    Elsewhere(u32, confirm::Listening),
    /// The recogniser saw a bind failure, or learnt more about it.
    Detected(u32, Detected),
}

/// How a launch ended.
pub(crate) struct Ended {
    /// The command's status: its exit code, or 128+N for signal N.
    pub(crate) code: i32,
    /// The signal N that ended it, if one did (`code` is then 128+N).
    pub(crate) killed_by: Option<i32>,
    /// The last bind failure seen in its output (including output read after it exited).
    pub(crate) detected: Option<Detected>,
    /// From the launch to the direct child's end.
    pub(crate) ran_for: Duration,
    /// A signal sent to portfix ended it: pass its status through, resolve nothing.
    pub(crate) interrupted: bool,
    /// A process of its tree listened on its port (or where it moved) at some point.
    pub(crate) confirmed: bool,
    /// It moved to another port by itself, away from this one, and was stopped for the
    /// conflict there to be resolved.
    pub(crate) moved_from: Option<Port>,
}

/// Runs the command on `port` (`None`: as written) until its direct child ends.
pub(crate) fn run(w: &mut Wrapper, port: Option<Port>) -> anyhow::Result<Ended> {
    let spec = w.spec(port)?;
    let id = w.launch_id;
    let recogniser = Arc::new(Mutex::new(Recogniser::new()));
    let sink: LineSink = {
        let recogniser = Arc::clone(&recogniser);
        let tx = w.tx.clone();
        Arc::new(move |_stream, lines: Lines<'_>| {
            let Ok(mut r) = recogniser.lock() else { return };
            lines.each(|line| {
                if let Some(d) = r.feed_line(line) {
                    let _ = tx.send(LoopEvent::Detected(id, d));
                }
            });
        })
    };
    let started = Instant::now();
    let (mut running, relaying) = w.session.spawn(&spec, sink)?;
    let pid = running.child_mut().id();
    events::emit(&w.settings, || start_event(pid, &spec, port, w.debuggers()));
    let mut watches = Vec::new();
    // Held until the command listens on its port (or the watch ends with the launch).
    let reservation = w.take_reservation(port);
    // Known tool or not: the port it was given, and any other port its tree takes (a move by
    // itself); or, when it was given none, whatever port it takes.
    watch_port(w, &running, port, &mut watches, reservation);
    if port.is_some() {
        watch_elsewhere(w, &running, port, &mut watches);
    }
    let ended = supervise(w, &mut running, port, &mut watches);
    for watch in &watches {
        watch.store(true, Ordering::Relaxed);
    }
    let mut ended = ended?;
    ended.ran_for = started.elapsed();
    if finish(w, &mut running, relaying) {
        // portfix was asked to stop, perhaps after the command's own end: never launch again.
        ended.interrupted = true;
    }
    // What the relay read last went through the recogniser before `finish` returned.
    if !ended.interrupted && !ended.confirmed {
        if let Ok(r) = recogniser.lock() {
            ended.detected = r.detected().cloned();
        }
    }
    Ok(ended)
}

/// Starts a confirmation watch for this launch: `port`, or any port (after a move). Its stop flag
/// joins `watches`. `reservation` (of `port`) is let go when the command listens, or when the
/// watch ends.
fn watch_port(
    w: &Wrapper,
    running: &Running,
    port: Option<Port>,
    watches: &mut Vec<Arc<AtomicBool>>,
    reservation: Option<Reservation>,
) {
    let tx = w.tx.clone();
    let id = w.launch_id;
    let stop = Arc::new(AtomicBool::new(false));
    watches.push(Arc::clone(&stop));
    let found = move |l| {
        drop(reservation);
        let _ = tx.send(LoopEvent::Listening(id, l));
    };
    // a debugger's port (`node --inspect`) is not where the command serves
    let debug = w.debug_ports();
    if debug.is_empty() {
        confirm::watch(port, running.tree_member(), stop, found);
    } else {
        confirm::watch_where(port, move |l| !debug.contains(&l.port), running.tree_member(), stop, found);
    }
}

/// Starts a watch for a listener of the tree on any port other than `port`: a move by itself
/// that the output did not tell.
fn watch_elsewhere(w: &Wrapper, running: &Running, port: Option<Port>, watches: &mut Vec<Arc<AtomicBool>>) {
    let tx = w.tx.clone();
    let id = w.launch_id;
    let stop = Arc::new(AtomicBool::new(false));
    watches.push(Arc::clone(&stop));
    let in_tree = running.tree_member();
    let chosen = port.map(Port::get);
    let debug = w.debug_ports();
    confirm::watch_where(
        None,
        move |l| Some(l.port) != chosen && !debug.contains(&l.port),
        in_tree,
        stop,
        move |l| {
            let _ = tx.send(LoopEvent::Elsewhere(id, l));
        },
    );
}

/// Whether a move by itself is accepted as it is: `--next` asked for a free port, and the tool
/// found one.
fn accepts_move(w: &Wrapper) -> bool {
    w.settings.situation.policy == Some(Policy::Next)
}

/// Waits for the command to end, forwarding signals sent to portfix and acting on bind failures.
fn supervise(
    w: &Wrapper,
    running: &mut Running,
    port: Option<Port>,
    watches: &mut Vec<Arc<AtomicBool>>,
) -> anyhow::Result<Ended> {
    let id = w.launch_id;
    let mut ended = Ended {
        code: 0,
        killed_by: None,
        detected: None,
        ran_for: Duration::ZERO,
        interrupted: false,
        confirmed: false,
        moved_from: None,
    };
    // Stopping the tree: SIGTERM (or the signal portfix got), SIGKILL after the grace.
    let mut stopping = Escalation::new(w.settings.grace);
    // When the tree is stopped unless it has exited by itself (a failure that should exit).
    let mut stop_at: Option<Instant> = None;
    let mut moved_said = false;
    // The line saying where it listens is printed once a launch.
    let mut announced = false;
    loop {
        match running.poll()? {
            Some(ChildState::Exited(code)) => {
                ended.code = code;
                ended.killed_by = running.killed_by();
                return Ok(ended);
            }
            Some(ChildState::Stopped) => w.session.suspend(running),
            None => {}
        }
        let next = [stopping.kill_at(), stop_at].into_iter().flatten().min();
        let wait = next.map_or(TICK, |t| t.saturating_duration_since(Instant::now()).min(TICK));
        match w.events.recv_timeout(wait) {
            Ok(LoopEvent::Notice(Notice::Stop(sig))) => {
                ended.interrupted = true;
                stop_at = None;
                running.signal_tree(stopping.asked(Instant::now(), sig));
            }
            Ok(LoopEvent::Listening(i, l)) if i == id && ended.moved_from.is_none() => {
                // On the port it was given, or where it moved: the server is up. Given no port,
                // the first port it listens on is said, but a bind failure after it still counts
                // (that may have been a second port of its own).
                if port.is_some() || moved_said {
                    ended.confirmed = true;
                    for watch in watches.iter() {
                        watch.store(true, Ordering::Relaxed);
                    }
                }
                if !announced {
                    announced = true;
                    announce(w, port, &l);
                }
            }
            Ok(LoopEvent::Elsewhere(i, l))
                if i == id && !ended.interrupted && !ended.confirmed && !moved_said =>
            {
                // Its tree listens on another port: a move by itself when the port it was given
                // is held by someone else (else a second port of its own, left alone).
                let in_tree = running.tree_member();
                let given = port.filter(|&p| held_by_others(p, &in_tree));
                if let Some(given) = given {
                    moved_said = true;
                    let to = Port::new(l.port);
                    if accepts_move(w) {
                        accept_move(w, given, to);
                        ended.confirmed = true;
                        announced = true;
                        announce(w, None, &l);
                        for watch in watches.iter() {
                            watch.store(true, Ordering::Relaxed);
                        }
                    } else {
                        refuse_move(w, given, to);
                        ended.moved_from = Some(given);
                        for watch in watches.iter() {
                            watch.store(true, Ordering::Relaxed);
                        }
                        if stopping.begin(Instant::now()) {
                            running.signal_tree(Signal::Term);
                        }
                    }
                }
            }
            Ok(LoopEvent::Detected(i, d)) if i == id && !ended.interrupted && !ended.confirmed => {
                match d.behaviour {
                    Behaviour::Moved { to } if !moved_said => {
                        moved_said = true;
                        // The chosen port will not be confirmed; the one it took may be.
                        for watch in watches.iter() {
                            watch.store(true, Ordering::Relaxed);
                        }
                        match port.or(d.port) {
                            Some(left) if !accepts_move(w) => {
                                refuse_move(w, left, to);
                                ended.moved_from = Some(left);
                                stop_at = None;
                                if stopping.begin(Instant::now()) {
                                    running.signal_tree(Signal::Term);
                                }
                            }
                            left => {
                                match left {
                                    Some(left) => accept_move(w, left, to),
                                    None => child::say(&format!(
                                        "{} moved to another port{} by itself",
                                        w.settings.display,
                                        to.map_or(String::new(), |p| format!(" {p}"))
                                    )),
                                }
                                watch_port(w, running, None, watches, None);
                            }
                        }
                    }
                    Behaviour::KeepsRunning if !stopping.begun() => {
                        note_failure(w, &d, "it keeps running: stopping it");
                        stop_at = None;
                        stopping.begin(Instant::now());
                        running.signal_tree(Signal::Term);
                    }
                    Behaviour::Exits if stop_at.is_none() && !stopping.begun() => {
                        stop_at = Some(Instant::now() + EXIT_WAIT);
                    }
                    _ => {}
                }
                ended.detected = Some(d);
            }
            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
        let now = Instant::now();
        if stop_at.is_some_and(|t| now >= t) {
            stop_at = None;
            if let Some(d) = &ended.detected {
                note_failure(w, d, "it did not exit: stopping it");
            }
            if stopping.begin(now) {
                running.signal_tree(Signal::Term);
            }
        }
        if stopping.kill_due(now) {
            running.signal_tree(Signal::Kill);
        }
    }
}

/// Whether a process outside the command's tree (or one portfix cannot see) holds `port`.
fn held_by_others(port: Port, in_tree: &impl Fn(u32) -> bool) -> bool {
    let Ok(held) = sockets::holders(port, Proto::Tcp) else { return false };
    held.iter().any(|s| s.pids.is_empty() || !s.pids.iter().any(|&pid| in_tree(pid)))
}

/// The line that says where the command listens (as launched on `port`), the port file, and the
/// warning when another process answers an address of localhost there.
fn announce(w: &Wrapper, port: Option<Port>, l: &confirm::Listening) {
    let shown = w.shown(port);
    child::say(&format!("{shown} is listening on {} (pid {})", l.url, l.pid));
    if let Some(path) = &w.settings.port_file {
        if let Err(e) = write_port_file(path, l.port) {
            child::say(&format!("could not write the port to {}: {e}", path.display()));
        }
    }
    events::emit(&w.settings, || Emitted::Listening {
        pid: l.pid,
        port: l.port,
        addresses: l.addresses().iter().map(ToString::to_string).collect(),
        url: l.url.clone(),
        reused: false,
    });
    localhost::warn(&w.settings, &shown, &l.check, &l.sockets);
}

/// The `start` event of a launch on `port` (`None`: as written).
fn start_event(pid: u32, spec: &child::Spec, port: Option<Port>, debuggers: Vec<DebugPort>) -> Emitted {
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
    Emitted::Start {
        pid,
        argv: std::iter::once(&spec.name).chain(&spec.args).map(|a| text(a)).collect(),
        port: port.map(Port::get),
        env: spec.env.iter().map(|(k, v)| (text(k), text(v))).collect(),
        debuggers,
    }
}

/// `--next`: the command moved from `left` to `to` by itself; say so, and who holds `left`.
fn accept_move(w: &Wrapper, left: Port, to: Option<Port>) {
    let to = to.map_or(String::new(), |p| format!(" {p}"));
    child::say(&format!(
        "{} moved to another port{to} by itself ({left} is in use by {}); keeping it there (--next)",
        w.settings.display,
        holder_of(w, left)
    ));
}

/// Any other policy: the move is the conflict on `left` that it is; the command is stopped.
fn refuse_move(w: &Wrapper, left: Port, to: Option<Port>) {
    let to = to.map_or(String::new(), |p| format!(" {p}"));
    child::say(&format!(
        "{} moved to another port{to} by itself because port {left} is in use: stopping it (a conflict on port {left})",
        w.settings.display
    ));
}

/// `pid N (name)` of who holds `port` now, for one line.
fn holder_of(w: &Wrapper, port: Port) -> String {
    Held::look(port, &w.settings).map_or_else(|_| "another process".to_string(), |h| h.short())
}

fn note_failure(w: &Wrapper, d: &Detected, what: &str) {
    let port = d.port.map_or(String::new(), |p| format!(" on port {p}"));
    child::say(&format!("{} could not listen{port}: {what}", w.settings.display));
}

/// The direct child has ended: end what is left of its tree (SIGTERM, then SIGKILL after the
/// grace), let the last output through, give the terminal back. True when portfix was asked
/// to stop during the launch.
fn finish(w: &Wrapper, running: &mut Running, relaying: Relaying) -> bool {
    child::reap_orphans(0);
    if running.tree_alive() {
        let stopping = Escalation::begun_at(Instant::now(), w.settings.grace);
        running.signal_tree(Signal::Term);
        let _ = crate::os::poll(w.settings.grace, Duration::from_millis(10), || {
            child::reap_orphans(0);
            (!running.tree_alive()).then_some(())
        });
        if stopping.kill_due(Instant::now()) && running.tree_alive() {
            running.signal_tree(Signal::Kill);
        }
    }
    relaying.finish(DRAIN);
    let asked = w.session.forget(running);
    w.session.reclaim_terminal();
    asked
}
