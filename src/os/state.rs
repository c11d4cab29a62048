//! Where stable ports are kept (`core::stable` decides; this reads and writes), and what a
//! checkout is on disk.
//!
//! - **The file**: `ports.json` in the state directory: `$PORTFIX_STATE_DIR` when set (tests
//!   point it at a temporary directory), else on Linux and other Unixes
//!   `$XDG_STATE_HOME/portfix` (default `~/.local/state/portfix`), on macOS
//!   `~/Library/Application Support/portfix`, on Windows `%LOCALAPPDATA%\portfix`. Made when
//!   missing (0700 on Unix).
//! - **The lock**: every read-decide-write happens under an exclusive lock on `ports.lock` beside
//!   it — `flock` on Unix (the kernel lets go when portfix ends in any way), on Windows the file
//!   opened with no sharing (released when its handle closes) — so concurrent calls take turns.
//! - **Atomic writes**: the new text goes to a temporary file in the same directory, is synced,
//!   and is renamed over `ports.json`: a reader (or a crash) sees the old file or the new one,
//!   never half of one.
//! - **A checkout** is the nearest directory at or above the current one that holds `.git` (a
//!   directory in a main worktree, a file in a linked worktree or a submodule), else the current
//!   directory itself; the path is made canonical first.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// The state file's name in the state directory.
pub(crate) const FILE: &str = "ports.json";
const LOCK: &str = "ports.lock";

/// The state directory (not made yet), or why there is none.
pub(crate) fn dir() -> Result<PathBuf, String> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("PORTFIX_STATE_DIR") {
        return Ok(d);
    }
    #[cfg(windows)]
    {
        var("LOCALAPPDATA").map(|d| d.join("portfix")).ok_or_else(|| {
            "LOCALAPPDATA is not set: set PORTFIX_STATE_DIR to a directory for portfix's state".into()
        })
    }
    #[cfg(not(windows))]
    {
        let home = var("HOME").filter(|h| h.is_absolute());
        #[cfg(target_os = "macos")]
        let found = home.map(|h| h.join("Library/Application Support/portfix"));
        #[cfg(not(target_os = "macos"))]
        let found = match var("XDG_STATE_HOME").filter(|d| d.is_absolute()) {
            Some(d) => Some(d.join("portfix")),
            None => home.map(|h| h.join(".local/state/portfix")),
        };
        found
            .ok_or_else(|| "HOME is not set: set PORTFIX_STATE_DIR to a directory for portfix's state".into())
    }
}

/// The state directory, locked for this process until dropped.
#[derive(Debug)]
pub(crate) struct Locked {
    dir: PathBuf,
    _lock: std::fs::File,
}

impl Locked {
    /// Makes `dir` when missing and waits for the lock.
    pub(crate) fn take(dir: &Path) -> io::Result<Locked> {
        make_dir(dir)?;
        let lock = lock_file(&dir.join(LOCK))?;
        Ok(Locked { dir: dir.to_path_buf(), _lock: lock })
    }

    /// The state file's path.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// The state file's text ("" when there is none yet).
    pub(crate) fn read(&self) -> io::Result<String> {
        match std::fs::read_to_string(self.path()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            r => r,
        }
    }

    /// Replaces the state file with `text`, atomically.
    pub(crate) fn write(&self, text: &str) -> io::Result<()> {
        let tmp = self.dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.path())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        // the rename itself, on disk (Unix: sync the directory)
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn make_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

#[cfg(unix)]
fn lock_file(path: &Path) -> io::Result<std::fs::File> {
    let file = crate::os::files::open_lock(path)?;
    loop {
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive) {
            Ok(()) => return Ok(file),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Windows: the lock file opened with no sharing; another portfix's open fails (sharing
/// violation) until this one's handle closes. Waits up to a minute.
#[cfg(windows)]
fn lock_file(path: &Path) -> io::Result<std::fs::File> {
    use std::os::windows::fs::OpenOptionsExt as _;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .share_mode(0)
            .open(path)
        {
            Err(e)
                if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) && std::time::Instant::now() < until =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r,
        }
    }
}

/// The checkout `cwd` is in: the nearest directory at or above it holding `.git`, else `cwd`.
pub(crate) fn checkout(cwd: &Path) -> PathBuf {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    cwd.ancestors().find(|d| d.join(".git").exists()).map_or_else(|| cwd.clone(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_replaced_whole_under_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("a/b");
        let locked = Locked::take(&state).unwrap();
        assert_eq!(locked.read().unwrap(), "");
        locked.write("one\n").unwrap();
        locked.write("two\n").unwrap();
        assert_eq!(locked.read().unwrap(), "two\n");
        let mut names: Vec<_> = std::fs::read_dir(&state).unwrap().flatten().map(|e| e.file_name()).collect();
        names.sort();
        assert_eq!(names, [FILE, LOCK], "no temporary file left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn checkouts_are_git_roots_or_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let repo = root.join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("web/src")).unwrap();
        assert_eq!(checkout(&repo.join("web/src")), repo);
        assert_eq!(checkout(&repo), repo);
        // a linked worktree: .git is a file
        let wt = root.join("wt");
        std::fs::create_dir_all(wt.join("app")).unwrap();
        std::fs::write(wt.join(".git"), "gitdir: ../repo/.git/worktrees/wt\n").unwrap();
        assert_eq!(checkout(&wt.join("app")), wt);
        // no repository above: the directory itself (unless the temporary directory is in one)
        let plain = root.join("plain/sub");
        std::fs::create_dir_all(&plain).unwrap();
        if !root.ancestors().any(|d| d.join(".git").exists()) {
            assert_eq!(checkout(&plain), plain);
        }
    }
}
