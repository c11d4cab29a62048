//! Thin adapters to the OS. No decisions here: they read tables and act, the core decides.
//!
//! Per-OS code lives behind one seam, `sys`, with the same functions on each OS: `linux.rs`,
//! `macos.rs`, `windows.rs`. Only Linux runs here; the others are type-checked by
//! `scripts/cross-check`.

#[cfg(target_os = "linux")]
#[path = "linux/mod.rs"]
mod sys;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;

pub mod child;
pub mod files;
pub mod launcher;
#[cfg(not(target_os = "linux"))]
mod netstat;
pub mod privilege;
pub mod probe;
pub mod process;
pub mod reserve;
pub mod sockets;
pub mod state;
pub mod stop;
pub mod terminal;
#[cfg(unix)]
mod unix;
