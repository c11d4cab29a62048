//! The dev servers portfix knows: data only, one row per tool. The launch plan
//! ([`super::plan`]) reads these rows; adding a tool means adding a row and its table test.
//!
//! Each row says how to recognise the tool (program and subcommand), its default port, how it
//! takes a port (environment variables, port flags, bind flags, a positional `[addr:]port`), how
//! to give it one, how to keep it from moving by itself, what it does when its port is taken, and
//! the source it was checked against: `--help` of the version installed here (captured while
//! writing the row), or the tool's documentation.
//!
//! A default port is listed only when the tool really listens there without being told: a wrong
//! default would make portfix see a conflict that is not one (and, with `--kill`, stop a stranger).
//! That is why plain `node`/`bun`/`deno run` scripts and Puma (whose port usually comes from
//! `config/puma.rb`) have none: they get the port through `PORT` like any unknown command.

/// How a recognised tool takes its port. One row per tool; `source` says where it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    pub name: &'static str,
    /// The program, as the base name of `argv[0]` (`vite`), the module of `python -m X`, or the
    /// script an interpreter runs (`manage.py`, `artisan`).
    pub program: &'static [&'static str],
    /// When not empty, the first positional argument after the program must be one of these
    /// (`runserver`, `dev`); the tool's positional port is counted after it.
    pub subcommand: &'static [&'static str],
    /// When `subcommand` is empty: first positional arguments that make it another command of the
    /// same program (`vite build`), which is then not this tool.
    pub other_commands: &'static [&'static str],
    pub default_port: Option<u16>,
    /// Environment variables it reads a port from, in its own order of precedence (each gets the
    /// chosen port too).
    pub env: &'static [&'static str],
    /// Flags that take a port: `F N`, `F=N`, and for `-x` flags also `-xN`.
    pub flags: &'static [&'static str],
    /// Flags that take a bind address `HOST:PORT` (also `tcp://HOST:PORT`).
    pub bind_flags: &'static [&'static str],
    /// Other flags that take a value (so that value is not taken for a positional argument).
    pub value_flags: &'static [&'static str],
    /// The first positional argument (after `subcommand`) is `[addr:]port`.
    pub positional: bool,
    /// How to give it the port when its arguments carry none.
    pub inject: Inject,
    /// Arguments that keep it from moving to another port by itself (`--strictPort`).
    pub strict: &'static [&'static str],
    /// A second port flag overrides the first (so a port can be appended to a package.json
    /// script that already has one). False when each flag adds a listener.
    pub last_port_wins: bool,
    /// What it does when its port is taken and nothing keeps it there.
    pub on_taken: OnTaken,
    /// Its own flags go before the script it runs, right after its subcommand: the words after
    /// the script are the script's arguments (`deno serve [FLAGS] main.ts [ARGS]`).
    pub flags_first: bool,
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
    /// Append `FLAG HOST:PORT` (a tool whose bind flag does not take a bare port).
    Bind(&'static str, &'static str),
    /// Append `PORT` as a positional argument.
    Positional,
}

/// What a tool does by itself when its port is taken (before portfix's strict flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTaken {
    /// Prints an error and exits.
    Fails,
    /// Moves to another port on its own (often only when no port was given).
    Moves,
    /// Asks at a terminal whether to use another port (and exits off a terminal).
    Asks,
    /// Stays up and retries.
    Retries,
}

/// A row with nothing set, for `..BASE` in the rows below.
const BASE: Tool = Tool {
    name: "",
    program: &[],
    subcommand: &[],
    other_commands: &[],
    default_port: None,
    env: &[],
    flags: &[],
    bind_flags: &[],
    value_flags: &[],
    positional: false,
    inject: Inject::Env,
    strict: &[],
    last_port_wins: true,
    on_taken: OnTaken::Fails,
    flags_first: false,
    source: "",
};

const VITE_VALUE_FLAGS: &[&str] = &[
    "--host",
    "-c",
    "--config",
    "--base",
    "-l",
    "--logLevel",
    "--configLoader",
    "-d",
    "--debug",
    "-f",
    "--filter",
    "-m",
    "--mode",
    "--open",
    "--outDir",
];

