//! Static file servers, mock APIs, JavaScript runtimes serving a file, and hosting platforms'
//! local emulators.

use super::{BASE, Inject, OnTaken, Tool};

/// Rows of this family, in match order.
pub(super) const ROWS: &[Tool] = &[
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
];
