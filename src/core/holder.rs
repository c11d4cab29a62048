//! What a holder's process details mean, and how to show them. Pure: it reads `ProcessInfo`
//! values that `os::process` filled in.
//!
//! Every function here takes a **chain**: the holder first, then its parents, nearest first —
//! what `os::process::chain(pid, max)` returns.
//!
//! - [`supervisor`]: what would start the holder again if it were stopped (nodemon, pm2, a shell
//!   loop, a systemd service, a container…) and how to stop *that*.
//! - [`dev_command_root`]: for a dev command run through a package manager (`npm start` → `sh -c`
//!   → `node`), the package manager's process: the top of that run.
//! - [`same_run`] / [`earlier_run`]: is this an earlier run of the command the wrapper is about
//!   to start, in the same directory?
//! - [`HolderView`]: one holder for people (`lines`) and for `--json` (serde).
//!
//! How the chain is read. Walking up from the holder, some parents only pass a command on:
//! a shell running `-c` without a loop (npm's script shell), a package manager, an interpreter
//! (a dev server's parent process, such as `next dev` or vite's), `cargo run`, `go run`. The walk
//! goes through those; the first other process ends it — if it is a supervisor, that is the
//! answer, if not (an interactive shell, a terminal, a test harness, an IDE), nothing restarts
//! the holder. Stopping there keeps a build script or a login shell far up the tree from being
//! blamed.

use std::path::Path;

use serde::Serialize;

use crate::core::process::ProcessInfo;
use crate::core::render::{self, Paint};

/// What kind of thing would restart a holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SupervisorKind {
    Nodemon,
    Pm2,
    Forever,
    Supervisord,
    /// A file watcher that restarts on change: watchexec, cargo-watch, air, entr, reflex,
    /// `node --watch`, `tsx watch`, `bun --watch`, `deno --watch`, ts-node-dev.
    Watcher,
    /// `sh -c 'while …; do …; done'` (or `until`/`for`).
    ShellLoop,
    /// A shell script (not interactive) that started it: it may or may not start it again.
    ShellScript,
    /// A systemd service (system or `--user`).
    Systemd,
    /// The holder is docker-proxy: a container publishes the port.
    DockerProxy,
    /// The holder runs inside a container (Docker or Podman scope).
    Container,
    /// Windows: wslrelay.exe forwards a WSL distribution's server (`core::platform`).
    WslRelay,
    /// Windows, macOS: Docker Desktop (com.docker.backend, vpnkit) publishes a container's port.
    DockerDesktop,
    /// Windows: System, pid 4 (http.sys, for a service that registered a URL).
    HttpSys,
    /// macOS: the AirPlay Receiver (ControlCenter) on 5000 and 7000.
    AirPlayReceiver,
    /// macOS: rapportd (Continuity, Handoff).
    Rapportd,
}

/// What would restart a holder, and how to stop it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Supervisor {
    pub kind: SupervisorKind,
    /// The supervising process, when it is one (not for a systemd unit or a container).
    pub pid: Option<u32>,
    /// One sentence for people: "nodemon (pid 4560) starts it again when files change".
    /// Unescaped: pass it through `render::escape` before printing.
    pub note: String,
    /// Whether it surely restarts the holder. `false` for a shell script (it may just run the
    /// server once) and for systemd (only with a `Restart=` setting).
    pub certain: bool,
    /// How to stop it for good: `kill 4560`, `systemctl stop nginx.service`,
    /// `pm2 stop <name> (see pm2 list)`. Unescaped, like `note`.
    pub stop: String,
}

/// What would start the holder (`chain[0]`) again if it were stopped: the nearest supervising
/// parent (see the module docs for how far the walk goes), else the systemd service or the
/// container that `unit` names (normally `chain[0].systemd_unit`; a user unit when
/// `chain[0].systemd_user` is set). Login sessions' and terminals' scopes restart nothing and
/// give `None`. A holder that is itself docker-proxy gives [`SupervisorKind::DockerProxy`].
pub fn supervisor(chain: &[ProcessInfo], unit: Option<&str>) -> Option<Supervisor> {
    let holder = chain.first();
    if let Some(h) = holder {
        if let Some(s) = docker_proxy(h) {
            return Some(s);
        }
        if let Some(s) = crate::core::platform::known_holder(crate::core::platform::Os::CURRENT, h, None) {
            return Some(s);
        }
    }
    for p in chain.iter().skip(1) {
        if let Some(s) = supervising_process(p) {
            return Some(s);
        }
        if !passes_through(p) {
            break;
        }
    }
    unit_supervisor(unit?, holder.and_then(|h| h.systemd_user))
}

/// The top of an earlier run of a dev command: the package manager (npm, npx, pnpm, yarn, bun)
/// process highest in the chain that is linked to the holder only through pass-through
/// processes (`sh -c`, interpreters, other package managers). `None` when the holder was not
/// started through a package manager. May be the holder itself (`bun run server.ts`).
///
/// For the stopping engine: stop the run as a whole. Signal its process group only when the
/// root leads it (`root.pgid == Some(root.pid)`, as under a shell with job control or a
/// wrapper that made a group); otherwise the group is the caller's, so signal the root and its
/// descendants one by one.
pub fn dev_command_root(chain: &[ProcessInfo]) -> Option<&ProcessInfo> {
    let mut root = None;
    for (i, p) in chain.iter().enumerate() {
        let prog = program(&p.cmdline);
        if RUNNERS.contains(&prog.name.as_str()) {
            root = Some(p);
        } else if i > 0 && !passes_through(p) {
            break;
        }
    }
    root
}

