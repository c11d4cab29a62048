use super::*;
use super::{restart::*, view::*};
use std::path::{Path, PathBuf};

use crate::core::process::ProcessInfo;
use crate::core::render::Paint;

fn args(s: &[&str]) -> Vec<String> {
    s.iter().map(ToString::to_string).collect()
}

fn proc(pid: u32, name: &str, cmd: &[&str]) -> ProcessInfo {
    ProcessInfo {
        pid,
        ppid: Some(pid.saturating_sub(1)),
        name: name.into(),
        cmdline: args(cmd),
        ..ProcessInfo::default()
    }
}

fn bash() -> ProcessInfo {
    proc(100, "bash", &["-bash"])
}

fn init() -> ProcessInfo {
    proc(1, "systemd", &["/sbin/init"])
}

fn kind(chain: &[ProcessInfo]) -> Option<(SupervisorKind, Option<u32>)> {
    supervisor(chain, chain[0].systemd_unit.as_deref()).map(|s| (s.kind, s.pid))
}

#[test]
fn a_restarter_that_is_pid_1_is_not_told_to_be_killed() {
    // a container whose init is the shell loop: portfix never signals pid 1
    let server = proc(7, "python3", &["python3", "-m", "http.server"]);
    let looping = proc(1, "sh", &["sh", "-c", "while true; do python3 -m http.server; done"]);
    let s = supervisor(&[server, looping], None).expect("the loop restarts it");
    assert_eq!(s.pid, Some(1));
    assert!(!s.stop.contains("kill 1"), "{}", s.stop);
    assert!(s.stop.contains("pid 1"), "{}", s.stop);
}

