//! On-call schedules: one file per kind behind the small [`ScheduleSource`] trait. Each
//! schedule answers for one escalation level: who is on call at a moment, until when, and
//! who is next.

pub mod grafana_oncall;
pub mod ical;
pub mod opsgenie;
pub mod pagerduty;
pub mod rotation;

use crate::config::{At, KeyPath, Problems, Secret, SecretField, TOKEN_GOES, duration, http_url_problem};
use crate::http::Limits;
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

crate::config::kind_enum! {
    /// Every kind of schedule: `kind = "…"` in `[[schedules]]`.
    pub enum ScheduleKind: dyn KindConfig {
        Ical(ical::IcalConfig) = "ical",
        Rotation(rotation::RotationConfig) = "rotation",
        Pagerduty(pagerduty::PagerdutyConfig) = "pagerduty",
        Opsgenie(opsgenie::OpsgenieConfig) = "opsgenie",
        GrafanaOncall(grafana_oncall::GrafanaOncallConfig) = "grafana-oncall",
    }
}

/// What each kind's own settings (in the kind's own file) do.
pub trait KindConfig {
    /// Checks what serde cannot; `at` names a key of this schedule's table.
    fn validate(&self, schedule: &ScheduleConfig, at: At<'_>, problems: &mut Problems);
    /// The schedule these settings describe; secrets are read here.
    fn build(&self, schedule: &ScheduleConfig) -> Result<Box<dyn ScheduleSource>, SourceError>;
}

/// One `[[schedules]]` entry: who is on call for one escalation level.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ScheduleConfig {
    pub name: String,
    /// The escalation level this schedule answers for: 1 is paged first.
    #[serde(default = "one")]
    pub level: i64,
    #[serde(default = "default_interval", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub interval: Duration,
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub timeout: Duration,
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    #[serde(flatten)]
    pub kind: ScheduleKind,
}

fn one() -> i64 {
    1
}
fn default_interval() -> Duration {
    Duration::from_secs(300)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_max_bytes() -> u64 {
    8 * 1024 * 1024
}

/// Checks every `[[schedules]]` entry: what all have in common, then each kind's own.
pub fn validate(schedules: &[ScheduleConfig], problems: &mut Problems) {
    let mut seen = std::collections::HashSet::new();
    for (i, sch) in schedules.iter().enumerate() {
        let at = |field: &str| KeyPath::root("schedules").index(i).key(field);
        if let Some(problem) = crate::config::check_name("schedule", &sch.name, &mut seen) {
            problems.push((at("name"), problem));
        }
        if !(1..=9).contains(&sch.level) {
            problems.push((at("level"), format!("level {} is not an escalation level from 1 to 9", sch.level)));
        }
        if sch.interval < Duration::from_secs(10) {
            problems.push((at("interval"), "a schedule's interval is at least 10s".into()));
        }
        sch.kind.config().validate(sch, &at, problems);
    }
}

/// What every vendor's on-call API takes (PagerDuty `/oncalls`, Opsgenie
/// `/v2/schedules/{id}/on-calls`, Grafana OnCall `/api/v1/schedules/`); each vendor's file
/// wraps it in its own kind.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorScheduleConfig {
    /// API base; default the vendor's SaaS (Grafana OnCall has none: give it).
    pub url: Option<String>,
    /// The schedule's id (PagerDuty, Grafana OnCall), or id or name (Opsgenie).
    pub schedule: String,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl VendorScheduleConfig {
    pub fn token(&self) -> SecretField<'_> {
        SecretField::new("token", &self.token_env, &self.token_file)
    }

    /// `needs_url`: the vendor has no SaaS default.
    fn check(&self, kind: &str, needs_url: bool, at: At<'_>, problems: &mut Problems) {
        self.token().check(at, problems);
        if matches!(self.token().get(), Ok(None)) {
            problems.push((at("kind"), format!("a {kind} schedule needs token_env or token_file")));
        }
        if needs_url && self.url.is_none() {
            problems.push((at("kind"), format!("a {kind} schedule needs the API `url`")));
        }
        if let Some(problem) = self.url.as_deref().and_then(|u| http_url_problem(u, TOKEN_GOES)) {
            problems.push((at("url"), problem));
        }
        if self.schedule.trim().is_empty() {
            problems.push((at("schedule"), "give the schedule's id".into()));
        }
    }
}

pub type OnCallFuture<'a> = Pin<Box<dyn Future<Output = Result<OnCall, SourceError>> + Send + 'a>>;
pub type ShiftsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Shift>, SourceError>> + Send + 'a>>;

/// Where shifts come from.
pub trait ScheduleSource: Send + Sync {
    fn name(&self) -> &str;
    fn level(&self) -> i64;
    /// Who is on call at `at` and who comes next. Text must already be sanitized.
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_>;
    /// Every shift overlapping `[from, to)`, overrides applied (the on-call report's hours).
    /// Vendor APIs answer only who is on call around now: they say so.
    fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> ShiftsFuture<'_> {
        let _ = (from, to);
        Box::pin(async { Err(SourceError::new("this kind of schedule tells who is on call now, not past shifts")) })
    }
}

/// Shifts are looked up this far back and ahead of the moment asked about.
const BEHIND: chrono::Duration = chrono::Duration::days(2);
const AHEAD: chrono::Duration = chrono::Duration::days(62);

/// Shifts read for a window: a stretch running to the window's end has no known end.
fn answer(name: &str, level: i64, shifts: &[Shift], at: DateTime<Utc>) -> OnCall {
    let mut oc = OnCall::from_shifts(name, level, shifts, at);
    if let Some(now) = oc.now.as_mut().filter(|n| n.end >= at + AHEAD) {
        now.end = DateTime::<Utc>::MAX_UTC;
    }
    oc
}

/// Builds the schedule a `[[schedules]]` entry describes; secrets are read here.
pub fn build(cfg: &ScheduleConfig) -> Result<Box<dyn ScheduleSource>, SourceError> {
    cfg.kind.config().build(cfg)
}

/// What every vendor's on-call API needs: the schedule's name and level, which schedule,
/// and the vendor's client ([`crate::vendors`]) with the schedule's limits.
pub struct VendorApi {
    pub name: String,
    pub level: i64,
    pub schedule: String,
    pub http: crate::vendors::VendorClient,
}

/// Makes a vendor's client from the configured URL and key ([`crate::vendors`]).
pub type Connect =
    fn(Option<&str>, &Secret, Limits, Option<&std::path::Path>) -> Result<crate::vendors::VendorClient, SourceError>;

impl VendorApi {
    pub fn new(
        cfg: &ScheduleConfig,
        v: &VendorScheduleConfig,
        limits: Limits,
        connect: Connect,
    ) -> Result<VendorApi, SourceError> {
        let token = v
            .token()
            .resolve()
            .map_err(SourceError::new)?
            .ok_or_else(|| SourceError::new("no token_env or token_file"))?;
        Ok(VendorApi {
            name: cfg.name.clone(),
            level: cfg.level,
            schedule: v.schedule.clone(),
            http: connect(v.url.as_deref(), &token, limits, None)?,
        })
    }
}

/// Asks one schedule, bounded by `timeout`.
pub async fn lookup(
    source: &dyn ScheduleSource,
    at: DateTime<Utc>,
    timeout: std::time::Duration,
) -> Result<OnCall, SourceError> {
    // A panic on a feed (a value out of range) fails this schedule alone, with a message.
    crate::periodic::bounded(timeout, || source.oncall(at)).await
}
