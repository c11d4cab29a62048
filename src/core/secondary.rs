//! Secondary ports: a debugger's port that a command opens besides its own, found in its
//! arguments or environment and moved, the same way it was given, when someone else holds it.
//! Pure: the caller says which ports are held and picks the free one.
//!
//! - **The Node inspector** (`--inspect`, `--inspect-brk`, `--inspect-wait`, each also
//!   `=[HOST:]PORT`; `--inspect-port`/`--debug-port PORT`), default 127.0.0.1:9229: in the flags
//!   of `node` (and of `nodemon` and `tsx`, which pass them to node) before the script, in
//!   `NODE_OPTIONS` (which every node process of the command reads: tools run through node, such
//!   as `vite` or `next`, included), or in the package.json script the command runs. Node reads
//!   `NODE_OPTIONS` first and its command line after, so the port comes from the last of: the
//!   command line, `NODE_OPTIONS`, the default.
//! - **The Deno inspector** (`deno run|serve|test … --inspect[-brk|-wait][=HOST:PORT]`), default
//!   127.0.0.1:9229.
//! - **debugpy** (`python -m debugpy --listen [HOST:]PORT …`; 5678 by convention).
//!
//! A port written in the command line is rewritten there (`--inspect=9229` → `--inspect=9230`,
//! `--listen 5678` → `--listen 5679`); a bare flag gets the port (`--inspect` →
//! `--inspect=9230`); a port in `NODE_OPTIONS` is rewritten there, and a bare `--inspect` there
//! gets it too. For a package.json script (which portfix does not rewrite) the inspector's port
//! goes into `NODE_OPTIONS` as `--inspect-port=N`, which a bare `node --inspect` in the script
//! then uses; a port written in the script itself cannot be moved (said so). Port 0 (any port)
//! is never a conflict.

use super::port::Port;

/// The Node and Deno inspectors' default port.
pub(crate) const INSPECTOR_PORT: u16 = 9229;

/// Which debugger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    NodeInspector,
    DenoInspector,
    Debugpy,
}

impl Kind {
    /// For messages: "the Node inspector".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Kind::NodeInspector => "the Node inspector",
            Kind::DenoInspector => "the Deno inspector",
            Kind::Debugpy => "debugpy",
        }
    }
}

/// Where the port was given, and so how another one is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Given {
    /// `argv[index]` is `prefix` + the port (`--inspect=127.0.0.1:` + 9229, or the value of a
    /// separate flag: `` + 5678): rewritten in place.
    Arg { index: usize, prefix: String },
    /// `argv[index]` is a flag without a port (`--inspect`, `--inspect=0.0.0.0`): `prefix` + the
    /// port replaces it.
    ArgDefault { index: usize, prefix: String },
    /// Word `token` of `NODE_OPTIONS` is `prefix` + the port (or a flag without one): replaced by
    /// `prefix` + the port. `None`: `--inspect-port=N` is added to it.
    NodeOptions { token: Option<usize>, prefix: String },
    /// Written where portfix does not rewrite (a package.json script): cannot be moved.
    Fixed { place: String },
}

/// A debugger port the command will open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Debugger {
    pub(crate) kind: Kind,
    pub(crate) port: Port,
    pub(crate) given: Given,
}

/// What the command will run with once a debugger was moved: the arguments and, for
/// `NODE_OPTIONS`, the new value.
impl Debugger {
    /// Whether it can be moved at all.
    pub(crate) fn movable(&self) -> bool {
        !matches!(self.given, Given::Fixed { .. })
    }

