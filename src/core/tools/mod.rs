//! The dev servers portfix knows: data only, one row per tool. The launch plan
//! ([`super::plan`]) reads these rows; adding a tool means adding a row and its table test.
//!
//! Each row says how to recognise the tool (program and subcommand), its default port, how it
//! takes a port (environment variables, port flags, bind flags, a positional `[addr:]port`), how
//! to give it one, how to keep it from moving by itself, what it does when its port is taken, and
//! the source it was checked against: `--help` of the version installed here (captured while
//! writing the row), or the tool's documentation.
//!
//! A default port is listed only when the tool really listens there without being told: a wrong
//! default would make portfix see a conflict that is not one (and, with `--kill`, stop a stranger).
//! That is why plain `node`/`bun`/`deno run` scripts and Puma (whose port usually comes from
//! `config/puma.rb`) have none: they get the port through `PORT` like any unknown command.

/// How a recognised tool takes its port. One row per tool; `source` says where it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tool {
    pub(crate) name: &'static str,
    /// The program, as the base name of `argv[0]` (`vite`), the module of `python -m X`, or the
    /// script an interpreter runs (`manage.py`, `artisan`).
    pub(crate) program: &'static [&'static str],
    /// When not empty, the first positional argument after the program must be one of these
    /// (`runserver`, `dev`); the tool's positional port is counted after it.
    pub(crate) subcommand: &'static [&'static str],
    /// When `subcommand` is empty: first positional arguments that make it another command of the
    /// same program (`vite build`), which is then not this tool.
    pub(crate) other_commands: &'static [&'static str],
    /// When not empty, it is this tool only when one of these flags is in its arguments (`F` or
    /// `F=…`): a program that serves only when told to (`eleventy --serve`, `pelican --listen`).
    pub(crate) needs: &'static [&'static str],
    pub(crate) default_port: Option<u16>,
    /// Environment variables it reads a port from, in its own order of precedence (each gets the
    /// chosen port too).
    pub(crate) env: &'static [&'static str],
    /// Flags that take a port: `F N`, `F=N`, and for `-x` flags also `-xN`.
    pub(crate) flags: &'static [&'static str],
    /// Flags that take a bind address `HOST:PORT` (also `tcp://HOST:PORT`).
    pub(crate) bind_flags: &'static [&'static str],
    /// Other flags that take a value (so that value is not taken for a positional argument).
    pub(crate) value_flags: &'static [&'static str],
    /// The first positional argument (after `subcommand`) is `[addr:]port`.
    pub(crate) positional: bool,
    /// How to give it the port when its arguments carry none.
    pub(crate) inject: Inject,
    /// Arguments that keep it from moving to another port by itself (`--strictPort`).
    pub(crate) strict: &'static [&'static str],
    /// A second port flag overrides the first (so a port can be appended to a package.json
    /// script that already has one). False when each flag adds a listener.
    pub(crate) last_port_wins: bool,
    /// What it does when its port is taken and nothing keeps it there.
    pub(crate) on_taken: OnTaken,
    /// Its own flags go before the script it runs, right after its subcommand (or its program
    /// when it has none): the words after the script are the script's arguments
    /// (`deno serve [FLAGS] main.ts [ARGS]`), or it stops reading options at the first
    /// positional (`waitress-serve [OPTS] module:app`).
    pub(crate) flags_first: bool,
    /// Where this row was checked (docs URL, `--help` of which version).
    pub(crate) source: &'static str,
}

/// How to give a tool the port when its arguments do not carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inject {
    /// The environment variables only (`--env` names and the tool's own).
    Env,
    /// Append `FLAG PORT`.
    Flag(&'static str),
    /// Append `FLAG=PORT` (a tool that reads its port flag only in that form).
    FlagEquals(&'static str),
    /// Append `FLAG HOST:PORT` (a tool whose bind flag does not take a bare port).
    Bind(&'static str, &'static str),
    /// Append `PORT` as a positional argument.
    Positional,
}

/// What a tool does by itself when its port is taken (before portfix's strict flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnTaken {
    /// Prints an error and exits.
    Fails,
    /// Moves to another port on its own (often only when no port was given).
    Moves,
    /// Asks at a terminal whether to use another port (and exits off a terminal).
    Asks,
    /// Stays up and retries.
    Retries,
}

/// A row with nothing set, for `..BASE` in the rows below.
const BASE: Tool = Tool {
    name: "",
    program: &[],
    subcommand: &[],
    other_commands: &[],
    needs: &[],
    default_port: None,
    env: &[],
    flags: &[],
    bind_flags: &[],
    value_flags: &[],
    positional: false,
    inject: Inject::Env,
    strict: &[],
    last_port_wins: true,
    on_taken: OnTaken::Fails,
    flags_first: false,
    source: "",
};

/// Front-end dev servers and bundlers.
mod frontend;
/// Ruby, PHP, JVM and other ecosystems.
mod more;
/// Static servers, runtimes, platform emulators.
mod node_servers;
/// Docs servers, data apps, notebooks.
mod python_apps;
/// Python web frameworks and servers.
mod python_web;

/// The families, in match order.
const FAMILIES: &[&[Tool]] =
    &[frontend::ROWS, node_servers::ROWS, python_web::ROWS, python_apps::ROWS, more::ROWS];
const COUNT: usize = count(FAMILIES);

/// The tools portfix knows, every family's rows one after another. Order matters only where two
/// rows share a program: the more specific one (a subcommand) comes first, in the same family.
pub(crate) const TOOLS: &[Tool] = &concat::<COUNT>(FAMILIES);

const fn count(families: &[&[Tool]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        n += families[i].len();
        i += 1;
    }
    n
}

/// The families' rows in one array (a `const` slice cannot be joined otherwise).
const fn concat<const N: usize>(families: &[&[Tool]]) -> [Tool; N] {
    let mut all = [BASE; N];
    let (mut k, mut i) = (0, 0);
    while i < families.len() {
        let mut j = 0;
        while j < families[i].len() {
            all[k] = families[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "COUNT is the sum of the families");
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_and_consistent() {
        for t in TOOLS {
            assert!(!t.name.is_empty() && !t.program.is_empty() && !t.source.is_empty(), "{t:?}");
            assert!(t.subcommand.is_empty() || t.other_commands.is_empty(), "{}", t.name);
            match t.inject {
                Inject::Flag(f) | Inject::FlagEquals(f) => {
                    assert!(t.flags.contains(&f), "{}: inject flag {f} not in flags", t.name);
                }
                Inject::Bind(f, _) => assert!(t.bind_flags.contains(&f), "{}: {f} not in bind_flags", t.name),
                Inject::Positional => assert!(t.positional, "{}", t.name),
                Inject::Env => {}
            }
            for f in t.flags.iter().chain(t.bind_flags) {
                assert!(f.starts_with('-'), "{}: {f}", t.name);
            }
            // a flag that takes the port is never also "some other value"
            for f in t.value_flags {
                assert!(!t.flags.contains(f) && !t.bind_flags.contains(f), "{}: {f}", t.name);
            }
        }
    }
}
