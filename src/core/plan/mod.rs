//! The launch plan: which port the command wants, and how to hand it the port portfix chose.
//! Pure: the environment is read through a lookup function, files (`package.json`) through a
//! reader.
//!
//! The wanted port comes from, in order: `--port`; a port written in the command's arguments;
//! a port written in the package.json script the command runs; the first `--env` variable
//! (default `PORT`) in the environment; a variable the recognised tool reads; the tool's default;
//! else it is unknown (only a bind failure will tell).
//!
//! What counts as "a port in the arguments" (a port elsewhere must never be grabbed):
//! - a port flag followed by a port: `--port 3000`, `--port=3000`, `-p 3000`, `-p3000` (a known
//!   tool names its own flags; an unknown command gets `--port` and `-p`);
//! - a bind flag followed by a bind address: `--bind 0.0.0.0:8000`, `-b=[::1]:8000`,
//!   `-b tcp://127.0.0.1:9292` (`--bind`, `-b`, `--listen`, `--addr`, `--address` for unknown
//!   commands);
//! - a whole argument that looks like a bind address (unknown commands): `localhost:3000`,
//!   `0.0.0.0:3000`, `127.0.0.1:3000`, `[::1]:3000`, `:3000`. A URL is not one
//!   (`http://localhost:8080` is usually a target to connect to, such as a proxy, not the port to
//!   listen on), nor is a host name (`api.example.com:443`), nor `8080:80` (a docker mapping);
//! - a known tool's positional port (`python -m http.server 8000`), given by the tool table;
//! - an assignment before the program of a variable that carries the port (`env PORT=3000 node
//!   app.js`, `cross-env PORT=3000 next dev`).
//!
//! Values are ports only when they are exactly a port: `--timeout 3000` is never read, and
//! `-p 8080:80` or `--port {port}` are not ports. An argument holding `{port}` is a template:
//! every `{port}` is replaced by the chosen port.
//!
//! The tool is found behind the ways people start it: directly or by path
//! (`./node_modules/.bin/vite`), `npx`/`bunx`/`pnpm dlx`/`pnpm exec`/`yarn dlx`/`npm exec`,
//! `bundle exec`, `poetry run`/`pipenv run`/`uv run`, `env`/`cross-env` with assignments,
//! `python -m X`, an interpreter running a script (`python manage.py`, `php artisan`,
//! `node node_modules/vite/bin/vite.js`), and `npm`/`pnpm`/`yarn`/`bun` `run X`, `start`, `test`
//! or `pnpm X`/`yarn X`/`bun X` through the script `X` of the nearest `package.json`. For a script,
//! the arguments portfix adds go where each package manager passes them on: after a `--` for npm
//! (`npm run dev -- --port 5174 --strictPort`), straight after the script name for pnpm, yarn and
//! bun; they land at the end of the script's last command, the way the manager appends them.
//!
//! A command that already passes the port on through a variable portfix sets — a script
//! `"start": "python3 -m http.server $PORT"`, `next start -p ${PORT}`, `vite --port=%PORT%`,
//! `$env:PORT`, or a `sh -c '…$PORT…'` string in the command — has its port written there: it
//! gets the port in that variable only, nothing appended, nothing rewritten (an appended port
//! would be a second one: "unrecognized arguments: 3011"). A default in the reference
//! (`${PORT:-3000}`) is the wanted port when the variable is unset.
//!
//! The tool table ([`TOOLS`], in `tools.rs`) is data: a new tool is a new row.

use self::locate::{locate, match_tool};
use self::script::{resolve_script, script_call};
use self::slots::{Slot, VarRef, assignments, find_slots, var_ref};
use crate::core::port::Port;
use std::path::Path;
// re-exported: callers name the table and its types through the plan (`plan::TOOLS`)
#[allow(unused_imports)]
pub(crate) use super::tools::{Inject, OnTaken, TOOLS, Tool};

mod locate;
mod script;
mod slots;

pub(crate) use self::locate::run_name;
pub(crate) use self::script::Script;

/// The placeholder replaced by the chosen port.
pub(crate) const PLACEHOLDER: &str = "{port}";

/// Where the wanted port came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// portfix's own `--port`.
    Flag,
    /// The command's arguments: `argv[index]` holds it, written as `form`.
    Arg {
        index: usize,
        form: ArgForm,
    },
    /// Written in this package.json script (`"dev": "vite --port 3000"`).
    Script {
        name: String,
    },
    /// This environment variable.
    Env {
        name: String,
    },
    /// The recognised tool's default.
    ToolDefault {
        tool: &'static str,
    },
    Unknown,
}

