//! Linux: which processes hold these socket inodes, found in `/proc/PID/fd`.
//!
//! Every process is read: a socket can be shared by processes that are no family of each other
//! (a descriptor passed over a Unix socket with SCM_RIGHTS, a daemonised child re-parented to
//! init while its parent keeps the socket), and only the fd tables tell. `kill` must name and
//! stop them all, so no search may stop at the first owner. What keeps it cheap:
//!
//! - Kernel threads (half the pids of a typical host) are left out at once: they are kthreadd's
//!   children, one read of `/proc/2/task/2/children`, and hold no descriptors.
//! - Only the `fd` directory of each process is read, and only its links (a stack buffer, read
//!   relative to an open `/proc` and `fd` directory descriptor): no `stat`, `status` or
//!   `cmdline` of processes that hold nothing wanted. No uid is looked up: the owner's uid often
//!   differs from the socket's (a daemon that bound as root, then dropped privileges), and
//!   without root another user's `fd` directory refuses to open at the first syscall anyway.
//! - When many processes must be read, a second thread shares the work.
//! - A process whose main thread has exited (its leader is a zombie while other threads run on)
//!   shows an empty `fd` directory; its descriptors are read through `/proc/PID/task/TID/fd`.
//!   Only when a socket is left without an owner do empty `fd` directories get that second
//!   look.
//! - An `fd` directory costs one `getdents64` (see [`fd_inodes`]).

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{Dir, Mode, OFlags, RawDir, openat, readlinkat_raw};

/// Processes read by the calling thread alone before a second thread joins in: a thread costs
/// more than reading a few.
const ALONE_FIRST: usize = 48;
/// How many pids a thread takes from the shared list at a time.
const CHUNK: usize = 16;

/// The pids holding each wanted inode (`wanted`: inode → the socket's uid, when known; the uid
/// is not needed to find owners, see the module docs).
pub(crate) fn find(wanted: &HashMap<u64, Option<u32>>) -> HashMap<u64, Vec<u32>> {
    let mut found: HashMap<u64, Vec<u32>> = HashMap::new();
    let Ok(proc) =
        openat(rustix::fs::CWD, "/proc", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return found;
    };
    let inodes: HashSet<u64> = wanted.keys().copied().collect();
    if inodes.is_empty() {
        return found;
    }
    // Kernel threads have no descriptors: they are left out, all at once (kthreadd's children).
    let kernel = kernel_threads(&proc);
    let mut pids = list_processes(&proc);
    pids.retain(|p| !kernel.contains(p));
    let pids = newest_first(pids, last_pid(&proc));
    let (hits, empty) = locate(&proc, &pids, &inodes);
    merge(&mut found, hits);
    // A socket nobody seems to hold: a process whose main thread exited keeps its descriptors
    // in its other threads only; that second look is spent only then.
    if found.len() < inodes.len() {
        for pid in empty {
            merge(&mut found, read_one(&proc, pid, &inodes, true).unwrap_or_default());
        }
    }
    for pids in found.values_mut() {
        pids.sort_unstable();
        pids.dedup();
    }
    found
}

fn merge(into: &mut HashMap<u64, Vec<u32>>, from: Vec<(u64, u32)>) {
    for (inode, pid) in from {
        into.entry(inode).or_default().push(pid);
    }
}

/// Every process (thread-group leader) in `/proc`.
fn list_processes(proc: &OwnedFd) -> Vec<u32> {
    let Ok(mut dir) = Dir::read_from(proc) else { return Vec::new() };
    let mut out = Vec::new();
    while let Some(Ok(entry)) = dir.read() {
        if let Some(pid) = entry.file_name().to_str().ok().and_then(|n| n.parse::<u32>().ok()) {
            out.push(pid);
        }
    }
    out
}

/// Kernel threads: kthreadd (pid 2) and its children (`/proc/2/task/2/children`, one read).
/// Empty in a pid namespace of its own, where they are not seen anyway.
fn kernel_threads(proc: &OwnedFd) -> HashSet<u32> {
    let mut out = HashSet::new();
    let Ok(fd) = openat(proc, "2/task/2/children", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) else {
        return out;
    };
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let room = buf.capacity() - buf.len();
        match rustix::io::read(&fd, rustix::buffer::spare_capacity(&mut buf)) {
            Ok(n) if n < room => break,
            Ok(_) => buf.reserve(buf.len()),
            Err(_) => return HashSet::new(),
        }
    }
    out.insert(2);
    out.extend(
        std::str::from_utf8(&buf)
            .unwrap_or_default()
            .split_ascii_whitespace()
            .filter_map(|p| p.parse::<u32>().ok()),
    );
    out
}

