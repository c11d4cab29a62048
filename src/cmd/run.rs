//! `portfix [OPTIONS] -- COMMAND`: the wrapper.
//!
//! Theory of operation, one run:
//! 1. **Plan** (`core::plan`): the port the command wants (`--port`, its arguments, `$PORT`, a
//!    known tool's default) and how to hand it another one (`{port}`, the `--env` variables, the
//!    port rewritten where the arguments carry it).
//! 2. **Pre-flight** (`preflight`): when the wanted port is known and held, resolve before the
//!    first launch — no failed start. When it is free this costs one read of the socket table.
//! 3. **Launch and watch** (`launch`): the command runs in a supervised process tree
//!    (`os::child`); its output is relayed live and every line goes through the bind-failure
//!    recogniser (`core::bindfail`). A command that keeps running after its bind failed is stopped
//!    at once; one that should exit gets a moment to do so, then is stopped. Signals sent to
//!    portfix are forwarded to the command's whole tree.
//! 4. **After the command ended** (`aftermath`): a bind failure, or a quick non-zero exit while
//!    its port is held by another process, is a conflict; the no-loop rule (`core::policy`)
//!    decides whether relaunching can help.
//! 5. **Resolve** (`resolve`, `prompt`): by policy — stop the holder, move to the next free port,
//!    ask at a terminal, or refuse with exit 3 and the flags to re-run with.
//! 6. **Relaunch** on the chosen port and **confirm** (`confirm`) once a process of the command's
//!    tree listens there; `--port-file` then gets the port.

mod aftermath;
mod confirm;
mod events;
mod holder;
mod launch;
mod localhost;
mod preflight;
mod prompt;
mod refused;
mod resolve;
mod reuse;
mod secondary;

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use crate::cli::{OnConflict, RunArgs};
use crate::core::plan::{self, Plan, Request};
use crate::core::policy::{self, Policy, Relaunches, Situation};
use crate::core::port::{Port, PortRange};
use crate::core::render::{self, Paint};
use crate::core::signal::Signal;
use crate::exit::{Failure, Outcome};
use crate::os::child::{self, Session};
use crate::os::reserve::Reservation;

use aftermath::Next;
use launch::LoopEvent;

/// Everything the wrapper was asked, resolved once.
pub(crate) struct Settings {
    pub(crate) plan: Plan,
    /// The command as the user wrote it (as text: an argument that is not UTF-8 is read with
    /// U+FFFD in place of what is not, for the plan and messages).
    pub(crate) command: Vec<String>,
    /// The command as the user wrote it, byte for byte: what is passed on.
    pub(crate) raw: Vec<OsString>,
    /// The command for messages (escaped, one line).
    pub(crate) display: String,
    pub(crate) situation: Situation,
    pub(crate) range: Option<PortRange>,
    pub(crate) signal: Signal,
    pub(crate) grace: Duration,
    pub(crate) retries: u32,
    pub(crate) port_file: Option<PathBuf>,
    /// `--pipes`: keep the command's streams on pipes even at a terminal.
    pub(crate) pipes: bool,
    /// Where portfix runs (the command's directory), to recognise an earlier run of it.
    pub(crate) cwd: Option<PathBuf>,
    /// `--stable`: the stable port's name and the port (given to the plan as `--port` is).
    pub(crate) stable: Option<(String, Port)>,
    /// The debuggers the command opens (`core::secondary`), with the ports they would take.
    pub(crate) debuggers: Vec<crate::core::secondary::Debugger>,
    /// `NODE_OPTIONS` as portfix got it (a moved Node inspector is given in it).
    pub(crate) node_options: Option<String>,
    /// Colour on stderr.
    pub(crate) paint: Paint,
    /// `--reuse`: use an earlier run of this same command that holds the port.
    pub(crate) reuse: bool,
    /// `--events`: where the events go.
    pub(crate) events: Option<events::Log>,
}

