//! Graylog: `GET /api/search/universal/absolute` (query in Graylog's Lucene syntax, an absolute
//! time range, the fields shown, `limit`/`offset` paging, `sort`). The window is read newest
//! first in pages by offset, its end fixed when the read starts; following asks for what is
//! at or after the newest time seen, oldest first, and drops the `_id`s already shown at that
//! time (see [`Seen`]).

use super::remote::{self, Auth, Found, Seen};
use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan, template};
use crate::config::{At, Credentials, Login, Problems, Secret, http_url_problem};
use crate::http::{self, Limits};
use crate::model::{Keys, LogLine};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `kind = "graylog"`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraylogConfig {
    pub url: String,
    /// An access token (sent as the user, with `token` as the password), or `username` with
    /// `password_env`/`password_file`.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// Search this stream only (its id).
    pub stream: Option<String>,
    #[serde(default = "default_message")]
    pub message_field: String,
    /// Graylog's `level` is a syslog number (0 emergency … 7 debug).
    #[serde(default = "default_level")]
    pub level_field: String,
    #[serde(default = "default_trace")]
    pub trace_field: String,
    /// More fields to fetch and show beside the message.
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default = "default_page")]
    pub page: usize,
}

fn default_message() -> String {
    "message".into()
}
fn default_level() -> String {
    "level".into()
}
fn default_trace() -> String {
    "trace_id".into()
}
fn default_page() -> usize {
    500
}

/// Graylog's time field: every message has it.
const TIMESTAMP: &str = "timestamp";

impl GraylogConfig {
    fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }
}

impl KindConfig for GraylogConfig {
    fn validate(&self, _: &LogConfig, at: At<'_>, problems: &mut Problems) {
        let goes =
            "give an access token with `token_env`/`token_file`, or `username` with `password_env`/`password_file`";
        if let Some(problem) = http_url_problem(&self.url, goes) {
            problems.push((at("url"), problem));
        }
        if self.stream.as_deref().is_some_and(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_hexdigit())) {
            problems.push((at("stream"), "stream is a stream's id (24 hex digits)".into()));
        }
        let named = [
            ("message_field", &self.message_field),
            ("level_field", &self.level_field),
            ("trace_field", &self.trace_field),
        ];
        remote::check_field_names(at, named.into_iter().chain(self.fields.iter().map(|f| ("fields", f))), problems);
        if !(1..=10_000).contains(&self.page) {
            problems.push((at("page"), "page must be 1 to 10000 messages".into()));
        }
        self.login().check(at, problems);
    }

    fn check_query(&self, query: &str) -> Result<(), String> {
        template::check_unquoted_slots(query)
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(GraylogSource::new(log, self)?))
    }
}

pub struct GraylogSource {
    name: String,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    endpoint: String,
    auth: Auth,
    filter: Option<String>,
    message: String,
    level: String,
    trace: String,
    /// The `fields` parameter: what each message comes back with.
    fields: String,
    page: usize,
    max_bytes: u64,
}

impl GraylogSource {
    pub fn new(cfg: &LogConfig, gl: &GraylogConfig) -> Result<Self, SourceError> {
        let auth = match gl.login().resolve().map_err(SourceError::new)? {
            // Graylog's access tokens: the token as the user, the word `token` as the password.
            Credentials::Token(t) => Auth::basic(t.expose().to_owned(), Secret::from_config("token")),
            other => Auth::from_login(other),
        };
        let client = http::client(Limits::for_source(cfg.timeout, cfg.max_bytes), gl.ca_file.as_deref())?;
        let mut fields = vec![TIMESTAMP, "source", &gl.message_field, &gl.level_field, &gl.trace_field];
        fields.extend(gl.fields.iter().map(String::as_str));
        fields.dedup();
        Ok(GraylogSource {
            name: cfg.name.clone(),
            inner: Arc::new(Inner {
                client,
                endpoint: format!("{}/api/search/universal/absolute", gl.url.trim_end_matches('/')),
                auth,
                filter: gl.stream.as_ref().map(|s| format!("streams:{s}")),
                message: gl.message_field.clone(),
                level: gl.level_field.clone(),
                trace: gl.trace_field.clone(),
                fields: fields.join(","),
                page: gl.page,
                max_bytes: cfg.max_bytes,
            }),
        })
    }
}

