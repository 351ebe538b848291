//! The graphite source against Debian's real carbon-cache and graphite-web (started by
//! common::graphite): series written over carbon's plaintext protocol, judged by `klaxon list`.
//! No shape here is mocked: every answer is graphite-web 1.1's own render API.

use crate::common;

use common::graphite::{Graphite, STEP};
use common::{Sandbox, listed_as};
use std::time::Duration;

fn now() -> i64 {
    chrono::Utc::now().timestamp() / STEP * STEP
}

/// `n` points of `value` ending at `end`, one per step.
fn run(path: &str, value: f64, end: i64, n: i64) -> Vec<(&str, f64, i64)> {
    (0..n).map(|i| (path, value, end - i * STEP)).collect()
}

fn config(g: &Graphite) -> String {
    format!(
        r#"[store]
path = "k.db"

[[sources]]
name = "graphite"
kind = "graphite"
url = "{}"
timeout = "20s"

[[sources.checks]]
name = "disk"
target = "servers.*.disk"
from = "-3min"
warning = 80
critical = 90
for = 3
nodata_after = "1m"
flap_window = "0s"
severity = {{ critical = "disaster", nodata = "average" }}
labels = {{ host = "{{1}}", team = "ops" }}
runbook = "https://wiki.example/disk/{{1}}"
"#,
        g.url
    )
}

/// Waits until graphite-web answers `target` with a value at `at` (carbon takes a moment).
fn wait_for(g: &Graphite, target: &str, at: i64) {
    let seen = common::servers::eventually(Duration::from_secs(20), || {
        g.render(target, "-5min").contains(&format!(", {at}]"))
    });
    assert!(seen, "graphite-web never showed {target} at {at}: {}", g.render(target, "-5min"));
}

#[test]
fn a_breaching_and_a_silent_series_are_listed_then_resolve() {
    let Some(g) = common::graphite::start() else { return };
    let sb = Sandbox::new();
    let cfg = sb.write("klaxon.toml", &config(&g));
    let t = now();
    // web1 is fine; web2 was fine, then crossed 90 for the last three points; web3 went
    // silent two minutes ago.
    let mut points = run("servers.web1.disk", 50.0, t, 12);
    points.extend(run("servers.web2.disk", 50.0, t - 3 * STEP, 9));
    points.extend(run("servers.web2.disk", 95.0, t, 3));
    points.extend(run("servers.web3.disk", 40.0, t - 12 * STEP, 6));
    g.send(&points);
    for (series, at) in [("servers.web1.disk", t), ("servers.web2.disk", t), ("servers.web3.disk", t - 12 * STEP)] {
        wait_for(&g, series, at);
    }
    // The shape the source reads, as this graphite-web writes it.
    let raw: serde_json::Value = serde_json::from_str(&g.render("servers.web2.disk", "-1min")).unwrap();
    assert!(raw[0]["datapoints"].is_array() && raw[0]["tags"].is_object(), "{raw}");

    let alerts = sb.listed(&cfg);
    let keys: Vec<&str> = alerts.iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 2, "exactly the breaching and the silent series: {alerts:#?}");
    let breach = listed_as(&alerts, "graphite/disk:servers.web2.disk");
    assert_eq!(breach["severity"], "disaster");
    assert_eq!(breach["labels"]["instance"], "servers.web2.disk");
    assert_eq!(breach["labels"]["host"], "web2");
    assert_eq!(breach["labels"]["level"], "critical");
    assert_eq!(breach["annotations"]["value"], "95");
    assert_eq!(breach["title"], "disk: servers.web2.disk 95 (critical above 90)");
    assert_eq!(breach["runbook"], "https://wiki.example/disk/web2");
    // The window travels with the alert for the detail pane's sparkline.
    let window: serde_json::Value = serde_json::from_str(breach["annotations"]["window"].as_str().unwrap()).unwrap();
    let values: Vec<f64> = window["values"].as_array().unwrap().iter().filter_map(|v| v.as_f64()).collect();
    assert!(values.ends_with(&[95.0, 95.0, 95.0]) && values.contains(&50.0), "{window}");
    assert_eq!(window["critical"], 90.0);
    let silent = listed_as(&alerts, "graphite/disk:servers.web3.disk:nodata");
    assert_eq!(silent["severity"], "average");
    assert_eq!(silent["labels"]["level"], "nodata");
    assert!(silent["title"].as_str().unwrap().contains("has no data since"), "{silent}");

    // Values return: web2 back under 90 (its last points rewritten), web3 writing again.
    let t2 = now();
    let mut points = run("servers.web2.disk", 40.0, t2, 4);
    points.extend(run("servers.web3.disk", 41.0, t2, 2));
    points.extend(run("servers.web1.disk", 50.0, t2, 2));
    g.send(&points);
    for series in ["servers.web1.disk", "servers.web2.disk", "servers.web3.disk"] {
        wait_for(&g, series, t2);
    }
    let alerts = sb.listed(&cfg);
    assert!(alerts.is_empty(), "all resolved once values returned: {alerts:#?}");
}

#[test]
fn a_graphite_that_is_down_is_named_with_why() {
    let sb = Sandbox::new();
    let port = common::servers::free_port();
    let cfg = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"graphite\"\nkind = \"graphite\"\nurl = \"http://127.0.0.1:{port}\"\ntimeout = \"3s\"\n\n[[sources.checks]]\nname = \"disk\"\ntarget = \"a.b\"\ncritical = 1\n"
        ),
    );
    let out = sb.run(&cfg, &["list", "--format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("graphite") && err.contains("check disk") && err.contains("cannot connect"), "{err}");
}

/// The detail pane of a breaching series: its window as a sparkline with both threshold
/// lines, gaps as `·`, and the window's JSON not written out among the annotations.
#[test]
fn detail_pane_draws_the_window_with_its_thresholds() {
    use klaxon::model::{Severity, WINDOW_ANNOTATION, Window};
    let mut a = common::alerts::alert("graphite", "disk:servers.web2.disk", Severity::High, 3, "disk", "web2");
    a.title = "disk: servers.web2.disk 96.5 (critical above 90)".into();
    let mut values: Vec<Option<f64>> = (0..14).map(|i| Some(40.0 + f64::from(i) * 2.5)).collect();
    values.extend([None, None, Some(84.0), Some(91.0), Some(95.0), None, Some(96.5)]);
    let window = Window { values, warning: Some(80.0), critical: Some(90.0), above: true };
    a.annotations.insert(WINDOW_ANNOTATION, window.encode());
    let state = common::alerts::state_with(100, 30, vec![("graphite".into(), vec![a])]);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    terminal.draw(|f| klaxon::ui::view(&state, &klaxon::config::theme::Theme::default(), f)).unwrap();
    let screen = terminal.backend().to_string();
    assert!(!screen.contains("\\\"values\\\"") && !screen.contains("{\"values"), "the JSON stays hidden");
    insta::assert_snapshot!(screen);
}
