//! `slo_files`: SLOs defined where teams already keep them. Each YAML document of a matched
//! file is read by the reader its header names (Sloth's `version: prometheus/v1`, Pyrra's
//! `kind: ServiceLevelObjective`, OpenSLO's `apiVersion: openslo/v1`); others are skipped.
//! Readers see a small tree with a line on every node, so their errors name file, line and key.

use super::{PrometheusConfig, Slo};
use crate::config::ConfigError;
use std::path::{Path, PathBuf};

/// A YAML node with the line (1-based) it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any scalar, as written (numbers too: readers parse what they expect).
    Text(String),
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Null,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn list(&self) -> &[Node] {
        match &self.value {
            Value::List(items) => items,
            _ => &[],
        }
    }

    pub fn keys(&self) -> Vec<&str> {
        match &self.value {
            Value::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// A reader's complaint: the line, the key path (`slos[0].objective`) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// The node under `key`, not null, or a problem naming the key.
pub fn need<'n>(node: &'n Node, at: &str, key: &str) -> Result<&'n Node, Problem> {
    node.get(key).filter(|n| n.value != Value::Null).ok_or_else(|| Problem {
        line: node.line,
        key: join(at, key),
        message: format!("`{key}` is missing"),
    })
}

/// The value under `key`.
pub fn need_text<'n>(node: &'n Node, at: &str, key: &str) -> Result<&'n str, Problem> {
    let n = need(node, at, key)?;
    n.text().ok_or_else(|| problem(n, &join(at, key), format!("`{key}` is not a value")))
}

pub fn problem(node: &Node, key: &str, message: String) -> Problem {
    Problem { line: node.line, key: key.to_owned(), message }
}

/// An objective as a percentage (`99.9`, `"99.9"`), checked like `[[slos]]`'s.
pub fn percent(node: &Node, key: &str, scale: f64) -> Result<f64, Problem> {
    let text = node.text().unwrap_or("");
    let v = text.trim().parse::<f64>().map_err(|_| problem(node, key, format!("{text:?} is not a number")))?;
    let percent = v * scale;
    match super::objective_problem(percent) {
        Some(p) => Err(problem(node, key, p)),
        None => Ok(percent),
    }
}

/// A window like `28d`, `2w`, checked like `[[slos]]`'s.
pub fn window(node: &Node, key: &str) -> Result<std::time::Duration, Problem> {
    let text = node.text().unwrap_or("");
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| problem(node, key, format!("invalid duration {text:?} ({e})")))?;
    match super::window_problem(d) {
        Some(p) => Err(problem(node, key, p)),
        None => Ok(d),
    }
}

/// PromQL for events over `{{window}}`: as written when it has the placeholder; a bare
/// series selector (`http_requests_total{code=~"5.."}`, Pyrra's `metric`) counted with
/// `increase` (or `how`); anything else cannot be windowed.
pub fn events_query(node: &Node, key: &str, how: &str) -> Result<String, Problem> {
    let q = node.text().unwrap_or("").trim();
    if super::query_problem(q).is_none() {
        return Ok(q.to_owned());
    }
    let name_end = q.find('{').unwrap_or(q.len());
    let selector = !q.is_empty()
        && q[..name_end].chars().all(|c| c.is_ascii_alphanumeric() || "_:".contains(c))
        && (name_end == q.len() || q.ends_with('}'))
        && !q[name_end..].contains(['(', '[']);
    if selector {
        Ok(format!("{how}({q}[{{{{window}}}}])"))
    } else {
        Err(problem(node, key, "a query with {{window}} where its range goes, or a series selector".into()))
    }
}

/// The names a document sets that klaxon does not act on, for `not_used`.
pub fn unused(node: &Node, at: &str, keys: &[&str]) -> Vec<String> {
    keys.iter().filter(|k| node.get(k).is_some_and(|n| n.value != Value::Null)).map(|k| join(at, k)).collect()
}