impl Settings {
    fn new(args: RunArgs) -> anyhow::Result<Settings> {
        let RunArgs {
            port,
            stable,
            env,
            on_conflict,
            kill,
            next,
            yes,
            range,
            signal,
            grace,
            retries,
            pipes,
            port_file,
            reuse,
            events,
            command,
            ..
        } = args;
        if command.is_empty() {
            return Err(Failure::usage("no command given: run `portfix -- <COMMAND> [ARGS]...`").into());
        }
        if command[0].is_empty() {
            return Err(Failure::usage(
                "empty command: the first word after `--` is the program to run (portfix -- <COMMAND> [ARGS]...)",
            )
            .into());
        }
        let raw = command;
        let command: Vec<String> = raw.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let policy = on_conflict.map(|p| match p {
            OnConflict::Ask => Policy::Ask,
            OnConflict::Kill => Policy::Kill,
            OnConflict::Next => Policy::Next,
            OnConflict::Fail => Policy::Fail,
        });
        let stderr_terminal = std::io::stderr().is_terminal();
        let events = events.map(|spec| events::Log::open(&spec, stderr_terminal)).transpose()?;
        let situation = Situation {
            policy: Policy::from_flags(policy, kill, next),
            yes,
            terminal: std::io::stdin().is_terminal() && stderr_terminal,
            ci: policy::ci_is_set(std::env::var("CI").ok().as_deref()),
        };
        // `--stable`: this checkout's port for the name, given as `--port` is
        let stable = match stable {
            Some(name) => {
                let name = match name.as_str() {
                    "" => {
                        plan::run_name(&command).unwrap_or_else(|| crate::core::stable::DEFAULT_NAME.into())
                    }
                    given => crate::core::stable::parse_name(given).map_err(Failure::usage)?,
                };
                let checkout = crate::os::stable_ports::here()?;
                let (assigned, _) = crate::os::stable_ports::assign(&checkout, &name, None)?;
                if let Some(line) = crate::core::stable::chosen_line(assigned, &name, &checkout) {
                    eprintln!("portfix: {line}");
                }
                Some((name, assigned.port()))
            }
            None => None,
        };
        let port = port.or(stable.as_ref().map(|(_, p)| *p));
        let request = Request { argv: &command, port, env_names: &env, tools: plan::TOOLS };
        // A package.json script the command runs (`npm run dev`) is read for its tool and port.
        let plan = Plan::with_files(request, |name| std::env::var(name).ok(), &crate::os::files::read_small);
        let node_options = std::env::var("NODE_OPTIONS").ok();
        let debuggers = crate::core::secondary::find(&command, plan.script_words(), node_options.as_deref());
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        Ok(Settings {
            plan,
            display: render::command_line(&command),
            command,
            raw,
            situation,
            range,
            signal,
            grace,
            retries,
            port_file,
            pipes,
            cwd: std::env::current_dir().ok(),
            stable,
            debuggers,
            node_options,
            paint: Paint { on: render::use_colour(stderr_terminal, no_color.as_deref(), term.as_deref()) },
            reuse,
            events,
        })
    }
}

/// One `portfix -- COMMAND`: the settings, the supervision set up once, the events of every
/// launch, and the launches so far.
pub(crate) struct Wrapper {
    pub(crate) settings: Settings,
    session: Session,
    tx: Sender<LoopEvent>,
    events: Receiver<LoopEvent>,
    relaunches: Relaunches,
    /// Numbers the launches, so that a late event of an earlier launch is not taken for the
    /// current one's.
    launch_id: u32,
    /// The signal that ended the last launch's command, if one did.
    killed_by: Option<i32>,
    /// The port last chosen for the next launch, reserved against other portfix runs until its
    /// command listens there (see `os::reserve`).
    reservation: RefCell<Option<Reservation>>,
    /// Debuggers moved off a port someone else holds (`secondary`), for every launch.
    moved: Vec<secondary::Moved>,
}

