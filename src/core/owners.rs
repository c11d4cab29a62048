//! The owners of a set of sockets, as `who` and `list` show them: each process described once
//! with its parents (`core::holder::HolderView`), and the names of the sockets' users.
//! `os::holders::load` fills it in; the lookups here are pure.

use std::collections::HashMap;

use crate::core::holder::HolderView;
use crate::core::platform;
use crate::core::socket::Socket;

/// The processes behind the picked sockets, by pid, and the names of the sockets' uids.
pub(crate) struct Owners {
    by_pid: HashMap<u32, HolderView>,
    users: HashMap<u32, String>,
    /// This user can see every socket's owner (root on Linux).
    see_all: bool,
}

impl Owners {
    pub(crate) fn new(
        by_pid: HashMap<u32, HolderView>,
        users: HashMap<u32, String>,
        see_all: bool,
    ) -> Owners {
        Owners { by_pid, users, see_all }
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
