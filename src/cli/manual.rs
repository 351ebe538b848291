//! The manual pages the package installs, generated so they never drift from the code:
//! klaxon(1) from the clap definitions (one section per command), klaxon.toml(5) from the
//! config schema (every key with its type, default and doc comment) and the starter config.
//! `klaxon manual DIR` writes both (the packaging script calls it).

use super::{Cli, VERSION};
use clap::CommandFactory;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// Writes klaxon.1 and klaxon.toml.5 into `dir`.
pub fn write(dir: &Path) -> Result<(), super::CliError> {
    let fail = |p: &Path, e: std::io::Error| super::CliError::Failure(format!("cannot write {}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    for (name, text) in [("klaxon.1", klaxon_1()), ("klaxon.toml.5", klaxon_toml_5().into_bytes())] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| fail(&path, e))?;
        eprintln!("klaxon: wrote {}", path.display());
    }
    Ok(())
}

/// klaxon(1): the synopsis and global options, then a section per command (subcommands of
/// `runbook`, `report` and `config` too), then files and environment.
pub fn klaxon_1() -> Vec<u8> {
    let cmd = Cli::command();
    let man = page(cmd.clone());
    let mut out = Vec::new();
    let sections: [Render; 5] = [
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
    ];
    for render in sections {
        render(&man, &mut out).expect("writing to memory");
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_section(&mut out, "klaxon", sub);
    }
    out.extend_from_slice(FILES_1.as_bytes());
    man.render_version_section(&mut out).expect("writing to memory");
    out
}

type Render = fn(&clap_mangen::Man, &mut dyn Write) -> std::io::Result<()>;

fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd).manual("klaxon manual").source(format!("klaxon {VERSION}"))
}

/// `.SH klaxon NAME`: what it does, its synopsis and options (as sub-headings), then its
/// own subcommands the same way.
fn command_section(out: &mut Vec<u8>, parent: &str, sub: &clap::Command) {
    let full = format!("{parent} {}", sub.get_name());
    let man = page(sub.clone().bin_name(&full));
    let mut body = Vec::new();
    man.render_synopsis_section(&mut body).expect("writing to memory");
    if sub.get_arguments().any(|a| !a.is_positional() && !a.is_hide_set() && a.get_id() != "help") {
        man.render_options_section(&mut body).expect("writing to memory");
    }
    let about = sub.get_long_about().or(sub.get_about()).map(|a| roff_text(&a.to_string())).unwrap_or_default();
    let _ = write!(out, ".SH \"{}\"\n{about}\n", full.to_uppercase());
    // The command's own sections become sub-headings of its section.
    for line in String::from_utf8_lossy(&body).lines() {
        let line = line.strip_prefix(".SH ").map(|h| format!(".SS {h}")).unwrap_or_else(|| line.to_owned());
        let _ = writeln!(out, "{line}");
    }
    for child in sub.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        command_section(out, &full, child);
    }
}

const FILES_1: &str = r#".SH FILES
.TP
\fI~/.config/klaxon/klaxon.toml\fR
The config (see \fBklaxon.toml\fR(5)); \fBklaxon init \-\-write\fR writes a commented starter, with
\fIklaxon.schema.json\fR beside it for editors.
.TP
\fI~/.local/share/klaxon/\fR
The store (klaxon.db), queued actions and crash reports.
.SH ENVIRONMENT
.TP
\fBKLAXON_CONFIG\fR
The config file, when \fB\-\-config\fR is not given.
.TP
\fBNO_COLOR\fR
Set: no colours (bold and reverse stay).
.SH EXIT STATUS
0 on success, 2 for a usage or config error, 1 for any other failure.
.SH SEE ALSO
\fBklaxon.toml\fR(5), \fBsystemctl\fR(1) (\fBsystemctl \-\-user enable \-\-now klaxon\-watch\fR runs
\fBklaxon watch\fR as a user service)
"#;

/// klaxon.toml(5): each top-level key or table with its keys, from the JSON Schema.
pub fn klaxon_toml_5() -> String {
    let schema = super::config_schema::schema();
    let defs = schema.get("definitions").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut out = format!(
        ".TH KLAXON.TOML 5 \"\" {} \"klaxon manual\"\n.SH NAME\nklaxon.toml \\- klaxon's configuration file\n",
        quoted(&format!("klaxon {VERSION}"))
    );
    out.push_str(DESCRIPTION_5);
    out.push_str(".SH KEYS\n");
    let root = schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    // Plain keys first: TOML wants them before any [table].
    let (plain, tables): (Vec<_>, Vec<_>) = root.iter().partition(|(_, s)| target(s, &defs).is_none());
    for (key, s) in plain {
        out.push_str(&format!(".SS {key}\n"));
        entry(&mut out, key, s, &defs);
    }
    for (key, s) in tables {
        let array = s.get("type").is_some_and(|t| t == "array");
        let heading = if array { format!("[[{key}]]") } else { format!("[{key}]") };
        let Some(def) = target(s, &defs) else { continue };
        out.push_str(&format!(".SS {}\n", roff_text(&heading)));
        if let Some(d) = def.get("description").or(s.get("description")).and_then(Value::as_str) {
            out.push_str(&format!("{}\n", roff_text(d)));
        }
        table(&mut out, &heading, def, &defs);
    }
    out.push_str(".SH EXAMPLE\nThe starter config (\\fBklaxon init\\fR), which is also what klaxon runs with no config file:\n.PP\n.nf\n");
    for line in crate::settings::DEFAULT_TOML.lines() {
        out.push_str(&format!("{}\n", roff_line(line)));
    }
    out.push_str(".fi\n.SH SEE ALSO\n\\fBklaxon\\fR(1); \\fBklaxon check\\-config\\fR validates a config and says what it sets up.\n");
    out
}

