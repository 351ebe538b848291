//! The timeline: every ack, note, escalation and lifecycle change, in order.

use super::AlertKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Seen,
    SeverityChanged,
    Acked,
    Unacked,
    Note,
    Escalated,
    Resolved,
    Notified,
    /// A person set the severity at the source (level: the new severity's rank).
    SeveritySet,
    /// A person closed the problem at the source.
    Closed,
    /// A person handed the problem to someone else at the source (text: [`Reassign`]).
    Reassigned,
    /// A person made, extended or expired a silence at the source (text: [`super::SilenceOp`]).
    Silenced,
    /// An entry of a declared incident (key `incident/<id>`, text: a
    /// [`crate::incident::Event`] as JSON).
    Incident,
}

impl EntryKind {
    pub const ALL: [EntryKind; 13] = [
        EntryKind::Seen,
        EntryKind::SeverityChanged,
        EntryKind::Acked,
        EntryKind::Unacked,
        EntryKind::Note,
        EntryKind::Escalated,
        EntryKind::Resolved,
        EntryKind::Notified,
        EntryKind::SeveritySet,
        EntryKind::Closed,
        EntryKind::Reassigned,
        EntryKind::Silenced,
        EntryKind::Incident,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Seen => "seen",
            EntryKind::SeverityChanged => "severity-changed",
            EntryKind::Acked => "acked",
            EntryKind::Unacked => "unacked",
            EntryKind::Note => "note",
            EntryKind::Escalated => "escalated",
            EntryKind::Resolved => "resolved",
            EntryKind::Notified => "notified",
            EntryKind::SeveritySet => "severity-set",
            EntryKind::Closed => "closed",
            EntryKind::Reassigned => "reassigned",
            EntryKind::Silenced => "silenced",
            EntryKind::Incident => "incident",
        }
    }

    /// Entries a person made, as opposed to what klaxon observed.
    pub fn is_human(self) -> bool {
        matches!(
            self,
            EntryKind::Acked
                | EntryKind::Unacked
                | EntryKind::Note
                | EntryKind::Escalated
                | EntryKind::SeveritySet
                | EntryKind::Closed
                | EntryKind::Reassigned
        )
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| format!("unknown entry kind {s:?}"))
    }
}

/// What a `reassigned` entry says: who the problem goes to (the name a person gave, and
/// the email the vendor finds the user by) and the person's words. Its text is
/// `to NAME <EMAIL>` or `to EMAIL`, then `: NOTE` when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassign {
    pub name: String,
    pub email: String,
    pub note: String,
}

impl Reassign {
    /// Why `name` cannot be a name in a reassignment's text, if it cannot.
    pub fn bad_name(name: &str) -> Option<String> {
        let name = name.trim();
        if name.is_empty() {
            Some("whom to reassign to: a name or an email".into())
        } else if name.contains(['<', '>', ':', '\n']) {
            Some(format!("{name:?}: a name without '<', '>', ':' or line breaks"))
        } else {
            None
        }
    }

    /// Why `email` cannot be an email, if it cannot.
    pub fn bad_email(email: &str) -> Option<String> {
        let ok = email.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
            && !email.contains(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ':' | ','));
        (!ok).then(|| format!("{email:?} is not an email address"))
    }

    pub fn text(&self) -> String {
        let to = if self.name == self.email { self.email.clone() } else { format!("{} <{}>", self.name, self.email) };
        if self.note.is_empty() { format!("to {to}") } else { format!("to {to}: {}", self.note) }
    }

    /// The entry's text read back; None when it is not a reassignment's.
    pub fn parse(text: &str) -> Option<Reassign> {
        let rest = text.strip_prefix("to ")?;
        let (to, note) = match rest.split_once(": ") {
            Some((to, note)) => (to, note.to_owned()),
            None => (rest, String::new()),
        };
        let (name, email) = match to.strip_suffix('>').and_then(|t| t.split_once(" <")) {
            Some((name, email)) => (name.to_owned(), email.to_owned()),
            None => (to.to_owned(), to.to_owned()),
        };
        if Reassign::bad_email(&email).is_some() || Reassign::bad_name(&name).is_some() {
            return None;
        }
        Some(Reassign { name, email, note })
    }
}