pub fn join(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
}

/// The problem as a config error in `file`. Messages quote the document's own keys and
/// values, so this is the border where they are made one clean line.
fn error(file: &Path, p: Problem) -> ConfigError {
    ConfigError {
        file: file.display().to_string(),
        line: Some(p.line),
        key: Some(crate::sanitize::sanitize_line(&p.key)),
        message: crate::sanitize::sanitize_line(&p.message),
    }
}

/// A pattern's wildcards (`*`, `?`) may only be in its last part: `slos/*.yaml`.
pub fn pattern_problem(pattern: &str) -> Result<(), String> {
    let (dir, _) = split(Path::new(pattern));
    if dir.to_string_lossy().contains(['*', '?']) {
        return Err(format!("{pattern:?}: a wildcard only in the file name, e.g. \"slos/*.yaml\""));
    }
    Ok(())
}

fn split(pattern: &Path) -> (PathBuf, String) {
    let name = pattern.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (pattern.parent().map(Path::to_path_buf).unwrap_or_default(), name)
}

/// `*` any run of characters, `?` one; the rest as is.
fn wildcard(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => wildcard(&pattern[1..], name) || (!name.is_empty() && wildcard(pattern, &name[1..])),
        (Some('?'), Some(_)) => wildcard(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => wildcard(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// The files a pattern names, sorted. A pattern without wildcards names one file, which
/// must exist; one with wildcards may match none.
pub fn expand(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let (dir, name) = split(pattern);
    if !name.contains(['*', '?']) {
        return Ok(vec![pattern.to_path_buf()]);
    }
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let want: Vec<char> = name.chars().collect();
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| wildcard(&want, &e.file_name().to_string_lossy().chars().collect::<Vec<_>>()))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    Ok(out)
}

/// The tree of one YAML document.
fn tree(y: &saphyr::MarkedYaml<'_>) -> Node {
    use saphyr::{Scalar, YamlData};
    let line = y.span.start.line();
    let value = match &y.data {
        YamlData::Value(Scalar::Null) => Value::Null,
        YamlData::Value(Scalar::String(s)) => Value::Text(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Value::Text(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Value::Text(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Value::Text(b.to_string()),
        YamlData::Representation(s, ..) => Value::Text(s.to_string()),
        YamlData::Sequence(items) => Value::List(items.iter().map(tree).collect()),
        YamlData::Mapping(map) => {
            Value::Map(map.iter().filter_map(|(k, v)| Some((tree(k).text()?.to_owned(), tree(v)))).collect())
        }
        YamlData::Tagged(_, inner) => return tree(inner),
        _ => Value::Null,
    };
    Node { line, value }
}

/// Every YAML document in `text`, as trees.
pub fn documents(text: &str) -> Result<Vec<Node>, Problem> {
    use saphyr::LoadableYamlNode;
    let docs = saphyr::MarkedYaml::load_from_str(text).map_err(|e| Problem {
        line: e.marker().line() + 1,
        key: String::new(),
        message: format!("not YAML: {}", e.info()),
    })?;
    Ok(docs.iter().map(tree).collect())
}

/// Which reader a document is for, if any.
fn read_doc(doc: &Node, prometheus: &PrometheusConfig, from: &str) -> Result<Vec<Slo>, Problem> {
    let field = |k: &str| doc.get(k).and_then(Node::text).unwrap_or("");
    if field("version") == "prometheus/v1" {
        super::sloth::read(doc, prometheus, from)
    } else if field("kind") == "ServiceLevelObjective" && field("apiVersion").starts_with("pyrra.dev/") {
        super::pyrra::read(doc, prometheus, from)
    } else if field("apiVersion").starts_with("openslo/") && field("kind") == "SLO" {
        super::openslo::read(doc, prometheus, from)
    } else {
        Ok(Vec::new())
    }
}

/// The SLOs of one file's text.
pub fn read(text: &str, file: &Path, prometheus: &PrometheusConfig) -> Result<Vec<Slo>, ConfigError> {
    let from = file.display().to_string();
    let docs = documents(text).map_err(|p| error(file, p))?;
    let mut out = Vec::new();
    for doc in &docs {
        let mut slos = read_doc(doc, prometheus, &from).map_err(|p| error(file, p))?;
        // Text from outside: cleaned here, where it comes in.
        for s in &mut slos {
            s.description = s.description.take().map(|d| crate::sanitize::sanitize_line(&d));
        }
        out.extend(slos);
    }
    Ok(out)
}

/// Every SLO the config defines: `[[slos]]`, then each file of `slo_files` in order. Names
/// are unique across all of them.
pub fn all(loaded: &crate::settings::Loaded) -> Result<Vec<Slo>, ConfigError> {
    let cfg = &loaded.config;
    let config_file = match &loaded.origin {
        crate::config::Origin::File(p) => p.display().to_string(),
        crate::config::Origin::Embedded => "<embedded default>".into(),
    };
    let mut out: Vec<Slo> = cfg.slos.iter().filter_map(|s| s.resolve(cfg.prometheus.as_ref(), &config_file)).collect();
    for (i, pattern) in cfg.slo_files.iter().enumerate() {
        let Some(prometheus) = &cfg.prometheus else { break };
        let at_key = |message: String| ConfigError {
            file: config_file.clone(),
            line: None,
            key: Some(format!("slo_files[{i}]")),
            message,
        };
        for file in expand(&loaded.resolve_path(Path::new(pattern))).map_err(at_key)? {
            let text =
                std::fs::read_to_string(&file).map_err(|e| at_key(format!("cannot read {}: {e}", file.display())))?;
            for slo in read(&text, &file, prometheus)? {
                if let Some(first) = out.iter().find(|s| s.name == slo.name) {
                    return Err(ConfigError {
                        file: file.display().to_string(),
                        line: None,
                        key: None,
                        message: format!("SLO name {:?} is used twice (also in {})", slo.name, first.from),
                    });
                }
                out.push(slo);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_the_file_name() {
        let w = |p: &str, n: &str| wildcard(&p.chars().collect::<Vec<_>>(), &n.chars().collect::<Vec<_>>());
        assert!(w("*.yaml", "api.yaml") && w("slo-?.yml", "slo-1.yml") && !w("*.yaml", "api.yml"));
        assert!(pattern_problem("slos/*.yaml").is_ok() && pattern_problem("*/x.yaml").is_err());
    }

    /// Found by the property test: a key with control characters, quoted in the message.
    #[test]
    fn quoted_keys_leave_as_one_clean_line() {
        let prom: crate::settings::Config =
            crate::settings::parse("[prometheus]\nurl = \"http://p:9090\"\n", "k.toml").unwrap();
        let text = r#"{"version":"prometheus/v1","service":"svc","slos":[{"name":"a","objective":99.9,"sli":{"\tx\r\nback\b\bspace\u001b[31m":true}}]}"#;
        let e = read(text, Path::new("s.yaml"), prom.prometheus.as_ref().unwrap()).unwrap_err();
        let shown = e.to_string();
        assert!(crate::sanitize::is_clean(&shown) && !shown.contains('\n'), "{shown:?}");
        assert!(shown.contains("SLI is not read by klaxon"), "{shown}");
    }

    #[test]
    fn trees_carry_lines() {
        let docs = documents("a: 1\nb:\n  c: [x, y]\n---\nd: ~\n").unwrap();
        assert_eq!(docs.len(), 2);
        let c = docs[0].get("b").and_then(|b| b.get("c")).unwrap();
        assert_eq!((c.line, c.list().len()), (3, 2));
        assert_eq!(docs[1].get("d").map(|d| &d.value), Some(&Value::Null));
    }
}
