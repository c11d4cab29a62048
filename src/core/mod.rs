//! The pure core: decisions and rendering, no I/O. Everything here is unit-tested with tables.

pub(crate) mod answer;
pub(crate) mod bindfail;
pub(crate) mod conflict;
pub(crate) mod denied;
pub(crate) mod events;
pub(crate) mod freeport;
pub(crate) mod holder;
pub(crate) mod owners;
pub(crate) mod plan;
pub(crate) mod platform;
pub(crate) mod policy;
pub(crate) mod port;
pub(crate) mod privilege;
pub(crate) mod process;
pub(crate) mod render;
pub(crate) mod reuse;
pub(crate) mod secondary;
pub(crate) mod signal;
pub(crate) mod socket;
pub(crate) mod stable;
pub(crate) mod stop;
pub(crate) mod tools;
pub(crate) mod wellknown;
pub(crate) mod who;
