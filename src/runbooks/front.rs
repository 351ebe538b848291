//! Front matter as teams already write it: `+++` TOML (Hugo, Zola), `---` YAML (Hugo, Jekyll,
//! MkDocs, Docusaurus), or none. klaxon reads the keys it knows and ignores the rest (`weight`,
//! `layout`, `sidebar_position`…). A front matter that does not parse is reported with its line
//! and the runbook keeps its body: a typo in the header must not hide the runbook at 3 a.m.

use crate::model::Severity;

/// The keys klaxon reads; a value of the wrong kind is reported and left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    pub title: Option<String>,
    pub tags: Vec<String>,
    /// Globs: `*` any run of characters, `?` one.
    pub alertnames: Vec<String>,
    /// Matchers as in the console's filter: `service=~db.*`, `env=prod`.
    pub labels: Vec<String>,
    pub min_severity: Option<Severity>,
    /// Hugo's other paths for the page (`/kubememovercommit/`): a mirror URL may use them.
    pub aliases: Vec<String>,
}

const KNOWN: [&str; 6] = ["title", "tags", "alertnames", "labels", "min_severity", "aliases"];

/// A problem in the front matter, at a line of the whole file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A file cut into its front matter (when it has one) and its Markdown body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    pub front: Option<(Format, &'a str)>,
    pub body: &'a str,
}

/// Cuts `text` (already sanitized: `\n` line ends) at its front matter. A `+++` block that is
/// never closed is a problem; a `---` never closed is a thematic break, not front matter.
pub fn split(text: &str) -> (Split<'_>, Option<Problem>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let none = Split { front: None, body: text };
    let Some((first, rest)) = text.split_once('\n') else { return (none, None) };
    let (format, closers): (Format, &[&str]) = match first.trim_end() {
        "+++" => (Format::Toml, &["+++"]),
        "---" => (Format::Yaml, &["---", "..."]),
        _ => return (none, None),
    };
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        if closers.contains(&line.trim_end()) {
            let body = rest[at + line.len()..].trim_start_matches('\n');
            return (Split { front: Some((format, &rest[..at])), body }, None);
        }
        at += line.len();
    }
    match format {
        Format::Toml => {
            (none, Some(Problem { line: 1, message: "the +++ front matter is never closed; read as Markdown".into() }))
        }
        Format::Yaml => (none, None),
    }
}

/// Reads the keys klaxon knows. `front` starts on line 2 of the file.
pub fn parse(format: Format, front: &str) -> (Fields, Vec<Problem>) {
    let mut problems = Vec::new();
    let values = match format {
        Format::Toml => toml_values(front),
        Format::Yaml => yaml_values(front),
    };
    let values = match values {
        Ok(v) => v,
        Err(p) => return (Fields::default(), vec![p]),
    };
    let mut fields = Fields::default();
    let sep = if format == Format::Toml { '=' } else { ':' };
    for (key, value) in values {
        let line = key_line(front, &key, sep);
        let mut bad = |what: &str| problems.push(Problem { line, message: format!("`{key}` {what}; left out") });
        match key.as_str() {
            "title" => match value {
                Value::Text(t) => fields.title = Some(t),
                Value::List(_) => bad("should be text"),
                Value::Other => {}
            },
            "min_severity" => match value {
                Value::Text(t) => match t.parse() {
                    Ok(s) => fields.min_severity = Some(s),
                    Err(_) => bad(&format!("{t:?} is not a severity (information, warning, average, high, disaster)")),
                },
                _ => bad("should be a severity name"),
            },
            "tags" | "alertnames" | "labels" | "aliases" => {
                let list = match value {
                    // Jekyll allows `tags: disk storage`; klaxon's lists are TOML arrays.
                    Value::Text(t) if key == "tags" => t.split([',', ' ']).map(str::to_owned).collect(),
                    Value::Text(t) => vec![t],
                    Value::List(l) => l,
                    Value::Other => {
                        bad("should be a list of text");
                        continue;
                    }
                };
                let list = list.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
                match key.as_str() {
                    "tags" => fields.tags.extend(list),
                    "alertnames" => fields.alertnames.extend(list),
                    "labels" => fields.labels.extend(list),
                    _ => fields.aliases.extend(list),
                }
            }
            other => {
                // Unknown keys are other tools' (Hugo's weight…); one a letter or two from a
                // klaxon key is most likely a typo of it, and silently ignoring it would drop a rule.
                if let Some(near) = KNOWN.iter().find(|k| near_miss(other, k)) {
                    problems.push(Problem { line, message: format!("unknown key `{other}` (did you mean `{near}`?)") });
                }
            }
        }
    }
    (fields, problems)
}

