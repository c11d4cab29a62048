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

use std::path::{Path, PathBuf};

use super::port::Port;
// re-exported: callers name the table and its types through the plan (`plan::TOOLS`)
#[allow(unused_imports)]
pub use super::tools::{Inject, OnTaken, TOOLS, Tool};

/// Port flags and bind flags understood for any command.
const GENERIC_FLAGS: &[&str] = &["--port", "-p"];
const GENERIC_BIND_FLAGS: &[&str] = &["--bind", "-b", "--listen", "--addr", "--address"];

/// The placeholder replaced by the chosen port.
pub const PLACEHOLDER: &str = "{port}";

/// How many directories up a `package.json` is looked for (as npm, pnpm and yarn do).
const PACKAGE_JSON_LEVELS: usize = 16;

/// Where the wanted port came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
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
pub enum ArgForm {
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

/// One place in the arguments that carries the port: `argv[index]` is `prefix` + the port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    index: usize,
    prefix: String,
    port: Port,
    form: ArgForm,
}

/// What the wrapper was asked: the command and portfix's own port options.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The command and its arguments (everything after `--`).
    pub argv: &'a [String],
    /// `--port`.
    pub port: Option<Port>,
    /// `--env` names; empty means `PORT`.
    pub env_names: &'a [String],
    /// The tool table (normally [`TOOLS`]).
    pub tools: &'static [Tool],
}

/// A package manager that runs package.json scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

/// The package.json script a command runs, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub manager: PackageManager,
    /// The script's name (`dev`).
    pub name: String,
    /// The script as written in package.json (`vite --host`).
    pub command: String,
    /// The last command of the script (where passed-on arguments land), split into words.
    words: Vec<String>,
    /// The port written in the script (`vite --port 3000`, `PORT=3000 next dev`).
    port: Option<Port>,
    /// The script already gives the tool its positional port.
    has_positional: bool,
    /// npm needs a `--` before the arguments it passes on, and the command has none yet.
    needs_separator: bool,
    /// Where the arguments the manager passes on to the script start in the command.
    pass_from: usize,
}

/// The launch plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
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
    pub ignored_env: Option<(String, String)>,
}