/// How a port was written in the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgForm {
    /// `--port 3000`, `-p 3000`
    FlagValue,
    /// `--port=3000`
    FlagEquals,
    /// `-p3000`
    FlagAttached,
    /// `--bind 0.0.0.0:3000`, `--bind=[::1]:3000`
    BindFlag,
    /// a whole argument `localhost:3000`, `:3000`
    HostPort,
    /// a tool's positional `[addr:]port`
    Positional,
    /// the default of a variable reference in a shell string: `sh -c '… ${PORT:-3000}'`
    VarDefault,
    /// `PORT=3000` before the program (`env PORT=3000 node app.js`)
    Assignment,
}

/// What the wrapper was asked: the command and portfix's own port options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    /// The command and its arguments (everything after `--`).
    pub(crate) argv: &'a [String],
    /// `--port`.
    pub(crate) port: Option<Port>,
    /// `--env` names; empty means `PORT`.
    pub(crate) env_names: &'a [String],
    /// The tool table (normally [`TOOLS`]).
    pub(crate) tools: &'static [Tool],
}

/// The launch plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    argv: Vec<String>,
    env_names: Vec<String>,
    tool: Option<&'static Tool>,
    script: Option<Script>,
    slots: Vec<Slot>,
    placeholder: bool,
    /// The command passes the port on through a variable portfix sets (`$PORT` in its script or
    /// a shell string): nothing is added to its arguments.
    by_variable: bool,
    /// Where added flags go when not at the end: right after the subcommand of a runner whose
    /// words after the script belong to the script (`deno serve --port N main.ts`).
    insert_at: Option<usize>,
    wanted: Option<Port>,
    source: Source,
    /// An environment variable that was set but is not a port (`PORT=abc`): ignored; worth a
    /// warning.
    pub(crate) ignored_env: Option<(String, String)>,
}

