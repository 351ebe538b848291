//! `klaxon history`: resolved alerts from the store, filtered with the console's language,
//! against the real Alertmanager (an alert ends when it is posted again with a past endsAt).

use crate::common;

use common::servers::{self, post_alerts};
use common::{Sandbox, json};
use serde_json::json;

#[test]
fn history_lists_what_resolved_newest_first_filtered_by_matchers() {
    let Some(am) = servers::alertmanager(None) else { return };
    let alert = |name: &str, instance: &str| json!({"labels": {"alertname": name, "severity": "critical", "instance": instance}});
    post_alerts(&am, &json!([alert("DiskFilling", "db-1"), alert("CpuHot", "web-1"), alert("Still", "x")]));
    let sb = Sandbox::new();
    let cfg = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"{}\"\n",
            am.url
        ),
    );
    assert_eq!(sb.listed(&cfg).len(), 3, "all three seen (and so in the store)");
    let past = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    let ended = |name: &str, instance: &str| {
        let mut a = alert(name, instance);
        a["endsAt"] = json!(past);
        a
    };
    post_alerts(&am, &json!([ended("DiskFilling", "db-1"), ended("CpuHot", "web-1")]));
    assert_eq!(sb.listed(&cfg).len(), 1, "two have resolved");

    let rows = json(&sb.run(&cfg, &["history", "--format", "json"]).stdout);
    let names: Vec<&str> =
        rows.as_array().unwrap().iter().map(|r| r["labels"]["alertname"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{rows}");
    assert!(names.contains(&"DiskFilling") && names.contains(&"CpuHot") && !names.contains(&"Still"));
    assert!(rows[0]["resolved_at"].is_string());
    // The same matchers as `list`: amtool's form and the console's.
    let rows = json(&sb.run(&cfg, &["history", "--format", "json", "alertname=CpuHot"]).stdout);
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["key"].as_str().map(|k| k.starts_with("prod/")), Some(true));
    let table = String::from_utf8_lossy(&sb.run(&cfg, &["history", "instance=~db-.*"]).stdout).to_string();
    assert!(table.contains("DiskFilling") && !table.contains("CpuHot"), "{table}");
    // Nothing in a window before they resolved.
    let out = sb.run(&cfg, &["history", "--since", "2020-01-01", "alertname=Nope"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no resolved alerts since 2020-01-01"));
}
