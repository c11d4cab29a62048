//! Integration tests: one test binary driving the real `portfix` binary against real sockets and
//! real processes. `harness` holds the small builder every test uses.

mod harness;

mod completions;
#[cfg(target_os = "linux")]
mod debuggers;
mod events;
mod free;
mod kill;
mod list;
mod localhost;
#[cfg(target_os = "linux")]
mod npm;
mod pipes;
#[cfg(unix)]
mod pty;
#[cfg(target_os = "linux")]
mod refused;
#[cfg(target_os = "linux")]
mod reuse;
mod run;
#[cfg(unix)]
mod services;
mod stable;
#[cfg(target_os = "linux")]
mod tools;
mod who;
