//! One file per subcommand. Each turns its raw clap arguments into settings and runs.

mod completions;
mod free;
mod kill;
mod list;
pub(crate) mod port;
mod run;
mod who;

use crate::cli::{Cli, Sub};
use crate::exit::{Code, Failure, Outcome};

/// Runs what the command line asked for.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.sub {
        Some(Sub::Who(args)) => who::run(&args),
        Some(Sub::List(args)) => list::run(&args),
        Some(Sub::Free(args)) => free::run(args),
        Some(Sub::Kill(args)) => kill::run(args),
        Some(Sub::Port(args)) => port::run_port(args),
        Some(Sub::Ports(args)) => port::run_ports(&args),
        Some(Sub::Completions(args)) => completions::run(&args),
        None if cli.run.command.is_empty() => Err(Failure::usage(
            "no command given: run `portfix -- <COMMAND> [ARGS]...` or a subcommand (see `portfix --help`)",
        )
        .into()),
        None => run::run(cli.run),
    }
}

/// Reports a command-line error in one line and returns its exit code (help and version: 0).
pub(crate) fn usage_error(err: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // clap's own rendering is right here; a closed pipe is not an error.
            let _ = err.print();
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                Code::Usage.as_i32()
            } else {
                Code::Success.as_i32()
            }
        }
        _ => {
            eprintln!(
                "portfix: {} (see `portfix --help`)",
                crate::core::render::clap_one_line(&err.render().to_string())
            );
            Code::Usage.as_i32()
        }
    }
}