/// An entry about to be written. `op_id` is the idempotency key: writing the same
/// `op_id` twice stores one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub op_id: String,
    pub alert_key: AlertKey,
    pub kind: EntryKind,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub text: String,
    /// Escalation level for `escalated`; severity rank for `severity-changed`.
    pub level: Option<i64>,
}

impl NewEntry {
    /// An entry made now, with a fresh op id: for the command line, which acts at its edge.
    pub fn new(alert_key: AlertKey, kind: EntryKind, actor: &str, text: &str) -> Self {
        NewEntry::stamped(new_op_id(), Utc::now(), alert_key, kind, actor, text)
    }

    /// An entry whose id and time the caller brings: the console's update takes them from
    /// its clock and its seeded [`OpIds`], so the same messages make the same entries.
    pub fn stamped(
        op_id: String,
        at: DateTime<Utc>,
        alert_key: AlertKey,
        kind: EntryKind,
        actor: &str,
        text: &str,
    ) -> Self {
        NewEntry {
            op_id,
            alert_key,
            kind,
            actor: actor.to_owned(),
            at,
            text: crate::sanitize::sanitize(text),
            level: None,
        }
    }

    pub fn with_level(mut self, level: i64) -> Self {
        self.level = Some(level);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub op_id: String,
    pub alert_key: AlertKey,
    pub kind: EntryKind,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub text: String,
    pub level: Option<i64>,
    /// The database account that wrote it (PostgreSQL's `session_user`): unlike `actor`,
    /// which comes from a config file, nobody can set it. None in SQLite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_user: Option<String>,
}

impl Entry {
    /// Written locally and waiting for the team backend: not in the shared timeline yet.
    pub fn is_queued(&self) -> bool {
        self.id <= 0
    }

    /// Timeline order: stored entries by id, then queued ones in the order people acted.
    pub fn order(&self) -> (bool, i64) {
        (self.is_queued(), self.id.abs())
    }

    /// What happened, for people ("acknowledged", "escalated to level 2"), without the text.
    pub fn describe(&self) -> String {
        match self.kind {
            EntryKind::Seen => "first seen".to_string(),
            EntryKind::SeverityChanged => "severity changed".to_string(),
            EntryKind::Acked => "acknowledged".to_string(),
            EntryKind::Unacked => "unacknowledged".to_string(),
            EntryKind::Note => "noted".to_string(),
            EntryKind::Escalated => format!("escalated to level {}", self.level.unwrap_or(1)),
            EntryKind::Resolved => "resolved".to_string(),
            EntryKind::Notified => "notified".to_string(),
            EntryKind::SeveritySet => match self.level.and_then(|l| super::Severity::ALL.get(l as usize)) {
                Some(s) => format!("set the severity to {s}"),
                None => "set the severity".to_string(),
            },
            EntryKind::Closed => "closed it".to_string(),
            EntryKind::Reassigned => "reassigned it".to_string(),
            EntryKind::Silenced => "silenced".to_string(),
            EntryKind::Incident => "wrote an incident entry".to_string(),
        }
    }
}

/// A fresh idempotency key, time-ordered like a UUIDv7: 48 bits of milliseconds, then 80
/// random bits, as 32 hex digits. Ordered keys append at the end of the store's unique
/// index instead of scattering across it.
pub fn new_op_id() -> String {
    op_id(Utc::now(), fastrand::u16(..), fastrand::u64(..))
}

fn op_id(at: DateTime<Utc>, high: u16, low: u64) -> String {
    let ms = at.timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
    format!("{ms:012x}{high:04x}{low:016x}")
}

/// Op ids in the shape of [`new_op_id`], with the random bits drawn from a seeded generator:
/// the same seed and the same times give the same ids, so the console's update is
/// deterministic and its tests compare whole entries. The runtime seeds it from real
/// randomness, so consoles sharing a store do not draw the same bits.
#[derive(Debug, Clone)]
pub struct OpIds(fastrand::Rng);

impl OpIds {
    pub fn seeded(seed: u64) -> Self {
        OpIds(fastrand::Rng::with_seed(seed))
    }

