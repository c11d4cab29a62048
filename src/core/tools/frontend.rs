//! Front-end dev servers and bundlers run through node: Vite and the frameworks on it, Next.js,
//! webpack and the CLIs on it, static-site generators, mobile bundlers.

use super::{BASE, Inject, OnTaken, Tool};

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

/// Rows of this family, in match order.
pub(super) const ROWS: &[Tool] = &[
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
];
