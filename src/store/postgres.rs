//! PostgreSQL: the team backend. Several consoles on several machines share one timeline;
//! each learns of the others' entries through LISTEN/NOTIFY and reads them after its
//! cursor. While the database is unreachable, actions wait in a local spool and are
//! replayed in order when it returns, each stored once (by op_id).
//!
//! The `postgres` crate (sync, on top of tokio-postgres) runs on a thread of its own: the
//! Store trait is synchronous and is called from async tasks and blocking threads alike,
//! and the client must never run inside an async context.

use super::report::{self, Cell, Col, Param, Query, Run};
use super::spool::{Queued, Spool};
use super::{KnownAlert, Pending, Replay, Result, Store, StoreError, observe};
use crate::model::{Alert, AlertKey, Entry, EntryKind, Fields, MirrorDone, MirrorOp, NewEntry, Ownership, Severity};
use chrono::{DateTime, Utc};
use postgres::{Client, Config, GenericClient, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio_postgres_rustls::MakeRustlsConnect;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_reports.sql"),
    include_str!("migrations/postgres/0003_incidents.sql"),
    include_str!("migrations/postgres/0004_incidents_backfill.sql"),
    include_str!("migrations/postgres/0005_reassigned.sql"),
    include_str!("migrations/postgres/0006_resolved_by_time.sql"),
    include_str!("migrations/postgres/0007_outbox_lease.sql"),
];

/// Every transaction that writes entries holds this advisory lock until it commits, so
/// entries become visible in id order and a reader's cursor never skips one that commits
/// late. Writes are people's actions and snapshot changes: serializing them costs little.
const WRITE_LOCK: i64 = 0x6b6c_6178_6f6e; // "klaxon"
/// Held while migrating, so consoles starting together migrate once.
const MIGRATE_LOCK: i64 = WRITE_LOCK + 1;
pub const CHANNEL: &str = "klaxon_entries";

/// After a failed connect, calls fail at once for this long instead of waiting again.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Why a call failed: the database is out of reach (the action waits in the spool), or it
/// answered with an error.
#[derive(Debug)]
enum Fail {
    Down(String),
    Error(String),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Fail {
        let unreachable = e.is_closed()
            || match e.code() {
                // Connection exceptions, and the server shutting down or starting up.
                Some(c) => c.code().starts_with("08") || ["57P01", "57P02", "57P03"].contains(&c.code()),
                None => e.as_db_error().is_none(),
            };
        let message = describe(&e);
        if unreachable { Fail::Down(message) } else { Fail::Error(message) }
    }
}

/// The error with its causes: tokio-postgres's own Display says only "error connecting to
/// server" or "db error", and the reason sits in the source. It never holds the password.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut s = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                s.push_str(": ");
                s.push_str(&c.to_string());
                cause = c.source();
            }
            s
        }
    }
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

/// The worker's connection, opened on first use and again after it is lost.
struct Conn {
    client: Option<Client>,
    config: Config,
    tls: MakeRustlsConnect,
    down: Option<(Instant, String)>,
}

impl Conn {
    fn client(&mut self) -> std::result::Result<&mut Client, Fail> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            if let Some((since, why)) = &self.down
                && since.elapsed() < RETRY_AFTER
            {
                return Err(Fail::Down(why.clone()));
            }
            match connect(&self.config, &self.tls) {
                Ok(c) => {
                    self.client = Some(c);
                    self.down = None;
                }
                Err(f) => {
                    let why = match &f {
                        Fail::Down(m) | Fail::Error(m) => m.clone(),
                    };
                    self.down = Some((Instant::now(), why));
                    return Err(f);
                }
            }
        }
        self.client.as_mut().ok_or_else(|| Fail::Down("not connected".into()))
    }
}

/// Connects and brings the schema up to date. Any failure to connect, a refused password
/// included, leaves the database out of reach: actions wait in the spool meanwhile.
fn connect(config: &Config, tls: &MakeRustlsConnect) -> std::result::Result<Client, Fail> {
    let mut client = config.connect(tls.clone()).map_err(|e| Fail::Down(describe(&e)))?;
    migrate(&mut client).map_err(|e| Fail::Down(format!("migrating the schema: {}", describe(&e))))?;
    Ok(client)
}

fn migrate(client: &mut Client) -> std::result::Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS klaxon_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
             applied_by TEXT NOT NULL DEFAULT session_user
         )",
    )?;
    let done: i32 = tx.query_one("SELECT COALESCE(max(version), 0) FROM klaxon_migrations", &[])?.get(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO klaxon_migrations (version) VALUES ($1)", &[&(i as i32 + 1)])?;
    }
    tx.commit()
}

