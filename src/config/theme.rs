//! Themes: TOML files of styles keyed by what they mean (`"severity.high"`, `"pane.border.focused"`),
//! bundled in the binary and overridable from `<config dir>/themes/<name>.toml`.
//!
//! A theme may `inherits = "<name>"` another: the parent's styles first, then its own. Looking a
//! style up falls back along its dotted scope, so `pane.border.focused` uses `pane.border`, then
//! `pane`, when it is not set. `themes/default.toml` documents the format and every key.

use super::ConfigError;
use super::load::line_of;
use crate::model::Severity;
use ratatui::style::{Color, Modifier, Style};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};

/// The bundled themes, in the order `builtin_names` lists them.
const BUNDLED: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

const BUNDLED_NAMES: [&str; 4] = [BUNDLED[0].0, BUNDLED[1].0, BUNDLED[2].0, BUNDLED[3].0];

/// Every style the console asks for. A theme file may set these and the scopes above them
/// (`pane`, `severity`, …); any other name is a typo and an error.
const KEYS: &[&str] = &[
    "severity.information",
    "severity.warning",
    "severity.average",
    "severity.high",
    "severity.disaster",
    "header",
    "header.title",
    "header.oncall",
    "header.you",
    "health.ok",
    "health.stale",
    "health.failing",
    "pane.border",
    "pane.border.focused",
    "pane.title",
    "list.header",
    "list.selected",
    "list.acked",
    "list.resolved",
    "list.age",
    "list.source",
    "list.owner",
    "list.new",
    "group.header",
    "detail.label",
    "detail.value",
    "detail.link",
    "timeline.time",
    "timeline.actor",
    "timeline.kind",
    "status",
    "status.key",
    "status.hint",
    "status.error",
    "status.info",
    "overlay.border",
    "overlay.title",
    "input",
    "input.cursor",
    "palette.match",
    "confirm",
    "markdown.heading",
    "markdown.heading.1",
    "markdown.emphasis",
    "markdown.strong",
    "markdown.code",
    "markdown.code_block",
    "markdown.quote",
    "markdown.link",
    "markdown.list_marker",
    "markdown.table.header",
    "markdown.table.border",
    "markdown.rule",
];

const ATTRIBUTES: &str = "fg, bg, bold, italic, underlined, dim, reversed";

const COLOUR_HELP: &str =
    "write a colour name (\"red\", \"lightred\", \"darkgray\", \"reset\", …), \"#rrggbb\", or an ANSI index 0-255";

/// A resolved theme: every style its file and its ancestors set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    name: String,
    styles: HashMap<String, Style>,
}

impl Theme {
    /// `name` from the user's `<dirs.config>/themes/<name>.toml` if present, else the bundled one.
    /// `no_color`: drop every fg/bg colour (keep bold/reversed/underlined etc.), for NO_COLOR.
    pub fn load(name: &str, user_themes_dir: &Path, no_color: bool) -> Result<Theme, ConfigError> {
        let mut theme = resolve(name, Some(user_themes_dir))?;
        if no_color {
            for style in theme.styles.values_mut() {
                style.fg = None;
                style.bg = None;
            }
        }
        Ok(theme)
    }

    /// Bundled theme by name without touching disk (tests, fallback). None for an unknown name.
    pub fn builtin(name: &str) -> Option<Theme> {
        if !BUNDLED_NAMES.contains(&name) {
            return None;
        }
        // The bundled files are checked by the tests, so this only fails in a broken build.
        resolve(name, None).ok()
    }

    pub fn builtin_names() -> &'static [&'static str] {
        &BUNDLED_NAMES
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Dotted-scope fallback: "pane.border.focused" → "pane.border" → "pane" → Style::default().
    pub fn style(&self, key: &str) -> Style {
        let mut scope = key;
        loop {
            if let Some(style) = self.styles.get(scope) {
                return *style;
            }
            match scope.rfind('.') {
                Some(dot) => scope = &scope[..dot],
                None => return Style::default(),
            }
        }
    }

    /// `"severity.<name>"`.
    pub fn severity(&self, s: Severity) -> Style {
        self.style(&format!("severity.{}", s.name()))
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("default").expect("the bundled default theme parses (checked by the tests)")
    }
}

