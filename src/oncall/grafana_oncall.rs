//! Grafana OnCall: `GET /api/v1/schedules/` (items carry `on_call_now: [user id]`), then
//! `GET /api/v1/users/{id}/` for the person's username. It answers for the present only.
//!
//! It is also an escalation target (`@grafana-oncall:<schedule>`): an escalation to this
//! schedule's level pages whoever is on call now through Grafana OnCall's own escalation,
//! `POST /api/v1/escalation/ {title, message, users: [{id, important}]}` (direct paging: a new
//! alert group, since klaxon's alert is not one of Grafana OnCall's).

use super::{KindConfig, ScheduleConfig, VendorScheduleConfig};
use super::{OnCallFuture, ScheduleSource, VendorApi};
use crate::config::{At, Problems};
use crate::http::Limits;
use crate::model::{EntryKind, MirrorDone, MirrorOp, OnCall, PriorUpdate, Shift};
use crate::sources::{AlertSource, MirrorFuture, PollFuture, SourceError};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `kind = "grafana-oncall"`: Grafana OnCall's API (which has no SaaS default: `url` is needed).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct GrafanaOncallConfig(pub VendorScheduleConfig);

impl KindConfig for GrafanaOncallConfig {
    fn validate(&self, schedule: &ScheduleConfig, at: At<'_>, problems: &mut Problems) {
        self.0.check(schedule.kind.name(), true, at, problems);
    }

    fn build(&self, cfg: &ScheduleConfig) -> Result<Box<dyn super::ScheduleSource>, SourceError> {
        Ok(Box::new(GrafanaOnCall::new(cfg, self, Limits::for_source(cfg.timeout, cfg.max_bytes))?))
    }
}

pub struct GrafanaOnCall {
    api: VendorApi,
    target: String,
}

#[derive(Deserialize)]
struct Page {
    results: Vec<Schedule>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Schedule {
    id: String,
    name: String,
    #[serde(default)]
    on_call_now: Vec<String>,
}

#[derive(Deserialize)]
struct User {
    username: String,
}

impl GrafanaOnCall {
    pub fn new(cfg: &ScheduleConfig, v: &GrafanaOncallConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(GrafanaOnCall { api: VendorApi::new(cfg, &v.0, limits, None)?, target: target(&cfg.name) })
    }

    /// This schedule, found by id or name through the pages of `/api/v1/schedules/`.
    async fn schedule(&self) -> Result<Schedule, SourceError> {
        let mut url = format!("{}/api/v1/schedules/", self.api.base);
        for _ in 0..50 {
            let page: Page = self.get(&url).await?;
            if let Some(found) =
                page.results.into_iter().find(|s| s.id == self.api.schedule || s.name == self.api.schedule)
            {
                return Ok(found);
            }
            match page.next {
                Some(next) if next.starts_with(&self.api.base) => url = next,
                _ => break,
            }
        }
        Err(SourceError::new(format!("no schedule {:?}", self.api.schedule)))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SourceError> {
        // The token goes as it is: Grafana OnCall wants no "Bearer".
        self.api.json(self.api.client().get(url).header("Authorization", self.api.token.expose())).await
    }
}

impl ScheduleSource for GrafanaOnCall {
    fn name(&self) -> &str {
        &self.api.name
    }
    fn level(&self) -> i64 {
        self.api.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            if (at - Utc::now()).num_minutes().abs() > 1 {
                return Err(SourceError::new("grafana-oncall answers for the present only (no --at)"));
            }
            let schedule = self.schedule().await?;
            let mut shifts = Vec::new();
            if let Some(id) = schedule.on_call_now.first() {
                let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                let user: User = self.get(&format!("{}/api/v1/users/{id}/", self.api.base)).await?;
                shifts.push(Shift::new(&user.username, at, DateTime::<Utc>::MAX_UTC));
            }
            Ok(OnCall::from_shifts(&self.api.name, self.api.level, &shifts, at))
        })
    }
}

/// The outbox target that pages through this schedule.
pub fn target(schedule: &str) -> String {
    format!("@grafana-oncall:{schedule}")
}

impl AlertSource for GrafanaOnCall {
    /// As an outbox target it is named `@grafana-oncall:<schedule>`, not by the schedule.
    #[allow(clippy::misnamed_getters)]
    fn name(&self) -> &str {
        &self.target
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        kind == EntryKind::Notified
    }

    /// Pages whoever is on call on this schedule now. Done on a 2xx; like a chat webhook it
    /// takes no idempotency key, so a lost answer may page twice (at least once).
    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            let schedule = self.schedule().await?;
            if schedule.on_call_now.is_empty() {
                let summary = format!("nobody on call on Grafana OnCall schedule {} to page", schedule.name);
                return Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary });
            }
            let users: Vec<_> =
                schedule.on_call_now.iter().map(|id| serde_json::json!({"id": id, "important": true})).collect();
            let body = serde_json::json!({
                "title": format!("{} escalated by {}", op.alert_key, op.actor),
                "message": op.text,
                "users": users,
            });
            let req = self
                .api
                .client()
                .post(format!("{}/api/v1/escalation/", self.api.base))
                .header("Authorization", self.api.token.expose())
                .header("Content-Type", "application/json")
                .body(body.to_string());
            self.api.send(req).await?;
            let summary = format!("paged through Grafana OnCall schedule {}", schedule.name);
            Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary })
        })
    }
}
