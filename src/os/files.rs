//! Small text files the plan reads (`package.json`), relative to the current directory.

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
