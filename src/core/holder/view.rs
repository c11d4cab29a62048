//! One holder for people (`lines`) and for `--json` (serde).

use super::restart::{Supervisor, supervisor};
use super::same_run::dev_command_root;
use crate::core::process::ProcessInfo;
use crate::core::render;
use crate::core::render::Paint;
use serde::Serialize;
use std::path::Path;

/// One holder, for people ([`HolderView::lines`]) and for `--json` (serde). Paths are text
/// (lossy for non-UTF-8); command lines are raw here (JSON escapes them) and escaped in `lines`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct HolderView {
    pub(crate) pid: u32,
    pub(crate) name: String,
    pub(crate) command: Vec<String>,
    pub(crate) exe: Option<String>,
    pub(crate) cwd: Option<String>,
    pub(crate) uid: Option<u32>,
    pub(crate) user: Option<String>,
    /// Seconds since the Unix epoch.
    pub(crate) start_time: Option<u64>,
    pub(crate) age_secs: Option<u64>,
    pub(crate) kernel_thread: bool,
    pub(crate) systemd_unit: Option<String>,
    /// Nearest first.
    pub(crate) parents: Vec<ParentView>,
    pub(crate) supervisor: Option<Supervisor>,
    /// The package manager process at the top of this dev command's run, if any.
    pub(crate) run_root: Option<u32>,
    /// An earlier run of the command the wrapper is about to start, in the same directory.
    pub(crate) earlier_run: bool,
    /// Suspended (stopped, Ctrl-Z): it holds the port but answers nothing until resumed.
    pub(crate) suspended: bool,
    /// Its controlling terminal (`/dev/pts/3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tty: Option<String>,
    /// The init of a pid namespace nested below portfix's (a container's init).
    pub(crate) namespace_init: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ParentView {
    pub(crate) pid: u32,
    pub(crate) name: String,
    pub(crate) command: Vec<String>,
}

/// How a suspended process is named: "suspended (stopped, Ctrl-Z)", and in which terminal.
pub(crate) fn suspended_text(tty: Option<&str>) -> String {
    match tty {
        Some(t) => format!("suspended (stopped, Ctrl-Z) in terminal {}", render::escape(t)),
        None => "suspended (stopped, Ctrl-Z)".to_string(),
    }
}

/// How many parents `lines` names before eliding the rest.
pub(super) const PARENTS_SHOWN: usize = 4;

impl HolderView {
    /// "suspended (stopped, Ctrl-Z) in terminal /dev/pts/3".
    pub(crate) fn suspended_text(&self) -> String {
        suspended_text(self.tty.as_deref())
    }

    /// The view of `chain[0]` with its parents; `now` is seconds since the epoch (for the age),
    /// `earlier_run` what [`earlier_run`] said (only the wrapper knows the command to compare).
    /// `None` for an empty chain.
    pub(crate) fn from_chain(chain: &[ProcessInfo], now: u64, earlier_run: bool) -> Option<HolderView> {
        let (h, parents) = chain.split_first()?;
        let text = |p: &Path| p.to_string_lossy().into_owned();
        Some(HolderView {
            pid: h.pid,
            name: h.name.clone(),
            command: h.cmdline.clone(),
            exe: h.exe.as_deref().map(text),
            cwd: h.cwd.as_deref().map(text),
            uid: h.uid,
            user: h.user.clone(),
            start_time: h.start_time,
            age_secs: h.start_time.map(|t| now.saturating_sub(t)),
            kernel_thread: h.kernel_thread,
            systemd_unit: h.systemd_unit.clone(),
            parents: parents
                .iter()
                .map(|p| ParentView { pid: p.pid, name: p.name.clone(), command: p.cmdline.clone() })
                .collect(),
            supervisor: supervisor(chain, h.systemd_unit.as_deref()),
            run_root: dev_command_root(chain).map(|p| p.pid).filter(|&p| p != h.pid),
            earlier_run,
            suspended: h.suspended,
            tty: h.tty.clone(),
            namespace_init: h.namespace_init,
        })
    }