    /// Gives it `to` instead: rewrites `argv`, or returns the new `NODE_OPTIONS` value (from
    /// `node_options`, its value in portfix's environment). `argv` is the command as it will be
    /// launched, `original` as the user wrote it: the launch plan may have put words before the
    /// one to rewrite (`deno serve --port N …`), so it is looked for from its index on.
    pub(crate) fn apply(
        &self,
        to: Port,
        argv: &mut [String],
        original: &[String],
        node_options: Option<&str>,
    ) -> Option<(String, String)> {
        match &self.given {
            Given::Arg { index, prefix } | Given::ArgDefault { index, prefix } => {
                let word = original.get(*index)?;
                if let Some(a) = argv.iter_mut().skip(*index).find(|a| *a == word) {
                    *a = format!("{prefix}{to}");
                }
                None
            }
            Given::NodeOptions { token, prefix } => {
                let mut words: Vec<String> =
                    node_options.unwrap_or("").split_whitespace().map(String::from).collect();
                match token.and_then(|t| words.get_mut(t)) {
                    Some(w) => *w = format!("{prefix}{to}"),
                    None => words.push(format!("--inspect-port={to}")),
                }
                Some(("NODE_OPTIONS".to_string(), words.join(" ")))
            }
            Given::Fixed { .. } => None,
        }
    }

    /// How the new port is given, for the one line that says so: `--inspect=9230`,
    /// `NODE_OPTIONS=--inspect-port=9230`, `--listen 5679`.
    pub(crate) fn shown(&self, to: Port) -> String {
        match &self.given {
            // the value of a separate flag (`--listen 127.0.0.1:5678`): said with its flag
            Given::Arg { prefix, .. } if !prefix.starts_with('-') => match self.kind {
                Kind::Debugpy => format!("--listen {prefix}{to}"),
                _ => format!("--inspect-port {prefix}{to}"),
            },
            Given::Arg { prefix, .. } | Given::ArgDefault { prefix, .. } => format!("{prefix}{to}"),
            Given::NodeOptions { token: Some(_), prefix } => format!("NODE_OPTIONS: {prefix}{to}"),
            Given::NodeOptions { token: None, .. } => format!("NODE_OPTIONS: --inspect-port={to}"),
            Given::Fixed { place } => place.clone(),
        }
    }
}

/// The debuggers the command will open: `argv` as the user wrote it, the words of the
/// package.json script it runs (when one was read), and `NODE_OPTIONS` from the environment.
pub(crate) fn find(
    argv: &[String],
    script: Option<(&str, &[String])>,
    node_options: Option<&str>,
) -> Vec<Debugger> {
    let mut out = Vec::new();
    let env = node_options.map(|v| scan_node(&v.split_whitespace().map(String::from).collect::<Vec<_>>(), 0));
    let in_args = node_program(argv).map(|i| scan_node(argv, i + 1));
    let in_script =
        script.and_then(|(name, words)| node_program(words).map(|i| (name, scan_node(words, i + 1))));
    let enabled = [env.as_ref(), in_args.as_ref(), in_script.as_ref().map(|(_, s)| s)]
        .iter()
        .flatten()
        .any(|s| s.enable.is_some());
    if enabled {
        if let Some(d) = node_inspector(in_args.as_ref(), in_script.as_ref(), env.as_ref()) {
            out.push(d);
        }
    }
    out.extend(deno_inspector(argv));
    out.extend(debugpy(argv));
    out.retain(|d| d.port.get() != 0);
    out
}

/// What one list of node flags says about the inspector.
#[derive(Debug, Default)]
struct NodeFlags {
    /// The word that turns it on: (index, the flag up to its port, whether it names a port).
    enable: Option<(usize, String, bool)>,
    /// The last word that names a port: (index, prefix, port).
    port: Option<(usize, String, u16)>,
}

const NODE_RUNNERS: &[&str] = &["node", "nodejs", "nodemon", "tsx"];

/// The index of a `node` (or nodemon, tsx) in `words`, behind launchers and assignments.
fn node_program(words: &[String]) -> Option<usize> {
    words.iter().position(|w| {
        let base = w.rsplit(['/', '\\']).next().unwrap_or(w);
        let base = base.strip_suffix(".exe").unwrap_or(base);
        NODE_RUNNERS.contains(&base)
    })
}

