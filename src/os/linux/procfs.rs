//! Linux: process details straight from `/proc/PID`.
//!
//! Why not sysinfo here: sysinfo 0.36 answers `ProcessesToUpdate::Some(pids)` by listing all of
//! `/proc` (and every `/proc/PID/task`) and filtering afterwards, so a question about one pid
//! costs a walk of the whole table. Reading the handful of small files of the pids asked about
//! (`stat`, `status`, `cmdline`, `cgroup`, the `exe` and `cwd` links) is all that is needed.
//!
//! Another user's process (without root): `stat`, `status`, `cmdline` and `cgroup` stay
//! readable, `exe` and `cwd` do not — those fields are then `None`. A pid that is gone, or
//! hidden (`hidepid`), yields nothing.

use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt as _;
use std::path::PathBuf;
use std::sync::OnceLock;

use rustix::fs::{Mode, OFlags};

use crate::core::process::ProcessInfo;

/// `PF_KTHREAD` in the flags field of `/proc/PID/stat`: the task is a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// Details of these processes, in the order given; gone or hidden pids are left out.
pub(crate) fn describe_processes(pids: &[u32]) -> Vec<ProcessInfo> {
    pids.iter().filter_map(|&pid| read_process(pid, true)).collect()
}

/// Like [`describe_processes`], reading only `stat` and `cmdline`: pid, parent, group, session,
/// name, command line, start time. No exe, directory, user or unit.
pub(crate) fn describe_briefly(pids: &[u32]) -> Vec<ProcessInfo> {
    pids.iter().filter_map(|&pid| read_process(pid, false)).collect()
}

/// The start time of `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`): with the
/// pid, the identity of a process. One small read.
pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
    read_stat(pid).map(|s| s.start_ticks)
}

/// The fields of `/proc/PID/stat` that portfix uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) pid: u32,
    /// The kernel's name for the process (at most 15 bytes; may hold spaces and parentheses).
    pub(crate) comm: String,
    pub(crate) ppid: u32,
    pub(crate) pgid: u32,
    pub(crate) sid: u32,
    /// Field 3: `R`, `S`, `Z` (zombie), `X` (dead), …
    pub(crate) state: char,
    pub(crate) flags: u64,
    /// Field 7: the controlling terminal's device number (0: none).
    pub(crate) tty_nr: u64,
    /// Field 20: the threads of the process (a leader that exited stays, a zombie, while others
    /// run on).
    pub(crate) threads: u64,
    pub(crate) start_ticks: u64,
}

impl Stat {
    /// A kernel thread: `PF_KTHREAD` set, or kthreadd (pid 2) or one of its children.
    pub(crate) fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0 || self.pid == 2 || self.ppid == 2
    }

    /// It has ended (a zombie not reaped yet, or dead): its sockets are closed. A zombie leader
    /// whose other threads still run (its main thread called `pthread_exit`) has not: the
    /// process lives on and keeps its descriptors.
    pub(crate) fn has_ended(&self) -> bool {
        match self.state {
            'Z' => self.threads <= 1,
            'X' | 'x' => true,
            _ => false,
        }
    }

    /// Suspended by SIGSTOP or SIGTSTP (Ctrl-Z); `t` (stopped by a debugger) is not.
    pub(crate) fn is_suspended(&self) -> bool {
        self.state == 'T'
    }

    /// The controlling terminal's path, from `tty_nr`: `/dev/pts/N` (Unix98 pseudo-terminals,
    /// majors 136-143), `/dev/ttyN` and `/dev/ttySN` (major 4), else `None`.
    pub(crate) fn tty(&self) -> Option<String> {
        let major = (self.tty_nr >> 8) & 0xfff;
        let minor = (self.tty_nr & 0xff) | ((self.tty_nr >> 12) & 0xfff00);
        match major {
            _ if self.tty_nr == 0 => None,
            136..=143 => Some(format!("/dev/pts/{}", (major - 136) * 256 + minor)),
            4 if minor < 64 => Some(format!("/dev/tty{minor}")),
            4 => Some(format!("/dev/ttyS{}", minor - 64)),
            _ => None,
        }
    }
}

/// Parses one `/proc/PID/stat` line. The name (field 2) is written unescaped between
/// parentheses and may itself contain spaces and `)`, so the fields after it are found after
/// the *last* `)` in the line.
pub(crate) fn parse_stat(line: &[u8]) -> Option<Stat> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let pid = std::str::from_utf8(&line[..open]).ok()?.trim().parse().ok()?;
    let comm = String::from_utf8_lossy(&line[open + 1..close]).into_owned();
    let rest = std::str::from_utf8(&line[close + 1..]).ok()?;
    // rest[0] is field 3 (state), so field N is rest[N - 3].
    let rest: Vec<&str> = rest.split_ascii_whitespace().collect();
    let field = |n: usize| rest.get(n - 3).copied();
    Some(Stat {
        pid,
        comm,
        ppid: field(4)?.parse().ok()?,
        pgid: field(5)?.parse().ok()?,
        sid: field(6)?.parse().ok()?,
        state: field(3)?.chars().next()?,
        flags: field(9)?.parse().ok()?,
        tty_nr: field(7)?.parse::<i64>().ok()? as u64,
        threads: field(20)?.parse().ok()?,
        start_ticks: field(22)?.parse().ok()?,
    })
}

