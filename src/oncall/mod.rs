//! On-call schedules: one file per kind behind the small [`ScheduleSource`] trait. Each
//! schedule answers for one escalation level: who is on call at a moment, until when, and
//! who is next.

pub mod grafana_oncall;
pub mod ical;
pub mod opsgenie;
pub mod pagerduty;
pub mod rotation;

use crate::config::{ScheduleConfig, ScheduleKind, Secret};
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use crate::sources::http::{self, Limits};
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::pin::Pin;

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
const BEHIND: Duration = Duration::days(2);
const AHEAD: Duration = Duration::days(62);

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
    let limits = Limits::for_source(cfg.timeout, cfg.max_bytes);
    Ok(match &cfg.kind {
        ScheduleKind::Rotation(r) => {
            let rotation = rotation::Rotation::new(r).map_err(|(k, e)| SourceError::new(format!("{k}: {e}")))?;
            Box::new(RotationSchedule { name: cfg.name.clone(), level: cfg.level, rotation })
        }
        ScheduleKind::Ical(c) => {
            let secret = c.secret_url().map_err(SourceError::new)?;
            let url = match (secret, &c.url) {
                (Some(r), _) => r.resolve().map_err(SourceError::new)?,
                (None, Some(u)) => Secret::from_config(u),
                (None, None) => return Err(SourceError::new("an ical schedule needs a url")),
            };
            let floating = rotation::parse_tz(&c.time_zone).map_err(SourceError::new)?;
            Box::new(IcalSchedule {
                name: cfg.name.clone(),
                level: cfg.level,
                url,
                floating,
                client: http::client(limits, None)?,
                max_bytes: cfg.max_bytes,
            })
        }
        ScheduleKind::Pagerduty(v) => Box::new(pagerduty::PagerDuty::new(cfg, v, limits)?),
        ScheduleKind::Opsgenie(v) => Box::new(opsgenie::Opsgenie::new(cfg, v, limits)?),
        ScheduleKind::GrafanaOncall(v) => Box::new(grafana_oncall::GrafanaOnCall::new(cfg, v, limits)?),
    })
}

/// A vendor token from its env var or file.
/// What every vendor's on-call API needs: the schedule's name and level, where the API is,
/// which schedule, the token, and a client with the schedule's limits.
pub struct VendorApi {
    pub name: String,
    pub level: i64,
    pub base: String,
    pub schedule: String,
    pub token: Secret,
    client: reqwest::Client,
    max_bytes: u64,
}

impl VendorApi {
    /// `default_url`: the vendor's SaaS API, used when the config gives no `url`.
    pub fn new(
        cfg: &ScheduleConfig,
        v: &crate::config::VendorScheduleConfig,
        limits: Limits,
        default_url: Option<&str>,
    ) -> Result<VendorApi, SourceError> {
        let base = v
            .url
            .as_deref()
            .or(default_url)
            .ok_or_else(|| SourceError::new(format!("{} needs the API url", cfg.kind.name())))?;
        let token = v
            .token()
            .map_err(SourceError::new)?
            .ok_or_else(|| SourceError::new("no token_env or token_file"))?
            .resolve()
            .map_err(SourceError::new)?;
        Ok(VendorApi {
            name: cfg.name.clone(),
            level: cfg.level,
            base: base.trim_end_matches('/').to_owned(),
            schedule: v.schedule.clone(),
            token,
            client: http::client(limits, None)?,
            max_bytes: cfg.max_bytes,
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request built on `client()`, within the size cap.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, SourceError> {
        http::fetch(req, self.max_bytes).await
    }

    /// Sends it and decodes the JSON answer.
    pub async fn json<T: serde::de::DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, SourceError> {
        let body = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| SourceError::new(format!("unexpected answer: {e}")))
    }
}

/// Asks one schedule, bounded by `timeout`.
pub async fn lookup(
    source: &dyn ScheduleSource,
    at: DateTime<Utc>,
    timeout: std::time::Duration,
) -> Result<OnCall, SourceError> {
    // A panic on a feed (a value out of range) fails this schedule alone, with a message.
    match tokio::time::timeout(timeout, crate::crash::contain(|| source.oncall(at))).await {
        Ok(Ok(r)) => r,
        Ok(Err(crashed)) => Err(SourceError::new(crashed)),
        Err(_) => Err(SourceError::new(format!("no answer within {}", humantime::format_duration(timeout)))),
    }
}

struct RotationSchedule {
    name: String,
    level: i64,
    rotation: rotation::Rotation,
}

impl ScheduleSource for RotationSchedule {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        let shifts = self.rotation.shifts(at - BEHIND, at + AHEAD);
        Box::pin(async move { Ok(answer(&self.name, self.level, &shifts, at)) })
    }
    fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> ShiftsFuture<'_> {
        let shifts = self.rotation.shifts(from, to);
        Box::pin(async move { Ok(shifts) })
    }
}

struct IcalSchedule {
    name: String,
    level: i64,
    /// A secret: vendors' feed URLs carry a token.
    url: Secret,
    floating: chrono_tz::Tz,
    client: reqwest::Client,
    max_bytes: u64,
}

impl IcalSchedule {
    async fn read(&self) -> Result<String, SourceError> {
        let url = self.url.expose();
        let bytes = if url.starts_with("http://") || url.starts_with("https://") {
            http::fetch(self.client.get(url), self.max_bytes).await?
        } else {
            let path = std::path::PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
            let max = self.max_bytes;
            tokio::task::spawn_blocking(move || {
                use std::io::Read;
                let file = std::fs::File::open(&path)
                    .map_err(|e| SourceError::new(format!("cannot read {}: {e}", path.display())))?;
                let mut buf = Vec::new();
                file.take(max + 1).read_to_end(&mut buf).map_err(|e| SourceError::new(e.to_string()))?;
                if buf.len() as u64 > max {
                    return Err(SourceError::new(format!("feed larger than the {max}-byte cap (max_bytes)")));
                }
                Ok(buf)
            })
            .await
            .map_err(|e| SourceError::new(e.to_string()))??
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl ScheduleSource for IcalSchedule {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let text = self.read().await?;
            if !text.contains("BEGIN:VCALENDAR") && !text.contains("BEGIN:VEVENT") {
                return Err(SourceError::new("not an iCalendar feed"));
            }
            // Expanding recurrences is CPU work: off the async workers.
            let floating = self.floating;
            let parsed = tokio::task::spawn_blocking(move || ical::parse(&text, floating, at - BEHIND, at + AHEAD))
                .await
                .map_err(|e| SourceError::new(format!("reading the feed failed: {e}")))?;
            let mut oc = answer(&self.name, self.level, &parsed.shifts, at);
            (oc.warnings, oc.warning_notes) = (parsed.skipped, parsed.notes);
            Ok(oc)
        })
    }
    fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> ShiftsFuture<'_> {
        Box::pin(async move {
            let text = self.read().await?;
            let floating = self.floating;
            let parsed = tokio::task::spawn_blocking(move || ical::parse(&text, floating, from, to))
                .await
                .map_err(|e| SourceError::new(format!("reading the feed failed: {e}")))?;
            Ok(parsed.shifts)
        })
    }
}
