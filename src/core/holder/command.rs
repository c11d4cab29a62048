//! Reading a process's command line: its program behind runners and interpreters, the role of a
//! shell (a loop, or passing a command on).

use crate::core::process::ProcessInfo;

/// Package managers and script runners whose process is the top of a dev command's run.
pub(super) const RUNNERS: &[&str] =
    &["npm", "npx", "pnpm", "pnpx", "yarn", "yarnpkg", "bun", "bunx", "corepack"];

pub(super) const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh", "mksh", "fish", "busybox"];

/// A program name from a path: the file name without a Windows executable suffix.
pub(super) fn file_name(s: &str) -> &str {
    let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
    [".exe", ".EXE", ".cmd", ".CMD"].iter().find_map(|x| base.strip_suffix(x)).unwrap_or(base)
}

pub(super) fn is_interpreter(name: &str) -> bool {
    matches!(name, "node" | "nodejs" | "ruby" | "perl") || name.starts_with("python")
}

/// The arguments as words: trailing empties dropped, and a rewritten process title (one
/// argument with spaces, such as npm's `npm start`) split on whitespace.
pub(super) fn words(cmdline: &[String]) -> Vec<String> {
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
pub(super) struct Program {
    pub(super) name: String,
    pub(super) args: Vec<String>,
    pub(super) interpreter: Option<(String, Vec<String>)>,
    /// The interpreter runs a tool (a script without extension such as `/usr/bin/npm` or
    /// `node_modules/.bin/vite`, npm's `npm-cli.js`, or `python -m module`), not the user's own
    /// script: the tool is the program, whatever runs it.
    pub(super) tool: bool,
}

pub(super) fn program(cmdline: &[String]) -> Program {
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
pub(super) fn normalised(cmdline: &[String]) -> Vec<String> {
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
pub(super) fn runner_words(name: &str, args: &[String]) -> Vec<String> {
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

pub(super) enum ShellRole {
    Interactive,
    /// `-c SCRIPT`.
    Command(String),
    /// A script file.
    Script(String),
}

pub(super) fn shell_role(cmdline: &[String]) -> Option<ShellRole> {
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
pub(super) fn has_loop(script: &str) -> bool {
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
pub(super) fn passes_through(p: &ProcessInfo) -> bool {
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
