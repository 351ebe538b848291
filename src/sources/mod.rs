//! Alert sources: one file per system behind the small [`AlertSource`] trait, and the
//! poller that runs each of them in its own task.

pub mod alertmanager;
pub mod cache;
pub mod check_states;
pub mod checks;
pub mod datadog;
pub mod demo;
pub mod grafana_oncall;
pub mod graphite;
pub mod icinga2;
pub mod nagios;
pub mod opsgenie;
pub mod pagerduty;
pub mod poller;
pub mod zabbix;

use crate::config::{At, KeyPath, Problems, duration};
use crate::model::{Alert, EntryKind, MirrorDone, MirrorOp, Severity, SeverityMap, Silences};
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

crate::config::kind_enum! {
    /// Every kind of alert source: `kind = "…"` in `[[sources]]`.
    pub enum SourceKind: dyn KindConfig {
        Demo(demo::DemoConfig) = "demo",
        Checks(checks::ChecksConfig) = "checks",
        Alertmanager(alertmanager::AlertmanagerConfig) = "alertmanager",
        Zabbix(zabbix::ZabbixConfig) = "zabbix",
        Icinga2(icinga2::Icinga2Config) = "icinga2",
        Nagios(nagios::NagiosConfig) = "nagios",
        Pagerduty(pagerduty::PagerdutyConfig) = "pagerduty",
        Opsgenie(opsgenie::OpsgenieConfig) = "opsgenie",
        GrafanaOncall(grafana_oncall::GrafanaOncallConfig) = "grafana-oncall",
        Datadog(datadog::DatadogConfig) = "datadog",
        Graphite(graphite::GraphiteConfig) = "graphite",
    }
}

/// What each kind's own settings (in the kind's own file) do.
pub trait KindConfig {
    /// Checks what serde cannot; `at` names a key of this source's table.
    fn validate(&self, source: &SourceConfig, at: At<'_>, problems: &mut Problems);
    /// The source these settings describe; secrets are read here.
    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError>;
}

/// One `[[sources]]` entry: the fields every source has, then its kind's own.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct SourceConfig {
    pub name: String,
    #[serde(default = "default_interval", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub interval: Duration,
    /// Total time one poll may take.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub timeout: Duration,
    /// Largest response accepted from the source, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// The source's own severity words, checked before the built-in parsing.
    #[serde(default)]
    pub severity_map: SeverityMap,
    /// The severity of an alert that has none, or one no mapping knows (shown marked, `AVG?`).
    #[serde(default = "default_default_severity")]
    pub default_severity: Severity,
    // `flatten` hands the remaining keys to the kind's struct, whose
    // `deny_unknown_fields` then catches typos.
    #[serde(flatten)]
    pub kind: SourceKind,
}

/// What an unknown key in a `[[sources]]` table is told: the keys of [`SourceConfig`].
pub const COMMON_KEYS: &str =
    ", or one every source has: `name`, `kind`, `interval`, `timeout`, `max_bytes`, `severity_map`";

fn default_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_default_severity() -> Severity {
    Severity::Average
}

/// Checks every `[[sources]]` entry: what all have in common, then each kind's own.
pub fn validate(sources: &[SourceConfig], problems: &mut Problems) {
    let mut seen = std::collections::HashSet::new();
    for (i, src) in sources.iter().enumerate() {
        let at = |field: &str| KeyPath::root("sources").index(i).key(field);
        if let Some(problem) = crate::config::check_name("source", &src.name, &mut seen) {
            problems.push((at("name"), problem));
        } else if src.name == crate::incident::SOURCE {
            problems.push((at("name"), format!("{:?} is taken: declared incidents' keys start with it", src.name)));
        }
        if src.interval < Duration::from_secs(1) {
            problems.push((at("interval"), "interval must be at least 1s".into()));
        }
        if src.timeout.is_zero() {
            problems.push((at("timeout"), "timeout must be more than 0s".into()));
        }
        src.kind.config().validate(src, &at, problems);
    }
}

pub type PollFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Alert>, SourceError>> + Send + 'a>>;
pub type MirrorFuture<'a> = Pin<Box<dyn Future<Output = Result<MirrorDone, SourceError>> + Send + 'a>>;
pub type SilencesFuture<'a> = Pin<Box<dyn Future<Output = Result<Silences, SourceError>> + Send + 'a>>;

/// A system klaxon reads alerts from.
pub trait AlertSource: Send + Sync {
    /// The configured name, the first half of every key this source produces.
    fn name(&self) -> &str;

    /// Fetches the current alerts. The poller bounds the call with the source's total
    /// timeout and asks through [`Self::poll_clean`].
    fn poll(&self) -> PollFuture<'_>;

