//! One tokio task per source, on the [`Periodic`] helper: poll on its interval, bound every
//! poll by the source's timeout, back off with jitter on failure, keep health, cache the
//! last snapshot, and pass what the source says through the [`border`].
//! Results go out as [`SourceEvent`]s; the poller knows nothing of the console.

use super::cache::SnapshotCache;
use super::{AlertSource, SourceError};
use crate::model::{Alert, Health, SharedAlerts};
use crate::periodic::Periodic;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// The first alerts of the snapshot cached on disk, in rank order, and how many it has
    /// in all: shown at start while the rest is read; the whole comes next as a Snapshot.
    CachedHead {
        source: String,
        head: super::cache::Head,
    },
    Snapshot {
        source: String,
        alerts: SharedAlerts,
        at: DateTime<Utc>,
        from_cache: bool,
    },
    /// `next`: when the next poll is due (None before the first).
    Health {
        source: String,
        health: Health,
        next: Option<DateTime<Utc>>,
    },
    /// The source's snapshot could not be written to the disk cache (told once until it is
    /// written again): a console started now would open on an older one.
    CacheFailed {
        source: String,
        error: String,
    },
    /// The source's silences after a poll (only sources that have them), or why not.
    Silences {
        source: String,
        silences: Result<crate::model::Silences, String>,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval: Duration,
    pub timeout: Duration,
}

/// Polls once, bounded by `timeout` (a panic while polling fails this poll alone), and
/// through the [`border`].
pub async fn poll_once(source: &dyn AlertSource, timeout: Duration) -> Result<Vec<Alert>, SourceError> {
    crate::periodic::bounded(timeout, || source.poll_clean()).await
}

/// The border every alert from a source crosses, polled on a schedule or once: each is
/// [`Alert::sanitized`] here (through [`AlertSource::poll_clean`]), so no source has to
/// remember it and none can forget it. Alertmanager alone runs it on its converting thread.
pub fn border(alerts: Vec<Alert>) -> Vec<Alert> {
    alerts.into_iter().map(Alert::sanitized).collect()
}

