use super::script::*;
use super::*;
use std::path::PathBuf;

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

/// A plan for `argv` run in a directory whose package.json is `json`.
fn in_package(json: &str, argv: &str) -> Plan {
    let argv = sv(argv);
    let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
    Plan::with_files(req, |_| None, &|path: &Path| {
        (path == Path::new("package.json")).then(|| json.to_string())
    })
}

/// Advice puts a port flag where injection would (issue 11 item 4): one rule for both.
#[test]
fn advice_places_the_port_flag_by_the_same_rules() {
    for (argv, want) in [
        ("deno serve main.ts", "deno serve --port {port} main.ts"),
        ("deno serve -A main.ts --verbose", "deno serve --port {port} -A main.ts --verbose"),
        ("waitress-serve app:app", "waitress-serve --port {port} app:app"),
        ("node server.js", "node server.js --port {port}"),
        ("python3 app.py", "python3 app.py --port {port}"),
        ("myserver", "myserver --port {port}"),
    ] {
        assert_eq!(of(argv).with_port_flag().join(" "), want, "{argv}");
    }
    let p = in_package(r#"{"scripts":{"dev":"vite"}}"#, "npm run dev");
    assert_eq!(p.with_port_flag().join(" "), "npm run dev -- --port {port}");
}

/// argv → wanted port → argv on 4001.
#[test]
fn ports_in_arguments_are_found_and_rewritten() {
    let cases: &[(&str, Option<u16>, &str)] = &[
        ("vite --port 3000", Some(3000), "vite --port 4001 --strictPort"),
        ("vite --port=3000 --open", Some(3000), "vite --port=4001 --open --strictPort"),
        ("rails s -p 3000", Some(3000), "rails s -p 4001"),
        ("hugo server -p1313", Some(1313), "hugo server -p4001"),
        ("php -S localhost:8000", Some(8000), "php -S localhost:4001"),
        ("php -S 0.0.0.0:8000 -t public", Some(8000), "php -S 0.0.0.0:4001 -t public"),
        ("myserver [::1]:3000", Some(3000), "myserver [::1]:4001"),
        ("goapp :8080", Some(8080), "goapp :4001"),
        ("gunicorn -b 127.0.0.1:8000 app:app", Some(8000), "gunicorn -b 127.0.0.1:4001 app:app"),
        ("gunicorn --bind=0.0.0.0:8000 app:app", Some(8000), "gunicorn --bind=0.0.0.0:4001 app:app"),
        ("puma -b tcp://127.0.0.1:9292 config.ru", Some(9292), "puma -b tcp://127.0.0.1:4001 config.ru"),
        ("srv --listen myhost.local:7000", Some(7000), "srv --listen myhost.local:4001"),
        // after npm's own `--`, the arguments still reach the tool
        ("npm run dev -- --port 3000", Some(3000), "npm run dev -- --port 4001"),
        // every carrier of the port is rewritten; the last one is the wanted port
        ("srv -b 127.0.0.1:3000 -b [::1]:3000", Some(3000), "srv -b 127.0.0.1:4001 -b [::1]:4001"),
        ("env PORT=3000 node app.js", Some(3000), "env PORT=4001 node app.js"),
        ("env NODE_ENV=dev node app.js", None, "env NODE_ENV=dev node app.js"),
        // not ports: other flags, URLs, host names, docker mappings, ssh forwards, port 0
        ("node server.js --timeout 3000", None, "node server.js --timeout 3000"),
        ("proxy --target http://localhost:8080", None, "proxy --target http://localhost:8080"),
        ("client api.example.com:443", None, "client api.example.com:443"),
        ("docker run -p 8080:80 img", None, "docker run -p 8080:80 img"),
        ("ssh -L 3000:localhost:3000 host", None, "ssh -L 3000:localhost:3000 host"),
        ("srv --port 0", None, "srv --port 0"),
        ("srv --port 70000", None, "srv --port 70000"),
        ("srv -p 12:30", None, "srv -p 12:30"),
        ("srv --bind unix:/tmp/s.sock", None, "srv --bind unix:/tmp/s.sock"),
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

/// Each tool: command as typed → (tool, wanted port, relaunch on 4001, a variable that must
/// carry the port). `-` for no tool.
#[test]
fn every_tool_has_its_row_checked() {
    let cases: &[(&str, &str, Option<u16>, &str, &str)] = &[
        ("vite", "vite", Some(5173), "vite --port 4001 --strictPort", "PORT"),
        (
            "vite dev --host 0.0.0.0",
            "vite",
            Some(5173),
            "vite dev --host 0.0.0.0 --port 4001 --strictPort",
            "PORT",
        ),
        ("vite serve", "vite", Some(5173), "vite serve --port 4001 --strictPort", "PORT"),
        ("vite --host dev", "vite", Some(5173), "vite --host dev --port 4001 --strictPort", "PORT"),
        ("vite preview", "vite preview", Some(4173), "vite preview --port 4001 --strictPort", "PORT"),
        ("vite build", "-", None, "vite build", "PORT"),
        ("next dev", "Next.js", Some(3000), "next dev -p 4001", "PORT"),
        ("next start -p 3005", "Next.js", Some(3005), "next start -p 4001", "PORT"),
        ("next build", "-", None, "next build", "PORT"),
        ("react-scripts start", "create-react-app", Some(3000), "react-scripts start", "PORT"),
        ("craco start", "create-react-app", Some(3000), "craco start", "PORT"),
        (
            "webpack serve --mode development",
            "webpack-dev-server",
            Some(8080),
            "webpack serve --mode development --port 4001",
            "PORT",
        ),
        (
            "webpack-dev-server --port 8081",
            "webpack-dev-server",
            Some(8081),
            "webpack-dev-server --port 4001",
            "PORT",
        ),
        ("webpack --mode production", "-", None, "webpack --mode production", "PORT"),
        ("ng serve", "Angular", Some(4200), "ng serve --port 4001", "PORT"),
        ("ng s --port 4300", "Angular", Some(4300), "ng s --port 4001", "PORT"),
        ("ng build", "-", None, "ng build", "PORT"),
        ("astro dev", "Astro", Some(4321), "astro dev --port 4001", "PORT"),
        ("astro preview --port 4400", "Astro", Some(4400), "astro preview --port 4001", "PORT"),
        ("nuxi dev", "Nuxt", Some(3000), "nuxi dev --port 4001", "NUXT_PORT"),
        ("nuxt dev -p 3100", "Nuxt", Some(3100), "nuxt dev -p 4001", "NITRO_PORT"),
        ("remix vite:dev", "Remix (Vite)", Some(5173), "remix vite:dev --port 4001 --strictPort", "PORT"),
        ("react-router dev", "React Router", Some(5173), "react-router dev --port 4001 --strictPort", "PORT"),
        ("storybook dev -p 6006", "Storybook", Some(6006), "storybook dev -p 4001 --exact-port", "PORT"),
        ("storybook dev", "Storybook", Some(6006), "storybook dev -p 4001 --exact-port", "PORT"),
        ("start-storybook -p 9009", "Storybook 6", Some(9009), "start-storybook -p 4001", "PORT"),
        ("http-server ./public", "http-server", Some(8080), "http-server ./public -p 4001", "PORT"),
        (
            "http-server -a 127.0.0.1 -p 8081",
            "http-server",
            Some(8081),
            "http-server -a 127.0.0.1 -p 4001",
            "PORT",
        ),
        ("serve dist", "serve", Some(3000), "serve dist -l 4001 --no-port-switching", "PORT"),
        ("serve -l 5000", "serve", Some(5000), "serve -l 4001 --no-port-switching", "PORT"),
        (
            "serve -l tcp://localhost:5000",
            "serve",
            Some(5000),
            "serve -l tcp://localhost:4001 --no-port-switching",
            "PORT",
        ),
        ("json-server db.json", "json-server", Some(3000), "json-server db.json --port 4001", "PORT"),
        (
            "json-server --watch db.json -p 3004",
            "json-server",
            Some(3004),
            "json-server --watch db.json -p 4001",
            "PORT",
        ),
        (
            "python3 -m http.server",
            "python -m http.server",
            Some(8000),
            "python3 -m http.server 4001",
            "PORT",
        ),
        ("flask run", "Flask", Some(5000), "flask run --port 4001", "FLASK_RUN_PORT"),
        (
            "flask --app hello run --debug",
            "Flask",
            Some(5000),
            "flask --app hello run --debug --port 4001",
            "FLASK_RUN_PORT",
        ),
        ("python -m flask run -p 5001", "Flask", Some(5001), "python -m flask run -p 4001", "FLASK_RUN_PORT"),
        ("flask routes", "-", None, "flask routes", "PORT"),
        (
            "python manage.py runserver",
            "Django runserver",
            Some(8000),
            "python manage.py runserver 4001",
            "PORT",
        ),
        (
            "python3 manage.py runserver 0.0.0.0:8001",
            "Django runserver",
            Some(8001),
            "python3 manage.py runserver 0.0.0.0:4001",
            "PORT",
        ),
        (
            "./manage.py runserver --noreload 8002",
            "Django runserver",
            Some(8002),
            "./manage.py runserver --noreload 4001",
            "PORT",
        ),
        (
            "django-admin runserver --settings s.dev",
            "Django runserver",
            Some(8000),
            "django-admin runserver --settings s.dev 4001",
            "PORT",
        ),
        ("python manage.py migrate", "-", None, "python manage.py migrate", "PORT"),
        (
            "uvicorn main:app --reload",
            "uvicorn",
            Some(8000),
            "uvicorn main:app --reload --port 4001",
            "UVICORN_PORT",
        ),
        (
            "python -m uvicorn main:app --port 8100",
            "uvicorn",
            Some(8100),
            "python -m uvicorn main:app --port 4001",
            "UVICORN_PORT",
        ),
        ("gunicorn app:app", "gunicorn", Some(8000), "gunicorn app:app --bind 127.0.0.1:4001", "PORT"),
        (
            "gunicorn -w 4 app:app",
            "gunicorn",
            Some(8000),
            "gunicorn -w 4 app:app --bind 127.0.0.1:4001",
            "PORT",
        ),
        ("rails server", "Rails", Some(3000), "rails server -p 4001", "PORT"),
        ("bin/rails s -b 0.0.0.0", "Rails", Some(3000), "bin/rails s -b 0.0.0.0 -p 4001", "PORT"),
        ("bundle exec rails server -p 3001", "Rails", Some(3001), "bundle exec rails server -p 4001", "PORT"),
        ("rails console", "-", None, "rails console", "PORT"),
        ("puma config.ru", "Puma", None, "puma config.ru -p 4001", "PORT"),
        ("bundle exec puma -p 9393", "Puma", Some(9393), "bundle exec puma -p 4001", "PORT"),
        ("hugo server -D", "Hugo", Some(1313), "hugo server -D --port 4001", "PORT"),
        ("hugo serve --port 1414", "Hugo", Some(1414), "hugo serve --port 4001", "PORT"),
        ("hugo", "-", None, "hugo", "PORT"),
        ("jekyll serve", "Jekyll", Some(4000), "jekyll serve --port 4001", "PORT"),
        ("bundle exec jekyll s -P 4002", "Jekyll", Some(4002), "bundle exec jekyll s -P 4001", "PORT"),
        ("php -S 127.0.0.1:8080 -t public", "php -S", Some(8080), "php -S 127.0.0.1:4001 -t public", "PORT"),
        ("php -t public -S [::1]:8080", "php -S", Some(8080), "php -t public -S [::1]:4001", "PORT"),
        (
            "php artisan serve",
            "Laravel (artisan serve)",
            Some(8000),
            "php artisan serve --port 4001",
            "SERVER_PORT",
        ),
        ("mvn spring-boot:run", "Spring Boot", Some(8080), "mvn spring-boot:run", "SERVER_PORT"),
        ("./mvnw spring-boot:run", "Spring Boot", Some(8080), "./mvnw spring-boot:run", "SERVER_PORT"),
        ("./gradlew bootRun", "Spring Boot", Some(8080), "./gradlew bootRun", "SERVER_PORT"),
        (
            "java -jar app.jar --server.port=9000",
            "java (Spring Boot arguments)",
            Some(9000),
            "java -jar app.jar --server.port=4001",
            "SERVER_PORT",
        ),
        (
            "java -Dserver.port=9001 -jar app.jar",
            "java (Spring Boot arguments)",
            Some(9001),
            "java -Dserver.port=4001 -jar app.jar",
            "SERVER_PORT",
        ),
        ("java -jar app.jar", "java (Spring Boot arguments)", None, "java -jar app.jar", "SERVER_PORT"),
        ("mix phx.server", "Phoenix", Some(4000), "mix phx.server", "PORT"),
        ("iex -S mix phx.server", "Phoenix", Some(4000), "iex -S mix phx.server", "PORT"),
        ("deno serve main.ts", "deno serve", Some(8000), "deno serve --port 4001 main.ts", "PORT"),
        // the words after the script are the script's: the flag goes before it
        (
            "deno serve -A main.ts --verbose",
            "deno serve",
            Some(8000),
            "deno serve --port 4001 -A main.ts --verbose",
            "PORT",
        ),
        (
            "deno serve --port 8001 main.ts",
            "deno serve",
            Some(8001),
            "deno serve --port 4001 main.ts",
            "PORT",
        ),
        ("deno run -A main.ts", "-", None, "deno run -A main.ts", "PORT"),
        ("bun run server.ts", "bun (a server file)", None, "bun run server.ts", "BUN_PORT"),
        ("bun server.ts", "bun (a server file)", None, "bun server.ts", "BUN_PORT"),
        ("bun install", "-", None, "bun install", "PORT"),
        // issue 11: the next tools
        ("fastapi dev", "FastAPI CLI", Some(8000), "fastapi dev --port 4001", "PORT"),
        (
            "fastapi run main.py --port 8010",
            "FastAPI CLI",
            Some(8010),
            "fastapi run main.py --port 4001",
            "PORT",
        ),
        (
            "litestar --app app:app run --reload",
            "Litestar",
            Some(8000),
            "litestar --app app:app run --reload --port 4001",
            "LITESTAR_PORT",
        ),
        ("litestar routes", "-", None, "litestar routes", "PORT"),
        ("sanic server:app --dev", "Sanic", Some(8000), "sanic server:app --dev --port 4001", "PORT"),
        (
            "sanic -H 0.0.0.0 server:app -p 8100",
            "Sanic",
            Some(8100),
            "sanic -H 0.0.0.0 server:app -p 4001",
            "PORT",
        ),
        ("hypercorn app:app", "Hypercorn", Some(8000), "hypercorn app:app --bind 127.0.0.1:4001", "PORT"),
        (
            "hypercorn -b 0.0.0.0:8200 app:app",
            "Hypercorn",
            Some(8200),
            "hypercorn -b 0.0.0.0:4001 app:app",
            "PORT",
        ),
        (
            "daphne proj.asgi:application",
            "Daphne",
            Some(8000),
            "daphne proj.asgi:application --port 4001",
            "PORT",
        ),
        (
            "daphne -b 0.0.0.0 -p 8300 proj.asgi:app",
            "Daphne",
            Some(8300),
            "daphne -b 0.0.0.0 -p 4001 proj.asgi:app",
            "PORT",
        ),
        (
            "granian --interface asgi main:app",
            "Granian",
            Some(8000),
            "granian --interface asgi main:app --port 4001",
            "GRANIAN_PORT",
        ),
        // getopt stops at module:app: the flag goes right after the program
        (
            "waitress-serve app:app",
            "waitress-serve",
            Some(8080),
            "waitress-serve --port 4001 app:app",
            "PORT",
        ),
        (
            "waitress-serve --listen=127.0.0.1:8090 app:app",
            "waitress-serve",
            Some(8090),
            "waitress-serve --listen=127.0.0.1:4001 app:app",
            "PORT",
        ),
        (
            "python -m waitress --host 127.0.0.1 app:app",
            "waitress-serve",
            Some(8080),
            "python -m waitress --port 4001 --host 127.0.0.1 app:app",
            "PORT",
        ),
        ("mkdocs serve", "MkDocs", Some(8000), "mkdocs serve --dev-addr 127.0.0.1:4001", "PORT"),
        ("mkdocs serve -a localhost:8400", "MkDocs", Some(8400), "mkdocs serve -a localhost:4001", "PORT"),
        ("mkdocs build", "-", None, "mkdocs build", "PORT"),
        (
            "sphinx-autobuild docs docs/_build/html",
            "sphinx-autobuild",
            Some(8000),
            "sphinx-autobuild docs docs/_build/html --port 4001",
            "PORT",
        ),
        (
            "pelican --listen --autoreload",
            "Pelican (--listen)",
            Some(8000),
            "pelican --listen --autoreload --port 4001",
            "PORT",
        ),
        ("pelican -r -l -p 8500", "Pelican (--listen)", Some(8500), "pelican -r -l -p 4001", "PORT"),
        ("pelican content", "-", None, "pelican content", "PORT"),
        ("datasette data.db", "Datasette", Some(8001), "datasette data.db --port 4001", "PORT"),
        (
            "datasette serve -p 8002 data.db",
            "Datasette",
            Some(8002),
            "datasette serve -p 4001 data.db",
            "PORT",
        ),
        ("datasette install datasette-vega", "-", None, "datasette install datasette-vega", "PORT"),
        // the script's own arguments follow it: the flag goes right after `run`
        (
            "streamlit run app.py -- --x 1",
            "Streamlit",
            Some(8501),
            "streamlit run --server.port 4001 app.py -- --x 1",
            "STREAMLIT_SERVER_PORT",
        ),
        ("gradio app.py", "Gradio (reload mode)", Some(7860), "gradio app.py", "GRADIO_SERVER_PORT"),
        (
            "panel serve app.py --args --data x",
            "Panel",
            Some(5006),
            "panel serve --port 4001 app.py --args --data x",
            "PORT",
        ),
        ("bokeh serve --show app.py", "Bokeh", Some(5006), "bokeh serve --port 4001 --show app.py", "PORT"),
        ("jupyter lab", "JupyterLab", Some(8888), "jupyter lab --port 4001 --port-retries=0", "JUPYTER_PORT"),
        (
            "jupyter-lab --port=8890 --no-browser",
            "JupyterLab",
            Some(8890),
            "jupyter-lab --port=4001 --no-browser --port-retries=0",
            "JUPYTER_PORT",
        ),
        (
            "jupyter notebook",
            "Jupyter Notebook",
            Some(8888),
            "jupyter notebook --port 4001 --port-retries=0",
            "JUPYTER_PORT",
        ),
        (
            "jupyter server --ip 127.0.0.1",
            "Jupyter Server",
            Some(8888),
            "jupyter server --ip 127.0.0.1 --port 4001 --port-retries=0",
            "JUPYTER_PORT",
        ),
        ("jupyter nbconvert x.ipynb", "-", None, "jupyter nbconvert x.ipynb", "PORT"),
        ("voila nb.ipynb", "Voilà", Some(8866), "voila nb.ipynb --port 4001 --Voila.port_retries=0", "PORT"),
        ("marimo edit nb.py", "marimo", Some(2718), "marimo edit nb.py --port 4001", "PORT"),
        ("marimo run nb.py -p 2800", "marimo", Some(2800), "marimo run nb.py -p 4001", "PORT"),
        // it reads --port only as --port=N
        (
            "live-server --no-browser",
            "live-server",
            Some(8080),
            "live-server --no-browser --port=4001",
            "PORT",
        ),
        ("live-server --port=8181 dist", "live-server", Some(8181), "live-server --port=4001 dist", "PORT"),
        (
            "browser-sync start --server --files css/*.css",
            "Browsersync",
            Some(3000),
            "browser-sync start --server --files css/*.css --port 4001",
            "PORT",
        ),
        (
            "npx @11ty/eleventy --serve",
            "Eleventy (--serve)",
            Some(8080),
            "npx @11ty/eleventy --serve --port 4001",
            "PORT",
        ),
        (
            "eleventy --serve --port=8085",
            "Eleventy (--serve)",
            Some(8085),
            "eleventy --serve --port=4001",
            "PORT",
        ),
        ("eleventy", "-", None, "eleventy", "PORT"),
        (
            "vitepress dev docs",
            "VitePress",
            Some(5173),
            "vitepress dev docs --port 4001 --strictPort",
            "PORT",
        ),
        ("vitepress docs", "VitePress", Some(5173), "vitepress docs --port 4001 --strictPort", "PORT"),
        ("vitepress build docs", "-", None, "vitepress build docs", "PORT"),
        ("rsbuild dev", "Rsbuild", Some(3000), "rsbuild dev --port 4001 --strict-port", "PORT"),
        ("rsbuild build", "-", None, "rsbuild build", "PORT"),
        ("rspack serve", "Rspack dev server", Some(8080), "rspack serve --port 4001", "PORT"),
        ("rspack build", "-", None, "rspack build", "PORT"),
        ("parcel index.html", "Parcel", Some(1234), "parcel index.html --port 4001", "PORT"),
        (
            "parcel serve src/index.html -p 1300",
            "Parcel",
            Some(1300),
            "parcel serve src/index.html -p 4001",
            "PORT",
        ),
        ("parcel build index.html", "-", None, "parcel build index.html", "PORT"),
        ("wrangler dev", "Wrangler dev", Some(8787), "wrangler dev --port 4001", "PORT"),
        ("wrangler deploy", "-", None, "wrangler deploy", "PORT"),
        ("gatsby develop", "Gatsby develop", Some(8000), "gatsby develop --port 4001", "PORT"),
        ("gatsby serve -p 9100", "Gatsby serve", Some(9100), "gatsby serve -p 4001", "PORT"),
        ("gatsby build", "-", None, "gatsby build", "PORT"),
        ("docusaurus start", "Docusaurus start", Some(3000), "docusaurus start --port 4001", "PORT"),
        ("docusaurus serve", "Docusaurus serve", Some(3000), "docusaurus serve --port 4001", "PORT"),
        ("vue-cli-service serve", "Vue CLI", Some(8080), "vue-cli-service serve --port 4001", "PORT"),
        ("quasar dev -m spa", "Quasar dev", None, "quasar dev -m spa --port 4001", "PORT"),
        ("ember s", "Ember CLI", Some(4200), "ember s --port 4001", "PORT"),
        ("npx expo start", "Expo", Some(8081), "npx expo start --port 4001", "RCT_METRO_PORT"),
        (
            "npx react-native start",
            "React Native (Metro)",
            Some(8081),
            "npx react-native start --port 4001",
            "RCT_METRO_PORT",
        ),
        (
            "netlify dev --command \"npm start\"",
            "Netlify dev",
            Some(8888),
            "netlify dev --command \"npm start\" --port 4001",
            "PORT",
        ),
        ("vercel dev", "Vercel dev", Some(3000), "vercel dev --listen 4001", "PORT"),
        ("vc dev -l 127.0.0.1:3100", "Vercel dev", Some(3100), "vc dev -l 127.0.0.1:4001", "PORT"),
        (
            "firebase serve --only hosting",
            "firebase serve",
            Some(5000),
            "firebase serve --only hosting --port 4001",
            "PORT",
        ),
        ("bundle exec rackup", "rackup", Some(9292), "bundle exec rackup --port 4001", "PORT"),
        ("rackup -p 9300 config.ru", "rackup", Some(9300), "rackup -p 4001 config.ru", "PORT"),
        ("trunk serve", "Trunk", Some(8080), "trunk serve --port 4001", "TRUNK_SERVE_PORT"),
        (
            "dx serve --platform web",
            "Dioxus (dx serve)",
            Some(8080),
            "dx serve --platform web --port 4001",
            "PORT",
        ),
        ("quart run", "Quart", Some(5000), "quart run --port 4001", "PORT"),
        ("quart run -p 5050", "Quart", Some(5050), "quart run -p 4001", "PORT"),
        (
            "python -m aiohttp.web web_app:init",
            "aiohttp.web",
            Some(8080),
            "python -m aiohttp.web web_app:init --port 4001",
            "PORT",
        ),
        (
            "python -m aiohttp.web -P 9000 m:f",
            "aiohttp.web",
            Some(9000),
            "python -m aiohttp.web -P 4001 m:f",
            "PORT",
        ),
        ("bottle.py app:app", "Bottle", Some(8080), "bottle.py app:app --bind 127.0.0.1:4001", "PORT"),
        (
            "bottle.py -p myplugin app:app",
            "Bottle",
            Some(8080),
            "bottle.py -p myplugin app:app --bind 127.0.0.1:4001",
            "PORT",
        ),
        (
            "python -m bottle -b localhost:8090 app:app",
            "Bottle",
            Some(8090),
            "python -m bottle -b localhost:4001 app:app",
            "PORT",
        ),
        (
            "twistd -n web --path .",
            "twistd web",
            Some(8080),
            "twistd -n web --path . --listen tcp:4001",
            "PORT",
        ),
        (
            "twistd -n web --listen tcp:8099",
            "twistd web",
            Some(8099),
            "twistd -n web --listen tcp:4001",
            "PORT",
        ),
        ("twistd -n ftp", "-", None, "twistd -n ftp", "PORT"),
        ("pdoc mymodule", "pdoc", Some(8080), "pdoc mymodule --port 4001", "PORT"),
        ("pdoc -o docs mymodule", "pdoc", Some(8080), "pdoc -o docs mymodule --port 4001", "PORT"),
        (
            "esbuild --servedir=. --serve",
            "esbuild --serve",
            Some(8000),
            "esbuild --servedir=. --serve --serve=4001",
            "PORT",
        ),
        ("esbuild app.js --serve=8100", "esbuild --serve", Some(8100), "esbuild app.js --serve=4001", "PORT"),
        ("esbuild app.js --bundle", "-", None, "esbuild app.js --bundle", "PORT"),
        ("ws", "local-web-server", Some(8000), "ws --port 4001", "PORT"),
        ("ws -d public -p 8200", "local-web-server", Some(8200), "ws -d public -p 4001", "PORT"),
        ("wds --root-dir .", "Web Dev Server", Some(8000), "wds --root-dir . --port 4001", "PORT"),
        ("sirv public", "sirv", Some(8080), "sirv public --port 4001", "PORT"),
        (
            "five-server --open=false",
            "Five Server",
            Some(5500),
            "five-server --open=false --port=4001",
            "PORT",
        ),
        ("thin start", "Thin", Some(3000), "thin start --port 4001", "PORT"),
        ("thin start -R config.ru -p 3100", "Thin", Some(3100), "thin start -R config.ru -p 4001", "PORT"),
        ("thin stop", "-", None, "thin stop", "PORT"),
        ("plackup app.psgi", "plackup", Some(5000), "plackup app.psgi --port 4001", "PORT"),
        ("plackup --listen :5100 app.psgi", "plackup", Some(5100), "plackup --listen :4001 app.psgi", "PORT"),
        (
            "morbo app.pl",
            "Mojolicious morbo",
            Some(3000),
            "morbo app.pl --listen http://127.0.0.1:4001",
            "PORT",
        ),
        (
            "morbo -l http://*:3300 app.pl",
            "Mojolicious morbo",
            Some(3300),
            "morbo -l http://*:4001 app.pl",
            "PORT",
        ),
        // covered by existing rows: SvelteKit runs vite, Turbopack is next dev's flag, bun --hot
        ("vite dev --strictPort", "vite", Some(5173), "vite dev --strictPort --port 4001", "PORT"),
        ("next dev --turbopack", "Next.js", Some(3000), "next dev --turbopack -p 4001", "PORT"),
        ("bun --hot server.ts", "bun (a server file)", None, "bun --hot server.ts", "BUN_PORT"),
        // Node apps (Express, Fastify, …) read PORT: an unknown command, PORT carries the port
        ("node server.js", "-", None, "node server.js", "PORT"),
        ("nodemon app.js", "-", None, "nodemon app.js", "PORT"),
    ];
    for (argv, tool, wanted, relaunch, var) in cases {
        let plan = of(argv);
        assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
        assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
        assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
        let env = plan.env_for(p(4001));
        assert!(env.contains(&((*var).to_string(), "4001".to_string())), "{argv}: {env:?}");
        if let Some(w) = wanted {
            if !plan.port_in_args() {
                assert_eq!(*plan.source(), Source::ToolDefault { tool: tool_name(tool) }, "{argv}");
                assert_eq!(*w, plan.tool_row().unwrap().default_port.unwrap(), "{argv}");
            }
        }
    }
}

#[test]
fn the_words_shown_are_the_commands_own_with_its_ports_filled_in() {
    // flags inserted before the script are not shown, and no word of the command is lost
    for (argv, shown) in [
        ("panel serve app.py", "panel serve app.py"),
        ("deno serve serve.ts", "deno serve serve.ts"),
        ("streamlit run app.py --server.headless true", "streamlit run app.py --server.headless true"),
        ("next start -p 3005", "next start -p 4001"),
        ("python3 -m http.server {port}", "python3 -m http.server 4001"),
    ] {
        assert_eq!(of(argv).words_for(p(4001)), sv(shown), "{argv}");
    }
}

fn tool_name(name: &str) -> &'static str {
    TOOLS.iter().find(|t| t.name == name).unwrap().name
}

/// The ways people start a tool.
#[test]
fn tools_are_found_behind_launchers() {
    let cases: &[(&str, &str, &str)] = &[
        ("./node_modules/.bin/vite", "vite", "./node_modules/.bin/vite --port 4001 --strictPort"),
        ("/usr/local/bin/vite.cmd", "vite", "/usr/local/bin/vite.cmd --port 4001 --strictPort"),
        ("npx vite", "vite", "npx vite --port 4001 --strictPort"),
        ("npx -y -p vite@5 vite --host", "vite", "npx -y -p vite@5 vite --host --port 4001 --strictPort"),
        ("npx --yes http-server", "http-server", "npx --yes http-server -p 4001"),
        ("npm exec -- vite", "vite", "npm exec -- vite --port 4001 --strictPort"),
        ("pnpm dlx serve", "serve", "pnpm dlx serve -l 4001 --no-port-switching"),
        ("pnpm exec next dev", "Next.js", "pnpm exec next dev -p 4001"),
        ("yarn dlx json-server db.json", "json-server", "yarn dlx json-server db.json --port 4001"),
        ("bunx vite", "vite", "bunx vite --port 4001 --strictPort"),
        ("bun x astro dev", "Astro", "bun x astro dev --port 4001"),
        // no package.json script of that name: the package's binary
        ("pnpm vite", "vite", "pnpm vite --port 4001 --strictPort"),
        ("yarn run vite", "vite", "yarn run vite --port 4001 --strictPort"),
        ("bundle exec rails s", "Rails", "bundle exec rails s -p 4001"),
        ("poetry run flask run", "Flask", "poetry run flask run --port 4001"),
        ("uv run uvicorn app:app", "uvicorn", "uv run uvicorn app:app --port 4001"),
        (
            "pipenv run python manage.py runserver",
            "Django runserver",
            "pipenv run python manage.py runserver 4001",
        ),
        ("env NODE_ENV=development vite", "vite", "env NODE_ENV=development vite --port 4001 --strictPort"),
        ("cross-env NODE_ENV=dev next dev", "Next.js", "cross-env NODE_ENV=dev next dev -p 4001"),
        ("python3.12 -u -m http.server", "python -m http.server", "python3.12 -u -m http.server 4001"),
        ("py -m flask run", "Flask", "py -m flask run --port 4001"),
        (
            "node node_modules/vite/bin/vite.js",
            "vite",
            "node node_modules/vite/bin/vite.js --port 4001 --strictPort",
        ),
        (
            "node --inspect node_modules/.bin/next dev",
            "Next.js",
            "node --inspect node_modules/.bin/next dev -p 4001",
        ),
        ("ruby bin/rails server", "Rails", "ruby bin/rails server -p 4001"),
        // not a tool: code on the command line
        ("python -c print(1)", "-", "python -c print(1)"),
        ("node -e 1", "-", "node -e 1"),
    ];
    for (argv, tool, relaunch) in cases {
        let plan = of(argv);
        assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
        assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
    }
}

const VITE_APP: &str = r#"{
    "name": "app",
    "scripts": {
        "dev": "vite",
        "dev:host": "vite --host 0.0.0.0",
        "dev:fixed": "vite --port 3000",
        "dev:strict": "vite --strictPort",
        "preview": "vite build && vite preview",
        "next": "cross-env PORT=4000 next dev",
        "next:plain": "NODE_ENV=development next dev",
        "start": "react-scripts start",
        "test": "vitest",
        "both": "concurrently \"vite\" \"node api.js\"",
        "api": "node server.js --port 7000",
        "py": "python3 -m http.server",
        "py:fixed": "python3 -m http.server 8100",
        "quoted": "vite --host '127.0.0.1'",
        "static": "serve dist",
        "static:fixed": "serve -l 3000 dist"
    }
}"#;

/// package.json scripts: command → tool → wanted (and where from) → relaunch on 4001.
#[test]
fn package_json_scripts_are_resolved() {
    let script = |name: &str| Source::Script { name: name.into() };
    let default = |tool: &'static str| Source::ToolDefault { tool };
    let cases: &[(&str, &str, Option<u16>, Source, &str)] = &[
        ("npm run dev", "vite", Some(5173), default("vite"), "npm run dev -- --port 4001 --strictPort"),
        (
            "npm run-script dev",
            "vite",
            Some(5173),
            default("vite"),
            "npm run-script dev -- --port 4001 --strictPort",
        ),
        (
            "npm --silent run dev",
            "vite",
            Some(5173),
            default("vite"),
            "npm --silent run dev -- --port 4001 --strictPort",
        ),
        ("pnpm run dev", "vite", Some(5173), default("vite"), "pnpm run dev --port 4001 --strictPort"),
        ("pnpm dev", "vite", Some(5173), default("vite"), "pnpm dev --port 4001 --strictPort"),
        ("yarn dev", "vite", Some(5173), default("vite"), "yarn dev --port 4001 --strictPort"),
        ("yarn run dev", "vite", Some(5173), default("vite"), "yarn run dev --port 4001 --strictPort"),
        ("bun run dev", "vite", Some(5173), default("vite"), "bun run dev --port 4001 --strictPort"),
        ("bun dev", "vite", Some(5173), default("vite"), "bun dev --port 4001 --strictPort"),
        (
            "npm run dev:host",
            "vite",
            Some(5173),
            default("vite"),
            "npm run dev:host -- --port 4001 --strictPort",
        ),
        ("npm run quoted", "vite", Some(5173), default("vite"), "npm run quoted -- --port 4001 --strictPort"),
        // the user's own `--` is reused; their port is rewritten where they wrote it
        (
            "npm run dev -- --open",
            "vite",
            Some(5173),
            default("vite"),
            "npm run dev -- --open --port 4001 --strictPort",
        ),
        (
            "npm run dev -- --port 3001",
            "vite",
            Some(3001),
            Source::Arg { index: 5, form: ArgForm::FlagValue },
            "npm run dev -- --port 4001 --strictPort",
        ),
        (
            "pnpm dev --port 3001",
            "vite",
            Some(3001),
            Source::Arg { index: 3, form: ArgForm::FlagValue },
            "pnpm dev --port 4001 --strictPort",
        ),
        // a port written in the script: appended flags come last, and the last --port wins
        (
            "npm run dev:fixed",
            "vite",
            Some(3000),
            script("dev:fixed"),
            "npm run dev:fixed -- --port 4001 --strictPort",
        ),
        ("npm run dev:strict", "vite", Some(5173), default("vite"), "npm run dev:strict -- --port 4001"),
        // arguments land on the script's last command
        (
            "npm run preview",
            "vite preview",
            Some(4173),
            default("vite preview"),
            "npm run preview -- --port 4001 --strictPort",
        ),
        ("npm run next", "Next.js", Some(4000), script("next"), "npm run next -- -p 4001"),
        ("yarn next:plain", "Next.js", Some(3000), default("Next.js"), "yarn next:plain -p 4001"),
        ("npm start", "create-react-app", Some(3000), default("create-react-app"), "npm start"),
        ("yarn start", "create-react-app", Some(3000), default("create-react-app"), "yarn start"),
        (
            "npm run py",
            "python -m http.server",
            Some(8000),
            default("python -m http.server"),
            "npm run py -- 4001",
        ),
        // the script already gives the positional port: nothing can be appended
        ("npm run py:fixed", "python -m http.server", Some(8100), script("py:fixed"), "npm run py:fixed"),
        (
            "npm run static",
            "serve",
            Some(3000),
            default("serve"),
            "npm run static -- -l 4001 --no-port-switching",
        ),
        // serve listens on every -l: a second one would not replace the script's
        (
            "npm run static:fixed",
            "serve",
            Some(3000),
            script("static:fixed"),
            "npm run static:fixed -- --no-port-switching",
        ),
        // not a known tool: PORT only, a port in the script is still the wanted one
        ("npm test", "-", None, Source::Unknown, "npm test"),
        ("npm run both", "-", None, Source::Unknown, "npm run both"),
        ("npm run api", "-", Some(7000), script("api"), "npm run api"),
        // no such script, another package: as an unknown command
        ("npm run nothing", "-", None, Source::Unknown, "npm run nothing"),
        ("npm -w web run dev", "-", None, Source::Unknown, "npm -w web run dev"),
        ("pnpm --filter web dev", "-", None, Source::Unknown, "pnpm --filter web dev"),
        ("npm install", "-", None, Source::Unknown, "npm install"),
    ];
    for (argv, tool, wanted, source, relaunch) in cases {
        let plan = in_package(VITE_APP, argv);
        assert_eq!(plan.tool().unwrap_or("-"), *tool, "{argv}");
        assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv}");
        assert_eq!(plan.source(), source, "{argv}");
        assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
    }
    let plan = in_package(VITE_APP, "npm run dev:host");
    let script = plan.script().unwrap();
    assert_eq!(
        (script.manager, script.name.as_str(), script.command.as_str()),
        (PackageManager::Npm, "dev:host", "vite --host 0.0.0.0")
    );
}

