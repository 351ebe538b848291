//! Runbooks: the bundled ones and the user's, linked to alerts, rendered for the terminal,
//! searchable offline. Nothing in a runbook is ever executed.

pub mod cache;
pub mod index;
pub mod link;
pub mod markdown;
pub mod parts;

pub use cache::RemoteCache;
pub use index::{Library, Origin, Runbook};
pub use link::{Reference, Resolution, resolve};
