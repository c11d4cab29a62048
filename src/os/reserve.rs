//! Port reservations shared by every portfix of this user: a port one portfix has chosen and is
//! about to start its command on is passed over by the others, so that eight runs moved off the
//! same held port at once end on eight ports, not one (the bind-failure retry stays the safety
//! net behind this).
//!
//! A reservation is an exclusive `flock` on `<dir>/tcp-PORT.lock` (on Linux
//! `<dir>/net-INODE-tcp-PORT.lock`: ports belong to a network namespace, and a run in another
//! one, a container's or `unshare -n`'s, does not compete for them), where `<dir>` is
//! `$XDG_RUNTIME_DIR/portfix`, else `/tmp/portfix-UID`, made 0700 and refused unless it is a real
//! directory of this user's that no one else may write to. The lock belongs to an open file: it
//! is released when portfix lets go of it (its command listens on the port, or ended) and, by
//! the kernel, when portfix dies in any way — so there is never stale state, a lock file left
//! behind reserves nothing. Files are not removed (removing a lock file races with a process
//! about to lock it); there is at most one per port. Windows: no reservations (the retry alone).

use std::io;
#[cfg(unix)]
use std::path::PathBuf;

use crate::core::port::Port;

/// A port reserved by this process until dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    pub(crate) port: Port,
    #[cfg(unix)]
    _lock: std::fs::File,
}

/// Reserves `port` unless another portfix holds it: `Ok(None)` then. An error means
/// reservations cannot be made here (no usable directory): the caller goes on without.
#[cfg(unix)]
pub(crate) fn try_reserve(port: Port) -> io::Result<Option<Reservation>> {
    let path = dir()?.join(format!("{}tcp-{port}.lock", net_scope()));
    let file = crate::os::files::open_lock(&path)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(Reservation { port, _lock: file })),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
pub(crate) fn try_reserve(port: Port) -> io::Result<Option<Reservation>> {
    Ok(Some(Reservation { port }))
}

/// The network namespace the ports belong to, as a file-name prefix (Linux; elsewhere one).
#[cfg(unix)]
fn net_scope() -> String {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let Ok(m) = std::fs::metadata("/proc/self/ns/net") {
            return format!("net-{}-", m.ino());
        }
    }
    String::new()
}

/// The directory of this user's reservations, made when missing.
#[cfg(unix)]
fn dir() -> io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
    let uid = rustix::process::geteuid().as_raw();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(d) if d.is_absolute() => d.join("portfix"),
        _ => std::env::temp_dir().join(format!("portfix-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not a private directory of this user's", dir.display()),
        ));
    }
    Ok(dir)
}

/// Keeps `reserved` in a background process of its own (detached: its own session, stdio on
/// /dev/null, so that `$(portfix free --reserve 30)` returns at once) for at most `limit`, each
/// until something listens on its port. Returns that process's pid. Call it only while portfix
/// has one thread (it forks).
#[cfg(unix)]
pub(crate) fn hold_in_background(
    mut reserved: Vec<Reservation>,
    limit: std::time::Duration,
) -> io::Result<u32> {
    use crate::core::socket::Proto;
    // SAFETY: fork(2) with one thread in the process: the child may go on running Rust code.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            let _ = rustix::process::setsid();
            // SAFETY: open/dup2/close on fds of this process only; the path is NUL-terminated.
            unsafe {
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 {
                    for fd in 0..3 {
                        libc::dup2(null, fd);
                    }
                    if null > 2 {
                        libc::close(null);
                    }
                }
            }
            let _ = crate::os::poll(limit, std::time::Duration::from_millis(100), || {
                if let Ok(held) = crate::os::probe::held_ports(Proto::Tcp) {
                    reserved.retain(|r| !held.contains(&r.port.get()));
                }
                reserved.is_empty().then_some(())
            });
            // SAFETY: _exit(2) ends this forked child without running the parent's exit code.
            unsafe { libc::_exit(0) }
        }
        pid => Ok(pid as u32),
    }
}

#[cfg(not(unix))]
pub(crate) fn hold_in_background(
    _reserved: Vec<Reservation>,
    _limit: std::time::Duration,
) -> io::Result<u32> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "--reserve is not available on this OS"))
}