/// A script (or a shell string in the command) that already passes the port on through a
/// variable portfix sets: the port goes in that variable only, nothing is appended or
/// rewritten. Script → command → `--env` names → wanted port → relaunch on 4001.
#[test]
fn a_script_that_passes_the_port_by_variable_gets_it_there_only() {
    // script, command, --env names, wanted port, relaunch on 4001
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], Option<u16>, &'a str);
    let cases: &[Case<'_>] = &[
        ("python3 -m http.server $PORT --bind 127.0.0.1", "npm start", &[], Some(8000), "npm start"),
        ("python3 -m http.server ${PORT} --bind 127.0.0.1", "npm start", &[], Some(8000), "npm start"),
        ("python3 -m http.server \"$PORT\"", "pnpm start", &[], Some(8000), "pnpm start"),
        ("http-server -p %PORT%", "npm start", &[], Some(8080), "npm start"),
        ("http-server -p $env:PORT", "yarn start", &[], Some(8080), "yarn start"),
        ("next start -p $PORT", "npm start", &[], Some(3000), "npm start"),
        ("vite --port $PORT", "npm start", &[], Some(5173), "npm start"),
        ("vite --port=$PORT --host", "npm start", &[], Some(5173), "npm start"),
        ("vite build && vite preview --port $PORT", "npm start", &[], Some(4173), "npm start"),
        // a default written in the reference is the wanted port when the variable is unset
        ("python3 -m http.server ${PORT:-8100}", "npm start", &[], Some(8100), "npm start"),
        ("vite --port ${PORT-5300}", "npm start", &[], Some(5300), "npm start"),
        // the same for any variable portfix sets: --env names and the tool's own
        ("python3 -m http.server $APP_PORT", "npm start", &["APP_PORT"], Some(8000), "npm start"),
        ("flask run --port $FLASK_RUN_PORT", "npm start", &[], Some(5000), "npm start"),
        // not a reference to a variable portfix sets: the port is appended as before
        ("python3 -m http.server $PORTAL", "npm start", &[], Some(8000), "npm start -- 4001"),
        ("python3 -m http.server $PORT", "npm start", &["APP_PORT"], Some(8000), "npm start -- 4001"),
        ("vite --port '$HOST'", "npm start", &[], Some(5173), "npm start -- --port 4001 --strictPort"),
    ];
    for (script, argv, names, wanted, relaunch) in cases {
        let json = serde_json::json!({ "scripts": { "start": script } }).to_string();
        let argv_v = sv(argv);
        let names: Vec<String> = names.iter().map(|s| (*s).to_string()).collect();
        let req = Request { argv: &argv_v, port: None, env_names: &names, tools: TOOLS };
        let plan = Plan::with_files(req, |_| None, &|path: &Path| {
            (path == Path::new("package.json")).then(|| json.clone())
        });
        assert_eq!(plan.wanted().map(Port::get), *wanted, "{script}");
        assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{script}");
    }
    // a shell string in the command itself: the same rule
    let cases: &[(&[&str], Option<u16>)] = &[
        (&["sh", "-c", "python3 -m http.server $PORT"], None),
        (&["sh", "-c", "exec python3 -m http.server ${PORT:-8200}"], Some(8200)),
        (&["bash", "-c", "vite --port \"${PORT}\""], None),
    ];
    for (argv, wanted) in cases {
        let argv: Vec<String> = argv.iter().map(|s| (*s).to_string()).collect();
        let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
        let plan = Plan::new(req, |_| None);
        assert_eq!(plan.wanted().map(Port::get), *wanted, "{argv:?}");
        assert_eq!(plan.argv_for(p(4001)), argv, "{argv:?}");
    }
    // a variable that is set wins over the default written after it, as in the shell
    let json = r#"{"scripts":{"start":"python3 -m http.server ${PORT:-8100}"}}"#;
    let argv = sv("npm start");
    let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
    let plan = Plan::with_files(req, |n| (n == "PORT").then(|| "9000".to_string()), &|path: &Path| {
        (path == Path::new("package.json")).then(|| json.to_string())
    });
    assert_eq!(plan.wanted().map(Port::get), Some(9000));
}

