//! PagerDuty incidents, through the REST API v2 ([`crate::vendors::pagerduty`]: the same
//! client, auth and rate-limit handling as the PagerDuty schedule).
//!
//! Open incidents (triggered, acknowledged) are read with `GET /incidents`, 100 a page
//! with `offset` until `more` is false. Priority (P1..P5) or, without one, urgency gives the
//! severity; acknowledgers are the owners. Acknowledge, resolve, escalate
//! (`escalation_level`), reassignment (`assignments`, the user found by email) and notes go back with the `From` header PagerDuty requires, each
//! checked before it is sent and read back after: an incident already acknowledged or
//! resolved is not asked again; a note carries `[klaxon op <op_id>]` so a retry finds it;
//! an escalation writes its marked note first and counts as done when the incident's log
//! shows an escalation after it — so a retry after a lost answer sends nothing twice.

use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{marked_note, op_mark, priority_severity, without_marks};
use crate::config::{At, Problems, SecretField};
use crate::http::Limits;
use crate::model::{
    Alert, AlertKey, EntryKind, Fields, Link, MirrorDone, MirrorOp, PriorUpdate, Severity, SeverityMap,
};
use crate::model::{SourceAck, Status};
use crate::vendors::{VendorClient, segment};
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;

/// `kind = "pagerduty"`: PagerDuty's open incidents.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyConfig {
    /// The API; default PagerDuty's (`https://api.pagerduty.com`).
    pub url: Option<String>,
    /// A REST API key (account or user key).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// The email of the PagerDuty user writes are made as: PagerDuty requires it (`From`).
    pub from: Option<String>,
    /// Only incidents of these services / teams (ids, e.g. "PABC123").
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    /// Only these urgencies: "high", "low".
    #[serde(default)]
    pub urgencies: Vec<String>,
    /// Incidents asked for per request (PagerDuty's largest page is 100).
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Carry acks, notes, escalations and resolutions back to PagerDuty (needs `from`).
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

fn default_page_size() -> usize {
    100
}

/// PagerDuty answers `offset + limit` past this with a 400 (code 2002).
const OFFSET_CAP: usize = 10_000;

impl PagerdutyConfig {
    fn token(&self) -> SecretField<'_> {
        SecretField::new("token", &self.token_env, &self.token_file)
    }
}

impl KindConfig for PagerdutyConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        let keys = [("token", self.token())];
        super::check_vendor("pagerduty", &keys, self.url.as_deref(), Some((self.page_size, 100)), at, problems);
        match &self.from {
            Some(f) if !f.contains('@') => problems.push((at("from"), format!("{f:?} is not an email address"))),
            None if self.write_back => problems.push((
                at("from"),
                "write_back needs `from`: the email of the PagerDuty user klaxon writes as (or write_back = false)"
                    .into(),
            )),
            _ => {}
        }
        if let Some(u) = self.urgencies.iter().find(|u| !matches!(u.as_str(), "high" | "low")) {
            problems.push((at("urgencies"), format!("{u:?} is not an urgency: \"high\" or \"low\"")));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(PagerdutySource::new(source, self)?))
    }
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    incidents: Vec<Incident>,
    #[serde(default)]
    more: bool,
}

#[derive(Debug, Deserialize)]
struct One {
    incident: Incident,
}

/// An incident as `GET /incidents` and `GET /incidents/{id}` answer it.
#[derive(Debug, Deserialize)]
struct Incident {
    id: String,
    #[serde(default)]
    incident_number: Option<u64>,
    #[serde(default)]
    title: String,
    status: String,
    #[serde(default)]
    urgency: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    last_status_change_at: Option<DateTime<Utc>>,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    service: Option<Reference>,
    #[serde(default)]
    escalation_policy: Option<Reference>,
    #[serde(default)]
    priority: Option<Reference>,
    #[serde(default)]
    assignments: Vec<Assignment>,
    #[serde(default)]
    acknowledgements: Vec<Acknowledgement>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    #[serde(default)]
    id: String,
    #[serde(default)]
    summary: String,
}

/// `GET /users?query=`: users whose name or email holds the query.
#[derive(Debug, Deserialize)]
struct Users {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    email: String,
}

#[derive(Debug, Deserialize)]
struct Assignment {
    assignee: Reference,
}

#[derive(Debug, Deserialize)]
struct Acknowledgement {
    at: Option<DateTime<Utc>>,
    acknowledger: Reference,
}

#[derive(Debug, Deserialize)]
struct Notes {
    #[serde(default)]
    notes: Vec<Note>,
}

