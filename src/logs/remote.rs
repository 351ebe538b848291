//! What the search-backend log sources (Elasticsearch, Graylog, Splunk, Sumo Logic) share:
//! how a request logs in, reading a JSON answer, and mapping one returned document to a line.

use crate::config::{At, Problems};
use crate::model::{Keys, LogLine};
use crate::sources::SourceError;
use serde::de::DeserializeOwned;
use std::collections::HashSet;

pub use crate::http::Auth;

/// Configured field names, as `(key, name)`: each goes into requests as it is, so it is
/// not empty and holds no quote, comma, space or line break.
pub fn check_field_names<'a>(
    at: At<'_>,
    fields: impl IntoIterator<Item = (&'static str, &'a String)>,
    problems: &mut Problems,
) {
    for (key, name) in fields {
        if name.trim().is_empty() || name.contains(['\n', '"', ',', ' ']) {
            problems.push((at(key), format!("{name:?} is not a field name")));
        }
    }
}

/// `req` with `body` as its JSON payload.
pub fn with_json(req: reqwest::RequestBuilder, body: &serde_json::Value) -> reqwest::RequestBuilder {
    req.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string())
}

/// `req` with `pairs` as an `application/x-www-form-urlencoded` body (reqwest's own `form`
/// would need another feature and serde_urlencoded for one call site).
pub fn with_form(req: reqwest::RequestBuilder, pairs: &[(&str, String)]) -> reqwest::RequestBuilder {
    let mut url = reqwest::Url::parse("http://form.invalid/").expect("a valid URL");
    url.query_pairs_mut().extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    let body = url.query().unwrap_or_default().to_owned();
    req.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body)
}

/// A JSON answer as `T`, or an error saying whose answer it was not.
pub fn json<T: DeserializeOwned>(vendor: &str, body: &[u8]) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| SourceError::new(format!("not a {vendor} answer: {e}")))
}

/// One returned document (an object; anything else becomes its text) as a sanitized line.
/// The configured `trace` field is shown as `trace_id`, the name the pane correlates by.
pub fn document_line(source: &str, doc: serde_json::Value, keys: &Keys<'_>, trace: Option<&str>) -> LogLine {
    let mut line = match doc {
        serde_json::Value::Object(obj) => LogLine::from_document(source, obj, keys),
        serde_json::Value::String(s) => LogLine::parse(source, &s),
        other => LogLine::parse(source, &other.to_string()),
    };
    if let Some(key) = trace.filter(|k| *k != TRACE)
        && let Some(id) = line.fields.remove(key)
    {
        line.fields.insert(TRACE, id);
    }
    line
}

const TRACE: &str = "trace_id";

/// A field's value as text: a string as it is, a multivalue field's values comma-separated,
/// anything else as JSON; null as nothing.
pub fn value_text(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) => Some(a.iter().filter_map(value_text).collect::<Vec<_>>().join(",")),
        other => Some(other.to_string()),
    }
}

/// An event of a backend that keeps the original text apart from its fields (Splunk's
/// `_raw`, Sumo Logic's): the text read as a line (JSON or plain), its time `at` when the
/// backend knows it, its level from `level` when the text has none, and the `shown` fields.
pub fn raw_line(
    source: &str,
    event: &serde_json::Map<String, serde_json::Value>,
    at: Option<chrono::DateTime<chrono::Utc>>,
    level: &str,
    shown: &[&str],
) -> LogLine {
    let get = |k: &str| event.get(k).and_then(value_text);
    let mut line = LogLine::parse(source, &get("_raw").unwrap_or_default());
    line.at = at.or(line.at);
    if line.level.is_none() {
        line.level = get(level).and_then(|l| crate::model::Level::parse(&l));
    }
    for key in shown {
        if let Some(v) = get(key) {
            line.fields.insert(crate::model::field_value(key), crate::model::field_value(&v));
        }
    }
    line
}

/// One line a search backend returned, with what says which it is and when.
#[derive(Debug, Clone)]
pub struct Found {
    /// The backend's id of the line (Elasticsearch `_index/_id`, Splunk `_bkt/_cd` …).
    pub id: String,
    pub at_ms: Option<i64>,
    pub line: LogLine,
}

impl Found {
    pub fn new(id: String, line: LogLine) -> Found {
        Found { id, at_ms: line.at.map(|t| t.timestamp_millis()), line }
    }
}

/// The lines of `found`, in its order.
pub fn lines(found: Vec<Found>) -> Vec<LogLine> {
    found.into_iter().map(|f| f.line).collect()
}

/// Most ids remembered at the newest time seen (a burst sharing one millisecond).
const MAX_SEEN: usize = 10_000;

/// Where a follow stands, for backends that can ask "from this time on" but hand out no
/// cursor: the newest time seen (epoch ms) and the ids of the lines seen at that very time.
/// The next read asks from that time *inclusive*, with room for the lines already seen
/// there, and drops those: lines sharing a timestamp are neither repeated nor skipped,
/// whatever order the server gives equal times in.
#[derive(Debug, Default)]
pub struct Seen {
    newest_ms: Option<i64>,
    ids: HashSet<String>,
}

impl Seen {
    /// The newest time seen, once anything (or the window's end) has been.
    pub fn newest_ms(&self) -> Option<i64> {
        self.newest_ms
    }

    /// Marks the window read, with nothing in it after `ms`.
    pub fn at_least(&mut self, ms: i64) {
        self.newest_ms.get_or_insert(ms);
    }

    /// How many lines at the newest time the next read will get back again.
    pub fn repeats(&self) -> usize {
        self.ids.len()
    }

    /// What of `found` (oldest first) was not shown yet; the cursor moves past it.
    pub fn fresh(&mut self, found: Vec<Found>) -> Vec<Found> {
        let fresh: Vec<Found> = found
            .into_iter()
            .filter(|f| !(f.at_ms.is_some() && f.at_ms == self.newest_ms && self.ids.contains(&f.id)))
            .collect();
        self.remember(&fresh);
        fresh
    }

    /// Moves to the newest time among `found`, keeping the ids at that time.
    pub fn remember(&mut self, found: &[Found]) {
        let Some(newest) = found.iter().filter_map(|f| f.at_ms).max() else { return };
        if self.newest_ms.is_some_and(|n| n > newest) {
            return;
        }
        if self.newest_ms != Some(newest) {
            self.ids.clear();
            self.newest_ms = Some(newest);
        }
        for f in found.iter().filter(|f| f.at_ms == Some(newest)) {
            if self.ids.len() < MAX_SEEN {
                self.ids.insert(f.id.clone());
            }
        }
    }
}