impl LogSource for GraylogSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// A label value becomes one quoted phrase of Graylog's (Lucene) query syntax.
    fn escape(&self, value: &str) -> Result<String, String> {
        template::quoted_phrase(value)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        Box::new(GraylogTail {
            name: self.name.clone(),
            inner: self.inner.clone(),
            query: plan.query.filter(|q| !q.trim().is_empty()).unwrap_or_else(|| "*".into()),
            since: plan.since,
            limit: plan.limit,
            seen: Seen::default(),
        })
    }
}

struct GraylogTail {
    name: String,
    inner: Arc<Inner>,
    query: String,
    since: DateTime<Utc>,
    limit: usize,
    seen: Seen,
}

/// Reads a universal search answer: its messages as lines, ids their `_id` (else where and
/// when they were and what they said); `keys` and `trace` name the configured fields.
pub fn parse_search(source: &str, body: &[u8], keys: &Keys<'_>, trace: &str) -> Result<Vec<Found>, SourceError> {
    let resp: Response = remote::json("Graylog", body)?;
    Ok(resp
        .messages
        .into_iter()
        .map(|m| {
            let id = m.message.get("_id").and_then(Value::as_str).map(str::to_owned);
            let mut line = remote::document_line(source, m.message, keys, Some(trace));
            // `_id` says which message this is, not what it says.
            line.fields.remove("_id");
            let id = id.unwrap_or_else(|| format!("{}/{:?}/{}", m.index, line.at, line.message));
            Found::new(id, line)
        })
        .collect())
}

/// Graylog's absolute time format, `2014-01-23T15:34:49.000Z`.
fn graylog_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

impl GraylogTail {
    async fn search(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
        offset: usize,
        order: &str,
    ) -> Result<Vec<Found>, SourceError> {
        let inner = &self.inner;
        let mut params = vec![
            ("query", self.query.clone()),
            ("from", graylog_time(from)),
            ("to", graylog_time(to)),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
            ("sort", format!("{TIMESTAMP}:{order}")),
            ("fields", inner.fields.clone()),
            ("decorate", "false".into()),
        ];
        if let Some(filter) = &inner.filter {
            params.push(("filter", filter.clone()));
        }
        let req = inner.client.get(&inner.endpoint).query(&params).header(reqwest::header::ACCEPT, "application/json");
        let body = http::fetch(inner.auth.apply(req), inner.max_bytes).await?;
        let keys = Keys { message: Some(&inner.message), level: Some(&inner.level), time: Some(TIMESTAMP) };
        parse_search(&self.name, &body, &keys, &inner.trace)
    }

    /// Newest first, by offset, until the limit or the start; the end fixed at the first page.
    async fn window(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let to = Utc::now();
        let page = self.inner.page.max(1);
        let mut got: Vec<Found> = Vec::new();
        for _ in 0..=self.limit.div_ceil(page) {
            let want = (self.limit - got.len()).min(page);
            if want == 0 {
                break;
            }
            let msgs = self.search(self.since, to, want, got.len(), "desc").await?;
            let n = msgs.len();
            got.extend(msgs);
            if n < want {
                break;
            }
        }
        got.reverse();
        self.seen.remember(&got);
        self.seen.at_least(self.since.timestamp_millis());
        Ok(remote::lines(got))
    }

    async fn since_last(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let from = self.seen.newest_ms().and_then(DateTime::from_timestamp_millis).unwrap_or(self.since);
        let limit = self.inner.page.max(1) + self.seen.repeats();
        let found = self.search(from, Utc::now(), limit, 0, "asc").await?;
        Ok(remote::lines(self.seen.fresh(found)))
    }
}

impl LogTail for GraylogTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(
            async move { if self.seen.newest_ms().is_some() { self.since_last().await } else { self.window().await } },
        )
    }
}

#[derive(Deserialize)]
struct Response {
    messages: Vec<Summary>,
}

/// One entry of `messages`: the message itself and the index it came from.
#[derive(Deserialize)]
struct Summary {
    message: Value,
    #[serde(default)]
    index: String,
}
