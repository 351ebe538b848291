//! A SQLite store for unit tests whose edges the test holds: its `observe` can wait for the
//! test (a database behind a dead network), and its change feed wakes only when the test
//! says so (a feed that tells of a write before the write can be read).

use super::{KnownAlert, Result, SqliteStore, Store};
use crate::model::{Alert, AlertKey, Entry, EntryKind, Fields, MirrorDone, MirrorOp, NewEntry, Ownership};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::Receiver;

type Wake = Box<dyn Fn() -> bool + Send>;

pub struct Rigged {
    pub inner: SqliteStore,
    /// When set, each `observe` first waits for a message on it.
    pub observe_gate: Option<Mutex<Receiver<()>>>,
    /// Whether the store has a change feed (trusted to miss nothing); its wake is kept in
    /// `wake` for the test to call.
    pub feed: bool,
    pub wake: Mutex<Option<Wake>>,
}

impl Rigged {
    pub fn open(path: &std::path::Path) -> Rigged {
        Rigged { inner: SqliteStore::open(path).unwrap(), observe_gate: None, feed: false, wake: Mutex::new(None) }
    }
}

impl Store for Rigged {
    fn append(&self, entry: &NewEntry) -> Result<Entry> {
        self.inner.append(entry)
    }
    fn timeline(&self, key: &AlertKey) -> Result<Vec<Entry>> {
        self.inner.timeline(key)
    }
    fn entries_of_kind(&self, kind: EntryKind) -> Result<Vec<Entry>> {
        self.inner.entries_of_kind(kind)
    }
    fn last_entry_id(&self) -> Result<i64> {
        self.inner.last_entry_id()
    }
    fn entries_after(&self, after_id: i64, limit: usize) -> Result<Vec<Entry>> {
        self.inner.entries_after(after_id, limit)
    }
    fn observe(&self, source: &str, alerts: &[Alert], at: DateTime<Utc>) -> Result<Vec<Entry>> {
        if let Some(gate) = &self.observe_gate {
            let _ = gate.lock().unwrap().recv();
        }
        self.inner.observe(source, alerts, at)
    }
    fn known_alerts(&self, source: Option<&str>, include_resolved: bool) -> Result<Vec<KnownAlert>> {
        self.inner.known_alerts(source, include_resolved)
    }
    fn resolved_since(&self, since: DateTime<Utc>) -> Result<Vec<KnownAlert>> {
        self.inner.resolved_since(since)
    }
    fn known_alert(&self, key: &AlertKey) -> Result<Option<KnownAlert>> {
        self.inner.known_alert(key)
    }
    fn ownership(&self) -> Result<HashMap<AlertKey, Ownership>> {
        self.inner.ownership()
    }
    fn append_mirrored(&self, entry: &NewEntry, source: &str, labels: &Fields) -> Result<Entry> {
        self.inner.append_mirrored(entry, source, labels)
    }
    fn pending_mirrors(
        &self,
        force: bool,
        targets: Option<&std::collections::HashSet<String>>,
    ) -> Result<Vec<super::Pending>> {
        self.inner.pending_mirrors(force, targets)
    }
    fn unsent(&self) -> Result<usize> {
        self.inner.unsent()
    }
    fn mirror_waiting(&self, op_id: &str, target: &str) -> Result<bool> {
        self.inner.mirror_waiting(op_id, target)
    }
    fn mirror_prior(&self, key: &AlertKey, op_id: &str) -> Result<Option<(String, String)>> {
        self.inner.mirror_prior(key, op_id)
    }
    fn mirror_done(&self, op: &MirrorOp, done: &MirrorDone) -> Result<()> {
        self.inner.mirror_done(op, done)
    }
    fn mirror_failed(&self, op_id: &str, error: &str, next_at: DateTime<Utc>) -> Result<()> {
        self.inner.mirror_failed(op_id, error, next_at)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn subscribe(&self, wake: Wake) -> bool {
        if self.feed {
            *self.wake.lock().unwrap() = Some(wake);
        }
        self.feed
    }
    fn feed_can_miss(&self) -> bool {
        !self.feed
    }
}