/// The pid the kernel gave out last (`/proc/sys/kernel/ns_last_pid`, readable by everyone).
fn last_pid(proc: &OwnedFd) -> Option<u32> {
    let fd = openat(proc, "sys/kernel/ns_last_pid", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut buf = [0u8; 16];
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

/// Pids from the most recently started: downwards from the last pid given out, then (the
/// numbers wrap at `pid_max`) downwards from the top. This process comes last: it holds nothing
/// that anyone asks about, except in this module's own tests.
fn newest_first(mut pids: Vec<u32>, last: Option<u32>) -> Vec<u32> {
    let last = last.unwrap_or(u32::MAX);
    let me = std::process::id();
    pids.sort_unstable_by_key(|&p| (p == me, p > last, std::cmp::Reverse(p)));
    pids
}

/// The wanted inodes process `pid` holds, as (inode, pid); `threads`: read them through its
/// threads' `fd` directories (see [`find`]). `None` when its `fd` directory was empty.
fn read_one(proc: &OwnedFd, pid: u32, wanted: &HashSet<u64>, threads: bool) -> Option<Vec<(u64, u32)>> {
    let mut out = Vec::new();
    let mut keep = |inode| {
        if wanted.contains(&inode) {
            out.push((inode, pid));
        }
    };
    let mut path = [0u8; 24];
    if threads {
        thread_inodes(proc.as_fd(), pid, &mut keep);
    } else if fd_inodes(proc.as_fd(), pid_path(&mut path, pid, b"/fd")?, &mut keep) == Some(0) {
        return None;
    }
    Some(out)
}

/// Reads the fd links of every one of `pids`: (inode, pid) for each wanted inode found, and the
/// pids whose `fd` directory was empty.
fn locate(proc: &OwnedFd, pids: &[u32], wanted: &HashSet<u64>) -> (Vec<(u64, u32)>, Vec<u32>) {
    let next = AtomicUsize::new(0);
    let work = |take: usize, once: bool| {
        let (mut hits, mut empty) = (Vec::new(), Vec::new());
        loop {
            let start = next.fetch_add(take, Ordering::Relaxed);
            if start >= pids.len() {
                break;
            }
            for &pid in &pids[start..(start + take).min(pids.len())] {
                match read_one(proc, pid, wanted, false) {
                    Some(h) => hits.extend(h),
                    None => empty.push(pid),
                }
            }
            if once {
                break;
            }
        }
        (hits, empty)
    };
    let (mut hits, mut empty) = work(ALONE_FIRST, true);
    if ALONE_FIRST < pids.len() {
        std::thread::scope(|s| {
            let helper =
                std::thread::Builder::new().stack_size(64 * 1024).spawn_scoped(s, || work(CHUNK, false));
            let (h, e) = work(CHUNK, false);
            hits.extend(h);
            empty.extend(e);
            if let Some((h, e)) = helper.ok().and_then(|t| t.join().ok()) {
                hits.extend(h);
                empty.extend(e);
            }
        });
    }
    (hits, empty)
}

/// Calls `each` with the socket inodes the threads of `pid` other than its leader hold: for a
/// process whose main thread has exited (the leader is a zombie, its `fd` directory empty) while
/// other threads run on. The threads of a process share one fd table: the first one read is
/// enough.
fn thread_inodes(proc: BorrowedFd<'_>, pid: u32, each: &mut impl FnMut(u64)) {
    let mut path = [0u8; 24];
    let Some(task_path) = pid_path(&mut path, pid, b"/task") else { return };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(task) = openat(proc, task_path, flags, Mode::empty()) else { return };
    let Ok(mut dir) = Dir::read_from(&task) else { return };
    while let Some(Ok(entry)) = dir.read() {
        let Some(tid) = entry.file_name().to_str().ok().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let mut tid_path = [0u8; 24];
        if let Some(p) = pid_path(&mut tid_path, tid, b"/fd").filter(|_| tid != pid) {
            if fd_inodes(task.as_fd(), p, each).is_some_and(|n| n > 0) {
                return;
            }
        }
    }
}

/// Room for the entries of one read of an `fd` directory (about 80 descriptors).
const DIRENT_BUF: usize = 2048;
/// The most one `fd` entry takes in a `getdents64` buffer (`linux_dirent64` with a name of at
/// most 10 digits, 8-byte aligned).
const MAX_FD_ENTRY: usize = 32;

/// Calls `each` with the socket inodes among the links of the `fd` directory at `path` (under
/// `at`). Returns how many links it held, `None` when it could not be read.
///
/// procfs fills a `getdents64` buffer with every descriptor that fits and stops only when one
/// does not: a read that left room for another entry was the last, and the read that would
/// return 0 is skipped (most processes then cost one open, one read, their links and a close).
fn fd_inodes(at: BorrowedFd<'_>, path: &std::ffi::CStr, each: &mut impl FnMut(u64)) -> Option<usize> {
    let fd_dir =
        openat(at, path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut space = [std::mem::MaybeUninit::<u8>::uninit(); DIRENT_BUF];
    let mut dir = RawDir::new(&fd_dir, &mut space);
    let mut buf = [0u8; 64];
    let mut links = 0;
    // Bytes of the current buffer's entries taken so far.
    let mut used = 0;
    loop {
        if dir.is_buffer_empty() {
            used = 0;
        }
        let Some(Ok(entry)) = dir.next() else { break };
        let name = entry.file_name();
        used += (19 + name.to_bytes().len() + 1).next_multiple_of(8);
        if name.to_bytes().first() != Some(&b'.') {
            links += 1;
            match readlinkat_raw(&fd_dir, name, &mut buf[..]) {
                Ok(len) => {
                    if let Some(inode) = parse_socket_link(&buf[..len]) {
                        each(inode);
                    }
                }
                // Every link of a process is as readable as the first: stop at the first refusal.
                Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => return None,
                Err(_) => {}
            }
        }
        if dir.is_buffer_empty() && used + MAX_FD_ENTRY <= DIRENT_BUF {
            break;
        }
    }
    Some(links)
}

/// `PID` followed by `suffix` as a C string in `buf`, with no allocation.
fn pid_path<'a>(buf: &'a mut [u8; 24], pid: u32, suffix: &[u8]) -> Option<&'a std::ffi::CStr> {
    use std::io::Write as _;
    let mut w = &mut buf[..];
    write!(w, "{pid}").ok()?;
    w.write_all(suffix).ok()?;
    w.write_all(b"\0").ok()?;
    std::ffi::CStr::from_bytes_until_nul(&buf[..]).ok()
}

/// `socket:[12345]` → 12345.
fn parse_socket_link(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_links() {
        assert_eq!(parse_socket_link(b"socket:[12345]"), Some(12345));
        assert_eq!(parse_socket_link(b"pipe:[12345]"), None);
        assert_eq!(parse_socket_link(b"/dev/null"), None);
        assert_eq!(parse_socket_link(b"socket:[]"), None);
    }

    #[test]
    fn finds_its_own_socket_and_nothing_for_an_unknown_inode() {
        use std::os::unix::fs::MetadataExt as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let link =
            std::fs::read_link(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&listener)))
                .unwrap();
        let inode = parse_socket_link(link.as_os_str().as_encoded_bytes()).unwrap();
        let uid = std::fs::metadata("/proc/self").unwrap().uid();
        let wanted = HashMap::from([(inode, Some(uid)), (u64::MAX, Some(uid))]);
        let found = find(&wanted);
        assert_eq!(found.get(&inode), Some(&vec![std::process::id()]));
        assert!(!found.contains_key(&u64::MAX));
    }

    #[test]
    fn newest_processes_first_across_the_wrap() {
        let me = std::process::id();
        let pids = vec![1, 7, me, 300, 32000, 250, 31000];
        assert_eq!(newest_first(pids.clone(), Some(260)), [250, 7, 1, 32000, 31000, 300, me]);
        assert_eq!(newest_first(pids, None), [32000, 31000, 300, 250, 7, 1, me]);
    }
}
