//! `[[logs]]`: where the lines beside an alert come from, and which query each alert gets.

use super::load::{KeyPath, KeySeg};
use super::{SecretRef, duration, secret_ref};
use crate::model::Alert;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// One `[[logs]]` entry: the fields every log source has, then its kind's own.
#[derive(Debug, Clone, Deserialize)]
pub struct LogConfig {
    pub name: String,
    /// The query, filled from the selected alert (`{{ labels.instance }}`, `{{ host }}`,
    /// `{{ labels.unit | service }}` for the first that exists). Its meaning is the kind's:
    /// journalctl matches, a LogQL selector, a text a file's lines must contain.
    pub query: Option<String>,
    /// How long before the alert started the lines begin.
    #[serde(default = "default_before", deserialize_with = "duration")]
    pub before: Duration,
    /// Most lines fetched for that window.
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// The pane keeps the newest this many lines (the largest value among the sources).
    #[serde(default = "default_buffer")]
    pub buffer: usize,
    /// How often new lines are looked for while the pane follows (a file: 250 ms at most).
    #[serde(default = "default_interval", deserialize_with = "duration")]
    pub interval: Duration,
    /// Longest one fetch may take.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
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

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LogKind {
    Journald(JournaldConfig),
    File(FileConfig),
    Loki(LokiConfig),
}

impl LogKind {
    pub fn name(&self) -> &'static str {
        match self {
            LogKind::Journald(_) => "journald",
            LogKind::File(_) => "file",
            LogKind::Loki(_) => "loki",
        }
    }
}

/// `journalctl -o json`, run directly (never through a shell).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournaldConfig {
    /// The program; default `journalctl` from PATH.
    #[serde(default = "default_journalctl")]
    pub journalctl: PathBuf,
    /// Read the journal files in this directory instead of the system journal.
    pub directory: Option<PathBuf>,
}

/// A log file on this host, plain text or JSON lines, tailed across rotations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The file; may be a template (`/var/log/{{ labels.job }}.log`). Relative to the config.
    pub path: String,
}

/// Grafana Loki's `query_range`.
#[derive(Debug, Clone, Deserialize)]
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

impl LokiConfig {
    pub fn token(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("token", &self.token_env, &self.token_file)
    }
}

/// What a log source asks for one alert: its query and path templates, or a reason to skip.
pub enum Wanted<'a> {
    Query { query: Option<&'a str>, path: Option<&'a str> },
    Skip(String),
}

impl LogConfig {
    /// The first `[[logs.match]]` that fits the alert decides; else the source's own query.
    pub fn wanted(&self, alert: &Alert) -> Wanted<'_> {
        let alertname = alert.labels.get("alertname").unwrap_or(&alert.title);
        let own_path = match &self.kind {
            LogKind::File(f) => Some(f.path.as_str()),
            _ => None,
        };
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
fn default_page() -> usize {
    1000
}
fn default_journalctl() -> PathBuf {
    PathBuf::from("journalctl")
}

/// Problems serde cannot see, each with its key.
pub(super) fn validate(logs: &[LogConfig], problems: &mut Vec<(KeyPath, String)>) {
    let mut seen = std::collections::HashSet::new();
    for (i, log) in logs.iter().enumerate() {
        let at = |field: &str| KeyPath(vec![KeySeg::Key("logs".into()), KeySeg::Index(i), KeySeg::Key(field.into())]);
        if log.name.is_empty() || !log.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            problems
                .push((at("name"), format!("log source name {:?} must be letters, digits, '-', '_' or '.'", log.name)));
        } else if !seen.insert(log.name.as_str()) {
            problems.push((at("name"), format!("log source name {:?} is used twice", log.name)));
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
        let check_q = |q: &Option<String>, at: KeyPath, problems: &mut Vec<(KeyPath, String)>| {
            if let Some(q) = q
                && let Err(e) = check_query(&log.kind, q)
            {
                problems.push((at, e));
            }
        };
        check_q(&log.query, at("query"), problems);
        for (j, m) in log.matches.iter().enumerate() {
            let at = |field: &str| {
                KeyPath(vec![
                    KeySeg::Key("logs".into()),
                    KeySeg::Index(i),
                    KeySeg::Key("match".into()),
                    KeySeg::Index(j),
                    KeySeg::Key(field.into()),
                ])
            };
            check_q(&m.query, at("query"), problems);
            if let Some(p) = &m.path {
                if !matches!(log.kind, LogKind::File(_)) {
                    problems.push((at("path"), "only a file log source has a path".into()));
                } else if let Err(e) = crate::logs::template::check(p) {
                    problems.push((at("path"), e));
                }
            }
            if m.alertname.is_none() && m.source.is_none() {
                problems.push((at("alertname"), "a match names an `alertname`, a `source`, or both".into()));
            }
        }
        match &log.kind {
            LogKind::Journald(_) => {}
            LogKind::File(f) => {
                if let Err(e) = crate::logs::template::check(&f.path) {
                    problems.push((at("path"), e));
                }
            }
            LogKind::Loki(loki) => {
                if let Some(problem) = super::http_url_problem(&loki.url, super::TOKEN_GOES) {
                    problems.push((at("url"), problem));
                }
                if log.query.is_none() && log.matches.iter().all(|m| m.query.is_none()) {
                    problems.push((
                        at("kind"),
                        "a loki log source needs a `query`, e.g. '{instance=\"{{ labels.instance }}\"}'".into(),
                    ));
                }
                if loki.org_id.as_deref().is_some_and(|o| o.trim().is_empty() || o.contains(['\n', '\r'])) {
                    problems.push((at("org_id"), "org_id is a tenant name, not empty".into()));
                }
                if !(1..=5000).contains(&loki.page) {
                    problems.push((at("page"), "page must be 1 to 5000 lines (Loki's max_entries_limit)".into()));
                }
                super::check_secret("token", loki.token(), &at, problems);
            }
        }
    }
}

fn check_query(kind: &LogKind, query: &str) -> Result<(), String> {
    crate::logs::template::check(query)?;
    if let LogKind::Journald(_) = kind {
        crate::logs::journald::check_query(query)?;
    }
    Ok(())
}
