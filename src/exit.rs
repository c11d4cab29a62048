//! Exit codes: the one table users and scripts rely on (see README, "Exit codes").
//!
//! Every way portfix ends maps to exactly one [`Outcome`]. Commands return
//! `anyhow::Result<Outcome>`; an error that carries a [`Failure`] picks its own code,
//! any other error is portfix's own failure (125).

use std::fmt;

use crate::core::stop;

/// portfix's own exit codes. The wrapped command's status is passed through apart from these
/// (see [`Outcome::Child`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// `who`: something holds the port; `free`/`kill`: done.
    Success = 0,
    /// `who`: nothing holds it; `free`: no free port in range; `kill`: nothing held it.
    Nothing = 1,
    /// Bad flag, bad port, bad range, bad signal or duration.
    Usage = 2,
    /// A conflict that was not resolved: policy `fail`, declined at the prompt, the port could
    /// not be freed, a respawned holder.
    Unresolved = 3,
    /// Not permitted: the holder belongs to another user, or is protected.
    NotPermitted = 4,
    /// The port was refused for lack of privilege (a port below 1024 as a normal user, a
    /// Windows excluded range): nothing holds it, and it was not moved (`--next` moves it).
    Refused = 5,
    /// portfix's own failure.
    Internal = 125,
    /// The command was found but is not executable.
    NotExecutable = 126,
    /// The command was not found.
    NotFound = 127,
}

impl Code {
    pub(crate) fn as_i32(self) -> i32 {
        self as i32
    }
}

/// How a run of portfix ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// One of portfix's own codes.
    Code(Code),
    /// The wrapped command's own status: its exit code, or 128+N when signal N ended it.
    Child(i32),
}

impl Outcome {
    pub(crate) const SUCCESS: Outcome = Outcome::Code(Code::Success);
    pub(crate) const NOTHING: Outcome = Outcome::Code(Code::Nothing);

    pub(crate) fn code(self) -> i32 {
        match self {
            Outcome::Code(c) => c.as_i32(),
            Outcome::Child(n) => n,
        }
    }
}

impl From<Code> for Outcome {
    fn from(c: Code) -> Self {
        Outcome::Code(c)
    }
}

/// An error that knows its exit code and says what to do about it.
///
/// The message is one line (what is wrong); the optional hint is one more line (what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: Code,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failure {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Failure { code, message: message.into(), hint: None }
    }
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }
    pub(crate) fn unresolved(message: impl Into<String>) -> Self {
        Self::new(Code::Unresolved, message)
    }
    pub(crate) fn not_permitted(message: impl Into<String>) -> Self {
        Self::new(Code::NotPermitted, message)
    }
    /// `free`: no free port where it looked.
    pub(crate) fn nothing(message: impl Into<String>) -> Self {
        Self::new(Code::Nothing, message)
    }
    /// The command is not there (127, as a shell says).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    /// The command is there but cannot be run (126, as a shell says).
    pub(crate) fn not_executable(message: impl Into<String>) -> Self {
        Self::new(Code::NotExecutable, message)
    }
    /// portfix's own failure.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error that reached `main`.
pub(crate) fn code_of(err: &anyhow::Error) -> Code {
    err.downcast_ref::<Failure>().map_or(Code::Internal, |f| f.code)
}

/// True when the error is a closed pipe on stdout (`portfix list | head`): not a failure.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit code of each way a stop can end (`portfix kill`, and the wrapper's `--kill`).
impl stop::StopOutcome {
    pub(crate) fn code(&self) -> Code {
        match self {
            stop::StopOutcome::Freed { .. } | stop::StopOutcome::DryRun => Code::Success,
            stop::StopOutcome::Nothing { .. } => Code::Nothing,
            stop::StopOutcome::NotPermitted(_) => Code::NotPermitted,
            stop::StopOutcome::Declined
            | stop::StopOutcome::StillHeld { .. }
            | stop::StopOutcome::Respawned(_) => Code::Unresolved,
        }
    }
}

/// The exit code of a conflict the policy leaves alone (`--kill` refused, `--on-conflict fail`,
/// no terminal to ask at, a privileged port).
impl crate::core::policy::Refusal {
    pub(crate) fn code(&self) -> Code {
        use crate::core::policy::RefusalKind as K;
        match self.kind {
            K::Unresolved => Code::Unresolved,
            K::NotPermitted => Code::NotPermitted,
            K::Privileged => Code::Refused,
        }
    }
}

/// The combined exit code of several ports: the worst of them, and 1 ("nothing held it") only
/// when that is true of every port.
pub(crate) fn combined_code(codes: &[Code]) -> Code {
    let rank = |c: Code| match c {
        Code::NotPermitted => 4,
        Code::Unresolved => 3,
        Code::Usage => 5,
        Code::Internal => 6,
        Code::Success => 1,
        _ => 0,
    };
    codes.iter().copied().max_by_key(|&c| rank(c)).unwrap_or(Code::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_documented_table() {
        let table = [
            (Code::Success, 0),
            (Code::Nothing, 1),
            (Code::Usage, 2),
            (Code::Unresolved, 3),
            (Code::NotPermitted, 4),
            (Code::Refused, 5),
            (Code::Internal, 125),
            (Code::NotExecutable, 126),
            (Code::NotFound, 127),
        ];
        for (code, n) in table {
            assert_eq!(code.as_i32(), n, "{code:?}");
        }
        assert_eq!(Outcome::Child(143).code(), 143);
    }

    #[test]
    fn failure_code_survives_context() {
        let err = anyhow::Error::new(Failure::usage("bad port")).context("while parsing");
        assert_eq!(code_of(&err), Code::Usage);
        assert_eq!(code_of(&anyhow::anyhow!("boom")), Code::Internal);
    }
}
