//! `portfix run` end to end.
