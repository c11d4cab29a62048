//! Linux: the socket table over netlink (sock_diag); owners, process details and identity
//! from `/proc`; signals through pidfd.

mod child;
mod diag;
mod owners;
mod procfs;
mod signal;
mod sockets;

pub use child::*;
pub use procfs::*;
pub use signal::*;
pub use sockets::*;
