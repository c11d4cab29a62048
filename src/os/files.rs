//! Small text files the plan reads (`package.json`), relative to the current directory, and the
//! lock files of reservations and of the stable ports' state.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// A package.json larger than this is not a project file worth reading.
const MAX_BYTES: u64 = 1 << 20;

/// The text of `path`, or `None` when it is missing, unreadable, not UTF-8 or too large. For
/// [`crate::core::plan::Plan::with_files`].
pub(crate) fn read_small(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    if file.metadata().ok()?.len() > MAX_BYTES {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Opens `path` as a lock file: made when missing (0600 on Unix: only this user may lock it),
/// never truncated, for `flock`.
#[cfg(unix)]
pub(crate) fn open_lock(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(0o600).open(path)
}