impl Plan {
    /// Makes the plan; `env` looks a variable up, `read` returns a file's text (a path relative
    /// to the command's working directory: `package.json`, `../package.json`, …), or `None`.
    pub fn with_files(
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
    pub fn wanted(&self) -> Option<Port> {
        self.wanted
    }

    /// The port written in the command's arguments that `--port` replaces, with the port
    /// given: `(3005, 3001)` for `-p 3001 -- next start -p 3005`. `None` when they agree.
    pub fn overridden(&self) -> Option<(Port, Port)> {
        if self.source != Source::Flag {
            return None;
        }
        let given = self.wanted?;
        let written = self.slots.last()?.port;
        (written != given).then_some((written, given))
    }

    /// The package.json script the command runs, as (name, its last command's words), when one
    /// was read (for `core::secondary`: a debugger turned on in the script).
    pub fn script_words(&self) -> Option<(&str, &[String])> {
        self.script.as_ref().map(|s| (s.name.as_str(), s.words.as_slice()))
    }

    /// The variables that carry the port (`--env` names, default `PORT`), for messages.
    pub fn env_names(&self) -> &[String] {
        &self.env_names
    }

    /// Whether the arguments hold `{port}` (then a port must be chosen before the first launch,
    /// even when the wanted one is unknown).
    pub fn has_placeholder(&self) -> bool {
        self.placeholder
    }

    /// The command as written, for a first launch when no port is known.
    pub fn original(&self) -> &[String] {
        &self.argv
    }

    /// The command to run on `port`: `{port}` replaced, each port in the arguments rewritten,
    /// the tool's port flag or positional added when the arguments carry none, its strict flags
    /// added when missing (after npm's `--` when they go through `npm run`).
    pub fn argv_for(&self, port: Port) -> Vec<String> {
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
    pub fn with_port_flag(&self) -> Vec<String> {
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
    pub fn words_for(&self, port: Port) -> Vec<String> {
        let n = port.to_string();
        let mut argv: Vec<String> = self.argv.iter().map(|a| a.replace(PLACEHOLDER, &n)).collect();
        for s in &self.slots {
            argv[s.index] = format!("{}{n}", s.prefix);
        }
        argv
    }

    /// The environment to add for a run on `port`: every `--env` name (default `PORT`) and the
    /// variables the tool reads.
    pub fn env_for(&self, port: Port) -> Vec<(String, String)> {
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

/// A reference to a variable in a shell (or cmd, or PowerShell) string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct VarRef {
    /// The port written as its default: `${PORT:-3000}`, `${PORT-3000}`.
    default: Option<Port>,
}

/// Whether `text` refers to the variable `name`: `$NAME`, `${NAME}`, `${NAME:-3000}` (also `-`,
/// `:=`, `=`), `%NAME%`, `$env:NAME`. A longer name (`$PORTAL`) is not a reference to `PORT`.
fn var_ref(text: &str, name: &str) -> Option<VarRef> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = None;
    for (at, _) in text.match_indices(name) {
        let before = &text[..at];
        let after = &text[at + name.len()..];
        let ends = !after.starts_with(is_name_char);
        let plain = ((before.ends_with('$') || before.ends_with("$env:")) && ends)
            || (before.ends_with('%') && after.starts_with('%'));
        if plain {
            found.get_or_insert(VarRef { default: None });
        } else if before.ends_with("${") {
            let Some(end) = after.find('}') else { continue };
            let inside = &after[..end];
            let default =
                [":-", "-", ":=", "="].iter().find_map(|op| inside.strip_prefix(op)).and_then(port_value);
            let refers = inside.is_empty() || default.is_some() || !inside.starts_with(is_name_char);
            if refers && found.is_none_or(|f: VarRef| f.default.is_none()) {
                found = Some(VarRef { default });
            }
        }
    }
    found
}

/// The base name of a program path, without a Windows extension.
fn base_name(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    [".exe", ".cmd", ".bat", ".ps1"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name)
}

fn is_python(name: &str) -> bool {
    name == "python"
        || name == "py"
        || name.strip_prefix("python").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `NAME=value` (a shell variable assignment).
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.as_bytes()[0].is_ascii_digit()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// A file a runtime runs (`server.ts`), rather than a program name.
fn is_source_file(word: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"].iter().any(|e| word.ends_with(e))
}

/// Commands of pnpm and yarn (and bun) that are not a script or a binary to run.
const MANAGER_COMMANDS: &[&str] = &[
    "add",
    "audit",
    "bin",
    "build",
    "cache",
    "config",
    "create",
    "dedupe",
    "dlx",
    "exec",
    "help",
    "i",
    "import",
    "info",
    "init",
    "install",
    "link",
    "list",
    "ls",
    "outdated",
    "pack",
    "patch",
    "pm",
    "publish",
    "rebuild",
    "remove",
    "rm",
    "set",
    "setup",
    "store",
    "test",
    "unlink",
    "up",
    "update",
    "upgrade",
    "version",
    "why",
    "workspace",
    "workspaces",
    "x",
];

/// Where the program sits in a command line, behind launchers and interpreters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Located {
    /// The index of the word that names the program (or the script an interpreter runs).
    prog: usize,
    /// The name rows are matched against: a base name, a python module, a script's base name.
    name: String,
    /// Where the program's own arguments start.
    start: usize,
}

/// The index of the first word from `i` on that is not a flag (a `--` is skipped too); flags in
/// `with_value` take the next word.
fn skip_flags(words: &[String], mut i: usize, with_value: &[&str]) -> usize {
    while let Some(w) = words.get(i) {
        if w == "--" {
            return i + 1;
        }
        if !w.starts_with('-') {
            break;
        }
        i += if with_value.contains(&w.as_str()) { 2 } else { 1 };
    }
    i
}

/// Finds the program behind launchers (`npx`, `bundle exec`, `env VAR=x`, …) and interpreters.
fn locate(words: &[String]) -> Option<Located> {
    let here = |i: usize, name: &str| Some(Located { prog: i, name: name.to_string(), start: i + 1 });
    let mut i = 0;
    loop {
        let word = words.get(i)?;
        if is_assignment(word) {
            i += 1;
            continue;
        }
        let name = base_name(word);
        let next = words.get(i + 1).map(String::as_str);
        match (name, next) {
            ("env" | "cross-env" | "cross-env-shell", _) => {
                i += 1;
                while words.get(i).is_some_and(|w| is_assignment(w) || (w.starts_with('-') && w != "--")) {
                    i += 1;
                }
            }
            ("npx" | "bunx", _) => {
                if words[i + 1..].iter().any(|w| w == "-c" || w == "--call") {
                    return here(i, name);
                }
                i = skip_flags(words, i + 1, &["-p", "--package"]);
            }
            ("npm", Some("exec" | "x")) => {
                i = skip_flags(words, i + 2, &["-p", "--package", "-w", "--workspace"]);
            }
            ("pnpm" | "yarn", Some("dlx" | "exec")) | ("bun", Some("x")) => {
                i = skip_flags(words, i + 2, &["-p", "--package"]);
            }
            ("bundle", Some("exec")) | ("poetry" | "pipenv" | "uv", Some("run")) => {
                i = skip_flags(words, i + 2, &[]);
            }
            // `pnpm vite`, `yarn run vite` when no script has that name: the package's binary
            ("pnpm" | "yarn" | "bun", Some(n)) if !n.starts_with('-') => {
                let target = if n == "run" { skip_flags(words, i + 2, &[]) } else { i + 1 };
                let t = words.get(target)?;
                if name == "bun" && (is_source_file(t) || MANAGER_COMMANDS.contains(&t.as_str())) {
                    return here(i, name);
                }
                if MANAGER_COMMANDS.contains(&t.as_str()) {
                    return here(i, name);
                }
                i = target;
            }
            _ if is_python(name) => {
                let mut j = i + 1;
                while let Some(w) = words.get(j) {
                    match w.as_str() {
                        "-m" if words.get(j + 1).is_some_and(|m| m == "debugpy") => {
                            // `python -m debugpy --listen 5678 TARGET`: the target is the program
                            // (`core::secondary` moves debugpy's port)
                            match debugpy_target(words, j + 2) {
                                Some(found) => return Some(found),
                                None => return here(j + 1, "debugpy"),
                            }
                        }
                        "-m" => {
                            let module = words.get(j + 1)?;
                            return Some(Located { prog: j + 1, name: module.clone(), start: j + 2 });
                        }
                        "-c" => return here(i, name),
                        "-X" | "-W" => j += 2,
                        w if w.starts_with('-') => j += 1,
                        script => {
                            return Some(Located {
                                prog: j,
                                name: base_name(script).to_string(),
                                start: j + 1,
                            });
                        }
                    }
                }
                return here(i, name);
            }
            ("node" | "ruby" | "php", _) => {
                let mut j = i + 1;
                while let Some(w) = words.get(j) {
                    match w.as_str() {
                        // code on the command line, or php's own server: no script to name it
                        "-e" | "--eval" | "-p" | "--print" | "-S" => return here(i, name),
                        "-r"
                        | "--require"
                        | "--import"
                        | "--loader"
                        | "--experimental-loader"
                        | "-I"
                        | "-t"
                        | "-c"
                        | "-d"
                        | "--inspect-port"
                        | "--debug-port" => j += 2,
                        w if w.starts_with('-') => j += 1,
                        script => {
                            let base = base_name(script);
                            let base = [".js", ".mjs", ".cjs", ".rb"]
                                .iter()
                                .find_map(|e| base.strip_suffix(e))
                                .unwrap_or(base);
                            return Some(Located { prog: j, name: base.to_string(), start: j + 1 });
                        }
                    }
                }
                return here(i, name);
            }
            _ => return here(i, name),
        }
    }
}

/// What `python -m debugpy [OPTIONS] TARGET` runs, its options starting at `i`: `-m module`, a
/// script, or nothing to name (`-c code`, `--pid N`).
fn debugpy_target(words: &[String], mut i: usize) -> Option<Located> {
    while let Some(w) = words.get(i) {
        match w.as_str() {
            "-m" => {
                let module = words.get(i + 1)?;
                return Some(Located { prog: i + 1, name: module.clone(), start: i + 2 });
            }
            "-c" | "--pid" => return None,
            "--wait-for-client" | "--log-to-stderr" => i += 1,
            w if w.starts_with('-') && w.contains('=') => i += 1,
            w if w.starts_with('-') => i += 2,
            script => return Some(Located { prog: i, name: base_name(script).to_string(), start: i + 1 }),
        }
    }
    None
}

/// The name of what a command runs, for a stable port's default name (`core::stable`): the
/// package.json script (`npm run dev` → `dev`, `npm start` → `start`), else the program behind
/// launchers and interpreters (`npx vite` → `vite`, `python3 -m http.server` → `http.server`,
/// `node server.js` → `server`).
pub fn run_name(argv: &[String]) -> Option<String> {
    if let Some(call) = script_call(argv) {
        return Some(call.name);
    }
    locate(argv).map(|l| l.name).filter(|n| !n.is_empty())
}

/// The index of the first positional argument from `start` on, as `tool` reads its flags.
fn first_positional(words: &[String], start: usize, tool: &Tool) -> Option<usize> {
    let mut i = start;
    while let Some(w) = words.get(i) {
        if w == "--" {
            return None;
        }
        let takes_value = tool.flags.contains(&w.as_str())
            || tool.bind_flags.contains(&w.as_str())
            || tool.value_flags.contains(&w.as_str());
        if takes_value && words.get(i + 1).is_some_and(|v| !v.starts_with('-')) {
            i += 2;
        } else if w.starts_with('-') && w != "-" {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

/// Whether `tool` is the located program; `Some(subcommand index)` when it is.
fn match_tool(words: &[String], loc: &Located, tool: &Tool) -> Option<Option<usize>> {
    if !tool.program.contains(&loc.name.as_str()) {
        return None;
    }
    let told = |w: &String| {
        tool.needs.iter().any(|n| w == n || w.strip_prefix(n).is_some_and(|r| r.starts_with('=')))
    };
    if !tool.needs.is_empty() && !words.get(loc.start..).is_some_and(|rest| rest.iter().any(told)) {
        return None;
    }
    let first = first_positional(words, loc.start, tool);
    if !tool.subcommand.is_empty() {
        let i = first.filter(|&i| tool.subcommand.contains(&words[i].as_str()))?;
        return Some(Some(i));
    }
    if first.is_some_and(|i| tool.other_commands.contains(&words[i].as_str())) {
        return None;
    }
    Some(None)
}

/// `PORT=3000` words before the program, for the variables that carry the port.
fn assignments(words: &[String], prog: usize, names: &[&str]) -> Vec<Slot> {
    words[..prog.min(words.len())]
        .iter()
        .enumerate()
        .filter_map(|(index, w)| {
            let (name, value) = w.split_once('=')?;
            if !is_assignment(w) || !names.contains(&name) {
                return None;
            }
            Some(Slot {
                index,
                prefix: format!("{name}="),
                port: port_value(value)?,
                form: ArgForm::Assignment,
            })
        })
        .collect()
}

/// A command that runs a package.json script, as the package manager reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScriptCall {
    manager: PackageManager,
    name: String,
    /// argv index of the script's name (or of `start`/`test`).
    name_index: usize,
}

/// Manager flags that point it at another package: then portfix does not guess the script.
const OTHER_PACKAGE_FLAGS: &[&str] = &[
    "-w",
    "--workspace",
    "-ws",
    "--workspaces",
    "--prefix",
    "-C",
    "--dir",
    "--cwd",
    "--filter",
    "-F",
    "-r",
    "--recursive",
];

fn script_call(argv: &[String]) -> Option<ScriptCall> {
    let manager = match base_name(argv.first()?) {
        "npm" => PackageManager::Npm,
        "pnpm" => PackageManager::Pnpm,
        "yarn" => PackageManager::Yarn,
        "bun" => PackageManager::Bun,
        _ => return None,
    };
    let own_flags_end = |mut i: usize| -> Option<usize> {
        while let Some(w) = argv.get(i) {
            if !w.starts_with('-') {
                return Some(i);
            }
            let flag = w.split_once('=').map_or(w.as_str(), |(f, _)| f);
            if OTHER_PACKAGE_FLAGS.contains(&flag) || w == "--" {
                return None;
            }
            i += 1;
        }
        None
    };
    let i = own_flags_end(1)?;
    let cmd = argv[i].as_str();
    let call =
        |name: &str, name_index: usize| Some(ScriptCall { manager, name: name.to_string(), name_index });
    match (manager, cmd) {
        (_, "run" | "run-script") | (PackageManager::Npm, "rum" | "urn") => {
            let j = own_flags_end(i + 1)?;
            call(&argv[j], j)
        }
        (_, "start") => call("start", i),
        (_, "test") | (PackageManager::Npm | PackageManager::Pnpm, "t" | "tst") => call("test", i),
        (PackageManager::Npm, _) => None,
        (_, other) if !MANAGER_COMMANDS.contains(&other) && !is_source_file(other) => call(other, i),
        _ => None,
    }
}

/// Reads the nearest package.json and the script the call runs; finds the tool in its last
/// command.
fn resolve_script(
    argv: &[String],
    call: &ScriptCall,
    tools: &'static [Tool],
    read: &dyn Fn(&Path) -> Option<String>,
) -> Option<(Option<&'static Tool>, Script)> {
    let mut dir = PathBuf::new();
    let text = (0..PACKAGE_JSON_LEVELS).find_map(|_| {
        let found = read(&dir.join("package.json"));
        dir.push("..");
        found
    })?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let command = json.get("scripts")?.get(&call.name)?.as_str()?.to_string();
    let words = last_command(&command)?;
    let tool = locate(&words).and_then(|l| tools.iter().find(|t| match_tool(&words, &l, t).is_some()));
    let after_name = call.name_index + 1;
    let separator = argv[after_name..].iter().position(|a| a == "--").map(|k| after_name + k);
    let (needs_separator, pass_from) = match (call.manager, separator) {
        // npm passes on only what follows its `--`
        (PackageManager::Npm, Some(k)) => (false, k + 1),
        (PackageManager::Npm, None) => (true, argv.len()),
        _ => (false, after_name),
    };
    let script = Script {
        manager: call.manager,
        name: call.name.clone(),
        command,
        words,
        port: None,
        has_positional: false,
        needs_separator,
        pass_from,
    };
    Some((tool, script))
}

/// The words of a shell command line's last simple command (where appended arguments land):
/// quotes and backslashes undone; `&&`, `||`, `;`, `|`, `&` separate commands.
fn last_command(line: &str) -> Option<Vec<String>> {
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut Option<String>, commands: &mut Vec<Vec<String>>| {
        if let Some(w) = word.take() {
            commands.last_mut().expect("never empty").push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            ';' | '&' | '|' => {
                end_word(&mut word, &mut commands);
                if chars.peek().is_some_and(|&n| n == c) {
                    chars.next();
                }
                commands.push(Vec::new());
            }
            c if c.is_whitespace() => end_word(&mut word, &mut commands),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    end_word(&mut word, &mut commands);
    commands.into_iter().rev().find(|c| !c.is_empty())
}

/// `[addr:]port` (a bind address or a bare port) as a positional argument: (prefix, port).
fn addr_port(s: &str) -> Option<(String, Port)> {
    if let Ok(p) = super::port::parse_port(s) {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Some((String::new(), p));
        }
    }
    bind_address(s)
}

/// A bind-looking `HOST:PORT`: host empty, `*`, `localhost`, an IPv4 literal or `[IPv6]`.
/// Returns (everything up to and including the colon, port).
fn bind_address(s: &str) -> Option<(String, Port)> {
    let (host, port) = s.rsplit_once(':')?;
    let port = port_value(port)?;
    let ok = match host {
        "" | "*" | "localhost" => true,
        h if h.starts_with('[') && h.ends_with(']') => {
            h[1..h.len() - 1].parse::<std::net::Ipv6Addr>().is_ok()
        }
        h => h.parse::<std::net::Ipv4Addr>().is_ok(),
    };
    ok.then(|| (format!("{host}:"), port))
}

/// The value of a bind flag: `HOST:PORT` with any host name (the flag says it is a bind), or
/// `tcp://HOST:PORT`.
fn bind_value(s: &str) -> Option<(String, Port)> {
    let (scheme, rest) = s.split_once("://").map_or(("", s), |(sc, r)| (sc, r));
    if !matches!(scheme, "" | "tcp" | "ssl" | "http" | "https") {
        return None;
    }
    let (host, port) = rest.rsplit_once(':')?;
    let port = port_value(port)?;
    let host_ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._*[]:".contains(&b))
        && (!host.contains(':') || (host.starts_with('[') && host.ends_with(']')));
    let prefix = if scheme.is_empty() { format!("{host}:") } else { format!("{scheme}://{host}:") };
    host_ok.then_some((prefix, port))
}

/// An exact port value (digits only).
fn port_value(s: &str) -> Option<Port> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    super::port::parse_port(s).ok()
}

/// The places in `words[start..]` (leaving out the subcommand at `skip`) that carry the port.
fn find_slots(words: &[String], start: usize, skip: Option<usize>, tool: Option<&Tool>) -> Vec<Slot> {
    let flags = tool.map_or(GENERIC_FLAGS, |t| t.flags);
    let bind_flags = tool.map_or(GENERIC_BIND_FLAGS, |t| t.bind_flags);
    let value_flags = tool.map_or(&[][..], |t| t.value_flags);
    let positional = tool.is_some_and(|t| t.positional);
    let mut slots = Vec::new();
    let mut i = start.max(1);
    let mut positionals_seen = 0;
    let slot = |index: usize, prefix: String, port: Port, form: ArgForm| Slot { index, prefix, port, form };
    while i < words.len() {
        if Some(i) == skip {
            i += 1;
            continue;
        }
        let a = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        if a.contains(PLACEHOLDER) {
            positionals_seen += usize::from(!a.starts_with('-'));
            i += 1;
            continue;
        }
        if flags.contains(&a) || bind_flags.contains(&a) || value_flags.contains(&a) {
            // a flag and its value: a port, a bind address, or something else to skip
            match next {
                Some(v) if v.starts_with('-') && port_value(v).is_none() => {
                    i += 1;
                    continue;
                }
                Some(v) if !v.contains(PLACEHOLDER) => {
                    if let Some(p) = port_value(v).filter(|_| flags.contains(&a)) {
                        slots.push(slot(i + 1, String::new(), p, ArgForm::FlagValue));
                    } else if let Some((prefix, p)) = bind_value(v).filter(|_| bind_flags.contains(&a)) {
                        slots.push(slot(i + 1, prefix, p, ArgForm::BindFlag));
                    }
                }
                _ => {}
            }
            i += 2;
            continue;
        }
        if let Some((flag, value)) = a.split_once('=').filter(|(f, _)| f.starts_with('-')) {
            if let Some(p) = port_value(value).filter(|_| flags.contains(&flag)) {
                slots.push(slot(i, format!("{flag}="), p, ArgForm::FlagEquals));
            } else if let Some((prefix, p)) = bind_value(value).filter(|_| bind_flags.contains(&flag)) {
                slots.push(slot(i, format!("{flag}={prefix}"), p, ArgForm::BindFlag));
            }
            i += 1;
            continue;
        }
        if let Some(f) = flags.iter().find(|f| f.len() == 2 && !f.starts_with("--") && a.starts_with(**f)) {
            if let Some(p) = port_value(&a[2..]) {
                slots.push(slot(i, (*f).to_string(), p, ArgForm::FlagAttached));
            }
            i += 1;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            if positional {
                if positionals_seen == 0 {
                    if let Some((prefix, p)) = addr_port(a) {
                        slots.push(slot(i, prefix, p, ArgForm::Positional));
                    }
                }
                positionals_seen += 1;
            } else if tool.is_none() {
                if let Some((prefix, p)) = bind_address(a) {
                    slots.push(slot(i, prefix, p, ArgForm::HostPort));
                }
            }
        }
        i += 1;
    }
    slots
}

/// What the tests look at; the wrapper itself needs only the port and the command to run.
#[cfg(test)]
impl Plan {
    /// Makes the plan without reading any file (a `package.json` script is not looked into);
    /// `env` looks a variable up (a table).
    pub fn new(req: Request<'_>, env: impl Fn(&str) -> Option<String>) -> Plan {
        Plan::with_files(req, env, &|_: &Path| None)
    }

    /// Where the wanted port came from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The recognised tool's name, if any.
    pub fn tool(&self) -> Option<&'static str> {
        self.tool.map(|t| t.name)
    }

    /// The recognised tool's row, if any.
    pub fn tool_row(&self) -> Option<&'static Tool> {
        self.tool
    }

    /// The package.json script the command runs, when it was read.
    pub fn script(&self) -> Option<&Script> {
        self.script.as_ref()
    }

    /// Whether the command's arguments carry its port (then a relaunch rewrites it there).
    pub fn port_in_args(&self) -> bool {
        !self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    fn sv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn plan_with(argv: &str, port: Option<u16>, env_names: &[&str], env: &[(&str, &str)]) -> Plan {
        let argv = sv(argv);
        let names: Vec<String> = env_names.iter().map(|s| (*s).to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let req = Request { argv: &argv, port: port.and_then(Port::new), env_names: &names, tools: TOOLS };
        Plan::new(req, |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn of(argv: &str) -> Plan {
        plan_with(argv, None, &[], &[])
    }

    /// A plan for `argv` run in a directory whose package.json is `json`.
    fn in_package(json: &str, argv: &str) -> Plan {
        let argv = sv(argv);
        let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
        Plan::with_files(req, |_| None, &|path: &Path| {
            (path == Path::new("package.json")).then(|| json.to_string())
        })
    }

    /// Advice puts a port flag where injection would (issue 11 item 4): one rule for both.
    #[test]
    fn advice_places_the_port_flag_by_the_same_rules() {
        for (argv, want) in [
            ("deno serve main.ts", "deno serve --port {port} main.ts"),
            ("deno serve -A main.ts --verbose", "deno serve --port {port} -A main.ts --verbose"),
            ("waitress-serve app:app", "waitress-serve --port {port} app:app"),
            ("node server.js", "node server.js --port {port}"),
            ("python3 app.py", "python3 app.py --port {port}"),
            ("myserver", "myserver --port {port}"),
        ] {
            assert_eq!(of(argv).with_port_flag().join(" "), want, "{argv}");
        }
        let p = in_package(r#"{"scripts":{"dev":"vite"}}"#, "npm run dev");
        assert_eq!(p.with_port_flag().join(" "), "npm run dev -- --port {port}");
    }

    /// argv → wanted port → argv on 4001.
    #[test]
    fn ports_in_arguments_are_found_and_rewritten() {
        let cases: &[(&str, Option<u16>, &str)] = &[
            ("vite --port 3000", Some(3000), "vite --port 4001 --strictPort"),
            ("vite --port=3000 --open", Some(3000), "vite --port=4001 --open --strictPort"),
            ("rails s -p 3000", Some(3000), "rails s -p 4001"),
            ("hugo server -p1313", Some(1313), "hugo server -p4001"),
            ("php -S localhost:8000", Some(8000), "php -S localhost:4001"),
            ("php -S 0.0.0.0:8000 -t public", Some(8000), "php -S 0.0.0.0:4001 -t public"),
            ("myserver [::1]:3000", Some(3000), "myserver [::1]:4001"),
            ("goapp :8080", Some(8080), "goapp :4001"),
            ("gunicorn -b 127.0.0.1:8000 app:app", Some(8000), "gunicorn -b 127.0.0.1:4001 app:app"),
            ("gunicorn --bind=0.0.0.0:8000 app:app", Some(8000), "gunicorn --bind=0.0.0.0:4001 app:app"),
            ("puma -b tcp://127.0.0.1:9292 config.ru", Some(9292), "puma -b tcp://127.0.0.1:4001 config.ru"),
            ("srv --listen myhost.local:7000", Some(7000), "srv --listen myhost.local:4001"),
            // after npm's own `--`, the arguments still reach the tool
            ("npm run dev -- --port 3000", Some(3000), "npm run dev -- --port 4001"),
            // every carrier of the port is rewritten; the last one is the wanted port
            ("srv -b 127.0.0.1:3000 -b [::1]:3000", Some(3000), "srv -b 127.0.0.1:4001 -b [::1]:4001"),
            ("env PORT=3000 node app.js", Some(3000), "env PORT=4001 node app.js"),
            ("env NODE_ENV=dev node app.js", None, "env NODE_ENV=dev node app.js"),
            // not ports: other flags, URLs, host names, docker mappings, ssh forwards, port 0
            ("node server.js --timeout 3000", None, "node server.js --timeout 3000"),
            ("proxy --target http://localhost:8080", None, "proxy --target http://localhost:8080"),
            ("client api.example.com:443", None, "client api.example.com:443"),
            ("docker run -p 8080:80 img", None, "docker run -p 8080:80 img"),
            ("ssh -L 3000:localhost:3000 host", None, "ssh -L 3000:localhost:3000 host"),
            ("srv --port 0", None, "srv --port 0"),
            ("srv --port 70000", None, "srv --port 70000"),
            ("srv -p 12:30", None, "srv -p 12:30"),
            ("srv --bind unix:/tmp/s.sock", None, "srv --bind unix:/tmp/s.sock"),
            ("srv --portal 3000 --export=3000", None, "srv --portal 3000 --export=3000"),
            // argv[0] is never read
            ("localhost:3000", None, "localhost:3000"),
        ];
        for (argv, wanted, relaunch) in cases {
            let plan = of(argv);
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
            assert_eq!(plan.port_in_args(), wanted.is_some(), "{argv}");
        }
    }

    /// Each tool: command as typed → (tool, wanted port, relaunch on 4001, a variable that must
    /// carry the port). `-` for no tool.
    #[test]
    fn every_tool_has_its_row_checked() {
        let cases: &[(&str, &str, Option<u16>, &str, &str)] = &[
            ("vite", "vite", Some(5173), "vite --port 4001 --strictPort", "PORT"),
            (
                "vite dev --host 0.0.0.0",
                "vite",
                Some(5173),
                "vite dev --host 0.0.0.0 --port 4001 --strictPort",
                "PORT",
            ),
            ("vite serve", "vite", Some(5173), "vite serve --port 4001 --strictPort", "PORT"),
            ("vite --host dev", "vite", Some(5173), "vite --host dev --port 4001 --strictPort", "PORT"),
            ("vite preview", "vite preview", Some(4173), "vite preview --port 4001 --strictPort", "PORT"),
            ("vite build", "-", None, "vite build", "PORT"),
            ("next dev", "Next.js", Some(3000), "next dev -p 4001", "PORT"),
            ("next start -p 3005", "Next.js", Some(3005), "next start -p 4001", "PORT"),
            ("next build", "-", None, "next build", "PORT"),
            ("react-scripts start", "create-react-app", Some(3000), "react-scripts start", "PORT"),
            ("craco start", "create-react-app", Some(3000), "craco start", "PORT"),
            (
                "webpack serve --mode development",
                "webpack-dev-server",
                Some(8080),
                "webpack serve --mode development --port 4001",
                "PORT",
            ),
            (
                "webpack-dev-server --port 8081",
                "webpack-dev-server",
                Some(8081),
                "webpack-dev-server --port 4001",
                "PORT",
            ),
            ("webpack --mode production", "-", None, "webpack --mode production", "PORT"),
            ("ng serve", "Angular", Some(4200), "ng serve --port 4001", "PORT"),
            ("ng s --port 4300", "Angular", Some(4300), "ng s --port 4001", "PORT"),
            ("ng build", "-", None, "ng build", "PORT"),
            ("astro dev", "Astro", Some(4321), "astro dev --port 4001", "PORT"),
            ("astro preview --port 4400", "Astro", Some(4400), "astro preview --port 4001", "PORT"),
            ("nuxi dev", "Nuxt", Some(3000), "nuxi dev --port 4001", "NUXT_PORT"),
            ("nuxt dev -p 3100", "Nuxt", Some(3100), "nuxt dev -p 4001", "NITRO_PORT"),
            ("remix vite:dev", "Remix (Vite)", Some(5173), "remix vite:dev --port 4001 --strictPort", "PORT"),
            (
                "react-router dev",
                "React Router",
                Some(5173),
                "react-router dev --port 4001 --strictPort",
                "PORT",
            ),
            ("storybook dev -p 6006", "Storybook", Some(6006), "storybook dev -p 4001 --exact-port", "PORT"),
            ("storybook dev", "Storybook", Some(6006), "storybook dev -p 4001 --exact-port", "PORT"),
            ("start-storybook -p 9009", "Storybook 6", Some(9009), "start-storybook -p 4001", "PORT"),
            ("http-server ./public", "http-server", Some(8080), "http-server ./public -p 4001", "PORT"),
            (
                "http-server -a 127.0.0.1 -p 8081",
                "http-server",
                Some(8081),
                "http-server -a 127.0.0.1 -p 4001",
                "PORT",
            ),
            ("serve dist", "serve", Some(3000), "serve dist -l 4001 --no-port-switching", "PORT"),
            ("serve -l 5000", "serve", Some(5000), "serve -l 4001 --no-port-switching", "PORT"),
            (
                "serve -l tcp://localhost:5000",
                "serve",
                Some(5000),
                "serve -l tcp://localhost:4001 --no-port-switching",
                "PORT",
            ),
            ("json-server db.json", "json-server", Some(3000), "json-server db.json --port 4001", "PORT"),
            (
                "json-server --watch db.json -p 3004",
                "json-server",
                Some(3004),
                "json-server --watch db.json -p 4001",
                "PORT",
            ),
            (
                "python3 -m http.server",
                "python -m http.server",
                Some(8000),
                "python3 -m http.server 4001",
                "PORT",
            ),
            ("flask run", "Flask", Some(5000), "flask run --port 4001", "FLASK_RUN_PORT"),
            (
                "flask --app hello run --debug",
                "Flask",
                Some(5000),
                "flask --app hello run --debug --port 4001",
                "FLASK_RUN_PORT",
            ),
            (
                "python -m flask run -p 5001",
                "Flask",
                Some(5001),
                "python -m flask run -p 4001",
                "FLASK_RUN_PORT",
            ),
            ("flask routes", "-", None, "flask routes", "PORT"),
            (
                "python manage.py runserver",
                "Django runserver",
                Some(8000),
                "python manage.py runserver 4001",
                "PORT",
            ),
            (
                "python3 manage.py runserver 0.0.0.0:8001",
                "Django runserver",
                Some(8001),
                "python3 manage.py runserver 0.0.0.0:4001",
                "PORT",
            ),
            (
                "./manage.py runserver --noreload 8002",
                "Django runserver",
                Some(8002),
                "./manage.py runserver --noreload 4001",
                "PORT",
            ),
            (
                "django-admin runserver --settings s.dev",
                "Django runserver",
                Some(8000),
                "django-admin runserver --settings s.dev 4001",
                "PORT",
            ),
            ("python manage.py migrate", "-", None, "python manage.py migrate", "PORT"),
            (
                "uvicorn main:app --reload",
                "uvicorn",
                Some(8000),
                "uvicorn main:app --reload --port 4001",
                "UVICORN_PORT",
            ),
            (
                "python -m uvicorn main:app --port 8100",
                "uvicorn",
                Some(8100),
                "python -m uvicorn main:app --port 4001",
                "UVICORN_PORT",
            ),
            ("gunicorn app:app", "gunicorn", Some(8000), "gunicorn app:app --bind 127.0.0.1:4001", "PORT"),
            (
                "gunicorn -w 4 app:app",
                "gunicorn",
                Some(8000),
                "gunicorn -w 4 app:app --bind 127.0.0.1:4001",
                "PORT",
            ),
            ("rails server", "Rails", Some(3000), "rails server -p 4001", "PORT"),
            ("bin/rails s -b 0.0.0.0", "Rails", Some(3000), "bin/rails s -b 0.0.0.0 -p 4001", "PORT"),
            (
                "bundle exec rails server -p 3001",
                "Rails",
                Some(3001),
                "bundle exec rails server -p 4001",
                "PORT",
            ),
            ("rails console", "-", None, "rails console", "PORT"),
            ("puma config.ru", "Puma", None, "puma config.ru -p 4001", "PORT"),
            ("bundle exec puma -p 9393", "Puma", Some(9393), "bundle exec puma -p 4001", "PORT"),
            ("hugo server -D", "Hugo", Some(1313), "hugo server -D --port 4001", "PORT"),
            ("hugo serve --port 1414", "Hugo", Some(1414), "hugo serve --port 4001", "PORT"),
            ("hugo", "-", None, "hugo", "PORT"),
            ("jekyll serve", "Jekyll", Some(4000), "jekyll serve --port 4001", "PORT"),
            ("bundle exec jekyll s -P 4002", "Jekyll", Some(4002), "bundle exec jekyll s -P 4001", "PORT"),
            (
                "php -S 127.0.0.1:8080 -t public",
                "php -S",
                Some(8080),
                "php -S 127.0.0.1:4001 -t public",
                "PORT",
            ),
            ("php -t public -S [::1]:8080", "php -S", Some(8080), "php -t public -S [::1]:4001", "PORT"),
            (
                "php artisan serve",
                "Laravel (artisan serve)",
                Some(8000),
                "php artisan serve --port 4001",
                "SERVER_PORT",
            ),
            ("mvn spring-boot:run", "Spring Boot", Some(8080), "mvn spring-boot:run", "SERVER_PORT"),
            ("./mvnw spring-boot:run", "Spring Boot", Some(8080), "./mvnw spring-boot:run", "SERVER_PORT"),
            ("./gradlew bootRun", "Spring Boot", Some(8080), "./gradlew bootRun", "SERVER_PORT"),
            (
                "java -jar app.jar --server.port=9000",
                "java (Spring Boot arguments)",
                Some(9000),
                "java -jar app.jar --server.port=4001",
                "SERVER_PORT",
            ),
            (
                "java -Dserver.port=9001 -jar app.jar",
                "java (Spring Boot arguments)",
                Some(9001),
                "java -Dserver.port=4001 -jar app.jar",
                "SERVER_PORT",
            ),
            ("java -jar app.jar", "java (Spring Boot arguments)", None, "java -jar app.jar", "SERVER_PORT"),
            ("mix phx.server", "Phoenix", Some(4000), "mix phx.server", "PORT"),
            ("iex -S mix phx.server", "Phoenix", Some(4000), "iex -S mix phx.server", "PORT"),
            ("deno serve main.ts", "deno serve", Some(8000), "deno serve --port 4001 main.ts", "PORT"),
            // the words after the script are the script's: the flag goes before it
            (
                "deno serve -A main.ts --verbose",
                "deno serve",
                Some(8000),
                "deno serve --port 4001 -A main.ts --verbose",
                "PORT",
            ),
            (
                "deno serve --port 8001 main.ts",
                "deno serve",
                Some(8001),
                "deno serve --port 4001 main.ts",
                "PORT",
            ),
            ("deno run -A main.ts", "-", None, "deno run -A main.ts", "PORT"),
            ("bun run server.ts", "bun (a server file)", None, "bun run server.ts", "BUN_PORT"),
            ("bun server.ts", "bun (a server file)", None, "bun server.ts", "BUN_PORT"),
            ("bun install", "-", None, "bun install", "PORT"),
            // issue 11: the next tools
            ("fastapi dev", "FastAPI CLI", Some(8000), "fastapi dev --port 4001", "PORT"),
            (
                "fastapi run main.py --port 8010",
                "FastAPI CLI",
                Some(8010),
                "fastapi run main.py --port 4001",
                "PORT",
            ),
            (
                "litestar --app app:app run --reload",
                "Litestar",
                Some(8000),
                "litestar --app app:app run --reload --port 4001",
                "LITESTAR_PORT",
            ),
            ("litestar routes", "-", None, "litestar routes", "PORT"),
            ("sanic server:app --dev", "Sanic", Some(8000), "sanic server:app --dev --port 4001", "PORT"),
            (
                "sanic -H 0.0.0.0 server:app -p 8100",
                "Sanic",
                Some(8100),
                "sanic -H 0.0.0.0 server:app -p 4001",
                "PORT",
            ),
            ("hypercorn app:app", "Hypercorn", Some(8000), "hypercorn app:app --bind 127.0.0.1:4001", "PORT"),
            (
                "hypercorn -b 0.0.0.0:8200 app:app",
                "Hypercorn",
                Some(8200),
                "hypercorn -b 0.0.0.0:4001 app:app",
                "PORT",
            ),
            (
                "daphne proj.asgi:application",
                "Daphne",
                Some(8000),
                "daphne proj.asgi:application --port 4001",
                "PORT",
            ),
            (
                "daphne -b 0.0.0.0 -p 8300 proj.asgi:app",
                "Daphne",
                Some(8300),
                "daphne -b 0.0.0.0 -p 4001 proj.asgi:app",
                "PORT",
            ),
            (
                "granian --interface asgi main:app",
                "Granian",
                Some(8000),
                "granian --interface asgi main:app --port 4001",
                "GRANIAN_PORT",
            ),
            // getopt stops at module:app: the flag goes right after the program
            (
                "waitress-serve app:app",
                "waitress-serve",
                Some(8080),
                "waitress-serve --port 4001 app:app",
                "PORT",
            ),
            (
                "waitress-serve --listen=127.0.0.1:8090 app:app",
                "waitress-serve",
                Some(8090),
                "waitress-serve --listen=127.0.0.1:4001 app:app",
                "PORT",
            ),
            (
                "python -m waitress --host 127.0.0.1 app:app",
                "waitress-serve",
                Some(8080),
                "python -m waitress --port 4001 --host 127.0.0.1 app:app",
                "PORT",
            ),
            ("mkdocs serve", "MkDocs", Some(8000), "mkdocs serve --dev-addr 127.0.0.1:4001", "PORT"),
            (
                "mkdocs serve -a localhost:8400",
                "MkDocs",
                Some(8400),
                "mkdocs serve -a localhost:4001",
                "PORT",
            ),
            ("mkdocs build", "-", None, "mkdocs build", "PORT"),
            (
                "sphinx-autobuild docs docs/_build/html",
                "sphinx-autobuild",
                Some(8000),
                "sphinx-autobuild docs docs/_build/html --port 4001",
                "PORT",
            ),
            (
                "pelican --listen --autoreload",
                "Pelican (--listen)",
                Some(8000),
                "pelican --listen --autoreload --port 4001",
                "PORT",
            ),
            ("pelican -r -l -p 8500", "Pelican (--listen)", Some(8500), "pelican -r -l -p 4001", "PORT"),
            ("pelican content", "-", None, "pelican content", "PORT"),
            ("datasette data.db", "Datasette", Some(8001), "datasette data.db --port 4001", "PORT"),
            (
                "datasette serve -p 8002 data.db",
                "Datasette",
                Some(8002),
                "datasette serve -p 4001 data.db",
                "PORT",
            ),
            ("datasette install datasette-vega", "-", None, "datasette install datasette-vega", "PORT"),
            // the script's own arguments follow it: the flag goes right after `run`
            (
                "streamlit run app.py -- --x 1",
                "Streamlit",
                Some(8501),
                "streamlit run --server.port 4001 app.py -- --x 1",
                "STREAMLIT_SERVER_PORT",
            ),
            ("gradio app.py", "Gradio (reload mode)", Some(7860), "gradio app.py", "GRADIO_SERVER_PORT"),
            (
                "panel serve app.py --args --data x",
                "Panel",
                Some(5006),
                "panel serve --port 4001 app.py --args --data x",
                "PORT",
            ),
            (
                "bokeh serve --show app.py",
                "Bokeh",
                Some(5006),
                "bokeh serve --port 4001 --show app.py",
                "PORT",
            ),
            (
                "jupyter lab",
                "JupyterLab",
                Some(8888),
                "jupyter lab --port 4001 --port-retries=0",
                "JUPYTER_PORT",
            ),
            (
                "jupyter-lab --port=8890 --no-browser",
                "JupyterLab",
                Some(8890),
                "jupyter-lab --port=4001 --no-browser --port-retries=0",
                "JUPYTER_PORT",
            ),
            (
                "jupyter notebook",
                "Jupyter Notebook",
                Some(8888),
                "jupyter notebook --port 4001 --port-retries=0",
                "JUPYTER_PORT",
            ),
            (
                "jupyter server --ip 127.0.0.1",
                "Jupyter Server",
                Some(8888),
                "jupyter server --ip 127.0.0.1 --port 4001 --port-retries=0",
                "JUPYTER_PORT",
            ),
            ("jupyter nbconvert x.ipynb", "-", None, "jupyter nbconvert x.ipynb", "PORT"),
            (
                "voila nb.ipynb",
                "Voilà",
                Some(8866),
                "voila nb.ipynb --port 4001 --Voila.port_retries=0",
                "PORT",
            ),
            ("marimo edit nb.py", "marimo", Some(2718), "marimo edit nb.py --port 4001", "PORT"),
            ("marimo run nb.py -p 2800", "marimo", Some(2800), "marimo run nb.py -p 4001", "PORT"),
            // it reads --port only as --port=N
            (
                "live-server --no-browser",
                "live-server",
                Some(8080),
                "live-server --no-browser --port=4001",
                "PORT",
            ),
            (
                "live-server --port=8181 dist",
                "live-server",
                Some(8181),
                "live-server --port=4001 dist",
                "PORT",
            ),
            (
                "browser-sync start --server --files css/*.css",
                "Browsersync",
                Some(3000),
                "browser-sync start --server --files css/*.css --port 4001",
                "PORT",
            ),
            (
                "npx @11ty/eleventy --serve",
                "Eleventy (--serve)",
                Some(8080),
                "npx @11ty/eleventy --serve --port 4001",
                "PORT",
            ),
            (
                "eleventy --serve --port=8085",
                "Eleventy (--serve)",
                Some(8085),
                "eleventy --serve --port=4001",
                "PORT",
            ),
            ("eleventy", "-", None, "eleventy", "PORT"),
            (
                "vitepress dev docs",
                "VitePress",
                Some(5173),
                "vitepress dev docs --port 4001 --strictPort",
                "PORT",
            ),
            ("vitepress docs", "VitePress", Some(5173), "vitepress docs --port 4001 --strictPort", "PORT"),
            ("vitepress build docs", "-", None, "vitepress build docs", "PORT"),
            ("rsbuild dev", "Rsbuild", Some(3000), "rsbuild dev --port 4001 --strict-port", "PORT"),
            ("rsbuild build", "-", None, "rsbuild build", "PORT"),
            ("rspack serve", "Rspack dev server", Some(8080), "rspack serve --port 4001", "PORT"),
            ("rspack build", "-", None, "rspack build", "PORT"),
            ("parcel index.html", "Parcel", Some(1234), "parcel index.html --port 4001", "PORT"),
            (
                "parcel serve src/index.html -p 1300",
                "Parcel",
                Some(1300),
                "parcel serve src/index.html -p 4001",
                "PORT",
            ),
            ("parcel build index.html", "-", None, "parcel build index.html", "PORT"),
            ("wrangler dev", "Wrangler dev", Some(8787), "wrangler dev --port 4001", "PORT"),
            ("wrangler deploy", "-", None, "wrangler deploy", "PORT"),
            ("gatsby develop", "Gatsby develop", Some(8000), "gatsby develop --port 4001", "PORT"),
            ("gatsby serve -p 9100", "Gatsby serve", Some(9100), "gatsby serve -p 4001", "PORT"),
            ("gatsby build", "-", None, "gatsby build", "PORT"),
            ("docusaurus start", "Docusaurus start", Some(3000), "docusaurus start --port 4001", "PORT"),
            ("docusaurus serve", "Docusaurus serve", Some(3000), "docusaurus serve --port 4001", "PORT"),
            ("vue-cli-service serve", "Vue CLI", Some(8080), "vue-cli-service serve --port 4001", "PORT"),
            ("quasar dev -m spa", "Quasar dev", None, "quasar dev -m spa --port 4001", "PORT"),
            ("ember s", "Ember CLI", Some(4200), "ember s --port 4001", "PORT"),
            ("npx expo start", "Expo", Some(8081), "npx expo start --port 4001", "RCT_METRO_PORT"),
            (
                "npx react-native start",
                "React Native (Metro)",
                Some(8081),
                "npx react-native start --port 4001",
                "RCT_METRO_PORT",
            ),
            (
                "netlify dev --command \"npm start\"",
                "Netlify dev",
                Some(8888),
                "netlify dev --command \"npm start\" --port 4001",
                "PORT",
            ),
            ("vercel dev", "Vercel dev", Some(3000), "vercel dev --listen 4001", "PORT"),
            ("vc dev -l 127.0.0.1:3100", "Vercel dev", Some(3100), "vc dev -l 127.0.0.1:4001", "PORT"),
            (
                "firebase serve --only hosting",
                "firebase serve",
                Some(5000),
                "firebase serve --only hosting --port 4001",
                "PORT",
            ),
            ("bundle exec rackup", "rackup", Some(9292), "bundle exec rackup --port 4001", "PORT"),
            ("rackup -p 9300 config.ru", "rackup", Some(9300), "rackup -p 4001 config.ru", "PORT"),
            ("trunk serve", "Trunk", Some(8080), "trunk serve --port 4001", "TRUNK_SERVE_PORT"),
            (
                "dx serve --platform web",
                "Dioxus (dx serve)",
                Some(8080),
                "dx serve --platform web --port 4001",
                "PORT",
            ),
            ("quart run", "Quart", Some(5000), "quart run --port 4001", "PORT"),
            ("quart run -p 5050", "Quart", Some(5050), "quart run -p 4001", "PORT"),
            (
                "python -m aiohttp.web web_app:init",
                "aiohttp.web",
                Some(8080),
                "python -m aiohttp.web web_app:init --port 4001",
                "PORT",
            ),
            (
                "python -m aiohttp.web -P 9000 m:f",
                "aiohttp.web",
                Some(9000),
                "python -m aiohttp.web -P 4001 m:f",
                "PORT",
            ),
            ("bottle.py app:app", "Bottle", Some(8080), "bottle.py app:app --bind 127.0.0.1:4001", "PORT"),
            (
                "bottle.py -p myplugin app:app",
                "Bottle",
                Some(8080),
                "bottle.py -p myplugin app:app --bind 127.0.0.1:4001",
                "PORT",
            ),
            (
                "python -m bottle -b localhost:8090 app:app",
                "Bottle",
                Some(8090),
                "python -m bottle -b localhost:4001 app:app",
                "PORT",
            ),
            (
                "twistd -n web --path .",
                "twistd web",
                Some(8080),
                "twistd -n web --path . --listen tcp:4001",
                "PORT",
            ),
            (
                "twistd -n web --listen tcp:8099",
                "twistd web",
                Some(8099),
                "twistd -n web --listen tcp:4001",
                "PORT",
            ),
            ("twistd -n ftp", "-", None, "twistd -n ftp", "PORT"),
            ("pdoc mymodule", "pdoc", Some(8080), "pdoc mymodule --port 4001", "PORT"),
            ("pdoc -o docs mymodule", "pdoc", Some(8080), "pdoc -o docs mymodule --port 4001", "PORT"),
            (
                "esbuild --servedir=. --serve",
                "esbuild --serve",
                Some(8000),
                "esbuild --servedir=. --serve --serve=4001",
                "PORT",
            ),
            (
                "esbuild app.js --serve=8100",
                "esbuild --serve",
                Some(8100),
                "esbuild app.js --serve=4001",
                "PORT",
            ),
            ("esbuild app.js --bundle", "-", None, "esbuild app.js --bundle", "PORT"),
            ("ws", "local-web-server", Some(8000), "ws --port 4001", "PORT"),
            ("ws -d public -p 8200", "local-web-server", Some(8200), "ws -d public -p 4001", "PORT"),
            ("wds --root-dir .", "Web Dev Server", Some(8000), "wds --root-dir . --port 4001", "PORT"),
            ("sirv public", "sirv", Some(8080), "sirv public --port 4001", "PORT"),
            (
                "five-server --open=false",
                "Five Server",
                Some(5500),
                "five-server --open=false --port=4001",
                "PORT",
            ),
            ("thin start", "Thin", Some(3000), "thin start --port 4001", "PORT"),
            (
                "thin start -R config.ru -p 3100",
                "Thin",
                Some(3100),
                "thin start -R config.ru -p 4001",
                "PORT",
            ),
            ("thin stop", "-", None, "thin stop", "PORT"),
            ("plackup app.psgi", "plackup", Some(5000), "plackup app.psgi --port 4001", "PORT"),
            (
                "plackup --listen :5100 app.psgi",
                "plackup",
                Some(5100),
                "plackup --listen :4001 app.psgi",
                "PORT",
            ),
            (
                "morbo app.pl",
                "Mojolicious morbo",
                Some(3000),
                "morbo app.pl --listen http://127.0.0.1:4001",
                "PORT",
            ),
            (
                "morbo -l http://*:3300 app.pl",
                "Mojolicious morbo",
                Some(3300),
                "morbo -l http://*:4001 app.pl",
                "PORT",
            ),
            // covered by existing rows: SvelteKit runs vite, Turbopack is next dev's flag, bun --hot
            ("vite dev --strictPort", "vite", Some(5173), "vite dev --strictPort --port 4001", "PORT"),
            ("next dev --turbopack", "Next.js", Some(3000), "next dev --turbopack -p 4001", "PORT"),
            ("bun --hot server.ts", "bun (a server file)", None, "bun --hot server.ts", "BUN_PORT"),
            // Node apps (Express, Fastify, …) read PORT: an unknown command, PORT carries the port
            ("node server.js", "-", None, "node server.js", "PORT"),
            ("nodemon app.js", "-", None, "nodemon app.js", "PORT"),
        ];
        for (argv, tool, wanted, relaunch, var) in cases {
            let plan = of(argv);
            assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
            let env = plan.env_for(p(4001));
            assert!(env.contains(&((*var).to_string(), "4001".to_string())), "{argv}: {env:?}");
            if let Some(w) = wanted {
                if !plan.port_in_args() {
                    assert_eq!(*plan.source(), Source::ToolDefault { tool: tool_name(tool) }, "{argv}");
                    assert_eq!(*w, plan.tool_row().unwrap().default_port.unwrap(), "{argv}");
                }
            }
        }
    }

    #[test]
    fn the_words_shown_are_the_commands_own_with_its_ports_filled_in() {
        // flags inserted before the script are not shown, and no word of the command is lost
        for (argv, shown) in [
            ("panel serve app.py", "panel serve app.py"),
            ("deno serve serve.ts", "deno serve serve.ts"),
            ("streamlit run app.py --server.headless true", "streamlit run app.py --server.headless true"),
            ("next start -p 3005", "next start -p 4001"),
            ("python3 -m http.server {port}", "python3 -m http.server 4001"),
        ] {
            assert_eq!(of(argv).words_for(p(4001)), sv(shown), "{argv}");
        }
    }

    fn tool_name(name: &str) -> &'static str {
        TOOLS.iter().find(|t| t.name == name).unwrap().name
    }

    /// The ways people start a tool.
    #[test]
    fn tools_are_found_behind_launchers() {
        let cases: &[(&str, &str, &str)] = &[
            ("./node_modules/.bin/vite", "vite", "./node_modules/.bin/vite --port 4001 --strictPort"),
            ("/usr/local/bin/vite.cmd", "vite", "/usr/local/bin/vite.cmd --port 4001 --strictPort"),
            ("npx vite", "vite", "npx vite --port 4001 --strictPort"),
            ("npx -y -p vite@5 vite --host", "vite", "npx -y -p vite@5 vite --host --port 4001 --strictPort"),
            ("npx --yes http-server", "http-server", "npx --yes http-server -p 4001"),
            ("npm exec -- vite", "vite", "npm exec -- vite --port 4001 --strictPort"),
            ("pnpm dlx serve", "serve", "pnpm dlx serve -l 4001 --no-port-switching"),
            ("pnpm exec next dev", "Next.js", "pnpm exec next dev -p 4001"),
            ("yarn dlx json-server db.json", "json-server", "yarn dlx json-server db.json --port 4001"),
            ("bunx vite", "vite", "bunx vite --port 4001 --strictPort"),
            ("bun x astro dev", "Astro", "bun x astro dev --port 4001"),
            // no package.json script of that name: the package's binary
            ("pnpm vite", "vite", "pnpm vite --port 4001 --strictPort"),
            ("yarn run vite", "vite", "yarn run vite --port 4001 --strictPort"),
            ("bundle exec rails s", "Rails", "bundle exec rails s -p 4001"),
            ("poetry run flask run", "Flask", "poetry run flask run --port 4001"),
            ("uv run uvicorn app:app", "uvicorn", "uv run uvicorn app:app --port 4001"),
            (
                "pipenv run python manage.py runserver",
                "Django runserver",
                "pipenv run python manage.py runserver 4001",
            ),
            (
                "env NODE_ENV=development vite",
                "vite",
                "env NODE_ENV=development vite --port 4001 --strictPort",
            ),
            ("cross-env NODE_ENV=dev next dev", "Next.js", "cross-env NODE_ENV=dev next dev -p 4001"),
            ("python3.12 -u -m http.server", "python -m http.server", "python3.12 -u -m http.server 4001"),
            ("py -m flask run", "Flask", "py -m flask run --port 4001"),
            (
                "node node_modules/vite/bin/vite.js",
                "vite",
                "node node_modules/vite/bin/vite.js --port 4001 --strictPort",
            ),
            (
                "node --inspect node_modules/.bin/next dev",
                "Next.js",
                "node --inspect node_modules/.bin/next dev -p 4001",
            ),
            ("ruby bin/rails server", "Rails", "ruby bin/rails server -p 4001"),
            // not a tool: code on the command line
            ("python -c print(1)", "-", "python -c print(1)"),
            ("node -e 1", "-", "node -e 1"),
        ];
        for (argv, tool, relaunch) in cases {
            let plan = of(argv);
            assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
        }
    }

    const VITE_APP: &str = r#"{
        "name": "app",
        "scripts": {
            "dev": "vite",
            "dev:host": "vite --host 0.0.0.0",
            "dev:fixed": "vite --port 3000",
            "dev:strict": "vite --strictPort",
            "preview": "vite build && vite preview",
            "next": "cross-env PORT=4000 next dev",
            "next:plain": "NODE_ENV=development next dev",
            "start": "react-scripts start",
            "test": "vitest",
            "both": "concurrently \"vite\" \"node api.js\"",
            "api": "node server.js --port 7000",
            "py": "python3 -m http.server",
            "py:fixed": "python3 -m http.server 8100",
            "quoted": "vite --host '127.0.0.1'",
            "static": "serve dist",
            "static:fixed": "serve -l 3000 dist"
        }
    }"#;

    /// package.json scripts: command → tool → wanted (and where from) → relaunch on 4001.
    #[test]
    fn package_json_scripts_are_resolved() {
        let script = |name: &str| Source::Script { name: name.into() };
        let default = |tool: &'static str| Source::ToolDefault { tool };
        let cases: &[(&str, &str, Option<u16>, Source, &str)] = &[
            ("npm run dev", "vite", Some(5173), default("vite"), "npm run dev -- --port 4001 --strictPort"),
            (
                "npm run-script dev",
                "vite",
                Some(5173),
                default("vite"),
                "npm run-script dev -- --port 4001 --strictPort",
            ),
            (
                "npm --silent run dev",
                "vite",
                Some(5173),
                default("vite"),
                "npm --silent run dev -- --port 4001 --strictPort",
            ),
            ("pnpm run dev", "vite", Some(5173), default("vite"), "pnpm run dev --port 4001 --strictPort"),
            ("pnpm dev", "vite", Some(5173), default("vite"), "pnpm dev --port 4001 --strictPort"),
            ("yarn dev", "vite", Some(5173), default("vite"), "yarn dev --port 4001 --strictPort"),
            ("yarn run dev", "vite", Some(5173), default("vite"), "yarn run dev --port 4001 --strictPort"),
            ("bun run dev", "vite", Some(5173), default("vite"), "bun run dev --port 4001 --strictPort"),
            ("bun dev", "vite", Some(5173), default("vite"), "bun dev --port 4001 --strictPort"),
            (
                "npm run dev:host",
                "vite",
                Some(5173),
                default("vite"),
                "npm run dev:host -- --port 4001 --strictPort",
            ),
            (
                "npm run quoted",
                "vite",
                Some(5173),
                default("vite"),
                "npm run quoted -- --port 4001 --strictPort",
            ),
            // the user's own `--` is reused; their port is rewritten where they wrote it
            (
                "npm run dev -- --open",
                "vite",
                Some(5173),
                default("vite"),
                "npm run dev -- --open --port 4001 --strictPort",
            ),
            (
                "npm run dev -- --port 3001",
                "vite",
                Some(3001),
                Source::Arg { index: 5, form: ArgForm::FlagValue },
                "npm run dev -- --port 4001 --strictPort",
            ),
            (
                "pnpm dev --port 3001",
                "vite",
                Some(3001),
                Source::Arg { index: 3, form: ArgForm::FlagValue },
                "pnpm dev --port 4001 --strictPort",
            ),
            // a port written in the script: appended flags come last, and the last --port wins
            (
                "npm run dev:fixed",
                "vite",
                Some(3000),
                script("dev:fixed"),
                "npm run dev:fixed -- --port 4001 --strictPort",
            ),
            ("npm run dev:strict", "vite", Some(5173), default("vite"), "npm run dev:strict -- --port 4001"),
            // arguments land on the script's last command
            (
                "npm run preview",
                "vite preview",
                Some(4173),
                default("vite preview"),
                "npm run preview -- --port 4001 --strictPort",
            ),
            ("npm run next", "Next.js", Some(4000), script("next"), "npm run next -- -p 4001"),
            ("yarn next:plain", "Next.js", Some(3000), default("Next.js"), "yarn next:plain -p 4001"),
            ("npm start", "create-react-app", Some(3000), default("create-react-app"), "npm start"),
            ("yarn start", "create-react-app", Some(3000), default("create-react-app"), "yarn start"),
            (
                "npm run py",
                "python -m http.server",
                Some(8000),
                default("python -m http.server"),
                "npm run py -- 4001",
            ),
            // the script already gives the positional port: nothing can be appended
            ("npm run py:fixed", "python -m http.server", Some(8100), script("py:fixed"), "npm run py:fixed"),
            (
                "npm run static",
                "serve",
                Some(3000),
                default("serve"),
                "npm run static -- -l 4001 --no-port-switching",
            ),
            // serve listens on every -l: a second one would not replace the script's
            (
                "npm run static:fixed",
                "serve",
                Some(3000),
                script("static:fixed"),
                "npm run static:fixed -- --no-port-switching",
            ),
            // not a known tool: PORT only, a port in the script is still the wanted one
            ("npm test", "-", None, Source::Unknown, "npm test"),
            ("npm run both", "-", None, Source::Unknown, "npm run both"),
            ("npm run api", "-", Some(7000), script("api"), "npm run api"),
            // no such script, another package: as an unknown command
            ("npm run nothing", "-", None, Source::Unknown, "npm run nothing"),
            ("npm -w web run dev", "-", None, Source::Unknown, "npm -w web run dev"),
            ("pnpm --filter web dev", "-", None, Source::Unknown, "pnpm --filter web dev"),
            ("npm install", "-", None, Source::Unknown, "npm install"),
        ];
        for (argv, tool, wanted, source, relaunch) in cases {
            let plan = in_package(VITE_APP, argv);
            assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
            assert_eq!(plan.source(), source, "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
        }
        let plan = in_package(VITE_APP, "npm run dev:host");
        let script = plan.script().unwrap();
        assert_eq!(
            (script.manager, script.name.as_str(), script.command.as_str()),
            (PackageManager::Npm, "dev:host", "vite --host 0.0.0.0")
        );
    }

    /// A script (or a shell string in the command) that already passes the port on through a
    /// variable portfix sets: the port goes in that variable only, nothing is appended or
    /// rewritten. Script → command → `--env` names → wanted port → relaunch on 4001.
    #[test]
    fn a_script_that_passes_the_port_by_variable_gets_it_there_only() {
        // script, command, --env names, wanted port, relaunch on 4001
        type Case<'a> = (&'a str, &'a str, &'a [&'a str], Option<u16>, &'a str);
        let cases: &[Case<'_>] = &[
            ("python3 -m http.server $PORT --bind 127.0.0.1", "npm start", &[], Some(8000), "npm start"),
            ("python3 -m http.server ${PORT} --bind 127.0.0.1", "npm start", &[], Some(8000), "npm start"),
            ("python3 -m http.server \"$PORT\"", "pnpm start", &[], Some(8000), "pnpm start"),
            ("http-server -p %PORT%", "npm start", &[], Some(8080), "npm start"),
            ("http-server -p $env:PORT", "yarn start", &[], Some(8080), "yarn start"),
            ("next start -p $PORT", "npm start", &[], Some(3000), "npm start"),
            ("vite --port $PORT", "npm start", &[], Some(5173), "npm start"),
            ("vite --port=$PORT --host", "npm start", &[], Some(5173), "npm start"),
            ("vite build && vite preview --port $PORT", "npm start", &[], Some(4173), "npm start"),
            // a default written in the reference is the wanted port when the variable is unset
            ("python3 -m http.server ${PORT:-8100}", "npm start", &[], Some(8100), "npm start"),
            ("vite --port ${PORT-5300}", "npm start", &[], Some(5300), "npm start"),
            // the same for any variable portfix sets: --env names and the tool's own
            ("python3 -m http.server $APP_PORT", "npm start", &["APP_PORT"], Some(8000), "npm start"),
            ("flask run --port $FLASK_RUN_PORT", "npm start", &[], Some(5000), "npm start"),
            // not a reference to a variable portfix sets: the port is appended as before
            ("python3 -m http.server $PORTAL", "npm start", &[], Some(8000), "npm start -- 4001"),
            ("python3 -m http.server $PORT", "npm start", &["APP_PORT"], Some(8000), "npm start -- 4001"),
            ("vite --port '$HOST'", "npm start", &[], Some(5173), "npm start -- --port 4001 --strictPort"),
        ];
        for (script, argv, names, wanted, relaunch) in cases {
            let json = serde_json::json!({ "scripts": { "start": script } }).to_string();
            let argv_v = sv(argv);
            let names: Vec<String> = names.iter().map(|s| (*s).to_string()).collect();
            let req = Request { argv: &argv_v, port: None, env_names: &names, tools: TOOLS };
            let plan = Plan::with_files(req, |_| None, &|path: &Path| {
                (path == Path::new("package.json")).then(|| json.clone())
            });
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{script}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{script}");
        }
        // a shell string in the command itself: the same rule
        let cases: &[(&[&str], Option<u16>)] = &[
            (&["sh", "-c", "python3 -m http.server $PORT"], None),
            (&["sh", "-c", "exec python3 -m http.server ${PORT:-8200}"], Some(8200)),
            (&["bash", "-c", "vite --port \"${PORT}\""], None),
        ];
        for (argv, wanted) in cases {
            let argv: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
            let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
            let plan = Plan::new(req, |_| None);
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv:?}");
            assert_eq!(plan.argv_for(p(4001)), argv, "{argv:?}");
        }
        // a variable that is set wins over the default written after it, as in the shell
        let json = r#"{"scripts":{"start":"python3 -m http.server ${PORT:-8100}"}}"#;
        let argv = sv("npm start");
        let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
        let plan = Plan::with_files(req, |n| (n == "PORT").then(|| "9000".to_string()), &|path: &Path| {
            (path == Path::new("package.json")).then(|| json.to_string())
        });
        assert_eq!(plan.wanted().map(Port::get), Some(9000));
    }

    #[test]
    fn a_port_written_in_the_command_and_replaced_by_dash_p_is_known() {
        assert_eq!(
            plan_with("next start -p 3005", Some(3001), &[], &[]).overridden(),
            Some((p(3005), p(3001)))
        );
        assert_eq!(plan_with("next start -p 3001", Some(3001), &[], &[]).overridden(), None);
        assert_eq!(plan_with("next start", Some(3001), &[], &[]).overridden(), None);
        assert_eq!(of("next start -p 3005").overridden(), None);
    }

    #[test]
    fn package_json_is_looked_for_upward_and_bad_files_are_ignored() {
        let argv = sv("npm run dev");
        let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
        let asked = std::cell::RefCell::new(Vec::new());
        let plan = Plan::with_files(req, |_| None, &|path: &Path| {
            asked.borrow_mut().push(path.to_path_buf());
            (path == Path::new("../../package.json")).then(|| VITE_APP.to_string())
        });
        assert_eq!(plan.tool(), Some("vite"));
        assert_eq!(
            *asked.borrow(),
            ["package.json", "../package.json", "../../package.json"].map(PathBuf::from)
        );
        for json in
            ["", "{", "[]", r#"{"scripts": {"dev": 1}}"#, r#"{"scripts": "vite"}"#, r#"{"name": "x"}"#]
        {
            let plan = in_package(json, "npm run dev");
            assert_eq!((plan.tool(), plan.wanted()), (None, None), "{json}");
            assert_eq!(plan.argv_for(p(4001)), sv("npm run dev"), "{json}");
        }
        // no file at all: nothing read past the bound
        let count = std::cell::Cell::new(0);
        let plan = Plan::with_files(req, |_| None, &|_: &Path| {
            count.set(count.get() + 1);
            None
        });
        assert_eq!((plan.tool(), count.get()), (None, PACKAGE_JSON_LEVELS));
    }

    #[test]
    fn script_lines_split_like_a_shell() {
        let cases: &[(&str, &[&str])] = &[
            ("vite", &["vite"]),
            ("tsc && vite --host", &["vite", "--host"]),
            ("vite build; vite preview", &["vite", "preview"]),
            ("a || b", &["b"]),
            ("run-p a b | tee log", &["tee", "log"]),
            ("node api.js & vite", &["vite"]),
            (r#"cross-env PORT=4000 "next" dev"#, &["cross-env", "PORT=4000", "next", "dev"]),
            (r#"echo 'a && b' "c \"d\"" e\ f"#, &["echo", "a && b", "c \"d\"", "e f"]),
            ("vite &&", &["vite"]),
        ];
        for (line, words) in cases {
            assert_eq!(last_command(line).unwrap(), *words, "{line}");
        }
        assert_eq!(last_command("  "), None);
    }

    #[test]
    fn sources_in_order() {
        let arg = Source::Arg { index: 2, form: ArgForm::FlagValue };
        assert_eq!(*plan_with("vite --port 3000", Some(5000), &[], &[]).source(), Source::Flag);
        assert_eq!(plan_with("vite --port 3000", Some(5000), &[], &[]).wanted(), Some(p(5000)));
        assert_eq!(*plan_with("vite --port 3000", None, &[], &[("PORT", "9")]).source(), arg);
        let envd = plan_with("node app.js", None, &[], &[("PORT", "3005")]);
        assert_eq!(
            (envd.wanted(), envd.source().clone()),
            (Some(p(3005)), Source::Env { name: "PORT".into() })
        );
        // the first --env name is the one read
        let vite =
            plan_with("node app.js", None, &["VITE_PORT", "PORT"], &[("PORT", "1"), ("VITE_PORT", "5174")]);
        assert_eq!(vite.wanted(), Some(p(5174)));
        // then the tool's own variables, then its default
        let flask = plan_with("flask run", None, &[], &[("FLASK_RUN_PORT", "5050")]);
        assert_eq!(*flask.source(), Source::Env { name: "FLASK_RUN_PORT".into() });
        assert_eq!(flask.wanted(), Some(p(5050)));
        let http = of("python3 -m http.server");
        assert_eq!(
            (http.wanted(), http.source().clone()),
            (Some(p(8000)), Source::ToolDefault { tool: "python -m http.server" })
        );
        let unknown = of("node app.js");
        assert_eq!((unknown.wanted(), unknown.source().clone()), (None, Source::Unknown));
    }

    #[test]
    fn a_bad_environment_value_is_ignored_and_said() {
        let plan = plan_with("node app.js", None, &[], &[("PORT", "abc")]);
        assert_eq!(plan.wanted(), None);
        assert_eq!(plan.ignored_env, Some(("PORT".into(), "abc".into())));
    }

    #[test]
    fn placeholders_are_replaced_everywhere() {
        let plan = of("python3 -m http.server {port} --bind 127.0.0.1");
        assert!(plan.has_placeholder());
        // the tool's default is still the wanted port; the placeholder is not a second positional
        assert_eq!(plan.wanted(), Some(p(8000)));
        assert_eq!(plan.argv_for(p(4001)), sv("python3 -m http.server 4001 --bind 127.0.0.1"));
        let plan =
            plan_with("node app.js --listen=127.0.0.1:{port} --url=http://localhost:{port}/", None, &[], &[]);
        assert_eq!(plan.wanted(), None);
        assert_eq!(
            plan.argv_for(p(4001)),
            sv("node app.js --listen=127.0.0.1:4001 --url=http://localhost:4001/")
        );
        // `--port {port}`: no second --port added, no port grabbed; the strict flag still goes in
        let plan = of("vite --port {port}");
        assert_eq!(
            (plan.wanted(), plan.argv_for(p(4001))),
            (Some(p(5173)), sv("vite --port 4001 --strictPort"))
        );
    }

    #[test]
    fn a_tool_positional_port_is_read_rewritten_or_added() {
        let plan = of("python3 -m http.server 9000 --bind 127.0.0.1");
        assert_eq!(*plan.source(), Source::Arg { index: 3, form: ArgForm::Positional });
        assert_eq!(plan.argv_for(p(4001)), sv("python3 -m http.server 4001 --bind 127.0.0.1"));
        // the value of --bind and -d are not the positional port
        let plan = of("python -m http.server --bind 127.0.0.1 -d /srv 9000");
        assert_eq!(plan.wanted(), Some(p(9000)));
        assert_eq!(plan.argv_for(p(4001)), sv("python -m http.server --bind 127.0.0.1 -d /srv 4001"));
        // -p is http.server's --protocol, not a port
        let plan = of("/usr/bin/python3.11 -m http.server -p 8080");
        assert_eq!(*plan.source(), Source::ToolDefault { tool: "python -m http.server" });
        assert_eq!(plan.argv_for(p(4001)), sv("/usr/bin/python3.11 -m http.server -p 8080 4001"));
    }

    #[test]
    fn env_carries_the_port_in_every_name() {
        assert_eq!(of("node app.js").env_for(p(4001)), [("PORT".to_string(), "4001".to_string())]);
        let plan = plan_with("node app.js", None, &["VITE_PORT", "PORT", "VITE_PORT"], &[]);
        assert_eq!(
            plan.env_for(p(4001)),
            [("VITE_PORT".to_string(), "4001".to_string()), ("PORT".to_string(), "4001".to_string())]
        );
        let nuxt: Vec<String> = of("nuxi dev").env_for(p(4001)).into_iter().map(|(n, _)| n).collect();
        assert_eq!(nuxt, ["PORT", "NUXT_PORT", "NITRO_PORT"]);
    }

    #[test]
    fn tool_rows_are_data_injection_and_strict_flags() {
        static ROWS: &[Tool] = &[Tool {
            name: "devsrv",
            program: &["devsrv"],
            subcommand: &[],
            other_commands: &[],
            needs: &[],
            default_port: Some(5173),
            env: &["DEVSRV_PORT"],
            flags: &["--port"],
            bind_flags: &[],
            value_flags: &["--host", "--mode", "-m"],
            positional: false,
            inject: Inject::Flag("--port"),
            strict: &["--strict"],
            last_port_wins: true,
            on_taken: OnTaken::Moves,
            flags_first: false,
            source: "test row",
        }];
        let argv = sv("./node_modules/.bin/devsrv --host 127.0.0.1");
        let req = Request { argv: &argv, port: None, env_names: &[], tools: ROWS };
        let plan = Plan::new(req, |_| None);
        assert_eq!((plan.tool(), plan.wanted()), (Some("devsrv"), Some(p(5173))));
        assert_eq!(
            plan.argv_for(p(5174)),
            sv("./node_modules/.bin/devsrv --host 127.0.0.1 --port 5174 --strict")
        );
        assert_eq!(
            plan.env_for(p(5174)),
            [("PORT".to_string(), "5174".to_string()), ("DEVSRV_PORT".to_string(), "5174".to_string())]
        );
        // the tool's variable is a source too, after the --env name
        let plan = Plan::new(req, |n| (n == "DEVSRV_PORT").then(|| "5200".to_string()));
        assert_eq!(*plan.source(), Source::Env { name: "DEVSRV_PORT".into() });
        // its strict flag is not added twice
        let argv = sv("devsrv --strict --port 3000");
        let plan = Plan::new(Request { argv: &argv, ..req }, |_| None);
        assert_eq!(plan.argv_for(p(3001)), sv("devsrv --strict --port 3001"));
        // a table without the row: an unknown command
        let plan = Plan::new(Request { tools: &[], ..req }, |_| None);
        assert_eq!((plan.tool(), plan.wanted()), (None, None));
    }

    /// A debugger around the command (`python -m debugpy --listen 5678 …`, `node
    /// --inspect-port 9230 …`) is not the server: its port is not the wanted one
    /// (`core::secondary` moves it), and the program behind it is the tool.
    #[test]
    fn debuggers_are_looked_through() {
        let cases: &[(&str, Option<&str>, Option<u16>, &str)] = &[
            (
                "python -m debugpy --listen 5678 manage.py runserver",
                Some("Django runserver"),
                Some(8000),
                "python -m debugpy --listen 5678 manage.py runserver 4001",
            ),
            (
                "python3 -m debugpy --wait-for-client --listen 0.0.0.0:5678 -m flask run",
                Some("Flask"),
                Some(5000),
                "python3 -m debugpy --wait-for-client --listen 0.0.0.0:5678 -m flask run --port 4001",
            ),
            (
                "python3 -m debugpy --listen=5678 -m http.server 8001",
                Some("python -m http.server"),
                Some(8001),
                "python3 -m debugpy --listen=5678 -m http.server 4001",
            ),
            (
                "python3 -m debugpy --listen 5678 --pid 123",
                None,
                None,
                "python3 -m debugpy --listen 5678 --pid 123",
            ),
            ("node --inspect-port 9230 server.js", None, None, "node --inspect-port 9230 server.js"),
            (
                "node --inspect=9230 node_modules/vite/bin/vite.js",
                Some("vite"),
                Some(5173),
                "node --inspect=9230 node_modules/vite/bin/vite.js --port 4001 --strictPort",
            ),
        ];
        for (argv, tool, wanted, relaunch) in cases {
            let plan = of(argv);
            assert_eq!((plan.tool(), plan.wanted().map(Port::get)), (*tool, *wanted), "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
        }
    }

    #[test]
    fn run_names() {
        for (argv, name) in [
            ("npm run dev", Some("dev")),
            ("npm start", Some("start")),
            ("pnpm dev", Some("dev")),
            ("yarn run web -- --port 3000", Some("web")),
            ("npx vite", Some("vite")),
            ("./node_modules/.bin/vite --port 3000", Some("vite")),
            ("python3 -m http.server", Some("http.server")),
            ("python manage.py runserver", Some("manage.py")),
            ("node server.js", Some("server")),
            ("env PORT=1 cargo run", Some("cargo")),
            ("python -m debugpy --listen 5678 -m flask run", Some("flask")),
        ] {
            assert_eq!(run_name(&sv(argv)).as_deref(), name, "{argv}");
        }
    }
}
