//! Linux: the socket table over netlink (sock_diag); owners, process details and identity
//! from `/proc`; signals through pidfd.

mod child;
mod owners;
mod procfs;
mod sockets;

pub use child::*;
pub use procfs::*;
pub use sockets::*;
