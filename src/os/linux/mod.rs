//! Linux: the socket table over netlink (sock_diag); owners, process details and identity
//! from `/proc`; signals through pidfd.

mod child;
mod diag;
mod owners;
mod procfs;
mod signal;
mod sockets;

pub(crate) use child::*;
pub(crate) use procfs::*;
pub(crate) use signal::*;
pub(crate) use sockets::*;
