//! Ingesting and ranking 100,000 alerts: what a storm costs before anything is drawn.
//! `cargo bench --bench ingest_rank`; figures in README "Performance".

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use klaxon::model::{Alert, AlertKey, Board, Ownership, Severity, Status};
use klaxon::store::{SqliteStore, Store};

const N: usize = 100_000;
const SOURCES: usize = 4;

fn alerts(source: usize, n: usize) -> Vec<Alert> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
    let mut rng = fastrand::Rng::with_seed(source as u64);
    (0..n)
        .map(|i| {
            let at = t0 + Duration::seconds(rng.i64(0..86_400));
            Alert {
                key: AlertKey::new(&format!("src{source}"), &format!("{:016x}", rng.u64(..))),
                title: format!("HighErrorRate: 5xx ratio above 5% on api-{i} for 5m"),
                severity: Severity::ALL[rng.usize(0..5)],
                status: Status::Firing,
                started_at: at,
                updated_at: at,
                labels: [
                    ("alertname".to_string(), "HighErrorRate".to_string()),
                    ("instance".to_string(), format!("api-{i}:9100")),
                    ("severity".to_string(), "critical".to_string()),
                ]
                .into(),
                annotations: [("summary".to_string(), "5xx ratio above 5%".to_string())].into(),
                host: Some(format!("api-{i}")),
                service: Some("api".into()),
                links: vec![],
                source_acks: vec![],
                suppression: None,
                guessed: Default::default(),
            }
        })
        .collect()
}

fn storm() -> Vec<Vec<Alert>> {
    (0..SOURCES).map(|s| alerts(s, N / SOURCES)).collect()
}

fn owners(snaps: &[Vec<Alert>]) -> Vec<(AlertKey, Ownership)> {
    snaps
        .iter()
        .flatten()
        .step_by(20)
        .map(|a| (a.key.clone(), Ownership { owner: Some("alice".into()), ..Default::default() }))
        .collect()
}

fn bench(c: &mut Criterion) {
    let snaps = storm();
    let own = owners(&snaps);
    let mut g = c.benchmark_group("100k alerts");
    g.sample_size(20);

    g.bench_function("sanitize every text field", |b| {
        b.iter_batched(
            || snaps[0].clone(),
            |v| v.into_iter().map(Alert::sanitized).collect::<Vec<_>>(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("ingest from 4 sources and rank", |b| {
        b.iter_batched(
            || (snaps.clone(), own.clone()),
            |(snaps, own)| {
                let mut board = Board::default();
                for (i, s) in snaps.into_iter().enumerate() {
                    board.apply_snapshot(&format!("src{i}"), s);
                }
                board.set_ownership(own);
                board // dropped by criterion outside the timing
            },
            BatchSize::LargeInput,
        )
    });
    let mut full = Board::default();
    for (i, s) in snaps.iter().enumerate() {
        full.apply_snapshot(&format!("src{i}"), s.clone());
    }
    full.set_ownership(own.clone());
    g.bench_function("re-rank after one source's 25k snapshot", |b| {
        b.iter_batched(
            || (full.clone(), snaps[1].clone()),
            |(mut board, s)| {
                board.apply_snapshot("src1", s);
                board
            },
            BatchSize::LargeInput,
        )
    });
    g.sample_size(10);
    g.bench_function("store: observe 100k new alerts (SQLite, one transaction)", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(&dir.path().join("b.db")).unwrap();
                (dir, store)
            },
            |(dir, store)| {
                for (i, s) in snaps.iter().enumerate() {
                    store.observe(&format!("src{i}"), s, Utc::now()).unwrap();
                }
                (store, dir) // closed and removed outside the timing
            },
            BatchSize::PerIteration,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let steady = SqliteStore::open(&dir.path().join("b.db")).unwrap();
    for (i, s) in snaps.iter().enumerate() {
        steady.observe(&format!("src{i}"), s, Utc::now()).unwrap();
    }
    g.bench_function("store: observe an unchanged 25k snapshot (every poll)", |b| {
        b.iter(|| steady.observe("src1", &snaps[1], Utc::now()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
