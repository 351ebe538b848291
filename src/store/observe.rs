//! What a source's snapshot changes in the store, decided once for both backends: `seen`
//! for new or re-fired alerts, `severity-changed`, and `resolved` for open alerts missing
//! from it. A new title alone updates the row but is no timeline event.

use crate::model::{Alert, EntryKind, NewEntry, Severity, Status};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Who writes what klaxon observed.
pub const OBSERVER: &str = "klaxon";

pub struct Plan<'a> {
    /// Alerts whose row is written (new, re-fired, or changed).
    pub upserts: Vec<&'a Alert>,
    /// Timeline entries, in the snapshot's order, then the resolved ones.
    pub entries: Vec<NewEntry>,
    /// Keys of open alerts the snapshot no longer has.
    pub resolved: Vec<String>,
}

/// `open` is what the store holds open for this source: key → (severity, title).
pub fn plan<'a>(mut open: HashMap<String, (Severity, String)>, alerts: &'a [Alert], at: DateTime<Utc>) -> Plan<'a> {
    let mut p = Plan { upserts: Vec::new(), entries: Vec::new(), resolved: Vec::new() };
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
    let mut gone: Vec<String> = open.into_keys().collect();
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
