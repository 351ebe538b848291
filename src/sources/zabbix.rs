//! Zabbix, through the frontend's JSON-RPC API (6.0 LTS to 7.x).
//!
//! Problems are read with `problem.get`, newest first, page by page with an `eventid_till`
//! cursor (the API has no offset); their hosts come from `trigger.get`. Zabbix's five
//! severities are klaxon's. Acknowledge, unacknowledge, message, severity and close go
//! back through `event.acknowledge`, each carrying `[klaxon op <op_id>]` in its message:
//! a retry that finds the mark on the event has nothing left to do, so a note is never
//! posted twice (Zabbix skips a second acknowledge, but not a second message).
//!
//! Maintenance periods (`maintenance.get`) ride with each poll as read-only silences for
//! the console's silences view: shown, never changed (most users may not, and a
//! maintenance belongs to whoever plans it in Zabbix).

use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SilencesFuture, SourceConfig, SourceError};
use super::{op_mark as marker, without_marks as readable};
use crate::config::{At, Credentials, LOGIN_GOES, Login, Problems, Secret, http_url_problem};
use crate::http::{self, Limits};
use crate::model::{
    Alert, AlertKey, EntryKind, Fields, Link, MirrorDone, MirrorOp, PriorUpdate, Severity, SeverityMap, SourceAck,
    Status,
};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// `kind = "zabbix"`: Zabbix's JSON-RPC API (6.0 LTS to 7.x), through its frontend.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZabbixConfig {
    /// The frontend, e.g. "https://zabbix.example.com/zabbix": the API is `<url>/api_jsonrpc.php`.
    pub url: String,
    /// An API token (Users → API tokens)…
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// …or a user's name and password: klaxon logs in, and again when the session ends.
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// Only problems of hosts in these host groups (by name).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Only problems with these tags: "tag=value" (equal) or "tag" (present), all of them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only problems at or above this severity (Not classified counts as Information).
    #[serde(default = "default_min_severity")]
    pub min_severity: Severity,
    /// Also show suppressed problems (in maintenance, or suppressed by hand), as suppressed.
    #[serde(default)]
    pub suppressed: bool,
    /// Problems asked for per request; more are fetched page by page.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Carry acknowledgements, notes and escalations back to Zabbix (through the outbox).
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

fn default_min_severity() -> Severity {
    Severity::Information
}

fn default_page_size() -> usize {
    1000
}

impl ZabbixConfig {
    /// An API token, or a user's name and password.
    pub fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }
}

impl KindConfig for ZabbixConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        if let Some(problem) = http_url_problem(&self.url, LOGIN_GOES) {
            problems.push((at("url"), problem));
        }
        let login = self.login();
        login.check(at, problems);
        if !login.is_given() {
            problems.push((
                at("kind"),
                "zabbix needs token_env/token_file, or username with password_env/password_file".into(),
            ));
        }
        if !(1..=10_000).contains(&self.page_size) {
            problems.push((at("page_size"), "page_size is between 1 and 10000".into()));
        }
        for t in &self.tags {
            if t.split('=').next().is_none_or(|name| name.trim().is_empty()) {
                problems.push((at("tags"), format!("{t:?} is not \"tag\" or \"tag=value\"")));
            }
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(ZabbixSource::new(source, self)?))
    }
}

/// `event.acknowledge` action bits.
mod action {
    pub const CLOSE: i64 = 1;
    pub const ACKNOWLEDGE: i64 = 2;
    pub const MESSAGE: i64 = 4;
    pub const SEVERITY: i64 = 8;
    pub const UNACKNOWLEDGE: i64 = 16;
}

