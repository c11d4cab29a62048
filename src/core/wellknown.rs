//! Holders that are shared services of the machine, not someone's dev server: a database, the
//! printing system, mDNS, the DNS resolver, Docker's port forwarder, the SSH server. Pure: a table
//! and a match over a holder's name (or, when its process is hidden, its port).
//!
//! When one holds the port a command wants, portfix says what it is and that stopping it affects
//! other programs, and "move to a free port" is the recommended choice (the prompt's default, and
//! what `-y` does), even when the command portfix runs looks like an earlier run of it
//! (`portfix -- redis-server` while Redis runs). Stopping stays possible when asked for
//! (`--kill`, or "stop it" at the prompt), under the usual rules of `portfix kill`.
//!
//! `portfix who` and `portfix kill` say the same line of such a holder (`kill` before any
//! question, and it still stops it when asked), and their `--json`, and `list --json`, carry it
//! as `service` ([`ServiceView`]).

/// One shared service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Service {
    /// A short stable name for programs (`--json`): `postgresql`, `redis`, `sshd`.
    pub(crate) id: &'static str,
    /// Process names, as the OS shows them (`comm` on Linux is cut to 15 bytes: the rows hold
    /// the cut names too, e.g. `systemd-resolve`).
    pub(crate) names: &'static [&'static str],
    /// The ports it usually listens on (a hidden process is recognised by these alone, and said
    /// to be "probably" it). Empty: no port of its own (docker-proxy forwards any port).
    pub(crate) ports: &'static [u16],
    /// What it is, for people: "the PostgreSQL database server".
    pub(crate) what: &'static str,
    /// Who stopping it affects.
    pub(crate) affects: &'static str,
}

/// The services portfix recognises. The first row whose name matches wins.
pub(crate) const SERVICES: &[Service] = &[
    Service {
        id: "postgresql",
        names: &["postgres", "postmaster"],
        ports: &[5432],
        what: "the PostgreSQL database server",
        affects: "every program that uses its databases loses its connection",
    },
    Service {
        id: "mysql",
        names: &["mysqld", "mariadbd", "mysqld_safe"],
        ports: &[3306],
        what: "the MySQL/MariaDB database server",
        affects: "every program that uses its databases loses its connection",
    },
    Service {
        id: "redis",
        names: &["redis-server", "valkey-server"],
        ports: &[6379],
        what: "the Redis server (a database and cache)",
        affects: "every program that uses it loses its data store or cache",
    },
    Service {
        id: "mongodb",
        names: &["mongod", "mongos"],
        ports: &[27017],
        what: "the MongoDB database server",
        affects: "every program that uses its databases loses its connection",
    },
    Service {
        id: "cups",
        names: &["cupsd"],
        ports: &[631],
        what: "CUPS, the printing system",
        affects: "printing stops for every program on this machine",
    },
    Service {
        id: "avahi",
        names: &["avahi-daemon"],
        ports: &[5353],
        what: "Avahi, the mDNS/DNS-SD service (.local names, printer and device discovery)",
        affects: ".local names and device discovery stop working for every program",
    },
    Service {
        id: "systemd-resolved",
        names: &["systemd-resolved", "systemd-resolve"],
        ports: &[53],
        what: "systemd-resolved, this machine's DNS resolver",
        affects: "name resolution stops for every program on this machine",
    },
    Service {
        id: "docker-proxy",
        names: &["docker-proxy"],
        ports: &[],
        what: "docker-proxy, which forwards this port to a Docker container",
        affects: "stopping it means stopping the container (and whatever uses it)",
    },
    Service {
        id: "sshd",
        names: &["sshd", "sshd-session"],
        ports: &[22],
        what: "the SSH server",
        affects: "remote logins to this machine end (perhaps your own)",
    },
];

/// What a holder was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    pub(crate) service: &'static Service,
    /// Recognised by its port alone (its process could not be seen): "probably".
    pub(crate) by_port: bool,
}

