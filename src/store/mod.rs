//! The timeline store: what people did and what klaxon saw, durable before anything
//! leaves the machine. SQLite serves one host; the trait keeps room for a team backend.

pub mod drafts;
mod observe;
mod postgres;
mod private;
pub mod report;
#[cfg(test)]
pub mod rigged;
mod spool;
mod sqlite;

pub use drafts::Drafts;
pub use observe::{Observed, ReadAhead};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::config::{At, Problems, SecretField, SecretRef};
use crate::model::{Alert, AlertKey, Entry, Fields, MirrorDone, MirrorOp, NewEntry, Ownership, Severity};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// An action that wins the outbox lease has this long to be sent before another console
/// (on the same SQLite file or the same PostgreSQL) may try it.
const LEASE: Duration = Duration::from_secs(120);

/// An action waiting to be confirmed by its source, pager or chat.
#[derive(Debug, Clone)]
pub struct Pending {
    pub op: MirrorOp,
    /// Where it goes: a source's name, or an `@` target.
    pub target: String,
    /// When it is due to be tried: its retry time after a failure, or the end of a lease
    /// (written here too for consoles from before `leased_until`).
    pub next_at: DateTime<Utc>,
    /// Until when a console (this one, if `due`) has it to send: until then nobody else
    /// takes it, not even `klaxon sync`, which ignores only the retry time.
    pub leased_until: Option<DateTime<Utc>>,
    /// Leased to this caller: send it now.
    pub due: bool,
}

