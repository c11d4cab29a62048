//! The command line, as clap sees it: raw arguments only. `cmd::*` turns these into settings;
//! nothing past this file sees clap types.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::core::port::{Endpoint, Port, PortRange, parse_endpoint, parse_port, parse_range};
use crate::core::signal::{Signal, parse_duration, parse_signal};

const ABOUT: &str = "Ends the 'port already in use' dance.

Prefix the command that starts your dev server: `portfix -- npm start`. When its port is taken,
portfix names who holds it, offers to stop it or to move to a free port, and starts the command
on the chosen port (in $PORT and, where needed, the tool's own flag).";

const AFTER: &str = "Exit codes: the wrapped command's own status (128+N for signal N); 0 done / held (who);
1 nothing held it / no free port; 2 usage error; 3 conflict not resolved; 4 not permitted;
5 port refused for lack of privilege (not in use); 125 portfix failed; 126 command not
executable; 127 command not found.";

#[derive(Debug, Parser)]
#[command(
    name = "portfix",
    version,
    about = ABOUT,
    after_help = AFTER,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    override_usage = "portfix [OPTIONS] -- <COMMAND> [ARGS]...\n       portfix <who|list|free|kill|port|ports|completions> ..."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) sub: Option<Sub>,

    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Sub {
    /// Who holds a port (or one end of a connection), explained. Exit 0 held, 1 free.
    Who(WhoArgs),
    /// What is listening, with owners, one line per socket, by port.
    List(ListArgs),
    /// Print free ports, one per line: PORT=$(portfix free 3000). Exit 1 when none in range.
    Free(FreeArgs),
    /// Stop what holds a port, gently first, and check that the port is free.
    Kill(KillArgs),
    /// Print this checkout's stable port for NAME: the same port on every call, chosen once.
    Port(PortArgs),
    /// List the stable ports: port, name, checkout, and whether something listens there now.
    Ports(PortsArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct WhoArgs {
    /// PORT, or ADDR:PORT (one end of a connection, e.g. 127.0.0.1:62893 from a log)
    #[arg(required = true, value_parser = parse_endpoint, value_name = "PORT|ADDR:PORT")]
    pub(crate) targets: Vec<Endpoint>,
    /// Ask about UDP sockets instead of TCP listeners
    #[arg(long)]
    pub(crate) udp: bool,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
    /// Show command lines whole (else cut to the terminal's width, or 200 characters off one)
    #[arg(long)]
    pub(crate) full: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Also show UDP sockets, and listeners on ports below 1024
    #[arg(long)]
    pub(crate) all: bool,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FreeArgs {
    /// Start looking here (default 3000, or the start of --range)
    #[arg(value_parser = parse_port)]
    pub(crate) port: Option<Port>,
    /// Only ports in LO-HI
    #[arg(long, value_parser = parse_range, value_name = "LO-HI")]
    pub(crate) range: Option<PortRange>,
    /// How many free ports to print
    #[arg(long, short = 'n', default_value_t = 1, value_parser = parse_count)]
    pub(crate) count: u32,
    /// Keep the ports printed reserved for SECS seconds, or until something listens on them:
    /// other portfix runs pass them over meanwhile (PORT=$(portfix free --reserve 30))
    #[arg(long, value_parser = parse_reserve, value_name = "SECS")]
    pub(crate) reserve: Option<u32>,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct KillArgs {
    /// The ports whose holders to stop
    #[arg(required = true, value_parser = parse_port, value_name = "PORT")]
    pub(crate) ports: Vec<Port>,
    /// First signal to send
    #[arg(long, short = 's', default_value = "TERM", value_parser = parse_signal, value_name = "SIG")]
    pub(crate) signal: Signal,
    /// How long to wait for the port to be free before SIGKILL
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) grace: Duration,
    /// Show what would be stopped, stop nothing
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not ask: stop other users' processes and process groups too (where permitted)
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Also stop UDP holders of the port
    #[arg(long)]
    pub(crate) udp: bool,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PortArgs {
    /// The port's name (default: the npm script or program of the command after --, else
    /// "default")
    #[arg(value_parser = parse_stable_name)]
    pub(crate) name: Option<String>,
    /// Choose it in LO-HI (default 20000-29999); one already chosen outside it moves into it
    #[arg(long, value_parser = parse_range, value_name = "LO-HI")]
    pub(crate) range: Option<PortRange>,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
    /// The command it is for, after `--` (names the port as `portfix --stable -- COMMAND` does)
    #[arg(last = true, value_name = "COMMAND", value_parser = clap::value_parser!(OsString))]
    pub(crate) command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub(crate) struct PortsArgs {
    /// Drop the ports of checkouts that no longer exist
    #[arg(long)]
    pub(crate) prune: bool,
    /// Machine-readable output (shape in the README)
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// What to do when the port is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnConflict {
    /// Ask at the terminal (the default at a terminal)
    Ask,
    /// Stop the holder and use the port
    Kill,
    /// Move to the next free port
    Next,
    /// Exit 3 and name the holder (the default off a terminal, and when CI is set)
    Fail,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The port the command should use (default: inferred from its arguments, then $PORT)
    #[arg(long, short = 'p', env = "PORTFIX_PORT", value_parser = parse_port)]
    pub(crate) port: Option<Port>,
    /// Use this checkout's stable port (`portfix port`), for NAME when given (--stable=NAME;
    /// default: the npm script's or the program's name)
    #[arg(long, value_name = "NAME", num_args = 0..=1, require_equals = true, default_missing_value = "",
          conflicts_with = "port")]
    pub(crate) stable: Option<String>,
    /// Variables that carry the chosen port (repeatable; default PORT)
    #[arg(long = "env", short = 'e', env = "PORTFIX_ENV", value_delimiter = ',', value_parser = parse_env_name, value_name = "NAME")]
    pub(crate) env: Vec<String>,
    /// What to do when the port is held
    #[arg(long, env = "PORTFIX_ON_CONFLICT", value_enum, value_name = "ACTION")]
    pub(crate) on_conflict: Option<OnConflict>,
    /// Shorthand for --on-conflict kill
    #[arg(long, conflicts_with_all = ["on_conflict", "next"])]
    pub(crate) kill: bool,
    /// Shorthand for --on-conflict next
    #[arg(long, conflicts_with_all = ["on_conflict", "kill"])]
    pub(crate) next: bool,
    /// Take the recommended action without asking
    #[arg(long, short = 'y', env = "PORTFIX_YES", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) yes: bool,
    /// Where a free port may be taken (default: upward from the wanted port)
    #[arg(long, env = "PORTFIX_RANGE", value_parser = parse_range, value_name = "LO-HI")]
    pub(crate) range: Option<PortRange>,
    /// First signal sent to a holder being stopped
    #[arg(long, env = "PORTFIX_SIGNAL", default_value = "TERM", value_parser = parse_signal, value_name = "SIG")]
    pub(crate) signal: Signal,
    /// How long a holder gets to free the port before SIGKILL
    #[arg(long, env = "PORTFIX_GRACE", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub(crate) grace: Duration,
    /// How many times to resolve a conflict and relaunch before giving up
    #[arg(long, env = "PORTFIX_RETRIES", default_value_t = 3)]
    pub(crate) retries: u32,
    /// Keep the command's stdout and stderr apart on pipes. At a terminal the command otherwise
    /// runs on a pseudo-terminal of its own (it sees a terminal, as without portfix), which
    /// joins the two streams
    #[arg(long, env = "PORTFIX_PIPES")]
    pub(crate) pipes: bool,
    /// Write the port the server finally got to this file
    #[arg(long, env = "PORTFIX_PORT_FILE", value_name = "PATH")]
    pub(crate) port_file: Option<PathBuf>,
    /// When the port is held by an earlier run of this same command from this same directory,
    /// use it: print its URL and exit 0, starting nothing (any other holder: as if not given)
    #[arg(long, env = "PORTFIX_REUSE")]
    pub(crate) reuse: bool,
    /// Write what portfix decides and does to FILE, one JSON object per line as it happens
    /// (`-`: standard error, when that is not a terminal; the schema is in the README)
    #[arg(long, env = "PORTFIX_EVENTS", value_name = "FILE", value_parser = clap::value_parser!(OsString))]
    pub(crate) events: Option<OsString>,
    /// The command to run, after `--` (passed on as given, even when not UTF-8)
    #[arg(last = true, value_name = "COMMAND", value_parser = clap::value_parser!(OsString))]
    pub(crate) command: Vec<OsString>,
}

fn parse_count(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(0) => Err("--count 0 asks for nothing: give 1 or more".into()),
        Ok(n) if n <= 65535 => Ok(n),
        _ => Err(format!("'{s}' is not a count: give a number from 1 to 65535")),
    }
}

/// A stable port's name (`portfix port NAME`, `--stable=NAME`).
fn parse_stable_name(s: &str) -> Result<String, String> {
    crate::core::stable::parse_name(s)
}

/// `--reserve SECS`: a whole number of seconds, at most a day.
fn parse_reserve(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a number of seconds: give 1 to 86400 (e.g. --reserve 30)")),
    }
}

/// Variables the command (or the system under it) relies on for something else: set to a port
/// number they would break it (no `PATH`, a `LD_PRELOAD` of "3000", a `HOME` of "3000").
const NOT_A_PORT_CARRIER: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    "IFS",
    "TERM",
    "LANG",
    "TMPDIR",
    "TZ",
    "ENV",
    "BASH_ENV",
    "CDPATH",
    "PS1",
    "PS4",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PYTHONHOME",
];

