//! Where klaxon keeps its config, data and cache: the platform's directories
//! (XDG on Linux), overridable for tests and packaging through the XDG variables.

use directories::ProjectDirs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
    pub cache: PathBuf,
}

impl Dirs {
    pub fn platform() -> Dirs {
        match ProjectDirs::from("", "", "klaxon") {
            Some(p) => Dirs {
                config: p.config_dir().to_path_buf(),
                data: p.data_dir().to_path_buf(),
                cache: p.cache_dir().to_path_buf(),
            },
            // No home directory at all (a bare service account): stay in the working dir.
            None => Dirs {
                config: PathBuf::from(".klaxon"),
                data: PathBuf::from(".klaxon"),
                cache: PathBuf::from(".klaxon/cache"),
            },
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("klaxon.toml")
    }
}

/// `~/x` → `$HOME/x`; anything else unchanged.
pub fn expand_tilde(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => path.to_path_buf(),
        },
        Err(_) => path.to_path_buf(),
    }
}
