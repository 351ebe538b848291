//! Grafana OnCall: `GET /api/v1/schedules/` (items carry `on_call_now: [user id]`), then
//! `GET /api/v1/users/{id}/` for the person's username. It answers for the present only.

use super::{OnCallFuture, ScheduleSource};
use crate::config::{ScheduleConfig, Secret, VendorScheduleConfig};
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use crate::sources::http::{self, Limits};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub struct GrafanaOnCall {
    name: String,
    level: i64,
    base: String,
    schedule: String,
    token: Secret,
    client: reqwest::Client,
    max_bytes: u64,
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
    pub fn new(cfg: &ScheduleConfig, v: &VendorScheduleConfig, limits: Limits) -> Result<Self, SourceError> {
        let base = v.url.as_deref().ok_or_else(|| SourceError::new("grafana-oncall needs the API url"))?;
        Ok(GrafanaOnCall {
            name: cfg.name.clone(),
            level: cfg.level,
            base: base.trim_end_matches('/').to_owned(),
            schedule: v.schedule.clone(),
            token: super::token(v)?,
            client: http::client(limits, None)?,
            max_bytes: cfg.max_bytes,
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SourceError> {
        // The token goes as it is: Grafana OnCall wants no "Bearer".
        let req = self.client.get(url).header("Authorization", self.token.expose());
        let body = http::fetch(req, self.max_bytes).await?;
        serde_json::from_slice(&body).map_err(|e| SourceError::new(format!("unexpected answer: {e}")))
    }
}

impl ScheduleSource for GrafanaOnCall {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            if (at - Utc::now()).num_minutes().abs() > 1 {
                return Err(SourceError::new("grafana-oncall answers for the present only (no --at)"));
            }
            let mut url = format!("{}/api/v1/schedules/", self.base);
            let mut found = None;
            for _ in 0..50 {
                let page: Page = self.get(&url).await?;
                found = page.results.into_iter().find(|s| s.id == self.schedule || s.name == self.schedule);
                match (found.is_some(), page.next) {
                    (false, Some(next)) if next.starts_with(&self.base) => url = next,
                    _ => break,
                }
            }
            let schedule = found.ok_or_else(|| SourceError::new(format!("no schedule {:?}", self.schedule)))?;
            let mut shifts = Vec::new();
            if let Some(id) = schedule.on_call_now.first() {
                let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                let user: User = self.get(&format!("{}/api/v1/users/{id}/", self.base)).await?;
                shifts.push(Shift::new(&user.username, at, DateTime::<Utc>::MAX_UTC));
            }
            Ok(OnCall::from_shifts(&self.name, self.level, &shifts, at))
        })
    }
}
