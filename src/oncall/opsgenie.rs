//! Opsgenie on-call: `GET /v2/schedules/{id}/on-calls?scheduleIdentifierType=id|name&flat=true`
//! → `data{onCallRecipients[]}`. Opsgenie says who is on call at a moment, not until when.

use super::{OnCallFuture, ScheduleSource};
use crate::config::{ScheduleConfig, Secret, VendorScheduleConfig};
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use crate::sources::http::{self, Limits};
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub const DEFAULT_URL: &str = "https://api.opsgenie.com";

pub struct Opsgenie {
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
    data: Data,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    #[serde(default)]
    on_call_recipients: Vec<String>,
}

impl Opsgenie {
    pub fn new(cfg: &ScheduleConfig, v: &VendorScheduleConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(Opsgenie {
            name: cfg.name.clone(),
            level: cfg.level,
            base: v.url.as_deref().unwrap_or(DEFAULT_URL).trim_end_matches('/').to_owned(),
            schedule: v.schedule.clone(),
            token: super::token(v)?,
            client: http::client(limits, None)?,
            max_bytes: cfg.max_bytes,
        })
    }

    /// Schedule ids are UUIDs; anything else is a name.
    fn identifier_type(&self) -> &'static str {
        let s = &self.schedule;
        let uuid = s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if uuid { "id" } else { "name" }
    }
}

impl ScheduleSource for Opsgenie {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let mut url = reqwest::Url::parse(&self.base).map_err(|e| SourceError::new(format!("url: {e}")))?;
            url.path_segments_mut().map_err(|_| SourceError::new("url cannot be a base"))?.pop_if_empty().extend([
                "v2",
                "schedules",
                &self.schedule,
                "on-calls",
            ]);
            let req =
                self.client.get(url).header("Authorization", format!("GenieKey {}", self.token.expose())).query(&[
                    ("scheduleIdentifierType", self.identifier_type()),
                    ("flat", "true"),
                    ("date", &at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                ]);
            let body = http::fetch(req, self.max_bytes).await?;
            let answer: Answer =
                serde_json::from_slice(&body).map_err(|e| SourceError::new(format!("unexpected answer: {e}")))?;
            // Opsgenie gives no end: the shift is shown as held until further notice.
            let shifts: Vec<Shift> = answer
                .data
                .on_call_recipients
                .first()
                .map(|p| Shift::new(p, at, DateTime::<Utc>::MAX_UTC))
                .into_iter()
                .collect();
            Ok(OnCall::from_shifts(&self.name, self.level, &shifts, at))
        })
    }
}
