//! Sumo Logic: the Search Job API on the account's regional endpoint. Each read creates a job
//! (`POST /api/v1/search/jobs` with the query and an epoch-ms range), polls its status until
//! it is done gathering, pages its messages (`/messages?offset&limit`, newest first) and
//! deletes it, on error too (and when the read is abandoned at its timeout: the delete is
//! sent from a guard). The API needs its cookies sent back within a job; they are kept per
//! job. Following runs a job from the newest time seen (inclusive) and takes the oldest
//! `page` new messages, dropping the `_messageid`s already shown at that time (see [`Seen`]).

use super::remote::{self, Auth, Found, Seen};
use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan, template};
use crate::config::{At, Problems, SecretField, http_url_problem};
use crate::http::{self, Limits};
use crate::model::LogLine;
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `kind = "sumologic"`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SumoConfig {
    /// The deployment (`us1`, `us2`, `eu`, `de`, `au`, `ca`, `ch`, `in`, `jp`, `kr`, `fed`),
    /// or `url` for an endpoint given whole.
    pub region: Option<String>,
    pub url: Option<String>,
    /// The access id and key (basic auth), from the environment or 0600 files.
    pub access_id_env: Option<String>,
    pub access_id_file: Option<PathBuf>,
    pub access_key_env: Option<String>,
    pub access_key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// Where a message's level is, when `_raw` does not say.
    #[serde(default = "default_level")]
    pub level_field: String,
    /// Fields shown beside the message (besides `_sourcehost`, `_sourcename`, `_sourcecategory`).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Messages per page, and most one follow read takes.
    #[serde(default = "default_page")]
    pub page: usize,
}

fn default_level() -> String {
    "level".into()
}
fn default_page() -> usize {
    1000
}

const REGIONS: &[&str] = &["us1", "us2", "eu", "de", "au", "ca", "ch", "in", "jp", "kr", "fed"];
/// What every message carries that says where it came from.
const ORIGIN: &[&str] = &["_sourcehost", "_sourcename", "_sourcecategory"];
const DONE: &str = "DONE GATHERING RESULTS";
/// Paused by Sumo at its message cap: what was gathered is the newest part of the range.
const PAUSED: &str = "FORCE PAUSED";

impl SumoConfig {
    fn access_id(&self) -> SecretField<'_> {
        SecretField::new("access_id", &self.access_id_env, &self.access_id_file)
    }

    fn access_key(&self) -> SecretField<'_> {
        SecretField::new("access_key", &self.access_key_env, &self.access_key_file)
    }

    /// The API's base: the region's endpoint, or the `url` given.
    fn base(&self) -> String {
        match (&self.url, self.region.as_deref()) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some("us1") | None) => "https://api.sumologic.com".to_owned(),
            (None, Some(region)) => format!("https://api.{region}.sumologic.com"),
        }
    }
}

impl KindConfig for SumoConfig {
    fn validate(&self, log: &LogConfig, at: At<'_>, problems: &mut Problems) {
        match (&self.url, &self.region) {
            (Some(_), Some(_)) => problems.push((at("url"), "give a `region` or a `url`, not both".into())),
            (None, None) => {
                problems.push((at("region"), format!("say which deployment: region = one of {}", REGIONS.join(", "))))
            }
            (None, Some(r)) if !REGIONS.contains(&r.as_str()) => problems
                .push((at("region"), format!("{r:?} is not a Sumo Logic deployment: one of {}", REGIONS.join(", ")))),
            (Some(url), None) => {
                let goes = "give the access id and key with `access_id_env`/`access_id_file` and `access_key_env`/`access_key_file`";
                if let Some(problem) = http_url_problem(url, goes) {
                    problems.push((at("url"), problem));
                }
            }
            _ => {}
        }
        if log.query.is_none() && log.matches.iter().all(|m| m.query.is_none()) {
            problems.push((at("kind"), "a sumologic log source needs a `query`, e.g. '_sourceHost={{ host }}'".into()));
        }
        if !self.access_id().is_given() || !self.access_key().is_given() {
            problems.push((
                at("access_id_env"),
                "Sumo Logic needs an access id and key (`access_id_*` and `access_key_*`)".into(),
            ));
        }
        self.access_id().check(at, problems);
        self.access_key().check(at, problems);
        let named = std::iter::once(("level_field", &self.level_field));
        remote::check_field_names(at, named.chain(self.fields.iter().map(|f| ("fields", f))), problems);
        if !(1..=10_000).contains(&self.page) {
            problems.push((at("page"), "page must be 1 to 10000 messages (the API's largest page)".into()));
        }
    }

    fn check_query(&self, query: &str) -> Result<(), String> {
        template::check_unquoted_slots(query)
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(SumoSource::new(log, self)?))
    }
}

