//! Icinga 2, through its REST API (2.11 and later; port 5665, always TLS).
//!
//! A poll asks `/v1/objects/services` and `/v1/objects/hosts` for problems (with
//! `X-HTTP-Method-Override: GET`, the filter in the body and the host joined, only the
//! attributes used), then the people's comments and, when a problem is in downtime, the
//! downtimes. Group names and the object names of actions go in `filter_vars`, never
//! into the filter text. Acknowledge, comment and remove-acknowledgement go back through
//! `/v1/actions/*`, each leaving a comment that carries `[klaxon op <op_id>]`: a retry
//! that finds the mark on the object has nothing left to do. Icinga has no severity and
//! nothing to close: those actions are refused before they are stored.

use super::check_states::{
    self, State, StateSeverities, comment, done, links, object_id, split_object, standing, title,
};
use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{op_mark as marker, without_marks as readable};
use crate::config::{At, Problems, Secret, SecretField, http_url_problem, opt_duration};
use crate::http::{self, HttpError, Limits};
use crate::model::{Alert, AlertKey, EntryKind, Fields, Guessed, MirrorDone, MirrorOp, SourceAck};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// `kind = "icinga2"`: Icinga 2's REST API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Icinga2Config {
    /// The API, e.g. "https://icinga.example.com:5665".
    pub url: String,
    /// An ApiUser with a password…
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// …or a client certificate (PEM) signed by Icinga's CA, for an ApiUser with `client_cn`;
    /// the key file must be 0600.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's: Icinga's own CA (`/var/lib/icinga2/certs/ca.crt`).
    pub ca_file: Option<PathBuf>,
    /// Only problems of hosts in any of these host groups.
    #[serde(default)]
    pub host_groups: Vec<String>,
    /// Only service problems of services in any of these service groups.
    #[serde(default)]
    pub service_groups: Vec<String>,
    /// An Icinga filter expression ANDed to the services' (e.g. `service.vars.team == "db"`).
    pub filter: Option<String>,
    /// The same for hosts.
    pub host_filter: Option<String>,
    /// Also show host problems (DOWN, UNREACHABLE).
    #[serde(default = "crate::config::yes")]
    pub hosts: bool,
    /// Also show handled problems (acknowledged, in downtime, or behind a host that is down).
    #[serde(default = "crate::config::yes")]
    pub handled: bool,
    /// The severity of each state.
    #[serde(default)]
    pub severities: StateSeverities,
    /// Carry acknowledgements, their removal and notes back to Icinga (through the outbox).
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// An acknowledgement stays until the object is OK (not only until its state changes).
    #[serde(default = "crate::config::yes")]
    pub ack_sticky: bool,
    /// Icinga notifies the contacts of an acknowledgement.
    #[serde(default = "crate::config::yes")]
    pub ack_notify: bool,
    /// An acknowledgement ends by itself after this long.
    #[serde(default, deserialize_with = "opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub ack_expiry: Option<Duration>,
}

impl Icinga2Config {
    fn password(&self) -> SecretField<'_> {
        SecretField::new("password", &self.password_env, &self.password_file)
    }
}

impl KindConfig for Icinga2Config {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        if let Some(problem) =
            http_url_problem(&self.url, "give `username` with `password_env`/`password_file` (a 0600 file)")
        {
            // http:// stays allowed: Icinga itself speaks only HTTPS, but a reverse proxy
            // in front of it may not.
            problems.push((at("url"), problem));
        }
        let password = self.password();
        password.check(at, problems);
        if self.username.is_some() != password.is_given() {
            problems.push((at("username"), "a login needs both username and password_env/password_file".into()));
        }
        match (&self.client_cert, &self.client_key) {
            (Some(_), None) | (None, Some(_)) => {
                problems.push((at("client_cert"), "a client certificate needs both client_cert and client_key".into()))
            }
            (Some(_), Some(key)) => {
                if let Err(e) = crate::config::read_private_file(&crate::config::paths::expand_tilde(key)) {
                    problems.push((at("client_key"), e));
                }
            }
            (None, None) if self.username.is_none() => problems.push((
                at("kind"),
                "icinga2 needs username with password_env/password_file, or client_cert with client_key".into(),
            )),
            (None, None) => {}
        }
        for (key, filter) in [("filter", &self.filter), ("host_filter", &self.host_filter)] {
            if filter.as_deref().is_some_and(|f| f.trim().is_empty()) {
                problems.push((at(key), format!("{key} is empty: leave it out to show every problem")));
            }
        }
        if self.ack_expiry.is_some_and(|d| d < Duration::from_secs(60)) {
            problems.push((at("ack_expiry"), "ack_expiry is at least 1m".into()));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(Icinga2Source::new(source, self)?))
    }
}