/// Reads node's inspector flags in `words[from..]`, up to the script (for nodemon and tsx,
/// whose own flags take values, up to the first source file), `--`, or code on the command line.
fn scan_node(words: &[String], from: usize) -> NodeFlags {
    let mut f = NodeFlags::default();
    let runner =
        from.checked_sub(1).and_then(|i| words.get(i)).map(|w| w.rsplit(['/', '\\']).next().unwrap_or(w));
    let lenient = runner.is_some_and(|r| r.starts_with("nodemon") || r.starts_with("tsx"));
    let mut i = from;
    while let Some(w) = words.get(i) {
        if w == "--" || matches!(w.as_str(), "-e" | "--eval" | "-p" | "--print") && !lenient {
            break;
        }
        if !w.starts_with('-') {
            let source =
                [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"].iter().any(|e| w.ends_with(e));
            if !lenient || source {
                break;
            }
            i += 1;
            continue;
        }
        let (flag, value) = match w.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (w.as_str(), None),
        };
        match (flag, value) {
            ("--inspect" | "--inspect-brk" | "--inspect-wait", None) => {
                f.enable = Some((i, format!("{flag}="), false));
            }
            ("--inspect" | "--inspect-brk" | "--inspect-wait", Some(v)) => match host_port(v) {
                HostPort::Port(prefix, p) => {
                    f.enable = Some((i, format!("{flag}={prefix}"), true));
                    f.port = Some((i, format!("{flag}={prefix}"), p));
                }
                HostPort::Host(host) => f.enable = Some((i, format!("{flag}={host}:"), false)),
            },
            ("--inspect-port" | "--debug-port", Some(v)) => {
                if let HostPort::Port(prefix, p) = host_port(v) {
                    f.port = Some((i, format!("{flag}={prefix}"), p));
                }
            }
            ("--inspect-port" | "--debug-port", None) => {
                if let Some(HostPort::Port(prefix, p)) = words.get(i + 1).map(|v| host_port(v)) {
                    f.port = Some((i + 1, prefix, p));
                }
                i += 1;
            }
            ("-r" | "--require" | "--import" | "--loader" | "--experimental-loader", None) => i += 1,
            _ => {}
        }
        i += 1;
    }
    f
}

enum HostPort {
    /// `PORT` or `HOST:PORT`: the text before the port, and the port.
    Port(String, u16),
    /// A host alone (node then uses the default port).
    Host(String),
}

fn host_port(v: &str) -> HostPort {
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
    if digits(v) {
        if let Ok(p) = v.parse::<u16>() {
            return HostPort::Port(String::new(), p);
        }
    }
    if let Some((host, port)) = v.rsplit_once(':') {
        if digits(port) && (!host.contains(':') || host.ends_with(']')) {
            if let Ok(p) = port.parse::<u16>() {
                return HostPort::Port(format!("{host}:"), p);
            }
        }
    }
    HostPort::Host(v.to_string())
}

/// The Node inspector, from the flags read in the command line, the script and `NODE_OPTIONS`.
fn node_inspector(
    args: Option<&NodeFlags>,
    script: Option<&(&str, NodeFlags)>,
    env: Option<&NodeFlags>,
) -> Option<Debugger> {
    let d =
        |port: u16, given| Port::new(port).map(|port| Debugger { kind: Kind::NodeInspector, port, given });
    // the command line wins over NODE_OPTIONS, which wins over the default
    if let Some((index, prefix, port)) = args.and_then(|a| a.port.clone()) {
        return d(port, Given::Arg { index, prefix });
    }
    if let Some((name, s)) = script {
        if let Some((_, _, port)) = s.port {
            return d(port, Given::Fixed { place: format!("written in the package.json script `{name}`") });
        }
    }
    if let Some((token, prefix, port)) = env.and_then(|e| e.port.clone()) {
        return d(port, Given::NodeOptions { token: Some(token), prefix });
    }
    if let Some((index, prefix, _)) = args.and_then(|a| a.enable.clone()) {
        return d(INSPECTOR_PORT, Given::ArgDefault { index, prefix });
    }
    if script.is_some_and(|(_, s)| s.enable.is_some()) {
        return d(INSPECTOR_PORT, Given::NodeOptions { token: None, prefix: String::new() });
    }
    let (token, prefix, _) = env.and_then(|e| e.enable.clone())?;
    d(INSPECTOR_PORT, Given::NodeOptions { token: Some(token), prefix })
}

