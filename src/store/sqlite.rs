//! SQLite: WAL for concurrent readers (several engineers on one bastion share the file),
//! `synchronous = FULL` so an entry is on disk when `append` returns.

use super::report::{self, Cell, Col, Param, Query};
use super::{KnownAlert, Observed, Pending, ReadAhead, Result, Store, StoreError, observe};
use crate::model::{Alert, AlertKey, Entry, EntryKind, Fields, MirrorDone, MirrorOp, NewEntry, Ownership, Severity};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Migrations in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_outbox.sql"),
    include_str!("migrations/0003_entries_by_kind.sql"),
    include_str!("migrations/0004_reports.sql"),
    include_str!("migrations/0005_incidents.sql"),
    include_str!("migrations/0006_incidents_backfill.sql"),
    include_str!("migrations/0007_reassigned.sql"),
    include_str!("migrations/0008_open_rows_covered.sql"),
    include_str!("migrations/0009_resolved_by_time.sql"),
    include_str!("migrations/0010_outbox_lease.sql"),
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self> {
        let err =
            |e: &dyn std::fmt::Display| StoreError { location: path.display().to_string(), message: e.to_string() };
        super::private::create_file(path).map_err(|e| err(&e))?;
        let conn = super::private::while_locked(path, || -> rusqlite::Result<Connection> {
            let mut conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            // 16 MiB of page cache (the default is 2 MiB): a storm's worth of alerts stays in memory.
            conn.pragma_update(None, "cache_size", -16_384)?;
            migrate(&mut conn)?;
            Ok(conn)
        })
        .map_err(|e| err(&e))?;
        Ok(SqliteStore { conn: Mutex::new(conn), path: path.to_path_buf() })
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError { location: self.path.display().to_string(), message: e.to_string() }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        // A panic while holding the lock leaves the connection usable: SQLite rolled back.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| self.err(e))
    }
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    // Read first, without the write lock: setting `user_version`, even to the same value,
    // writes the header page, and with `synchronous = FULL` that is an fsync on every start
    // of every command. A file a newer klaxon migrated is left as it is: its migrations
    // only add.
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version >= MIGRATIONS.len() as i64 {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if done >= MIGRATIONS.len() as i64 {
        return Ok(());
    }
    for sql in MIGRATIONS.iter().skip(done.max(0) as usize) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn conversion(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

const ENTRY_COLS: &str = "id, op_id, alert_key, kind, actor, at, text, level";

fn entry_from_row(r: &Row) -> rusqlite::Result<Entry> {
    let key: String = r.get(2)?;
    let kind: String = r.get(3)?;
    Ok(Entry {
        id: r.get(0)?,
        op_id: r.get(1)?,
        alert_key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        kind: kind.parse().map_err(|e: String| conversion(std::io::Error::other(e)))?,
        actor: r.get(4)?,
        at: parse_ts(&r.get::<_, String>(5)?)?,
        text: r.get(6)?,
        level: r.get(7)?,
        db_user: None,
    })
}

const KNOWN_COLS: &str = "key, title, severity, first_seen, resolved_at, last";

fn known_from_row(r: &Row) -> rusqlite::Result<KnownAlert> {
    let key: String = r.get(0)?;
    let sev: String = r.get(2)?;
    let resolved: Option<String> = r.get(4)?;
    Ok(KnownAlert {
        key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        title: r.get(1)?,
        severity: sev.parse().map_err(conversion)?,
        first_seen: parse_ts(&r.get::<_, String>(3)?)?,
        resolved_at: resolved.as_deref().map(parse_ts).transpose()?,
        last: serde_json::from_str(&r.get::<_, String>(5)?).map_err(conversion)?,
    })
}

/// Writes the entry unless its op_id is stored already; returns it only when written.
fn insert_new(conn: &Connection, e: &NewEntry) -> rusqlite::Result<Option<Entry>> {
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO entries (op_id, alert_key, kind, actor, at, text, level)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (op_id) DO NOTHING RETURNING {ENTRY_COLS}"
    ))?;
    let params = params![e.op_id, e.alert_key.as_str(), e.kind.name(), e.actor, ts(e.at), e.text, e.level];
    let mut rows = insert.query(params)?;
    let entry = rows.next()?.map(entry_from_row).transpose()?;
    // Step to the end: outside a transaction the commit happens on the last step, and its
    // error (a full disk) would be dropped with `rows` after the row said "written".
    while rows.next()?.is_some() {}
    Ok(entry)
}

fn insert_entry(conn: &Connection, e: &NewEntry) -> rusqlite::Result<Entry> {
    if let Some(entry) = insert_new(conn, e)? {
        return Ok(entry);
    }
    // The op_id was written before (a retry): answer with what is stored.
    conn.prepare_cached(&format!("SELECT {ENTRY_COLS} FROM entries WHERE op_id = ?1"))?
        .query_row([&e.op_id], entry_from_row)
}

