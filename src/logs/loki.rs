//! Grafana Loki: `GET /loki/api/v1/query_range` with a LogQL query. Loki has no cursor: the
//! window is read newest first (`direction=backward`) in pages of `page` lines, each page
//! ending where the last one's oldest line was; following asks for what came after the
//! newest line seen (`direction=forward`).

use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan};
use crate::config::{At, Problems, Secret, SecretField, TOKEN_GOES, http_url_problem};
use crate::http::{self, Limits};
use crate::model::{Level, LogLine, field_value};
use crate::sanitize::sanitize_line;
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `kind = "loki"`: Grafana Loki's `query_range`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LokiConfig {
    pub url: String,
    /// Tenant, sent as X-Scope-OrgID.
    pub org_id: Option<String>,
    /// Bearer token.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Lines per request; the window is read newest first in pages of this size.
    #[serde(default = "default_page")]
    pub page: usize,
}

fn default_page() -> usize {
    1000
}

impl LokiConfig {
    pub fn token(&self) -> SecretField<'_> {
        SecretField::new("token", &self.token_env, &self.token_file)
    }
}

impl KindConfig for LokiConfig {
    fn validate(&self, log: &LogConfig, at: At<'_>, problems: &mut Problems) {
        if let Some(problem) = http_url_problem(&self.url, TOKEN_GOES) {
            problems.push((at("url"), problem));
        }
        if log.query.is_none() && log.matches.iter().all(|m| m.query.is_none()) {
            problems.push((
                at("kind"),
                "a loki log source needs a `query`, e.g. '{instance=\"{{ labels.instance }}\"}'".into(),
            ));
        }
        if self.org_id.as_deref().is_some_and(|o| o.trim().is_empty() || o.contains(['\n', '\r'])) {
            problems.push((at("org_id"), "org_id is a tenant name, not empty".into()));
        }
        if !(1..=5000).contains(&self.page) {
            problems.push((at("page"), "page must be 1 to 5000 lines (Loki's max_entries_limit)".into()));
        }
        self.token().check(at, problems);
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(LokiSource::new(log, self)?))
    }
}

pub struct LokiSource {
    name: String,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    endpoint: String,
    org_id: Option<String>,
    token: Option<Secret>,
    page: usize,
    max_bytes: u64,
}

impl LokiSource {
    pub fn new(cfg: &LogConfig, loki: &LokiConfig) -> Result<Self, SourceError> {
        let token = loki.token().resolve().map_err(SourceError::new)?;
        let limits = Limits::for_source(cfg.timeout, cfg.max_bytes);
        let client = http::client(limits, loki.ca_file.as_deref())?;
        Ok(LokiSource {
            name: cfg.name.clone(),
            inner: Arc::new(Inner {
                client,
                endpoint: format!("{}/loki/api/v1/query_range", loki.url.trim_end_matches('/')),
                org_id: loki.org_id.clone(),
                token,
                page: loki.page,
                max_bytes: cfg.max_bytes,
            }),
        })
    }
}

impl LogSource for LokiSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Values go inside LogQL's double-quoted strings.
    fn escape(&self, value: &str) -> Result<String, String> {
        super::template::logql_string(value)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        Box::new(LokiTail {
            name: self.name.clone(),
            inner: self.inner.clone(),
            query: plan.query.unwrap_or_default(),
            since: plan.since,
            limit: plan.limit,
            newest: None,
            started: false,
        })
    }
}

struct LokiTail {
    name: String,
    inner: Arc<Inner>,
    query: String,
    since: DateTime<Utc>,
    limit: usize,
    /// Nanoseconds of the newest line seen.
    newest: Option<i128>,
    started: bool,
}

/// One entry of a stream: its time in nanoseconds and the line.
type Entry = (i128, LogLine);

impl LokiTail {
    async fn request(&self, start: i128, end: i128, limit: usize, backward: bool) -> Result<Vec<Entry>, SourceError> {
        let inner = &self.inner;
        let mut req = inner.client.get(&inner.endpoint).query(&[
            ("query", self.query.as_str()),
            ("start", &start.to_string()),
            ("end", &end.to_string()),
            ("limit", &limit.to_string()),
            ("direction", if backward { "backward" } else { "forward" }),
        ]);
        if let Some(org) = &inner.org_id {
            req = req.header("X-Scope-OrgID", org);
        }
        if let Some(token) = &inner.token {
            req = req.bearer_auth(token.expose());
        }
        let body = http::fetch(req, inner.max_bytes).await?;
        parse_response(&self.name, &body)
    }

