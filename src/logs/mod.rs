//! Log sources: the lines that belong to an alert, from the time it started. One file per
//! kind behind the small [`LogSource`] trait; a [`LogTail`] first returns the window from
//! `before` the alert started until now, then, each time it is asked again, what came since.

pub mod elasticsearch;
pub mod file;
pub mod graylog;
pub mod journald;
pub mod loki;
pub mod remote;
pub mod splunk;
pub mod sumologic;
pub mod template;

use crate::config::{At, KeyPath, Problems, duration};
use crate::model::{Alert, AlertKey, LogLine};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

crate::config::kind_enum! {
    /// Every kind of log source: `kind = "…"` in `[[logs]]`.
    pub enum LogKind: dyn KindConfig {
        Journald(journald::JournaldConfig) = "journald",
        File(file::FileConfig) = "file",
        Loki(loki::LokiConfig) = "loki",
        Elasticsearch(elasticsearch::ElasticsearchConfig) = "elasticsearch",
        Graylog(graylog::GraylogConfig) = "graylog",
        Splunk(splunk::SplunkConfig) = "splunk",
        Sumologic(sumologic::SumoConfig) = "sumologic",
    }
}

/// What each kind's own settings (in the kind's own file) do.
pub trait KindConfig {
    /// Checks what serde cannot; `at` names a key of this log source's table.
    fn validate(&self, log: &LogConfig, at: At<'_>, problems: &mut Problems);
    /// A `query` (the source's or a match's) this kind cannot run, templates aside.
    fn check_query(&self, _query: &str) -> Result<(), String> {
        Ok(())
    }
    /// The kind's own path template, for kinds that read a file.
    fn own_path(&self) -> Option<&str> {
        None
    }
    /// The source these settings describe; `base` is the config file's directory.
    fn build(&self, log: &LogConfig, base: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError>;
}

/// One `[[logs]]` entry: the fields every log source has, then its kind's own.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct LogConfig {
    pub name: String,
    /// The query, filled from the selected alert (`{{ labels.instance }}`, `{{ host }}`,
    /// `{{ labels.unit | service }}` for the first that exists). Its meaning is the kind's:
    /// journalctl matches, a LogQL selector, a text a file's lines must contain.
    pub query: Option<String>,
    /// How long before the alert started the lines begin.
    #[serde(default = "default_before", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub before: Duration,
    /// Most lines fetched for that window.
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// The pane keeps the newest this many lines (the largest value among the sources).
    #[serde(default = "default_buffer")]
    pub buffer: usize,
    /// How often new lines are looked for while the pane follows (a file: 250 ms at most).
    #[serde(default = "default_interval", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub interval: Duration,
    /// Longest one fetch may take.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub timeout: Duration,
    /// Largest response (Loki) or output (journalctl) or read (file) accepted, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// Per alert name (and alert source): another query, or no lines from here at all.
    #[serde(default, rename = "match")]
    pub matches: Vec<LogMatch>,
    #[serde(flatten)]
    pub kind: LogKind,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogMatch {
    /// The alert's `alertname` label (else its title) equals this.
    pub alertname: Option<String>,
    /// The alert comes from this `[[sources]]` name.
    pub source: Option<String>,
    /// The query for those alerts (a file: also `path`).
    pub query: Option<String>,
    pub path: Option<String>,
    /// Show no lines from this log source for those alerts.
    #[serde(default)]
    pub skip: bool,
}

/// What an unknown key in a `[[logs]]` table is told: the keys of [`LogConfig`].
pub const COMMON_KEYS: &str = ", or one every log source has: `name`, `kind`, `query`, `before`, `limit`, `buffer`, \
                               `interval`, `timeout`, `max_bytes`, `match`";

/// What a log source asks for one alert: its query and path templates, or a reason to skip.
pub enum Wanted<'a> {
    Query { query: Option<&'a str>, path: Option<&'a str> },
    Skip(String),
}

impl LogConfig {
    /// The first `[[logs.match]]` that fits the alert decides; else the source's own query.
    pub fn wanted(&self, alert: &Alert) -> Wanted<'_> {
        let alertname = alert.labels.get("alertname").unwrap_or(&alert.title);
        let own_path = self.kind.config().own_path();
        let m = self.matches.iter().find(|m| {
            m.alertname.as_ref().is_none_or(|n| n == alertname) && m.source.as_ref().is_none_or(|s| s == alert.source())
        });
        match m {
            Some(m) if m.skip => Wanted::Skip(format!("not used for {alertname} (logs.match skip)")),
            Some(m) => Wanted::Query {
                query: m.query.as_deref().or(self.query.as_deref()),
                path: m.path.as_deref().or(own_path),
            },
            None => Wanted::Query { query: self.query.as_deref(), path: own_path },
        }
    }
}

