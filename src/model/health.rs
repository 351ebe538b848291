//! How each source is doing, as the header and `klaxon doctor` show it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Health {
    /// Not polled yet and nothing cached.
    Pending,
    Ok {
        at: DateTime<Utc>,
    },
    /// Showing data from an earlier run (the disk cache) until the first poll answers.
    Stale {
        since: DateTime<Utc>,
    },
    /// Polls fail; what is shown dates from `data_from`, if anything.
    Failing {
        since: DateTime<Utc>,
        error: String,
        attempts: u32,
        data_from: Option<DateTime<Utc>>,
    },
}

impl Health {
    pub fn is_ok(&self) -> bool {
        matches!(self, Health::Ok { .. })
    }

    /// What is shown may be out of date: from the cache, or from before polls failed.
    pub fn is_stale(&self) -> bool {
        matches!(self, Health::Stale { .. } | Health::Failing { .. })
    }

    /// When the source last answered (in this run or, from the cache, an earlier one).
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        match self {
            Health::Pending => None,
            Health::Ok { at } => Some(*at),
            Health::Stale { since } => Some(*since),
            Health::Failing { data_from, .. } => *data_from,
        }
    }

    /// Why this source's alerts are not known to be current, in one line, or None when
    /// they are: "connection refused since 04:37 — alerts unknown".
    pub fn problem(&self) -> Option<String> {
        let hm = |t: &DateTime<Utc>| t.format("%H:%M").to_string();
        match self {
            Health::Ok { .. } => None,
            Health::Pending => Some("no answer yet — alerts unknown".into()),
            Health::Stale { since } => Some(format!("not asked yet — showing its alerts from {}", hm(since))),
            Health::Failing { since, error, data_from: None, .. } => {
                Some(format!("{error} since {} — alerts unknown", hm(since)))
            }
            Health::Failing { since, error, data_from: Some(from), .. } => {
                Some(format!("{error} since {} — showing its alerts from {}", hm(since), hm(from)))
            }
        }
    }

    /// The next state after a failed poll.
    pub fn failed(&self, at: DateTime<Utc>, error: String) -> Health {
        match self {
            Health::Failing { since, attempts, data_from, .. } => {
                Health::Failing { since: *since, error, attempts: attempts + 1, data_from: *data_from }
            }
            Health::Ok { at: last } | Health::Stale { since: last } => {
                Health::Failing { since: at, error, attempts: 1, data_from: Some(*last) }
            }
            Health::Pending => Health::Failing { since: at, error, attempts: 1, data_from: None },
        }
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |t: &DateTime<Utc>| t.format("%H:%M:%SZ").to_string();
        match self {
            Health::Pending => f.write_str("pending"),
            Health::Ok { .. } => f.write_str("ok"),
            Health::Stale { since } => write!(f, "stale since {}", hm(since)),
            Health::Failing { since, error, attempts, .. } => {
                write!(f, "failing since {} ({attempts} attempts): {error}", hm(since))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_accumulate_and_remember_the_data_age() {
        let t0 = Utc::now();
        let t1 = t0 + chrono::Duration::seconds(30);
        let h = Health::Ok { at: t0 }.failed(t1, "connection refused".into());
        let h = h.failed(t1 + chrono::Duration::seconds(30), "timed out".into());
        assert_eq!(h, Health::Failing { since: t1, error: "timed out".into(), attempts: 2, data_from: Some(t0) });
        assert!(h.to_string().contains("2 attempts): timed out"), "{h}");
    }
}
