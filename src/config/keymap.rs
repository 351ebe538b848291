//! Keymap files: which file `[ui] keymap = name` means, and the format itself.
//!
//! A keymap file is a list of `[[keys]]` entries, `{ on = ["j", "down"], run = "move-down",
//! desc = "Move down" }`; `keymaps/default.toml` is built into the binary and documents the
//! format. What the keys and actions are is the console's (its `Keymap`, in app/, lays the
//! entries over each other and looks keys up); this file parses the format for any such
//! vocabulary, so errors name the file, the line and the key, and the config layer names no
//! part of the console.

use super::ConfigError;
use super::load::line_of;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;
use std::hash::Hash;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The default keymap, the base every other keymap is laid over.
pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");

/// What errors call the default keymap.
pub const DEFAULT_FILE: &str = "<embedded keymaps/default.toml>";

/// The keymaps built into the binary, by name: `keymaps/<name>.toml` in the source tree.
const BUNDLED: &[(&str, &str)] = &[("default", DEFAULT_TOML), ("emacs", include_str!("../../keymaps/emacs.toml"))];

/// What `run` says to unbind the keys in `on`.
const UNBIND: &str = "none";

const FIELDS: &[&str] = &["on", "run", "desc"];

/// One checked `[[keys]]` entry: `run: None` unbinds its keys.
#[derive(Debug)]
pub struct Entry<K, A> {
    pub keys: Vec<K>,
    pub run: Option<A>,
    pub desc: Option<String>,
}

/// The keymap laid over the default for `[ui] keymap = name`, as (text, what errors call
/// it): `<user_keymaps_dir>/<name>.toml` if it exists, else the bundled one. For
/// `"default"`, `<user_keymaps_dir>/default.toml` if it exists, else none.
pub fn overlay(name: &str, user_keymaps_dir: &Path) -> Result<Option<(String, String)>, ConfigError> {
    let user_file = user_keymaps_dir.join(format!("{name}.toml"));
    if name == "default" {
        user_file.exists().then(|| read_user_file(&user_file)).transpose()
    } else if is_plain_name(name) && user_file.exists() {
        Ok(Some(read_user_file(&user_file)?))
    } else if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == name) {
        Ok(Some(((*text).to_owned(), format!("<bundled keymaps/{name}.toml>"))))
    } else {
        Err(ConfigError {
            file: user_file.display().to_string(),
            line: None,
            key: Some("ui.keymap".into()),
            message: format!(
                "unknown keymap {name:?}; keymaps are: {} (bundled, or <name>.toml in {})",
                available(user_keymaps_dir).join(", "),
                user_keymaps_dir.display()
            ),
        })
    }
}

fn read_user_file(path: &Path) -> Result<(String, String), ConfigError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, file)),
        Err(e) => Err(ConfigError { file, line: None, key: None, message: format!("cannot read keymap: {e}") }),
    }
}

/// A name that is a file stem in the keymaps dir, not a path out of it.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\'])
}

/// The bundled keymaps' names and the user's, sorted.
fn available(user_keymaps_dir: &Path) -> Vec<String> {
    let mut names: BTreeSet<String> = BUNDLED.iter().map(|(n, _)| (*n).to_owned()).collect();
    if let Ok(dir) = std::fs::read_dir(user_keymaps_dir) {
        for path in dir.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|e| e == "toml")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str()).filter(|s| is_plain_name(s))
            {
                names.insert(stem.to_owned());
            }
        }
    }
    names.into_iter().collect()
}

