//! `portfix free`.

use crate::cli::FreeArgs;
use crate::exit::{Code, Failure, Outcome};

pub fn run(_args: FreeArgs) -> anyhow::Result<Outcome> {
    Err(Failure::new(Code::Internal, "portfix free is not built yet").into())
}
