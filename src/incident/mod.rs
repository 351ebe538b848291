//! Declared incidents ("responses"): many alerts, one response. Not the store's `incidents`
//! table, which is the reports' per-alert firing (one row per time an alert fired, kept by
//! triggers); a declared incident is what people open by hand around many alerts.
//!
//! It is kept as entries of the one timeline, under the key `incident/<id>` (kind
//! `incident`, text: one [`Event`] as JSON). So it is durable first, idempotent on the op id,
//! kept on this host while the team's database is away, and reaches every console through
//! the same follower as acks and notes; its state is the fold of its entries ([`fold`]).
//! This module is pure (no I/O): the console's update and the command line both use it.

pub mod act;
pub mod chat;
pub mod config;
pub mod postmortem;

use crate::model::{AlertKey, Entry, EntryKind, NewEntry, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// The key namespace: an incident's entries are under `incident/<id>`. No source may be
/// called this ([`crate::sources`] names are checked against it).
pub const SOURCE: &str = "incident";

/// The roles with a name of their own; any other name is a role too.
pub const COMMANDER: &str = "commander";
pub const COMMS: &str = "comms";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Investigating, Status::Identified, Status::Monitoring, Status::Resolved];

    pub fn name(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Identified => "identified",
            Status::Monitoring => "monitoring",
            Status::Resolved => "resolved",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Status::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            format!(
                "{:?} is not a status: investigating, identified, monitoring or resolved",
                crate::sanitize::sanitize_line(&s)
            )
        })
    }
}

/// What one incident entry says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Declared {
        title: String,
        severity: Severity,
        alerts: Vec<String>,
    },
    Joined {
        alerts: Vec<String>,
    },
    Left {
        alerts: Vec<String>,
    },
    Status {
        status: Status,
    },
    /// `person` takes `role` (from whoever held it).
    Role {
        role: String,
        person: String,
    },
    /// A status update for the stakeholders: posted to the chat webhooks as written.
    Update {
        status: Status,
        text: String,
    },
    /// A log line kept for the postmortem.
    Pinned {
        line: String,
        from: String,
    },
    /// A runbook someone opened while working it.
    Runbook {
        name: String,
    },
    Closed {
        summary: String,
    },
}

impl Event {
    /// The kind as the timeline filter and the JSON name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Declared { .. } => "declared",
            Event::Joined { .. } => "joined",
            Event::Left { .. } => "left",
            Event::Status { .. } => "status",
            Event::Role { .. } => "role",
            Event::Update { .. } => "update",
            Event::Pinned { .. } => "pinned",
            Event::Runbook { .. } => "runbook",
            Event::Closed { .. } => "closed",
        }
    }

    /// The entry's text; read back by [`Event::parse`]. Each field is cleaned before it is
    /// encoded ([`Event::clean`]): the store cleans an entry's text as a whole, and a line
    /// separator it turned into a newline inside a JSON string would break the JSON.
    pub fn text(&self) -> String {
        serde_json::to_string(&self.clone().clean()).unwrap_or_default()
    }

    /// The event with what a terminal must not see taken out: one-line fields as one line,
    /// texts (an update, a summary) keeping their line breaks.
    pub fn clean(self) -> Event {
        use crate::sanitize::{sanitize, sanitize_line};
        let line = |s: String| sanitize_line(&s).trim().to_owned();
        let lines = |v: Vec<String>| v.into_iter().map(line).collect();
        match self {
            Event::Declared { title, severity, alerts } => {
                Event::Declared { title: line(title), severity, alerts: lines(alerts) }
            }
            Event::Joined { alerts } => Event::Joined { alerts: lines(alerts) },
            Event::Left { alerts } => Event::Left { alerts: lines(alerts) },
            Event::Status { status } => Event::Status { status },
            Event::Role { role, person } => Event::Role { role: line(role), person: line(person) },
            Event::Update { status, text } => Event::Update { status, text: sanitize(&text) },
            Event::Pinned { line: l, from } => Event::Pinned { line: line(l), from: line(from) },
            Event::Runbook { name } => Event::Runbook { name: line(name) },
            Event::Closed { summary } => Event::Closed { summary: sanitize(&summary) },
        }
    }

    pub fn parse(entry: &Entry) -> Option<Event> {
        (entry.kind == EntryKind::Incident).then(|| serde_json::from_str(&entry.text).ok()).flatten()
    }

    /// One line for people: "took the commander role", "posted an update (monitoring): …".
    pub fn describe(&self, actor: &str) -> String {
        match self {
            Event::Declared { title, severity, alerts } => {
                format!("declared the incident \"{title}\" ({severity}) with {}", alerts.join(", "))
            }
            Event::Joined { alerts } => format!("added {}", alerts.join(", ")),
            Event::Left { alerts } => format!("removed {}", alerts.join(", ")),
            Event::Status { status } => format!("set the status to {status}"),
            Event::Role { role, person } if person == actor => format!("took the {role} role"),
            Event::Role { role, person } => format!("handed the {role} role to {person}"),
            Event::Update { status, text } => format!("posted an update ({status}): {text}"),
            Event::Pinned { line, from } => format!("pinned a log line from {from}: {line}"),
            Event::Runbook { name } => format!("opened the runbook {name}"),
            Event::Closed { summary } if summary.is_empty() => "closed the incident".into(),
            Event::Closed { summary } => format!("closed the incident: {summary}"),
        }
    }
}

