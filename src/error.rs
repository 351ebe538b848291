//! The library's error: what the console, `watch` and the actions report. `cli` maps it to
//! exit codes (2 for a bad config or request, 1 for the rest).

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config (or a theme or keymap file) is wrong: the message names file, line and key.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// What was asked cannot be done as asked (an unknown source, an action its source refuses).
    #[error("{0}")]
    Invalid(String),
    /// It was tried and failed (the store, the network, the terminal).
    #[error("{0}")]
    Failed(String),
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Error::Failed(e.to_string())
    }
}