/// Whether command line `a` run in `a_cwd` is the same command as `b` in `b_cwd`: "an earlier
/// run of this same command in the same directory". Programs are compared by file name
/// (`npm` = `/usr/bin/npm` = `node /usr/lib/node_modules/npm/bin/npm-cli.js`), a rewritten
/// process title (`npm start` in one argument) is split into words, and a package manager's
/// `run`/`run-script` is dropped (`npm start` = `npm run start`, `yarn dev` = `yarn run dev`).
/// Other programs' arguments must be equal; a package manager's run is compared by
/// runner and script name only (npm shows nothing more). An unknown directory (`None`) never matches. Directories
/// are compared as given: canonicalise them first where symlinks may differ.
pub fn same_run(
    a_cmdline: &[String],
    a_cwd: Option<&Path>,
    b_cmdline: &[String],
    b_cwd: Option<&Path>,
) -> bool {
    let (Some(a_cwd), Some(b_cwd)) = (a_cwd, b_cwd) else { return false };
    let a = normalised(a_cmdline);
    !a.is_empty() && a == normalised(b_cmdline) && a_cwd == b_cwd
}

/// The process in a holder's chain that is an earlier run of `cmdline` in `cwd` (see
/// [`same_run`]), nearest to the holder first. The wrapper asks this before starting `cmdline`.
pub fn earlier_run<'a>(chain: &'a [ProcessInfo], cmdline: &[String], cwd: &Path) -> Option<&'a ProcessInfo> {
    chain.iter().find(|p| same_run(cmdline, Some(cwd), &p.cmdline, p.cwd.as_deref()))
}

/// One holder, for people ([`HolderView::lines`]) and for `--json` (serde). Paths are text
/// (lossy for non-UTF-8); command lines are raw here (JSON escapes them) and escaped in `lines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolderView {
    pub pid: u32,
    pub name: String,
    pub command: Vec<String>,
    pub exe: Option<String>,
    pub cwd: Option<String>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// Seconds since the Unix epoch.
    pub start_time: Option<u64>,
    pub age_secs: Option<u64>,
    pub kernel_thread: bool,
    pub systemd_unit: Option<String>,
    /// Nearest first.
    pub parents: Vec<ParentView>,
    pub supervisor: Option<Supervisor>,
    /// The package manager process at the top of this dev command's run, if any.
    pub run_root: Option<u32>,
    /// An earlier run of the command the wrapper is about to start, in the same directory.
    pub earlier_run: bool,
    /// Suspended (stopped, Ctrl-Z): it holds the port but answers nothing until resumed.
    pub suspended: bool,
    /// Its controlling terminal (`/dev/pts/3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<String>,
    /// The init of a pid namespace nested below portfix's (a container's init).
    pub namespace_init: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentView {
    pub pid: u32,
    pub name: String,
    pub command: Vec<String>,
}

/// How a suspended process is named: "suspended (stopped, Ctrl-Z)", and in which terminal.
pub fn suspended_text(tty: Option<&str>) -> String {
    match tty {
        Some(t) => format!("suspended (stopped, Ctrl-Z) in terminal {}", render::escape(t)),
        None => "suspended (stopped, Ctrl-Z)".to_string(),
    }
}

/// How many parents `lines` names before eliding the rest.
const PARENTS_SHOWN: usize = 4;

impl HolderView {
    /// "suspended (stopped, Ctrl-Z) in terminal /dev/pts/3".
    pub fn suspended_text(&self) -> String {
        suspended_text(self.tty.as_deref())
    }

    /// The view of `chain[0]` with its parents; `now` is seconds since the epoch (for the age),
    /// `earlier_run` what [`earlier_run`] said (only the wrapper knows the command to compare).
    /// `None` for an empty chain.
    pub fn from_chain(chain: &[ProcessInfo], now: u64, earlier_run: bool) -> Option<HolderView> {
        let (h, parents) = chain.split_first()?;
        let text = |p: &Path| p.to_string_lossy().into_owned();
        Some(HolderView {
            pid: h.pid,
            name: h.name.clone(),
            command: h.cmdline.clone(),
            exe: h.exe.as_deref().map(text),
            cwd: h.cwd.as_deref().map(text),
            uid: h.uid,
            user: h.user.clone(),
            start_time: h.start_time,
            age_secs: h.start_time.map(|t| now.saturating_sub(t)),
            kernel_thread: h.kernel_thread,
            systemd_unit: h.systemd_unit.clone(),
            parents: parents
                .iter()
                .map(|p| ParentView { pid: p.pid, name: p.name.clone(), command: p.cmdline.clone() })
                .collect(),
            supervisor: supervisor(chain, h.systemd_unit.as_deref()),
            run_root: dev_command_root(chain).map(|p| p.pid).filter(|&p| p != h.pid),
            earlier_run,
            suspended: h.suspended,
            tty: h.tty.clone(),
            namespace_init: h.namespace_init,
        })
    }

    /// Lines for people: a header (pid, name, markers) and indented details. Everything another
    /// process wrote (names, command lines, directories) is escaped.
    pub fn lines(&self, paint: Paint) -> Vec<String> {
        let mut header =
            format!("{}  {}", paint.bold(&format!("pid {}", self.pid)), render::escape(&self.name));
        if self.kernel_thread {
            header.push_str(&format!("  {}", paint.dim("(kernel thread)")));
        }
        if self.earlier_run {
            header.push_str(&format!("  {}", paint.yellow("(an earlier run of this same command)")));
        }
        if self.namespace_init {
            header.push_str(&format!("  {}", paint.yellow("(the init of a pid namespace / container)")));
        }
        let mut out = vec![header];
        let mut row = |label: &str, value: String| {
            out.push(format!("  {}  {value}", paint.dim(&format!("{label:<7}"))));
        };

        row("command", self.command_text());
        if self.suspended {
            row("state", paint.yellow(&self.suspended_text()));
        }
        if !self.kernel_thread {
            row("cwd", self.cwd.as_deref().map_or_else(|| HIDDEN.to_string(), render::escape));
        }
        row("user", user_text(self.user.as_deref(), self.uid));
        if let Some(age) = self.age_secs {
            row("started", format!("{} ago", render::age(age)));
        }
        if !self.parents.is_empty() {
            let mut names: Vec<String> = self
                .parents
                .iter()
                .take(PARENTS_SHOWN)
                .map(|p| format!("{} ({})", render::escape(&p.name), p.pid))
                .collect();
            if self.parents.len() > PARENTS_SHOWN {
                names.push("…".to_string());
            }
            row("parents", names.join(" < "));
        }
        if let Some(s) = &self.supervisor {
            row("restart", render::escape(&s.note));
            row("", format!("to stop that: {}", paint.cyan(&render::escape(&s.stop))));
        }
        out
    }
}

