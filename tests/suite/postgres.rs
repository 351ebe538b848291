//! The team backend against a real PostgreSQL started by the test: live sync through
//! NOTIFY, convergence when the listening connection dies, nothing lost or doubled while
//! the database is down, the audit trail, concurrent acks, concurrent migrations, TLS.

use crate::common;

use common::postgres::Postgres;
use klaxon::model::{AlertKey, Entry, EntryKind, NewEntry};
use klaxon::store::{Follower, PgStore, Store};
use std::collections::HashSet;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn open(pg: &Postgres, user: &str, spool: &Path) -> PgStore {
    PgStore::open(&pg.url(user), None, spool).expect("store opens")
}

fn key() -> AlertKey {
    AlertKey::new("prod", "4f3a")
}

/// A reader that catches up only when the store wakes it (no timer of its own).
fn subscribe(store: &PgStore) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    assert!(store.subscribe(Box::new(move || tx.send(()).is_ok())), "postgres has a change feed");
    rx
}

#[test]
fn two_clients_see_each_other_through_notify_and_the_database_names_the_writer() {
    let Some(pg) = Postgres::start() else { return };
    pg.create_user("alice");
    pg.create_user("bob");
    let tmp = tempfile::tempdir().unwrap();
    let alice = open(&pg, "alice", &tmp.path().join("a.db"));
    let bob = open(&pg, "bob", &tmp.path().join("b.db"));
    let mut follower = Follower::start(&bob).unwrap();
    let woken = subscribe(&bob);
    woken.recv_timeout(Duration::from_secs(10)).expect("woken once connected");
    // Alice's config claims to be bob: the entry says so, and the database says who it was.
    let sent = alice.append(&NewEntry::new(key(), EntryKind::Acked, "bob", "on it")).unwrap();
    let started = Instant::now();
    let mut got: Vec<Entry> = Vec::new();
    while got.is_empty() && started.elapsed() < Duration::from_secs(10) {
        if woken.recv_timeout(Duration::from_secs(10)).is_ok() {
            got = follower.catch_up(&bob).unwrap();
        }
    }
    assert_eq!(got.len(), 1, "bob sees alice's ack through NOTIFY");
    assert_eq!((got[0].op_id.as_str(), got[0].actor.as_str()), (sent.op_id.as_str(), "bob"));
    assert_eq!(got[0].db_user.as_deref(), Some("alice"), "session_user is recorded, whatever the config says");
    // And the other way round, through the same table and trigger.
    let mut back = Follower::start(&alice).unwrap();
    bob.append(&NewEntry::new(key(), EntryKind::Note, "bob", "thanks")).unwrap();
    assert_eq!(back.catch_up(&alice).unwrap()[0].db_user.as_deref(), Some("bob"));
    // The timeline is append-only: not even its owner can rewrite it.
    let err = pg.try_psql("klaxon", "UPDATE entries SET actor = 'mallory'").unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    assert_eq!(pg.psql("SELECT count(*) FROM entries WHERE actor = 'mallory'").trim(), "0");
}

