//! SLOs on klaxon's side of the wire: reading a large Sloth spec file, the figures of one
//! round from its counts and a 1,000-point history (Prometheus does the sums), and drawing
//! the SLO view with 200 SLOs. `cargo bench --bench slo`; figures in README "Performance".

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use klaxon::slo::burn::Counts;
use klaxon::slo::prometheus::compute;
use std::path::Path;

fn sloth_file(n: usize) -> String {
    let mut text = String::from("version: \"prometheus/v1\"\nservice: \"shop\"\nslos:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: \"endpoint-{i}\"\n    objective: 99.9\n    description: \"Requests to endpoint {i}.\"\n    sli:\n      events:\n        error_query: sum(rate(http_requests_total{{handler=\"/e{i}\",code=~\"5..\"}}[{{{{.window}}}}]))\n        total_query: sum(rate(http_requests_total{{handler=\"/e{i}\"}}[{{{{.window}}}}]))\n    alerting:\n      name: E{i}\n"
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let cfg = klaxon::settings::parse("[prometheus]\nurl = \"http://p:9090\"\n", "k.toml").unwrap();
    let prom = cfg.prometheus.unwrap();
    let text = sloth_file(1000);
    c.bench_function("read a Sloth file of 1,000 SLOs", |b| {
        b.iter(|| klaxon::slo::files::read(&text, Path::new("slos.yaml"), &prom).unwrap())
    });

    let slos = klaxon::slo::files::read(&text, Path::new("slos.yaml"), &prom).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
    let per: Vec<Option<Counts>> = (0..7).map(|i| Some(Counts { errors: 10.0 * i as f64, total: 1e5 })).collect();
    let points: Vec<_> = (0..1000).map(|i| (now - Duration::seconds(2420 * (1000 - i)), (i % 7) as f64)).collect();
    let totals: Vec<_> = points.iter().map(|(t, _)| (*t, 1000.0)).collect();
    c.bench_function("one SLO's figures from its counts and a 1,000-point history", |b| {
        b.iter(|| compute(&slos[0], now, &per, &points, &totals))
    });

    let mut state = klaxon::app::State::new("bench", klaxon::app::Keymap::builtin_default(), now, 1);
    state.size = (200, 60);
    let defs: Vec<_> = slos.iter().take(200).cloned().collect();
    klaxon::app::update(&mut state, klaxon::app::Msg::Slos(Ok(defs.clone())));
    for s in &defs {
        let f = compute(s, now, &per, &points, &totals);
        let health = klaxon::model::Health::Ok { at: now };
        let update = klaxon::slo::track::Update { name: s.name.clone(), figures: Some(Box::new(f)), health };
        klaxon::app::update(&mut state, klaxon::app::Msg::Slo(update));
    }
    klaxon::app::update(&mut state, klaxon::app::Msg::Key("O".parse().unwrap()));
    let theme = klaxon::config::theme::Theme::default();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 60)).unwrap();
    c.bench_function("draw the SLO view with 200 SLOs at 200x60", |b| {
        b.iter(|| term.draw(|f| klaxon::ui::view(&state, &theme, f)).map(|_| ()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