/// One theme file, parsed but not yet merged with its ancestors.
struct ThemeFile {
    /// The parent's name and the line of `inherits`.
    inherits: Option<(String, usize)>,
    styles: Vec<(String, Style)>,
}

/// Where a theme's text came from.
struct Found {
    text: String,
    /// What errors call the file: its path, or `<bundled themes/NAME.toml>`.
    file: String,
    user: bool,
}

/// The theme `name` and its ancestors, merged. `user_dir` None: bundled themes only.
fn resolve(name: &str, user_dir: Option<&Path>) -> Result<Theme, ConfigError> {
    let not_found = |dir: Option<&Path>| ConfigError {
        file: shown_user_path(dir, name),
        line: None,
        key: Some("ui.theme".into()),
        message: unknown_theme(name, dir),
    };
    check_name(name).map_err(|message| ConfigError { message, ..not_found(user_dir) })?;
    let first = find(name, user_dir)?.ok_or_else(|| not_found(user_dir))?;

    // (name, from the user's dir, file): the theme first, its root ancestor last.
    let mut chain: Vec<(String, bool, ThemeFile)> = Vec::new();
    let mut found = first;
    let mut want = name.to_owned();
    loop {
        let file = parse(&found.text, &found.file)?;
        let parent = file.inherits.clone();
        chain.push((want.clone(), found.user, file));
        let Some((parent, line)) = parent else { break };
        let at = |message: String| ConfigError {
            file: found.file.clone(),
            line: Some(line),
            key: Some("inherits".into()),
            message,
        };
        // A user theme that inherits its own name builds on the bundled theme of that name.
        let dir = if found.user && parent == want { None } else { user_dir };
        let next = find(&parent, dir)?;
        let next_user = next.as_ref().is_some_and(|n| n.user);
        if chain.iter().any(|(n, user, _)| *n == parent && *user == next_user) {
            let mut names: Vec<&str> = chain.iter().map(|(n, _, _)| n.as_str()).collect();
            names.push(&parent);
            return Err(at(format!("inheritance cycle: {}", names.join(" → "))));
        }
        found = match next {
            Some(next) => next,
            None if dir.is_none() && user_dir.is_some() => {
                return Err(at(format!("theme {parent:?} inherits itself, and no bundled theme has that name")));
            }
            None => return Err(at(unknown_theme(&parent, dir))),
        };
        want = parent;
    }

    let mut styles = HashMap::new();
    for (_, _, file) in chain.iter().rev() {
        styles.extend(file.styles.iter().cloned());
    }
    Ok(Theme { name: name.to_owned(), styles })
}

/// The user's file for `name` if it exists, else the bundled one, else None.
fn find(name: &str, user_dir: Option<&Path>) -> Result<Option<Found>, ConfigError> {
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => return Ok(Some(Found { text, file: path.display().to_string(), user: true })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ConfigError {
                    file: path.display().to_string(),
                    line: None,
                    key: None,
                    message: format!("cannot read theme: {e}"),
                });
            }
        }
    }
    Ok(BUNDLED.iter().find(|(n, _)| *n == name).map(|(n, text)| Found {
        text: (*text).to_owned(),
        file: format!("<bundled themes/{n}.toml>"),
        user: false,
    }))
}

fn shown_user_path(dir: Option<&Path>, name: &str) -> String {
    match dir {
        Some(dir) => dir.join(format!("{name}.toml")).display().to_string(),
        None => format!("<bundled themes/{name}.toml>"),
    }
}

fn unknown_theme(name: &str, dir: Option<&Path>) -> String {
    let bundled = BUNDLED_NAMES.join(", ");
    match dir {
        Some(dir) => format!(
            "unknown theme {name:?}: there is no {} and no bundled theme of that name (bundled: {bundled})",
            dir.join(format!("{name}.toml")).display()
        ),
        None => format!("unknown theme {name:?}: no bundled theme has that name (bundled: {bundled})"),
    }
}

/// Theme names become file names: keep them to one plain path component.
fn check_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if plain { Ok(()) } else { Err(format!("theme name {name:?} must be letters, digits, '-', '_' or '.'")) }
}

