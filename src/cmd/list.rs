//! `portfix list`.

use crate::cli::ListArgs;
use crate::exit::{Code, Failure, Outcome};

pub fn run(_args: ListArgs) -> anyhow::Result<Outcome> {
    Err(Failure::new(Code::Internal, "portfix list is not built yet").into())
}
