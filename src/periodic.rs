//! One periodic task, the same for sources, schedules and log follows: a round every
//! interval, each bounded by a timeout (a panic fails that round alone), backoff with equal
//! jitter after failures, and the health that follows (ok, stale since, failing with the
//! last error). What a round does and where its results go is the caller's.

use crate::model::Health;
use crate::sources::SourceError;
use chrono::Utc;
use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Runs one step bounded by `timeout`. A panic in it (in making the future, as a
/// synchronous parser would, or in running it) fails this step alone, with a message.
/// Errors come out as [`SourceError`]s: sanitized, secrets redacted.
pub async fn bounded<T, E: Display, F: Future<Output = Result<T, E>>>(
    timeout: Duration,
    step: impl FnOnce() -> F,
) -> Result<T, SourceError> {
    match tokio::time::timeout(timeout, crate::crash::contain(step)).await {
        Ok(Ok(result)) => result.map_err(|e| SourceError::new(e.to_string())),
        Ok(Err(crashed)) => Err(SourceError::new(crashed)),
        Err(_) => Err(SourceError::new(format!("no answer within {}", humantime::format_duration(timeout)))),
    }
}

/// Delay before the next try after `failures` failures in a row: `base` doubled per
/// failure, capped at twice `base`, then "equal jitter" (half fixed, half random) so that
/// many consoles do not retry a recovering server in lockstep. The low cap is the promise
/// that a source back from an outage of any length is healthy on screen within two
/// intervals. `unit` is in [0, 1).
pub fn backoff(base: Duration, failures: u32, unit: f64) -> Duration {
    let cap = base.saturating_mul(2);
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(cap);
    exp.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// The schedule and health of one periodic task.
#[derive(Debug, Clone)]
pub struct Periodic {
    interval: Duration,
    timeout: Duration,
    /// What backoff doubles from (the interval unless set shorter).
    retry: Duration,
    failures: u32,
    health: Health,
}

impl Periodic {
    pub fn new(interval: Duration, timeout: Duration) -> Self {
        Periodic { interval, timeout, retry: interval, failures: 0, health: Health::Pending }
    }

    /// Retries start from `retry` rather than the interval (a schedule asked hourly is
    /// retried within a minute or two).
    pub fn retry_from(mut self, retry: Duration) -> Self {
        self.retry = retry.min(self.interval);
        self
    }

    /// Starts from data kept on disk since `since`: stale until the first round answers.
    pub fn stale(&mut self, since: chrono::DateTime<Utc>) {
        self.health = Health::Stale { since };
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// One round, bounded by the timeout; keeps count of failures and the health.
    pub async fn round<T, E: Display, F: Future<Output = Result<T, E>>>(
        &mut self,
        step: impl FnOnce() -> F,
    ) -> Result<T, SourceError> {
        let result = bounded(self.timeout, step).await;
        match &result {
            Ok(_) => {
                self.failures = 0;
                self.health = Health::Ok { at: Utc::now() };
            }
            Err(e) => {
                self.failures += 1;
                self.health = self.health.failed(Utc::now(), e.to_string());
            }
        }
        result
    }

    /// How long until the next round: the interval (or `sooner`, when the last answer says
    /// something changes before then) after a success, the backoff after a failure.
    pub fn next(&self, sooner: Option<Duration>) -> Duration {
        match self.failures {
            0 => sooner.map_or(self.interval, |s| s.min(self.interval)),
            n => backoff(self.retry, n, fastrand::f64()),
        }
    }
}

/// Waits `delay`; false when `stop` turned true first.
pub async fn sleep(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = stop.wait_for(|s| *s) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let i = Duration::from_secs(10);
        assert_eq!(backoff(i, 1, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(i, 2, 1.0), Duration::from_secs(20));
        assert_eq!(backoff(i, 3, 0.0), Duration::from_secs(10), "jitter: half fixed");
        assert_eq!(backoff(i, 30, 1.0), Duration::from_secs(20), "never more than two intervals");
        assert_eq!(backoff(Duration::from_secs(600), 5, 0.0), Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn health_follows_the_rounds_and_a_panic_fails_one_round() {
        let mut p = Periodic::new(Duration::from_secs(30), Duration::from_secs(2)).retry_from(Duration::from_secs(5));
        assert_eq!(*p.health(), Health::Pending);
        let hung = p.round(|| async { std::future::pending::<Result<(), String>>().await }).await;
        assert_eq!(hung.unwrap_err().to_string(), "no answer within 2s");
        assert!(matches!(p.health(), Health::Failing { attempts: 1, .. }));
        assert!(p.next(None) <= Duration::from_secs(5), "retried from the retry base, not the interval");
        let crashed = p.round(|| -> std::future::Ready<Result<(), String>> { panic!("out of range") }).await;
        assert!(crashed.unwrap_err().to_string().starts_with("klaxon crashed on this: out of range"));
        assert!(matches!(p.health(), Health::Failing { attempts: 2, .. }));
        assert_eq!(p.round(|| async { Ok::<_, String>(7) }).await.ok(), Some(7));
        assert!(p.health().is_ok());
        assert_eq!(p.next(None), Duration::from_secs(30));
        assert_eq!(p.next(Some(Duration::from_secs(3))), Duration::from_secs(3), "an earlier handoff wins");
    }
}
