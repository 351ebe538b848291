//! The import rules of ARCHITECTURE.md ("Data flow"), checked on the source tree.
//!
//! A small scan of `src/`, not a Rust parser: comments, strings and char literals are blanked
//! first (so a doc link or a message that names a module is no import), then every `use` tree,
//! every path that starts with `crate::`, `self::`, `super::` or a name followed by `::`
//! (`tokio::spawn`, `#[tokio::test]`), and every `extern crate` is read. `self` and `super`
//! are resolved against the file's module and the inline `mod x { … }` blocks around them. A
//! violation names the file, the line and the path.

use std::path::Path;

/// A path a file names, resolved: `crate::app::State` as `["crate", "app", "State"]`, an
/// external crate's path as written (`["tokio", "spawn"]`).
#[derive(Debug, Clone, PartialEq)]
struct Ref {
    line: usize,
    path: Vec<String>,
}

/// What a rule forbids: external crates by name, or top-level modules of this crate.
enum Forbid {
    Crates(&'static [&'static str]),
    Modules(&'static [&'static str]),
}

struct Rule {
    /// The files it applies to: paths under `src/` starting with one of these.
    files: &'static [&'static str],
    forbid: Forbid,
    why: &'static str,
}

/// Terminal, network and database crates (and the D-Bus one under notify-rust).
const IO_CRATES: &[&str] = &[
    "ratatui",
    "ratatui_core",
    "ratatui_widgets",
    "ratatui_crossterm",
    "crossterm",
    "termion",
    "termwiz",
    "tokio",
    "tokio_util",
    "tokio_stream",
    "tokio_postgres",
    "tokio_postgres_rustls",
    "postgres",
    "rusqlite",
    "reqwest",
    "hyper",
    "hyper_util",
    "rustls",
    "notify_rust",
    "zbus",
];

const APP_IS_PURE: Rule = Rule {
    files: &["app/"],
    forbid: Forbid::Crates(IO_CRATES),
    why: "app/ is the pure update: no terminal, network or database crate",
};

const APP_EFFECTS_ARE_DATA: Rule = Rule {
    files: &["app/"],
    forbid: Forbid::Modules(&["runtime", "ui", "sources", "store"]),
    why: "app/ never imports runtime, ui/, sources/ or store/: effects are data",
};

const INTEGRATIONS_SPEAK_MODEL: Rule = Rule {
    files: &["sources/", "logs/", "oncall/", "store/", "notify/", "slo/", "vendors/"],
    forbid: Forbid::Modules(&["app", "ui"]),
    why: "sources/, logs/, oncall/, store/, notify/, slo/ and vendors/ never import app/ or ui/",
};

const CONFIG_IS_A_LEAF: Rule = Rule {
    files: &["config/"],
    forbid: Forbid::Modules(&["sources", "oncall", "logs", "store", "notify", "runbooks", "app", "ui"]),
    why: "config/ is a leaf: it imports no integration (each integration owns its config)",
};

const RUNTIME_IS_NOT_CLI: Rule = Rule {
    files: &["runtime.rs", "runtime/"],
    forbid: Forbid::Modules(&["cli"]),
    why: "the runtime does not import cli/: sessions and action rules live in the library",
};

#[test]
fn app_imports_no_terminal_network_or_database_crate() {
    assert_tree_keeps(&APP_IS_PURE);
}

#[test]
fn app_imports_no_runtime_ui_sources_or_store() {
    assert_tree_keeps(&APP_EFFECTS_ARE_DATA);
}

#[test]
fn integrations_import_neither_app_nor_ui() {
    assert_tree_keeps(&INTEGRATIONS_SPEAK_MODEL);
}

#[test]
fn config_imports_no_integration() {
    assert_tree_keeps(&CONFIG_IS_A_LEAF);
}

#[test]
fn runtime_does_not_import_cli() {
    assert_tree_keeps(&RUNTIME_IS_NOT_CLI);
}

