//! Ports, ranges and endpoints as the user writes them, parsed with messages that say what is
//! wrong and what to do. Pure: no I/O.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU16;
use std::str::FromStr;

/// A TCP/UDP port a server can bind: 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub(crate) struct Port(NonZeroU16);

impl Port {
    pub(crate) fn new(n: u16) -> Option<Port> {
        NonZeroU16::new(n).map(Port)
    }
    pub(crate) fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Port {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_port(s)
    }
}

/// Parses a port number with a distinct message for each way it can be wrong.
pub(crate) fn parse_port(s: &str) -> Result<Port, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("a port is needed here (1-65535)".into());
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' is not a port: use a number from 1 to 65535"));
    }
    match t.parse::<u32>() {
        Ok(0) => Err("port 0 means 'any port': name a port from 1 to 65535 (or run `portfix free`)".into()),
        Ok(n) if n <= 65535 => Ok(Port::new(n as u16).expect("nonzero")),
        _ => Err(format!("port {t} is out of range: ports go from 1 to 65535")),
    }
}

/// An inclusive range of ports, `LO-HI`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct PortRange {
    pub(crate) lo: Port,
    pub(crate) hi: Port,
}

impl PortRange {
    pub(crate) fn new(lo: Port, hi: Port) -> Option<PortRange> {
        (lo <= hi).then_some(PortRange { lo, hi })
    }
    pub(crate) fn contains(self, p: Port) -> bool {
        self.lo <= p && p <= self.hi
    }
    pub(crate) fn iter(self) -> impl Iterator<Item = Port> {
        (self.lo.get()..=self.hi.get()).filter_map(Port::new)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.lo, self.hi)
    }
}

impl FromStr for PortRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_range(s)
    }
}

/// Parses `LO-HI` (a single port `N` is the range `N-N`).
pub(crate) fn parse_range(s: &str) -> Result<PortRange, String> {
    let (lo, hi) = match s.split_once('-') {
        Some((lo, hi)) => (lo, hi),
        None => (s, s),
    };
    let what = |e: String| format!("bad range '{s}': {e} (write it as LO-HI, e.g. 3000-3100)");
    let lo = parse_port(lo).map_err(what)?;
    let hi = parse_port(hi).map_err(what)?;
    PortRange::new(lo, hi).ok_or_else(|| {
        format!("bad range '{s}': {lo} is above {hi} (write the low port first, e.g. {hi}-{lo})")
    })
}

/// What `who` is asked about: a port, or one end of a connection as seen in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Port(Port),
    Addr(IpAddr, Port),
}

impl Endpoint {
    pub(crate) fn port(self) -> Port {
        match self {
            Endpoint::Port(p) | Endpoint::Addr(_, p) => p,
        }
    }
    pub(crate) fn addr(self) -> Option<IpAddr> {
        match self {
            Endpoint::Port(_) => None,
            Endpoint::Addr(a, _) => Some(a),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Port(p) => write!(f, "{p}"),
            Endpoint::Addr(a, p) => write!(f, "{}", SocketAddr::new(*a, p.get())),
        }
    }
}

impl FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_endpoint(s)
    }
}

/// Parses `PORT`, `:PORT`, `ADDR:PORT`, `[V6]:PORT`, and `localhost:PORT`. The near misses get
/// a message that shows how to write them: an IPv6 address with a port but no brackets
/// (`::1:4002` is `[::1]:4002`), an address without its port, brackets without the `:`.
pub(crate) fn parse_endpoint(s: &str) -> Result<Endpoint, String> {
    let t = s.trim();
    if let Ok(sa) = t.parse::<SocketAddr>() {
        let port = Port::new(sa.port())
            .ok_or_else(|| format!("'{s}': port 0 means 'any port': name a port from 1 to 65535"))?;
        return Ok(Endpoint::Addr(sa.ip(), port));
    }
    if let Some(rest) = t.strip_prefix('[') {
        return parse_bracketed(s, rest);
    }
    // Two colons or more: an IPv6 address, whose port needs brackets to be told apart.
    if t.matches(':').count() >= 2 {
        if let Some((host, port)) = t.rsplit_once(':') {
            if host.parse::<Ipv6Addr>().is_ok() && parse_port(port).is_ok() {
                return Err(format!(
                    "'{s}': an IPv6 address with a port is written in brackets: [{host}]:{port}"
                ));
            }
        }
        if t.parse::<Ipv6Addr>().is_ok() {
            return Err(format!("'{s}' is an IPv6 address without a port: write [{t}]:PORT"));
        }
        return Err(format!("'{s}' is not ADDR:PORT (e.g. 127.0.0.1:3000, or [::1]:3000 for IPv6)"));
    }
    if let Some(p) = t.strip_prefix(':') {
        return parse_port(p).map(Endpoint::Port);
    }
    let Some((host, port)) = t.split_once(':') else {
        if t.parse::<IpAddr>().is_ok() || t.eq_ignore_ascii_case("localhost") {
            return Err(format!("'{s}' is an address without a port: write {t}:PORT"));
        }
        return parse_port(t).map(Endpoint::Port);
    };
    let addr: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().map_err(|_| {
            format!(
                "'{s}': '{host}' is not an IP address (write ADDR:PORT, e.g. 127.0.0.1:3000 or [::1]:3000)"
            )
        })?
    };
    if port.trim().is_empty() {
        return Err(format!("'{s}': the port is missing: write {host}:PORT"));
    }
    let port = parse_port(port).map_err(|e| format!("'{s}': {e}"))?;
    Ok(Endpoint::Addr(addr, port))
}

