//! Drawing with 100,000 alerts at 200×60, and what reaches the terminal.
//! `cargo bench --bench render`; figures in README "Performance".
//!
//! Also prints the bytes a real crossterm backend writes: for the first frame, when
//! nothing changed (an idle tick: the runtime does not draw at all), when a frame is
//! forced anyway, and when one row changed.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use klaxon::app::Keymap;
use klaxon::app::{self, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{Alert, AlertKey, Severity, Status};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::Write;
use std::sync::{Arc, Mutex};

const N: usize = 100_000;
const W: u16 = 200;
const H: u16 = 60;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap()
}

fn alert(source: usize, i: usize, rng: &mut fastrand::Rng) -> Alert {
    let at = t0() - Duration::seconds(rng.i64(0..86_400));
    Alert {
        key: AlertKey::new(&format!("src{source}"), &format!("{i:08x}")),
        title: format!("HighErrorRate: 5xx ratio above 5% on api-{i} for 5m"),
        severity: Severity::ALL[rng.usize(0..5)],
        status: Status::Firing,
        started_at: at,
        updated_at: at,
        labels: [("alertname".to_string(), "HighErrorRate".to_string())].into(),
        annotations: [("summary".to_string(), "5xx ratio above 5%".to_string())].into(),
        host: Some(format!("api-{i}")),
        service: Some("api".into()),
        links: vec![],
        source_acks: vec![],
        suppression: None,
        guessed: Default::default(),
    }
}

fn snapshots() -> Vec<(String, Vec<Alert>)> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..4).map(|s| (format!("src{s}"), (0..N / 4).map(|i| alert(s, s * N + i, &mut rng)).collect())).collect()
}

fn state(snaps: &[(String, Vec<Alert>)]) -> State {
    let mut s = State::new("alice", Keymap::builtin_default(), t0(), 17);
    app::update(&mut s, Msg::Resize { width: W, height: H });
    for (source, alerts) in snaps {
        app::update(&mut s, Msg::Snapshot { source: source.clone(), alerts: alerts.clone(), fresh: true });
    }
    s
}

/// A writer that counts what the terminal would receive.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bytes_report(snaps: &[(String, Vec<Alert>)]) {
    let theme = Theme::default();
    let mut s = state(snaps);
    let counter = Counter::default();
    let opts = TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, W, H)) };
    let mut term = Terminal::with_options(CrosstermBackend::new(counter.clone()), opts).unwrap();
    let take = || std::mem::take(&mut *counter.0.lock().unwrap());
    term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
    s.dirty = false;
    let first = take();
    // An idle second: the runtime draws only when the update marked the state dirty.
    app::update(&mut s, Msg::Tick(t0() + Duration::seconds(1)));
    if s.dirty {
        term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
    }
    let idle = take();
    term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
    let forced = take();
    // One visible row (not the selected one) gets a new title; its rank is unchanged.
    let row_item = match &s.list.rows[3] {
        klaxon::app::state::Row::Alert(i) => (*s.list.board.ranked()[*i].alert).clone(),
        _ => unreachable!(),
    };
    let source = row_item.source().to_owned();
    let mut alerts = snaps.iter().find(|(n, _)| *n == source).unwrap().1.clone();
    let changed = alerts.iter_mut().find(|a| a.key == row_item.key).unwrap();
    changed.title.push_str(" (still)");
    app::update(&mut s, Msg::Snapshot { source, alerts, fresh: true });
    term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
    let one_row = take();
    eprintln!(
        "bytes written at {W}x{H} with {N} alerts: first frame {first}, idle tick {idle}, forced redraw of an unchanged frame {forced}, one row changed {one_row}"
    );
}

fn bench(c: &mut Criterion) {
    let snaps = snapshots();
    bytes_report(&snaps);
    let theme = Theme::default();
    let s = state(&snaps);
    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    c.bench_function("draw one frame, 100k alerts, 200x60", |b| {
        b.iter(|| {
            term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
        })
    });
    let mut s = state(&snaps);
    c.bench_function("move the cursor and draw, 100k alerts, 200x60", |b| {
        b.iter(|| {
            app::update(&mut s, Msg::Key("j".parse().unwrap()));
            term.draw(|f| klaxon::ui::view(&s, &theme, f)).unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