pub struct SumoSource {
    name: String,
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    jobs: String,
    auth: Auth,
    level: String,
    fields: Vec<String>,
    page: usize,
    max_bytes: u64,
    /// How long between two looks at a job's state.
    poll: Duration,
}

impl SumoSource {
    pub fn new(cfg: &LogConfig, sumo: &SumoConfig) -> Result<Self, SourceError> {
        let missing = || SourceError::new("Sumo Logic needs an access id and key");
        let id = sumo.access_id().resolve().map_err(SourceError::new)?.ok_or_else(missing)?;
        let key = sumo.access_key().resolve().map_err(SourceError::new)?.ok_or_else(missing)?;
        let client = http::client(Limits::for_source(cfg.timeout, cfg.max_bytes), sumo.ca_file.as_deref())?;
        Ok(SumoSource {
            name: cfg.name.clone(),
            inner: Arc::new(Inner {
                client,
                jobs: format!("{}/api/v1/search/jobs", sumo.base()),
                auth: Auth::basic(id.expose().to_owned(), key),
                level: sumo.level_field.clone(),
                fields: sumo.fields.clone(),
                page: sumo.page,
                max_bytes: cfg.max_bytes,
                // Sumo allows four requests a second per user; a job's state needs no more.
                poll: (cfg.timeout / 20).clamp(Duration::from_millis(20), Duration::from_millis(500)),
            }),
        })
    }
}

impl LogSource for SumoSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// A label value becomes one quoted string; one holding `*` is refused (a wildcard).
    fn escape(&self, value: &str) -> Result<String, String> {
        template::quoted_literal(value)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        Box::new(SumoTail {
            name: self.name.clone(),
            inner: self.inner.clone(),
            query: plan.query.unwrap_or_default(),
            since: plan.since,
            limit: plan.limit,
            seen: Seen::default(),
        })
    }
}

/// One search job: its id and the cookies its answers set, deleted when dropped unless
/// [`Job::delete`] already did.
struct Job {
    inner: Arc<Inner>,
    url: String,
    cookies: BTreeMap<String, String>,
    deleted: bool,
}

impl Job {
    fn request(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let req = self.inner.auth.apply(req).header(reqwest::header::ACCEPT, "application/json");
        if self.cookies.is_empty() {
            return req;
        }
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req.header(reqwest::header::COOKIE, cookie.join("; "))
    }

    /// Sends `req` with the job's cookies, keeps what it sets, and reads the body.
    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, SourceError> {
        let mut resp = http::open(self.request(req), self.inner.max_bytes).await?;
        keep_cookies(&mut self.cookies, resp.headers());
        Ok(http::read_body(&mut resp, self.inner.max_bytes).await?)
    }

    async fn create(inner: &Arc<Inner>, query: &str, from_ms: i64, to_ms: i64) -> Result<Job, SourceError> {
        let mut job = Job { inner: inner.clone(), url: String::new(), cookies: BTreeMap::new(), deleted: true };
        // Epoch milliseconds, so the time zone (required all the same) changes nothing.
        let body = json!({"query": query, "from": from_ms.to_string(), "to": to_ms.to_string(), "timeZone": "UTC"});
        let created: Created =
            remote::json("Sumo Logic", &job.send(remote::with_json(inner.client.post(&inner.jobs), &body)).await?)?;
        if created.id.is_empty() || !created.id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SourceError::new(format!("Sumo Logic gave a job id {:?} klaxon cannot use", created.id)));
        }
        job.url = format!("{}/{}", inner.jobs, created.id);
        job.deleted = false;
        Ok(job)
    }

    /// Waits until the job has gathered everything (or was paused at Sumo's cap); its count.
    async fn wait(&mut self) -> Result<usize, SourceError> {
        loop {
            let status: Status = remote::json("Sumo Logic", &self.send(self.inner.client.get(&self.url)).await?)?;
            if let Some(err) = status.pending_errors.first() {
                let err = err.as_str().map_or_else(|| err.to_string(), str::to_owned);
                return Err(SourceError::new(format!("Sumo Logic: {err}")));
            }
            match status.state.as_str() {
                DONE | PAUSED => return Ok(status.message_count),
                "CANCELLED" => return Err(SourceError::new("Sumo Logic cancelled the search job")),
                _ => tokio::time::sleep(self.inner.poll).await,
            }
        }
    }

    /// Messages `offset..offset + limit`, newest first as the API pages them.
    async fn messages(&mut self, source: &str, offset: usize, limit: usize) -> Result<Vec<Found>, SourceError> {
        let req =
            self.inner.client.get(format!("{}/messages", self.url)).query(&[("offset", offset), ("limit", limit)]);
        let body = self.send(req).await?;
        parse_messages(source, &body, &self.inner.level, &self.inner.fields)
    }

    async fn delete(mut self) {
        self.deleted = true;
        let req = self.request(self.inner.client.delete(&self.url));
        let _ = http::fetch(req, self.inner.max_bytes).await;
    }
}

