//! `who`'s answer: which sockets hold or touch each target ([`select`]) and the report made of
//! them ([`report`]). `cmd::who` reads the tables and prints.

pub(crate) mod report;
pub(crate) mod select;