/// A front-matter value as klaxon needs it.
enum Value {
    Text(String),
    List(Vec<String>),
    Other,
}

fn toml_values(front: &str) -> Result<Vec<(String, Value)>, Problem> {
    let table: toml::Table = toml::from_str(front).map_err(|e| {
        let line = e.span().map_or(0, |s| front[..s.start.min(front.len())].matches('\n').count()) + 2;
        Problem { line, message: format!("TOML front matter: {}; read without it", e.message().trim_end()) }
    })?;
    let text = |v: &toml::Value| match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) | toml::Value::Datetime(_) => {
            Some(v.to_string())
        }
        _ => None,
    };
    Ok(table
        .iter()
        .map(|(k, v)| {
            let value = match v {
                toml::Value::Array(items) => match items.iter().map(text).collect::<Option<Vec<_>>>() {
                    Some(list) => Value::List(list),
                    None => Value::Other,
                },
                v => text(v).map_or(Value::Other, Value::Text),
            };
            (k.clone(), value)
        })
        .collect())
}

fn yaml_values(front: &str) -> Result<Vec<(String, Value)>, Problem> {
    use saphyr::{LoadableYamlNode, Scalar, Yaml};
    let docs = Yaml::load_from_str(front).map_err(|e| Problem {
        line: e.marker().line() + 1,
        message: format!("YAML front matter: {}; read without it", e.info()),
    })?;
    fn text(y: &Yaml) -> Option<String> {
        match y {
            Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
            Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
            Yaml::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
            Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
            Yaml::Representation(s, ..) => Some(s.to_string()),
            Yaml::Tagged(_, inner) => text(inner),
            _ => None,
        }
    }
    let Some(doc) = docs.first() else { return Ok(Vec::new()) };
    let doc = match doc {
        Yaml::Tagged(_, inner) => inner,
        doc => doc,
    };
    let map = match doc {
        Yaml::Mapping(map) => map,
        Yaml::Value(Scalar::Null) => return Ok(Vec::new()),
        _ => {
            let message = "YAML front matter: expected `key: value` lines; read without it".into();
            return Err(Problem { line: 2, message });
        }
    };
    Ok(map
        .iter()
        .filter_map(|(k, v)| {
            let key = text(k)?;
            let value = match v {
                Yaml::Sequence(items) => match items.iter().map(text).collect::<Option<Vec<_>>>() {
                    Some(list) => Value::List(list),
                    None => Value::Other,
                },
                Yaml::Value(Scalar::Null) => Value::List(Vec::new()),
                v => text(v).map_or(Value::Other, Value::Text),
            };
            Some((key, value))
        })
        .collect())
}

/// The file line where `key` is set (the front matter starts on line 2), else line 1.
fn key_line(front: &str, key: &str, sep: char) -> usize {
    front
        .lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches(['"', '\'']);
            l.strip_prefix(key).is_some_and(|r| r.trim_start_matches(['"', '\'']).trim_start().starts_with(sep))
        })
        .map_or(1, |i| i + 2)
}

/// True when `a` is one edit (insert, delete, change, swap) from `b`, `b` long enough to tell.
fn near_miss(a: &str, b: &str) -> bool {
    if a == b || b.len() < 4 || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (a.len() - prefix - suffix, b.len() - prefix - suffix);
    match (ra, rb) {
        (0, 1) | (1, 0) | (1, 1) => true,
        (2, 2) => a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix],
        _ => false,
    }
}