pub struct Icinga2Source {
    name: String,
    base: String,
    client: reqwest::Client,
    login: Option<(String, Secret)>,
    cfg: Icinga2Config,
    max_bytes: u64,
}

/// What every object query answers: `{"results": [{"name", "attrs", "joins"}]}`.
#[derive(Deserialize)]
struct Results<T> {
    results: Vec<T>,
}

#[derive(Deserialize)]
struct Object<A> {
    name: String,
    attrs: A,
    #[serde(default)]
    joins: Joins,
}

#[derive(Default, Deserialize)]
struct Joins {
    host: Option<HostJoin>,
}

#[derive(Deserialize)]
struct HostJoin {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
}

/// A host's or a service's state (numbers come as floats: `2.0`).
#[derive(Deserialize)]
struct Checkable {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    host_name: Option<String>,
    #[serde(default)]
    state: f64,
    #[serde(default)]
    state_type: f64,
    #[serde(default = "yes")]
    last_reachable: bool,
    #[serde(default)]
    last_check_result: Option<CheckResult>,
    #[serde(default)]
    last_state_change: f64,
    #[serde(default)]
    last_hard_state_change: f64,
    #[serde(default)]
    acknowledgement: f64,
    #[serde(default)]
    acknowledgement_expiry: f64,
    #[serde(default)]
    downtime_depth: f64,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    notes_url: Option<String>,
    #[serde(default)]
    action_url: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct CheckResult {
    #[serde(default)]
    output: String,
    #[serde(default)]
    execution_end: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct Comment {
    #[serde(default)]
    author: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    entry_type: f64,
    #[serde(default)]
    entry_time: f64,
    #[serde(default)]
    host_name: String,
    #[serde(default)]
    service_name: String,
}

#[derive(Deserialize)]
struct Downtime {
    #[serde(default)]
    author: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    end_time: f64,
    #[serde(default)]
    host_name: String,
    #[serde(default)]
    service_name: String,
}

/// The comment entry type of an acknowledgement's comment (a person's own is 1).
const ACK_COMMENT: f64 = 4.0;

const SERVICE_ATTRS: &[&str] = &[
    "display_name",
    "host_name",
    "state",
    "state_type",
    "last_check_result",
    "last_state_change",
    "last_hard_state_change",
    "acknowledgement",
    "acknowledgement_expiry",
    "downtime_depth",
    "notes",
    "notes_url",
    "action_url",
];

/// The object an action is for: a host, or a host's service (`host!service`, Icinga's
/// own name for it; neither part can hold a `!`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    host: String,
    service: Option<String>,
}

impl Target {
    fn of(id: &str) -> Target {
        let (host, service) = split_object(id);
        Target { host: host.into(), service: service.map(str::to_owned) }
    }

    fn kind(&self) -> &'static str {
        if self.service.is_some() { "Service" } else { "Host" }
    }

    /// `type`, `filter` and `filter_vars` naming exactly this object.
    fn selector(&self) -> Map<String, Value> {
        let (filter, vars) = match &self.service {
            Some(s) => ("host.name == h && service.name == s", json!({"h": self.host, "s": s})),
            None => ("host.name == h", json!({"h": self.host})),
        };
        let mut m = Map::new();
        m.insert("type".into(), json!(self.kind()));
        m.insert("filter".into(), json!(filter));
        m.insert("filter_vars".into(), vars);
        m
    }
}

fn state(a: &Checkable, is_host: bool) -> State {
    if is_host { State::host(a.state as i64, a.last_reachable) } else { State::service(a.state as i64) }
}

fn at(ts: f64) -> Option<DateTime<Utc>> {
    if !ts.is_finite() || ts <= 0.0 {
        return None;
    }
    Utc.timestamp_opt(ts.trunc() as i64, (ts.fract() * 1e9) as u32).single()
}

fn results<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<Vec<T>, SourceError> {
    serde_json::from_slice::<Results<T>>(bytes)
        .map(|r| r.results)
        .map_err(|e| SourceError::new(format!("{what}: not an Icinga 2 API answer ({e})")))
}

