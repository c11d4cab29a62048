//! The launch plan: which port the command wants, and how to hand it the port portfix chose.
//! Pure: the environment is read through a lookup function.
//!
//! The wanted port comes from, in order: `--port`; a port written in the command's arguments;
//! the first `--env` variable (default `PORT`) in the environment; a variable the recognised
//! tool reads; the tool's default; else it is unknown (only a bind failure will tell).
//!
//! What counts as "a port in the arguments" (a port elsewhere must never be grabbed):
//! - a port flag followed by a port: `--port 3000`, `--port=3000`, `-p 3000`, `-p3000` (a known
//!   tool names its own flags; an unknown command gets `--port` and `-p`);
//! - a bind flag followed by a bind address: `--bind 0.0.0.0:8000`, `-b=[::1]:8000` (`--bind`,
//!   `-b`, `--listen`, `--addr`, `--address` for unknown commands);
//! - a whole argument that looks like a bind address: `localhost:3000`, `0.0.0.0:3000`,
//!   `127.0.0.1:3000`, `[::1]:3000`, `:3000`. A URL is not one (`http://localhost:8080` is
//!   usually a target to connect to, such as a proxy, not the port to listen on), nor is a
//!   host name (`api.example.com:443`), nor `8080:80` (a docker mapping);
//! - a known tool's positional port (`python -m http.server 8000`), given by the tool table.
//!
//! Values are ports only when they are exactly a port: `--timeout 3000` is never read, and
//! `-p 8080:80` or `--port {port}` are not ports. An argument holding `{port}` is a template:
//! every `{port}` is replaced by the chosen port.
//!
//! The tool table ([`TOOLS`]) is data: issue 6 adds rows, not code.

use super::port::Port;

/// How a recognised tool takes its port. One row per tool; `source` says where it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    pub name: &'static str,
    /// The program, as the base name of `argv[0]` (`vite`), or the module of `python -m X`.
    pub program: &'static [&'static str],
    /// When not empty, the first positional argument after the program must be one of these
    /// (`runserver`, `dev`); the tool's positional port is counted after it.
    pub subcommand: &'static [&'static str],
    pub default_port: Option<u16>,
    /// Environment variables it reads a port from (each gets the chosen port too).
    pub env: &'static [&'static str],
    /// Flags that take a port: `F N`, `F=N`, and for `-x` flags also `-xN`.
    pub flags: &'static [&'static str],
    /// Flags that take a bind address `HOST:PORT`.
    pub bind_flags: &'static [&'static str],
    /// Other flags that take a value (so that value is not taken for a positional argument).
    pub value_flags: &'static [&'static str],
    /// The first positional argument (after `subcommand`) is `[addr:]port`.
    pub positional: bool,
    /// How to give it the port when its arguments carry none.
    pub inject: Inject,
    /// Arguments that keep it from moving to another port by itself (`--strictPort`).
    pub strict: &'static [&'static str],
    /// Where this row was checked (docs URL, `--help` of which version).
    pub source: &'static str,
}

/// How to give a tool the port when its arguments do not carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inject {
    /// The environment variables only (`--env` names and the tool's own).
    Env,
    /// Append `FLAG PORT`.
    Flag(&'static str),
    /// Append `PORT` as a positional argument.
    Positional,
}

/// The tools portfix knows. Issue 6 fills this in; each row carries its source.
pub const TOOLS: &[Tool] = &[Tool {
    name: "python -m http.server",
    program: &["http.server"],
    subcommand: &[],
    default_port: Some(8000),
    env: &[],
    flags: &[],
    bind_flags: &[],
    value_flags: &["-b", "--bind", "-d", "--directory", "-p", "--protocol"],
    positional: true,
    inject: Inject::Positional,
    strict: &[],
    source: "python3 -m http.server --help (Python 3.11): usage: server.py [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [port]",
}];

/// Port flags and bind flags understood for any command.
const GENERIC_FLAGS: &[&str] = &["--port", "-p"];
const GENERIC_BIND_FLAGS: &[&str] = &["--bind", "-b", "--listen", "--addr", "--address"];