/// TLS by rustls ([`crate::tls`]): the system's CAs and `ca_file`'s. Whether TLS is used is
/// the connection string's `sslmode` (disable, prefer, require); when used, the certificate
/// is always verified. The system's CAs are read only at a handshake, and `ca_file` only
/// when TLS may be used.
fn tls(ca_file: Option<&Path>, used: bool) -> std::result::Result<MakeRustlsConnect, String> {
    crate::tls::client_config(ca_file.filter(|_| used), None).map(MakeRustlsConnect::new)
}

/// How long one call may wait for the database. A server that accepts and never answers
/// (the TCP keepalives are answered, so they never fire) must not hang a command or the
/// console's store thread: past this the call fails as "unreachable" (actions go to the
/// spool), the stuck connection is left to its thread, and calls fail at once for
/// [`HUNG_BACKOFF`] before a fresh connection is tried.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
const HUNG_BACKOFF: Duration = Duration::from_secs(30);

/// A thread with a connection of its own, taking calls in order.
fn worker(config: &Config, tls: &MakeRustlsConnect) -> std::io::Result<mpsc::Sender<Job>> {
    let (jobs, rx) = mpsc::channel::<Job>();
    let mut conn = Conn { client: None, config: config.clone(), tls: tls.clone(), down: None };
    std::thread::Builder::new().name("klaxon-postgres".into()).spawn(move || {
        for job in rx {
            // A bug in one call must not take the store down with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn)));
        }
    })?;
    Ok(jobs)
}

pub struct PgStore {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Set when a call got no answer within CALL_TIMEOUT: until then calls fail at once.
    hung_until: Mutex<Option<Instant>>,
    location: String,
    spool: Spool,
    config: Config,
    tls: MakeRustlsConnect,
    /// How far each alert was escalated when this process last read it: what an escalation
    /// made while the database is away builds on.
    known_levels: Mutex<HashMap<AlertKey, i64>>,
}