/// Splits `/proc/PID/cmdline` into arguments. A process that rewrote its title (npm writes
/// `npm start` over its arguments, nginx `nginx: master process …`) leaves the old space padded
/// with NULs: those empty trailing arguments are dropped.
pub(crate) fn parse_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    let mut args: Vec<String> =
        raw.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    if args.len() > 1 && args[1..].iter().all(String::is_empty) {
        args.truncate(1);
    }
    args
}

/// The real uid from `/proc/PID/status` (`Uid:` real, effective, saved, filesystem).
pub(crate) fn parse_status_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Whether `/proc/PID/status` shows the init of a pid namespace nested below the reader's:
/// `NSpid` lists the pid in each namespace from the reader's down, and the innermost is 1.
pub(crate) fn parse_status_namespace_init(status: &str) -> bool {
    let Some(pids) = status.lines().find_map(|l| l.strip_prefix("NSpid:")) else { return false };
    let pids: Vec<&str> = pids.split_whitespace().collect();
    pids.len() > 1 && pids.last() == Some(&"1")
}

/// The systemd unit a process runs in, from `/proc/PID/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CgroupUnit {
    /// The innermost `*.service` or `*.scope` in the cgroup path, exactly as systemd names it:
    /// `nginx.service`, `docker-<id>.scope`, `session-3.scope` (a login session: nothing
    /// restarts it; `core::holder::supervisor` ignores scopes other than containers').
    pub(crate) unit: String,
    /// The uid of the user service manager (`user@UID.service`) the unit belongs to, for units
    /// that `systemctl --user` manages; `None` for system units.
    pub(crate) user_manager: Option<u32>,
}

/// Reads the unit out of `/proc/PID/cgroup`: the unified hierarchy line (`0::/path`) when it
/// names one, otherwise the cgroup-v1 `name=systemd` line. The unit is the *last* `.service` or
/// `.scope` component, so a service's own sub-cgroups (`foo.service/payload`) still name
/// `foo.service`, and a user's unit (`user@1000.service/app.slice/foo.service`) names
/// `foo.service` with `user_manager` 1000. A path with no unit (`0::/`, as in most containers)
/// gives `None`.
pub(crate) fn parse_cgroup_unit(cgroup: &str) -> Option<CgroupUnit> {
    let path_of = |prefix: &str| {
        cgroup.lines().find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            (controllers == prefix).then_some(path)
        })
    };
    [path_of(""), path_of("name=systemd")].into_iter().flatten().find_map(unit_in_path)
}

fn unit_in_path(path: &str) -> Option<CgroupUnit> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let at = components.iter().rposition(|c| c.ends_with(".service") || c.ends_with(".scope"))?;
    let user_manager = components[..at]
        .iter()
        .rev()
        .find_map(|c| c.strip_prefix("user@")?.strip_suffix(".service")?.parse().ok());
    Some(CgroupUnit { unit: components[at].to_string(), user_manager })
}

/// `/proc/PID/stat` alone: one open and one read into room for the whole line (about 300
/// bytes). This runs before every signal and on every look at a process while stopping one.
pub(crate) fn read_stat(pid: u32) -> Option<Stat> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let mut buf = Vec::with_capacity(1024);
    file.read_to_end(&mut buf).ok()?;
    parse_stat(&buf)
}

