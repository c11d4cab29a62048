//! `portfix kill` end to end.
