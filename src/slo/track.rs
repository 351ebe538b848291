//! Computing SLOs over time: once (`klaxon slo`), or every SLO on its own interval with the
//! bounds, backoff and health every periodic task has (src/periodic.rs). A Prometheus that
//! fails or refuses a query marks its SLOs failing, keeping their last figures as stale;
//! nothing else waits on it.

use super::Slo;
use super::prometheus::{self, Client, Figures};
pub use super::status::{Status, Update, worst_first};
use crate::periodic::{Periodic, sleep};
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

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

/// Tracks every SLO on its own interval until `stop` turns true or the receiver is gone.
pub fn spawn(slos: Vec<Slo>, tx: mpsc::Sender<Update>, stop: watch::Receiver<bool>) {
    for slo in slos {
        let (tx, mut stop) = (tx.clone(), stop.clone());
        tokio::spawn(async move {
            let client = Client::new(&slo.prometheus);
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