/// Starts the task for one source. It runs until `shutdown` turns true or the receiver of
/// `events` is dropped.
pub fn spawn(
    source: Arc<dyn AlertSource>,
    schedule: Schedule,
    cache: SnapshotCache,
    events: mpsc::Sender<SourceEvent>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let name = source.name().to_owned();
        let mut task = Periodic::new(schedule.interval, schedule.timeout);
        let send_health = |health: &Health, next: Option<Duration>| SourceEvent::Health {
            source: name.clone(),
            health: health.clone(),
            next: next.and_then(|d| chrono::Duration::from_std(d).ok()).and_then(|d| Utc::now().checked_add_signed(d)),
        };
        // The head first (a few hundred alerts: the first screen at once, marked stale),
        // then the whole snapshot, read behind it.
        let head = {
            let (cache, name) = (cache.clone(), name.clone());
            tokio::task::spawn_blocking(move || cache.load_head(&name)).await.ok().flatten()
        };
        let headed = head.is_some();
        if let Some(head) = head {
            let stale = Health::Stale { since: head.taken_at };
            let sent = events.send(SourceEvent::CachedHead { source: name.clone(), head }).await;
            if sent.is_err() || events.send(send_health(&stale, None)).await.is_err() {
                return;
            }
        }
        let cached = {
            let (cache, name) = (cache.clone(), name.clone());
            tokio::task::spawn_blocking(move || cache.load(&name)).await.ok().flatten()
        };
        let cached = cached.map(|(at, alerts)| (at, Arc::new(alerts)));
        // The last snapshot: ages the source cannot tell are carried from it.
        let mut previous: SharedAlerts = cached.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
        let whole = match cached {
            Some((at, alerts)) => {
                task.stale(at);
                Some(SourceEvent::Snapshot { source: name.clone(), alerts, at, from_cache: true })
            }
            // The head was shown but the rest does not read: nothing from the cache stays.
            None if headed => Some(SourceEvent::Snapshot {
                source: name.clone(),
                alerts: SharedAlerts::default(),
                at: Utc::now(),
                from_cache: true,
            }),
            None => None,
        };
        if let Some(snap) = whole
            && events.send(snap).await.is_err()
        {
            return;
        }
        if events.send(send_health(task.health(), None)).await.is_err() {
            return;
        }
        // What writing the cache last failed with, said once until it works again.
        let mut cache_failed: Option<String> = None;
        loop {
            if let Ok(mut alerts) = task.round(|| source.poll_clean()).await {
                super::cache::carry_starts(&previous, &mut alerts);
                let alerts = Arc::new(alerts);
                let replaced = std::mem::replace(&mut previous, alerts.clone());
                let at = Utc::now();
                let (cache, name2, copy) = (cache.clone(), name.clone(), alerts.clone());
                // A full disk must not stop polling, but it is said. The snapshot replaced is
                // freed there too, off the runtime (this task often holds it last).
                let saved = tokio::task::spawn_blocking(move || {
                    let saved = cache.save(&name2, at, &copy).map_err(|e| e.to_string());
                    drop(replaced);
                    saved
                })
                .await
                .unwrap_or_else(|_| Err("writing it failed".into()));
                let snap = SourceEvent::Snapshot { source: name.clone(), alerts, at, from_cache: false };
                if events.send(snap).await.is_err() {
                    return;
                }
                match saved {
                    Ok(()) => cache_failed = None,
                    Err(error) if cache_failed.as_ref() != Some(&error) => {
                        cache_failed = Some(error.clone());
                        if events.send(SourceEvent::CacheFailed { source: name.clone(), error }).await.is_err() {
                            return;
                        }
                    }
                    Err(_) => {}
                }
            }
            // Silences ride along with each round, bounded like a poll (the console's silences view).
            if let Some(silences) = source.silences() {
                let silences = crate::periodic::bounded(schedule.timeout, || silences).await.map_err(|e| e.to_string());
                // The hidden alerts cross the border like any other.
                let silences = silences.map(|s| crate::model::Silences { hidden: border(s.hidden), ..s });
                if events.send(SourceEvent::Silences { source: name.clone(), silences }).await.is_err() {
                    return;
                }
            }
            let delay = task.next(None);
            if events.send(send_health(task.health(), Some(delay))).await.is_err() {
                return;
            }
            if !crate::periodic::sleep(delay, &mut shutdown).await {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use crate::sources::PollFuture;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Fails twice, then answers with one alert; the third poll hangs.
    struct Flaky(AtomicU32);

    impl AlertSource for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }
        fn poll(&self) -> PollFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                match n {
                    0 => Err(SourceError::new("connection refused")),
                    1 => std::future::pending().await,
                    _ => Ok(vec![Alert::test("flaky", "1", Severity::High, Utc::now())]),
                }
            })
        }
    }

    /// Panics on its first poll (in making the future, as a synchronous parser would), then
    /// answers.
    struct PanicsOnce(AtomicU32);

    impl AlertSource for PanicsOnce {
        fn name(&self) -> &str {
            "brittle"
        }
        fn poll(&self) -> PollFuture<'_> {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("TimeDelta::weeks out of bounds");
            }
            Box::pin(async { Ok(vec![Alert::test("brittle", "1", Severity::High, Utc::now())]) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_source_fails_that_poll_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let schedule = Schedule { interval: Duration::from_secs(5), timeout: Duration::from_secs(2) };
        let task =
            spawn(Arc::new(PanicsOnce(AtomicU32::new(0))), schedule, SnapshotCache::new(dir.path()), tx, stop_rx);
        let _pending = rx.recv().await.unwrap();
        let SourceEvent::Health { health: Health::Failing { error, .. }, .. } = rx.recv().await.unwrap() else {
            panic!("the panic is a failed poll")
        };
        assert!(error.starts_with("klaxon crashed on this: TimeDelta::weeks out of bounds"), "{error}");
        assert!(matches!(rx.recv().await.unwrap(), SourceEvent::Snapshot { .. }), "the task lives on");
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }

    /// The events of the next round that are not health, as short words.
    async fn round(rx: &mut mpsc::Receiver<SourceEvent>) -> Vec<String> {
        let mut said = Vec::new();
        loop {
            match rx.recv().await.unwrap() {
                SourceEvent::Health { next: Some(_), .. } => return said,
                SourceEvent::Snapshot { from_cache: false, .. } => said.push("snapshot".into()),
                SourceEvent::CacheFailed { source, error } => said.push(format!("{source}: {error}")),
                _ => {}
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_cache_that_cannot_be_written_is_said_once_until_it_can() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("cache");
        std::fs::write(&at, "a file where the cache's directory goes").unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let schedule = Schedule { interval: Duration::from_secs(5), timeout: Duration::from_secs(2) };
        let answers = Arc::new(PanicsOnce(AtomicU32::new(1)));
        let task = spawn(answers, schedule, SnapshotCache::new(&at), tx, stop_rx);
        let first = round(&mut rx).await;
        assert_eq!(first.len(), 2, "{first:?}");
        assert_eq!(first[0], "snapshot", "the poll stands");
        assert!(first[1].starts_with("brittle: File exists"), "{first:?}");
        assert_eq!(round(&mut rx).await, ["snapshot"], "said once, not at every poll");
        std::fs::remove_file(&at).unwrap();
        assert_eq!(round(&mut rx).await, ["snapshot"]);
        assert!(at.join("brittle.snapshot").exists());
        std::fs::remove_dir_all(&at).unwrap();
        std::fs::write(&at, "again").unwrap();
        let again = round(&mut rx).await;
        assert!(again.len() == 2 && again[1].starts_with("brittle: File exists"), "said again: {again:?}");
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn failing_then_hanging_then_ok_with_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let (tx, mut rx) = mpsc::channel(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let schedule = Schedule { interval: Duration::from_secs(5), timeout: Duration::from_secs(2) };
        let task = spawn(Arc::new(Flaky(AtomicU32::new(0))), schedule, cache.clone(), tx, stop_rx);
        let mut seen = Vec::new();
        while seen.len() < 4 {
            seen.push(rx.recv().await.unwrap());
        }
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        let health = |e: &SourceEvent| match e {
            SourceEvent::Health { health, next, .. } => {
                assert_eq!(next.is_some(), *health != Health::Pending, "every poll says when the next is due");
                health.to_string()
            }
            SourceEvent::Snapshot { alerts, from_cache, .. } => {
                format!("snapshot {} cached={from_cache}", alerts.len())
            }
            SourceEvent::Silences { .. } => "silences".into(),
            SourceEvent::CachedHead { .. } => "head".into(),
            SourceEvent::CacheFailed { error, .. } => format!("cache failed: {error}"),
        };
        let seen: Vec<String> = seen.iter().map(health).collect();
        assert_eq!(seen[0], "pending");
        assert!(seen[1].contains("(1 attempts): connection refused"), "{seen:?}");
        assert!(seen[2].contains("(2 attempts): no answer within 2s"), "{seen:?}");
        assert_eq!(seen[3], "snapshot 1 cached=false");
        // The next start shows the cached snapshot's head first, marked stale, then the whole.
        let (at, alerts) = cache.load("flaky").unwrap();
        assert_eq!(alerts.len(), 1);
        let stale = SourceEvent::Health { source: "flaky".into(), health: Health::Stale { since: at }, next: None };
        let (tx, mut rx) = mpsc::channel(16);
        let (stop_tx, stop_rx) = watch::channel(false);
        let source = Arc::new(Flaky(AtomicU32::new(0)));
        let task = spawn(source, schedule, cache.clone(), tx, stop_rx);
        assert!(
            matches!(rx.recv().await.unwrap(), SourceEvent::CachedHead { head, .. } if head.total == 1 && head.taken_at == at)
        );
        assert_eq!(rx.recv().await.unwrap(), stale);
        assert!(
            matches!(rx.recv().await.unwrap(), SourceEvent::Snapshot { from_cache: true, alerts, .. } if alerts.len() == 1)
        );
        assert_eq!(rx.recv().await.unwrap(), stale);
        stop_tx.send(true).unwrap();
        drop(rx);
        task.await.unwrap();

        // A head whose whole does not read: what it showed is taken back, and nothing is stale.
        // (The whole comes last in the file: its last byte cut, the head still reads.)
        let file = dir.path().join("flaky.snapshot");
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let (_stop, stop_rx) = watch::channel(false);
        let _task = spawn(Arc::new(Flaky(AtomicU32::new(0))), schedule, cache, tx, stop_rx);
        assert!(matches!(rx.recv().await.unwrap(), SourceEvent::CachedHead { .. }));
        assert_eq!(rx.recv().await.unwrap(), stale);
        assert!(
            matches!(rx.recv().await.unwrap(), SourceEvent::Snapshot { from_cache: true, alerts, .. } if alerts.is_empty())
        );
        assert_eq!(
            rx.recv().await.unwrap(),
            SourceEvent::Health { source: "flaky".into(), health: Health::Pending, next: None }
        );
    }
}
