//! Windows: the command's tree lives in a Job Object; console control events are the signals.
//!
//! - **No orphans.** The command is created suspended, put in a job that has
//!   `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`, then resumed: everything it starts is in the job too.
//!   portfix holds the only handle to the job, so when portfix ends in any way (killed from Task
//!   Manager, `taskkill /F`, its console closed) Windows closes the handle and ends the whole
//!   tree. Ending the tree on purpose is `TerminateJobObject`; the tree is alive while the job
//!   has active processes; its members are the job's process ids.
//! - **Ctrl-C and Ctrl-Break** reach every process attached to the console, the command
//!   included: portfix's handler only tells the supervising loop (as a `Stop(INT)` or
//!   `Stop(QUIT)`; closing the console is `Stop(HUP)`) and keeps portfix alive, so that it can
//!   pass on the status the command exits with. Those stop requests are not sent again (the
//!   command already has them); when the command has not ended after `--grace`, the loop asks
//!   for `KILL`, and the job is terminated. Any other stop (a bind failure portfix acts on,
//!   `--kill`'s relaunch) terminates the job at once: Windows has no SIGTERM.
//! - `.bat` and `.cmd` files are run by std through `cmd.exe /c`, with std's quoting for it (it
//!   refuses arguments cmd.exe could misread); `lookup` found them through PATHEXT.
//!
//! Without a job (CreateJobObject failed), only the direct child is known and ended.

use std::io;
use std::os::windows::io::AsRawHandle as _;
use std::os::windows::process::CommandExt as _;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Console::{
    CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, SetConsoleCtrlHandler,
};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, TH32CS_SNAPTHREAD, THREADENTRY32, Thread32First, Thread32Next,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JobObjectBasicAccountingInformation, JobObjectBasicProcessIdList, JobObjectExtendedLimitInformation,
    QueryInformationJobObject, SetInformationJobObject, TerminateJobObject,
};
use windows_sys::Win32::System::Threading::{
    CREATE_SUSPENDED, OpenThread, ResumeThread, THREAD_SUSPEND_RESUME,
};

use crate::core::signal::Signal;

use super::{ChildState, Notice};

/// The exit code of a command whose tree portfix ended (TerminateJobObject).
const TERMINATED: u32 = 1;

pub(crate) fn status_code(status: std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(125)
}

type OnNotice = Box<dyn Fn(Notice) + Send>;

static ON_CTRL: Mutex<Option<OnNotice>> = Mutex::new(None);

/// Runs on a thread Windows starts for each console control event.
unsafe extern "system" fn on_ctrl(event: u32) -> windows_sys::core::BOOL {
    let sig = match event {
        CTRL_C_EVENT => Signal::Int,
        CTRL_BREAK_EVENT => Signal::Quit,
        CTRL_CLOSE_EVENT => Signal::Hup,
        _ => return 0,
    };
    match ON_CTRL.lock() {
        Ok(on) => match on.as_ref() {
            Some(on) => {
                on(Notice::Stop(sig));
                1
            }
            None => 0,
        },
        Err(_) => 0,
    }
}

/// Calls `on` with a stop request for each Ctrl-C (INT), Ctrl-Break (QUIT) and console close
/// (HUP), from the thread Windows runs the handler on. The event is handled: portfix lives on.
pub(crate) fn listen_signals(on: impl Fn(Notice) + Send + 'static) -> io::Result<()> {
    *ON_CTRL.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(on));
    // SAFETY: on_ctrl is a plain function with the signature Windows expects; it lives forever.
    if unsafe { SetConsoleCtrlHandler(Some(on_ctrl), 1) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

pub(crate) struct Terminal;

impl Terminal {
    pub(crate) fn foreground() -> Option<Terminal> {
        None
    }
    pub(crate) fn give_to(&self, _group: u32) {}
    pub(crate) fn reclaim(&self) {}
    pub(crate) fn is_ours(&self) -> bool {
        true
    }
    pub(crate) fn restore_found_modes(&self) {}
}

/// Nothing to block: console events arrive on threads of their own.
pub(crate) fn block_here(_signals: &[Signal]) {}

/// Ends portfix for a stop request that came while no command ran: 128+N as a POSIX shell would
/// show it (130 for Ctrl-C), or 1.
pub(crate) fn die_by(sig: Signal) -> ! {
    let code = match sig {
        Signal::Int => 130,
        Signal::Quit => 131,
        Signal::Hup => 129,
        _ => 1,
    };
    std::process::exit(code)
}

/// Created suspended: it is put in its job before it can start anything (see `Running::new`).
pub(crate) fn prepare(cmd: &mut Command, _terminal: Option<&Terminal>, _own_session: bool) {
    cmd.creation_flags(CREATE_SUSPENDED);
}

pub(crate) fn stop_self() {}

/// No signal deaths to pass on: the caller exits with the command's code.
pub(crate) fn die_of(_sig: i32) {}

pub(crate) fn reap_orphans(_keep: u32) {}

/// The job's handle, closed when the last `Running` and tree-member closure let go of it.
struct Job(HANDLE);

// SAFETY: a job handle may be used from any thread.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: the handle is ours and closed once. Closing it ends the tree (kill on close).
        unsafe { CloseHandle(self.0) };
    }
}

impl Job {
    /// A job that ends its processes when its last handle closes.
    fn new() -> Option<Job> {
        // SAFETY: no security attributes, no name: a fresh anonymous job.
        let h = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if h.is_null() {
            return None;
        }
        let job = Job(h);
        // SAFETY: a zeroed JOBOBJECT_EXTENDED_LIMIT_INFORMATION is valid (no limits).
        let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
        info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: info is the struct this class takes, with its size.
        let ok = unsafe {
            SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                (&raw const info).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        };
        (ok != 0).then_some(job)
    }

