//! Is this process an earlier run of the command the wrapper is about to start, and where does
//! that run start (the package manager at its top)?

use super::command::{RUNNERS, normalised, passes_through, program};
use crate::core::process::ProcessInfo;
use std::path::Path;

/// The top of an earlier run of a dev command: the package manager (npm, npx, pnpm, yarn, bun)
/// process highest in the chain that is linked to the holder only through pass-through
/// processes (`sh -c`, interpreters, other package managers). `None` when the holder was not
/// started through a package manager. May be the holder itself (`bun run server.ts`).
///
/// For the stopping engine: stop the run as a whole. Signal its process group only when the
/// root leads it (`root.pgid == Some(root.pid)`, as under a shell with job control or a
/// wrapper that made a group); otherwise the group is the caller's, so signal the root and its
/// descendants one by one.
pub(crate) fn dev_command_root(chain: &[ProcessInfo]) -> Option<&ProcessInfo> {
    let mut root = None;
    for (i, p) in chain.iter().enumerate() {
        let prog = program(&p.cmdline);
        if RUNNERS.contains(&prog.name.as_str()) {
            root = Some(p);
        } else if i > 0 && !passes_through(p) {
            break;
        }
    }
    root
}

/// Whether command line `a` run in `a_cwd` is the same command as `b` in `b_cwd`: "an earlier
/// run of this same command in the same directory". Programs are compared by file name
/// (`npm` = `/usr/bin/npm` = `node /usr/lib/node_modules/npm/bin/npm-cli.js`), a rewritten
/// process title (`npm start` in one argument) is split into words, and a package manager's
/// `run`/`run-script` is dropped (`npm start` = `npm run start`, `yarn dev` = `yarn run dev`).
/// Other programs' arguments must be equal; a package manager's run is compared by
/// runner and script name only (npm shows nothing more). An unknown directory (`None`) never matches. Directories
/// are compared as given: canonicalise them first where symlinks may differ.
pub(crate) fn same_run(
    a_cmdline: &[String],
    a_cwd: Option<&Path>,
    b_cmdline: &[String],
    b_cwd: Option<&Path>,
) -> bool {
    let (Some(a_cwd), Some(b_cwd)) = (a_cwd, b_cwd) else { return false };
    let a = normalised(a_cmdline);
    !a.is_empty() && a == normalised(b_cmdline) && a_cwd == b_cwd
}

/// The process in a holder's chain that is an earlier run of `cmdline` in `cwd` (see
/// [`same_run`]), nearest to the holder first. The wrapper asks this before starting `cmdline`.
pub(crate) fn earlier_run<'a>(
    chain: &'a [ProcessInfo],
    cmdline: &[String],
    cwd: &Path,
) -> Option<&'a ProcessInfo> {
    chain.iter().find(|p| same_run(cmdline, Some(cwd), &p.cmdline, p.cwd.as_deref()))
}
