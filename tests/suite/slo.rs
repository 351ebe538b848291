//! SLOs against Debian's real Prometheus: two weeks of synthetic request counters with known
//! error ratios are backfilled (`promtool tsdb create-blocks-from openmetrics`), then
//! `klaxon slo --format json` is checked against figures worked out here from the same
//! counters.
//!
//! Prometheus's `increase(x[w])` is not the plain difference of two samples: it takes the
//! samples inside the range (here one a minute) and extrapolates their difference to the
//! range's edges. Both the bad-events and the all-events series have samples at the same
//! instants, so both are stretched by the same factor and *ratios* (SLI, burn rates, budget
//! fraction) are exactly the ratio of the sample differences: that is what the expected
//! figures below compute, with float tolerance only. The query time is klaxon's `now`,
//! somewhere between the test's before and after: for windows that straddle a change of
//! error rate the expectation is the range over every second in between. Absolute event
//! counts carry the stretch (at most one sample interval over the window: 60 s / 7 d) and
//! are checked to 0.1%.

use crate::common::servers::{free_port, prometheus_backfilled};
use crate::common::{Sandbox, json};
use chrono::{DateTime, Utc};

const MIN: i64 = 60;
const DAY: i64 = 86_400;
/// The SLOs' window.
const WINDOW: i64 = 7 * DAY;
/// Requests per minute, every service.
const RPM: i64 = 1000;

/// The bad events per minute, in tenths, of each service: healthy 0.05% (burn 0.5×),
/// exhausted 0.5% (5×), burning 0.01% until `fast` then 2% (20×).
struct Model {
    start: i64,
    end: i64,
    fast: i64,
}

impl Model {
    fn new(now: i64) -> Model {
        let now = now - now % MIN;
        // Samples run 10 minutes past now, so the windows ending at klaxon's "now" are full
        // however slowly the machine starts Prometheus.
        Model { start: now - 14 * DAY, end: now + 10 * MIN, fast: now - 110 * MIN }
    }

    fn samples(&self) -> impl Iterator<Item = i64> + '_ {
        (self.start..=self.end).step_by(MIN as usize)
    }

    fn total(&self, t: i64) -> f64 {
        ((t - self.start) / MIN * RPM) as f64
    }

    /// Bad events up to sample `t`, in tenths (whole numbers: the text is exact).
    fn errors_tenths(&self, svc: &str, t: i64) -> i64 {
        let m = (t - self.start) / MIN;
        match svc {
            "healthy" => 5 * m,
            "exhausted" => 50 * m,
            _ => m + 199 * ((t - self.fast).max(0) / MIN),
        }
    }

    fn errors(&self, svc: &str, t: i64) -> f64 {
        self.errors_tenths(svc, t) as f64 / 10.0
    }

    fn openmetrics(&self) -> String {
        let mut text = String::from("# HELP req Requests.\n# TYPE req counter\n");
        for svc in ["healthy", "burning", "exhausted"] {
            for t in self.samples() {
                text.push_str(&format!("req_total{{svc=\"{svc}\"}} {} {t}\n", self.total(t)));
            }
        }
        text.push_str("# HELP req_errors Failed requests.\n# TYPE req_errors counter\n");
        for svc in ["healthy", "burning", "exhausted"] {
            for t in self.samples() {
                let tenths = self.errors_tenths(svc, t);
                text.push_str(&format!("req_errors_total{{svc=\"{svc}\"}} {}.{} {t}\n", tenths / 10, tenths % 10));
            }
        }
        text.push_str("# EOF\n");
        text
    }

    /// The error ratio `increase` gives over `w` seconds at `at`: the samples inside
    /// [at − w, at], their differences divided (the stretch cancels).
    fn ratio(&self, svc: &str, w: i64, at: f64) -> f64 {
        let first = ((at - w as f64) / MIN as f64).ceil() as i64 * MIN;
        let last = (at / MIN as f64).floor() as i64 * MIN;
        (self.errors(svc, last) - self.errors(svc, first)) / (self.total(last) - self.total(first))
    }

    /// The ratio's range over every query time between `from` and `to`.
    fn ratio_range(&self, svc: &str, w: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> (f64, f64) {
        let (a, b) = (from.timestamp_millis() as f64 / 1000.0, to.timestamp_millis() as f64 / 1000.0);
        let mut at = a;
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        while at <= b + 1.0 {
            let r = self.ratio(svc, w, at.min(b));
            (lo, hi) = (lo.min(r), hi.max(r));
            at += 1.0;
        }
        (lo, hi)
    }
}