/// `[V6]:PORT` after its `[` (`rest`), when it did not parse whole.
fn parse_bracketed(s: &str, rest: &str) -> Result<Endpoint, String> {
    let Some((host, after)) = rest.split_once(']') else {
        return Err(format!("'{s}': a '[' without its ']' (write [::1]:3000)"));
    };
    let addr: IpAddr = host
        .parse()
        .map_err(|_| format!("'{s}': '{host}' is not an IP address (write [ADDR]:PORT, e.g. [::1]:3000)"))?;
    match after.strip_prefix(':') {
        Some(port) if port.trim().is_empty() => {
            Err(format!("'{s}': the port is missing: write [{host}]:PORT"))
        }
        Some(port) => {
            let port = parse_port(port).map_err(|e| format!("'{s}': {e}"))?;
            Ok(Endpoint::Addr(addr, port))
        }
        None if after.is_empty() => Err(format!("'{s}' is an address without a port: write [{host}]:PORT")),
        None => Err(format!("'{s}': put a ':' between the address and the port: [{host}]:{after}")),
    }
}

/// How a port is classed, for the reader's orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PortClass {
    /// 1-1023: needs privileges to bind on most systems.
    WellKnown,
    /// Inside this OS's ephemeral range: the OS hands these out to outgoing connections.
    Ephemeral,
    /// 1024-49151 and not ephemeral.
    Registered,
    /// 49152-65535 and not in this OS's ephemeral range.
    Dynamic,
}

impl PortClass {
    pub(crate) fn of(port: Port, ephemeral: PortRange) -> PortClass {
        let n = port.get();
        if n < 1024 {
            PortClass::WellKnown
        } else if ephemeral.contains(port) {
            PortClass::Ephemeral
        } else if n <= 49151 {
            PortClass::Registered
        } else {
            PortClass::Dynamic
        }
    }

    pub(crate) fn describe(self, ephemeral: PortRange) -> String {
        match self {
            PortClass::WellKnown => "well-known port (below 1024: binding it needs privileges)".into(),
            PortClass::Ephemeral => format!(
                "ephemeral port (this OS gives {ephemeral} to outgoing connections: usually the client end of one)"
            ),
            PortClass::Registered => "registered port (1024-49151: where servers usually listen)".into(),
            PortClass::Dynamic => format!(
                "dynamic/private port (49152-65535), outside this OS's ephemeral range {ephemeral}: not \
                 given to outgoing connections here; programs pick such ports for themselves"
            ),
        }
    }
}

