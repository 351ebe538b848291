//! The local queue behind the team backend: an action taken while PostgreSQL is
//! unreachable is written here, durably, and replayed in order when it returns. A small
//! SQLite file in the data dir, shared by the consoles on this host; replays are safe to
//! repeat because the backend stores each op_id once.

use super::{Result, StoreError};
use crate::model::{AlertKey, Fields, NewEntry};
use chrono::Utc;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// One queued action: the entry, and the source it also goes to (with the alert's labels).
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub seq: i64,
    pub entry: NewEntry,
    pub mirror: Option<(String, Fields)>,
    /// A page this host sent while the backend was away, with what the receiver called it:
    /// its outbox row is written as done when the entry reaches the backend.
    pub sent: Option<Option<String>>,
}

pub struct Spool {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// The backend these actions belong to (user@host:port/db): one file may serve several.
    target: String,
}

impl Spool {
    pub fn open(path: &Path, target: &str) -> Result<Spool> {
        let err =
            |e: &dyn std::fmt::Display| StoreError { location: path.display().to_string(), message: e.to_string() };
        super::private::create_file(path).map_err(|e| err(&e))?;
        let conn = super::private::while_locked(path, || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS spool (
                     seq       INTEGER PRIMARY KEY AUTOINCREMENT,
                     target    TEXT NOT NULL,
                     op_id     TEXT NOT NULL UNIQUE,
                     alert_key TEXT NOT NULL,
                     entry     TEXT NOT NULL,       -- the NewEntry, JSON
                     source    TEXT,                -- also mirrored to this source
                     labels    TEXT,
                     queued_at TEXT NOT NULL,
                     error     TEXT                 -- why the backend refused it, when it did
                 );
                 CREATE INDEX IF NOT EXISTS spool_by_target ON spool (target, seq);",
            )?;
            // Pages sent from here while the backend is away (added after the first release).
            let has: bool = conn.query_row(
                "SELECT count(*) > 0 FROM pragma_table_info('spool') WHERE name = 'sent_at'",
                [],
                |r| r.get(0),
            )?;
            if !has {
                conn.execute_batch(
                    "ALTER TABLE spool ADD COLUMN sent_at TEXT; ALTER TABLE spool ADD COLUMN remote_id TEXT;",
                )?;
            }
            Ok(conn)
        })
        .map_err(|e| err(&e))?;
        Ok(Spool { conn: Mutex::new(conn), path: path.to_path_buf(), target: target.to_owned() })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn).map_err(|e| StoreError { location: self.path.display().to_string(), message: e.to_string() })
    }

    /// Queues an action; on disk when this returns. Returns its place in the queue.
    pub fn push(&self, entry: &NewEntry, mirror: Option<(&str, &Fields)>) -> Result<i64> {
        let json = serde_json::to_string(entry).map_err(|e| self.err(e))?;
        let labels = mirror.map(|(_, l)| serde_json::to_string(l)).transpose().map_err(|e| self.err(e))?;
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO spool (target, op_id, alert_key, entry, source, labels, queued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (op_id) DO NOTHING",
                params![
                    self.target,
                    entry.op_id,
                    entry.alert_key.as_str(),
                    json,
                    mirror.map(|(s, _)| s),
                    labels,
                    Utc::now().to_rfc3339()
                ],
            )?;
            let seq = tx.query_row("SELECT seq FROM spool WHERE op_id = ?1", [&entry.op_id], |r| r.get(0))?;
            tx.commit()?;
            Ok(seq)
        })
    }

    /// Everything queued for this backend, oldest first (`key`: only that alert's).
    pub fn items(&self, key: Option<&AlertKey>) -> Result<Vec<Queued>> {
        type Row = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq, entry, source, labels, sent_at, remote_id FROM spool
                 WHERE target = ?1 AND (?2 IS NULL OR alert_key = ?2) ORDER BY seq",
            )?;
            st.query_map(params![self.target, key.map(|k| k.as_str())], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?
            .collect()
        })?;
        rows.into_iter()
            .map(|(seq, entry, source, labels, sent_at, remote_id)| {
                let entry: NewEntry = serde_json::from_str(&entry).map_err(|e| self.err(format!("item {seq}: {e}")))?;
                let labels: Fields = match labels {
                    Some(l) => serde_json::from_str(&l).map_err(|e| self.err(format!("item {seq}: {e}")))?,
                    None => Fields::new(),
                };
                Ok(Queued { seq, entry, mirror: source.map(|s| (s, labels)), sent: sent_at.map(|_| remote_id) })
            })
            .collect()
    }

    pub fn len(&self) -> Result<usize> {
        self.with(|c| {
            c.query_row("SELECT count(*) FROM spool WHERE target = ?1", [&self.target], |r| r.get::<_, i64>(0))
                .map(|n| n as usize)
        })
    }

    /// The backend has it: forget it here.
    pub fn remove(&self, seq: i64) -> Result<()> {
        self.with(|c| c.execute("DELETE FROM spool WHERE seq = ?1", [seq]).map(|_| ()))
    }

    /// Its page went from this host while the backend was away.
    pub fn sent(&self, op_id: &str, remote_id: Option<&str>) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE spool SET sent_at = ?2, remote_id = ?3 WHERE op_id = ?1",
                params![op_id, Utc::now().to_rfc3339(), remote_id],
            )
            .map(|_| ())
        })
    }

    /// The backend refused it: keep it, with why, for `klaxon sync` to show.
    pub fn refused(&self, seq: i64, error: &str) -> Result<()> {
        self.with(|c| c.execute("UPDATE spool SET error = ?2 WHERE seq = ?1", params![seq, error]).map(|_| ()))
    }

    fn err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError { location: self.path.display().to_string(), message: e.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryKind;

    #[test]
    fn queue_keeps_order_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.db");
        let key = AlertKey::new("prod", "a");
        let ack = NewEntry::new(key.clone(), EntryKind::Acked, "alice", "");
        let note = NewEntry::new(key.clone(), EntryKind::Note, "alice", "looking");
        let labels = Fields::from([("alertname", "Down")]);
        {
            let spool = Spool::open(&path, "db1").unwrap();
            spool.push(&ack, Some(("prod", &labels))).unwrap();
            spool.push(&note, None).unwrap();
            // Queuing the same action twice keeps one.
            spool.push(&note, None).unwrap();
        }
        let spool = Spool::open(&path, "db1").unwrap();
        let items = spool.items(None).unwrap();
        assert_eq!(items.iter().map(|q| q.entry.op_id.as_str()).collect::<Vec<_>>(), [&ack.op_id, &note.op_id]);
        assert_eq!(items[0].mirror, Some(("prod".to_string(), labels)));
        assert_eq!(items[1].entry, note);
        // Another backend's queue in the same file is not this one's.
        assert_eq!(Spool::open(&path, "db2").unwrap().len().unwrap(), 0);
        spool.remove(items[0].seq).unwrap();
        assert_eq!(spool.len().unwrap(), 1);
    }
}
