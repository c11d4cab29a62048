//! `portfix completions <SHELL>`: completion scripts generated from the clap definition.

use std::io::Write as _;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Outcome;

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe (`portfix completions fish | head`) is not an error (`out::stdout` drops the rest).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "portfix", &mut script);
    let mut out = crate::out::stdout();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Outcome::SUCCESS)
}
