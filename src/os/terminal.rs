//! The terminal portfix writes to: its width, so long lines (a command line can be 20,000
//! characters) are shortened to fit.

/// The width of the terminal on stdout, in columns; `None` when stdout is not a terminal (or,
/// on Windows, not asked).
pub fn stdout_columns() -> Option<usize> {
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
