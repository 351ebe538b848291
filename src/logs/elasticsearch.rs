//! Elasticsearch and OpenSearch (same search API): `POST /<index>/_search` with a time range
//! on the timestamp field and a Lucene `query_string` filled from the alert. The window is
//! read newest first inside a point in time (a frozen view, so pages neither skip nor repeat
//! a line indexed meanwhile), sorted by time with `_shard_doc` as the tiebreaker and paged
//! with `search_after`. Following asks the index itself (a point in time would never see a
//! new line) for what is at or after the newest time seen, oldest first, and drops the
//! documents already shown at that very time: two lines sharing a timestamp are neither
//! repeated nor skipped, whatever order the server gives equal times in.

use super::remote::{self, Auth, Found, Seen};
use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan, template};
use crate::config::{At, Login, Problems, SecretField, http_url_problem};
use crate::http::{self, Limits};
use crate::model::{Keys, LogLine};
use crate::sources::SourceError;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `kind = "elasticsearch"`: Elasticsearch 7.10+ or OpenSearch 2.4+ (point in time).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchConfig {
    pub url: String,
    /// Index, alias, data stream or pattern: `logs-*`, `app-*,web-*`.
    pub index: String,
    #[serde(default)]
    pub flavor: Flavor,
    /// `Authorization: ApiKey <base64 id:key>` (what Kibana hands out as "encoded").
    pub api_key_env: Option<String>,
    pub api_key_file: Option<PathBuf>,
    /// Bearer token, or `username` with `password_env`/`password_file` for basic auth.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Where each document keeps its time, message, level and trace id (ECS names by default).
    #[serde(default = "default_timestamp")]
    pub timestamp_field: String,
    #[serde(default = "default_message")]
    pub message_field: String,
    #[serde(default = "default_level")]
    pub level_field: String,
    #[serde(default = "default_trace")]
    pub trace_field: String,
    /// More fields to fetch and show beside the message (`host.name`, `service.name` …).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Documents per request.
    #[serde(default = "default_page")]
    pub page: usize,
}

/// Which server: the point-in-time API differs, the search API does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    #[default]
    Elasticsearch,
    Opensearch,
}

fn default_timestamp() -> String {
    "@timestamp".into()
}
fn default_message() -> String {
    "message".into()
}
fn default_level() -> String {
    "log.level".into()
}
fn default_trace() -> String {
    "trace.id".into()
}
fn default_page() -> usize {
    500
}

/// How long the server keeps the window's point in time between two pages.
const KEEP_ALIVE: &str = "1m";

impl ElasticsearchConfig {
    fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }

    fn api_key(&self) -> SecretField<'_> {
        SecretField::new("api_key", &self.api_key_env, &self.api_key_file)
    }

    fn auth(&self) -> Result<Auth, String> {
        if let Some(key) = self.api_key().resolve()? {
            return Ok(Auth::ApiKey(key));
        }
        Ok(Auth::from_login(self.login().resolve()?))
    }
}

impl KindConfig for ElasticsearchConfig {
    fn validate(&self, _: &LogConfig, at: At<'_>, problems: &mut Problems) {
        let goes = "give credentials with `api_key_env`/`api_key_file`, `token_env`/`token_file`, or `username` \
                    with `password_env`/`password_file`";
        if let Some(problem) = http_url_problem(&self.url, goes) {
            problems.push((at("url"), problem));
        }
        if self.index.trim().is_empty()
            || self.index.contains(['/', '?', '#', ' ', '\n'])
            || self.index.starts_with('_')
        {
            problems.push((at("index"), format!("{:?} is not an index name or pattern (e.g. \"logs-*\")", self.index)));
        }
        let named = [
            ("timestamp_field", &self.timestamp_field),
            ("message_field", &self.message_field),
            ("level_field", &self.level_field),
            ("trace_field", &self.trace_field),
        ];
        remote::check_field_names(at, named.into_iter().chain(self.fields.iter().map(|f| ("fields", f))), problems);
        if !(1..=10_000).contains(&self.page) {
            problems.push((at("page"), "page must be 1 to 10000 documents (index.max_result_window)".into()));
        }
        self.api_key().check(at, problems);
        self.login().check(at, problems);
        if self.api_key().is_given() && self.login().is_given() {
            problems.push((at("api_key_env"), "give an API key, a token or a username and password: one".into()));
        }
    }

    fn check_query(&self, query: &str) -> Result<(), String> {
        template::check_unquoted_slots(query)
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(ElasticsearchSource::new(log, self)?))
    }
}

pub struct ElasticsearchSource {
    name: String,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    base: String,
    index: String,
    flavor: Flavor,
    auth: Auth,
    timestamp: String,
    message: String,
    level: String,
    trace: String,
    /// What `_source` is cut to: the fields the pane shows.
    source_fields: Vec<String>,
    page: usize,
    max_bytes: u64,
}

