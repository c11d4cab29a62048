//! `portfix kill`.

use crate::cli::KillArgs;
use crate::exit::{Code, Failure, Outcome};

pub fn run(_args: KillArgs) -> anyhow::Result<Outcome> {
    Err(Failure::new(Code::Internal, "portfix kill is not built yet").into())
}
