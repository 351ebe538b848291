//! Paging through Grafana OnCall's own escalation: an escalation to a Grafana OnCall
//! schedule's level pages whoever is on call there now, `POST /api/v1/escalation/ {title,
//! message, users: [{id, important}]}` (direct paging: a new alert group, since klaxon's alert
//! is not one of Grafana OnCall's). Its outbox target is `@grafana-oncall:<schedule>`; the
//! schedule itself (who is on call) is [`crate::oncall::grafana_oncall`].

use crate::http::Limits;
use crate::model::{MirrorDone, MirrorOp, PriorUpdate};
use crate::oncall::ScheduleConfig;
use crate::oncall::grafana_oncall::{GrafanaOnCall, GrafanaOncallConfig};
use crate::sources::{MirrorFuture, SourceError};
use std::time::Duration;

pub struct GrafanaOnCallPager {
    schedule: GrafanaOnCall,
    target: String,
    name: String,
    level: i64,
    timeout: Duration,
}

impl GrafanaOnCallPager {
    pub fn new(cfg: &ScheduleConfig, v: &GrafanaOncallConfig) -> Result<Self, SourceError> {
        let limits = Limits::for_source(cfg.timeout, cfg.max_bytes);
        Ok(GrafanaOnCallPager {
            schedule: GrafanaOnCall::new(cfg, v, limits)?,
            target: target(&cfg.name),
            name: cfg.name.clone(),
            level: cfg.level,
            timeout: cfg.timeout,
        })
    }
}

/// The outbox target that pages through this schedule.
pub fn target(schedule: &str) -> String {
    format!("@grafana-oncall:{schedule}")
}

impl super::Pager for GrafanaOnCallPager {
    fn target(&self) -> &str {
        &self.target
    }

    fn label(&self) -> String {
        format!("Grafana OnCall ({})", self.name)
    }

    fn level(&self) -> Option<i64> {
        Some(self.level)
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Pages whoever is on call on this schedule now (not done while nobody is). Done on a
    /// 2xx; like a chat webhook it takes no idempotency key, so a lost answer may page twice
    /// (at least once).
    fn page<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            let schedule = self.schedule.schedule().await?;
            // Nobody was paged: not done. The page stays in the outbox, retried and shown as
            // unsent, rather than marked sent with nobody woken.
            if schedule.on_call_now.is_empty() {
                return Err(SourceError::new(format!(
                    "not paged: nobody on call on Grafana OnCall schedule {}",
                    schedule.name
                )));
            }
            let users: Vec<_> =
                schedule.on_call_now.iter().map(|id| serde_json::json!({"id": id, "important": true})).collect();
            let body = serde_json::json!({
                "title": format!("{} escalated by {}", op.alert_key, op.actor),
                "message": op.text,
                "users": users,
            });
            let http = &self.schedule.api.http;
            http.send(reqwest::Method::POST, "/api/v1/escalation/", &[], Some(&body), &[]).await?;
            let summary = format!("paged through Grafana OnCall schedule {}", schedule.name);
            Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary })
        })
    }
}