#[test]
fn a_port_written_in_the_command_and_replaced_by_dash_p_is_known() {
    assert_eq!(plan_with("next start -p 3005", Some(3001), &[], &[]).overridden(), Some((p(3005), p(3001))));
    assert_eq!(plan_with("next start -p 3001", Some(3001), &[], &[]).overridden(), None);
    assert_eq!(plan_with("next start", Some(3001), &[], &[]).overridden(), None);
    assert_eq!(of("next start -p 3005").overridden(), None);
}

#[test]
fn package_json_is_looked_for_upward_and_bad_files_are_ignored() {
    let argv = sv("npm run dev");
    let req = Request { argv: &argv, port: None, env_names: &[], tools: TOOLS };
    let asked = std::cell::RefCell::new(Vec::new());
    let plan = Plan::with_files(req, |_| None, &|path: &Path| {
        asked.borrow_mut().push(path.to_path_buf());
        (path == Path::new("../../package.json")).then(|| VITE_APP.to_string())
    });
    assert_eq!(plan.tool(), Some("vite"));
    assert_eq!(*asked.borrow(), ["package.json", "../package.json", "../../package.json"].map(PathBuf::from));
    for json in ["", "{", "[]", r#"{"scripts": {"dev": 1}}"#, r#"{"scripts": "vite"}"#, r#"{"name": "x"}"#] {
        let plan = in_package(json, "npm run dev");
        assert_eq!((plan.tool(), plan.wanted()), (None, None), "{json}");
        assert_eq!(plan.argv_for(p(4001)), sv("npm run dev"), "{json}");
    }
    // no file at all: nothing read past the bound
    let count = std::cell::Cell::new(0);
    let plan = Plan::with_files(req, |_| None, &|_: &Path| {
        count.set(count.get() + 1);
        None
    });
    assert_eq!((plan.tool(), count.get()), (None, PACKAGE_JSON_LEVELS));
}

