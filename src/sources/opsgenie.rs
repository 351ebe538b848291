//! Opsgenie alerts, through the Alert API v2 ([`crate::vendors::opsgenie`]: the same client
//! and key as the Opsgenie schedule).
//!
//! Open alerts are read with `GET /v2/alerts?query=status:open`, 100 a page by `offset`
//! while `paging.next` is given. Priority P1..P5 is the severity; tags are labels; who
//! acknowledged owns it. Acknowledge, unacknowledge, note, escalate and close go back as
//! Opsgenie's POSTs, each carrying a note with `[klaxon op <op_id>]`. Opsgenie answers
//! every one with 202 and does it later: an action counts as done only when its request id
//! reports success (`GET /v2/alerts/requests/{id}`) and its marked note is on the alert. A
//! retry looks for the mark first, so an action whose answer was lost is not sent again.

use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{marked_note, op_mark, priority_severity};
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
use std::time::Duration;

/// `kind = "opsgenie"`: Opsgenie's open alerts.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieConfig {
    /// The API; default `https://api.opsgenie.com` (EU: `https://api.eu.opsgenie.com`).
    pub url: Option<String>,
    /// An API key (an API integration's, with read and create-and-update rights).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Only alerts this Opsgenie search query also matches (`tag:prod AND priority:P1`).
    pub query: Option<String>,
    /// The Opsgenie escalation (by name) an escalation in klaxon escalates the alert to.
    pub escalation: Option<String>,
    /// Alerts asked for per request (Opsgenie's most is 100).
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Carry acks, notes, escalations and closes back to Opsgenie.
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

fn default_page_size() -> usize {
    100
}

/// Opsgenie refuses `offset + limit` past this.
const OFFSET_CAP: usize = 20_000;

impl OpsgenieConfig {
    fn token(&self) -> SecretField<'_> {
        SecretField::new("token", &self.token_env, &self.token_file)
    }
}

impl KindConfig for OpsgenieConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        let keys = [("token", self.token())];
        super::check_vendor("opsgenie", &keys, self.url.as_deref(), Some((self.page_size, 100)), at, problems);
        if self.escalation.as_deref().is_some_and(|e| e.trim().is_empty()) {
            problems.push((at("escalation"), "give the Opsgenie escalation's name".into()));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(OpsgenieSource::new(source, self)?))
    }
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    paging: Paging,
}

#[derive(Debug, Default, Deserialize)]
struct Paging {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OgAlert {
    id: String,
    #[serde(default)]
    tiny_id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    acknowledged: bool,
    #[serde(default)]
    snoozed: bool,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    count: u64,
    created_at: DateTime<Utc>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    report: Report,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    #[serde(default)]
    acknowledged_by: String,
}

#[derive(Debug, Deserialize)]
struct Accepted {
    #[serde(rename = "requestId")]
    request_id: String,
}

#[derive(Debug, Deserialize)]
struct RequestStatus {
    data: RequestData,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestData {
    #[serde(default)]
    is_success: bool,
    #[serde(default)]
    status: String,
}

#[derive(Debug, Deserialize)]
struct OgNote {
    #[serde(default)]
    note: String,
    #[serde(default)]
    offset: String,
}

#[derive(Debug, Deserialize)]
struct One {
    data: OgAlert,
}

pub struct OpsgenieSource {
    name: String,
    api: VendorClient,
    cfg: OpsgenieConfig,
    severity_map: SeverityMap,
    /// Between asks of an action's request status (Opsgenie does it within seconds).
    settle: Duration,
}

impl OpsgenieSource {
    pub fn new(src: &SourceConfig, cfg: &OpsgenieConfig) -> Result<Self, SourceError> {
        let key = cfg.token().resolve().map_err(SourceError::new)?.ok_or_else(|| SourceError::new("no token"))?;
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let api = crate::vendors::opsgenie::client(cfg.url.as_deref(), &key, limits, cfg.ca_file.as_deref())?;
        Ok(OpsgenieSource {
            name: src.name.clone(),
            api,
            cfg: cfg.clone(),
            severity_map: src.severity_map.clone(),
            settle: Duration::from_millis(500),
        })
    }

    fn query(&self) -> String {
        match self.cfg.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => format!("status:open AND ({q})"),
            None => "status:open".to_owned(),
        }
    }

