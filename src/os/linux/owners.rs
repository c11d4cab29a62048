//! Linux: which processes hold these socket inodes, found in `/proc/PID/fd` — reading as few
//! processes as a correct answer allows.
//!
//! Reading every fd link of every process is most of the cost of "who holds port P" (netstat2
//! does exactly that before it returns). Here the wanted inodes are known first, and:
//!
//! 1. Every process is listed once with its uid (a `stat` of `/proc/PID`, cheap next to reading
//!    its fds). Without root only our own processes are readable, so only those are kept.
//! 2. The processes whose uid is a wanted socket's uid are read in full: the creator usually
//!    still runs as that uid, and every same-uid process sharing the socket (forked workers) is
//!    found.
//! 3. The descendants of each holder found are read too: a master that bound as root and forked
//!    workers that then changed uid (nginx, apache) share the socket across uids.
//! 4. Only for inodes still unfound (a daemon that bound as root, then dropped privileges) are the
//!    remaining processes read, stopping as soon as every inode has an owner.
//!
//! Links are read relative to an open `/proc` (and `fd` directory) descriptor, with a stack
//! buffer, on two threads when there are many processes.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{AtFlags, Dir, Mode, OFlags, openat, readlinkat_raw, statat};

/// Below this many processes a second thread costs more than it saves.
const PARALLEL_FROM: usize = 64;

/// The pids holding each wanted inode (`wanted`: inode → the socket's uid, when known).
pub fn find(wanted: &HashMap<u64, Option<u32>>) -> HashMap<u64, Vec<u32>> {
    let mut found: HashMap<u64, Vec<u32>> = HashMap::new();
    let Ok(proc) =
        openat(rustix::fs::CWD, "/proc", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
    else {
        return found;
    };
    let root = rustix::process::geteuid().is_root();
    let me = rustix::process::geteuid().as_raw();
    let procs: Vec<(u32, u32)> =
        list_processes(&proc).into_iter().filter(|&(_, uid)| root || uid == me).collect();
    let inodes: HashSet<u64> = wanted.keys().copied().collect();
    let uids: HashSet<u32> = wanted.values().flatten().copied().collect();
    let mut scanned: HashSet<u32> = HashSet::new();

    let first: Vec<u32> = procs.iter().filter(|(_, uid)| uids.contains(uid)).map(|&(pid, _)| pid).collect();
    merge(&mut found, scan(&proc, &first, &inodes, false).0);
    scanned.extend(&first);

    let rest: Vec<u32> = procs.iter().map(|&(pid, _)| pid).filter(|p| !scanned.contains(p)).collect();
    let missing: HashSet<u64> = inodes.iter().filter(|i| !found.contains_key(i)).copied().collect();
    if !missing.is_empty() {
        let (more, complete) = scan(&proc, &rest, &missing, true);
        merge(&mut found, more);
        if complete {
            scanned.extend(&rest);
        }
    }

    let holders: Vec<u32> = found.values().flatten().copied().collect();
    let family: Vec<u32> =
        descendants(&proc, &holders).into_iter().filter(|p| !scanned.contains(p)).collect();
    merge(&mut found, scan(&proc, &family, &inodes, false).0);
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

/// Every process (thread-group leader) with the uid that owns its `/proc` entry.
fn list_processes(proc: &OwnedFd) -> Vec<(u32, u32)> {
    let Ok(dir) = Dir::read_from(proc) else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str().ok()?.parse().ok()?;
            let st = statat(proc, e.file_name(), AtFlags::empty()).ok()?;
            Some((pid, st.st_uid))
        })
        .collect()
}

/// Reads the fd links of `pids`, returning (inode, pid) for each wanted inode found, and whether
/// every pid was read. With `stop_early`, stops once every wanted inode has been seen.
fn scan(proc: &OwnedFd, pids: &[u32], wanted: &HashSet<u64>, stop_early: bool) -> (Vec<(u64, u32)>, bool) {
    if pids.is_empty() || wanted.is_empty() {
        return (Vec::new(), true);
    }
    let seen = Mutex::new(HashSet::new());
    let done = AtomicBool::new(false);
    let work = |chunk: &[u32]| {
        let mut out = Vec::new();
        for &pid in chunk {
            if done.load(Ordering::Relaxed) {
                break;
            }
            let before = out.len();
            socket_inodes(proc.as_fd(), pid, |inode| {
                if wanted.contains(&inode) {
                    out.push((inode, pid));
                }
            });
            if stop_early && out.len() > before {
                let mut seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                seen.extend(out[before..].iter().map(|&(i, _)| i));
                if seen.len() == wanted.len() {
                    done.store(true, Ordering::Relaxed);
                }
            }
        }
        out
    };
    let out = if pids.len() < PARALLEL_FROM {
        work(pids)
    } else {
        let (a, b) = pids.split_at(pids.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| work(b));
            let mut out = work(a);
            out.extend(other.join().unwrap_or_default());
            out
        })
    };
    (out, !done.load(Ordering::Relaxed))
}

/// Calls `each` with the inode of every socket process `pid` has open. Processes that are gone
/// or not ours to read are skipped silently.
fn socket_inodes(proc: BorrowedFd<'_>, pid: u32, mut each: impl FnMut(u64)) {
    let path = format!("{pid}/fd");
    let Ok(fd_dir) =
        openat(proc, path.as_str(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
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

/// `socket:[12345]` → 12345.
fn parse_socket_link(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
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

fn read_at(dir: &OwnedFd, path: &str) -> std::io::Result<String> {
    use std::io::Read as _;
    let fd = openat(dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text)?;
    Ok(text)
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
}