fn default_before() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_limit() -> usize {
    1000
}
fn default_buffer() -> usize {
    10_000
}
fn default_interval() -> Duration {
    Duration::from_secs(2)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_max_bytes() -> u64 {
    16 * 1024 * 1024
}

/// Checks every `[[logs]]` entry: what all have in common, then each kind's own.
pub fn validate(logs: &[LogConfig], problems: &mut Problems) {
    let mut seen = std::collections::HashSet::new();
    for (i, log) in logs.iter().enumerate() {
        let at = |field: &str| KeyPath::root("logs").index(i).key(field);
        if let Some(problem) = crate::config::check_name("log source", &log.name, &mut seen) {
            problems.push((at("name"), problem));
        }
        if log.before > Duration::from_secs(7 * 24 * 3600) {
            problems.push((at("before"), "before is at most 7d".into()));
        }
        if !(1..=100_000).contains(&log.limit) {
            problems.push((at("limit"), format!("limit must be 1 to 100000 lines, not {}", log.limit)));
        }
        if !(100..=1_000_000).contains(&log.buffer) {
            problems.push((at("buffer"), format!("buffer must be 100 to 1000000 lines, not {}", log.buffer)));
        }
        if log.interval < Duration::from_millis(250) {
            problems.push((at("interval"), "interval must be at least 250ms".into()));
        }
        if log.timeout.is_zero() {
            problems.push((at("timeout"), "timeout must be more than 0s".into()));
        }
        let kind = log.kind.config();
        let check_q = |q: &Option<String>, at: KeyPath, problems: &mut Problems| {
            if let Some(q) = q
                && let Err(e) = template::check(q).and_then(|()| kind.check_query(q))
            {
                problems.push((at, e));
            }
        };
        check_q(&log.query, at("query"), problems);
        for (j, m) in log.matches.iter().enumerate() {
            let at = |field: &str| at("match").index(j).key(field);
            check_q(&m.query, at("query"), problems);
            if let Some(p) = &m.path {
                if kind.own_path().is_none() {
                    problems.push((at("path"), "only a file log source has a path".into()));
                } else if let Err(e) = template::check(p) {
                    problems.push((at("path"), e));
                }
            }
            if m.alertname.is_none() && m.source.is_none() {
                problems.push((at("alertname"), "a match names an `alertname`, a `source`, or both".into()));
            }
        }
        kind.validate(log, &at, problems);
    }
}

pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<LogLine>, SourceError>> + Send + 'a>>;

/// What one log source is asked for one alert, templates filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub alert: AlertKey,
    pub query: Option<String>,
    /// A file source's file.
    pub path: Option<String>,
    pub since: DateTime<Utc>,
    pub limit: usize,
}

/// A system klaxon reads log lines from.
pub trait LogSource: Send + Sync {
    fn name(&self) -> &str;

    /// How a value from the alert is written into this source's query.
    fn escape(&self, value: &str) -> Result<String, String> {
        template::verbatim(value)
    }

    /// The query used when the config gives none.
    fn default_query(&self) -> Option<&str> {
        None
    }

    /// Starts reading what `plan` asks for. Lines must come out sanitized.
    fn tail(&self, plan: Plan) -> Box<dyn LogTail>;

    /// How often a follow looks again, at most.
    fn poll_every(&self) -> Option<Duration> {
        None
    }
}

pub trait LogTail: Send {
    /// The first call: the plan's window. Later calls: the lines since the last call.
    fn next(&mut self) -> FetchFuture<'_>;
}

/// A configured log source.
#[derive(Clone)]
pub struct Configured {
    pub cfg: LogConfig,
    pub source: Arc<dyn LogSource>,
}