#[derive(Debug, Deserialize)]
struct Note {
    id: String,
    #[serde(default)]
    content: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct LogEntries {
    #[serde(default)]
    log_entries: Vec<LogEntry>,
}

#[derive(Debug, Deserialize)]
struct LogEntry {
    #[serde(rename = "type")]
    kind: String,
    created_at: DateTime<Utc>,
}

pub struct PagerdutySource {
    name: String,
    api: VendorClient,
    cfg: PagerdutyConfig,
    severity_map: SeverityMap,
}

impl PagerdutySource {
    pub fn new(src: &SourceConfig, cfg: &PagerdutyConfig) -> Result<Self, SourceError> {
        let key = cfg.token().resolve().map_err(SourceError::new)?.ok_or_else(|| SourceError::new("no token"))?;
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let api = crate::vendors::pagerduty::client(cfg.url.as_deref(), &key, limits, cfg.ca_file.as_deref())?;
        Ok(PagerdutySource { name: src.name.clone(), api, cfg: cfg.clone(), severity_map: src.severity_map.clone() })
    }

    /// Retries wait from `retry.base` (tests keep it short).
    pub fn with_retry(mut self, retry: crate::http::Retry) -> Self {
        self.api = self.api.with_retry(retry);
        self
    }

    fn filters(&self) -> Vec<(&'static str, String)> {
        // `date_range=all`: without it PagerDuty lists the last month only, and an incident
        // open longer would vanish from the list.
        let mut q = vec![
            ("statuses[]", "triggered".to_owned()),
            ("statuses[]", "acknowledged".to_owned()),
            ("date_range", "all".to_owned()),
        ];
        q.extend(self.cfg.services.iter().map(|s| ("service_ids[]", s.clone())));
        q.extend(self.cfg.teams.iter().map(|t| ("team_ids[]", t.clone())));
        q.extend(self.cfg.urgencies.iter().map(|u| ("urgencies[]", u.clone())));
        q
    }

    async fn incidents(&self) -> Result<Vec<Alert>, SourceError> {
        let mut all: Vec<Incident> = Vec::new();
        let limit = self.cfg.page_size;
        let mut offset = 0;
        loop {
            if offset + limit > OFFSET_CAP {
                return Err(SourceError::new(format!(
                    "more than {OFFSET_CAP} open incidents: PagerDuty pages no further; narrow with services, teams or urgencies"
                )));
            }
            let mut q = self.filters();
            q.extend([("limit", limit.to_string()), ("offset", offset.to_string()), ("total", "false".into())]);
            let page: Page = self.api.get("/incidents", &q).await?;
            let (n, more) = (page.incidents.len(), page.more);
            all.extend(page.incidents);
            if !more || n == 0 {
                break;
            }
            offset += n;
        }
        // An incident that moved between pages may come twice: keep each once.
        let mut seen = std::collections::HashSet::new();
        all.retain(|i| seen.insert(i.id.clone()));
        Ok(all.into_iter().map(|i| self.to_alert(i)).collect())
    }

    /// What a poll makes of one `GET /incidents` page, without the network: the parser on
    /// its own, for the property tests.
    pub fn decode(&self, page: &[u8]) -> Result<Vec<Alert>, SourceError> {
        let page: Page =
            serde_json::from_slice(page).map_err(|e| SourceError::new(format!("not a PagerDuty answer ({e})")))?;
        Ok(page.incidents.into_iter().map(|i| self.to_alert(i)).collect())
    }

    /// Priority first (the source's `severity_map`, then P1..P5), else urgency (the map,
    /// then high → High, low → Warning).
    fn severity(&self, i: &Incident) -> Severity {
        let by_priority = i
            .priority
            .as_ref()
            .map(|p| p.summary.as_str())
            .and_then(|p| self.severity_map.own(p).or_else(|| priority_severity(p)));
        by_priority.or_else(|| self.severity_map.own(&i.urgency)).unwrap_or(match i.urgency.as_str() {
            "low" => Severity::Warning,
            _ => Severity::High,
        })
    }

