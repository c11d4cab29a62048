//! Recognising a failed bind in a command's output. Pure: no I/O.
//!
//! The wrapper feeds every line the command writes (stdout and stderr, split into lines by the
//! relay) to one [`Recogniser`].
//! Runtimes word "address already in use" in many ways (see the fixtures in
//! `tests/fixtures/bindfail/`, captured from real servers): some name the port on the failing
//! line, some on a later line (Node's `port: 3000`, Deno's echo of the source line), some never
//! (Python's `OSError: [Errno 98]`, Java, Rust, Django) — then the port is `None` and the caller
//! attributes it (the injected port, or a wanted port that is now held). Some keep running and
//! retry (gunicorn, nodemon "app crashed - waiting for file changes"): [`Behaviour::KeepsRunning`]
//! tells the wrapper to stop the command's tree rather than wait. Some move to another port on
//! their own (Vite, Next without `-p`): [`Behaviour::Moved`] is not a failure, but the old port is
//! still held by someone.
//!
//! Cost: this runs on every byte a dev server prints. Lines are split with `memchr`; a line is
//! looked at only when a cheap byte test finds a hint ("in use" in any case, "InUse", a few
//! platform wordings); only then are colours stripped and the wording classified. While an
//! incident is open (a failure seen within the last [`WINDOW`] lines) the following lines are
//! read in full, to pick up a port named later and a "retrying" / "waiting for changes".
//!
//! Ports printed before the failure are never taken for the failing port (a port printed
//! earlier is often another service's: a database URL, a proxy target). One kind is kept
//! aside: the port the command last *announced* it was binding (`Starting server on port
//! 8000`, `Listening on 127.0.0.1:8000`, `Trying port 8000`), as [`Detected::announced`]. The
//! wrapper uses it only as the last resort for a failure that names no port, and only when
//! that port is held by another process.

use std::net::IpAddr;
use std::sync::LazyLock;

use memchr::{memchr, memchr2_iter, memmem};

use super::port::Port;

/// How many lines after the last failure-related line still belong to the same incident.
pub(crate) const WINDOW: usize = 12;
/// Only the first bytes of a line are examined (a minified bundle can print megabytes on one
/// line; the wrapper must not buffer it).
pub(crate) const MAX_LINE: usize = 4096;
/// The failing line kept for messages is cut to this many characters.
const MAX_QUOTE: usize = 300;

/// What the command does after its bind failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// It usually exits on its own (an uncaught error). If it has not after a moment, it caught
    /// the error and lives on without its port: stop it.
    Exits,
    /// It stays up and retries or waits (gunicorn, nodemon): stop its tree now.
    KeepsRunning,
    /// It moved to another port by itself (Vite, Next without `-p`); `to` when it said which.
    /// Not a failure; the port it wanted is still held by someone.
    Moved { to: Option<Port> },
}

/// A bind failure seen in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detected {
    /// The port that could not be bound, when the output names it near the failure.
    pub(crate) port: Option<Port>,
    /// The address it tried, when named (`127.0.0.1`, `::`).
    pub(crate) addr: Option<IpAddr>,
    /// Who said it: "node", "deno", "bun", "python", "uvicorn", "gunicorn", "flask", "django",
    /// "go", "rust", "java", "spring", "ruby", "php", "dotnet", "vite", "next", "react-scripts",
    /// "perl", "pelican", "bokeh", "jupyter", "streamlit", "gradio", "live-server", "rsbuild", "parcel",
    /// "gatsby", "expo", "netlify", "vercel", "firebase", "windows" (a Windows wording with no
    /// other clue), or "unknown".
    pub(crate) runtime: &'static str,
    pub(crate) behaviour: Behaviour,
    /// The failing line as printed, colours stripped, trimmed, cut to 300 characters.
    pub(crate) line: String,
    /// The port the command last said it was binding, before the failure (see the module
    /// docs): the port it was seen trying, when the failure names none.
    pub(crate) announced: Option<Port>,
    /// Why the bind failed: the port is in use, or the OS refused it (`core::denied`).
    pub(crate) cause: Cause,
    /// The port is a debugger's, not the server's: Deno's `Failed to start inspector server at
    /// "HOST:PORT"` (`core::secondary` knows where it was given, to move it).
    pub(crate) debugger: bool,
}

/// Why a bind failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// Something else holds the port.
    InUse,
    /// The OS refused it for lack of privilege (EACCES, WSAEACCES): nothing holds it. `certain`:
    /// the line says it was the bind (else a permission error that may be about a file).
    Denied { certain: bool },
}

/// The streaming recogniser: feed it every line of output; it reports a failure as soon as it
/// sees one, and again each time it learns more about it (the port, the address, that the
/// command keeps running, where it moved to). Each report supersedes the last.
#[derive(Debug, Default)]
pub(crate) struct Recogniser {
    current: Option<Detected>,
    /// Lines since the current incident last got a relevant line; `None` when no incident.
    since: Option<usize>,
    /// Set when a line changed `current`: what [`Recogniser::feed_line`] reports.
    changed: bool,
    text: Vec<u8>,
    /// The port of the last announcement line outside an incident.
    announced: Option<Port>,
}

impl Recogniser {
    pub(crate) fn new() -> Recogniser {
        Recogniser::default()
    }

    /// The best knowledge so far: the latest failure seen, if any.
    pub(crate) fn detected(&self) -> Option<&Detected> {
        self.current.as_ref()
    }

    /// Feeds one complete line (without its newline).
    /// Feeds one complete line (without its newline). Returns the detection when this line
    /// made it new or changed it. Costs no allocation on a line that does not matter.
    pub(crate) fn feed_line(&mut self, line: &[u8]) -> Option<Detected> {
        self.changed = false;
        self.line(&line[..line.len().min(MAX_LINE)]);
        if self.changed { self.current.clone() } else { None }
    }

    /// One line, possibly holding several carriage-return-separated screens (spinners).
    fn line(&mut self, raw: &[u8]) {
        if memchr(b'\r', raw).is_none() {
            self.segment(raw);
        } else {
            for segment in raw.split(|&b| b == b'\r') {
                self.segment(segment);
            }
        }
    }

