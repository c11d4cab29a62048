//! Linux: the socket table over netlink (sock_diag); owners, process details and identity
//! from `/proc`; signals through pidfd.

mod owners;
mod procfs;
mod sockets;

pub use procfs::*;
pub use sockets::*;
