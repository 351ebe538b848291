//! Grafana OnCall: `GET /api/v1/schedules/` (items carry `on_call_now: [user id]`), then
//! `GET /api/v1/users/{id}/` for the person's username. It answers for the present only.
//! The same schedule also pages: [`crate::pagers::grafana_oncall`].

use super::{KindConfig, ScheduleConfig, VendorScheduleConfig};
use super::{OnCallFuture, ScheduleSource, VendorApi};
use crate::config::{At, Problems};
use crate::http::Limits;
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `kind = "grafana-oncall"`: Grafana OnCall's API (which has no SaaS default: `url` is needed).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    pub(crate) api: VendorApi,
}

#[derive(Deserialize)]
struct Page {
    results: Vec<Schedule>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Schedule {
    id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) on_call_now: Vec<String>,
}

#[derive(Deserialize)]
struct User {
    username: String,
}

impl GrafanaOnCall {
    pub fn new(cfg: &ScheduleConfig, v: &GrafanaOncallConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(GrafanaOnCall { api: VendorApi::new(cfg, &v.0, limits, crate::vendors::grafana_oncall::client)? })
    }

    /// This schedule, found by id or name through the pages of `/api/v1/schedules/`.
    pub(crate) async fn schedule(&self) -> Result<Schedule, SourceError> {
        let mut url = "/api/v1/schedules/".to_owned();
        for _ in 0..50 {
            let page: Page = self.get(&url).await?;
            if let Some(found) =
                page.results.into_iter().find(|s| s.id == self.api.schedule || s.name == self.api.schedule)
            {
                return Ok(found);
            }
            match page.next {
                Some(next) => url = next,
                None => break,
            }
        }
        Err(SourceError::new(format!("no schedule {:?}", self.api.schedule)))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SourceError> {
        self.api.http.get(url, &[]).await
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
                let user: User = self.get(&format!("/api/v1/users/{id}/")).await?;
                shifts.push(Shift::new(&user.username, at, DateTime::<Utc>::MAX_UTC));
            }
            Ok(OnCall::from_shifts(&self.api.name, self.api.level, &shifts, at))
        })
    }
}
