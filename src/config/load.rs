//! Finding, reading and parsing klaxon.toml, with errors that name file, line and key.

use super::paths::{Dirs, expand_tilde};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySeg {
    Key(String),
    Index(usize),
}

/// A dotted path into the config, e.g. `sources[1].commands[0].argv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath(pub Vec<KeySeg>);

impl KeyPath {
    /// A top-level key, e.g. `store`.
    pub fn root(key: &str) -> KeyPath {
        KeyPath(vec![KeySeg::Key(key.into())])
    }

    /// This path, then `.key`.
    pub fn key(mut self, key: &str) -> KeyPath {
        self.0.push(KeySeg::Key(key.into()));
        self
    }

    /// This path, then `[index]`.
    pub fn index(mut self, index: usize) -> KeyPath {
        self.0.push(KeySeg::Index(index));
        self
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                KeySeg::Key(k) if i == 0 => write!(f, "{k}")?,
                KeySeg::Key(k) => write!(f, ".{k}")?,
                KeySeg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    /// Key and message can quote the file (a broken string's text): cleaned like any text
    /// from outside, so a control character or line separator in it never reaches the
    /// terminal (found by tests/suite/parsers_prop.rs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::sanitize::{sanitize, sanitize_line};
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{}`", sanitize_line(key))?;
        }
        write!(f, ": {}", sanitize(&self.message))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Embedded,
}

/// What the config layer needs of the document it reads. The root config
/// (`settings::Config`) implements it, so that this module names no integration.
pub trait Document: serde::de::DeserializeOwned {
    /// The built-in document, run when there is no file.
    const EMBEDDED: &'static str;

    /// For an unknown key right inside one of these array tables (`"[[sources]]"`), what to
    /// add to serde's message: the keys every entry of that table has.
    const COMMON_KEYS: &'static [(&'static str, &'static str)] = &[];

    /// Checks what serde cannot: each problem with the key it concerns, in the order found.
    fn validate(&self) -> Vec<(KeyPath, String)>;

    /// Loads the files the document names (a theme, a keymap). An error inside such a file
    /// names that file and line; one with a key but no line (an unknown name) is reported
    /// at that key's line in the document.
    fn check_files(&self, _dirs: &Dirs) -> Result<(), ConfigError> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Loaded<C> {
    pub config: C,
    pub origin: Origin,
    pub dirs: Dirs,
}

impl<C> Loaded<C> {
    /// Relative paths in a config file are relative to that file's directory.
    pub fn resolve_path(&self, path: &Path) -> PathBuf {
        let path = expand_tilde(path);
        match &self.origin {
            Origin::File(file) if path.is_relative() => file.parent().unwrap_or(Path::new(".")).join(path),
            _ => path,
        }
    }
}

/// `--config PATH`, else `$KLAXON_CONFIG`, else the platform config file if it exists,
/// else the embedded default. A path that was named but cannot be read is an error.
pub fn load<C: Document>(explicit: Option<&Path>, dirs: Dirs) -> Result<Loaded<C>, ConfigError> {
    let named = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("KLAXON_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from));
    let path = match named {
        Some(path) => Some(path),
        None => Some(dirs.config_file()).filter(|p| p.exists()),
    };
    let Some(path) = path else {
        let config = parse(C::EMBEDDED, "<embedded default>")?;
        return Ok(Loaded { config, origin: Origin::Embedded, dirs });
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
        file: shown.clone(),
        line: None,
        key: None,
        message: format!("cannot read config: {e}"),
    })?;
    let config: C = parse(&text, &shown)?;
    config.check_files(&dirs).map_err(|mut e| {
        // An unknown theme or keymap name: the error is about the document's own key.
        if let Some(key) = e.key.as_deref().filter(|_| e.line.is_none()) {
            let path = KeyPath(key.split('.').map(|k| KeySeg::Key(k.into())).collect());
            e.line = locate(&text, &path).map(|span| line_of(&text, span.start));
            e.file = shown.clone();
        }
        e
    })?;
    Ok(Loaded { config, origin: Origin::File(path), dirs })
}

/// Parses and validates config text; `file` is what errors call it.
pub fn parse<C: Document>(text: &str, file: &str) -> Result<C, ConfigError> {
    let config: C = toml::from_str(text).map_err(|e| from_toml_error(text, file, &e, C::COMMON_KEYS))?;
    if let Some((path, message)) = config.validate().into_iter().next() {
        let line = locate(text, &path).map(|span| line_of(text, span.start));
        return Err(ConfigError { file: file.to_owned(), line, key: Some(path.to_string()), message });
    }
    Ok(config)
}

fn from_toml_error(text: &str, file: &str, err: &toml::de::Error, common_keys: &[(&str, &str)]) -> ConfigError {
    let message = err.message().trim().to_owned();
    let span = err.span().unwrap_or(0..0);
    // serde names the field in its messages; find that key inside the span (a whole table
    // when the error came through a flattened or tagged struct) to report its own line.
    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|p| message.split_once(p).and_then(|(_, rest)| rest.split_once('`')).map(|(k, _)| k.to_owned()));
    let (key, offset) = match named {
        Some(k) => {
            let at = find_key_in(text, span.clone(), &k).unwrap_or(span.start);
            (Some(k), at)
        }
        None => match key_before(text, span.start) {
            Some(k) => (Some(k), span.start),
            // Through a flattened table the span is the whole source table: find the line
            // whose value the message quotes ("apocalyptic", `nagios-xi`).
            None => quoted(&message)
                .into_iter()
                .find_map(|v| line_with_value(text, span.start, &v))
                .map_or((None, span.start), |(k, at)| (Some(k), at)),
        },
    };
    let mut message = message;
    if message.starts_with("unknown field") {
        // The key sits in a `[[sources]]` table itself, not in one of its sub-tables.
        for (header, keys) in common_keys {
            if text.get(span.start..offset).is_some_and(|t| t.starts_with(header) && !t.contains("\n[")) {
                message.push_str(keys);
            }
        }
        if key.as_deref().is_some_and(looks_secret) {
            message.push_str("; secrets are never written inline: give them from an env var or a 0600 file");
        }
    }
    ConfigError { file: file.to_owned(), line: Some(line_of(text, offset)), key, message }
}

fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passwd", "token", "secret", "api_key", "apikey"].iter().any(|s| key.contains(s))
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Offset of the first `key = …` from `span` on. The span may cover only a table's header,
/// or (through serde's flatten) the source table that holds the offending sub-table, so
/// look on to the end; a misspelt key is rarely written twice.
fn find_key_in(text: &str, span: Range<usize>, key: &str) -> Option<usize> {
    let region = text.get(span.start..)?;
    let mut offset = span.start;
    for line in region.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key).or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")))
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// The strings a message quotes with "…" or `…`.
fn quoted(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in ['"', '`'] {
        let parts: Vec<&str> = message.split(q).collect();
        out.extend(parts.iter().skip(1).step_by(2).filter(|p| !p.is_empty()).map(|p| p.to_string()));
    }
    out
}

/// The first `key = …value…` line from `from` on, as (key, offset of the line).
fn line_with_value(text: &str, from: usize, value: &str) -> Option<(String, usize)> {
    let mut offset = from;
    for line in text.get(from..)?.split_inclusive('\n') {
        if let Some((key, rest)) = line.split_once('=')
            && rest.contains(value)
        {
            return Some((key.trim().trim_matches('"').to_owned(), offset));
        }
        offset += line.len();
    }
    None
}

/// The key of the `key = value` line a value error points into.
fn key_before(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..offset.min(text.len())];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then(|| key.to_owned())
}

/// The span of the key at `path` in the document, for errors found after parsing.
fn locate(text: &str, path: &KeyPath) -> Option<Range<usize>> {
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut found = None;
    let mut segs = path.0.iter().peekable();
    while let Some(seg) = segs.next() {
        let KeySeg::Key(name) = seg else { return found };
        let (key, value) = table.iter().find(|(k, _)| k.get_ref() == name)?;
        found = Some(key.span());
        let mut value: &DeValue = value.get_ref();
        if let Some(KeySeg::Index(i)) = segs.peek() {
            segs.next();
            let item = value.as_array()?.get(*i)?;
            found = Some(item.span());
            value = item.get_ref();
        }
        match value {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found
}