impl Plan {
    /// Makes the plan; `env` looks a variable up, `read` returns a file's text (a path relative
    /// to the command's working directory: `package.json`, `../package.json`, …), or `None`.
    pub(crate) fn with_files(
        req: Request<'_>,
        env: impl Fn(&str) -> Option<String>,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Plan {
        let env_names: Vec<String> =
            if req.env_names.is_empty() { vec!["PORT".into()] } else { req.env_names.to_vec() };
        let argv = req.argv;
        let mut insert_at = None;
        let (tool, script, slots) = match script_call(argv)
            .and_then(|c| resolve_script(argv, &c, req.tools, read))
        {
            Some(found) => {
                let (tool, mut script) = found;
                let port_names = port_env_names(&env_names, tool);
                let (words_slots, has_positional) = {
                    let loc = locate(&script.words);
                    let sub = loc.as_ref().and_then(|l| tool.and_then(|t| match_tool(&script.words, l, t)));
                    let start = loc.as_ref().map_or(1, |l| l.start);
                    let mut s = assignments(&script.words, loc.as_ref().map_or(0, |l| l.prog), &port_names);
                    s.extend(find_slots(&script.words, start, sub.flatten(), tool));
                    let positional = s.iter().any(|s| s.form == ArgForm::Positional);
                    (s, positional)
                };
                script.port = words_slots.last().map(|s| s.port);
                script.has_positional = has_positional;
                let slots = find_slots(argv, script.pass_from, None, tool);
                (tool, Some(script), slots)
            }
            None => {
                let loc = locate(argv);
                let found = loc
                    .as_ref()
                    .and_then(|l| req.tools.iter().find_map(|t| match_tool(argv, l, t).map(|sub| (t, sub))));
                let tool = found.map(|(t, _)| t);
                let port_names = port_env_names(&env_names, tool);
                let start = loc.as_ref().map_or(1, |l| l.start.max(1));
                let mut slots =
                    loc.as_ref().map_or_else(Vec::new, |l| assignments(argv, l.prog, &port_names));
                let sub = found.and_then(|(_, sub)| sub);
                slots.extend(find_slots(argv, start, sub, tool));
                // A runner whose words after the script are the script's: its flags go right
                // after its subcommand (`deno serve --port N main.ts`), or after its program
                // when it has none (`waitress-serve --port N app:app`); else where it ends.
                insert_at = tool
                    .filter(|t| t.flags_first)
                    .and_then(|_| sub.map(|i| i + 1).or_else(|| loc.as_ref().map(|l| l.start)));
                (tool, None, slots)
            }
        };
        let placeholder = argv.iter().skip(1).any(|a| a.contains(PLACEHOLDER));
        // `$PORT` (or another variable portfix sets) in the script or in a shell string
        let injected = port_env_names(&env_names, tool);
        let script_text = script.as_ref().map(|s| (None, s.command.as_str()));
        let var_refs: Vec<(Option<usize>, VarRef)> = script_text
            .into_iter()
            .chain(argv.iter().enumerate().skip(1).map(|(i, a)| (Some(i), a.as_str())))
            .filter_map(|(i, text)| injected.iter().find_map(|n| var_ref(text, n)).map(|r| (i, r)))
            .collect();
        let by_variable = !var_refs.is_empty();
        let var_default = var_refs.iter().find_map(|(i, r)| Some((*i, r.default?)));
        let mut ignored_env = None;
        let from_env = |name: &str, ignored: &mut Option<(String, String)>| {
            let value = env(name)?;
            match super::port::parse_port(&value) {
                Ok(p) => Some(p),
                Err(_) => {
                    ignored.get_or_insert((name.to_string(), value));
                    None
                }
            }
        };
        let (wanted, source) = if let Some(p) = req.port {
            (Some(p), Source::Flag)
        } else if let Some(s) = slots.last() {
            (Some(s.port), Source::Arg { index: s.index, form: s.form })
        } else if let Some((name, p)) = script.as_ref().and_then(|s| Some((s.name.clone(), s.port?))) {
            (Some(p), Source::Script { name })
        } else if let Some(p) = from_env(&env_names[0], &mut ignored_env) {
            (Some(p), Source::Env { name: env_names[0].clone() })
        } else if let Some((at, p)) = var_default {
            let source = match (at, &script) {
                (Some(index), _) => Source::Arg { index, form: ArgForm::VarDefault },
                (None, Some(s)) => Source::Script { name: s.name.clone() },
                (None, None) => Source::Unknown,
            };
            (Some(p), source)
        } else if let Some((name, p)) =
            tool.into_iter().flat_map(|t| t.env).find_map(|n| from_env(n, &mut ignored_env).map(|p| (*n, p)))
        {
            (Some(p), Source::Env { name: name.to_string() })
        } else if let Some((t, p)) = tool.and_then(|t| Some((t, Port::new(t.default_port?)?))) {
            (Some(p), Source::ToolDefault { tool: t.name })
        } else {
            (None, Source::Unknown)
        };
        Plan {
            argv: argv.to_vec(),
            env_names,
            tool,
            script,
            slots,
            placeholder,
            by_variable,
            insert_at,
            wanted,
            source,
            ignored_env,
        }
    }

    /// The port the command wants, when known.
    pub(crate) fn wanted(&self) -> Option<Port> {
        self.wanted
    }

    /// The port written in the command's arguments that `--port` replaces, with the port
    /// given: `(3005, 3001)` for `-p 3001 -- next start -p 3005`. `None` when they agree.
    pub(crate) fn overridden(&self) -> Option<(Port, Port)> {
        if self.source != Source::Flag {
            return None;
        }
        let given = self.wanted?;
        let written = self.slots.last()?.port;
        (written != given).then_some((written, given))
    }

    /// The package.json script the command runs, as (name, its last command's words), when one
    /// was read (for `core::secondary`: a debugger turned on in the script).
    pub(crate) fn script_words(&self) -> Option<(&str, &[String])> {
        self.script.as_ref().map(|s| (s.name.as_str(), s.words.as_slice()))
    }

    /// The variables that carry the port (`--env` names, default `PORT`), for messages.
    pub(crate) fn env_names(&self) -> &[String] {
        &self.env_names
    }

    /// Whether the arguments hold `{port}` (then a port must be chosen before the first launch,
    /// even when the wanted one is unknown).
    pub(crate) fn has_placeholder(&self) -> bool {
        self.placeholder
    }

    /// The command as written, for a first launch when no port is known.
    pub(crate) fn original(&self) -> &[String] {
        &self.argv
    }

    /// The command to run on `port`: `{port}` replaced, each port in the arguments rewritten,
    /// the tool's port flag or positional added when the arguments carry none, its strict flags
    /// added when missing (after npm's `--` when they go through `npm run`).
    pub(crate) fn argv_for(&self, port: Port) -> Vec<String> {
        let n = port.to_string();
        let mut argv = self.words_for(port);
        let Some(t) = self.tool.filter(|_| !self.by_variable) else { return argv };
        let mut extra: Vec<String> = Vec::new();
        // a port written in the script can be overridden only by a later flag that replaces it
        let script_port_stays = self.script.as_ref().is_some_and(|s| s.port.is_some()) && !t.last_port_wins;
        if self.slots.is_empty() && !self.placeholder && !script_port_stays {
            match t.inject {
                Inject::Env => {}
                Inject::Flag(f) => extra.extend([f.to_string(), n.clone()]),
                Inject::FlagEquals(f) => extra.push(format!("{f}={n}")),
                Inject::Bind(f, host) => extra.extend([f.to_string(), format!("{host}:{n}")]),
                Inject::Positional => {
                    if !self.script.as_ref().is_some_and(|s| s.has_positional) {
                        extra.push(n.clone());
                    }
                }
            }
        }
        let in_script = |s: &str| self.script.as_ref().is_some_and(|sc| sc.words.iter().any(|w| w == s));
        for s in t.strict {
            if !argv.iter().any(|a| a == s) && !in_script(s) {
                extra.push((*s).to_string());
            }
        }
        self.place(&mut argv, extra);
        argv
    }

    /// Puts `extra` (flags for the command) where this command takes them: right after a
    /// runner's subcommand (`deno serve --port N main.ts`), after npm's `--` for a script run
    /// through a package manager, else at the end. One rule for injection and advice alike.
    fn place(&self, argv: &mut Vec<String>, extra: Vec<String>) {
        if !extra.is_empty() && self.script.as_ref().is_some_and(|s| s.needs_separator) {
            argv.push("--".into());
        }
        match self.insert_at.filter(|&i| i <= argv.len()) {
            Some(i) => drop(argv.splice(i..i, extra)),
            None => argv.extend(extra),
        }
    }

    /// The command as the user wrote it with a port flag put where it takes flags, the port
    /// as the placeholder: the command that advice shows (`deno serve --port {port} main.ts`,
    /// `npm run dev -- --port {port}`). The tool's own flag when it has one, else `--port`.
    pub(crate) fn with_port_flag(&self) -> Vec<String> {
        let flag = match self.tool.map(|t| t.inject) {
            Some(Inject::Flag(f) | Inject::FlagEquals(f) | Inject::Bind(f, _)) => f,
            _ => "--port",
        };
        let mut argv = self.argv.clone();
        self.place(&mut argv, vec![flag.to_string(), PLACEHOLDER.to_string()]);
        argv
    }

    /// The command's own words on `port`, for messages: `{port}` and the ports written in them
    /// filled in, nothing added (what [`Plan::argv_for`] inserts may sit between them).
    pub(crate) fn words_for(&self, port: Port) -> Vec<String> {
        let n = port.to_string();
        let mut argv: Vec<String> = self.argv.iter().map(|a| a.replace(PLACEHOLDER, &n)).collect();
        for s in &self.slots {
            argv[s.index] = format!("{}{n}", s.prefix);
        }
        argv
    }

    /// The environment to add for a run on `port`: every `--env` name (default `PORT`) and the
    /// variables the tool reads.
    pub(crate) fn env_for(&self, port: Port) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let tool_env = self.tool.into_iter().flat_map(|t| t.env.iter().map(|s| (*s).to_string()));
        for name in self.env_names.iter().cloned().chain(tool_env) {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, port.to_string()));
            }
        }
        out
    }
}

