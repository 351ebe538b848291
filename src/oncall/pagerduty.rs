//! PagerDuty on-call: `GET /oncalls?schedule_ids[]=…&since&until`, answered with the shifts
//! in that window (`oncalls[{user{summary}, start, end, escalation_level}]`).

use super::{OnCallFuture, ScheduleSource};
use crate::config::{ScheduleConfig, Secret, VendorScheduleConfig};
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use crate::sources::http::{self, Limits};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub const DEFAULT_URL: &str = "https://api.pagerduty.com";

pub struct PagerDuty {
    name: String,
    level: i64,
    base: String,
    schedule: String,
    token: Secret,
    client: reqwest::Client,
    max_bytes: u64,
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
    pub fn new(cfg: &ScheduleConfig, v: &VendorScheduleConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(PagerDuty {
            name: cfg.name.clone(),
            level: cfg.level,
            base: v.url.as_deref().unwrap_or(DEFAULT_URL).trim_end_matches('/').to_owned(),
            schedule: v.schedule.clone(),
            token: super::token(v)?,
            client: http::client(limits, None)?,
            max_bytes: cfg.max_bytes,
        })
    }
}

impl ScheduleSource for PagerDuty {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let until = at + super::AHEAD.min(chrono::Duration::days(30));
            let req = self
                .client
                .get(format!("{}/oncalls", self.base))
                .header("Authorization", format!("Token token={}", self.token.expose()))
                .header("Accept", "application/vnd.pagerduty+json;version=2")
                .query(&[
                    ("schedule_ids[]", self.schedule.as_str()),
                    ("since", &at.to_rfc3339()),
                    ("until", &until.to_rfc3339()),
                    ("limit", "100"),
                ]);
            let body = http::fetch(req, self.max_bytes).await?;
            let answer: Answer =
                serde_json::from_slice(&body).map_err(|e| SourceError::new(format!("unexpected answer: {e}")))?;
            // A null start or end means the shift runs past the window asked about.
            let far = at + chrono::Duration::days(3650);
            let shifts: Vec<Shift> = answer
                .oncalls
                .iter()
                .map(|o| Shift::new(&o.user.summary, o.start.unwrap_or(at), o.end.unwrap_or(far)))
                .collect();
            Ok(OnCall::from_shifts(&self.name, self.level, &shifts, at))
        })
    }
}
