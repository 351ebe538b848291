//! Filled in by the keymap work.
