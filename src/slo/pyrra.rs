//! Pyrra's `ServiceLevelObjective` (`apiVersion: pyrra.dev/v1alpha1`, pyrra.dev and its
//! CRD's Go types): `metadata.name`, `spec.target` (a percentage, often a string),
//! `spec.window`, and one indicator: `ratio` (`errors` and `total` counters), `latency`
//! (`success`, a histogram bucket, and `total`, its count) or `bool_gauge` (a 0/1 gauge).
//! Pyrra's alerts carry `slo: <name>`. Not read: `latencyNative` (refused, naming the key),
//! `grouping` (klaxon sums over every series), and `alerting`, Pyrra's to generate.

use super::files::{Node, Problem, events_query, need, need_text, percent, problem, unused, window};
use super::{Events, PrometheusConfig, Slo};
use std::collections::BTreeMap;

pub fn read(doc: &Node, prometheus: &PrometheusConfig, from: &str) -> Result<Vec<Slo>, Problem> {
    let meta = need(doc, "", "metadata")?;
    let name = need_text(meta, "metadata", "name")?;
    if let Some(p) = crate::config::check_name("SLO", name, &mut Default::default()) {
        return Err(problem(need(meta, "metadata", "name")?, "metadata.name", p));
    }
    let spec = need(doc, "", "spec")?;
    let objective = percent(need(spec, "spec", "target")?, "spec.target", 1.0)?;
    let window = window(need(spec, "spec", "window")?, "spec.window")?;
    let ind = need(spec, "spec", "indicator")?;
    let mut not_used = unused(spec, "spec", &["alerting"]);
    let q = |n: &Node, at: &str, how: &str| -> Result<String, Problem> {
        events_query(need(n, at, "metric")?, &format!("{at}.metric"), how)
    };
    let (events, total) = if let Some(r) = ind.get("ratio") {
        not_used.extend(unused(r, "spec.indicator.ratio", &["grouping"]));
        let errors = q(need(r, "spec.indicator.ratio", "errors")?, "spec.indicator.ratio.errors", "increase")?;
        (
            Events::Errors(errors),
            q(need(r, "spec.indicator.ratio", "total")?, "spec.indicator.ratio.total", "increase")?,
        )
    } else if let Some(l) = ind.get("latency") {
        not_used.extend(unused(l, "spec.indicator.latency", &["grouping"]));
        let good = q(need(l, "spec.indicator.latency", "success")?, "spec.indicator.latency.success", "increase")?;
        (
            Events::Good(good),
            q(need(l, "spec.indicator.latency", "total")?, "spec.indicator.latency.total", "increase")?,
        )
    } else if let Some(b) = ind.get("bool_gauge") {
        not_used.extend(unused(b, "spec.indicator.bool_gauge", &["grouping"]));
        // Each sample is one event, good when 1.
        let good = q(b, "spec.indicator.bool_gauge", "sum_over_time")?;
        (Events::Good(good), q(b, "spec.indicator.bool_gauge", "count_over_time")?)
    } else {
        let kind = ind.keys().first().map_or("none", |k| *k).to_owned();
        return Err(problem(
            ind,
            "spec.indicator",
            format!("a `{kind}` indicator is not read by klaxon: only ratio, latency and bool_gauge"),
        ));
    };
    Ok(vec![Slo {
        name: name.to_owned(),
        objective: super::fraction(objective),
        window,
        events,
        total,
        interval: prometheus.interval,
        prometheus: prometheus.clone(),
        match_labels: vec![BTreeMap::from([("slo".into(), name.to_owned())])],
        description: spec.get("description").and_then(Node::text).filter(|d| !d.is_empty()).map(str::to_owned),
        from: from.to_owned(),
        not_used,
    }])
}