const WEBPACK_DEV_SERVER: Tool = Tool {
    name: "webpack-dev-server",
    default_port: Some(8080),
    flags: &["--port"],
    value_flags: &["--host", "-c", "--config", "--config-name", "--mode", "--env", "--node-env", "--entry"],
    inject: Inject::Flag("--port"),
    on_taken: OnTaken::Moves,
    source: "webpack-dev-server 5.2.7 `webpack serve --help` here: --port <value>; default 8080 and a free port \
             when none is given (webpack.js.org/configuration/dev-server/#devserverport); fails with --port",
    ..BASE
};

const STORYBOOK_VALUE_FLAGS: &[&str] =
    &["-h", "--host", "-c", "--config-dir", "--loglevel", "--ssl-ca", "--ssl-cert", "--ssl-key"];

const SPRING_BOOT: Tool = Tool {
    name: "Spring Boot",
    default_port: Some(8080),
    env: &["SERVER_PORT"],
    inject: Inject::Env,
    source: "docs.spring.io/spring-boot/how-to/webserver.html: server.port (default 8080), SERVER_PORT \
             by relaxed binding, --server.port=N on the command line",
    ..BASE
};

/// The tools portfix knows. Order matters only where two rows share a program: the more
/// specific one (a subcommand) comes first.
pub const TOOLS: &[Tool] = &[
    Tool {
        name: "vite preview",
        program: &["vite"],
        subcommand: &["preview"],
        default_port: Some(4173),
        flags: &["--port"],
        value_flags: VITE_VALUE_FLAGS,
        inject: Inject::Flag("--port"),
        strict: &["--strictPort"],
        on_taken: OnTaken::Moves,
        source: "vite 8.3.8 `vite preview --help` here: --port <port>, --strictPort; default 4173 \
                 (vite.dev/config/preview-options)",
        ..BASE
    },
    Tool {
        name: "vite",
        program: &["vite"],
        other_commands: &["build", "optimize", "preview"],
        default_port: Some(5173),
        flags: &["--port"],
        value_flags: VITE_VALUE_FLAGS,
        inject: Inject::Flag("--port"),
        strict: &["--strictPort"],
        on_taken: OnTaken::Moves,
        source: "vite 8.3.8 `vite --help` here: [root] start dev server (aliases dev, serve), --port <port>, \
                 --strictPort \"exit if specified port is already in use\"; default 5173 \
                 (vite.dev/config/server-options); the last --port wins (tried here)",
        ..BASE
    },
    Tool {
        name: "Next.js",
        program: &["next"],
        subcommand: &["dev", "start"],
        default_port: Some(3000),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "-H",
            "--hostname",
            "--inspect",
            "--experimental-https-key",
            "--experimental-https-cert",
        ],
        inject: Inject::Flag("-p"),
        on_taken: OnTaken::Moves,
        source: "next 16.4.6 `next dev --help`, `next start --help` here: -p, --port <port> (default: 3000, \
                 env: PORT); dev moves to the next port only when no port was given (fixtures next-*)",
        ..BASE
    },
    Tool {
        name: "create-react-app",
        program: &["react-scripts", "craco", "react-app-rewired"],
        subcommand: &["start"],
        default_port: Some(3000),
        env: &["PORT"],
        inject: Inject::Env,
        on_taken: OnTaken::Asks,
        source: "create-react-app.dev/docs/advanced-configuration: PORT; \"attempt to listen on port 3000 or \
                 prompt you to attempt the next available port\" (no flag: portfix resolves before launch)",
        ..BASE
    },
    Tool {
        program: &["webpack", "webpack-cli"],
        subcommand: &["serve", "server", "s"],
        ..WEBPACK_DEV_SERVER
    },
    Tool { program: &["webpack-dev-server"], ..WEBPACK_DEV_SERVER },
    Tool {
        name: "Angular",
        program: &["ng"],
        subcommand: &["serve", "s", "dev"],
        default_port: Some(4200),
        flags: &["--port"],
        value_flags: &[
            "--host",
            "-c",
            "--configuration",
            "--proxy-config",
            "--public-host",
            "--serve-path",
            "--ssl-key",
            "--ssl-cert",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Asks,
        source: "angular.dev/cli/serve: --port (default 4200), --host; asks for another port at a terminal",
        ..BASE
    },
    Tool {
        name: "Astro",
        program: &["astro"],
        subcommand: &["dev", "preview"],
        default_port: Some(4321),
        flags: &["--port"],
        value_flags: &["--host", "--root", "--config", "--site", "--base", "--mode"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "docs.astro.build/en/reference/cli-reference: astro dev/preview --port <number> (default 4321); \
                 Vite-based, moves to the next port (no strict flag on its command line)",
        ..BASE
    },
    Tool {
        name: "Nuxt",
        program: &["nuxi", "nuxt"],
        subcommand: &["dev"],
        default_port: Some(3000),
        env: &["NUXT_PORT", "NITRO_PORT", "PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "-h",
            "--host",
            "--cwd",
            "--dotenv",
            "--envName",
            "-e",
            "--extends",
            "--logLevel",
            "--publicURL",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "nuxt.com/docs/api/commands/dev: -p, --port (default: NUXT_PORT || NITRO_PORT || PORT || \
                 devServer.port = 3000)",
        ..BASE
    },
    Tool {
        name: "Remix (Vite)",
        program: &["remix"],
        subcommand: &["vite:dev"],
        default_port: Some(5173),
        flags: &["--port"],
        value_flags: VITE_VALUE_FLAGS,
        inject: Inject::Flag("--port"),
        strict: &["--strictPort"],
        on_taken: OnTaken::Moves,
        source: "remix.run/docs/en/main/other-api/dev: remix vite:dev takes Vite's --port and --strictPort; \
                 default 5173",
        ..BASE
    },
    Tool {
        name: "React Router",
        program: &["react-router"],
        subcommand: &["dev"],
        default_port: Some(5173),
        flags: &["--port"],
        value_flags: VITE_VALUE_FLAGS,
        inject: Inject::Flag("--port"),
        strict: &["--strictPort"],
        on_taken: OnTaken::Moves,
        source: "reactrouter.com/api/other-api/dev: react-router dev --port, --strictPort (Vite's); default 5173",
        ..BASE
    },
    Tool {
        name: "Storybook",
        program: &["storybook"],
        subcommand: &["dev"],
        default_port: Some(6006),
        flags: &["-p", "--port"],
        value_flags: STORYBOOK_VALUE_FLAGS,
        inject: Inject::Flag("-p"),
        strict: &["--exact-port"],
        on_taken: OnTaken::Asks,
        source: "storybook.js.org/docs/api/cli-options: storybook dev -p, --port; --exact-port \"If the port is \
                 already in use, Storybook will exit with an error message\"; default 6006",
        ..BASE
    },
    Tool {
        name: "Storybook 6",
        program: &["start-storybook"],
        default_port: Some(6006),
        flags: &["-p", "--port"],
        value_flags: STORYBOOK_VALUE_FLAGS,
        inject: Inject::Flag("-p"),
        on_taken: OnTaken::Asks,
        source: "storybook.js.org/docs/6.4/api/cli-options: start-storybook -p, --port (no --exact-port)",
        ..BASE
    },
    Tool {
        name: "http-server",
        program: &["http-server"],
        default_port: Some(8080),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "-a",
            "-e",
            "--ext",
            "-c",
            "-t",
            "-P",
            "--proxy",
            "--proxy-options",
            "--username",
            "--password",
            "-C",
            "--cert",
            "-K",
            "--key",
            "--mimetypes",
        ],
        inject: Inject::Flag("-p"),
        on_taken: OnTaken::Moves,
        source: "http-server 14.1.1 `--help` and bin/http-server here: -p --port [8080]; port = -p || --port || \
                 $PORT, else portfinder from 8080 (moves)",
        ..BASE
    },
    Tool {
        name: "serve",
        program: &["serve"],
        default_port: Some(3000),
        env: &["PORT"],
        flags: &["-l", "--listen", "-p"],
        bind_flags: &["-l", "--listen"],
        value_flags: &["-c", "--config", "--ssl-cert", "--ssl-key", "--ssl-pass"],
        inject: Inject::Flag("-l"),
        // documented, but serve 14.2.7 never reads it: it moves to a random port anyway (tried
        // here); harmless, and it works where a version honours it
        strict: &["--no-port-switching"],
        last_port_wins: false,
        on_taken: OnTaken::Moves,
        source: "serve 14.2.7 `--help` and build/main.js here: -l, --listen (port or tcp://host:port), each -l \
                 one more listener (tried here); listen defaults to $PORT ?? 3000; moves to a random port when \
                 its port answers, even with --no-port-switching (tried here)",
        ..BASE
    },
    Tool {
        name: "json-server",
        program: &["json-server"],
        default_port: Some(3000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-c",
            "--config",
            "-H",
            "--host",
            "-r",
            "--routes",
            "-m",
            "--middlewares",
            "-s",
            "--static",
            "-S",
            "--snapshots",
            "-d",
            "--delay",
            "-i",
            "--id",
            "--fks",
            "--foreignKeySuffix",
        ],
        inject: Inject::Flag("--port"),
        source: "json-server 0.17.4 `--help` here: -p, --port Set port [default: 3000]",
        ..BASE
    },
    Tool {
        name: "python -m http.server",
        program: &["http.server"],
        default_port: Some(8000),
        value_flags: &["-b", "--bind", "-d", "--directory", "-p", "--protocol"],
        positional: true,
        inject: Inject::Positional,
        source: "python3 -m http.server --help (Python 3.11): usage: server.py [-h] [--cgi] [-b ADDRESS] [-d \
                 DIRECTORY] [-p VERSION] [port]",
        ..BASE
    },
    Tool {
        name: "Flask",
        program: &["flask"],
        subcommand: &["run"],
        default_port: Some(5000),
        env: &["FLASK_RUN_PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "-A",
            "--app",
            "-e",
            "--env-file",
            "-h",
            "--host",
            "--cert",
            "--key",
            "--extra-files",
            "--exclude-patterns",
        ],
        inject: Inject::Flag("--port"),
        source: "flask 3.1.3 `flask run --help` here: -p, --port INTEGER; FLASK_RUN_PORT (auto_envvar_prefix \
                 FLASK in flask/cli.py); default 5000 (werkzeug run_simple)",
        ..BASE
    },
    Tool {
        name: "Django runserver",
        program: &["manage.py", "django-admin", "django"],
        subcommand: &["runserver"],
        default_port: Some(8000),
        value_flags: &["--settings", "--pythonpath"],
        positional: true,
        inject: Inject::Positional,
        source: "django 5.2.19 `django-admin help runserver` here: [addrport] \"Optional port number, or \
                 ipaddr:port\"; default_port = \"8000\" in commands/runserver.py",
        ..BASE
    },
    Tool {
        name: "uvicorn",
        program: &["uvicorn"],
        default_port: Some(8000),
        env: &["UVICORN_PORT"],
        flags: &["--port"],
        value_flags: &[
            "--host",
            "--uds",
            "--fd",
            "--reload-dir",
            "--reload-include",
            "--reload-exclude",
            "--reload-delay",
            "--workers",
            "--loop",
            "--http",
            "--ws",
            "--lifespan",
            "--interface",
            "--env-file",
            "--log-config",
            "--log-level",
            "--root-path",
            "--app-dir",
            "--timeout-keep-alive",
            "--ssl-keyfile",
            "--ssl-certfile",
        ],
        inject: Inject::Flag("--port"),
        source: "uvicorn 0.54.0 `uvicorn --help` here: --port INTEGER [default: 8000]; UVICORN_PORT \
                 (auto_envvar_prefix UVICORN in uvicorn/main.py)",
        ..BASE
    },
    Tool {
        name: "gunicorn",
        program: &["gunicorn"],
        default_port: Some(8000),
        env: &["PORT"],
        bind_flags: &["-b", "--bind"],
        value_flags: &[
            "-c",
            "--config",
            "-w",
            "--workers",
            "-k",
            "--worker-class",
            "--threads",
            "-t",
            "--timeout",
            "--chdir",
            "-e",
            "--env",
            "-n",
            "--name",
            "-p",
            "--pid",
            "--log-level",
            "--access-logfile",
            "--error-logfile",
            "--log-file",
            "-u",
            "--user",
            "-g",
            "--group",
        ],
        // its bind flag reads a bare number as a host; and PORT alone would bind 0.0.0.0
        inject: Inject::Bind("--bind", "127.0.0.1"),
        on_taken: OnTaken::Retries,
        source: "gunicorn 27.0.1 `--help` and config.py here: -b ADDRESS [['127.0.0.1:8000']]; \"If the PORT \
                 environment variable is defined, the default is ['0.0.0.0:$PORT']\"; retries the bind",
        ..BASE
    },
    Tool {
        name: "Rails",
        program: &["rails"],
        subcommand: &["server", "s"],
        default_port: Some(3000),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "-b",
            "--binding",
            "-e",
            "--environment",
            "-u",
            "--using",
            "-c",
            "--config",
            "-P",
            "--pid",
        ],
        inject: Inject::Flag("-p"),
        source: "guides.rubyonrails.org/command_line.html#bin-rails-server: -p/--port, -b/--binding; default \
                 3000, or $PORT (Rails::Command::ServerCommand)",
        ..BASE
    },
    Tool {
        name: "Puma",
        program: &["puma"],
        // 9292 without a config file, but config/puma.rb (loaded by itself) usually sets the port
        env: &["PORT"],
        flags: &["-p", "--port"],
        bind_flags: &["-b", "--bind"],
        value_flags: &[
            "-C",
            "--config",
            "-e",
            "--environment",
            "-t",
            "--threads",
            "-w",
            "--workers",
            "--dir",
            "--pidfile",
            "-S",
            "--state",
            "--control-url",
            "--control-token",
            "-I",
            "--include",
            "-R",
            "--restart-cmd",
            "--tag",
        ],
        inject: Inject::Flag("-p"),
        source: "puma(1) (puma 5.6.5): -p, --port PORT; -b, --bind URI (tcp://, unix://, ssl://); default \
                 tcp://0.0.0.0:9292 (fixture puma)",
        ..BASE
    },
    Tool {
        name: "Hugo",
        program: &["hugo"],
        subcommand: &["server", "serve"],
        default_port: Some(1313),
        flags: &["-p", "--port"],
        value_flags: &[
            "--bind",
            "-b",
            "--baseURL",
            "-s",
            "--source",
            "-d",
            "--destination",
            "-c",
            "--contentDir",
            "--config",
            "-e",
            "--environment",
            "--liveReloadPort",
            "-t",
            "--theme",
            "--themesDir",
            "--cacheDir",
            "--logLevel",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "gohugo.io/commands/hugo_server: -p, --port int (default 1313), --bind; commands/server.go: \
                 \"port 1313 already in use, attempting to use an available port\" unless --port was given",
        ..BASE
    },
    Tool {
        name: "Jekyll",
        program: &["jekyll"],
        subcommand: &["serve", "server", "s"],
        default_port: Some(4000),
        flags: &["-P", "--port"],
        value_flags: &[
            "-H",
            "--host",
            "-s",
            "--source",
            "-d",
            "--destination",
            "--config",
            "-b",
            "--baseurl",
            "--livereload-port",
            "--ssl-cert",
            "--ssl-key",
        ],
        inject: Inject::Flag("--port"),
        source: "jekyllrb.com/docs/configuration/options/#serve-command-options: -P, --port (default 4000), \
                 -H, --host",
        ..BASE
    },
    Tool {
        name: "php -S",
        program: &["php"],
        bind_flags: &["-S"],
        value_flags: &["-t", "-c", "-d", "-z"],
        inject: Inject::Env,
        source: "php.net/manual/en/features.commandline.webserver.php: php -S addr:port [-t docroot] (no default)",
        ..BASE
    },
    Tool {
        name: "Laravel (artisan serve)",
        program: &["artisan"],
        subcommand: &["serve"],
        default_port: Some(8000),
        env: &["SERVER_PORT"],
        flags: &["--port"],
        value_flags: &["--host", "--tries"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "laravel.com/docs/installation: php artisan serve --port (default 8000, SERVER_PORT); tries the \
                 next ports unless --port is given (ServeCommand --tries)",
        ..BASE
    },
    Tool { program: &["mvn", "mvnw"], subcommand: &["spring-boot:run"], ..SPRING_BOOT },
    Tool { program: &["gradle", "gradlew"], subcommand: &["bootRun"], ..SPRING_BOOT },
    Tool {
        name: "java (Spring Boot arguments)",
        program: &["java"],
        flags: &["--server.port", "-Dserver.port"],
        value_flags: &["-jar", "-cp", "-classpath", "--class-path"],
        default_port: None,
        ..SPRING_BOOT
    },
    Tool {
        name: "Phoenix",
        program: &["mix", "iex"],
        subcommand: &["phx.server"],
        default_port: Some(4000),
        env: &["PORT"],
        value_flags: &["-S"],
        inject: Inject::Env,
        source: "hexdocs.pm/phoenix/Mix.Tasks.Phx.Server.html and the generated config/dev.exs: \
                 port: String.to_integer(System.get_env(\"PORT\") || \"4000\")",
        ..BASE
    },
    Tool {
        name: "deno serve",
        program: &["deno"],
        subcommand: &["serve"],
        default_port: Some(8000),
        flags: &["--port"],
        value_flags: &["--host", "-c", "--config", "--import-map", "--location", "--parallel"],
        inject: Inject::Flag("--port"),
        flags_first: true,
        source: "docs.deno.com/runtime/reference/cli/serve: --port <port> (default 8000), --host; \
                 `deno serve [OPTIONS] [SCRIPT_ARG]...`: words after the script are the script's",
        ..BASE
    },
    Tool {
        name: "bun (a server file)",
        program: &["bun"],
        other_commands: &[
            "install", "i", "add", "a", "remove", "rm", "update", "outdated", "link", "unlink", "pm",
            "build", "test", "x", "create", "init", "upgrade", "publish", "patch", "audit", "info", "repl",
            "exec",
        ],
        env: &["BUN_PORT", "PORT", "NODE_PORT"],
        flags: &["--port"],
        value_flags: &[
            "--cwd",
            "-e",
            "--eval",
            "--env-file",
            "--config",
            "-c",
            "-r",
            "--preload",
            "--inspect",
        ],
        inject: Inject::Env,
        source: "bun.sh/docs/api/http: Bun.serve port defaults to $BUN_PORT, $PORT, $NODE_PORT, then 3000 \
                 (no default here: a file may be no server); bun --port sets Bun.serve's default",
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_and_consistent() {
        for t in TOOLS {
            assert!(!t.name.is_empty() && !t.program.is_empty() && !t.source.is_empty(), "{t:?}");
            assert!(t.subcommand.is_empty() || t.other_commands.is_empty(), "{}", t.name);
            match t.inject {
                Inject::Flag(f) => assert!(t.flags.contains(&f), "{}: inject flag {f} not in flags", t.name),
                Inject::Bind(f, _) => assert!(t.bind_flags.contains(&f), "{}: {f} not in bind_flags", t.name),
                Inject::Positional => assert!(t.positional, "{}", t.name),
                Inject::Env => {}
            }
            for f in t.flags.iter().chain(t.bind_flags) {
                assert!(f.starts_with('-'), "{}: {f}", t.name);
            }
            // a flag that takes the port is never also "some other value"
            for f in t.value_flags {
                assert!(!t.flags.contains(f) && !t.bind_flags.contains(f), "{}: {f}", t.name);
            }
        }
    }
}
