//! The error-budget arithmetic of the SRE workbook (chapter 5, "Alerting on SLOs"), as pure
//! functions over counts Prometheus already summed: no I/O, so every figure the console and
//! `klaxon slo` show is tested here against numbers worked out by hand.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The burn-rate windows, shortest first, as PromQL writes them.
pub const WINDOWS: [(&str, Duration); 6] = [
    ("5m", Duration::from_secs(300)),
    ("30m", Duration::from_secs(1800)),
    ("1h", Duration::from_secs(3600)),
    ("6h", Duration::from_secs(6 * 3600)),
    ("1d", Duration::from_secs(86_400)),
    ("3d", Duration::from_secs(3 * 86_400)),
];

/// Bad and all events over one window (already `sum`med by Prometheus).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub errors: f64,
    pub total: f64,
}

impl Counts {
    /// The share of events that failed. No events is no failure (nothing burned): 0.
    /// Counter resets and extrapolation can make `errors` a hair over `total`: clamped.
    pub fn error_ratio(&self) -> f64 {
        if self.total <= 0.0 || !self.total.is_finite() || !self.errors.is_finite() {
            return 0.0;
        }
        (self.errors / self.total).clamp(0.0, 1.0)
    }
}

/// How many times faster than "exactly the whole budget over the window" errors come:
/// error ratio / (1 − objective). `objective` is a fraction in (0, 1).
pub fn burn_rate(counts: Counts, objective: f64) -> f64 {
    counts.error_ratio() / (1.0 - objective)
}

/// The budget over the SLO's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Errors the objective allows over the window: (1 − objective) × total.
    pub allowed: f64,
    /// Allowed minus spent: negative once overspent.
    pub remaining: f64,
}

impl Budget {
    pub fn new(window: Counts, objective: f64) -> Budget {
        let allowed = (1.0 - objective) * window.total.max(0.0);
        Budget { allowed, remaining: allowed - window.errors.max(0.0) }
    }

    /// The share of the budget left, in 0..1 (0 once spent, however far overspent).
    /// No traffic at all spends nothing: 1.
    pub fn fraction(&self) -> f64 {
        if self.allowed <= 0.0 { 1.0 } else { (self.remaining / self.allowed).clamp(0.0, 1.0) }
    }
}

/// The multiwindow, multi-burn-rate verdict (workbook table 5-8, for a 30-day budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// 14.4× over 1h and 5m, or 6× over 6h and 30m: 2% or 5% of the budget in hours.
    Page,
    /// 1× over 3d and 6h: on course to spend the whole budget.
    Ticket,
    Ok,
    /// A window the verdict needs had no data.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Page => "page",
            Verdict::Ticket => "ticket",
            Verdict::Ok => "ok",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Burn rates over [`WINDOWS`], in that order; None where Prometheus had no series.
pub type Rates = [Option<f64>; 6];

/// A long and a short window both at or over `factor`; None when either is unknown.
fn both(rates: &Rates, long: usize, short: usize, factor: f64) -> Option<bool> {
    Some(rates[long]? >= factor && rates[short]? >= factor)
}

/// Page if either page pair fires, else ticket, else ok; a pair with an unknown window
/// that could have fired makes the verdict unknown rather than a reassuring "ok".
pub fn verdict(rates: &Rates) -> Verdict {
    let (m5, m30, h1, h6, d3) = (0, 1, 2, 3, 5);
    let page = [both(rates, h1, m5, 14.4), both(rates, h6, m30, 6.0)];
    let ticket = [both(rates, d3, h6, 1.0)];
    if page.contains(&Some(true)) {
        Verdict::Page
    } else if page.contains(&None) {
        Verdict::Unknown
    } else if ticket.contains(&Some(true)) {
        Verdict::Ticket
    } else if ticket.contains(&None) {
        Verdict::Unknown
    } else {
        Verdict::Ok
    }
}

/// When the budget runs out if errors keep coming at `rate` (the 1h burn rate): a budget
/// burning at 1× lasts exactly one window, so what is left lasts fraction × window / rate.
/// None when nothing burns. Past (or now) once spent: see [`spent_at`].
pub fn exhaustion(now: DateTime<Utc>, fraction: f64, window: Duration, rate: f64) -> Option<DateTime<Utc>> {
    if !rate.is_finite() || rate <= 0.0 {
        return None;
    }
    let secs = (fraction.max(0.0) * window.as_secs_f64() / rate).min(crate::config::MAX_DURATION.as_secs_f64());
    now.checked_add_signed(chrono::Duration::milliseconds((secs * 1000.0) as i64))
}

/// The budget left over the window, step by step: errors counted from the window's start,
/// against what the whole window allows. `steps` are (time, errors, total) per step, in time
/// order; the last point is (close to) [`Budget::fraction`]. Fractions, not clamped, so a
/// sparkline shows how far past zero it went.
pub fn burn_down(steps: &[(DateTime<Utc>, f64, f64)], objective: f64) -> Vec<(DateTime<Utc>, f64)> {
    let total: f64 = steps.iter().map(|s| s.2.max(0.0)).sum();
    let allowed = (1.0 - objective) * total;
    let mut spent = 0.0;
    steps
        .iter()
        .map(|&(t, errors, _)| {
            spent += errors.max(0.0);
            (t, if allowed > 0.0 { 1.0 - spent / allowed } else { 1.0 })
        })
        .collect()
}