/// What usually listens on a port: dev servers, their databases and the common services, for
/// the reader who asks "what is this port?". Sorted by port.
const USUAL_USE: &[(u16, &str)] = &[
    (22, "SSH"),
    (25, "SMTP mail"),
    (53, "DNS"),
    (80, "HTTP (web servers, proxies)"),
    (443, "HTTPS"),
    (631, "CUPS printing"),
    (1433, "Microsoft SQL Server"),
    (1521, "Oracle database"),
    (2375, "the Docker API (unencrypted)"),
    (3000, "Node.js, React (create-react-app), Next.js, Rails and Grafana dev servers"),
    (3001, "a second Node.js/React dev server (3000 taken)"),
    (3306, "MySQL / MariaDB"),
    (4000, "Jekyll, Phoenix and other dev servers"),
    (4173, "Vite's preview server"),
    (4200, "Angular's dev server (ng serve)"),
    (5000, "Flask's dev server (on macOS also the AirPlay receiver)"),
    (5173, "Vite's dev server"),
    (5432, "PostgreSQL"),
    (5672, "RabbitMQ (AMQP)"),
    (5900, "VNC"),
    (6006, "Storybook, TensorBoard"),
    (6379, "Redis"),
    (8000, "Django's runserver, Python's http.server, uvicorn"),
    (8080, "HTTP alternate: Tomcat, webpack-dev-server, proxies"),
    (8081, "HTTP alternate, Metro (React Native)"),
    (8443, "HTTPS alternate"),
    (8888, "Jupyter"),
    (9000, "PHP-FPM, SonarQube, MinIO"),
    (9090, "Prometheus"),
    (9200, "Elasticsearch / OpenSearch"),
    (9229, "the Node.js inspector (node --inspect)"),
    (11211, "memcached"),
    (27017, "MongoDB"),
];

/// What usually sits on `port`, when it is one of the well-known ones.
pub(crate) fn usual_use(port: Port) -> Option<&'static str> {
    USUAL_USE.binary_search_by_key(&port.get(), |&(p, _)| p).ok().map(|i| USUAL_USE[i].1)
}

/// Every port [`usual_use`] knows (kept out of stable-port choices: `core::stable`).
pub(crate) fn usual_ports() -> impl Iterator<Item = u16> {
    USUAL_USE.iter().map(|&(p, _)| p)
}

/// Ports that browsers refuse to connect to (the WHATWG Fetch standard's "bad ports" list).
/// A dev server on one of these cannot be opened in a browser, so portfix never hands them out.
pub(crate) const BROWSER_BAD_PORTS: &[u16] = &[
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
    109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
    526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
    3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
];

pub(crate) fn is_browser_bad_port(port: Port) -> bool {
    BROWSER_BAD_PORTS.binary_search(&port.get()).is_ok()
}