/// The placeholder replaced by the chosen port.
pub const PLACEHOLDER: &str = "{port}";

/// Where the wanted port came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// portfix's own `--port`.
    Flag,
    /// The command's arguments: `argv[index]` holds it, written as `form`.
    Arg {
        index: usize,
        form: ArgForm,
    },
    /// This environment variable.
    Env {
        name: String,
    },
    /// The recognised tool's default.
    ToolDefault {
        tool: &'static str,
    },
    Unknown,
}

/// How a port was written in the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgForm {
    /// `--port 3000`, `-p 3000`
    FlagValue,
    /// `--port=3000`
    FlagEquals,
    /// `-p3000`
    FlagAttached,
    /// `--bind 0.0.0.0:3000`, `--bind=[::1]:3000`
    BindFlag,
    /// a whole argument `localhost:3000`, `:3000`
    HostPort,
    /// a tool's positional `[addr:]port`
    Positional,
}

/// One place in the arguments that carries the port: `argv[index]` is `prefix` + the port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    index: usize,
    prefix: String,
    port: Port,
    form: ArgForm,
}

/// What the wrapper was asked: the command and portfix's own port options.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The command and its arguments (everything after `--`).
    pub argv: &'a [String],
    /// `--port`.
    pub port: Option<Port>,
    /// `--env` names; empty means `PORT`.
    pub env_names: &'a [String],
    /// The tool table (normally [`TOOLS`]).
    pub tools: &'static [Tool],
}

/// The launch plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    argv: Vec<String>,
    env_names: Vec<String>,
    tool: Option<&'static Tool>,
    slots: Vec<Slot>,
    placeholder: bool,
    wanted: Option<Port>,
    source: Source,
    /// An environment variable that was set but is not a port (`PORT=abc`): ignored; worth a
    /// warning.
    pub ignored_env: Option<(String, String)>,
}

impl Plan {
    /// Makes the plan; `env` looks a variable up (the real environment, or a table in tests).
    pub fn new(req: Request<'_>, env: impl Fn(&str) -> Option<String>) -> Plan {
        let env_names: Vec<String> =
            if req.env_names.is_empty() { vec!["PORT".into()] } else { req.env_names.to_vec() };
        let tool = recognise(req.argv, req.tools);
        let slots = find_slots(req.argv, tool);
        let placeholder = req.argv.iter().skip(1).any(|a| a.contains(PLACEHOLDER));
        let mut ignored_env = None;
        let from_env = |name: &str, ignored: &mut Option<(String, String)>| {
            let value = env(name)?;
            match super::port::parse_port(&value) {
                Ok(p) => Some(p),
                Err(_) => {
                    ignored.get_or_insert((name.to_string(), value));
                    None
                }
            }
        };
        let (wanted, source) = if let Some(p) = req.port {
            (Some(p), Source::Flag)
        } else if let Some(s) = slots.last() {
            (Some(s.port), Source::Arg { index: s.index, form: s.form })
        } else if let Some(p) = from_env(&env_names[0], &mut ignored_env) {
            (Some(p), Source::Env { name: env_names[0].clone() })
        } else if let Some((name, p)) =
            tool.into_iter().flat_map(|t| t.env).find_map(|n| from_env(n, &mut ignored_env).map(|p| (*n, p)))
        {
            (Some(p), Source::Env { name: name.to_string() })
        } else if let Some((t, p)) = tool.and_then(|t| Some((t, Port::new(t.default_port?)?))) {
            (Some(p), Source::ToolDefault { tool: t.name })
        } else {
            (None, Source::Unknown)
        };
        Plan { argv: req.argv.to_vec(), env_names, tool, slots, placeholder, wanted, source, ignored_env }
    }

    /// The port the command wants, when known.
    pub fn wanted(&self) -> Option<Port> {
        self.wanted
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The recognised tool's name, if any.
    pub fn tool(&self) -> Option<&'static str> {
        self.tool.map(|t| t.name)
    }

    /// The variables that carry the port (`--env` names, default `PORT`), for messages.
    pub fn env_names(&self) -> &[String] {
        &self.env_names
    }

