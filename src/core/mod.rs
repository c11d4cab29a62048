//! The pure core: decisions and rendering, no I/O. Everything here is unit-tested with tables.

pub mod answer;
pub mod bindfail;
pub mod conflict;
pub mod denied;
pub mod events;
pub mod freeport;
pub mod holder;
pub mod plan;
pub mod platform;
pub mod policy;
pub mod port;
pub mod privilege;
pub mod process;
pub mod render;
pub mod reuse;
pub mod secondary;
pub mod signal;
pub mod socket;
pub mod stable;
pub mod stop;
pub mod tools;
pub mod wellknown;
