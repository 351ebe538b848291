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

// ---- Spec files: shaped like the examples each project publishes (Sloth's
// examples/getting-started.yml, Pyrra's examples/kubernetes/manifests/slos/*.yaml, OpenSLO's
// README and Sloth's examples/openslo-getting-started.yml), written here for the test.

use klaxon::slo::files;
use klaxon::slo::{Events, PrometheusConfig, Slo};
use std::path::Path;

fn prom() -> PrometheusConfig {
    let cfg: klaxon::settings::Config =
        klaxon::settings::parse("[prometheus]\nurl = \"http://prom:9090\"\n", "k.toml").unwrap();
    cfg.prometheus.unwrap()
}

fn read(text: &str) -> Vec<Slo> {
    files::read(text, Path::new("slos/x.yaml"), &prom()).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(text: &str) -> klaxon::config::ConfigError {
    files::read(text, Path::new("slos/x.yaml"), &prom()).expect_err("should be refused")
}

fn labels(pairs: &[(&str, &str)]) -> klaxon::model::Fields {
    pairs.iter().copied().collect()
}

const SLOTH: &str = r#"version: "prometheus/v1"
service: "checkout"
labels:
  owner: "payments"
slos:
  # 1 failing request in 1000.
  - name: "requests-availability"
    objective: 99.9
    description: "HTTP availability."
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutHighErrorRate
      page_alert:
        labels:
          severity: page
  - name: "queue-ok"
    objective: 95
    sli:
      events:
        error_query: sum(increase(jobs_failed_total[{{.window}}]))
        total_query: sum(increase(jobs_total[{{.window}}]))
"#;

#[test]
fn a_sloth_file_reads_as_its_slos() {
    let slos = read(SLOTH);
    assert_eq!(slos.len(), 2);
    let s = &slos[0];
    assert_eq!(
        (s.name.as_str(), s.objective, s.window.as_secs()),
        ("checkout-requests-availability", 0.999, 30 * 86_400)
    );
    let Events::Errors(q) = &s.events else { panic!("error_query counts bad events") };
    assert_eq!(klaxon::slo::fill(q, "5m"), "sum(rate(http_requests_total{job=\"checkout\",code=~\"(5..|429)\"}[5m]))");
    assert_eq!(s.description.as_deref(), Some("HTTP availability."));
    assert_eq!(s.not_used, ["slos[0].alerting", "labels"], "what klaxon leaves to Sloth is named");
    // Sloth's alerts carry sloth_service + sloth_slo (and sloth_id).
    assert!(s.matches(&labels(&[("sloth_service", "checkout"), ("sloth_slo", "requests-availability")])));
    assert!(s.matches(&labels(&[("sloth_id", "checkout-requests-availability"), ("severity", "page")])));
    assert!(!s.matches(&labels(&[("sloth_service", "checkout"), ("sloth_slo", "queue-ok")])));
    assert_eq!((slos[1].name.as_str(), slos[1].objective), ("checkout-queue-ok", 0.95));
}

#[test]
fn a_pyrra_file_of_several_documents_reads_each_indicator() {
    let text = r#"apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: dns-errors
  namespace: monitoring
  labels:
    prometheus: k8s
spec:
  description: ""
  indicator:
    ratio:
      errors:
        metric: coredns_dns_responses_total{job="kube-dns",rcode="SERVFAIL"}
      total:
        metric: coredns_dns_responses_total{job="kube-dns"}
      grouping: [cluster]
  target: "99.99"
  window: 2w
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-read-latency
spec:
  indicator:
    latency:
      success:
        metric: apiserver_request_duration_seconds_bucket{verb=~"LIST|GET",le="1"}
      total:
        metric: apiserver_request_duration_seconds_count{verb=~"LIST|GET"}
  target: '99'
  window: 7d
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-an-slo
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: probe-up
spec:
  indicator:
    bool_gauge:
      metric: probe_success{job="blackbox"}
  target: 99.5
  window: 28d
"#;
    let slos = read(text);
    let names: Vec<&str> = slos.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["dns-errors", "api-read-latency", "probe-up"], "the ConfigMap is skipped");
    let dns = &slos[0];
    assert_eq!((dns.objective, dns.window.as_secs()), (0.9999, 14 * 86_400));
    assert_eq!(
        dns.events,
        Events::Errors("increase(coredns_dns_responses_total{job=\"kube-dns\",rcode=\"SERVFAIL\"}[{{window}}])".into())
    );
    assert_eq!(dns.not_used, ["spec.indicator.ratio.grouping"]);
    assert!(dns.matches(&labels(&[("slo", "dns-errors"), ("severity", "critical")])), "Pyrra's alerts say slo=<name>");
    assert!(
        matches!(&slos[1].events, Events::Good(q) if q.starts_with("increase(apiserver_request_duration_seconds_bucket"))
    );
    assert_eq!(slos[1].objective, 0.99);
    assert_eq!(slos[2].events, Events::Good("sum_over_time(probe_success{job=\"blackbox\"}[{{window}}])".into()));
    assert_eq!(slos[2].total, "count_over_time(probe_success{job=\"blackbox\"}[{{window}}])");
}