impl Known {
    /// One line for people: `postgres is the PostgreSQL database server: stopping it affects
    /// other programs (every program that uses its databases loses its connection)`.
    pub(crate) fn note(&self, name: Option<&str>) -> String {
        let who = match (name, self.by_port) {
            (Some(n), false) => format!("{n} is {}", self.service.what),
            _ => format!("this is probably {}", self.service.what),
        };
        format!("{who}: stopping it affects other programs ({})", self.service.affects)
    }
}

/// A recognised holder as `--json` shows it (`portfix who`, `list`, `kill`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ServiceView {
    /// [`Service::id`].
    pub(crate) name: &'static str,
    pub(crate) what: &'static str,
    pub(crate) affects: &'static str,
    /// Recognised by its port alone: its process could not be seen.
    pub(crate) probably: bool,
    /// [`Known::note`]: the line people are shown.
    pub(crate) note: String,
}

impl Known {
    /// For `--json`, `name` being the process's name as in [`Known::note`].
    pub(crate) fn view(&self, name: Option<&str>) -> ServiceView {
        ServiceView {
            name: self.service.id,
            what: self.service.what,
            affects: self.service.affects,
            probably: self.by_port,
            note: self.note(name),
        }
    }
}

/// What a holder of `port` is, the same way everywhere (the wrapper, `who`, `list`, `kill`):
/// its first visible process by name and exe; when none can be seen but the socket's owner is
/// known (`owner_known`: another user's process), by the port ("probably"); else nothing (no
/// owner at all: a kernel socket, another namespace).
pub(crate) fn of_holder(
    process: Option<(&str, Option<&str>)>,
    owner_known: bool,
    port: u16,
) -> Option<Known> {
    match process {
        Some((name, exe)) => recognise(Some(name), exe, port),
        None if owner_known => recognise(None, None, port),
        None => None,
    }
}

/// Recognises a holder: by its process name (`name`, or the base name of `exe`), else — when the
/// process is hidden (`name` is `None`) — by the port it holds.
pub(crate) fn recognise(name: Option<&str>, exe: Option<&str>, port: u16) -> Option<Known> {
    let exe_base = exe.map(|e| e.rsplit(['/', '\\']).next().unwrap_or(e));
    let exe_base = exe_base.map(|e| e.strip_suffix(".exe").unwrap_or(e));
    let by_name = |n: &str| {
        // avahi's title: "avahi-daemon: running [host.local]"
        let n = n.split(':').next().unwrap_or(n).trim();
        SERVICES.iter().find(|s| s.names.contains(&n))
    };
    if let Some(service) = name.and_then(by_name).or_else(|| exe_base.and_then(by_name)) {
        return Some(Known { service, by_port: false });
    }
    if name.is_some() || exe.is_some() {
        return None;
    }
    SERVICES.iter().find(|s| s.ports.contains(&port)).map(|service| Known { service, by_port: true })
}