/// Parses and checks one keymap file; `file` is what errors call it.
pub fn parse<K, A>(text: &str, file: &str) -> Result<Vec<Entry<K, A>>, ConfigError>
where
    K: Copy + Eq + Hash + Display + FromStr,
    K::Err: Display,
    A: Copy + Display + FromStr<Err = String>,
{
    let err = |span: Range<usize>, key: Option<String>, message: String| ConfigError {
        file: file.to_owned(),
        line: Some(line_of(text, span.start)),
        key,
        message,
    };
    let doc = DeTable::parse(text).map_err(|e| err(e.span().unwrap_or(0..0), None, e.message().trim().to_owned()))?;
    let doc = doc.get_ref();
    if let Some((k, _)) = doc.iter().filter(|(k, _)| k.get_ref() != "keys").min_by_key(|(k, _)| k.span().start) {
        let message =
            format!("unknown field `{}`, expected `keys`: write each binding as a [[keys]] table", k.get_ref());
        return Err(err(k.span(), Some(k.get_ref().to_string()), message));
    }
    let Some((keys_key, keys)) = doc.iter().next() else { return Ok(Vec::new()) };
    let DeValue::Array(items) = keys.get_ref() else {
        let message = "`keys` must be an array of tables: write each binding as a [[keys]] table".into();
        return Err(err(keys_key.span(), Some("keys".into()), message));
    };

    // Every key bound so far in this file: its line and action, for "bound twice".
    let mut seen: HashMap<K, (usize, Option<A>)> = HashMap::new();
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = |field: &str| Some(format!("keys[{i}].{field}"));
        let DeValue::Table(table) = item.get_ref() else {
            let message = "each entry must be a table, like { on = \"a\", run = \"ack\" }".into();
            return Err(err(item.span(), Some(format!("keys[{i}]")), message));
        };
        if let Some((k, _)) =
            table.iter().filter(|(k, _)| !FIELDS.contains(&k.get_ref().as_ref())).min_by_key(|(k, _)| k.span().start)
        {
            let message = format!("unknown field `{}`, expected one of `on`, `run`, `desc`", k.get_ref());
            return Err(err(k.span(), path(k.get_ref()), message));
        }
        let field = |name: &str| -> Result<&Spanned<DeValue<'_>>, ConfigError> {
            match table.iter().find(|(k, _)| k.get_ref() == name) {
                Some((_, v)) => Ok(v),
                None => Err(err(item.span(), path(name), format!("missing field `{name}`"))),
            }
        };

        let run = field("run")?;
        let Some(name) = run.get_ref().as_str() else {
            let message = format!("`run` must be an action name, like \"ack\", or {UNBIND:?}");
            return Err(err(run.span(), path("run"), message));
        };
        let action = match name {
            UNBIND => None,
            name => Some(name.parse::<A>().map_err(|message| {
                err(run.span(), path("run"), format!("{message}; or {UNBIND:?} to unbind the keys"))
            })?),
        };

        let desc = match table.iter().find(|(k, _)| k.get_ref() == "desc") {
            None => None,
            Some((_, v)) => match v.get_ref().as_str() {
                Some(s) => Some(s.to_owned()),
                None => return Err(err(v.span(), path("desc"), "`desc` must be a string".into())),
            },
        };

        let on = field("on")?;
        let values: Vec<&Spanned<DeValue<'_>>> = match on.get_ref() {
            DeValue::Array(a) => a.iter().collect(),
            _ => vec![on],
        };
        let mut keys = Vec::with_capacity(values.len());
        for v in values {
            let Some(written) = v.get_ref().as_str() else {
                let message = "`on` must be a key or an array of keys, like \"j\" or [\"j\", \"down\"]".into();
                return Err(err(v.span(), path("on"), message));
            };
            let key: K = written.parse().map_err(|e| err(v.span(), path("on"), format!("{e}")))?;
            let line = line_of(text, v.span().start);
            if let Some((first, before)) = seen.insert(key, (line, action)) {
                let name = |a: Option<A>| a.map_or_else(|| UNBIND.to_owned(), |a| a.to_string());
                let message = format!(
                    "key `{key}` is bound twice: line {first} ({}) and line {line} ({})",
                    name(before),
                    name(action)
                );
                return Err(err(v.span(), path("on"), message));
            }
            keys.push(key);
        }
        entries.push(Entry { keys, run: action, desc });
    }
    Ok(entries)
}