/// What resolved since `?1`, newest first: a range of `alerts_resolved` (migration 9).
fn resolved_since_sql() -> String {
    format!("SELECT {KNOWN_COLS} FROM alerts WHERE resolved_at >= ?1 ORDER BY resolved_at DESC, key")
}

/// A source's open alerts as a poll compares them: answered from `alerts_open_by_source`
/// alone (migration 8), never from the table's rows and their `last` JSON.
const OPEN_ROWS: &str = "SELECT key, severity, title FROM alerts WHERE source = ?1 AND resolved_at IS NULL";
const OPEN_COUNT: &str = "SELECT count(*) FROM alerts WHERE source = ?1 AND resolved_at IS NULL";

/// What the store holds open for `source`: key → (severity, title). Counted first (a walk
/// of the same index) so that the map is made at its size: grown from nothing to a storm's
/// 10,000 keys it rehashed a dozen times, while the request for the poll was in flight and
/// the server answering it wanted the same cores.
fn open_rows(conn: &Connection, source: &str) -> rusqlite::Result<observe::Open> {
    let count: i64 = conn.prepare_cached(OPEN_COUNT)?.query_row([source], |r| r.get(0))?;
    let mut open = observe::Open::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut st = conn.prepare_cached(OPEN_ROWS)?;
    let mut rows = st.query([source])?;
    while let Some(r) = rows.next()? {
        let severity = r.get_ref(1)?.as_str().ok().and_then(|s| s.parse().ok()).unwrap_or(Severity::Average);
        open.insert(r.get_ref(0)?.as_str().map_err(conversion)?.into(), (severity, r.get(2)?));
    }
    Ok(open)
}

/// Changes as seen from this connection: `data_version` moves when another connection
/// commits, `total_changes()` when this one writes.
fn version(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let data: i64 = conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
    Ok((data, conn.query_row("SELECT total_changes()", [], |r| r.get(0))?))
}

/// How long a burst of writes to the database is let finish before the follower is woken:
/// another console's ack shows this much later, and a storm's recording wakes it at most
/// this often.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(10);

/// How many reads of the events that came while a burst settled, at most, before the wake.
const MAX_DRAIN_READS: usize = 16;

/// Whether a read of `fd` would not block now.
fn readable(fd: &impl rustix::fd::AsFd) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(fd, PollFlags::IN)];
    poll(&mut fds, Some(&rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 })).is_ok_and(|n| n > 0)
}

impl Store for SqliteStore {
    /// SQLite has no change feed: the file's directory is watched instead (inotify), and a
    /// write to the database or its WAL by any process on this host wakes the follower. The
    /// thread blocks in `read` in between: an idle console is not woken.
    fn subscribe(&self, wake: Box<dyn Fn() -> bool + Send>) -> bool {
        use rustix::fs::inotify;
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else { return false };
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let Ok(fd) = inotify::init(inotify::CreateFlags::CLOEXEC) else { return false };
        let what = inotify::WatchFlags::MODIFY | inotify::WatchFlags::CREATE | inotify::WatchFlags::MOVED_TO;
        if inotify::add_watch(&fd, dir, what).is_err() {
            return false;
        }
        let db = name.as_encoded_bytes().to_vec();
        let wal = [db.as_slice(), b"-wal"].concat();
        let watch = move || {
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
            let mut events = inotify::Reader::new(&fd, &mut buf);
            let mut written = false;
            loop {
                let Ok(event) = events.next() else { return };
                // The directory is gone (a test's temporary one): nothing more will come.
                if event.events().contains(inotify::ReadFlags::IGNORED) {
                    return;
                }
                // The database or its WAL (`k.db`, `k.db-wal`); once per read of events.
                written |= event.file_name().is_some_and(|f| f.to_bytes() == db || f.to_bytes() == wal)
                    || event.events().contains(inotify::ReadFlags::QUEUE_OVERFLOW);
                if written && events.is_buffer_empty() {
                    // A commit writes the WAL page by page, an event each: a 50,000-alert poll
                    // would wake the follower thousands of times a second. The burst is let
                    // finish first (the kernel merges the repeated, unread events meanwhile)
                    // and what came in the meantime is read (a bounded number of reads: a
                    // write that goes on for seconds must not hold the wake back), then one
                    // wake for all of it.
                    std::thread::sleep(SETTLE);
                    let mut reads = 0;
                    while !events.is_buffer_empty() || (reads < MAX_DRAIN_READS && readable(&fd)) {
                        if events.is_buffer_empty() {
                            reads += 1; // the next event comes from a fresh read
                        }
                        let Ok(event) = events.next() else { return };
                        if event.events().contains(inotify::ReadFlags::IGNORED) {
                            return;
                        }
                    }
                    written = false;
                    if !wake() {
                        return;
                    }
                }
            }
        };
        std::thread::Builder::new().name("klaxon-sqlite-watch".into()).spawn(watch).is_ok()
    }

    /// The kernel tells every write to the file (an overflow of its queue is told too).
    fn feed_can_miss(&self) -> bool {
        false
    }