impl PgStore {
    /// Prepares the store without waiting for the database: a console opens (and actions
    /// are kept) while it is down. `spool` is the local file for actions that must wait.
    pub fn open(url: &str, ca_file: Option<&Path>, spool: &Path) -> Result<PgStore> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError { location: "postgres".into(), message: format!("connection string: {e}") })?;
        let location = location(&config);
        let err = |message: String| StoreError { location: location.clone(), message };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        // A peer that vanishes without closing (a dropped VPN) is noticed in seconds, not hours.
        config.keepalives(true).keepalives_idle(Duration::from_secs(10)).tcp_user_timeout(Duration::from_secs(15));
        if config.get_application_name().is_none() {
            config.application_name("klaxon");
        }
        let tls = tls(ca_file, config.get_ssl_mode() != postgres::config::SslMode::Disable).map_err(err)?;
        let spool = Spool::open(spool, &location)?;
        let jobs = Mutex::new(worker(&config, &tls).map_err(|e| err(e.to_string()))?);
        let hung_until = Mutex::new(None);
        Ok(PgStore { jobs, hung_until, location, spool, config, tls, known_levels: Mutex::new(HashMap::new()) })
    }

    /// Runs `f` on the worker's connection and waits for it.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, Fail> + Send + 'static,
    ) -> std::result::Result<T, Fail> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn: &mut Conn| {
            let result = conn.client().and_then(f);
            if matches!(result, Err(Fail::Down(_))) {
                conn.client = None;
            }
            let _ = tx.send(result);
        });
        let lock = |m: &Mutex<Option<Instant>>| *m.lock().unwrap_or_else(|p| p.into_inner());
        if lock(&self.hung_until).is_some_and(|t| Instant::now() < t) {
            return Err(Fail::Down(format!(
                "no answer within {}s (waiting before asking again)",
                CALL_TIMEOUT.as_secs()
            )));
        }
        let sent = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job);
        sent.map_err(|_| Fail::Error("the database worker has stopped".into()))?;
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // The worker is stuck on that connection: later calls get a fresh one.
                if let Ok(fresh) = worker(&self.config, &self.tls) {
                    *self.jobs.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
                }
                *self.hung_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + HUNG_BACKOFF);
                Err(Fail::Down(format!("no answer within {}s", CALL_TIMEOUT.as_secs())))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(Fail::Error("the database call failed unexpectedly".into()))
            }
        }
    }

    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, Fail> + Send + 'static,
    ) -> Result<T> {
        self.call(f).map_err(|f| self.err(f))
    }

    fn err(&self, f: Fail) -> StoreError {
        let message = match f {
            Fail::Down(m) => format!("unreachable: {m}"),
            Fail::Error(m) => m,
        };
        StoreError { location: self.location.clone(), message }
    }

    /// Runs a report's statements on a connection of its own, on a thread of its own, in one
    /// read-only snapshot: it may read for longer than [`CALL_TIMEOUT`] over a large timeline
    /// without being taken for a hung server, and people's actions on the worker's connection
    /// never wait behind it.
    fn report<T: Send + 'static>(
        &self,
        steps: impl FnOnce(&mut Run<Fail>) -> std::result::Result<T, Fail> + Send + 'static,
    ) -> Result<T> {
        let (mut config, tls) = (self.config.clone(), self.tls.clone());
        config.application_name("klaxon report");
        let read = std::thread::Builder::new()
            .name("klaxon-report".into())
            .spawn(move || {
                let mut client = connect(&config, &tls)?;
                let mut tx = client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                steps(&mut |query| aggregate(&mut tx, query))
            })
            .map_err(|e| self.err(Fail::Error(e.to_string())))?;
        let answer = read.join().map_err(|_| self.err(Fail::Error("the report's query crashed".into())))?;
        answer.map_err(|f| self.err(f))
    }

    /// Stores an entry (and its outbox row) in the database now. `queued`: it waited in the
    /// spool, which may have sent its page already (the row is then written done) and, for
    /// an escalation, gave it the level this host knew then.
    fn write_now(
        &self,
        entry: NewEntry,
        mirror: Option<(String, Fields)>,
        queued: Option<Option<Option<String>>>,
    ) -> std::result::Result<Entry, Fail> {
        self.call(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let mut entry = entry;
            if queued.is_some() && entry.kind == EntryKind::Escalated {
                reconcile_level(&mut tx, &mut entry)?;
            }
            let stored = insert_entries(&mut tx, std::slice::from_ref(&entry), true)?.pop();
            let stored = stored.ok_or_else(|| Fail::Error(format!("entry {} was not stored", entry.op_id)))?;
            if let Some((source, labels)) = mirror {
                let labels = serde_json::to_string(&labels).map_err(|e| Fail::Error(e.to_string()))?;
                let sent = queued.flatten();
                let (state, attempts) = if sent.is_some() { ("done", 1i32) } else { ("pending", 0) };
                tx.execute(
                    "INSERT INTO outbox (op_id, alert_key, source, kind, actor, text, labels, created_at, next_at,
                                         state, remote_id, attempts)
                     VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $8, $9, $10, $11)
                     ON CONFLICT (op_id) DO NOTHING",
                    &[
                        &entry.op_id,
                        &entry.alert_key.as_str(),
                        &source,
                        &entry.kind.name(),
                        &entry.actor,
                        &entry.text,
                        &labels,
                        &entry.at,
                        &state,
                        &sent.flatten(),
                        &attempts,
                    ],
                )?;
            }
            tx.commit()?;
            Ok(stored)
        })
    }

    fn remember_levels<'a>(&self, owned: impl IntoIterator<Item = (&'a AlertKey, i64)>) {
        let mut known = self.known_levels.lock().unwrap_or_else(|p| p.into_inner());
        known.extend(owned.into_iter().map(|(k, l)| (k.clone(), l)));
    }

    /// A person's action: to the database when it is reachable and nothing waits before it,
    /// else into the spool. Either way it is durable when this returns.
    fn write(&self, entry: &NewEntry, mirror: Option<(&str, &Fields)>) -> Result<Entry> {
        // Nothing overtakes what already waits here: replay it first.
        let empty = self.spool.len()? == 0 || self.replay().waiting == 0;
        if empty {
            match self.write_now(entry.clone(), mirror.map(|(s, l)| (s.to_owned(), l.clone())), None) {
                Ok(stored) => return Ok(stored),
                Err(Fail::Error(m)) => return Err(self.err(Fail::Error(m))),
                Err(Fail::Down(_)) => {}
            }
        }
        let seq = self.spool.push(entry, mirror)?;
        Ok(queued_entry(seq, entry))
    }
}

/// An escalation recorded while the database was away carries the level its host knew then;
/// others may have escalated meanwhile. Unless the database has it already (a replay), it
/// is one step above what the database holds now, so each escalation is one step, in the
/// order they arrive. Runs under the write lock.
fn reconcile_level(tx: &mut Transaction, entry: &mut NewEntry) -> std::result::Result<(), Fail> {
    if tx.query_opt("SELECT 1 FROM entries WHERE op_id = $1", &[&entry.op_id])?.is_some() {
        return Ok(());
    }
    let timeline = entries(
        tx,
        &format!("SELECT {ENTRY_COLS} FROM entries WHERE alert_key = $1 AND kind IN ('seen', 'escalated') ORDER BY id"),
        &[&entry.alert_key.as_str()],
    )?;
    let level = Ownership::from_entries(&timeline).escalation_level + 1;
    if let Some(offline) = entry.level.filter(|l| *l != level) {
        entry.text = format!("{} (level {offline} when recorded offline)", entry.text).trim_start().to_owned();
    }
    entry.level = Some(level);
    Ok(())
}

