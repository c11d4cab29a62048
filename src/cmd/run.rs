//! `portfix [OPTIONS] -- COMMAND`: the wrapper.

use crate::cli::RunArgs;
use crate::exit::{Code, Failure, Outcome};

pub fn run(_args: RunArgs) -> anyhow::Result<Outcome> {
    Err(Failure::new(Code::Internal, "the wrapper is not built yet").into())
}
