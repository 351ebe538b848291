//! Runbooks: the bundled ones and the user's, linked to alerts, rendered, searchable offline.

pub mod markdown;
