//! portfix: parse, run, map the outcome to an exit code. Nothing else lives here.

mod cli;
mod cmd;
mod core;
mod exit;
mod os;

use clap::Parser;

fn main() {
    let code = match cli::Cli::try_parse() {
        Ok(cli) => match cmd::run(cli) {
            Ok(outcome) => outcome.code(),
            Err(err) => report(&err),
        },
        Err(err) => cmd::usage_error(&err),
    };
    std::process::exit(code);
}

/// Prints an error as `portfix: what is wrong` plus, when known, one line saying what to do.
fn report(err: &anyhow::Error) -> i32 {
    if exit::is_broken_pipe(err) {
        return 0;
    }
    let code = exit::code_of(err);
    eprintln!("portfix: {}", core::render::one_line(&format!("{err:#}")));
    if let Some(hint) = err.downcast_ref::<exit::Failure>().and_then(|f| f.hint.as_deref()) {
        eprintln!("portfix: {hint}");
    }
    code.as_i32()
}