    /// Whether the arguments hold `{port}` (then a port must be chosen before the first launch,
    /// even when the wanted one is unknown).
    pub fn has_placeholder(&self) -> bool {
        self.placeholder
    }

    /// Whether the command's arguments carry its port (then a relaunch rewrites it there).
    pub fn port_in_args(&self) -> bool {
        !self.slots.is_empty()
    }

    /// The command as written, for a first launch when no port is known.
    pub fn original(&self) -> &[String] {
        &self.argv
    }

    /// The command to run on `port`: `{port}` replaced, each port in the arguments rewritten,
    /// the tool's port flag or positional added when the arguments carry none, its strict flags
    /// added when missing.
    pub fn argv_for(&self, port: Port) -> Vec<String> {
        let n = port.to_string();
        let mut argv: Vec<String> = self.argv.iter().map(|a| a.replace(PLACEHOLDER, &n)).collect();
        for s in &self.slots {
            argv[s.index] = format!("{}{n}", s.prefix);
        }
        if let Some(t) = self.tool {
            if self.slots.is_empty() && !self.placeholder {
                match t.inject {
                    Inject::Env => {}
                    Inject::Flag(f) => argv.extend([f.to_string(), n.clone()]),
                    Inject::Positional => argv.push(n.clone()),
                }
            }
            for s in t.strict {
                if !argv.iter().any(|a| a == s) {
                    argv.push((*s).to_string());
                }
            }
        }
        argv
    }

    /// The environment to add for a run on `port`: every `--env` name (default `PORT`) and the
    /// variables the tool reads.
    pub fn env_for(&self, port: Port) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let tool_env = self.tool.into_iter().flat_map(|t| t.env.iter().map(|s| (*s).to_string()));
        for name in self.env_names.iter().cloned().chain(tool_env) {
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, port.to_string()));
            }
        }
        out
    }
}

/// The base name of a program path, without a Windows extension.
fn base_name(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    [".exe", ".cmd", ".bat"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name)
}

fn is_python(name: &str) -> bool {
    name == "python"
        || name == "py"
        || name.strip_prefix("python").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Finds the tool and the index where its own arguments start.
fn recognise(argv: &[String], tools: &'static [Tool]) -> Option<&'static Tool> {
    let program = base_name(argv.first()?);
    let (name, rest) = if is_python(program) {
        let m = argv.iter().position(|a| a == "-m")?;
        (argv.get(m + 1)?.as_str(), m + 2)
    } else {
        (program, 1)
    };
    tools.iter().find(|t| {
        t.program.contains(&name)
            && (t.subcommand.is_empty() || argv.get(rest).is_some_and(|a| t.subcommand.contains(&a.as_str())))
    })
}

/// Where the tool's own arguments start (after `python -m X`, after the subcommand).
fn args_start(argv: &[String], tool: Option<&Tool>) -> usize {
    let program = argv.first().map_or("", |a| base_name(a));
    let mut start = if is_python(program) && tool.is_some() {
        argv.iter().position(|a| a == "-m").map_or(1, |m| m + 2)
    } else {
        1
    };
    if tool.is_some_and(|t| !t.subcommand.is_empty()) {
        start += 1;
    }
    start.min(argv.len())
}

/// `[addr:]port` (a bind address or a bare port) as a positional argument: (prefix, port).
fn addr_port(s: &str) -> Option<(String, Port)> {
    if let Ok(p) = super::port::parse_port(s) {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Some((String::new(), p));
        }
    }
    bind_address(s)
}

/// A bind-looking `HOST:PORT`: host empty, `*`, `localhost`, an IPv4 literal or `[IPv6]`.
/// Returns (everything up to and including the colon, port).
fn bind_address(s: &str) -> Option<(String, Port)> {
    let (host, port) = s.rsplit_once(':')?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port = super::port::parse_port(port).ok()?;
    let ok = match host {
        "" | "*" | "localhost" => true,
        h if h.starts_with('[') && h.ends_with(']') => {
            h[1..h.len() - 1].parse::<std::net::Ipv6Addr>().is_ok()
        }
        h => h.parse::<std::net::Ipv4Addr>().is_ok(),
    };
    ok.then(|| (format!("{host}:"), port))
}

/// An exact port value (digits only).
fn port_value(s: &str) -> Option<Port> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    super::port::parse_port(s).ok()
}

