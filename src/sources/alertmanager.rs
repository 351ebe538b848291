//! Prometheus Alertmanager, API v2 (also Grafana's built-in Alertmanager and Mimir's or
//! Cortex's, under their path prefixes).
//!
//! Alertmanager has no acknowledgement: klaxon's store is the ack. With `ack_silence` set an
//! ack is also mirrored as a silence on the alert's labels, `createdBy` the person and a
//! comment starting `ACK!` (as karma writes them, so karma and kthxbye users see it). The
//! comment carries `[klaxon op <op_id>]`, which makes a retry find the silence it already
//! made instead of making a second one. The same person acking again extends their silence;
//! an unack expires every ACK! silence klaxon made for the alert, whoever made it.

use super::op_mark as marker;
use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SilencesFuture, SourceConfig, SourceError};
use crate::config::{At, LOGIN_GOES, Login, Problems, http_url_problem, opt_duration};
use crate::http::{self, HttpError, Limits};
use crate::model::{
    Alert, AlertKey, EntryKind, Fields, Link, Matcher, MirrorDone, MirrorOp, PriorUpdate, Severity, SeverityMap,
    Silence, SilenceOp, Silences, SourceAck, Status,
};
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// `kind = "alertmanager"`: Prometheus Alertmanager API v2, also Grafana's and Mimir's/Cortex's.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerConfig {
    /// The Alertmanager, e.g. "http://127.0.0.1:9093".
    pub url: Option<String>,
    /// Several peers of one HA cluster instead: any live one answers.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Where API v2 sits under the URL: "" for Alertmanager, "/alertmanager" for Mimir and
    /// Cortex, "/api/alertmanager/grafana" for Grafana's own.
    #[serde(default)]
    pub path_prefix: String,
    /// Mimir/Cortex tenant, sent as X-Scope-OrgID.
    pub tenant: Option<String>,
    /// The label whose value is the severity.
    #[serde(default = "default_severity_label")]
    pub severity_label: String,
    /// Also show silenced and inhibited alerts (as suppressed), and not yet processed ones.
    #[serde(default)]
    pub silenced: bool,
    #[serde(default)]
    pub inhibited: bool,
    #[serde(default = "crate::config::yes")]
    pub unprocessed: bool,
    /// Server-side matchers, e.g. ['team="ops"', 'severity=~"critical|warning"'].
    #[serde(default)]
    pub filters: Vec<String>,
    /// Only alerts for receivers matching this regex.
    pub receiver: Option<String>,
    /// Bearer token (Grafana service accounts, proxies in front of Alertmanager).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Basic auth (Alertmanager's --web.config.file).
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Also silence an acknowledged alert for this long (comment "ACK! …", as karma does).
    #[serde(default, deserialize_with = "opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub ack_silence: Option<Duration>,
}

fn default_severity_label() -> String {
    "severity".into()
}

impl AlertmanagerConfig {
    pub fn urls(&self) -> Vec<&str> {
        self.url.iter().chain(&self.urls).map(String::as_str).collect()
    }

    /// A bearer token, or basic auth.
    pub fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }
}

impl KindConfig for AlertmanagerConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        let field = if self.url.is_some() { "url" } else { "urls" };
        if self.urls().is_empty() {
            problems.push((at("kind"), "an alertmanager source needs `url` (or `urls` for an HA cluster)".into()));
        }
        for url in self.urls() {
            if let Some(problem) = http_url_problem(url, LOGIN_GOES) {
                problems.push((at(field), problem));
            }
        }
        if !self.path_prefix.is_empty() && !self.path_prefix.starts_with('/') {
            problems.push((at("path_prefix"), "path_prefix starts with '/' (e.g. \"/alertmanager\")".into()));
        }
        self.login().check(at, problems);
        if self.ack_silence.is_some_and(|d| d < Duration::from_secs(60)) {
            problems.push((at("ack_silence"), "ack_silence is at least 1m".into()));
        }
        for f in &self.filters {
            if !f.contains('=') && !f.contains('~') {
                problems
                    .push((at("filters"), format!("{f:?} is not a matcher like name=\"value\" or name=~\"regex\"")));
            }
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(AlertmanagerSource::new(source, self)?))
    }
}

/// What every peer asked answered: each one's error, named by its peer when there are several.
#[derive(Debug)]
struct PeersFailed {
    peers: usize,
    errors: Vec<(Option<String>, HttpError)>,
}

impl From<PeersFailed> for SourceError {
    fn from(f: PeersFailed) -> SourceError {
        let each: Vec<String> = f
            .errors
            .iter()
            .map(|(peer, e)| match peer {
                Some(peer) => format!("{peer}: {e}"),
                None => e.to_string(),
            })
            .collect();
        SourceError::new(if each.len() > 1 {
            format!("all {} peers failed: {}", f.peers, each.join("; "))
        } else {
            each.join("")
        })
    }
}

/// The comment prefix karma uses for acknowledgement silences.
const ACK_PREFIX: &str = "ACK!";