/// The first step at which the burn-down reached zero: when the budget ran out.
pub fn spent_at(burn_down: &[(DateTime<Utc>, f64)]) -> Option<DateTime<Utc>> {
    burn_down.iter().find(|(_, f)| *f <= 0.0).map(|(t, _)| *t)
}

/// The step of a range query over `window` so it returns at most `points` points: whole
/// seconds, at least a minute.
pub fn step_for(window: Duration, points: u32) -> Duration {
    let secs = window.as_secs().div_ceil(u64::from(points.max(1)));
    Duration::from_secs(secs.max(60))
}

/// A duration as PromQL writes it, in its largest whole unit: `28d`, `6h`, `2420s`.
pub fn promql_duration(d: Duration) -> String {
    let s = d.as_secs().max(1);
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if s.is_multiple_of(n) {
            return format!("{}{unit}", s / n);
        }
    }
    format!("{s}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn c(errors: f64, total: f64) -> Counts {
        Counts { errors, total }
    }

    #[test]
    fn burn_rate_is_error_ratio_over_the_allowed_ratio() {
        // 99.9%: 0.1% may fail. 1 in 1000 failing is 1×; 1.44% failing is the 14.4× page.
        assert!((burn_rate(c(1.0, 1000.0), 0.999) - 1.0).abs() < 1e-9);
        assert!((burn_rate(c(144.0, 10_000.0), 0.999) - 14.4).abs() < 1e-9);
        assert_eq!(burn_rate(c(0.0, 0.0), 0.999), 0.0, "no traffic burns nothing");
        assert!((burn_rate(c(1001.0, 1000.0), 0.99) - 100.0).abs() < 1e-9, "ratio clamped at 1");
    }

    #[test]
    fn budget_fraction_and_absolute() {
        // 1,000,000 requests at 99.9%: 1000 may fail; 250 did.
        let b = Budget::new(c(250.0, 1_000_000.0), 0.999);
        assert!((b.allowed - 1000.0).abs() < 1e-6 && (b.remaining - 750.0).abs() < 1e-6);
        assert!((b.fraction() - 0.75).abs() < 1e-9);
        let over = Budget::new(c(1500.0, 1_000_000.0), 0.999);
        assert!((over.remaining + 500.0).abs() < 1e-6, "overspent shows as negative events");
        assert_eq!(over.fraction(), 0.0);
        assert_eq!(Budget::new(c(0.0, 0.0), 0.999).fraction(), 1.0);
    }

    #[test]
    fn the_workbook_verdicts() {
        let r = |v: [f64; 6]| v.map(Some);
        assert_eq!(verdict(&r([15.0, 2.0, 14.4, 2.0, 1.0, 1.0])), Verdict::Page, "1h and 5m over 14.4");
        assert_eq!(verdict(&r([1.0, 6.0, 3.0, 6.0, 1.0, 1.0])), Verdict::Page, "6h and 30m over 6");
        assert_eq!(verdict(&r([1.0, 20.0, 14.4, 2.0, 1.0, 1.0])), Verdict::Ticket, "5m calm: no page");
        assert_eq!(verdict(&r([0.5, 0.5, 0.5, 1.0, 1.0, 1.0])), Verdict::Ticket);
        assert_eq!(verdict(&r([0.5, 0.5, 0.5, 0.9, 1.0, 1.2])), Verdict::Ok, "6h under 1×");
        let mut gap = r([0.5; 6]);
        gap[5] = None;
        assert_eq!(verdict(&gap), Verdict::Unknown, "3d unknown: cannot say ok");
        gap[0] = Some(20.0);
        gap[2] = Some(20.0);
        assert_eq!(verdict(&gap), Verdict::Page, "a firing pair is enough");
    }

    #[test]
    fn exhaustion_at_the_current_rate() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let w = Duration::from_secs(28 * 86_400);
        // Half the budget left, burning at 2×: a quarter of the window.
        assert_eq!(exhaustion(now, 0.5, w, 2.0), Some(now + chrono::Duration::days(7)));
        assert_eq!(exhaustion(now, 0.5, w, 0.0), None, "nothing burns: never");
        assert_eq!(exhaustion(now, 0.0, w, 3.0), Some(now), "spent: now");
    }

    #[test]
    fn burn_down_counts_from_the_window_start() {
        let t = |m| Utc.with_ymd_and_hms(2026, 1, 1, 0, m, 0).unwrap();
        // 4 steps of 1000 requests at 99%: 40 may fail. 10 fail in step 2, 40 in step 4.
        let steps = [(t(0), 0.0, 1000.0), (t(1), 10.0, 1000.0), (t(2), 0.0, 1000.0), (t(3), 40.0, 1000.0)];
        let down = burn_down(&steps, 0.99);
        let f: Vec<f64> = down.iter().map(|p| (p.1 * 1000.0).round() / 1000.0).collect();
        assert_eq!(f, [1.0, 0.75, 0.75, -0.25]);
        assert_eq!(spent_at(&down), Some(t(3)));
    }

    #[test]
    fn steps_and_promql_durations() {
        assert_eq!(step_for(Duration::from_secs(28 * 86_400), 1000), Duration::from_secs(2420));
        assert_eq!(step_for(Duration::from_secs(3600), 1000), Duration::from_secs(60), "at least a minute");
        assert_eq!(promql_duration(Duration::from_secs(28 * 86_400)), "28d");
        assert_eq!(promql_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(promql_duration(Duration::from_secs(2420)), "2420s");
    }
}