/// `deno run|serve|test|bench … --inspect[-brk|-wait][=HOST:PORT]` before the script.
fn deno_inspector(argv: &[String]) -> Option<Debugger> {
    let at = argv.iter().position(|w| {
        let base = w.rsplit(['/', '\\']).next().unwrap_or(w);
        base == "deno" || base == "deno.exe"
    })?;
    let mut found = None;
    for (i, w) in argv.iter().enumerate().skip(at + 2) {
        if !w.starts_with('-') || w == "--" {
            break;
        }
        let (flag, value) = w.split_once('=').map_or((w.as_str(), None), |(f, v)| (f, Some(v)));
        if !matches!(flag, "--inspect" | "--inspect-brk" | "--inspect-wait") {
            continue;
        }
        found = Some(match value.map(host_port) {
            Some(HostPort::Port(prefix, p)) => {
                (p, Given::Arg { index: i, prefix: format!("{flag}={prefix}") })
            }
            // deno takes HOST:PORT only
            _ => (INSPECTOR_PORT, Given::ArgDefault { index: i, prefix: format!("{flag}=127.0.0.1:") }),
        });
    }
    let (port, given) = found?;
    Some(Debugger { kind: Kind::DenoInspector, port: Port::new(port)?, given })
}

/// `python -m debugpy --listen [HOST:]PORT …` (also `--listen=…`), before its target.
fn debugpy(argv: &[String]) -> Option<Debugger> {
    let at = argv.windows(2).position(|w| w[0] == "-m" && w[1] == "debugpy")? + 2;
    let mut i = at;
    while let Some(w) = argv.get(i) {
        if !w.starts_with('-') || w == "-m" || w == "-c" || w == "--" {
            return None;
        }
        let (flag, value, index) = match w.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string()), i),
            None => (w.as_str(), argv.get(i + 1).cloned(), i + 1),
        };
        if flag == "--listen" {
            let HostPort::Port(prefix, p) = host_port(value.as_deref()?) else { return None };
            let prefix = if index == i { format!("--listen={prefix}") } else { prefix };
            return Some(Debugger {
                kind: Kind::Debugpy,
                port: Port::new(p)?,
                given: Given::Arg { index, prefix },
            });
        }
        // its other options take a value, but --wait-for-client and --log-to-stderr
        i += if matches!(flag, "--wait-for-client" | "--log-to-stderr") || index == i { 1 } else { 2 };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn one(argv: &str, script: Option<&str>, env: Option<&str>) -> Option<Debugger> {
        let script_words = script.map(words);
        let d = find(&words(argv), script_words.as_deref().map(|w| ("dev", w)), env);
        assert!(d.len() <= 1, "{argv}: {d:?}");
        d.into_iter().next()
    }

    /// Moves the debugger found to 9999 and returns the command and NODE_OPTIONS it runs with.
    fn moved(argv: &str, script: Option<&str>, env: Option<&str>) -> (String, Option<String>) {
        let d = one(argv, script, env).unwrap_or_else(|| panic!("{argv}: none found"));
        let mut a = words(argv);
        let set = d.apply(Port::new(9999).unwrap(), &mut a, &words(argv), env);
        (a.join(" "), set.map(|(k, v)| format!("{k}={v}")))
    }

    #[test]
    fn the_node_inspector_where_people_turn_it_on() {
        use Kind::NodeInspector as N;
        // (command, script, NODE_OPTIONS, kind, port, moved command, moved NODE_OPTIONS)
        #[rustfmt::skip]
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Kind, u16, &'a str, Option<&'a str>);
        let cases: &[Case] = &[
            ("node --inspect server.js", None, None, N, 9229, "node --inspect=9999 server.js", None),
            ("node --inspect-brk server.js", None, None, N, 9229, "node --inspect-brk=9999 server.js", None),
            ("node --inspect-wait app.js", None, None, N, 9229, "node --inspect-wait=9999 app.js", None),
            ("node --inspect=9230 server.js", None, None, N, 9230, "node --inspect=9999 server.js", None),
            (
                "node --inspect=0.0.0.0:9229 s.js",
                None,
                None,
                N,
                9229,
                "node --inspect=0.0.0.0:9999 s.js",
                None,
            ),
            ("node --inspect=[::1]:9229 s.js", None, None, N, 9229, "node --inspect=[::1]:9999 s.js", None),
            // a host alone: the default port
            ("node --inspect=0.0.0.0 s.js", None, None, N, 9229, "node --inspect=0.0.0.0:9999 s.js", None),
            (
                "node --inspect --inspect-port=9300 s.js",
                None,
                None,
                N,
                9300,
                "node --inspect --inspect-port=9999 s.js",
                None,
            ),
            (
                "node --inspect --inspect-port 9300 s.js",
                None,
                None,
                N,
                9300,
                "node --inspect --inspect-port 9999 s.js",
                None,
            ),
            (
                "node -r dotenv/config --inspect s.js",
                None,
                None,
                N,
                9229,
                "node -r dotenv/config --inspect=9999 s.js",
                None,
            ),
            (
                "env A=1 /usr/bin/node --inspect s.js",
                None,
                None,
                N,
                9229,
                "env A=1 /usr/bin/node --inspect=9999 s.js",
                None,
            ),
            (
                "npx nodemon --watch src --inspect server.js",
                None,
                None,
                N,
                9229,
                "npx nodemon --watch src --inspect=9999 server.js",
                None,
            ),
            (
                "tsx watch --inspect src/main.ts",
                None,
                None,
                N,
                9229,
                "tsx watch --inspect=9999 src/main.ts",
                None,
            ),
            // NODE_OPTIONS: every node of the command reads it (vite runs through node)
            ("vite", None, Some("--inspect"), N, 9229, "vite", Some("NODE_OPTIONS=--inspect=9999")),
            (
                "npm run dev",
                None,
                Some("--max-old-space-size=4096 --inspect=9240"),
                N,
                9240,
                "npm run dev",
                Some("NODE_OPTIONS=--max-old-space-size=4096 --inspect=9999"),
            ),
            (
                "vite",
                None,
                Some("--inspect --inspect-port=127.0.0.1:9240"),
                N,
                9240,
                "vite",
                Some("NODE_OPTIONS=--inspect --inspect-port=127.0.0.1:9999"),
            ),
            // the command line wins over NODE_OPTIONS
            (
                "node --inspect=9231 s.js",
                None,
                Some("--inspect=9240"),
                N,
                9231,
                "node --inspect=9999 s.js",
                None,
            ),
            // NODE_OPTIONS' port for a bare flag on the command line
            (
                "node --inspect s.js",
                None,
                Some("--inspect-port=9240"),
                N,
                9240,
                "node --inspect s.js",
                Some("NODE_OPTIONS=--inspect-port=9999"),
            ),
            // a package.json script: the port goes in NODE_OPTIONS
            (
                "npm run dev",
                Some("node --inspect server.js"),
                None,
                N,
                9229,
                "npm run dev",
                Some("NODE_OPTIONS=--inspect-port=9999"),
            ),
            (
                "npm run dev",
                Some("nodemon --inspect server.js"),
                Some("--max-old-space-size=4096"),
                N,
                9229,
                "npm run dev",
                Some("NODE_OPTIONS=--max-old-space-size=4096 --inspect-port=9999"),
            ),
        ];
        for (argv, script, env, kind, port, want_argv, want_env) in cases {
            let d = one(argv, *script, *env).unwrap_or_else(|| panic!("{argv} {env:?}: none found"));
            assert_eq!((d.kind, d.port.get()), (*kind, *port), "{argv} {env:?}");
            let (got_argv, got_env) = moved(argv, *script, *env);
            assert_eq!((got_argv.as_str(), got_env.as_deref()), (*want_argv, *want_env), "{argv} {env:?}");
        }
    }

    #[test]
    fn no_inspector_where_it_is_not_turned_on() {
        for (argv, script, env) in [
            ("node server.js", None, None),
            // the script's own arguments are not node's
            ("node server.js --inspect", None, None),
            ("node -e 'x' --inspect", None, None),
            // a port without --inspect does not turn it on
            ("node --inspect-port=9300 server.js", None, None),
            (" vite", None, Some("--inspect-port=9300")),
            ("python3 -m http.server", None, None),
            ("npm run dev", Some("vite"), None),
            // port 0: any port, never a conflict
            ("node --inspect=0 server.js", None, None),
        ] {
            let script_words = script.map(words);
            let d = find(&words(argv), script_words.as_deref().map(|w| ("dev", w)), env);
            assert!(d.is_empty(), "{argv} {env:?}: {d:?}");
        }
    }

    #[test]
    fn a_port_written_in_a_script_cannot_be_moved() {
        let d = one("npm run dev", Some("node --inspect=9229 server.js"), None).unwrap();
        assert_eq!(d.port.get(), 9229);
        assert!(!d.movable());
        assert_eq!(d.shown(d.port), "written in the package.json script `dev`");
        let mut a = words("npm run dev");
        assert_eq!(d.apply(Port::new(9999).unwrap(), &mut a, &words("npm run dev"), None), None);
        assert_eq!(a, words("npm run dev"));
    }

    #[test]
    fn deno_and_debugpy() {
        use Kind::{Debugpy, DenoInspector};
        #[rustfmt::skip]
        let cases: &[(&str, Kind, u16, &str)] = &[
            ("deno run --inspect main.ts", DenoInspector, 9229, "deno run --inspect=127.0.0.1:9999 main.ts"),
            ("deno serve -A --inspect-brk=0.0.0.0:9300 main.ts", DenoInspector, 9300,
                "deno serve -A --inspect-brk=0.0.0.0:9999 main.ts"),
            ("python -m debugpy --listen 5678 manage.py runserver", Debugpy, 5678,
                "python -m debugpy --listen 9999 manage.py runserver"),
            ("python3 -m debugpy --wait-for-client --listen 0.0.0.0:5678 -m flask run", Debugpy, 5678,
                "python3 -m debugpy --wait-for-client --listen 0.0.0.0:9999 -m flask run"),
            ("python3 -m debugpy --log-to /tmp/l --listen=5680 app.py", Debugpy, 5680,
                "python3 -m debugpy --log-to /tmp/l --listen=9999 app.py"),
        ];
        for (argv, kind, port, want) in cases {
            let d = one(argv, None, None).unwrap_or_else(|| panic!("{argv}"));
            assert_eq!((d.kind, d.port.get()), (*kind, *port), "{argv}");
            assert_eq!(moved(argv, None, None).0, *want, "{argv}");
        }
        // the script's --listen is not debugpy's; --connect is not a listener
        assert_eq!(one("python3 -m debugpy --connect 5678 app.py --listen 1", None, None), None);
        assert_eq!(one("python3 app.py --listen 5678", None, None), None);
        assert_eq!(one("deno run main.ts --inspect", None, None), None);
    }

    #[test]
    fn words_the_plan_put_before_it_do_not_move_the_rewrite() {
        let user = words("deno serve --inspect main.ts");
        let d = one("deno serve --inspect main.ts", None, None).unwrap();
        let mut launched = words("deno serve --port 8001 --inspect main.ts");
        d.apply(Port::new(9999).unwrap(), &mut launched, &user, None);
        assert_eq!(launched.join(" "), "deno serve --port 8001 --inspect=127.0.0.1:9999 main.ts");
    }

    #[test]
    fn how_the_move_is_said() {
        let d = one("node --inspect server.js", None, None).unwrap();
        assert_eq!(d.shown(Port::new(9230).unwrap()), "--inspect=9230");
        assert_eq!(d.kind.describe(), "the Node inspector");
        let d = one("vite", None, Some("--inspect")).unwrap();
        assert_eq!(d.shown(Port::new(9230).unwrap()), "NODE_OPTIONS: --inspect=9230");
        let d = one("python -m debugpy --listen 5678 app.py", None, None).unwrap();
        assert_eq!(d.shown(Port::new(5679).unwrap()), "--listen 5679");
        let d = one("python -m debugpy --listen 127.0.0.1:5678 app.py", None, None).unwrap();
        assert_eq!(d.shown(Port::new(5679).unwrap()), "--listen 127.0.0.1:5679");
        let d = one("python -m debugpy --listen=127.0.0.1:5678 app.py", None, None).unwrap();
        assert_eq!(d.shown(Port::new(5679).unwrap()), "--listen=127.0.0.1:5679");
    }
}