    async fn alerts(&self) -> Result<Vec<Alert>, SourceError> {
        let limit = self.cfg.page_size;
        let mut all: Vec<OgAlert> = Vec::new();
        let mut offset = 0;
        loop {
            if offset + limit > OFFSET_CAP {
                return Err(SourceError::new(format!(
                    "more than {OFFSET_CAP} open alerts: Opsgenie pages no further; narrow with `query`"
                )));
            }
            let q = [
                ("query", self.query()),
                ("limit", limit.to_string()),
                ("offset", offset.to_string()),
                ("sort", "createdAt".to_owned()),
                ("order", "desc".to_owned()),
            ];
            let page: Page<OgAlert> = self.api.get("/v2/alerts", &q).await?;
            let n = page.data.len();
            all.extend(page.data);
            if page.paging.next.is_none() || n == 0 {
                break;
            }
            offset += n;
        }
        let mut seen = std::collections::HashSet::new();
        all.retain(|a| seen.insert(a.id.clone()));
        Ok(all.into_iter().map(|a| self.to_alert(a)).collect())
    }

    /// What a poll makes of one `GET /v2/alerts` page, without the network (property tests).
    pub fn decode(&self, page: &[u8]) -> Result<Vec<Alert>, SourceError> {
        let page: Page<OgAlert> =
            serde_json::from_slice(page).map_err(|e| SourceError::new(format!("not an Opsgenie answer ({e})")))?;
        Ok(page.data.into_iter().map(|a| self.to_alert(a)).collect())
    }

