//! The console's state and its pure update: `update(&mut State, Msg) -> Vec<Effect>`.
//! No terminal, no async runtime, no I/O here: effects are data the runtime carries out.

pub mod action;
pub mod editor;
mod effect;
pub mod key;
pub mod layout;
pub mod logs;
mod msg;
pub mod palette;
pub mod reports;
mod runbooks;
pub mod scroll;
pub mod state;
mod update;

pub use action::Action;
pub use effect::Effect;
pub use key::{Key, KeyCode};
pub use msg::{Mouse, Msg};
pub use state::State;
pub use update::update;
