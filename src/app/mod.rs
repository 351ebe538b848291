//! The console's state and its pure update: `update(&mut State, Msg) -> Vec<Effect>`.
//! No terminal, no async runtime, no I/O, no clock, no randomness here: effects are data the
//! runtime carries out, and the same messages give the same effects. `State` is in the parts
//! the panes own (`list`, `detail`, `attention`, `escalation`, `logs`, `runbooks`), each with
//! its own update taking only its part.

pub mod action;
pub mod attention;
pub mod detail;
pub mod editor;
mod effect;
pub mod escalation;
pub mod history;
pub mod incidents;
pub mod key;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod logs;
mod msg;
pub mod palette;
pub mod reports;
pub mod runbooks;
pub mod scroll;
pub mod selection;
pub mod silence_list;
pub mod silences;
pub mod slo;
pub mod state;
mod update;

pub use action::Action;
pub use effect::Effect;
pub use key::{Key, KeyCode};
pub use keymap::{Binding, Keymap};
pub use msg::{Mouse, Msg};
pub use state::State;
pub use update::update;