/// `(name0 in host.groups || name1 in host.groups)` with the names as filter variables.
fn any_group(prefix: &str, attr: &str, groups: &[String], vars: &mut Map<String, Value>) -> Option<String> {
    if groups.is_empty() {
        return None;
    }
    let each: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            vars.insert(format!("{prefix}{i}"), json!(g));
            format!("{prefix}{i} in {attr}")
        })
        .collect();
    Some(format!("({})", each.join(" || ")))
}

impl Icinga2Source {
    pub fn new(src: &SourceConfig, cfg: &Icinga2Config) -> Result<Self, SourceError> {
        let identity = match (&cfg.client_cert, &cfg.client_key) {
            (Some(cert), Some(key)) => {
                let cert = crate::config::paths::expand_tilde(cert);
                let mut pem = std::fs::read(&cert)
                    .map_err(|e| SourceError::new(format!("client certificate {}: {e}", cert.display())))?;
                pem.push(b'\n');
                pem.extend(
                    crate::config::read_private_file(&crate::config::paths::expand_tilde(key))
                        .map_err(SourceError::new)?,
                );
                Some(pem)
            }
            _ => None,
        };
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let client = http::client_with_identity(limits, cfg.ca_file.as_deref(), identity.as_deref())?;
        let login = match (&cfg.username, cfg.password().resolve().map_err(SourceError::new)?) {
            (Some(user), Some(password)) => {
                Secret::remember_basic(user, &password);
                Some((user.clone(), password))
            }
            _ => None,
        };
        Ok(Icinga2Source {
            name: src.name.clone(),
            base: cfg.url.trim().trim_end_matches('/').trim_end_matches("/v1").to_owned(),
            client,
            login,
            cfg: cfg.clone(),
            max_bytes: src.max_bytes,
        })
    }

    /// A POST to `/v1/<path>` (a query when `query`: Icinga reads a GET from a POST with
    /// the override header, so the filter goes in a body and not in a URL).
    async fn post(&self, path: &str, body: &Value, query: bool) -> Result<Vec<u8>, HttpError> {
        let mut req = self
            .client
            .post(format!("{}/v1/{path}", self.base))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if query {
            req = req.header("X-HTTP-Method-Override", "GET");
        }
        if let Some((user, password)) = &self.login {
            req = req.basic_auth(user, Some(password.expose()));
        }
        http::fetch(req, self.max_bytes).await
    }

    async fn objects<T: DeserializeOwned>(&self, kind: &str, body: Value) -> Result<Vec<T>, SourceError> {
        let bytes = self.post(&format!("objects/{kind}"), &body, true).await.map_err(|e| match e.status() {
            // Icinga says "No objects found." for a filter it cannot parse, too.
            Some(404) => SourceError::new(format!("{kind}: {e} (is the filter valid?)")),
            _ => SourceError::new(format!("{kind}: {}", e.clean())),
        })?;
        results(kind, &bytes)
    }

    /// The bodies of the two problem queries: services, then hosts (None: hosts are off).
    fn problem_queries(&self) -> (Value, Option<Value>) {
        let mut vars = Map::new();
        let hg = any_group("hg", "host.groups", &self.cfg.host_groups, &mut vars);
        let handled = |kind: &str| (!self.cfg.handled).then(|| format!("!{kind}.handled"));
        let mut parts: Vec<String> = vec!["service.problem".into()];
        parts.extend(handled("service"));
        parts.extend(hg.clone());
        parts.extend(any_group("sg", "service.groups", &self.cfg.service_groups, &mut vars));
        parts.extend(self.cfg.filter.as_ref().map(|f| format!("({f})")));
        let mut services = json!({
            "filter": parts.join(" && "),
            "attrs": SERVICE_ATTRS,
            "joins": ["host.name", "host.display_name"],
        });
        if !vars.is_empty() {
            services["filter_vars"] = Value::Object(vars.clone());
        }
        let hosts = self.cfg.hosts.then(|| {
            let mut parts: Vec<String> = vec!["host.problem".into()];
            parts.extend(handled("host"));
            parts.extend(hg);
            parts.extend(self.cfg.host_filter.as_ref().map(|f| format!("({f})")));
            let mut attrs: Vec<&str> = SERVICE_ATTRS.iter().copied().filter(|a| *a != "host_name").collect();
            attrs.push("last_reachable");
            let mut hosts = json!({"filter": parts.join(" && "), "attrs": attrs});
            if !self.cfg.host_groups.is_empty() {
                hosts["filter_vars"] = Value::Object(vars.into_iter().filter(|(k, _)| k.starts_with("hg")).collect());
            }
            hosts
        });
        (services, hosts)
    }