/// What `lines` shows for a process whose details are hidden from this user.
const HIDDEN: &str = "(not visible to you; sudo shows more)";

impl HolderView {
    /// The command line for one line of text, escaped: `[name]` for a kernel thread, a
    /// rewritten process title (`npm start`, `nginx: master process …`) as written.
    pub fn command_text(&self) -> String {
        match self.command.as_slice() {
            [] if self.kernel_thread => format!("[{}]", render::escape(&self.name)),
            [] => HIDDEN.to_string(),
            [title] => render::escape(title),
            args => render::command_line(args),
        }
    }

    /// [`Self::lines`] with the command line cut to fit `width` characters (`None`: whole), as
    /// `who` shows it: a command line can be 20,000 characters long.
    pub fn lines_within(&self, paint: Paint, width: Option<usize>) -> Vec<String> {
        let mut lines = self.lines(paint);
        let Some(width) = width else { return lines };
        let whole = self.command_text();
        // The command row is "  command  VALUE": 11 characters before the value.
        let cut = render::shorten(&whole, Some(width.saturating_sub(11).max(10)));
        if cut != whole {
            if let Some(row) = lines.iter_mut().skip(1).find(|l| l.ends_with(&whole)) {
                let head = row.len() - whole.len();
                row.replace_range(head.., &cut);
            }
        }
        lines
    }
}

/// A user for people: `me (uid 1000)`, `uid 1000` when the name is unknown; escaped.
pub fn user_text(name: Option<&str>, uid: Option<u32>) -> String {
    match (name, uid) {
        (Some(name), Some(uid)) => format!("{} (uid {uid})", render::escape(name)),
        (Some(name), None) => render::escape(name),
        (None, Some(uid)) => format!("uid {uid}"),
        (None, None) => "unknown".to_string(),
    }
}

/// Package managers and script runners whose process is the top of a dev command's run.
const RUNNERS: &[&str] = &["npm", "npx", "pnpm", "pnpx", "yarn", "yarnpkg", "bun", "bunx", "corepack"];

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh", "mksh", "fish", "busybox"];

/// A program name from a path: the file name without a Windows executable suffix.
fn file_name(s: &str) -> &str {
    let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
    [".exe", ".EXE", ".cmd", ".CMD"].iter().find_map(|x| base.strip_suffix(x)).unwrap_or(base)
}

fn is_interpreter(name: &str) -> bool {
    matches!(name, "node" | "nodejs" | "ruby" | "perl") || name.starts_with("python")
}

/// The arguments as words: trailing empties dropped, and a rewritten process title (one
/// argument with spaces, such as npm's `npm start`) split on whitespace.
fn words(cmdline: &[String]) -> Vec<String> {
    let mut v = cmdline.to_vec();
    while v.last().is_some_and(String::is_empty) {
        v.pop();
    }
    if v.len() == 1 && v[0].contains(' ') {
        v = v[0].split_whitespace().map(String::from).collect();
    }
    v
}

/// The program a command line runs, seen through an interpreter: `node /usr/bin/npm start` and
/// `node …/npm/bin/npm-cli.js start` run `npm` with `start`; `python3 -m http.server` runs
/// `http.server`. `interpreter` keeps the interpreter's own options (`--watch`).
struct Program {
    name: String,
    args: Vec<String>,
    interpreter: Option<(String, Vec<String>)>,
    /// The interpreter runs a tool (a script without extension such as `/usr/bin/npm` or
    /// `node_modules/.bin/vite`, npm's `npm-cli.js`, or `python -m module`), not the user's own
    /// script: the tool is the program, whatever runs it.
    tool: bool,
}

fn program(cmdline: &[String]) -> Program {
    let w = words(cmdline);
    let Some((first, rest)) = w.split_first() else {
        return Program { name: String::new(), args: Vec::new(), interpreter: None, tool: false };
    };
    let name = file_name(first).trim_start_matches('-').to_string();
    if !is_interpreter(&name) {
        // a script run by its own name (`bottle.py app:app`, `./server.js`: its shebang) shows
        // as its interpreter running it
        let by_ext =
            [(".py", "python"), (".js", "node"), (".cjs", "node"), (".mjs", "node"), (".rb", "ruby")];
        if let Some((stem, family)) = by_ext.iter().find_map(|(x, f)| name.strip_suffix(x).map(|s| (s, f))) {
            let interpreter = Some(((*family).to_string(), Vec::new()));
            return Program { name: stem.to_string(), args: rest.to_vec(), interpreter, tool: false };
        }
        return Program { name, args: rest.to_vec(), interpreter: None, tool: false };
    }
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        if !a.starts_with('-') || a == "-" {
            let file = file_name(a);
            let stem =
                [".js", ".cjs", ".mjs", ".ts", ".py", ".rb", ".pl"].iter().find_map(|x| file.strip_suffix(x));
            let script = stem.unwrap_or(file);
            let script = script.strip_suffix("-cli").unwrap_or(script);
            let tool = stem.is_none() || RUNNERS.contains(&script);
            return Program {
                name: script.to_string(),
                args: rest[i + 1..].to_vec(),
                interpreter: Some((name, rest[..i].to_vec())),
                tool,
            };
        }
        if a == "-m" && name.starts_with("python") {
            let module = rest.get(i + 1).cloned().unwrap_or_default();
            return Program {
                name: module,
                args: rest.get(i + 2..).unwrap_or_default().to_vec(),
                interpreter: Some((name, rest[..i].to_vec())),
                tool: true,
            };
        }
        if matches!(a, "-e" | "--eval" | "-p" | "--print" | "-c") {
            break; // inline code: the interpreter is the program
        }
        let takes_value =
            matches!(a, "-r" | "--require" | "--import" | "--loader" | "--experimental-loader" | "-W" | "-X");
        i += if takes_value { 2 } else { 1 };
    }
    Program { name, args: rest.to_vec(), interpreter: None, tool: false }
}

