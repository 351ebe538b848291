//! Filled in by the theme work.
