//! Process details for the pids involved in a question, and their parents — never a walk of the
//! whole process table.
//!
//! Linux reads the few small `/proc/PID` files of each pid asked about (`sys::describe_processes`
//! in `linux/procfs.rs`): sysinfo's "refresh only these pids" still lists all of `/proc` there.
//! macOS and Windows use sysinfo, which fills what it can (no process group, session or unit).
//!
//! Used by: `who`/`list` ([`describe`]), the stopping engine ([`describe`], [`chain`],
//! [`start_ticks`] for identity checks), and `core::holder` for what the details mean.

use crate::core::process::ProcessInfo;

pub(crate) use crate::core::process::PARENTS;

/// Details of these processes, in the order given. A pid that is gone (or hidden from this user
/// by the OS) is left out, with no error. Fields the OS will not show for another user's
/// process (Linux without root: `exe`, `cwd`) are `None`.
///
/// Cost on Linux: about six small file reads per pid, independent of how many processes run.
pub(crate) fn describe(pids: &[u32]) -> Vec<ProcessInfo> {
    if pids.is_empty() {
        return Vec::new();
    }
    super::sys::describe_processes(pids)
}

/// A cheap identity stamp for `pid`: equal values for the same pid mean the same process. On
/// Linux the start time in clock ticks since boot (field 22 of `/proc/PID/stat`, one read); on
/// other OSes sysinfo's start time in seconds (coarser: compare with care). `None` when the pid
/// is gone.
pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
    super::sys::start_ticks(pid)
}

/// The process itself followed by its parents, nearest first (at most `max_parents` of them):
/// the `chain` that `core::holder::{supervisor, dev_command_root, HolderView}` take. Empty when
/// the pid is gone.
pub(crate) fn chain(pid: u32, max_parents: usize) -> Vec<ProcessInfo> {
    let Some(me) = describe(&[pid]).pop() else { return Vec::new() };
    let ppid = me.ppid;
    let mut out = vec![me];
    out.extend(parents_from(pid, ppid, max_parents));
    out
}

/// Like [`chain`], for showing a holder (`core::holder::HolderView`): the parents are read
/// briefly — pid, parent, name, command line, start time (on Linux two small files each, not
/// six) — without their exe, directory, user or unit. [`chain`] is for the wrapper, which
/// compares the parents' directories.
pub(crate) fn chain_to_show(pid: u32, max_parents: usize) -> Vec<ProcessInfo> {
    let Some(me) = describe(&[pid]).pop() else { return Vec::new() };
    let ppid = me.ppid;
    let mut out = vec![me];
    out.extend(walk_up(pid, ppid, max_parents, super::sys::describe_briefly));
    out
}

/// Walks up from `first` (the parent of `pid`), guarding against loops.
fn parents_from(pid: u32, first: Option<u32>, max: usize) -> Vec<ProcessInfo> {
    walk_up(pid, first, max, describe)
}

fn walk_up(
    pid: u32,
    first: Option<u32>,
    max: usize,
    read: fn(&[u32]) -> Vec<ProcessInfo>,
) -> Vec<ProcessInfo> {
    crate::core::process::walk_up(pid, first, max, |p| {
        read(&[p]).pop().map(|info| {
            let parent = info.ppid;
            (info, parent)
        })
    })
}

/// The name of a user id (for sockets whose owning process is hidden, and for every
/// `ProcessInfo`). Looked up in the user database once per uid per run, then cached. Windows
/// has no numeric uids: always `None` there.
pub(crate) fn user_name(uid: u32) -> Option<String> {
    #[cfg(unix)]
    {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static NAMES: OnceLock<Mutex<HashMap<u32, Option<String>>>> = OnceLock::new();
        let names = NAMES.get_or_init(Mutex::default);
        if let Some(hit) = names.lock().ok().and_then(|m| m.get(&uid).cloned()) {
            return hit;
        }
        let name = passwd_name(uid);
        if let Ok(mut m) = names.lock() {
            m.insert(uid, name.clone());
        }
        name
    }
    #[cfg(not(unix))]
    {
        let _ = uid;
        None
    }
}

