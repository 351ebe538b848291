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

use serde::Deserialize;
use std::path::PathBuf;

/// `[runbooks]`: where runbooks come from besides the bundled ones.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbooksConfig {
    /// Folders of your own runbooks: every Markdown file under them, front matter optional. One
    /// named like a bundled runbook replaces it. Relative paths are relative to the config file.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Let `y` copy a runbook's code block to the clipboard with OSC 52 (through SSH and tmux).
    #[serde(default)]
    pub copy_code: bool,
    /// Runbook sites checked out on disk: a `runbook_url` under `url` opens the file under `path`.
    #[serde(default)]
    pub mirrors: Vec<RunbookMirror>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbookMirror {
    /// The site's prefix, e.g. `https://runbooks.example.com/runbooks/`.
    pub url: String,
    /// The checkout's folder that prefix serves, e.g. `~/src/runbooks/content/runbooks`.
    pub path: PathBuf,
}

impl RunbooksConfig {
    /// Checks what serde cannot: a mirror's `url` is an http(s) URL.
    pub fn validate(&self, problems: &mut crate::config::Problems) {
        use crate::config::KeyPath;
        for (i, m) in self.mirrors.iter().enumerate() {
            if !(m.url.starts_with("http://") || m.url.starts_with("https://")) || !m.url.is_ascii() {
                let at = KeyPath::root("runbooks").key("mirrors").index(i).key("url");
                problems
                    .push((at, format!("{:?} is not an http(s) URL (ASCII, non-ASCII characters %-escaped)", m.url)));
            }
        }
    }
}
