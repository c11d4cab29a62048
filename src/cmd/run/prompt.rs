//! The question at a terminal (only when stdin and stderr are terminals and `CI` is unset; the
//! policy decides that). It names the holder and offers, in this order: use the one already
//! running (only when the holder is an earlier run of this same command from this same
//! directory, see `core::reuse`; then it is the default) · stop it and use this port · use port
//! N (the next free one, named) · another port (typed, checked, asked again when bad or in use) ·
//! abort. Otherwise the highlighted default is the recommended action. Drawn on stderr.

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Input, Select};

use crate::core::policy::Choice;
use crate::core::port::{Port, parse_port};
use crate::core::render::Paint;
use crate::core::socket::Proto;
use crate::exit::Failure;
use crate::os::probe::{self, Probe};
use crate::os::sockets;

use super::holder::Held;

/// What the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Use the earlier run that holds the port; start nothing.
    Reuse,
    /// Stop the holder and use the port.
    Stop,
    /// Launch on this port.
    Use(Port),
    Abort,
}

#[derive(Clone, Copy)]
enum Item {
    Reuse,
    Stop,
    Use(Port),
    Other,
    Abort,
}

pub(crate) fn ask(
    held: &Held,
    next: Option<Port>,
    recommended: Choice,
    can_stop: bool,
    reuse: Option<String>,
    paint: Paint,
) -> anyhow::Result<Reply> {
    let port = held.port;
    eprintln!("portfix: port {port} is in use by:");
    for line in held.lines(paint) {
        eprintln!("  {line}");
    }
    // A shared service (a database, sshd): what it is, and that moving is the default here.
    if let Some(note) = held.note() {
        eprintln!("  note: {note}");
    }
    // What makes stopping it a matter to confirm (another user's process, a system service, a
    // namespace's init, several processes): said before "stop it" is offered.
    let reasons = held.stop_plan.as_ref().map_or(&[][..], |p| &p.confirm[..]);
    if can_stop {
        for reason in reasons {
            eprintln!("  note: {reason}");
        }
    }
    let mut items: Vec<(Item, String)> = Vec::new();
    let reusable = reuse.is_some();
    if let Some(label) = reuse {
        items.push((Item::Reuse, label));
    }
    if can_stop {
        let noted = if reasons.is_empty() { "" } else { " (see the note above)" };
        items.push((Item::Stop, format!("stop it and use port {port}{noted}")));
    }
    if let Some(n) = next {
        items.push((Item::Use(n), format!("use port {n} (the next free one)")));
    }
    items.push((Item::Other, "another port".to_string()));
    items.push((Item::Abort, "abort".to_string()));
    let default = items
        .iter()
        .position(|(item, _)| match recommended {
            _ if reusable => matches!(item, Item::Reuse),
            Choice::Stop => matches!(item, Item::Stop),
            Choice::Move => matches!(item, Item::Use(_)),
        })
        .or_else(|| items.iter().position(|(item, _)| matches!(item, Item::Other)))
        .unwrap_or(0);
    let theme: Box<dyn Theme> =
        if paint.on { Box::new(ColorfulTheme::default()) } else { Box::new(SimpleTheme) };
    let picked = Select::with_theme(&*theme)
        .with_prompt(format!("port {port} is in use; what now?"))
        .items(items.iter().map(|(_, label)| label))
        .default(default)
        .interact_opt()
        .map_err(|e| no_answer(&e))?;
    match picked.map(|i| items[i].0) {
        Some(Item::Reuse) => Ok(Reply::Reuse),
        Some(Item::Stop) => Ok(Reply::Stop),
        Some(Item::Use(p)) => Ok(Reply::Use(p)),
        Some(Item::Other) => ask_port(&*theme),
        Some(Item::Abort) | None => Ok(Reply::Abort),
    }
}

/// The question for a refused port (it is privileged here; nothing holds it): use a free
/// unprivileged port (the default) · another port · abort. `allow` is the command that would
/// allow the port instead, said before the question.
pub(crate) fn ask_refused(
    port: Port,
    next: Option<Port>,
    allow: &str,
    paint: Paint,
) -> anyhow::Result<Reply> {
    eprintln!("  to allow it instead: {}", paint.cyan(allow));
    let mut items: Vec<(Item, String)> = Vec::new();
    if let Some(n) = next {
        items.push((Item::Use(n), format!("use port {n} (a free unprivileged port)")));
    }
    items.push((Item::Other, "another port".to_string()));
    items.push((Item::Abort, "abort".to_string()));
    let theme: Box<dyn Theme> =
        if paint.on { Box::new(ColorfulTheme::default()) } else { Box::new(SimpleTheme) };
    let picked = Select::with_theme(&*theme)
        .with_prompt(format!("port {port} is privileged here; what now?"))
        .items(items.iter().map(|(_, label)| label))
        .default(0)
        .interact_opt()
        .map_err(|e| no_answer(&e))?;
    match picked.map(|i| items[i].0) {
        Some(Item::Use(p)) => Ok(Reply::Use(p)),
        Some(Item::Other) => ask_port(&*theme),
        Some(Item::Reuse | Item::Stop | Item::Abort) | None => Ok(Reply::Abort),
    }
}

/// Asks for a port until a usable one is typed.
fn ask_port(theme: &dyn Theme) -> anyhow::Result<Reply> {
    let typed: String = Input::with_theme(theme)
        .with_prompt("port")
        .validate_with(|s: &String| usable(s.trim()).map(|_| ()))
        .interact_text()
        .map_err(|e| no_answer(&e))?;
    Ok(Reply::Use(usable(typed.trim()).map_err(Failure::unresolved)?))
}

/// A typed port that a server could take now.
fn usable(s: &str) -> Result<Port, String> {
    let p = parse_port(s)?;
    let held = sockets::port_is_held(p, Proto::Tcp).unwrap_or(false);
    match probe::probe(p, Proto::Tcp) {
        _ if held => Err(format!("port {p} is in use too: choose another")),
        Ok(Probe::Free) => Ok(p),
        Ok(Probe::InUse) => Err(format!("port {p} is in use too: choose another")),
        Ok(Probe::Denied) => Err(format!("port {p} needs privileges: choose one from 1024 up")),
        Err(e) => Err(format!("port {p} cannot be checked ({e}): choose another")),
    }
}

/// Ctrl-C at the prompt: portfix ends as a program that Ctrl-C ended does (by SIGINT, 130 for a
/// shell; see `run::run`), the holder left alone.
#[derive(Debug)]
pub(crate) struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted at the prompt (Ctrl-C)")
    }
}

impl std::error::Error for Interrupted {}

/// The prompt could not be answered: Ctrl-C (console reads it as a key while the menu holds the
/// terminal raw) is [`Interrupted`], with the cursor the menu hid shown again; anything else
/// says what failed.
fn no_answer(e: &dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"\x1b[?25h");
        eprintln!("portfix: interrupted at the prompt (Ctrl-C): nothing was stopped or started");
        anyhow::Error::new(Interrupted)
    } else {
        Failure::unresolved(format!("no answer at the prompt ({e})")).into()
    }
}