impl ElasticsearchSource {
    pub fn new(cfg: &LogConfig, es: &ElasticsearchConfig) -> Result<Self, SourceError> {
        let auth = es.auth().map_err(SourceError::new)?;
        let client = http::client(Limits::for_source(cfg.timeout, cfg.max_bytes), es.ca_file.as_deref())?;
        let mut source_fields = vec![es.timestamp_field.clone(), es.message_field.clone(), es.level_field.clone()];
        source_fields.push(es.trace_field.clone());
        source_fields.extend(es.fields.iter().cloned());
        Ok(ElasticsearchSource {
            name: cfg.name.clone(),
            inner: Arc::new(Inner {
                client,
                base: es.url.trim_end_matches('/').to_owned(),
                index: es.index.clone(),
                flavor: es.flavor,
                auth,
                timestamp: es.timestamp_field.clone(),
                message: es.message_field.clone(),
                level: es.level_field.clone(),
                trace: es.trace_field.clone(),
                source_fields,
                page: es.page,
                max_bytes: cfg.max_bytes,
            }),
        })
    }
}

impl LogSource for ElasticsearchSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// A label value becomes one quoted query_string phrase.
    fn escape(&self, value: &str) -> Result<String, String> {
        template::quoted_phrase(value)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        Box::new(EsTail {
            name: self.name.clone(),
            inner: self.inner.clone(),
            query: plan.query,
            since_ms: plan.since.timestamp_millis(),
            limit: plan.limit,
            seen: Seen::default(),
        })
    }
}

struct EsTail {
    name: String,
    inner: Arc<Inner>,
    query: Option<String>,
    since_ms: i64,
    limit: usize,
    /// Where the follow stands, once the window has been read; ids are `<index>/<id>`.
    seen: Seen,
}

/// One answer of `_search`: its documents as lines, each with its sort values, and the
/// point-in-time id to use next.
pub struct SearchPage {
    pub pit_id: Option<String>,
    pub hits: Vec<(Found, Vec<Value>)>,
}

/// Reads a `_search` answer; a partial one (shards failed, timed out) is an error. Ids are
/// `<index>/<id>`; `keys` and `trace` name the configured fields.
pub fn parse_search(
    source: &str,
    vendor: &str,
    body: &[u8],
    keys: &Keys<'_>,
    trace: &str,
) -> Result<SearchPage, SourceError> {
    let resp: SearchResponse = remote::json(vendor, body)?;
    if resp.timed_out || resp.shards.failed > 0 {
        return Err(SourceError::new(format!(
            "{vendor} answered in part ({} of {} shards failed{}): not shown as complete",
            resp.shards.failed,
            resp.shards.total,
            if resp.timed_out { ", timed out" } else { "" }
        )));
    }
    let hits = resp
        .hits
        .hits
        .into_iter()
        .map(|h| {
            let line = remote::document_line(source, h.source.unwrap_or(Value::Null), keys, Some(trace));
            let mut found = Found::new(format!("{}/{}", h.index, h.id), line);
            found.at_ms = found.at_ms.or_else(|| h.sort.first().and_then(Value::as_i64));
            (found, h.sort)
        })
        .collect();
    Ok(SearchPage { pit_id: resp.pit_id, hits })
}