/// A command line in the form [`same_run`] compares: a tool by its name (whatever runs it), a
/// script with its interpreter's family and options (`node server.js` is not `python
/// server.py`), a package manager by the script it runs (see [`runner_words`]).
fn normalised(cmdline: &[String]) -> Vec<String> {
    let p = program(cmdline);
    if p.name.is_empty() {
        return Vec::new();
    }
    if RUNNERS.contains(&p.name.as_str()) {
        return runner_words(&p.name, &p.args);
    }
    let (mut name, mut args) = (p.name, p.args);
    // `jupyter lab` execs `jupyter-lab` with the rest of its arguments
    if name == "jupyter" && args.first().is_some_and(|a| !a.starts_with('-')) {
        name = format!("jupyter-{}", args.remove(0));
    }
    let mut out = Vec::new();
    if let (Some((interp, opts)), false) = (&p.interpreter, p.tool) {
        let family = if interp.starts_with("python") { "python" } else { interp.trim_end_matches("js") };
        out.push(family.to_string());
        out.extend(opts.iter().cloned());
    }
    out.push(name);
    out.extend(args);
    out
}

/// A package manager's run, as far as its process shows it. npm rewrites its process title to
/// the command and script name only (`npm run dev -- --port 3000 --silent` shows as
/// `npm run dev`), so runs are compared by runner and script name, options and the arguments
/// passed on to the script ignored; `run`/`run-script` dropped (`npm start` = `npm run start`,
/// `yarn dev` = `yarn run dev`); `npx X` is `npm exec X` (as npm titles it).
fn runner_words(name: &str, args: &[String]) -> Vec<String> {
    let mut words: Vec<&str> =
        args.iter().map(String::as_str).take_while(|a| *a != "--").filter(|a| !a.starts_with('-')).collect();
    if words.first().is_some_and(|a| matches!(*a, "run" | "run-script" | "rum" | "urn")) {
        words.remove(0);
    }
    let name = if name == "npx" {
        words.insert(0, "exec");
        "npm"
    } else {
        name
    };
    let keep = if words.first() == Some(&"exec") { 2 } else { 1 };
    std::iter::once(name).chain(words.into_iter().take(keep)).map(String::from).collect()
}

enum ShellRole {
    Interactive,
    /// `-c SCRIPT`.
    Command(String),
    /// A script file.
    Script(String),
}

fn shell_role(cmdline: &[String]) -> Option<ShellRole> {
    let w = words(cmdline);
    let (first, rest) = w.split_first()?;
    let base = file_name(first);
    let name = base.trim_start_matches('-');
    if !SHELLS.contains(&name) {
        return None;
    }
    if base.starts_with('-') {
        return Some(ShellRole::Interactive); // a login shell
    }
    let mut dash_c = false;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        if a == "-o" || a == "+o" {
            i += 2;
            continue;
        }
        if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty() && !f.starts_with('-')) {
            dash_c |= flags.contains('c');
        } else if !a.starts_with("--") {
            return Some(if dash_c {
                ShellRole::Command(a.to_string())
            } else {
                ShellRole::Script(a.to_string())
            });
        }
        i += 1;
    }
    Some(ShellRole::Interactive)
}

/// Whether a shell script has a loop (`while`, `until` or `for` in command position, with
/// `do … done`).
fn has_loop(script: &str) -> bool {
    let mut words: Vec<(bool, String)> = Vec::new(); // (in command position, word)
    let mut current = String::new();
    let mut command_position = true;
    for c in script.chars().chain(std::iter::once('\n')) {
        if c.is_whitespace() || ";&|(){}".contains(c) {
            if !current.is_empty() {
                let word = std::mem::take(&mut current);
                let next_is_command = matches!(word.as_str(), "do" | "then" | "else" | "!" | "time");
                words.push((command_position, word));
                command_position = next_is_command;
            }
            if c == '\n' || ";&|(){}".contains(c) {
                command_position = true;
            }
        } else {
            current.push(c);
        }
    }
    let has = |w: &str| words.iter().any(|(_, x)| x == w);
    words.iter().any(|(cmd, w)| *cmd && matches!(w.as_str(), "while" | "until" | "for"))
        && has("do")
        && has("done")
}

/// A parent that only passes the command on (see the module docs).
fn passes_through(p: &ProcessInfo) -> bool {
    if let Some(role) = shell_role(&p.cmdline) {
        return matches!(role, ShellRole::Command(ref s) if !has_loop(s));
    }
    let prog = program(&p.cmdline);
    let first = prog.args.first().map(String::as_str);
    RUNNERS.contains(&prog.name.as_str())
        || prog.interpreter.is_some()
        || is_interpreter(&prog.name)
        || (matches!(prog.name.as_str(), "cargo" | "go") && first == Some("run"))
}

fn docker_proxy(h: &ProcessInfo) -> Option<Supervisor> {
    let prog = program(&h.cmdline);
    if h.name != "docker-proxy" && prog.name != "docker-proxy" {
        return None;
    }
    let arg = |flag: &str| {
        prog.args
            .iter()
            .position(|a| a == flag || a == &format!("-{flag}"))
            .and_then(|i| prog.args.get(i + 1))
            .cloned()
    };
    let port = arg("-host-port");
    let target = match (arg("-container-ip"), arg("-container-port")) {
        (Some(ip), Some(p)) => format!(" to {ip}:{p}"),
        _ => String::new(),
    };
    Some(Supervisor {
        kind: SupervisorKind::DockerProxy,
        pid: Some(h.pid),
        note: format!("a Docker container publishes this port (docker-proxy forwards it{target})"),
        certain: true,
        stop: match port {
            Some(port) => format!("docker ps --filter publish={port}, then docker stop <container>"),
            None => "docker ps, then docker stop <container>".to_string(),
        },
    })
}

