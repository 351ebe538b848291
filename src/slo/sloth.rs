//! Sloth's spec (`version: "prometheus/v1"`, sloth.dev "SLO spec"): a `service` with
//! `slos`, each an `objective` percentage and an `sli` of `events` (`error_query`,
//! `total_query`, `{{.window}}` in both). Sloth's period is 30 days unless its command line
//! says otherwise; the spec has no window, so klaxon uses 30d. The SLO is named Sloth's
//! `sloth_id`, `<service>-<name>`, and its alerts (labelled `sloth_service`, `sloth_slo`,
//! `sloth_id`) point to it. Not read: `raw` and `plugin` SLIs (no events to count: the
//! document is refused, naming the key), and `alerting`, which is Sloth's to generate.

use super::files::{Node, Problem, events_query, need, need_text, percent, problem, unused};
use super::{Events, PrometheusConfig, Slo};
use std::collections::BTreeMap;
use std::time::Duration;

const PERIOD: Duration = Duration::from_secs(30 * 86_400);

pub fn read(doc: &Node, prometheus: &PrometheusConfig, from: &str) -> Result<Vec<Slo>, Problem> {
    let service = need_text(doc, "", "service")?;
    let list = need(doc, "", "slos")?;
    let mut out = Vec::new();
    for (i, s) in list.list().iter().enumerate() {
        let at = format!("slos[{i}]");
        let name = need_text(s, &at, "name")?;
        let id = format!("{service}-{name}");
        if let Some(p) = crate::config::check_name("SLO", &id, &mut Default::default()) {
            return Err(problem(need(s, &at, "name")?, &format!("{at}.name"), p));
        }
        let objective = percent(need(s, &at, "objective")?, &format!("{at}.objective"), 1.0)?;
        let sli = need(s, &at, "sli")?;
        let sli_at = format!("{at}.sli");
        let Some(events) = sli.get("events") else {
            let kind = sli.keys().first().map_or("none", |k| *k).to_owned();
            return Err(problem(
                sli,
                &sli_at,
                format!("a `{kind}` SLI is not read by klaxon: only `events` (error_query and total_query)"),
            ));
        };
        let ev_at = format!("{sli_at}.events");
        let errors = events_query(need(events, &ev_at, "error_query")?, &format!("{ev_at}.error_query"), "increase")?;
        let total = events_query(need(events, &ev_at, "total_query")?, &format!("{ev_at}.total_query"), "increase")?;
        let mut not_used = unused(s, &at, &["alerting"]);
        not_used.extend(unused(doc, "", &["labels"]));
        out.push(Slo {
            name: id.clone(),
            objective: super::fraction(objective),
            window: PERIOD,
            events: Events::Errors(errors),
            total,
            interval: prometheus.interval,
            prometheus: prometheus.clone(),
            match_labels: vec![
                BTreeMap::from([("sloth_id".into(), id.clone())]),
                BTreeMap::from([("sloth_service".into(), service.to_owned()), ("sloth_slo".into(), name.to_owned())]),
            ],
            description: s.get("description").and_then(Node::text).map(str::to_owned),
            from: from.to_owned(),
            not_used,
        });
    }
    Ok(out)
}