    fn append(&self, entry: &NewEntry) -> Result<Entry> {
        self.with(|c| {
            // One transaction whose commit result is the answer: stored, or an error.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = insert_entry(&tx, entry)?;
            tx.commit()?;
            Ok(stored)
        })
    }

    fn timeline(&self, key: &AlertKey) -> Result<Vec<Entry>> {
        self.with(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {ENTRY_COLS} FROM entries WHERE alert_key = ?1 ORDER BY id"))?;
            st.query_map([key.as_str()], entry_from_row)?.collect()
        })
    }

    fn entries_of_kind(&self, kind: EntryKind) -> Result<Vec<Entry>> {
        self.with(|c| {
            let sql = format!("SELECT {ENTRY_COLS} FROM entries WHERE kind = ?1 ORDER BY id");
            c.prepare_cached(&sql)?.query_map([kind.name()], entry_from_row)?.collect()
        })
    }

    fn last_entry_id(&self) -> Result<i64> {
        self.with(|c| c.query_row("SELECT COALESCE(MAX(id), 0) FROM entries", [], |r| r.get(0)))
    }

    fn entries_after(&self, after_id: i64, limit: usize) -> Result<Vec<Entry>> {
        self.with(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {ENTRY_COLS} FROM entries WHERE id > ?1 ORDER BY id LIMIT ?2"))?;
            st.query_map(params![after_id, limit as i64], entry_from_row)?.collect()
        })
    }

    fn observe(&self, source: &str, alerts: &[Alert], at: DateTime<Utc>) -> Result<Vec<Entry>> {
        Ok(self.observe_read_ahead(source, alerts, at, None)?.written)
    }

    fn read_ahead(&self, source: &str) -> Result<Option<ReadAhead>> {
        self.with(|c| {
            // One read transaction: the rows and the version describe the same state.
            let tx = c.transaction()?;
            let open = open_rows(&tx, source)?;
            let version = version(&tx)?;
            tx.commit()?;
            Ok(Some(ReadAhead { open, version }))
        })
    }

    fn observe_read_ahead(
        &self,
        source: &str,
        alerts: &[Alert],
        at: DateTime<Utc>,
        ahead: Option<ReadAhead>,
    ) -> Result<Observed> {
        self.with(|c| {
            // IMMEDIATE: two consoles observing the same source serialize here, so the
            // second sees the first's rows and writes no duplicate `seen`; rows read ahead
            // count only when nobody (this connection included) wrote since.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (open, ahead_was_current) = match ahead {
                Some(a) if a.version == version(&tx)? => (a.open, true),
                _ => (open_rows(&tx, source)?, false),
            };
            let plan = observe::plan(open, alerts, at);
            let now = ts(at);
            for alert in &plan.upserts {
                let last = serde_json::to_string(alert).map_err(conversion)?;
                tx.prepare_cached(
                    "INSERT INTO alerts (key, source, title, severity, first_seen, changed_at, resolved_at, last)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, NULL, ?6)
                     ON CONFLICT (key) DO UPDATE SET title = ?3, severity = ?4, changed_at = ?5,
                         resolved_at = NULL, last = ?6",
                )?
                .execute(params![
                    alert.key.as_str(),
                    source,
                    alert.title,
                    alert.severity.name(),
                    now,
                    last
                ])?;
            }
            for key in &plan.resolved {
                tx.prepare_cached("UPDATE alerts SET resolved_at = ?2, changed_at = ?2 WHERE key = ?1")?
                    .execute(params![key, now])?;
            }
            let mut written =
                plan.entries.iter().map(|e| insert_entry(&tx, e)).collect::<rusqlite::Result<Vec<_>>>()?;
            for e in &plan.from_source {
                written.extend(insert_new(&tx, e)?);
            }
            tx.commit()?;
            Ok(Observed { written, ahead_was_current })
        })
    }

    fn known_alerts(&self, source: Option<&str>, include_resolved: bool) -> Result<Vec<KnownAlert>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {KNOWN_COLS} FROM alerts WHERE (?1 IS NULL OR source = ?1) AND (?2 OR resolved_at IS NULL)
                 ORDER BY changed_at DESC"
            ))?;
            st.query_map(params![source, include_resolved], known_from_row)?.collect()
        })
    }

    fn resolved_since(&self, since: DateTime<Utc>) -> Result<Vec<KnownAlert>> {
        self.with(|c| {
            // Stamps are RFC 3339 in UTC with the same precision: text order is time order.
            let mut st = c.prepare_cached(&resolved_since_sql())?;
            st.query_map(params![ts(since)], known_from_row)?.collect()
        })
    }

    fn known_alert(&self, key: &AlertKey) -> Result<Option<KnownAlert>> {
        self.with(|c| {
            c.prepare_cached(&format!("SELECT {KNOWN_COLS} FROM alerts WHERE key = ?1"))?
                .query_row([key.as_str()], known_from_row)
                .optional()
        })
    }

    fn ownership(&self) -> Result<HashMap<AlertKey, Ownership>> {
        self.with(|c| {
            let mut st = c.prepare_cached(&format!(
                // Only alerts someone acted on can have an owner or a level: the rest (nearly
                // all of a storm) are left out rather than folded to nothing.
                "SELECT {ENTRY_COLS} FROM entries
                 WHERE kind IN ('seen', 'acked', 'unacked', 'escalated')
                   AND alert_key IN (SELECT alert_key FROM entries WHERE kind IN ('acked', 'escalated'))
                   AND alert_key IN (SELECT key FROM alerts WHERE resolved_at IS NULL)
                 ORDER BY id"
            ))?;
            let mut by_key: HashMap<AlertKey, Vec<Entry>> = HashMap::new();
            for e in st.query_map([], entry_from_row)? {
                let e = e?;
                by_key.entry(e.alert_key.clone()).or_default().push(e);
            }
            Ok(by_key.into_iter().map(|(k, es)| (k, Ownership::from_entries(&es))).collect())
        })
    }

    fn append_mirrored(&self, entry: &NewEntry, source: &str, labels: &Fields) -> Result<Entry> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stored = insert_entry(&tx, entry)?;
            let labels = serde_json::to_string(labels).map_err(conversion)?;
            tx.prepare_cached(
                "INSERT INTO outbox (op_id, alert_key, source, kind, actor, text, labels, created_at, next_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) ON CONFLICT (op_id) DO NOTHING",
            )?
            .execute(params![
                entry.op_id,
                entry.alert_key.as_str(),
                source,
                entry.kind.name(),
                entry.actor,
                entry.text,
                labels,
                ts(entry.at)
            ])?;
            tx.commit()?;
            Ok(stored)
        })
    }

    fn pending_mirrors(&self, force: bool, targets: Option<&HashSet<String>>) -> Result<Vec<Pending>> {
        let lease = chrono::Duration::from_std(super::LEASE).unwrap_or_default();
        let take = |c: &Connection| -> rusqlite::Result<(Vec<Pending>, DateTime<Utc>)> {
            let mut pending =
                c.prepare_cached(PENDING)?.query_map([], pending_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            let now = Utc::now();
            super::take_due(&mut pending, now, force, targets, |_| true);
            Ok((pending, now))
        };
        self.with(|c| {
            // Read first, without the write lock: mostly nothing is due, and a command need
            // not wait for a console's write to learn that.
            let (pending, _) = take(c)?;
            if !pending.iter().any(|p| p.due) {
                return Ok(pending);
            }
            // As on PostgreSQL, the due ones are leased to this process: another console on
            // this file sees them as not due until the lease runs out, so each goes once.
            // When the lease cannot be written (a full disk), what is due goes unleased rather
            // than not at all: a page must go out, and its being sent cannot be recorded
            // either, which the drain says ("so it goes again").
            let Ok(tx) = c.transaction_with_behavior(TransactionBehavior::Immediate) else { return Ok(pending) };
            let (pending, now) = take(&tx)?;
            let until = ts(now + lease);
            let leased = (|| -> rusqlite::Result<()> {
                let mut st = tx.prepare_cached(
                    "INSERT INTO outbox_lease (op_id, until) VALUES (?1, ?2)
                     ON CONFLICT (op_id) DO UPDATE SET until = excluded.until",
                )?;
                // next_at moves past the lease too: a klaxon from before `outbox_lease` reads only that.
                let mut later = tx.prepare_cached("UPDATE outbox SET next_at = max(next_at, ?2) WHERE op_id = ?1")?;
                for p in pending.iter().filter(|p| p.due) {
                    st.execute(params![p.op.op_id, until])?;
                    later.execute(params![p.op.op_id, until])?;
                }
                Ok(())
            })();
            if leased.is_ok() {
                let _ = tx.commit();
            }
            Ok(pending)
        })
    }

    fn unsent(&self) -> Result<usize> {
        self.with(|c| {
            c.prepare_cached("SELECT count(*) FROM outbox WHERE state = 'pending'")?
                .query_row([], |r| r.get::<_, i64>(0))
                .map(|n| n.max(0) as usize)
        })
    }

    fn mirror_waiting(&self, op_id: &str, target: &str) -> Result<bool> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE op_id = ?1 AND source = ?2 AND state != 'done')",
            )?
            .query_row(rusqlite::params![op_id, target], |r| r.get(0))
        })
    }

    fn mirror_prior(&self, key: &AlertKey, op_id: &str) -> Result<Option<(String, String)>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT op_id, remote_id FROM outbox
                 WHERE alert_key = ?1 AND kind = 'acked' AND state = 'done' AND remote_id IS NOT NULL
                   AND created_at <= (SELECT created_at FROM outbox WHERE op_id = ?2) AND op_id != ?2
                 ORDER BY created_at DESC, op_id DESC LIMIT 1",
            )?
            .query_row(params![key.as_str(), op_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })
    }

    fn mirror_done(&self, op: &MirrorOp, done: &MirrorDone) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "UPDATE outbox SET state = 'done', remote_id = ?2, attempts = attempts + 1, last_error = NULL
                 WHERE op_id = ?1",
            )?
            .execute(params![op.op_id, done.remote_id])?;
            tx.prepare_cached("DELETE FROM outbox_lease WHERE op_id = ?1")?.execute(params![op.op_id])?;
            if let Some((prior_op, remote)) = done.prior_change(op) {
                tx.prepare_cached("UPDATE outbox SET remote_id = ?2 WHERE op_id = ?1")?
                    .execute(params![prior_op, remote])?;
            }
            tx.commit()
        })
    }

    fn describe(&self) -> String {
        format!("sqlite at {}", self.path.display())
    }

    fn report_summary(&self, q: &report::ReportQuery) -> Result<Vec<report::StatRow>> {
        self.with(|c| {
            // One read transaction: the percentiles' statements see what the counts saw.
            let tx = c.transaction()?;
            report::summary_rows(report::Dialect::Sqlite, q, &mut |query| aggregate(&tx, query))
        })
    }

    fn report_noise(
        &self,
        q: &report::ReportQuery,
        flap_within_s: i64,
        zone: &[report::OffsetFrom],
    ) -> Result<Vec<report::NoiseRow>> {
        self.with(|c| {
            let tx = c.transaction()?;
            report::noise_rows(report::Dialect::Sqlite, q, flap_within_s, zone, &mut |query| aggregate(&tx, query))
        })
    }

    fn report_oncall(&self, q: &report::ReportQuery, inputs: &report::OncallInputs) -> Result<Vec<report::PersonRow>> {
        let query = report::oncall(report::Dialect::Sqlite, q, inputs);
        self.with(|c| aggregate(c, &query)).map(report::person_rows)
    }

    fn mirror_failed(&self, op_id: &str, error: &str, next_at: DateTime<Utc>) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3 WHERE op_id = ?1",
            )?
            .execute(params![op_id, error, ts(next_at)])?;
            // It and what waits behind it (same alert, same source) were leased together: let
            // go, they come due with its retry, not when the lease runs out.
            tx.prepare_cached(
                "DELETE FROM outbox_lease WHERE op_id IN (
                     SELECT op_id FROM outbox WHERE state = 'pending'
                       AND (alert_key, source) = (SELECT alert_key, source FROM outbox WHERE op_id = ?1))",
            )?
            .execute(params![op_id])?;
            tx.prepare_cached(
                "UPDATE outbox SET next_at = min(next_at, ?2)
                 WHERE state = 'pending' AND op_id != ?1
                   AND (alert_key, source) = (SELECT alert_key, source FROM outbox WHERE op_id = ?1)",
            )?
            .execute(params![op_id, ts(next_at)])?;
            tx.commit()
        })
    }
}