/// An environment variable name that can carry the port: letters, digits and `_`, not starting
/// with a digit, and none the command needs for something else ([`NOT_A_PORT_CARRIER`],
/// the dynamic loader's `LD_*`/`DYLD_*`, the locale's `LC_*`).
pub(crate) fn parse_env_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(format!(
            "'{s}' is not a variable name: use letters, digits and _, not starting with a digit (e.g. PORT, VITE_PORT)"
        ));
    }
    let loader = ["LD_", "DYLD_", "LC_"].iter().any(|p| s.starts_with(p));
    if loader || NOT_A_PORT_CARRIER.contains(&s) {
        return Err(format!(
            "{s} cannot carry the port: set to a port number it would break the command; name a variable of the port's own (e.g. PORT, APP_PORT)"
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("portfix").chain(args.iter().copied()))
    }

    #[test]
    fn wrapper_and_subcommands_parse() {
        let cli = parse(&["-p", "3000", "--next", "--", "npm", "start", "--port", "9"]).unwrap();
        assert!(cli.sub.is_none());
        assert_eq!(cli.run.port.map(Port::get), Some(3000));
        assert_eq!(cli.run.command, ["npm", "start", "--port", "9"]);
        let cli = parse(&["who", "3000", "127.0.0.1:62893"]).unwrap();
        assert!(matches!(cli.sub, Some(Sub::Who(ref w)) if w.targets.len() == 2));
        // a command named like a subcommand still runs as a command after --
        let cli = parse(&["--", "who", "3000"]).unwrap();
        assert!(cli.sub.is_none());
        assert_eq!(cli.run.command, ["who", "3000"]);
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        for args in [
            &["who", "0"][..],
            &["who", "65536"],
            &["who", "abc"],
            &["who", "1.2.3.4:x"],
            &["free", "--range", "10-5"],
            &["free", "--count", "0"],
            &["free", "--reserve", "0"],
            &["free", "--reserve", "soon"],
            &["kill", "3000", "--signal", "NOPE"],
            &["kill", "3000", "--grace", "soon"],
            &["-p", "0", "--", "true"],
            &["--on-conflict", "maybe", "--", "true"],
            &["--env", "1BAD", "--", "true"],
            &["--kill", "--next", "--", "true"],
            &["--stable", "-p", "3000", "--", "true"],
            &["port", "--range", "9-1"],
            &["port", ""],
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
    }

    #[test]
    fn stable_takes_its_name_after_an_equals_sign() {
        assert_eq!(parse(&["--stable", "--", "npm", "run", "dev"]).unwrap().run.stable.as_deref(), Some(""));
        assert_eq!(parse(&["--stable=web", "--", "vite"]).unwrap().run.stable.as_deref(), Some("web"));
        assert_eq!(parse(&["--", "vite"]).unwrap().run.stable, None);
        // a word after a bare --stable is not its name
        assert!(parse(&["--stable", "web", "--", "vite"]).is_err());
        let cli = parse(&["port", "web", "--range", "30000-30099", "--json", "--", "npm", "start"]).unwrap();
        let Some(Sub::Port(p)) = cli.sub else { panic!("port") };
        assert_eq!((p.name.as_deref(), p.json, p.command.len()), (Some("web"), true, 2));
        assert!(matches!(
            parse(&["ports", "--prune"]).unwrap().sub,
            Some(Sub::Ports(PortsArgs { prune: true, .. }))
        ));
    }

    #[test]
    fn env_names() {
        assert!(parse_env_name("PORT").is_ok());
        assert!(parse_env_name("VITE_PORT").is_ok());
        assert!(parse_env_name("_X1").is_ok());
        for bad in
            ["", "1BAD", "A-B", "A B", "A=B", "PATH", "LD_PRELOAD", "HOME", "IFS", "DYLD_INSERT_LIBRARIES"]
        {
            assert!(parse_env_name(bad).is_err(), "{bad}");
        }
    }
}
