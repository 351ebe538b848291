//! Grafana OnCall alert groups (also Grafana Cloud IRM's same API), through
//! [`crate::vendors::grafana_oncall`]: the client the Grafana OnCall schedule and pager use.
//!
//! Groups are read with `GET /api/v1/alert_groups/?state=…` once per state asked for
//! (firing is `new` there), following `next` to the last page. Grafana OnCall has no
//! severity: a `severity` label gives it, else the source's default (marked guessed). The
//! group's labels are klaxon's labels. Acknowledge, unacknowledge and resolve go back as
//! the group's actions (with `ack_silence`, an ack as `silence` for that long and an unack as
//! `unsilence`), each sent only when the group is not in that state already, and a
//! person's words as a resolution note carrying `[klaxon op <op_id>]`, posted only when no
//! note has the mark yet; everything is read back before it counts as done.

use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{marked_note, op_mark, without_marks};
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
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `kind = "grafana-oncall"`: Grafana OnCall's alert groups.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrafanaOncallConfig {
    /// The OnCall API (Settings → API URL), e.g. "https://oncall-prod-eu-west-0.grafana.net/oncall".
    pub url: String,
    /// An OnCall API token.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Which groups: "firing", "acknowledged", "silenced" (default all three).
    #[serde(default = "default_states")]
    pub states: Vec<String>,
    /// Only groups of these integrations (ids).
    #[serde(default)]
    pub integrations: Vec<String>,
    /// The label whose value is the severity.
    #[serde(default = "default_severity_label")]
    pub severity_label: String,
    /// Carry acks, unacks, notes and resolutions back to Grafana OnCall.
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// Mirror an ack as a silence of the group for this long (and an unack as unsilence)
    /// instead of acknowledge; off by default.
    #[serde(default, deserialize_with = "crate::config::opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub ack_silence: Option<std::time::Duration>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

fn default_states() -> Vec<String> {
    ["firing", "acknowledged", "silenced"].map(String::from).to_vec()
}

fn default_severity_label() -> String {
    "severity".into()
}

/// A state as the config names it → as the API's `state` filter does.
fn api_state(s: &str) -> Option<&'static str> {
    match s {
        "firing" | "new" => Some("new"),
        "acknowledged" => Some("acknowledged"),
        "silenced" => Some("silenced"),
        _ => None,
    }
}

impl GrafanaOncallConfig {
    fn token(&self) -> SecretField<'_> {
        SecretField::new("token", &self.token_env, &self.token_file)
    }
}

impl KindConfig for GrafanaOncallConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        let keys = [("token", self.token())];
        super::check_vendor("grafana-oncall", &keys, Some(&self.url), None, at, problems);
        if let Some(s) = self.states.iter().find(|s| api_state(s).is_none()) {
            problems.push((at("states"), format!("{s:?} is not \"firing\", \"acknowledged\" or \"silenced\"")));
        }
        if self.states.is_empty() {
            problems.push((at("states"), "give at least one state".into()));
        }
        if self.ack_silence.is_some_and(|d| d < std::time::Duration::from_secs(60)) {
            problems.push((at("ack_silence"), "ack_silence is at least 1m".into()));
        }
        if self.ack_silence.is_some() && !self.write_back {
            problems.push((at("ack_silence"), "ack_silence writes to Grafana OnCall: it needs write_back".into()));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(GrafanaOncallSource::new(source, self)?))
    }
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    results: Vec<T>,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Group {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    alerts_count: u64,
    created_at: DateTime<Utc>,
    #[serde(default)]
    acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    acknowledged_by: Option<String>,
    #[serde(default)]
    silenced_at: Option<DateTime<Utc>>,
    #[serde(default)]
    integration_id: Option<String>,
    #[serde(default)]
    labels: Vec<GroupLabel>,
    #[serde(default)]
    permalinks: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Deserialize)]
struct GroupLabel {
    key: Named,
    value: Named,
}

#[derive(Debug, Deserialize)]
struct Named {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct Note {
    id: String,
    #[serde(default)]
    text: String,
}

pub struct GrafanaOncallSource {
    name: String,
    api: VendorClient,
    cfg: GrafanaOncallConfig,
    severity_map: SeverityMap,
    default_severity: Severity,
}

impl GrafanaOncallSource {
    pub fn new(src: &SourceConfig, cfg: &GrafanaOncallConfig) -> Result<Self, SourceError> {
        let key = cfg.token().resolve().map_err(SourceError::new)?.ok_or_else(|| SourceError::new("no token"))?;
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let api = crate::vendors::grafana_oncall::client(Some(&cfg.url), &key, limits, cfg.ca_file.as_deref())?;
        Ok(GrafanaOncallSource {
            name: src.name.clone(),
            api,
            cfg: cfg.clone(),
            severity_map: src.severity_map.clone(),
            default_severity: src.default_severity,
        })
    }