#[test]
fn script_lines_split_like_a_shell() {
    let cases: &[(&str, &[&str])] = &[
        ("vite", &["vite"]),
        ("tsc && vite --host", &["vite", "--host"]),
        ("vite build; vite preview", &["vite", "preview"]),
        ("a || b", &["b"]),
        ("run-p a b | tee log", &["tee", "log"]),
        ("node api.js & vite", &["vite"]),
        (r#"cross-env PORT=4000 "next" dev"#, &["cross-env", "PORT=4000", "next", "dev"]),
        (r#"echo 'a && b' "c \"d\"" e\ f"#, &["echo", "a && b", "c \"d\"", "e f"]),
        ("vite &&", &["vite"]),
    ];
    for (line, words) in cases {
        assert_eq!(last_command(line).unwrap(), *words, "{line}");
    }
    assert_eq!(last_command("  "), None);
}

#[test]
fn sources_in_order() {
    let arg = Source::Arg { index: 2, form: ArgForm::FlagValue };
    assert_eq!(*plan_with("vite --port 3000", Some(5000), &[], &[]).source(), Source::Flag);
    assert_eq!(plan_with("vite --port 3000", Some(5000), &[], &[]).wanted(), Some(p(5000)));
    assert_eq!(*plan_with("vite --port 3000", None, &[], &[("PORT", "9")]).source(), arg);
    let envd = plan_with("node app.js", None, &[], &[("PORT", "3005")]);
    assert_eq!((envd.wanted(), envd.source().clone()), (Some(p(3005)), Source::Env { name: "PORT".into() }));
    // the first --env name is the one read
    let vite =
        plan_with("node app.js", None, &["VITE_PORT", "PORT"], &[("PORT", "1"), ("VITE_PORT", "5174")]);
    assert_eq!(vite.wanted(), Some(p(5174)));
    // then the tool's own variables, then its default
    let flask = plan_with("flask run", None, &[], &[("FLASK_RUN_PORT", "5050")]);
    assert_eq!(*flask.source(), Source::Env { name: "FLASK_RUN_PORT".into() });
    assert_eq!(flask.wanted(), Some(p(5050)));
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
    // `--port {port}`: no second --port added, no port grabbed; the strict flag still goes in
    let plan = of("vite --port {port}");
    assert_eq!((plan.wanted(), plan.argv_for(p(4001))), (Some(p(5173)), sv("vite --port 4001 --strictPort")));
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
    let nuxt: Vec<String> = of("nuxi dev").env_for(p(4001)).into_iter().map(|(n, _)| n).collect();
    assert_eq!(nuxt, ["PORT", "NUXT_PORT", "NITRO_PORT"]);
}

#[test]
fn tool_rows_are_data_injection_and_strict_flags() {
    static ROWS: &[Tool] = &[Tool {
        name: "devsrv",
        program: &["devsrv"],
        subcommand: &[],
        other_commands: &[],
        needs: &[],
        default_port: Some(5173),
        env: &["DEVSRV_PORT"],
        flags: &["--port"],
        bind_flags: &[],
        value_flags: &["--host", "--mode", "-m"],
        positional: false,
        inject: Inject::Flag("--port"),
        strict: &["--strict"],
        last_port_wins: true,
        on_taken: OnTaken::Moves,
        flags_first: false,
        source: "test row",
    }];
    let argv = sv("./node_modules/.bin/devsrv --host 127.0.0.1");
    let req = Request { argv: &argv, port: None, env_names: &[], tools: ROWS };
    let plan = Plan::new(req, |_| None);
    assert_eq!((plan.tool(), plan.wanted()), (Some("devsrv"), Some(p(5173))));
    assert_eq!(
        plan.argv_for(p(5174)),
        sv("./node_modules/.bin/devsrv --host 127.0.0.1 --port 5174 --strict")
    );
    assert_eq!(
        plan.env_for(p(5174)),
        [("PORT".to_string(), "5174".to_string()), ("DEVSRV_PORT".to_string(), "5174".to_string())]
    );
    // the tool's variable is a source too, after the --env name
    let plan = Plan::new(req, |n| (n == "DEVSRV_PORT").then(|| "5200".to_string()));
    assert_eq!(*plan.source(), Source::Env { name: "DEVSRV_PORT".into() });
    // its strict flag is not added twice
    let argv = sv("devsrv --strict --port 3000");
    let plan = Plan::new(Request { argv: &argv, ..req }, |_| None);
    assert_eq!(plan.argv_for(p(3001)), sv("devsrv --strict --port 3001"));
    // a table without the row: an unknown command
    let plan = Plan::new(Request { tools: &[], ..req }, |_| None);
    assert_eq!((plan.tool(), plan.wanted()), (None, None));
}

/// A debugger around the command (`python -m debugpy --listen 5678 …`, `node
/// --inspect-port 9230 …`) is not the server: its port is not the wanted one
/// (`core::secondary` moves it), and the program behind it is the tool.
#[test]
fn debuggers_are_looked_through() {
    let cases: &[(&str, Option<&str>, Option<u16>, &str)] = &[
        (
            "python -m debugpy --listen 5678 manage.py runserver",
            Some("Django runserver"),
            Some(8000),
            "python -m debugpy --listen 5678 manage.py runserver 4001",
        ),
        (
            "python3 -m debugpy --wait-for-client --listen 0.0.0.0:5678 -m flask run",
            Some("Flask"),
            Some(5000),
            "python3 -m debugpy --wait-for-client --listen 0.0.0.0:5678 -m flask run --port 4001",
        ),
        (
            "python3 -m debugpy --listen=5678 -m http.server 8001",
            Some("python -m http.server"),
            Some(8001),
            "python3 -m debugpy --listen=5678 -m http.server 4001",
        ),
        (
            "python3 -m debugpy --listen 5678 --pid 123",
            None,
            None,
            "python3 -m debugpy --listen 5678 --pid 123",
        ),
        ("node --inspect-port 9230 server.js", None, None, "node --inspect-port 9230 server.js"),
        (
            "node --inspect=9230 node_modules/vite/bin/vite.js",
            Some("vite"),
            Some(5173),
            "node --inspect=9230 node_modules/vite/bin/vite.js --port 4001 --strictPort",
        ),
    ];
    for (argv, tool, wanted, relaunch) in cases {
        let plan = of(argv);
        assert_eq!((plan.tool(), plan.wanted().map(Port::get)), (*tool, *wanted), "{argv}");
        assert_eq!(plan.argv_for(p(4001)), sv(relaunch), "{argv}");
    }
}

#[test]
fn run_names() {
    for (argv, name) in [
        ("npm run dev", Some("dev")),
        ("npm start", Some("start")),
        ("pnpm dev", Some("dev")),
        ("yarn run web -- --port 3000", Some("web")),
        ("npx vite", Some("vite")),
        ("./node_modules/.bin/vite --port 3000", Some("vite")),
        ("python3 -m http.server", Some("http.server")),
        ("python manage.py runserver", Some("manage.py")),
        ("node server.js", Some("server")),
        ("env PORT=1 cargo run", Some("cargo")),
        ("python -m debugpy --listen 5678 -m flask run", Some("flask")),
    ] {
        assert_eq!(run_name(&sv(argv)).as_deref(), name, "{argv}");
    }
}