    fn segment(&mut self, raw: &[u8]) {
        let open = self.since.is_some_and(|n| n <= WINDOW);
        if !open && !may_matter(raw) {
            if may_announce(raw) {
                strip_ansi(raw, &mut self.text);
                let text = String::from_utf8_lossy(&self.text);
                self.announced = announced_port(text.trim()).or(self.announced);
            }
            return;
        }
        strip_ansi(raw, &mut self.text);
        let text = String::from_utf8_lossy(&self.text);
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        if let Some(mut found) = classify(text, &lower) {
            found.announced = self.announced;
            match (&mut self.current, open) {
                (Some(cur), true) => self.changed |= merge(cur, &found),
                (cur, _) => {
                    self.changed |= cur.as_ref() != Some(&found);
                    *cur = Some(found);
                }
            }
            self.since = Some(0);
            return;
        }
        if !open {
            return;
        }
        let Some(cur) = self.current.as_mut() else { return };
        let mut relevant = false;
        if retrying(&lower) && cur.behaviour == Behaviour::Exits {
            cur.behaviour = Behaviour::KeepsRunning;
            relevant = true;
        }
        if let Behaviour::Moved { to: None } = cur.behaviour {
            // Vite's `Local:`, live-server's `Serving "dir" at`, Parcel's `Server running at`,
            // Vercel's `Available at`
            if ["local:", "serving ", "running at ", "available at "].iter().any(|w| lower.contains(w)) {
                if let Some((p, _)) = host_port_tokens(text).next() {
                    cur.behaviour = Behaviour::Moved { to: Some(p) };
                    relevant = true;
                }
            }
        } else if cur.port.is_none() {
            if let Some(p) = port_phrase(&lower).or_else(|| host_port_tokens(text).next().map(|t| t.0)) {
                cur.port = Some(p);
                relevant = true;
            }
        }
        if cur.addr.is_none() {
            if let Some(a) = node_address(text) {
                cur.addr = Some(a);
                relevant = true;
            }
        }
        // each relevant line filled a field that was empty or moved the behaviour on
        self.changed |= relevant;
        self.since = Some(if relevant { 0 } else { self.since.unwrap_or(0) + 1 });
    }
}

/// Later knowledge about the same incident fills what was missing. True when it changed `cur`.
fn merge(cur: &mut Detected, new: &Detected) -> bool {
    let mut changed = false;
    if cur.port.is_none() && new.port.is_some() {
        cur.port = new.port;
        changed = true;
    }
    if cur.addr.is_none() && new.addr.is_some() {
        cur.addr = new.addr;
        changed = true;
    }
    if (cur.runtime == "unknown" || (cur.runtime == "python" && new.runtime != "unknown"))
        && cur.runtime != new.runtime
    {
        cur.runtime = new.runtime;
        changed = true;
    }
    if new.behaviour == Behaviour::KeepsRunning && cur.behaviour == Behaviour::Exits {
        cur.behaviour = Behaviour::KeepsRunning;
        changed = true;
    }
    changed
}

/// The cheap test run on every line: could this be a bind failure at all? One pass over the
/// positions of 'u'/'U' (found with SIMD), plus one search for the Windows error number.
fn may_matter(line: &[u8]) -> bool {
    static WINSOCK: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("10048"));
    // wordings without a 'u': Streamlit's "Port 8501 is not available", Gradio's "Cannot find
    // empty port in range"
    static NOT_AVAILABLE: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("not available"));
    static EMPTY_PORT: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("empty port"));
    // Deno's inspector: "Failed to start inspector server at"
    static INSPECTOR: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("inspector server"));
    let at = |i: usize, s: &[u8]| line.get(i..i + s.len()).is_some_and(|w| w.eq_ignore_ascii_case(s));
    for i in memchr2_iter(b'u', b'U', line) {
        // "in use", "In Use", "IN USE", "InUse", "EADDRINUSE": "se" after "in" or "in "
        if at(i + 1, b"se") && i >= 2 && (at(i - 2, b"in") || (i >= 3 && at(i - 3, b"in "))) {
            return true;
        }
        // CRA's "Something is already running on port", Windows' "Only one usage of each socket"
        if (i >= 1 && at(i - 1, b"running on port")) || at(i, b"usage of each socket") {
            return true;
        }
        // "could not listen / be used / be started / acquire … port" (Pelican, Parcel, Jupyter,
        // Netlify), "being used by another process" (Expo), "is occupied" (Rsbuild), Gatsby's
        // "already running at port"
        if at(i, b"uld not ")
            || at(i, b"used by another")
            || (i >= 3 && at(i - 3, b"occupied"))
            || (i >= 1 && at(i - 1, b"running at port"))
        {
            return true;
        }
    }
    WINSOCK.find(line).is_some()
        || NOT_AVAILABLE.find(line).is_some()
        || EMPTY_PORT.find(line).is_some()
        || INSPECTOR.find(line).is_some()
        || super::denied::may_matter(line)
}

/// The cheap test for an announcement (`listen`, `serv`, `start`, `bind`, `trying`, `running`): one
/// search for the letters they share after their first.
fn may_announce(line: &[u8]) -> bool {
    static FINDERS: LazyLock<[memmem::Finder<'static>; 6]> =
        LazyLock::new(|| ["isten", "erv", "tart", "ind", "rying", "unn"].map(memmem::Finder::new));
    line.iter().any(u8::is_ascii_digit) && FINDERS.iter().any(|f| f.find(line).is_some())
}

/// The port a line says the command is binding: `Starting server on port 8000`, `Listening on
/// 127.0.0.1:8000`, `Serving at http://localhost:8000`, `binding to :8000`, `Trying port 8000`.
fn announced_port(text: &str) -> Option<Port> {
    const WORDS: [&str; 12] = [
        "listening on",
        "listening at",
        "serving on",
        "serving at",
        "server on",
        "starting on",
        "starting server",
        "started on",
        "running on",
        "bind to",
        "binding to",
        "trying port",
    ];
    let lower = text.to_ascii_lowercase();
    let at = WORDS.iter().filter_map(|w| lower.find(w)).min()?;
    let (text, lower) = (&text[at..], &lower[at..]);
    host_port_tokens(text).map(|t| t.0).next().or_else(|| port_phrase(lower))
}

/// Deno's line when its inspector cannot listen (`error: Failed to start inspector server at
/// "127.0.0.1:9229"`), in lower case.
const INSPECTOR_SERVER: &str = "failed to start inspector server at ";

/// Whether a line says the command stays up after the failure.
fn retrying(lower: &str) -> bool {
    lower.contains("retrying in")
        || lower.contains("waiting for file changes")
        || lower.contains("app crashed")
        // node --watch, deno run --watch, dotnet watch: the watcher waits for a change
        || lower.starts_with("failed running '")
        || lower.contains("restarting on file change")
        || lower.contains("waiting for a file to change")
}

fn detection(runtime: &'static str, behaviour: Behaviour, text: &str) -> Detected {
    let line = match text.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    };
    Detected {
        port: None,
        addr: None,
        runtime,
        behaviour,
        line,
        announced: None,
        cause: Cause::InUse,
        debugger: false,
    }
}

