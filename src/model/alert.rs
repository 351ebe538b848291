//! An alert as every source reports it, knowing no vendor.

use super::{Fields, Severity};
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `<source-name>/<native id>`, e.g. `prod/4f3a9c1b2d0e`. Held inline up to 24 bytes (an
/// Alertmanager source's 16-digit fingerprints fit with a short source name): a storm's keys
/// are made, cloned into the board's items and hashed without an allocation each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertKey(CompactString);

impl AlertKey {
    pub fn new(source: &str, id: &str) -> Self {
        let mut key = CompactString::with_capacity(source.len() + 1 + id.len());
        key.extend([source, "/", id]);
        AlertKey(key)
    }

    /// Splits `source/id`; the id may itself contain `/`.
    pub fn parse(s: &str) -> Option<Self> {
        let (source, id) = s.split_once('/')?;
        (!source.is_empty() && !id.is_empty()).then(|| AlertKey(s.into()))
    }

    pub fn source(&self) -> &str {
        self.0.split_once('/').map_or("", |(s, _)| s)
    }

    pub fn id(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, id)| id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Firing,
    Acknowledged,
    Suppressed,
    Resolved,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Firing => "firing",
            Status::Acknowledged => "acknowledged",
            Status::Suppressed => "suppressed",
            Status::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// What the link is: "runbook", "source", "graph", … (short: held inline).
    pub kind: CompactString,
    pub url: String,
}

/// An acknowledgement the source itself knows of (made in its own UI, or mirrored by klaxon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceAck {
    pub by: String,
    pub at: Option<DateTime<Utc>>,
    pub text: String,
    /// The source's own id for it: given, the action is copied into klaxon's timeline once
    /// (what people did in the source's UI belongs to the incident's story).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What it was: an acknowledgement, its withdrawal, or a message.
    #[serde(default = "acked")]
    pub kind: crate::model::EntryKind,
}

fn acked() -> crate::model::EntryKind {
    crate::model::EntryKind::Acked
}

/// One source's alerts as polled, shared: the screen, the store and the snapshot cache read
/// the same copy. Whoever needs them owned takes them with `Arc::unwrap_or_clone` off the
/// async runtime: copying (or freeing) a storm's worth holds a thread for tens of
/// milliseconds, and the thread that answers keys must never queue behind that.
pub type SharedAlerts = std::sync::Arc<Vec<Alert>>;

/// What the source did not say and klaxon filled in, so the screen can mark it as such.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guessed {
    /// Why the severity is the source's `default_severity`: none was given, or a word no
    /// mapping knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The source does not say when the problem started: `started_at` is when klaxon first
    /// saw it (carried across restarts by the snapshot cache).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub started_at: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub key: AlertKey,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    #[serde(with = "crate::model::timestamp")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "crate::model::timestamp")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub labels: Fields,
    #[serde(default)]
    pub annotations: Fields,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub source_acks: Vec<SourceAck>,
    /// Why it is suppressed, when it is: "silenced by alice: maintenance window".
    #[serde(default)]
    pub suppression: Option<String>,
    #[serde(default)]
    pub guessed: Guessed,
}

impl Alert {
    /// A bare firing alert for unit tests: `source/id`, title `id`, started at `at`.
    #[cfg(test)]
    pub(crate) fn test(source: &str, id: &str, severity: Severity, at: DateTime<Utc>) -> Alert {
        Alert {
            key: AlertKey::new(source, id),
            title: id.into(),
            severity,
            status: Status::Firing,
            started_at: at,
            updated_at: at,
            labels: Default::default(),
            annotations: Default::default(),
            host: None,
            service: None,
            links: vec![],
            source_acks: vec![],
            suppression: None,
            guessed: Guessed::default(),
        }
    }

    pub fn source(&self) -> &str {
        self.key.source()
    }

    pub fn link(&self, kind: &str) -> Option<&str> {
        self.links.iter().find(|l| l.kind == kind).map(|l| l.url.as_str())
    }

    /// Passes every text field through [`crate::sanitize`]: sources call this on what
    /// they built from outside data, so nothing unclean reaches state. Clean text (nearly
    /// all of it) is left where it is, without a copy.
    pub fn sanitized(mut self) -> Self {
        clean(&mut self.title, true);
        clean_map(&mut self.labels, true);
        clean_map(&mut self.annotations, false);
        for field in [&mut self.host, &mut self.service].into_iter().flatten() {
            clean(field, true);
        }
        for link in &mut self.links {
            if let Some(clean) = cleaned(&link.kind, true) {
                link.kind = clean.into();
            }
            clean(&mut link.url, true);
        }
        if let Some(s) = &mut self.suppression {
            clean(s, true);
        }
        if let Some(s) = &mut self.guessed.severity {
            clean(s, true);
        }
        for ack in &mut self.source_acks {
            clean(&mut ack.by, true);
            clean(&mut ack.text, false);
        }
        self
    }

