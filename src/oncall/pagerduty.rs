//! PagerDuty on-call: `GET /oncalls?schedule_ids[]=…&since&until`, answered with the shifts
//! in that window (`oncalls[{user{summary}, start, end, escalation_level}]`).

use super::{KindConfig, ScheduleConfig, VendorScheduleConfig};
use super::{OnCallFuture, ScheduleSource, VendorApi};
use crate::config::{At, Problems};
use crate::http::Limits;
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `kind = "pagerduty"`: PagerDuty's on-call API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct PagerdutyConfig(pub VendorScheduleConfig);

impl KindConfig for PagerdutyConfig {
    fn validate(&self, schedule: &ScheduleConfig, at: At<'_>, problems: &mut Problems) {
        self.0.check(schedule.kind.name(), false, at, problems);
    }

    fn build(&self, cfg: &ScheduleConfig) -> Result<Box<dyn super::ScheduleSource>, SourceError> {
        Ok(Box::new(PagerDuty::new(cfg, self, Limits::for_source(cfg.timeout, cfg.max_bytes))?))
    }
}

pub struct PagerDuty {
    api: VendorApi,
}

#[derive(Deserialize)]
struct Answer {
    oncalls: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    user: User,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct User {
    summary: String,
}

impl PagerDuty {
    pub fn new(cfg: &ScheduleConfig, v: &PagerdutyConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(PagerDuty { api: VendorApi::new(cfg, &v.0, limits, crate::vendors::pagerduty::client)? })
    }
}

impl ScheduleSource for PagerDuty {
    fn name(&self) -> &str {
        &self.api.name
    }
    fn level(&self) -> i64 {
        self.api.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let until = at + super::AHEAD.min(chrono::Duration::days(30));
            let api = &self.api;
            let query = [
                ("schedule_ids[]", api.schedule.clone()),
                ("since", at.to_rfc3339()),
                ("until", until.to_rfc3339()),
                ("limit", "100".to_owned()),
            ];
            let answer: Answer = api.http.get("/oncalls", &query).await?;
            // A null start or end means the shift runs past the window asked about.
            let far = at + chrono::Duration::days(3650);
            let shifts: Vec<Shift> = answer
                .oncalls
                .iter()
                .map(|o| Shift::new(&o.user.summary, o.start.unwrap_or(at), o.end.unwrap_or(far)))
                .collect();
            Ok(OnCall::from_shifts(&api.name, api.level, &shifts, at))
        })
    }
}