    /// [`Self::poll`] with every alert through the border ([`Alert::sanitized`]): what the
    /// poller asks. Only a source that converts its alerts on a thread of its own overrides
    /// it, to sanitize each there, while the alert is still in the CPU's cache (a second pass
    /// over 50,000 alerts costs 26 ms of the list's critical path).
    fn poll_clean(&self) -> PollFuture<'_> {
        Box::pin(async move { self.poll().await.map(poller::border) })
    }

    /// Whether entries of this kind are also carried to the source (through the outbox).
    fn mirrors(&self, _kind: EntryKind) -> bool {
        false
    }

    /// The schedule kind whose levels this source's escalations follow (`"pagerduty"`,
    /// `"opsgenie"`): an escalation is carried to the source only when a schedule of that
    /// kind answers for the level reached. None: every escalation it mirrors goes (Zabbix).
    fn escalates_for(&self) -> Option<&'static str> {
        None
    }

    /// Carries one action to the source and confirms it by reading it back. Must be safe to
    /// repeat: a retry after a lost answer must not act twice (`op.op_id` is the key).
    fn mirror<'a>(&'a self, _op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async { Err(SourceError::new("this source takes no actions")) })
    }

    /// Its silences (Alertmanager), each with how many alerts it silences now, cleaned at
    /// the border; None where the source has no silences.
    fn silences(&self) -> Option<SilencesFuture<'_>> {
        None
    }
}

/// The mark an action carries at its source (a silence comment, a Zabbix message): a retry
/// that finds it knows the action was done and does not do it twice.
pub(crate) fn op_mark(op_id: &str) -> String {
    format!("{MARK_START}{op_id}]")
}

const MARK_START: &str = "[klaxon op ";

/// Whether `text` carries some action's mark: klaxon's own doing, not a person's at the source.
pub(crate) fn has_mark(text: &str) -> bool {
    text.contains(MARK_START)
}

/// What every incident platform's source checks alike: its key given (`<name>_env` or
/// `<name>_file`), the API URL, and a page size within what the vendor serves.
pub(crate) fn check_vendor(
    kind: &str,
    keys: &[(&str, crate::config::SecretField<'_>)],
    url: Option<&str>,
    page_size: Option<(usize, usize)>,
    at: At<'_>,
    problems: &mut Problems,
) {
    for (name, field) in keys {
        field.check(at, problems);
        if !field.is_given() {
            problems.push((at("kind"), format!("a {kind} source needs `{name}_env` or `{name}_file` (a 0600 file)")));
        }
    }
    if let Some(problem) = url.and_then(|u| crate::config::http_url_problem(u, crate::config::TOKEN_GOES)) {
        problems.push((at("url"), problem));
    }
    if let Some((size, most)) = page_size
        && !(1..=most).contains(&size)
    {
        problems.push((at("page_size"), format!("page_size is between 1 and {most}")));
    }
}

/// The incident platforms' five priorities (PagerDuty and Opsgenie "P1".."P5", Datadog
/// 1..5) as klaxon's severities: P1 is Disaster, P5 Information.
pub(crate) fn priority_severity(p: &str) -> Option<Severity> {
    let n: usize = p.trim().trim_start_matches(['P', 'p']).parse().ok()?;
    (1..=5).contains(&n).then(|| Severity::ALL[5 - n])
}

/// A note carrying an action to an incident platform: what the person wrote, what they did,
/// who, and klaxon's mark ("on it — acknowledged (alice via klaxon) [klaxon op 01ab]"); a
/// plain note has no `what`.
pub(crate) fn marked_note(op: &MirrorOp, what: &str) -> String {
    // An escalation's entry says who klaxon found on call; the vendor's note keeps the words.
    let text = match op.kind {
        EntryKind::Escalated => without_marks(crate::escalation::note_of(&op.text)),
        _ => without_marks(&op.text),
    };
    let head = match (text.is_empty(), what.is_empty()) {
        (_, true) => text,
        (true, false) => what.to_owned(),
        (false, false) => format!("{text} — {what}"),
    };
    format!("{head} ({} via klaxon) {}", op.actor, op_mark(&op.op_id))
}

/// Text without klaxon's op marks, for people to read.
pub(crate) fn without_marks(text: &str) -> String {
    let mut text = text.to_owned();
    while let Some(start) = text.find(MARK_START) {
        let end = text[start..].find(']').map_or(text.len(), |e| start + e + 1);
        text.replace_range(start..end, "");
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a poll failed, in words fit for the status bar: never a secret, always sanitized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(String);

impl SourceError {
    pub fn new(message: impl AsRef<str>) -> Self {
        // The one place where what a server said becomes an error: secrets it echoed go here.
        SourceError(crate::sanitize::sanitize_line(&crate::config::redact(message.as_ref())))
    }
}

/// Builds the source a `[[sources]]` entry describes.
pub fn build(cfg: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
    cfg.kind.config().build(cfg)
}

impl From<crate::http::HttpError> for SourceError {
    fn from(e: crate::http::HttpError) -> Self {
        SourceError(e.clean())
    }
}