/// A page waiting in the spool, as the outbox would send it.
fn page_op(q: &Queued) -> Option<(MirrorOp, String)> {
    let (target, labels) = q.mirror.as_ref().filter(|(t, _)| t.starts_with('@'))?;
    let e = &q.entry;
    let op = MirrorOp {
        op_id: e.op_id.clone(),
        alert_key: e.alert_key.clone(),
        kind: e.kind,
        actor: e.actor.clone(),
        text: e.text.clone(),
        level: e.level,
        labels: labels.clone(),
        created_at: e.at,
        attempts: 0,
        prior: None,
    };
    Some((op, target.clone()))
}

/// How a queued action shows until the database has it: a negative id, after the stored ones.
fn queued_entry(seq: i64, e: &NewEntry) -> Entry {
    Entry {
        id: -seq,
        op_id: e.op_id.clone(),
        alert_key: e.alert_key.clone(),
        kind: e.kind,
        actor: e.actor.clone(),
        at: e.at,
        text: e.text.clone(),
        level: e.level,
        db_user: None,
    }
}

/// user@host:port/db: enough to tell databases apart, never the password.
fn location(c: &Config) -> String {
    use postgres::config::Host;
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().unwrap_or("?");
    let db = c.get_dbname().unwrap_or(user);
    format!("postgres {user}@{host}:{port}/{db}")
}

const ENTRY_COLS: &str = "id, op_id, alert_key, kind, actor, at, text, level, db_user";

fn bad(what: &str, e: impl std::fmt::Display) -> Fail {
    Fail::Error(format!("unreadable {what}: {e}"))
}

fn entry_from_row(r: &Row) -> std::result::Result<Entry, Fail> {
    let key: String = r.try_get(2)?;
    let kind: String = r.try_get(3)?;
    Ok(Entry {
        id: r.try_get(0)?,
        op_id: r.try_get(1)?,
        alert_key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        kind: kind.parse().map_err(|e| bad("entry", e))?,
        actor: r.try_get(4)?,
        at: r.try_get(5)?,
        text: r.try_get(6)?,
        level: r.try_get(7)?,
        db_user: r.try_get(8)?,
    })
}

const KNOWN_COLS: &str = "key, title, severity, first_seen, resolved_at, last::text";

fn known_from_row(r: &Row) -> std::result::Result<KnownAlert, Fail> {
    let key: String = r.try_get(0)?;
    let sev: String = r.try_get(2)?;
    let last: String = r.try_get(5)?;
    Ok(KnownAlert {
        key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        title: r.try_get(1)?,
        severity: sev.parse().map_err(|e| bad("alert", e))?,
        first_seen: r.try_get(3)?,
        resolved_at: r.try_get(4)?,
        last: serde_json::from_str(&last).map_err(|e| bad("alert", e))?,
    })
}

/// Inserts entries in one statement, skipping op_ids already stored; returns them as
/// stored, in id order: with `all`, also those stored before (a replayed op_id answers
/// with the row written then), else only the new ones.
fn insert_entries(tx: &mut Transaction, entries: &[NewEntry], all: bool) -> std::result::Result<Vec<Entry>, Fail> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let col = |f: fn(&NewEntry) -> &str| entries.iter().map(f).collect::<Vec<_>>();
    let (ops, keys) = (col(|e| &e.op_id), col(|e| e.alert_key.as_str()));
    let (kinds, actors, texts) = (col(|e| e.kind.name()), col(|e| &e.actor), col(|e| &e.text));
    let ats: Vec<DateTime<Utc>> = entries.iter().map(|e| e.at).collect();
    let levels: Vec<Option<i64>> = entries.iter().map(|e| e.level).collect();
    let rows = tx.query(
        &format!(
            "INSERT INTO entries (op_id, alert_key, kind, actor, at, text, level)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                                  $7::int8[])
             ON CONFLICT (op_id) DO NOTHING RETURNING {ENTRY_COLS}"
        ),
        &[&ops, &keys, &kinds, &actors, &ats, &texts, &levels],
    )?;
    let mut stored = rows.iter().map(entry_from_row).collect::<std::result::Result<Vec<_>, _>>()?;
    if all && stored.len() < entries.len() {
        let found: std::collections::HashSet<&str> = stored.iter().map(|e| e.op_id.as_str()).collect();
        let missing: Vec<&str> = ops.iter().copied().filter(|o| !found.contains(o)).collect();
        let rows = tx.query(&format!("SELECT {ENTRY_COLS} FROM entries WHERE op_id = ANY($1)"), &[&missing])?;
        for r in &rows {
            stored.push(entry_from_row(r)?);
        }
    }
    stored.sort_by_key(|e| e.id);
    Ok(stored)
}