/// Whether this parent process would restart its child.
fn supervising_process(p: &ProcessInfo) -> Option<Supervisor> {
    let pid = p.pid;
    let make = |kind, note: String, certain, stop: String| {
        Some(Supervisor { kind, pid: Some(pid), note, certain, stop })
    };
    // pid 1 (a container's init, or this system's) is never signalled by portfix: say what to stop
    let kill = if pid == 1 {
        "stop what runs pid 1 (its container, or the system's service manager); portfix never signals pid 1"
            .to_string()
    } else {
        format!("kill {pid}")
    };
    let raw = p.cmdline.join(" ");
    if raw.starts_with("PM2 ") && raw.contains("God Daemon") {
        return make(
            SupervisorKind::Pm2,
            format!("pm2 (its God Daemon, pid {pid}) starts it again"),
            true,
            "pm2 stop <name> (see pm2 list)".into(),
        );
    }
    if let Some(role) = shell_role(&p.cmdline) {
        return match role {
            ShellRole::Command(script) if has_loop(&script) => make(
                SupervisorKind::ShellLoop,
                format!("a shell loop (pid {pid}) starts it again"),
                true,
                kill,
            ),
            ShellRole::Script(script) => make(
                SupervisorKind::ShellScript,
                format!(
                    "the shell script {} (pid {pid}) started it and may start it again",
                    file_name(&script)
                ),
                false,
                kill,
            ),
            _ => None,
        };
    }
    let prog = program(&p.cmdline);
    let name = prog.name.as_str();
    let first = prog.args.first().map(String::as_str);
    let has = |flag: &str| prog.args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let interp_has = |flag: &str| {
        prog.interpreter
            .as_ref()
            .is_some_and(|(_, opts)| opts.iter().any(|a| a == flag || a.starts_with(&format!("{flag}="))))
    };
    match name {
        "nodemon" => make(
            SupervisorKind::Nodemon,
            format!("nodemon (pid {pid}) starts it again when files change"),
            true,
            kill,
        ),
        "forever" | "monitor" if name == "forever" || raw.contains("forever/bin/monitor") => make(
            SupervisorKind::Forever,
            format!("forever (pid {pid}) starts it again"),
            true,
            "forever stop <script> (see forever list)".into(),
        ),
        "supervisord" => make(
            SupervisorKind::Supervisord,
            format!("supervisord (pid {pid}) starts it again"),
            true,
            "supervisorctl stop <program> (see supervisorctl status)".into(),
        ),
        _ => {
            let tool = match name {
                "watchexec" | "cargo-watch" | "air" | "entr" | "reflex" | "ts-node-dev" | "tsnd"
                | "node-dev" => Some(name.to_string()),
                "cargo" if first == Some("watch") => Some("cargo watch".into()),
                "tsx" if first == Some("watch") => Some("tsx watch".into()),
                "bun" | "deno" if has("--watch") || has("--hot") => Some(format!("{name} --watch")),
                _ if interp_has("--watch") || interp_has("--watch-path") => Some("node --watch".into()),
                _ if name == "node" && (has("--watch") || has("--watch-path")) => Some("node --watch".into()),
                _ => None,
            }?;
            make(
                SupervisorKind::Watcher,
                format!("{tool} (pid {pid}) starts it again when files change"),
                true,
                kill,
            )
        }
    }
}

