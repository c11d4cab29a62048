//! Real dev servers under `portfix -- TOOL` with the tool's *default* port taken (issues 6 and
//! 11): 68 commands across Python (WSGI/ASGI servers, web frameworks, docs builders, data apps),
//! Node (static servers, bundlers, watchers, runtimes: Node, Deno, Bun), PHP, Ruby, Perl, Go and
//! C servers, each in `--next`, `--kill`, CI (`CI=1`, no policy) and both prompt modes; and the
//! opt-in heavy suite (`mod heavy`: Next.js, SvelteKit, React Router, Astro, Wrangler, Jupyter, Voilà, Streamlit, Gradio,
//! Panel, marimo). The README's "Recognised tools" says which are verified and the known gaps.
//!
//! Fixed default ports are safe only in a private network namespace: every case runs
//! `tests/tools/driver.py` under `unshare -n` (loopback up). The driver starts the holder, runs
//! portfix, waits (bounded) for the port file and the confirmation line, fetches the tool's page
//! over HTTP, reads from /proc who listens where, ends every process by pid, and writes those
//! facts as JSON; the assertions are here. The project each tool serves is made at run time in a
//! temporary directory (a Django project by `django-admin startproject`, a Flask app, a
//! package.json whose `dev` script is `vite`, an index.html), and its page carries a marker, so
//! that an answer from anything else (the holder never answers) does not pass.
//!
//! The driver is the leader of the process group that `harness::spawn` kills on drop, and the
//! holder and portfix are in it: a test that fails or times out leaves nothing behind (portfix's
//! own command tree ends with portfix), and the namespace goes with its last process.
//!
//! The tools come from `scripts/test`, pinned and project-local: the Python ones in a venv,
//! the Node ones in an npm folder, both under `target/test-tools/` (the harness puts their
//! bin folders first on `PATH`), the PHP, Ruby, Perl, Go and C ones from Debian packages; the
//! heavy suite's under `target/test-tools/heavy/` with `PORTFIX_HEAVY_TOOLS=1`. A case whose
//! tool is missing fails saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use expectrl::session::OsSession as Session;
use expectrl::{Eof, Expect, Regex};
use serde_json::Value;

use crate::harness::{need_tool, portfix_env, spawn, test_path, test_tools};

/// The bound on each wait inside a case (a tool's start, the port file, the page). Vite and
/// Django take a few seconds when the machine is busy.
const WAIT_SECS: u64 = 30;

/// The bound on a whole case: the holder's start, portfix's, the fetch, and the teardown.
const CASE_LIMIT: Duration = Duration::from_secs(4 * WAIT_SECS);

/// The tools, each with the project it serves.
#[derive(Debug, Clone, Copy)]
enum Tool {
    HttpServer,
    Flask,
    Django,
    /// `runserver` with its autoreloader: the server is the reloader's child.
    DjangoReloading,
    Vite,
    NodeHttpServer,
    NpmRunDev,
    /// Vite started by a script portfix cannot see into (`./dev.sh`): the port it wants is
    /// unknown, nothing is injected, and Vite moves by itself.
    ViteBehindScript,
    // issue 11: WSGI/ASGI servers over one tiny app, static-site servers over an index.html
    Waitress,
    Hypercorn,
    Daphne,
    /// Granian: its worker process (a multiprocessing child) holds the socket too.
    Granian,
    Datasette,
    MkDocs,
    /// `fastapi dev`: uvicorn's reloader, whose child serves on the parent's socket.
    FastapiDev,
    LiveServer,
    Eleventy,
    BrowserSync,
    // issue 11 items 5/6: Python web frameworks, servers and docs tools
    Uvicorn,
    /// `uvicorn --reload`: the reloader's child (a multiprocessing child) serves on its socket.
    UvicornReload,
    /// gunicorn: its workers share the master's socket; it retries a taken port.
    Gunicorn,
    /// Sanic: its worker is a multiprocessing child sharing the socket.
    Sanic,
    Litestar,
    Quart,
    /// `python -m aiohttp.web module:function`
    Aiohttp,
    /// `bottle.py module:app`
    Bottle,
    /// A Tornado app as people write it: `python app.py --port=8888` (tornado.options).
    Tornado,
    /// `twistd -n web --path .` (Twisted's static web server)
    Twistd,
    SphinxAutobuild,
    /// `pelican --listen` over a site built at set-up.
    Pelican,
    BokehServe,
    /// pdoc: moves to a random port by itself when 8080 is taken and no port was given.
    Pdoc,
    /// `python -m pydoc -p 8000`: no row; the port written in the command is the wanted one.
    Pydoc,
    /// `flask run --debug`: Werkzeug's reloader, whose child serves.
    FlaskDebug,
    // Node: static servers, bundlers, watchers and runtimes
    Serve,
    WebpackServe,
    WebpackDevServer,
    Parcel,
    Rsbuild,
    /// `esbuild --serve`: it ends when its stdin closes, so its stdin is a pipe kept open.
    Esbuild,
    JsonServer,
    /// local-web-server (`ws`)
    LocalWebServer,
    /// @web/dev-server (`wds`)
    WebDevServer,
    Sirv,
    Rspack,
    VitePress,
    VitePreview,
    /// An Express-like Node server reading `PORT` (no row: portfix learns the port from Node's
    /// bind error), plain, under nodemon, under `node --watch`, through tsx and `npm start`.
    NodeServer,
    Nodemon,
    NodeWatch,
    Tsx,
    TsxWatch,
    NpmStart,
    /// `bun server.ts` over `Bun.serve()` (3000; bun's bind error names the port).
    Bun,
    DenoServe,
    /// `deno run server.ts --port 8000`: the port is the script's own argument.
    DenoRun,
    // Debian packages: PHP, Ruby, Perl, Go and C servers
    /// `php -S localhost:8000`
    PhpServer,
    /// `ruby -run -e httpd . -p 8000` (un.rb)
    RubyHttpd,
    Jekyll,
    /// `hugo server`: moves by itself unless given --port.
    Hugo,
    Rackup,
    /// puma over config.ru (no default assumed: its bind error names the port).
    Puma,
    Thin,
    /// A Sinatra app: `ruby app.rb -p 4567`.
    Sinatra,
    Plackup,
    /// Mojolicious' `morbo`: a watcher whose manager and worker both hold the socket.
    Morbo,
    /// `go run main.go` over net/http reading `PORT`.
    GoRun,
    /// `busybox httpd -f -p 8000`
    BusyboxHttpd,
    /// `webfsd -F -p 8000`
    Webfsd,
    /// `caddy file-server --listen :8000`
    Caddy,
    // the heavy suite (opt-in: over a minute to install, or hundreds of MB): data apps,
    // notebooks, meta-frameworks, an edge emulator
    /// `next dev` (Turbopack) over an app/ page; node_modules linked from the heavy npm folder.
    NextDev,
    /// `npm run dev` over `vite dev` with SvelteKit's plugin (the Vite row).
    SvelteKit,
    /// `npm run dev` over `react-router dev` (framework mode).
    ReactRouter,
    AstroDev,
    /// `wrangler dev`: workerd serves a Worker locally.
    WranglerDev,
    JupyterLab,
    JupyterNotebook,
    /// Voilà over a notebook with one Markdown cell (it starts a kernel).
    Voila,
    /// `streamlit run`: moves to 8502 by itself unless given a port.
    Streamlit,
    /// `gradio app.py` (reload mode): only `GRADIO_SERVER_PORT`; moves by itself.
    Gradio,
    PanelServe,
    MarimoEdit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Next,
    Kill,
    Prompt,
    /// No policy, `CI=1`, off a terminal: portfix refuses with exit 3.
    Ci,
}

/// What holds the default port before portfix starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// A plain Python socket on the dual-stack wildcard (it never answers HTTP).
    Foreign,
    /// The same command, started earlier in the same directory, serving its page.
    Earlier,
}

