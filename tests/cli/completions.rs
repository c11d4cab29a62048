//! `portfix completions <SHELL>` end to end.

use std::os::fd::{FromRawFd as _, OwnedFd};
use std::process::Stdio;

use crate::harness::{portfix, run};

#[test]
fn every_shell_gets_a_script_that_names_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(portfix().args(["completions", shell]));
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for word in ["portfix", "who", "free", "kill", "--on-conflict"] {
            assert!(r.stdout.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    // Like `portfix completions fish | head -c 0`: the reader is gone before portfix writes.
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills the two-int array; both fds are owned below.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: fds[0] and fds[1] were just opened by pipe(2) and are owned by nothing else.
    let (read_end, write_end) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    let out = portfix()
        .args(["completions", "fish"])
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .output()
        .expect("portfix runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let r = run(portfix().args(["completions", "tcsh"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}