fn find_slots(argv: &[String], tool: Option<&Tool>) -> Vec<Slot> {
    let flags = tool.map_or(GENERIC_FLAGS, |t| t.flags);
    let bind_flags = tool.map_or(GENERIC_BIND_FLAGS, |t| t.bind_flags);
    let value_flags = tool.map_or(&[][..], |t| t.value_flags);
    let positional = tool.is_some_and(|t| t.positional);
    let mut slots = Vec::new();
    let mut i = args_start(argv, tool);
    let mut positionals_seen = 0;
    let slot = |index: usize, prefix: String, port: Port, form: ArgForm| Slot { index, prefix, port, form };
    while i < argv.len() {
        let a = argv[i].as_str();
        let next = argv.get(i + 1).map(String::as_str);
        if a.contains(PLACEHOLDER) {
            positionals_seen += usize::from(!a.starts_with('-'));
            i += 1;
            continue;
        }
        if flags.contains(&a) || bind_flags.contains(&a) || value_flags.contains(&a) {
            // a flag and its value: a port, a bind address, or something else to skip
            if let Some(v) = next.filter(|v| !v.contains(PLACEHOLDER)) {
                if flags.contains(&a) {
                    if let Some(p) = port_value(v) {
                        slots.push(slot(i + 1, String::new(), p, ArgForm::FlagValue));
                    }
                } else if bind_flags.contains(&a) {
                    if let Some((prefix, p)) = bind_address(v) {
                        slots.push(slot(i + 1, prefix, p, ArgForm::BindFlag));
                    }
                }
            }
            i += 2;
            continue;
        }
        if let Some((flag, value)) = a.split_once('=').filter(|(f, _)| f.starts_with('-')) {
            if flags.contains(&flag) {
                if let Some(p) = port_value(value) {
                    slots.push(slot(i, format!("{flag}="), p, ArgForm::FlagEquals));
                }
            } else if bind_flags.contains(&flag) {
                if let Some((prefix, p)) = bind_address(value) {
                    slots.push(slot(i, format!("{flag}={prefix}"), p, ArgForm::BindFlag));
                }
            }
            i += 1;
            continue;
        }
        if let Some(f) = flags.iter().find(|f| f.len() == 2 && !f.starts_with("--") && a.starts_with(**f)) {
            if let Some(p) = port_value(&a[2..]) {
                slots.push(slot(i, (*f).to_string(), p, ArgForm::FlagAttached));
            }
            i += 1;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            if positional {
                if positionals_seen == 0 {
                    if let Some((prefix, p)) = addr_port(a) {
                        slots.push(slot(i, prefix, p, ArgForm::Positional));
                    }
                }
                positionals_seen += 1;
            } else if tool.is_none() {
                if let Some((prefix, p)) = bind_address(a) {
                    slots.push(slot(i, prefix, p, ArgForm::HostPort));
                }
            }
        }
        i += 1;
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    fn sv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn plan_with(argv: &str, port: Option<u16>, env_names: &[&str], env: &[(&str, &str)]) -> Plan {
        let argv = sv(argv);
        let names: Vec<String> = env_names.iter().map(|s| (*s).to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let req = Request { argv: &argv, port: port.and_then(Port::new), env_names: &names, tools: TOOLS };
        Plan::new(req, |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn of(argv: &str) -> Plan {
        plan_with(argv, None, &[], &[])
    }

    /// argv → wanted port → argv on 4001.
    #[test]
    fn ports_in_arguments_are_found_and_rewritten() {
        let cases: &[(&str, Option<u16>, &str)] = &[
            ("vite --port 3000", Some(3000), "vite --port 4001"),
            ("vite --port=3000 --open", Some(3000), "vite --port=4001 --open"),
            ("rails s -p 3000", Some(3000), "rails s -p 4001"),
            ("hugo server -p1313", Some(1313), "hugo server -p4001"),
            ("php -S localhost:8000", Some(8000), "php -S localhost:4001"),
            ("php -S 0.0.0.0:8000 -t public", Some(8000), "php -S 0.0.0.0:4001 -t public"),
            ("myserver [::1]:3000", Some(3000), "myserver [::1]:4001"),
            ("goapp :8080", Some(8080), "goapp :4001"),
            ("gunicorn -b 127.0.0.1:8000 app:app", Some(8000), "gunicorn -b 127.0.0.1:4001 app:app"),
            ("gunicorn --bind=0.0.0.0:8000 app:app", Some(8000), "gunicorn --bind=0.0.0.0:4001 app:app"),
            // after npm's own `--`, the arguments still reach the tool
            ("npm run dev -- --port 3000", Some(3000), "npm run dev -- --port 4001"),
            // every carrier of the port is rewritten; the last one is the wanted port
            ("srv -b 127.0.0.1:3000 -b [::1]:3000", Some(3000), "srv -b 127.0.0.1:4001 -b [::1]:4001"),
            // not ports: other flags, URLs, host names, docker mappings, ssh forwards, port 0
            ("node server.js --timeout 3000", None, "node server.js --timeout 3000"),
            ("proxy --target http://localhost:8080", None, "proxy --target http://localhost:8080"),
            ("client api.example.com:443", None, "client api.example.com:443"),
            ("docker run -p 8080:80 img", None, "docker run -p 8080:80 img"),
            ("ssh -L 3000:localhost:3000 host", None, "ssh -L 3000:localhost:3000 host"),
            ("srv --port 0", None, "srv --port 0"),
            ("srv --port 70000", None, "srv --port 70000"),
            ("srv -p 12:30", None, "srv -p 12:30"),
            ("srv --portal 3000 --export=3000", None, "srv --portal 3000 --export=3000"),
            // argv[0] is never read
            ("localhost:3000", None, "localhost:3000"),
        ];
        for (argv, wanted, relaunch) in cases {
            let plan = of(argv);
            assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
            assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
            assert_eq!(plan.port_in_args(), wanted.is_some(), "{argv}");
        }
    }

    #[test]
    fn sources_in_order() {
        let arg = Source::Arg { index: 2, form: ArgForm::FlagValue };
        assert_eq!(*plan_with("vite --port 3000", Some(5000), &[], &[]).source(), Source::Flag);
        assert_eq!(plan_with("vite --port 3000", Some(5000), &[], &[]).wanted(), Some(p(5000)));
        assert_eq!(*plan_with("vite --port 3000", None, &[], &[("PORT", "9")]).source(), arg);
        let envd = plan_with("node app.js", None, &[], &[("PORT", "3005")]);
        assert_eq!(
            (envd.wanted(), envd.source().clone()),
            (Some(p(3005)), Source::Env { name: "PORT".into() })
        );
        // the first --env name is the one read
        let vite =
            plan_with("node app.js", None, &["VITE_PORT", "PORT"], &[("PORT", "1"), ("VITE_PORT", "5174")]);
        assert_eq!(vite.wanted(), Some(p(5174)));
        // a known tool's default comes last
        let http = of("python3 -m http.server");
        assert_eq!(
            (http.wanted(), http.source().clone()),
            (Some(p(8000)), Source::ToolDefault { tool: "python -m http.server" })
        );
        let unknown = of("node app.js");
        assert_eq!((unknown.wanted(), unknown.source().clone()), (None, Source::Unknown));
    }

    #[test]
    fn a_bad_environment_value_is_ignored_and_said() {
        let plan = plan_with("node app.js", None, &[], &[("PORT", "abc")]);
        assert_eq!(plan.wanted(), None);
        assert_eq!(plan.ignored_env, Some(("PORT".into(), "abc".into())));
    }

    #[test]
    fn placeholders_are_replaced_everywhere() {
        let plan = of("python3 -m http.server {port} --bind 127.0.0.1");
        assert!(plan.has_placeholder());
        // the tool's default is still the wanted port; the placeholder is not a second positional
        assert_eq!(plan.wanted(), Some(p(8000)));
        assert_eq!(plan.argv_for(p(4001)), sv("python3 -m http.server 4001 --bind 127.0.0.1"));
        let plan =
            plan_with("node app.js --listen=127.0.0.1:{port} --url=http://localhost:{port}/", None, &[], &[]);
        assert_eq!(plan.wanted(), None);
        assert_eq!(
            plan.argv_for(p(4001)),
            sv("node app.js --listen=127.0.0.1:4001 --url=http://localhost:4001/")
        );
        // `--port {port}`: no second --port added, no port grabbed
        let plan = of("vite --port {port}");
        assert_eq!((plan.wanted(), plan.argv_for(p(4001))), (None, sv("vite --port 4001")));
    }

    #[test]
    fn a_tool_positional_port_is_read_rewritten_or_added() {
        let plan = of("python3 -m http.server 9000 --bind 127.0.0.1");
        assert_eq!(*plan.source(), Source::Arg { index: 3, form: ArgForm::Positional });
        assert_eq!(plan.argv_for(p(4001)), sv("python3 -m http.server 4001 --bind 127.0.0.1"));
        // the value of --bind and -d are not the positional port
        let plan = of("python -m http.server --bind 127.0.0.1 -d /srv 9000");
        assert_eq!(plan.wanted(), Some(p(9000)));
        assert_eq!(plan.argv_for(p(4001)), sv("python -m http.server --bind 127.0.0.1 -d /srv 4001"));
        // -p is http.server's --protocol, not a port
        let plan = of("/usr/bin/python3.11 -m http.server -p 8080");
        assert_eq!(*plan.source(), Source::ToolDefault { tool: "python -m http.server" });
        assert_eq!(plan.argv_for(p(4001)), sv("/usr/bin/python3.11 -m http.server -p 8080 4001"));
    }

    #[test]
    fn env_carries_the_port_in_every_name() {
        assert_eq!(of("node app.js").env_for(p(4001)), [("PORT".to_string(), "4001".to_string())]);
        let plan = plan_with("node app.js", None, &["VITE_PORT", "PORT", "VITE_PORT"], &[]);
        assert_eq!(
            plan.env_for(p(4001)),
            [("VITE_PORT".to_string(), "4001".to_string()), ("PORT".to_string(), "4001".to_string())]
        );
    }

    #[test]
    fn tool_rows_are_data_injection_and_strict_flags() {
        static ROWS: &[Tool] = &[Tool {
            name: "vite",
            program: &["vite"],
            subcommand: &[],
            default_port: Some(5173),
            env: &["VITE_PORT"],
            flags: &["--port"],
            bind_flags: &[],
            value_flags: &["--host", "--mode", "-m"],
            positional: false,
            inject: Inject::Flag("--port"),
            strict: &["--strictPort"],
            source: "test row",
        }];
        let argv = sv("./node_modules/.bin/vite --host 127.0.0.1");
        let req = Request { argv: &argv, port: None, env_names: &[], tools: ROWS };
        let plan = Plan::new(req, |_| None);
        assert_eq!((plan.tool(), plan.wanted()), (Some("vite"), Some(p(5173))));
        assert_eq!(
            plan.argv_for(p(5174)),
            sv("./node_modules/.bin/vite --host 127.0.0.1 --port 5174 --strictPort")
        );
        assert_eq!(
            plan.env_for(p(5174)),
            [("PORT".to_string(), "5174".to_string()), ("VITE_PORT".to_string(), "5174".to_string())]
        );
        // the tool's variable is a source too, after the --env name
        let plan = Plan::new(req, |n| (n == "VITE_PORT").then(|| "5200".to_string()));
        assert_eq!(*plan.source(), Source::Env { name: "VITE_PORT".into() });
        // its strict flag is not added twice
        let argv = sv("vite --strictPort --port 3000");
        let plan = Plan::new(Request { argv: &argv, ..req }, |_| None);
        assert_eq!(plan.argv_for(p(3001)), sv("vite --strictPort --port 3001"));
    }
}
