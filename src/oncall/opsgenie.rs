//! Opsgenie on-call: `GET /v2/schedules/{id}/on-calls?scheduleIdentifierType=id|name&flat=true`
//! → `data{onCallRecipients[]}`. Opsgenie says who is on call at a moment, not until when.

use super::{KindConfig, ScheduleConfig, VendorScheduleConfig};
use super::{OnCallFuture, ScheduleSource, VendorApi};
use crate::config::{At, Problems};
use crate::http::Limits;
use crate::model::{OnCall, Shift};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `kind = "opsgenie"`: Opsgenie's on-call API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct OpsgenieConfig(pub VendorScheduleConfig);

impl KindConfig for OpsgenieConfig {
    fn validate(&self, schedule: &ScheduleConfig, at: At<'_>, problems: &mut Problems) {
        self.0.check(schedule.kind.name(), false, at, problems);
    }

    fn build(&self, cfg: &ScheduleConfig) -> Result<Box<dyn super::ScheduleSource>, SourceError> {
        Ok(Box::new(Opsgenie::new(cfg, self, Limits::for_source(cfg.timeout, cfg.max_bytes))?))
    }
}

pub struct Opsgenie {
    api: VendorApi,
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
    pub fn new(cfg: &ScheduleConfig, v: &OpsgenieConfig, limits: Limits) -> Result<Self, SourceError> {
        Ok(Opsgenie { api: VendorApi::new(cfg, &v.0, limits, crate::vendors::opsgenie::client)? })
    }

    /// Schedule ids are UUIDs; anything else is a name.
    fn identifier_type(&self) -> &'static str {
        let s = &self.api.schedule;
        let uuid = s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if uuid { "id" } else { "name" }
    }
}

impl ScheduleSource for Opsgenie {
    fn name(&self) -> &str {
        &self.api.name
    }
    fn level(&self) -> i64 {
        self.api.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let api = &self.api;
            // The id or name goes in the path: escaped, so a name with a '/' stays one segment.
            let path = format!("/v2/schedules/{}/on-calls", crate::vendors::segment(&api.schedule));
            let query = [
                ("scheduleIdentifierType", self.identifier_type().to_owned()),
                ("flat", "true".to_owned()),
                ("date", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            ];
            let answer: Answer = api.http.get(&path, &query).await?;
            // Opsgenie gives no end: the shift is shown as held until further notice.
            let shifts: Vec<Shift> = answer
                .data
                .on_call_recipients
                .first()
                .map(|p| Shift::new(p, at, DateTime::<Utc>::MAX_UTC))
                .into_iter()
                .collect();
            Ok(OnCall::from_shifts(&api.name, api.level, &shifts, at))
        })
    }
}
