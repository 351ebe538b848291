//! Service level objectives and their error budgets, computed from Prometheus: `[[slos]]`
//! in klaxon.toml and the spec files teams already keep (`slo_files`: Sloth, Pyrra,
//! OpenSLO, one reader each), one [`Slo`] for all of them. [`burn`] is the arithmetic,
//! [`prometheus`] the queries, [`track`] the periodic rounds the console runs.

pub mod burn;
pub mod files;
mod openslo;
pub mod prometheus;
mod pyrra;
mod sloth;
pub mod status;
pub mod track;

use crate::config::{At, KeyPath, LOGIN_GOES, Login, Problems, duration, http_url_problem, opt_duration};
use serde::{Deserialize, Deserializer};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// The Prometheus an SLO is computed from: `[prometheus]` for every SLO, or an SLO's own
/// `prometheus = "URL"` (or `prometheus = { url = …, token_env = … }`).
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    pub url: String,
    /// Bearer token (a proxy in front of Prometheus, Grafana Cloud, Mimir).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Basic auth (Prometheus's --web.config.file).
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Mimir/Cortex tenant, sent as X-Scope-OrgID.
    pub tenant: Option<String>,
    /// How often SLOs on this Prometheus are computed (an SLO may set its own).
    #[serde(default = "default_interval", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub interval: Duration,
    /// Longest one query may take; one SLO's round is a few of them at once.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub timeout: Duration,
    /// Largest answer accepted, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_timeout() -> Duration {
    Duration::from_secs(15)
}
fn default_max_bytes() -> u64 {
    4 * 1024 * 1024
}

impl PrometheusConfig {
    fn from_url(url: String) -> Self {
        PrometheusConfig {
            url,
            token_env: None,
            token_file: None,
            username: None,
            password_env: None,
            password_file: None,
            ca_file: None,
            tenant: None,
            interval: default_interval(),
            timeout: default_timeout(),
            max_bytes: default_max_bytes(),
        }
    }

    pub fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }

    pub fn validate(&self, at: At<'_>, problems: &mut Problems) {
        if let Some(problem) = http_url_problem(&self.url, LOGIN_GOES) {
            problems.push((at("url"), problem));
        }
        self.login().check(at, problems);
        if self.interval < Duration::from_secs(10) {
            problems.push((at("interval"), "interval must be at least 10s".into()));
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(300) {
            problems.push((at("timeout"), "timeout must be more than 0s and at most 5m".into()));
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.max_bytes) {
            problems.push((at("max_bytes"), "max_bytes must be 1 KiB to 256 MiB".into()));
        }
    }
}

/// `prometheus = "http://…"` or a table with the same keys as `[prometheus]`.
fn url_or_table<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PrometheusConfig>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = PrometheusConfig;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a Prometheus URL, or a table with `url` and its login")
        }
        fn visit_str<E: serde::de::Error>(self, url: &str) -> Result<Self::Value, E> {
            Ok(PrometheusConfig::from_url(url.to_owned()))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            PrometheusConfig::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V).map(Some)
}

/// What the config schema says `url_or_table` reads.
struct UrlOrTable;

impl schemars::JsonSchema for UrlOrTable {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PrometheusUrlOrTable".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let table = generator.subschema_for::<PrometheusConfig>();
        schemars::json_schema!({
            "description": "A Prometheus URL, or a table with the same keys as [prometheus]",
            "anyOf": [{ "type": "string" }, table],
        })
    }
}

/// One `[[slos]]` entry.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    pub name: String,
    /// Percent of events that must be good, e.g. 99.9.
    pub objective: f64,
    /// The rolling window the objective holds over, e.g. "28d".
    #[serde(deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub window: Duration,
    /// PromQL for good, bad or all events over `{{window}}`: `good` or `errors`, and `total`.
    pub good: Option<String>,
    pub errors: Option<String>,
    pub total: String,
    #[serde(default, deserialize_with = "url_or_table")]
    #[schemars(with = "Option<UrlOrTable>")]
    pub prometheus: Option<PrometheusConfig>,
    /// Alerts with all these labels are about this SLO (besides `slo` or `sloth_slo` = name).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How often it is computed (default: its Prometheus's `interval`).
    #[serde(default, deserialize_with = "opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub interval: Option<Duration>,
    pub description: Option<String>,
}

/// How the SLI is counted: the bad events, or the good ones (bad = total − good).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Events {
    Errors(String),
    Good(String),
}

/// One objective, wherever it was written: what the rest of klaxon reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    pub name: String,
    /// A fraction in (0, 1): 99.9% is 0.999.
    pub objective: f64,
    pub window: Duration,
    pub events: Events,
    /// PromQL, `{{window}}` where the range goes.
    pub total: String,
    pub prometheus: PrometheusConfig,
    pub interval: Duration,
    /// An alert is about this SLO when all the labels of any one of these sets match.
    pub match_labels: Vec<BTreeMap<String, String>>,
    pub description: Option<String>,
    /// Where it was defined: "klaxon.toml" or the spec file.
    pub from: String,
    /// What the spec says that klaxon does not act on (alerting settings, latency SLIs' …).
    pub not_used: Vec<String>,
}

/// The windows' placeholder in an SLO's queries: `{{window}}` (Sloth's `{{.window}}` too).
const PLACEHOLDERS: [&str; 3] = ["{{window}}", "{{ window }}", "{{.window}}"];

/// `query` with its window placeholder filled.
pub fn fill(query: &str, window: &str) -> String {
    PLACEHOLDERS.iter().fold(query.to_owned(), |q, p| q.replace(p, window))
}