/// Every port in the table (kept out of stable-port choices).
pub(crate) fn ports() -> impl Iterator<Item = u16> {
    SERVICES.iter().flat_map(|s| s.ports.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_by_name() {
        // (name, exe, port, recognised as)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, u16, Option<&'a str>);
        let cases: &[Case] = &[
            (Some("postgres"), None, 5432, Some("PostgreSQL")),
            (Some("postgres"), None, 15432, Some("PostgreSQL")), // on another port: still it
            (Some("postmaster"), None, 5432, Some("PostgreSQL")),
            (Some("mysqld"), None, 3306, Some("MySQL")),
            (Some("mariadbd"), None, 3306, Some("MariaDB")),
            (Some("redis-server"), None, 6379, Some("Redis")),
            (Some("mongod"), None, 27017, Some("MongoDB")),
            (Some("cupsd"), None, 631, Some("CUPS")),
            (Some("avahi-daemon: running [dev.local]"), None, 5353, Some("Avahi")),
            (Some("systemd-resolve"), None, 53, Some("systemd-resolved")), // comm is cut to 15
            (Some("systemd-resolved"), None, 53, Some("systemd-resolved")),
            (Some("docker-proxy"), None, 8080, Some("docker-proxy")),
            (Some("sshd"), None, 22, Some("SSH")),
            (Some("sshd-session"), None, 2222, Some("SSH")),
            // by the exe when the name is a title
            (
                Some("postgres: checkpointer"),
                Some("/usr/lib/postgresql/16/bin/postgres"),
                5432,
                Some("PostgreSQL"),
            ),
            (Some("x"), Some("C:\\Program Files\\Redis\\redis-server.exe"), 6379, Some("Redis")),
            // a dev server is not a shared service, even on a database's port
            (Some("node"), Some("/usr/bin/node"), 5432, None),
            (Some("python3"), None, 6379, None),
            (Some("nginx"), None, 80, None),
        ];
        for (name, exe, port, want) in cases {
            let got = recognise(*name, *exe, *port);
            match (got, want) {
                (Some(k), Some(w)) => {
                    assert!(k.service.what.contains(w), "{name:?}: {}", k.service.what);
                    assert!(!k.by_port, "{name:?}");
                }
                (None, None) => {}
                _ => panic!("{name:?} {exe:?} {port}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn hidden_holders_by_port_are_probably_it() {
        let k = recognise(None, None, 5432).unwrap();
        assert!(k.by_port);
        assert_eq!(
            k.note(None),
            "this is probably the PostgreSQL database server: stopping it affects other programs \
             (every program that uses its databases loses its connection)"
        );
        assert!(recognise(None, None, 53).unwrap().service.what.contains("DNS"));
        assert!(recognise(None, None, 631).unwrap().service.what.contains("CUPS"));
        assert_eq!(recognise(None, None, 3000), None);
        // docker-proxy has no port of its own
        assert_eq!(recognise(None, None, 8080), None);
    }

    #[test]
    fn notes_say_what_and_whom_it_affects() {
        let k = recognise(Some("redis-server"), None, 6379).unwrap();
        assert_eq!(
            k.note(Some("redis-server")),
            "redis-server is the Redis server (a database and cache): stopping it affects other \
             programs (every program that uses it loses its data store or cache)"
        );
        for s in SERVICES {
            assert!(!s.names.is_empty() && !s.what.is_empty() && !s.affects.is_empty());
            assert!(
                !s.id.is_empty() && s.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                s.id
            );
        }
        let ids: std::collections::BTreeSet<&str> = SERVICES.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), SERVICES.len(), "ids are distinct");
        let ports: Vec<u16> = ports().collect();
        for p in [5432, 3306, 6379, 27017, 631, 5353, 53, 22] {
            assert!(ports.contains(&p), "{p}");
        }
    }

    #[test]
    fn holders_as_who_list_and_kill_see_them() {
        let v = of_holder(Some(("redis-server", Some("/usr/bin/redis-server"))), true, 6380).unwrap();
        let v = v.view(Some("redis-server"));
        assert_eq!((v.name, v.probably), ("redis", false));
        assert_eq!(v.note, recognise(Some("redis-server"), None, 6379).unwrap().note(Some("redis-server")));
        // hidden, another user's: by its port
        let v = of_holder(None, true, 5432).unwrap().view(None);
        assert_eq!((v.name, v.probably), ("postgresql", true));
        assert!(v.note.starts_with("this is probably the PostgreSQL database server: stopping it affects"));
        // no owner at all (a kernel socket): nothing is claimed
        assert_eq!(of_holder(None, false, 5432), None);
        assert_eq!(of_holder(Some(("node", Some("/usr/bin/node"))), true, 6379), None);
        let json =
            serde_json::to_value(of_holder(Some(("sshd", None)), true, 22).unwrap().view(Some("sshd")))
                .unwrap();
        assert_eq!(json["name"], "sshd");
        assert_eq!(json["probably"], false);
        assert!(
            json["note"]
                .as_str()
                .unwrap()
                .starts_with("sshd is the SSH server: stopping it affects other programs")
        );
    }
}
