//! Text that reaches a terminal: escaping what other processes wrote, one-line messages,
//! colour that honours `NO_COLOR`, aligned columns. Pure.

use std::fmt::Write as _;

/// Escapes control characters (and the escape character) so text another process wrote — a
/// command line, a directory name — cannot move the cursor or recolour the user's terminal.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A command line for display: arguments joined by spaces, quoted where they hold spaces or are
/// empty, control characters escaped. A lone argument is shown as it is, spaces and all: it is a
/// process title written over the arguments (npm's `npm start`, nginx's `nginx: master
/// process …`), not one argument to quote.
pub(crate) fn command_line(args: &[String]) -> String {
    if let [title] = args {
        if !title.is_empty() {
            return escape(title);
        }
    }
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let e = escape(a);
        if e.is_empty() || e.contains([' ', '"', '\'']) {
            out.push('\'');
            out.push_str(&e.replace('\'', "'\\''"));
            out.push('\'');
        } else {
            out.push_str(&e);
        }
    }
    out
}

/// Text cut to `width` characters, ending with `…` when it was longer (`None`: whole). The one
/// shortener of `who` and `list`: a command line can be 20,000 characters long.
pub(crate) fn shorten(s: &str, width: Option<usize>) -> String {
    match width {
        Some(w) if s.chars().count() > w => {
            let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
            out.push('…');
            out
        }
        _ => s.to_string(),
    }
}

/// Folds a possibly multi-line message into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// clap's rendered error without its "error:" prefix, usage block and help pointer, in one line.
pub(crate) fn clap_one_line(rendered: &str) -> String {
    let kept: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = kept.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_string()
}

/// Whether to colour output: only at a terminal, never with `NO_COLOR` set (to anything
/// non-empty), and never for `TERM=dumb`.
pub(crate) fn use_colour(is_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

/// ANSI styling that turns itself off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    pub(crate) on: bool,
}

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    pub(crate) fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub(crate) fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub(crate) fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    pub(crate) fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub(crate) fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
}

/// Lays out rows in columns padded to the widest cell (by characters); the last column is not
/// padded. Cells must not hold colour codes (colour whole lines, or pad first).
pub(crate) fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; n];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// "3s", "5m", "2h 10m", "3d 4h": an age for people.
pub(crate) fn age(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_terminal_control() {
        assert_eq!(escape("node server.js"), "node server.js");
        assert_eq!(escape("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\ny\r\t"), "x\\ny\\r\\t");
        assert_eq!(escape("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(escape("héllo ✓"), "héllo ✓");
    }

    #[test]
    fn command_lines() {
        let args = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(command_line(&args(&["npm", "start"])), "npm start");
        assert_eq!(command_line(&args(&["sh", "-c", "echo hi"])), "sh -c 'echo hi'");
        assert_eq!(command_line(&args(&["a", ""])), "a ''");
        // a process title (one element with spaces) is not an argument to quote
        assert_eq!(command_line(&args(&["npm start"])), "npm start");
        assert_eq!(
            command_line(&args(&["nginx: master process /usr/sbin/nginx"])),
            "nginx: master process /usr/sbin/nginx"
        );
        assert_eq!(command_line(&args(&["it's"])), "it's");
        assert_eq!(command_line(&args(&[""])), "''");
        assert_eq!(command_line(&args(&["node", "my app.js"])), "node 'my app.js'");
        assert_eq!(command_line(&args(&["rm\x1b[2J"])), "rm\\u{1b}[2J");
    }

    #[test]
    fn shortening() {
        assert_eq!(shorten("node server.js", Some(20)), "node server.js");
        assert_eq!(shorten("node server.js", Some(14)), "node server.js");
        assert_eq!(shorten("node server.js", Some(8)), "node se…");
        assert_eq!(shorten("héllo ✓ wörld", Some(7)), "héllo …");
        assert_eq!(shorten(&"x".repeat(20_000), Some(200)).chars().count(), 200);
        assert_eq!(shorten(&"x".repeat(20_000), None).len(), 20_000);
        assert_eq!(shorten("abc", Some(0)), "…");
    }

    #[test]
    fn messages_fold_to_one_line() {
        assert_eq!(one_line("a\n  b\n\nc"), "a b c");
        let clap = "error: invalid value '0' for '<PORT>': port 0 means 'any port'\n\nFor more information, try '--help'.\n";
        assert_eq!(clap_one_line(clap), "invalid value '0' for '<PORT>': port 0 means 'any port'");
        let missing = "error: the following required arguments were not provided:\n  <PORT>...\n\nUsage: portfix kill <PORT>...\n\nFor more information, try '--help'.\n";
        assert_eq!(clap_one_line(missing), "the following required arguments were not provided: <PORT>...");
    }

    #[test]
    fn colour_rules() {
        assert!(use_colour(true, None, Some("xterm")));
        assert!(!use_colour(false, None, Some("xterm")));
        assert!(!use_colour(true, Some("1"), Some("xterm")));
        assert!(use_colour(true, Some(""), Some("xterm")));
        assert!(!use_colour(true, None, Some("dumb")));
        assert_eq!(Paint { on: false }.green("x"), "x");
        assert_eq!(Paint { on: true }.green("x"), "\x1b[32mx\x1b[0m");
    }

    #[test]
    fn column_layout_and_ages() {
        let rows = vec![
            vec!["3000".to_string(), "node".to_string(), "x".to_string()],
            vec!["8080".to_string(), "python3".to_string(), "y".to_string()],
        ];
        assert_eq!(columns(&rows), ["3000  node     x", "8080  python3  y"]);
        assert_eq!(age(5), "5s");
        assert_eq!(age(125), "2m");
        assert_eq!(age(7260), "2h 1m");
        assert_eq!(age(90_000), "1d 1h");
    }
}
