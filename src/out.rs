//! portfix's own output on stdout and stderr, written so that no write can panic or abort.
//!
//! std's `println!` and `eprintln!` panic when a write fails, and a release build aborts on a
//! panic: `portfix -- cmd 2>&1 | head -1` died of SIGABRT once `head` had gone. The rules here,
//! one for every command, text and `--json` alike (README, "Exit codes"):
//! - **A closed pipe** (EPIPE: the reader has gone, `portfix list | head -1`) is not an error.
//!   SIGPIPE stays ignored (see `main.rs`), so portfix is not killed mid-way: it finishes what it
//!   was doing (a `kill` still stops its holder, a wrapped command keeps its own streams, which
//!   meet the closed pipe themselves as they would without portfix), writes nothing more, and
//!   exits with the code it would have had.
//! - **A closed stdout** (`>&-`, EBADF, or any other write error) is an error: the output was
//!   asked for and went nowhere, so the command fails with one line on stderr (exit 125).
//! - **stderr** that cannot be written to is dropped: there is nowhere left to say so.
//!
//! `eprintln!` is this crate's own (the macro below, defined before every module in `main.rs`,
//! shadows std's everywhere in portfix), so a line added anywhere later is just as safe. Each
//! line goes out in one write, so that a command's output does not cut it.

/// `eprintln!` that never panics: see the module documentation.
macro_rules! eprintln {
    () => {
        $crate::out::err_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::err_line(format_args!($($arg)*))
    };
}

use std::fmt;
use std::io::{self, Write};

/// Writes one line to stderr in one write; a failure is dropped (nowhere left to report it).
pub(crate) fn err_line(args: fmt::Arguments<'_>) {
    let line = format!("{args}\n");
    let _ = io::stderr().write_all(line.as_bytes());
}

/// portfix's stdout for a command's output, line-buffered: a closed pipe swallows what follows
/// (quietly, once the reader has gone), any other failure is an error that says it was stdout.
pub(crate) fn stdout() -> io::LineWriter<Stdout> {
    io::LineWriter::new(Stdout { reader_gone: false })
}

/// Writes straight to fd 1. Not through `std::io::Stdout`, which takes EBADF (a closed stdout)
/// for success and would swallow the output silently.
pub(crate) struct Stdout {
    reader_gone: bool,
}

impl Stdout {
    fn judge<T>(&mut self, r: io::Result<T>, done: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.reader_gone = true;
                Ok(done)
            }
            Err(e) => Err(io::Error::new(e.kind(), format!("cannot write to stdout: {e}"))),
            ok => ok,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.reader_gone {
            return Ok(buf.len());
        }
        #[cfg(unix)]
        let r = rustix::io::write(rustix::stdio::stdout(), buf).map_err(io::Error::from);
        #[cfg(not(unix))]
        let r = io::stdout().write(buf);
        self.judge(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.reader_gone {
            return Ok(());
        }
        #[cfg(unix)]
        let r = Ok(());
        #[cfg(not(unix))]
        let r = io::stdout().flush();
        self.judge(r, ())
    }
}
