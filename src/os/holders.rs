//! The owners of a set of sockets, looked up once: each process described once with its
//! parents (`core::holder::HolderView`), the names of the sockets' users. What `who` and
//! `list` show.

use std::collections::{BTreeSet, HashMap};

use crate::core::holder::HolderView;
use crate::core::platform;
use crate::core::socket::Socket;

/// The processes behind the picked sockets, each described once with its parents
/// (`HolderView`), and the names of the sockets' uids.
pub(crate) struct Owners {
    by_pid: HashMap<u32, HolderView>,
    users: HashMap<u32, String>,
    see_all: bool,
}

impl Owners {
    pub(crate) fn load<'a>(sockets: impl Iterator<Item = &'a Socket>) -> Owners {
        let sockets: Vec<&Socket> = sockets.collect();
        let mut pids: Vec<u32> = sockets.iter().flat_map(|s| s.pids.iter().copied()).collect();
        pids.sort_unstable();
        pids.dedup();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let by_pid: HashMap<u32, HolderView> = pids
            .iter()
            .filter_map(|&pid| {
                HolderView::from_chain(
                    &super::process::chain_to_show(pid, super::process::PARENTS),
                    now,
                    false,
                )
            })
            .map(|v| (v.pid, v))
            .collect();
        // Names the processes already carry first; the user database is asked only for the rest.
        let mut users: HashMap<u32, String> =
            by_pid.values().filter_map(|p| Some((p.uid?, p.user.clone()?))).collect();
        let missing: BTreeSet<u32> =
            sockets.iter().filter_map(|s| s.uid).filter(|u| !users.contains_key(u)).collect();
        users.extend(missing.into_iter().filter_map(|u| Some((u, super::process::user_name(u)?))));
        Owners { by_pid, users, see_all: super::sockets::can_see_all_owners() }
    }

    pub(crate) fn user(&self, uid: Option<u32>) -> Option<String> {
        self.users.get(&uid?).cloned()
    }

    pub(crate) fn processes(&self, s: &Socket) -> Vec<HolderView> {
        s.pids.iter().filter_map(|pid| self.by_pid.get(pid)).cloned().collect()
    }

    /// A few words on a socket without a visible process, for one line of `list`.
    pub(crate) fn hidden_short(&self) -> &'static str {
        platform::hidden_short(platform::Os::CURRENT, self.see_all)
    }

    /// How to see the owner of a socket whose process is not visible, or why there is none.
    pub(crate) fn hidden_note(&self, command: &str) -> String {
        platform::hidden_note(platform::Os::CURRENT, self.see_all, command)
    }
}