#[test]
fn openslo_documents_v1_and_v1alpha() {
    let v1 = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
  displayName: Web availability
spec:
  service: web-shop
  description: Requests that do not fail.
  indicator:
    metadata:
      name: web-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{service="web",code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{service="web"}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.995
  alertPolicies:
    - kind: AlertPolicy
"#;
    let s = &read(v1)[0];
    assert_eq!((s.name.as_str(), s.objective, s.window.as_secs()), ("web-availability", 0.995, 28 * 86_400));
    assert_eq!(
        s.events,
        Events::Errors("increase(http_requests_total{service=\"web\",code=~\"5..\"}[{{window}}])".into())
    );
    assert_eq!(s.not_used, ["spec.alertPolicies"]);
    let v1alpha = r#"apiVersion: openslo/v1alpha
kind: SLO
metadata:
  name: my-service-availability
spec:
  service: my-service
  budgetingMethod: Occurrences
  objectives:
    - ratioMetrics:
        good:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total{job="my",code!~"5.."}[{{.window}}]))
        total:
          source: prometheus
          queryType: promql
          query: sum(rate(http_requests_total{job="my"}[{{.window}}]))
      target: 0.999
  timeWindows:
    - count: 30
      unit: Day
"#;
    let s = &read(v1alpha)[0];
    assert_eq!((s.objective, s.window.as_secs()), (0.999, 30 * 86_400));
    assert!(matches!(&s.events, Events::Good(q) if q.contains("code!~")));
}

#[test]
fn what_klaxon_does_not_read_is_refused_naming_file_line_and_key() {
    // A Sloth raw SLI has no events to count.
    let raw = "version: prometheus/v1\nservice: wifi\nslos:\n  - name: sat\n    objective: 95\n    sli:\n      raw:\n        error_ratio_query: 1 - avg(x[{{.window}}])\n";
    let e = read_err(raw);
    assert_eq!((e.file.as_str(), e.line, e.key.as_deref()), ("slos/x.yaml", Some(7), Some("slos[0].sli")), "{e}");
    assert!(e.message.contains("`raw` SLI is not read"), "{e}");
    // Objectives outside (0, 100) and windows under an hour, in any dialect.
    let e = read_err(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: a\nspec:\n  target: \"100\"\n  window: 7d\n  indicator: {}\n",
    );
    assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("spec.target")), "{e}");
    let e = read_err(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: a\nspec:\n  target: 99\n  window: 30m\n  indicator: {}\n",
    );
    assert_eq!((e.line, e.key.as_deref()), (Some(7), Some("spec.window")), "{e}");
    assert!(e.to_string().starts_with("slos/x.yaml:7: key `spec.window`: window must be at least 1h"), "{e}");
    let e = read_err("version: prometheus/v1\nservice: s\nslos:\n  - name: n\n    objective: 0\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("slos[0].objective")), "{e}");
    // OpenSLO timeslices budgeting and a query that cannot be windowed.
    let e = read_err(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: t\nspec:\n  budgetingMethod: Timeslices\n  objectives: [{target: 0.9}]\n",
    );
    assert!(e.message.contains("Timeslices budgeting is not read"), "{e}");
    let e = read_err(
        "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: a\nspec:\n  target: 99\n  window: 7d\n  indicator:\n    ratio:\n      errors:\n        metric: sum(rate(x[5m]))\n      total:\n        metric: y\n",
    );
    assert_eq!((e.line, e.key.as_deref()), (Some(11), Some("spec.indicator.ratio.errors.metric")), "{e}");
    let e = read_err("a: [unclosed\n");
    assert!(e.message.starts_with("not YAML") && e.line.is_some(), "{e}");
}