/// Why a query cannot be run for every window, if it cannot.
pub fn query_problem(query: &str) -> Option<String> {
    if query.trim().is_empty() {
        Some("the query is empty".into())
    } else if !PLACEHOLDERS.iter().any(|p| query.contains(p)) {
        Some("the query has no {{window}} where its range goes, e.g. rate(http_requests_total[{{window}}])".into())
    } else {
        None
    }
}

/// A percentage as the fraction it means, rounded so that 99.9 is exactly 0.999.
pub fn fraction(percent: f64) -> f64 {
    (percent / 100.0 * 1e12).round() / 1e12
}

/// Objective (a percentage) and window, as every source of SLOs must have them.
pub fn objective_problem(percent: f64) -> Option<String> {
    (!(percent > 0.0 && percent < 100.0))
        .then(|| format!("objective is a percentage between 0 and 100 (exclusive), e.g. 99.9; not {percent}"))
}

pub fn window_problem(window: Duration) -> Option<String> {
    if window < Duration::from_secs(3600) {
        Some(format!("window must be at least 1h, not {}", humantime::format_duration(window)))
    } else if window > Duration::from_secs(400 * 86_400) {
        Some("window is at most 400d".into())
    } else {
        None
    }
}

/// The label sets every SLO answers to: Pyrra's `slo` and Sloth's `sloth_slo` with its name.
fn default_matches(name: &str) -> Vec<BTreeMap<String, String>> {
    ["slo", "sloth_slo"].iter().map(|k| BTreeMap::from([(k.to_string(), name.to_owned())])).collect()
}

/// Checks every `[[slos]]` entry and `[prometheus]`.
pub fn validate(slos: &[SloConfig], prometheus: Option<&PrometheusConfig>, files: &[String], problems: &mut Problems) {
    if let Some(p) = prometheus {
        p.validate(&|f| KeyPath::root("prometheus").key(f), problems);
    }
    if !files.is_empty() && prometheus.is_none() {
        problems.push((KeyPath::root("slo_files"), "SLOs from files are computed from `[prometheus]`: add it".into()));
    }
    for (i, f) in files.iter().enumerate() {
        if let Err(e) = files::pattern_problem(f) {
            problems.push((KeyPath::root("slo_files").index(i), e));
        }
    }
    let mut seen = HashSet::new();
    for (i, slo) in slos.iter().enumerate() {
        let at = |field: &str| KeyPath::root("slos").index(i).key(field);
        if let Some(problem) = crate::config::check_name("SLO", &slo.name, &mut seen) {
            problems.push((at("name"), problem));
        }
        if let Some(problem) = objective_problem(slo.objective) {
            problems.push((at("objective"), problem));
        }
        if let Some(problem) = window_problem(slo.window) {
            problems.push((at("window"), problem));
        }
        match (&slo.good, &slo.errors) {
            (Some(_), Some(_)) => problems.push((at("good"), "give `good` or `errors`, not both".into())),
            (None, None) => problems.push((at("total"), "an SLO needs `good` or `errors` besides `total`".into())),
            _ => {}
        }
        for (key, q) in [("good", &slo.good), ("errors", &slo.errors), ("total", &Some(slo.total.clone()))] {
            if let Some(problem) = q.as_deref().and_then(query_problem) {
                problems.push((at(key), problem));
            }
        }
        match &slo.prometheus {
            Some(p) => p.validate(&|f| at("prometheus").key(f), problems),
            None if prometheus.is_none() => problems
                .push((at("prometheus"), "give the SLO a `prometheus` URL, or add a `[prometheus]` table".into())),
            None => {}
        }
        if slo.interval.is_some_and(|d| d < Duration::from_secs(10)) {
            problems.push((at("interval"), "interval must be at least 10s".into()));
        }
    }
}

impl SloConfig {
    /// The SLO it describes; `default` is `[prometheus]` (validation saw one is there).
    pub fn resolve(&self, default: Option<&PrometheusConfig>, from: &str) -> Option<Slo> {
        let prometheus = self.prometheus.clone().or_else(|| default.cloned())?;
        let events = match (&self.good, &self.errors) {
            (Some(g), None) => Events::Good(g.clone()),
            (None, Some(e)) => Events::Errors(e.clone()),
            _ => return None,
        };
        let mut match_labels = default_matches(&self.name);
        if !self.labels.is_empty() {
            match_labels.push(self.labels.clone());
        }
        Some(Slo {
            name: self.name.clone(),
            objective: fraction(self.objective),
            window: self.window,
            events,
            total: self.total.clone(),
            interval: self.interval.unwrap_or(prometheus.interval),
            prometheus,
            match_labels,
            description: self.description.as_deref().map(crate::sanitize::sanitize_line),
            from: from.to_owned(),
            not_used: Vec::new(),
        })
    }
}

impl Slo {
    /// Whether an alert with these labels is about this SLO.
    pub fn matches(&self, labels: &crate::model::Fields) -> bool {
        self.match_labels
            .iter()
            .any(|set| !set.is_empty() && set.iter().all(|(k, v)| labels.get(k) == Some(v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_and_are_required() {
        assert_eq!(fill("rate(x[{{window}}]) / rate(y[{{.window}}])", "5m"), "rate(x[5m]) / rate(y[5m])");
        assert!(query_problem("sum(x)").unwrap().contains("{{window}}"));
        assert_eq!(query_problem("increase(x[{{ window }}])"), None);
    }

    #[test]
    fn objectives_and_windows() {
        assert!(objective_problem(99.9).is_none());
        for bad in [0.0, 100.0, -1.0, 101.0, f64::NAN] {
            assert!(objective_problem(bad).is_some(), "{bad}");
        }
        assert!(window_problem(Duration::from_secs(3599)).unwrap().contains("at least 1h"));
        assert!(window_problem(Duration::from_secs(28 * 86_400)).is_none());
    }
}