    fn to_alert(&self, a: OgAlert) -> Alert {
        let severity =
            self.severity_map.own(&a.priority).or_else(|| priority_severity(&a.priority)).unwrap_or(Severity::Average);
        let guessed = match priority_severity(&a.priority).or_else(|| self.severity_map.own(&a.priority)) {
            Some(_) => None,
            None => Some(format!("priority {:?} is not P1..P5", a.priority)),
        };
        let mut labels = Fields::new();
        // Tags as labels: "env:prod" is env = prod, a bare tag is itself with no value.
        for t in &a.tags {
            let (k, v) = t.split_once(':').unwrap_or((t.as_str(), ""));
            labels.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        for (k, v) in [("priority", &a.priority), ("source", &a.source), ("owner", &a.owner), ("tiny_id", &a.tiny_id)] {
            if !v.is_empty() {
                labels.insert(k.to_owned(), v.clone());
            }
        }
        if a.count > 1 {
            labels.insert("count", a.count.to_string());
        }
        let (status, suppression) = match (a.status.as_str(), a.snoozed, a.acknowledged) {
            ("closed", _, _) => (Status::Resolved, None),
            (_, true, _) => (Status::Suppressed, Some("snoozed in Opsgenie".to_owned())),
            (_, _, true) => (Status::Acknowledged, None),
            _ => (Status::Firing, None),
        };
        let by = if a.report.acknowledged_by.is_empty() && a.acknowledged {
            a.owner.clone()
        } else {
            a.report.acknowledged_by.clone()
        };
        let source_acks = if a.acknowledged && !by.is_empty() {
            vec![SourceAck { by, at: None, text: String::new(), id: None, kind: EntryKind::Acked }]
        } else {
            Vec::new()
        };
        let id = crate::sanitize::sanitize_line(&a.id).replace('/', "_");
        Alert {
            key: AlertKey::new(&self.name, &id),
            title: if a.message.is_empty() { format!("alert {id}") } else { a.message.clone() },
            severity,
            status,
            started_at: a.created_at,
            updated_at: a.updated_at.unwrap_or(a.created_at).max(a.created_at),
            host: None,
            service: labels.get("service").map(str::to_owned),
            labels,
            annotations: Fields::new(),
            links: vec![Link { kind: "source".into(), url: format!("{}/v2/alerts/{}", self.api.base, segment(&a.id)) }],
            source_acks,
            suppression,
            guessed: crate::model::Guessed { severity: guessed, started_at: false },
        }
    }

    /// The alert's note carrying `mark`, looked for through every page of its notes.
    async fn marked(&self, id: &str, mark: &str) -> Result<bool, SourceError> {
        let path = format!("/v2/alerts/{id}/notes");
        let mut offset: Option<String> = None;
        for _ in 0..50 {
            let mut q = vec![
                ("identifierType", "id".to_owned()),
                ("direction", "next".to_owned()),
                ("limit", "100".to_owned()),
            ];
            if let Some(o) = &offset {
                q.push(("offset", o.clone()));
            }
            let page: Page<OgNote> = self.api.get(&path, &q).await?;
            if page.data.iter().any(|n| n.note.contains(mark)) {
                return Ok(true);
            }
            match (page.paging.next, page.data.last()) {
                (Some(_), Some(last)) if !last.offset.is_empty() => offset = Some(last.offset.clone()),
                _ => return Ok(false),
            }
        }
        Ok(false)
    }

    async fn alert(&self, id: &str) -> Result<OgAlert, SourceError> {
        Ok(self.api.get::<One>(&format!("/v2/alerts/{id}"), &[("identifierType", "id".to_owned())]).await?.data)
    }

    /// Asks the request's status until Opsgenie has done it: Ok when it succeeded, the
    /// reason when it failed, "not yet" after a few asks (the outbox tries again later).
    async fn settled(&self, request: &str) -> Result<(), SourceError> {
        let path = format!("/v2/alerts/requests/{}", segment(request));
        let mut last = String::from("not processed yet");
        for attempt in 0..6 {
            if attempt > 0 {
                tokio::time::sleep(self.settle).await;
            }
            // Not there (404): Opsgenie has not got to it yet.
            match self.api.get_opt::<RequestStatus>(&path).await? {
                Some(s) if s.data.is_success => return Ok(()),
                Some(s) if !s.data.status.is_empty() && s.data.status != "processing" => {
                    return Err(SourceError::new(format!("Opsgenie did not do it: {}", s.data.status)));
                }
                Some(_) => last = "still processing".to_owned(),
                None => {}
            }
        }
        Err(SourceError::new(format!("request {request}: {last}")))
    }

    async fn act(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let mark = op_mark(&op.op_id);
        let (action, what, mut body) = match op.kind {
            EntryKind::Acked => ("acknowledge", "acknowledged".to_owned(), json!({})),
            EntryKind::Unacked => ("unacknowledge", "unacknowledged".to_owned(), json!({})),
            EntryKind::Note => ("notes", String::new(), json!({})),
            EntryKind::Closed => ("close", "closed".to_owned(), json!({})),
            EntryKind::Escalated => {
                let name = self.cfg.escalation.clone().ok_or_else(|| SourceError::new("no `escalation` configured"))?;
                ("escalate", format!("escalated to {name}"), json!({"escalation": {"name": name}}))
            }
            other => return Err(SourceError::new(format!("Opsgenie takes no {other} action"))),
        };
        let note = marked_note(op, &what);
        let found = self.marked(id, &mark).await?;
        if !found {
            if let Some(o) = body.as_object_mut() {
                o.insert("user".into(), json!(op.actor));
                o.insert("source".into(), json!("klaxon"));
                o.insert("note".into(), json!(note));
            }
            let path = format!("/v2/alerts/{id}/{action}?identifierType=id");
            let accepted: Accepted = self.api.json(Method::POST, &path, Some(&body), &[]).await?;
            self.settled(&accepted.request_id).await?;
            if !self.marked(id, &mark).await? {
                return Err(SourceError::new(format!("alert {id}: the note is not there on reading back")));
            }
        }
        // The state the action leaves, read back where the alert has one.
        let state_ok = match op.kind {
            EntryKind::Acked => Some(self.alert(id).await?.acknowledged),
            EntryKind::Unacked => Some(!self.alert(id).await?.acknowledged),
            EntryKind::Closed => Some(self.alert(id).await?.status == "closed"),
            _ => None,
        };
        if state_ok == Some(false) {
            return Err(SourceError::new(format!("alert {id} does not read back as {what}")));
        }
        let how = if found { "already in Opsgenie" } else { "in Opsgenie" };
        let what = if what.is_empty() { "note".to_owned() } else { what };
        Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: format!("{what} {how} (alert {id})") })
    }
}

impl AlertSource for OpsgenieSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.alerts())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        let escalates = kind == EntryKind::Escalated && self.cfg.escalation.is_some();
        self.cfg.write_back
            && (escalates
                || matches!(kind, EntryKind::Acked | EntryKind::Unacked | EntryKind::Note | EntryKind::Closed))
    }

    fn escalates_for(&self) -> Option<&'static str> {
        Some("opsgenie")
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(self.act(op))
    }
}
