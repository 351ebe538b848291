//! The config layer every part shares, and nothing more: reading and locating the file
//! (errors name file, line and key), the platform's paths, themes and keymap files, and the
//! field types settings have in common (durations, secrets and their one resolver, URLs,
//! names). Each integration's own settings live beside its code; the root that composes
//! them is `settings.rs`. This module imports no integration: it is a leaf (a test checks).

pub mod keymap;
mod kinds;
mod load;
pub mod paths;
pub mod schema;
mod secret;
pub mod theme;

pub(crate) use kinds::kind_enum;
pub use load::{ConfigError, Document, KeyPath, KeySeg, Loaded, Origin, load, parse};
pub use schema::DurationText;
pub use secret::{Credentials, Login, REDACTED, Secret, SecretField, SecretRef, read_private_file, redact};

use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::time::Duration;

/// Problems serde cannot see, each with the key it concerns, in the order found: the first
/// is the one reported.
pub type Problems = Vec<(KeyPath, String)>;

/// The key path of one field of the table being checked, e.g. `sources[2]` + `"url"`.
pub type At<'a> = &'a dyn Fn(&str) -> KeyPath;

/// serde's `default = "crate::config::yes"` for switches that are on unless turned off.
pub fn yes() -> bool {
    true
}

/// A name others refer to (a source's, a schedule's): letters, digits, '-', '_' or '.',
/// once per family. `what` is how messages call it ("source", "log source").
pub fn check_name<'a>(what: &str, name: &'a str, seen: &mut HashSet<&'a str>) -> Option<String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        Some(format!("{what} name {name:?} must be letters, digits, '-', '_' or '.'"))
    } else if !seen.insert(name) {
        Some(format!("{what} name {name:?} is used twice"))
    } else {
        None
    }
}

/// Where a source's credentials go instead of its URL.
pub const LOGIN_GOES: &str =
    "give `token_env`/`token_file`, or `username` with `password_env`/`password_file` (a 0600 file)";
/// Where an API token goes instead of its URL.
pub const TOKEN_GOES: &str = "give the token with `token_env` or `token_file` (a 0600 file)";

/// A URL klaxon calls must be http(s) and carry no user or password: those are secrets,
/// and a URL shows wherever it goes (errors, `check-config`, a proxy's log). `instead` says
/// where they go. The message repeats no URL that might hold one.
pub fn http_url_problem(url: &str, instead: &str) -> Option<String> {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => (!u.username().is_empty()
            || u.password().is_some())
        .then(|| format!("the URL carries a user or password, which are never written inline: {instead}")),
        _ if url.contains('@') => Some("this is not an http(s) URL".into()),
        _ => Some(format!("{url:?} is not an http(s) URL")),
    }
}

/// The longest duration any setting takes: ten years. Anything longer is a typo, and time
/// arithmetic on it (now + interval, a rotation's turns) would leave the calendar.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// `"15s"`, `"5m"`, `"1h30m"`; at most [`MAX_DURATION`].
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    let d = humantime::parse_duration(raw.trim()).map_err(|e| {
        serde::de::Error::custom(format!("invalid duration {raw:?} ({e}); write it like \"15s\", \"5m\" or \"1h30m\""))
    })?;
    if d > MAX_DURATION {
        return Err(serde::de::Error::custom(format!(
            "duration {raw:?} is out of range: at most 10 years (\"3650d\")"
        )));
    }
    Ok(d)
}

/// An optional [`duration`]: `#[serde(default, deserialize_with = "crate::config::opt_duration")]`.
pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

#[cfg(test)]
mod tests {
    /// The config layer names no integration and no part of the console: those depend on it,
    /// never the other way round (one import cycle through config/ is what issue 17 undid).
    #[test]
    fn config_is_a_leaf() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
        let forbidden = ["sources", "oncall", "logs", "store", "notify", "runbooks", "app", "ui", "settings", "cli"];
        let forbidden = forbidden.iter().flat_map(|m| [format!("crate::{m}::"), format!("crate::{m};")]);
        let forbidden: Vec<String> = forbidden.collect();
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for f in &forbidden {
                    assert!(!text.contains(f.as_str()), "{} names {f}", path.display());
                }
            }
        }
        assert!(files >= 6, "read the config sources ({files} files)");
    }
}
