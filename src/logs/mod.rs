//! Log sources: the lines that belong to an alert, from the time it started. One file per
//! kind behind the small [`LogSource`] trait; a [`LogTail`] first returns the window from
//! `before` the alert started until now, then, each time it is asked again, what came since.

pub mod file;
pub mod journald;
pub mod loki;
pub mod template;

use crate::config::{LogConfig, LogKind, logs::Wanted};
use crate::model::{Alert, AlertKey, LogLine};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

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
    let source: Arc<dyn LogSource> = match &cfg.kind {
        LogKind::Journald(j) => Arc::new(journald::JournaldSource::new(cfg, j)),
        LogKind::File(_) => Arc::new(file::FileSource::new(cfg, base)),
        LogKind::Loki(l) => Arc::new(loki::LokiSource::new(cfg, l)?),
    };
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