/// A fresh incident id: 8 hex digits of randomness, made on this host (it works while the
/// team's database is away); collisions are checked when it is declared.
pub fn new_id(rng: &mut fastrand::Rng) -> String {
    format!("{:08x}", rng.u32(..))
}

pub fn key(id: &str) -> AlertKey {
    AlertKey::new(SOURCE, id)
}

pub fn is_incident(key: &AlertKey) -> bool {
    key.source() == SOURCE
}

/// The entry that declares an incident around `alerts` (from one alert, a group, or a
/// selection: whatever the caller collected).
pub fn declare(
    op_id: String,
    at: DateTime<Utc>,
    id: &str,
    actor: &str,
    title: &str,
    severity: Severity,
    alerts: &[AlertKey],
) -> NewEntry {
    let alerts = alerts.iter().map(|k| k.as_str().to_owned()).collect();
    let event = Event::Declared { title: title.to_owned(), severity, alerts };
    NewEntry::stamped(op_id, at, key(id), EntryKind::Incident, actor, &event.text())
}

/// Any other event of incident `id`.
pub fn entry(op_id: String, at: DateTime<Utc>, id: &str, actor: &str, event: &Event) -> NewEntry {
    NewEntry::stamped(op_id, at, key(id), EntryKind::Incident, actor, &event.text())
}

/// When an alert joined an incident and, if it did, left it.
pub type Span = (DateTime<Utc>, Option<DateTime<Utc>>);

/// One incident as its entries say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub declared_by: String,
    pub declared_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The alerts it holds now.
    pub alerts: BTreeSet<String>,
    /// Every alert it held, with when it joined and (if it did) left.
    pub membership: BTreeMap<String, Vec<Span>>,
    /// Role → who holds it.
    pub roles: BTreeMap<String, String>,
    /// Everyone who wrote an entry, in the order they first did.
    pub people: Vec<String>,
    pub last_update_at: Option<DateTime<Utc>>,
    /// Entries written on this host not yet in the team's database.
    pub queued: usize,
    /// Only its id is known: the store was out of reach ([`Incident::unchecked`]).
    #[serde(skip)]
    pub unchecked: bool,
}

impl Incident {
    /// An incident known by its whole id only, to write to while the store is out of reach:
    /// what is written is kept on this host and replayed; nothing about it is checked.
    pub fn unchecked(id: &str, now: DateTime<Utc>) -> Option<Incident> {
        let whole = id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit());
        whole.then(|| Incident { unchecked: true, ..Incident::declared(id, "", Severity::Average, "", now) })
    }

    /// A just-declared incident: investigating, holding nothing yet, nobody in a role.
    fn declared(id: &str, title: &str, severity: Severity, by: &str, at: DateTime<Utc>) -> Incident {
        Incident {
            id: id.to_owned(),
            title: title.to_owned(),
            severity,
            status: Status::Investigating,
            declared_by: by.to_owned(),
            declared_at: at,
            closed_at: None,
            alerts: BTreeSet::new(),
            membership: BTreeMap::new(),
            roles: BTreeMap::new(),
            people: Vec::new(),
            last_update_at: None,
            queued: 0,
            unchecked: false,
        }
    }

    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// The roles `person` holds here.
    pub fn roles_of<'a>(&'a self, person: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.roles.iter().filter(move |(_, p)| p.as_str() == person).map(|(r, _)| r.as_str())
    }

    /// Whether `key` was a member at `at` (entries of an alert while it was in the incident
    /// belong to its timeline).
    pub fn held_at(&self, key: &str, at: DateTime<Utc>) -> bool {
        self.membership.get(key).is_some_and(|spans| spans.iter().any(|(_, left)| left.is_none_or(|l| at <= l)))
    }

    /// Open and no update for `every` since it was declared or last updated: time to tell people.
    pub fn update_due(&self, now: DateTime<Utc>, every: chrono::Duration) -> bool {
        self.is_open() && now - self.last_update_at.unwrap_or(self.declared_at) >= every
    }

    fn apply(&mut self, e: &Entry, event: &Event) {
        if !self.people.contains(&e.actor) {
            self.people.push(e.actor.clone());
        }
        if e.is_queued() {
            self.queued += 1;
        }
        match event {
            Event::Declared { .. } => {}
            Event::Joined { alerts } => self.join(alerts, e.at),
            Event::Left { alerts } => {
                for a in alerts {
                    if self.alerts.remove(a)
                        && let Some(last) = self.membership.get_mut(a).and_then(|s| s.last_mut())
                    {
                        last.1 = Some(e.at);
                    }
                }
            }
            Event::Status { status } => self.status = *status,
            Event::Role { role, person } => {
                self.roles.insert(role.clone(), person.clone());
            }
            Event::Update { status, .. } => {
                self.status = *status;
                self.last_update_at = Some(e.at);
            }
            Event::Pinned { .. } | Event::Runbook { .. } => {}
            Event::Closed { .. } => {
                self.closed_at.get_or_insert(e.at);
                self.status = Status::Resolved;
            }
        }
    }

    fn join(&mut self, alerts: &[String], at: DateTime<Utc>) {
        for a in alerts {
            if self.alerts.insert(a.clone()) {
                self.membership.entry(a.clone()).or_default().push((at, None));
            }
        }
    }
}