/// Marks which of `rows` (oldest first) the caller takes: each one due by `now` (every one
/// when `force`), not leased, for one of `targets` (all when None), `free` (not held by another
/// console) and with nothing earlier for its alert and target still waiting, so order holds
/// per alert and target, and nothing is leased that would only wait behind another.
fn take_due(
    rows: &mut [Pending],
    now: DateTime<Utc>,
    force: bool,
    targets: Option<&HashSet<String>>,
    free: impl Fn(&Pending) -> bool,
) {
    let mut held: HashSet<(String, AlertKey)> = HashSet::new();
    for p in rows.iter_mut() {
        let lane = (p.target.clone(), p.op.alert_key.clone());
        let ours = targets.is_none_or(|t| t.contains(&p.target));
        let leased = p.leased_until.is_some_and(|t| t > now);
        p.due = (force || p.next_at <= now) && !leased && ours && free(p) && !held.contains(&lane);
        if !p.due {
            held.insert(lane);
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Sqlite,
    Postgres,
}

/// `[store]`: where the timeline is kept.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    #[serde(default)]
    pub backend: Backend,
    /// SQLite file; default `<data dir>/klaxon.db`. Relative paths are relative to the config file.
    pub path: Option<PathBuf>,
    /// PostgreSQL connection string (a URL or `key=value` pairs), from this environment variable…
    pub url_env: Option<String>,
    /// …or from this file, which only its owner may read.
    pub url_file: Option<PathBuf>,
    /// PEM file of CAs trusted for the server's certificate, besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl StoreConfig {
    /// Where the PostgreSQL connection string (a secret) is, if one is given.
    pub fn url(&self) -> std::result::Result<Option<SecretRef>, String> {
        SecretField::new("url", &self.url_env, &self.url_file).get()
    }

    /// Checks what serde cannot; `at` names a key of `[store]`.
    pub fn validate(&self, at: At<'_>, problems: &mut Problems) {
        let store = self;
        let url = store.url();
        match (store.backend, url) {
            (_, Err(e)) => problems.push((at("url_env"), e)),
            (Backend::Sqlite, Ok(Some(_))) => {
                let key = if store.url_env.is_some() { "url_env" } else { "url_file" };
                problems.push((at(key), "a connection string is for backend = \"postgres\"".into()));
            }
            (Backend::Sqlite, Ok(None)) => {
                if store.ca_file.is_some() {
                    problems.push((at("ca_file"), "ca_file is for backend = \"postgres\"".into()));
                }
            }
            (Backend::Postgres, Ok(None)) => {
                problems.push((at("backend"), "postgres needs url_env or url_file (the connection string)".into()))
            }
            (Backend::Postgres, Ok(Some(secret))) => {
                let key = if matches!(secret, SecretRef::Env(_)) { "url_env" } else { "url_file" };
                match secret.resolve() {
                    Err(e) => problems.push((at(key), e)),
                    // The parser's message never repeats the string, which may hold a password.
                    Ok(url) => {
                        if let Err(e) = url.expose().parse::<::postgres::Config>() {
                            problems.push((at(key), format!("the connection string does not parse: {e}")));
                        }
                    }
                }
                if store.path.is_some() {
                    problems.push((at("path"), "path is for backend = \"sqlite\"".into()));
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("store {location}: {message}")]
pub struct StoreError {
    pub location: String,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An alert the store has seen, open or resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownAlert {
    pub key: AlertKey,
    pub title: String,
    pub severity: Severity,
    pub first_seen: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub last: Alert,
}

pub trait Store: Send + Sync {
    /// Writes one entry durably. Writing an `op_id` again returns the stored entry
    /// and writes nothing.
    fn append(&self, entry: &NewEntry) -> Result<Entry>;

    /// One alert's entries in the order they were written.
    fn timeline(&self, key: &AlertKey) -> Result<Vec<Entry>>;

    /// Every entry of one kind (all declared incidents' entries: kind `incident`), in
    /// timeline order; the `entries_by_kind…` index finds them.
    fn entries_of_kind(&self, kind: crate::model::EntryKind) -> Result<Vec<Entry>>;

    /// The newest entry's id, 0 when there is none.
    fn last_entry_id(&self) -> Result<i64>;

    /// Entries written after `after_id`, oldest first (catch-up for other consoles).
    fn entries_after(&self, after_id: i64, limit: usize) -> Result<Vec<Entry>>;

    /// Records one source's current snapshot: `seen` for new or re-fired alerts,
    /// `severity-changed`, and `resolved` for open alerts missing from it.
    /// Returns the entries written.
    fn observe(&self, source: &str, alerts: &[Alert], at: DateTime<Utc>) -> Result<Vec<Entry>>;

    /// What [`Store::observe_read_ahead`] compares the source's next snapshot with, read
    /// while the poll is still under way (`klaxon list`). None: this backend reads it then.
    fn read_ahead(&self, source: &str) -> Result<Option<ReadAhead>> {
        let _ = source;
        Ok(None)
    }

    /// [`Store::observe`] comparing with what [`Store::read_ahead`] read, when nothing was
    /// written since (else it reads again, as `observe` does).
    fn observe_read_ahead(
        &self,
        source: &str,
        alerts: &[Alert],
        at: DateTime<Utc>,
        ahead: Option<ReadAhead>,
    ) -> Result<Observed> {
        let _ = ahead;
        Ok(Observed { written: self.observe(source, alerts, at)?, ahead_was_current: false })
    }

    /// Alerts the store knows, newest first; only open ones unless `include_resolved`.
    fn known_alerts(&self, source: Option<&str>, include_resolved: bool) -> Result<Vec<KnownAlert>>;

    /// Alerts that resolved at `since` or later, the last resolution first (the history).
    fn resolved_since(&self, since: DateTime<Utc>) -> Result<Vec<KnownAlert>>;

    /// One alert the store knows, open or resolved.
    fn known_alert(&self, key: &AlertKey) -> Result<Option<KnownAlert>>;

    /// Who owns each open alert, and how far it was escalated, from the timeline.
    fn ownership(&self) -> Result<HashMap<AlertKey, Ownership>>;

    /// Writes the entry and queues it for `source` in one transaction: the action is durable
    /// before anything is sent. Idempotent on the entry's op_id like `append`.
    fn append_mirrored(&self, entry: &NewEntry, source: &str, labels: &Fields) -> Result<Entry>;

    /// Actions not yet confirmed by their source, oldest first. Those marked `due` (see
    /// [`take_due`]; all when `force`) are leased to the caller for [`LEASE`]: to anyone else
    /// they are not due meanwhile, so two consoles do not both send one action. With
    /// `targets`, only actions for those are taken: a console leases nothing it cannot send.
    fn pending_mirrors(&self, force: bool, targets: Option<&HashSet<String>>) -> Result<Vec<Pending>>;

    /// How many actions wait to be confirmed by their source. Only reads: it leases nothing.
    fn unsent(&self) -> Result<usize>;

    /// Whether action `op_id` still waits to be carried to `target`: its outbox row is not
    /// done, or (PostgreSQL away) it is still kept on this host. Only reads: unlike
    /// [`Store::pending_mirrors`] it leases nothing, and skips no row another process holds.
    fn mirror_waiting(&self, op_id: &str, target: &str) -> Result<bool>;

    /// The acknowledgement standing at the source for `key` before `op_id`, as (op_id, remote id).
    fn mirror_prior(&self, key: &AlertKey, op_id: &str) -> Result<Option<(String, String)>>;

    fn mirror_done(&self, op: &MirrorOp, done: &MirrorDone) -> Result<()>;

    fn mirror_failed(&self, op_id: &str, error: &str, next_at: DateTime<Utc>) -> Result<()>;

    /// How far `key` has been escalated: from the timeline; a backend that can be away
    /// answers meanwhile from what it last read and what waits on this host.
    fn escalation_level(&self, key: &AlertKey) -> Result<i64> {
        Ok(Ownership::from_entries(&self.timeline(key)?).escalation_level)
    }

    /// Pages (to `@` targets) waiting on this host for the backend, not sent yet, as
    /// (op, target): they go now rather than when the backend is back.
    fn queued_pages(&self) -> Result<Vec<(MirrorOp, String)>> {
        Ok(Vec::new())
    }

    /// A page from [`Store::queued_pages`] went: its outbox row is written done on replay.
    fn queued_page_sent(&self, op_id: &str, done: &MirrorDone) -> Result<()> {
        let _ = (op_id, done);
        Ok(())
    }

    /// Actions kept on this machine while the backend was unreachable, not yet replayed.
    fn queued(&self) -> Result<usize> {
        Ok(0)
    }

    /// Replays the queued actions to the backend, oldest first, each once.
    fn replay(&self) -> Replay {
        Replay::default()
    }

    /// Calls `wake` whenever others may have written entries, and after every reconnect (so
    /// the reader catches up on what it missed); `wake` returns false to stop. Returns false
    /// when the backend has no change feed and readers should poll instead.
    fn subscribe(&self, wake: Box<dyn Fn() -> bool + Send>) -> bool {
        let _ = wake;
        false
    }

    /// Whether [`Store::subscribe`]'s feed can miss a change (a notification lost with a
    /// connection): the follower then looks every 30 s anyway.
    fn feed_can_miss(&self) -> bool {
        true
    }

    /// Where the store is, for people: a path, or user@host:port/db (never a password).
    fn describe(&self) -> String;

    /// The summary report's figures, aggregated in the database ([`report::summary`]).
    fn report_summary(&self, q: &report::ReportQuery) -> Result<Vec<report::StatRow>> {
        let _ = q;
        Err(self.no_reports())
    }

    /// The noise report's figures per alert name and service ([`report::noise`]).
    fn report_noise(
        &self,
        q: &report::ReportQuery,
        flap_within_s: i64,
        zone: &[report::OffsetFrom],
    ) -> Result<Vec<report::NoiseRow>> {
        let _ = (q, flap_within_s, zone);
        Err(self.no_reports())
    }

    /// The on-call report's figures per person ([`report::oncall`]).
    fn report_oncall(&self, q: &report::ReportQuery, inputs: &report::OncallInputs) -> Result<Vec<report::PersonRow>> {
        let _ = (q, inputs);
        Err(self.no_reports())
    }

    #[doc(hidden)]
    fn no_reports(&self) -> StoreError {
        StoreError { location: self.describe(), message: "this store cannot run reports".into() }
    }
}

/// What one replay of queued actions did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replay {
    pub sent: usize,
    pub waiting: usize,
    /// Why the rest wait (the backend is unreachable, or refused one).
    pub error: Option<String>,
    /// The backend is out of reach (rather than refusing an action).
    pub unreachable: bool,
}

/// Follows the timeline from a cursor: what other consoles wrote, each entry once.
#[derive(Debug, Clone, Copy)]
pub struct Follower {
    pub cursor: i64,
}

impl Follower {
    /// Starts after the newest entry.
    pub fn start(store: &dyn Store) -> Result<Follower> {
        Ok(Follower { cursor: store.last_entry_id()? })
    }

    /// Everything after the cursor, oldest first. Both backends make entries visible in id
    /// order (SQLite has one writer at a time; PostgreSQL writers take a lock), so nothing
    /// below the cursor can appear later.
    pub fn catch_up(&mut self, store: &dyn Store) -> Result<Vec<Entry>> {
        const PAGE: usize = 10_000;
        let mut all = Vec::new();
        loop {
            let page = store.entries_after(self.cursor, PAGE)?;
            let n = page.len();
            if let Some(last) = page.last() {
                self.cursor = last.id;
            }
            all.extend(page);
            if n < PAGE {
                return Ok(all);
            }
        }
    }
}