/// Classifies a line that may be a bind failure; `lower` is `text` in ASCII lowercase.
fn classify(text: &str, lower: &str) -> Option<Detected> {
    use Behaviour::*;
    let has = |s: &str| lower.contains(s);
    // Node's inspector could not take its port (a debugger's, `core::secondary`): node goes on
    // without it, and the server's own port is not the one that failed.
    if lower.starts_with("starting inspector on") {
        return None;
    }
    // Deno's inspector could not take its port: deno ends before serving. The line names the
    // inspector's address; why (`Address already in use (os error 98)`) follows on a
    // `Caused by:` line, which adds nothing to this incident.
    if let Some(at) = lower.find(INSPECTOR_SERVER) {
        let (port, addr) = host_port_tokens(&text[at..]).next()?;
        return Some(Detected { port: Some(port), addr, debugger: true, ..detection("deno", Exits, text) });
    }

    // "Port N is in use, trying another one" (Vite), "… using available port M" (Next),
    // "Port N is in use by another program" (werkzeug/Flask): only at the start of a line, so
    // that a log saying "checking whether port 3000 is in use" is not taken for one.
    if let Some((port, rest)) = leading_port_in_use(lower) {
        let (runtime, behaviour) = if rest.contains("trying another one") {
            ("vite", Moved { to: None })
        } else if let Some(to) = after_word(rest, "trying ").or_else(|| after_word(rest, "available port ")) {
            ("next", Moved { to: Some(to) })
        } else if let Some(to) = after_word(rest, "using port ") {
            ("rsbuild", Moved { to: Some(to) })
        } else if rest.starts_with(" by another program") {
            ("flask", Exits)
        } else {
            ("unknown", Exits)
        };
        return Some(Detected { port: Some(port), ..detection(runtime, behaviour, text) });
    }
    // "Port N is not available" (Streamlit), "… is being used by another process" (Expo),
    // "… is not open on localhost" (Firebase), at the start of a line too
    if let Some((port, rest)) = leading_port(lower) {
        let runtime = [
            (" is not available", "streamlit"),
            (" is being used by another process", "expo"),
            (" is not open on ", "firebase"),
        ]
        .iter()
        .find_map(|(w, r)| rest.starts_with(w).then_some(*r));
        if let Some(runtime) = runtime {
            return Some(Detected { port: Some(port), ..detection(runtime, Exits, text) });
        }
    }

    // Windows: the wording is localised, the code (10048, WSAEADDRINUSE) is not.
    let windows = has("only one usage of each socket address")
        || has("wsaeaddrinuse")
        || has("error 10048")
        || has("errno 10048")
        || has("winerror 10048");
    let in_use = has("address already in use") || has("eaddrinuse") || has("addrinuse") || windows;
    // refused, not taken (`core::denied`)
    let denied = if in_use { None } else { super::denied::classify(lower) };

    let (runtime, behaviour) = if has("connection in use: (") {
        ("gunicorn", KeepsRunning)
    } else if has("could not listen on port") {
        ("pelican", Exits)
    } else if has("cannot start bokeh server, port") {
        ("bokeh", Exits)
    } else if (has("the port ") && has(" is already in use"))
        || has("server could not be started because port")
    {
        ("jupyter", if has("trying another port") { Moved { to: None } } else { Exits })
    } else if has(" is already in use. trying another port") {
        ("live-server", Moved { to: None })
    } else if has("cannot find empty port in range") {
        ("gradio", Exits)
    } else if has("is occupied, please choose another") {
        ("rsbuild", Exits)
    } else if has("port \"") && has("\" could not be used") {
        ("parcel", if lower.starts_with("error") { Exits } else { Moved { to: None } })
    } else if has("something is already running at port") {
        ("gatsby", Exits)
    } else if has("could not acquire required 'port'") {
        ("netlify", Exits)
    } else if has("requested port ") && has(" is already in use") {
        ("vercel", Moved { to: None })
    } else if has("something is already running on port") {
        ("react-scripts", Exits)
    } else if has("that port is already in use") {
        ("django", Exits)
    } else if has("web server failed to start") && has("already in use") {
        ("spring", Exits)
    } else if lower.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).starts_with("error: port ")
        && has("is already in use")
    {
        ("vite", Exits)
    } else if has("failed to start server. is port") {
        ("bun", Exits)
    } else if has("no acceptor (port is in use") {
        // EventMachine (thin, and Sinatra over thin) names no port
        ("ruby", Exits)
    } else if let Some((runtime, _)) = denied {
        (runtime, Exits)
    } else if !in_use {
        return None;
    } else if has("error while attempting to bind on address") {
        (if lower.starts_with("oserror") { "python" } else { "uvicorn" }, Exits)
    } else if has("failed to bind to address") {
        ("dotnet", Exits)
    } else if has("failed to listen on") {
        ("php", Exits)
    } else if has("errno::eaddrinuse") {
        ("ruby", Exits)
    } else if has("can't create listen socket") || has("failed to listen to port") {
        // Mojolicious (morbo), Plack's HTTP::Server::PSGI (plackup)
        ("perl", Exits)
    } else if has("bindexception") {
        ("java", Exits)
    } else if has("listen tcp") || has("listen udp") {
        ("go", Exits)
    } else if text.contains("AddrInUse: ") {
        ("deno", Exits)
    } else if has("kind: addrinuse") || has("(os error ") {
        ("rust", Exits)
    } else if has("listen eaddrinuse") || has("code: 'eaddrinuse'") {
        ("node", Exits)
    } else if has("code: \"eaddrinuse\"") {
        ("bun", Exits)
    } else if has("[errno ") || has("oserror") || has("[winerror") {
        ("python", Exits)
    } else if windows {
        ("windows", Exits)
    } else {
        ("unknown", Exits)
    };
    let mut d = detection(runtime, behaviour, text);
    if let Some((_, certain)) = denied {
        d.cause = Cause::Denied { certain };
    }
    if runtime == "gradio" {
        d.port = after_word(lower, "in range: ");
    } else if let Some((addr, port)) = python_tuple(text) {
        d.addr = addr;
        d.port = Some(port);
    } else if let Some((port, addr)) = host_port_tokens(text).next() {
        d.port = Some(port);
        d.addr = addr;
    } else {
        d.port = port_phrase(lower);
        d.addr = ruby_for_addr(text);
    }
    Some(d)
}