/// A port written anywhere in the command's arguments (`8080`, `host:8080`, `--x=8080`) that is
/// now held: the likely victim of a failure that named no port.
pub(crate) fn port_in_args(command: &[String], held: impl Fn(Port) -> bool) -> Option<Port> {
    command
        .iter()
        .skip(1)
        .filter_map(|a| {
            let tail = a.rsplit([':', '=']).next().unwrap_or(a);
            tail.bytes().all(|b| b.is_ascii_digit()).then(|| parse_port(tail).ok()).flatten()
        })
        .find(|&p| held(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: u16) -> Port {
        Port::new(n).unwrap()
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port("3000"), Ok(p(3000)));
        assert_eq!(parse_port("65535"), Ok(p(65535)));
        assert_eq!(parse_port("1"), Ok(p(1)));
        for (bad, says) in [
            ("0", "port 0 means"),
            ("65536", "out of range"),
            ("99999999999", "out of range"),
            ("abc", "is not a port"),
            ("-1", "is not a port"),
            ("3000x", "is not a port"),
            ("", "a port is needed"),
        ] {
            let e = parse_port(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("3000-3100"), Ok(PortRange { lo: p(3000), hi: p(3100) }));
        assert_eq!(parse_range("8080"), Ok(PortRange { lo: p(8080), hi: p(8080) }));
        assert!(parse_range("10-5").unwrap_err().contains("10 is above 5"));
        assert!(parse_range("0-5").unwrap_err().contains("port 0"));
        assert!(parse_range("5-70000").unwrap_err().contains("out of range"));
        assert!(parse_range("a-b").is_err());
        assert!(parse_range("-").is_err());
        assert_eq!(parse_range("3000-3002").unwrap().iter().count(), 3);
        assert_eq!(parse_range("1-65535").unwrap().iter().count(), 65535);
    }

    #[test]
    fn endpoints() {
        let lo4: IpAddr = "127.0.0.1".parse().unwrap();
        let lo6: IpAddr = "::1".parse().unwrap();
        assert_eq!(parse_endpoint("3000"), Ok(Endpoint::Port(p(3000))));
        assert_eq!(parse_endpoint(":3000"), Ok(Endpoint::Port(p(3000))));
        assert_eq!(parse_endpoint("127.0.0.1:62893"), Ok(Endpoint::Addr(lo4, p(62893))));
        assert_eq!(parse_endpoint("localhost:80"), Ok(Endpoint::Addr(lo4, p(80))));
        assert_eq!(parse_endpoint("[::1]:8080"), Ok(Endpoint::Addr(lo6, p(8080))));
        assert!(parse_endpoint("1.2.3.4:x").unwrap_err().contains("is not a port"));
        assert!(parse_endpoint("1.2.3.4:0").unwrap_err().contains("port 0"));
        assert!(parse_endpoint("nohost:80").unwrap_err().contains("not an IP address"));
        assert!(parse_endpoint("65536").unwrap_err().contains("out of range"));
        // near misses say how to write them
        for (bad, says) in [
            ("::1:4002", "written in brackets: [::1]:4002"),
            ("fe80::1:8080", "[fe80::1]:8080"),
            ("::1", "IPv6 address without a port: write [::1]:PORT"),
            ("[::1]", "without a port: write [::1]:PORT"),
            ("[::1]4002", "put a ':' between the address and the port: [::1]:4002"),
            ("[::1]:", "the port is missing: write [::1]:PORT"),
            ("[::1", "without its ']'"),
            ("[nohost]:80", "not an IP address"),
            ("[::1]:0", "port 0"),
            ("127.0.0.1:", "the port is missing: write 127.0.0.1:PORT"),
            ("localhost:", "the port is missing: write localhost:PORT"),
            ("1.2.3.4", "an address without a port: write 1.2.3.4:PORT"),
            ("localhost", "write localhost:PORT"),
            ("a:b:c", "is not ADDR:PORT"),
            ("1.2.3.4:5:6", "is not ADDR:PORT"),
        ] {
            let e = parse_endpoint(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains('\n'));
        }
        assert_eq!(parse_endpoint("[::1]:4002"), Ok(Endpoint::Addr(lo6, p(4002))));
        assert_eq!(parse_endpoint("[::ffff:127.0.0.1]:80").map(Endpoint::port), Ok(p(80)));
    }

    #[test]
    fn classes() {
        let eph = parse_range("32768-60999").unwrap();
        assert_eq!(PortClass::of(p(80), eph), PortClass::WellKnown);
        assert_eq!(PortClass::of(p(3000), eph), PortClass::Registered);
        assert_eq!(PortClass::of(p(40000), eph), PortClass::Ephemeral);
        assert_eq!(PortClass::of(p(62893), eph), PortClass::Dynamic);
    }

    #[test]
    fn dynamic_ports_name_this_os_range() {
        let linux = parse_range("32768-60999").unwrap();
        let text = PortClass::Dynamic.describe(linux);
        assert!(text.contains("49152-65535") && text.contains("32768-60999"), "{text}");
        assert!(PortClass::Ephemeral.describe(linux).contains("32768-60999"));
    }

    #[test]
    fn usual_uses_are_sorted_and_known() {
        assert!(USUAL_USE.windows(2).all(|w| w[0].0 < w[1].0));
        for (n, says) in [
            (3000, "React"),
            (3000, "Rails"),
            (5173, "Vite"),
            (8000, "Django"),
            (8000, "http.server"),
            (5432, "PostgreSQL"),
            (8080, "HTTP alternate"),
            (6379, "Redis"),
        ] {
            assert!(usual_use(p(n)).is_some_and(|u| u.contains(says)), "{n}: {:?}", usual_use(p(n)));
        }
        for n in [1, 3002, 62893, 65535] {
            assert_eq!(usual_use(p(n)), None, "{n}");
        }
    }

    #[test]
    fn bad_ports_list_is_sorted_and_known() {
        assert!(BROWSER_BAD_PORTS.windows(2).all(|w| w[0] < w[1]));
        for n in [6000, 6665, 6666, 6667, 6668, 6669, 10080, 22] {
            assert!(is_browser_bad_port(p(n)), "{n}");
        }
        for n in [3000, 5173, 8080, 6670] {
            assert!(!is_browser_bad_port(p(n)), "{n}");
        }
    }

    #[test]
    fn ports_in_arguments_that_are_held() {
        let argv = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let held = |p: Port| p.get() == 8123 || p.get() == 9000;
        for (cmd, want) in [
            ("node srv.js 8123", Some(8123)),
            ("node srv.js --listen-on=localhost:8123", Some(8123)),
            ("node srv.js --workers 4 9000", Some(9000)),
            ("node srv.js 8124 0 99999 abc", None),
            // argv[0] is never read
            ("9000", None),
        ] {
            assert_eq!(port_in_args(&argv(cmd), held).map(Port::get), want, "{cmd}");
        }
    }
}
