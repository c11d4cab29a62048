//! Linux part of child supervision: the direct child dies with portfix.

/// Called in the child between fork and exec: SIGKILL this process when its parent dies, and
/// close the race where the parent died before the request was made.
///
/// PDEATHSIG fires when the *thread* that forked the child ends, so portfix spawns commands
/// from its main thread only. It reaches the direct child alone; the watchdog
/// (`os::child::unix`) covers the rest of the tree.
pub(crate) fn arm_parent_death_signal(parent: libc::pid_t) {
    // SAFETY: prctl, getppid and _exit are async-signal-safe and touch no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        if libc::getppid() != parent {
            libc::_exit(125);
        }
    }
}

/// Makes portfix the reaper of the command's orphans: a process of the tree whose parent ends
/// is re-parented to portfix instead of init, so portfix can reap it and tell when the whole
/// tree is gone (a zombie nobody reaps would still count as a member of the group).
pub(crate) fn become_subreaper() {
    // SAFETY: prctl on ourselves; failure only means orphans go to init.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0);
    }
}
