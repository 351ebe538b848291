//! The console's state and its pure update: `update(&mut State, Msg) -> Vec<Effect>`.
//! No terminal, no async runtime, no I/O here: effects are data the runtime carries out.

pub mod action;
pub mod key;

pub use action::Action;
pub use key::{Key, KeyCode};
