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

pub(crate) mod child;
pub(crate) mod files;
pub(crate) mod holders;
pub(crate) mod launcher;
#[cfg(not(target_os = "linux"))]
mod netstat;
pub(crate) mod privilege;
pub(crate) mod probe;
pub(crate) mod process;
pub(crate) mod reserve;
pub(crate) mod sockets;
pub(crate) mod stable_ports;
pub(crate) mod state;
pub(crate) mod stop;
pub(crate) mod terminal;
#[cfg(unix)]
mod unix;

/// The one polling loop: calls `f` until it gives a value or `limit` has passed, sleeping
/// `every` (at most what is left) between calls. `None` when the time ran out.
pub(crate) fn poll<T>(
    limit: std::time::Duration,
    every: std::time::Duration,
    mut f: impl FnMut() -> Option<T>,
) -> Option<T> {
    let until = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(every.min(left));
    }
}

/// Waits until one of these processes ends, or `timeout` passes, by looking every 5 ms: the
/// `wait_exit` of the OSes without a process handle to sleep on (macOS, Windows).
#[cfg(not(target_os = "linux"))]
pub(crate) fn wait_exit_polled(ids: &[crate::core::stop::Ident], timeout: std::time::Duration) {
    let _ = poll(timeout, std::time::Duration::from_millis(5), || {
        ids.iter().any(|&id| !sys::is_alive(id)).then_some(())
    });
}