enum Auth {
    Token(Secret),
    Login { username: String, password: Secret },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version(u32, u32);

impl Version {
    fn parse(s: &str) -> Option<Version> {
        let mut parts = s.split('.');
        Some(Version(parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }

    /// 6.4 takes the token in an `Authorization: Bearer` header (and 7.2 refuses it in the
    /// body); 6.0 only in the body's `auth`.
    fn bearer(self) -> bool {
        self >= Version(6, 4)
    }
}

#[derive(Default)]
struct Session {
    version: Option<Version>,
    /// The session `user.login` gave (with a username and password).
    token: Option<Secret>,
}

pub struct ZabbixSource {
    name: String,
    endpoint: String,
    frontend: String,
    client: reqwest::Client,
    auth: Auth,
    cfg: ZabbixConfig,
    severity_map: SeverityMap,
    max_bytes: u64,
    session: tokio::sync::Mutex<Session>,
    next_id: AtomicU64,
}

/// Why a call failed: Zabbix's own error object, or getting no usable answer.
enum RpcError {
    Api { message: String, data: String },
    Transport(SourceError),
}

impl RpcError {
    /// The session ended (timed out, logged out, or the server restarted): log in again.
    fn session_ended(&self) -> bool {
        match self {
            RpcError::Api { message, data } => {
                let text = format!("{message} {data}").to_lowercase();
                ["re-login", "session terminated", "not authorised", "not authorized"].iter().any(|w| text.contains(w))
            }
            RpcError::Transport(_) => false,
        }
    }

    fn into_source(self, method: &str) -> SourceError {
        match self {
            RpcError::Api { message, data } if data.is_empty() => SourceError::new(format!("{method}: {message}")),
            RpcError::Api { message, data } => SourceError::new(format!("{method}: {message} {data}")),
            RpcError::Transport(e) => SourceError::new(format!("{method}: {e}")),
        }
    }
}

/// The envelope, decoded straight into the result's type: no JSON tree in between.
#[derive(Deserialize)]
struct RpcAnswer<T> {
    result: Option<T>,
    error: Option<RpcErrorObject>,
}

#[derive(Deserialize)]
struct RpcErrorObject {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Value,
}

/// Zabbix sends numbers as strings ("4"), sometimes as numbers. Read either in place: a
/// poll decodes a dozen of them per problem.
fn num<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct Num;
    impl serde::de::Visitor<'_> for Num {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer, or one in a string")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(E::custom)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
            v.trim().parse().map_err(|_| E::custom(format!("{v:?} is not an integer")))
        }
    }
    d.deserialize_any(Num)
}

#[derive(Debug, Deserialize)]
struct Problem {
    #[serde(deserialize_with = "num")]
    eventid: i64,
    #[serde(deserialize_with = "num")]
    objectid: i64,
    #[serde(deserialize_with = "num")]
    clock: i64,
    #[serde(default, deserialize_with = "opt_num")]
    ns: i64,
    #[serde(default)]
    name: String,
    #[serde(deserialize_with = "num")]
    severity: i64,
    #[serde(default, deserialize_with = "opt_num")]
    acknowledged: i64,
    #[serde(default, deserialize_with = "opt_num")]
    suppressed: i64,
    #[serde(default)]
    opdata: String,
    #[serde(default)]
    urls: Vec<ProblemUrl>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    acknowledges: Vec<Acknowledge>,
    #[serde(default)]
    suppression_data: Vec<Suppression>,
}

fn opt_num<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    num(d)
}

