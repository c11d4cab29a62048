//! Binds refused for lack of privilege, recognised in a command's output: not "in use" — the port
//! is free, the OS refuses it to this user (a port below `net.ipv4.ip_unprivileged_port_start`
//! on Linux, below 1024 on macOS for some addresses, an excluded range on Windows). Pure; called
//! by the bind-failure recogniser (`core::bindfail`), which reads the port and address from the
//! same lines as for a port in use.
//!
//! The wordings (captured from real servers into `tests/fixtures/binddenied/` by
//! `scripts/capture-bind-denials`, or documented by the runtime) come in two kinds:
//! - **certain**: the line says it was a bind or a listen (`listen EACCES` from Node, Vite and
//!   the servers on them; Python's `error while attempting to bind on address … permission
//!   denied` from asyncio and uvicorn; Go's `bind: permission denied`; Ruby's `Errno::EACCES …
//!   bind(2)`; PHP's `Failed to listen on … Permission denied`; Django's `You don't have
//!   permission to access that port`; Java's `BindException: Permission denied`; .NET's `Failed
//!   to bind to address … permission denied`; Windows' `WSAEACCES` / error 10013 / "forbidden by
//!   its access permissions", whatever the runtime);
//! - **uncertain**: a permission error that does not say it was the bind (Python's bare
//!   `PermissionError: [Errno 13] Permission denied` from `http.server` and `socket.bind`,
//!   Rust's `kind: PermissionDenied`, Deno's `PermissionDenied: Permission denied (os error 13)`,
//!   Java's `SocketException: Permission denied`): a file the server could not open reads the
//!   same. The wrapper takes these for a refused bind only when the port it launched the
//!   command on does need privilege here.

use std::sync::LazyLock;

use memchr::memmem;

/// The cheap test, run on every line the recogniser would otherwise skip: does it speak of a
/// permission at all? ("Permission denied", "PermissionDenied", "permission to access",
/// "access permissions"; `EACCES`; Windows' 10013.)
pub(crate) fn may_matter(line: &[u8]) -> bool {
    static PERMISSION: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("ermission"));
    static EACCES: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("EACCES"));
    static WSAEACCES: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("10013"));
    PERMISSION.find(line).is_some() || EACCES.find(line).is_some() || WSAEACCES.find(line).is_some()
}

