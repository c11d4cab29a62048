//! `portfix list` end to end.