/// One process from its `/proc` files (`full`: all of them; else `stat` and `cmdline` only).
/// Each file is read once. They are read relative to the open `/proc/PID` directory, which
/// stays bound to the process it was opened for: once that process is gone, reads under it
/// fail (ESRCH/ENOENT) rather than reach a newer process given the same pid. So the details
/// can never mix two processes, and `stat` need not be read again at the end to check that.
fn read_process(pid: u32, full: bool) -> Option<ProcessInfo> {
    let dir = ProcDir::open(pid)?;
    let mut buf = Vec::new();
    dir.read("stat", &mut buf).ok()?;
    let stat = parse_stat(&buf)?;
    let cmdline = dir.read("cmdline", &mut buf).map(|()| parse_cmdline(&buf)).unwrap_or_default();
    let (mut uid, mut unit, mut exe, mut cwd) = (None, None, None, None);
    let mut namespace_init = false;
    if full {
        let text = |buf: &[u8]| String::from_utf8_lossy(buf).into_owned();
        let status = dir.read("status", &mut buf).ok().map(|()| text(&buf));
        uid = status.as_deref().and_then(parse_status_uid);
        namespace_init = status.as_deref().is_some_and(parse_status_namespace_init);
        unit = dir.read("cgroup", &mut buf).ok().and_then(|()| parse_cgroup_unit(&text(&buf)));
        exe = dir.link("exe");
        cwd = dir.link("cwd");
    }
    let kernel_thread = stat.is_kernel_thread();
    let (suspended, tty) = (stat.is_suspended(), stat.tty());
    Some(ProcessInfo {
        pid,
        ppid: (stat.ppid != 0).then_some(stat.ppid),
        pgid: Some(stat.pgid),
        sid: Some(stat.sid),
        name: stat.comm,
        cmdline,
        exe,
        cwd,
        uid,
        user: uid.and_then(crate::os::process::user_name),
        start_time: boot_time().map(|boot| boot + stat.start_ticks / clock_ticks_per_second()),
        start_ticks: Some(stat.start_ticks),
        kernel_thread,
        systemd_user: unit.as_ref().and_then(|u| u.user_manager),
        systemd_unit: unit.map(|u| u.unit),
        suspended,
        tty,
        namespace_init,
    })
}

/// An open `/proc/PID`, its files read relative to it: one path lookup per process, and each
/// file in a few large reads (procfs files report no size, so `std::fs::read` starts at 32 bytes
/// and doubles).
struct ProcDir(OwnedFd);

impl ProcDir {
    fn open(pid: u32) -> Option<ProcDir> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::open(format!("/proc/{pid}").as_str(), flags, Mode::empty()).ok().map(ProcDir)
    }

    /// The whole of file `name` into `buf` (replacing what it held). These files produce their
    /// text whole and hand out as much of it as asked: a read that leaves room is the last.
    fn read(&self, name: &str, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let fd = rustix::fs::openat(&self.0, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        buf.clear();
        buf.reserve(4096);
        loop {
            let room = buf.capacity() - buf.len();
            let n = rustix::io::read(&fd, rustix::buffer::spare_capacity(&mut *buf))?;
            if n < room {
                return Ok(());
            }
            buf.reserve(buf.len());
        }
    }

    fn link(&self, name: &str) -> Option<PathBuf> {
        let target = rustix::fs::readlinkat(&self.0, name, Vec::new()).ok()?;
        Some(PathBuf::from(std::ffi::OsString::from_vec(target.into_bytes())))
    }
}