    fn assign(&self, child: &Child) -> bool {
        // SAFETY: both handles are valid; the child's stays open while `child` lives.
        unsafe { AssignProcessToJobObject(self.0, child.as_raw_handle() as HANDLE) != 0 }
    }

    fn active_processes(&self) -> Option<u32> {
        // SAFETY: a zeroed accounting struct is valid; Windows fills it in.
        let mut info: JOBOBJECT_BASIC_ACCOUNTING_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: info is the struct this class takes, with its size.
        let ok = unsafe {
            QueryInformationJobObject(
                self.0,
                JobObjectBasicAccountingInformation,
                (&raw mut info).cast(),
                size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        };
        (ok != 0).then_some(info.ActiveProcesses)
    }

    /// The ids of the job's processes (at most 1024: a dev server's tree is far smaller).
    fn pids(&self) -> Vec<u32> {
        const MAX: usize = 1024;
        // The list's header (two u32) and then MAX process ids, as usize.
        let mut buf = vec![0usize; 1 + MAX];
        // SAFETY: buf is large enough for the header and MAX ids, and suitably aligned.
        let ok = unsafe {
            QueryInformationJobObject(
                self.0,
                JobObjectBasicProcessIdList,
                buf.as_mut_ptr().cast(),
                (buf.len() * size_of::<usize>()) as u32,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Vec::new();
        }
        // SAFETY: the first 8 bytes are the two counts Windows wrote.
        let listed = unsafe { *(buf.as_ptr().cast::<u32>().add(1)) } as usize;
        buf[1..=listed.min(MAX)].iter().map(|&p| p as u32).collect()
    }

    fn terminate(&self) {
        // SAFETY: the handle is valid; every process in the job ends with this code.
        unsafe { TerminateJobObject(self.0, TERMINATED) };
    }
}

/// Resumes every thread of process `pid` (a process created suspended has one).
fn resume_threads(pid: u32) {
    // SAFETY: a snapshot of all threads; closed below.
    let snap = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
    if snap == INVALID_HANDLE_VALUE {
        return;
    }
    // SAFETY: a zeroed entry with its size set is what Thread32First takes.
    let mut entry: THREADENTRY32 = unsafe { std::mem::zeroed() };
    entry.dwSize = size_of::<THREADENTRY32>() as u32;
    // SAFETY: snap is a valid snapshot and entry a valid THREADENTRY32.
    let mut more = unsafe { Thread32First(snap, &mut entry) } != 0;
    while more {
        if entry.th32OwnerProcessID == pid {
            // SAFETY: opening a thread by id; the handle is closed right after.
            let t = unsafe { OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID) };
            if !t.is_null() {
                // SAFETY: t is a valid thread handle with THREAD_SUSPEND_RESUME.
                unsafe {
                    ResumeThread(t);
                    CloseHandle(t);
                }
            }
        }
        // SAFETY: as for Thread32First.
        more = unsafe { Thread32Next(snap, &mut entry) } != 0;
    }
    // SAFETY: snap is ours.
    unsafe { CloseHandle(snap) };
}

pub(crate) struct Running {
    child: Child,
    job: Option<Arc<Job>>,
    exited: Option<i32>,
}

impl Running {
    /// Puts the (suspended) child in a job of its own and lets it run.
    pub(crate) fn new(child: Child) -> Running {
        let job = Job::new().filter(|j| j.assign(&child)).map(Arc::new);
        resume_threads(child.id());
        Running { child, job, exited: None }
    }
    pub(crate) fn group(&self) -> u32 {
        self.child.id()
    }
    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
    /// A process of the command's tree: one in its job (else the direct child only).
    pub(crate) fn tree_member(&self) -> impl Fn(u32) -> bool + Send + 'static {
        let pid = self.child.id();
        let job = self.job.clone();
        move |p| p == pid || job.as_ref().is_some_and(|j| j.pids().contains(&p))
    }
    /// No signals here: a command never ends by one.
    pub(crate) fn killed_by(&self) -> Option<i32> {
        None
    }
    pub(crate) fn poll(&mut self) -> io::Result<Option<ChildState>> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait()?.map(status_code);
        }
        Ok(self.exited.map(ChildState::Exited))
    }
    /// INT, QUIT and HUP came from the console, which gave them to the command too: nothing is
    /// sent again (the loop asks for KILL after the grace). Anything else ends the tree now.
    pub(crate) fn signal_tree(&mut self, sig: Signal) {
        if matches!(sig, Signal::Int | Signal::Quit | Signal::Hup) {
            return;
        }
        match &self.job {
            Some(job) => job.terminate(),
            None => {
                let _ = self.child.kill();
            }
        }
    }
    pub(crate) fn resume(&self) {}
    pub(crate) fn tree_alive(&mut self) -> bool {
        match self.job.as_ref().and_then(|j| j.active_processes()) {
            Some(n) => n > 0,
            None => matches!(self.child.try_wait(), Ok(None)),
        }
    }
}

/// The job object is the watchdog (kill on close): nothing else to run.
pub(crate) struct Watchdog;

impl Watchdog {
    pub(crate) fn start() -> io::Result<Watchdog> {
        Ok(Watchdog)
    }
    pub(crate) fn guard(&self, _group: u32) {}
    pub(crate) fn forget(&self, _group: u32) {}
    pub(crate) fn stand_down(&mut self) {}
}