#[test]
fn supervisors_in_the_chain() {
    use SupervisorKind::*;
    let server = || proc(900, "node", &["node", "server.js"]);
    type Found = Option<(SupervisorKind, Option<u32>)>;
    let cases: Vec<(&str, Vec<ProcessInfo>, Found)> = vec![
        ("started by hand", vec![server(), bash(), init()], None),
        (
            "nodemon",
            vec![server(), proc(800, "node", &["node", "/usr/local/bin/nodemon", "server.js"]), bash()],
            Some((Nodemon, Some(800))),
        ),
        (
            "nodemon through its sh -c",
            vec![
                server(),
                proc(810, "sh", &["sh", "-c", "node server.js"]),
                proc(800, "node", &["nodemon", "server.js"]),
                bash(),
            ],
            Some((Nodemon, Some(800))),
        ),
        (
            "pm2",
            vec![server(), proc(700, "PM2 v5.3.0: God", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]), init()],
            Some((Pm2, Some(700))),
        ),
        (
            "forever",
            vec![
                server(),
                proc(
                    600,
                    "node",
                    &["/usr/bin/node", "/usr/lib/node_modules/forever/bin/monitor", "server.js"],
                ),
                init(),
            ],
            Some((Forever, Some(600))),
        ),
        (
            "shell loop",
            vec![server(), proc(500, "sh", &["sh", "-c", "while true; do node server.js; done"]), bash()],
            Some((ShellLoop, Some(500))),
        ),
        (
            "until loop, bash -ec",
            vec![
                server(),
                proc(501, "bash", &["bash", "-ec", "until node server.js; do sleep 1; done"]),
                bash(),
            ],
            Some((ShellLoop, Some(501))),
        ),
        (
            "for loop",
            vec![
                server(),
                proc(502, "dash", &["/bin/dash", "-c", "for i in 1 2 3; do node server.js; done"]),
                bash(),
            ],
            Some((ShellLoop, Some(502))),
        ),
        (
            "'for' in an echo is not a loop",
            vec![server(), proc(503, "sh", &["sh", "-c", "echo waiting for db; node server.js"]), bash()],
            None,
        ),
        (
            "loop above npm and its script shell",
            vec![
                server(),
                proc(402, "sh", &["sh", "-c", "node server.js"]),
                proc(401, "npm start", &["npm start"]),
                proc(400, "bash", &["bash", "-c", "while :; do npm start; sleep 1; done"]),
                bash(),
            ],
            Some((ShellLoop, Some(400))),
        ),
        (
            "shell script parent",
            vec![server(), proc(300, "bash", &["/bin/bash", "./run.sh"]), bash()],
            Some((ShellScript, Some(300))),
        ),
        (
            "interactive shell ends the walk",
            vec![server(), proc(301, "bash", &["bash", "-i"]), proc(300, "bash", &["bash", "./x.sh"])],
            None,
        ),
        (
            "a harness between ends the walk",
            vec![
                server(),
                proc(290, "cli-4c1b", &["/work/target/debug/deps/cli-4c1b"]),
                proc(289, "bash", &["bash", ".ci/run"]),
            ],
            None,
        ),
        (
            "supervisord",
            vec![
                server(),
                proc(200, "supervisord", &["/usr/bin/python3", "/usr/bin/supervisord", "-n"]),
                init(),
            ],
            Some((Supervisord, Some(200))),
        ),
        (
            "watchexec",
            vec![server(), proc(210, "watchexec", &["watchexec", "-r", "node server.js"]), bash()],
            Some((Watcher, Some(210))),
        ),
        (
            "cargo watch → cargo run",
            vec![
                proc(900, "server", &["target/debug/server"]),
                proc(221, "cargo", &["cargo", "run"]),
                proc(220, "cargo-watch", &["/root/.cargo/bin/cargo-watch", "watch", "-x", "run"]),
                bash(),
            ],
            Some((Watcher, Some(220))),
        ),
        (
            "air",
            vec![proc(900, "main", &["./tmp/main"]), proc(230, "air", &["air"]), bash()],
            Some((Watcher, Some(230))),
        ),
        (
            "node --watch",
            vec![server(), proc(240, "node", &["node", "--watch", "server.js"]), bash()],
            Some((Watcher, Some(240))),
        ),
        (
            "tsx watch",
            vec![
                server(),
                proc(250, "node", &["node", "/app/node_modules/.bin/tsx", "watch", "server.ts"]),
                proc(249, "sh", &["sh", "-c", "tsx watch server.ts"]),
                bash(),
            ],
            Some((Watcher, Some(250))),
        ),
        (
            "next dev forks its server: not a supervisor",
            vec![
                proc(900, "next-server", &["next-server (v14.2.3)"]),
                proc(260, "node", &["node", "/app/node_modules/.bin/next", "dev"]),
                proc(259, "sh", &["sh", "-c", "next dev"]),
                proc(258, "npm run dev", &["npm run dev"]),
                bash(),
            ],
            None,
        ),
        (
            "vite's esbuild service: not a supervisor",
            vec![
                proc(900, "node", &["node", "/app/node_modules/.bin/vite"]),
                proc(270, "sh", &["sh", "-c", "vite"]),
                proc(269, "npm run dev", &["npm run dev"]),
                bash(),
            ],
            None,
        ),
        (
            "docker-proxy holder",
            vec![
                proc(
                    150,
                    "docker-proxy",
                    &[
                        "/usr/bin/docker-proxy",
                        "-proto",
                        "tcp",
                        "-host-ip",
                        "0.0.0.0",
                        "-host-port",
                        "8080",
                        "-container-ip",
                        "172.17.0.2",
                        "-container-port",
                        "80",
                    ],
                ),
                proc(149, "dockerd", &["/usr/bin/dockerd"]),
                init(),
            ],
            Some((DockerProxy, Some(150))),
        ),
    ];
    for (what, chain, want) in cases {
        assert_eq!(kind(&chain), want, "{what}");
    }
}