pub struct AlertmanagerSource {
    /// `<url><path_prefix>/api/v2`, one per HA peer.
    bases: Vec<String>,
    client: reqwest::Client,
    auth: http::Auth,
    cfg: AlertmanagerConfig,
    mapping: Arc<Mapping>,
    max_bytes: u64,
    /// The peer that answered last: asked first next time.
    preferred: AtomicUsize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlert {
    #[serde(default)]
    labels: Fields,
    #[serde(default)]
    annotations: Fields,
    /// Inline, as the state below: 16 hexadecimal digits.
    fingerprint: CompactString,
    #[serde(with = "crate::model::timestamp")]
    starts_at: DateTime<Utc>,
    #[serde(default, with = "crate::model::timestamp::option")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    generator_url: String,
    status: AmStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmStatus {
    state: CompactString,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmSilence {
    id: String,
    status: SilenceStatus,
    #[serde(default)]
    matchers: Vec<Value>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
}

#[derive(Debug, Clone, Deserialize)]
struct SilenceStatus {
    state: String,
}

impl AmSilence {
    fn is_ack(&self) -> bool {
        self.comment.trim_start().starts_with(ACK_PREFIX)
    }

    fn in_force(&self) -> bool {
        self.status.state != "expired"
    }
}

/// The comment without the ACK! prefix and klaxon's markers, for people to read.
fn readable(comment: &str) -> String {
    super::without_marks(comment.trim_start().strip_prefix(ACK_PREFIX).unwrap_or(comment))
}

fn json_err(what: &str, e: serde_json::Error) -> SourceError {
    SourceError::new(format!("{what}: not an Alertmanager API v2 answer ({e})"))
}

/// How an Alertmanager alert becomes klaxon's: the source's settings that conversion reads,
/// shared with the thread that converts while the answer is still being decoded.
struct Mapping {
    /// The source's name, the first half of its keys.
    name: String,
    severity_label: String,
    severity_map: SeverityMap,
    default_severity: Severity,
}

impl Mapping {
    /// `keep_silenced`: a silenced alert is kept (marked suppressed), else dropped.
    fn alert(&self, mut a: AmAlert, silences: &HashMap<String, AmSilence>, keep_silenced: bool) -> Option<Alert> {
        let silenced: Vec<&AmSilence> = a.status.silenced_by.iter().filter_map(|id| silences.get(id)).collect();
        let acks: Vec<&AmSilence> = silenced.iter().copied().filter(|s| s.is_ack()).collect();
        let (status, suppression) = if !acks.is_empty() {
            (Status::Acknowledged, None)
        } else if !a.status.silenced_by.is_empty() {
            if !keep_silenced {
                return None;
            }
            let why = silenced
                .first()
                .map_or("silenced".to_string(), |s| format!("silenced by {}: {}", s.created_by, readable(&s.comment)));
            (Status::Suppressed, Some(why))
        } else if !a.status.inhibited_by.is_empty() || a.status.state == "suppressed" {
            (Status::Suppressed, Some("inhibited by another alert".to_string()))
        } else {
            (Status::Firing, None)
        };
        let title = match (a.labels.get("alertname"), a.annotations.get("summary")) {
            (Some(n), Some(s)) => [n, ": ", s].concat(),
            (Some(n), None) => n.to_owned(),
            (None, Some(s)) => s.to_owned(),
            (None, None) => a.fingerprint.to_string(),
        };
        let label = &self.severity_label;
        let (severity, guessed_severity) = match a.labels.get(label).map(|raw| (raw, self.severity_map.known(raw))) {
            Some((_, Some(s))) => (s, None),
            Some((raw, None)) => {
                (self.default_severity, Some(format!("{label}={raw:?} is not a severity klaxon knows")))
            }
            None => (self.default_severity, Some(format!("no {label} label"))),
        };
        let mut links = Vec::with_capacity(2);
        if let Some(rb) = a.annotations.get("runbook_url").or_else(|| a.annotations.get("runbook")) {
            links.push(Link { kind: "runbook".into(), url: rb.to_owned() });
        }
        if !a.generator_url.is_empty() {
            links.push(Link { kind: "source".into(), url: std::mem::take(&mut a.generator_url) });
        }
        // Nearly always a clean hexadecimal fingerprint, used as it is.
        let id = match a.fingerprint.as_str() {
            fp if fp.trim().is_empty() => Cow::Borrowed("unknown"),
            fp if crate::sanitize::is_clean(fp) && !fp.contains(['\n', '/']) => Cow::Borrowed(fp),
            fp => Cow::Owned(crate::sanitize::sanitize_line(fp).replace('/', "_")),
        };
        let alert = Alert {
            key: AlertKey::new(&self.name, &id),
            title,
            severity,
            status,
            started_at: a.starts_at,
            updated_at: a.updated_at.unwrap_or(a.starts_at),
            host: a.labels.get("instance").map(str::to_owned),
            service: a.labels.get("service").or_else(|| a.labels.get("job")).map(str::to_owned),
            labels: a.labels,
            annotations: a.annotations,
            links,
            source_acks: acks
                .iter()
                .map(|s| SourceAck {
                    by: s.created_by.clone(),
                    at: Some(s.starts_at),
                    text: readable(&s.comment),
                    id: None,
                    kind: EntryKind::Acked,
                })
                .collect(),
            suppression,
            guessed: crate::model::Guessed { severity: guessed_severity, started_at: false },
        };
        Some(alert)
    }
}

/// An `/alerts` answer converted as it arrived: the alerts in the answer's order, except
/// those a silence hides, which wait for `/silences` (asked only when there are any).
struct Converted {
    ready: Vec<Alert>,
    /// A silenced alert, and how many ready ones came before it.
    waiting: Vec<(usize, AmAlert)>,
}

impl Converted {
    fn finish(self, mapping: &Mapping, silences: Vec<AmSilence>, keep_silenced: bool) -> Vec<Alert> {
        if self.waiting.is_empty() {
            return self.ready;
        }
        let silences: HashMap<String, AmSilence> = silences.into_iter().map(|s| (s.id.clone(), s)).collect();
        let mut alerts = Vec::with_capacity(self.ready.len() + self.waiting.len());
        let mut ready = self.ready.into_iter();
        let mut taken = 0;
        for (before, a) in self.waiting {
            alerts.extend(ready.by_ref().take(before - taken));
            taken = before;
            alerts.extend(mapping.alert(a, &silences, keep_silenced).map(Alert::sanitized));
        }
        alerts.extend(ready);
        alerts
    }
}

/// Decodes an `/alerts` answer as its chunks arrive and converts each alert on a thread of
/// its own meanwhile: decoding keeps one core busy (150 ms at 50,000 alerts), converting and
/// sanitizing (70 ms) keep up on the other. Peers of one cluster agree on fingerprints: the
/// first of each is kept.
struct Decoder {
    array: crate::json_array::ArrayStream<AmAlert>,
    refused: Option<serde_json::Error>,
    batches: Option<std::sync::mpsc::Sender<Vec<AmAlert>>>,
    /// Batches the converter is done with, emptied, to decode the next ones into.
    spent: std::sync::mpsc::Receiver<Vec<AmAlert>>,
    converted: Converting,
}

/// Converted alerts past which an answer counts as a storm, and the room then made for one.
const LARGE_ANSWER: usize = 1 << 10;
const STORM_ROOM: usize = 1 << 16;

/// The converter's answer; an error (the sender dropped unsent) only if it panicked.
type Converting = tokio::sync::oneshot::Receiver<Converted>;

fn converter_failed<E>(_: E) -> SourceError {
    SourceError::new("converting the alerts failed")
}

impl Decoder {
    fn start(mapping: &Arc<Mapping>, keep_silenced: bool) -> Result<Self, SourceError> {
        let (batches, arriving) = std::sync::mpsc::channel::<Vec<AmAlert>>();
        let (give_back, spent) = std::sync::mpsc::channel::<Vec<AmAlert>>();
        let (done_tx, converted) = tokio::sync::oneshot::channel();
        let mapping = mapping.clone();
        std::thread::Builder::new()
            .name("klaxon-am-convert".into())
            .spawn(move || {
                let none = HashMap::new();
                let mut seen = HashSet::new();
                let mut done = Converted { ready: Vec::new(), waiting: Vec::new() };
                for mut batch in arriving {
                    // Room for a storm at once when the answer shows itself large: room not
                    // written to is address space, not memory, while growing by doubling
                    // copied every alert and faulted in a fresh buffer, late in the answer.
                    if done.ready.len() >= LARGE_ANSWER && done.ready.capacity() < STORM_ROOM {
                        done.ready.reserve(STORM_ROOM - done.ready.len());
                    }
                    for a in batch.drain(..) {
                        if !seen.insert(fingerprint_hash(&a.fingerprint)) {
                            continue;
                        }
                        if a.status.silenced_by.is_empty() {
                            done.ready.extend(mapping.alert(a, &none, keep_silenced).map(Alert::sanitized));
                        } else {
                            done.waiting.push((done.ready.len(), a));
                        }
                    }
                    // Gone once the answer is read: the batch is then freed here.
                    let _ = give_back.send(batch);
                }
                let _ = done_tx.send(done);
            })
            .map_err(|e| SourceError::new(format!("cannot start converting alerts: {e}")))?;
        Ok(Decoder { array: Default::default(), refused: None, batches: Some(batches), spent, converted })
    }

    /// Takes the next chunk; false once the answer is refused (nothing more is worth reading).
    fn feed(&mut self, chunk: &[u8]) -> bool {
        self.refused = self.array.feed(chunk).err();
        let decoded = self.array.take(self.spent.try_recv().ok());
        if !decoded.is_empty()
            && let Some(batches) = &self.batches
        {
            // The converter ends only when the sender is dropped: it cannot be gone here.
            let _ = batches.send(decoded);
        }
        self.refused.is_none()
    }

    /// Ends the answer: the converted alerts arrive on the receiver once the converter has
    /// caught up (it runs apart from the async runtime, which is not held up meanwhile).
    fn close(mut self) -> Result<Converting, SourceError> {
        let last = match self.refused.take() {
            Some(e) => Err(e),
            None => std::mem::take(&mut self.array).finish(),
        };
        // Dropped after the last batch: the converter's loop then ends.
        let batches = self.batches.take();
        let last = last.map_err(|e| json_err("alerts", e))?;
        if let Some(batches) = batches {
            let _ = batches.send(last);
        }
        Ok(self.converted)
    }
}

impl AlertmanagerSource {
    pub fn new(src: &SourceConfig, cfg: &AlertmanagerConfig) -> Result<Self, SourceError> {
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let client = http::client(limits, cfg.ca_file.as_deref())?;
        let auth = http::Auth::from_login(cfg.login().resolve().map_err(SourceError::new)?);
        let prefix = cfg.path_prefix.trim_end_matches('/');
        let bases = cfg.urls().iter().map(|u| format!("{}{prefix}/api/v2", u.trim_end_matches('/'))).collect();
        Ok(AlertmanagerSource {
            bases,
            client,
            auth,
            cfg: cfg.clone(),
            mapping: Arc::new(Mapping {
                name: src.name.clone(),
                severity_label: cfg.severity_label.clone(),
                severity_map: src.severity_map.clone(),
                default_severity: src.default_severity,
            }),
            max_bytes: src.max_bytes,
            preferred: AtomicUsize::new(0),
        })
    }

    fn request(&self, method: Method, base: &str, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{base}{path}")).header("Accept", "application/json");
        r = self.auth.apply(r);
        match &self.cfg.tenant {
            Some(t) => r.header("X-Scope-OrgID", t),
            None => r,
        }
    }

    /// Asks the peer that answered last, then the others. `failover` is off for writes: a
    /// write that timed out may still have happened, and the retry looks before it writes.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        failover: bool,
    ) -> Result<Vec<u8>, PeersFailed> {
        let n = self.bases.len();
        let start = self.preferred.load(Ordering::Relaxed) % n.max(1);
        let mut errors = Vec::new();
        for k in 0..if failover { n } else { 1 } {
            let i = (start + k) % n;
            let mut req = self.request(method.clone(), &self.bases[i], path).query(query);
            if let Some(body) = body {
                req = req.header("Content-Type", "application/json").body(body.to_string());
            }
            match http::fetch(req, self.max_bytes).await {
                Ok(bytes) => {
                    self.preferred.store(i, Ordering::Relaxed);
                    return Ok(bytes);
                }
                Err(e) => errors.push((if n > 1 { Some(peer(&self.bases[i]).to_owned()) } else { None }, e)),
            }
        }
        Err(PeersFailed { peers: n, errors })
    }

    async fn alerts(&self) -> Result<Vec<Alert>, SourceError> {
        let flag = |b: bool| if b { "true" } else { "false" };
        // Silenced alerts are always asked for: an ACK! silence means "acknowledged", which
        // the list must show; other silences are dropped below unless `silenced` is set.
        let mut query = vec![
            ("active", "true"),
            ("silenced", "true"),
            ("inhibited", flag(self.cfg.inhibited)),
            ("unprocessed", flag(self.cfg.unprocessed)),
        ];
        query.extend(self.cfg.filters.iter().map(|f| ("filter", f.as_str())));
        if let Some(r) = &self.cfg.receiver {
            query.push(("receiver", r.as_str()));
        }
        let converted = self.fetch_alerts(&query).await?;
        let silences = if converted.waiting.is_empty() { Vec::new() } else { self.silences().await? };
        let alerts = converted.finish(&self.mapping, silences, self.cfg.silenced);
        crate::phase::mark("alerts: converted");
        Ok(alerts)
    }

    /// `GET /alerts`, asked as [`Self::call`] asks (the peer that answered last first), its
    /// array decoded while the body arrives (never held whole) and converted on a second
    /// thread meanwhile: when the last byte is in, little is left to do.
    async fn fetch_alerts(&self, query: &[(&str, &str)]) -> Result<Converted, SourceError> {
        let n = self.bases.len();
        let start = self.preferred.load(Ordering::Relaxed) % n.max(1);
        let mut errors = Vec::new();
        for k in 0..n {
            let i = (start + k) % n;
            let req = self.request(Method::GET, &self.bases[i], "/alerts").query(query);
            let mut decoder = Decoder::start(&self.mapping, self.cfg.silenced)?;
            let read = async {
                crate::phase::mark("alerts: request");
                let mut resp = http::open(req, self.max_bytes).await?;
                crate::phase::mark("alerts: headers");
                let (mut chunks, mut feeding) = (0usize, std::time::Duration::ZERO);
                let read = http::each_chunk(&mut resp, self.max_bytes, |chunk| {
                    if chunks == 0 {
                        crate::phase::mark("alerts: first chunk");
                    }
                    let t = std::time::Instant::now();
                    let fed = decoder.feed(chunk);
                    (chunks, feeding) = (chunks + 1, feeding + t.elapsed());
                    fed
                })
                .await;
                if crate::phase::on() {
                    let ms = feeding.as_secs_f64() * 1e3;
                    crate::phase::mark(&format!("alerts: {chunks} chunks read, {ms:.1} ms of it framing and decoding"));
                }
                read
            };
            match read.await {
                // An answer that is not alerts is not asked again elsewhere (as `call`).
                Ok(()) => {
                    crate::phase::mark("alerts: last chunk");
                    self.preferred.store(i, Ordering::Relaxed);
                    return decoder.close()?.await.map_err(converter_failed);
                }
                Err(e) => errors.push((if n > 1 { Some(peer(&self.bases[i]).to_owned()) } else { None }, e)),
            }
        }
        Err(PeersFailed { peers: n, errors }.into())
    }

    /// What a poll makes of an `/alerts` answer and a `/silences` answer, without the
    /// network: the parser on its own, for the property tests. Sanitized, as a poll's are.
    pub fn decode(&self, alerts: &[u8], silences: &[u8]) -> Result<Vec<Alert>, SourceError> {
        // Through the same decoder a poll uses, fed in pieces as the network would.
        let mut decoder = Decoder::start(&self.mapping, self.cfg.silenced)?;
        alerts.chunks(4096).all(|chunk| decoder.feed(chunk));
        let converted = decoder.close()?.blocking_recv().map_err(converter_failed)?;
        let silences: Vec<AmSilence> = serde_json::from_slice(silences).map_err(|e| json_err("silences", e))?;
        Ok(converted.finish(&self.mapping, silences, self.cfg.silenced))
    }

    async fn silences(&self) -> Result<Vec<AmSilence>, SourceError> {
        let body = self.call(Method::GET, "/silences", &[], None, true).await?;
        serde_json::from_slice(&body).map_err(|e| json_err("silences", e))
    }

    async fn silence(&self, id: &str) -> Result<Option<AmSilence>, SourceError> {
        match self.call(Method::GET, &format!("/silence/{id}"), &[], None, true).await {
            Ok(body) => serde_json::from_slice(&body).map(Some).map_err(|e| json_err("silence", e)),
            Err(e) if e.errors.iter().any(|(_, e)| e.status() == Some(404)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The silence in force that carries `marker` in its comment: what an earlier try made.
    async fn find_marked(&self, marker: &str) -> Result<Option<AmSilence>, SourceError> {
        Ok(self.silences().await?.into_iter().find(|s| s.in_force() && s.comment.contains(marker)))
    }

    async fn post_silence(&self, body: &Value) -> Result<String, SourceError> {
        let answer = self.call(Method::POST, "/silences", &[], Some(body), false).await?;
        let v: Value = serde_json::from_slice(&answer).map_err(|e| json_err("silence created", e))?;
        v.get("silenceID")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SourceError::new("silence created, but the answer has no silenceID"))
    }

    /// Reads a silence back: done only when the server shows it, in force, with our marker.
    async fn confirm(&self, id: &str, marker: &str) -> Result<AmSilence, SourceError> {
        match self.silence(id).await? {
            Some(s) if s.in_force() && s.comment.contains(marker) => Ok(s),
            Some(s) => Err(SourceError::new(format!("silence {id} reads back {} without our mark", s.status.state))),
            None => Err(SourceError::new(format!("silence {id} is not there on reading back"))),
        }
    }

    async fn ack(&self, op: &MirrorOp, ttl: std::time::Duration) -> Result<MirrorDone, SourceError> {
        let mark = marker(&op.op_id);
        let silences = self.silences().await?;
        let now = Utc::now();
        let ends = chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(|| SourceError::new("ack_silence is out of range"))?;
        let text = op.text.split_whitespace().collect::<Vec<_>>().join(" ");
        // A retry finds what its earlier try made; the owner acking again finds their own
        // silence for the alert and extends it rather than stacking a second one on it.
        let made = silences.iter().find(|s| s.in_force() && s.comment.contains(&mark));
        let own = silences.iter().find(|s| s.in_force() && s.created_by == op.actor && made_for(s, &op.labels));
        let id = match (made, own) {
            (Some(s), _) => s.id.clone(),
            (None, Some(s)) => {
                let said = if text.is_empty() { String::new() } else { format!(" — {}: {text}", op.actor) };
                let body = json!({
                    "id": s.id,
                    "matchers": s.matchers,
                    "startsAt": s.starts_at.to_rfc3339(),
                    "endsAt": ends.max(s.ends_at).to_rfc3339(),
                    "createdBy": s.created_by,
                    "comment": format!("{}{said} {mark}", s.comment),
                });
                self.post_silence(&body).await?
            }
            (None, None) => {
                if op.labels.is_empty() {
                    return Err(SourceError::new("the alert has no labels to silence on"));
                }
                let matchers: Vec<Value> = op
                    .labels
                    .iter()
                    .map(|(k, v)| json!({"name": k, "value": v, "isRegex": false, "isEqual": true}))
                    .collect();
                let comment = format!("{ACK_PREFIX} {text} {mark}").split_whitespace().collect::<Vec<_>>().join(" ");
                let body = json!({
                    "matchers": matchers,
                    "startsAt": now.to_rfc3339(),
                    "endsAt": ends.to_rfc3339(),
                    "createdBy": op.actor,
                    "comment": comment,
                });
                self.post_silence(&body).await?
            }
        };
        let s = self.confirm(&id, &mark).await?;
        // Extending may give the silence a new id: the earlier ack that held the old one follows.
        let prior = match (&op.prior, own) {
            (Some((_, held)), Some(old)) if *held == old.id && held != &id => PriorUpdate::Replace(id.clone()),
            _ => PriorUpdate::Keep,
        };
        Ok(MirrorDone {
            remote_id: Some(id.clone()),
            prior,
            summary: format!("silence {id} until {}", s.ends_at.format("%H:%M UTC")),
        })
    }

    /// Expires every silence klaxon made to acknowledge the alert (whoever acked, however
    /// often), and the one the last ack recorded: an unacked alert is hidden from no one.
    async fn unack(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let prior = op.prior.as_ref().map(|(_, id)| id.as_str());
        let targets = |all: &[AmSilence]| -> Vec<String> {
            all.iter()
                .filter(|s| s.in_force() && (made_for(s, &op.labels) || Some(s.id.as_str()) == prior))
                .map(|s| s.id.clone())
                .collect()
        };
        let ids = targets(&self.silences().await?);
        if ids.is_empty() {
            let prior = if prior.is_some() { PriorUpdate::Clear } else { PriorUpdate::Keep };
            return Ok(MirrorDone { remote_id: None, prior, summary: "no silence to expire".into() });
        }
        for id in &ids {
            self.call(Method::DELETE, &format!("/silence/{id}"), &[], None, false).await?;
        }
        let left = targets(&self.silences().await?);
        if !left.is_empty() {
            return Err(SourceError::new(format!("silence(s) {} still in force", left.join(", "))));
        }
        Ok(MirrorDone {
            remote_id: None,
            prior: PriorUpdate::Clear,
            summary: format!("silence {} expired", ids.join(", ")),
        })
    }

    async fn note(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let keep = |summary: &str| MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: summary.into() };
        let Some((_, id)) = &op.prior else { return Ok(keep("no silence to add it to")) };
        let mark = marker(&op.op_id);
        if let Some(done) = self.find_marked(&mark).await? {
            let prior = if &done.id == id { PriorUpdate::Keep } else { PriorUpdate::Replace(done.id.clone()) };
            return Ok(MirrorDone { remote_id: Some(done.id), prior, summary: "already on the silence".into() });
        }
        let Some(current) = self.silence(id).await?.filter(AmSilence::in_force) else {
            return Ok(MirrorDone {
                remote_id: None,
                prior: PriorUpdate::Clear,
                summary: "the silence has ended".into(),
            });
        };
        let text = op.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = json!({
            "id": current.id,
            "matchers": current.matchers,
            "startsAt": current.starts_at.to_rfc3339(),
            "endsAt": current.ends_at.to_rfc3339(),
            "createdBy": current.created_by,
            "comment": format!("{} — {}: {text} {mark}", current.comment, op.actor),
        });
        // Alertmanager may answer an update with a new silence id: keep whichever it says.
        let new_id = self.post_silence(&body).await?;
        self.confirm(&new_id, &mark).await?;
        let prior = if &new_id == id { PriorUpdate::Keep } else { PriorUpdate::Replace(new_id.clone()) };
        Ok(MirrorDone { remote_id: Some(new_id.clone()), prior, summary: format!("note added to silence {new_id}") })
    }
}

impl AlertmanagerSource {
    /// A person's silence action (the editor's, `klaxon silence`): made, extended or expired,
    /// then read back. Made and extended ones carry the op mark, so a retry finds its work.
    async fn silence_op(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let action = SilenceOp::parse(&op.text).map_err(SourceError::new)?;
        let mark = marker(&op.op_id);
        let done = |id: &str, summary: String| MirrorDone {
            remote_id: Some(id.to_owned()),
            prior: PriorUpdate::Keep,
            summary,
        };
        let until = |s: &AmSilence| s.ends_at.format("%F %H:%M UTC").to_string();
        match action {
            SilenceOp::Add { matchers, ends_at, comment } => {
                let id = match self.find_marked(&mark).await? {
                    Some(s) => s.id,
                    None => {
                        let body = json!({
                            "matchers": matchers.iter().map(matcher_json).collect::<Vec<_>>(),
                            "startsAt": Utc::now().to_rfc3339(),
                            "endsAt": ends_at.to_rfc3339(),
                            "createdBy": op.actor,
                            "comment": format!("{comment} {mark}").trim(),
                        });
                        self.post_silence(&body).await?
                    }
                };
                let s = self.confirm(&id, &mark).await?;
                Ok(done(&id, format!("silence {id} made until {}", until(&s))))
            }
            SilenceOp::Extend { id: old, ends_at } => {
                let id = match self.find_marked(&mark).await? {
                    Some(s) => s.id,
                    None => {
                        let Some(s) = self.silence(&old).await?.filter(AmSilence::in_force) else {
                            return Err(SourceError::new(format!("silence {old} is not in force: make a new one")));
                        };
                        // Same matchers and start: Alertmanager updates it in place, or
                        // expires it and answers with a new id, which is what stands then.
                        let body = json!({
                            "id": s.id,
                            "matchers": s.matchers,
                            "startsAt": s.starts_at.to_rfc3339(),
                            "endsAt": ends_at.to_rfc3339(),
                            "createdBy": s.created_by,
                            "comment": format!("{} {mark}", s.comment),
                        });
                        self.post_silence(&body).await?
                    }
                };
                let s = self.confirm(&id, &mark).await?;
                let was = if id == old { String::new() } else { format!(" (was {old})") };
                Ok(done(&id, format!("silence {id}{was} now until {}", until(&s))))
            }
            SilenceOp::Expire { id } => {
                match self.silence(&id).await? {
                    None => return Err(SourceError::new(format!("there is no silence {id}"))),
                    Some(s) if !s.in_force() => return Ok(done(&id, format!("silence {id} was already expired"))),
                    Some(_) => {}
                }
                self.call(Method::DELETE, &format!("/silence/{id}"), &[], None, false).await?;
                match self.silence(&id).await? {
                    Some(s) if !s.in_force() => Ok(done(&id, format!("silence {id} expired"))),
                    _ => Err(SourceError::new(format!("silence {id} is still in force after expiring it"))),
                }
            }
        }
    }

    /// Every silence, each with how many alerts it silences now (Alertmanager's own
    /// `silencedBy`), cleaned at the border; and the alerts a poll hides (silenced, unless
    /// `silenced`; inhibited, unless `inhibited`), marked suppressed with who and why.
    async fn silence_list(&self) -> Result<Silences, SourceError> {
        let silences = self.silences().await?;
        let query = [("active", "true"), ("silenced", "true"), ("inhibited", "true"), ("unprocessed", "true")];
        let body = self.call(Method::GET, "/alerts", &query, None, true).await?;
        let raw: Vec<AmAlert> = serde_json::from_slice(&body).map_err(|e| json_err("alerts", e))?;
        let mut seen = HashSet::new();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for a in raw.iter().filter(|a| seen.insert(a.fingerprint.as_str())) {
            for id in &a.status.silenced_by {
                *counts.entry(id.as_str()).or_default() += 1;
            }
        }
        let clean = crate::sanitize::sanitize_line;
        let list = silences
            .iter()
            .map(|s| Silence {
                source: self.mapping.name.clone(),
                id: clean(&s.id),
                state: clean(&s.status.state),
                matchers: s.matchers.iter().filter_map(matcher_of).collect(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                created_by: clean(&s.created_by),
                comment: clean(&s.comment),
                matched: counts.get(s.id.as_str()).copied().unwrap_or(0),
                maintenance: None,
            })
            .collect();
        let by_id: HashMap<String, AmSilence> = silences.into_iter().map(|s| (s.id.clone(), s)).collect();
        let hides = |a: &AmAlert| {
            (!a.status.silenced_by.is_empty() && !self.cfg.silenced)
                || (a.status.silenced_by.is_empty() && !a.status.inhibited_by.is_empty() && !self.cfg.inhibited)
        };
        let mut seen = HashSet::new();
        let hidden = raw
            .into_iter()
            .filter(|a| hides(a) && seen.insert(a.fingerprint.clone()))
            .filter_map(|a| self.mapping.alert(a, &by_id, true))
            .filter(|a| a.status == Status::Suppressed)
            .collect();
        Ok(Silences { list, hidden })
    }
}

fn matcher_json(m: &Matcher) -> Value {
    json!({"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal})
}

/// A matcher as Alertmanager answers it (`isEqual` absent before 0.22: equal).
fn matcher_of(v: &Value) -> Option<Matcher> {
    let clean = crate::sanitize::sanitize_line;
    Some(Matcher {
        name: clean(v.get("name")?.as_str()?),
        value: clean(v.get("value")?.as_str()?),
        is_regex: v.get("isRegex").and_then(Value::as_bool).unwrap_or(false),
        is_equal: v.get("isEqual").and_then(Value::as_bool).unwrap_or(true),
    })
}

/// Whether klaxon made `s` to acknowledge the alert with `labels`: an ACK! comment with
/// klaxon's op mark, matching exactly those labels, each for equality.
fn made_for(s: &AmSilence, labels: &Fields) -> bool {
    if !s.is_ack() || !super::has_mark(&s.comment) || labels.is_empty() || s.matchers.len() != labels.len() {
        return false;
    }
    s.matchers.iter().all(|m| {
        let name = m.get("name").and_then(Value::as_str);
        let value = m.get("value").and_then(Value::as_str);
        let plain = !m.get("isRegex").and_then(Value::as_bool).unwrap_or(false)
            && m.get("isEqual").and_then(Value::as_bool).unwrap_or(true);
        plain && name.is_some_and(|n| labels.get(n) == value)
    })
}

fn fingerprint_hash(f: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(f)
}

fn peer(base: &str) -> &str {
    base.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or(base)
}

impl AlertSource for AlertmanagerSource {
    fn name(&self) -> &str {
        &self.mapping.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.alerts())
    }

    /// Each alert is sanitized where it is converted, beside the decoding ([`Decoder`]).
    fn poll_clean(&self) -> PollFuture<'_> {
        Box::pin(self.alerts())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        kind == EntryKind::Silenced
            || self.cfg.ack_silence.is_some() && matches!(kind, EntryKind::Acked | EntryKind::Unacked | EntryKind::Note)
    }

    fn silences(&self) -> Option<SilencesFuture<'_>> {
        Some(Box::pin(self.silence_list()))
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            match (op.kind, self.cfg.ack_silence) {
                (EntryKind::Acked, Some(ttl)) => self.ack(op, ttl).await,
                (EntryKind::Unacked, _) => self.unack(op).await,
                (EntryKind::Note, _) => self.note(op).await,
                (EntryKind::Silenced, _) => self.silence_op(op).await,
                _ => Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: "nothing to do".into() }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_comments_lose_prefix_and_markers() {
        assert_eq!(
            readable("ACK! on it [klaxon op 0123] — bob: db restarted [klaxon op 4567]"),
            "on it — bob: db restarted"
        );
        assert_eq!(readable("maintenance window"), "maintenance window");
    }

    #[test]
    fn only_klaxons_ack_silences_on_exactly_the_alerts_labels_count_as_made_for_it() {
        let labels = Fields::from([("alertname", "CpuHot"), ("instance", "db-1")]);
        let silence = |comment: &str, matchers: Value| -> AmSilence {
            serde_json::from_value(json!({
                "id": "s1", "status": {"state": "active"}, "matchers": matchers, "comment": comment,
                "startsAt": "2026-11-21T03:00:00Z", "endsAt": "2026-11-21T04:00:00Z", "createdBy": "bob"
            }))
            .unwrap()
        };
        let exact = json!([{"name": "alertname", "value": "CpuHot", "isRegex": false},
                           {"name": "instance", "value": "db-1", "isRegex": false, "isEqual": true}]);
        assert!(made_for(&silence("ACK! on it [klaxon op 01ab]", exact.clone()), &labels));
        assert!(!made_for(&silence("ACK! by karma", exact.clone()), &labels), "not klaxon's");
        assert!(!made_for(&silence("maintenance [klaxon op 01ab]", exact), &labels), "not an ack");
        let regex = json!([{"name": "alertname", "value": "CpuHot", "isRegex": false},
                           {"name": "instance", "value": "db-1", "isRegex": true}]);
        assert!(!made_for(&silence("ACK! x [klaxon op 01ab]", regex), &labels));
        let fewer = json!([{"name": "alertname", "value": "CpuHot", "isRegex": false}]);
        assert!(!made_for(&silence("ACK! x [klaxon op 01ab]", fewer), &labels), "a wider silence is not this ack");
    }

    /// A source named `prod` with the defaults, for [`AlertmanagerSource::decode`].
    fn prod() -> AlertmanagerSource {
        let cfg = crate::settings::parse(
            "[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:9\"\n",
            "k.toml",
        )
        .unwrap();
        let super::super::SourceKind::Alertmanager(am) = &cfg.sources[0].kind else { unreachable!() };
        AlertmanagerSource::new(&cfg.sources[0], am).unwrap()
    }

    /// Converted beside the decoding, the alerts keep the answer's order: the silenced ones,
    /// converted only once `/silences` is read, go back where they were; a silence that is
    /// not an ack hides its alert (`silenced` is off); a repeated fingerprint counts once.
    #[test]
    fn alerts_converted_while_decoding_keep_the_answers_order() {
        let source = prod();
        let alert = |fp: &str, silenced: &[&str]| {
            json!({"fingerprint": fp, "labels": {"alertname": format!("A{fp}"), "severity": "critical"},
                   "annotations": {"summary": "s\u{1b}[2J"}, "startsAt": "2026-12-03T10:00:00Z",
                   "status": {"state": if silenced.is_empty() { "active" } else { "suppressed" },
                              "silencedBy": silenced, "inhibitedBy": []}})
        };
        let mut answer: Vec<Value> = Vec::new();
        for i in 0..3000 {
            let fp = format!("{i:04}");
            answer.push(match i % 1000 {
                1 => alert(&fp, &["ack"]),
                2 => alert(&fp, &["maint"]),
                _ => alert(&fp, &[]),
            });
        }
        answer.push(alert("0000", &[]));
        let silences = json!([
            {"id": "ack", "status": {"state": "active"}, "matchers": [], "createdBy": "bob", "comment": "ACK! on it",
             "startsAt": "2026-12-03T10:00:00Z", "endsAt": "2026-12-03T11:00:00Z"},
            {"id": "maint", "status": {"state": "active"}, "matchers": [], "createdBy": "carol", "comment": "work",
             "startsAt": "2026-12-03T10:00:00Z", "endsAt": "2026-12-03T11:00:00Z"}
        ]);
        let alerts =
            source.decode(&serde_json::to_vec(&answer).unwrap(), &serde_json::to_vec(&silences).unwrap()).unwrap();
        let want: Vec<String> = (0..3000).filter(|i| i % 1000 != 2).map(|i| format!("prod/{i:04}")).collect();
        let got: Vec<&str> = alerts.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(got, want);
        let acked: Vec<&str> =
            alerts.iter().filter(|a| a.status == Status::Acknowledged).map(|a| a.key.as_str()).collect();
        assert_eq!(acked, ["prod/0001", "prod/1001", "prod/2001"]);
        assert!(alerts.iter().all(|a| a.title.ends_with(": s[2J")), "sanitized where converted: {}", alerts[0].title);
    }

    /// An alert that does not decode, deep in a long answer, refuses the answer in serde's
    /// words for that alert (the converting thread had taken many alerts by then); an
    /// answer cut off mid-array is refused as cut off.
    #[test]
    fn an_alert_that_does_not_decode_refuses_the_answer_in_its_own_words() {
        let source = prod();
        let answer: Vec<Value> = (0..3000)
            .map(|i| {
                json!({"fingerprint": format!("{i:04}"), "labels": {"alertname": "A"},
                       "startsAt": if i == 2500 { json!(5) } else { json!("2026-12-03T10:00:00Z") },
                       "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}})
            })
            .collect();
        let bytes = serde_json::to_vec(&answer).unwrap();
        let e = source.decode(&bytes, b"[]").unwrap_err().to_string();
        assert!(e.contains("invalid type: integer `5`"), "{e}");
        let e = source.decode(&bytes[..bytes.len() / 2], b"[]").unwrap_err().to_string();
        assert!(e.contains("EOF while parsing a list"), "{e}");
    }

    #[test]
    fn peers_are_named_by_host() {
        assert_eq!(peer("http://10.0.0.1:9093/api/v2"), "10.0.0.1:9093");
    }
}
