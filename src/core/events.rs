//! `--events`: what the wrapper decided and did, for programs (coding agents, IDEs, scripts),
//! one JSON object per line. Pure: the types and their lines; `cmd::run::events` writes them.
//!
//! Every line has `event` (its kind) and `version` ([`VERSION`], raised when a field changes
//! meaning or goes away; new fields may appear without it). The README has the schema and the
//! order in which the events of each path come.

use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) use super::secondary::Kind;

/// The version of the event schema.
pub(crate) const VERSION: u32 = 1;

/// A process that holds a port, as events show it. Fields the OS would not show are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EventHolder {
    pub(crate) pid: Option<u32>,
    pub(crate) name: Option<String>,
    pub(crate) cmdline: Vec<String>,
    pub(crate) cwd: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) uid: Option<u32>,
    /// An earlier run of this same command from this same directory (see `core::holder::same_run`).
    pub(crate) same_project: bool,
}

/// What was decided about a held port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DecisionKind {
    /// Stop the holder and start the command on the port.
    Stop,
    /// Start the command on another port (`to`).
    Next,
    /// Use the earlier run that holds the port; start nothing.
    Reuse,
    /// Leave the holder alone and end (exit 3 or 4, or 130 at the prompt).
    Abort,
}

/// A debugger of the command and the port it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DebugPort {
    pub(crate) kind: Kind,
    pub(crate) port: u16,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Event {
    /// The port the command wants (or failed to bind) is held.
    Conflict { port: u16, holders: Vec<EventHolder> },
    /// What is done about it. `to`: the port moved to (`next`); `reason`: why (`abort`: the
    /// refusal or the prompt's answer).
    Decision {
        action: DecisionKind,
        port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The holder was stopped and the port is free. `how`: the last signal it took (`TERM`, or
    /// `KILL` when the grace ran out); `ms` from the first signal until the port was free.
    Stopped { port: u16, pids: Vec<u32>, how: String, ms: u64 },
    /// A debugger's port (`core::secondary`) is held by someone else, before the first launch.
    /// `kind`: the debugger; `to`: the port it was moved to for this run, given as `given` (the
    /// flag or `NODE_OPTIONS` word); `to` `null`: left where it is, for `reason`.
    Secondary {
        kind: Kind,
        port: u16,
        holders: Vec<EventHolder>,
        to: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        given: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The command was started. `port`: the port it was given (`null`: as written, none known);
    /// `env`: the variables portfix set for it; `debuggers`: the ports its debuggers take in
    /// this launch (moved or not; left out when it opens none).
    Start {
        pid: u32,
        argv: Vec<String>,
        port: Option<u16>,
        env: BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        debuggers: Vec<DebugPort>,
    },
    /// A process of the command's tree listens. `addresses`: its sockets on the port; `url`:
    /// the URL that reaches it (see `core::answer`). `reused`: an earlier run, not started now.
    Listening {
        pid: u32,
        port: u16,
        addresses: Vec<String>,
        url: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reused: bool,
    },
    /// Something the user should know. `kind` `localhost`: another process answers `address`,
    /// one of localhost's addresses on the command's port (`shared`: as an SO_REUSEPORT
    /// co-binder); `holder` is that process.
    Warning { kind: String, text: String, hint: String, address: String, shared: bool, holder: EventHolder },
    /// portfix ends with `code` (the shell's `$?`); `signal`: the signal that ended the command,
    /// when one did (portfix then ends by it too).
    Exit { code: i32, signal: Option<i32> },
}

impl Event {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Event::Conflict { .. } => "conflict",
            Event::Decision { .. } => "decision",
            Event::Stopped { .. } => "stopped",
            Event::Secondary { .. } => "secondary",
            Event::Start { .. } => "start",
            Event::Listening { .. } => "listening",
            Event::Warning { .. } => "warning",
            Event::Exit { .. } => "exit",
        }
    }

    /// The event as one line of JSON (no newline), `event` and `version` first.
    pub(crate) fn line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            event: &'static str,
            version: u32,
            #[serde(flatten)]
            body: &'a Event,
        }
        serde_json::to_string(&Line { event: self.name(), version: VERSION, body: self })
            .unwrap_or_else(|e| format!("{{\"event\":\"error\",\"version\":{VERSION},\"text\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parsed(e: &Event) -> Value {
        let line = e.line();
        assert!(!line.contains('\n'), "one line: {line}");
        assert!(line.starts_with(&format!("{{\"event\":\"{}\",\"version\":1,", e.name())), "{line}");
        serde_json::from_str(&line).unwrap()
    }

    #[test]
    fn each_event_is_one_line_of_json_with_its_name_and_version() {
        let holder = EventHolder {
            pid: Some(42),
            name: Some("node".into()),
            cmdline: vec!["node".into(), "server.js".into(), "\x1b[31m\n".into()],
            cwd: Some("/app".into()),
            user: Some("me".into()),
            uid: Some(1000),
            same_project: true,
        };
        let v = parsed(&Event::Conflict { port: 3000, holders: vec![holder.clone()] });
        assert_eq!(v["holders"][0]["cmdline"][2], "\x1b[31m\n", "raw in JSON, escaped by it");
        assert_eq!(v["holders"][0]["same_project"], true);
        let v =
            parsed(&Event::Decision { action: DecisionKind::Next, port: 3000, to: Some(3001), reason: None });
        assert_eq!(v, json!({"event": "decision", "version": 1, "action": "next", "port": 3000, "to": 3001}));
        let v = parsed(&Event::Decision {
            action: DecisionKind::Abort,
            port: 3000,
            to: None,
            reason: Some("not asking: CI is set".into()),
        });
        assert_eq!(v["action"], "abort");
        assert_eq!(v["reason"], "not asking: CI is set");
        let v = parsed(&Event::Stopped { port: 3000, pids: vec![42], how: "TERM".into(), ms: 12 });
        assert_eq!(v["pids"], json!([42]));
        let v = parsed(&Event::Start {
            pid: 7,
            argv: vec!["vite".into(), "--port".into(), "3001".into()],
            port: Some(3001),
            env: BTreeMap::from([("PORT".into(), "3001".into())]),
            debuggers: vec![DebugPort { kind: Kind::NodeInspector, port: 9230 }],
        });
        assert_eq!(v["env"], json!({"PORT": "3001"}));
        assert_eq!(v["debuggers"], json!([{"kind": "node-inspector", "port": 9230}]));
        let v = parsed(&Event::Start {
            pid: 7,
            argv: vec!["true".into()],
            port: None,
            env: BTreeMap::new(),
            debuggers: Vec::new(),
        });
        assert_eq!(v["port"], Value::Null);
        assert!(v.get("debuggers").is_none(), "said only when it opens one: {v}");
        let v = parsed(&Event::Secondary {
            kind: Kind::Debugpy,
            port: 5678,
            holders: vec![holder.clone()],
            to: Some(5679),
            given: Some("--listen 5679".into()),
            reason: None,
        });
        assert_eq!(
            (v["kind"].as_str(), v["port"].as_u64(), v["to"].as_u64()),
            (Some("debugpy"), Some(5678), Some(5679))
        );
        assert_eq!(v["given"], "--listen 5679");
        assert_eq!(v["holders"][0]["pid"], 42);
        assert!(v.get("reason").is_none(), "{v}");
        let v = parsed(&Event::Secondary {
            kind: Kind::NodeInspector,
            port: 9229,
            holders: vec![holder.clone()],
            to: None,
            given: None,
            reason: Some("written in the package.json script `dev`".into()),
        });
        assert_eq!(v["to"], Value::Null, "left where it is: {v}");
        assert_eq!(v["reason"], "written in the package.json script `dev`");
        let v = parsed(&Event::Listening {
            pid: 7,
            port: 3001,
            addresses: vec!["[::1]:3001".into()],
            url: "http://[::1]:3001".into(),
            reused: false,
        });
        assert!(v.get("reused").is_none(), "said only when true");
        let v = parsed(&Event::Warning {
            kind: "localhost".into(),
            text: "t".into(),
            hint: "h".into(),
            address: "127.0.0.1:3001".into(),
            shared: false,
            holder,
        });
        assert_eq!(v["holder"]["pid"], 42);
        let v = parsed(&Event::Exit { code: 143, signal: Some(15) });
        assert_eq!(v, json!({"event": "exit", "version": 1, "code": 143, "signal": 15}));
    }
}