pub(crate) fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let settings = Settings::new(args)?;
    if let Err(e) = child::lookup(&settings.command[0]) {
        events::emit(&settings, || crate::core::events::Event::Exit { code: e.code.as_i32(), signal: None });
        return Err(e.into());
    }
    // First, before any thread exists: the watchdog is forked from here.
    let session = Session::new(child::choose_relay(settings.pipes))
        .map_err(|e| Failure::internal(format!("could not set up supervision: {e}")))?;
    let (tx, events) = mpsc::channel();
    let signals_tx = tx.clone();
    // A stop request before the first launch or between launches ends portfix at once.
    session
        .listen_signals(move |n| {
            let _ = signals_tx.send(LoopEvent::Notice(n));
        })
        .map_err(|e| Failure::internal(format!("could not listen for signals: {e}")))?;
    child::become_subreaper();
    if let Some((name, value)) = &settings.plan.ignored_env {
        eprintln!("portfix: ignoring {name}={}: not a port", render::escape(value));
    }
    if let Some((written, given)) = settings.plan.overridden() {
        let flag = if settings.stable.is_some() { "--stable" } else { "-p" };
        eprintln!("portfix: port {written} in the command replaced by {given} ({flag})");
    }
    let relaunches = Relaunches::new(settings.retries);
    let mut wrapper = Wrapper {
        settings,
        session,
        tx,
        events,
        relaunches,
        launch_id: 0,
        killed_by: None,
        reservation: RefCell::new(None),
        moved: Vec::new(),
    };
    let outcome = wrapper.run();
    // The command's status passed through, and a signal ended it: portfix ends by the same
    // signal (see `os::child::die_of` for why), once the terminal is back and the watchdog gone.
    // Ctrl-C at the prompt ends portfix the same way (130 where dying by it is not possible).
    let interrupted = outcome.as_ref().is_err_and(anyhow::Error::is::<prompt::Interrupted>);
    let signal = match (&outcome, wrapper.killed_by) {
        (Ok(Outcome::Child(code)), Some(sig)) if *code == 128 + sig => Some(sig),
        _ if interrupted => Some(SIGINT),
        _ => None,
    };
    let code = match &outcome {
        _ if interrupted => 128 + SIGINT,
        Ok(o) => o.code(),
        Err(e) if crate::exit::is_broken_pipe(e) => 0,
        Err(e) => crate::exit::code_of(e).as_i32(),
    };
    events::emit(&wrapper.settings, || crate::core::events::Event::Exit { code, signal });
    drop(wrapper);
    if let Some(sig) = signal {
        child::die_of(sig);
    }
    if interrupted {
        return Ok(Outcome::Child(128 + SIGINT));
    }
    outcome
}

impl Wrapper {
    fn run(&mut self) -> anyhow::Result<Outcome> {
        match self.launches() {
            // An earlier run of this same command holds the port, and it is used (`--reuse`, or
            // chosen at the prompt): nothing was started.
            Err(e) if e.is::<reuse::Reused>() => Ok(Outcome::SUCCESS),
            other => other,
        }
    }

    fn launches(&mut self) -> anyhow::Result<Outcome> {
        let start = preflight::first_port(self)?;
        // Then its debuggers' ports: a holder of the command's own port may have been stopped.
        self.moved = secondary::resolve(self)?;
        if let Some(wanted) = start.resolved {
            // Counted as the launch that met the conflict: the launch on the chosen port is a
            // relaunch for the no-loop rule and for --retries.
            self.relaunches.launched(Some(wanted));
        }
        let mut port = start.port;
        loop {
            self.relaunches.launched(port);
            self.launch_id += 1;
            let ended = launch::run(self, port)?;
            self.killed_by = ended.killed_by;
            match aftermath::judge(self, port, &ended)? {
                Next::Exit(outcome) => return Ok(outcome),
                Next::Relaunch(p) => port = Some(p),
                Next::Again => {}
            }
        }
    }

    /// Keeps the reservation of the port just chosen (a search reserves the one port it found).
    fn reserve(&self, found: Vec<Reservation>) {
        *self.reservation.borrow_mut() = found.into_iter().next();
    }

