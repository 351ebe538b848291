//! The SLO view and an alert's SLO in its detail pane, drawn with ratatui's TestBackend from
//! figures computed by `slo::prometheus::compute` (the same pure step a round ends with) from
//! known counts: a paging SLO, one spent, a healthy one, and one whose Prometheus refused
//! the query.

use crate::common::alerts::{alert, key, state_with, t0};
use chrono::{DateTime, Duration, Utc};
use klaxon::app::state::Mode;
use klaxon::app::{self, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{Health, Severity};
use klaxon::slo::burn::Counts;
use klaxon::slo::prometheus::compute;
use klaxon::slo::track::Update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONFIG: &str = r#"
[prometheus]
url = "http://prom:9090"

[[slos]]
name = "checkout-availability"
objective = 99.9
window = "28d"
description = "Checkout requests that do not fail."
errors = 'increase(http_requests_total{job="checkout",code=~"5.."}[{{window}}])'
total = 'increase(http_requests_total{job="checkout"}[{{window}}])'
labels = { alertname = "CheckoutErrors" }

[[slos]]
name = "search-latency"
objective = 99
window = "7d"
good = 'increase(search_duration_seconds_bucket{le="0.5"}[{{window}}])'
total = 'increase(search_duration_seconds_count[{{window}}])'

[[slos]]
name = "payments-api"
objective = 99.5
window = "28d"
errors = 'increase(payments_errors_total[{{window}}])'
total = 'increase(payments_total[{{window}}])'

[[slos]]
name = "typo"
objective = 99
window = "1d"
errors = 'increase(x[{{window}}]'
total = 'increase(y[{{window}}])'
"#;

fn slos() -> Vec<klaxon::slo::Slo> {
    let cfg = klaxon::settings::parse(CONFIG, "klaxon.toml").unwrap();
    cfg.slos.iter().map(|s| s.resolve(cfg.prometheus.as_ref(), "klaxon.toml").unwrap()).collect()
}

/// The window then the six burn windows at one error ratio each, the history a straight
/// burn from `start` to `end` of the budget over 100 steps.
fn figures(slo: &klaxon::slo::Slo, now: DateTime<Utc>, ratios: [f64; 7], start: f64, end: f64) -> Update {
    let per: Vec<Option<Counts>> = ratios.iter().map(|r| Some(Counts { errors: r * 1e6, total: 1e6 })).collect();
    let allowed = 1.0 - slo.objective;
    let step = Duration::seconds(slo.window.as_secs() as i64 / 100);
    // Errors per step so the burn-down goes from `start` to `end`.
    let (counted, total): (Vec<_>, Vec<_>) = (1..=100)
        .map(|i| {
            let t = now - step * (100 - i);
            let spent = if i == 1 { 1.0 - start } else { (start - end) / 99.0 };
            let errors = spent * allowed * 1e6;
            // A good-events SLO's query counts the good ones.
            let counted = if matches!(slo.events, klaxon::slo::Events::Good(_)) { 1e4 - errors } else { errors };
            ((t, counted), (t, 1e4))
        })
        .unzip();
    let f = compute(slo, now, &per, &counted, &total);
    Update { name: slo.name.clone(), figures: Some(Box::new(f)), health: Health::Ok { at: now } }
}

fn console(w: u16, h: u16) -> State {
    let now = t0();
    let alerts = vec![
        alert("am", "c1", Severity::Disaster, 20, "CheckoutErrors", "checkout"),
        alert("am", "d1", Severity::Average, 90, "DiskFilling", "db"),
    ];
    let mut s = state_with(w, h, vec![("am".into(), alerts)]);
    app::update(&mut s, Msg::Tick(now));
    let defs = slos();
    app::update(&mut s, Msg::Slos(Ok(defs.clone())));
    // Checkout: 2% failing now (20×), 30% of the budget gone over the window.
    app::update(&mut s, Msg::Slo(figures(&defs[0], now, [0.0003, 0.02, 0.02, 0.02, 0.007, 0.002, 0.001], 1.0, 0.7)));
    // Search: calm, 0.5× everywhere.
    app::update(&mut s, Msg::Slo(figures(&defs[1], now, [0.005; 7], 1.0, 0.5)));
    // Payments: spent (1% against 0.5% allowed), 2× everywhere.
    app::update(&mut s, Msg::Slo(figures(&defs[2], now, [0.01; 7], 1.0, -1.0)));
    // Typo: Prometheus refused the query; nothing was ever computed.
    let error = "Prometheus: bad_data: invalid parameter \"query\": 1:24: parse error: unclosed left parenthesis";
    let failing =
        Health::Failing { since: now - Duration::minutes(3), error: error.into(), attempts: 2, data_from: None };
    app::update(&mut s, Msg::Slo(Update { name: "typo".into(), figures: None, health: failing }));
    s
}

fn drawn(s: &State) -> String {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| klaxon::ui::view(s, &Theme::default(), f)).unwrap();
    crate::common::assert_clean_cells(t.backend().buffer());
    t.backend().to_string()
}

