//! Where the program sits in a command line: behind launchers (`npx`, `bundle exec`, `env`),
//! interpreters (`python -m X`, `node script.js`) and package managers, and which tool row it is.

use super::Tool;
use super::script::script_call;

/// The base name of a program path, without a Windows extension.
pub(super) fn base_name(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    [".exe", ".cmd", ".bat", ".ps1"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name)
}

pub(super) fn is_python(name: &str) -> bool {
    name == "python"
        || name == "py"
        || name.strip_prefix("python").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// `NAME=value` (a shell variable assignment).
pub(super) fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.as_bytes()[0].is_ascii_digit()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// A file a runtime runs (`server.ts`), rather than a program name.
pub(super) fn is_source_file(word: &str) -> bool {
    [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"].iter().any(|e| word.ends_with(e))
}

/// Commands of pnpm and yarn (and bun) that are not a script or a binary to run.
pub(super) const MANAGER_COMMANDS: &[&str] = &[
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
pub(super) struct Located {
    /// The index of the word that names the program (or the script an interpreter runs).
    pub(super) prog: usize,
    /// The name rows are matched against: a base name, a python module, a script's base name.
    pub(super) name: String,
    /// Where the program's own arguments start.
    pub(super) start: usize,
}

/// The index of the first word from `i` on that is not a flag (a `--` is skipped too); flags in
/// `with_value` take the next word.
pub(super) fn skip_flags(words: &[String], mut i: usize, with_value: &[&str]) -> usize {
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
pub(super) fn locate(words: &[String]) -> Option<Located> {
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
pub(super) fn debugpy_target(words: &[String], mut i: usize) -> Option<Located> {
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
pub(crate) fn run_name(argv: &[String]) -> Option<String> {
    if let Some(call) = script_call(argv) {
        return Some(call.name);
    }
    locate(argv).map(|l| l.name).filter(|n| !n.is_empty())
}

/// The index of the first positional argument from `start` on, as `tool` reads its flags.
pub(super) fn first_positional(words: &[String], start: usize, tool: &Tool) -> Option<usize> {
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
pub(super) fn match_tool(words: &[String], loc: &Located, tool: &Tool) -> Option<Option<usize>> {
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