    /// The reservation of `port`, for its launch to hold until the command listens there.
    fn take_reservation(&self, port: Option<Port>) -> Option<Reservation> {
        self.reservation.take().filter(|r| Some(r.port) == port)
    }

    /// The command as it is launched on `port`, for messages: the user's words with `{port}`
    /// and the port written in them filled in (what portfix appends is left out).
    fn shown(&self, port: Option<Port>) -> String {
        let Some(p) = port else { return self.settings.display.clone() };
        render::command_line(&self.settings.plan.words_for(p))
    }

    /// The ports the command's debuggers take in this run (kept apart from its own port when
    /// confirming where it listens).
    fn debug_ports(&self) -> Vec<u16> {
        self.debuggers().iter().map(|d| d.port).collect()
    }

    /// The command's debuggers with the ports they take in this run (moved or not).
    fn debuggers(&self) -> Vec<crate::core::events::DebugPort> {
        let port = |d: &crate::core::secondary::Debugger| {
            let port = self.moved.iter().find(|m| m.debugger == *d).map_or(d.port, |m| m.to);
            crate::core::events::DebugPort { kind: d.kind, port: port.get() }
        };
        self.settings.debuggers.iter().map(port).collect()
    }

    /// The command to start on `port` (`None`: as written, nothing injected).
    fn spec(&self, port: Option<Port>) -> anyhow::Result<child::Spec> {
        let plan = &self.settings.plan;
        let (mut argv, mut env) = match port {
            Some(p) => (plan.argv_for(p), plan.env_for(p)),
            None => (plan.original().to_vec(), Vec::new()),
        };
        for m in &self.moved {
            let node_options = self.settings.node_options.as_deref();
            if let Some(set) = m.debugger.apply(m.to, &mut argv, &self.settings.command, node_options) {
                env.push(set);
            }
        }
        // Words of the command as written keep their bytes (the plan only appends after them)
        let raw = &self.settings.raw;
        let argv: Vec<OsString> = argv
            .iter()
            .enumerate()
            .map(|(i, a)| match raw.get(i) {
                Some(r) if r.to_str().is_none() => port.map_or_else(|| r.clone(), |p| fill_placeholder(r, p)),
                _ => OsString::from(a),
            })
            .collect();
        let (name, rest) = argv.split_first().expect("a command");
        Ok(child::Spec {
            name: name.clone(),
            program: child::lookup(&name.to_string_lossy())?,
            args: rest.to_vec(),
            env: env.into_iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect(),
        })
    }
}

/// An argument that is not UTF-8, with each `{port}` in it replaced by `port`, its other bytes
/// unchanged.
fn fill_placeholder(arg: &std::ffi::OsStr, port: Port) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
        let (bytes, from, to) = (arg.as_bytes(), plan::PLACEHOLDER.as_bytes(), port.to_string());
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i..].starts_with(from) {
                out.extend_from_slice(to.as_bytes());
                i += from.len();
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        OsString::from_vec(out)
    }
    #[cfg(not(unix))]
    {
        OsString::from(arg.to_string_lossy().replace(plan::PLACEHOLDER, &port.to_string()))
    }
}

/// SIGINT's number (2 on every OS portfix runs on).
const SIGINT: i32 = 2;

/// Writes `port` and a newline to `path` atomically: a reader sees the old file or the whole new
/// one, never a half-written port.
fn write_port_file(path: &std::path::Path, port: u16) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map_or_else(|| OsString::from("port"), OsString::from);
    let mut tmp_name = OsString::from(".");
    tmp_name.push(&name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    std::fs::write(&tmp, format!("{port}\n"))?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("port");
        std::fs::write(&path, "old contents that are longer\n").unwrap();
        write_port_file(&path, 3001).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "3001\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, [OsString::from("port")], "no temporary file left behind");
        assert!(write_port_file(&dir.path().join("missing/port"), 1).is_err());
    }
}
