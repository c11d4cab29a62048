//! What portfix knows about a process that holds a port. Pure data: `os::process` fills it in.

use std::path::PathBuf;

/// How many parents any walk up from a process reads, at most: the one depth rule of every
/// chain (`os::process::chain`, the stop plan's `chain_of`, portfix's own ancestors). Deep enough
/// for an IDE → terminal → shell → npm → sh → node tree with a supervisor above it.
pub(crate) const PARENTS: usize = 16;

/// The one walk up a process tree: from `pid`'s parent `first`, `read` gives each parent (a
/// value, and that parent's own parent) until the top — pid 0, after pid 1, a pid already
/// seen (a loop), a parent `read` cannot see, or `max` parents. Nearest parent first.
pub(crate) fn walk_up<T>(
    pid: u32,
    first: Option<u32>,
    max: usize,
    mut read: impl FnMut(u32) -> Option<(T, Option<u32>)>,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut seen = vec![pid];
    let mut next = first;
    while let Some(p) = next {
        if out.len() >= max || p == 0 || seen.contains(&p) {
            break;
        }
        let Some((value, parent)) = read(p) else { break };
        seen.push(p);
        out.push(value);
        next = if p == 1 { None } else { parent };
    }
    out
}

/// One process, as far as the user may see it. Fields the OS would not show (another user's
/// process without root) are `None` or empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub(crate) struct ProcessInfo {
    pub(crate) pid: u32,
    pub(crate) ppid: Option<u32>,
    /// Process group and session (Unix).
    pub(crate) pgid: Option<u32>,
    pub(crate) sid: Option<u32>,
    pub(crate) name: String,
    /// The full command line, unescaped (escape with `render::escape` before printing).
    pub(crate) cmdline: Vec<String>,
    pub(crate) exe: Option<PathBuf>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) uid: Option<u32>,
    pub(crate) user: Option<String>,
    /// Start time, seconds since the Unix epoch.
    pub(crate) start_time: Option<u64>,
    /// Start time in clock ticks since boot (Linux, field 22 of `/proc/PID/stat`): with the pid,
    /// the process's identity.
    pub(crate) start_ticks: Option<u64>,
    /// A kernel thread (no command line, child of kthreadd): never a holder to stop.
    pub(crate) kernel_thread: bool,
    /// The systemd unit the process runs in, from `/proc/PID/cgroup` (Linux): the innermost
    /// `*.service` or `*.scope`, as systemd names it (`nginx.service`, `session-3.scope`,
    /// `docker-<id>.scope`). Scopes are kept as data; `core::holder::supervisor` decides which
    /// units would restart a process.
    pub(crate) systemd_unit: Option<String>,
    /// When `systemd_unit` belongs to a user's service manager (`user@UID.service`, managed
    /// with `systemctl --user`): that manager's uid. `None` for system units.
    pub(crate) systemd_user: Option<u32>,
    /// Suspended: stopped by SIGSTOP / SIGTSTP (Ctrl-Z), state `T` (Linux; macOS from sysinfo).
    /// It holds its sockets but answers nothing until resumed (SIGCONT).
    pub(crate) suspended: bool,
    /// Its controlling terminal (`/dev/pts/3`), when it has one (Linux: `tty_nr` of
    /// `/proc/PID/stat`).
    pub(crate) tty: Option<String>,
    /// The init (pid 1) of a pid namespace nested below portfix's (a container's init), seen
    /// from outside under another pid (Linux: the last `NSpid` of `/proc/PID/status` is 1).
    /// Stopping it ends every process of that namespace.
    pub(crate) namespace_init: bool,
}