/// The outbox's waiting rows, oldest first, as [`pending_row`] reads them.
const PENDING: &str = "SELECT op_id, alert_key, source, kind, actor, text, labels, created_at, attempts, next_at,
                              (SELECT level FROM entries e WHERE e.op_id = outbox.op_id),
                              (SELECT until FROM outbox_lease l WHERE l.op_id = outbox.op_id)
                       FROM outbox WHERE state = 'pending' ORDER BY created_at, op_id";

fn pending_row(r: &Row) -> rusqlite::Result<Pending> {
    let key: String = r.get(1)?;
    let kind: String = r.get(3)?;
    let labels: String = r.get(6)?;
    let op = MirrorOp {
        op_id: r.get(0)?,
        alert_key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        kind: kind.parse().map_err(|e: String| conversion(std::io::Error::other(e)))?,
        actor: r.get(4)?,
        text: r.get(5)?,
        labels: serde_json::from_str(&labels).map_err(conversion)?,
        created_at: parse_ts(&r.get::<_, String>(7)?)?,
        attempts: r.get(8)?,
        level: r.get(10)?,
        prior: None,
    };
    let leased_until = r.get::<_, Option<String>>(11)?.map(|t| parse_ts(&t)).transpose()?;
    Ok(Pending { op, target: r.get(2)?, next_at: parse_ts(&r.get::<_, String>(9)?)?, leased_until, due: false })
}

