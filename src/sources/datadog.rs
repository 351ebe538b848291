//! Datadog monitors, through the Monitors API v1 and the Downtimes API v2
//! ([`crate::vendors::datadog`]: `DD-API-KEY` and `DD-APPLICATION-KEY`).
//!
//! Monitors in Alert, Warn or No Data are read with `GET /api/v1/monitor?group_states=…`,
//! a page of `page_size` at a time after the last id seen (`id_offset`) until a page comes
//! back empty. A multi-alert monitor is one klaxon alert per group in one of those states
//! (`<monitor id>:<group>`); a simple one is one alert. Priority 1..5 is the severity, else
//! Alert/Warn/No Data. Tags and the group's `key:value` parts are labels. Datadog has no
//! acknowledgement: with `ack_mute` set an ack also mutes the monitor (or its group) for
//! that long with a downtime whose message carries `[klaxon op <op_id>]`, and an unack
//! cancels klaxon's downtimes for it; both read back, neither repeated by a retry.

use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{marked_note, op_mark, priority_severity};
use crate::config::{At, Problems, SecretField, opt_duration};
use crate::http::Limits;
use crate::model::Status;
use crate::model::{
    Alert, AlertKey, EntryKind, Fields, Link, MirrorDone, MirrorOp, PriorUpdate, Severity, SeverityMap,
};
use crate::vendors::{VendorClient, segment};
use chrono::{DateTime, TimeZone, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `kind = "datadog"`: Datadog monitors in Alert, Warn and No Data.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatadogConfig {
    /// The site's API, default `https://api.datadoghq.com` (EU: `https://api.datadoghq.eu`, …).
    pub url: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub app_key_env: Option<String>,
    pub app_key_file: Option<PathBuf>,
    /// Only monitors with these monitor tags (`service:checkout`).
    #[serde(default)]
    pub monitor_tags: Vec<String>,
    /// Monitors asked for per request.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Mirror an ack as a downtime on the monitor (or its group) for this long; off by default.
    #[serde(default, deserialize_with = "opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub ack_mute: Option<Duration>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

fn default_page_size() -> usize {
    100
}

impl DatadogConfig {
    fn api_key(&self) -> SecretField<'_> {
        SecretField::new("api_key", &self.api_key_env, &self.api_key_file)
    }
    fn app_key(&self) -> SecretField<'_> {
        SecretField::new("app_key", &self.app_key_env, &self.app_key_file)
    }
}

impl KindConfig for DatadogConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        let keys = [("api_key", self.api_key()), ("app_key", self.app_key())];
        super::check_vendor("datadog", &keys, self.url.as_deref(), Some((self.page_size, 1000)), at, problems);
        if self.ack_mute.is_some_and(|d| d < Duration::from_secs(60)) {
            problems.push((at("ack_mute"), "ack_mute is at least 1m".into()));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(DatadogSource::new(source, self)?))
    }
}

#[derive(Debug, Deserialize)]
struct Monitor {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    priority: Option<u8>,
    #[serde(default)]
    overall_state: String,
    #[serde(default)]
    overall_state_modified: Option<DateTime<Utc>>,
    #[serde(default)]
    state: MonitorState,
    #[serde(default)]
    matching_downtimes: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct MonitorState {
    #[serde(default)]
    groups: BTreeMap<String, GroupState>,
}

#[derive(Debug, Deserialize)]
struct GroupState {
    #[serde(default)]
    status: String,
    #[serde(default)]
    last_triggered_ts: Option<i64>,
    #[serde(default)]
    last_nodata_ts: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Downtimes {
    #[serde(default)]
    data: Vec<Downtime>,
}

#[derive(Debug, Deserialize)]
struct OneDowntime {
    data: Downtime,
}

#[derive(Debug, Deserialize)]
struct Downtime {
    id: String,
    attributes: DowntimeAttributes,
}

#[derive(Debug, Deserialize)]
struct DowntimeAttributes {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    monitor_identifier: serde_json::Value,
}

impl Downtime {
    fn message(&self) -> &str {
        self.attributes.message.as_deref().unwrap_or("")
    }
    fn in_force(&self) -> bool {
        matches!(self.attributes.status.as_str(), "active" | "scheduled")
    }
    fn on(&self, monitor: &str, scope: &str) -> bool {
        let id = self.attributes.monitor_identifier.get("monitor_id").map(|v| v.to_string());
        id.as_deref() == Some(monitor) && self.attributes.scope == scope
    }
}

/// The states asked for and shown; Datadog writes them capitalised in answers.
const STATES: [&str; 3] = ["Alert", "Warn", "No Data"];

pub struct DatadogSource {
    name: String,
    api: VendorClient,
    cfg: DatadogConfig,
    severity_map: SeverityMap,
}

impl DatadogSource {
    pub fn new(src: &SourceConfig, cfg: &DatadogConfig) -> Result<Self, SourceError> {
        let need =
            |f: SecretField<'_>| f.resolve().map_err(SourceError::new)?.ok_or_else(|| SourceError::new("no key"));
        let (api_key, app_key) = (need(cfg.api_key())?, need(cfg.app_key())?);
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let api =
            crate::vendors::datadog::client(cfg.url.as_deref(), &api_key, &app_key, limits, cfg.ca_file.as_deref())?;
        Ok(DatadogSource { name: src.name.clone(), api, cfg: cfg.clone(), severity_map: src.severity_map.clone() })
    }

