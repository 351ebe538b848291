//! What is known of each SLO, as the console and `klaxon slo` show it: plain data, no I/O,
//! so app/ and ui/ can hold it without reaching the tokio and HTTP code that computes it.

use super::Slo;
use super::burn::{Budget, Rates, Verdict};
use crate::model::Health;
use chrono::{DateTime, Utc};

/// What one round computed for one SLO, at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub at: DateTime<Utc>,
    /// Good events / all events over the window; None when the total had no series.
    pub sli: Option<f64>,
    pub budget: Option<Budget>,
    pub rates: Rates,
    pub verdict: Verdict,
    /// When the budget runs out at the 1h burn rate, or when it ran out.
    pub exhausted_at: Option<DateTime<Utc>>,
    /// The budget left, step by step over the window (the sparkline).
    pub history: Vec<(DateTime<Utc>, f64)>,
}

/// An SLO as last computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub slo: Slo,
    /// The last figures (stale while `health` is failing).
    pub figures: Option<Figures>,
    pub health: Health,
}

impl Status {
    pub fn new(slo: Slo) -> Status {
        Status { slo, figures: None, health: Health::Pending }
    }

    /// The error of the last round, when it failed.
    pub fn error(&self) -> Option<&str> {
        match &self.health {
            Health::Failing { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Worst first: paging, then failing to compute, then ticket, unknown, ok; within one,
    /// the least budget left first, then by name.
    pub fn rank(&self) -> (u8, i64, String) {
        let verdict = self.figures.as_ref().map(|f| f.verdict);
        let class = match (verdict, self.error()) {
            (Some(Verdict::Page), _) => 0,
            (_, Some(_)) => 1,
            (Some(Verdict::Ticket), _) => 2,
            (Some(Verdict::Unknown) | None, _) => 3,
            (Some(Verdict::Ok), _) => 4,
        };
        let left = self.figures.as_ref().and_then(|f| f.budget).map_or(1.0, |b| b.fraction());
        (class, (left * 1e6) as i64, self.slo.name.clone())
    }
}

/// Sorts worst first (see [`Status::rank`]).
pub fn worst_first(list: &mut [Status]) {
    list.sort_by_cached_key(Status::rank);
}

/// What a tracked SLO reports after each round.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub name: String,
    /// New figures, when the round answered.
    pub figures: Option<Box<Figures>>,
    pub health: Health,
}