/// `port N is in use…` at the start of a line (after symbols such as `⚠`): the port and the rest.
/// Also `port N is already in use`, and after Rsbuild's `info` level.
fn leading_port_in_use(lower: &str) -> Option<(Port, &str)> {
    let (port, rest) = leading_port(lower)?;
    let rest = rest.strip_prefix(" is in use").or_else(|| rest.strip_prefix(" is already in use"))?;
    matches!(rest.chars().next(), None | Some(',' | '.' | ' ' | '!')).then_some((port, rest))
}

/// `port N` at the start of a line (after symbols, or Rsbuild's `info` level): N and the rest.
fn leading_port(lower: &str) -> Option<(Port, &str)> {
    let s = lower.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let s = s.strip_prefix("info ").map_or(s, str::trim_start);
    let s = s.strip_prefix("port ")?;
    let (port, len) = digits_port(s)?;
    Some((port, &s[len..]))
}

/// The port after `word` in `s` (`trying 3001 instead`).
fn after_word(s: &str, word: &str) -> Option<Port> {
    let at = s.find(word)? + word.len();
    digits_port(&s[at..]).map(|(p, _)| p)
}

/// A port of 1..=5 digits at the start of `s`, not followed by more of a number or a word.
fn digits_port(s: &str) -> Option<(Port, usize)> {
    let b = s.as_bytes();
    let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || len > 5 {
        return None;
    }
    match b.get(len) {
        Some(c) if c.is_ascii_alphanumeric() || *c == b'_' => return None,
        Some(b'.') if b.get(len + 1).is_some_and(u8::is_ascii_digit) => return None,
        _ => {}
    }
    let n: u32 = s[..len].parse().ok()?;
    let port = Port::new(u16::try_from(n).ok()?)?;
    Some((port, len))
}

/// `port N`, `port: N`, `port=N`, `port "N"` (the word `port` alone, not `report`/`import`).
fn port_phrase(lower: &str) -> Option<Port> {
    let b = lower.as_bytes();
    let mut from = 0;
    while let Some(at) = lower[from..].find("port") {
        let start = from + at;
        let end = start + 4;
        from = end;
        if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
            continue;
        }
        let rest = lower[end..].trim_start_matches([':', '=', ' ', '"', '\'']);
        if rest.len() == lower.len() - end {
            continue; // "ports", "portfix": not the word
        }
        if let Some((p, _)) = digits_port(rest) {
            return Some(p);
        }
    }
    None
}

/// Python's `('127.0.0.1', 8000)` (uvicorn, asyncio, gunicorn).
fn python_tuple(text: &str) -> Option<(Option<IpAddr>, Port)> {
    let open = text.find("('")?;
    let inner = &text[open + 2..];
    let (addr, rest) = inner.split_once("', ")?;
    let (port, len) = digits_port(rest)?;
    rest[len..].starts_with(')').then(|| (addr.parse().ok(), port))
}

/// Ruby's `bind(2) for "127.0.0.1" port 3000`.
fn ruby_for_addr(text: &str) -> Option<IpAddr> {
    let at = text.find("for \"")? + 5;
    let end = text[at..].find('"')?;
    text[at..at + end].parse().ok()
}

/// Node's `address: '::',` on the lines after the error.
fn node_address(text: &str) -> Option<IpAddr> {
    let rest = text.strip_prefix("address: ")?;
    rest.trim_end_matches(',').trim_matches(['\'', '"']).parse().ok()
}

/// `HOST:PORT` tokens whose host is an address, `localhost`, `*` or empty (`:8080`, `:::3000`,
/// `127.0.0.1:3000`, `[::1]:3000`, `http://localhost:5000`). Times (`06:14:09`) and file
/// positions (`Net.java:555`) are not: their "host" is neither.
fn host_port_tokens(text: &str) -> impl Iterator<Item = (Port, Option<IpAddr>)> + '_ {
    let b = text.as_bytes();
    (0..b.len()).filter(move |&i| b[i] == b':').filter_map(move |i| {
        let (port, _) = digits_port(&text[i + 1..])?;
        let start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']' | '%' | '-')))
            .map_or(0, |j| j + 1);
        let host = &text[start..i];
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        match host {
            // Twisted names the wildcard `any` ("Couldn't listen on any:8080")
            "" | "*" | "any" => Some((port, None)),
            h if h.eq_ignore_ascii_case("localhost") => Some((port, None)),
            h => h.parse::<IpAddr>().ok().map(|a| (port, Some(a))),
        }
    })
}