    async fn problems(&self) -> Result<Vec<Alert>, SourceError> {
        let (services, hosts) = self.problem_queries();
        let services: Vec<Object<Checkable>> = self.objects("services", services).await?;
        let hosts: Vec<Object<Checkable>> = match hosts {
            Some(q) => self.objects("hosts", q).await?,
            None => Vec::new(),
        };
        let comments = self.comments(json!({"filter": "comment.entry_type == 1 || comment.entry_type == 4"})).await?;
        let downtimes: Vec<Object<Downtime>> = if services.iter().chain(&hosts).any(|o| o.attrs.downtime_depth > 0.0) {
            let attrs = ["author", "comment", "end_time", "host_name", "service_name"];
            // 2.13 cannot filter on being in effect: the object's depth says it is.
            self.objects("downtimes", json!({"attrs": attrs})).await?
        } else {
            Vec::new()
        };
        Ok(self.to_alerts(services, hosts, comments, downtimes))
    }

    async fn comments(&self, mut query: Value) -> Result<Vec<Object<Comment>>, SourceError> {
        query["attrs"] = json!(["author", "text", "entry_type", "entry_time", "host_name", "service_name"]);
        self.objects("comments", query).await
    }

    /// What a poll makes of the answers of the services, hosts, comments and downtimes
    /// queries (whole bodies), without the network: the parser on its own, for the
    /// property tests and the benchmark.
    pub fn decode(
        &self,
        services: &[u8],
        hosts: &[u8],
        comments: &[u8],
        downtimes: &[u8],
    ) -> Result<Vec<Alert>, SourceError> {
        Ok(self.to_alerts(
            results("services", services)?,
            results("hosts", hosts)?,
            results("comments", comments)?,
            results("downtimes", downtimes)?,
        ))
    }

    fn to_alerts(
        &self,
        services: Vec<Object<Checkable>>,
        hosts: Vec<Object<Checkable>>,
        comments: Vec<Object<Comment>>,
        downtimes: Vec<Object<Downtime>>,
    ) -> Vec<Alert> {
        // Comments and downtimes by the name of their object (`host` or `host!service`).
        let object = |host: &str, service: &str| object_id(host, Some(service));
        let mut said: HashMap<String, Vec<(String, Comment)>> = HashMap::new();
        for c in comments {
            said.entry(object(&c.attrs.host_name, &c.attrs.service_name)).or_default().push((c.name, c.attrs));
        }
        let mut down: HashMap<String, Downtime> = HashMap::new();
        for d in downtimes {
            let key = object(&d.attrs.host_name, &d.attrs.service_name);
            // The one ending last says how long it stays suppressed.
            if down.get(&key).is_none_or(|had| had.end_time < d.attrs.end_time) {
                down.insert(key, d.attrs);
            }
        }
        let hosts = hosts.into_iter().map(|h| (h, true));
        services
            .into_iter()
            .map(|s| (s, false))
            .chain(hosts)
            // A raw filter may let an object that is OK through: it is no problem to show.
            .filter(|(o, is_host)| state(&o.attrs, *is_host).is_problem())
            .map(|(o, is_host)| {
                let said = said.remove(&o.name).unwrap_or_default();
                let down = down.get(&o.name);
                self.to_alert(o, is_host, said, down)
            })
            .collect()
    }

