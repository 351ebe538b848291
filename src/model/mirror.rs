//! A person's action on its way to the source that owns the alert (an Alertmanager
//! silence, a Zabbix acknowledge, …). It is stored with the entry, in one transaction,
//! before anything leaves the machine, and is done only when the source confirms it.

use super::{AlertKey, EntryKind};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorOp {
    /// The entry's op_id: also the idempotency key at the source.
    pub op_id: String,
    pub alert_key: AlertKey,
    pub kind: EntryKind,
    pub actor: String,
    pub text: String,
    /// The entry's level: the escalation level, or the severity rank a person set.
    pub level: Option<i64>,
    /// The alert's labels when the person acted (a silence matches on them).
    pub labels: super::Fields,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    /// What this builds on: the acknowledgement still in force at the source, as
    /// (its op_id, its remote id), e.g. the silence a note updates or an unack expires.
    pub prior: Option<(String, String)>,
}

/// What the source confirmed after reading it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorDone {
    /// The source's id for what now stands (a silence id); None when nothing needed doing.
    pub remote_id: Option<String>,
    pub prior: PriorUpdate,
    /// One line for the person: "silence 4f3a… created until 03:30".
    pub summary: String,
}

impl MirrorDone {
    /// What to record for the acknowledgement `op` built on, as (its op_id, its remote id
    /// now, None when it no longer stands); None when nothing changes.
    pub fn prior_change<'a>(&'a self, op: &'a MirrorOp) -> Option<(&'a str, Option<&'a str>)> {
        let (prior_op, _) = op.prior.as_ref()?;
        match &self.prior {
            PriorUpdate::Keep => None,
            PriorUpdate::Replace(id) => Some((prior_op, Some(id))),
            PriorUpdate::Clear => Some((prior_op, None)),
        }
    }
}

/// What became of the acknowledgement this op built on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriorUpdate {
    Keep,
    /// It now has another remote id (Alertmanager answers some updates with a new silence).
    Replace(String),
    /// It no longer stands at the source (the silence was expired).
    Clear,
}