/// Parses one theme file's text; `file` is what errors call it.
fn parse(text: &str, file: &str) -> Result<ThemeFile, ConfigError> {
    let err = |span: Range<usize>, key: String, message: String| ConfigError {
        file: file.to_owned(),
        line: Some(line_of(text, span.start)),
        key: Some(key),
        message,
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ConfigError {
            file: file.to_owned(),
            line: Some(line_of(text, offset)),
            key: key_on_line(text, offset),
            message: e.message().trim().to_owned(),
        }
    })?;
    let mut out = ThemeFile { inherits: None, styles: Vec::new() };
    for (key, value) in in_file_order(doc.get_ref()) {
        let span = key.span();
        match key.get_ref().as_ref() {
            "inherits" => {
                let DeValue::String(parent) = value.get_ref() else {
                    return Err(err(span, "inherits".into(), "inherits must be a theme name in quotes".into()));
                };
                check_name(parent).map_err(|m| err(span.clone(), "inherits".into(), m))?;
                out.inherits = Some((parent.to_string(), line_of(text, span.start)));
            }
            "styles" => {
                let DeValue::Table(styles) = value.get_ref() else {
                    return Err(err(span, "styles".into(), "styles must be a table: [styles]".into()));
                };
                for (name, value) in in_file_order(styles) {
                    let shown = format!("styles.{}", toml_key(name.get_ref()));
                    check_style_name(name.get_ref()).map_err(|m| err(name.span(), shown.clone(), m))?;
                    let style = parse_style(value.get_ref(), name.get_ref()).map_err(|(sub, m)| match sub {
                        Some((attr, at)) => err(at, format!("{shown}.{}", toml_key(&attr)), m),
                        None => err(name.span(), shown.clone(), m),
                    })?;
                    out.styles.push((name.get_ref().to_string(), style));
                }
            }
            other => {
                return Err(err(
                    span,
                    toml_key(other),
                    format!("unknown key `{other}`: a theme has `inherits = \"<name>\"` and a [styles] table"),
                ));
            }
        }
    }
    Ok(out)
}

/// Where a style error lies: inside the style's table (attribute and its span), or on the style.
type StyleError = (Option<(String, Range<usize>)>, String);

/// A bare colour (the foreground) or a table of attributes.
fn parse_style(value: &DeValue<'_>, name: &str) -> Result<Style, StyleError> {
    let table = match value {
        DeValue::Table(table) => table,
        DeValue::String(_) | DeValue::Integer(_) => return Ok(Style::new().fg(colour(value).map_err(|m| (None, m))?)),
        other => {
            return Err((None, format!("a style is a colour or a table of {ATTRIBUTES}, not a {}", other.type_str())));
        }
    };
    let mut style = Style::new();
    for (attr, value) in in_file_order(table) {
        let at = |m: String| (Some((attr.get_ref().to_string(), attr.span())), m);
        let modifier = match attr.get_ref().as_ref() {
            "fg" => {
                style = style.fg(colour(value.get_ref()).map_err(at)?);
                continue;
            }
            "bg" => {
                style = style.bg(colour(value.get_ref()).map_err(at)?);
                continue;
            }
            "bold" => Modifier::BOLD,
            "italic" => Modifier::ITALIC,
            "underlined" => Modifier::UNDERLINED,
            "dim" => Modifier::DIM,
            "reversed" => Modifier::REVERSED,
            other => {
                let mut message = format!("unknown style attribute `{other}`: expected {ATTRIBUTES}");
                if !value.get_ref().is_bool() {
                    message.push_str(&format!(
                        "; to style \"{name}.{other}\", quote the whole name: \"{name}.{other}\" = …"
                    ));
                }
                return Err(at(message));
            }
        };
        match value.get_ref().as_bool() {
            Some(true) => style = style.add_modifier(modifier),
            Some(false) => style = style.remove_modifier(modifier),
            None => return Err(at(format!("{} must be true or false", attr.get_ref()))),
        }
    }
    Ok(style)
}

/// `"red"`, `"#e69f00"`, `208`.
fn colour(value: &DeValue<'_>) -> Result<Color, String> {
    match value {
        DeValue::String(s) => {
            s.trim().parse::<Color>().map_err(|_| format!("unknown colour {:?}: {COLOUR_HELP}", s.as_ref()))
        }
        DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
            .map(Color::Indexed)
            .map_err(|_| format!("ANSI colour index {i} is out of range: use 0-255")),
        other => Err(format!("a colour is a string or a number, not a {}: {COLOUR_HELP}", other.type_str())),
    }
}