    fn to_alert(
        &self,
        o: Object<Checkable>,
        is_host: bool,
        said: Vec<(String, Comment)>,
        down: Option<&Downtime>,
    ) -> Alert {
        let a = &o.attrs;
        let state = state(a, is_host);
        let (host_name, host_shown, service) = if is_host {
            let shown = if a.display_name.is_empty() { o.name.clone() } else { a.display_name.clone() };
            (o.name.clone(), shown, None)
        } else {
            let join = o.joins.host.as_ref();
            let host_name = a
                .host_name
                .clone()
                .or_else(|| join.map(|h| h.name.clone()))
                .unwrap_or_else(|| Target::of(&o.name).host);
            let shown = join.map(|h| h.display_name.clone()).filter(|d| !d.is_empty()).unwrap_or(host_name.clone());
            let short = Target::of(&o.name).service.unwrap_or_default();
            (host_name, shown, Some(if a.display_name.is_empty() { short } else { a.display_name.clone() }))
        };
        let mut labels = Fields::new();
        labels.insert("host".to_string(), host_name);
        if let Some(s) = Target::of(&o.name).service {
            labels.insert("service", s);
        }
        labels.insert("state", state.name());
        labels.insert("state_type", if a.state_type >= 1.0 { "hard" } else { "soft" });
        let mut annotations = Fields::new();
        if let Some(r) = &a.last_check_result {
            annotations.insert("output".to_string(), r.output.clone());
        }
        if let Some(n) = a.notes.as_ref().filter(|n| !n.trim().is_empty()) {
            annotations.insert("notes", n.clone());
        }
        let links = links(a.notes_url.as_deref().unwrap_or(""), a.action_url.as_deref().unwrap_or(""));
        let downtime =
            down.map(|d| check_states::Downtime { until: at(d.end_time), author: &d.author, comment: &d.comment });
        let (status, suppression) = standing(a.downtime_depth > 0.0, a.acknowledgement > 0.0, downtime);
        if a.acknowledgement > 0.0
            && let Some(t) = at(a.acknowledgement_expiry)
        {
            annotations.insert("acknowledgement_expires", t.to_rfc3339());
        }
        // When the problem began: its hard state change; a soft state has only its own.
        let changed = if a.state_type >= 1.0 { at(a.last_hard_state_change) } else { None };
        let started = changed.or_else(|| at(a.last_state_change));
        let checked = a.last_check_result.as_ref().and_then(|r| at(r.execution_end));
        let now = Utc::now();
        let source_acks = said
            .into_iter()
            // klaxon's own are in the timeline already, as the person's entries.
            .filter(|(_, c)| !super::has_mark(&c.text))
            .map(|(name, c)| SourceAck {
                by: c.author,
                at: at(c.entry_time),
                text: readable(&c.text),
                id: Some(name),
                kind: if c.entry_type == ACK_COMMENT { EntryKind::Acked } else { EntryKind::Note },
            })
            .collect();
        Alert {
            // Clean here, not only at the border: the key is the one field the border leaves.
            key: AlertKey::new(&self.name, &crate::sanitize::sanitize_line(&o.name)),
            title: title(&host_shown, service.as_deref(), state),
            severity: self.cfg.severities.of(state),
            status,
            started_at: started.unwrap_or(now),
            updated_at: checked.or(started).unwrap_or(now),
            labels,
            annotations,
            host: Some(host_shown),
            service,
            links,
            source_acks,
            suppression,
            guessed: Guessed { severity: None, started_at: started.is_none() },
        }
    }

    /// Acknowledgement state of the object, read back.
    async fn acknowledged(&self, target: &Target) -> Result<bool, SourceError> {
        let kind = if target.service.is_some() { "services" } else { "hosts" };
        let mut query = Value::Object(target.selector());
        query.as_object_mut().map(|m| m.remove("type"));
        query["attrs"] = json!(["acknowledgement"]);
        let found: Vec<Object<Checkable>> = self.objects(kind, query).await?;
        let o = found.first().ok_or_else(|| SourceError::new(format!("{} is not in Icinga", target.kind())))?;
        Ok(o.attrs.acknowledgement > 0.0)
    }

    /// The comments on exactly this object.
    async fn comments_on(&self, target: &Target) -> Result<Vec<Object<Comment>>, SourceError> {
        let service = target.service.clone().unwrap_or_default();
        self.comments(json!({
            "filter": "comment.host_name == h && comment.service_name == s",
            "filter_vars": {"h": target.host, "s": service},
        }))
        .await
    }

    /// One `/v1/actions/<action>` call on the object; Icinga answers per object.
    async fn action(&self, action: &str, target: &Target, extra: Value) -> Result<(), HttpError> {
        let mut body = target.selector();
        if let Value::Object(extra) = extra {
            body.extend(extra);
        }
        let bytes = self.post(&format!("actions/{action}"), &Value::Object(body), false).await?;
        let answers: Vec<Value> = results(action, &bytes).map_err(|e| HttpError::Decode(e.to_string()))?;
        match answers.iter().find(|r| r["code"].as_f64().is_some_and(|c| c >= 300.0)) {
            Some(r) => Err(HttpError::Status {
                code: r["code"].as_f64().unwrap_or(0.0) as u16,
                said: r["status"].as_str().unwrap_or("").to_owned(),
            }),
            None if answers.is_empty() => Err(HttpError::Status { code: 404, said: "no such object".into() }),
            None => Ok(()),
        }
    }