#[test]
fn slo_view_worst_first_at_120x40_and_80x24() {
    for (w, h) in [(120, 40), (80, 24)] {
        let mut s = console(w, h);
        app::update(&mut s, key("O"));
        assert_eq!(s.mode, Mode::Slos);
        let names: Vec<&str> = s.slos.list.iter().map(|x| x.slo.name.as_str()).collect();
        assert_eq!(names, ["checkout-availability", "typo", "payments-api", "search-latency"], "worst first");
        let screen = drawn(&s);
        assert!(screen.contains("▶ checkout-availability  PAGE"), "{screen}");
        assert!(screen.contains("███████░░░ 70.0%"), "the bar and the figure: {screen}");
        assert!(screen.contains("FAILED"), "{screen}");
        let said = if w == 120 { "1:24: parse error" } else { "Prometheus: bad_data" };
        assert!(screen.contains(said), "the refusal, in Prometheus's words: {screen}");
        insta::assert_snapshot!(format!("slo_view_{w}x{h}"), screen);
    }
}

#[test]
fn moving_the_cursor_shows_each_slo_in_full() {
    let mut s = console(120, 40);
    app::update(&mut s, key("O"));
    app::update(&mut s, key("j"));
    let screen = drawn(&s);
    assert!(screen.contains("▶ typo"), "{screen}");
    assert!(screen.contains("failing 3m00s ago: Prometheus: bad_data"), "{screen}");
    app::update(&mut s, key("j"));
    let screen = drawn(&s);
    assert!(screen.contains("verdict TICKET") && screen.contains("budget spent"), "{screen}");
    app::update(&mut s, key("q"));
    assert_eq!(s.mode, Mode::Normal, "other keys close");
}

#[test]
fn an_alert_shows_its_slo_and_o_opens_it() {
    let mut s = console(120, 40);
    // The checkout alert is first (Disaster): its labels name the SLO (alertname).
    let screen = drawn(&s);
    assert!(screen.contains("SLO checkout-availability  PAGE  o opens it"), "{screen}");
    assert!(screen.contains("99.9% over 28d · budget ███████░░░ 70.0% left"), "{screen}");
    assert!(screen.contains("burn 5m 20.0x 1h 20.0x 6h 7.0x · runs out in 23h31m"), "{screen}");
    insta::assert_snapshot!("slo_alert_detail_120x40", screen);
    app::update(&mut s, key("o"));
    assert_eq!((s.mode.clone(), s.slos.selected.as_deref()), (Mode::Slos, Some("checkout-availability")));
    // The disk alert is about no SLO: o says so and stays.
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("j"));
    assert!(!drawn(&s).contains("SLO checkout"), "no SLO beside an alert it is not about");
    app::update(&mut s, key("o"));
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.flash.as_ref().map(|f| f.text.as_str()), Some("this alert's labels match no SLO"));
}

#[test]
fn a_failed_round_keeps_the_figures_and_marks_them_stale() {
    let mut s = console(120, 40);
    let failing = Health::Failing {
        since: t0() - Duration::minutes(1),
        error: "cannot connect: connection refused".into(),
        attempts: 1,
        data_from: Some(t0() - Duration::minutes(2)),
    };
    app::update(&mut s, Msg::Slo(Update { name: "search-latency".into(), figures: None, health: failing }));
    app::update(&mut s, key("O"));
    let at = s.slos.list.iter().position(|x| x.slo.name == "search-latency").unwrap();
    for _ in 0..at {
        app::update(&mut s, key("j"));
    }
    let screen = drawn(&s);
    assert!(screen.contains("OK?"), "the verdict is marked as not current: {screen}");
    assert!(screen.contains("50.0%"), "the last figures stay: {screen}");
    assert!(screen.contains("failing 1m00s ago: cannot connect: connection refused (figures above are from before)"));
}