    /// Lines for people: a header (pid, name, markers) and indented details. Everything another
    /// process wrote (names, command lines, directories) is escaped.
    pub(crate) fn lines(&self, paint: Paint) -> Vec<String> {
        let mut header =
            format!("{}  {}", paint.bold(&format!("pid {}", self.pid)), render::escape(&self.name));
        if self.kernel_thread {
            header.push_str(&format!("  {}", paint.dim("(kernel thread)")));
        }
        if self.earlier_run {
            header.push_str(&format!("  {}", paint.yellow("(an earlier run of this same command)")));
        }
        if self.namespace_init {
            header.push_str(&format!("  {}", paint.yellow("(the init of a pid namespace / container)")));
        }
        let mut out = vec![header];
        let mut row = |label: &str, value: String| {
            out.push(format!("  {}  {value}", paint.dim(&format!("{label:<7}"))));
        };

        row("command", self.command_text());
        if self.suspended {
            row("state", paint.yellow(&self.suspended_text()));
        }
        if !self.kernel_thread {
            row("cwd", self.cwd.as_deref().map_or_else(|| HIDDEN.to_string(), render::escape));
        }
        row("user", user_text(self.user.as_deref(), self.uid));
        if let Some(age) = self.age_secs {
            row("started", format!("{} ago", render::age(age)));
        }
        if !self.parents.is_empty() {
            let mut names: Vec<String> = self
                .parents
                .iter()
                .take(PARENTS_SHOWN)
                .map(|p| format!("{} ({})", render::escape(&p.name), p.pid))
                .collect();
            if self.parents.len() > PARENTS_SHOWN {
                names.push("…".to_string());
            }
            row("parents", names.join(" < "));
        }
        if let Some(s) = &self.supervisor {
            row("restart", render::escape(&s.note));
            row("", format!("to stop that: {}", paint.cyan(&render::escape(&s.stop))));
        }
        out
    }
}

/// What `lines` shows for a process whose details are hidden from this user.
pub(super) const HIDDEN: &str = "(not visible to you)";

impl HolderView {
    /// The command line for one line of text, escaped: `[name]` for a kernel thread, a
    /// rewritten process title (`npm start`, `nginx: master process …`) as written.
    pub(crate) fn command_text(&self) -> String {
        match self.command.as_slice() {
            [] if self.kernel_thread => format!("[{}]", render::escape(&self.name)),
            [] => HIDDEN.to_string(),
            [title] => render::escape(title),
            args => render::command_line(args),
        }
    }

    /// [`Self::lines`] with the command line cut to fit `width` characters (`None`: whole), as
    /// `who` shows it: a command line can be 20,000 characters long.
    pub(crate) fn lines_within(&self, paint: Paint, width: Option<usize>) -> Vec<String> {
        let mut lines = self.lines(paint);
        let Some(width) = width else { return lines };
        let whole = self.command_text();
        // The command row is "  command  VALUE": 11 characters before the value.
        let cut = render::shorten(&whole, Some(width.saturating_sub(11).max(10)));
        if cut != whole {
            if let Some(row) = lines.iter_mut().skip(1).find(|l| l.ends_with(&whole)) {
                let head = row.len() - whole.len();
                row.replace_range(head.., &cut);
            }
        }
        lines
    }
}

/// A user for people: `me (uid 1000)`, `uid 1000` when the name is unknown; escaped.
pub(crate) fn user_text(name: Option<&str>, uid: Option<u32>) -> String {
    match (name, uid) {
        (Some(name), Some(uid)) => format!("{} (uid {uid})", render::escape(name)),
        (Some(name), None) => render::escape(name),
        (None, Some(uid)) => format!("uid {uid}"),
        (None, None) => "unknown".to_string(),
    }
}