/// The incidents that `entries` (incident entries, in timeline order) describe, in the order
/// they were declared. Entries of an incident whose declaration is not among them are
/// skipped; so are texts that do not parse (written by a newer klaxon).
pub fn fold<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<Incident> {
    let mut all: Vec<Incident> = Vec::new();
    for e in entries {
        let Some(event) = Event::parse(e) else { continue };
        let id = e.alert_key.id();
        if let Event::Declared { title, severity, alerts } = &event {
            if all.iter().any(|i| i.id == id) {
                continue;
            }
            let mut inc = Incident::declared(id, title, *severity, &e.actor, e.at);
            inc.join(alerts, e.at);
            inc.apply(e, &event);
            all.push(inc);
        } else if let Some(inc) = all.iter_mut().find(|i| i.id == id) {
            inc.apply(e, &event);
        }
    }
    all
}

/// One line of the merged timeline: an incident entry or an entry of one of its alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The incident event's kind ("role", "update"…), or the alert entry's ("acked"…).
    pub kind: String,
    /// The alert it is about; None for the incident's own entries.
    pub alert: Option<String>,
    /// What happened, for people.
    pub what: String,
    /// The incident event itself (None for an alert's entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    pub op_id: String,
    pub queued: bool,
}

/// The incident's entries and those of its alerts while they were in it, merged by time
/// (then by timeline order), each once.
pub fn merge(inc: &Incident, own: &[Entry], alerts: &[Entry]) -> Vec<Line> {
    let mut lines: Vec<(DateTime<Utc>, (bool, i64), Line)> = Vec::new();
    for e in own {
        let Some(event) = Event::parse(e) else { continue };
        let line = Line {
            at: e.at,
            actor: e.actor.clone(),
            kind: event.kind().into(),
            alert: None,
            what: event.describe(&e.actor),
            event: Some(event),
            op_id: e.op_id.clone(),
            queued: e.is_queued(),
        };
        lines.push((e.at, e.order(), line));
    }
    let mut seen = BTreeSet::new();
    for e in alerts.iter().filter(|e| inc.held_at(e.alert_key.as_str(), e.at) || held_before(inc, e)) {
        if !seen.insert(e.op_id.clone()) {
            continue;
        }
        let mut what = e.describe();
        if !e.text.is_empty() {
            what = format!("{what}: {}", e.text);
        }
        let line = Line {
            at: e.at,
            actor: e.actor.clone(),
            kind: e.kind.name().into(),
            alert: Some(e.alert_key.as_str().to_owned()),
            what,
            event: None,
            op_id: e.op_id.clone(),
            queued: e.is_queued(),
        };
        lines.push((e.at, e.order(), line));
    }
    lines.sort_by_key(|(at, order, _)| (*at, *order));
    lines.into_iter().map(|(_, _, l)| l).collect()
}

/// An alert's entries from before it joined belong too (its firing, who acked it first):
/// the impact starts with the first alert, not with the declaration.
fn held_before(inc: &Incident, e: &Entry) -> bool {
    inc.membership.get(e.alert_key.as_str()).and_then(|s| s.first()).is_some_and(|(joined, _)| e.at <= *joined)
}

/// Keeps the lines of these kinds (empty: all) by these people (empty: all).
pub fn filter(lines: Vec<Line>, kinds: &[String], people: &[String]) -> Vec<Line> {
    lines
        .into_iter()
        .filter(|l| kinds.is_empty() || kinds.iter().any(|k| k.eq_ignore_ascii_case(&l.kind)))
        .filter(|l| people.is_empty() || people.iter().any(|p| p == &l.actor))
        .collect()
}

/// The incident whose id is `input` or starts with it: one, or why not.
pub fn find<'a>(all: &'a [Incident], input: &str) -> Result<&'a Incident, String> {
    let input = input.trim().trim_start_matches("incident/");
    if let Some(exact) = all.iter().find(|i| i.id == input) {
        return Ok(exact);
    }
    let hits: Vec<&Incident> = all.iter().filter(|i| !input.is_empty() && i.id.starts_with(input)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no incident {:?} (`klaxon incident list --all` lists them)",
            crate::sanitize::sanitize_line(input)
        )),
        _ => Err(format!(
            "{:?} names {} incidents: give more of the id",
            crate::sanitize::sanitize_line(input),
            hits.len()
        )),
    }
}