    async fn monitors(&self) -> Result<Vec<Alert>, SourceError> {
        let mut all: Vec<Monitor> = Vec::new();
        let mut offset: u64 = 0;
        for _ in 0..10_000 {
            let mut q = vec![
                ("group_states", "alert,warn,no data".to_owned()),
                ("with_downtimes", "true".to_owned()),
                ("id_offset", offset.to_string()),
                ("page_size", self.cfg.page_size.to_string()),
            ];
            if !self.cfg.monitor_tags.is_empty() {
                q.push(("monitor_tags", self.cfg.monitor_tags.join(",")));
            }
            let page: Vec<Monitor> = self.api.get("/api/v1/monitor", &q).await?;
            let Some(last) = page.iter().map(|m| m.id).max() else { break };
            if last <= offset {
                return Err(SourceError::new("GET /api/v1/monitor ignored id_offset: the same page came back"));
            }
            offset = last;
            all.extend(page);
        }
        Ok(all.into_iter().flat_map(|m| self.to_alerts(m)).collect())
    }

    /// What a poll makes of one `GET /api/v1/monitor` answer, without the network.
    pub fn decode(&self, page: &[u8]) -> Result<Vec<Alert>, SourceError> {
        let page: Vec<Monitor> =
            serde_json::from_slice(page).map_err(|e| SourceError::new(format!("not a Datadog answer ({e})")))?;
        Ok(page.into_iter().flat_map(|m| self.to_alerts(m)).collect())
    }

    /// One alert per group in Alert, Warn or No Data; a monitor without groups is one alert.
    fn to_alerts(&self, m: Monitor) -> Vec<Alert> {
        let groups: Vec<(&str, &GroupState)> = m
            .state
            .groups
            .iter()
            .filter(|(_, g)| STATES.contains(&g.status.as_str()))
            .map(|(k, g)| (k.as_str(), g))
            .collect();
        if groups.is_empty() {
            return if STATES.contains(&m.overall_state.as_str()) {
                vec![self.to_alert(&m, None, &m.overall_state, m.overall_state_modified)]
            } else {
                Vec::new()
            };
        }
        groups
            .into_iter()
            .map(|(name, g)| {
                let ts = if g.status == "No Data" { g.last_nodata_ts } else { g.last_triggered_ts };
                let at = ts.and_then(|t| Utc.timestamp_opt(t, 0).single()).or(m.overall_state_modified);
                self.to_alert(&m, Some(name), &g.status, at)
            })
            .collect()
    }

