//! Pagers: where an escalation page goes. Each is an outbox target of its own (one file per
//! pager): the escalation entry is stored first with an outbox row for the pager's target,
//! and `sync::drain` sends it, retried with backoff; "paged" is said only when the pager
//! accepted it. Target names start with '@', which no source name can.

pub mod grafana_oncall;
pub mod webhook;

use crate::Error;
use crate::model::MirrorOp;
use crate::oncall::ScheduleKind;
use crate::settings::Loaded;
use crate::sources::MirrorFuture;
use std::sync::Arc;
use std::time::Duration;

/// Something that pages people for an escalation.
pub trait Pager: Send + Sync {
    /// Its outbox target: [`crate::escalation::PAGER`] for the webhook,
    /// `@grafana-oncall:<schedule>` for a Grafana OnCall schedule.
    fn target(&self) -> &str;

    /// How the escalation chain names it ("webhook", "Grafana OnCall (dba)").
    fn label(&self) -> String;

    /// The escalation level it pages for; None for every level.
    fn level(&self) -> Option<i64>;

    /// How long one page may take before it counts as failed (and is retried).
    fn timeout(&self) -> Duration;

    /// Sends one page; Ok only when the receiver accepted it. Pagers take no idempotency
    /// key, so a page whose answer was lost may go twice: at least once, never lost.
    fn page<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a>;
}

/// The pagers the config sets up: the `[escalation]` webhook, then each Grafana OnCall
/// schedule (it pages for its level).
pub fn build(loaded: &Loaded) -> Result<Vec<Arc<dyn Pager>>, Error> {
    let mut pagers: Vec<Arc<dyn Pager>> = Vec::new();
    if let Some(r) = loaded.config.escalation.webhook().map_err(Error::Invalid)? {
        let url = r.resolve().map_err(|e| Error::Failed(format!("escalation webhook: {e}")))?;
        let pager = webhook::WebhookPager::new(url, Duration::from_secs(10))
            .map_err(|e| Error::Failed(format!("escalation webhook: {e}")))?;
        pagers.push(Arc::new(pager));
    }
    for cfg in &loaded.config.schedules {
        if let ScheduleKind::GrafanaOncall(v) = &cfg.kind {
            let pager = grafana_oncall::GrafanaOnCallPager::new(cfg, v)
                .map_err(|e| Error::Failed(format!("schedule {}: {e}", cfg.name)))?;
            pagers.push(Arc::new(pager));
        }
    }
    for chat in &loaded.config.incidents.chat {
        let Some(r) = chat.webhook().map_err(Error::Invalid)? else { continue };
        let url = r.resolve().map_err(|e| Error::Failed(format!("incidents chat {}: {e}", chat.name)))?;
        let pager = crate::incident::chat::ChatPager::new(&chat.name, url, Duration::from_secs(10))
            .map_err(|e| Error::Failed(format!("incidents chat {}: {e}", chat.name)))?;
        pagers.push(Arc::new(pager));
    }
    Ok(pagers)
}

/// The escalation chain's view of the pagers: what pages, for which level.
pub fn chain(pagers: &[Arc<dyn Pager>]) -> Vec<crate::escalation::Pager> {
    let paging = pagers.iter().filter(|p| !p.target().starts_with(crate::incident::chat::TARGET_PREFIX));
    paging.map(|p| crate::escalation::Pager { level: p.level(), name: p.label() }).collect()
}
