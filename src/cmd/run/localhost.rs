//! The warning when another process answers one of localhost's addresses on the command's port
//! (who answers is decided in `core::answer`): one warning, naming that process and the
//! address, then what to do — the URL that does reach the command, or stopping the other.

use std::net::SocketAddr;

use crate::core::answer::{self, Check};
use crate::core::events::Event;
use crate::core::render;
use crate::core::socket::Socket;
use crate::os::child;
use crate::os::process;

use super::Settings;
use super::events;

/// Says who else answers, if anyone does. `command`: the command for messages (escaped);
/// `sockets`: the port's listeners as `check` indexes them, with their owners.
pub(crate) fn warn(s: &Settings, command: &str, check: &Check, sockets: &[Socket]) {
    if !check.someone_else_answers() {
        return;
    }
    let others = check.others();
    let named: Vec<(answer::Other, Option<u32>)> = others
        .iter()
        .map(|&(addr, idx, shared)| {
            let (who, pid, uid) = name(&idx.iter().map(|&i| &sockets[i]).collect::<Vec<_>>());
            (answer::Other { addr, who, pid, shared }, uid)
        })
        .collect();
    let plain: Vec<answer::Other> = named.iter().map(|(o, _)| o.clone()).collect();
    let url = check.url();
    let (text, hint) = answer::warning(command, check.port, &url, &plain);
    child::say(&format!("warning: {text}"));
    child::say(&hint);
    for (other, uid) in &named {
        events::emit(s, || Event::Warning {
            kind: "localhost".into(),
            text: text.clone(),
            hint: hint.clone(),
            address: canonical(other.addr).to_string(),
            shared: other.shared,
            holder: match other.pid.and_then(|pid| process::describe(&[pid]).pop()) {
                Some(p) => {
                    let same = events::same_project(s, p.pid);
                    events::holder(&p, same)
                }
                None => events::hidden(*uid),
            },
        });
    }
}

/// `pid 4321 (python3)` for the first of these sockets' processes that can be seen, else who
/// owns them: its pid, and the socket owner's uid.
fn name(sockets: &[&Socket]) -> (String, Option<u32>, Option<u32>) {
    let uid = sockets.iter().find_map(|s| s.uid);
    let pids: Vec<u32> = sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
    for &pid in &pids {
        if let Some(p) = process::describe(&[pid]).pop() {
            return (format!("pid {pid} ({})", render::escape(&p.name)), Some(pid), uid);
        }
    }
    let who = match (pids.first(), uid) {
        (Some(pid), _) => format!("pid {pid}"),
        (None, Some(uid)) => format!("a process of uid {uid} that you may not see"),
        (None, None) => "a process portfix cannot see".to_string(),
    };
    (who, pids.first().copied(), uid)
}

fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}
