//! portfix: parse, run, map the outcome to an exit code. Nothing else lives here.
//!
//! On Linux with glibc portfix starts at C's `main` (`no_main`), not through std's runtime set-up:
//! `portfix who P` must answer in about half the time `ss` takes, and std's start-up (reading
//! `/proc/self/maps` to place a stack guard, installing a SIGSEGV handler on an alternate stack)
//! is a measurable share of that, for a message about stack overflow alone. What portfix needs
//! from that set-up is done in [`start`]: standard streams that are open, and SIGPIPE ignored so
//! a closed reader is a broken-pipe error that portfix handles (`out`: finish the work quietly,
//! keep the exit code), not a death in the middle of a `kill`. `std::env`
//! still sees the arguments: glibc hands them to std's initialiser. Children get SIGPIPE back at
//! its default (std's spawn resets it). A panic still prints its message, then aborts in a
//! release build; in a debug build it exits 101 as std's runtime does.

#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

// First: its `eprintln!` replaces std's in every module after it (a write never panics).
#[macro_use]
mod out;

mod cli;
mod cmd;
mod core;
mod exit;
mod os;

use clap::Parser;

// Not in unit tests: there the test harness is the program, and its `main` must be the one.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start();
    // A panic must not unwind across this C boundary (that aborts without saying why).
    let code = std::panic::catch_unwind(run).unwrap_or(101);
    std::process::exit(code)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() {
    std::process::exit(run());
}

fn run() -> i32 {
    os::launcher::watch_launcher();
    match cli::Cli::try_parse() {
        Ok(cli) => match cmd::run(cli) {
            Ok(outcome) => outcome.code(),
            Err(err) => report(&err),
        },
        Err(err) => cmd::usage_error(&err),
    }
}

/// What portfix keeps of std's runtime set-up: fds 0-2 open (on /dev/null where a caller closed
/// one, so no socket or file portfix opens takes its place), and SIGPIPE ignored. Unlike std,
/// a closed stdout or stderr is reopened read-only (a closed stdin write-only): a write to it
/// still fails (EBADF) as it would have, and is reported, not swallowed (`portfix list >&-`);
/// the command portfix runs inherits the same.
#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
fn start() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd { fd, events: 0, revents: 0 });
    // SAFETY: poll(2) reads and writes the three pollfds of a live array; with no events asked
    // and no wait it only reports POLLNVAL for a closed fd. open(2) gets a NUL-terminated path,
    // and the lowest free fd it returns is that closed fd, kept open for good.
    unsafe {
        if libc::poll(fds.as_mut_ptr(), 3, 0) > 0 {
            for p in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
                let mode = if p.fd == 0 { libc::O_WRONLY } else { libc::O_RDONLY };
                if libc::open(c"/dev/null".as_ptr(), mode) != p.fd {
                    libc::abort();
                }
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Prints an error as `portfix: what is wrong` plus, when known, one line saying what to do.
fn report(err: &anyhow::Error) -> i32 {
    if exit::is_broken_pipe(err) {
        return 0;
    }
    let code = exit::code_of(err);
    eprintln!("portfix: {}", core::render::one_line(&format!("{err:#}")));
    if let Some(hint) = err.downcast_ref::<exit::Failure>().and_then(|f| f.hint.as_deref()) {
        eprintln!("portfix: {hint}");
    }
    code.as_i32()
}