/// The body's first heading (`# Title` or a Setext `Title\n===`), outside code fences.
pub fn first_heading(body: &str) -> Option<String> {
    let mut fence: Option<&str> = None;
    let mut previous = "";
    for line in body.lines() {
        let t = line.trim_start();
        if let Some(open) = fence {
            if t.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            continue;
        }
        let heading = if let Some(h) = t.strip_prefix('#') {
            let h = h.trim_start_matches('#');
            (h.is_empty() || h.starts_with(' ')).then(|| h.trim().trim_end_matches('#').trim())
        } else if !previous.trim().is_empty() && !t.is_empty() && t.trim_end().chars().all(|c| c == '=') {
            Some(previous.trim())
        } else {
            None
        };
        if let Some(h) = heading.filter(|h| !h.is_empty()) {
            return Some(crate::sanitize::sanitize_line(h));
        }
        previous = line;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_yaml_or_none() {
        let (s, p) = split("+++\ntitle = \"T\"\n+++\n\n# Body\n");
        assert_eq!((s.front, s.body, p), (Some((Format::Toml, "title = \"T\"\n")), "# Body\n", None));
        let (s, _) = split("---\ntitle: T\nweight: 20\n---\n# Body");
        assert_eq!((s.front, s.body), (Some((Format::Yaml, "title: T\nweight: 20\n")), "# Body"));
        let (s, _) = split("\u{feff}---\n---\nbody");
        assert_eq!((s.front, s.body), (Some((Format::Yaml, "")), "body"));
        // No front matter; a `---` never closed is a rule.
        assert_eq!(split("# Just Markdown").0.front, None);
        assert_eq!(split("---\nnot closed\n").0, Split { front: None, body: "---\nnot closed\n" });
        let (s, p) = split("+++\ntitle = \"x\"\n");
        assert_eq!((s.front, p.unwrap().line), (None, 1));
    }

    #[test]
    fn known_keys_are_read_and_others_ignored() {
        let yaml = "title: Kube Pod Crash Looping\nweight: 20\ntags: [k8s, pods]\nalertnames:\n  - KubePod*\naliases:\n  - /kubepod/\nmin_severity: warning\nbookCollapseSection: true\n";
        let (f, p) = parse(Format::Yaml, yaml);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(f.title.as_deref(), Some("Kube Pod Crash Looping"));
        assert_eq!(
            (f.tags, f.alertnames, f.aliases),
            (vec!["k8s".into(), "pods".into()], vec!["KubePod*".into()], vec!["/kubepod/".into()])
        );
        assert_eq!(f.min_severity, Some(Severity::Warning));
        let (f, p) = parse(Format::Toml, "title = 2026\nweight = 10\n[params]\nx = 1\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(f.title.as_deref(), Some("2026"));
        // Jekyll's space-separated tags.
        assert_eq!(parse(Format::Yaml, "tags: disk storage\n").0.tags, ["disk", "storage"]);
    }

    #[test]
    fn mistakes_name_the_line() {
        let (f, p) = parse(Format::Yaml, "title: ok\ntags: [unclosed\n");
        assert_eq!(f, Fields::default());
        assert!(p[0].message.starts_with("YAML front matter:") && p[0].line >= 3, "{p:?}");
        let (_, p) = parse(Format::Toml, "title = \"t\"\ntags = [\n");
        assert!(p[0].message.starts_with("TOML front matter:") && p[0].line >= 3, "{p:?}");
        let (f, p) = parse(Format::Yaml, "title: t\nalertnamez: [X]\nmin_severity: urgent\nweight: 20\n");
        assert_eq!(f.title.as_deref(), Some("t"));
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!((p[0].line, p[0].message.contains("did you mean `alertnames`")), (3, true), "{p:?}");
        assert_eq!((p[1].line, p[1].message.contains("urgent")), (4, true), "{p:?}");
        let (_, p) = parse(Format::Yaml, "- a\n- b\n");
        assert!(p[0].message.contains("key: value"), "{p:?}");
        // Deep nesting is refused by the parser, not a stack overflow.
        let deep = format!("title: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(Format::Yaml, &deep).1.len(), 1);
        // So is a "billion laughs" of aliases: saphyr budgets their expansion.
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, next) in
            ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            laughs.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let (_, p) = parse(Format::Yaml, &format!("{laughs}title: t\n"));
        assert!(p.len() == 1 && p[0].message.contains("alias"), "{p:?}");
    }

    #[test]
    fn near_misses() {
        assert!(near_miss("alertnamez", "alertnames") && near_miss("tilte", "title") && near_miss("label", "labels"));
        assert!(near_miss("tag", "tags") && near_miss("titel", "title"));
        assert!(!near_miss("weight", "title") && !near_miss("type", "title") && !near_miss("aliases", "aliases"));
    }

    #[test]
    fn title_from_the_first_heading() {
        assert_eq!(
            first_heading("intro\n\n## KubePodCrashLooping ##\n# Later").as_deref(),
            Some("KubePodCrashLooping")
        );
        assert_eq!(first_heading("```\n# not this\n```\nSetext\n======\n").as_deref(), Some("Setext"));
        assert_eq!(first_heading("#hashtag\nplain"), None);
    }
}
