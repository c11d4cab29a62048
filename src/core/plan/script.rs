//! The package.json script a command runs through npm, pnpm, yarn or bun: which script, what its
//! last command is, and where the arguments the manager passes on land.

use super::Tool;
use super::locate::{MANAGER_COMMANDS, base_name, is_source_file, locate, match_tool};
use crate::core::port::Port;
use std::path::Path;
use std::path::PathBuf;

/// How many directories up a `package.json` is looked for (as npm, pnpm and yarn do).
pub(super) const PACKAGE_JSON_LEVELS: usize = 16;

/// A package manager that runs package.json scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackageManager {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

/// The package.json script a command runs, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Script {
    pub(crate) manager: PackageManager,
    /// The script's name (`dev`).
    pub(crate) name: String,
    /// The script as written in package.json (`vite --host`).
    pub(crate) command: String,
    /// The last command of the script (where passed-on arguments land), split into words.
    pub(super) words: Vec<String>,
    /// The port written in the script (`vite --port 3000`, `PORT=3000 next dev`).
    pub(super) port: Option<Port>,
    /// The script already gives the tool its positional port.
    pub(super) has_positional: bool,
    /// npm needs a `--` before the arguments it passes on, and the command has none yet.
    pub(super) needs_separator: bool,
    /// Where the arguments the manager passes on to the script start in the command.
    pub(super) pass_from: usize,
}

/// A command that runs a package.json script, as the package manager reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ScriptCall {
    pub(super) manager: PackageManager,
    pub(super) name: String,
    /// argv index of the script's name (or of `start`/`test`).
    pub(super) name_index: usize,
}

/// Manager flags that point it at another package: then portfix does not guess the script.
pub(super) const OTHER_PACKAGE_FLAGS: &[&str] = &[
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

pub(super) fn script_call(argv: &[String]) -> Option<ScriptCall> {
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
pub(super) fn resolve_script(
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
pub(super) fn last_command(line: &str) -> Option<Vec<String>> {
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
