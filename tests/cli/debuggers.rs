//! Secondary ports (issue 16 item 2): the real Node inspector (`node --inspect`), its default
//! port 9229 held by a stranger, moved by portfix the way it was given — the flag on the command
//! line, `NODE_OPTIONS`, or `NODE_OPTIONS` for a package.json script run through npm — while the
//! server keeps its own port; the move in `--events` (a `secondary` line before `start`); and
//! debugpy (`python3 -m debugpy --listen 127.0.0.1:5678 -m http.server 8000`), 5678 held, its
//! adapter found answering the Debug Adapter Protocol on 5679.
//!
//! The fixed ports (9229, 5678, the servers' 3000 and 8000) are safe only in a private network namespace: each
//! case is a shell script under `unshare -n` (loopback up) that starts the holder, runs portfix
//! in the background, waits (bounded) for the port file, fetches the server's page (which says
//! where node's inspector listens: `inspector.url()`), records who listens where (`ss`), and
//! ends portfix and the holder by pid. The facts land in files the assertions read; the
//! script's process group is killed on drop, so nothing outlives a failed case.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::events::{events_in, kinds};
use crate::harness::{portfix_env, spawn};

/// The server: listens on $PORT, else 3000, and answers with its inspector's URL.
const SERVER: &str = "const http = require('http');\n\
    const port = Number(process.env.PORT) || 3000;\n\
    http.createServer((q, r) => r.end('inspector=' + (require('inspector').url() || 'none') + '\\n'))\n\
      .listen(port, () => console.log('serving on ' + port));\n";

/// What the script does: `$HOLD` (a port or empty) held by python3 on 127.0.0.1, then
/// `$PORTFIX $ARGS` with a port file, the page fetched from the port in it, and `$PROBE` (Python
/// code, when set) run after it into `probe`.
const SCRIPT: &str = r#"
ip link set lo up
cd "$DIR"
waitfor() { i=0; while [ ! -s "$1" ]; do i=$((i+1)); [ $i -gt 3000 ] && return 1; sleep 0.01; done; }
if [ -n "$HOLD" ]; then
  python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("held", flush=True); time.sleep(600)' "$HOLD" > holder.out &
  H=$!
  echo $H > holder.pid
  waitfor holder.out || echo "the holder never listened" > error
fi
eval "set -- $ARGS"
"$PORTFIX" --next --port-file port "$@" > out.log 2> err.log < /dev/null &
P=$!
if waitfor port; then
  python3 -c 'import sys,urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode())' "$(cat port)" > page 2>&1
  [ -n "$PROBE" ] && python3 -c "$PROBE" > probe 2>&1
else
  echo "no port file" > error