#[test]
fn killing_the_listening_connection_during_1000_writes_still_converges() {
    let Some(pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let reader = open(&pg, "postgres", &tmp.path().join("r.db"));
    let mut follower = Follower::start(&reader).unwrap();
    let woken = subscribe(&reader);
    woken.recv_timeout(Duration::from_secs(10)).expect("listening");
    let listener_pid = || pg.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'klaxon listen'");
    let first_pid = listener_pid();
    assert!(!first_pid.trim().is_empty(), "the listener is connected");

    // Two writers at once, so ids are handed out concurrently.
    let url = pg.url("postgres");
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (url, spool) = (url.clone(), tmp.path().join(format!("w{w}.db")));
            std::thread::spawn(move || {
                let store = PgStore::open(&url, None, &spool).unwrap();
                (0..500)
                    .map(|i| {
                        let key = AlertKey::new("prod", &format!("w{w}-{}", i % 20));
                        store.append(&NewEntry::new(key, EntryKind::Note, "load", &i.to_string())).unwrap().op_id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen: Vec<String> = Vec::new();
    let mut killed = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < 1000 && Instant::now() < deadline {
        if killed < 3 && seen.len() > 150 * (killed + 1) {
            pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'klaxon listen'");
            killed += 1;
        }
        if woken.recv_timeout(Duration::from_secs(5)).is_ok() {
            seen.extend(follower.catch_up(&reader).unwrap().into_iter().map(|e| e.op_id));
        }
    }
    let written: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(killed >= 1, "the listener was killed mid-stream");
    assert_eq!(seen.len(), 1000, "every entry arrives once ({} seen)", seen.len());
    assert_eq!(seen.iter().collect::<HashSet<_>>(), written.iter().collect::<HashSet<_>>());
    assert_ne!(listener_pid(), first_pid, "the listener reconnected");
}

#[test]
fn acting_while_postgres_is_down_loses_nothing_and_duplicates_nothing() {
    let Some(mut pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("outbox.db");
    let store = open(&pg, "postgres", &spool);
    store.append(&NewEntry::new(key(), EntryKind::Acked, "alice", "")).unwrap();

    pg.stop();
    let labels = klaxon::model::Fields::from([("alertname", "Down")]);
    let notes: Vec<Entry> = (1..=3)
        .map(|i| store.append(&NewEntry::new(key(), EntryKind::Note, "alice", &format!("note {i}"))).unwrap())
        .collect();
    let unack = store.append_mirrored(&NewEntry::new(key(), EntryKind::Unacked, "alice", ""), "prod", &labels).unwrap();
    assert!(notes.iter().chain([&unack]).all(Entry::is_queued), "kept here, not an error");
    assert_eq!(store.queued().unwrap(), 4);
    assert!(store.timeline(&key()).is_err(), "reading says the database is away");
    // klaxon itself restarts meanwhile: the queue is on disk.
    drop(store);
    let store = open(&pg, "postgres", &spool);
    assert_eq!(store.queued().unwrap(), 4);
    let offline = store.replay();
    assert_eq!((offline.sent, offline.waiting), (0, 4), "{offline:?}");
    assert!(offline.unreachable && offline.error.as_deref().is_some_and(|e| e.contains("refused")), "{offline:?}");
    assert!(store.mirror_waiting(&unack.op_id, "prod").unwrap(), "kept on this host, it waits");

    pg.restart();
    // The store waits a moment after a failed connect before trying again.
    let mut replayed = store.replay();
    let deadline = Instant::now() + Duration::from_secs(10);
    while replayed.sent == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        replayed = store.replay();
    }
    assert_eq!((replayed.sent, replayed.waiting, replayed.error, replayed.unreachable), (4, 0, None, false));
    assert_eq!(store.replay().sent, 0, "a second replay sends nothing");
    let timeline = store.timeline(&key()).unwrap();
    let texts: Vec<_> = timeline.iter().map(|e| (e.kind, e.text.as_str())).collect();
    assert_eq!(
        texts,
        [
            (EntryKind::Acked, ""),
            (EntryKind::Note, "note 1"),
            (EntryKind::Note, "note 2"),
            (EntryKind::Note, "note 3"),
            (EntryKind::Unacked, "")
        ]
    );
    assert!(timeline.iter().all(|e| !e.is_queued()));
    // The mirrored action reached the shared outbox with it, once; asking whether it waits
    // leases nothing (its next try is not pushed back), as `pending_mirrors` would.
    assert!(store.mirror_waiting(&unack.op_id, "prod").unwrap());
    assert!(!store.mirror_waiting(&unack.op_id, "elsewhere").unwrap());
    let pending = store.pending_mirrors(false, None).unwrap();
    assert!(pending[0].due, "not leased by asking: {:?}", pending[0].next_at);
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].op.op_id.as_str(), pending[0].target.as_str()), (unack.op_id.as_str(), "prod"));
    assert_eq!(pending[0].op.labels, labels);
    let done = klaxon::model::MirrorDone {
        remote_id: None,
        prior: klaxon::model::PriorUpdate::Keep,
        summary: "unacknowledged".into(),
    };
    store.mirror_done(&pending[0].op, &done).unwrap();
    assert!(!store.mirror_waiting(&unack.op_id, "prod").unwrap(), "done: it waits no more");
    // Writing again what was replayed (a retry from another process) stores nothing new.
    store
        .append(&NewEntry { op_id: notes[0].op_id.clone(), ..NewEntry::new(key(), EntryKind::Note, "a", "x") })
        .unwrap();
    assert_eq!(pg.psql("SELECT count(*) FROM entries").trim(), "5");
}

#[test]
fn two_people_acking_at_the_same_moment_both_succeed_and_the_first_owns_it() {
    let Some(pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let setup = open(&pg, "postgres", &tmp.path().join("s.db"));
    let alert = common::alerts::alert("prod", "4f3a", klaxon::model::Severity::High, 5, "Down", "api");
    setup.observe("prod", &[alert], chrono::Utc::now()).unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let acks: Vec<_> = ["alice", "bob"]
        .into_iter()
        .map(|who| {
            let (url, spool, barrier) = (pg.url("postgres"), tmp.path().join(format!("{who}.db")), barrier.clone());
            std::thread::spawn(move || {
                let store = PgStore::open(&url, None, &spool).unwrap();
                store.last_entry_id().unwrap(); // connected and migrated before the race
                barrier.wait();
                store.append(&NewEntry::new(key(), EntryKind::Acked, who, "")).unwrap()
            })
        })
        .collect();
    let acks: Vec<Entry> = acks.into_iter().map(|h| h.join().expect("nobody sees an error")).collect();
    let first = acks.iter().min_by_key(|e| e.id).unwrap();
    let timeline = setup.timeline(&key()).unwrap();
    assert_eq!(timeline.iter().filter(|e| e.kind == EntryKind::Acked).count(), 2, "both acks are kept");
    assert_eq!(setup.ownership().unwrap()[&key()].owner.as_deref(), Some(first.actor.as_str()));
}

#[test]
fn consoles_starting_together_migrate_once() {
    let Some(pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let barrier = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (url, spool, barrier) = (pg.url("postgres"), tmp.path().join(format!("{i}.db")), barrier.clone());
            std::thread::spawn(move || {
                let store = PgStore::open(&url, None, &spool).unwrap();
                barrier.wait();
                store.last_entry_id()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), 0);
    }
    // Each migration once: as many rows as migrations, no version twice.
    let dir = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/store/migrations/postgres")).unwrap();
    let migrations = dir.filter(|f| f.as_ref().unwrap().path().extension().is_some_and(|e| e == "sql")).count();
    assert_eq!(
        pg.psql("SELECT count(*), count(DISTINCT version) FROM klaxon_migrations").trim(),
        format!("{migrations}|{migrations}")
    );
}

#[test]
fn tls_with_the_team_ca_and_refusal_without_it() {
    let certs = tempfile::tempdir().unwrap();
    if common::servers::make_tls(certs.path()).is_none() {
        return;
    }
    // The server's copies belong to the user it runs as, key readable by it alone.
    let keydir = tempfile::tempdir().unwrap();
    for f in ["server.pem", "server.key"] {
        std::fs::copy(certs.path().join(f), keydir.path().join(f)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(keydir.path().join("server.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let (cert, key) = (keydir.path().join("server.pem"), keydir.path().join("server.key"));
    let settings =
        ["ssl=on".to_string(), format!("ssl_cert_file={}", cert.display()), format!("ssl_key_file={}", key.display())];
    let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
    // Chown before the server starts: it checks the key's owner and mode.
    if common::postgres::running_as_root() {
        for p in [keydir.path(), &cert, &key] {
            std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
        }
    }
    let Some(pg) = Postgres::start_with(&settings) else { return };
    let url = pg.url("postgres").replace("sslmode=disable", "sslmode=require");
    let tmp = tempfile::tempdir().unwrap();
    let store = PgStore::open(&url, Some(&certs.path().join("ca.pem")), &tmp.path().join("a.db")).unwrap();
    assert_eq!(store.last_entry_id().unwrap(), 0);
    let encrypted = pg.psql(
        "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE ssl AND application_name = 'klaxon'",
    );
    assert_eq!(encrypted.trim(), "1", "klaxon's connection is encrypted");
    // Without the team's CA the certificate does not verify: said plainly, not connected.
    let stranger = PgStore::open(&url, None, &tmp.path().join("b.db")).unwrap();
    let err = stranger.last_entry_id().unwrap_err().to_string();
    assert!(err.contains("certificate") || err.contains("Unknown"), "{err}");
    assert!(!err.contains("sslmode"), "the connection string is not repeated: {err}");
}

#[test]
fn the_cli_keeps_an_ack_while_postgres_is_down_and_sync_sends_it_once() {
    let Some(mut pg) = Postgres::start() else { return };
    let sb = common::Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        "[identity]\nname = \"alice\"\n\n[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n\
         [[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
    );
    let url = pg.url("postgres");
    let klaxon = |args: &[&str]| {
        let mut cmd = sb.klaxon();
        cmd.env("KLAXON_DATABASE_URL", &url).arg("--config").arg(&config).args(args);
        cmd.output().unwrap()
    };
    let out = klaxon(&["list", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts = common::json(&out.stdout);
    let key = common::steady_demo_key(&alerts);

    pg.stop();
    let out = klaxon(&["ack", &key, "--note", "taking it from the train"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "an ack while the database is down is kept, not refused: {stderr}");
    assert!(stderr.contains("kept on this host"), "{stderr}");
    let out = klaxon(&["sync"]);
    assert!(!out.status.success(), "sync says something still waits");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 action(s) kept here"));

    pg.restart();
    let out = klaxon(&["sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = klaxon(&["sync"]);
    assert!(out.status.success());
    let acks = pg.psql(&format!("SELECT actor, text FROM entries WHERE alert_key = '{key}' AND kind = 'acked'"));
    assert_eq!(acks.trim(), "alice|taking it from the train", "stored once, as alice");
    let out = klaxon(&["timeline", &key, "--format", "json"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("taking it from the train"));
}

#[test]
fn the_outbox_lease_keeps_two_consoles_from_sending_one_action_and_a_failure_releases_what_waits() {
    let Some(pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (open(&pg, "postgres", &tmp.path().join("1.db")), open(&pg, "postgres", &tmp.path().join("2.db")));
    let labels = klaxon::model::Fields::from([("alertname", "Down")]);
    let ack = one.append_mirrored(&NewEntry::new(key(), EntryKind::Acked, "alice", ""), "prod", &labels).unwrap();
    let note = one.append_mirrored(&NewEntry::new(key(), EntryKind::Note, "alice", "db"), "prod", &labels).unwrap();
    let due = |store: &PgStore| {
        store
            .pending_mirrors(false, None)
            .unwrap()
            .into_iter()
            .filter(|p| p.due)
            .map(|p| p.op.op_id)
            .collect::<Vec<_>>()
    };
    // The first console to look takes both; the second sees nothing due meanwhile.
    assert_eq!(due(&one), [ack.op_id.clone(), note.op_id.clone()]);
    assert!(due(&two).is_empty(), "leased to the first console");
    let forced = two.pending_mirrors(true, None).unwrap();
    assert!(forced.iter().all(|p| !p.due), "not even `klaxon sync` takes a lease");
    let now = chrono::Utc::now();
    assert!(forced.iter().all(|p| p.next_at > now), "a klaxon from before the lease column reads next_at");
    // The ack fails and is retried in a moment; the note behind it comes due with it.
    let retry = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    one.mirror_failed(&ack.op_id, "HTTP 503", retry).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(due(&two), [ack.op_id, note.op_id], "not two minutes later");
}

/// A console cut off while taking an action holds its row until the server notices: the
/// others neither wait for it (their drain would stall past its timeout) nor send what queues
/// behind it for the same alert and source (out of order); another alert's action goes.
#[test]
fn a_row_another_console_holds_is_not_waited_for_and_holds_back_what_queues_behind_it() {
    let Some(pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store = open(&pg, "postgres", &tmp.path().join("1.db"));
    let labels = klaxon::model::Fields::from([("alertname", "Down")]);
    let mirrored = |key: AlertKey, kind, text: &str| {
        store.append_mirrored(&NewEntry::new(key, kind, "alice", text), "prod", &labels).unwrap().op_id
    };
    let ack = mirrored(key(), EntryKind::Acked, "");
    let unack = mirrored(key(), EntryKind::Unacked, "not mine after all");
    let other = mirrored(AlertKey::new("prod", "9c1d"), EntryKind::Acked, "");
    let mut holder = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    let mut held = holder.transaction().unwrap();
    held.execute("SELECT 1 FROM outbox WHERE op_id = $1 FOR UPDATE", &[&ack]).unwrap();
    let (tx, rx) = mpsc::channel();
    let asking = std::thread::spawn(move || {
        let pending = store.pending_mirrors(false, None).unwrap();
        tx.send(pending.iter().map(|p| (p.op.op_id.clone(), p.due)).collect::<Vec<_>>()).unwrap();
    });
    let taken = rx.recv_timeout(Duration::from_secs(10)).expect("not waiting for the held row");
    assert_eq!(taken, [(ack, false), (unack, false), (other, true)]);
    held.rollback().unwrap();
    asking.join().unwrap();
}

/// `klaxon doctor` counts what waits for its source without taking it: a console that
/// looks a moment later still finds it due (a lease would hold it back two minutes).
#[test]
fn doctor_counts_the_unsent_actions_and_leases_none() {
    let Some(pg) = Postgres::start() else { return };
    let sb = common::Sandbox::new();
    let store = open(&pg, "postgres", &sb.path("spool.db"));
    let labels = klaxon::model::Fields::from([("alertname", "Down")]);
    let ack = store.append_mirrored(&NewEntry::new(key(), EntryKind::Acked, "alice", ""), "prod", &labels).unwrap();
    let config = sb.write(
        "klaxon.toml",
        "[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n\
         [notify]\ndesktop = false\nterminal = \"off\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
    );
    let out = sb
        .klaxon()
        .env("KLAXON_DATABASE_URL", pg.url("postgres"))
        .arg("doctor")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("outbox   1 action(s) not yet sent"), "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let pending = store.pending_mirrors(false, None).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].op.op_id, ack.op_id);
    assert!(pending[0].due, "still due after doctor looked: {:?}", pending[0].next_at);
}

/// `klaxon watch` through a PostgreSQL outage: it keeps polling and printing, says the store
/// is failing, and once the database is back records the alert without printing it twice.
#[test]
fn watch_goes_on_while_the_store_is_away_and_catches_up() {
    use std::io::BufRead;
    let Some(mut pg) = Postgres::start() else { return };
    let Some(am) = common::servers::alertmanager(None) else { return };
    let sb = common::Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n[notify]\ndesktop = false\nterminal = \"off\"\n\n\
             [[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"{}\"\ninterval = \"1s\"\n",
            am.url
        ),
    );
    let alert = |name: &str| serde_json::json!([{"labels": {"alertname": name, "severity": "warning"}}]);
    common::servers::post_alerts(&am, &alert("Before"));
    let mut child = sb
        .klaxon_std()
        .env("KLAXON_DATABASE_URL", pg.url("postgres"))
        .args(["watch", "--format", "json", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = |r: Box<dyn std::io::Read + Send>| {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            std::io::BufReader::new(r).lines().map_while(Result::ok).for_each(|l| _ = tx.send(l))
        });
        rx
    };
    let out = lines(Box::new(child.stdout.take().unwrap()));
    let err = lines(Box::new(child.stderr.take().unwrap()));
    let wait = |rx: &std::sync::mpsc::Receiver<String>, what: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(l) = rx.recv_timeout(Duration::from_millis(200))
                && l.contains(what)
            {
                return l;
            }
        }
        panic!("waited for {what:?}")
    };
    wait(&out, "\"Before\"");
    pg.stop();
    common::servers::post_alerts(&am, &alert("During"));
    wait(&err, "the store is failing");
    let during = wait(&out, "\"During\"");
    assert!(during.contains("\"event\":\"new\""), "{during}");
    assert!(child.try_wait().unwrap().is_none(), "watch is still running");
    pg.restart();
    wait(&err, "the store answers again");
    // Recorded now, and not printed a second time.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut stored = String::new();
    while Instant::now() < deadline && stored.trim().is_empty() {
        stored = pg.psql("SELECT count(*) FROM alerts WHERE title LIKE 'During%' HAVING count(*) > 0");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(stored.trim(), "1", "the alert seen during the outage is recorded once it is back");
    std::thread::sleep(Duration::from_secs(2));
    let again: Vec<String> = out.try_iter().filter(|l| l.contains("\"During\"")).collect();
    assert!(again.is_empty(), "printed once: {again:?}");
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_people_escalating_while_postgres_is_down_page_now_and_get_one_level_each() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    let Some(mut pg) = Postgres::start() else { return };
    let hook = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&hook).await;
    let url = pg.url("postgres");
    let webhook = format!("{}/hooks/team", hook.uri());
    // Two hosts: each its own data dir (its own spool), one database.
    let hosts: Vec<Arc<(common::Sandbox, std::path::PathBuf)>> = ["alice", "bob"]
        .iter()
        .map(|who| {
            let sb = common::Sandbox::new();
            let config = sb.write(
                "klaxon.toml",
                &format!(
                    "[identity]\nname = \"{who}\"\n\n[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n\
                     [[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n[escalation]\nwebhook_url_env = \"KLAXON_TEST_WEBHOOK\"\n"
                ),
            );
            Arc::new((sb, config))
        })
        .collect();
    let run = |host: usize, args: Vec<String>| {
        let (h, url, webhook) = (hosts[host].clone(), url.clone(), webhook.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = h.0.klaxon();
            cmd.env("KLAXON_DATABASE_URL", &url).env("KLAXON_TEST_WEBHOOK", &webhook);
            cmd.arg("--config").arg(&h.1).args(&args).output().unwrap()
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let out = run(0, args(&["list", "--format", "json"])).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = common::steady_demo_key(&common::json(&out.stdout));

    pg.stop();
    for (host, note) in [(0, "from the train"), (1, "from the airport")] {
        let out = run(host, args(&["escalate", &key, "--note", note])).await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "escalating while the database is down is kept, not refused: {stderr}");
        assert!(stderr.contains("kept on this host"), "{stderr}");
    }
    let pages = hook.received_requests().await.unwrap();
    assert_eq!(pages.len(), 2, "both pages went out at once, through this host's queue");

    pg.restart();
    for host in [0, 1] {
        let out = run(host, args(&["sync"])).await.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let levels = pg.psql(&format!(
        "SELECT actor, level FROM entries WHERE alert_key = '{key}' AND kind = 'escalated' ORDER BY id"
    ));
    assert_eq!(levels.trim(), "alice|1\nbob|2", "one level step each, in the order they reached the database");
    assert_eq!(hook.received_requests().await.unwrap().len(), 2, "no page is sent twice once the database is back");
    let sent = pg.psql("SELECT count(*) FROM outbox WHERE state = 'done'");
    assert_eq!(sent.trim(), "2", "the outbox records the pages as sent");
}

/// The history view's query, the same in both stores: the alerts resolved at `since` or
/// later, the last resolution first; older ones are not read.
fn resolved_by_range(store: &dyn Store) {
    use chrono::Timelike;
    let t = chrono::Utc::now().with_nanosecond(0).unwrap() - chrono::Duration::minutes(1);
    let a = |id: &str| common::alerts::alert("prod", id, klaxon::model::Severity::High, 5, "Down", "api");
    let day = chrono::Duration::days(1);
    store.observe("prod", &[a("old"), a("mid"), a("new")], t - day * 10).unwrap();
    store.observe("prod", &[a("mid"), a("new")], t - day * 8).unwrap();
    store.observe("prod", &[a("new")], t - day * 2).unwrap();
    store.observe("prod", &[], t).unwrap();
    let ids = |since| store.resolved_since(since).unwrap().iter().map(|k| k.key.id().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(t - day * 30), ["new", "mid", "old"]);
    assert_eq!(ids(t - day * 7), ["new", "mid"], "a week back leaves out the one resolved 8 days ago");
    assert_eq!(ids(t - day * 2), ["new", "mid"], "resolved exactly at `since` is in");
    assert_eq!(ids(t - day), ["new"]);
}

#[test]
fn the_history_range_is_read_by_the_store_in_sqlite_and_postgres() {
    let tmp = tempfile::tempdir().unwrap();
    resolved_by_range(&klaxon::store::SqliteStore::open(&tmp.path().join("k.db")).unwrap());
    let Some(pg) = Postgres::start() else { return };
    resolved_by_range(&open(&pg, "postgres", &tmp.path().join("s.db")));
    // A range of an index, not a scan of every alert ever seen (the planner would scan a
    // table this small anyway: told not to, it shows whether an index serves the query).
    let plan = pg.psql(
        "SET enable_seqscan = off; EXPLAIN SELECT key FROM alerts WHERE resolved_at >= now() - interval '7 days' \
         ORDER BY resolved_at DESC, key",
    );
    assert!(plan.contains("alerts_resolved"), "{plan}");
}
