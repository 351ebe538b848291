//! Computing SLOs over time: once (`klaxon slo`), or every SLO on its own interval with the
//! bounds, backoff and health every periodic task has (src/periodic.rs). A Prometheus that
//! fails or refuses a query marks its SLOs failing, keeping their last figures as stale;
//! nothing else waits on it.

use super::Slo;
use super::prometheus::{self, Client, Figures};
use crate::model::Health;
use crate::periodic::{Periodic, sleep};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

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
        use super::burn::Verdict;
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

/// One round for one SLO, bounded by its Prometheus's timeout (twice: a round is two waves
/// of queries at once).
async fn round(client: &Result<Client, String>, slo: &Slo, now: DateTime<Utc>) -> Result<Figures, String> {
    let client = client.as_ref().map_err(Clone::clone)?;
    prometheus::figures(client, slo, now).await.map_err(|e| e.to_string())
}

/// Every SLO computed once, now, all at once; in the order given.
pub async fn once(slos: Vec<Slo>, now: DateTime<Utc>) -> Vec<Status> {
    let tasks = slos.into_iter().map(|slo| async move {
        let client = Client::new(&slo.prometheus);
        let mut task = Periodic::new(slo.interval, slo.prometheus.timeout * 2);
        let figures = task.round(|| round(&client, &slo, now)).await.ok();
        Status { figures, health: task.health().clone(), slo }
    });
    futures_util::future::join_all(tasks).await
}

/// What a tracked SLO reports after each round.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub name: String,
    /// New figures, when the round answered.
    pub figures: Option<Box<Figures>>,
    pub health: Health,
}

/// Tracks every SLO on its own interval until `stop` turns true or the receiver is gone.
pub fn spawn(slos: Vec<Slo>, tx: mpsc::Sender<Update>, stop: watch::Receiver<bool>) {
    for slo in slos {
        let (tx, mut stop) = (tx.clone(), stop.clone());
        tokio::spawn(async move {
            let client = Arc::new(Client::new(&slo.prometheus));
            let mut task = Periodic::new(slo.interval, slo.prometheus.timeout * 2);
            loop {
                let result = task.round(|| round(&client, &slo, Utc::now())).await;
                let update = Update {
                    name: slo.name.clone(),
                    figures: result.ok().map(Box::new),
                    health: task.health().clone(),
                };
                if tx.send(update).await.is_err() || !sleep(task.next(None), &mut stop).await {
                    return;
                }
            }
        });
    }
}