#[derive(Debug, Deserialize)]
struct ProblemUrl {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(Debug, Deserialize)]
struct Tag {
    tag: String,
    #[serde(default)]
    value: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Acknowledge {
    #[serde(deserialize_with = "num")]
    acknowledgeid: i64,
    #[serde(deserialize_with = "num")]
    userid: i64,
    #[serde(deserialize_with = "num")]
    clock: i64,
    #[serde(default)]
    message: String,
    #[serde(deserialize_with = "num")]
    action: i64,
    #[serde(default, deserialize_with = "opt_num")]
    old_severity: i64,
    #[serde(default, deserialize_with = "opt_num")]
    new_severity: i64,
}

#[derive(Debug, Deserialize)]
struct Suppression {
    #[serde(default, deserialize_with = "opt_num")]
    maintenanceid: i64,
    #[serde(default, deserialize_with = "opt_num")]
    suppress_until: i64,
}

#[derive(Debug, Deserialize)]
struct Trigger {
    #[serde(deserialize_with = "num")]
    triggerid: i64,
    #[serde(default)]
    url: String,
    #[serde(default)]
    hosts: Vec<Host>,
}

#[derive(Debug, Deserialize)]
struct Host {
    #[serde(default)]
    host: String,
    #[serde(default)]
    name: String,
}

/// A maintenance as `maintenance.get` gives it: 6.0 answers `selectGroups` as `groups`,
/// 6.2 and later `selectHostGroups` as `hostgroups` (7.0 dropped the old name).
#[derive(Debug, Deserialize)]
struct MaintenanceRow {
    maintenanceid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(deserialize_with = "num")]
    active_since: i64,
    #[serde(deserialize_with = "num")]
    active_till: i64,
    #[serde(default)]
    hosts: Vec<Host>,
    #[serde(default, alias = "hostgroups")]
    groups: Vec<GroupName>,
}

#[derive(Debug, Deserialize)]
struct GroupName {
    #[serde(default)]
    name: String,
}

/// An event read back after acting on it (`event.get`).
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(deserialize_with = "num")]
    severity: i64,
    #[serde(default, deserialize_with = "opt_num")]
    r_eventid: i64,
    #[serde(default)]
    acknowledges: Vec<Acknowledge>,
}

/// A JSON-RPC answer's result, or its error object.
fn answer<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, RpcError> {
    let answer: RpcAnswer<T> = serde_json::from_slice(bytes).map_err(|e| {
        // A well-formed envelope whose result has another shape is a different mistake.
        let what = match serde_json::from_slice::<RpcAnswer<serde::de::IgnoredAny>>(bytes) {
            Ok(_) => "not a Zabbix answer",
            Err(_) => "not a JSON-RPC answer",
        };
        RpcError::Transport(SourceError::new(format!("{what} ({e})")))
    })?;
    if let Some(e) = answer.error {
        let data = match e.data {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        return Err(RpcError::Api { message: e.message, data });
    }
    answer.result.ok_or_else(|| RpcError::Transport(SourceError::new("a JSON-RPC answer with no result")))
}

/// `user.get`'s answer as names by id (`alias` before 5.4).
fn user_names(users: Vec<HashMap<String, String>>) -> HashMap<i64, String> {
    users
        .into_iter()
        .filter_map(|u| {
            let id = u.get("userid")?.parse().ok()?;
            Some((id, u.get("username").or_else(|| u.get("alias"))?.clone()))
        })
        .collect()
}

fn at(clock: i64, ns: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(clock, ns.clamp(0, 999_999_999) as u32).single().unwrap_or_default()
}

fn severity_name(n: i64) -> &'static str {
    match n {
        0 => "not classified",
        1 => "information",
        2 => "warning",
        3 => "average",
        4 => "high",
        _ => "disaster",
    }
}

/// Zabbix's numbers for a klaxon severity: Information takes Not classified with it.
fn zabbix_severity(s: Severity) -> i64 {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0) as i64 + 1
}

impl ZabbixSource {
    pub fn new(src: &SourceConfig, cfg: &ZabbixConfig) -> Result<Self, SourceError> {
        let client = http::client(Limits::for_source(src.timeout, src.max_bytes), cfg.ca_file.as_deref())?;
        let auth = match cfg.login().resolve().map_err(SourceError::new)? {
            Credentials::Token(token) => Auth::Token(token),
            Credentials::Password { username, password } => Auth::Login { username, password },
            Credentials::None => return Err(SourceError::new("zabbix needs an API token, or a username and password")),
        };
        let frontend = cfg.url.trim_end_matches('/').trim_end_matches("/api_jsonrpc.php").to_owned();
        Ok(ZabbixSource {
            name: src.name.clone(),
            endpoint: format!("{frontend}/api_jsonrpc.php"),
            frontend,
            client,
            auth,
            cfg: cfg.clone(),
            severity_map: src.severity_map.clone(),
            max_bytes: src.max_bytes,
            session: tokio::sync::Mutex::new(Session::default()),
            next_id: AtomicU64::new(1),
        })
    }