/// The user database's name for `uid`: `/etc/passwd` read directly first (one small file, one
/// read), and only for a uid not listed there the system's lookup through NSS (`getpwuid_r`),
/// so LDAP or SSSD users are named too. NSS would open and parse `/etc/nsswitch.conf` and then
/// read `/etc/passwd` anyway for local users: about ten system calls more on every `who`. (A
/// uid listed in `/etc/passwd` and also, under another name, in a directory service that
/// nsswitch.conf puts first is named as `/etc/passwd` says.)
#[cfg(unix)]
fn passwd_name(uid: u32) -> Option<String> {
    std::fs::read("/etc/passwd").ok().and_then(|text| name_in_passwd(&text, uid)).or_else(|| nss_name(uid))
}

/// The name on the first `/etc/passwd` line for `uid` (`name:password:uid:gid:...`). Comment,
/// blank, NIS (`+`/`-`) and malformed lines are skipped.
#[cfg(unix)]
fn name_in_passwd(text: &[u8], uid: u32) -> Option<String> {
    text.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.split(|&b| b == b':');
        let name = fields.next()?;
        if name.is_empty() || matches!(name[0], b'#' | b'+' | b'-') {
            return None;
        }
        let listed: u32 = std::str::from_utf8(fields.nth(1)?).ok()?.trim().parse().ok()?;
        (listed == uid).then(|| String::from_utf8_lossy(name).into_owned())
    })
}

/// The name NSS gives `uid` (every configured source: files, LDAP, SSSD, ...).
#[cfg(unix)]
fn nss_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: `passwd` is a plain C struct of integers and pointers; all-zero is valid.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call: `pwd` and `result` are locals, `buf` is
        // writable for `buf.len()` bytes. getpwuid_r is thread-safe.
        let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr().cast(), buf.len(), &mut result) };
        if rc == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success `pw_name` points to a NUL-terminated string inside `buf`, which is
        // alive until the end of this function.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return Some(name.to_string_lossy().into_owned());
    }
}