#[test]
fn systemd_units_and_containers() {
    let with_unit = |unit: &str, user: Option<u32>| {
        let mut h = proc(900, "nginx", &["nginx: master process /usr/sbin/nginx"]);
        h.systemd_unit = Some(unit.into());
        h.systemd_user = user;
        vec![h, init()]
    };
    let sup = |chain: &[ProcessInfo]| supervisor(chain, chain[0].systemd_unit.as_deref());

    let s = sup(&with_unit("nginx.service", None)).unwrap();
    assert_eq!((s.kind, s.pid, s.certain), (SupervisorKind::Systemd, None, false));
    assert_eq!(s.stop, "systemctl stop nginx.service");
    let s = sup(&with_unit("api.service", Some(1000))).unwrap();
    assert_eq!(s.stop, "systemctl --user stop api.service");
    let s = sup(&with_unit("docker-0123456789abcdef0123.scope", None)).unwrap();
    assert_eq!((s.kind, s.stop.as_str()), (SupervisorKind::Container, "docker stop 0123456789ab"));
    assert_eq!(
        sup(&with_unit("libpod-fedcba9876543210.scope", None)).unwrap().stop,
        "podman stop fedcba987654"
    );
    for quiet in ["session-3.scope", "vte-spawn-1.scope", "init.scope", "user@1000.service", "run-u7.scope"] {
        assert_eq!(sup(&with_unit(quiet, None)), None, "{quiet}");
    }
    // A nearer supervisor wins over the unit (pm2 started at boot by systemd).
    let mut chain = with_unit("pm2-root.service", None);
    chain.insert(1, proc(700, "PM2", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]));
    assert_eq!(sup(&chain).map(|s| s.kind), Some(SupervisorKind::Pm2));
    // The unit given wins over none.
    assert_eq!(
        supervisor(&[proc(5, "x", &["x"])], Some("x.service")).map(|s| s.kind),
        Some(SupervisorKind::Systemd)
    );
    assert_eq!(supervisor(&[], None), None);
}

