//! Alert sources: one file per system behind the small [`AlertSource`] trait, and the
//! poller that runs each of them in its own task.

pub mod alertmanager;
pub mod cache;
pub mod checks;
pub mod demo;
pub mod http;
pub mod poller;
pub mod zabbix;

use crate::config::{SourceConfig, SourceKind};
use crate::model::{Alert, EntryKind, MirrorDone, MirrorOp};
use std::future::Future;
use std::pin::Pin;

pub type PollFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Alert>, SourceError>> + Send + 'a>>;
pub type MirrorFuture<'a> = Pin<Box<dyn Future<Output = Result<MirrorDone, SourceError>> + Send + 'a>>;

/// A system klaxon reads alerts from.
pub trait AlertSource: Send + Sync {
    /// The configured name, the first half of every key this source produces.
    fn name(&self) -> &str;

    /// Fetches the current alerts. The poller bounds the call with the source's total
    /// timeout and sanitizes every alert it returns ([`poller::border`]).
    fn poll(&self) -> PollFuture<'_>;

    /// Whether entries of this kind are also carried to the source (through the outbox).
    fn mirrors(&self, _kind: EntryKind) -> bool {
        false
    }

    /// Carries one action to the source and confirms it by reading it back. Must be safe to
    /// repeat: a retry after a lost answer must not act twice (`op.op_id` is the key).
    fn mirror<'a>(&'a self, _op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async { Err(SourceError::new("this source takes no actions")) })
    }
}

/// The mark an action carries at its source (a silence comment, a Zabbix message): a retry
/// that finds it knows the action was done and does not do it twice.
pub(crate) fn op_mark(op_id: &str) -> String {
    format!("[klaxon op {op_id}]")
}

/// Text without klaxon's op marks, for people to read.
pub(crate) fn without_marks(text: &str) -> String {
    let mut text = text.to_owned();
    while let Some(start) = text.find("[klaxon op ") {
        let end = text[start..].find(']').map_or(text.len(), |e| start + e + 1);
        text.replace_range(start..end, "");
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a poll failed, in words fit for the status bar: never a secret, always sanitized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(String);

impl SourceError {
    pub fn new(message: impl AsRef<str>) -> Self {
        // The one place where what a server said becomes an error: secrets it echoed go here.
        SourceError(crate::sanitize::sanitize_line(&crate::config::redact(message.as_ref())))
    }
}

/// Builds the source a `[[sources]]` entry describes.
pub fn build(cfg: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
    Ok(match &cfg.kind {
        SourceKind::Demo(demo) => Box::new(demo::DemoSource::new(&cfg.name, demo, cfg.severity_map.clone())),
        SourceKind::Checks(checks) => Box::new(checks::ChecksSource::new(cfg, checks)?),
        SourceKind::Alertmanager(am) => Box::new(alertmanager::AlertmanagerSource::new(cfg, am)?),
        SourceKind::Zabbix(z) => Box::new(zabbix::ZabbixSource::new(cfg, z)?),
    })
}
