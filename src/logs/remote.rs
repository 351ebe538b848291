//! What the search-backend log sources (Elasticsearch, Graylog, Splunk, Sumo Logic) share:
//! how a request logs in, reading a JSON answer, and mapping one returned document to a line.

use crate::config::Secret;
use crate::model::{Keys, LogLine};
use crate::sources::SourceError;
use serde::de::DeserializeOwned;

/// How requests log in; the secrets are read once, when the source is built.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// Elasticsearch's `Authorization: ApiKey <base64 id:key>`.
    ApiKey(Secret),
    Basic {
        user: String,
        password: Secret,
    },
}

impl Auth {
    pub fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(token.expose()),
            Auth::ApiKey(key) => req.header(reqwest::header::AUTHORIZATION, format!("ApiKey {}", key.expose())),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
        }
    }
}

/// `req` with `body` as its JSON payload.
pub fn with_json(req: reqwest::RequestBuilder, body: &serde_json::Value) -> reqwest::RequestBuilder {
    req.header(reqwest::header::CONTENT_TYPE, "application/json").body(body.to_string())
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
