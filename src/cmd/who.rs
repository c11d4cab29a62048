//! `portfix who`.

use crate::cli::WhoArgs;
use crate::exit::{Code, Failure, Outcome};

pub fn run(_args: WhoArgs) -> anyhow::Result<Outcome> {
    Err(Failure::new(Code::Internal, "portfix who is not built yet").into())
}