    async fn act(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let target = Target::of(op.alert_key.id());
        let mark = marker(&op.op_id);
        let find = |cs: &[Object<Comment>]| cs.iter().find(|c| c.attrs.text.contains(&mark)).map(|c| c.name.clone());
        if let Some(id) = find(&self.comments_on(&target).await?) {
            return Ok(done(op, id, "already in Icinga"));
        }
        let text = readable(&op.text);
        let said = |what: &str| comment(&text, what, &mark);
        let failed = |action: &str, e: HttpError| SourceError::new(format!("{action}: {}", e.clean()));
        let note = |c: String| json!({"author": op.actor, "comment": c});
        let mut how = "in Icinga";
        match op.kind {
            EntryKind::Acked => {
                let mut body = json!({
                    "author": op.actor,
                    "comment": said("acknowledged"),
                    "sticky": self.cfg.ack_sticky,
                    "notify": self.cfg.ack_notify,
                });
                if let Some(d) = self.cfg.ack_expiry {
                    body["expiry"] = json!(Utc::now().timestamp() + d.as_secs() as i64);
                }
                match self.action("acknowledge-problem", &target, body).await {
                    Ok(()) => {}
                    // Someone acknowledged it first: the person's words still go on it.
                    Err(HttpError::Status { code: 409, .. }) if self.acknowledged(&target).await? => {
                        how = "in Icinga (it was acknowledged already: added as a comment)";
                        let c = said("acknowledged (already acknowledged)");
                        self.action("add-comment", &target, note(c)).await.map_err(|e| failed("add-comment", e))?;
                    }
                    Err(e) => return Err(failed("acknowledge-problem", e)),
                }
            }
            EntryKind::Note => {
                let c = said("");
                self.action("add-comment", &target, note(c)).await.map_err(|e| failed("add-comment", e))?;
            }
            EntryKind::Unacked => {
                // Removing is idempotent; the comment after it says who did it (and marks it done).
                self.action("remove-acknowledgement", &target, json!({}))
                    .await
                    .map_err(|e| failed("remove-acknowledgement", e))?;
                let c = said("acknowledgement removed");
                self.action("add-comment", &target, note(c)).await.map_err(|e| failed("add-comment", e))?;
            }
            other => return Err(SourceError::new(format!("Icinga 2 takes no {other} action"))),
        }
        let id = find(&self.comments_on(&target).await?).ok_or_else(|| {
            SourceError::new(format!("{}: the comment is not there on reading back", op.alert_key.id()))
        })?;
        let acked = self.acknowledged(&target).await?;
        match op.kind {
            EntryKind::Acked if !acked => Err(SourceError::new("not acknowledged on reading back")),
            EntryKind::Unacked if acked => Err(SourceError::new("still acknowledged on reading back")),
            _ => Ok(done(op, id, how)),
        }
    }
}

impl AlertSource for Icinga2Source {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.problems())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        // Icinga has no severity to set, nothing to close and no escalation of its own.
        self.cfg.write_back && matches!(kind, EntryKind::Acked | EntryKind::Unacked | EntryKind::Note)
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(self.act(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_split_into_host_and_service() {
        assert_eq!(Target::of("db1!disk /var"), Target { host: "db1".into(), service: Some("disk /var".into()) });
        assert_eq!(Target::of("db1").kind(), "Host");
        let sel = Target::of("db1!x").selector();
        assert_eq!(sel["filter_vars"], json!({"h": "db1", "s": "x"}));
    }

    #[test]
    fn group_names_go_in_variables_never_in_the_filter() {
        let mut vars = Map::new();
        let f = any_group("hg", "host.groups", &["a\" || true || \"".into(), "b".into()], &mut vars).unwrap();
        assert_eq!(f, "(hg0 in host.groups || hg1 in host.groups)");
        assert_eq!(vars["hg0"], json!("a\" || true || \""));
    }

    #[test]
    fn float_times_become_instants() {
        assert_eq!(at(0.0), None);
        assert_eq!(at(1_700_000_000.5).unwrap().timestamp_subsec_millis(), 500);
    }
}