fn close(got: f64, (lo, hi): (f64, f64), what: &str) {
    assert!(got >= lo - 1e-9 && got <= hi + 1e-9, "{what}: {got} not in [{lo}, {hi}]");
}

fn num(v: &serde_json::Value, what: &str) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().with_timezone(&Utc)
}

fn slo(name: &str, svc: &str) -> String {
    format!(
        "[[slos]]\nname = \"{name}\"\nobjective = 99.9\nwindow = \"7d\"\n\
         errors = 'increase(req_errors_total{{svc=\"{svc}\"}}[{{{{window}}}}])'\n\
         total = 'increase(req_total{{svc=\"{svc}\"}}[{{{{window}}}}])'\n\n"
    )
}

#[test]
fn figures_from_a_real_prometheus_match_the_hand_computed_ones() {
    let model = Model::new(Utc::now().timestamp());
    let Some(prom) = prometheus_backfilled(&model.openmetrics()) else { return };
    let sandbox = Sandbox::new();
    let dead = free_port();
    let mut config = format!("[prometheus]\nurl = \"{}\"\n\n", prom.url);
    for svc in ["healthy", "burning", "exhausted"] {
        config.push_str(&slo(svc, svc));
    }
    // PromQL Prometheus refuses (a parenthesis left open), and a Prometheus that is not there:
    // each fails alone, with what went wrong.
    config.push_str(
        "[[slos]]\nname = \"typo\"\nobjective = 99\nwindow = \"1d\"\n\
         errors = 'increase(req_errors_total[{{window}}]'\ntotal = 'increase(req_total[{{window}}])'\n\n",
    );
    config.push_str(&format!(
        "[[slos]]\nname = \"elsewhere\"\nobjective = 99\nwindow = \"1d\"\nprometheus = \"http://127.0.0.1:{dead}\"\n\
         errors = 'increase(req_errors_total[{{{{window}}}}])'\ntotal = 'increase(req_total[{{{{window}}}}])'\n"
    ));
    let path = sandbox.write("klaxon.toml", &config);

    let before = Utc::now();
    let out = sandbox.klaxon().args(["--config", path.to_str().unwrap(), "slo", "--format", "json"]).output().unwrap();
    let after = Utc::now();
    assert_eq!(out.status.code(), Some(1), "two SLOs fail: {}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 SLO(s) could not be computed"), "{stderr}");
    let list = json(&out.stdout);
    let rows = list.as_array().expect("an array");
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["burning", "elsewhere", "typo", "exhausted", "healthy"], "worst first");
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
    let windows = [("5m", 300), ("30m", 1800), ("1h", 3600), ("6h", 6 * 3600), ("1d", DAY), ("3d", 3 * DAY)];

    for svc in ["healthy", "burning", "exhausted"] {
        let r = row(svc);
        assert_eq!((r["objective"].as_f64(), r["window"].as_str()), (Some(0.999), Some("7d")), "{r}");
        assert!(r["error"].is_null(), "{r}");
        let (lo, hi) = model.ratio_range(svc, WINDOW, before, after);
        close(num(&r["sli"], "sli"), (1.0 - hi, 1.0 - lo), &format!("{svc} sli"));
        // The budget: 0.1% of the window's requests; fraction left = 1 − ratio / 0.001, at least 0.
        let left = |r: f64| (1.0 - r / 0.001).max(0.0);
        close(num(&r["budget_remaining"], "budget"), (left(hi), left(lo)), &format!("{svc} budget"));
        for (w, secs) in windows {
            let (lo, hi) = model.ratio_range(svc, secs, before, after);
            close(num(&r["burn_rates"][w], w), (lo / 0.001, hi / 0.001), &format!("{svc} burn {w}"));
        }
        // Absolute: 0.1% of 7 days at 1000/min allowed, minus what failed (stretch ≤ 0.1%).
        let allowed = 0.001 * (WINDOW / MIN * RPM) as f64;
        let events = num(&r["budget_remaining_events"], "events");
        let expected = allowed * (1.0 - lo / 0.001);
        assert!(
            (events - expected).abs() <= 0.001 * allowed + (hi - lo) / 0.001 * allowed,
            "{svc}: {events} vs {expected}"
        );
    }

    // Healthy: half the budget left, burning at 0.5×: seven more days at that rate.
    let healthy = row("healthy");
    assert_eq!(healthy["verdict"], "ok");
    close(num(&healthy["budget_remaining"], "budget"), (0.5, 0.5), "healthy budget");
    let at = time(&healthy["exhausted_at"]);
    let week = chrono::Duration::days(7);
    assert!(at >= before + week - chrono::Duration::seconds(1) && at <= after + week + chrono::Duration::seconds(1));

    // Burning: 20× over 5m and 1h (page), the budget gone in fraction × 7d / 20 from now.
    let burning = row("burning");
    assert_eq!(burning["verdict"], "page", "{burning}");
    assert!((num(&burning["burn_rates"]["1h"], "1h") - 20.0).abs() < 1e-6);
    let f = num(&burning["budget_remaining"], "budget");
    let eta = chrono::Duration::milliseconds((f * WINDOW as f64 / 20.0 * 1000.0) as i64);
    let at = time(&burning["exhausted_at"]);
    assert!(
        at >= before + eta - chrono::Duration::seconds(2) && at <= after + eta + chrono::Duration::seconds(2),
        "{at}"
    );

    // Exhausted: 5× over every window (a ticket, not a page: under 6× and 14.4×), spent a
    // fifth of the way into the window. The history is counted in steps of 7d/1000 (605 s),
    // so the moment it hit zero is known to a step or two.
    let exhausted = row("exhausted");
    assert_eq!((exhausted["verdict"].as_str(), exhausted["budget_remaining"].as_f64()), (Some("ticket"), Some(0.0)));
    let spent = time(&exhausted["exhausted_at"]);
    let expected = before - chrono::Duration::seconds(WINDOW) + chrono::Duration::seconds(WINDOW / 5);
    assert!((spent - expected).num_seconds().abs() <= 2 * 605, "{spent} vs {expected}");
    assert!(num(&exhausted["budget_remaining_events"], "events") < -40_000.0, "overspent shows negative");

    // The refused query carries Prometheus's own words; nothing of it is made up.
    let typo = row("typo");
    let error = typo["error"].as_str().unwrap();
    assert!(error.starts_with("Prometheus: bad_data: ") && error.contains("parse error"), "{error}");
    assert!(typo["sli"].is_null() && typo["budget_remaining"].is_null() && typo["verdict"] == "unknown");
    assert!(typo["burn_rates"]["5m"].is_null() && typo["exhausted_at"].is_null());
    let elsewhere = row("elsewhere");
    assert!(elsewhere["error"].as_str().unwrap().starts_with("cannot connect"), "{elsewhere}");

    // One SLO by name, as a table.
    let out = sandbox.klaxon().args(["--config", path.to_str().unwrap(), "slo", "healthy"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("SLO") && lines[0].contains("BUDGET LEFT") && lines[0].contains("VERDICT"), "{table}");
    assert!(lines[1].starts_with("healthy") && lines[1].contains("50.0%") && lines[1].contains("0.50x"), "{table}");
    assert!(lines[1].contains("OK"), "{table}");
}
