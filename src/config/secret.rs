//! Secrets come only from an environment variable or a file only its owner can read,
//! and never print: `Secret`'s Debug and Display say `[redacted]`.

use serde::Deserialize;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl From<String> for Secret {
    /// A secret obtained at run time (a session token), kept as carefully as configured ones.
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl Secret {
    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A value the config wrote in the clear (a feed's file path) handled like a secret,
    /// so one field can hold either.
    pub fn from_config(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret lives: `{ env = "VAR" }` or `{ file = "~/.config/klaxon/token" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

impl SecretRef {
    /// Reads the secret. Errors name the variable or file, never the value.
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_owned())),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            },
            SecretRef::File(path) => read_secret_file(&super::paths::expand_tilde(path)),
        }
    }
}

/// Refuses a file that group or others can read or write, as ssh does for keys.
fn read_secret_file(path: &Path) -> Result<Secret, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "secret file {shown} is accessible by group or others (mode {mode:04o}); run: chmod 600 {shown}"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    let value = text.lines().next().unwrap_or("").trim();
    if value.is_empty() {
        return Err(format!("secret file {shown} is empty"));
    }
    Ok(Secret(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret("hunter2".into());
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
    }

    #[test]
    fn file_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretRef::File(path.clone()).resolve().unwrap_err();
        assert!(err.contains("mode 0644") && err.contains("chmod 600"), "{err}");
        assert!(!err.contains("s3cret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(SecretRef::File(path).resolve().unwrap().expose(), "s3cret");
    }

    #[test]
    fn env_must_be_set_and_non_empty() {
        let err = SecretRef::Env("KLAXON_TEST_SURELY_UNSET_VAR".into()).resolve().unwrap_err();
        assert!(err.contains("KLAXON_TEST_SURELY_UNSET_VAR is not set"), "{err}");
    }
}
