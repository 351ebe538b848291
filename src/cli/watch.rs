//! `klaxon watch`: the engine without the screen. Polls every source on its schedule,
//! records the lifecycle in the store, prints one line per new, changed or resolved alert.

use super::{CliError, Session, WatchFormat};
use crate::model::{Alert, Board, Entry, EntryKind, Severity, Watcher};
use crate::sources::poller::{self, Schedule, SourceEvent};
use chrono::SecondsFormat;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use tokio::sync::{mpsc, watch};

pub async fn run(session: Session, format: WatchFormat) -> Result<(), CliError> {
    let (tx, mut rx) = mpsc::channel(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    for (cfg, source) in &session.sources {
        let schedule = Schedule { interval: cfg.interval, timeout: cfg.timeout };
        poller::spawn(source.clone(), schedule, session.cache.clone(), tx.clone(), stop_rx.clone());
    }
    drop(tx);
    let mut board = Board::default();
    // The same notifications as the console: run this as a service, open the console when paged.
    let cfg = session.loaded.config.notify.clone();
    let notify = crate::notify::spawn(&cfg, |e| eprintln!("klaxon: {e}"));
    let mut watcher = Watcher::default();
    // Every change, for the lines printed while the store is away (it cannot say them).
    let mut all_changes = Watcher::default();
    let mut store = StoreState::default();
    let mut last_health: HashMap<String, String> = HashMap::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        let event = tokio::select! {
            e = rx.recv() => match e { Some(e) => e, None => break },
            _ = &mut stop => break,
        };
        match event {
            SourceEvent::Snapshot { source, alerts, at, from_cache } => {
                // A store that fails does not stop the watch: it goes on polling and
                // notifying, says the store is failing, and catches up when it is back.
                let observed = (!from_cache).then(|| session.observe(&source, &alerts, at));
                if let Some(Ok(entries)) = &observed {
                    store.answered();
                    let by_key: HashMap<_, &Alert> = alerts.iter().map(|a| (a.key.clone(), a)).collect();
                    for e in entries {
                        // Printed while the store was away: not again now that it records it.
                        if e.kind == EntryKind::Seen && store.printed.remove(&e.alert_key) {
                            continue;
                        }
                        let alert =
                            by_key.get(&e.alert_key).copied().or_else(|| board.get(&e.alert_key).map(|i| &*i.alert));
                        print_event(format, e, alert);
                    }
                }
                board.apply_snapshot(&source, alerts);
                let changes = all_changes.observe(&source, board.ranked(), Severity::Information, from_cache);
                if let Some(Err(e)) = observed {
                    store.failed(&e.to_string());
                    for n in changes {
                        print_offline(format, &n, board.get(&n.key).map(|i| &*i.alert));
                        store.printed.insert(n.key);
                    }
                }
                if !from_cache {
                    match session.store.ownership() {
                        Ok(owners) => board.set_ownership(owners),
                        Err(e) => store.failed(&e.to_string()),
                    }
                    if let Err(e) = auto_escalate(&session, &board).await {
                        store.failed(&e.to_string());
                    }
                }
                let news = watcher.observe(&source, board.ranked(), cfg.min_severity, from_cache);
                if !news.is_empty() {
                    let _ = notify.send(news).await;
                }
            }
            SourceEvent::Health { source, health, .. } => {
                let text = health.to_string();
                if last_health.get(&source) != Some(&text) && !health.is_ok() {
                    eprintln!("klaxon: source {source}: {text}");
                }
                last_health.insert(source, text);
            }
        }
    }
    let _ = stop_tx.send(true);
    Ok(())
}

/// `[escalation] auto_after`, as the console does it: the same op_ids, so a console and a
/// watch service (or two) escalate an alert to a level once, and page once.
async fn auto_escalate(session: &Session, board: &Board) -> Result<(), CliError> {
    let Some(after) = session.loaded.config.escalation.auto_after.and_then(|d| chrono::Duration::from_std(d).ok())
    else {
        return Ok(());
    };
    let top = session.top_level();
    let due = crate::escalation::auto_due(board.ranked(), chrono::Utc::now(), after, top);
    for (key, level, op_id) in &due {
        let note = format!("unacknowledged for {} min", (after * *level as i32).num_minutes());
        let text = session.escalation_text(*level, &note).await;
        let mut entry = crate::model::NewEntry::new(
            key.clone(),
            crate::model::EntryKind::Escalated,
            crate::escalation::AUTO_ACTOR,
            &text,
        )
        .with_level(*level);
        entry.op_id = op_id.clone();
        // A refused write is said and tried again next round (nothing marks it done); the
        // watch goes on for the other alerts.
        match session.store_entry(&entry) {
            // stdout's events stay new/changed/resolved; what klaxon did goes to stderr.
            Ok(stored) => eprintln!("klaxon: escalated {key} to level {level}: {}", stored.text),
            Err(e) => eprintln!("klaxon: escalating {key} to level {level} not saved (tried again): {e}"),
        }
    }
    if !due.is_empty() {
        session.sync(false).await;
    }
    Ok(())
}

/// Whether the store is answering, said on stderr once per change.
#[derive(Default)]
struct StoreState {
    failing: bool,
    /// Alerts printed as new while the store was away.
    printed: std::collections::HashSet<crate::model::AlertKey>,
}

impl StoreState {
    fn failed(&mut self, error: &str) {
        if !self.failing {
            eprintln!("klaxon: the store is failing ({error}); still watching and notifying, recorded when it is back");
        }
        self.failing = true;
    }

    fn answered(&mut self) {
        if self.failing {
            eprintln!("klaxon: the store answers again");
        }
        self.failing = false;
    }
}

/// A new or risen alert seen while the store is away, as the store's entry would print it.
fn print_offline(format: WatchFormat, n: &crate::model::Notice, alert: Option<&Alert>) {
    let (kind, text) = match n.rose_from {
        Some(from) => (EntryKind::SeverityChanged, format!("{from} → {}", n.severity)),
        None => (EntryKind::Seen, String::new()),
    };
    let entry = Entry {
        id: 0,
        op_id: String::new(),
        alert_key: n.key.clone(),
        kind,
        actor: crate::escalation::AUTO_ACTOR.into(),
        at: chrono::Utc::now(),
        text,
        level: None,
        db_user: None,
    };
    print_event(format, &entry, alert);
}

fn print_event(format: WatchFormat, e: &Entry, alert: Option<&Alert>) {
    let event = match e.kind {
        EntryKind::Seen => "new",
        EntryKind::SeverityChanged => "changed",
        EntryKind::Resolved => "resolved",
        _ => return,
    };
    let at = e.at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let line = match format {
        WatchFormat::Json => json!({
            "event": event,
            "at": at,
            "key": e.alert_key,
            "severity": alert.map(|a| a.severity),
            "title": alert.map(|a| a.title.as_str()),
            "text": e.text,
            "labels": alert.map(|a| &a.labels),
        })
        .to_string(),
        WatchFormat::Text => format!(
            "{at} {event:<8} {:<11} {} {}",
            alert.map_or("-", |a| a.severity.name()),
            e.alert_key,
            alert.map_or("", |a| a.title.as_str())
        ),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (watch | head) ends quietly at the next write.
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        _ = async { match hup.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
}