fn entries(
    c: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> std::result::Result<Vec<Entry>, Fail> {
    c.query(sql, params)?.iter().map(entry_from_row).collect()
}

impl Store for PgStore {
    fn append(&self, entry: &NewEntry) -> Result<Entry> {
        self.write(entry, None)
    }

    fn append_mirrored(&self, entry: &NewEntry, source: &str, labels: &Fields) -> Result<Entry> {
        self.write(entry, Some((source, labels)))
    }

    fn timeline(&self, key: &AlertKey) -> Result<Vec<Entry>> {
        let k = key.as_str().to_owned();
        let mut stored = self.run(move |c| {
            entries(c, &format!("SELECT {ENTRY_COLS} FROM entries WHERE alert_key = $1 ORDER BY id"), &[&k])
        })?;
        self.remember_levels([(key, Ownership::from_entries(&stored).escalation_level)]);
        // What this host still holds for the database, after what it has.
        for q in self.spool.items(Some(key))? {
            if !stored.iter().any(|e| e.op_id == q.entry.op_id) {
                stored.push(queued_entry(q.seq, &q.entry));
            }
        }
        Ok(stored)
    }

    fn entries_of_kind(&self, kind: EntryKind) -> Result<Vec<Entry>> {
        let name = kind.name();
        let mut stored = self.run(move |c| {
            entries(c, &format!("SELECT {ENTRY_COLS} FROM entries WHERE kind = $1 ORDER BY id"), &[&name])
        })?;
        // What this host still holds for the database, after what it has.
        for q in self.spool.items(None)? {
            if q.entry.kind == kind && !stored.iter().any(|e| e.op_id == q.entry.op_id) {
                stored.push(queued_entry(q.seq, &q.entry));
            }
        }
        Ok(stored)
    }

    fn last_entry_id(&self) -> Result<i64> {
        self.run(|c| Ok(c.query_one("SELECT COALESCE(max(id), 0)::int8 FROM entries", &[])?.try_get(0)?))
    }

    fn entries_after(&self, after_id: i64, limit: usize) -> Result<Vec<Entry>> {
        let limit = limit as i64;
        self.run(move |c| {
            entries(
                c,
                &format!("SELECT {ENTRY_COLS} FROM entries WHERE id > $1 ORDER BY id LIMIT $2"),
                &[&after_id, &limit],
            )
        })
    }

    fn observe(&self, source: &str, alerts: &[Alert], at: DateTime<Utc>) -> Result<Vec<Entry>> {
        let (source, alerts) = (source.to_owned(), alerts.to_vec());
        self.run(move |c| {
            let mut tx = c.transaction()?;
            // Consoles observing the same source take turns: the second sees the first's rows.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let rows = tx.query(
                "SELECT key, severity, title FROM alerts WHERE source = $1 AND resolved_at IS NULL",
                &[&source],
            )?;
            let mut open = observe::Open::with_capacity(rows.len());
            for r in rows {
                let sev: &str = r.try_get(1)?;
                open.insert(r.try_get::<_, &str>(0)?.into(), (sev.parse().unwrap_or(Severity::Average), r.try_get(2)?));
            }
            let plan = observe::plan(open, &alerts, at);
            if !plan.upserts.is_empty() {
                let keys: Vec<&str> = plan.upserts.iter().map(|a| a.key.as_str()).collect();
                let titles: Vec<&str> = plan.upserts.iter().map(|a| a.title.as_str()).collect();
                let sevs: Vec<&str> = plan.upserts.iter().map(|a| a.severity.name()).collect();
                let lasts = plan
                    .upserts
                    .iter()
                    .map(serde_json::to_string)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Fail::Error(e.to_string()))?;
                tx.execute(
                    "INSERT INTO alerts (key, source, title, severity, first_seen, changed_at, resolved_at, last)
                     SELECT k, $2, t, s, $3, $3, NULL, l::jsonb
                     FROM unnest($1::text[], $4::text[], $5::text[], $6::text[]) AS u(k, t, s, l)
                     ON CONFLICT (key) DO UPDATE SET title = EXCLUDED.title, severity = EXCLUDED.severity,
                         changed_at = EXCLUDED.changed_at, resolved_at = NULL, last = EXCLUDED.last",
                    &[&keys, &source, &at, &titles, &sevs, &lasts],
                )?;
            }
            if !plan.resolved.is_empty() {
                tx.execute(
                    "UPDATE alerts SET resolved_at = $2, changed_at = $2 WHERE key = ANY($1)",
                    &[&plan.resolved, &at],
                )?;
            }
            let mut written = insert_entries(&mut tx, &plan.entries, true)?;
            written.extend(insert_entries(&mut tx, &plan.from_source, false)?);
            tx.commit()?;
            Ok(written)
        })
    }

    fn known_alerts(&self, source: Option<&str>, include_resolved: bool) -> Result<Vec<KnownAlert>> {
        let source = source.map(str::to_owned);
        self.run(move |c| {
            c.query(
                &format!(
                    "SELECT {KNOWN_COLS} FROM alerts WHERE ($1::text IS NULL OR source = $1)
                       AND ($2 OR resolved_at IS NULL) ORDER BY changed_at DESC"
                ),
                &[&source, &include_resolved],
            )?
            .iter()
            .map(known_from_row)
            .collect()
        })
    }

    fn resolved_since(&self, since: DateTime<Utc>) -> Result<Vec<KnownAlert>> {
        self.run(move |c| {
            c.query(
                &format!("SELECT {KNOWN_COLS} FROM alerts WHERE resolved_at >= $1 ORDER BY resolved_at DESC, key"),
                &[&since],
            )?
            .iter()
            .map(known_from_row)
            .collect()
        })
    }

    fn known_alert(&self, key: &AlertKey) -> Result<Option<KnownAlert>> {
        let key = key.as_str().to_owned();
        self.run(move |c| {
            c.query_opt(&format!("SELECT {KNOWN_COLS} FROM alerts WHERE key = $1"), &[&key])?
                .as_ref()
                .map(known_from_row)
                .transpose()
        })
    }

    fn ownership(&self) -> Result<HashMap<AlertKey, Ownership>> {
        let rows = self.run(|c| {
            entries(
                c,
                &format!(
                    "SELECT {ENTRY_COLS} FROM entries
                     WHERE kind IN ('seen', 'acked', 'unacked', 'escalated')
                       AND alert_key IN (SELECT alert_key FROM entries WHERE kind IN ('acked', 'escalated'))
                       AND alert_key IN (SELECT key FROM alerts WHERE resolved_at IS NULL)
                     ORDER BY id"
                ),
                &[],
            )
        })?;
        let mut by_key: HashMap<AlertKey, Vec<Entry>> = HashMap::new();
        for e in rows {
            by_key.entry(e.alert_key.clone()).or_default().push(e);
        }
        let owned: HashMap<AlertKey, Ownership> =
            by_key.into_iter().map(|(k, es)| (k, Ownership::from_entries(&es))).collect();
        self.remember_levels(owned.iter().map(|(k, o)| (k, o.escalation_level)));
        Ok(owned)
    }

    fn escalation_level(&self, key: &AlertKey) -> Result<i64> {
        let k = key.as_str().to_owned();
        let read = self.call(move |c| {
            entries(c, &format!("SELECT {ENTRY_COLS} FROM entries WHERE alert_key = $1 ORDER BY id"), &[&k])
        });
        match read {
            Ok(stored) => {
                let level = Ownership::from_entries(&stored).escalation_level;
                self.remember_levels([(key, level)]);
                // What waits here is on top of what the database has.
                let queued = self.spool.items(Some(key))?;
                let queued = queued.iter().filter(|q| !stored.iter().any(|e| e.op_id == q.entry.op_id));
                Ok(queued
                    .filter(|q| q.entry.kind == EntryKind::Escalated)
                    .fold(level, |l, q| l.max(q.entry.level.unwrap_or(0))))
            }
            Err(Fail::Down(_)) => {
                // Away: what this process last read, and what waits here since.
                let known = self.known_levels.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied().unwrap_or(0);
                let queued = self.spool.items(Some(key))?;
                Ok(queued
                    .iter()
                    .filter(|q| q.entry.kind == EntryKind::Escalated)
                    .fold(known, |l, q| l.max(q.entry.level.unwrap_or(0))))
            }
            Err(f) => Err(self.err(f)),
        }
    }

    fn queued_pages(&self) -> Result<Vec<(MirrorOp, String)>> {
        Ok(self.spool.items(None)?.iter().filter(|q| q.sent.is_none()).filter_map(page_op).collect())
    }

    fn queued_page_sent(&self, op_id: &str, done: &MirrorDone) -> Result<()> {
        self.spool.sent(op_id, done.remote_id.as_deref())
    }

    fn pending_mirrors(&self, force: bool, targets: Option<&HashSet<String>>) -> Result<Vec<Pending>> {
        let lease = chrono::Duration::from_std(super::LEASE).unwrap_or_default();
        let targets = targets.cloned();
        self.run(move |c| {
            let mut tx = c.transaction()?;
            // The due ones are leased to this console: another one sees them as not due
            // until the lease runs out (if this one dies mid-send), so each goes once. Rows
            // another console holds right now are skipped, never waited for (a console cut off
            // mid-lease holds them until the server notices); but they hold their lane, so
            // what queues behind them is not sent before them. Locked first: what is locked
            // is read as last committed.
            let columns = "SELECT op_id, alert_key, source, kind, actor, text, labels::text, created_at, attempts,
                                  next_at, (SELECT level FROM entries e WHERE e.op_id = outbox.op_id), leased_until
                           FROM outbox WHERE state = 'pending' ORDER BY created_at, op_id";
            let locked = tx.query(&format!("{columns} FOR UPDATE SKIP LOCKED"), &[])?;
            let mut mine: HashMap<String, Pending> = HashMap::new();
            for r in &locked {
                let p = pending_row(r)?;
                mine.insert(p.op.op_id.clone(), p);
            }
            let (mut out, mut held) = (Vec::new(), HashSet::new());
            for r in &tx.query(columns, &[])? {
                let p = pending_row(r)?;
                match mine.remove(&p.op.op_id) {
                    Some(locked) => out.push(locked),
                    None => {
                        held.insert(p.op.op_id.clone());
                        out.push(p);
                    }
                }
            }
            let now = Utc::now();
            super::take_due(&mut out, now, force, targets.as_ref(), |p| !held.contains(&p.op.op_id));
            let leased: Vec<&str> = out.iter().filter(|p| p.due).map(|p| p.op.op_id.as_str()).collect();
            // next_at moves past the lease too: a klaxon from before `leased_until` reads only that.
            tx.execute(
                "UPDATE outbox SET leased_until = $2, next_at = GREATEST(next_at, $2) WHERE op_id = ANY($1)",
                &[&leased, &(now + lease)],
            )?;
            tx.commit()?;
            Ok(out)
        })
    }

    fn unsent(&self) -> Result<usize> {
        self.run(|c| {
            let row = c.query_one("SELECT count(*) FROM outbox WHERE state = 'pending'", &[])?;
            Ok(row.try_get::<_, i64>(0)?.max(0) as usize)
        })
    }

    fn mirror_waiting(&self, op_id: &str, target: &str) -> Result<bool> {
        if self.spool.items(None)?.iter().any(|q| q.entry.op_id == op_id) {
            return Ok(true);
        }
        let (op_id, target) = (op_id.to_owned(), target.to_owned());
        self.run(move |c| {
            let row = c.query_one(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE op_id = $1 AND source = $2 AND state != 'done')",
                &[&op_id, &target],
            )?;
            Ok(row.try_get(0)?)
        })
    }

    fn mirror_prior(&self, key: &AlertKey, op_id: &str) -> Result<Option<(String, String)>> {
        let (key, op_id) = (key.as_str().to_owned(), op_id.to_owned());
        self.run(move |c| {
            let row = c.query_opt(
                "SELECT op_id, remote_id FROM outbox
                 WHERE alert_key = $1 AND kind = 'acked' AND state = 'done' AND remote_id IS NOT NULL
                   AND created_at <= (SELECT created_at FROM outbox WHERE op_id = $2) AND op_id != $2
                 ORDER BY created_at DESC, op_id DESC LIMIT 1",
                &[&key, &op_id],
            )?;
            Ok(match row {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            })
        })
    }

    fn mirror_done(&self, op: &MirrorOp, done: &MirrorDone) -> Result<()> {
        let (op, done) = (op.clone(), done.clone());
        self.run(move |c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "UPDATE outbox SET state = 'done', remote_id = $2, attempts = attempts + 1, last_error = NULL
                 WHERE op_id = $1",
                &[&op.op_id, &done.remote_id],
            )?;
            if let Some((prior_op, remote)) = done.prior_change(&op) {
                tx.execute("UPDATE outbox SET remote_id = $2 WHERE op_id = $1", &[&prior_op, &remote])?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn mirror_failed(&self, op_id: &str, error: &str, next_at: DateTime<Utc>) -> Result<()> {
        let (op_id, error) = (op_id.to_owned(), error.to_owned());
        self.run(move |c| {
            let mut tx = c.transaction()?;
            // The lane's rows are locked in the order `pending_mirrors` locks them: taken in
            // another order, two consoles could deadlock.
            tx.execute(
                "SELECT 1 FROM outbox WHERE state = 'pending'
                   AND (alert_key, source) = (SELECT alert_key, source FROM outbox WHERE op_id = $1)
                 ORDER BY created_at, op_id FOR UPDATE",
                &[&op_id],
            )?;
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_at = $3, leased_until = NULL
                 WHERE op_id = $1",
                &[&op_id, &error, &next_at],
            )?;
            // What waits behind it (same alert, same source) was leased with it: let go, it
            // comes due after it, not when the lease runs out.
            tx.execute(
                "UPDATE outbox SET leased_until = NULL, next_at = LEAST(next_at, $2)
                 WHERE state = 'pending' AND op_id != $1
                   AND (alert_key, source) = (SELECT alert_key, source FROM outbox WHERE op_id = $1)",
                &[&op_id, &next_at],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn queued(&self) -> Result<usize> {
        self.spool.len()
    }

    fn replay(&self) -> Replay {
        let mut report = Replay::default();
        let items = match self.spool.items(None) {
            Ok(items) => items,
            Err(e) => {
                report.error = Some(e.to_string());
                return report;
            }
        };
        let total = items.len();
        for (i, q) in items.into_iter().enumerate() {
            match self.write_now(q.entry.clone(), q.mirror.clone(), Some(q.sent.clone())) {
                Ok(_) => {
                    let _ = self.spool.remove(q.seq);
                    report.sent += 1;
                }
                Err(f) => {
                    // In order or not at all: what follows waits behind this one.
                    report.waiting = total - i;
                    report.unreachable = matches!(f, Fail::Down(_));
                    let why = self.err(f).to_string();
                    if !report.unreachable {
                        let _ = self.spool.refused(q.seq, &why);
                    }
                    report.error = Some(why);
                    break;
                }
            }
        }
        report
    }

    fn subscribe(&self, wake: Box<dyn Fn() -> bool + Send>) -> bool {
        let (mut config, tls) = (self.config.clone(), self.tls.clone());
        config.application_name("klaxon listen");
        std::thread::Builder::new().name("klaxon-listen".into()).spawn(move || listen(&config, tls, wake)).is_ok()
    }

    fn describe(&self) -> String {
        self.location.clone()
    }

    fn report_summary(&self, q: &report::ReportQuery) -> Result<Vec<report::StatRow>> {
        let q = q.clone();
        self.report(move |run| report::summary_rows(report::Dialect::Postgres, &q, run))
    }

    fn report_noise(
        &self,
        q: &report::ReportQuery,
        flap_within_s: i64,
        zone: &[report::OffsetFrom],
    ) -> Result<Vec<report::NoiseRow>> {
        let (q, zone) = (q.clone(), zone.to_vec());
        self.report(move |run| report::noise_rows(report::Dialect::Postgres, &q, flap_within_s, &zone, run))
    }

    fn report_oncall(&self, q: &report::ReportQuery, inputs: &report::OncallInputs) -> Result<Vec<report::PersonRow>> {
        let query = report::oncall(report::Dialect::Postgres, q, inputs);
        self.report(move |run| run(&query)).map(report::person_rows)
    }
}

/// One outbox row as [`Store::pending_mirrors`] reads it (not yet taken).
fn pending_row(r: &postgres::Row) -> std::result::Result<Pending, Fail> {
    let key: String = r.try_get(1)?;
    let kind: String = r.try_get(3)?;
    let labels: String = r.try_get(6)?;
    let op = MirrorOp {
        op_id: r.try_get(0)?,
        alert_key: AlertKey::parse(&key).unwrap_or_else(|| AlertKey::new("?", &key)),
        kind: kind.parse().map_err(|e| bad("outbox row", e))?,
        actor: r.try_get(4)?,
        text: r.try_get(5)?,
        labels: serde_json::from_str(&labels).map_err(|e| bad("outbox row", e))?,
        created_at: r.try_get(7)?,
        attempts: r.try_get::<_, i32>(8)?.max(0) as u32,
        level: r.try_get(10)?,
        prior: None,
    };
    Ok(Pending { op, target: r.try_get(2)?, next_at: r.try_get(9)?, leased_until: r.try_get(11)?, due: false })
}

/// Runs a report's statement: a few rows of aggregates.
fn aggregate(c: &mut impl GenericClient, q: &Query) -> std::result::Result<Vec<Vec<Cell>>, Fail> {
    let params: Vec<Box<dyn postgres::types::ToSql + Sync>> = q
        .params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
            match p {
                Param::Text(t) | Param::Json(t) => Box::new(t.clone()),
                Param::Int(i) => Box::new(*i),
                Param::Time(t) => Box::new(*t),
            }
        })
        .collect();
    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
    let rows = c.query(&q.sql, &refs)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut cells = Vec::with_capacity(q.cols.len());
        for (i, col) in q.cols.iter().enumerate() {
            cells.push(match col {
                Col::Text => Cell::Text(r.try_get(i)?),
                Col::Int => Cell::Int(r.try_get(i)?),
            });
        }
        out.push(cells);
    }
    Ok(out)
}

/// Holds a LISTEN connection: wakes the reader on every notification, after every
/// (re)connect so it catches up on what it missed, and every 15 s in case a notification
/// was lost. Reconnects with backoff; ends when `wake` says so.
fn listen(config: &Config, tls: MakeRustlsConnect, wake: Box<dyn Fn() -> bool + Send>) {
    let mut delay = Duration::from_millis(250);
    loop {
        if let Ok(mut client) = config.connect(tls.clone())
            && client.batch_execute(&format!("LISTEN {CHANNEL}")).is_ok()
        {
            delay = Duration::from_millis(250);
            if !wake() {
                return;
            }
            loop {
                use postgres::fallible_iterator::FallibleIterator;
                let next = client.notifications().timeout_iter(Duration::from_secs(15)).next();
                match next {
                    Ok(Some(_)) => {}
                    Err(_) => break,
                    Ok(None) if client.is_valid(Duration::from_secs(5)).is_err() => break,
                    Ok(None) => {}
                }
                if !wake() {
                    return;
                }
            }
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
