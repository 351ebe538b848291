//! Secrets come only from an environment variable or a file only its owner can read,
//! and never print: `Secret`'s Debug and Display say `[redacted]`. Every secret read is
//! remembered, so that [`redact`] can take it out of text a server sent back (an error page
//! that echoes the Authorization header, a 404 that quotes a secret feed's path).

use super::{At, Problems};
use serde::Deserialize;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// Every secret value this process has read, and the pieces of secret URLs. Process-wide
/// on purpose: error text comes from every integration and from libraries, and no caller
/// should have to carry the list to the one place ([`redact`]) that cleans it.
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What stands in for a secret in text.
pub const REDACTED: &str = "[redacted]";

/// Remembers `value` (and, when it is a URL or a connection string, the pieces a server
/// might echo alone: its password, path, query and long path segments).
fn remember(value: &str) {
    let mut pieces = vec![value.to_owned()];
    if let Ok(url) = reqwest::Url::parse(value)
        && url.has_host()
    {
        pieces.extend(url.password().map(str::to_owned));
        if url.path().len() > 1 {
            pieces.push(url.path().to_owned());
        }
        pieces.extend(url.query().map(str::to_owned));
        pieces.extend(url.path_segments().into_iter().flatten().filter(|s| s.len() >= 12).map(str::to_owned));
        pieces.extend(url.query_pairs().map(|(_, v)| v.into_owned()).filter(|v| v.len() >= 8));
    }
    // libpq's key=value form: "host=db password=…".
    pieces.extend(value.split_whitespace().filter_map(|kv| kv.strip_prefix("password=")).map(str::to_owned));
    let decoded: Vec<String> =
        pieces.iter().filter_map(|p| percent_decode(p)).filter(|d| !pieces.contains(d)).collect();
    pieces.extend(decoded);
    let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    for p in pieces {
        // Too short to tell from ordinary words: the whole value still counts.
        if (p.len() >= 8 || p == value) && !p.trim().is_empty() && !known.contains(&p) {
            known.push(p);
        }
    }
    // Longest first, so a URL goes whole before its path does.
    known.sort_by_key(|k| std::cmp::Reverse(k.len()));
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `text` with every secret this process knows replaced by `[redacted]`: for anything a
/// server said that goes on to a screen, a terminal, a log or a file.
pub fn redact(text: &str) -> String {
    let known = KNOWN.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_owned();
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl From<String> for Secret {
    /// A secret obtained at run time (a session token), kept as carefully as configured ones.
    fn from(value: String) -> Secret {
        remember(&value);
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

    /// A credential made from secrets (HTTP Basic's base64 of user:password), remembered
    /// for [`redact`] like the secrets themselves.
    pub fn derived(value: String) -> Secret {
        Secret::from(value)
    }

    /// Remembers what HTTP Basic puts on the wire for `user` and `password` (base64 of both),
    /// since a server echoing the header echoes that rather than the password.
    pub fn remember_basic(user: &str, password: &Secret) {
        use base64::Engine;
        let wire = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", password.expose()));
        let _ = Secret::derived(wire);
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
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
                Ok(v) if !v.trim().is_empty() => Ok(Secret::from(v.trim().to_owned())),
                Ok(_) => Err(format!("environment variable {var} is empty")),
                Err(_) => Err(format!("environment variable {var} is not set")),
            },
            SecretRef::File(path) => read_secret_file(&super::paths::expand_tilde(path)),
        }
    }
}

/// A secret a setting gives as `<name>_env` (an environment variable) or `<name>_file` (a
/// 0600 file), never inline and never both: the one resolver every integration's secrets go
/// through. A view over the two keys, which stay plain fields of the integration's struct so
/// that its `deny_unknown_fields` keeps listing them in a typo's message.
#[derive(Debug, Clone, Copy)]
pub struct SecretField<'a> {
    name: &'static str,
    env: Option<&'a str>,
    file: Option<&'a Path>,
}

impl<'a> SecretField<'a> {
    pub fn new(name: &'static str, env: &'a Option<String>, file: &'a Option<PathBuf>) -> Self {
        SecretField { name, env: env.as_deref(), file: file.as_deref() }
    }

    /// Where the secret lives, if it is given.
    pub fn get(&self) -> Result<Option<SecretRef>, String> {
        let name = self.name;
        match (self.env, self.file) {
            (Some(_), Some(_)) => Err(format!("give {name}_env or {name}_file, not both")),
            (Some(var), None) => Ok(Some(SecretRef::Env(var.to_owned()))),
            (None, Some(path)) => Ok(Some(SecretRef::File(path.to_owned()))),
            (None, None) => Ok(None),
        }
    }

    /// Whether one (and only one) of the two keys is given.
    pub fn is_given(&self) -> bool {
        matches!(self.get(), Ok(Some(_)))
    }

