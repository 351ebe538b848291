//! The one path from what sources say to what people hear, for the console and `klaxon
//! watch` alike: snapshot → store observe (seen, severity-changed, resolved) → news →
//! automatic escalation → notifications.
//!
//! [`start`] runs the sources and hands on each snapshot *before* the store records it (a
//! slow or hung store never hides alerts), then the store's answer, awaited at most
//! [`STORE_TIMEOUT`]. The decisions on what is news and what escalates are [`rules`], pure,
//! so the console's `update` takes them too; [`Headless`] is the rest of the path for `watch`.

pub mod rules;

use crate::model::{Alert, AlertKey, Board, Entry, EntryKind, Health, Notice, SharedAlerts, Watcher};
use crate::session::Session;
use crate::sources::AlertSource;
use crate::sources::SourceConfig;
use crate::sources::cache::SnapshotCache;
use crate::sources::poller::{self, Schedule, SourceEvent};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How long the store may take to record a snapshot before the engine says it is not
/// answering. The call itself goes on (on a blocking thread); nothing waits for it.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The first alerts of a source's snapshot cached on disk, and how many it has: shown
    /// at start while the rest is read (the whole snapshot follows, `fresh` false).
    CachedHead { source: String, head: crate::sources::cache::Head },
    /// A source's alerts; `fresh` false for the snapshot cached on disk, shown at start.
    Snapshot { source: String, alerts: SharedAlerts, fresh: bool },
    /// The store recorded a fresh snapshot: the lifecycle entries it wrote (often none).
    Recorded { source: String, entries: Vec<Entry> },
    /// The store did not record a fresh snapshot.
    StoreFailed { source: String, trouble: StoreTrouble },
    /// A source's health, and when its next poll is due (None before the first).
    Health { source: String, health: Health, next: Option<DateTime<Utc>> },
    /// A source's snapshot could not be written to the disk cache (told once until it is).
    CacheFailed { source: String, error: String },
    /// A source's silences (Alertmanager), or why they could not be read.
    Silences { source: String, silences: Result<crate::model::Silences, String> },
}

