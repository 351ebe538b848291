//! The team backend under load, against a real PostgreSQL (fsync on) started here:
//! entries written per second (one writer, four at once; SQLite with synchronous=FULL
//! beside it), and NOTIFY-to-screen latency: from one console's append returning to the
//! other console's frame showing the entry (woken by NOTIFY, read after its cursor,
//! folded into its state, drawn).
//!
//! cargo bench --bench pg_sync

#[path = "../tests/suite/common/mod.rs"]
mod common;

use klaxon::app::{self, Msg};
use klaxon::model::{AlertKey, EntryKind, NewEntry};
use klaxon::store::{Follower, PgStore, SqliteStore, Store};
use ratatui::{Terminal, backend::TestBackend};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

fn note(i: usize) -> NewEntry {
    NewEntry::new(AlertKey::new("prod", &format!("a{}", i % 50)), EntryKind::Note, "bench", &format!("note {i}"))
}

fn rate(n: usize, took: Duration) -> String {
    format!("{:.0} entries/s ({n} in {took:.2?})", n as f64 / took.as_secs_f64())
}

fn main() {
    let Some(pg) = common::postgres::Postgres::start_with(&["fsync=on", "synchronous_commit=on"]) else {
        eprintln!("no PostgreSQL here (Debian package postgresql)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let open = |name: &str| PgStore::open(&url, None, &tmp.path().join(format!("{name}.db"))).unwrap();

    // Writes: one person's actions, one transaction (one commit) each.
    let writer = open("w");
    writer.last_entry_id().unwrap();
    let n = 2000;
    let started = Instant::now();
    for i in 0..n {
        writer.append(&note(i)).unwrap();
    }
    println!("postgres, 1 writer:  {}", rate(n, started.elapsed()));

    let started = Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|w| {
            let store = open(&format!("w{w}"));
            std::thread::spawn(move || {
                for i in 0..1000 {
                    store.append(&note(i)).unwrap();
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    println!("postgres, 4 writers: {}", rate(4000, started.elapsed()));

    let sqlite = SqliteStore::open(&tmp.path().join("k.db")).unwrap();
    let started = Instant::now();
    for i in 0..n {
        sqlite.append(&note(i)).unwrap();
    }
    println!("sqlite,   1 writer:  {}", rate(n, started.elapsed()));

    // A storm: one source's snapshot of 100,000 new alerts, one transaction, array inserts.
    let storm: Vec<_> = (0..100_000)
        .map(|i| common::alerts::alert("storm", &format!("s{i}"), klaxon::model::Severity::High, 1, "Down", "api"))
        .collect();
    let started = Instant::now();
    let seen = writer.observe("storm", &storm, chrono::Utc::now()).unwrap().len();
    println!("postgres, observe {seen} new alerts: {:.2?}", started.elapsed());
    let started = Instant::now();
    writer.observe("storm", &storm, chrono::Utc::now()).unwrap();
    println!("postgres, observe the same snapshot again: {:.2?}", started.elapsed());

    // NOTIFY to screen.
    let reader = Arc::new(open("r"));
    let mut follower = Follower::start(reader.as_ref()).unwrap();
    let (wake_tx, woken) = mpsc::channel();
    reader.subscribe(Box::new(move || wake_tx.send(()).is_ok()));
    woken.recv_timeout(Duration::from_secs(10)).expect("listening");
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let samples = 500;
    let producer = {
        let (sent, store) = (sent.clone(), open("p"));
        std::thread::spawn(move || {
            for i in 0..samples {
                let e = note(i);
                let op = e.op_id.clone();
                store.append(&e).unwrap();
                sent.lock().unwrap().insert(op, Instant::now());
                std::thread::sleep(Duration::from_millis(8));
            }
        })
    };
    let mut state = common::alerts::state_with(120, 40, common::alerts::sample());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let theme = klaxon::config::theme::Theme::default();
    let mut latencies = Vec::with_capacity(samples);
    let deadline = Instant::now() + Duration::from_secs(120);
    while latencies.len() < samples && Instant::now() < deadline {
        if woken.recv_timeout(Duration::from_secs(5)).is_err() {
            continue;
        }
        let entries = follower.catch_up(reader.as_ref()).unwrap();
        let ops: Vec<String> = entries.iter().map(|e| e.op_id.clone()).collect();
        app::update(&mut state, Msg::Entries(entries));
        terminal.draw(|f| klaxon::ui::view(&state, &theme, f)).unwrap();
        let drawn = Instant::now();
        let sent = sent.lock().unwrap();
        for op in ops {
            // The producer records the time just after append returns; an entry seen
            // before that (the NOTIFY won the race) counts as zero.
            latencies.push(sent.get(&op).map_or(Duration::ZERO, |t| drawn.saturating_duration_since(*t)));
        }
    }
    producer.join().unwrap();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "NOTIFY to screen over {} entries: median {:.2?}, p99 {:.2?}, max {:.2?}",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies.last().unwrap()
    );
}