/// Whether a line says a bind was refused for lack of privilege: `(runtime, certain)` (see the
/// module's notes); `lower` is the line in ASCII lowercase.
pub(crate) fn classify(lower: &str) -> Option<(&'static str, bool)> {
    let has = |s: &str| lower.contains(s);
    let denied = has("permission denied") || has("eacces");
    // Windows: the wording is localised, the code is not
    let windows = has("wsaeacces")
        || has("winerror 10013")
        || has("error 10013")
        || has("errno 10013")
        || has("code: 10013")
        || has("forbidden by its access permissions");
    let found = if windows {
        if lower.starts_with("permissionerror") || has("[winerror 10013]") {
            ("python", true)
        } else if has("listen tcp") || has("listen udp") {
            ("go", true)
        } else if has("kind: permissiondenied") {
            ("rust", true)
        } else {
            ("windows", true)
        }
    } else if has("listen eacces") {
        ("node", true)
    } else if has("permission to listen on port") && has("denied") {
        ("jupyter", true)
    } else if has("you don't have permission to access that port") {
        ("django", true)
    } else if has("error while attempting to bind on address") && denied {
        (
            if lower.starts_with("permissionerror") || lower.starts_with("oserror") {
                "python"
            } else {
                "uvicorn"
            },
            true,
        )
    } else if (has("listen tcp") || has("listen udp")) && has("bind: permission denied") {
        ("go", true)
    } else if has("errno::eacces") && has("bind(2)") {
        ("ruby", true)
    } else if has("failed to listen on") && denied {
        ("php", true)
    } else if has("failed to bind to address") && (denied || has("access")) {
        ("dotnet", true)
    } else if has("bindexception: permission denied") {
        ("java", true)
    } else if has("socketexception: permission denied") {
        ("java", false)
    } else if lower.trim_end_matches('.') == "permissionerror: [errno 13] permission denied" {
        // a file names itself after the colon (`Permission denied: '/etc/x'`); a bind does not
        ("python", false)
    } else if has("kind: permissiondenied") {
        ("rust", false)
    } else if has("permissiondenied: permission denied (os error 13)") {
        ("deno", false)
    } else {
        return None;
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::bindfail::{Cause, Recogniser};

    fn run(output: &[u8]) -> Option<crate::core::bindfail::Detected> {
        let mut r = Recogniser::new();
        for line in output.split(|&b| b == b'\n') {
            r.feed_line(line.strip_suffix(b"\r").unwrap_or(line));
        }
        r.detected().cloned()
    }

    /// Every capture in tests/fixtures/binddenied (real output, as nobody, port 80 refused):
    /// (file, port named, runtime, certain).
    fn fixtures() -> Vec<(&'static str, Option<u16>, &'static str, bool)> {
        vec![
            ("deno-serve", Some(80), "deno", false),
            ("http-server", Some(80), "node", true),
            ("java-serversocket", None, "java", true),
            ("node-http", Some(80), "node", true),
            ("node-net", Some(80), "node", true),
            ("python-asyncio", Some(80), "python", true),
            ("python-http-server", None, "python", false),
            ("rust-unwrap", None, "rust", false),
            ("vite", Some(80), "node", true),
        ]
    }

    fn fixture_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binddenied")
    }

    #[test]
    fn real_captured_output() {
        for (name, port, runtime, certain) in fixtures() {
            let bytes = std::fs::read(fixture_dir().join(format!("{name}.txt"))).unwrap();
            let d = run(&bytes).unwrap_or_else(|| panic!("{name}: not recognised"));
            assert_eq!(d.cause, Cause::Denied { certain }, "{name}: {}", d.line);
            assert_eq!(
                (d.port.map(crate::core::port::Port::get), d.runtime),
                (port, runtime),
                "{name}: {}",
                d.line
            );
        }
    }

    #[test]
    fn every_fixture_has_an_expectation() {
        for entry in std::fs::read_dir(fixture_dir()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".txt") {
                assert!(fixtures().iter().any(|(n, ..)| *n == stem), "{name} has no row in fixtures()");
            }
        }
    }

    /// Wordings of runtimes not installed here (documented, not captured): (output, port,
    /// runtime, certain).
    #[test]
    fn documented_wordings() {
        let cases: &[(&str, Option<u16>, &str, bool)] = &[
            ("2026/01/02 10:11:12 listen tcp :80: bind: permission denied", Some(80), "go", true),
            ("panic: listen tcp 127.0.0.1:443: bind: permission denied", Some(443), "go", true),
            ("Permission denied - bind(2) for \"0.0.0.0\" port 80 (Errno::EACCES)", Some(80), "ruby", true),
            (
                "[Wed Dec  3 10:11:12 2026] Failed to listen on 127.0.0.1:80 (reason: Permission denied)",
                Some(80),
                "php",
                true,
            ),
            ("Error: You don't have permission to access that port.", None, "django", true),
            (
                "ERROR:    [Errno 13] error while attempting to bind on address ('127.0.0.1', 80): permission denied",
                Some(80),
                "uvicorn",
                true,
            ),
            (
                "Unhandled exception. System.IO.IOException: Failed to bind to address http://0.0.0.0:80: permission denied.",
                Some(80),
                "dotnet",
                true,
            ),
            ("java.net.SocketException: Permission denied", None, "java", false),
            // Windows: an excluded range, or a port reserved for administrators
            (
                "PermissionError: [WinError 10013] An attempt was made to access a socket in a way forbidden by its access permissions",
                None,
                "python",
                true,
            ),
            (
                "listen tcp :3000: bind: An attempt was made to access a socket in a way forbidden by its access permissions.",
                Some(3000),
                "go",
                true,
            ),
            ("Error: listen EACCES: permission denied 0.0.0.0:3000", Some(3000), "node", true),
            (
                "Error: Os { code: 10013, kind: PermissionDenied, message: \"Der Zugriff auf einen Socket war aufgrund der Zugriffsrechte des Sockets unzulässig.\" }",
                None,
                "rust",
                true,
            ),
            ("error: bind failed: WSAEACCES", None, "windows", true),
            // jupyter_server (then it tries the next port, as for a port in use)
            (
                "[W 2026-12-03 10:11:12.345 ServerApp] Permission to listen on port 80 denied.",
                Some(80),
                "jupyter",
                true,
            ),
        ];
        for (text, port, runtime, certain) in cases {
            let d = run(text.as_bytes()).unwrap_or_else(|| panic!("missed: {text}"));
            assert_eq!(
                (d.port.map(crate::core::port::Port::get), d.runtime, d.cause),
                (*port, *runtime, Cause::Denied { certain: *certain }),
                "{text}"
            );
        }
    }

    #[test]
    fn permission_errors_that_are_not_a_bind_are_not_taken_for_one() {
        for text in [
            "PermissionError: [Errno 13] Permission denied: '/etc/shadow'",
            "Error: EACCES: permission denied, open '/srv/app/.env'",
            "cp: cannot open 'x' for reading: Permission denied",
            "sh: 1: ./run.sh: Permission denied",
            "checking permissions of the cache directory",
            "GET /admin 403 permission denied for user bob",
        ] {
            assert_eq!(run(text.as_bytes()), None, "{text}");
        }
        // Node's inspector failing on its own port is not the server's bind failure
        assert_eq!(run(b"Starting inspector on 127.0.0.1:9229 failed: address already in use"), None);
        // and "in use" stays "in use"
        let d = run(b"Error: listen EADDRINUSE: address already in use 127.0.0.1:3000").unwrap();
        assert_eq!(d.cause, Cause::InUse);
    }

    #[test]
    fn the_cheap_test_lets_every_wording_through() {
        for line in [
            "Error: listen EACCES: permission denied 127.0.0.1:80",
            "PermissionError: [Errno 13] Permission denied",
            "Error: You don't have permission to access that port.",
            "error: Uncaught (in promise) PermissionDenied: Permission denied (os error 13)",
            "OSError: [WinError 10013] An attempt was made",
        ] {
            assert!(may_matter(line.as_bytes()), "{line}");
        }
        assert!(!may_matter(b"GET / 200 12ms"));
    }
}