    /// What serde writes of it (`serde_json::to_writer`), written by hand: the snapshot
    /// cache holds 50,000 of them and is rewritten beside `list`'s printing. The rare parts
    /// (a source's own acks) still go through serde.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        use crate::{json_text::Object, model::timestamp::write};
        let mut o = Object::new(out);
        o.string("key", self.key.as_str()).string("title", &self.title);
        o.string("severity", self.severity.name()).string("status", self.status.name());
        o.plain("started_at", |out| write(out, &self.started_at))
            .plain("updated_at", |out| write(out, &self.updated_at));
        o.object("labels", self.labels.iter()).object("annotations", self.annotations.iter());
        o.optional("host", self.host.as_deref()).optional("service", self.service.as_deref());
        let links = o.member("links");
        links.push(b'[');
        for (i, link) in self.links.iter().enumerate() {
            if i > 0 {
                links.push(b',');
            }
            let mut l = Object::new(links);
            l.string("kind", &link.kind).string("url", &link.url);
            l.end();
        }
        links.push(b']');
        serde_json::to_writer(o.member("source_acks"), &self.source_acks)?;
        o.optional("suppression", self.suppression.as_deref());
        let mut guessed = Object::new(o.member("guessed"));
        if let Some(severity) = &self.guessed.severity {
            guessed.string("severity", severity);
        }
        if self.guessed.started_at {
            guessed.member("started_at").extend_from_slice(b"true");
        }
        guessed.end();
        o.end();
        Ok(())
    }
}

fn clean(s: &mut String, one_line: bool) {
    if let Some(clean) = cleaned(s, one_line) {
        *s = clean;
    }
}

/// A key is always one line; a value as `one_line` says.
fn clean_map(map: &mut Fields, one_line: bool) {
    map.rewrite(|s, key| cleaned(s, key || one_line));
}

/// The sanitized text, or None when `s` is clean already (nearly always: no copy made).
fn cleaned(s: &str, one_line: bool) -> Option<String> {
    use crate::sanitize::{is_clean, is_printable_ascii, sanitize, sanitize_line};
    if is_printable_ascii(s) || (is_clean(s) && !(one_line && s.contains('\n'))) {
        return None;
    }
    Some(if one_line { sanitize_line(s) } else { sanitize(s) })
}

#[cfg(test)]
mod tests {
    use super::*;

    quickcheck::quickcheck! {
        /// Any text in any field, each optional part there or not: the hand-written JSON is
        /// serde's, and reads back as the same alert.
        fn written_json_is_serdes(
            text: (String, String, Option<String>, Option<String>),
            labels: Vec<(String, String)>,
            links: Vec<(String, String)>,
            acks: Vec<(String, String, Option<String>)>,
            guessed: (Option<String>, bool),
            kinds: (u8, u8),
            millis: (u32, u32)
        ) -> bool {
            let (title, note, host, service) = text;
            let at = |ms: u32| DateTime::from_timestamp_millis(1_700_000_000_000 + i64::from(ms)).unwrap();
            let alert = Alert {
                key: AlertKey::new("am", &title),
                severity: Severity::ALL[usize::from(kinds.0) % Severity::ALL.len()],
                status: [Status::Firing, Status::Acknowledged, Status::Suppressed, Status::Resolved][usize::from(kinds.1) % 4],
                started_at: at(millis.0),
                updated_at: at(millis.1),
                labels: labels.iter().cloned().collect(),
                annotations: labels.iter().map(|(k, v)| (v.clone(), k.clone())).collect(),
                host,
                service,
                links: links.into_iter().map(|(kind, url)| Link { kind: kind.into(), url }).collect(),
                source_acks: acks
                    .into_iter()
                    .map(|(by, text, id)| SourceAck { by, at: id.as_ref().map(|_| at(millis.0)), text, id, kind: acked() })
                    .collect(),
                suppression: Some(note).filter(|n| n.len() % 2 == 0),
                guessed: Guessed { severity: guessed.0, started_at: guessed.1 },
                title,
            };
            let mut ours = Vec::new();
            alert.write_json(&mut ours).unwrap();
            ours == serde_json::to_vec(&alert).unwrap() && serde_json::from_slice::<Alert>(&ours).unwrap() == alert
        }
    }

    #[test]
    fn key_splits_source_and_id() {
        let key = AlertKey::parse("prod/4f3a/9c").unwrap();
        assert_eq!(key.source(), "prod");
        assert_eq!(key.id(), "4f3a/9c");
        assert!(AlertKey::parse("noslash").is_none());
        assert!(AlertKey::parse("/id").is_none());
        assert!(AlertKey::parse("src/").is_none());
    }

    #[test]
    fn sanitized_cleans_every_text_field() {
        let now = Utc::now();
        let alert = Alert {
            key: AlertKey::new("s", "1"),
            title: "disk\x1b[2J full\non /".into(),
            severity: Severity::High,
            status: Status::Firing,
            started_at: now,
            updated_at: now,
            labels: [("inst\x07".to_string(), "a\u{202e}b".to_string())].into(),
            annotations: [("d".to_string(), "x\ny\x1b]0;t\x07".to_string())].into(),
            host: Some("h\x00".into()),
            service: None,
            links: vec![Link { kind: "runbook".into(), url: "http://x\x1b".into() }],
            source_acks: vec![],
            suppression: None,
            guessed: Guessed { severity: Some("sev=\x1b[31m".into()), started_at: false },
        }
        .sanitized();
        assert_eq!(alert.guessed.severity.as_deref(), Some("sev=[31m"));
        assert_eq!(alert.title, "disk[2J full on /");
        assert_eq!(&alert.labels["inst"], "ab");
        assert_eq!(&alert.annotations["d"], "x\ny]0;t");
        assert_eq!(alert.host.as_deref(), Some("h"));
        assert_eq!(alert.link("runbook"), Some("http://x"));
    }
}
