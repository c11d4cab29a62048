//! `portfix who` end to end.