#[test]
fn bad_slos_in_klaxon_toml_name_file_line_and_key() {
    let base = "[prometheus]\nurl = \"http://prom:9090\"\n\n[[slos]]\nname = \"api\"\n";
    let queries = "errors = 'increase(e[{{window}}])'\ntotal = 'increase(t[{{window}}])'\n";
    let err =
        |extra: &str| klaxon::settings::parse(&format!("{base}{extra}{queries}"), "klaxon.toml").expect_err("refused");
    let e = err("objective = 100\nwindow = \"28d\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("slos[0].objective")), "{e}");
    assert!(
        e.to_string()
            .starts_with("klaxon.toml:6: key `slos[0].objective`: objective is a percentage between 0 and 100")
    );
    let e = err("objective = 0\nwindow = \"28d\"\n");
    assert_eq!(e.key.as_deref(), Some("slos[0].objective"), "{e}");
    let e = err("objective = 99.9\nwindow = \"59m\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(7), Some("slos[0].window")), "{e}");
    assert!(e.message.contains("at least 1h"), "{e}");
    let e = klaxon::settings::parse(
        &format!("{base}objective = 99\nwindow = \"1d\"\ntotal = 't[{{{{window}}}}]'\n"),
        "k.toml",
    )
    .expect_err("no good or errors");
    assert!(e.message.contains("`good` or `errors`"), "{e}");
    let e = klaxon::settings::parse(
        "[[slos]]\nname = \"x\"\nobjective = 99\nwindow = \"1d\"\nerrors = 'e[{{window}}]'\ntotal = 'rate(t[5m])'\n",
        "k.toml",
    )
    .expect_err("no placeholder, no prometheus");
    assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("slos[0].total")), "{e}");
    assert!(e.message.contains("{{window}}"), "{e}");
    let ok = klaxon::settings::parse(
        "[[slos]]\nname = \"x\"\nobjective = 99\nwindow = \"1d\"\nprometheus = { url = \"https://p\", token_env = \"PATH\" }\nerrors = 'e[{{window}}]'\ntotal = 't[{{window}}]'\n",
        "k.toml",
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn slo_files_are_read_through_the_config_and_their_errors_stop_check_config() {
    let sandbox = Sandbox::new();
    sandbox.write("cfg/slos/a.yaml", SLOTH);
    sandbox.write("cfg/slos/b.yml", "ignored: true\n");
    let path = sandbox
        .write("cfg/klaxon.toml", "slo_files = [\"slos/*.yaml\"]\n\n[prometheus]\nurl = \"http://127.0.0.1:1\"\n");
    let out = sandbox.klaxon().args(["--config", path.to_str().unwrap(), "check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("slo checkout-requests-availability: 99.9% over 30d"), "{stdout}");
    assert!(stdout.contains("not used: slos[0].alerting, labels"), "{stdout}");
    sandbox.write("cfg/slos/c.yaml", "version: prometheus/v1\nservice: s\nslos:\n  - name: n\n    objective: 120\n");
    let out = sandbox.klaxon().args(["--config", path.to_str().unwrap(), "check-config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("slos/c.yaml:5: key `slos[0].objective`: objective is a percentage"), "{stderr}");
}
