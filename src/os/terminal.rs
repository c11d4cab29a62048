//! The terminal portfix writes to: its width, so long lines (a command line can be 20,000
//! characters) are shortened to fit.

/// The width of the terminal on stdout, in columns; `None` when stdout is not a terminal (or,
/// on Windows, not asked).
pub(crate) fn stdout_columns() -> Option<usize> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        let size = rustix::termios::tcgetwinsize(std::io::stdout().as_fd()).ok()?;
        (size.ws_col > 0).then_some(usize::from(size.ws_col))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The confirmation prompt, on stderr (dialoguer). Anything but a yes is a no. The wrapper's
/// `--kill` asks the same.
pub(crate) fn confirm_stop(plan: &crate::core::stop::StopPlan) -> bool {
    for reason in &plan.confirm {
        eprintln!("portfix: {reason}");
    }
    let what = plan.targets.iter().map(|t| t.unit.name()).collect::<Vec<_>>().join(", ");
    dialoguer::Confirm::new()
        .with_prompt(format!("Stop {what} to free port {}?", plan.port))
        .default(false)
        .interact()
        .unwrap_or(false)
}

/// Colour only at a terminal, never with `NO_COLOR`.
pub(crate) fn colour_wanted() -> bool {
    use std::io::IsTerminal as _;
    colour_at(std::io::stdout().is_terminal())
}

/// [`colour_wanted`] when whether stdout is a terminal is already known.
pub(crate) fn colour_at(is_terminal: bool) -> bool {
    crate::core::render::use_colour(
        is_terminal,
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    )
}