/// The process functions of the OS seam where sysinfo is the source (macOS and Windows): the same
/// three on both, so `os/macos.rs` and `os/windows.rs` re-export them instead of each wrapping.
#[cfg(not(target_os = "linux"))]
pub(crate) mod sysinfo_backed {
    /// macOS and Windows: what sysinfo gives, refreshing only these pids. No process group,
    /// session, clock-tick start time or unit there.
    pub(crate) fn describe_processes(pids: &[u32]) -> Vec<crate::core::process::ProcessInfo> {
        use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

        let sys_pids: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        let mut sys = System::new();
        let kind = ProcessRefreshKind::nothing()
            .with_cmd(UpdateKind::Always)
            .with_exe(UpdateKind::Always)
            .with_cwd(UpdateKind::Always)
            .with_user(UpdateKind::Always);
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&sys_pids), true, kind);
        // Windows user ids are SIDs, not numbers: the name comes from sysinfo's user list there.
        #[cfg(windows)]
        let users = sysinfo::Users::new_with_refreshed_list();
        sys_pids
            .iter()
            .filter_map(|pid| sys.process(*pid))
            .map(|p| {
                #[cfg(unix)]
                let (uid, user) = {
                    let uid = p.user_id().map(|u| **u);
                    (uid, uid.and_then(super::user_name))
                };
                #[cfg(windows)]
                let (uid, user) =
                    (None, p.user_id().and_then(|u| users.get_user_by_id(u)).map(|u| u.name().to_string()));
                crate::core::process::ProcessInfo {
                    pid: p.pid().as_u32(),
                    ppid: p.parent().map(Pid::as_u32),
                    name: p.name().to_string_lossy().into_owned(),
                    cmdline: p.cmd().iter().map(|a| a.to_string_lossy().into_owned()).collect(),
                    exe: p.exe().map(std::path::Path::to_path_buf),
                    cwd: p.cwd().map(std::path::Path::to_path_buf),
                    uid,
                    user,
                    start_time: Some(p.start_time()),
                    start_ticks: Some(p.start_time()),
                    kernel_thread: p.thread_kind() == Some(sysinfo::ThreadKind::Kernel),
                    ..crate::core::process::ProcessInfo::default()
                }
            })
            .collect()
    }

    /// macOS and Windows: sysinfo's start time (seconds) for one pid.
    pub(crate) fn start_ticks(pid: u32) -> Option<u64> {
        use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
        let pid = Pid::from_u32(pid);
        let mut sys = System::new();
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), true, ProcessRefreshKind::nothing());
        sys.process(pid).map(sysinfo::Process::start_time)
    }

    /// sysinfo reads what it reads: the brief description is the full one.
    pub(crate) fn describe_briefly(pids: &[u32]) -> Vec<crate::core::process::ProcessInfo> {
        describe_processes(pids)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    //! Real processes, each ended by its process group when the guard drops (even on panic).

    use super::*;
    use crate::core::holder::{self, SupervisorKind};
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    #[test]
    fn passwd_lines() {
        let text = b"# local users\n\nroot:x:0:0:root:/root:/bin/bash\n+nisuser:x:1000:1000::/:\n\
            broken:x:notanumber:0::/:\nshort:x\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n\
            :x:1001:1001::/:\nbob:x:1002:1002::/home/bob:/bin/sh\nbob2:x:1002:1002::/:\ncarol:x:1003:1003::/:";
        let cases: &[(u32, Option<&str>)] = &[
            (0, Some("root")),
            (1000, Some("alice")), // the NIS `+` line before it is not a user
            (1001, None),          // no name
            (1002, Some("bob")),   // the first line wins
            (1003, Some("carol")), // last line, no newline
            (4242, None),
        ];
        for &(uid, want) in cases {
            assert_eq!(name_in_passwd(text, uid).as_deref(), want, "uid {uid}");
        }
        assert_eq!(name_in_passwd(b"", 0), None);
    }

    #[test]
    fn passwd_file_and_nss_agree_for_local_users() {
        // Every uid of /etc/passwd: the direct read names it as the system lookup does.
        let text = std::fs::read("/etc/passwd").unwrap();
        let uids: Vec<u32> = String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|l| l.split(':').nth(2)?.parse().ok())
            .collect();
        assert!(uids.contains(&0));
        for uid in uids {
            assert_eq!(name_in_passwd(&text, uid), nss_name(uid), "uid {uid}");
        }
        // A uid no one has: neither names it, and user_name falls through to NSS without error.
        assert_eq!(user_name(3_999_999_999), None);
    }

    /// A child in its own process group, killed (SIGKILL to the group) and reaped on drop.
    struct Kid(Child);

    impl Kid {
        fn spawn(cmd: &mut Command) -> Kid {
            Kid(cmd.process_group(0).spawn().expect("spawn test process"))
        }
        fn pid(&self) -> u32 {
            self.0.id()
        }
    }

    impl Drop for Kid {
        fn drop(&mut self) {
            let pgid = self.0.id() as libc::pid_t;
            // SAFETY: plain syscall; the group is the one this test created for its own child.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = self.0.wait();
        }
    }

    fn poll<T>(limit: Duration, f: impl FnMut() -> Option<T>) -> Option<T> {
        crate::os::poll(limit, Duration::from_millis(10), f)
    }

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    fn one(pid: u32) -> Option<ProcessInfo> {
        describe(&[pid]).pop()
    }

    #[test]
    fn describes_a_python_child() {
        // Run the real interpreter, not a version manager's shim script in front of it.
        let real = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        let python = String::from_utf8(real.stdout).unwrap().trim().to_string();
        let dir = tempfile::tempdir().unwrap();
        let kid = Kid::spawn(
            Command::new(&python)
                .args(["-c", "import time; time.sleep(60)", "portfix-marker", "a b"])
                .current_dir(dir.path())
                .stdin(Stdio::null()),
        );
        // spawn returns as soon as the exec has replaced the memory, a moment before the kernel
        // has set the new arguments up: wait for them.
        let p = poll(Duration::from_secs(5), || one(kid.pid()).filter(|p| p.cmdline.len() == 5))
            .expect("the python child is described with its command line");
        assert_eq!(p.pid, kid.pid());
        assert!(p.name.starts_with("python"), "name {:?}", p.name);
        assert_eq!(&p.cmdline[1..], ["-c", "import time; time.sleep(60)", "portfix-marker", "a b"]);
        assert_eq!(p.cmdline[0], python);
        assert_eq!(p.cwd.as_deref(), Some(dir.path().canonicalize().unwrap().as_path()));
        assert_eq!(p.exe, Some(Path::new(&python).canonicalize().unwrap()));
        assert_eq!(p.ppid, Some(std::process::id()));
        assert_eq!(p.pgid, Some(kid.pid()), "the child leads its own group");
        // SAFETY: getuid cannot fail.
        let me = unsafe { libc::getuid() };
        assert_eq!(p.uid, Some(me));
        assert_eq!(p.user, passwd_name(me));
        assert!(p.user.is_some());
        let ticks = p.start_ticks.expect("start ticks");
        assert_eq!(start_ticks(kid.pid()), Some(ticks), "the cheap identity stamp agrees");
        let started = p.start_time.expect("start time");
        assert!(started <= now() + 1 && started + 60 > now(), "started {started}, now {}", now());
        assert!(!p.kernel_thread);
        // This machine runs without systemd units in its cgroup path.
        let cgroup = std::fs::read_to_string(format!("/proc/{}/cgroup", kid.pid())).unwrap();
        if !cgroup.contains(".service") && !cgroup.contains(".scope") {
            assert_eq!(p.systemd_unit, None);
        }
    }

    #[test]
    fn a_shell_loop_is_named_as_the_supervisor() {
        // The inner shell prints its pid, then becomes `sleep` (same pid): the holder stand-in.
        let mut kid = Kid::spawn(
            Command::new("sh")
                .args(["-c", "while true; do sh -c 'echo $$; exec sleep 60'; done"])
                .stdout(Stdio::piped())
                .stdin(Stdio::null()),
        );
        let mut line = String::new();
        BufReader::new(kid.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let sleeper: u32 = line.trim().parse().expect("the inner shell's pid");
        let got =
            poll(Duration::from_secs(5), || one(sleeper).filter(|p| p.name == "sleep")).expect("sleep runs");
        assert_eq!(got.ppid, Some(kid.pid()));

        let parents = &chain(sleeper, 32)[1..];
        assert_eq!(parents.first().map(|p| p.pid), Some(kid.pid()), "the loop is the first parent");
        assert_eq!(parents.get(1).map(|p| p.pid), Some(std::process::id()), "then this test");
        assert!(parents.iter().all(|p| p.pid != sleeper));
        let top = parents.last().unwrap();
        assert!(top.pid == 1 || top.ppid.is_none(), "walks to the top: {top:?}");
        assert!(chain(sleeper, 1).len() == 2, "max bounds the walk");

        let chain = chain(sleeper, 32);
        assert_eq!(chain[0].pid, sleeper);
        let unit = chain[0].systemd_unit.clone();
        let sup = holder::supervisor(&chain, unit.as_deref()).expect("a supervisor is found");
        assert_eq!(sup.kind, SupervisorKind::ShellLoop);
        assert_eq!(sup.pid, Some(kid.pid()));
        assert!(sup.stop.contains(&kid.pid().to_string()), "{}", sup.stop);
    }

    #[test]
    fn another_users_process_reports_its_uid_and_name() {
        let kid = Kid::spawn(
            Command::new("setpriv")
                .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sleep", "60"])
                .stdin(Stdio::null()),
        );
        let p = poll(Duration::from_secs(5), || {
            one(kid.pid()).filter(|p| p.name == "sleep" && !p.cmdline.is_empty())
        })
        .expect("sleep runs as nobody");
        assert_eq!(p.uid, Some(65534));
        assert_eq!(p.user.as_deref(), Some("nobody"));
        assert_eq!(p.cmdline, ["sleep", "60"]);
    }

    #[test]
    fn kernel_threads_are_marked() {
        let Ok(comm) = std::fs::read_to_string("/proc/2/comm") else { return };
        if comm.trim() != "kthreadd" {
            return; // inside a pid namespace: no kernel threads visible
        }
        let k = one(2).expect("kthreadd");
        assert!(k.kernel_thread);
        assert!(k.cmdline.is_empty());
        // SAFETY: getpid cannot fail.
        let me = one(std::process::id()).unwrap();
        assert!(!me.kernel_thread);
        assert!(!one(1).unwrap().kernel_thread, "init is not a kernel thread");
    }

    #[test]
    fn gone_pids_are_left_out() {
        let mut done = Command::new("true").spawn().unwrap();
        let gone = done.id();
        done.wait().unwrap();
        let me = std::process::id();
        let got = describe(&[gone, me, 4_194_304 + 7]);
        assert_eq!(got.iter().map(|p| p.pid).collect::<Vec<_>>(), [me]);
        assert_eq!(start_ticks(gone), None);
        assert!(chain(gone, 8).is_empty());
        assert!(chain(gone, 8).is_empty());
        assert!(describe(&[]).is_empty());
    }

    #[test]
    fn an_npm_run_is_recognised_and_its_root_found() {
        let dir = tempfile::tempdir().unwrap();
        let script =
            r#"{"scripts":{"start":"node -e \"console.log(process.pid); setTimeout(()=>{},60000)\""}}"#;
        std::fs::write(dir.path().join("package.json"), script).unwrap();
        let mut kid = Kid::spawn(
            Command::new("npm")
                .args(["start", "--silent"])
                .current_dir(dir.path())
                .stdout(Stdio::piped())
                .stdin(Stdio::null()),
        );
        let mut line = String::new();
        BufReader::new(kid.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let server: u32 = line.trim().parse().unwrap_or_else(|_| panic!("node's pid, got {line:?}"));
        let chain = chain(server, 32);
        let cwd = dir.path().canonicalize().unwrap();
        let root = holder::dev_command_root(&chain).expect("the npm process is the root of the run");
        assert_eq!(
            root.pid,
            kid.pid(),
            "chain: {:#?}",
            chain.iter().map(|p| (p.pid, &p.cmdline)).collect::<Vec<_>>()
        );
        let args = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(holder::same_run(
            &args(&["npm", "start", "--silent"]),
            Some(&cwd),
            &root.cmdline,
            root.cwd.as_deref()
        ));
        assert!(!holder::same_run(
            &args(&["npm", "start", "--silent"]),
            Some(Path::new("/")),
            &root.cmdline,
            root.cwd.as_deref()
        ));
        assert_eq!(
            holder::earlier_run(&chain, &args(&["npm", "start", "--silent"]), &cwd).map(|p| p.pid),
            Some(kid.pid())
        );
        assert!(
            holder::supervisor(&chain, chain[0].systemd_unit.as_deref()).is_none(),
            "npm restarts nothing"
        );
    }

    /// Not a timed assertion: prints what one `describe` costs (run with `--nocapture`).
    #[test]
    fn describe_one_pid_cost() {
        let me = std::process::id();
        let rounds = 200u32;
        let start = Instant::now();
        for _ in 0..rounds {
            assert_eq!(describe(&[me]).len(), 1);
        }
        let ours = start.elapsed() / rounds;
        let start = Instant::now();
        for _ in 0..rounds {
            let mut sys = sysinfo::System::new();
            let kind = sysinfo::ProcessRefreshKind::nothing()
                .with_cmd(sysinfo::UpdateKind::Always)
                .with_exe(sysinfo::UpdateKind::Always)
                .with_cwd(sysinfo::UpdateKind::Always)
                .with_user(sysinfo::UpdateKind::Always);
            let pid = sysinfo::Pid::from_u32(me);
            sys.refresh_processes_specifics(sysinfo::ProcessesToUpdate::Some(&[pid]), true, kind);
            assert!(sys.process(pid).is_some());
        }
        let theirs = start.elapsed() / rounds;
        let procs = std::fs::read_dir("/proc")
            .unwrap()
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok()))
            .count();
        println!(
            "describe(1 pid): {ours:?} per call; sysinfo refresh of the same pid: {theirs:?} ({procs} processes running)"
        );
    }
}