    /// One JSON-RPC request. `auth`: the token, and whether it goes in a header.
    async fn rpc<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: &Value,
        auth: Option<(&Secret, bool)>,
    ) -> Result<T, RpcError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let mut req = self.client.post(&self.endpoint).header("Content-Type", "application/json-rpc");
        match auth {
            Some((token, true)) => req = req.bearer_auth(token.expose()),
            Some((token, false)) => body["auth"] = json!(token.expose()),
            None => {}
        }
        let bytes =
            http::fetch(req.body(body.to_string()), self.max_bytes).await.map_err(|e| RpcError::Transport(e.into()))?;
        answer(&bytes)
    }

    async fn version(&self) -> Result<Version, SourceError> {
        let text: String =
            self.rpc("apiinfo.version", &json!({}), None).await.map_err(|e| e.into_source("apiinfo.version"))?;
        Version::parse(&text).ok_or_else(|| SourceError::new(format!("apiinfo.version: {text:?} is not a version")))
    }

    /// The API version (asked once) and the token to send, logging in when needed.
    async fn credentials(&self, relogin: bool) -> Result<(Secret, bool), SourceError> {
        let mut s = self.session.lock().await;
        let version = match s.version {
            Some(v) => v,
            None => *s.version.insert(self.version().await?),
        };
        let token = match &self.auth {
            Auth::Token(t) => t.clone(),
            Auth::Login { username, password } => match &s.token {
                Some(t) if !relogin => t.clone(),
                _ => {
                    // 5.4 renamed `user` to `username`.
                    let who = if version >= Version(5, 4) { "username" } else { "user" };
                    let params = json!({who: username, "password": password.expose()});
                    let session: String =
                        self.rpc("user.login", &params, None).await.map_err(|e| e.into_source("user.login"))?;
                    let token = Secret::from(session);
                    s.token = Some(token.clone());
                    token
                }
            },
        };
        Ok((token, version.bearer()))
    }

    /// An authenticated call; a session that ended is logged into again, once.
    async fn call<T: serde::de::DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, SourceError> {
        let mut relogin = false;
        loop {
            let (token, bearer) = self.credentials(relogin).await?;
            match self.rpc(method, &params, Some((&token, bearer))).await {
                Ok(v) => return Ok(v),
                Err(e) if !relogin && e.session_ended() && matches!(self.auth, Auth::Login { .. }) => relogin = true,
                Err(e) => return Err(e.into_source(method)),
            }
        }
    }

    /// Every maintenance, as read-only silences: Zabbix's own states (approaching before
    /// `active_since`, active until `active_till`, then expired), its hosts and groups.
    async fn maintenances(&self) -> Result<crate::model::Silences, SourceError> {
        self.credentials(false).await?;
        let renamed = self.session.lock().await.version.is_some_and(|v| v >= Version(6, 2));
        let groups = if renamed { "selectHostGroups" } else { "selectGroups" };
        let params = json!({
            "output": ["maintenanceid", "name", "description", "active_since", "active_till"],
            "selectHosts": ["host", "name"],
            groups: ["name"],
        });
        let rows: Vec<MaintenanceRow> = self.call("maintenance.get", params).await?;
        Ok(crate::model::Silences { list: self.to_silences(rows, Utc::now()), hidden: Vec::new() })
    }

    /// `maintenance.get`'s rows as read-only silences, cleaned at the border.
    fn to_silences(&self, rows: Vec<MaintenanceRow>, now: DateTime<Utc>) -> Vec<crate::model::Silence> {
        let clean = crate::sanitize::sanitize_line;
        rows.into_iter()
            .map(|m| {
                let (since, till) = (at(m.active_since, 0), at(m.active_till, 0));
                let state = if now < since {
                    "approaching"
                } else if now < till {
                    "active"
                } else {
                    "expired"
                };
                let host = |h: &Host| clean(if h.name.is_empty() { &h.host } else { &h.name });
                crate::model::Silence {
                    source: self.name.clone(),
                    id: clean(&m.maintenanceid),
                    state: state.into(),
                    matchers: Vec::new(),
                    starts_at: since,
                    ends_at: till,
                    created_by: String::new(),
                    comment: clean(&m.description),
                    matched: 0,
                    maintenance: Some(crate::model::silence::Maintenance {
                        name: clean(&m.name),
                        hosts: m.hosts.iter().map(host).collect(),
                        groups: m.groups.iter().map(|g| clean(&g.name)).collect(),
                    }),
                }
            })
            .collect()
    }

    async fn group_ids(&self) -> Result<Vec<String>, SourceError> {
        let found: Vec<HashMap<String, String>> = self
            .call("hostgroup.get", json!({"output": ["groupid", "name"], "filter": {"name": self.cfg.groups}}))
            .await?;
        let names: HashSet<&str> = found.iter().filter_map(|g| g.get("name").map(String::as_str)).collect();
        if let Some(missing) = self.cfg.groups.iter().find(|g| !names.contains(g.as_str())) {
            return Err(SourceError::new(format!("host group {missing:?} does not exist (or is not visible)")));
        }
        Ok(found.into_iter().filter_map(|mut g| g.remove("groupid")).collect())
    }

    fn problem_params(&self) -> Result<Value, SourceError> {
        let from = zabbix_severity(self.cfg.min_severity);
        let severities: Vec<i64> = if from <= 1 { (0..=5).collect() } else { (from..=5).collect() };
        let mut params = json!({
            "output": "extend",
            "selectAcknowledges": "extend",
            "selectTags": "extend",
            "selectSuppressionData": "extend",
            "recent": false,
            "sortfield": ["eventid"],
            "sortorder": "DESC",
            "severities": severities,
            "limit": self.cfg.page_size,
        });
        if !self.cfg.suppressed {
            params["suppressed"] = json!(false);
        }
        if !self.cfg.tags.is_empty() {
            let tags: Vec<Value> = self
                .cfg
                .tags
                .iter()
                .map(|t| match t.split_once('=') {
                    // Operators: 1 equals, 4 exists.
                    Some((tag, value)) => json!({"tag": tag.trim(), "value": value.trim(), "operator": 1}),
                    None => json!({"tag": t.trim(), "operator": 4}),
                })
                .collect();
            params["tags"] = json!(tags);
            params["evaltype"] = json!(0);
        }
        Ok(params)
    }

    async fn problems(&self) -> Result<Vec<Alert>, SourceError> {
        let mut params = self.problem_params()?;
        if !self.cfg.groups.is_empty() {
            params["groupids"] = json!(self.group_ids().await?);
        }
        let mut problems: Vec<Problem> = Vec::new();
        let mut till: Option<i64> = None;
        loop {
            if let Some(t) = till {
                params["eventid_till"] = json!((t - 1).to_string());
            }
            let page: Vec<Problem> = self.call("problem.get", params.clone()).await?;
            let n = page.len();
            let lowest = page.iter().map(|p| p.eventid).min();
            problems.extend(page);
            match (lowest, till) {
                _ if n < self.cfg.page_size => break,
                (Some(low), Some(t)) if low >= t => {
                    return Err(SourceError::new("problem.get ignored eventid_till: the same page came back"));
                }
                (Some(low), _) => till = Some(low),
                (None, _) => break,
            }
        }
        // A page boundary moved by a new problem may repeat one: keep each event once.
        let mut seen = HashSet::with_capacity(problems.len());
        problems.retain(|p| seen.insert(p.eventid));
        let triggers = self.triggers(&problems).await?;
        let users = self.users(&problems).await;
        Ok(problems.into_iter().map(|p| self.to_alert(p, &triggers, &users)).collect())
    }

    async fn triggers(&self, problems: &[Problem]) -> Result<HashMap<i64, Trigger>, SourceError> {
        let ids: Vec<String> =
            problems.iter().map(|p| p.objectid).collect::<HashSet<_>>().into_iter().map(|i| i.to_string()).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let params = json!({
            "triggerids": ids,
            "output": ["triggerid", "url"],
            "selectHosts": ["hostid", "host", "name"],
        });
        let triggers: Vec<Trigger> = self.call("trigger.get", params).await?;
        Ok(triggers.into_iter().map(|t| (t.triggerid, t)).collect())
    }

    /// Who made each acknowledge, by name. Reading users needs rights a read-only account
    /// may lack: then they show as "user 7".
    async fn users(&self, problems: &[Problem]) -> HashMap<i64, String> {
        let ids: HashSet<i64> = problems.iter().flat_map(|p| p.acknowledges.iter().map(|a| a.userid)).collect();
        if ids.is_empty() {
            return HashMap::new();
        }
        let ids: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
        let params = json!({"userids": ids, "output": ["userid", "username", "alias"]});
        self.call("user.get", params).await.map(user_names).unwrap_or_default()
    }

    /// What a poll makes of `problem.get`, `trigger.get` and `user.get` answers (whole
    /// JSON-RPC bodies), without the network: the parser on its own, for the property tests.
    pub fn decode(&self, problems: &[u8], triggers: &[u8], users: &[u8]) -> Result<Vec<Alert>, SourceError> {
        let problems: Vec<Problem> = answer(problems).map_err(|e| e.into_source("problem.get"))?;
        let triggers: Vec<Trigger> = answer(triggers).map_err(|e| e.into_source("trigger.get"))?;
        let triggers = triggers.into_iter().map(|t| (t.triggerid, t)).collect();
        let users = answer(users).map(user_names).unwrap_or_default();
        Ok(problems.into_iter().map(|p| self.to_alert(p, &triggers, &users)).collect())
    }

    fn to_alert(&self, p: Problem, triggers: &HashMap<i64, Trigger>, users: &HashMap<i64, String>) -> Alert {
        let trigger = triggers.get(&p.objectid);
        let host = trigger.and_then(|t| t.hosts.first());
        let mut labels = Fields::new();
        for t in &p.tags {
            let value = match labels.get(&t.tag) {
                Some(v) => format!("{v}, {}", t.value),
                None => t.value.clone(),
            };
            labels.insert(t.tag.as_str(), value);
        }
        if let Some(h) = host {
            labels.insert("host", h.host.clone());
        }
        labels.insert("triggerid", p.objectid.to_string());
        let mut annotations = Fields::new();
        if !p.opdata.is_empty() {
            annotations.insert("opdata", p.opdata.clone());
        }
        annotations.insert("severity", severity_name(p.severity));
        let mut links = Vec::new();
        if let Some(url) = trigger.map(|t| t.url.trim()).filter(|u| !u.is_empty()) {
            links.push(Link { kind: "runbook".into(), url: url.to_owned() });
        }
        links.extend(
            p.urls
                .iter()
                .filter(|u| !u.url.is_empty())
                .map(|u| Link { kind: u.name.as_str().into(), url: u.url.clone() }),
        );
        links.push(Link {
            kind: "source".into(),
            url: format!("{}/tr_events.php?triggerid={}&eventid={}", self.frontend, p.objectid, p.eventid),
        });
        let (status, suppression) = if p.suppressed == 1 {
            let why = match p.suppression_data.first() {
                Some(s) if s.maintenanceid > 0 => format!("in maintenance {}", s.maintenanceid),
                Some(s) if s.suppress_until > 0 => format!("suppressed until {}", at(s.suppress_until, 0).to_rfc3339()),
                _ => "suppressed".to_string(),
            };
            (Status::Suppressed, Some(why))
        } else if p.acknowledged == 1 {
            (Status::Acknowledged, None)
        } else {
            (Status::Firing, None)
        };
        let started = at(p.clock, p.ns);
        let updated = p.acknowledges.iter().map(|a| at(a.clock, 0)).max().unwrap_or(started).max(started);
        let source_acks = p
            .acknowledges
            .iter()
            // klaxon's own are in the timeline already, as the person's entries.
            .filter(|a| !super::has_mark(&a.message))
            .filter_map(|a| self.source_ack(a, users))
            .collect();
        Alert {
            key: AlertKey::new(&self.name, &p.eventid.to_string()),
            title: if p.name.is_empty() { format!("problem {}", p.eventid) } else { p.name.clone() },
            severity: self.severity_map.map(&p.severity.to_string(), Severity::Average),
            status,
            started_at: started,
            updated_at: updated,
            host: host.map(|h| if h.name.is_empty() { h.host.clone() } else { h.name.clone() }),
            service: labels.get("service").or_else(|| labels.get("component")).map(str::to_owned),
            labels,
            annotations,
            links,
            source_acks,
            suppression,
            guessed: Default::default(),
        }
    }

    fn source_ack(&self, a: &Acknowledge, users: &HashMap<i64, String>) -> Option<SourceAck> {
        let kind = if a.action & action::UNACKNOWLEDGE != 0 {
            EntryKind::Unacked
        } else if a.action & action::ACKNOWLEDGE != 0 {
            EntryKind::Acked
        } else if a.action & (action::MESSAGE | action::SEVERITY | action::CLOSE) != 0 {
            EntryKind::Note
        } else {
            return None;
        };
        let mut text = readable(&a.message);
        if a.action & action::SEVERITY != 0 {
            let change = format!("severity {} → {}", severity_name(a.old_severity), severity_name(a.new_severity));
            text = if text.is_empty() { change } else { format!("{text} ({change})") };
        }
        if a.action & action::CLOSE != 0 {
            text = if text.is_empty() { "closed".into() } else { format!("{text} (closed)") };
        }
        Some(SourceAck {
            by: users.get(&a.userid).cloned().unwrap_or_else(|| format!("user {}", a.userid)),
            at: Some(at(a.clock, 0)),
            text,
            id: Some(a.acknowledgeid.to_string()),
            kind,
        })
    }

    async fn event(&self, eventid: &str) -> Result<Event, SourceError> {
        let params = json!({
            "eventids": [eventid],
            "output": ["eventid", "severity", "r_eventid"],
            "select_acknowledges": "extend",
        });
        let events: Vec<Event> = self.call("event.get", params).await?;
        events
            .into_iter()
            .next()
            .ok_or_else(|| SourceError::new(format!("event {eventid} is not there (or not visible)")))
    }

    /// Carries one action to the event, unless an earlier try did (its mark is on the event),
    /// and reads it back.
    async fn act(&self, op: &MirrorOp) -> Result<MirrorDone, SourceError> {
        let eventid = op.alert_key.id();
        let mark = marker(&op.op_id);
        let event = self.event(eventid).await?;
        if let Some(done) = event.acknowledges.iter().find(|a| a.message.contains(&mark)) {
            return Ok(done_summary(op, done, "already in Zabbix"));
        }
        let text = readable(&op.text);
        let who = format!("{} via klaxon", op.actor);
        let message = |what: &str| {
            let body = if text.is_empty() { what.to_owned() } else { format!("{text} — {what}") };
            format!("{body} ({who}) {mark}")
        };
        let mut params = json!({"eventids": [eventid]});
        let (bits, msg) = match op.kind {
            EntryKind::Acked => (action::ACKNOWLEDGE | action::MESSAGE, message("acknowledged")),
            EntryKind::Unacked => (action::UNACKNOWLEDGE | action::MESSAGE, message("unacknowledged")),
            EntryKind::Note => (action::MESSAGE, format!("{text} ({who}) {mark}")),
            EntryKind::Escalated => {
                // Zabbix has no escalate call: one severity step up, and why.
                if event.severity < 5 {
                    params["severity"] = json!(event.severity + 1);
                    (action::SEVERITY | action::MESSAGE, message("escalated: severity one step up"))
                } else {
                    (action::MESSAGE, message("escalated (already Disaster)"))
                }
            }
            EntryKind::SeveritySet => {
                let wanted = op.level.map(|l| l + 1).filter(|s| (1..=5).contains(s));
                let wanted = wanted.ok_or_else(|| SourceError::new("no severity to set"))?;
                params["severity"] = json!(wanted);
                (action::SEVERITY | action::MESSAGE, message(&format!("severity set to {}", severity_name(wanted))))
            }
            EntryKind::Closed => (action::CLOSE | action::MESSAGE, message("closed")),
            other => return Err(SourceError::new(format!("Zabbix takes no {other} action"))),
        };
        params["action"] = json!(bits);
        params["message"] = json!(msg);
        self.call::<serde::de::IgnoredAny>("event.acknowledge", params).await?;
        let back = self.event(eventid).await?;
        let done = back
            .acknowledges
            .iter()
            .find(|a| a.message.contains(&mark))
            .ok_or_else(|| SourceError::new(format!("event {eventid}: the action is not there on reading back")))?;
        if op.kind == EntryKind::Closed && back.r_eventid == 0 && done.action & action::CLOSE == 0 {
            return Err(SourceError::new(format!("event {eventid} did not close")));
        }
        Ok(done_summary(op, done, "in Zabbix"))
    }
}

