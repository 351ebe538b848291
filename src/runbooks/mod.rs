//! Runbooks: the bundled ones and the user's folders of Markdown, linked to alerts, rendered
//! for the terminal, searchable offline, mirrors of runbook sites opened from disk. Nothing in a
//! runbook is ever executed.

pub mod cache;
pub mod front;
pub mod index;
pub mod link;
pub mod load;
pub mod markdown;
pub mod parts;

pub use cache::RemoteCache;
pub use index::{Library, Mirror, Origin, Runbook};
pub use link::{Follow, Reference, Resolution, follow, resolve};