/// The variables whose assignment before the program carries the port.
fn port_env_names<'a>(env_names: &'a [String], tool: Option<&'static Tool>) -> Vec<&'a str> {
    let mut names: Vec<&str> = env_names.iter().map(String::as_str).collect();
    names.extend(tool.into_iter().flat_map(|t| t.env.iter().copied()));
    names
}

/// What the tests look at; the wrapper itself needs only the port and the command to run.
#[cfg(test)]
impl Plan {
    /// Makes the plan without reading any file (a `package.json` script is not looked into);
    /// `env` looks a variable up (a table).
    pub(crate) fn new(req: Request<'_>, env: impl Fn(&str) -> Option<String>) -> Plan {
        Plan::with_files(req, env, &|_: &Path| None)
    }

    /// Where the wanted port came from.
    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// The recognised tool's name, if any.
    pub(crate) fn tool(&self) -> Option<&'static str> {
        self.tool.map(|t| t.name)
    }

    /// The recognised tool's row, if any.
    pub(crate) fn tool_row(&self) -> Option<&'static Tool> {
        self.tool
    }

    /// The package.json script the command runs, when it was read.
    pub(crate) fn script(&self) -> Option<&Script> {
        self.script.as_ref()
    }

    /// Whether the command's arguments carry its port (then a relaunch rewrites it there).
    pub(crate) fn port_in_args(&self) -> bool {
        !self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests;
