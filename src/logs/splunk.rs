//! Splunk: `POST /services/search/jobs/export` (management port) with an SPL search filled
//! from the alert, `output_mode=json` and an epoch `earliest_time`/`latest_time`. The answer
//! streams one JSON object per line as results are found; each line is parsed as it arrives
//! and the read stops at the limit or the size cap, whichever comes first. The window is the
//! newest `limit` events (`| head`); following asks, oldest first (`| reverse | head`), for
//! what is at or after the newest time seen and drops the events already shown at that time
//! (by `_bkt`/`_cd`, Splunk's bucket and address of an event; see [`Seen`]).

use super::remote::{self, Auth, Found, Seen};
use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan, template};
use crate::config::{At, Login, Problems, http_url_problem};
use crate::http::{self, HttpError, Limits};
use crate::model::LogLine;
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `kind = "splunk"`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplunkConfig {
    /// The management port: `https://splunk.example.com:8089`.
    pub url: String,
    /// An authentication token (Bearer), or `username` with `password_env`/`password_file`.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// Where an event's level is, when `_raw` does not say.
    #[serde(default = "default_level")]
    pub level_field: String,
    /// Fields shown beside the message (besides host, source and sourcetype).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Most events one follow read takes.
    #[serde(default = "default_page")]
    pub page: usize,
}

fn default_level() -> String {
    "log_level".into()
}
fn default_page() -> usize {
    500
}

/// Fields every event has that say where it came from.
const ORIGIN: &[&str] = &["host", "source", "sourcetype", "index"];

impl SplunkConfig {
    fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }
}

impl KindConfig for SplunkConfig {
    fn validate(&self, log: &LogConfig, at: At<'_>, problems: &mut Problems) {
        let goes = "give a token with `token_env`/`token_file`, or `username` with `password_env`/`password_file`";
        if let Some(problem) = http_url_problem(&self.url, goes) {
            problems.push((at("url"), problem));
        }
        if log.query.is_none() && log.matches.iter().all(|m| m.query.is_none()) {
            problems.push((at("kind"), "a splunk log source needs a `query`, e.g. 'index=app host={{ host }}'".into()));
        }
        let named = std::iter::once(("level_field", &self.level_field));
        remote::check_field_names(at, named.chain(self.fields.iter().map(|f| ("fields", f))), problems);
        if !(1..=10_000).contains(&self.page) {
            problems.push((at("page"), "page must be 1 to 10000 events".into()));
        }
        self.login().check(at, problems);
    }

    fn check_query(&self, query: &str) -> Result<(), String> {
        template::check_unquoted_slots(query)
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(SplunkSource::new(log, self)?))
    }
}

pub struct SplunkSource {
    name: String,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    endpoint: String,
    auth: Auth,
    level: String,
    fields: Vec<String>,
    page: usize,
    max_bytes: u64,
}

impl SplunkSource {
    pub fn new(cfg: &LogConfig, sp: &SplunkConfig) -> Result<Self, SourceError> {
        let auth = Auth::from_login(sp.login().resolve().map_err(SourceError::new)?);
        let client = http::client(Limits::for_source(cfg.timeout, cfg.max_bytes), sp.ca_file.as_deref())?;
        Ok(SplunkSource {
            name: cfg.name.clone(),
            inner: Arc::new(Inner {
                client,
                endpoint: format!("{}/services/search/jobs/export", sp.url.trim_end_matches('/')),
                auth,
                level: sp.level_field.clone(),
                fields: sp.fields.clone(),
                page: sp.page,
                max_bytes: cfg.max_bytes,
            }),
        })
    }
}

impl LogSource for SplunkSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// A label value becomes one quoted SPL string; one holding `*` is refused (SPL reads it
    /// as a wildcard even inside quotes, and no escape makes it literal).
    fn escape(&self, value: &str) -> Result<String, String> {
        template::quoted_literal(value)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        let query = plan.query.unwrap_or_default();
        let trimmed = query.trim_start();
        // The export endpoint wants a whole search: a bare filter gets the implied command.
        let search = if trimmed.starts_with('|') || trimmed.starts_with("search ") {
            query.clone()
        } else {
            format!("search {query}")
        };
        Box::new(SplunkTail {
            name: self.name.clone(),
            inner: self.inner.clone(),
            search,
            since: plan.since,
            limit: plan.limit,
            seen: Seen::default(),
        })
    }
}

struct SplunkTail {
    name: String,
    inner: Arc<Inner>,
    search: String,
    since: DateTime<Utc>,
    limit: usize,
    seen: Seen,
}

