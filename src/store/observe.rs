//! What a source's snapshot changes in the store, decided once for both backends: `seen`
//! for new or re-fired alerts, `severity-changed`, and `resolved` for open alerts missing
//! from it. A new title alone updates the row but is no timeline event.

use crate::model::{Alert, Entry, EntryKind, NewEntry, Severity, Status};
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use std::collections::HashMap;

/// Who writes what klaxon observed.
pub const OBSERVER: &str = "klaxon";

/// What the store holds open for one source: key → (severity, title).
pub type Open = HashMap<CompactString, (Severity, String)>;

/// A source's open alerts read ahead of its snapshot, with what tells whether anything was
/// written since (by anyone): only then is it still what the store holds.
pub struct ReadAhead {
    pub(super) open: Open,
    pub(super) version: (i64, i64),
}

/// What [`super::Store::observe_read_ahead`] did.
#[derive(Debug)]
pub struct Observed {
    /// The entries written.
    pub written: Vec<Entry>,
    /// Nothing was written to the store between the read ahead and this snapshot's
    /// transaction: anything else read ahead then is still what the store holds.
    pub ahead_was_current: bool,
}

pub struct Plan<'a> {
    /// Alerts whose row is written (new, re-fired, or changed).
    pub upserts: Vec<&'a Alert>,
    /// Timeline entries, in the snapshot's order, then the resolved ones.
    pub entries: Vec<NewEntry>,
    /// Keys of open alerts the snapshot no longer has.
    pub resolved: Vec<String>,
    /// What people did in the source's own UI, each with an op_id derived from the source's
    /// id for it: written once however often it is seen (the store skips known op_ids).
    pub from_source: Vec<NewEntry>,
}

/// `open` is what the store holds open for this source.
pub fn plan<'a>(mut open: Open, alerts: &'a [Alert], at: DateTime<Utc>) -> Plan<'a> {
    let mut p = Plan { upserts: Vec::new(), entries: Vec::new(), resolved: Vec::new(), from_source: Vec::new() };
    for alert in alerts {
        for ack in &alert.source_acks {
            let Some(id) = &ack.id else { continue };
            let source = alert.key.source();
            let text = if ack.text.is_empty() { format!("in {source}") } else { format!("in {source}: {}", ack.text) };
            let mut e = NewEntry::new(alert.key.clone(), ack.kind, &ack.by, &text);
            e.op_id = format!("{}#{id}", alert.key);
            e.at = ack.at.unwrap_or(at);
            p.from_source.push(e);
        }
    }
    for alert in alerts.iter().filter(|a| a.status != Status::Resolved) {
        let entry = match open.remove(alert.key.as_str()) {
            None => Some(NewEntry::new(alert.key.clone(), EntryKind::Seen, OBSERVER, &alert.title)),
            Some((old, _)) if old != alert.severity => Some(NewEntry::new(
                alert.key.clone(),
                EntryKind::SeverityChanged,
                OBSERVER,
                &format!("{old} → {}", alert.severity),
            )),
            Some((_, title)) if title != alert.title => None,
            Some(_) => continue,
        };
        p.upserts.push(alert);
        if let Some(mut e) = entry {
            e.at = at;
            p.entries.push(e.with_level(severity_rank(alert.severity)));
        }
    }
    let mut gone: Vec<String> = open.into_keys().map(CompactString::into_string).collect();
    gone.sort();
    for key in gone {
        let alert_key = crate::model::AlertKey::parse(&key).unwrap_or_else(|| crate::model::AlertKey::new("?", &key));
        let mut e = NewEntry::new(alert_key, EntryKind::Resolved, OBSERVER, "");
        e.at = at;
        p.entries.push(e);
        p.resolved.push(key);
    }
    p
}

pub fn severity_rank(s: Severity) -> i64 {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0) as i64
}