/// A systemd service or a container scope; nothing for login sessions, terminals' and apps'
/// scopes, or a user's service manager itself.
fn unit_supervisor(unit: &str, user_manager: Option<u32>) -> Option<Supervisor> {
    if let Some(id) = unit.strip_prefix("docker-").and_then(|u| u.strip_suffix(".scope")) {
        let short: String = id.chars().take(12).collect();
        return Some(Supervisor {
            kind: SupervisorKind::Container,
            pid: None,
            note: format!("it runs in Docker container {short}"),
            certain: true,
            stop: format!("docker stop {short}"),
        });
    }
    if let Some(id) = unit.strip_prefix("libpod-").and_then(|u| u.strip_suffix(".scope")) {
        let short: String = id.chars().take(12).collect();
        return Some(Supervisor {
            kind: SupervisorKind::Container,
            pid: None,
            note: format!("it runs in Podman container {short}"),
            certain: true,
            stop: format!("podman stop {short}"),
        });
    }
    if !unit.ends_with(".service") || unit.starts_with("user@") {
        return None;
    }
    let (whose, stop) = match user_manager {
        Some(_) => ("user service", format!("systemctl --user stop {unit}")),
        None => ("systemd service", format!("systemctl stop {unit}")),
    };
    Some(Supervisor {
        kind: SupervisorKind::Systemd,
        pid: None,
        note: format!("the {whose} {unit} may start it again (if its Restart= setting says so)"),
        certain: false,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(ToString::to_string).collect()
    }

    fn proc(pid: u32, name: &str, cmd: &[&str]) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid: Some(pid.saturating_sub(1)),
            name: name.into(),
            cmdline: args(cmd),
            ..ProcessInfo::default()
        }
    }

    fn bash() -> ProcessInfo {
        proc(100, "bash", &["-bash"])
    }

    fn init() -> ProcessInfo {
        proc(1, "systemd", &["/sbin/init"])
    }

    fn kind(chain: &[ProcessInfo]) -> Option<(SupervisorKind, Option<u32>)> {
        supervisor(chain, chain[0].systemd_unit.as_deref()).map(|s| (s.kind, s.pid))
    }

    #[test]
    fn a_restarter_that_is_pid_1_is_not_told_to_be_killed() {
        // a container whose init is the shell loop: portfix never signals pid 1
        let server = proc(7, "python3", &["python3", "-m", "http.server"]);
        let looping = proc(1, "sh", &["sh", "-c", "while true; do python3 -m http.server; done"]);
        let s = supervisor(&[server, looping], None).expect("the loop restarts it");
        assert_eq!(s.pid, Some(1));
        assert!(!s.stop.contains("kill 1"), "{}", s.stop);
        assert!(s.stop.contains("pid 1"), "{}", s.stop);
    }

    #[test]
    fn supervisors_in_the_chain() {
        use SupervisorKind::*;
        let server = || proc(900, "node", &["node", "server.js"]);
        type Found = Option<(SupervisorKind, Option<u32>)>;
        let cases: Vec<(&str, Vec<ProcessInfo>, Found)> = vec![
            ("started by hand", vec![server(), bash(), init()], None),
            (
                "nodemon",
                vec![server(), proc(800, "node", &["node", "/usr/local/bin/nodemon", "server.js"]), bash()],
                Some((Nodemon, Some(800))),
            ),
            (
                "nodemon through its sh -c",
                vec![
                    server(),
                    proc(810, "sh", &["sh", "-c", "node server.js"]),
                    proc(800, "node", &["nodemon", "server.js"]),
                    bash(),
                ],
                Some((Nodemon, Some(800))),
            ),
            (
                "pm2",
                vec![
                    server(),
                    proc(700, "PM2 v5.3.0: God", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]),
                    init(),
                ],
                Some((Pm2, Some(700))),
            ),
            (
                "forever",
                vec![
                    server(),
                    proc(
                        600,
                        "node",
                        &["/usr/bin/node", "/usr/lib/node_modules/forever/bin/monitor", "server.js"],
                    ),
                    init(),
                ],
                Some((Forever, Some(600))),
            ),
            (
                "shell loop",
                vec![server(), proc(500, "sh", &["sh", "-c", "while true; do node server.js; done"]), bash()],
                Some((ShellLoop, Some(500))),
            ),
            (
                "until loop, bash -ec",
                vec![
                    server(),
                    proc(501, "bash", &["bash", "-ec", "until node server.js; do sleep 1; done"]),
                    bash(),
                ],
                Some((ShellLoop, Some(501))),
            ),
            (
                "for loop",
                vec![
                    server(),
                    proc(502, "dash", &["/bin/dash", "-c", "for i in 1 2 3; do node server.js; done"]),
                    bash(),
                ],
                Some((ShellLoop, Some(502))),
            ),
            (
                "'for' in an echo is not a loop",
                vec![server(), proc(503, "sh", &["sh", "-c", "echo waiting for db; node server.js"]), bash()],
                None,
            ),
            (
                "loop above npm and its script shell",
                vec![
                    server(),
                    proc(402, "sh", &["sh", "-c", "node server.js"]),
                    proc(401, "npm start", &["npm start"]),
                    proc(400, "bash", &["bash", "-c", "while :; do npm start; sleep 1; done"]),
                    bash(),
                ],
                Some((ShellLoop, Some(400))),
            ),
            (
                "shell script parent",
                vec![server(), proc(300, "bash", &["/bin/bash", "./run.sh"]), bash()],
                Some((ShellScript, Some(300))),
            ),
            (
                "interactive shell ends the walk",
                vec![server(), proc(301, "bash", &["bash", "-i"]), proc(300, "bash", &["bash", "./x.sh"])],
                None,
            ),
            (
                "a harness between ends the walk",
                vec![
                    server(),
                    proc(290, "cli-4c1b", &["/work/target/debug/deps/cli-4c1b"]),
                    proc(289, "bash", &["bash", ".ci/run"]),
                ],
                None,
            ),
            (
                "supervisord",
                vec![
                    server(),
                    proc(200, "supervisord", &["/usr/bin/python3", "/usr/bin/supervisord", "-n"]),
                    init(),
                ],
                Some((Supervisord, Some(200))),
            ),
            (
                "watchexec",
                vec![server(), proc(210, "watchexec", &["watchexec", "-r", "node server.js"]), bash()],
                Some((Watcher, Some(210))),
            ),
            (
                "cargo watch → cargo run",
                vec![
                    proc(900, "server", &["target/debug/server"]),
                    proc(221, "cargo", &["cargo", "run"]),
                    proc(220, "cargo-watch", &["/root/.cargo/bin/cargo-watch", "watch", "-x", "run"]),
                    bash(),
                ],
                Some((Watcher, Some(220))),
            ),
            (
                "air",
                vec![proc(900, "main", &["./tmp/main"]), proc(230, "air", &["air"]), bash()],
                Some((Watcher, Some(230))),
            ),
            (
                "node --watch",
                vec![server(), proc(240, "node", &["node", "--watch", "server.js"]), bash()],
                Some((Watcher, Some(240))),
            ),
            (
                "tsx watch",
                vec![
                    server(),
                    proc(250, "node", &["node", "/app/node_modules/.bin/tsx", "watch", "server.ts"]),
                    proc(249, "sh", &["sh", "-c", "tsx watch server.ts"]),
                    bash(),
                ],
                Some((Watcher, Some(250))),
            ),
            (
                "next dev forks its server: not a supervisor",
                vec![
                    proc(900, "next-server", &["next-server (v14.2.3)"]),
                    proc(260, "node", &["node", "/app/node_modules/.bin/next", "dev"]),
                    proc(259, "sh", &["sh", "-c", "next dev"]),
                    proc(258, "npm run dev", &["npm run dev"]),
                    bash(),
                ],
                None,
            ),
            (
                "vite's esbuild service: not a supervisor",
                vec![
                    proc(900, "node", &["node", "/app/node_modules/.bin/vite"]),
                    proc(270, "sh", &["sh", "-c", "vite"]),
                    proc(269, "npm run dev", &["npm run dev"]),
                    bash(),
                ],
                None,
            ),
            (
                "docker-proxy holder",
                vec![
                    proc(
                        150,
                        "docker-proxy",
                        &[
                            "/usr/bin/docker-proxy",
                            "-proto",
                            "tcp",
                            "-host-ip",
                            "0.0.0.0",
                            "-host-port",
                            "8080",
                            "-container-ip",
                            "172.17.0.2",
                            "-container-port",
                            "80",
                        ],
                    ),
                    proc(149, "dockerd", &["/usr/bin/dockerd"]),
                    init(),
                ],
                Some((DockerProxy, Some(150))),
            ),
        ];
        for (what, chain, want) in cases {
            assert_eq!(kind(&chain), want, "{what}");
        }
    }

    #[test]
    fn systemd_units_and_containers() {
        let with_unit = |unit: &str, user: Option<u32>| {
            let mut h = proc(900, "nginx", &["nginx: master process /usr/sbin/nginx"]);
            h.systemd_unit = Some(unit.into());
            h.systemd_user = user;
            vec![h, init()]
        };
        let sup = |chain: &[ProcessInfo]| supervisor(chain, chain[0].systemd_unit.as_deref());

        let s = sup(&with_unit("nginx.service", None)).unwrap();
        assert_eq!((s.kind, s.pid, s.certain), (SupervisorKind::Systemd, None, false));
        assert_eq!(s.stop, "systemctl stop nginx.service");
        let s = sup(&with_unit("api.service", Some(1000))).unwrap();
        assert_eq!(s.stop, "systemctl --user stop api.service");
        let s = sup(&with_unit("docker-0123456789abcdef0123.scope", None)).unwrap();
        assert_eq!((s.kind, s.stop.as_str()), (SupervisorKind::Container, "docker stop 0123456789ab"));
        assert_eq!(
            sup(&with_unit("libpod-fedcba9876543210.scope", None)).unwrap().stop,
            "podman stop fedcba987654"
        );
        for quiet in
            ["session-3.scope", "vte-spawn-1.scope", "init.scope", "user@1000.service", "run-u7.scope"]
        {
            assert_eq!(sup(&with_unit(quiet, None)), None, "{quiet}");
        }
        // A nearer supervisor wins over the unit (pm2 started at boot by systemd).
        let mut chain = with_unit("pm2-root.service", None);
        chain.insert(1, proc(700, "PM2", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]));
        assert_eq!(sup(&chain).map(|s| s.kind), Some(SupervisorKind::Pm2));
        // The unit given wins over none.
        assert_eq!(
            supervisor(&[proc(5, "x", &["x"])], Some("x.service")).map(|s| s.kind),
            Some(SupervisorKind::Systemd)
        );
        assert_eq!(supervisor(&[], None), None);
    }

    #[test]
    fn the_root_of_a_dev_command_run() {
        let node = proc(903, "node", &["node", "server.js"]);
        let sh = proc(902, "sh", &["sh", "-c", "node server.js"]);
        let npm = proc(901, "npm start", &["npm start"]);
        let root_of = |chain: &[ProcessInfo]| dev_command_root(chain).map(|p| p.pid);

        assert_eq!(root_of(&[node.clone(), sh.clone(), npm.clone(), bash()]), Some(901));
        assert_eq!(root_of(&[node.clone(), bash()]), None, "no package manager");
        // npx inside npm run: the outermost runner.
        let npx = proc(904, "npm exec vite", &["node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "vite"]);
        assert_eq!(root_of(&[node.clone(), npx, sh.clone(), npm.clone(), bash()]), Some(901));
        // pnpm and yarn, as node scripts.
        let pnpm = proc(905, "node", &["node", "/usr/local/bin/pnpm", "dev"]);
        assert_eq!(root_of(&[node.clone(), sh.clone(), pnpm, bash()]), Some(905));
        let yarn = proc(906, "node", &["/usr/bin/node", "/usr/share/yarn/bin/yarn.js", "dev"]);
        assert_eq!(root_of(&[node.clone(), sh.clone(), yarn, bash()]), Some(906));
        // bun runs the server itself.
        let bun = proc(907, "bun", &["bun", "run", "server.ts"]);
        assert_eq!(root_of(&[bun, bash()]), Some(907));
        // `npm run dev` → nodemon → sh → node: the whole run is npm's.
        let nodemon = proc(908, "node", &["node", "/app/node_modules/.bin/nodemon", "server.js"]);
        assert_eq!(root_of(&[node.clone(), sh.clone(), nodemon, sh.clone(), npm.clone(), bash()]), Some(901));
        // A loop around npm: the run is npm's, the loop is not part of it.
        let lp = proc(909, "sh", &["sh", "-c", "while true; do npm start; done"]);
        assert_eq!(
            root_of(&[node.clone(), sh.clone(), npm.clone(), lp, proc(99, "npm", &["npm", "run", "outer"])]),
            Some(901)
        );
        // Something that is not a pass-through ends the run.
        let harness = proc(910, "portfix-test", &["/tmp/portfix-test"]);
        assert_eq!(root_of(&[node.clone(), harness, npm]), None);
        // pm2 is not a runner even though it is node.
        let pm2 = proc(911, "PM2", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]);
        assert_eq!(root_of(&[node, pm2]), None);
        assert_eq!(root_of(&[]), None);
    }

    #[test]
    fn same_command_same_directory() {
        let x = Some(Path::new("/x"));
        type Case<'a> = (&'a [&'a str], Option<&'a Path>, &'a [&'a str], Option<&'a Path>, bool);
        let cases: &[Case] = &[
            (&["npm", "start"], x, &["npm start"], x, true),
            (&["npm", "start"], x, &["/usr/bin/npm", "start"], x, true),
            (&["npm", "start"], x, &["node", "/usr/bin/npm", "start"], x, true),
            (
                &["npm", "start"],
                x,
                &["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "start"],
                x,
                true,
            ),
            (&["npm", "start"], x, &["npm", "run", "start"], x, true),
            (&["yarn", "dev"], x, &["node", "/usr/share/yarn/bin/yarn.js", "run", "dev"], x, true),
            (&["npm", "start"], Some(Path::new("/x/")), &["npm start"], x, true),
            (&["npm", "start"], x, &["npm start"], Some(Path::new("/y")), false),
            (&["npm", "start"], x, &["npm start"], None, false),
            (&["npm", "start"], x, &["npm", "test"], x, false),
            (&["npm", "run", "dev"], x, &["pnpm", "run", "dev"], x, false),
            // npm's title keeps only the command and script name.
            (&["npm", "start", "--silent"], x, &["npm start"], x, true),
            (&["npm", "run", "dev", "--", "--port", "3000"], x, &["npm run dev"], x, true),
            (&["npm", "run", "dev"], x, &["npm run build"], x, false),
            (&["npx", "vite", "--port", "3000"], x, &["npm exec vite"], x, true),
            (&["npx", "vite"], x, &["npm exec next"], x, false),
            (&["pnpm", "dev", "--port", "3000"], x, &["node", "/usr/local/bin/pnpm", "run", "dev"], x, true),
            (
                &["python3", "-m", "http.server", "8000"],
                x,
                &["/usr/bin/python3.12", "-m", "http.server", "8000"],
                x,
                true,
            ),
            (
                &["python3", "-m", "http.server", "8000"],
                x,
                &["python3", "-m", "http.server", "8001"],
                x,
                false,
            ),
            (
                &["vite", "--port", "3000"],
                x,
                &["node", "/x/node_modules/.bin/vite", "--port", "3000"],
                x,
                true,
            ),
            (&["node", "server.js"], x, &["node", "server.js"], x, true),
            (&["node", "server.js"], x, &["node", "other.js"], x, false),
            (&["node", "server.js"], x, &["python3", "server.py"], x, false),
            (&["node", "server.js"], x, &["/usr/bin/nodejs", "./server.js"], x, true),
            (&["node", "server.js"], x, &["node", "--inspect", "server.js"], x, false),
            // a script run by its own name is its interpreter running it (issue 11: bottle.py)
            (&["bottle.py", "app:app"], x, &["python3", "/venv/bin/bottle.py", "app:app"], x, true),
            (&["./server.js"], x, &["node", "./server.js"], x, true),
            (
                &["jupyter", "lab", "--port", "8888"],
                x,
                &["python3", "/v/bin/jupyter-lab", "--port", "8888"],
                x,
                true,
            ),
            (&["jupyter", "lab"], x, &["python3", "/v/bin/jupyter-notebook"], x, false),
            (&["bottle.py", "app:app"], x, &["node", "/x/bottle.js", "app:app"], x, false),
            (&[], x, &[], x, false),
        ];
        for (a, ac, b, bc, want) in cases {
            assert_eq!(same_run(&args(a), *ac, &args(b), *bc), *want, "{a:?} in {ac:?} vs {b:?} in {bc:?}");
        }
    }

    #[test]
    fn earlier_runs_are_found_in_the_chain() {
        let mut npm = proc(901, "npm start", &["npm start"]);
        npm.cwd = Some(PathBuf::from("/app"));
        let mut node = proc(903, "node", &["node", "server.js"]);
        node.cwd = Some(PathBuf::from("/app"));
        let chain = [node, proc(902, "sh", &["sh", "-c", "node server.js"]), npm, bash()];
        assert_eq!(
            earlier_run(&chain, &args(&["npm", "start"]), Path::new("/app")).map(|p| p.pid),
            Some(901)
        );
        assert_eq!(
            earlier_run(&chain, &args(&["node", "server.js"]), Path::new("/app")).map(|p| p.pid),
            Some(903)
        );
        assert_eq!(earlier_run(&chain, &args(&["npm", "start"]), Path::new("/elsewhere")), None);
    }

    fn holder_chain() -> Vec<ProcessInfo> {
        let mut node = proc(4567, "node", &["node", "server.js", "--title", "a\x1b[31mb"]);
        node.cwd = Some(PathBuf::from("/home/me/app"));
        node.exe = Some(PathBuf::from("/usr/bin/node"));
        node.uid = Some(1000);
        node.user = Some("me".into());
        node.start_time = Some(1_000);
        vec![
            node,
            proc(4566, "sh", &["sh", "-c", "node server.js"]),
            proc(4565, "npm start", &["npm start"]),
            proc(4560, "sh", &["sh", "-c", "while true; do npm start; done"]),
            proc(1200, "bash", &["-bash"]),
            proc(1100, "sshd", &["sshd: me@pts/0"]),
            init(),
        ]
    }

    #[test]
    fn a_holder_for_people() {
        let view = HolderView::from_chain(&holder_chain(), 1_000 + 300, true).unwrap();
        let lines = view.lines(Paint { on: false });
        assert_eq!(
            lines,
            [
                "pid 4567  node  (an earlier run of this same command)",
                "  command  node server.js --title a\\u{1b}[31mb",
                "  cwd      /home/me/app",
                "  user     me (uid 1000)",
                "  started  5m ago",
                "  parents  sh (4566) < npm start (4565) < sh (4560) < bash (1200) < …",
                "  restart  a shell loop (pid 4560) starts it again",
                "           to stop that: kill 4560",
            ]
        );
        assert_eq!(view.run_root, Some(4565));
        assert!(
            lines.iter().all(|l| !l.contains('\x1b')),
            "nothing another process wrote reaches the terminal raw"
        );
        let coloured = view.lines(Paint { on: true });
        assert!(coloured[0].contains("\x1b[1mpid 4567\x1b[0m"));
        assert_eq!(coloured.len(), lines.len());
    }

    #[test]
    fn a_hidden_holder_and_a_kernel_thread() {
        let mut other = proc(77, "sleep", &[]);
        other.uid = Some(65534);
        let lines = HolderView::from_chain(&[other], 0, false).unwrap().lines(Paint { on: false });
        assert_eq!(
            lines,
            [
                "pid 77  sleep",
                "  command  (not visible to you; sudo shows more)",
                "  cwd      (not visible to you; sudo shows more)",
                "  user     uid 65534",
            ]
        );
        let mut k = proc(2, "kthreadd", &[]);
        k.kernel_thread = true;
        k.user = Some("root".into());
        k.uid = Some(0);
        let lines = HolderView::from_chain(&[k], 0, false).unwrap().lines(Paint { on: false });
        assert_eq!(
            lines,
            ["pid 2  kthreadd  (kernel thread)", "  command  [kthreadd]", "  user     root (uid 0)"]
        );
        assert_eq!(HolderView::from_chain(&[], 0, false), None);
    }

    #[test]
    fn a_holder_as_json() {
        let view = HolderView::from_chain(&holder_chain(), 1_300, false).unwrap();
        let v: serde_json::Value = serde_json::to_value(&view).unwrap();
        assert_eq!(v["pid"], 4567);
        assert_eq!(v["command"][3], "a\x1b[31mb", "raw in JSON (serde escapes it)");
        assert_eq!(v["cwd"], "/home/me/app");
        assert_eq!(v["age_secs"], 300);
        assert_eq!(v["parents"][1]["name"], "npm start");
        assert_eq!(v["supervisor"]["kind"], "shell-loop");
        assert_eq!(v["supervisor"]["pid"], 4560);
        assert_eq!(v["run_root"], 4565);
        assert_eq!(v["earlier_run"], false);
        assert!(serde_json::to_string(&view).unwrap().contains("\\u001b"));
    }
}