impl Drop for Job {
    /// A read abandoned midway (its timeout) still deletes its job, in the background.
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let req = self.request(self.inner.client.delete(&self.url));
            let max = self.inner.max_bytes;
            rt.spawn(async move {
                let _ = http::fetch(req, max).await;
            });
        }
    }
}

/// `Set-Cookie: name=value; Path=/; …` → name, value.
fn keep_cookies(jar: &mut BTreeMap<String, String>, headers: &reqwest::header::HeaderMap) {
    for set in headers.get_all(reqwest::header::SET_COOKIE) {
        let Ok(set) = set.to_str() else { continue };
        let pair = set.split(';').next().unwrap_or_default();
        if let Some((name, value)) = pair.split_once('=')
            && !name.trim().is_empty()
        {
            jar.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

struct SumoTail {
    name: String,
    inner: Arc<Inner>,
    query: String,
    since: DateTime<Utc>,
    limit: usize,
    seen: Seen,
}

/// Reads a page of a job's messages (newest first, as the API gives them): each `map` as a
/// line, `_raw` its text, `_messagetime` its time, `_messageid` its id. `level` and `fields`
/// name the configured fields.
pub fn parse_messages(source: &str, body: &[u8], level: &str, fields: &[String]) -> Result<Vec<Found>, SourceError> {
    let page: Messages = remote::json("Sumo Logic", body)?;
    let shown: Vec<&str> = ORIGIN.iter().copied().chain(fields.iter().map(String::as_str)).collect();
    Ok(page
        .messages
        .into_iter()
        .map(|m| {
            let get = |k: &str| m.map.get(k).and_then(remote::value_text);
            let at = get("_messagetime").and_then(|t| t.parse::<i64>().ok()).and_then(DateTime::from_timestamp_millis);
            let line = remote::raw_line(source, &m.map, at, level, &shown);
            let id = get("_messageid").unwrap_or_else(|| format!("{:?}/{}", line.at, get("_raw").unwrap_or_default()));
            Found::new(id, line)
        })
        .collect())
}

impl SumoTail {
    /// One job over `from_ms..now`, read (see [`SumoTail::read`]) and deleted.
    async fn run(&self, from_ms: i64, most: usize, oldest: bool) -> Result<Vec<Found>, SourceError> {
        let mut job = Job::create(&self.inner, &self.query, from_ms, Utc::now().timestamp_millis() + 1).await?;
        let read = self.read(&mut job, most, oldest).await;
        job.delete().await;
        read
    }

    /// The newest `most` messages, or with `oldest` the oldest `most`, oldest first.
    async fn read(&self, job: &mut Job, most: usize, oldest: bool) -> Result<Vec<Found>, SourceError> {
        let count = job.wait().await?;
        let (start, end) = if oldest { (count.saturating_sub(most), count) } else { (0, count.min(most)) };
        let page = self.inner.page.max(1);
        let mut got = Vec::new();
        let mut offset = start;
        while offset < end {
            let want = (end - offset).min(page);
            let found = job.messages(&self.name, offset, want).await?;
            let n = found.len();
            got.extend(found);
            offset += n;
            if n < want {
                break;
            }
        }
        got.reverse();
        Ok(got)
    }

    async fn window(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let msgs = self.run(self.since.timestamp_millis(), self.limit, false).await?;
        self.seen.remember(&msgs);
        self.seen.at_least(self.since.timestamp_millis());
        Ok(remote::lines(msgs))
    }

    async fn since_last(&mut self) -> Result<Vec<LogLine>, SourceError> {
        let from = self.seen.newest_ms().unwrap_or(self.since.timestamp_millis());
        let most = self.inner.page.max(1) + self.seen.repeats();
        let msgs = self.run(from, most, true).await?;
        Ok(remote::lines(self.seen.fresh(msgs)))
    }
}

impl LogTail for SumoTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(
            async move { if self.seen.newest_ms().is_some() { self.since_last().await } else { self.window().await } },
        )
    }
}

#[derive(Deserialize)]
struct Created {
    #[serde(default)]
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    state: String,
    #[serde(default)]
    message_count: usize,
    #[serde(default)]
    pending_errors: Vec<Value>,
}

#[derive(Deserialize)]
struct Messages {
    #[serde(default)]
    messages: Vec<MessageMap>,
}

#[derive(Deserialize)]
struct MessageMap {
    map: serde_json::Map<String, Value>,
}