    /// Every page of a list, following `next` (under the API's own base only).
    async fn all<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, SourceError> {
        let mut out = Vec::new();
        let mut page: Page<T> = self.api.get(path, query).await?;
        for _ in 0..1000 {
            out.append(&mut page.results);
            match page.next.take() {
                Some(next) => page = self.api.get(&next, &[]).await?,
                None => return Ok(out),
            }
        }
        Err(SourceError::new(format!("{path}: more than 1000 pages")))
    }

    async fn groups(&self) -> Result<Vec<Alert>, SourceError> {
        let mut all: Vec<Group> = Vec::new();
        let mut states: Vec<&str> = self.cfg.states.iter().filter_map(|s| api_state(s)).collect();
        states.dedup();
        for state in states {
            let mut q = vec![("state", state.to_owned())];
            q.extend(self.cfg.integrations.iter().map(|i| ("integration_id", i.clone())));
            all.extend(self.all::<Group>("/api/v1/alert_groups/", &q).await?);
        }
        let mut seen = std::collections::HashSet::new();
        all.retain(|g| seen.insert(g.id.clone()));
        Ok(all.into_iter().map(|g| self.to_alert(g)).collect())
    }

    /// What a poll makes of one `GET /api/v1/alert_groups/` page, without the network.
    pub fn decode(&self, page: &[u8]) -> Result<Vec<Alert>, SourceError> {
        let page: Page<Group> =
            serde_json::from_slice(page).map_err(|e| SourceError::new(format!("not a Grafana OnCall answer ({e})")))?;
        Ok(page.results.into_iter().map(|g| self.to_alert(g)).collect())
    }

    fn to_alert(&self, g: Group) -> Alert {
        let labels: Fields = g.labels.iter().map(|l| (l.key.name.clone(), l.value.name.clone())).collect();
        let label = &self.cfg.severity_label;
        let (severity, guessed) = match labels.get(label).map(|raw| (raw, self.severity_map.known(raw))) {
            Some((_, Some(s))) => (s, None),
            Some((raw, None)) => {
                (self.default_severity, Some(format!("{label}={raw:?} is not a severity klaxon knows")))
            }
            None => (self.default_severity, Some(format!("no {label} label"))),
        };
        let (status, suppression) = match g.state.as_str() {
            "acknowledged" => (Status::Acknowledged, None),
            "silenced" => (Status::Suppressed, Some("silenced in Grafana OnCall".to_owned())),
            "resolved" => (Status::Resolved, None),
            _ => (Status::Firing, None),
        };
        let source_acks = match (&g.acknowledged_by, g.state.as_str()) {
            (Some(by), "acknowledged") if !by.is_empty() => vec![SourceAck {
                by: by.clone(),
                at: g.acknowledged_at,
                text: String::new(),
                id: None,
                kind: EntryKind::Acked,
            }],
            _ => Vec::new(),
        };
        let mut links: Vec<Link> = g
            .permalinks
            .iter()
            .filter_map(|(k, v)| v.as_ref().filter(|u| !u.is_empty()).map(|u| Link { kind: k.into(), url: u.clone() }))
            .collect();
        links.sort_by_key(|l| l.kind != "web");
        let mut all_labels = labels;
        if let Some(i) =
            g.integration_id.as_ref().filter(|i| !i.is_empty() && !all_labels.contains_key("integration_id"))
        {
            all_labels.insert("integration_id", i.as_str());
        }
        if g.alerts_count > 1 {
            all_labels.insert("alerts_count", g.alerts_count.to_string());
        }
        let id = crate::sanitize::sanitize_line(&g.id).replace('/', "_");
        let updated = [g.acknowledged_at, g.silenced_at].into_iter().flatten().max().unwrap_or(g.created_at);
        Alert {
            key: AlertKey::new(&self.name, &id),
            title: g.title.filter(|t| !t.is_empty()).unwrap_or_else(|| format!("alert group {id}")),
            severity,
            status,
            started_at: g.created_at,
            updated_at: updated.max(g.created_at),
            host: all_labels.get("instance").or_else(|| all_labels.get("host")).map(str::to_owned),
            service: all_labels.get("service").map(str::to_owned),
            labels: all_labels,
            annotations: Fields::new(),
            links,
            source_acks,
            suppression,
            guessed: crate::model::Guessed { severity: guessed, started_at: false },
        }
    }