impl EsTail {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.inner.base)
    }

    /// `bool.filter`: the time range and, when there is one, the query.
    fn query(&self, range: Value) -> Value {
        let mut filter = vec![json!({"range": {self.inner.timestamp.as_str(): range}})];
        if let Some(q) = self.query.as_deref().filter(|q| !q.trim().is_empty()) {
            filter.push(json!({"query_string": {"query": q}}));
        }
        json!({"bool": {"filter": filter}})
    }

    async fn post(&self, url: String, body: &Value) -> Result<Vec<u8>, SourceError> {
        let req = self.inner.auth.apply(remote::with_json(self.inner.client.post(url), body));
        Ok(http::fetch(req, self.inner.max_bytes).await?)
    }

    async fn search(&self, url: String, body: &Value) -> Result<SearchPage, SourceError> {
        let body = self.post(url, body).await?;
        let keys = Keys {
            message: Some(&self.inner.message),
            level: Some(&self.inner.level),
            time: Some(&self.inner.timestamp),
        };
        parse_search(&self.name, self.vendor(), &body, &keys, &self.inner.trace)
    }

    fn vendor(&self) -> &'static str {
        match self.inner.flavor {
            Flavor::Elasticsearch => "Elasticsearch",
            Flavor::Opensearch => "OpenSearch",
        }
    }

    async fn open_pit(&self) -> Result<String, SourceError> {
        let path = match self.inner.flavor {
            Flavor::Elasticsearch => format!("{}/_pit?keep_alive={KEEP_ALIVE}", self.inner.index),
            Flavor::Opensearch => format!("{}/_search/point_in_time?keep_alive={KEEP_ALIVE}", self.inner.index),
        };
        let req = self.inner.auth.apply(self.inner.client.post(self.url(&path)));
        let body = http::fetch(req, self.inner.max_bytes).await?;
        let opened: PitOpened = remote::json(self.vendor(), &body)?;
        opened.id.or(opened.pit_id).ok_or_else(|| SourceError::new("the point in time answer has no id"))
    }

    /// Best effort: a point in time left open expires after KEEP_ALIVE anyway.
    async fn close_pit(&self, id: &str) {
        let (path, body) = match self.inner.flavor {
            Flavor::Elasticsearch => ("_pit", json!({"id": id})),
            Flavor::Opensearch => ("_search/point_in_time", json!({"pit_id": [id]})),
        };
        let req = self.inner.auth.apply(remote::with_json(self.inner.client.delete(self.url(path)), &body));
        let _ = http::fetch(req, self.inner.max_bytes).await;
    }

    /// Newest first, page after page inside one point in time, until the limit or the start.
    async fn window(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let mut pit = self.open_pit().await?;
        let read = self.window_pages(&mut pit).await;
        self.close_pit(&pit).await;
        let mut found = read?;
        found.reverse();
        self.seen.remember(&found);
        self.seen.at_least(self.since_ms);
        Ok(remote::lines(found))
    }

    async fn window_pages(&self, pit: &mut String) -> Result<Vec<Found>, SourceError> {
        let range = json!({"gte": self.since_ms, "lte": Utc::now().timestamp_millis(), "format": "epoch_millis"});
        let query = self.query(range);
        let page = self.inner.page.max(1);
        let mut got: Vec<Found> = Vec::new();
        let mut after: Option<Vec<Value>> = None;
        for _ in 0..=self.limit.div_ceil(page) {
            let want = (self.limit - got.len()).min(page);
            if want == 0 {
                break;
            }
            let mut body = json!({
                "size": want,
                "query": query,
                "sort": [{self.inner.timestamp.as_str(): {"order": "desc"}}, {"_shard_doc": {"order": "desc"}}],
                "_source": self.inner.source_fields,
                "pit": {"id": pit.as_str(), "keep_alive": KEEP_ALIVE},
                "track_total_hits": false,
            });
            if let Some(after) = &after {
                body["search_after"] = json!(after);
            }
            let page = self.search(self.url("_search"), &body).await?;
            // The server may hand out a new id with each page: the newest is the one to use.
            if let Some(id) = page.pit_id {
                *pit = id;
            }
            let n = page.hits.len();
            after = page.hits.last().map(|(_, sort)| sort.clone());
            got.extend(page.hits.into_iter().map(|(found, _)| found));
            if n < want || after.as_ref().is_none_or(Vec::is_empty) {
                break;
            }
        }
        Ok(got)
    }

    /// What is at or after the newest time seen, oldest first, minus what was shown.
    async fn since_last(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let from = self.seen.newest_ms().unwrap_or(self.since_ms);
        let body = json!({
            // Room for everything already seen at `from` and a page beyond it.
            "size": self.inner.page.max(1) + self.seen.repeats(),
            "query": self.query(json!({"gte": from, "format": "epoch_millis"})),
            "sort": [{self.inner.timestamp.as_str(): {"order": "asc"}}],
            "_source": self.inner.source_fields,
            "track_total_hits": false,
        });
        let page = self.search(self.url(&format!("{}/_search", self.inner.index)), &body).await?;
        Ok(remote::lines(self.seen.fresh(page.hits.into_iter().map(|(found, _)| found).collect())))
    }
}

impl LogTail for EsTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(
            async move { if self.seen.newest_ms().is_some() { self.since_last().await } else { self.window().await } },
        )
    }
}

#[derive(Deserialize)]
struct PitOpened {
    /// Elasticsearch's name for it.
    id: Option<String>,
    /// OpenSearch's.
    pit_id: Option<String>,
}

#[derive(Deserialize)]
struct SearchResponse {
    #[serde(default)]
    pit_id: Option<String>,
    #[serde(default)]
    timed_out: bool,
    #[serde(default, rename = "_shards")]
    shards: Shards,
    hits: Hits,
}

#[derive(Deserialize, Default)]
struct Shards {
    #[serde(default)]
    total: u64,
    #[serde(default)]
    failed: u64,
}

#[derive(Deserialize)]
struct Hits {
    #[serde(default)]
    hits: Vec<Hit>,
}

#[derive(Deserialize)]
struct Hit {
    #[serde(default, rename = "_index")]
    index: String,
    #[serde(default, rename = "_id")]
    id: String,
    #[serde(default, rename = "_source")]
    source: Option<Value>,
    #[serde(default)]
    sort: Vec<Value>,
}