    fn to_alert(&self, m: &Monitor, group: Option<&str>, state: &str, at: Option<DateTime<Utc>>) -> Alert {
        let by_priority =
            m.priority.map(|p| p.to_string()).and_then(|p| self.severity_map.own(&p).or_else(|| priority_severity(&p)));
        let severity = by_priority.or_else(|| self.severity_map.own(state)).unwrap_or(match state {
            "Alert" => Severity::High,
            "Warn" => Severity::Warning,
            _ => Severity::Average,
        });
        let mut labels = Fields::new();
        // Tags and the group's parts ("host:db-1,env:prod") as labels.
        for t in m.tags.iter().map(String::as_str).chain(group.into_iter().flat_map(|g| g.split(','))) {
            let (k, v) = t.split_once(':').unwrap_or((t, ""));
            if !k.trim().is_empty() && k.trim() != "*" {
                labels.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        labels.insert("monitor_id", m.id.to_string());
        labels.insert("state", state.to_owned());
        if let Some(p) = m.priority {
            labels.insert("priority", format!("P{p}"));
        }
        let id = match group.filter(|g| *g != "*") {
            Some(g) => format!("{}:{}", m.id, crate::sanitize::sanitize_line(g).replace('/', "_")),
            None => m.id.to_string(),
        };
        let (status, suppression) = if m.matching_downtimes.is_empty() {
            (Status::Firing, None)
        } else {
            (Status::Suppressed, Some("muted by a Datadog downtime".to_owned()))
        };
        let started = at.unwrap_or_default();
        let mut annotations = Fields::new();
        if !m.message.is_empty() {
            annotations.insert("message", m.message.clone());
        }
        Alert {
            key: AlertKey::new(&self.name, &id),
            title: match group.filter(|g| *g != "*") {
                Some(g) => format!("{} ({g})", m.name),
                None => m.name.clone(),
            },
            severity,
            status,
            started_at: started,
            updated_at: started,
            host: labels.get("host").map(str::to_owned),
            service: labels.get("service").map(str::to_owned),
            labels,
            annotations,
            links: vec![Link { kind: "source".into(), url: format!("{}/monitors/{}", self.app_url(), m.id) }],
            source_acks: Vec::new(),
            suppression,
            guessed: crate::model::Guessed { severity: None, started_at: at.is_none() },
        }
    }

    /// The web app of the API's site: `api.` is `app.` there.
    fn app_url(&self) -> String {
        self.api.base.replacen("://api.", "://app.", 1)
    }

    /// A monitor and the downtime scope of the alert's group ("host:db-1 AND env:prod").
    fn target(op: &MirrorOp) -> (String, String) {
        let id = op.alert_key.id();
        match id.split_once(':') {
            Some((monitor, group)) => (monitor.to_owned(), group.split(',').collect::<Vec<_>>().join(" AND ")),
            None => (id.to_owned(), "*".to_owned()),
        }
    }

    async fn downtimes(&self) -> Result<Vec<Downtime>, SourceError> {
        Ok(self.api.get::<Downtimes>("/api/v2/downtime", &[("current_only", "true".to_owned())]).await?.data)
    }

    async fn mute(&self, op: &MirrorOp, ttl: Duration) -> Result<MirrorDone, SourceError> {
        let mark = op_mark(&op.op_id);
        let (monitor, scope) = Self::target(op);
        let found = self.downtimes().await?.into_iter().find(|d| d.message().contains(&mark));
        let (id, how) = match found {
            Some(d) => (d.id, "already in Datadog"),
            None => {
                let monitor_id: u64 =
                    monitor.parse().map_err(|_| SourceError::new(format!("{monitor} is not a monitor id")))?;
                let end = chrono::Duration::from_std(ttl).ok().and_then(|d| Utc::now().checked_add_signed(d));
                let end = end.ok_or_else(|| SourceError::new("ack_mute is out of range"))?;
                let body = json!({"data": {"type": "downtime", "attributes": {
                    "scope": scope,
                    "monitor_identifier": {"monitor_id": monitor_id},
                    "message": marked_note(op, "acknowledged"),
                    "schedule": {"end": end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)},
                }}});
                let made: OneDowntime = self.api.json(Method::POST, "/api/v2/downtime", Some(&body), &[]).await?;
                (made.data.id, "in Datadog")
            }
        };
        let back: OneDowntime = self.api.get(&format!("/api/v2/downtime/{}", segment(&id)), &[]).await?;
        if !back.data.in_force() || !back.data.message().contains(&mark) {
            return Err(SourceError::new(format!(
                "downtime {id} reads back {} without our mark",
                back.data.attributes.status
            )));
        }
        Ok(MirrorDone {
            remote_id: Some(id.clone()),
            prior: PriorUpdate::Keep,
            summary: format!("muted {how} (downtime {id})"),
        })
    }

    /// Cancels every downtime klaxon made to acknowledge this monitor or group.
    async fn unmute(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let (monitor, scope) = Self::target(op);
        let ours = |all: Vec<Downtime>| -> Vec<String> {
            all.into_iter()
                .filter(|d| d.in_force() && d.on(&monitor, &scope) && super::has_mark(d.message()))
                .map(|d| d.id)
                .collect()
        };
        let ids = ours(self.downtimes().await?);
        for id in &ids {
            self.api.send(Method::DELETE, &format!("/api/v2/downtime/{}", segment(id)), &[], None, &[]).await?;
        }
        let left = ours(self.downtimes().await?);
        if !left.is_empty() {
            return Err(SourceError::new(format!("downtime(s) {} still in force", left.join(", "))));
        }
        let summary = if ids.is_empty() {
            "no downtime to cancel".to_owned()
        } else {
            format!("downtime {} canceled", ids.join(", "))
        };
        Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Clear, summary })
    }
}

impl AlertSource for DatadogSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.monitors())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        self.cfg.ack_mute.is_some() && matches!(kind, EntryKind::Acked | EntryKind::Unacked)
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            match (op.kind, self.cfg.ack_mute) {
                (EntryKind::Acked, Some(ttl)) => self.mute(op, ttl).await,
                (EntryKind::Unacked, _) => self.unmute(op).await,
                (other, _) => Err(SourceError::new(format!("Datadog takes no {other} action"))),
            }
        })
    }
}
