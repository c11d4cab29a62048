//! Linux: which processes hold these socket inodes, found in `/proc/PID/fd` — reading as few
//! processes as a correct answer allows.
//!
//! Reading every fd link of every process is what makes `ss -p`, `lsof` and netstat2 slow. The
//! wanted inodes are known first here, so:
//!
//! 1. **Find a first owner.** Processes are read newest first (downwards from the last pid the
//!    kernel gave out: the server a developer asks about was usually started a moment ago), each
//!    one's `fd` directory only, until every wanted inode has an owner. The recent ones are
//!    listed from a read of `/proc` that starts near the last pid; all of `/proc` is listed
//!    only if they do not answer. No uid is looked up: the owner's uid often differs
//!    from the socket's (a daemon that bound as root, then dropped privileges), and without root
//!    another user's `fd` directory refuses to open at the first syscall anyway. When many
//!    processes must be read, a second thread shares the work.
//! 2. **Search its family for sharers.** A socket is shared by inheritance (fork: workers, a
//!    master and its workers, whatever their uids now) or by systemd's socket activation (pid 1
//!    and the service). So from each owner found, its parents are read while they hold a wanted
//!    socket too, then every descendant of the topmost one (below pid 1, whose descendants are
//!    every process) — and the search stops.
//!
//! What this does not find: a sharer outside that family — a descriptor passed over a Unix
//! socket to an unrelated process, or a forked holder whose parent exited (it is re-parented)
//! while the original still holds the socket. `ss -p` and `lsof` find those by reading every
//! process; portfix names the family, which is what one stops to free the port.
//!
//! Links are read relative to an open `/proc` (and `fd` directory) descriptor, with a stack
//! buffer.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::fs::{Dir, Mode, OFlags, openat, readlinkat_raw};

/// Processes read by the calling thread alone before a second thread joins in: the newest few
/// usually answer, and a thread costs more than reading them.
const ALONE_FIRST: usize = 48;
/// How many pids a thread takes from the shared list at a time.
const CHUNK: usize = 16;
/// How many pids back from the last one given out count as "recent" (see [`find`]).
const RECENT: u32 = 1024;
/// The offset of pid 0 in a read of `/proc` (`TGID_OFFSET` in the kernel's `fs/proc/base.c`:
/// the entries before the pids, then `self` and `thread-self`).
const TGID_OFFSET: i64 = 256 + 2;
/// The most parents read while looking for sharers above an owner.
const MAX_PARENTS: usize = 16;