/// Runs a report's statement: a few rows of aggregates.
fn aggregate(c: &Connection, q: &Query) -> rusqlite::Result<Vec<Vec<Cell>>> {
    let params: Vec<rusqlite::types::Value> = q
        .params
        .iter()
        .map(|p| match p {
            Param::Text(t) | Param::Json(t) => rusqlite::types::Value::Text(t.clone()),
            Param::Int(i) => rusqlite::types::Value::Integer(*i),
            Param::Time(t) => rusqlite::types::Value::Text(ts(*t)),
        })
        .collect();
    let mut st = c.prepare(&q.sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(params), |r| {
        q.cols
            .iter()
            .enumerate()
            .map(|(i, col)| match col {
                Col::Text => r.get(i).map(Cell::Text),
                Col::Int => r.get(i).map(Cell::Int),
            })
            .collect()
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, EntryKind};

    fn alert(id: &str, sev: Severity) -> Alert {
        Alert { title: format!("alert {id}"), ..Alert::test("src", id, sev, Utc::now()) }
    }

    fn kinds(es: &[Entry]) -> Vec<(&str, EntryKind)> {
        es.iter().map(|e| (e.alert_key.id(), e.kind)).collect()
    }

    /// SQLite's plan for `sql` with one parameter: each step's text.
    fn query_plan(conn: &Connection, sql: &str, param: &str) -> Vec<String> {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        st.query_map([param], |r| r.get::<_, String>(3)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    /// What a poll reads ahead comes from the covering index: reading the table would bring
    /// every open alert's JSON into memory (13 MiB of a list at 50,000 alerts). Also on a
    /// store made before the index covered it.
    #[test]
    fn open_rows_are_read_from_the_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        {
            // A store as release 7 of the schema left it.
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..7] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 7).unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        store.observe("src", &[alert("a", Severity::High)], Utc::now()).unwrap();
        let conn = store.conn.lock().unwrap();
        for sql in [OPEN_ROWS, OPEN_COUNT] {
            let plan = query_plan(&conn, sql, "src");
            assert_eq!(plan, ["SEARCH alerts USING COVERING INDEX alerts_open_by_source (source=?)"], "{sql}");
        }
        let open = open_rows(&conn, "src").unwrap();
        assert_eq!(open.get("src/a"), Some(&(Severity::High, "alert a".to_string())));
    }

    /// What resolved since a time is a range of an index, newest first: not a scan of every
    /// alert ever seen and a sort.
    #[test]
    fn what_resolved_since_is_a_range_of_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
        let t0 = Utc::now() - chrono::Duration::hours(3);
        store.observe("src", &[alert("a", Severity::High), alert("b", Severity::High)], t0).unwrap();
        store.observe("src", &[alert("b", Severity::High)], t0 + chrono::Duration::hours(1)).unwrap();
        store.observe("src", &[], t0 + chrono::Duration::hours(2)).unwrap();
        let plan = query_plan(&store.conn.lock().unwrap(), &resolved_since_sql(), &ts(t0));
        assert_eq!(plan, ["SEARCH alerts USING INDEX alerts_resolved (resolved_at>?)"]);
        let keys = |since| -> Vec<String> {
            store.resolved_since(since).unwrap().into_iter().map(|k| k.key.as_str().to_owned()).collect()
        };
        assert_eq!(keys(t0), ["src/b", "src/a"], "newest first");
        assert_eq!(keys(t0 + chrono::Duration::minutes(90)), ["src/b"]);
    }

    /// Two consoles on one file: the first to look takes what is due, the other sees it not
    /// due meanwhile (no action sent twice); a failure brings what waits behind it due again
    /// with it, not when the lease runs out; what queues behind a failed action is not taken
    /// while it waits. Asking how many wait takes nothing.
    #[test]
    fn the_outbox_lease_keeps_two_consoles_on_one_file_from_sending_one_action() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let (one, two) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
        let (key, labels) = (AlertKey::new("prod", "a"), Fields::from([("alertname", "Down")]));
        let append =
            |kind, text| one.append_mirrored(&NewEntry::new(key.clone(), kind, "alice", text), "prod", &labels);
        let (ack, note) = (append(EntryKind::Acked, "").unwrap(), append(EntryKind::Note, "db").unwrap());
        let due = |store: &SqliteStore| {
            let pending = store.pending_mirrors(false, None).unwrap();
            pending.into_iter().filter(|p| p.due).map(|p| p.op.op_id).collect::<Vec<_>>()
        };
        assert_eq!(two.unsent().unwrap(), 2);
        let elsewhere = HashSet::from(["staging".to_string()]);
        assert!(two.pending_mirrors(false, Some(&elsewhere)).unwrap().iter().all(|p| !p.due), "not its target");
        assert_eq!(due(&one), [ack.op_id.clone(), note.op_id.clone()], "counting leased nothing");
        assert!(due(&two).is_empty(), "leased to the first console");
        let forced = two.pending_mirrors(true, None).unwrap();
        assert!(forced.iter().all(|p| !p.due), "not even `klaxon sync` takes a lease");
        let now = chrono::Utc::now();
        assert!(forced.iter().all(|p| p.next_at > now), "a klaxon from before the lease column reads next_at");
        assert_eq!(two.unsent().unwrap(), 2, "leased is still unsent");
        let retry = Utc::now() + chrono::Duration::seconds(2);
        one.mirror_failed(&ack.op_id, "HTTP 503", retry).unwrap();
        let later = append(EntryKind::Note, "still db").unwrap();
        assert!(due(&one).is_empty(), "behind the ack's retry: nothing due, nothing taken");
        std::thread::sleep((retry - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100));
        assert_eq!(due(&two), [ack.op_id.clone(), note.op_id.clone(), later.op_id.clone()], "not two minutes later");
        // A retry an hour away: not due, but `klaxon sync` sends it (and what follows) now.
        two.mirror_failed(&ack.op_id, "HTTP 503", Utc::now() + chrono::Duration::hours(1)).unwrap();
        assert!(due(&one).is_empty());
        let forced = one.pending_mirrors(true, None).unwrap();
        assert_eq!(forced.iter().filter(|p| p.due).count(), 3, "forced past the retry time");
    }

    /// klaxon before the outbox lease set `user_version` back to its own count when it opened
    /// a newer file: the lease's migration runs again, harmlessly; and this release leaves a
    /// newer file's version as it is.
    #[test]
    fn a_file_an_older_or_newer_klaxon_opened_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let version = |s: &SqliteStore| -> i64 {
            s.conn.lock().unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
        };
        let store = SqliteStore::open(&path).unwrap();
        let labels = Fields::from([("alertname", "Down")]);
        let ack = NewEntry::new(AlertKey::new("prod", "a"), EntryKind::Acked, "alice", "");
        store.append_mirrored(&ack, "prod", &labels).unwrap();
        assert_eq!(store.pending_mirrors(false, None).unwrap().iter().filter(|p| p.due).count(), 1);
        store.conn.lock().unwrap().pragma_update(None, "user_version", 9).unwrap();
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(version(&store), MIGRATIONS.len() as i64);
        assert!(store.pending_mirrors(false, None).unwrap().iter().all(|p| !p.due), "the lease was kept");
        store.conn.lock().unwrap().pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(version(&store), 99, "a newer klaxon's file is not set back");
        assert_eq!(store.unsent().unwrap(), 1);
    }

    /// Two consoles on one file: what one writes wakes the other's follower (no polling).
    #[test]
    fn a_write_by_another_connection_wakes_the_subscriber() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let (ours, theirs) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        assert!(ours.subscribe(Box::new(move || tx.send(()).is_ok())), "SQLite has a change feed on Linux");
        // Nothing is written: nothing wakes it (the thread waits in read).
        assert!(rx.try_recv().is_err());
        theirs.append(&NewEntry::new(AlertKey::new("src", "a"), EntryKind::Note, "bob", "looking")).unwrap();
        rx.recv_timeout(Duration::from_secs(30)).expect("woken by bob's note");
        let mut follower = super::super::Follower { cursor: 0 };
        let got = follower.catch_up(&ours).unwrap();
        assert_eq!(kinds(&got), [("a", EntryKind::Note)]);
    }

    #[test]
    fn append_is_idempotent_on_op_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
        let e = NewEntry::new(AlertKey::new("src", "a"), EntryKind::Note, "alice", "looking");
        let first = store.append(&e).unwrap();
        let again = store.append(&e).unwrap();
        assert_eq!(first, again);
        assert_eq!(store.timeline(&e.alert_key).unwrap().len(), 1);
        assert_eq!(first.actor, "alice");
    }

    /// The write-ahead log's size: what a transaction committed to disk.
    fn wal_len(db: &Path) -> u64 {
        std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len())
    }

    #[test]
    fn an_unchanged_snapshot_and_a_reopen_write_nothing_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let snapshot = [alert("a", Severity::High), alert("b", Severity::Warning)];
        let store = SqliteStore::open(&db).unwrap();
        store.observe("src", &snapshot, Utc::now()).unwrap();
        let before = wal_len(&db);
        assert!(before > 0, "the first snapshot was written");
        // A second process opening the store (every command does) and observing the same.
        let other = SqliteStore::open(&db).unwrap();
        let ahead = other.read_ahead("src").unwrap();
        assert!(other.observe_read_ahead("src", &snapshot, Utc::now(), ahead).unwrap().written.is_empty());
        assert!(other.observe("src", &snapshot, Utc::now()).unwrap().is_empty());
        assert_eq!(wal_len(&db), before, "no page written: no fsync on the path of `list`");
    }

    #[test]
    fn rows_read_ahead_are_read_again_when_someone_wrote_since() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let (mine, theirs) = (SqliteStore::open(&db).unwrap(), SqliteStore::open(&db).unwrap());
        mine.observe("src", &[alert("a", Severity::High)], Utc::now()).unwrap();
        let snapshot = [alert("a", Severity::High), alert("b", Severity::Warning)];

        // Another console records `b` while this one's poll is under way.
        let ahead = mine.read_ahead("src").unwrap();
        assert_eq!(kinds(&theirs.observe("src", &snapshot, Utc::now()).unwrap()), [("b", EntryKind::Seen)]);
        let o = mine.observe_read_ahead("src", &snapshot, Utc::now(), ahead).unwrap();
        assert!(o.written.is_empty() && !o.ahead_was_current, "b was seen once, not twice: {o:?}");

        // This connection's own write in between counts too.
        let ahead = mine.read_ahead("src").unwrap();
        mine.observe("src", &[alert("a", Severity::High)], Utc::now()).unwrap();
        let o = mine.observe_read_ahead("src", &[alert("a", Severity::High)], Utc::now(), ahead).unwrap();
        assert!(o.written.is_empty() && !o.ahead_was_current, "b is resolved once: {o:?}");
        let seen = mine.timeline(&AlertKey::new("src", "b")).unwrap();
        assert_eq!(seen.iter().map(|e| e.kind).collect::<Vec<_>>(), [EntryKind::Seen, EntryKind::Resolved]);

        // Nothing written since: what was read ahead is what counts.
        let ahead = mine.read_ahead("src").unwrap();
        let o = mine.observe_read_ahead("src", &snapshot, Utc::now(), ahead).unwrap();
        assert_eq!(kinds(&o.written), [("b", EntryKind::Seen)], "b fires again");
        assert!(o.ahead_was_current);
    }

    #[test]
    fn observe_records_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
        let t = Utc::now();
        let w = store.observe("src", &[alert("a", Severity::High), alert("b", Severity::Warning)], t).unwrap();
        assert_eq!(kinds(&w), [("a", EntryKind::Seen), ("b", EntryKind::Seen)]);
        // Unchanged snapshot: nothing written.
        assert!(
            store.observe("src", &[alert("a", Severity::High), alert("b", Severity::Warning)], t).unwrap().is_empty()
        );
        let w = store.observe("src", &[alert("a", Severity::Disaster)], t).unwrap();
        assert_eq!(kinds(&w), [("a", EntryKind::SeverityChanged), ("b", EntryKind::Resolved)]);
        assert_eq!(w[0].text, "high → disaster");
        // Another source's snapshot never resolves this one's alerts.
        assert!(store.observe("other", &[], t).unwrap().is_empty());
        let open = store.known_alerts(Some("src"), false).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(store.known_alerts(None, true).unwrap().len(), 2);
        // Re-fire: seen again, a new incident.
        let w = store.observe("src", &[alert("a", Severity::Disaster), alert("b", Severity::Warning)], t).unwrap();
        assert_eq!(kinds(&w), [("b", EntryKind::Seen)]);
        let tl = store.timeline(&AlertKey::new("src", "b")).unwrap();
        let tl: Vec<_> = tl.iter().map(|e| e.kind).collect();
        assert_eq!(tl, [EntryKind::Seen, EntryKind::Resolved, EntryKind::Seen]);
    }

    #[test]
    fn ownership_follows_the_timeline() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
        store.observe("src", &[alert("a", Severity::High)], Utc::now()).unwrap();
        let key = AlertKey::new("src", "a");
        store.append(&NewEntry::new(key.clone(), EntryKind::Acked, "alice", "")).unwrap();
        store.append(&NewEntry::new(key.clone(), EntryKind::Acked, "bob", "")).unwrap();
        store.append(&NewEntry::new(key.clone(), EntryKind::Escalated, "bob", "").with_level(1)).unwrap();
        let own = &store.ownership().unwrap()[&key];
        assert_eq!(own.owner.as_deref(), Some("alice"));
        assert_eq!(own.escalation_level, 1);
    }

    #[test]
    fn an_entry_is_on_disk_when_append_returns() {
        // What `kill -9` leaves: the files as they are while the connection is still open,
        // with no close and no checkpoint.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let store = SqliteStore::open(&path).unwrap();
        let key = AlertKey::new("src", "a");
        store.append(&NewEntry::new(key.clone(), EntryKind::Acked, "alice", "mine")).unwrap();
        let crash = tempfile::tempdir().unwrap();
        for suffix in ["", "-wal"] {
            let from = dir.path().join(format!("k.db{suffix}"));
            if from.exists() {
                std::fs::copy(&from, crash.path().join(format!("k.db{suffix}"))).unwrap();
            }
        }
        let recovered = SqliteStore::open(&crash.path().join("k.db")).unwrap();
        let tl = recovered.timeline(&key).unwrap();
        assert_eq!((tl.len(), tl[0].actor.as_str()), (1, "alice"));
        drop(store);
    }

    #[test]
    fn consoles_creating_one_new_store_at_once_all_open_it() {
        // Several consoles (here threads, each with its own connection) starting together
        // on a store that does not exist yet.
        for round in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("new/k.db");
            let start = std::sync::Arc::new(std::sync::Barrier::new(6));
            let opened: Vec<_> = (0..6)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        SqliteStore::open(&path).map(|_| ()).map_err(|e| e.to_string())
                    })
                })
                .collect();
            for o in opened {
                o.join().unwrap().unwrap_or_else(|e| panic!("round {round}: {e}"));
            }
        }
    }

    #[test]
    fn reopening_keeps_everything_and_migrations_run_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let key = AlertKey::new("src", "a");
        SqliteStore::open(&path).unwrap().append(&NewEntry::new(key.clone(), EntryKind::Note, "a", "x")).unwrap();
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.timeline(&key).unwrap().len(), 1);
        assert_eq!(store.entries_after(0, 10).unwrap().len(), 1);
    }
}