fi
ss -Hltnp > listeners
kill $P; wait $P
[ -n "$HOLD" ] && kill $H
exit 0
"#;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// Runs `args` (shell words, after portfix's own `--next --port-file port`) with `hold`
    /// held, `env` set, in a directory with server.js and `files`.
    fn run(hold: Option<u16>, args: &str, env: &[(&str, &str)], files: &[(&str, &str)]) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.js"), SERVER).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let mut cmd = std::process::Command::new("unshare");
        cmd.args(["-n", "sh", "-c", SCRIPT]);
        portfix_env(&mut cmd);
        cmd.env("PORTFIX", env!("CARGO_BIN_EXE_portfix"))
            .env("DIR", dir.path())
            .env("HOLD", hold.map(|p| p.to_string()).unwrap_or_default())
            .env("ARGS", args)
            .env_remove("NODE_OPTIONS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut p = spawn(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()));
        let status = p.wait_for_exit(Duration::from_secs(120));
        let case = Case { dir };
        assert!(status.is_some_and(|s| s.success()), "the script ended ({status:?})\n{}", case.context());
        assert_eq!(case.read("error"), "", "{}", case.context());
        case
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
    fn context(&self) -> String {
        format!(
            "--- portfix stderr:\n{}\n--- command output:\n{}\n--- page:\n{}\n--- listeners:\n{}\n--- probe:\n{}",
            self.read("err.log"),
            self.read("out.log"),
            self.read("page"),
            self.read("listeners"),
            self.read("probe")
        )
    }
    /// The pids listening on `port` (from `ss -p`).
    fn listeners(&self, port: u16) -> Vec<u32> {
        let needle = format!(":{port} ");
        self.read("listeners")
            .lines()
            .filter(|l| l.contains(&needle))
            .flat_map(|l| {
                l.split("pid=")
                    .skip(1)
                    .filter_map(|t| t.split(',').next()?.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    }
    fn holder_pid(&self) -> u32 {
        self.read("holder.pid").trim().parse().unwrap()
    }
}

/// The one line portfix says, and the server's port and page.
fn assert_served(c: &Case, server_port: u16, inspector_port: u16) {
    let ctx = c.context();
    assert_eq!(c.read("port").trim(), server_port.to_string(), "the server's own port is confirmed\n{ctx}");
    let page = c.read("page");
    assert!(
        page.starts_with(&format!("inspector=ws://127.0.0.1:{inspector_port}/")),
        "node's inspector listens on {inspector_port}\n{ctx}"
    );
    let confirmed = format!("is listening on http://localhost:{server_port} (pid ");
    assert!(c.read("err.log").contains(&confirmed), "{ctx}");
    assert!(
        !c.read("err.log").contains(&format!("http://localhost:{inspector_port}")),
        "the inspector's port is not taken for the server's\n{ctx}"
    );
}

#[test]
fn with_9229_held_node_inspect_moves_its_inspector_and_keeps_its_port() {
    let c = Case::run(Some(9229), "-- node --inspect server.js", &[], &[]);
    let ctx = c.context();
    let said = format!(
        "portfix: the Node inspector's port 9229 is in use by pid {} (python3); moving it to port 9230 (--inspect=9230)",
        c.holder_pid()
    );
    assert!(c.read("err.log").lines().any(|l| l == said), "one line says so: {said}\n{ctx}");
    assert_served(&c, 3000, 9230);
    // the holder kept its port; node listens on both of its own
    assert_eq!(c.listeners(9229), [c.holder_pid()], "{ctx}");
    let node = c.listeners(3000);
    assert_eq!(node.len(), 1, "{ctx}");
    assert_eq!(c.listeners(9230), node, "the inspector is the server's own process\n{ctx}");
}

#[test]
fn an_inspector_turned_on_in_node_options_is_moved_there() {
    let c = Case::run(Some(9229), "-- node server.js", &[("NODE_OPTIONS", "--inspect")], &[]);
    let ctx = c.context();
    assert!(c.read("err.log").contains("moving it to port 9230 (NODE_OPTIONS: --inspect=9230)"), "{ctx}");
    assert_served(&c, 3000, 9230);
}

#[test]
fn the_inspector_of_a_package_json_script_is_moved_through_node_options() {
    // npm is a node program itself: it reads NODE_OPTIONS too, and --inspect-port alone does
    // not turn its inspector on; the script's `node --inspect` then takes the port from it
    let pkg = r#"{ "name": "e2e", "private": true, "scripts": { "dev": "node --inspect server.js" } }"#;
    let c = Case::run(Some(9229), "-- npm run dev", &[], &[("package.json", pkg)]);
    let ctx = c.context();
    assert!(
        c.read("err.log").contains("moving it to port 9230 (NODE_OPTIONS: --inspect-port=9230)"),
        "{ctx}"
    );
    assert_served(&c, 3000, 9230);
    assert_eq!(c.listeners(9229), [c.holder_pid()], "{ctx}");
}

#[test]
fn a_free_inspector_port_is_left_alone_and_not_taken_for_the_server() {
    let c = Case::run(None, "-- node --inspect server.js", &[], &[]);
    let ctx = c.context();
    assert!(!c.read("err.log").contains("the Node inspector's port"), "nothing to say\n{ctx}");
    assert_served(&c, 3000, 9229);
}

#[test]
fn the_move_is_in_the_events_before_the_start() {
    // `--events -`: standard error (err.log here), among portfix's own lines
    let c = Case::run(Some(9229), "--events - -- node --inspect server.js", &[], &[]);
    let ctx = c.context();
    assert_served(&c, 3000, 9230);
    let json: String =
        c.read("err.log").lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    let ev = events_in(&json);
    assert_eq!(kinds(&ev), ["secondary", "start", "listening", "exit"], "{ev:#?}\n{ctx}");
    let moved = &ev[0];
    assert_eq!(
        (moved["kind"].as_str(), moved["port"].as_u64(), moved["to"].as_u64()),
        (Some("node-inspector"), Some(9229), Some(9230)),
        "{moved}"
    );
    assert_eq!(moved["given"], "--inspect=9230");
    assert_eq!(moved["holders"][0]["pid"], c.holder_pid(), "{moved}");
    assert_eq!(moved["holders"][0]["name"], "python3");
    let start = &ev[1];
    assert_eq!(start["port"], serde_json::Value::Null, "node server.js is launched as written: {start}");
    assert_eq!(start["argv"], serde_json::json!(["node", "--inspect=9230", "server.js"]), "{start}");
    assert_eq!(start["debuggers"], serde_json::json!([{"kind": "node-inspector", "port": 9230}]), "{start}");
    assert_eq!(ev[2]["port"], 3000, "the server's port is the one confirmed: {}", ev[2]);
}

#[test]
fn a_free_inspector_port_is_in_the_start_event_only() {
    let c = Case::run(None, "--events - -- node --inspect server.js", &[], &[]);
    let json: String =
        c.read("err.log").lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    let ev = events_in(&json);
    assert_eq!(kinds(&ev), ["start", "listening", "exit"], "{ev:#?}\n{}", c.context());
    assert_eq!(
        ev[0]["debuggers"],
        serde_json::json!([{"kind": "node-inspector", "port": 9229}]),
        "{}",
        ev[0]
    );
}

/// Python code that speaks the Debug Adapter Protocol to 127.0.0.1:`port`: sends `initialize`
/// and prints the response's body.
fn dap_initialize(port: u16) -> String {
    format!(
        r#"import json,socket
s=socket.create_connection(("127.0.0.1",{port}),timeout=30)
body=json.dumps({{"seq":1,"type":"request","command":"initialize","arguments":{{"adapterID":"portfix-test"}}}}).encode()
s.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
f=s.makefile("rb")
while True:
    n=0
    while True:
        line=f.readline().strip()
        if not line: break
        if line.lower().startswith(b"content-length:"): n=int(line.split(b":")[1])
    m=json.loads(f.read(n))
    if m.get("type")=="response":
        print(json.dumps(m)); break
"#
    )
}

#[test]
fn with_5678_held_debugpy_listens_on_the_next_port_and_the_server_on_its_own() {
    crate::harness::need_tool("debugpy");
    let args =
        "--events - -- python3 -m debugpy --listen 127.0.0.1:5678 -m http.server 8000 --bind 127.0.0.1";
    let c = Case::run(Some(5678), args, &[("PROBE", &dap_initialize(5679))], &[]);
    let ctx = c.context();
    let said = format!(
        "portfix: debugpy's port 5678 is in use by pid {} (python3); moving it to port 5679 (--listen 127.0.0.1:5679)",
        c.holder_pid()
    );
    assert!(c.read("err.log").lines().any(|l| l == said), "one line says so: {said}\n{ctx}");
    // the server on its own port, confirmed and answering
    assert_eq!(c.read("port").trim(), "8000", "{ctx}");
    assert!(c.read("page").contains("Directory listing"), "{ctx}");
    assert_eq!(c.listeners(8000).len(), 1, "{ctx}");
    // debugpy's adapter (a process of the server's) on the moved port, answering the protocol
    assert_eq!(c.listeners(5678), [c.holder_pid()], "the holder kept its port\n{ctx}");
    let adapter = c.listeners(5679);
    assert_eq!(adapter.len(), 1, "{ctx}");
    assert_ne!(adapter, [c.holder_pid()], "{ctx}");
    let reply: serde_json::Value = serde_json::from_str(c.read("probe").trim())
        .unwrap_or_else(|e| panic!("no DAP response on 5679 ({e})\n{ctx}"));
    assert_eq!(
        (reply["command"].as_str(), reply["success"].as_bool()),
        (Some("initialize"), Some(true)),
        "{reply}"
    );
    // and the events say it
    let json: String =
        c.read("err.log").lines().filter(|l| l.starts_with('{')).map(|l| format!("{l}\n")).collect();
    let ev = events_in(&json);
    assert_eq!(kinds(&ev), ["secondary", "start", "listening", "exit"], "{ev:#?}\n{ctx}");
    assert_eq!(
        (ev[0]["kind"].as_str(), ev[0]["port"].as_u64(), ev[0]["to"].as_u64()),
        (Some("debugpy"), Some(5678), Some(5679)),
        "{}",
        ev[0]
    );
    assert_eq!(ev[1]["argv"][4], "127.0.0.1:5679", "{}", ev[1]);
    assert_eq!(ev[1]["debuggers"], serde_json::json!([{"kind": "debugpy", "port": 5679}]), "{}", ev[1]);
    assert_eq!(ev[2]["port"], 8000, "{}", ev[2]);
}

/// The Deno case: 9229 taken only after portfix looked (a stand-in `deno` first on `PATH`
/// writes `asked` and waits for the test's `held` before it execs the real one), so the real
/// deno fails with its own line, `Failed to start inspector server at "127.0.0.1:9229"`.
const DENO_SCRIPT: &str = r#"
ip link set lo up
cd "$DIR"
waitfor() { i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ $i -gt 3000 ] && return 1; sleep 0.01; done; }
PATH="$DIR/bin:$PATH" "$PORTFIX" --events events --next --port-file port -- deno run --allow-net --inspect serve.ts > out.log 2> err.log < /dev/null &
P=$!
if waitfor asked; then
  python3 -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1", 9229)); s.listen(); print("held", flush=True); time.sleep(600)' > holder.out &
  H=$!
  echo $H > holder.pid
  i=0; while [ ! -s holder.out ]; do i=$((i+1)); [ $i -gt 3000 ] && break; sleep 0.01; done
  : > held
else
  echo "deno was never started" > error
fi
if waitfor port; then
  python3 -c 'import sys,urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode())' "$(cat port)" > page 2>&1
else
  echo "no port file" > error
fi
ss -Hltnp > listeners
kill $P; wait $P
[ -n "$H" ] && kill $H
exit 0
"#;

#[test]
fn a_deno_inspector_that_fails_at_run_time_is_moved_and_deno_started_again() {
    use std::os::unix::fs::PermissionsExt;
    crate::harness::need_tool("deno");
    let real = crate::harness::test_tools().join("npm/node_modules/.bin/deno");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("serve.ts"),
        "Deno.serve({ port: 8000, hostname: '127.0.0.1' }, () => new Response('deno ok\\n'));\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    let shim = dir.path().join("bin/deno");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nif [ ! -e \"$DIR/asked\" ]; then\n  : > \"$DIR/asked\"\n  i=0; while [ ! -e \"$DIR/held\" ]; do i=$((i+1)); [ $i -gt 3000 ] && break; sleep 0.01; done\nfi\nexec {} \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["-n", "sh", "-c", DENO_SCRIPT]);
    portfix_env(&mut cmd);
    cmd.env("PORTFIX", env!("CARGO_BIN_EXE_portfix")).env("DIR", dir.path()).env("DENO_NO_UPDATE_CHECK", "1");
    let mut p = spawn(cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()));
    let status = p.wait_for_exit(Duration::from_secs(120));
    let c = Case { dir };
    let ctx = format!("{}\n--- events:\n{}", c.context(), c.read("events"));
    assert!(status.is_some_and(|s| s.success()), "the script ended ({status:?})\n{ctx}");
    assert_eq!(c.read("error"), "", "{ctx}");
    let err = c.read("err.log");
    assert!(err.contains("Failed to start inspector server at \"127.0.0.1:9229\""), "deno's own line\n{ctx}");
    let said = format!(
        "portfix: the Deno inspector's port 9229 is in use by pid {} (python3); moving it to port 9230 (--inspect=127.0.0.1:9230)",
        c.holder_pid()
    );
    assert!(err.lines().any(|l| l == said), "one line says so: {said}\n{ctx}");
    // the server kept its port; deno listens on both of its own, the holder on 9229
    assert_eq!(c.read("port").trim(), "8000", "{ctx}");
    assert_eq!(c.read("page").trim(), "deno ok", "{ctx}");
    assert!(!err.contains("using port"), "the server's port was not moved\n{ctx}");
    assert_eq!(c.listeners(9229), [c.holder_pid()], "{ctx}");
    let deno = c.listeners(8000);
    assert_eq!(deno.len(), 1, "{ctx}");
    assert_eq!(c.listeners(9230), deno, "the inspector is the server's own process\n{ctx}");
    // the events: the failed launch, the move, the launch that served
    let ev = events_in(&c.read("events"));
    assert_eq!(kinds(&ev), ["start", "secondary", "start", "listening", "exit"], "{ev:#?}\n{ctx}");
    assert_eq!((ev[1]["port"].as_u64(), ev[1]["to"].as_u64()), (Some(9229), Some(9230)), "{}", ev[1]);
    assert!(ev[2]["argv"].as_array().unwrap().iter().any(|a| a == "--inspect=127.0.0.1:9230"), "{}", ev[2]);
    assert_eq!(
        ev[2]["debuggers"],
        serde_json::json!([{"kind": "deno-inspector", "port": 9230}]),
        "{}",
        ev[2]
    );
}
