//! Writes portfix's man page, generated from its clap definition (clap_mangen), for
//! `scripts/dist`: `cargo run --example man -- DIR` writes DIR/portfix.1 and one page per
//! subcommand (portfix-who.1, ...).
//!
//! The command line lives in the binary crate, so its files are compiled in here as they are
//! (`src/cli.rs` and the pure `src/core/` it parses into); nothing is copied.

#![allow(dead_code, unused_imports)]

#[path = "../src/cli.rs"]
mod cli;
#[path = "../src/core/mod.rs"]
mod core;
#[path = "../src/exit.rs"]
mod exit;

use clap::CommandFactory;

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args_os().nth(1).unwrap_or_else(|| "target/man".into()));
    std::fs::create_dir_all(&dir)?;
    let cmd = cli::Cli::command();
    clap_mangen::generate_to(cmd, &dir)?;
    for entry in std::fs::read_dir(&dir)? {
        println!("{}", entry?.path().display());
    }
    Ok(())
}