    fn to_alert(&self, i: Incident) -> Alert {
        let severity = self.severity(&i);
        let mut labels = Fields::new();
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                labels.insert(k.to_owned(), v.to_owned());
            }
        };
        put("urgency", &i.urgency);
        put("priority", i.priority.as_ref().map_or("", |p| p.summary.as_str()));
        put("service", i.service.as_ref().map_or("", |s| s.summary.as_str()));
        put("escalation_policy", i.escalation_policy.as_ref().map_or("", |s| s.summary.as_str()));
        let assignees: Vec<&str> = i.assignments.iter().map(|a| a.assignee.summary.as_str()).collect();
        put("assignees", &assignees.join(", "));
        if let Some(n) = i.incident_number {
            labels.insert("incident_number", n.to_string());
        }
        let links = if i.html_url.is_empty() {
            Vec::new()
        } else {
            vec![Link { kind: "source".into(), url: i.html_url.clone() }]
        };
        let status = match i.status.as_str() {
            "acknowledged" => Status::Acknowledged,
            "resolved" => Status::Resolved,
            _ => Status::Firing,
        };
        // Acknowledgers own it; PagerDuty's acks carry no words, so none enters the timeline.
        let source_acks = i
            .acknowledgements
            .iter()
            .map(|a| SourceAck {
                by: a.acknowledger.summary.clone(),
                at: a.at,
                text: String::new(),
                id: None,
                kind: EntryKind::Acked,
            })
            .collect();
        Alert {
            // The id becomes a key and a URL path segment: one clean line, no '/'.
            key: AlertKey::new(&self.name, &crate::sanitize::sanitize_line(&i.id).replace('/', "_")),
            title: if i.title.is_empty() { format!("incident {}", i.id) } else { i.title.clone() },
            severity,
            status,
            started_at: i.created_at,
            updated_at: i.last_status_change_at.unwrap_or(i.created_at).max(i.created_at),
            service: i.service.as_ref().map(|s| s.summary.clone()).filter(|s| !s.is_empty()),
            host: None,
            labels,
            annotations: Fields::new(),
            links,
            source_acks,
            suppression: None,
            guessed: Default::default(),
        }
    }

    fn from(&self) -> Result<[(&'static str, String); 1], SourceError> {
        let from = self.cfg.from.clone().ok_or_else(|| SourceError::new("no `from` email to write as"))?;
        Ok([("From", from)])
    }

    async fn incident(&self, id: &str) -> Result<Incident, SourceError> {
        Ok(self.api.get::<One>(&format!("/incidents/{id}"), &[]).await?.incident)
    }

    async fn marked_note(&self, id: &str, mark: &str) -> Result<Option<Note>, SourceError> {
        let notes: Notes = self.api.get(&format!("/incidents/{id}/notes"), &[]).await?;
        Ok(notes.notes.into_iter().find(|n| n.content.contains(mark)))
    }

    async fn post_note(&self, id: &str, content: &str) -> Result<(), SourceError> {
        let body = json!({"note": {"content": content}});
        let _: serde_json::Value =
            self.api.json(Method::POST, &format!("/incidents/{id}/notes"), Some(&body), &self.from()?).await?;
        Ok(())
    }

    async fn put_incident(&self, id: &str, fields: serde_json::Value) -> Result<(), SourceError> {
        let mut incident = json!({"type": "incident_reference"});
        if let (Some(o), Some(f)) = (incident.as_object_mut(), fields.as_object()) {
            o.extend(f.clone());
        }
        let body = json!({ "incident": incident });
        let _: serde_json::Value =
            self.api.json(Method::PUT, &format!("/incidents/{id}"), Some(&body), &self.from()?).await?;
        Ok(())
    }

    /// Acknowledge or resolve: the status is set unless the incident already has it (or is
    /// resolved), the person's words go as a marked note unless a retry finds it, and both
    /// are read back.
    async fn set_status(&self, op: &MirrorOp, wanted: &str, what: &str) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let mark = op_mark(&op.op_id);
        let reached = |status: &str| status == wanted || status == "resolved";
        let before = self.incident(id).await?;
        let sent = !reached(&before.status);
        if sent {
            self.put_incident(id, json!({ "status": wanted })).await?;
        }
        let words = without_marks(&op.text);
        self.words(id, &mark, &words, || marked_note(op, what)).await?;
        let after = self.incident(id).await?;
        if !reached(&after.status) {
            return Err(SourceError::new(format!("incident {id} reads back {} after {what}", after.status)));
        }
        self.words_back(id, &mark, &words).await?;
        let how = if sent { "in PagerDuty" } else { "already in PagerDuty" };
        Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: format!("{what} {how} (incident {id})") })
    }

    /// The person's words (when there are any) as a marked note, unless a retry finds it.
    async fn words(&self, id: &str, mark: &str, words: &str, note: impl Fn() -> String) -> Result<(), SourceError> {
        if !words.is_empty() && self.marked_note(id, mark).await?.is_none() {
            self.post_note(id, &note()).await?;
        }
        Ok(())
    }

    /// The words' note read back, when there were words.
    async fn words_back(&self, id: &str, mark: &str, words: &str) -> Result<(), SourceError> {
        if !words.is_empty() && self.marked_note(id, mark).await?.is_none() {
            return Err(SourceError::new(format!("incident {id}: the note is not there on reading back")));
        }
        Ok(())
    }

    /// The PagerDuty user with this email: `GET /users?query=` matches names and emails in
    /// part, so only an exact (case-insensitive) email counts.
    async fn user_id(&self, email: &str) -> Result<String, SourceError> {
        let q = [("query", email.to_owned()), ("limit", "100".to_owned())];
        let users: Users = self.api.get("/users", &q).await?;
        users
            .users
            .into_iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .map(|u| u.id)
            .ok_or_else(|| SourceError::new(format!("no PagerDuty user has the email {email}")))
    }

    /// Hands the incident to the user with the entry's email: `assignments` is set unless the
    /// incident already shows that user assigned; done when it reads back so.
    async fn reassign(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let to = crate::model::Reassign::parse(&op.text)
            .ok_or_else(|| SourceError::new("the reassignment names nobody to reassign to"))?;
        let user = self.user_id(&to.email).await?;
        let assigned = |i: &Incident| i.assignments.iter().any(|a| a.assignee.id == user);
        let mark = op_mark(&op.op_id);
        let sent = !assigned(&self.incident(id).await?);
        if sent {
            let assignee = json!({"assignee": {"id": user, "type": "user_reference"}});
            self.put_incident(id, json!({ "assignments": [assignee] })).await?;
        }
        let what = format!("reassigned to {}", to.name);
        let words = without_marks(&to.note);
        self.words(id, &mark, &words, || format!("{words} — {what} ({} via klaxon) {mark}", op.actor)).await?;
        if !assigned(&self.incident(id).await?) {
            return Err(SourceError::new(format!("incident {id}: {} is not assigned on reading back", to.email)));
        }
        self.words_back(id, &mark, &words).await?;
        let how = if sent { "in PagerDuty" } else { "already in PagerDuty" };
        Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: format!("{what} {how} (incident {id})") })
    }

    async fn note(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let mark = op_mark(&op.op_id);
        let found = match self.marked_note(id, &mark).await? {
            Some(n) => (n, "already in PagerDuty"),
            None => {
                self.post_note(id, &marked_note(op, "")).await?;
                let back = self.marked_note(id, &mark).await?;
                (
                    back.ok_or_else(|| {
                        SourceError::new(format!("incident {id}: the note is not there on reading back"))
                    })?,
                    "in PagerDuty",
                )
            }
        };
        let (note, how) = found;
        Ok(MirrorDone {
            remote_id: Some(note.id.clone()),
            prior: PriorUpdate::Keep,
            summary: format!("note {how} (note {})", note.id),
        })
    }

    /// Escalation to the level klaxon reached: the marked note first (it says why, and is
    /// where a retry starts from), then `escalation_level` unless the incident's log shows
    /// an escalation since that note; done when the log shows one.
    async fn escalate(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let level = op.level.filter(|l| *l >= 1).ok_or_else(|| SourceError::new("no escalation level"))?;
        let mark = op_mark(&op.op_id);
        let note = match self.marked_note(id, &mark).await? {
            Some(n) => n,
            None => {
                self.post_note(id, &marked_note(op, &format!("escalated to level {level}"))).await?;
                self.marked_note(id, &mark)
                    .await?
                    .ok_or_else(|| SourceError::new(format!("incident {id}: the note is not there on reading back")))?
            }
        };
        let escalated_since = |log: &LogEntries| {
            log.log_entries.iter().any(|e| e.kind == "escalate_log_entry" && e.created_at >= note.created_at)
        };
        let path = format!("/incidents/{id}/log_entries");
        let since = [("since", note.created_at.to_rfc3339()), ("is_overview", "true".to_owned())];
        let already = escalated_since(&self.api.get(&path, &since).await?);
        if !already {
            self.put_incident(id, json!({ "escalation_level": level })).await?;
            if !escalated_since(&self.api.get(&path, &since).await?) {
                return Err(SourceError::new(format!("incident {id}: no escalation in its log on reading back")));
            }
        }
        let how = if already { "already in PagerDuty" } else { "in PagerDuty" };
        Ok(MirrorDone {
            remote_id: Some(note.id),
            prior: PriorUpdate::Keep,
            summary: format!("escalated to level {level} {how} (incident {id})"),
        })
    }
}

impl AlertSource for PagerdutySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.incidents())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        // PagerDuty has no unacknowledge and no severity of its own to set.
        self.cfg.write_back
            && matches!(
                kind,
                EntryKind::Acked | EntryKind::Note | EntryKind::Escalated | EntryKind::Closed | EntryKind::Reassigned
            )
    }

    fn escalates_for(&self) -> Option<&'static str> {
        Some("pagerduty")
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            match op.kind {
                EntryKind::Acked => self.set_status(op, "acknowledged", "acknowledged").await,
                EntryKind::Closed => self.set_status(op, "resolved", "resolved").await,
                EntryKind::Note => self.note(op).await,
                EntryKind::Escalated => self.escalate(op).await,
                EntryKind::Reassigned => self.reassign(op).await,
                other => Err(SourceError::new(format!("PagerDuty takes no {other} action"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_then_urgencies_make_the_severity() {
        assert_eq!(priority_severity("P1"), Some(Severity::Disaster));
        assert_eq!(priority_severity("P5"), Some(Severity::Information));
        assert_eq!(priority_severity("P9"), None);
        assert_eq!(priority_severity("SEV-1"), None);
    }
}