/// One of `KEYS`, or a scope above one (`pane`, `severity`).
fn check_style_name(name: &str) -> Result<(), String> {
    let known = KEYS.iter().any(|k| *k == name || k.strip_prefix(name).is_some_and(|rest| rest.starts_with('.')));
    if known {
        return Ok(());
    }
    let mut message = format!("unknown style `{name}`");
    let nearest = KEYS.iter().map(|k| (edit_distance(name, k), *k)).min();
    if let Some((d, k)) = nearest
        && d <= 2
    {
        message.push_str(&format!(": did you mean `{k}`?"));
    } else {
        message.push_str("; default.toml lists every style the console uses");
    }
    Err(message)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A table's entries in the order the file wrote them (the map itself may sort them), so the
/// first error reported is the first in the file.
fn in_file_order<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(&'a toml::Spanned<toml::de::DeString<'i>>, &'a toml::Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// A key as TOML writes it: bare when it can be, else quoted (`styles."severity.high"`).
fn toml_key(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// The key of the `key = value` line holding `offset`, for syntax errors.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
        }
        dir
    }

    fn load_err(files: &[(&str, &str)], name: &str) -> (ConfigError, PathBuf, tempfile::TempDir) {
        let dir = dir_with(files);
        let e = Theme::load(name, dir.path(), false).expect_err("should not load");
        (e, dir.path().to_path_buf(), dir)
    }

    #[test]
    fn every_bundled_theme_sets_every_key() {
        assert_eq!(Theme::builtin_names(), ["default", "light", "high-contrast", "colorblind"]);
        let empty = tempfile::tempdir().unwrap();
        for name in Theme::builtin_names() {
            let theme =
                Theme::builtin(name).unwrap_or_else(|| panic!("{name} does not parse: {:?}", resolve(name, None)));
            assert_eq!(theme.name(), *name);
            assert_eq!(Theme::load(name, empty.path(), false).unwrap(), theme);
            for key in KEYS {
                assert!(theme.styles.contains_key(*key), "{name} does not set {key}");
                assert_ne!(theme.style(key), Style::default(), "{name}: {key}");
            }
            for (i, a) in Severity::ALL.iter().enumerate() {
                for b in &Severity::ALL[i + 1..] {
                    assert_ne!(theme.severity(*a), theme.severity(*b), "{name}: {a} looks like {b}");
                }
            }
        }
        assert_eq!(Theme::default(), Theme::builtin("default").unwrap());
        assert_eq!(Theme::builtin("nope"), None);
    }

    #[test]
    fn only_the_default_theme_stands_alone() {
        for (name, text) in BUNDLED {
            let file = parse(text, name).unwrap();
            let parent = file.inherits.map(|(p, _)| p);
            assert_eq!(parent.as_deref(), (name != "default").then_some("default"), "{name}");
        }
        // default.toml documents every key, each on its own line.
        let default = parse(BUNDLED[0].1, "default").unwrap();
        let set: Vec<&str> = default.styles.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(set, KEYS);
    }

    #[test]
    fn colorblind_severities_are_okabe_ito() {
        let theme = Theme::builtin("colorblind").unwrap();
        let okabe_ito = [(0x56, 0xB4, 0xE9), (0xF0, 0xE4, 0x42), (0xE6, 0x9F, 0x00), (0xD5, 0x5E, 0x00)];
        let fgs: Vec<_> = Severity::ALL[..4].iter().map(|s| theme.severity(*s).fg).collect();
        let want: Vec<_> = okabe_ito.iter().map(|&(r, g, b)| Some(Color::Rgb(r, g, b))).collect();
        assert_eq!(fgs, want);
        assert_eq!(theme.severity(Severity::Disaster).bg, Some(Color::Rgb(0xD5, 0x5E, 0x00)));
    }

    #[test]
    fn dotted_scopes_fall_back() {
        let dir =
            dir_with(&[("scopes", "[styles]\n\"pane\" = \"red\"\n\"pane.border\" = { fg = \"blue\", bold = true }\n")]);
        let theme = Theme::load("scopes", dir.path(), false).unwrap();
        let border = Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD);
        assert_eq!(theme.style("pane.border"), border);
        assert_eq!(theme.style("pane.border.focused"), border);
        assert_eq!(theme.style("pane.title"), Style::new().fg(Color::Red));
        assert_eq!(theme.style("pane"), Style::new().fg(Color::Red));
        assert_eq!(theme.style("list.selected"), Style::default());
        assert_eq!(theme.severity(Severity::High), Style::default());
    }

    #[test]
    fn child_overrides_parent() {
        let dir = dir_with(&[
            ("base", "[styles]\n\"severity.high\" = \"red\"\n\"list.age\" = \"gray\"\n"),
            ("child", "inherits = \"base\"\n[styles]\n\"severity.high\" = { fg = \"#E69F00\", italic = true }\n"),
        ]);
        let theme = Theme::load("child", dir.path(), false).unwrap();
        assert_eq!(theme.name(), "child");
        assert_eq!(
            theme.severity(Severity::High),
            Style::new().fg(Color::Rgb(0xE6, 0x9F, 0)).add_modifier(Modifier::ITALIC)
        );
        assert_eq!(theme.style("list.age"), Style::new().fg(Color::Gray));
    }

    #[test]
    fn user_file_replaces_a_bundled_theme_of_its_name() {
        let bundled = Theme::builtin("default").unwrap();
        // Inheriting its own name builds on the bundled theme.
        let dir = dir_with(&[("default", "inherits = \"default\"\n[styles]\n\"severity.high\" = 201\n")]);
        let theme = Theme::load("default", dir.path(), false).unwrap();
        assert_eq!(theme.severity(Severity::High), Style::new().fg(Color::Indexed(201)));
        assert_eq!(theme.severity(Severity::Disaster), bundled.severity(Severity::Disaster));
        assert_eq!(theme.style("list.selected"), bundled.style("list.selected"));

        // Without `inherits` it stands alone.
        let dir = dir_with(&[("light", "[styles]\n\"header\" = \"reset\"\n")]);
        let theme = Theme::load("light", dir.path(), false).unwrap();
        assert_eq!(theme.style("header"), Style::new().fg(Color::Reset));
        assert_eq!(theme.style("list.selected"), Style::default());

        // A user theme may inherit a bundled one by another name, and a user one over a bundled one.
        let dir = dir_with(&[
            ("mine", "inherits = \"colorblind\"\n[styles]\n\"list.age\" = \"white\"\n"),
            ("colorblind", "inherits = \"light\"\n"),
        ]);
        let theme = Theme::load("mine", dir.path(), false).unwrap();
        let light = Theme::builtin("light").unwrap();
        assert_eq!(theme.style("list.age"), Style::new().fg(Color::White));
        assert_eq!(theme.severity(Severity::Warning), light.severity(Severity::Warning));
    }

    #[test]
    fn inheritance_cycles_are_errors() {
        let (e, dir, _keep) = load_err(&[("a", "inherits = \"b\"\n"), ("b", "# b\ninherits = \"a\"\n")], "a");
        assert_eq!(e.file, dir.join("b.toml").display().to_string(), "{e}");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("inherits")), "{e}");
        assert!(e.message.contains("cycle: a → b → a"), "{e}");

        let (e, _, _keep) = load_err(&[("mine", "inherits = \"mine\"\n")], "mine");
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("inherits")), "{e}");
        assert!(e.message.contains("inherits itself"), "{e}");
    }

    #[test]
    fn bad_colour_names_file_line_and_key() {
        let text = "inherits = \"default\"\n\n[styles]\n\"severity.high\" = \"reddish\"\n";
        let (e, dir, _keep) = load_err(&[("bad", text)], "bad");
        let file = dir.join("bad.toml").display().to_string();
        assert_eq!(e.file, file);
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("styles.\"severity.high\"")), "{e}");
        assert!(e.message.contains("unknown colour \"reddish\""), "{e}");
        assert!(e.to_string().starts_with(&format!("{file}:4: key `styles.\"severity.high\"`: unknown colour")), "{e}");

        // Inside a style table, the attribute's own line.
        let text = "[styles]\n[styles.\"list.new\"]\nbold = true\nbg = \"#12345\"\n";
        let (e, _, _keep) = load_err(&[("bad", text)], "bad");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("styles.\"list.new\".bg")), "{e}");

        let (e, _, _keep) = load_err(&[("bad", "[styles]\n\"list.age\" = 256\n")], "bad");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("styles.\"list.age\"")), "{e}");
        assert!(e.message.contains("0-255"), "{e}");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let cases = [
            (
                "[styles]\n\"status\" = { fg = \"red\", blink = true }\n",
                2,
                "styles.status.blink",
                "unknown style attribute",
            ),
            ("[styles]\n\"status\" = { bold = 1 }\n", 2, "styles.status.bold", "true or false"),
            ("[styles]\n\n\"pane.bordr\" = \"red\"\n", 3, "styles.\"pane.bordr\"", "did you mean `pane.border`?"),
            ("[styles]\npane.border = \"red\"\n", 2, "styles.pane.border", "quote the whole name"),
            ("inherits = \"default\"\ncolours = 3\n", 2, "colours", "unknown key `colours`"),
            ("\n[style]\n", 2, "style", "unknown key `style`"),
            ("inherits = \"nope\"\n", 1, "inherits", "unknown theme \"nope\""),
            ("inherits = \"../x\"\n", 1, "inherits", "must be letters"),
            ("[styles]\n\"header\" = \n", 2, "\"header\"", ""),
        ];
        for (text, line, key, message) in cases {
            let (e, _, _keep) = load_err(&[("t", text)], "t");
            assert_eq!((e.line, e.key.as_deref()), (Some(line), Some(key)), "{text}: {e}");
            assert!(e.message.contains(message), "{text}: {e}");
        }

        let dir = dir_with(&[]);
        let e = Theme::load("nope", dir.path(), false).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (None, Some("ui.theme")), "{e}");
        assert!(e.message.contains("bundled: default, light, high-contrast, colorblind"), "{e}");
        let e = Theme::load("../../etc/passwd", dir.path(), false).unwrap_err();
        assert!(e.message.contains("must be letters"), "{e}");
    }

    #[test]
    fn colour_forms() {
        let text = concat!(
            "[styles]\n",
            "\"header\" = { fg = \"DarkGray\", bg = \"#0072b2\" }\n",
            "\"status\" = 0x10\n",
            "\"input\" = \"reset\"\n",
        );
        let dir = dir_with(&[("t", text)]);
        let theme = Theme::load("t", dir.path(), false).unwrap();
        assert_eq!(theme.style("header"), Style::new().fg(Color::DarkGray).bg(Color::Rgb(0, 0x72, 0xB2)));
        assert_eq!(theme.style("status"), Style::new().fg(Color::Indexed(16)));
        assert_eq!(theme.style("input"), Style::new().fg(Color::Reset));
    }

    #[test]
    fn false_turns_a_modifier_off() {
        let dir = dir_with(&[("t", "[styles]\n\"list.acked\" = { dim = false }\n")]);
        let theme = Theme::load("t", dir.path(), false).unwrap();
        assert_eq!(theme.style("list.acked"), Style::new().remove_modifier(Modifier::DIM));
        let acked = Style::new().fg(Color::Red).add_modifier(Modifier::DIM).patch(theme.style("list.acked"));
        assert!(!acked.add_modifier.contains(Modifier::DIM));
    }

    #[test]
    fn no_color_keeps_only_modifiers() {
        let empty = tempfile::tempdir().unwrap();
        for name in Theme::builtin_names() {
            let theme = Theme::load(name, empty.path(), true).unwrap();
            for style in theme.styles.values() {
                assert_eq!((style.fg, style.bg), (None, None), "{name}");
            }
            assert!(theme.style("list.selected").add_modifier.contains(Modifier::REVERSED), "{name}");
            assert!(theme.severity(Severity::Disaster).add_modifier.contains(Modifier::BOLD), "{name}");
        }
        let dir = dir_with(&[("default", "inherits = \"default\"\n[styles]\n\"confirm\" = \"red\"\n")]);
        let theme = Theme::load("default", dir.path(), true).unwrap();
        assert_eq!(theme.style("confirm"), Style::default());
    }
}