    /// The next id, ordered by `at` (milliseconds) like every op id.
    pub fn next(&mut self, at: DateTime<Utc>) -> String {
        op_id(at, self.0.u16(..), self.0.u64(..))
    }
}

/// What the timeline says of one alert's current incident (since it was last seen firing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// The first person who acknowledged and has not since unacknowledged.
    pub owner: Option<String>,
    pub acked_at: Option<DateTime<Utc>>,
    /// Highest escalation level reached, 0 when never escalated.
    pub escalation_level: i64,
}

impl Ownership {
    /// Folds a timeline in id order. A new `seen` starts a new incident: an old ack
    /// does not carry over to a re-fired alert. When two people acknowledge at once,
    /// both entries stay and the first one owns it.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Self {
        let mut own = Ownership::default();
        entries.into_iter().for_each(|e| own.apply(e));
        own
    }

    /// One step of the fold: entries arriving in id order can be applied one at a time,
    /// so a console need not read a whole timeline to keep ownership right.
    pub fn apply(&mut self, e: &Entry) {
        match e.kind {
            EntryKind::Seen => *self = Ownership::default(),
            EntryKind::Acked if self.owner.is_none() => {
                self.owner = Some(e.actor.clone());
                self.acked_at = Some(e.at);
            }
            EntryKind::Unacked => {
                self.owner = None;
                self.acked_at = None;
            }
            EntryKind::Escalated => self.escalation_level = self.escalation_level.max(e.level.unwrap_or(0)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, kind: EntryKind, actor: &str, level: Option<i64>) -> Entry {
        Entry {
            id,
            op_id: id.to_string(),
            alert_key: AlertKey::new("s", "a"),
            kind,
            actor: actor.into(),
            at: Utc::now(),
            text: String::new(),
            level,
            db_user: None,
        }
    }

    #[test]
    fn first_ack_owns_and_unack_releases() {
        use EntryKind::*;
        let t = [entry(1, Seen, "klaxon", None), entry(2, Acked, "alice", None), entry(3, Acked, "bob", None)];
        assert_eq!(Ownership::from_entries(&t).owner.as_deref(), Some("alice"));
        let t = [entry(1, Acked, "alice", None), entry(2, Unacked, "alice", None), entry(3, Acked, "bob", None)];
        assert_eq!(Ownership::from_entries(&t).owner.as_deref(), Some("bob"));
    }

    #[test]
    fn refire_starts_a_new_incident() {
        use EntryKind::*;
        let t = [
            entry(1, Acked, "alice", None),
            entry(2, Escalated, "alice", Some(2)),
            entry(3, Resolved, "klaxon", None),
            entry(4, Seen, "klaxon", None),
        ];
        assert_eq!(Ownership::from_entries(&t), Ownership::default());
        assert_eq!(Ownership::from_entries(&t[..2]).escalation_level, 2);
    }

    #[test]
    fn kind_names_round_trip() {
        for k in EntryKind::ALL {
            assert_eq!(k.name().parse::<EntryKind>(), Ok(k));
        }
    }

    #[test]
    fn op_ids_are_unique() {
        assert_ne!(new_op_id(), new_op_id());
        assert_eq!(new_op_id().len(), 32);
    }

    #[test]
    fn seeded_op_ids_repeat_for_a_seed_and_keep_the_time_order() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 3, 14, 0).unwrap();
        let draw = |seed| {
            let mut ids = OpIds::seeded(seed);
            [ids.next(at), ids.next(at), ids.next(at + chrono::Duration::milliseconds(1))]
        };
        let [a, b, c] = draw(7);
        assert_eq!(draw(7), [a.clone(), b.clone(), c.clone()], "same seed, same ids");
        assert_ne!(draw(8)[0], a, "another seed (another console), other ids");
        assert_ne!(a, b, "unique within one console");
        // 48 bits of milliseconds first, then 80 random bits: ordered by time like new_op_id.
        let ms = format!("{:012x}", at.timestamp_millis());
        assert!(a.starts_with(&ms) && b.starts_with(&ms), "{a} {b}");
        assert!(a < c && b < c, "a later millisecond sorts after");
        assert!([&a, &b, &c].iter().all(|id| id.len() == 32 && id.bytes().all(|x| x.is_ascii_hexdigit())));
        assert_eq!(new_op_id().len(), a.len(), "the same shape as the command line's");
    }
}