#[test]
fn the_root_of_a_dev_command_run() {
    let node = proc(903, "node", &["node", "server.js"]);
    let sh = proc(902, "sh", &["sh", "-c", "node server.js"]);
    let npm = proc(901, "npm start", &["npm start"]);
    let root_of = |chain: &[ProcessInfo]| dev_command_root(chain).map(|p| p.pid);

    assert_eq!(root_of(&[node.clone(), sh.clone(), npm.clone(), bash()]), Some(901));
    assert_eq!(root_of(&[node.clone(), bash()]), None, "no package manager");
    // npx inside npm run: the outermost runner.
    let npx = proc(904, "npm exec vite", &["node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "vite"]);
    assert_eq!(root_of(&[node.clone(), npx, sh.clone(), npm.clone(), bash()]), Some(901));
    // pnpm and yarn, as node scripts.
    let pnpm = proc(905, "node", &["node", "/usr/local/bin/pnpm", "dev"]);
    assert_eq!(root_of(&[node.clone(), sh.clone(), pnpm, bash()]), Some(905));
    let yarn = proc(906, "node", &["/usr/bin/node", "/usr/share/yarn/bin/yarn.js", "dev"]);
    assert_eq!(root_of(&[node.clone(), sh.clone(), yarn, bash()]), Some(906));
    // bun runs the server itself.
    let bun = proc(907, "bun", &["bun", "run", "server.ts"]);
    assert_eq!(root_of(&[bun, bash()]), Some(907));
    // `npm run dev` → nodemon → sh → node: the whole run is npm's.
    let nodemon = proc(908, "node", &["node", "/app/node_modules/.bin/nodemon", "server.js"]);
    assert_eq!(root_of(&[node.clone(), sh.clone(), nodemon, sh.clone(), npm.clone(), bash()]), Some(901));
    // A loop around npm: the run is npm's, the loop is not part of it.
    let lp = proc(909, "sh", &["sh", "-c", "while true; do npm start; done"]);
    assert_eq!(
        root_of(&[node.clone(), sh.clone(), npm.clone(), lp, proc(99, "npm", &["npm", "run", "outer"])]),
        Some(901)
    );
    // Something that is not a pass-through ends the run.
    let harness = proc(910, "portfix-test", &["/tmp/portfix-test"]);
    assert_eq!(root_of(&[node.clone(), harness, npm]), None);
    // pm2 is not a runner even though it is node.
    let pm2 = proc(911, "PM2", &["PM2 v5.3.0: God Daemon (/root/.pm2)"]);
    assert_eq!(root_of(&[node, pm2]), None);
    assert_eq!(root_of(&[]), None);
}

#[test]
fn same_command_same_directory() {
    let x = Some(Path::new("/x"));
    type Case<'a> = (&'a [&'a str], Option<&'a Path>, &'a [&'a str], Option<&'a Path>, bool);
    let cases: &[Case] = &[
        (&["npm", "start"], x, &["npm start"], x, true),
        (&["npm", "start"], x, &["/usr/bin/npm", "start"], x, true),
        (&["npm", "start"], x, &["node", "/usr/bin/npm", "start"], x, true),
        (
            &["npm", "start"],
            x,
            &["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "start"],
            x,
            true,
        ),
        (&["npm", "start"], x, &["npm", "run", "start"], x, true),
        (&["yarn", "dev"], x, &["node", "/usr/share/yarn/bin/yarn.js", "run", "dev"], x, true),
        (&["npm", "start"], Some(Path::new("/x/")), &["npm start"], x, true),
        (&["npm", "start"], x, &["npm start"], Some(Path::new("/y")), false),
        (&["npm", "start"], x, &["npm start"], None, false),
        (&["npm", "start"], x, &["npm", "test"], x, false),
        (&["npm", "run", "dev"], x, &["pnpm", "run", "dev"], x, false),
        // npm's title keeps only the command and script name.
        (&["npm", "start", "--silent"], x, &["npm start"], x, true),
        (&["npm", "run", "dev", "--", "--port", "3000"], x, &["npm run dev"], x, true),
        (&["npm", "run", "dev"], x, &["npm run build"], x, false),
        (&["npx", "vite", "--port", "3000"], x, &["npm exec vite"], x, true),
        (&["npx", "vite"], x, &["npm exec next"], x, false),
        (&["pnpm", "dev", "--port", "3000"], x, &["node", "/usr/local/bin/pnpm", "run", "dev"], x, true),
        (
            &["python3", "-m", "http.server", "8000"],
            x,
            &["/usr/bin/python3.12", "-m", "http.server", "8000"],
            x,
            true,
        ),
        (&["python3", "-m", "http.server", "8000"], x, &["python3", "-m", "http.server", "8001"], x, false),
        (&["vite", "--port", "3000"], x, &["node", "/x/node_modules/.bin/vite", "--port", "3000"], x, true),
        (&["node", "server.js"], x, &["node", "server.js"], x, true),
        (&["node", "server.js"], x, &["node", "other.js"], x, false),
        (&["node", "server.js"], x, &["python3", "server.py"], x, false),
        (&["node", "server.js"], x, &["/usr/bin/nodejs", "./server.js"], x, true),
        (&["node", "server.js"], x, &["node", "--inspect", "server.js"], x, false),
        // a script run by its own name is its interpreter running it (issue 11: bottle.py)
        (&["bottle.py", "app:app"], x, &["python3", "/venv/bin/bottle.py", "app:app"], x, true),
        (&["./server.js"], x, &["node", "./server.js"], x, true),
        (
            &["jupyter", "lab", "--port", "8888"],
            x,
            &["python3", "/v/bin/jupyter-lab", "--port", "8888"],
            x,
            true,
        ),
        (&["jupyter", "lab"], x, &["python3", "/v/bin/jupyter-notebook"], x, false),
        (&["bottle.py", "app:app"], x, &["node", "/x/bottle.js", "app:app"], x, false),
        (&[], x, &[], x, false),
    ];
    for (a, ac, b, bc, want) in cases {
        assert_eq!(same_run(&args(a), *ac, &args(b), *bc), *want, "{a:?} in {ac:?} vs {b:?} in {bc:?}");
    }
}

#[test]
fn earlier_runs_are_found_in_the_chain() {
    let mut npm = proc(901, "npm start", &["npm start"]);
    npm.cwd = Some(PathBuf::from("/app"));
    let mut node = proc(903, "node", &["node", "server.js"]);
    node.cwd = Some(PathBuf::from("/app"));
    let chain = [node, proc(902, "sh", &["sh", "-c", "node server.js"]), npm, bash()];
    assert_eq!(earlier_run(&chain, &args(&["npm", "start"]), Path::new("/app")).map(|p| p.pid), Some(901));
    assert_eq!(
        earlier_run(&chain, &args(&["node", "server.js"]), Path::new("/app")).map(|p| p.pid),
        Some(903)
    );
    assert_eq!(earlier_run(&chain, &args(&["npm", "start"]), Path::new("/elsewhere")), None);
}

fn holder_chain() -> Vec<ProcessInfo> {
    let mut node = proc(4567, "node", &["node", "server.js", "--title", "a\x1b[31mb"]);
    node.cwd = Some(PathBuf::from("/home/me/app"));
    node.exe = Some(PathBuf::from("/usr/bin/node"));
    node.uid = Some(1000);
    node.user = Some("me".into());
    node.start_time = Some(1_000);
    vec![
        node,
        proc(4566, "sh", &["sh", "-c", "node server.js"]),
        proc(4565, "npm start", &["npm start"]),
        proc(4560, "sh", &["sh", "-c", "while true; do npm start; done"]),
        proc(1200, "bash", &["-bash"]),
        proc(1100, "sshd", &["sshd: me@pts/0"]),
        init(),
    ]
}

#[test]
fn a_holder_for_people() {
    let view = HolderView::from_chain(&holder_chain(), 1_000 + 300, true).unwrap();
    let lines = view.lines(Paint { on: false });
    assert_eq!(
        lines,
        [
            "pid 4567  node  (an earlier run of this same command)",
            "  command  node server.js --title a\\u{1b}[31mb",
            "  cwd      /home/me/app",
            "  user     me (uid 1000)",
            "  started  5m ago",
            "  parents  sh (4566) < npm start (4565) < sh (4560) < bash (1200) < …",
            "  restart  a shell loop (pid 4560) starts it again",
            "           to stop that: kill 4560",
        ]
    );
    assert_eq!(view.run_root, Some(4565));
    assert!(
        lines.iter().all(|l| !l.contains('\x1b')),
        "nothing another process wrote reaches the terminal raw"
    );
    let coloured = view.lines(Paint { on: true });
    assert!(coloured[0].contains("\x1b[1mpid 4567\x1b[0m"));
    assert_eq!(coloured.len(), lines.len());
}

#[test]
fn a_hidden_holder_and_a_kernel_thread() {
    let mut other = proc(77, "sleep", &[]);
    other.uid = Some(65534);
    let lines = HolderView::from_chain(&[other], 0, false).unwrap().lines(Paint { on: false });
    assert_eq!(
        lines,
        [
            "pid 77  sleep",
            "  command  (not visible to you)",
            "  cwd      (not visible to you)",
            "  user     uid 65534",
        ]
    );
    let mut k = proc(2, "kthreadd", &[]);
    k.kernel_thread = true;
    k.user = Some("root".into());
    k.uid = Some(0);
    let lines = HolderView::from_chain(&[k], 0, false).unwrap().lines(Paint { on: false });
    assert_eq!(
        lines,
        ["pid 2  kthreadd  (kernel thread)", "  command  [kthreadd]", "  user     root (uid 0)"]
    );
    assert_eq!(HolderView::from_chain(&[], 0, false), None);
}

#[test]
fn a_holder_as_json() {
    let view = HolderView::from_chain(&holder_chain(), 1_300, false).unwrap();
    let v: serde_json::Value = serde_json::to_value(&view).unwrap();
    assert_eq!(v["pid"], 4567);
    assert_eq!(v["command"][3], "a\x1b[31mb", "raw in JSON (serde escapes it)");
    assert_eq!(v["cwd"], "/home/me/app");
    assert_eq!(v["age_secs"], 300);
    assert_eq!(v["parents"][1]["name"], "npm start");
    assert_eq!(v["supervisor"]["kind"], "shell-loop");
    assert_eq!(v["supervisor"]["pid"], 4560);
    assert_eq!(v["run_root"], 4565);
    assert_eq!(v["earlier_run"], false);
    assert!(serde_json::to_string(&view).unwrap().contains("\\u001b"));
}
