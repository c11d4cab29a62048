//! Process details through sysinfo, refreshing only the pids asked about — never the whole
//! process table.

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind, Users};

use crate::core::process::ProcessInfo;

/// Details of these processes, in the order given; a pid that is gone (or hidden) is left out.
pub fn describe(pids: &[u32]) -> Vec<ProcessInfo> {
    if pids.is_empty() {
        return Vec::new();
    }
    let sys_pids: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    let mut sys = System::new();
    let kind = ProcessRefreshKind::nothing()
        .with_cmd(UpdateKind::Always)
        .with_exe(UpdateKind::Always)
        .with_cwd(UpdateKind::Always)
        .with_user(UpdateKind::Always);
    sys.refresh_processes_specifics(ProcessesToUpdate::Some(&sys_pids), true, kind);
    let users = Users::new_with_refreshed_list();
    sys_pids
        .iter()
        .filter_map(|pid| sys.process(*pid))
        .map(|p| {
            let uid = p.user_id().map(|u| **u);
            ProcessInfo {
                pid: p.pid().as_u32(),
                ppid: p.parent().map(Pid::as_u32),
                name: p.name().to_string_lossy().into_owned(),
                cmdline: p.cmd().iter().map(|a| a.to_string_lossy().into_owned()).collect(),
                exe: p.exe().map(std::path::Path::to_path_buf),
                cwd: p.cwd().map(std::path::Path::to_path_buf),
                uid,
                user: p.user_id().and_then(|u| users.get_user_by_id(u)).map(|u| u.name().to_string()),
                start_time: Some(p.start_time()),
                ..ProcessInfo::default()
            }
        })
        .collect()
}

/// The name of a user id, for sockets whose owning process we may not see.
pub fn user_name(uid: u32) -> Option<String> {
    let users = Users::new_with_refreshed_list();
    users.iter().find(|u| **u.id() == uid).map(|u| u.name().to_string())
}
