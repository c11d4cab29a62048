//! Using the instance already running instead of starting a second one. Pure.
//!
//! When the port the command wants is held by an earlier run of this same command from this same
//! directory — `core::holder::earlier_run` decides that, from the holder's chain of parents, so
//! `npm start` is recognised in its `npm start` → `sh -c` → `node server.js` tree — the prompt
//! offers "use the one already running (http://localhost:3000, pid 901, started 2h ago)" as its
//! first, default choice, and `--reuse` takes it without asking: the URL is printed, portfix
//! exits 0, and nothing is started or stopped. The same rule (and only it) makes `-y` and the
//! prompt recommend stopping an earlier run, so the two never disagree on what "the same
//! command" is.
//!
//! `--reuse` when the holder is anything else changes nothing: the conflict is resolved as if it
//! were not given (in CI: exit 3 naming the holder).

use std::path::Path;

use crate::core::holder;
use crate::core::process::ProcessInfo;
use crate::core::render;

/// The earlier run that holds the port: the process of the holder's chain that is the same
/// command (npm's process for `npm start`, the server itself for `node server.js`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instance {
    pub(crate) pid: u32,
    /// Seconds since it started, when known.
    pub(crate) age_secs: Option<u64>,
}

/// The earlier run of `cmdline` (about to be started in `cwd`) in a holder's `chain` (the
/// holder first, then its parents), if the holder is one. `now`: seconds since the epoch.
pub(crate) fn instance(chain: &[ProcessInfo], cmdline: &[String], cwd: &Path, now: u64) -> Option<Instance> {
    let p = holder::earlier_run(chain, cmdline, cwd)?;
    Some(Instance { pid: p.pid, age_secs: p.start_time.map(|t| now.saturating_sub(t)) })
}

/// Whether to use the instance without asking: `--reuse` given, and there is one.
pub(crate) fn without_asking(reuse: bool, instance: Option<&Instance>) -> bool {
    reuse && instance.is_some()
}

fn details(url: &str, i: &Instance) -> String {
    match i.age_secs {
        Some(age) => format!("{url}, pid {}, started {} ago", i.pid, render::age(age)),
        None => format!("{url}, pid {}", i.pid),
    }
}

/// The prompt's first choice: "use the one already running (http://localhost:3000, pid 901,
/// started 2h 5m ago)".
pub(crate) fn choice(url: &str, i: &Instance) -> String {
    format!("use the one already running ({})", details(url, i))
}

/// The line said when it is used: "npm start is already running from this directory
/// (http://localhost:3000, pid 901, started 2h 5m ago): using it instead of starting another".
/// `command` is the command for messages (escaped).
pub(crate) fn used(command: &str, url: &str, i: &Instance) -> String {
    format!(
        "{command} is already running from this directory ({}): using it instead of starting another",
        details(url, i)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn proc(pid: u32, cmdline: &[&str], cwd: &str, start: u64) -> ProcessInfo {
        ProcessInfo {
            pid,
            name: cmdline.first().map_or_else(String::new, ToString::to_string),
            cmdline: cmdline.iter().map(ToString::to_string).collect(),
            cwd: (!cwd.is_empty()).then(|| PathBuf::from(cwd)),
            start_time: Some(start),
            ..ProcessInfo::default()
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_same_command_from_the_same_directory_is_an_instance_to_use() {
        let bash = proc(100, &["-bash"], "/home/me", 0);
        // npm start → sh -c → node, as npm runs a script (npm retitles itself `npm start`)
        let npm_tree = |dir: &str| {
            vec![
                proc(903, &["node", "server.js"], dir, 2_000),
                proc(902, &["sh", "-c", "node server.js"], dir, 1_950),
                proc(901, &["npm start"], dir, 1_900),
                bash.clone(),
            ]
        };
        let vite_tree = vec![
            proc(913, &["node", "/app/node_modules/.bin/vite", "--port", "5173"], "/app", 1_000),
            proc(912, &["sh", "-c", "vite --port 5173"], "/app", 1_000),
            proc(911, &["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "dev"], "/app", 1_000),
            bash.clone(),
        ];
        let http =
            vec![proc(920, &["/usr/bin/python3.12", "-m", "http.server", "8000"], "/srv", 500), bash.clone()];
        let now = 1_900 + 7_500;
        // (chain, the command about to start, its directory, the instance: pid and age)
        type Case<'a> = (&'a str, Vec<ProcessInfo>, &'a str, &'a str, Option<(u32, u64)>);
        let table: Vec<Case> = vec![
            ("npm start again", npm_tree("/app"), "npm start", "/app", Some((901, 7_500))),
            ("npm run start is npm start", npm_tree("/app"), "npm run start", "/app", Some((901, 7_500))),
            ("its script as such", npm_tree("/app"), "node server.js", "/app", Some((903, 7_400))),
            ("another directory", npm_tree("/other"), "npm start", "/app", None),
            ("another script", npm_tree("/app"), "npm test", "/app", None),
            ("another runner", npm_tree("/app"), "pnpm start", "/app", None),
            (
                "npm run dev, npm as a node script",
                vite_tree.clone(),
                "npm run dev",
                "/app",
                Some((911, 8_400)),
            ),
            ("vite itself", vite_tree.clone(), "vite --port 5173", "/app", Some((913, 8_400))),
            ("vite on another port", vite_tree, "vite --port 5174", "/app", None),
            ("http.server", http.clone(), "python3 -m http.server 8000", "/srv", Some((920, 8_900))),
            ("http.server elsewhere", http.clone(), "python3 -m http.server 8000", "/tmp", None),
            ("http.server on another port", http, "python3 -m http.server 8001", "/srv", None),
            (
                "a foreign server",
                vec![proc(930, &["docker-proxy", "-host-port", "3000"], "/", 10), bash.clone()],
                "npm start",
                "/app",
                None,
            ),
            (
                "a holder whose directory is hidden",
                vec![proc(940, &["npm start"], "", 10)],
                "npm start",
                "/app",
                None,
            ),
        ];
        for (what, chain, cmd, cwd, want) in table {
            let got = instance(&chain, &words(cmd), Path::new(cwd), now);
            assert_eq!(got.map(|i| (i.pid, i.age_secs.unwrap())), want, "{what}");
        }
    }

    #[test]
    fn reuse_without_asking_only_with_the_flag_and_an_instance() {
        let i = Instance { pid: 1, age_secs: None };
        assert!(without_asking(true, Some(&i)));
        assert!(!without_asking(true, None), "--reuse with a foreign holder: as if not given");
        assert!(!without_asking(false, Some(&i)));
    }

    #[test]
    fn what_people_read() {
        let i = Instance { pid: 901, age_secs: Some(7_500) };
        assert_eq!(
            choice("http://localhost:3000", &i),
            "use the one already running (http://localhost:3000, pid 901, started 2h 5m ago)"
        );
        assert_eq!(
            used("npm start", "http://127.0.0.1:3000", &Instance { pid: 901, age_secs: None }),
            "npm start is already running from this directory (http://127.0.0.1:3000, pid 901): using it instead of \
             starting another"
        );
    }
}