/// Removes ANSI escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL/ST`, two-byte `ESC x`).
fn strip_ansi(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    let mut i = 0;
    while i < src.len() {
        let Some(esc) = memchr(0x1b, &src[i..]) else {
            dst.extend_from_slice(&src[i..]);
            return;
        };
        dst.extend_from_slice(&src[i..i + esc]);
        i += esc + 1;
        match src.get(i) {
            Some(b'[') => {
                i += 1;
                while i < src.len() && !(0x40..=0x7e).contains(&src[i]) {
                    i += 1;
                }
                i += 1;
            }
            Some(b']') => {
                while i < src.len() && src[i] != 0x07 && !(src[i] == 0x1b && src.get(i + 1) == Some(&b'\\')) {
                    i += 1;
                }
                i += if src.get(i) == Some(&0x1b) { 2 } else { 1 };
            }
            Some(_) => i += 1,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Behaviour::*;

    fn p(n: u16) -> Option<Port> {
        Port::new(n)
    }

    /// Feeds `output` line by line, as the relay does (it splits lines across chunks).
    fn run(output: &[u8]) -> Option<Detected> {
        let mut r = Recogniser::new();
        for line in output.strip_suffix(b"\n").unwrap_or(output).split(|&b| b == b'\n') {
            r.feed_line(line.strip_suffix(b"\r").unwrap_or(line));
        }
        r.detected().cloned()
    }

    /// Every fixture captured from a real server (see tests/fixtures/bindfail/README.md):
    /// (file, port, address, runtime, behaviour); `None` = must not fire.
    type Want = Option<(Option<u16>, Option<&'static str>, &'static str, Behaviour)>;
    fn fixtures() -> Vec<(&'static str, Want)> {
        vec![
            ("bun-node-http", Some((Some(41014), None, "bun", Exits))),
            ("bun-serve", Some((Some(41013), None, "bun", Exits))),
            // the inspector's port (a debugger's: `debugger` is checked below), not the server's
            ("deno-inspector", Some((Some(41015), Some("127.0.0.1"), "deno", Exits))),
            ("deno-listen", Some((Some(41012), None, "deno", Exits))),
            ("deno-serve", Some((Some(41011), None, "deno", Exits))),
            ("django", Some((None, None, "django", Exits))),
            ("express5-silent", None),
            ("flask", Some((Some(41024), None, "flask", Exits))),
            ("go-http", Some((Some(41031), None, "go", Exits))),
            ("go-listen-panic", Some((Some(41032), Some("127.0.0.1"), "go", Exits))),
            ("gunicorn", Some((Some(41027), Some("127.0.0.1"), "gunicorn", KeepsRunning))),
            ("java-httpserver", Some((None, None, "java", Exits))),
            ("java-serversocket", Some((None, None, "java", Exits))),
            ("next-default-port", Some((Some(3000), None, "next", Moved { to: Port::new(3001) }))),
            ("next-moves", Some((Some(41007), Some("::"), "node", Exits))),
            ("node-http-loopback", Some((Some(41002), Some("127.0.0.1"), "node", Exits))),
            ("node-net", Some((Some(41001), Some("::"), "node", Exits))),
            ("nodemon", Some((Some(41004), Some("::"), "node", KeepsRunning))),
            ("php-builtin", Some((Some(41071), Some("127.0.0.1"), "php", Exits))),
            ("puma", Some((Some(41063), Some("127.0.0.1"), "ruby", Exits))),
            ("python-asyncio", Some((Some(41023), Some("127.0.0.1"), "python", Exits))),
            ("python-http-server", Some((None, None, "python", Exits))),
            ("python-socket", Some((None, None, "python", Exits))),
            ("ruby-tcpserver", Some((Some(41061), Some("127.0.0.1"), "ruby", Exits))),
            ("ruby-webrick", Some((Some(41062), Some("127.0.0.1"), "ruby", Exits))),
            ("rust-display", Some((None, None, "rust", Exits))),
            ("rust-main-result", Some((None, None, "rust", Exits))),
            ("rust-unwrap", Some((None, None, "rust", Exits))),
            ("uvicorn", Some((Some(41026), Some("127.0.0.1"), "uvicorn", Exits))),
            ("vite-moves", Some((Some(41005), None, "vite", Moved { to: Port::new(41006) }))),
            ("vite-strict", Some((Some(41006), None, "vite", Exits))),
            ("webpack-dev-server", Some((Some(41008), Some("127.0.0.1"), "node", Exits))),
        ]
    }

    fn fixture_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bindfail")
    }

    #[test]
    fn real_captured_output() {
        for (name, want) in fixtures() {
            let bytes = std::fs::read(fixture_dir().join(format!("{name}.txt"))).unwrap();
            let got = run(&bytes);
            let got = got.as_ref().map(|d| (d.port.map(Port::get), d.addr, d.runtime, d.behaviour));
            let want = want.map(|(port, addr, rt, b)| (port, addr.map(|a| a.parse().unwrap()), rt, b));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn denos_inspector_is_a_debuggers_port_not_the_servers() {
        let bytes = std::fs::read(fixture_dir().join("deno-inspector.txt")).unwrap();
        let d = run(&bytes).unwrap();
        assert!(d.debugger, "{d:?}");
        assert_eq!(d.cause, Cause::InUse);
        assert_eq!(d.line, "error: Failed to start inspector server at \"127.0.0.1:41015\"");
        // the exact line, bare, and on another address; why it failed comes after
        for (out, port) in [
            ("error: Failed to start inspector server at \"127.0.0.1:9229\"\n", 9229),
            (
                "error: Failed to start inspector server at \"0.0.0.0:9300\"\n\nCaused by:\n    Address already in use (os error 98)\n",
                9300,
            ),
        ] {
            let d = run(out.as_bytes()).unwrap_or_else(|| panic!("{out}"));
            assert_eq!((d.port.map(Port::get), d.runtime, d.debugger), (Some(port), "deno", true), "{out}");
            assert_eq!(d.cause, Cause::InUse, "{out}");
        }
        // the server's own failure is not a debugger's
        let serve = std::fs::read(fixture_dir().join("deno-serve.txt")).unwrap();
        assert!(!run(&serve).unwrap().debugger);
    }

    #[test]
    fn the_port_announced_before_a_portless_failure_is_kept_aside() {
        let errno = "OSError: [Errno 98] Address already in use";
        for (before, want) in [
            ("Starting server on port 8000", Some(8000)),
            ("Listening on http://127.0.0.1:8123/", Some(8123)),
            (" * Running on http://localhost:5001", Some(5001)),
            ("binding to :9000 ...", Some(9000)),
            ("Trying port 4001", Some(4001)),
            // not an announcement of its own bind
            ("connecting to postgres://localhost:5432/app", None),
            ("loaded 8000 modules", None),
            ("Starting server", None),
        ] {
            let d = run(format!("{before}\n{errno}\n").as_bytes()).expect(before);
            assert_eq!(d.port, None, "{before}: never the failing port");
            assert_eq!(d.announced.map(Port::get), want, "{before}");
        }
        // the last announcement counts; one after the failure is not the failing bind's
        let d = run(format!("serving on :7000\nserving on :7001\n{errno}\n").as_bytes()).unwrap();
        assert_eq!(d.announced.map(Port::get), Some(7001));
    }

    #[test]
    fn every_fixture_has_an_expectation() {
        for entry in std::fs::read_dir(fixture_dir()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = name.strip_suffix(".txt") {
                assert!(fixtures().iter().any(|(n, _)| *n == stem), "{name} has no row in fixtures()");
            }
        }
    }

    /// Wordings documented by runtimes not installable here (not captured; say so in the
    /// fixtures README): (output, port, runtime, behaviour).
    #[test]
    fn documented_wordings() {
        let cases: &[(&str, Option<u16>, &str, Behaviour)] = &[
            // .NET (Kestrel)
            (
                "Unhandled exception. System.IO.IOException: Failed to bind to address http://127.0.0.1:5000: address already in use.",
                Some(5000),
                "dotnet",
                Exits,
            ),
            // Spring Boot
            (
                "***************************\nAPPLICATION FAILED TO START\n***************************\n\nDescription:\n\nWeb server failed to start. Port 8080 was already in use.",
                Some(8080),
                "spring",
                Exits,
            ),
            // create-react-app (react-scripts start)
            (
                "? Something is already running on port 3000.\n\nWould you like to run the app on another port instead? (Y/n)",
                Some(3000),
                "react-scripts",
                Exits,
            ),
            // older Next.js
            ("Port 3000 is in use, trying 3001 instead.", Some(3000), "next", Moved { to: Port::new(3001) }),
            (
                "   \u{26a0} Port 3000 is in use by an unknown process, using available port 3001 instead.",
                Some(3000),
                "next",
                Moved { to: Port::new(3001) },
            ),
            // macOS wording (errno 48)
            ("OSError: [Errno 48] Address already in use", None, "python", Exits),
            (
                "Error: Os { code: 48, kind: AddrInUse, message: \"Address already in use\" }",
                None,
                "rust",
                Exits,
            ),
            // Windows
            (
                "OSError: [WinError 10048] Only one usage of each socket address (protocol/network address/port) is normally permitted",
                None,
                "python",
                Exits,
            ),
            (
                "2024/01/02 10:11:12 listen tcp :8080: bind: Only one usage of each socket address (protocol/network address/port) is normally permitted.",
                Some(8080),
                "go",
                Exits,
            ),
            (
                "Error: Os { code: 10048, kind: AddrInUse, message: \"Normalerweise darf jede Socketadresse nur jeweils einmal verwendet werden.\" }",
                None,
                "rust",
                Exits,
            ),
            ("java.net.BindException: Address already in use: bind", None, "java", Exits),
            ("error: Listen failed: WSAEADDRINUSE", None, "windows", Exits),
            // gunicorn's wording on IPv6 and the retries that follow
            (
                "[ERROR] Connection in use: ('::1', 8000)\n[ERROR] Retrying in 1 second.",
                Some(8000),
                "gunicorn",
                KeepsRunning,
            ),
            // a Node error printed without the stack
            ("Error: listen EADDRINUSE: address already in use [::1]:3000", Some(3000), "node", Exits),
            // Windows-style and unknown wordings naming the port in a later line
            ("Address already in use\nport: 4000", Some(4000), "unknown", Exits),
        ];
        for (text, port, runtime, behaviour) in cases {
            let d = run(text.as_bytes()).unwrap_or_else(|| panic!("missed: {text}"));
            assert_eq!(
                (d.port.map(Port::get), d.runtime, d.behaviour),
                (*port, *runtime, *behaviour),
                "{text}"
            );
        }
    }

    /// The bind-failure lines of the tools rows added in issue 11, as the research run captured
    /// them (/work/brief/tools40.md; [D] = from docs or issues, not run): (output, port, runtime,
    /// behaviour).
    #[test]
    fn issue_11_tool_wordings() {
        let cases: &[(&str, Option<u16>, &str, Behaviour)] = &[
            // fastapi dev/run (after its "Server started at" banner)
            ("ERROR:    [Errno 98] Address already in use", None, "python", Exits),
            // litestar run, datasette, sphinx-autobuild, marimo -p (uvicorn inside)
            (
                "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use",
                Some(8000),
                "uvicorn",
                Exits,
            ),
            // sanic
            (
                "Main  07:01:02 ERROR: Startup failed: Address already in use.\n\nEnsure no other process is using the same address and port, or configure the server to use a different port.",
                None,
                "unknown",
                Exits,
            ),
            // hypercorn, waitress-serve, mkdocs serve (end of a traceback)
            ("OSError: [Errno 98] Address already in use", None, "python", Exits),
            // daphne
            (
                "2026-12-03 07:01:02,345 CRITICAL Listen failure: Couldn't listen on 127.0.0.1:8000: [Errno 98] Address already in use.",
                Some(8000),
                "python",
                Exits,
            ),
            // granian
            ("RuntimeError: Address already in use (os error 98)", None, "rust", Exits),
            // pelican --listen (exits 0 after it)
            (
                "ERROR    Could not listen on port 8000, server 127.0.0.1.\nCRITICAL OSError: [Errno 98] Address already in use",
                Some(8000),
                "pelican",
                Exits,
            ),
            // panel serve, bokeh serve
            ("Cannot start Bokeh server, port 5006 is already in use", Some(5006), "bokeh", Exits),
            // jupyter lab/notebook/server, voila: they move by themselves
            (
                "[I 2026-12-03 07:01:02.345 ServerApp] The port 8888 is already in use, trying another port.",
                Some(8888),
                "jupyter",
                Moved { to: None },
            ),
            (
                "[Voila] The port 8866 is already in use, trying another port.",
                Some(8866),
                "jupyter",
                Moved { to: None },
            ),
            // ... and with --port-retries=0
            (
                "[I 2026-12-03 07:01:02.345 ServerApp] The port 8888 is already in use.\n[C 2026-12-03 07:01:02.346 ServerApp] ERROR: the Jupyter server could not be started because port 8888 is not available.",
                Some(8888),
                "jupyter",
                Exits,
            ),
            // streamlit with a port set
            ("Port 8501 is not available", Some(8501), "streamlit", Exits),
            // gradio with GRADIO_NUM_PORTS=1 (source)
            (
                "OSError: Cannot find empty port in range: 7860-7860. You can specify a different port by setting the GRADIO_SERVER_PORT environment variable or passing the `server_port` parameter to `launch()`.",
                Some(7860),
                "gradio",
                Exits,
            ),
            // dash (werkzeug)
            (
                "Address already in use\nPort 8050 is in use by another program. Either identify and stop that program, or start the server with a different port.",
                Some(8050),
                "flask",
                Exits,
            ),
            // live-server: moves to a random port
            (
                "http://127.0.0.1:8080 is already in use. Trying another port.\nServing \"/tmp/site\" at http://127.0.0.1:40101",
                Some(8080),
                "live-server",
                Moved { to: Port::new(40101) },
            ),
            // esbuild --serve=8000
            (
                "\u{2718} [ERROR] listen tcp4 0.0.0.0:8000: bind: address already in use\n\n1 error",
                Some(8000),
                "go",
                Exits,
            ),
            // vitepress --strictPort; ember serve [D]
            ("failed to start server. error:\nPort 5173 is already in use", Some(5173), "unknown", Exits),
            ("Port 4200 is already in use.", Some(4200), "unknown", Exits),
            // rsbuild: moves, and with --strict-port fails
            (
                "info    port 3000 is in use, using port 3001.",
                Some(3000),
                "rsbuild",
                Moved { to: Port::new(3001) },
            ),
            (
                "error   Failed to start dev server.\nerror   [rsbuild:server] Port 3000 is occupied, please choose another one.",
                Some(3000),
                "rsbuild",
                Exits,
            ),
            // rspack serve --port 8080, tsx watch
            ("Error: listen EADDRINUSE: address already in use 127.0.0.1:8080", Some(8080), "node", Exits),
            // parcel: moves to a random port; with -p or PORT fails
            (
                "Port \"1234\" could not be used\nServer running at http://127.0.0.1:46847",
                Some(1234),
                "parcel",
                Moved { to: Port::new(46847) },
            ),
            ("Error: Port \"1234\" could not be used", Some(1234), "parcel", Exits),
            // wrangler dev --port 8787
            (
                "\u{2718} [ERROR] Address already in use (127.0.0.1:8787). Please check that you are not already running a server on this address or specify a different port with --port.",
                Some(8787),
                "unknown",
                Exits,
            ),
            // docusaurus start off a terminal (exits 0)
            ("[ERROR] Something is already running on port 3000.", Some(3000), "react-scripts", Exits),
            // gatsby develop [D]
            (
                "Something is already running at port 8000\n? Would you like to run the app at another port instead? \u{203a} (Y/n)",
                Some(8000),
                "gatsby",
                Exits,
            ),
            // expo start [D]
            ("\u{203a} Port 8081 is being used by another process", Some(8081), "expo", Exits),
            // netlify dev --port 8888 [D]
            ("Error: Could not acquire required 'port': '8888'", Some(8888), "netlify", Exits),
            // vercel dev [D]: moves
            (
                "> NOTE: Requested port 3000 is already in use\n> Ready! Available at http://localhost:3001",
                Some(3000),
                "vercel",
                Moved { to: Port::new(3001) },
            ),
            // firebase emulators [D]
            (
                "Port 8080 is not open on localhost, could not start Firestore Emulator.",
                Some(8080),
                "firebase",
                Exits,
            ),
            // dx serve 0.6+ [D]
            ("Failed to bind to 127.0.0.1:8080: Address already in use", Some(8080), "unknown", Exits),
            // rackup / Sinatra on puma [D]
            (
                "Address already in use - bind(2) for \"localhost\" port 9292 (Errno::EADDRINUSE)",
                Some(9292),
                "ruby",
                Exits,
            ),
            // watchers that keep running after their child failed: nodemon, node --watch, deno
            // run --watch, dotnet watch [D]
            (
                "Error: listen EADDRINUSE: address already in use 127.0.0.1:3000\n[nodemon] app crashed - waiting for file changes before starting...",
                Some(3000),
                "node",
                KeepsRunning,
            ),
            (
                "Error: listen EADDRINUSE: address already in use 127.0.0.1:3000\nFailed running 'srv.js'",
                Some(3000),
                "node",
                KeepsRunning,
            ),
            (
                "error: Uncaught (in promise) AddrInUse: Address already in use (os error 98)\nWatcher Process failed. Restarting on file change...",
                None,
                "deno",
                KeepsRunning,
            ),
            (
                "Unhandled exception. System.IO.IOException: Failed to bind to address http://127.0.0.1:5000: address already in use.\ndotnet watch \u{231a} Exited with error code 1\ndotnet watch \u{23f3} Waiting for a file to change before restarting dotnet...",
                Some(5000),
                "dotnet",
                KeepsRunning,
            ),
            // bun --hot / --watch
            ("error: Failed to start server. Is port 3000 in use?", Some(3000), "bun", Exits),
            // issue 11 item 6, captured here: twistd web (Twisted 26.10.0)
            (
                "2026-12-03T09:56:55+0000 [stderr#error] twisted.internet.error.CannotListenError: Couldn't listen on any:8080: [Errno 98] Address already in use.",
                Some(8080),
                "python",
                Exits,
            ),
            // thin start, and a Sinatra app over thin (EventMachine, Debian 12)
            (
                "/usr/lib/ruby/vendor_ruby/eventmachine.rb:532:in `start_tcp_server': no acceptor (port is in use or requires root privileges) (RuntimeError)",
                None,
                "ruby",
                Exits,
            ),
            // morbo (Mojolicious 9.31)
            (
                "Can't create listen socket: Address already in use at /usr/share/perl5/Mojo/IOLoop.pm line 124.",
                None,
                "perl",
                Exits,
            ),
            // plackup (HTTP::Server::PSGI)
            (
                "failed to listen to port 5000: Address already in use at /usr/share/perl5/HTTP/Server/PSGI.pm line 103.",
                Some(5000),
                "perl",
                Exits,
            ),
            // esbuild --serve=8000 (Go)
            (
                "\u{2718} [ERROR] listen tcp4 0.0.0.0:8000: bind: address already in use",
                Some(8000),
                "go",
                Exits,
            ),
        ];
        // every wrong case at once
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|(text, port, runtime, behaviour)| {
                let got = run(text.as_bytes()).map(|d| (d.port.map(Port::get), d.runtime, d.behaviour));
                (got != Some((*port, *runtime, *behaviour))).then(|| format!("{text:?}: got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
    }

    #[test]
    fn ordinary_logs_do_not_fire() {
        for text in [
            "listening on port 3000",
            "Server running at http://localhost:3000/",
            "  \u{279c}  Local:   http://127.0.0.1:5173/",
            "Username already in use",
            "That email address is already in use by another account",
            "GET /api/in-use 200 3ms",
            "Checking whether port 3000 is in use...",
            "warn: the file is in use by another process",
            "Port 3000 is free",
            "Database connection in use by another transaction",
            "[12:34:56] report 3000 items exported",
            "INFO use the --port flag to change the port",
            "Reusing existing connection to 127.0.0.1:5432",
            "app crashed - waiting for file changes before starting...",
            "Retrying in 1 second.",
            "in use: 3 of 10 workers",
            "test bindfail::tests::address_already_in_use ... ok",
            "Could not load the config file, using the defaults",
            "the feature is not available in this build",
            "warning: the report port 3000 is not available as a number",
            "Serving \"/tmp/site\" at http://127.0.0.1:8080",
            "The cache is occupied by another build",
        ] {
            assert_eq!(run(text.as_bytes()), None, "fired on: {text}");
        }
    }

    #[test]
    fn colours_are_stripped_and_port_found() {
        let out = b"\x1b[31mError: listen EADDRINUSE: address already in use \x1b[1m127.0.0.1:3917\x1b[22m\x1b[39m\n";
        let d = run(out).unwrap();
        assert_eq!((d.port, d.runtime), (p(3917), "node"));
        assert_eq!(d.line, "Error: listen EADDRINUSE: address already in use 127.0.0.1:3917");
    }

    #[test]
    fn reports_once_then_only_what_it_learns() {
        let mut r = Recogniser::new();
        assert!(r.feed_line(b"starting").is_none());
        let first = r.feed_line(b"Address already in use").unwrap();
        assert_eq!((first.port, first.runtime), (None, "unknown"));
        // the same failure again says nothing new
        assert!(r.feed_line(b"Address already in use").is_none());
        let second = r.feed_line(b"Port 5000 is in use by another program.").unwrap();
        assert_eq!((second.port, second.runtime), (p(5000), "flask"));
        // lines inside the incident's window: reported only when they teach something
        assert!(r.feed_line(b"GET / 200").is_none());
        assert!(r.feed_line(b"listen 127.0.0.1:5000").is_none(), "the port is known already");
        let retry = r.feed_line(b"[ERROR] Retrying in 1 second.").unwrap();
        assert_eq!((retry.port, retry.behaviour), (p(5000), Behaviour::KeepsRunning));
        assert!(r.feed_line(b"[ERROR] Retrying in 1 second.").is_none());
        // long after, a new failure is a new incident
        for _ in 0..=WINDOW {
            r.feed_line(b"GET / 200");
        }
        let third = r.feed_line(b"listen tcp :8081: bind: address already in use").unwrap();
        assert_eq!((third.port, third.runtime), (p(8081), "go"));
    }

    #[test]
    fn a_port_far_after_the_failure_is_not_attached() {
        let mut out = b"OSError: [Errno 98] Address already in use\n".to_vec();
        for _ in 0..=WINDOW {
            out.extend_from_slice(b"noise\n");
        }
        out.extend_from_slice(b"port: 4000\n");
        assert_eq!(run(&out).unwrap().port, None);
    }

    #[test]
    fn only_the_head_of_a_huge_line_is_read() {
        let mut line = vec![b'x'; MAX_LINE];
        line.extend_from_slice(b" Error: listen EADDRINUSE: address already in use :::3001");
        let mut r = Recogniser::new();
        assert!(r.feed_line(&line).is_none());
        assert!(r.feed_line(&line[MAX_LINE - 10..]).is_some());
    }

    #[test]
    fn carriage_returns_split_screens() {
        let d = run(b"\xe2\xa0\x8b starting\rPort 5173 is in use, trying another one...\n").unwrap();
        assert_eq!((d.port, d.behaviour), (p(5173), Moved { to: None }));
    }

    #[test]
    fn host_port_tokens_accept_binds_only() {
        let ports = |t: &str| host_port_tokens(t).map(|(p, _)| p.get()).collect::<Vec<_>>();
        assert_eq!(ports("listen tcp :8080: bind"), [8080]);
        assert_eq!(ports("in use :::3000"), [3000]);
        assert_eq!(ports("[::1]:3000 and 0.0.0.0:80 and localhost:5000"), [3000, 80, 5000]);
        assert_eq!(ports("http://127.0.0.1:8000/"), [8000]);
        assert!(ports("06:14:09 at Net.java:555 line 3:30001x 1.2.3.4:99999").is_empty());
    }

    #[test]
    fn port_phrases() {
        assert_eq!(port_phrase("is port 3000 in use?"), p(3000));
        assert_eq!(port_phrase("  port: 41001"), p(41001));
        assert_eq!(port_phrase("port=8080"), p(8080));
        assert_eq!(port_phrase("report 3000 import 4000 ports 5000"), None);
        assert_eq!(port_phrase("port 0"), None);
        assert_eq!(port_phrase("port 65536"), None);
    }

    /// Cost on every line: `cargo test --lib bindfail::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let line = b"[2026-11-26 06:14:02] INFO GET /static/app.js 200 12ms user=42 ua=\"Mozilla/5.0 (X11; Linux)\"\n";
        let mut logs = Vec::new();
        while logs.len() < 64 << 20 {
            logs.extend_from_slice(line);
        }
        let zeros = vec![0u8; 64 << 20];
        for (what, data) in [("log lines", &logs), ("no newlines", &zeros)] {
            let mut r = Recogniser::new();
            let t = std::time::Instant::now();
            for line in data.split(|&b| b == b'\n') {
                r.feed_line(line);
            }
            let s = t.elapsed().as_secs_f64();
            println!("{what}: {:.0} MB/s", data.len() as f64 / s / 1e6);
        }
    }
}