/// Boot time, seconds since the epoch: the wall clock less the time since boot (what the kernel
/// computes for `btime` in `/proc/stat`, without reading that large file). Read once per run.
fn boot_time() -> Option<u64> {
    static BOOT: OnceLock<Option<u64>> = OnceLock::new();
    *BOOT.get_or_init(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
        // SAFETY: an all-zero timespec is valid, and clock_gettime only writes to it.
        let mut up: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `up` is a valid, writable timespec for the call.
        if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut up) } != 0 {
            return None;
        }
        now.as_secs().checked_sub(u64::try_from(up.tv_sec).ok()?)
    })
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
        let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(t).ok().filter(|&t| t > 0).unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat_line(comm: &str) -> Vec<u8> {
        // Fields 3.. of a real line (a sleeping bash), with the name swapped in.
        format!(
            "4242 ({comm}) S 4100 4242 4100 34816 4242 4194560 1173 0 0 0 1 0 0 0 20 0 1 0 987654 8790016 1300 \
             18446744073709551615 1 1 0 0 0 0 65536 3686404 1266761467 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        )
        .into_bytes()
    }

    #[test]
    fn stat_lines_with_nasty_names() {
        for comm in ["bash", "a) b (c", "npm start", ")", "((", "x y z)", ""] {
            let s = parse_stat(&stat_line(comm)).unwrap_or_else(|| panic!("parses {comm:?}"));
            assert_eq!(s.comm, comm);
            assert_eq!((s.pid, s.ppid, s.pgid, s.sid), (4242, 4100, 4242, 4100), "{comm:?}");
            assert_eq!(s.flags, 4_194_560);
            assert_eq!(s.start_ticks, 987_654);
            assert!(!s.is_kernel_thread() && !s.has_ended());
        }
        let kthread = b"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let s = parse_stat(kthread).unwrap();
        assert!(s.is_kernel_thread());
        assert_eq!((s.ppid, s.start_ticks), (0, 5));
        let kworker = b"99 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 50 0 0";
        assert!(parse_stat(kworker).unwrap().is_kernel_thread());
        let zombie = b"9 (x) Z 1 9 9 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0";
        assert!(parse_stat(zombie).unwrap().has_ended());
        // a leader that exited while two other threads run on: the process lives
        let leader_gone = b"9 (x) Z 1 9 9 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 3 0 77 0 0";
        assert!(!parse_stat(leader_gone).unwrap().has_ended());
        let stopped = b"9 (x) T 1 9 9 34819 9 4194560 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0";
        let s = parse_stat(stopped).unwrap();
        assert!(s.is_suspended() && !s.has_ended());
        assert_eq!(s.tty().as_deref(), Some("/dev/pts/3"));
        // Non-UTF-8 bytes in the name are kept (lossily), the fields still parse.
        let mut odd = b"7 (\xff\xfe) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0".to_vec();
        odd.push(b'\n');
        assert_eq!(parse_stat(&odd).map(|s| s.start_ticks), Some(99));
    }

    #[test]
    fn broken_stat_lines_are_refused() {
        for bad in [
            &b""[..],
            b"12 bash S 1",
            b"12 (bash) S",
            b"12 (bash) S x 1 1 0 0 0",
            b"x (a) S 1 1 1 0 0 0",
            b"1 ) (bash S 1",
        ] {
            assert_eq!(parse_stat(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse_cmdline(b"node\0server.js\0"), ["node", "server.js"]);
        assert_eq!(parse_cmdline(b"sh\0-c\0node -e \"x\"\0"), ["sh", "-c", "node -e \"x\""]);
        // npm's rewritten title, padded with NULs.
        assert_eq!(parse_cmdline(b"npm start\0\0\0\0\0\0\0\0"), ["npm start"]);
        assert_eq!(parse_cmdline(b""), Vec::<String>::new());
        // An empty argument in the middle is real and kept.
        assert_eq!(parse_cmdline(b"a\0\0b\0"), ["a", "", "b"]);
        assert_eq!(parse_cmdline(b"title without terminator"), ["title without terminator"]);
    }

    #[test]
    fn terminals_from_tty_nr() {
        let tty = |tty_nr: u64| Stat { tty_nr, ..parse_stat(&stat_line("x")).unwrap() }.tty();
        assert_eq!(tty(0), None);
        assert_eq!(tty(34816), Some("/dev/pts/0".into()));
        // /dev/pts/300: major 137, minor 44
        assert_eq!(tty((137 << 8) | 44), Some("/dev/pts/300".into()));
        // minors above 255 are split: /dev/pts/1000 is major 139, minor 232
        assert_eq!(tty((139 << 8) | 232), Some("/dev/pts/1000".into()));
        assert_eq!(tty(1025), Some("/dev/tty1".into()));
        assert_eq!(tty(1088), Some("/dev/ttyS0".into()));
        assert_eq!(tty(5 << 8), None);
    }

    #[test]
    fn namespace_inits() {
        assert!(parse_status_namespace_init("Name:\tpython3\nNSpid:\t4242\t1\n"));
        assert!(!parse_status_namespace_init("NSpid:\t4242\n"));
        assert!(!parse_status_namespace_init("NSpid:\t1\n"));
        assert!(!parse_status_namespace_init("NSpid:\t4242\t7\n"));
        assert!(!parse_status_namespace_init("Name:\tx\n"));
    }

    #[test]
    fn status_uid() {
        let status = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n";
        assert_eq!(parse_status_uid(status), Some(65534));
        assert_eq!(parse_status_uid("Uid:\t1000\t0\t0\t0\n"), Some(1000));
        assert_eq!(parse_status_uid("Name:\tx\n"), None);
    }

    #[test]
    fn cgroup_units() {
        let unit = |u: &str, m: Option<u32>| Some(CgroupUnit { unit: u.to_string(), user_manager: m });
        let cases = [
            ("0::/system.slice/nginx.service\n", unit("nginx.service", None)),
            ("0::/system.slice/foo.service/payload\n", unit("foo.service", None)),
            (
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n",
                unit("foo.service", Some(1000)),
            ),
            ("0::/user.slice/user-1000.slice/session-3.scope\n", unit("session-3.scope", None)),
            (
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope\n",
                unit("vte-spawn-1.scope", Some(1000)),
            ),
            ("0::/system.slice/docker-0123abcd.scope\n", unit("docker-0123abcd.scope", None)),
            // cgroup v1 (hybrid): the name=systemd hierarchy tells.
            (
                "12:pids:/system.slice/a.service\n1:name=systemd:/system.slice/cron.service\n0::/\n",
                unit("cron.service", None),
            ),
            // A container's own view, and this machine's: no unit.
            ("0::/\n", None),
            ("9:name=systemd:/\n4:memory:/process_api/2aa0\n0::/\n", None),
            ("", None),
            ("0::/init.scope\n", unit("init.scope", None)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_cgroup_unit(text), want, "{text:?}");
        }
    }
}
