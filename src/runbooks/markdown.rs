//! Filled in by the markdown work.