/// What is said when a source's snapshot could not be written to the disk cache.
pub fn cache_failed(source: &str, error: &str) -> String {
    format!(
        "could not write the snapshot cache of {source}: {error} (a restart would open on an older one, or on none)"
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreTrouble {
    #[error("the store did not record the alerts: {0}")]
    Refused(String),
    #[error("the store has not answered for {}s: alerts show, their history may lag", STORE_TIMEOUT.as_secs())]
    Silent,
}

/// Starts polling every source; the events come in the order above, per snapshot. Runs
/// until `stop` turns true or the receiver is dropped.
pub fn start(
    sources: &[(SourceConfig, Arc<dyn AlertSource>)],
    cache: &SnapshotCache,
    store: Arc<dyn Store>,
    stop: watch::Receiver<bool>,
) -> mpsc::Receiver<Event> {
    let (ev_tx, mut ev_rx) = mpsc::channel::<SourceEvent>(64);
    for (cfg, source) in sources {
        let schedule = Schedule { interval: cfg.interval, timeout: cfg.timeout };
        poller::spawn(source.clone(), schedule, cache.clone(), ev_tx.clone(), stop.clone());
    }
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        while let Some(event) = ev_rx.recv().await {
            match event {
                SourceEvent::Snapshot { source, alerts, at, from_cache } => {
                    let to_store = (!from_cache).then(|| alerts.clone()); // shared, not copied
                    if tx.send(Event::Snapshot { source: source.clone(), alerts, fresh: !from_cache }).await.is_err() {
                        return;
                    }
                    let Some(alerts) = to_store else { continue };
                    let s = store.clone();
                    let name = source.clone();
                    // The store's hold on the snapshot ends on that thread, so the copy
                    // that is freed last is freed there, not on the runtime.
                    let observed = tokio::task::spawn_blocking(move || s.observe(&name, &alerts, at));
                    let event = match tokio::time::timeout(STORE_TIMEOUT, observed).await {
                        Ok(Ok(Ok(entries))) => Event::Recorded { source, entries },
                        Ok(Ok(Err(e))) => Event::StoreFailed { source, trouble: StoreTrouble::Refused(e.to_string()) },
                        Ok(Err(e)) => Event::StoreFailed { source, trouble: StoreTrouble::Refused(e.to_string()) },
                        Err(_) => Event::StoreFailed { source, trouble: StoreTrouble::Silent },
                    };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                SourceEvent::CachedHead { source, head } => {
                    if tx.send(Event::CachedHead { source, head }).await.is_err() {
                        return;
                    }
                }
                SourceEvent::Health { source, health, next } => {
                    if tx.send(Event::Health { source, health, next }).await.is_err() {
                        return;
                    }
                }
                SourceEvent::CacheFailed { source, error } => {
                    if tx.send(Event::CacheFailed { source, error }).await.is_err() {
                        return;
                    }
                }
                SourceEvent::Silences { source, silences } => {
                    if tx.send(Event::Silences { source, silences }).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// What the headless engine has to say: lifecycle events for stdout, the rest for stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// A new, changed or resolved alert: the store's entry, or while the store is away, the
    /// entry it would write.
    Lifecycle { entry: Entry, alert: Option<Box<Alert>> },
    /// What klaxon did or what went wrong, one line.
    Note(String),
    /// What sending the outbox did after an automatic escalation.
    Sent(crate::sync::Report),
}

/// The rest of the path without a screen (`klaxon watch`): keeps the ranked board, says what
/// the store recorded, and (once the store has answered, so ownership is known) notifies
/// news and escalates on its own, with the console's [`rules`].
pub struct Headless<'a> {
    session: &'a Session,
    notify: mpsc::Sender<Vec<Notice>>,
    board: Board,
    watcher: Watcher,
    /// Every change, for the lines said while the store is away (it cannot say them).
    all_changes: Watcher,
    /// A fresh snapshot's changes until the store answers for it.
    pending: HashMap<String, Vec<Notice>>,
    /// Alerts that left a snapshot, kept until the store says they resolved.
    gone: HashMap<AlertKey, Alert>,
    store_failing: bool,
    /// Alerts said as new while the store was away: not again when it records them.
    printed: HashSet<AlertKey>,
    last_health: HashMap<String, String>,
}

impl<'a> Headless<'a> {
    pub fn new(session: &'a Session, notify: mpsc::Sender<Vec<Notice>>) -> Self {
        Headless {
            session,
            notify,
            board: Board::default(),
            watcher: Watcher::default(),
            all_changes: Watcher::default(),
            pending: HashMap::new(),
            gone: HashMap::new(),
            store_failing: false,
            printed: HashSet::new(),
            last_health: HashMap::new(),
        }
    }

    pub async fn on(&mut self, event: Event) -> Vec<Said> {
        let mut said = Vec::new();
        match event {
            Event::Snapshot { source, alerts, fresh } => {
                if fresh {
                    let now: HashSet<&AlertKey> = alerts.iter().map(|a| &a.key).collect();
                    for item in self.board.ranked().iter().filter(|i| i.alert.source() == source) {
                        if !now.contains(&item.alert.key) {
                            self.gone.insert(item.alert.key.clone(), (*item.alert).clone());
                        }
                    }
                }
                self.board.apply_snapshot(&source, Arc::unwrap_or_clone(alerts));
                let changes = rules::news(&mut self.all_changes, &self.board, &source, fresh);
                if fresh {
                    self.pending.insert(source, changes);
                } else {
                    rules::news(&mut self.watcher, &self.board, &source, false);
                }
            }
            Event::Recorded { source, entries } => {
                self.pending.remove(&source);
                self.answered(&mut said);
                for e in entries {
                    // Said while the store was away: not again now that it records it.
                    if e.kind == EntryKind::Seen && self.printed.remove(&e.alert_key) {
                        continue;
                    }
                    let alert = self.board.get(&e.alert_key).map(|i| i.alert.clone());
                    let alert = alert.or_else(|| self.gone.remove(&e.alert_key).map(Box::new));
                    said.push(Said::Lifecycle { entry: e, alert });
                }
                self.gone.retain(|k, _| k.source() != source);
                self.after_store(&source, &mut said).await;
            }
            Event::StoreFailed { source, trouble } => {
                self.failed(&trouble.to_string(), &mut said);
                for n in self.pending.remove(&source).unwrap_or_default() {
                    let alert = self.board.get(&n.key).map(|i| i.alert.clone());
                    said.push(Said::Lifecycle { entry: offline_entry(&n), alert });
                    self.printed.insert(n.key);
                }
                self.gone.retain(|k, _| k.source() != source);
                self.after_store(&source, &mut said).await;
            }
            Event::Health { source, health, .. } => {
                let text = health.to_string();
                if self.last_health.get(&source) != Some(&text) && !health.is_ok() {
                    said.push(Said::Note(format!("source {source}: {text}")));
                }
                self.last_health.insert(source, text);
            }
            Event::CacheFailed { source, error } => said.push(Said::Note(cache_failed(&source, &error))),
            // `watch` says nothing of silences; the console lists them. A cached head is
            // for the first screen: the whole cached snapshot follows.
            Event::Silences { .. } | Event::CachedHead { .. } => {}
        }
        said
    }

    /// Once the store has answered for a fresh snapshot (or failed to): who owns what,
    /// automatic escalation, then the news.
    async fn after_store(&mut self, source: &str, said: &mut Vec<Said>) {
        let store = self.session.store.clone();
        match tokio::task::spawn_blocking(move || store.ownership()).await {
            Ok(Ok(owners)) => self.board.set_ownership(owners),
            Ok(Err(e)) => self.failed(&e.to_string(), said),
            Err(e) => self.failed(&e.to_string(), said),
        }
        self.auto_escalate(said).await;
        let news = rules::news(&mut self.watcher, &self.board, source, true);
        let loud = rules::loud(&news, self.session.loaded.config.notify.min_severity, false);
        if !loud.is_empty() {
            let _ = self.notify.send(loud).await;
        }
    }

    /// `[escalation] auto_after`, as the console does it: the same entries, so a console
    /// and a watch service (or two) escalate an alert to a level once, and page once.
    async fn auto_escalate(&mut self, said: &mut Vec<Said>) {
        let cfg = &self.session.loaded.config.escalation;
        let Some(after) = cfg.auto_after.and_then(|d| chrono::Duration::from_std(d).ok()) else { return };
        let (now, top) = (Utc::now(), self.session.top_level());
        if crate::escalation::auto_due(self.board.ranked(), now, after, top).is_empty() {
            return;
        }
        let oncall = crate::actions::ask_on_call(self.session).await;
        let text = |key: &AlertKey, level: i64, note: &str| {
            crate::actions::text_for(self.session, key, oncall.as_deref(), level, note)
        };
        for entry in rules::auto_escalations(&self.board, now, after, top, text) {
            let (key, level) = (entry.alert_key.clone(), entry.level.unwrap_or(1));
            // A refused write is said and tried again next round (nothing marks it done).
            said.push(Said::Note(match crate::actions::store_entry(self.session, &entry) {
                Ok(stored) => format!("escalated {key} to level {level}: {}", stored.text),
                Err(e) => format!("escalating {key} to level {level} not saved (tried again): {e}"),
            }));
        }
        said.push(Said::Sent(self.session.drain(false).await));
    }

    fn failed(&mut self, error: &str, said: &mut Vec<Said>) {
        if !self.store_failing {
            said.push(Said::Note(format!(
                "the store is failing ({error}); still watching and notifying, recorded when it is back"
            )));
        }
        self.store_failing = true;
    }

    fn answered(&mut self, said: &mut Vec<Said>) {
        if self.store_failing {
            said.push(Said::Note("the store answers again".into()));
        }
        self.store_failing = false;
    }
}

/// A new or risen alert seen while the store is away, as the store's entry would say it.
fn offline_entry(n: &Notice) -> Entry {
    let (kind, text) = match n.rose_from {
        Some(from) => (EntryKind::SeverityChanged, format!("{from} → {}", n.severity)),
        None => (EntryKind::Seen, String::new()),
    };
    Entry {
        id: 0,
        op_id: String::new(),
        alert_key: n.key.clone(),
        kind,
        actor: crate::escalation::AUTO_ACTOR.into(),
        at: Utc::now(),
        text,
        level: None,
        db_user: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::store::rigged::Rigged;
    use std::sync::Mutex;

    struct One;

    impl AlertSource for One {
        fn name(&self) -> &str {
            "prod"
        }
        fn poll(&self) -> crate::sources::PollFuture<'_> {
            Box::pin(async { Ok(vec![Alert::test("prod", "a", Severity::High, Utc::now())]) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_snapshot_goes_first_and_a_hung_store_is_waited_for_ten_seconds_at_most() {
        let dir = tempfile::tempdir().unwrap();
        let (open, gate) = std::sync::mpsc::channel();
        // Its `observe` hangs until the test lets it go, as a database behind a dead network would.
        let store = Rigged { observe_gate: Some(Mutex::new(gate)), ..Rigged::open(&dir.path().join("k.db")) };
        let cfg =
            crate::settings::parse("[[sources]]\nname = \"prod\"\nkind = \"demo\"\ninterval = \"1h\"\n", "t.toml")
                .unwrap()
                .sources
                .remove(0);
        let sources: Vec<(SourceConfig, Arc<dyn AlertSource>)> = vec![(cfg, Arc::new(One))];
        let cache = SnapshotCache::new(&dir.path().join("cache"));
        let (_stop, stop_rx) = watch::channel(false);
        let mut events = start(&sources, &cache, Arc::new(store), stop_rx);
        async fn next(events: &mut mpsc::Receiver<Event>) -> Event {
            loop {
                match events.recv().await.unwrap() {
                    Event::Health { .. } => continue,
                    e => return e,
                }
            }
        }
        assert!(matches!(next(&mut events).await, Event::Snapshot { fresh: true, .. }), "the screen hears first");
        tokio::time::advance(STORE_TIMEOUT - Duration::from_millis(1)).await;
        tokio::task::yield_now().await;
        assert!(events.try_recv().is_err(), "still waiting for the store");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(
            next(&mut events).await,
            Event::StoreFailed { source: "prod".into(), trouble: StoreTrouble::Silent },
            "said once the store has not answered for ten seconds"
        );
        open.send(()).unwrap();
    }
}
