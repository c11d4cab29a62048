//! Python documentation servers, data apps and notebooks.

use super::{BASE, Inject, OnTaken, Tool};

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

/// Rows of this family, in match order.
pub(super) const ROWS: &[Tool] = &[
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
];
