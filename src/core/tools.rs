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
    /// When not empty, it is this tool only when one of these flags is in its arguments (`F` or
    /// `F=…`): a program that serves only when told to (`eleventy --serve`, `pelican --listen`).
    pub needs: &'static [&'static str],
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
    /// Its own flags go before the script it runs, right after its subcommand (or its program
    /// when it has none): the words after the script are the script's arguments
    /// (`deno serve [FLAGS] main.ts [ARGS]`), or it stops reading options at the first
    /// positional (`waitress-serve [OPTS] module:app`).
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
    /// Append `FLAG=PORT` (a tool that reads its port flag only in that form).
    FlagEquals(&'static str),
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
    needs: &[],
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

const JUPYTER: Tool = Tool {
    name: "Jupyter",
    default_port: Some(8888),
    env: &["JUPYTER_PORT"],
    flags: &["--port", "--ServerApp.port"],
    value_flags: &[
        "--ip",
        "--ServerApp.ip",
        "--notebook-dir",
        "--ServerApp.root_dir",
        "--config",
        "--ServerApp.token",
        "--IdentityProvider.token",
        "--port-retries",
    ],
    inject: Inject::Flag("--port"),
    // it moves (+1, 50 tries) even from an explicit --port
    strict: &["--port-retries=0"],
    on_taken: OnTaken::Moves,
    source: "verified here: jupyterlab 4.6.6 / notebook 7.6.5 / jupyter_server 2.21.1 `--help-all`: --port \
             (default 8888, env JUPYTER_PORT), --port-retries; \"The port 8888 is already in use, trying another \
             port.\" even with --port",
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
                 Vite-based, moves to the next port (no strict flag on its command line); run end to end \
                 here with astro 4.16.19 (5 and 6 need Node 22)",
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
    // ---- issue 11: the next tools (facts: /work/brief/tools40.md, a research run on this
    // machine; "here" = its `--help`/source of the version named, run in `unshare -n`) ----
    Tool {
        name: "FastAPI CLI",
        program: &["fastapi"],
        subcommand: &["dev", "run"],
        default_port: Some(8000),
        env: &["PORT"],
        flags: &["--port"],
        value_flags: &[
            "--host",
            "--app",
            "--entrypoint",
            "--root-path",
            "--workers",
            "--forwarded-allow-ips",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: fastapi-cli 0.0.34 `fastapi dev --help`: --port (default 8000, env PORT; \
                 `PORT=8123 fastapi dev` bound 8123); fails with [Errno 98] when taken; dev is uvicorn --reload",
        ..BASE
    },
    Tool {
        name: "Litestar",
        program: &["litestar"],
        subcommand: &["run"],
        default_port: Some(8000),
        env: &["LITESTAR_PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "--app",
            "-H",
            "--host",
            "-W",
            "--wc",
            "--web-concurrency",
            "--fd",
            "--uds",
            "-R",
            "--reload-dir",
            "-I",
            "--reload-include",
            "-E",
            "--reload-exclude",
            "--ssl-certfile",
            "--ssl-keyfile",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: litestar 2.25.0 litestar/cli/commands/core.py: run -p/--port (default 8000, env \
                 LITESTAR_PORT), --app before `run`; fails with uvicorn's bind error",
        ..BASE
    },
    Tool {
        name: "Sanic",
        program: &["sanic"],
        other_commands: &["inspect", "exec"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-H",
            "--host",
            "-u",
            "--unix",
            "-w",
            "--workers",
            "--cert",
            "--key",
            "--tls",
            "--tls-strict-host",
            "-R",
            "--reload-dir",
            "--factory",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: sanic 25.12.1 `sanic --help`: -p/--port (default 8000), -H/--host; fails: \
                 \"Startup failed: Address already in use.\"",
        ..BASE
    },
    Tool {
        name: "Hypercorn",
        program: &["hypercorn"],
        default_port: Some(8000),
        bind_flags: &["-b", "--bind"],
        value_flags: &[
            "-c",
            "--config",
            "-w",
            "--workers",
            "-k",
            "--worker-class",
            "--certfile",
            "--keyfile",
            "--ca-certs",
            "--root-path",
            "--log-level",
            "--access-logfile",
            "--error-logfile",
            "--access-logformat",
            "--insecure-bind",
            "--quic-bind",
            "-u",
            "--user",
            "-g",
            "--group",
            "-p",
            "--pid",
            "--backlog",
            "--graceful-timeout",
            "--keep-alive",
        ],
        // no port-only flag: --bind takes host:port and each -b adds a listener
        inject: Inject::Bind("--bind", "127.0.0.1"),
        last_port_wins: false,
        source: "verified here: hypercorn 0.18.0 `hypercorn --help`: -b/--bind host:port (repeatable, default \
                 127.0.0.1:8000), no port flag; fails with OSError [Errno 98]",
        ..BASE
    },
    Tool {
        name: "Daphne",
        program: &["daphne"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-b",
            "--bind",
            "-e",
            "--endpoint",
            "-u",
            "--unix-socket",
            "--fd",
            "-v",
            "--verbosity",
            "--access-log",
            "--log-fmt",
            "--root-path",
            "-t",
            "--http-timeout",
            "--ping-interval",
            "--ping-timeout",
            "--application-close-timeout",
            "--websocket_timeout",
            "--websocket_connect_timeout",
            "--proxy-headers-host-header",
            "--proxy-headers-port-header",
            "-s",
            "--server-name",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: daphne 4.2.3 `daphne --help`: -p/--port (default 8000), -b/--bind HOST; fails: \
                 \"Listen failure: Couldn't listen on 127.0.0.1:8000: [Errno 98] Address already in use.\"",
        ..BASE
    },
    Tool {
        name: "Granian",
        program: &["granian"],
        default_port: Some(8000),
        env: &["GRANIAN_PORT"],
        flags: &["--port"],
        value_flags: &[
            "--interface",
            "--host",
            "--uds",
            "--workers",
            "--blocking-threads",
            "--runtime-threads",
            "--runtime-mode",
            "--loop",
            "--http",
            "--log-level",
            "--log-config",
            "--ssl-certificate",
            "--ssl-keyfile",
            "--url-path-prefix",
            "--reload-paths",
            "--reload-ignore-dirs",
            "--working-dir",
            "--env-files",
            "--pid-file",
            "--backlog",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: granian 2.8.9 `granian --help`: --port (default 8000, env GRANIAN_PORT), --host; \
                 fails: \"RuntimeError: Address already in use (os error 98)\"",
        ..BASE
    },
    Tool {
        name: "waitress-serve",
        program: &["waitress-serve", "waitress"],
        default_port: Some(8080),
        flags: &["--port"],
        bind_flags: &["--listen"],
        value_flags: &[
            "--host",
            "--unix-socket",
            "--unix-socket-perms",
            "--threads",
            "--url-scheme",
            "--url-prefix",
            "--ident",
            "--backlog",
            "--recv-bytes",
            "--send-bytes",
            "--outbuf-overflow",
            "--inbuf-overflow",
            "--connection-limit",
            "--cleanup-interval",
            "--channel-timeout",
            "--asyncore-loop-timeout",
            "--max-request-header-size",
            "--max-request-body-size",
            "--trusted-proxy",
            "--trusted-proxy-count",
            "--trusted-proxy-headers",
        ],
        inject: Inject::Flag("--port"),
        // getopt: options end at the first positional (module:app)
        flags_first: true,
        source: "verified here: waitress 3.0.2 `waitress-serve --help`: --port=PORT (default 8080 on 0.0.0.0), \
                 --listen=ip:port, options before module:app; fails with OSError [Errno 98]",
        ..BASE
    },
    Tool {
        name: "MkDocs",
        program: &["mkdocs"],
        subcommand: &["serve"],
        default_port: Some(8000),
        bind_flags: &["-a", "--dev-addr"],
        value_flags: &["-f", "--config-file", "-t", "--theme", "-w", "--watch"],
        // no port-only flag: -a takes IP:PORT
        inject: Inject::Bind("--dev-addr", "127.0.0.1"),
        source: "verified here: mkdocs 1.6.1 `mkdocs serve --help`: -a, --dev-addr <IP:PORT> (default \
                 localhost:8000); builds, then fails with OSError [Errno 98]",
        ..BASE
    },
    Tool {
        name: "sphinx-autobuild",
        program: &["sphinx-autobuild"],
        default_port: Some(8000),
        flags: &["--port"],
        value_flags: &[
            "--host",
            "--re-ignore",
            "--ignore",
            "--watch",
            "--pre-build",
            "--post-build",
            "--delay",
            "-b",
            "-c",
            "-D",
            "-d",
            "-j",
            "-t",
            "-A",
            "-w",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: sphinx-autobuild 2025.8.25 `--help`: --port (default 8000; 0 = a free port), \
                 --host; fails with uvicorn's bind error after printing \"Serving on\"",
        ..BASE
    },
    Tool {
        name: "Pelican (--listen)",
        program: &["pelican"],
        needs: &["-l", "--listen"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-b",
            "--bind",
            "-s",
            "--settings",
            "-o",
            "--output",
            "-t",
            "--theme-path",
            "-e",
            "--extra-settings",
            "--logs-dedup-min-level",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: pelican 4.12.0 `pelican --help`: -l/--listen serves (default 127.0.0.1:8000), \
                 -p/--port, -b/--bind; when taken it logs \"Could not listen on port 8000\" and exits 0",
        ..BASE
    },
    Tool {
        name: "Datasette",
        program: &["datasette"],
        other_commands: &["install", "uninstall", "inspect", "package", "publish", "plugins", "create-token"],
        default_port: Some(8001),
        flags: &["-p", "--port"],
        value_flags: &[
            "-h",
            "--host",
            "--uds",
            "-m",
            "--metadata",
            "--template-dir",
            "--plugins-dir",
            "--static",
            "-c",
            "--config",
            "-s",
            "--setting",
            "--secret",
            "--get",
            "--token",
            "--actor",
            "-i",
            "--immutable",
            "--load-extension",
            "--ssl-keyfile",
            "--ssl-certfile",
            "--internal",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: datasette 0.65.5 `datasette serve --help`: -p/--port (default 8001; 0 = a free \
                 port), -h/--host; fails with uvicorn's bind error",
        ..BASE
    },
    Tool {
        name: "Streamlit",
        program: &["streamlit"],
        subcommand: &["run"],
        default_port: Some(8501),
        env: &["STREAMLIT_SERVER_PORT"],
        flags: &["--server.port"],
        value_flags: &["--server.address", "--server.baseUrlPath", "--global.developmentMode"],
        inject: Inject::Flag("--server.port"),
        on_taken: OnTaken::Moves,
        // the script's own arguments follow it (after `--`): the flag goes right after `run`
        flags_first: true,
        source: "verified here: streamlit 1.67.0 `streamlit run --help`: --server.port (env \
                 STREAMLIT_SERVER_PORT, default 8501); moves to 8502 silently unless a port was set, then \
                 \"Port 8501 is not available\"",
        ..BASE
    },
    Tool {
        name: "Gradio (reload mode)",
        program: &["gradio"],
        other_commands: &["deploy", "environment", "cc", "upload-theme", "sketch", "info"],
        default_port: Some(7860),
        env: &["GRADIO_SERVER_PORT"],
        // no port flag: launch() reads the variable as the start of its scan
        inject: Inject::Env,
        on_taken: OnTaken::Moves,
        source: "verified here: gradio 6.31.0: GRADIO_SERVER_PORT (default 7860), no CLI port flag; moves to the \
                 next free port in 7860..7959 silently",
        ..BASE
    },
    Tool {
        name: "Panel",
        program: &["panel"],
        subcommand: &["serve"],
        default_port: Some(5006),
        flags: &["--port"],
        value_flags: &[
            "--address",
            "--unix-socket",
            "--allow-websocket-origin",
            "--prefix",
            "--log-level",
            "--num-procs",
            "--index",
            "--static-dirs",
            "--glob",
        ],
        inject: Inject::Flag("--port"),
        // `--args` takes every word after it for the apps: the flag goes right after `serve`
        flags_first: true,
        source: "verified here: panel 1.9.4 `panel serve --help`: --port (default 5006; 0 = random), --address; \
                 fails: \"Cannot start Bokeh server, port 5006 is already in use\"",
        ..BASE
    },
    Tool {
        name: "Bokeh",
        program: &["bokeh"],
        subcommand: &["serve"],
        default_port: Some(5006),
        flags: &["--port"],
        value_flags: &[
            "--address",
            "--unix-socket",
            "--allow-websocket-origin",
            "--prefix",
            "--log-level",
            "--num-procs",
            "--index",
            "--glob",
        ],
        inject: Inject::Flag("--port"),
        flags_first: true,
        source: "verified here: bokeh 3.9.2 `bokeh serve --help`: --port (default 5006), --address, --args \
                 last; fails: \"Cannot start Bokeh server, port 5006 is already in use\"",
        ..BASE
    },
    Tool { name: "JupyterLab", program: &["jupyter"], subcommand: &["lab"], ..JUPYTER },
    Tool { name: "JupyterLab", program: &["jupyter-lab"], ..JUPYTER },
    Tool { name: "Jupyter Notebook", program: &["jupyter"], subcommand: &["notebook"], ..JUPYTER },
    Tool { name: "Jupyter Notebook", program: &["jupyter-notebook"], ..JUPYTER },
    Tool { name: "Jupyter Server", program: &["jupyter"], subcommand: &["server"], ..JUPYTER },
    Tool { name: "Jupyter Server", program: &["jupyter-server"], ..JUPYTER },
    Tool {
        name: "Voilà",
        program: &["voila"],
        default_port: Some(8866),
        flags: &["--port", "--Voila.port"],
        value_flags: &["--Voila.ip", "--template", "--theme", "--base_url", "--Voila.root_dir"],
        inject: Inject::Flag("--port"),
        strict: &["--Voila.port_retries=0"],
        on_taken: OnTaken::Moves,
        source: "verified here: voila 0.5.13 `voila --help-all`: --port/--Voila.port (default 8866); moves \
                 (+1) even with --port: \"The port 8866 is already in use, trying another port.\"",
        ..BASE
    },
    Tool {
        name: "marimo",
        program: &["marimo"],
        subcommand: &["edit", "run"],
        default_port: Some(2718),
        flags: &["-p", "--port"],
        value_flags: &["--host", "--base-url", "--token-password", "--session-ttl", "--proxy", "--watch-dir"],
        // a port given with -p is strict (fails with uvicorn's error); without, it moves silently
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: marimo 0.25.2 marimo/_server/start.py: -p/--port (default 2718, else \
                 find_free_port +1 silently), --host",
        ..BASE
    },
    Tool {
        name: "live-server",
        program: &["live-server"],
        default_port: Some(8080),
        env: &["PORT"],
        flags: &["--port"],
        // reads --port only as --port=N (`--port N` takes N for the folder); no strict flag: it
        // moves to a random port even from an explicit --port=
        inject: Inject::FlagEquals("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: live-server 1.2.2 live-server.js/index.js: --port=NUMBER (default 8080; PORT \
                 below it); moves: \"http://127.0.0.1:8080 is already in use. Trying another port.\"",
        ..BASE
    },
    Tool {
        name: "Browsersync",
        program: &["browser-sync"],
        subcommand: &["start"],
        default_port: Some(3000),
        flags: &["--port"],
        value_flags: &[
            "--proxy",
            "--ui-port",
            "--listen",
            "--host",
            "-f",
            "--files",
            "--index",
            "--ss",
            "--serveStatic",
            "-c",
            "--config",
            "-b",
            "--browser",
            "--startPath",
            "--logLevel",
            "--tunnel",
            "--reload-delay",
            "--reload-debounce",
            "--extensions",
            "--cwd",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: browser-sync 3.0.4 `browser-sync start --help`: --port (default 3000), \
                 --ui-port (3001); moves (+1) silently even with --port",
        ..BASE
    },
    Tool {
        name: "Eleventy (--serve)",
        program: &["eleventy", "@11ty/eleventy"],
        needs: &["--serve"],
        default_port: Some(8080),
        flags: &["--port"],
        value_flags: &[
            "--input",
            "--output",
            "--config",
            "--formats",
            "--pathprefix",
            "--to",
            "--incremental",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: @11ty/eleventy 3.1.8 `eleventy --help`: --serve, --port (default 8080); moves \
                 (+1, 10 tries) silently even with --port",
        ..BASE
    },
    Tool {
        name: "VitePress",
        program: &["vitepress"],
        other_commands: &["build", "preview", "serve", "init"],
        default_port: Some(5173),
        flags: &["--port"],
        value_flags: &["--host", "--base", "--open", "--outDir"],
        inject: Inject::Flag("--port"),
        strict: &["--strictPort"],
        on_taken: OnTaken::Moves,
        source: "verified here: vitepress 1.6.4 `vitepress dev --help`: --port, --strictPort (Vite's), default \
                 5173; `vitepress [root]` is dev too",
        ..BASE
    },
    Tool {
        name: "Rsbuild",
        program: &["rsbuild"],
        subcommand: &["dev"],
        default_port: Some(3000),
        flags: &["--port"],
        value_flags: &[
            "--host",
            "-c",
            "--config",
            "-m",
            "--mode",
            "--env-mode",
            "--env-dir",
            "-r",
            "--root",
            "--environment",
            "--log-level",
            "--open",
        ],
        inject: Inject::Flag("--port"),
        strict: &["--strict-port"],
        on_taken: OnTaken::Moves,
        source: "verified here: @rsbuild/core 2.3.2 `rsbuild dev --help`: --port (default 3000, PORT not read), \
                 --strict-port; moves: \"port 3000 is in use, using port 3001.\"",
        ..BASE
    },
    Tool {
        name: "Rspack dev server",
        program: &["rspack"],
        subcommand: &["serve", "dev", "s", "server"],
        default_port: Some(8080),
        flags: &["--port"],
        value_flags: &["-c", "--config", "--host", "-m", "--mode", "--env", "--entry", "-o", "--output-path"],
        // an explicit --port is strict (fails with EADDRINUSE); without, it moves silently
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: @rspack/cli 2.2.8 + @rspack/dev-server 2.2.2 `rspack serve --help`: --port \
                 (default 8080); moves to 8081 silently unless --port was given",
        ..BASE
    },
    Tool {
        name: "Parcel",
        program: &["parcel"],
        other_commands: &["build", "watch"],
        default_port: Some(1234),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &[
            "--host",
            "--hmr-port",
            "--hmr-host",
            "--dist-dir",
            "--cache-dir",
            "--public-url",
            "--target",
            "--config",
            "--cert",
            "--key",
            "--log-level",
            "--reporter",
            "--lazy",
            "--watch-dir",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: parcel 2.16.4 `parcel serve --help`: -p/--port \"defaults to $PORT or 1234\"; \
                 moves to a random port unless -p or PORT is given, then: Port \"1234\" could not be used",
        ..BASE
    },
    Tool {
        name: "Wrangler dev",
        program: &["wrangler"],
        subcommand: &["dev"],
        default_port: Some(8787),
        flags: &["--port"],
        value_flags: &[
            "--ip",
            "--inspector-port",
            "-c",
            "--config",
            "-e",
            "--env",
            "--name",
            "--compatibility-date",
            "--local-protocol",
            "--var",
            "--define",
            "--persist-to",
            "--site",
            "--routes",
            "--host",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: wrangler 4.86.0 `wrangler dev --help`: --port (default 8787), --ip; moves to a \
                 random port silently unless --port was given, then \"Address already in use (127.0.0.1:8787)\"",
        ..BASE
    },
    Tool {
        name: "Gatsby develop",
        program: &["gatsby"],
        subcommand: &["develop"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &["-H", "--host", "-c", "--cert-file", "-k", "--key-file", "--ca-file", "--inspect"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Asks,
        source: "www.gatsbyjs.com/docs/reference/gatsby-cli/#develop: -p/--port (default 8000), -H/--host; asks \
                 \"Something is already running at port 8000\" (gatsby issues 24854, 25621)",
        ..BASE
    },
    Tool {
        name: "Gatsby serve",
        program: &["gatsby"],
        subcommand: &["serve"],
        default_port: Some(9000),
        flags: &["-p", "--port"],
        value_flags: &["-H", "--host", "--prefix-paths"],
        inject: Inject::Flag("--port"),
        source: "www.gatsbyjs.com/docs/reference/gatsby-cli/#serve: -p/--port (default 9000), -H/--host",
        ..BASE
    },
    Tool {
        name: "Docusaurus start",
        program: &["docusaurus"],
        subcommand: &["start"],
        default_port: Some(3000),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &["-h", "--host", "-l", "--locale", "--config"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Asks,
        source: "verified here: @docusaurus/core 3.10.2 `docusaurus start --help` and utils/lib/constants.js \
                 (PORT or 3000); asks at a terminal, off one exits 0: \"Something is already running on port 3000.\"",
        ..BASE
    },
    Tool {
        name: "Docusaurus serve",
        program: &["docusaurus"],
        subcommand: &["serve"],
        default_port: Some(3000),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &["-h", "--host", "--dir", "--config"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "docusaurus.io/docs/cli#docusaurus-serve-sitedir: -p/--port (default 3000), -h/--host; moves to \
                 the next port (facebook/docusaurus PR 5311)",
        ..BASE
    },
    Tool {
        name: "Vue CLI",
        program: &["vue-cli-service"],
        subcommand: &["serve"],
        default_port: Some(8080),
        env: &["PORT"],
        flags: &["--port"],
        value_flags: &["--host", "--mode", "--public", "--open", "--copy"],
        inject: Inject::Flag("--port"),
        // portfinder scans from any port, an explicit one too: no strict flag exists
        on_taken: OnTaken::Moves,
        source: "verified here: @vue/cli-service 5.0.9 lib/commands/serve.js: --port || PORT || devServer.port \
                 || 8080; moves (+1) silently even with --port",
        ..BASE
    },
    Tool {
        name: "Quasar dev",
        program: &["quasar"],
        subcommand: &["dev"],
        // 9000 in older app-vite, 8080 in newer: no default we can trust
        flags: &["-p", "--port"],
        value_flags: &["-m", "--mode", "-T", "--target", "-H", "--hostname", "-e", "--emulator", "--ide"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "quasar.dev/quasar-cli-vite/commands-list#dev: quasar dev -p/--port, -H/--hostname; picks the \
                 next free port by itself (quasar-testing#196)",
        ..BASE
    },
    Tool {
        name: "Ember CLI",
        program: &["ember"],
        subcommand: &["serve", "server", "s"],
        default_port: Some(4200),
        flags: &["--port", "-p"],
        value_flags: &[
            "--host",
            "-H",
            "-e",
            "--environment",
            "-op",
            "--output-path",
            "-pr",
            "--proxy",
            "-lrp",
            "--live-reload-port",
            "--path",
        ],
        inject: Inject::Flag("--port"),
        source: "cli.emberjs.com/release/basic-use/cli-commands/#serve: ember serve --port (default 4200; 0 = a \
                 free port), --host",
        ..BASE
    },
    Tool {
        name: "Expo",
        program: &["expo"],
        subcommand: &["start"],
        default_port: Some(8081),
        env: &["RCT_METRO_PORT"],
        flags: &["-p", "--port"],
        value_flags: &["--host", "-m"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Asks,
        source: "docs.expo.dev/more/expo-cli/#develop: npx expo start --port (default 8081, RCT_METRO_PORT); \
                 asks \"Port 8081 is being used by another process\"",
        ..BASE
    },
    Tool {
        name: "React Native (Metro)",
        program: &["react-native", "rnc-cli"],
        subcommand: &["start"],
        default_port: Some(8081),
        env: &["RCT_METRO_PORT"],
        flags: &["--port"],
        value_flags: &["--host", "--config", "--projectRoot", "--watchFolders", "--max-workers"],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Asks,
        source: "reactnative.dev/docs/environment-setup and @react-native-community/cli docs/commands.md#start: \
                 --port (default 8081, RCT_METRO_PORT), --host",
        ..BASE
    },
    Tool {
        name: "Netlify dev",
        program: &["netlify", "ntl"],
        subcommand: &["dev"],
        default_port: Some(8888),
        flags: &["-p", "--port"],
        value_flags: &[
            "--target-port",
            "-c",
            "--command",
            "-d",
            "--dir",
            "-f",
            "--functions",
            "--framework",
            "--context",
            "--functions-port",
            "--geo",
            "--country",
            "--filter",
        ],
        // an explicit --port is strict: "Could not acquire required 'port'"
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "cli.netlify.com/commands/dev: -p/--port (proxy, default 8888), --target-port; moves unless the \
                 port was given (netlify/cli #898, #6498)",
        ..BASE
    },
    Tool {
        name: "Vercel dev",
        program: &["vercel", "vc"],
        subcommand: &["dev"],
        default_port: Some(3000),
        flags: &["-l", "--listen"],
        bind_flags: &["-l", "--listen"],
        value_flags: &["--cwd", "-A", "--local-config", "-S", "--scope", "-t", "--token"],
        inject: Inject::Flag("--listen"),
        on_taken: OnTaken::Moves,
        source: "vercel.com/docs/cli/dev: --listen/-l [host:]port (default 3000); moves: \"Requested port 3000 \
                 is already in use\" (vercel/vercel PR 2032)",
        ..BASE
    },
    Tool {
        name: "firebase serve",
        program: &["firebase"],
        subcommand: &["serve"],
        default_port: Some(5000),
        flags: &["-p", "--port"],
        value_flags: &["-o", "--host", "--only", "--except", "-P", "--project"],
        inject: Inject::Flag("--port"),
        source: "firebase.google.com/docs/cli#serve_using_hosting_emulator: firebase serve --port/-p (default \
                 5000), --host/-o",
        ..BASE
    },
    Tool {
        name: "rackup",
        program: &["rackup"],
        default_port: Some(9292),
        flags: &["-p", "--port"],
        value_flags: &[
            "-o",
            "--host",
            "-s",
            "--server",
            "-E",
            "--env",
            "-I",
            "--include",
            "-r",
            "--require",
            "-P",
            "--pid",
            "-O",
            "--option",
            "-e",
            "--eval",
        ],
        inject: Inject::Flag("--port"),
        source: "github.com/rack/rackup README and lib/rackup/server.rb: -p/--port (default 9292), -o/--host; \
                 the handler's bind error (puma: Errno::EADDRINUSE)",
        ..BASE
    },
    Tool {
        name: "Trunk",
        program: &["trunk"],
        subcommand: &["serve"],
        default_port: Some(8080),
        env: &["TRUNK_SERVE_PORT"],
        flags: &["--port"],
        value_flags: &[
            "--address",
            "--config",
            "-d",
            "--dist",
            "--public-url",
            "--proxy-backend",
            "-w",
            "--watch",
            "-i",
            "--ignore",
            "--features",
        ],
        inject: Inject::Flag("--port"),
        source: "trunkrs.dev/configuration/: trunk serve --port (default 8080, TRUNK_SERVE_PORT), --address",
        ..BASE
    },
    Tool {
        name: "Dioxus (dx serve)",
        program: &["dx"],
        subcommand: &["serve"],
        default_port: Some(8080),
        flags: &["--port"],
        value_flags: &[
            "--addr",
            "--platform",
            "-p",
            "--package",
            "--bin",
            "--example",
            "--features",
            "--profile",
            "--target",
            "--arch",
        ],
        inject: Inject::Flag("--port"),
        source: "dioxuslabs.com/learn/0.6/CLI (dx serve --port, default 8080, --addr); bind error: \"Failed to \
                 bind to 127.0.0.1:8080: Address already in use\" (DioxusLabs/dioxus #1945, #3790)",
        ..BASE
    },
    // ---- issue 11 items 5/6: tools run end to end here (tests/cli/tools.rs) that had no row;
    // "here" = `--help` or source of the version pinned in tests/tools/ or Debian 12's package ----
    Tool {
        name: "Quart",
        program: &["quart"],
        subcommand: &["run"],
        default_port: Some(5000),
        flags: &["-p", "--port"],
        value_flags: &["-h", "--host", "--certfile", "--cert", "--keyfile", "--key"],
        inject: Inject::Flag("--port"),
        source: "verified here: quart 0.22.0 `quart run --help`: -p, --port INTEGER, -h, --host; default \
                 127.0.0.1:5000; fails with OSError [Errno 98]",
        ..BASE
    },
    Tool {
        name: "aiohttp.web",
        program: &["aiohttp.web"],
        default_port: Some(8080),
        flags: &["-P", "--port"],
        value_flags: &["-H", "--hostname", "-U", "--path"],
        inject: Inject::Flag("--port"),
        source: "verified here: aiohttp 3.14.5 `python -m aiohttp.web --help`: -P PORT, --port PORT (default: \
                 8080), -H/--hostname (default localhost), entry-func module:function",
        ..BASE
    },
    Tool {
        name: "Bottle",
        program: &["bottle.py", "bottle"],
        default_port: Some(8080),
        bind_flags: &["-b", "--bind"],
        // -p is --plugin here, not a port
        value_flags: &["-s", "--server", "-p", "--plugin", "-c", "--conf", "-C", "--param"],
        inject: Inject::Bind("--bind", "127.0.0.1"),
        source: "verified here: bottle 0.13.4 `bottle.py --help`: -b ADDRESS, --bind ADDRESS (host[:port]; \
                 main(): host, port = args.bind or 'localhost', 8080); fails with OSError [Errno 98]",
        ..BASE
    },
    Tool {
        name: "twistd web",
        program: &["twistd"],
        subcommand: &["web"],
        default_port: Some(8080),
        flags: &["--port"],
        bind_flags: &["--listen"],
        value_flags: &[
            "-l",
            "--logfile",
            "--pidfile",
            "-d",
            "--rundir",
            "-u",
            "--uid",
            "-g",
            "--gid",
            "--umask",
            "-r",
            "--reactor",
            "--logger",
            "--path",
            "--wsgi",
            "--class",
            "--resource-script",
            "--mime-type",
            "--add-header",
        ],
        // strports: tcp:N (each --listen adds a listener; without one it listens on tcp:8080)
        inject: Inject::Bind("--listen", "tcp"),
        last_port_wins: false,
        source: "verified here: Twisted 26.10.0 `twistd web --help`: --listen= strports description (tcp:8080 \
                 when none), -p/--port deprecated; fails: \"CannotListenError: Couldn't listen on any:8080\"",
        ..BASE
    },
    Tool {
        name: "pdoc",
        program: &["pdoc"],
        default_port: Some(8080),
        flags: &["-p", "--port"],
        value_flags: &[
            "-h",
            "--host",
            "-o",
            "--output-directory",
            "-t",
            "--template-directory",
            "-d",
            "--docformat",
            "--footer-text",
            "--logo",
            "--logo-link",
            "--favicon",
            "-e",
            "--edit-url",
        ],
        // without -p it takes a random port when 8080 is taken; a given -p is strict
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: pdoc 16.0.0 pdoc/__main__.py: -p/--port (opts.port or 8080, then port 0 on \
                 OSError), -h/--host localhost; with -p: \"Cannot start web server on localhost:N\"",
        ..BASE
    },
    Tool {
        name: "esbuild --serve",
        program: &["esbuild"],
        needs: &["--serve"],
        default_port: Some(8000),
        // only --serve=PORT (or --serve=HOST:PORT); a bare --serve picks 8000 or the next free one
        flags: &["--serve"],
        inject: Inject::FlagEquals("--serve"),
        on_taken: OnTaken::Moves,
        source: "verified here: esbuild 0.28.2: --serve (8000, else the next free port, silently), \
                 --serve=PORT strict: \"listen tcp4 0.0.0.0:8000: bind: address already in use\"; the last \
                 --serve wins; ends when stdin closes",
        ..BASE
    },
    Tool {
        name: "local-web-server",
        program: &["ws", "lws"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &["--hostname", "-d", "--directory", "--config-file", "--stack", "--key", "--cert"],
        inject: Inject::Flag("--port"),
        source: "verified here: local-web-server 5.4.0 `ws --help`: --port, -p number (default 8000), \
                 --hostname; fails with EADDRINUSE",
        ..BASE
    },
    Tool {
        name: "Web Dev Server",
        program: &["wds", "web-dev-server"],
        default_port: Some(8000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-h",
            "--hostname",
            "-r",
            "--root-dir",
            "--base-path",
            "-c",
            "--config",
            "--app-index",
        ],
        inject: Inject::Flag("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: @web/dev-server 0.4.6 `wds --help`: -p, --port number, -h, --hostname; 8000 \
                 or the next free port when none is given",
        ..BASE
    },
    Tool {
        name: "sirv",
        program: &["sirv"],
        default_port: Some(8080),
        env: &["PORT"],
        flags: &["-p", "--port"],
        value_flags: &["-m", "--maxage", "-C", "--cert", "-K", "--key", "--pass", "--cacert"],
        inject: Inject::Flag("--port"),
        // get-port: moves from any port, a given one too ("Port 8080 is taken; using N instead")
        on_taken: OnTaken::Moves,
        source: "verified here: sirv-cli 3.0.1 `sirv --help` and index.js: -p, --port (default 8080), \
                 +(PORT || opts.port); \"Port 8080 is taken; using N instead\"",
        ..BASE
    },
    Tool {
        name: "Five Server",
        program: &["five-server"],
        default_port: Some(5500),
        flags: &["--port"],
        // reads --port=N only; moves to a random port even from a given one
        inject: Inject::FlagEquals("--port"),
        on_taken: OnTaken::Moves,
        source: "verified here: five-server 0.4.5 lib/bin.js (--port= only) and lib/index.js (port = 5500; \
                 \"Port 5500 is already in use. Trying another port.\", then listen(0))",
        ..BASE
    },
    Tool {
        name: "Thin",
        program: &["thin"],
        subcommand: &["start"],
        default_port: Some(3000),
        flags: &["-p", "--port"],
        value_flags: &[
            "-a",
            "--address",
            "-R",
            "--rackup",
            "-c",
            "--chdir",
            "-e",
            "--environment",
            "-S",
            "--socket",
            "-A",
            "--adapter",
            "-P",
            "--pid",
            "-l",
            "--log",
            "-t",
            "--timeout",
            "-u",
            "--user",
            "-g",
            "--group",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: thin 1.8.1 (Debian 12) `thin --help`: -p, --port PORT (default: 3000), -a, \
                 --address HOST (0.0.0.0); fails: \"no acceptor (port is in use or requires root privileges)\"",
        ..BASE
    },
    Tool {
        name: "plackup",
        program: &["plackup"],
        default_port: Some(5000),
        flags: &["-p", "--port"],
        bind_flags: &["-l", "--listen"],
        value_flags: &[
            "-o",
            "--host",
            "-s",
            "--server",
            "-E",
            "--env",
            "-e",
            "-M",
            "-I",
            "-a",
            "--app",
            "-R",
            "-L",
            "--loader",
            "--access-log",
            "--path",
        ],
        inject: Inject::Flag("--port"),
        source: "verified here: libplack-perl 1.0050 (Debian 12) `plackup --help`: -p, --port (Defaults to \
                 5000), -o, --host, --listen; fails: \"failed to listen to port 5000: Address already in use\"",
        ..BASE
    },
    Tool {
        name: "Mojolicious morbo",
        program: &["morbo"],
        default_port: Some(3000),
        bind_flags: &["-l", "--listen"],
        value_flags: &["-b", "--backend", "-m", "--mode", "-w", "--watch"],
        // -l takes a URL; each -l adds a listener
        inject: Inject::Bind("--listen", "http://127.0.0.1"),
        last_port_wins: false,
        source: "verified here: libmojolicious-perl 9.31 (Debian 12) `morbo --help`: -l, --listen <location> \
                 (MOJO_LISTEN or \"http://*:3000\"); a watcher; fails: \"Can't create listen socket: Address \
                 already in use\"",
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
                Inject::Flag(f) | Inject::FlagEquals(f) => {
                    assert!(t.flags.contains(&f), "{}: inject flag {f} not in flags", t.name);
                }
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