/// Every `.rs` file under `src/`, as (path relative to `src/` with `/`, text).
fn source_tree() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((rel, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

fn assert_tree_keeps(rule: &Rule) {
    let tree = source_tree();
    let covered = tree.iter().filter(|(rel, _)| applies(rule, rel)).count();
    assert!(covered > 0, "no file under src/ is covered by {:?}: the rule checks nothing", rule.files);
    let found = violations(rule, &tree);
    assert!(found.is_empty(), "{}:\n{}", rule.why, found.join("\n"));
}

fn applies(rule: &Rule, rel: &str) -> bool {
    rule.files.iter().any(|f| rel.starts_with(f))
}

/// `src/<file>:<line>: <path>` for each reference the rule forbids in the files it covers.
fn violations(rule: &Rule, files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, text) in files.iter().filter(|(rel, _)| applies(rule, rel)) {
        for r in references(&module_of(rel), text) {
            let forbidden = match (&rule.forbid, r.path.first().map(String::as_str)) {
                (Forbid::Modules(m), Some("crate")) => r.path.get(1).is_some_and(|top| m.contains(&top.as_str())),
                (Forbid::Crates(c), Some(first)) => c.contains(&first),
                _ => false,
            };
            if forbidden {
                out.push(format!("src/{rel}:{}: {}", r.line, r.path.join("::")));
            }
        }
    }
    out
}

/// The module a file is: `sources/zabbix.rs` and `sources/zabbix/mod.rs` are
/// `["sources", "zabbix"]`; `lib.rs` (and `main.rs`) the root.
fn module_of(rel: &str) -> Vec<String> {
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

// ------------------------------------------------------------------ the scan

/// The text with comments, string literals and char literals turned to spaces. Newlines stay,
/// so line numbers do.
fn blank_comments_and_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |out: &mut String, from: usize, to: usize| {
        out.extend(c[from..to.min(c.len())].iter().map(|&ch| if ch == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(i + k).copied();
        let end = if at(0) == Some('/') && at(1) == Some('/') {
            (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len())
        } else if at(0) == Some('/') && at(1) == Some('*') {
            // Block comments nest.
            let (mut j, mut depth) = (i + 2, 1);
            while j < c.len() && depth > 0 {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            j
        } else if at(0) == Some('r')
            && raw_string_may_start(&c, i)
            && let Some(end) = raw_string_end(&c, i + 1)
        {
            end
        } else if at(0) == Some('"') {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            j + 1
        } else if at(0) == Some('\'') {
            if at(1) == Some('\\') {
                // '\n', '\'', '\u{1F600}'
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                j + 1
            } else if at(2) == Some('\'') {
                i + 3
            } else {
                // A lifetime or a label: kept.
                i
            }
        } else {
            i
        };
        if end > i {
            blank(&mut out, i, end);
            i = end;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// `r` starts a raw string only as a literal's prefix (`r"`, `br"`, `cr"`), not inside a name.
fn raw_string_may_start(c: &[char], i: usize) -> bool {
    let ident = |k: usize| c[k].is_alphanumeric() || c[k] == '_';
    match i {
        0 => true,
        _ if !ident(i - 1) => true,
        1 => matches!(c[0], 'b' | 'c'),
        _ => matches!(c[i - 1], 'b' | 'c') && !ident(i - 2),
    }
}

/// After `r`: `#…#"…"#…#` with as many `#` on both sides; the index past it. None for a raw
/// identifier (`r#type`).
fn raw_string_end(c: &[char], from: usize) -> Option<usize> {
    let hashes = c[from..].iter().take_while(|&&ch| ch == '#').count();
    if c.get(from + hashes) != Some(&'"') {
        return None;
    }
    let mut j = from + hashes + 1;
    while j < c.len() {
        if c[j] == '"' && c[j + 1..].iter().take(hashes).filter(|&&ch| ch == '#').count() == hashes {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(c.len())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

struct Token {
    tok: Tok,
    line: usize,
}

/// Names (raw identifiers unwrapped, `$crate` as `crate`), `::` and single punctuation; a
/// number is one `Punct('0')`.
fn tokens(text: &str) -> Vec<Token> {
    let c: Vec<char> = text.chars().collect();
    let (mut out, mut line, mut i) = (Vec::new(), 1, 0);
    let name_start = |ch: char| ch.is_alphabetic() || ch == '_';
    let name_char = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if name_start(ch) {
            let mut j = i;
            while j < c.len() && name_char(c[j]) {
                j += 1;
            }
            let mut name: String = c[i..j].iter().collect();
            if name == "r" && c.get(j) == Some(&'#') && c.get(j + 1).is_some_and(|&n| name_start(n)) {
                let k = j + 1;
                j = k;
                while j < c.len() && name_char(c[j]) {
                    j += 1;
                }
                name = c[k..j].iter().collect();
            }
            out.push(Token { tok: Tok::Ident(name), line });
            i = j;
        } else if ch.is_ascii_digit() {
            while i < c.len() && (name_char(c[i]) || c[i] == '.') {
                i += 1;
            }
            out.push(Token { tok: Tok::Punct('0'), line });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token { tok: Tok::Sep, line });
            i += 2;
        } else if ch == '$' && c[i + 1..].starts_with(&['c', 'r', 'a', 't', 'e']) {
            i += 1;
        } else {
            out.push(Token { tok: Tok::Punct(ch), line });
            i += 1;
        }
    }
    out
}

fn ident(toks: &[Token], i: usize) -> Option<&str> {
    match toks.get(i).map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn is(toks: &[Token], i: usize, tok: &Tok) -> bool {
    toks.get(i).is_some_and(|t| &t.tok == tok)
}

/// Every path the file names (see the module comment), resolved against `module`.
fn references(module: &[String], src: &str) -> Vec<Ref> {
    let toks = tokens(&blank_comments_and_literals(src));
    let mut refs = Vec::new();
    // Inline `mod x { … }` blocks open around the current token, with the brace depth inside.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let here = || module.iter().cloned().chain(inline.iter().map(|(m, _)| m.clone())).collect::<Vec<_>>();
        let after_sep = i > 0 && is(&toks, i - 1, &Tok::Sep);
        // A path starts at a name not after `::`, or at a `::` (`::tokio::spawn`) that does not
        // continue one (`Vec::<u8>::new`, `<T as U>::f`).
        let continues = i > 0 && matches!(toks[i - 1].tok, Tok::Ident(_) | Tok::Punct('>'));
        let path_start = match toks[i].tok {
            Tok::Ident(_) => !after_sep,
            Tok::Sep => !after_sep && !continues,
            Tok::Punct(_) => false,
        };
        match &toks[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                while inline.last().is_some_and(|&(_, d)| d > depth) {
                    inline.pop();
                }
            }
            Tok::Ident(k) if k == "mod" && is(&toks, i + 2, &Tok::Punct('{')) && ident(&toks, i + 1).is_some() => {
                depth += 1;
                inline.push((ident(&toks, i + 1).unwrap().to_owned(), depth));
                i += 3;
                continue;
            }
            Tok::Ident(k) if k == "use" && !after_sep => {
                let mut paths = Vec::new();
                i += 1;
                use_tree(&toks, &mut i, &[], &mut paths);
                let module = here();
                refs.extend(paths.into_iter().map(|(line, p)| Ref { line, path: resolve(&module, p) }));
                while i < toks.len() && !is(&toks, i, &Tok::Punct(';')) {
                    i += 1;
                }
                continue;
            }
            Tok::Ident(k) if k == "extern" && ident(&toks, i + 1) == Some("crate") => {
                if let Some(name) = ident(&toks, i + 2) {
                    refs.push(Ref { line: toks[i].line, path: vec![name.to_owned()] });
                }
                i += 3;
                continue;
            }
            // The start of a path: `a::b…` or `::a…`, not the middle of one.
            Tok::Ident(_) | Tok::Sep if path_start => {
                let start = if toks[i].tok == Tok::Sep { i + 1 } else { i };
                let mut path = Vec::new();
                let mut j = start;
                while let Some(name) = ident(&toks, j) {
                    path.push(name.to_owned());
                    if is(&toks, j + 1, &Tok::Sep) && ident(&toks, j + 2).is_some() {
                        j += 2;
                    } else {
                        break;
                    }
                }
                let absolute = start > i;
                if path.len() >= 2 || (absolute && !path.is_empty()) {
                    refs.push(Ref { line: toks[start].line, path: resolve(&here(), path) });
                    i = j + 1;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    refs
}

/// The paths of one use tree from `i` (`a::b`, `a::{b, c::{self, d}}`, `a::*`, `a as b`),
/// each with the line of its last name. Stops at the `,`, `}` or `;` that ends it.
fn use_tree(toks: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<(usize, Vec<String>)>) {
    let mut path = prefix.to_vec();
    let mut line = toks.get(*i).map_or(0, |t| t.line);
    let mut named = false;
    while let Some(t) = toks.get(*i) {
        match &t.tok {
            Tok::Sep => *i += 1,
            Tok::Ident(s) if s == "as" => {
                *i += 2;
                break;
            }
            Tok::Ident(s) => {
                // `{self, …}` names the prefix itself.
                if s != "self" || path.is_empty() {
                    path.push(s.clone());
                }
                line = t.line;
                named = true;
                *i += 1;
            }
            Tok::Punct('*') => {
                *i += 1;
                break;
            }
            Tok::Punct('{') => {
                *i += 1;
                while let Some(t) = toks.get(*i) {
                    match t.tok {
                        Tok::Punct('}') => {
                            *i += 1;
                            break;
                        }
                        Tok::Punct(',') => *i += 1,
                        Tok::Punct(';') => break,
                        _ => {
                            let before = *i;
                            use_tree(toks, i, &path, out);
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
                return;
            }
            _ => break,
        }
    }
    if named {
        out.push((line, path));
    }
}

/// `crate::…` as it is; `self::`/`super::` against `module`; anything else as written.
fn resolve(module: &[String], path: Vec<String>) -> Vec<String> {
    match path.first().map(String::as_str) {
        Some("self" | "super") => {
            let mut abs = module.to_vec();
            let mut rest = path.as_slice();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        abs.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            std::iter::once("crate".to_owned()).chain(abs).chain(rest.iter().cloned()).collect()
        }
        _ => path,
    }
}

// ------------------------------------------------- the scan on small snippets

fn check(rule: &Rule, file: &str, text: &str) -> Vec<String> {
    violations(rule, &[(file.to_owned(), text.to_owned())])
}

#[test]
fn each_rule_reports_a_violating_file_by_line_and_passes_a_clean_one() {
    assert_eq!(
        check(&APP_IS_PURE, "app/update.rs", "\nuse tokio::sync::mpsc;\n"),
        ["src/app/update.rs:2: tokio::sync::mpsc"]
    );
    assert_eq!(
        check(&APP_IS_PURE, "app/update.rs", "use crate::model::Alert;\nuse std::collections::HashMap;\n"),
        [""; 0]
    );

    assert_eq!(
        check(&APP_EFFECTS_ARE_DATA, "app/state.rs", "use crate::store::Store;"),
        ["src/app/state.rs:1: crate::store::Store"]
    );
    assert_eq!(check(&APP_EFFECTS_ARE_DATA, "app/state.rs", "use crate::model::Board;"), [""; 0]);

    let integration = "use crate::model::Alert;\nfn f() -> crate::app::State { todo!() }\n";
    for file in ["sources/zabbix.rs", "logs/loki.rs", "oncall/ical/mod.rs", "store/sqlite.rs", "notify/desktop.rs"] {
        assert_eq!(check(&INTEGRATIONS_SPEAK_MODEL, file, integration), [format!("src/{file}:2: crate::app::State")]);
        assert_eq!(check(&INTEGRATIONS_SPEAK_MODEL, file, "use crate::sanitize::sanitize;"), [""; 0]);
    }
    assert_eq!(
        check(&INTEGRATIONS_SPEAK_MODEL, "store/mod.rs", "use crate::ui::Theme;"),
        ["src/store/mod.rs:1: crate::ui::Theme"]
    );

    for module in ["sources", "oncall", "logs", "store", "notify", "runbooks", "app", "ui"] {
        let text = format!("use crate::{module}::Thing;");
        assert_eq!(
            check(&CONFIG_IS_A_LEAF, "config/mod.rs", &text),
            [format!("src/config/mod.rs:1: crate::{module}::Thing")]
        );
    }
    assert_eq!(
        check(&CONFIG_IS_A_LEAF, "config/secret.rs", "use crate::model::Severity;\nuse super::Duration;"),
        [""; 0]
    );

    assert_eq!(
        check(&RUNTIME_IS_NOT_CLI, "runtime.rs", "use crate::cli::{CliError, Session};"),
        ["src/runtime.rs:1: crate::cli::CliError", "src/runtime.rs:1: crate::cli::Session"]
    );
    assert_eq!(check(&RUNTIME_IS_NOT_CLI, "runtime.rs", "use crate::app::update;"), [""; 0]);
    // A rule looks only at its own files.
    assert_eq!(check(&RUNTIME_IS_NOT_CLI, "main.rs", "use klaxon::cli;\nuse crate::cli::run;"), [""; 0]);
    assert_eq!(check(&APP_IS_PURE, "ui/mod.rs", "use ratatui::Frame;"), [""; 0]);
}

#[test]
fn every_way_of_naming_a_path_is_seen() {
    let text = r#"
use crate::{model::Alert, app::{self, State as S}};
use ratatui::prelude::*;
pub use crossterm
    ::event::KeyCode;
extern crate rusqlite;
#[tokio::test]
async fn t() {
    let pg = ::postgres::Client::connect("", postgres::NoTls);
    reqwest::Client::new();
    tokio::select! {}
    let x = Vec::<u8>::new();
}
"#;
    let paths: Vec<(usize, String)> =
        references(&module_of("app/x.rs"), text).into_iter().map(|r| (r.line, r.path.join("::"))).collect();
    let expected = [
        (2, "crate::model::Alert"),
        (2, "crate::app"),
        (2, "crate::app::State"),
        (3, "ratatui::prelude"),
        (5, "crossterm::event::KeyCode"),
        (6, "rusqlite"),
        (7, "tokio::test"),
        (9, "postgres::Client::connect"),
        (9, "postgres::NoTls"),
        (10, "reqwest::Client::new"),
        (11, "tokio::select"),
    ];
    let seen: Vec<(usize, &str)> = paths.iter().map(|(l, p)| (*l, p.as_str())).collect();
    // `Vec::<u8>::new` names nothing outside: `Vec` alone, then `new` after a turbofish.
    assert_eq!(seen, expected, "{paths:#?}");
}

#[test]
fn self_and_super_resolve_against_the_file_and_inline_modules() {
    let refs = |file: &str, text: &str| -> Vec<String> {
        references(&module_of(file), text).into_iter().map(|r| r.path.join("::")).collect()
    };
    assert_eq!(refs("sources/zabbix.rs", "use super::super::app::State;"), ["crate::app::State"]);
    assert_eq!(refs("sources/zabbix.rs", "use super::http::get;"), ["crate::sources::http::get"]);
    assert_eq!(refs("sources/mod.rs", "use self::poller::Poller;"), ["crate::sources::poller::Poller"]);
    assert_eq!(refs("oncall/ical/mod.rs", "use super::Shift;"), ["crate::oncall::Shift"]);
    // `mod tests { … }` is one level deeper until its brace closes.
    let text = "mod tests {\n    use super::super::ui::view;\n    fn f() { if true {} }\n}\nuse super::ui::Theme;\n";
    assert_eq!(refs("sources/mod.rs", text), ["crate::ui::view", "crate::ui::Theme"]);
    assert_eq!(
        check(&INTEGRATIONS_SPEAK_MODEL, "sources/mod.rs", text),
        ["src/sources/mod.rs:2: crate::ui::view", "src/sources/mod.rs:5: crate::ui::Theme"]
    );
    assert_eq!(refs("sources/mod.rs", "mod tests { use super::poller; }"), ["crate::sources::poller"]);
}

#[test]
fn comments_strings_and_chars_are_not_imports() {
    let text = r####"
// use tokio::sync::mpsc;
/// Draws with [`crate::ui::view`] and `ratatui::Frame`.
/* use crate::app::State; /* nested: crate::ui::x */ still a comment: tokio::spawn */
const A: &str = "use crate::app::State; \" tokio::spawn";
const B: &str = r#"use ratatui::Frame; "quoted" crate::ui::x"#;
const C: &[u8] = br##"crate::app::y "# still"##;
const D: char = '"';
const E: char = '\'';
const F: char = '\u{1F600}';
fn life<'a>(s: &'a str) -> &'a str { 'outer: loop { break 'outer s; } }
let r#type = 1;
use crate::model::Alert;
"####;
    let refs = references(&[], text);
    assert_eq!(refs, [Ref { line: 13, path: vec!["crate".into(), "model".into(), "Alert".into()] }], "{refs:#?}");
    assert_eq!(check(&APP_IS_PURE, "app/x.rs", text), [""; 0]);
    assert_eq!(check(&APP_EFFECTS_ARE_DATA, "app/x.rs", text), [""; 0]);
    // Blanking keeps the lines: the one real import after all that is on its own line.
    assert_eq!(blank_comments_and_literals(text).lines().count(), text.lines().count());
}
