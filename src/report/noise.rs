//! The team's noise: per alert name and service, how often it fired, how much of that
//! resolved with nobody doing anything, flapped, was never acknowledged, or came at night
//! or at the weekend; a score to rank by and what to do about it.
//!
//! The score counts the signs of noise each firing shows: resolved with no human action,
//! fired again soon after resolving (a flap), never acknowledged, at night or at the
//! weekend. A firing that shows all four scores 4.

use super::ReportQuery;
use crate::store::report::{NoiseRow, OffsetFrom};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What to do about a noisy alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Nobody ever acknowledges it and it resolves on its own: it tells no one anything.
    #[serde(rename = "delete")]
    Delete,
    /// It flaps, or resolves on its own within minutes: wait longer before firing.
    #[serde(rename = "raise the `for:` duration")]
    RaiseFor,
    /// Mostly never acknowledged, but not gone by itself: work for daytime, not a page.
    #[serde(rename = "route to a ticket queue")]
    Ticket,
    /// People act on it: it is doing its job.
    #[serde(rename = "keep")]
    Keep,
}

impl Action {
    pub fn text(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::RaiseFor => "raise the `for:` duration",
            Action::Ticket => "route to a ticket queue",
            Action::Keep => "keep",
        }
    }
}

/// Resolving on its own within this is what a longer `for:` would have hidden.
const QUICK_S: i64 = 600;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoisyAlert {
    pub name: String,
    /// Null when the alert names no service.
    pub service: Option<String>,
    pub count: i64,
    pub auto_resolved: i64,
    /// Share of firings resolved without any human action, 0 to 1 (two decimals).
    pub auto_resolved_share: f64,
    pub auto_resolve_median_s: Option<i64>,
    pub flaps: i64,
    pub never_acknowledged: i64,
    pub night: i64,
    pub weekend: i64,
    pub score: i64,
    pub action: Action,
}

impl NoisyAlert {
    pub fn from_row(r: &NoiseRow) -> NoisyAlert {
        let share = |n: i64| if r.count == 0 { 0.0 } else { (n as f64 / r.count as f64 * 100.0).round() / 100.0 };
        let action = if r.never_acked == r.count && r.auto_resolved * 5 >= r.count * 4 {
            Action::Delete
        } else if r.flaps * 3 >= r.count.max(1)
            || (r.auto_resolved * 2 >= r.count && r.auto_resolve_median.is_some_and(|m| m < QUICK_S))
        {
            Action::RaiseFor
        } else if r.never_acked * 2 >= r.count {
            Action::Ticket
        } else {
            Action::Keep
        };
        NoisyAlert {
            name: r.name.clone(),
            service: Some(r.service.clone()).filter(|s| !s.is_empty()),
            count: r.count,
            auto_resolved: r.auto_resolved,
            auto_resolved_share: share(r.auto_resolved),
            auto_resolve_median_s: r.auto_resolve_median,
            flaps: r.flaps,
            never_acknowledged: r.never_acked,
            night: r.night,
            weekend: r.weekend,
            score: r.auto_resolved + r.flaps + r.never_acked + r.off_hours,
            action,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noise {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// A firing within this many seconds of the same alert's resolve is a flap.
    pub flap_within_s: i64,
    /// The zone night (22:00–07:00) and weekend are read in.
    pub time_zone: String,
    /// Noisiest first: by score, then count, then name.
    pub alerts: Vec<NoisyAlert>,
}

pub fn noise(store: &dyn Store, q: &ReportQuery, flap_within_s: i64, tz: chrono_tz::Tz) -> Result<Noise, StoreError> {
    let zone: Vec<OffsetFrom> = super::offsets(tz, q.since, q.until);
    let rows = store.report_noise(q, flap_within_s, &zone)?;
    let mut alerts: Vec<NoisyAlert> = rows.iter().map(NoisyAlert::from_row).collect();
    alerts.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service.cmp(&b.service))
    });
    Ok(Noise { since: q.since, until: q.until, flap_within_s, time_zone: tz.name().to_owned(), alerts })
}