fn done_summary(op: &MirrorOp, a: &Acknowledge, how: &str) -> MirrorDone {
    MirrorDone {
        remote_id: Some(a.acknowledgeid.to_string()),
        prior: PriorUpdate::Keep,
        summary: format!("{} {how} (acknowledge {})", op.kind, a.acknowledgeid),
    }
}

impl AlertSource for ZabbixSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.problems())
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        // Everything a person does has a counterpart in event.acknowledge, but a reassignment:
        // Zabbix problems have no assignee.
        self.cfg.write_back && kind.is_human() && kind != EntryKind::Reassigned
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(self.act(op))
    }

    fn silences(&self) -> Option<SilencesFuture<'_>> {
        Some(Box::pin(self.maintenances()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_decide_where_the_token_goes() {
        assert!(!Version::parse("6.0.14").unwrap().bearer());
        assert!(Version::parse("6.4.0").unwrap().bearer());
        assert!(Version::parse("7.0.5").unwrap().bearer());
        assert_eq!(Version::parse("seven"), None);
    }

    #[test]
    fn severities_map_both_ways() {
        assert_eq!(zabbix_severity(Severity::Information), 1);
        assert_eq!(zabbix_severity(Severity::Disaster), 5);
        assert_eq!(severity_name(4), "high");
    }

    #[test]
    fn messages_lose_klaxon_marks() {
        assert_eq!(readable("on it (alice via klaxon) [klaxon op 0193ab]"), "on it (alice via klaxon)");
    }

    #[test]
    fn numbers_come_as_strings_or_numbers() {
        let p: Problem = serde_json::from_value(json!({
            "eventid": "12", "objectid": 7, "clock": "1700000000", "ns": "5", "severity": "4",
            "acknowledged": "1", "suppressed": 0, "name": "x"
        }))
        .unwrap();
        assert_eq!((p.eventid, p.objectid, p.severity, p.acknowledged), (12, 7, 4, 1));
    }
}