    /// Newest first, page by page, until the limit or the window's start.
    async fn window(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let start = nanos(self.since);
        let mut end = nanos(Utc::now()) + 1;
        let mut got: Vec<Entry> = Vec::new();
        let page = self.inner.page.max(1);
        for _ in 0..=self.limit.div_ceil(page) {
            let want = (self.limit - got.len()).min(page);
            if want == 0 {
                break;
            }
            let mut entries = self.request(start, end, want, true).await?;
            // `end` is exclusive in Loki; a server that included it would repeat lines.
            entries.retain(|(t, l)| *t < end || !got.iter().any(|(gt, gl)| gt == t && gl.message == l.message));
            let n = entries.len();
            let Some(oldest) = entries.iter().map(|(t, _)| *t).min() else { break };
            got.extend(entries);
            if n < want {
                break;
            }
            end = oldest;
        }
        got.sort_by_key(|(t, _)| *t);
        if got.len() > self.limit {
            got.drain(..got.len() - self.limit);
        }
        self.newest = got.last().map(|(t, _)| *t).or(Some(start.max(end - 1)));
        Ok(got.into_iter().map(|(_, l)| l).collect())
    }

    /// What came after the newest line seen.
    async fn since_last(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let start = self.newest.map_or(nanos(self.since), |n| n + 1);
        let end = nanos(Utc::now()) + 1;
        let mut entries = self.request(start, end, self.inner.page.max(1), false).await?;
        entries.sort_by_key(|(t, _)| *t);
        if let Some((t, _)) = entries.last() {
            self.newest = Some(*t);
        }
        Ok(entries.into_iter().map(|(_, l)| l).collect())
    }
}

impl LogTail for LokiTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(async move {
            if self.started {
                self.since_last().await
            } else {
                let lines = self.window().await?;
                self.started = true;
                Ok(lines)
            }
        })
    }
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    #[serde(default)]
    result: Vec<Stream>,
}

#[derive(Deserialize)]
struct Stream {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Vec<serde_json::Value>>,
}

/// The streams of a `query_range` answer as timed lines; anything else is an error that
/// says what came back.
pub fn parse_response(source: &str, body: &[u8]) -> Result<Vec<Entry>, SourceError> {
    let resp: Response =
        serde_json::from_slice(body).map_err(|e| SourceError::new(format!("not a Loki answer: {e}")))?;
    if resp.status != "success" {
        return Err(SourceError::new(format!("Loki says {}: {}", resp.status, resp.error.unwrap_or_default())));
    }
    let data = resp.data.ok_or_else(|| SourceError::new("Loki's answer has no data"))?;
    if data.result_type != "streams" {
        return Err(SourceError::new(format!(
            "Loki answered with {} rather than log lines: is the query a metric query?",
            data.result_type
        )));
    }
    let mut out = Vec::new();
    for stream in data.result {
        let labels: crate::model::Fields =
            stream.stream.iter().map(|(k, v)| (sanitize_line(k), field_value(v))).collect();
        for value in stream.values {
            let (Some(ts), Some(text)) =
                (value.first().and_then(|v| v.as_str()), value.get(1).and_then(|v| v.as_str()))
            else {
                return Err(SourceError::new("a Loki value is not [\"<ns>\", \"<line>\"]"));
            };
            let ns: i128 =
                ts.parse().map_err(|_| SourceError::new(format!("a Loki timestamp {ts:?} is not nanoseconds")))?;
            let mut line = LogLine::parse(source, text);
            if line.at.is_none() {
                let secs = i64::try_from(ns.div_euclid(1_000_000_000)).unwrap_or(0);
                line.at = DateTime::from_timestamp(secs, ns.rem_euclid(1_000_000_000) as u32);
            }
            if line.level.is_none() {
                line.level =
                    ["level", "detected_level", "severity"].iter().find_map(|k| labels.get(k)).and_then(Level::parse);
            }
            // Loki 3's structured metadata: a third element of string pairs.
            if let Some(serde_json::Value::Object(meta)) = value.get(2) {
                for (k, v) in meta {
                    if let Some(v) = v.as_str() {
                        line.fields.insert(sanitize_line(k), field_value(v));
                    }
                }
            }
            line.labels = labels.clone();
            out.push((ns, line));
        }
    }
    Ok(out)
}