    /// The secret itself, read now; `None` when it is not given.
    pub fn resolve(&self) -> Result<Option<Secret>, String> {
        self.get()?.map(|r| r.resolve()).transpose()
    }

    /// A secret that is given must be readable; the problem goes on whichever key was used.
    pub fn check(&self, at: At<'_>, problems: &mut Problems) {
        match self.get() {
            Err(e) => problems.push((at(&format!("{}_env", self.name)), e)),
            Ok(Some(r)) => {
                if let Err(e) = r.resolve() {
                    let key = if matches!(r, SecretRef::Env(_)) { "_env" } else { "_file" };
                    problems.push((at(&format!("{}{key}", self.name)), e));
                }
            }
            Ok(None) => {}
        }
    }
}

/// How an integration logs in: a token (`token_env`/`token_file`), or a `username` with a
/// password (`password_env`/`password_file`).
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub token: SecretField<'a>,
    pub username: Option<&'a str>,
    pub password: SecretField<'a>,
}

/// What a [`Login`] resolves to.
#[derive(Debug, Clone)]
pub enum Credentials {
    Token(Secret),
    Password { username: String, password: Secret },
    None,
}

impl<'a> Login<'a> {
    pub fn new(
        token: (&'a Option<String>, &'a Option<PathBuf>),
        username: &'a Option<String>,
        password: (&'a Option<String>, &'a Option<PathBuf>),
    ) -> Self {
        Login {
            token: SecretField::new("token", token.0, token.1),
            username: username.as_deref(),
            password: SecretField::new("password", password.0, password.1),
        }
    }

    /// Whether any way in is written (a token written wrong counts: it has its own problem).
    pub fn is_given(&self) -> bool {
        self.username.is_some() || !matches!(self.token.get(), Ok(None))
    }

    /// A token, or a username with a password, each readable; never both.
    pub fn check(&self, at: At<'_>, problems: &mut Problems) {
        self.token.check(at, problems);
        self.password.check(at, problems);
        if self.username.is_some() != self.password.is_given() {
            problems.push((at("username"), "a login needs both username and password_env/password_file".into()));
        }
        if self.username.is_some() && self.token.is_given() {
            problems.push((at("token_env"), "give a token or a username and password, not both".into()));
        }
    }

    /// The secrets read now: the token when given, else the username and password.
    pub fn resolve(&self) -> Result<Credentials, String> {
        let (token, password) = (self.token.resolve()?, self.password.resolve()?);
        Ok(match (token, self.username, password) {
            (Some(token), _, _) => Credentials::Token(token),
            (None, Some(username), Some(password)) => Credentials::Password { username: username.to_owned(), password },
            _ => Credentials::None,
        })
    }
}

/// Refuses a file that group or others can read or write, as ssh does for keys.
fn read_secret_file(path: &Path) -> Result<Secret, String> {
    let shown = path.display();
    let text = String::from_utf8(read_private_file(path)?)
        .map_err(|_| format!("cannot read secret file {shown}: it is not UTF-8 text"))?;
    let value = text.lines().next().unwrap_or("").trim();
    if value.is_empty() {
        return Err(format!("secret file {shown} is empty"));
    }
    Ok(Secret::from(value.to_owned()))
}

/// The whole of a file only its owner may read or write (a private key, a token): refused,
/// naming the file and the fix, when group or others can.
pub fn read_private_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "secret file {shown} is accessible by group or others (mode {mode:04o}); run: chmod 600 {shown}"
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read secret file {shown}: {e}"))
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
    fn redact_takes_out_secrets_and_the_pieces_of_secret_urls() {
        let _ = Secret::from("tok-3f9a8b7c6d".to_string());
        let _ = Secret::from("https://cal.example.com/private-0a1b2c3d4e5f/basic.ics?key=zz9988776655".to_string());
        let _ = Secret::from("postgres://klaxon:pa%24%24word-1@db/klaxon".to_string());
        let said = "401 for Bearer tok-3f9a8b7c6d; GET /private-0a1b2c3d4e5f/basic.ics not found; key zz9988776655; \
                    auth pa$$word-1 failed";
        let clean = redact(said);
        for leak in ["tok-3f9a8b7c6d", "private-0a1b2c3d4e5f", "zz9988776655", "pa$$word-1"] {
            assert!(!clean.contains(leak), "{leak} in {clean}");
        }
        assert!(clean.starts_with("401 for Bearer [redacted]; GET [redacted] not found"), "{clean}");
    }

    #[test]
    fn env_must_be_set_and_non_empty() {
        let err = SecretRef::Env("KLAXON_TEST_SURELY_UNSET_VAR".into()).resolve().unwrap_err();
        assert!(err.contains("KLAXON_TEST_SURELY_UNSET_VAR is not set"), "{err}");
    }
}
