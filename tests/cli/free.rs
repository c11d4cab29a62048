//! `portfix free` end to end.
