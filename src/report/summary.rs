//! The lead's summary: how many alerts and pages, how fast they were acknowledged and
//! resolved (median and p90, overall, per severity, source, service and week), how many
//! escalations, and what changed against the previous period of the same length.

use super::ReportQuery;
use crate::model::Severity;
use crate::store::report::StatRow;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Nearest-rank percentiles of a duration in seconds; null when nothing was measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// The figures of one group of incidents (firings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub alerts: i64,
    pub pages: i64,
    pub acknowledged: i64,
    pub resolved: i64,
    pub escalations: i64,
    pub mtta_s: Percentiles,
    pub mttr_s: Percentiles,
}

impl From<&StatRow> for Stats {
    fn from(r: &StatRow) -> Stats {
        Stats {
            alerts: r.alerts,
            pages: r.pages,
            acknowledged: r.acknowledged,
            resolved: r.resolved,
            escalations: r.escalations,
            mtta_s: Percentiles { median: r.mtta_median, p90: r.mtta_p90 },
            mttr_s: Percentiles { median: r.mttr_median, p90: r.mttr_p90 },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    pub start: DateTime<Utc>,
    #[serde(flatten)]
    pub stats: Stats,
}

/// This period against the one before it: positive means more (or slower).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    pub alerts: i64,
    pub pages: i64,
    pub acknowledged: i64,
    pub resolved: i64,
    pub escalations: i64,
    pub mtta_median_s: Option<i64>,
    pub mttr_median_s: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Previous {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Incidents at or above this severity count as pages.
    pub page_severity: Severity,
    #[serde(flatten)]
    pub total: Stats,
    pub by_severity: BTreeMap<String, Stats>,
    pub by_source: BTreeMap<String, Stats>,
    /// Alerts without a service are under "(none)".
    pub by_service: BTreeMap<String, Stats>,
    /// Seven-day weeks from `since`, every one of them (empty weeks too).
    pub weeks: Vec<Week>,
    pub previous: Previous,
    pub change: Change,
}

pub const NO_SERVICE: &str = "(none)";

/// Runs the summary: this period and the one before it, each one query.
pub fn summary(store: &dyn Store, q: &ReportQuery) -> Result<Summary, StoreError> {
    let rows = store.report_summary(q)?;
    let len = q.until - q.since;
    let before = ReportQuery { since: q.since - len, until: q.since, ..q.clone() };
    let prev_rows = store.report_summary(&before)?;
    Ok(build(q, &rows, &before, &prev_rows))
}

fn total(rows: &[StatRow]) -> Stats {
    rows.iter().find(|r| r.dim == "all").map(Stats::from).unwrap_or_default()
}

fn build(q: &ReportQuery, rows: &[StatRow], before: &ReportQuery, prev_rows: &[StatRow]) -> Summary {
    let group = |dim: &str| -> BTreeMap<String, Stats> {
        rows.iter().filter(|r| r.dim == dim).map(|r| (r.group.clone(), Stats::from(r))).collect()
    };
    let by_severity = group("severity")
        .into_iter()
        .map(|(rank, s)| {
            let name = rank.parse::<usize>().ok().and_then(|i| Severity::ALL.get(i)).map_or(rank, |s| s.name().into());
            (name, s)
        })
        .collect();
    let by_service =
        group("service").into_iter().map(|(k, s)| (if k.is_empty() { NO_SERVICE.to_owned() } else { k }, s)).collect();
    let weeks_n = ((q.until - q.since).num_seconds() + 604_799) / 604_800;
    let by_week = group("week");
    let weeks = (0..weeks_n)
        .map(|i| Week {
            start: q.since + Duration::weeks(i),
            stats: by_week.get(&i.to_string()).cloned().unwrap_or_default(),
        })
        .collect();
    let (now, prev) = (total(rows), total(prev_rows));
    let diff = |a: Option<i64>, b: Option<i64>| Some(a? - b?);
    let change = Change {
        alerts: now.alerts - prev.alerts,
        pages: now.pages - prev.pages,
        acknowledged: now.acknowledged - prev.acknowledged,
        resolved: now.resolved - prev.resolved,
        escalations: now.escalations - prev.escalations,
        mtta_median_s: diff(now.mtta_s.median, prev.mtta_s.median),
        mttr_median_s: diff(now.mttr_s.median, prev.mttr_s.median),
    };
    Summary {
        since: q.since,
        until: q.until,
        page_severity: q.page_severity,
        total: now,
        by_severity,
        by_source: group("source"),
        by_service,
        weeks,
        previous: Previous { since: before.since, until: before.until, stats: prev },
        change,
    }
}