/// The pids holding each wanted inode (`wanted`: inode → the socket's uid, when known; the uid
/// is not needed to find owners, see the module docs).
pub fn find(wanted: &HashMap<u64, Option<u32>>) -> HashMap<u64, Vec<u32>> {
    let mut found: HashMap<u64, Vec<u32>> = HashMap::new();
    let Ok(proc) =
        openat(rustix::fs::CWD, "/proc", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return found;
    };
    let inodes: HashSet<u64> = wanted.keys().copied().collect();
    let last = last_pid(&proc);
    let mut scanned: HashSet<u32> = HashSet::new();
    // The processes started since the last RECENT pids were given out, from a read of /proc
    // that starts there; then, if an inode is still without an owner, all the others.
    if let Some(last) = last {
        let recent: Vec<u32> =
            list_processes(&proc, last.saturating_sub(RECENT)).into_iter().filter(|&p| p <= last).collect();
        let (hits, read) = locate(&proc, &newest_first(recent, Some(last)), &inodes);
        merge(&mut found, hits);
        scanned.extend(read);
    }
    if found.len() < inodes.len() {
        let missing: HashSet<u64> = inodes.iter().filter(|i| !found.contains_key(i)).copied().collect();
        let rest: Vec<u32> = list_processes(&proc, 0).into_iter().filter(|p| !scanned.contains(p)).collect();
        let (hits, read) = locate(&proc, &newest_first(rest, last), &missing);
        merge(&mut found, hits);
        scanned.extend(read);
    }

    // Sharers: up from each owner while the parents hold a wanted socket too, then down from the
    // topmost holder.
    let mut tops: Vec<u32> = Vec::new();
    let owners: Vec<u32> = found.values().flatten().copied().collect();
    for owner in owners {
        let mut top = owner;
        let mut pid = owner;
        for _ in 0..MAX_PARENTS {
            let Some(parent) = parent_of(&proc, pid).filter(|&p| p > 0) else { break };
            let holds = if scanned.insert(parent) {
                let hits = read_one(&proc, parent, &inodes);
                let any = !hits.is_empty();
                merge(&mut found, hits);
                any
            } else {
                found.values().any(|v| v.contains(&parent))
            };
            if !holds {
                break;
            }
            if parent > 1 {
                top = parent;
            }
            pid = parent;
        }
        tops.push(top);
    }
    for pid in descendants(&proc, &tops) {
        if scanned.insert(pid) {
            merge(&mut found, read_one(&proc, pid, &inodes));
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

/// Every process (thread-group leader) in `/proc` whose pid is `from` or more. A read of
/// `/proc` lists pids in increasing order, and its offset is the pid plus [`TGID_OFFSET`]: it
/// starts there without listing the rest (the filter keeps the answer right if it does not).
fn list_processes(proc: &OwnedFd, from: u32) -> Vec<u32> {
    let Ok(mut dir) = Dir::read_from(proc) else { return Vec::new() };
    if from > 0 {
        let _ = dir.seek(i64::from(from) + TGID_OFFSET);
    }
    let mut out = Vec::new();
    while let Some(Ok(entry)) = dir.read() {
        if let Some(pid) = entry.file_name().to_str().ok().and_then(|n| n.parse::<u32>().ok()) {
            if pid >= from {
                out.push(pid);
            }
        }
    }
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

fn read_one(proc: &OwnedFd, pid: u32, wanted: &HashSet<u64>) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    socket_inodes(proc.as_fd(), pid, |inode| {
        if wanted.contains(&inode) {
            out.push((inode, pid));
        }
    });
    out
}

/// Reads the fd links of `pids` in order until every wanted inode has been seen. Returns
/// (inode, pid) for each wanted inode found, and the pids that were read in full.
fn locate(proc: &OwnedFd, pids: &[u32], wanted: &HashSet<u64>) -> (Vec<(u64, u32)>, Vec<u32>) {
    if pids.is_empty() || wanted.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let seen = Mutex::new(HashSet::new());
    let done = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let work = |take: usize, once: bool| {
        let (mut hits, mut read) = (Vec::new(), Vec::new());
        loop {
            let start = next.fetch_add(take, Ordering::Relaxed);
            if start >= pids.len() || done.load(Ordering::Relaxed) {
                break;
            }
            for &pid in &pids[start..(start + take).min(pids.len())] {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                let before = hits.len();
                hits.extend(read_one(proc, pid, wanted));
                read.push(pid);
                if hits.len() > before {
                    let mut seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    seen.extend(hits[before..].iter().map(|&(i, _)| i));
                    if seen.len() == wanted.len() {
                        done.store(true, Ordering::Relaxed);
                    }
                }
            }
            if once {
                break;
            }
        }
        (hits, read)
    };
    let (mut hits, mut read) = work(ALONE_FIRST, true);
    if !done.load(Ordering::Relaxed) && read.len() < pids.len() {
        std::thread::scope(|s| {
            let helper =
                std::thread::Builder::new().stack_size(64 * 1024).spawn_scoped(s, || work(CHUNK, false));
            let (h, r) = work(CHUNK, false);
            hits.extend(h);
            read.extend(r);
            if let Some((h, r)) = helper.ok().and_then(|t| t.join().ok()) {
                hits.extend(h);
                read.extend(r);
            }
        });
    }
    (hits, read)
}

/// Calls `each` with the inode of every socket process `pid` has open. Processes that are gone
/// or not ours to read are skipped silently.
fn socket_inodes(proc: BorrowedFd<'_>, pid: u32, mut each: impl FnMut(u64)) {
    let mut path = [0u8; 24];
    let Some(path) = pid_path(&mut path, pid, b"/fd") else { return };
    let Ok(fd_dir) = openat(proc, path, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return;
    };
    let Ok(mut dir) = Dir::new(fd_dir) else { return };
    let mut buf = [0u8; 64];
    while let Some(Ok(entry)) = dir.read() {
        let name = entry.file_name();
        if name.to_bytes().first() == Some(&b'.') {
            continue;
        }
        let Ok(dir_fd) = dir.fd() else { return };
        let len = match readlinkat_raw(dir_fd, name, &mut buf[..]) {
            Ok(len) => len,
            // Every link of a process is as readable as the first: stop at the first refusal.
            Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => return,
            Err(_) => continue,
        };
        if let Some(inode) = parse_socket_link(&buf[..len]) {
            each(inode);
        }
    }
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

/// The parent of `pid` (field 4 of `/proc/PID/stat`, after the name in parentheses, which is at
/// most 15 bytes: the first 128 bytes of the line hold it).
fn parent_of(proc: &OwnedFd, pid: u32) -> Option<u32> {
    let mut path = [0u8; 24];
    let fd =
        openat(proc, pid_path(&mut path, pid, b"/stat")?, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .ok()?;
    let mut buf = [0u8; 128];
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    let line = &buf[..n];
    let close = line.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&line[close + 1..]).ok()?;
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// Every descendant of these processes (from `/proc/PID/task/TID/children`), not including them.
fn descendants(proc: &OwnedFd, roots: &[u32]) -> Vec<u32> {
    let mut seen: HashSet<u32> = roots.iter().copied().collect();
    let mut queue: Vec<u32> = roots.to_vec();
    let mut out = Vec::new();
    while let Some(pid) = queue.pop() {
        for child in children(proc, pid) {
            if seen.insert(child) {
                out.push(child);
                queue.push(child);
            }
        }
    }
    out
}

fn children(proc: &OwnedFd, pid: u32) -> Vec<u32> {
    let task = format!("{pid}/task");
    let Ok(task_fd) =
        openat(proc, task.as_str(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return Vec::new();
    };
    let Ok(dir) = Dir::read_from(&task_fd) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Ok(tid) = entry.file_name().to_str() else { continue };
        if tid.starts_with('.') {
            continue;
        }
        let Ok(text) = read_at(&task_fd, &format!("{tid}/children")) else { continue };
        out.extend(text.split_ascii_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    out
}

/// A small procfs file whole: reads until one comes back short (procfs hands out what it has),
/// with no size query first.
fn read_at(dir: &OwnedFd, path: &str) -> std::io::Result<String> {
    let fd = openat(dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    loop {
        let room = buf.capacity() - buf.len();
        let n = rustix::io::read(&fd, rustix::buffer::spare_capacity(&mut buf))?;
        if n < room {
            return String::from_utf8(buf).map_err(|_| std::io::ErrorKind::InvalidData.into());
        }
        buf.reserve(buf.len());
    }
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

    #[test]
    fn parents_from_stat() {
        let proc =
            openat(rustix::fs::CWD, "/proc", OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
        let me = std::process::id();
        assert_eq!(parent_of(&proc, me), Some(std::os::unix::process::parent_id()));
        assert_eq!(parent_of(&proc, u32::MAX), None);
        let mut buf = [0u8; 24];
        assert_eq!(pid_path(&mut buf, 4_194_304, b"/stat").unwrap().to_bytes(), b"4194304/stat");
    }
}