impl Configured {
    /// Fills the source's templates from the alert; Err is why it has nothing for it.
    pub fn plan(&self, alert: &Alert, now: DateTime<Utc>) -> Result<Plan, String> {
        let (query, path) = match self.cfg.wanted(alert) {
            Wanted::Skip(why) => return Err(why),
            Wanted::Query { query, path } => (query, path),
        };
        let escape = |v: &str| self.source.escape(v);
        let query = query.or(self.source.default_query()).map(|q| template::fill(q, alert, &escape)).transpose()?;
        let path = path.map(|p| template::fill(p, alert, &template::path_segment)).transpose()?;
        let before = chrono::Duration::from_std(self.cfg.before).unwrap_or_default();
        let since = alert.started_at.checked_sub_signed(before).unwrap_or(alert.started_at).min(now);
        Ok(Plan { alert: alert.key.clone(), query, path, since, limit: self.cfg.limit })
    }

    /// One read of the window, bounded by the source's timeout: what `klaxon logs` prints.
    pub async fn fetch_once(&self, alert: &Alert, now: DateTime<Utc>) -> Result<Vec<LogLine>, Outcome> {
        let plan = self.plan(alert, now).map_err(Outcome::Skipped)?;
        let mut tail = self.source.tail(plan);
        crate::periodic::bounded(self.cfg.timeout, || tail.next()).await.map_err(|e| Outcome::Failed(e.to_string()))
    }
}

/// Why a source shows no lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It has nothing to say for this alert (a label its query needs is missing).
    Skipped(String),
    Failed(String),
}

/// What a follow reports.
#[derive(Debug, Clone)]
pub enum LogEvent {
    Lines { alert: AlertKey, source: String, lines: Vec<LogLine> },
    Failed { alert: AlertKey, source: String, error: String },
    Skipped { alert: AlertKey, source: String, why: String },
}

/// Reads the alert's window from one source, then what comes since every `interval`, until
/// the task is aborted (the pane shows another alert, or closes). Each read is bounded by
/// the source's timeout; a failure is reported and the next round tries again.
pub fn follow(
    src: &Configured,
    alert: &Alert,
    now: DateTime<Utc>,
    tx: mpsc::Sender<LogEvent>,
) -> tokio::task::JoinHandle<()> {
    let (src, alert) = (src.clone(), alert.clone());
    tokio::spawn(async move {
        let (key, name) = (alert.key.clone(), src.cfg.name.clone());
        let plan = match src.plan(&alert, now) {
            Ok(p) => p,
            Err(why) => {
                let _ = tx.send(LogEvent::Skipped { alert: key, source: name, why }).await;
                return;
            }
        };
        let every = src.source.poll_every().map_or(src.cfg.interval, |p| p.min(src.cfg.interval));
        let mut task = crate::periodic::Periodic::new(every, src.cfg.timeout);
        let mut tail = src.source.tail(plan);
        loop {
            let event = match task.round(|| tail.next()).await {
                Ok(lines) => LogEvent::Lines { alert: key.clone(), source: name.clone(), lines },
                Err(e) => LogEvent::Failed { alert: key.clone(), source: name.clone(), error: e.to_string() },
            };
            if tx.send(event).await.is_err() {
                return;
            }
            tokio::time::sleep(task.next(None)).await;
        }
    })
}

/// Builds the log sources `[[logs]]` describes; `base` is the config file's directory.
pub fn build(cfg: &LogConfig, base: Option<&Path>) -> Result<Configured, SourceError> {
    let source = cfg.kind.config().build(cfg, base)?;
    Ok(Configured { cfg: cfg.clone(), source })
}

/// Every `[[logs]]` source by name, or why it could not be set up.
pub type Built = Vec<(String, Result<Configured, String>)>;

pub fn build_all(cfgs: &[LogConfig], base: Option<&Path>) -> Built {
    cfgs.iter().map(|c| (c.name.clone(), build(c, base).map_err(|e| e.to_string()))).collect()
}

/// Lines from several sources, in time order (lines without a time keep their place).
pub fn merge(batches: impl IntoIterator<Item = Vec<LogLine>>, keep: usize) -> Vec<LogLine> {
    let mut buf = crate::model::LogBuffer::new(keep);
    for batch in batches {
        buf.extend(batch);
    }
    buf.iter().map(|(_, l)| l.clone()).collect()
}
