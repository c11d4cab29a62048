//! Linux: the socket table over netlink (sock_diag), owners from `/proc/PID/fd`.

use std::collections::HashMap;

use netstat2::{AddressFamilyFlags, ProtocolFlags, SocketInfo};

use crate::core::socket::Socket;

pub fn iterate_sockets(
    af: AddressFamilyFlags,
    protos: ProtocolFlags,
) -> Result<impl Iterator<Item = Result<SocketInfo, netstat2::error::Error>>, netstat2::error::Error> {
    netstat2::iterate_sockets_info_without_pids(af, protos)
}

pub fn socket_uid(info: &SocketInfo) -> Option<u32> {
    Some(info.uid)
}

pub fn socket_inode(info: &SocketInfo) -> Option<u64> {
    (info.inode != 0).then_some(u64::from(info.inode))
}

pub fn socket_pids(_info: &SocketInfo) -> Vec<u32> {
    Vec::new()
}

/// Finds the processes holding these sockets by reading `/proc/PID/fd` links.
pub fn attach_owners(sockets: &mut [Socket]) -> anyhow::Result<()> {
    let mut wanted: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, s) in sockets.iter().enumerate() {
        if let Some(inode) = s.inode {
            wanted.entry(inode).or_default().push(i);
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let proc_dir = std::fs::read_dir("/proc")?;
    for entry in proc_dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else { continue };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else { continue };
            let Some(inode) = target
                .to_str()
                .and_then(|t| t.strip_prefix("socket:["))
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            else {
                continue;
            };
            if let Some(idx) = wanted.get(&inode) {
                for &i in idx {
                    if !sockets[i].pids.contains(&pid) {
                        sockets[i].pids.push(pid);
                    }
                }
            }
        }
    }
    Ok(())
}
