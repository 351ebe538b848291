//! OpenSLO `kind: SLO` (github.com/OpenSLO/OpenSLO, README "SLO"). v1: `spec.indicator.spec`
//! with a `ratioMetric` (`good` or `bad`, and `total`, each a `metricSource` whose `spec.query`
//! is PromQL), `spec.timeWindow[0].duration` and `spec.objectives[0].target` (a fraction) or
//! `targetPercent`. v1alpha, as Sloth reads it: `objectives[0].ratioMetrics.{good,total}.query`
//! and `timeWindows[0]` as `count` + `unit`. Not read: `indicatorRef` (an SLI in another
//! document), `thresholdMetric`, budgeting by timeslices and calendar windows (refused,
//! naming the key); a second objective and `alertPolicies` (named in `not_used`).

use super::files::{Node, Problem, events_query, join, need, need_text, percent, problem, unused, window};
use super::{Events, PrometheusConfig, Slo};

/// A metric source's PromQL.
fn query(node: &Node, at: &str) -> Result<String, Problem> {
    let (src, at) = match node.get("metricSource") {
        Some(m) => (need(m, &join(at, "metricSource"), "spec")?, join(at, "metricSource.spec")),
        None => (node, at.to_owned()),
    };
    let key = if src.get("promql").is_some() { "promql" } else { "query" };
    events_query(need(src, &at, key)?, &join(&at, key), "increase")
}

pub fn read(doc: &Node, prometheus: &PrometheusConfig, from: &str) -> Result<Vec<Slo>, Problem> {
    let name = need_text(need(doc, "", "metadata")?, "metadata", "name")?;
    if let Some(p) = crate::config::check_name("SLO", name, &mut Default::default()) {
        return Err(problem(doc, "metadata.name", p));
    }
    let spec = need(doc, "", "spec")?;
    if let Some(r) = spec.get("indicatorRef") {
        return Err(problem(
            r,
            "spec.indicatorRef",
            "an indicator in another document is not read: write it inline under `spec.indicator`".into(),
        ));
    }
    if let Some(m) = spec.get("budgetingMethod").and_then(Node::text).filter(|m| *m != "Occurrences") {
        return Err(problem(spec, "spec.budgetingMethod", format!("{m} budgeting is not read: only Occurrences")));
    }
    let objectives = need(spec, "spec", "objectives")?;
    let first =
        objectives.list().first().ok_or_else(|| problem(objectives, "spec.objectives", "no objective".into()))?;
    let objective = match (first.get("target"), first.get("targetPercent")) {
        (Some(t), _) => percent(t, "spec.objectives[0].target", 100.0)?,
        (None, Some(t)) => percent(t, "spec.objectives[0].targetPercent", 1.0)?,
        (None, None) => return Err(problem(first, "spec.objectives[0].target", "`target` is missing".into())),
    };
    let (events, total, window) = if let Some(rm) = first.get("ratioMetrics") {
        // v1alpha: the queries sit in the objective, the window is count + unit.
        let at = "spec.objectives[0].ratioMetrics";
        let good = query(need(rm, at, "good")?, &join(at, "good"))?;
        let total = query(need(rm, at, "total")?, &join(at, "total"))?;
        let tw = need(spec, "spec", "timeWindows")?;
        let w = tw.list().first().ok_or_else(|| problem(tw, "spec.timeWindows", "no time window".into()))?;
        let (count, unit) =
            (need_text(w, "spec.timeWindows[0]", "count")?, need_text(w, "spec.timeWindows[0]", "unit")?);
        let text = Node { line: w.line, value: super::files::Value::Text(format!("{count}{}", unit.to_lowercase())) };
        (Events::Good(good), total, window(&text, "spec.timeWindows[0]")?)
    } else {
        let ind = need(spec, "spec", "indicator")?;
        let ispec = need(ind, "spec.indicator", "spec")?;
        let Some(rm) = ispec.get("ratioMetric") else {
            let kind = ispec.keys().first().map_or("none", |k| *k).to_owned();
            return Err(problem(
                ispec,
                "spec.indicator.spec",
                format!("a `{kind}` indicator is not read: only ratioMetric"),
            ));
        };
        let at = "spec.indicator.spec.ratioMetric";
        let events = match (rm.get("good"), rm.get("bad")) {
            (Some(g), _) => Events::Good(query(g, &join(at, "good"))?),
            (None, Some(b)) => Events::Errors(query(b, &join(at, "bad"))?),
            (None, None) => return Err(problem(rm, &join(at, "good"), "`good` or `bad` is missing".into())),
        };
        let total = query(need(rm, at, "total")?, &join(at, "total"))?;
        let tw = need(spec, "spec", "timeWindow")?;
        let w = tw.list().first().ok_or_else(|| problem(tw, "spec.timeWindow", "no time window".into()))?;
        if w.get("isRolling").and_then(Node::text) == Some("false") || w.get("calendar").is_some() {
            return Err(problem(w, "spec.timeWindow[0]", "a calendar window is not read: only rolling ones".into()));
        }
        (events, total, window(need(w, "spec.timeWindow[0]", "duration")?, "spec.timeWindow[0].duration")?)
    };
    let mut not_used = unused(spec, "spec", &["alertPolicies"]);
    if objectives.list().len() > 1 {
        not_used.push("spec.objectives[1..]".into());
    }
    Ok(vec![Slo {
        name: name.to_owned(),
        objective: super::fraction(objective),
        window,
        events,
        total,
        interval: prometheus.interval,
        prometheus: prometheus.clone(),
        match_labels: super::default_matches(name),
        description: spec.get("description").and_then(Node::text).map(str::to_owned),
        from: from.to_owned(),
        not_used,
    }])
}