/// A tool's project, made in a temporary directory, and how to run the tool there.
struct Project {
    tool: Tool,
    root: tempfile::TempDir,
    command: Vec<&'static str>,
    default: u16,
    marker: &'static str,
    /// The page fetched (where the tool serves the marker).
    path: &'static str,
    /// The tool ends when its stdin closes: off a terminal it gets a pipe kept open.
    stdin_open: bool,
    /// Variables for the tool (its telemetry and update checks off).
    env: Vec<(&'static str, &'static str)>,
}

impl Project {
    fn dir(&self) -> PathBuf {
        self.root.path().join("project")
    }
    fn run_dir(&self) -> PathBuf {
        self.root.path().join("run")
    }
}

const MARKER: &str = "portfix-e2e-page";

fn index_html() -> String {
    format!("<!doctype html><html><head><title>e2e</title></head><body><p>{MARKER}</p></body></html>\n")
}

fn project(tool: Tool) -> Project {
    need_tool(match tool {
        Tool::HttpServer => "python3",
        Tool::Flask => "flask",
        Tool::Django | Tool::DjangoReloading => "django-admin",
        Tool::Vite | Tool::NpmRunDev | Tool::ViteBehindScript => "vite",
        Tool::NodeHttpServer => "http-server",
        Tool::Waitress => "waitress-serve",
        Tool::Hypercorn => "hypercorn",
        Tool::Daphne => "daphne",
        Tool::Granian => "granian",
        Tool::Datasette => "datasette",
        Tool::MkDocs => "mkdocs",
        Tool::FastapiDev => "fastapi",
        Tool::LiveServer => "live-server",
        Tool::Eleventy => "eleventy",
        Tool::BrowserSync => "browser-sync",
        Tool::Uvicorn | Tool::UvicornReload => "uvicorn",
        Tool::Gunicorn => "gunicorn",
        Tool::Sanic => "sanic",
        Tool::Litestar => "litestar",
        Tool::Quart => "quart",
        Tool::Aiohttp | Tool::Tornado | Tool::Pydoc => "python",
        Tool::Bottle => "bottle.py",
        Tool::Twistd => "twistd",
        Tool::SphinxAutobuild => "sphinx-autobuild",
        Tool::Pelican => "pelican",
        Tool::BokehServe => "bokeh",
        Tool::Pdoc => "pdoc",
        Tool::FlaskDebug => "flask",
        Tool::Serve => "serve",
        Tool::WebpackServe => "webpack",
        Tool::WebpackDevServer => "webpack-dev-server",
        Tool::Parcel => "parcel",
        Tool::Rsbuild => "rsbuild",
        Tool::Esbuild => "esbuild",
        Tool::JsonServer => "json-server",
        Tool::LocalWebServer => "ws",
        Tool::WebDevServer => "wds",
        Tool::Sirv => "sirv",
        Tool::Rspack => "rspack",
        Tool::VitePress => "vitepress",
        Tool::VitePreview => "vite",
        Tool::NodeServer | Tool::NodeWatch => "node",
        Tool::Nodemon => "nodemon",
        Tool::Tsx | Tool::TsxWatch => "tsx",
        Tool::NpmStart => "npm",
        Tool::Bun => "bun",
        Tool::DenoServe | Tool::DenoRun => "deno",
        Tool::PhpServer => "php",
        Tool::RubyHttpd | Tool::Sinatra => "ruby",
        Tool::Jekyll => "jekyll",
        Tool::Hugo => "hugo",
        Tool::Rackup => "rackup",
        Tool::Puma => "puma",
        Tool::Thin => "thin",
        Tool::Plackup => "plackup",
        Tool::Morbo => "morbo",
        Tool::GoRun => "go",
        Tool::BusyboxHttpd => "busybox",
        Tool::Webfsd => "webfsd",
        Tool::Caddy => "caddy",
        Tool::NextDev => "next",
        Tool::SvelteKit | Tool::ReactRouter => "npm",
        Tool::AstroDev => "astro",
        Tool::WranglerDev => "wrangler",
        Tool::JupyterLab | Tool::JupyterNotebook => "jupyter",
        Tool::Voila => "voila",
        Tool::Streamlit => "streamlit",
        Tool::Gradio => "gradio",
        Tool::PanelServe => "panel",
        Tool::MarimoEdit => "marimo",
    });
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(root.path().join("run")).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let (mut path, mut stdin_open, mut env) = ("/", false, Vec::new());
    // a framework project resolves its packages from its own node_modules
    let link_node_modules = || {
        std::os::unix::fs::symlink(test_tools().join("heavy/npm/node_modules"), dir.join("node_modules"))
            .unwrap();
    };
    let (command, default, marker): (Vec<&str>, u16, &str) = match tool {
        Tool::HttpServer => {
            write("index.html", &index_html());
            (vec!["python3", "-m", "http.server"], 8000, MARKER)
        }
        Tool::Flask => {
            write(
                "app.py",
                &format!(
                    "from flask import Flask\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return '{MARKER}'\n"
                ),
            );
            (vec!["flask", "run"], 5000, MARKER)
        }
        Tool::Django | Tool::DjangoReloading => {
            let out = Command::new("django-admin")
                .env("PATH", test_path())
                .args(["startproject", "e2esite"])
                .arg(&dir)
                .stdin(Stdio::null())
                .output()
                .expect("django-admin runs (installed by scripts/test)");
            assert!(out.status.success(), "startproject: {}", String::from_utf8_lossy(&out.stderr));
            let command = match tool {
                Tool::Django => vec!["python", "manage.py", "runserver", "--noreload"],
                _ => vec!["python", "manage.py", "runserver"],
            };
            // DEBUG is on in a new project: its front page says so
            (command, 8000, "The install worked successfully")
        }
        Tool::Vite => {
            write("index.html", &index_html());
            (vec!["vite"], 5173, MARKER)
        }
        Tool::NodeHttpServer => {
            write("index.html", &index_html());
            (vec!["http-server"], 8080, MARKER)
        }
        Tool::NpmRunDev => {
            write("index.html", &index_html());
            write("package.json", r#"{ "name": "e2e", "private": true, "scripts": { "dev": "vite" } }"#);
            (vec!["npm", "run", "dev"], 5173, MARKER)
        }
        Tool::ViteBehindScript => {
            use std::os::unix::fs::PermissionsExt;
            write("index.html", &index_html());
            write("dev.sh", "#!/bin/sh\nexec vite\n");
            std::fs::set_permissions(dir.join("dev.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
            (vec!["./dev.sh"], 5173, MARKER)
        }
        Tool::Waitress => {
            write("app.py", &wsgi_app());
            (vec!["waitress-serve", "app:app"], 8080, MARKER)
        }
        Tool::Hypercorn | Tool::Daphne | Tool::Granian => {
            write("asgi.py", &asgi_app());
            let command = match tool {
                Tool::Hypercorn => vec!["hypercorn", "asgi:app"],
                Tool::Daphne => vec!["daphne", "asgi:app"],
                _ => vec!["granian", "--interface", "asgi", "asgi:app"],
            };
            (command, 8000, MARKER)
        }
        Tool::Datasette => {
            // no database: the front page shows the title from the metadata
            write("metadata.json", &format!("{{\"title\": \"{MARKER}\"}}"));
            (vec!["datasette", "--metadata", "metadata.json"], 8001, MARKER)
        }
        Tool::MkDocs => {
            std::fs::create_dir_all(dir.join("docs")).unwrap();
            write("mkdocs.yml", "site_name: e2e\n");
            write("docs/index.md", &format!("# {MARKER}\n"));
            (vec!["mkdocs", "serve"], 8000, MARKER)
        }
        Tool::FastapiDev => {
            write(
                "main.py",
                &format!(
                    "from fastapi import FastAPI\nfrom fastapi.responses import HTMLResponse\n\napp = FastAPI()\n\n\n@app.get('/', response_class=HTMLResponse)\ndef index():\n    return '{MARKER}'\n"
                ),
            );
            (vec!["fastapi", "dev", "main.py"], 8000, MARKER)
        }
        Tool::LiveServer => {
            write("index.html", &index_html());
            (vec!["live-server", "--no-browser"], 8080, MARKER)
        }
        Tool::Eleventy => {
            write("index.html", &index_html());
            (vec!["eleventy", "--serve"], 8080, MARKER)
        }
        Tool::BrowserSync => {
            write("index.html", &index_html());
            (vec!["browser-sync", "start", "--server", "--no-open"], 3000, MARKER)
        }
        Tool::Uvicorn | Tool::UvicornReload => {
            write("asgi.py", &asgi_app());
            let command = match tool {
                Tool::Uvicorn => vec!["uvicorn", "asgi:app"],
                _ => vec!["uvicorn", "--reload", "asgi:app"],
            };
            (command, 8000, MARKER)
        }
        Tool::Gunicorn => {
            write("app.py", &wsgi_app());
            (vec!["gunicorn", "app:app"], 8000, MARKER)
        }
        Tool::Sanic => {
            write(
                "server.py",
                &format!(
                    "from sanic import Sanic\nfrom sanic.response import html\n\napp = Sanic('e2e')\n\n\n@app.get('/')\nasync def index(request):\n    return html('{MARKER}')\n"
                ),
            );
            (vec!["sanic", "server:app"], 8000, MARKER)
        }
        Tool::Litestar => {
            write(
                "app.py",
                &format!(
                    "from litestar import Litestar, MediaType, get\n\n\n@get('/', media_type=MediaType.HTML)\nasync def index() -> str:\n    return '{MARKER}'\n\n\napp = Litestar([index])\n"
                ),
            );
            (vec!["litestar", "run"], 8000, MARKER)
        }
        Tool::Quart => {
            write(
                "app.py",
                &format!(
                    "from quart import Quart\n\napp = Quart(__name__)\n\n\n@app.route('/')\nasync def index():\n    return '{MARKER}'\n"
                ),
            );
            (vec!["quart", "run"], 5000, MARKER)
        }
        Tool::Aiohttp => {
            write(
                "web_app.py",
                &format!(
                    "from aiohttp import web\n\n\nasync def index(request):\n    return web.Response(text='{MARKER}', content_type='text/html')\n\n\ndef init(argv):\n    app = web.Application()\n    app.router.add_get('/', index)\n    return app\n"
                ),
            );
            (vec!["python", "-m", "aiohttp.web", "web_app:init"], 8080, MARKER)
        }
        Tool::Bottle => {
            write(
                "app.py",
                &format!(
                    "import bottle\n\napp = bottle.Bottle()\n\n\n@app.route('/')\ndef index():\n    return '{MARKER}'\n"
                ),
            );
            (vec!["bottle.py", "app:app"], 8080, MARKER)
        }
        Tool::Tornado => {
            write(
                "app.py",
                &format!(
                    "import asyncio\n\nimport tornado.web\nfrom tornado.options import define, options, parse_command_line\n\ndefine('port', default=8888)\n\n\nclass Main(tornado.web.RequestHandler):\n    def get(self):\n        self.write('{MARKER}')\n\n\nasync def main():\n    tornado.web.Application([(r'/', Main)]).listen(options.port)\n    await asyncio.Event().wait()\n\n\nparse_command_line()\nasyncio.run(main())\n"
                ),
            );
            (vec!["python", "app.py", "--port=8888"], 8888, MARKER)
        }
        Tool::Twistd => {
            write("index.html", &index_html());
            (vec!["twistd", "-n", "web", "--path", "."], 8080, MARKER)
        }
        Tool::SphinxAutobuild => {
            write("docs/conf.py", "project = 'e2e'\n");
            write("docs/index.rst", &format!("{MARKER}\n================\n"));
            (vec!["sphinx-autobuild", "docs", "_build"], 8000, MARKER)
        }
        Tool::Pelican => {
            write("pelicanconf.py", "SITENAME = 'e2e'\nTIMEZONE = 'UTC'\n");
            write("content/hello.md", &format!("Title: {MARKER}\nDate: 2024-01-01\n\n{MARKER}\n"));
            set_up(&dir, &["pelican", "content", "-s", "pelicanconf.py", "-q"]);
            (vec!["pelican", "--listen"], 8000, MARKER)
        }
        Tool::BokehServe => {
            write(
                "app.py",
                &format!(
                    "from bokeh.io import curdoc\nfrom bokeh.models import Div\n\ncurdoc().add_root(Div(text='e2e'))\ncurdoc().title = '{MARKER}'\n"
                ),
            );
            (vec!["bokeh", "serve", "app.py"], 5006, MARKER)
        }
        Tool::Pdoc => {
            write("e2emod.py", &format!("\"\"\"{MARKER}\"\"\"\n"));
            path = "/e2emod.html";
            (vec!["pdoc", "-n", "./e2emod.py"], 8080, MARKER)
        }
        Tool::Pydoc => {
            // its server reads commands from stdin and ends at its end
            stdin_open = true;
            (vec!["python", "-m", "pydoc", "-p", "8000"], 8000, "Index of Modules")
        }
        Tool::FlaskDebug => {
            write(
                "app.py",
                &format!(
                    "from flask import Flask\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return '{MARKER}'\n"
                ),
            );
            (vec!["flask", "run", "--debug"], 5000, MARKER)
        }
        Tool::Serve => {
            write("index.html", &index_html());
            (vec!["serve"], 3000, MARKER)
        }
        Tool::WebpackServe | Tool::WebpackDevServer => {
            write("src/index.js", "console.log('e2e');\n");
            write("public/index.html", &index_html());
            write(
                "webpack.config.js",
                "module.exports = { mode: 'development', entry: './src/index.js', devServer: { static: 'public' } };\n",
            );
            let command = match tool {
                Tool::WebpackServe => vec!["webpack", "serve"],
                _ => vec!["webpack-dev-server"],
            };
            (command, 8080, MARKER)
        }
        Tool::Parcel => {
            write("index.html", &index_html());
            (vec!["parcel", "index.html", "--no-cache"], 1234, MARKER)
        }
        Tool::Rsbuild => {
            write("src/index.js", "console.log('e2e');\n");
            write("rsbuild.config.mjs", &format!("export default {{ html: {{ title: '{MARKER}' }} }};\n"));
            (vec!["rsbuild", "dev"], 3000, MARKER)
        }
        Tool::Esbuild => {
            write("index.html", &index_html());
            stdin_open = true;
            (vec!["esbuild", "--servedir=.", "--serve"], 8000, MARKER)
        }
        Tool::JsonServer => {
            write("db.json", &format!("{{\"posts\": [{{\"id\": 1, \"title\": \"{MARKER}\"}}]}}"));
            path = "/posts/1";
            (vec!["json-server", "db.json"], 3000, MARKER)
        }
        Tool::LocalWebServer => {
            write("index.html", &index_html());
            (vec!["ws"], 8000, MARKER)
        }
        Tool::WebDevServer => {
            write("index.html", &index_html());
            (vec!["wds"], 8000, MARKER)
        }
        Tool::Sirv => {
            write("index.html", &index_html());
            (vec!["sirv", "."], 8080, MARKER)
        }
        Tool::Rspack => {
            write("src/index.js", "console.log('e2e');\n");
            write("public/index.html", &index_html());
            write(
                "rspack.config.mjs",
                "export default { mode: 'development', entry: './src/index.js', devServer: { static: 'public' } };\n",
            );
            (vec!["rspack", "serve"], 8080, MARKER)
        }
        Tool::VitePress => {
            // the dev page is an empty shell filled by script: a file of the site's public/
            write("docs/index.md", &format!("# {MARKER}\n"));
            write("docs/public/e2e.html", &index_html());
            path = "/e2e.html";
            (vec!["vitepress", "dev", "docs"], 5173, MARKER)
        }
        Tool::VitePreview => {
            write("index.html", &index_html());
            set_up(&dir, &["vite", "build", "--logLevel", "silent"]);
            (vec!["vite", "preview"], 4173, MARKER)
        }
        Tool::NodeServer | Tool::Nodemon | Tool::NodeWatch | Tool::NpmStart => {
            write("server.js", &node_server("const http = require('node:http');"));
            write(
                "package.json",
                r#"{ "name": "e2e", "private": true, "scripts": { "start": "node server.js" } }"#,
            );
            let command = match tool {
                Tool::NodeServer => vec!["node", "server.js"],
                Tool::Nodemon => vec!["nodemon", "server.js"],
                Tool::NodeWatch => vec!["node", "--watch", "server.js"],
                _ => vec!["npm", "start"],
            };
            (command, 3000, MARKER)
        }
        Tool::Tsx | Tool::TsxWatch => {
            write("server.ts", &node_server("import http from 'node:http';"));
            let command = match tool {
                Tool::Tsx => vec!["tsx", "server.ts"],
                _ => vec!["tsx", "watch", "server.ts"],
            };
            (command, 3000, MARKER)
        }
        Tool::Bun => {
            write(
                "server.ts",
                &format!(
                    "Bun.serve({{ fetch() {{ return new Response('{MARKER}', {{ headers: {{ 'content-type': 'text/html' }} }}); }} }});\n"
                ),
            );
            (vec!["bun", "server.ts"], 3000, MARKER)
        }
        Tool::DenoServe => {
            write(
                "serve.ts",
                &format!("export default {{ fetch() {{ return new Response('{MARKER}'); }} }};\n"),
            );
            (vec!["deno", "serve", "serve.ts"], 8000, MARKER)
        }
        Tool::DenoRun => {
            write(
                "server.ts",
                &format!(
                    "const port = Number(Deno.args[Deno.args.indexOf('--port') + 1]);\nDeno.serve({{ port }}, () => new Response('{MARKER}'));\n"
                ),
            );
            (vec!["deno", "run", "--allow-net", "server.ts", "--port", "8000"], 8000, MARKER)
        }
        Tool::PhpServer => {
            write("index.php", &format!("<?php echo '{MARKER}';\n"));
            (vec!["php", "-S", "localhost:8000"], 8000, MARKER)
        }
        Tool::RubyHttpd => {
            write("index.html", &index_html());
            (vec!["ruby", "-run", "-e", "httpd", ".", "-p", "8000"], 8000, MARKER)
        }
        Tool::Jekyll => {
            write("_config.yml", "title: e2e\n");
            write("index.html", &format!("---\n---\n{}", index_html()));
            (vec!["jekyll", "serve"], 4000, MARKER)
        }
        Tool::Hugo => {
            write(
                "hugo.toml",
                "baseURL = 'http://localhost/'\ntitle = 'e2e'\ndisableKinds = ['taxonomy', 'term', 'RSS', 'sitemap']\n",
            );
            write("layouts/index.html", &index_html());
            (vec!["hugo", "server"], 1313, MARKER)
        }
        Tool::Rackup | Tool::Puma | Tool::Thin => {
            write(
                "config.ru",
                &format!("run ->(env) {{ [200, {{'content-type' => 'text/html'}}, ['{MARKER}']] }}\n"),
            );
            match tool {
                Tool::Rackup => (vec!["rackup"], 9292, MARKER),
                Tool::Puma => (vec!["puma"], 9292, MARKER),
                _ => (vec!["thin", "start"], 3000, MARKER),
            }
        }
        Tool::Sinatra => {
            write("app.rb", &format!("require 'sinatra'\n\nget('/') {{ '{MARKER}' }}\n"));
            (vec!["ruby", "app.rb", "-p", "4567"], 4567, MARKER)
        }
        Tool::Plackup => {
            write(
                "app.psgi",
                &format!("my $app = sub {{ [200, ['Content-Type' => 'text/html'], ['{MARKER}']] }};\n"),
            );
            (vec!["plackup", "app.psgi"], 5000, MARKER)
        }
        Tool::Morbo => {
            write(
                "app.pl",
                &format!(
                    "use Mojolicious::Lite -signatures;\n\nget '/' => {{text => '{MARKER}'}};\n\napp->start;\n"
                ),
            );
            (vec!["morbo", "app.pl"], 3000, MARKER)
        }
        Tool::GoRun => {
            write(
                "main.go",
                &format!(
                    "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc main() {{\n\tport := os.Getenv(\"PORT\")\n\tif port == \"\" {{\n\t\tport = \"8080\"\n\t}}\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {{ fmt.Fprint(w, \"{MARKER}\") }})\n\tif err := http.ListenAndServe(\":\"+port, nil); err != nil {{\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}}\n}}\n"
                ),
            );
            (vec!["go", "run", "main.go"], 8080, MARKER)
        }
        Tool::BusyboxHttpd => {
            write("index.html", &index_html());
            (vec!["busybox", "httpd", "-f", "-p", "8000"], 8000, MARKER)
        }
        Tool::Webfsd => {
            write("index.html", &index_html());
            (vec!["webfsd", "-F", "-p", "8000", "-f", "index.html"], 8000, MARKER)
        }
        Tool::Caddy => {
            write("index.html", &index_html());
            (vec!["caddy", "file-server", "--listen", ":8000"], 8000, MARKER)
        }
        Tool::NextDev => {
            write("package.json", r#"{ "name": "e2e", "private": true }"#);
            write(
                "app/layout.js",
                "export default function RootLayout({ children }) { return <html><body>{children}</body></html>; }\n",
            );
            write("app/page.js", &format!("export default function Page() {{ return <p>{MARKER}</p>; }}\n"));
            // Turbopack compiles only below its root: node_modules is a link out of the project
            write("next.config.mjs", "export default { turbopack: { root: '/' } };\n");
            link_node_modules();
            env.push(("NEXT_TELEMETRY_DISABLED", "1"));
            (vec!["next", "dev"], 3000, MARKER)
        }
        Tool::SvelteKit => {
            write(
                "package.json",
                r#"{ "name": "e2e", "private": true, "type": "module", "scripts": { "dev": "vite dev" } }"#,
            );
            write("svelte.config.js", "export default {};\n");
            write(
                "vite.config.js",
                "import { sveltekit } from '@sveltejs/kit/vite';\nexport default { plugins: [sveltekit()] };\n",
            );
            write(
                "src/app.html",
                "<!doctype html><html><head>%sveltekit.head%</head><body>%sveltekit.body%</body></html>\n",
            );
            write("src/routes/+page.svelte", &format!("<p>{MARKER}</p>\n"));
            link_node_modules();
            (vec!["npm", "run", "dev"], 5173, MARKER)
        }
        Tool::ReactRouter => {
            // it looks for its server runtime among the project's dependencies
            write(
                "package.json",
                r#"{ "name": "e2e", "private": true, "type": "module", "scripts": { "dev": "react-router dev" },
  "dependencies": { "@react-router/node": "*", "react-router": "*", "react": "*", "react-dom": "*", "isbot": "*" } }"#,
            );
            write("react-router.config.js", "export default { ssr: true };\n");
            write(
                "vite.config.js",
                "import { reactRouter } from '@react-router/dev/vite';\nexport default { plugins: [reactRouter()] };\n",
            );
            write(
                "app/root.jsx",
                "import { Outlet, Scripts } from 'react-router';\nexport default function App() { return <html><head></head><body><Outlet /><Scripts /></body></html>; }\n",
            );
            write(
                "app/routes.js",
                "import { index } from '@react-router/dev/routes';\nexport default [index('routes/home.jsx')];\n",
            );
            write(
                "app/routes/home.jsx",
                &format!("export default function Home() {{ return <p>{MARKER}</p>; }}\n"),
            );
            link_node_modules();
            (vec!["npm", "run", "dev"], 5173, MARKER)
        }
        Tool::AstroDev => {
            write("package.json", r#"{ "name": "e2e", "private": true, "type": "module" }"#);
            write("src/pages/index.astro", &format!("<html><body><p>{MARKER}</p></body></html>\n"));
            link_node_modules();
            env.push(("ASTRO_TELEMETRY_DISABLED", "1"));
            (vec!["astro", "dev"], 4321, MARKER)
        }
        Tool::WranglerDev => {
            write(
                "src/index.js",
                &format!("export default {{ fetch() {{ return new Response('{MARKER}'); }} }};\n"),
            );
            write(
                "wrangler.toml",
                "name = 'e2e'\nmain = 'src/index.js'\ncompatibility_date = '2024-01-01'\n",
            );
            env.push(("WRANGLER_SEND_METRICS", "false"));
            (vec!["wrangler", "dev"], 8787, MARKER)
        }
        Tool::JupyterLab => {
            path = "/lab";
            (
                vec!["jupyter", "lab", "--no-browser", "--allow-root", "--IdentityProvider.token="],
                8888,
                "JupyterLab",
            )
        }
        Tool::JupyterNotebook => {
            path = "/tree";
            let command =
                vec!["jupyter", "notebook", "--no-browser", "--allow-root", "--IdentityProvider.token="];
            (command, 8888, "Jupyter Notebook")
        }
        Tool::Voila => {
            write(
                "app.ipynb",
                &serde_json::json!({
                    "cells": [{"cell_type": "markdown", "metadata": {}, "source": [format!("# {MARKER}")]}],
                    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                })
                .to_string(),
            );
            (vec!["voila", "--no-browser", "app.ipynb"], 8866, MARKER)
        }
        Tool::Streamlit => {
            // the page is a shell filled by script: its title names Streamlit
            write("app.py", &format!("import streamlit as st\n\nst.write('{MARKER}')\n"));
            env.push(("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false"));
            (vec!["streamlit", "run", "app.py", "--server.headless", "true"], 8501, "Streamlit")
        }
        Tool::Gradio => {
            write(
                "app.py",
                &format!(
                    "import gradio as gr\n\ndemo = gr.Interface(lambda x: x, 'text', 'text', title='{MARKER}')\ndemo.launch()\n"
                ),
            );
            env.push(("GRADIO_ANALYTICS_ENABLED", "False"));
            (vec!["gradio", "app.py"], 7860, MARKER)
        }
        Tool::PanelServe => {
            write(
                "app.py",
                &format!("import panel as pn\n\npn.panel('{MARKER}').servable(title='{MARKER}')\n"),
            );
            path = "/app";
            (vec!["panel", "serve", "app.py"], 5006, MARKER)
        }
        Tool::MarimoEdit => {
            write(
                "app.py",
                &format!(
                    "import marimo\n\napp = marimo.App(app_title='{MARKER}')\n\n\n@app.cell\ndef _():\n    return\n"
                ),
            );
            (vec!["marimo", "edit", "app.py", "--headless", "--no-token"], 2718, "marimo")
        }
    };
    Project { tool, root, command, default, marker, path, stdin_open, env }
}

/// Runs a project's set-up step (a site build) in `dir`, with the test tools on `PATH`.
fn set_up(dir: &Path, argv: &[&str]) {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("PATH", test_path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{argv:?} runs: {e}"));
    assert!(out.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A Node HTTP server answering the marker on `PORT`, else 3000 (`import` is its first line).
fn node_server(import: &str) -> String {
    format!(
        "{import}\nconst port = Number(process.env.PORT || 3000);\nhttp.createServer((q, r) => {{ r.setHeader('content-type', 'text/html'); r.end('{MARKER}'); }}).listen(port, () => console.log('listening on ' + port));\n"
    )
}

/// A WSGI app that answers every request with the marker.
fn wsgi_app() -> String {
    format!(
        "def app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/html')])\n    return [b'{MARKER}']\n"
    )
}

/// The same as an ASGI app.
fn asgi_app() -> String {
    format!(
        "async def app(scope, receive, send):\n    if scope['type'] != 'http':\n        return\n    await send({{'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/html')]}})\n    await send({{'type': 'http.response.body', 'body': b'{MARKER}'}})\n"
    )
}

/// How the serving process's command line ends when portfix gave the tool `port`: the tool's
/// own port flag or positional, and its strict flag where it has one (Vite would move by itself).
/// `None`: nothing is injected, or the tool rewrites its process title (http-server's reads
/// `http-server` and blanks the rest), so its arguments cannot be read back.
fn injected(tool: Tool, port: u16) -> Option<Vec<String>> {
    let bind = format!("127.0.0.1:{port}");
    let port_equals = format!("--port={port}");
    let serve_equals = format!("--serve={port}");
    let tcp = format!("tcp:{port}");
    let localhost = format!("localhost:{port}");
    let any = format!(":{port}");
    let port = port.to_string();
    let tail: Vec<&str> = match tool {
        Tool::HttpServer => vec!["http.server", &port],
        Tool::Flask => vec!["run", "--port", &port],
        Tool::Django => vec!["runserver", "--noreload", &port],
        Tool::DjangoReloading => vec!["runserver", &port],
        Tool::Vite | Tool::NpmRunDev => vec!["--port", &port, "--strictPort"],
        // getopt stops at app:app: the flag goes before it
        Tool::Waitress => vec!["--port", &port, "app:app"],
        Tool::Hypercorn => vec!["asgi:app", "--bind", &bind],
        Tool::Daphne => vec!["asgi:app", "--port", &port],
        Tool::Datasette => vec!["--metadata", "metadata.json", "--port", &port],
        Tool::MkDocs => vec!["serve", "--dev-addr", &bind],
        // it reads only --port=N
        Tool::LiveServer => vec!["--no-browser", &port_equals],
        Tool::Eleventy => vec!["--serve", "--port", &port],
        Tool::BrowserSync => vec!["start", "--server", "--no-open", "--port", &port],
        Tool::Granian => vec!["--interface", "asgi", "asgi:app", "--port", &port],
        Tool::FastapiDev => vec!["dev", "main.py", "--port", &port],
        Tool::NodeHttpServer | Tool::ViteBehindScript => return None,
        Tool::AstroDev => vec!["dev", "--port", &port],
        // after npm's `--`: the script's program gets them
        Tool::SvelteKit | Tool::ReactRouter => vec!["dev", "--port", &port, "--strictPort"],
        // `jupyter lab` runs `jupyter-lab` with the rest
        Tool::JupyterLab | Tool::JupyterNotebook => {
            vec![
                "--no-browser",
                "--allow-root",
                "--IdentityProvider.token=",
                "--port",
                &port,
                "--port-retries=0",
            ]
        }
        Tool::Voila => vec!["--no-browser", "app.ipynb", "--port", &port, "--Voila.port_retries=0"],
        // right after `run`: the words after the script are the script's
        Tool::Streamlit => vec!["run", "--server.port", &port, "app.py", "--server.headless", "true"],
        Tool::PanelServe => vec!["serve", "--port", &port, "app.py"],
        Tool::MarimoEdit => vec!["edit", "app.py", "--headless", "--no-token", "--port", &port],
        // GRADIO_SERVER_PORT only; workerd (wrangler's server) has a command line of its own;
        // Next.js retitles its server `next-server (v16.5.0)`
        Tool::Gradio | Tool::WranglerDev | Tool::NextDev => return None,
        Tool::Uvicorn => vec!["asgi:app", "--port", &port],
        Tool::UvicornReload => vec!["--reload", "asgi:app", "--port", &port],
        Tool::Gunicorn => vec!["app:app", "--bind", &bind],
        Tool::Sanic => vec!["server:app", "--port", &port],
        Tool::Litestar | Tool::Quart => vec!["run", "--port", &port],
        Tool::Aiohttp => vec!["web_app:init", "--port", &port],
        Tool::Bottle => vec!["app:app", "--bind", &bind],
        Tool::Tornado => vec!["app.py", &port_equals],
        Tool::Twistd => vec!["--path", ".", "--listen", &tcp],
        Tool::SphinxAutobuild => vec!["docs", "_build", "--port", &port],
        Tool::Pelican => vec!["--listen", "--port", &port],
        // `--args` would take what follows: the flag goes right after `serve`
        Tool::BokehServe => vec!["serve", "--port", &port, "app.py"],
        Tool::Pdoc => vec!["./e2emod.py", "--port", &port],
        Tool::Pydoc => vec!["pydoc", "-p", &port],
        Tool::FlaskDebug => vec!["run", "--debug", "--port", &port],
        Tool::Serve => vec!["-l", &port, "--no-port-switching"],
        Tool::LocalWebServer | Tool::WebDevServer => vec!["--port", &port],
        Tool::Parcel => vec!["index.html", "--no-cache", "--port", &port],
        Tool::Rsbuild => vec!["dev", "--port", &port, "--strict-port"],
        Tool::Esbuild => vec!["--serve", &serve_equals],
        Tool::JsonServer => vec!["db.json", "--port", &port],
        Tool::Sirv => vec![".", "--port", &port],
        Tool::Rspack => vec!["serve", "--port", &port],
        Tool::VitePress => vec!["dev", "docs", "--port", &port, "--strictPort"],
        Tool::VitePreview => vec!["preview", "--port", &port, "--strictPort"],
        // before the script: the words after it are the script's
        Tool::DenoServe => vec!["serve", "--port", &port, "serve.ts"],
        Tool::DenoRun => vec!["server.ts", "--port", &port],
        Tool::PhpServer => vec!["-S", &localhost],
        Tool::RubyHttpd => vec![".", "-p", &port],
        Tool::Jekyll => vec!["serve", "--port", &port],
        Tool::Hugo => vec!["server", "--port", &port],
        Tool::Thin => vec!["start", "--port", &port],
        Tool::Sinatra => vec!["app.rb", "-p", &port],
        Tool::BusyboxHttpd => vec!["httpd", "-f", "-p", &port],
        Tool::Webfsd => vec!["-p", &port, "-f", "index.html"],
        Tool::Caddy => vec!["--listen", &any],
        // PORT only (no row), or a process title that hides the arguments (plackup, morbo,
        // puma, rackup's puma, webpack), or a binary built elsewhere (go run)
        Tool::WebpackServe
        | Tool::WebpackDevServer
        | Tool::NodeServer
        | Tool::Nodemon
        | Tool::NodeWatch
        | Tool::Tsx
        | Tool::TsxWatch
        | Tool::NpmStart
        | Tool::Bun
        | Tool::GoRun
        | Tool::Rackup
        | Tool::Puma
        | Tool::Plackup
        | Tool::Morbo => return None,
    };
    Some(tail.into_iter().map(String::from).collect())
}

/// The driver for `p` in `mode`, under `unshare -n` with loopback up, in portfix's clean
/// environment (no `CI`, `PORT`, `PORTFIX_*`; `NO_COLOR`).
fn driver(p: &Project, mode: Mode, holder: Holder) -> Command {
    let run = p.run_dir();
    let spec = serde_json::json!({
        "portfix": env!("CARGO_BIN_EXE_portfix"),
        "dir": p.dir(),
        "command": p.command,
        "default": p.default,
        "mode": match mode {
            Mode::Next => "next",
            Mode::Kill => "kill",
            Mode::Prompt => "prompt",
            Mode::Ci => "ci",
        },
        "holder": match holder { Holder::Foreign => "foreign", Holder::Earlier => "earlier" },
        "marker": p.marker,
        "path": p.path,
        "stdin": if p.stdin_open { "open" } else { "null" },
        "env": p.env.iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
        "result": run.join("result.json"),
        "wait": WAIT_SECS,
    });
    let spec_path = run.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/driver.py");
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", "python3"])
        .arg(script)
        .arg(spec_path);
    portfix_env(&mut cmd);
    cmd
}

/// The driver's facts, with its stderr (portfix's lines and the driver's own) for messages.
struct Facts {
    v: Value,
    log: String,
}

impl Facts {
    fn read(p: &Project, log: String) -> Facts {
        let text = std::fs::read_to_string(p.run_dir().join("result.json"))
            .unwrap_or_else(|e| panic!("the driver wrote no result ({e}); its output:\n{log}"));
        let v: Value = serde_json::from_str(&text).unwrap();
        let f = Facts { v, log };
        assert!(f.v["error"].is_null(), "the case did not complete: {}\n{}", f.v["error"], f.context(p));
        f
    }
    fn u64(&self, key: &str) -> Option<u64> {
        self.v[key].as_u64()
    }
    fn pids(&self, key: &str) -> Vec<u64> {
        self.v[key].as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default()
    }
    fn context(&self, p: &Project) -> String {
        let read = |name: &str| std::fs::read_to_string(p.run_dir().join(name)).unwrap_or_default();
        format!(
            "facts: {}\n--- driver and portfix stderr:\n{}\n--- tool output (under portfix):\n{}\n--- holder output:\n{}",
            self.v,
            self.log,
            read("tool.log"),
            read("holder.log")
        )
    }

    /// The tool, under portfix, answered on `port` with its own page, and every listener there
    /// is of portfix's tree.
    fn served_on(&self, p: &Project, port: u16) {
        let ctx = self.context(p);
        assert_eq!(self.u64("port"), Some(port.into()), "the port file names the port\n{ctx}");
        assert_eq!(self.v["http"][1], Value::Bool(true), "the tool's page is served on {port}\n{ctx}");
        assert_eq!(
            self.v["server_in_tree"],
            Value::Bool(true),
            "what listens on {port} is portfix's command\n{ctx}"
        );
        let lines: Vec<Vec<String>> = serde_json::from_value(self.v["server_cmdlines"].clone()).unwrap();
        assert!(!lines.is_empty(), "a command line was read\n{ctx}");
        if let Some(want) = injected(p.tool, port) {
            // a worker or a reloader's child started by multiprocessing shares the socket; its
            // command line is Python's, not the tool's: the tool's own process is read instead
            let (children, lines): (Vec<_>, Vec<_>) =
                lines.into_iter().partition(|l| l.iter().any(|a| a == "--multiprocessing-fork"));
            assert!(!lines.is_empty(), "the tool's own process listens too: {children:?}\n{ctx}");
            for line in lines {
                assert!(
                    line.ends_with(&want),
                    "the tool got {port} its own way: {line:?} ends with {want:?}\n{ctx}"
                );
            }
        }
    }

    /// Off a terminal: portfix printed `... is listening on http://HOST:PORT (pid P)` with P
    /// a listener on PORT.
    fn confirmed(&self, p: &Project, port: u16) {
        let ctx = self.context(p);
        let c = &self.v["confirmed"];
        assert_eq!(c[0].as_u64(), Some(port.into()), "the confirmation line names {port}\n{ctx}");
        let pid = c[1].as_u64().unwrap();
        assert!(self.pids("server_pids").contains(&pid), "the confirmed pid listens on {port}\n{ctx}");
    }

    /// The holder was left alone: alive, and still the only listener on the default port.
    fn holder_left_alone(&self, p: &Project) {
        let ctx = self.context(p);
        assert!(self.v["holder_exit"].is_null(), "the holder is still running\n{ctx}");
        assert_eq!(
            self.pids("default_listeners"),
            self.pids("holder_listens"),
            "and still holds the port\n{ctx}"
        );
    }

    /// Nothing of portfix's tree (or of a stopped earlier run) outlived portfix: the driver, a
    /// child subreaper, found no process below it but the holder it kept.
    fn nothing_left_behind(&self, p: &Project) {
        let left = &self.v["left_behind"];
        assert!(left.is_array(), "the driver looked for leftovers\n{}", self.context(p));
        assert_eq!(
            left.as_array().map(Vec::len),
            Some(0),
            "nothing is left behind: {left}\n{}",
            self.context(p)
        );
    }

    /// The holder (an earlier run) was stopped, and the default port is the command's now.
    fn holder_stopped(&self, p: &Project) {
        let ctx = self.context(p);
        assert!(!self.v["holder_exit"].is_null(), "the earlier run was stopped\n{ctx}");
        let now = self.pids("default_listeners");
        assert!(
            !now.is_empty() && now == self.pids("default_in_tree"),
            "only portfix's command holds it now\n{ctx}"
        );
        for old in self.pids("holder_listens") {
            assert!(!now.contains(&old), "the earlier run's listener {old} is gone\n{ctx}");
        }
    }
}

/// A case off a terminal (`--next` or `--kill`): runs the driver to its end, bounded.
fn off_terminal(p: &Project, mode: Mode, holder: Holder) -> Facts {
    let log_path = p.run_dir().join("driver.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut d =
        spawn(driver(p, mode, holder).stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log));
    let status = d.wait_for_exit(CASE_LIMIT);
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "the driver ended ({status:?}) within {CASE_LIMIT:?}:\n{log}"
    );
    Facts::read(p, log)
}

/// `--next`: the default port is held by a stranger; portfix moves the tool to the next free
/// port (the default + 1 in an empty namespace) with the tool's own flag and strict flag, and
/// the tool serves there while the holder keeps its port.
fn next(tool: Tool) {
    let p = project(tool);
    let f = off_terminal(&p, Mode::Next, Holder::Foreign);
    let want = p.default + 1;
    // `port 8000 is held by pid 123 (python3); using port 8001` (the name is the interpreter's)
    let said = format!("port {} is held by pid {} (", p.default, f.v["holder_pid"]);
    let line = f.log.lines().find(|l| l.contains(&said)).unwrap_or_default();
    assert!(
        line.ends_with(&format!("); using port {want}")),
        "portfix says who holds it and where it goes: {said:?}\n{}",
        f.context(&p)
    );
    f.served_on(&p, want);
    f.confirmed(&p, want);
    f.holder_left_alone(&p);
    f.nothing_left_behind(&p);
}

/// `--kill`: the default port is held by an earlier run of the same command in the same
/// directory; portfix stops it with the stopping engine and starts the tool on its own port.
fn kill(tool: Tool) {
    let p = project(tool);
    let f = off_terminal(&p, Mode::Kill, Holder::Earlier);
    let ctx = f.context(&p);
    assert!(f.log.contains(&format!("port {} is held by pid ", p.default)), "the holder is named\n{ctx}");
    assert!(f.log.contains(&format!("port {} is free", p.default)), "portfix stopped it\n{ctx}");
    f.holder_stopped(&p);
    f.served_on(&p, p.default);
    f.confirmed(&p, p.default);
    f.nothing_left_behind(&p);
}

/// CI without a policy (`CI=1`, off a terminal): the default port is held by a stranger; portfix
/// exits 3 naming the holder and saying why it did not ask, the command is not started (or, if
/// it moved by itself, stopped), and the holder keeps its port.
fn ci(tool: Tool) {
    let p = project(tool);
    let f = off_terminal(&p, Mode::Ci, Holder::Foreign);
    let ctx = f.context(&p);
    assert_eq!(f.u64("portfix_exit"), Some(3), "portfix exits 3\n{ctx}");
    let said = format!("port {} is held by pid {} (", p.default, f.v["holder_pid"]);
    let line = f.log.lines().find(|l| l.contains(&said)).unwrap_or_default();
    assert!(line.ends_with("): not asking: CI is set"), "portfix names the holder and why: {said:?}\n{ctx}");
    assert!(f.log.contains("portfix: re-run with "), "and says how to re-run\n{ctx}");
    assert_eq!(f.v["port_file"], Value::Bool(false), "no port was settled on\n{ctx}");
    f.holder_left_alone(&p);
    f.nothing_left_behind(&p);
}

/// The driver's process group (the driver leads it, the holder and portfix are in it), killed
/// when a test fails before the driver has ended: expectrl alone would signal the driver only.
struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: kill(2) on the process group of a driver this test started, not yet reaped.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

/// At a terminal (a real pseudo-terminal around the whole namespace): the prompt names the
/// holder, and Enter takes the recommended action — move away from a stranger to the next free
/// port it names; for an earlier run of the same command, the default is to use it, and one
/// down is to stop it and use the port (what is tested here).
fn prompt(tool: Tool, holder: Holder) {
    let p = project(tool);
    let mut s = Session::spawn(driver(&p, Mode::Prompt, holder)).expect("spawn the driver on a pty");
    let mut guard = GroupGuard(Some(s.get_process().pid().as_raw()));
    s.set_expect_timeout(Some(Duration::from_secs(WAIT_SECS)));
    let pid = s.expect(Regex(r"driver: holder pid (\d+)")).expect("the holder starts");
    let holder_pid: u32 = std::str::from_utf8(pid.get(1).unwrap()).unwrap().parse().unwrap();
    s.expect(format!("port {} is in use by:", p.default)).expect("the prompt says the port is taken");
    let port = match holder {
        Holder::Foreign => {
            s.expect(format!("pid {holder_pid}")).expect("the prompt names the holder");
            let next = s.expect(Regex(r"use port (\d+) \(the next free one\)")).expect("moving is offered");
            let next: u16 = std::str::from_utf8(next.get(1).unwrap()).unwrap().parse().unwrap();
            assert_eq!(next, p.default + 1, "the next free port in an empty namespace");
            next
        }
        Holder::Earlier => {
            s.expect("(an earlier run of this same command)").expect("the prompt says it is an earlier run");
            s.expect("use the one already running (").expect("using it is offered first");
            s.expect(format!("stop it and use port {}", p.default)).expect("stopping is offered");
            p.default
        }
    };
    s.expect("abort").expect("aborting is offered");
    if holder == Holder::Earlier {
        // One down from the default, using the earlier run: stop it and use its port.
        s.send("\x1b[B").unwrap();
    }
    s.send("\r").unwrap(); // Enter: the highlighted action
    if holder == Holder::Earlier {
        s.expect(format!("port {} is free", p.default)).expect("the earlier run is stopped");
    }
    s.expect(Regex(format!(r"is listening on http://(localhost|127\.0\.0\.1|\[::1\]):{port} \(pid ")))
        .expect("portfix confirms the port");
    // the driver fetches the page, ends everything and exits
    s.set_expect_timeout(Some(CASE_LIMIT));
    s.expect(Eof).expect("the driver ends");
    s.get_process().wait().expect("the driver is reaped");
    guard.0 = None;
    let f = Facts::read(&p, String::new());
    f.served_on(&p, port);
    match holder {
        Holder::Foreign => f.holder_left_alone(&p),
        Holder::Earlier => f.holder_stopped(&p),
    }
    f.nothing_left_behind(&p);
}

/// One module per tool, a test per mode. `kill: "why"` marks the `--kill` case, `earlier prompt:
/// "why"` the prompt's stopping of an earlier run, as a known portfix bug or limitation: ignored
/// (`--ignored` runs them), and named in the README's table.
macro_rules! cases {
    ($($name:ident: $tool:expr $(, kill: $why:literal)? $(, earlier prompt: $pwhy:literal)?;)*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn next_moves_it_to_the_next_free_port() {
                next($tool);
            }
            #[test]
            $(#[ignore = $why])?
            fn kill_stops_an_earlier_run_and_starts_it_on_its_own_port() {
                kill($tool);
            }
            #[test]
            fn ci_without_a_policy_exits_3_naming_the_holder() {
                ci($tool);
            }
            #[test]
            fn at_a_terminal_enter_moves_away_from_a_stranger() {
                prompt($tool, Holder::Foreign);
            }
            #[test]
            $(#[ignore = $pwhy])?
            fn at_a_terminal_enter_stops_an_earlier_run() {
                prompt($tool, Holder::Earlier);
            }
        }
    )*};
}

cases! {
    python_http_server: Tool::HttpServer;
    flask_run: Tool::Flask;
    django_runserver: Tool::Django;
    vite: Tool::Vite;
    http_server: Tool::NodeHttpServer;
    npm_run_dev_over_vite: Tool::NpmRunDev;
    waitress_serve: Tool::Waitress;
    hypercorn: Tool::Hypercorn;
    daphne: Tool::Daphne;
    granian: Tool::Granian;
    datasette: Tool::Datasette;
    mkdocs_serve: Tool::MkDocs;
    fastapi_dev: Tool::FastapiDev;
    live_server: Tool::LiveServer;
    eleventy_serve: Tool::Eleventy;
    browser_sync: Tool::BrowserSync;
    // issue 11 items 5/6
    uvicorn: Tool::Uvicorn;
    uvicorn_reload: Tool::UvicornReload;
    gunicorn: Tool::Gunicorn;
    sanic: Tool::Sanic, kill: "portfix bug: stopping the earlier run ends its listeners only; Sanic's main, SIGKILLed after the grace period, leaves its restarted worker and its resource tracker behind", earlier prompt: "portfix bug: stopping the earlier run ends its listeners only; Sanic's main, SIGKILLed after the grace period, leaves its restarted worker and its resource tracker behind";
    litestar_run: Tool::Litestar;
    quart_run: Tool::Quart;
    aiohttp_web: Tool::Aiohttp;
    bottle: Tool::Bottle;
    tornado_app: Tool::Tornado;
    twistd_web: Tool::Twistd;
    sphinx_autobuild: Tool::SphinxAutobuild;
    pelican_listen: Tool::Pelican;
    bokeh_serve: Tool::BokehServe;
    pdoc: Tool::Pdoc;
    pydoc: Tool::Pydoc;
    flask_run_debug: Tool::FlaskDebug;
    serve: Tool::Serve;
    webpack_serve: Tool::WebpackServe, earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    webpack_dev_server: Tool::WebpackDevServer, earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    parcel: Tool::Parcel;
    rsbuild_dev: Tool::Rsbuild;
    esbuild_serve: Tool::Esbuild;
    json_server: Tool::JsonServer;
    local_web_server: Tool::LocalWebServer;
    web_dev_server: Tool::WebDevServer;
    sirv: Tool::Sirv;
    rspack_serve: Tool::Rspack;
    vitepress_dev: Tool::VitePress;
    vite_preview: Tool::VitePreview;
    node_server: Tool::NodeServer;
    nodemon: Tool::Nodemon;
    node_watch: Tool::NodeWatch;
    tsx: Tool::Tsx;
    tsx_watch: Tool::TsxWatch;
    npm_start: Tool::NpmStart;
    bun: Tool::Bun;
    deno_serve: Tool::DenoServe;
    deno_run: Tool::DenoRun;
    php_server: Tool::PhpServer;
    ruby_httpd: Tool::RubyHttpd;
    jekyll_serve: Tool::Jekyll;
    hugo_server: Tool::Hugo;
    rackup: Tool::Rackup, earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    puma: Tool::Puma, earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    thin_start: Tool::Thin;
    sinatra: Tool::Sinatra;
    plackup: Tool::Plackup, earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    morbo: Tool::Morbo, kill: "portfix bug: morbo's manager and worker both hold the socket; portfix stops one and the manager starts a new worker on the port", earlier prompt: "limitation: its process title hides the command line, so portfix cannot tell the holder is an earlier run of the same command (the prompt recommends moving)";
    go_run: Tool::GoRun;
    busybox_httpd: Tool::BusyboxHttpd;
    webfsd: Tool::Webfsd;
    caddy_file_server: Tool::Caddy;
}

/// Vite behind a script portfix cannot read: no pre-flight (the wanted port is unknown), so Vite
/// finds 5173 taken and moves by itself; portfix says so and confirms the port it really took,
/// read from the socket table (the port file gets it too).
#[test]
fn a_tool_that_moves_by_itself_is_confirmed_on_the_port_it_really_took() {
    let p = project(Tool::ViteBehindScript);
    let f = off_terminal(&p, Mode::Next, Holder::Foreign);
    let ctx = f.context(&p);
    assert!(f.log.contains("portfix: ./dev.sh moved to another port"), "portfix saw the move\n{ctx}");
    assert!(f.log.contains("(5173 is in use by pid "), "and why, naming the holder\n{ctx}");
    assert!(!f.log.contains("using port"), "portfix chose nothing itself\n{ctx}");
    let lines: Vec<Vec<String>> = serde_json::from_value(f.v["server_cmdlines"].clone()).unwrap();
    assert!(lines.iter().flatten().all(|a| !a.contains("port")), "nothing was injected: {lines:?}");
    f.served_on(&p, 5174);
    f.confirmed(&p, 5174);
    f.holder_left_alone(&p);
}

/// The same with `--kill` and an earlier run holding 5173: portfix sees the move, stops the
/// command and the earlier run, and starts the command again, now on 5173.
#[test]
fn a_tool_that_moves_by_itself_obeys_kill() {
    let p = project(Tool::ViteBehindScript);
    let f = off_terminal(&p, Mode::Kill, Holder::Earlier);
    let ctx = f.context(&p);
    assert!(f.log.contains("portfix: ./dev.sh moved to another port"), "portfix saw the move\n{ctx}");
    assert!(f.log.contains("port 5173 is free"), "and stopped the earlier run\n{ctx}");
    f.holder_stopped(&p);
    f.served_on(&p, 5173);
    f.confirmed(&p, 5173);
    f.nothing_left_behind(&p);
}

/// The same in CI without a policy: portfix sees the move, stops the command, and exits 3 naming
/// the holder of the port it left.
#[test]
fn a_tool_that_moves_by_itself_in_ci_is_stopped_and_the_holder_named() {
    ci(Tool::ViteBehindScript);
}

/// `python manage.py runserver` as people type it: with the autoreloader, whose child serves.
#[test]
fn django_runserver_with_its_autoreloader_moves_with_next() {
    next(Tool::DjangoReloading);
}

/// The heavy suite: tools over a minute to install (hundreds of MB) or slow to start, opt-in.
/// `PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored` installs them
/// (tests/tools/heavy/) and runs these; `.ci/run` does when its time allows.
mod heavy {
    use super::*;

    /// As `cases!`, every test ignored (the suite is opt-in); a known bug or limitation (`kill:
    /// "why"`, `earlier prompt: "why"`) leaves its case out, so that `--ignored` runs pass.
    macro_rules! heavy_cases {
        ($($name:ident: $tool:expr $(, kill: $why:literal)? $(, earlier prompt: $pwhy:literal)?;)*) => {$(
            mod $name {
                use super::*;
                #[test]
                #[ignore = "heavy suite: PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored"]
                fn next_moves_it_to_the_next_free_port() {
                    next($tool);
                }
                #[test]
                #[ignore = "heavy suite: PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored"]
                $(#[cfg(any())] #[doc = $why])?
                fn kill_stops_an_earlier_run_and_starts_it_on_its_own_port() {
                    kill($tool);
                }
                #[test]
                #[ignore = "heavy suite: PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored"]
                fn ci_without_a_policy_exits_3_naming_the_holder() {
                    ci($tool);
                }
                #[test]
                #[ignore = "heavy suite: PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored"]
                fn at_a_terminal_enter_moves_away_from_a_stranger() {
                    prompt($tool, Holder::Foreign);
                }
                #[test]
                #[ignore = "heavy suite: PORTFIX_HEAVY_TOOLS=1 scripts/test --test cli tools::heavy -- --ignored"]
                $(#[cfg(any())] #[doc = $pwhy])?
                fn at_a_terminal_enter_stops_an_earlier_run() {
                    prompt($tool, Holder::Earlier);
                }
            }
        )*};
    }

    heavy_cases! {
        next_dev: Tool::NextDev, earlier prompt: "limitation: its process title hides the command line (next-server), so portfix cannot tell the holder is an earlier run (the prompt recommends moving)";
        sveltekit_dev: Tool::SvelteKit;
        react_router_dev: Tool::ReactRouter;
        astro_dev: Tool::AstroDev;
        wrangler_dev: Tool::WranglerDev, kill: "portfix bug: --kill stops the listening child only (workerd), the earlier run's wrangler stays up", earlier prompt: "portfix bug: --kill stops the listening child only (workerd), the earlier run's wrangler stays up";
        jupyter_lab: Tool::JupyterLab;
        jupyter_notebook: Tool::JupyterNotebook;
        voila: Tool::Voila;
        streamlit_run: Tool::Streamlit;
        gradio: Tool::Gradio;
        panel_serve: Tool::PanelServe;
        marimo_edit: Tool::MarimoEdit;
    }
}
