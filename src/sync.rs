//! Draining the outbox: each queued action goes to its source, in the order people took
//! them, and counts as done only when the source confirms it. A failure is retried later
//! with backoff; later actions on the same alert wait behind it, so a note never
//! overtakes the acknowledgement it belongs to.

use crate::model::{AlertKey, MirrorDone, MirrorOp};
use crate::pagers::Pager;
use crate::periodic::backoff;
use crate::sources::AlertSource;
use crate::store::{Pending, Store};
use chrono::Utc;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// What one drain did, for the status line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub done: Vec<String>,
    pub failed: Vec<String>,
    /// Still queued after this drain (failed, or waiting for their turn).
    pub waiting: usize,
    /// Kept on this host because the store (the team's database) is out of reach.
    pub queued: usize,
    /// The outbox could not be read: how many actions wait in it is not known (not none).
    pub unread: bool,
}

impl Report {
    /// Every action not yet where it is going: the count the console shows.
    pub fn unsent(&self) -> usize {
        self.waiting + self.queued
    }
}

fn unread(mut report: Report, error: String) -> Report {
    report.failed.push(format!("the outbox could not be read: {error}"));
    report.unread = true;
    report
}

/// Where actions can go, by target name: sources, and pagers (names starting with '@').
pub trait Sources {
    fn source(&self, name: &str) -> Option<(Arc<dyn AlertSource>, Duration)>;

    fn pager(&self, _target: &str) -> Option<Arc<dyn Pager>> {
        None
    }

    /// Every target configured here, so the outbox leases us nothing we cannot send; None
    /// when not known (then a target found missing lets its lease go).
    fn targets(&self) -> Option<HashSet<String>> {
        None
    }
}

impl Sources for [(crate::sources::SourceConfig, Arc<dyn AlertSource>)] {
    fn source(&self, name: &str) -> Option<(Arc<dyn AlertSource>, Duration)> {
        self.iter().find(|(c, _)| c.name == name).map(|(c, s)| (s.clone(), c.timeout))
    }

    fn targets(&self) -> Option<HashSet<String>> {
        Some(self.iter().map(|(c, _)| c.name.clone()).collect())
    }
}

/// Why an action cannot go to `target` from here, if it cannot: it is not configured.
fn unconfigured(sources: &(impl Sources + ?Sized), target: &str) -> Option<String> {
    let missing =
        if target.starts_with('@') { sources.pager(target).is_none() } else { sources.source(target).is_none() };
    missing.then(|| match target {
        crate::escalation::PAGER => "no [escalation] webhook is configured".to_string(),
        t if t.starts_with('@') => format!("{t} is not configured"),
        _ => format!("source {target} is not configured"),
    })
}

/// The alert sources and the escalation pagers (the webhook, [`crate::escalation::PAGER`],
/// and vendors' escalation, `@grafana-oncall:<schedule>`: [`crate::pagers`]).
pub struct Targets<'a> {
    pub sources: &'a [(crate::sources::SourceConfig, Arc<dyn AlertSource>)],
    pub pagers: &'a [Arc<dyn Pager>],
}

impl Sources for Targets<'_> {
    fn source(&self, name: &str) -> Option<(Arc<dyn AlertSource>, Duration)> {
        self.sources.source(name)
    }

    fn pager(&self, target: &str) -> Option<Arc<dyn Pager>> {
        self.pagers.iter().find(|p| p.target() == target).cloned()
    }

    fn targets(&self) -> Option<HashSet<String>> {
        let mut all = self.sources.targets()?;
        all.extend(self.pagers.iter().map(|p| p.target().to_string()));
        Some(all)
    }
}

/// Carries one queued action to its target: a source's `mirror`, or a pager's `page`;
/// None when the target is not configured (any more).
async fn carry(sources: &(impl Sources + ?Sized), target: &str, op: &MirrorOp) -> Option<Result<MirrorDone, String>> {
    let (sent, timeout) = if target.starts_with('@') {
        let pager = sources.pager(target)?;
        let timeout = pager.timeout();
        (tokio::time::timeout(timeout, async move { pager.page(op).await }).await, timeout)
    } else {
        let (source, timeout) = sources.source(target)?;
        (tokio::time::timeout(timeout, async move { source.mirror(op).await }).await, timeout)
    };
    Some(match sent {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {}", humantime::format_duration(timeout))),
    })
}