/// One line of the `output_mode=json` export stream: a final result as a line (its id
/// `_bkt/_cd`), a preview or blank line as nothing, a `FATAL`/`ERROR` message as the error.
/// `level` and `fields` name the configured fields.
pub fn parse_line(source: &str, raw: &[u8], level: &str, fields: &[String]) -> Result<Option<Found>, SourceError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let line: StreamLine = remote::json("Splunk export", raw)?;
    if let Some(bad) = line.messages.iter().find(|m| matches!(m.kind.as_str(), "FATAL" | "ERROR")) {
        return Err(SourceError::new(format!("Splunk says {}: {}", bad.kind, bad.text)));
    }
    let Some(Value::Object(result)) = line.result.filter(|_| !line.preview) else { return Ok(None) };
    let get = |k: &str| result.get(k).and_then(remote::value_text);
    let at = get("_time").and_then(|t| crate::model::parse_time(&t));
    let shown: Vec<&str> = ORIGIN.iter().copied().chain(fields.iter().map(String::as_str)).collect();
    let line = remote::raw_line(source, &result, at, level, &shown);
    let id = match (get("_bkt"), get("_cd")) {
        (Some(bkt), Some(cd)) => format!("{bkt}/{cd}"),
        _ => format!("{:?}/{}", line.at, get("_raw").unwrap_or_default()),
    };
    Ok(Some(Found::new(id, line)))
}

/// Epoch seconds with milliseconds, as `earliest_time`/`latest_time` take them.
fn epoch(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

impl SplunkTail {
    /// Runs `search` from `earliest` (ms) until now and reads at most `most` results.
    async fn export(&self, search: String, earliest: i64, most: usize) -> Result<Vec<Found>, SourceError> {
        let inner = &self.inner;
        let form = [
            ("search", search),
            ("output_mode", "json".to_owned()),
            ("earliest_time", epoch(earliest)),
            ("latest_time", epoch(Utc::now().timestamp_millis() + 1)),
        ];
        let req = remote::with_form(inner.client.post(&inner.endpoint), &form);
        let mut resp = http::open(inner.auth.apply(req), inner.max_bytes).await?;
        let mut events = Vec::new();
        let (mut pending, mut read) = (Vec::<u8>::new(), 0u64);
        loop {
            let chunk = http::next_chunk(&mut resp).await?;
            let done = chunk.is_none();
            if let Some(chunk) = chunk {
                read += chunk.len() as u64;
                if read > inner.max_bytes {
                    return Err(HttpError::TooLarge(inner.max_bytes).into());
                }
                pending.extend_from_slice(&chunk);
            }
            // Every whole line so far (at the end, the last one without its newline too).
            let upto =
                if done { pending.len() } else { pending.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) };
            for raw in pending.drain(..upto).collect::<Vec<u8>>().split(|b| *b == b'\n') {
                if let Some(event) = parse_line(&self.name, raw, &inner.level, &inner.fields)? {
                    events.push(event);
                    if events.len() >= most {
                        // Enough: dropping the answer closes the stream.
                        return Ok(events);
                    }
                }
            }
            if done {
                return Ok(events);
            }
        }
    }

    /// The newest `limit` events of the window, newest first as Splunk streams them.
    async fn window(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let search = format!("{} | head {}", self.search, self.limit);
        let mut events = self.export(search, self.since.timestamp_millis(), self.limit).await?;
        events.sort_by_key(|e| e.at_ms);
        self.seen.remember(&events);
        self.seen.at_least(self.since.timestamp_millis());
        Ok(remote::lines(events))
    }

    async fn since_last(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let from = self.seen.newest_ms().unwrap_or(self.since.timestamp_millis());
        let most = self.inner.page.max(1) + self.seen.repeats();
        let search = format!("{} | reverse | head {most}", self.search);
        let mut events = self.export(search, from, most).await?;
        events.sort_by_key(|e| e.at_ms);
        Ok(remote::lines(self.seen.fresh(events)))
    }
}

impl LogTail for SplunkTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(
            async move { if self.seen.newest_ms().is_some() { self.since_last().await } else { self.window().await } },
        )
    }
}

/// One line of `output_mode=json` export: `{"preview":false,"offset":0,"result":{…}}`, or
/// `{"messages":[{"type":"ERROR","text":"…"}]}`.
#[derive(Deserialize)]
struct StreamLine {
    #[serde(default)]
    preview: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: String,
}