    async fn group(&self, id: &str) -> Result<Group, SourceError> {
        self.api.get(&format!("/api/v1/alert_groups/{id}/"), &[]).await
    }

    async fn marked_note(&self, id: &str, mark: &str) -> Result<Option<Note>, SourceError> {
        let notes: Vec<Note> = self.all("/api/v1/resolution_notes/", &[("alert_group_id", id.to_owned())]).await?;
        Ok(notes.into_iter().find(|n| n.text.contains(mark)))
    }

    /// The person's words as a resolution note, unless a try before posted it (then
    /// `true`: it was there already).
    async fn note(&self, op: &MirrorOp, id: &str, what: &str) -> Result<(Note, bool), SourceError> {
        let mark = op_mark(&op.op_id);
        if let Some(n) = self.marked_note(id, &mark).await? {
            return Ok((n, true));
        }
        let body = json!({"alert_group_id": op.alert_key.id(), "text": marked_note(op, what)});
        let _: serde_json::Value = self.api.json(Method::POST, "/api/v1/resolution_notes/", Some(&body), &[]).await?;
        self.marked_note(id, &mark)
            .await?
            .ok_or_else(|| SourceError::new(format!("alert group {id}: the note is not there on reading back")))
            .map(|n| (n, false))
    }

    async fn act(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let id = &segment(op.alert_key.id());
        let silence = self.cfg.ack_silence;
        let (action, what, reached): (Option<&str>, &str, fn(&str) -> bool) = match (op.kind, silence) {
            (EntryKind::Acked, None) => {
                (Some("acknowledge"), "acknowledged", |s| s == "acknowledged" || s == "resolved")
            }
            (EntryKind::Unacked, None) => (Some("unacknowledge"), "unacknowledged", |s| s != "acknowledged"),
            // With `ack_silence` an ack silences the group (someone's acknowledge, or the
            // end, is as quiet) and an unack lifts the silence.
            (EntryKind::Acked, Some(_)) => {
                (Some("silence"), "silenced", |s| matches!(s, "silenced" | "acknowledged" | "resolved"))
            }
            (EntryKind::Unacked, Some(_)) => (Some("unsilence"), "unsilenced", |s| s != "silenced"),
            (EntryKind::Closed, _) => (Some("resolve"), "resolved", |s| s == "resolved"),
            (EntryKind::Note, _) => (None, "", |_| true),
            (other, _) => return Err(SourceError::new(format!("Grafana OnCall takes no {other} action"))),
        };
        let mut sent = false;
        if let Some(action) = action
            && !reached(&self.group(id).await?.state)
        {
            // `silence` takes `delay` in seconds (the API reference's "Silence an alert group").
            let body = (action == "silence").then(|| json!({"delay": silence.unwrap_or_default().as_secs()}));
            let path = format!("/api/v1/alert_groups/{id}/{action}");
            self.api.send(Method::POST, &path, &[], body.as_ref(), &[]).await?;
            sent = true;
        }
        let note = if op.kind == EntryKind::Note || !without_marks(&op.text).is_empty() {
            Some(self.note(op, id, what).await?)
        } else {
            None
        };
        let back = self.group(id).await?;
        if !reached(&back.state) {
            return Err(SourceError::new(format!("alert group {id} reads back {} after {}", back.state, op.kind)));
        }
        let what = if what.is_empty() { "note" } else { what };
        let noted = note.as_ref().is_some_and(|(_, before)| !before);
        let how = if sent || noted { "in Grafana OnCall" } else { "already in Grafana OnCall" };
        Ok(MirrorDone {
            remote_id: note.map(|(n, _)| n.id),
            prior: PriorUpdate::Keep,
            summary: format!("{what} {how} (alert group {id})"),
        })
    }
}

impl AlertSource for GrafanaOncallSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.groups())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        // Escalation pages through the Grafana OnCall schedule's pager, not the group.
        self.cfg.write_back
            && matches!(kind, EntryKind::Acked | EntryKind::Unacked | EntryKind::Note | EntryKind::Closed)
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(self.act(op))
    }
}