/// Sends what is due. `force` ignores the backoff (`klaxon sync`).
pub async fn drain(store: Arc<dyn Store>, sources: &(impl Sources + ?Sized), force: bool) -> Report {
    let mut report = Report::default();
    // First into the store what waited for it here: what goes to sources is queued there.
    let st = store.clone();
    if let Ok(replay) = tokio::task::spawn_blocking(move || st.replay()).await {
        if replay.sent > 0 {
            report.done.push(format!("{} action(s) kept here while the store was away are stored", replay.sent));
        }
        if let Some(e) = replay.error {
            report.failed.push(format!("{} action(s) kept here for the store: {e}", replay.waiting));
        }
        report.queued = replay.waiting;
        if replay.unreachable {
            // The outbox is in the store too; but people must be paged while it is away:
            // pages waiting on this host go now, straight from here.
            send_queued_pages(&store, sources, &mut report).await;
            return report;
        }
    }
    let (st, targets) = (store.clone(), sources.targets());
    let pending = match tokio::task::spawn_blocking(move || st.pending_mirrors(force, targets.as_ref())).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return unread(report, e.to_string()),
        Err(e) => return unread(report, e.to_string()),
    };
    // Order holds per alert and target: a page stuck on a dead webhook does not hold back
    // the same alert's ack at its source, nor the other way round. What the store leased to
    // us is what we send: another console sends the rest.
    let mut blocked: HashSet<(String, AlertKey)> = HashSet::new();
    for Pending { mut op, target: source_name, due, .. } in pending {
        let lane = (source_name.clone(), op.alert_key.clone());
        if blocked.contains(&lane) || !due {
            // Kept, and said: it goes when a console that has its target sends it.
            if let Some(what) = unconfigured(sources, &source_name) {
                report.failed.push(format!("{}: {what}", op.alert_key));
            }
            blocked.insert(lane);
            report.waiting += 1;
            continue;
        }
        let (st, key, id) = (store.clone(), op.alert_key.clone(), op.op_id.clone());
        op.prior =
            tokio::task::spawn_blocking(move || st.mirror_prior(&key, &id)).await.ok().and_then(Result::ok).flatten();
        let Some(outcome) = carry(sources, &source_name, &op).await else {
            // The target is not configured here: keep the action, say so, try again when it is.
            let what = unconfigured(sources, &source_name).unwrap_or_default();
            report.failed.push(format!("{}: {what}", op.alert_key));
            // Its lease is let go: due again at the next drain, when the config may have it.
            let (st, id) = (store.clone(), op.op_id.clone());
            let _ = tokio::task::spawn_blocking(move || st.mirror_failed(&id, &what, Utc::now())).await;
            blocked.insert(lane);
            report.waiting += 1;
            continue;
        };
        let st = store.clone();
        match outcome {
            Ok(done) => {
                let (op2, summary) = (op.clone(), done.summary.clone());
                // Sent; but a store that cannot record it will send it again: say so.
                let line = match tokio::task::spawn_blocking(move || st.mirror_done(&op2, &done)).await {
                    Ok(Err(e)) => {
                        // What follows it waits: it would reach the source before this goes again.
                        blocked.insert(lane);
                        format!("{summary} (not recorded as sent, so it goes again: {e})")
                    }
                    _ => summary,
                };
                report.done.push(format!("{}: {line}", op.alert_key));
            }
            Err(e) => {
                let wait = backoff(Duration::from_secs(15), op.attempts + 1, fastrand::f64());
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                report.failed.push(format!("{} ({} to {source_name}): {e}", op.alert_key, op.kind));
                let id = op.op_id.clone();
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || st.mirror_failed(&id, &e, next)).await {
                    report.failed.push(format!("{}: its retry time not recorded ({e})", op.alert_key));
                }
                blocked.insert(lane);
                report.waiting += 1;
            }
        }
    }
    report
}

/// Pages waiting on this host for an unreachable store, sent now; the store writes their
/// outbox rows as done when it is back, so none goes twice. One that fails is tried again
/// at the next drain.
async fn send_queued_pages(store: &Arc<dyn Store>, sources: &(impl Sources + ?Sized), report: &mut Report) {
    let st = store.clone();
    let pages = match tokio::task::spawn_blocking(move || st.queued_pages()).await {
        Ok(Ok(pages)) => pages,
        Ok(Err(e)) => return report.failed.push(e.to_string()),
        Err(e) => return report.failed.push(e.to_string()),
    };
    for (op, target) in pages {
        let Some(outcome) = carry(sources, &target, &op).await else {
            report.failed.push(format!("{}: {target} is not configured", op.alert_key));
            continue;
        };
        match outcome {
            Ok(done) => {
                report.done.push(format!("{}: {} (page sent while the store is away)", op.alert_key, done.summary));
                let (st, id) = (store.clone(), op.op_id.clone());
                let recorded = tokio::task::spawn_blocking(move || st.queued_page_sent(&id, &done)).await;
                if let Ok(Err(e)) = recorded {
                    report.failed.push(format!("{}: the page went, but recording it failed: {e}", op.alert_key));
                }
            }
            Err(e) => report.failed.push(format!("{} ({} to {target}): {e}", op.alert_key, op.kind)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntryKind, Fields, NewEntry};
    use crate::store::SqliteStore;

    /// An action for a source this console does not have is said and kept, and not taken
    /// from a console that has it: the next one to look finds it due at once.
    #[tokio::test]
    async fn an_action_for_a_target_not_configured_here_is_said_and_left_for_others() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap());
        let ack = NewEntry::new(AlertKey::new("gone", "a"), EntryKind::Acked, "alice", "");
        store.append_mirrored(&ack, "gone", &Fields::from([("alertname", "Down")])).unwrap();
        let none: &[(crate::sources::SourceConfig, Arc<dyn AlertSource>)] = &[];
        let report = drain(store.clone(), none, false).await;
        assert_eq!(report.failed, ["gone/a: source gone is not configured"]);
        assert_eq!(report.waiting, 1);
        let pending = store.pending_mirrors(false, None).unwrap();
        assert!(pending[0].due, "not leased by a console that cannot send it");
        assert_eq!(pending[0].op.attempts, 0, "nothing was tried, nothing written");
    }
}