const DESCRIPTION_5: &str = r#".SH SYNOPSIS
\fI~/.config/klaxon/klaxon.toml\fR, or \fB\-\-config\fR \fIPATH\fR, or \fB$KLAXON_CONFIG\fR
.SH DESCRIPTION
klaxon reads one TOML file. Unknown keys are errors, reported with the file, line and key.
Durations are written like "15s", "5m" or "1h30m". Secrets are never written inline: a key
ending in \fB_env\fR names an environment variable, one ending in \fB_file\fR a file only you
can read (mode 0600).
.PP
\fBklaxon check\-config\fR validates the file; \fBklaxon config schema\fR prints its JSON
Schema, which editors with a TOML language server use through the file's \fB#:schema\fR line.
Each key below is listed with its type and default.
"#;

/// The definition a property's schema refers to (a table), if it does.
fn target<'a>(s: &'a Value, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let r = s.pointer("/items/$ref").or(s.get("$ref")).or(s.pointer("/allOf/0/$ref"))?.as_str()?;
    let def = defs.get(r.rsplit('/').next()?)?;
    (def.get("properties").is_some() || def.get("oneOf").is_some()).then_some(def)
}

/// A table's keys; a family of kinds lists each kind's keys under its own heading.
fn table(out: &mut String, heading: &str, def: &Value, defs: &Map<String, Value>) {
    if let Some(props) = def.get("properties").and_then(Value::as_object) {
        for (key, s) in props {
            entry(out, key, s, defs);
        }
    }
    for kind in def.get("oneOf").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = kind.pointer("/properties/kind/const").and_then(Value::as_str) else { continue };
        out.push_str(&format!(".SS {} kind = \"{}\"\n", roff_text(heading), roff_text(name)));
        if let Some(d) = kind.get("description").and_then(Value::as_str) {
            out.push_str(&format!("{}\n", roff_text(d)));
        }
        for (key, s) in kind.get("properties").and_then(Value::as_object).into_iter().flatten() {
            if key != "kind" {
                entry(out, key, s, defs);
            }
        }
    }
}

/// `.TP` key (type, default) and its description.
fn entry(out: &mut String, key: &str, s: &Value, defs: &Map<String, Value>) {
    let mut what = type_name(s, defs);
    let empty = |d: &Value| d.as_array().is_some_and(Vec::is_empty) || d.as_object().is_some_and(Map::is_empty);
    if let Some(d) = s.get("default").filter(|d| !empty(d)) {
        what.push_str(&format!(", default {d}"));
    }
    let description = s.get("description").and_then(Value::as_str).unwrap_or("");
    out.push_str(&format!(".TP\n\\fB{}\\fR ({})\n{}\n", roff_text(key), roff_text(&what), roff_text(description)));
}

fn type_name(s: &Value, defs: &Map<String, Value>) -> String {
    if let Some(r) = s.get("$ref").or(s.pointer("/allOf/0/$ref")).and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return match defs.get(name) {
            Some(def) if def.get("enum").is_some() => one_of(def),
            Some(def) if def.get("properties").is_some() => "table".into(),
            _ => name.to_lowercase(),
        };
    }
    if s.get("enum").is_some() {
        return one_of(s);
    }
    match s.get("type").and_then(Value::as_str) {
        Some("array") => format!("array of {}", s.get("items").map(|i| type_name(i, defs)).unwrap_or_default()),
        Some("object") => "table".into(),
        Some(t) => t.into(),
        None => "value".into(),
    }
}

fn one_of(s: &Value) -> String {
    let names: Vec<String> =
        s.get("enum").and_then(Value::as_array).into_iter().flatten().map(|v| v.to_string()).collect();
    format!("one of {}", names.join(", "))
}

/// Text with roff's escape character and line-start controls made plain.
fn roff_text(s: &str) -> String {
    s.lines().map(roff_line).collect::<Vec<_>>().join("\n")
}

fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') { format!("\\&{escaped}") } else { escaped }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "'"))
}
