//! The command's output on its way to the user: copied live and byte-for-byte, while each line
//! is handed to a scanner (the bind-failure recogniser).
//!
//! Behind the [`Relay`] trait so that the pseudo-terminal relay (`pty.rs`) can replace the pipes:
//! a relay decides how the child's stdout/stderr are wired before spawning ([`Relay::wire`]) and
//! starts copying once the child exists ([`Relay::start`]).

use std::io::{self, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Which of the command's streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Called once for each chunk of output read, with the chunk's complete lines, from the relay's
/// own threads. Once per chunk, not per line: a scanner behind a lock takes it once per chunk
/// (a command printing short lines fast spent half the relay's time in that lock).
pub(crate) type LineSink = Arc<dyn Fn(Stream, Lines<'_>) + Send + Sync>;

/// Something that calls its argument with lines.
type EachLine<'a> = &'a mut dyn FnMut(&[u8]);

/// The complete lines of one chunk of output, each without its line ending.
pub(crate) struct Lines<'a>(&'a mut dyn FnMut(EachLine<'_>));

impl Lines<'_> {
    /// Calls `f` with each line, in order.
    pub(crate) fn each(self, mut f: impl FnMut(&[u8])) {
        (self.0)(&mut f);
    }
}

/// How the command's output reaches the user.
pub(crate) trait Relay {
    /// Wires the command's output before it is spawned.
    fn wire(&self, cmd: &mut Command) -> io::Result<()>;
    /// Starts copying the spawned command's output; each line also goes to `sink`.
    fn start(&self, child: &mut Child, sink: LineSink) -> io::Result<Relaying>;
    /// True when the command gets a terminal of its own and leads a new session on it (the
    /// pseudo-terminal); false when it runs in a process group on portfix's terminal.
    fn own_session(&self) -> bool {
        false
    }
    /// Gives the user's terminal back as portfix found it: before a prompt, when the command
    /// ends or stops, on the way out.
    fn release_terminal(&self) {}
    /// Takes the user's terminal again after a suspend (`fg`).
    fn take_terminal(&self) {}
}

/// Output copying in progress.
pub(crate) struct Relaying {
    threads: Vec<JoinHandle<()>>,
    done: mpsc::Receiver<()>,
    /// Ends what else the relay runs for this launch (the pty's key forwarding).
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl Relaying {
    /// Copying by `threads`, each of which sends once on `done`'s sender when its stream ends.
    pub(super) fn new(threads: Vec<JoinHandle<()>>, done: mpsc::Receiver<()>) -> Relaying {
        Relaying { threads, done, stop: None }
    }

    /// `stop` is called by [`Relaying::finish`], before it waits for the output.
    #[cfg(unix)]
    pub(super) fn with_stop(mut self, stop: Box<dyn FnOnce() + Send>) -> Relaying {
        self.stop = Some(stop);
        self
    }

    /// Waits until every stream has reached its end, for at most `limit`: a process that left
    /// the command's tree may keep a stream open, and portfix must not hang on it.
    pub(crate) fn finish(mut self, limit: Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        let deadline = std::time::Instant::now() + limit;
        for _ in 0..self.threads.len() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if self.done.recv_timeout(left).is_err() {
                return false;
            }
        }
        for t in std::mem::take(&mut self.threads) {
            let _ = t.join();
        }
        true
    }
}

impl Drop for Relaying {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Pipes: stdout and stderr each through a pipe, copied by one thread each; stdin inherited.
/// A stream portfix cannot write to at all (closed by the caller, `>&-`: see `main::start`) is
/// given to the command as it is, so that the command meets the closed stream itself and says
/// so, as it would without portfix, instead of writing into a pipe that goes nowhere.
pub(crate) struct Pipes;

impl Relay for Pipes {
    fn wire(&self, cmd: &mut Command) -> io::Result<()> {
        let through = |fd| if unwritable(fd) { Stdio::inherit() } else { Stdio::piped() };
        cmd.stdin(Stdio::inherit()).stdout(through(1)).stderr(through(2));
        Ok(())
    }

    fn start(&self, child: &mut Child, sink: LineSink) -> io::Result<Relaying> {
        let (tx, done) = mpsc::channel();
        let mut threads = Vec::with_capacity(2);
        if let Some(out) = child.stdout.take() {
            widen_pipe(&out);
            threads.push(copy_thread(out, Stream::Stdout, Arc::clone(&sink), tx.clone())?);
        }
        if let Some(err) = child.stderr.take() {
            widen_pipe(&err);
            threads.push(copy_thread(err, Stream::Stderr, sink, tx)?);
        }
        Ok(Relaying::new(threads, done))
    }
}

/// Whether portfix's fd `fd` cannot be written to (open read-only: a stream the caller closed).
fn unwritable(fd: i32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: fcntl(F_GETFL) on fd 1 or 2 reads the file status flags, touching no memory.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        flags >= 0 && flags & libc::O_ACCMODE == libc::O_RDONLY
    }
    #[cfg(not(unix))]
    {
        let _ = fd;
        false
    }
}

pub(super) fn copy_thread(
    mut from: impl Read + Send + 'static,
    stream: Stream,
    sink: LineSink,
    done: mpsc::Sender<()>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(format!("relay-{stream:?}")).spawn(move || {
        let mut to = super::sys_out(stream);
        let mut lines = LineSplitter::default();
        let mut buf = vec![0u8; 128 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let chunk = &buf[..n];
            // Written before scanning, unbuffered: the user sees output as soon as it exists.
            if to.write_all(chunk).and_then(|()| to.flush()).is_err() {
                // Our own output is gone (`portfix -- cmd | head`): close the pipe so that the
                // command meets the same closed pipe it would have met without portfix.
                break;
            }
            sink(stream, Lines(&mut |each| lines.feed(chunk, each)));
        }
        sink(stream, Lines(&mut |each| lines.finish(each)));
        let _ = done.send(());
    })
}

/// A bigger pipe means fewer reads and writes for a chatty command.
#[cfg(target_os = "linux")]
fn widen_pipe(pipe: &impl std::os::fd::AsRawFd) {
    // SAFETY: fcntl on a pipe fd we own; failure only leaves the default size.
    unsafe {
        libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn widen_pipe<T>(_pipe: &T) {}

/// Longest line handed to the scanner; the rest of a longer line is not scanned (output is
/// still relayed whole). Bind failures are short lines.
const MAX_LINE: usize = 8 * 1024;

/// Splits a byte stream into lines across chunk boundaries. Pure.
#[derive(Default)]
pub(crate) struct LineSplitter {
    partial: Vec<u8>,
    overlong: bool,
}

impl LineSplitter {
    /// Feeds a chunk; calls `line` for each line it completes (without `\n` or `\r\n`).
    pub(crate) fn feed(&mut self, chunk: &[u8], mut line: impl FnMut(&[u8])) {
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let (head, tail) = (&rest[..i], &rest[i + 1..]);
            if self.partial.is_empty() && !self.overlong {
                line(trim_cr(&head[..head.len().min(MAX_LINE)]));
            } else {
                self.push(head);
                line(trim_cr(&self.partial));
                self.partial.clear();
            }
            self.overlong = false;
            rest = tail;
        }
        self.push(rest);
    }

    /// The last line, when the stream ended without a line ending.
    pub(crate) fn finish(&mut self, mut line: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            line(trim_cr(&self.partial));
            self.partial.clear();
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.overlong = true;
        }
        self.partial.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        s.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        out
    }

    #[test]
    fn lines_across_chunks() {
        for (chunks, want) in [
            (&[&b"a\nb\n"[..]][..], &["a", "b"][..]),
            (&[b"ab", b"c\nd"], &["abc", "d"]),
            (&[b"x\r\n", b"\r\n"], &["x", ""]),
            (&[b"", b"\n"], &[""]),
            (&[b"no newline"], &["no newline"]),
            (&[b"a", b"b", b"c"], &["abc"]),
        ] {
            assert_eq!(split(chunks), want, "{chunks:?}");
        }
    }

    #[test]
    fn overlong_lines_are_cut_not_lost() {
        let long = vec![b'x'; MAX_LINE * 3];
        let got = split(&[&long, b"\nnext\n"]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), MAX_LINE);
        assert_eq!(got[1], "next");
        let got = split(&[&long[..MAX_LINE + 5], &long[..10], b"\nnext\n"]);
        assert_eq!(got[0].len(), MAX_LINE);
        assert_eq!(got[1], "next");
    }
}
