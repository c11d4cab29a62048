//! The owners of a set of sockets, looked up once (`core::owners::Owners`): each process read
//! once with its parents, and the user database asked only for the uids no process named.

use std::collections::{BTreeSet, HashMap};

use crate::core::holder::HolderView;
use crate::core::owners::Owners;
use crate::core::socket::Socket;

/// The owners of these sockets.
pub(crate) fn load<'a>(sockets: impl Iterator<Item = &'a Socket>) -> Owners {
    let sockets: Vec<&Socket> = sockets.collect();
    let mut pids: Vec<u32> = sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
    pids.sort_unstable();
    pids.dedup();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let by_pid: HashMap<u32, HolderView> = pids
        .iter()
        .filter_map(|&pid| {
            HolderView::from_chain(&super::process::chain_to_show(pid, super::process::PARENTS), now, false)
        })
        .map(|v| (v.pid, v))
        .collect();
    // Names the processes already carry first; the user database is asked only for the rest.
    let mut users: HashMap<u32, String> =
        by_pid.values().filter_map(|p| Some((p.uid?, p.user.clone()?))).collect();
    let missing: BTreeSet<u32> =
        sockets.iter().filter_map(|s| s.uid).filter(|u| !users.contains_key(u)).collect();
    users.extend(missing.into_iter().filter_map(|u| Some((u, super::process::user_name(u)?))));
    Owners::new(by_pid, users, super::sockets::can_see_all_owners())
}
