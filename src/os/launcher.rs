//! portfix started by the npm launcher (`npm/portfix/bin/portfix.js`): end with it.
//!
//! The launcher is a node process between the shell and portfix. If it is SIGKILLed, nothing
//! tells portfix, which would go on (with the dev server) as an orphan. The launcher puts its
//! own pid in `PORTFIX_LAUNCHER_PID`; when that is portfix's parent, portfix asks to be sent
//! SIGTERM when that parent dies, and its usual SIGTERM handling then ends the command's tree
//! and restores the terminal. The parent is checked by pid, so a portfix started further down
//! (a nested `portfix -- npm run dev`, which inherits the variable) is not affected.
//!
//! - Linux: `PR_SET_PDEATHSIG`, then the parent is checked again: if the launcher died before
//!   the request took effect, portfix has been re-parented and SIGTERMs itself.
//! - macOS: no PDEATHSIG; a thread polls `getppid()` (re-parenting to launchd changes it).
//! - Windows: the launcher cannot be SIGKILLed into an orphan the same way; nothing is done.

/// The variable the npm launcher sets to its own pid.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) const LAUNCHER_PID_VAR: &str = "PORTFIX_LAUNCHER_PID";

/// The launcher's pid when it is portfix's parent.
#[cfg(unix)]
fn launcher_parent() -> Option<libc::pid_t> {
    let want: libc::pid_t = std::env::var(LAUNCHER_PID_VAR).ok()?.trim().parse().ok()?;
    // SAFETY: getppid(2) takes no arguments, cannot fail and touches no memory.
    (want > 1 && unsafe { libc::getppid() } == want).then_some(want)
}

/// Called once, early in `main`: when the parent is the npm launcher, end with it.
#[cfg(target_os = "linux")]
pub(crate) fn watch_launcher() {
    let Some(launcher) = launcher_parent() else { return };
    // SAFETY: prctl(2) PR_SET_PDEATHSIG takes a signal number; getppid/kill touch no memory.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong, 0, 0, 0);
        if libc::getppid() != launcher {
            libc::kill(libc::getpid(), libc::SIGTERM);
        }
    }
}

#[cfg(target_os = "macos")]
pub(crate) fn watch_launcher() {
    let Some(launcher) = launcher_parent() else { return };
    let _ = std::thread::Builder::new().name("launcher".into()).spawn(move || {
        // SAFETY: getppid/getpid/kill take plain integers and touch no memory.
        while unsafe { libc::getppid() } == launcher {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        // SAFETY: kill(2) on this process's own pid, plain integers.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    });
}

#[cfg(windows)]
pub(crate) fn watch_launcher() {}
