//! Graphite threshold checks: klaxon asks graphite-web's render API for each check's target
//! and decides itself which series breach (Graphite has no alerting of its own).
//!
//! One `GET /render?target=…&from=-<span>s&until=now&format=json` per check per poll, bounded
//! by the source's `timeout` and `max_bytes`. Every series the target returns is judged on
//! its own (the verdict is stateless: it is read from the window each time, so `klaxon list`
//! and a long-running console agree):
//! - null points are gaps: `for` counts the last `for` non-null points inside `from`, skipping
//!   gaps (a gap neither breaches nor resets the count);
//! - a series is at the highest level (critical, else warning) all of those points are past;
//! - a series back under its thresholds stays firing, marked recovering, until it has been
//!   calm for `flap_window`: a breach that comes back sooner is the same alert, so the same
//!   incident and owner;
//! - a series whose newest value is older than `nodata_after` is its own `…:nodata` alert.
//!
//! Graphite has no acknowledgement: acks and notes stay in klaxon (`mirrors` claims nothing).

use super::{AlertSource, KindConfig, PollFuture, SourceConfig, SourceError};
use crate::config::{At, LOGIN_GOES, Login, Problems, duration, http_url_problem, opt_duration};
use crate::http::{self, Limits};
use crate::model::{Alert, AlertKey, Fields, Link, Severity, Status, WINDOW_ANNOTATION, Window};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `kind = "graphite"`: threshold checks on graphite-web's render API.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphiteConfig {
    /// graphite-web, e.g. "http://graphite.example:8080" (the render API is `<url>/render`).
    pub url: Option<String>,
    /// Bearer token (a proxy in front of graphite-web, Grafana Cloud).
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Basic auth.
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// `[[sources.checks]]`: one threshold check on one target.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    /// Any Graphite target expression; each series it returns is judged on its own.
    pub target: String,
    /// How far back the check looks, Graphite's relative form (`-10min`, `-1h`).
    #[serde(default = "default_from")]
    pub from: String,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// `above` (default): a value over a threshold breaches; `below`: under it.
    #[serde(default)]
    pub direction: Direction,
    /// How many consecutive non-null points must breach.
    #[serde(default = "default_for", rename = "for")]
    pub for_points: usize,
    /// A series whose newest value is older than this is a no-data alert; default `from`.
    #[serde(default, deserialize_with = "opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub nodata_after: Option<Duration>,
    /// A series back under its thresholds resolves only after this long without breaching.
    #[serde(default = "default_flap_window", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub flap_window: Duration,
    #[serde(default)]
    pub severity: LevelSeverities,
    /// Extra labels; values are templates (`{1}`, `{series}`, …).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// A runbook URL or name, a template.
    pub runbook: Option<String>,
    /// The alert's title, a template; default "`{check}: {series} {value} ({level} …)`".
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Above,
    Below,
}

/// `severity = { … }`: the klaxon severity of each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LevelSeverities {
    pub warning: Severity,
    pub critical: Severity,
    pub nodata: Severity,
}

impl Default for LevelSeverities {
    fn default() -> Self {
        LevelSeverities { warning: Severity::Warning, critical: Severity::High, nodata: Severity::Average }
    }
}

fn default_from() -> String {
    "-10min".into()
}
fn default_for() -> usize {
    1
}
fn default_flap_window() -> Duration {
    Duration::from_secs(300)
}

impl GraphiteConfig {
    pub fn login(&self) -> Login<'_> {
        Login::new((&self.token_env, &self.token_file), &self.username, (&self.password_env, &self.password_file))
    }
}

impl KindConfig for GraphiteConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        match &self.url {
            None => problems.push((at("kind"), "a graphite source needs `url` (graphite-web)".into())),
            Some(url) => {
                if let Some(problem) = http_url_problem(url, LOGIN_GOES) {
                    problems.push((at("url"), problem));
                }
            }
        }
        self.login().check(at, problems);
        if self.checks.is_empty() {
            problems.push((at("checks"), "a graphite source needs at least one [[sources.checks]]".into()));
        }
        let mut names = std::collections::HashSet::new();
        for (j, check) in self.checks.iter().enumerate() {
            let at = |field: &str| at("checks").index(j).key(field);
            check.validate(&at, &mut names, problems);
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(GraphiteSource::new(source, self)?))
    }
}

impl Check {
    fn validate<'a>(&'a self, at: At<'_>, names: &mut std::collections::HashSet<&'a str>, problems: &mut Problems) {
        let q = crate::sanitize::sanitize_line;
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            problems
                .push((at("name"), format!("check name {:?} must be letters, digits, '-', '_' or '.'", q(&self.name))));
        } else if !names.insert(&self.name) {
            problems.push((at("name"), format!("check name {:?} is used twice", self.name)));
        }
        if self.target.trim().is_empty() {
            problems.push((at("target"), "target is empty: give a Graphite target expression".into()));
        }
        if let Err(e) = relative_offset(&self.from) {
            problems.push((at("from"), e));
        }
        if self.warning.is_none() && self.critical.is_none() {
            problems.push((at("warning"), "a check needs `warning`, `critical` or both".into()));
        }
        for (key, t) in [("warning", self.warning), ("critical", self.critical)] {
            if t.is_some_and(|t| !t.is_finite()) {
                problems.push((at(key), format!("{key} must be a finite number")));
            }
        }
        if let (Some(w), Some(c)) = (self.warning, self.critical) {
            let wrong = match self.direction {
                Direction::Above => w > c,
                Direction::Below => w < c,
            };
            if wrong {
                let (dir, other) =
                    if self.direction == Direction::Above { ("above", "below") } else { ("below", "above") };
                let text = format!("with direction = \"{dir}\" critical ({c}) must not be {other} warning ({w})");
                problems.push((at("critical"), text));
            }
        }
        if !(1..=10_000).contains(&self.for_points) {
            problems.push((at("for"), "for is a count of points between 1 and 10000".into()));
        }
        if self.nodata_after.is_some_and(|d| d.is_zero()) {
            problems.push((at("nodata_after"), "nodata_after must be more than 0s".into()));
        }
        let templates = self.title.iter().map(|t| ("title", t)).chain(self.runbook.iter().map(|r| ("runbook", r)));
        let templates = templates.chain(self.labels.values().map(|v| ("labels", v)));
        for (key, template) in templates {
            if let Some(bad) = unknown_placeholder(template) {
                problems.push((
                    at(key),
                    format!(
                        "unknown placeholder {{{}}}: use {{series}}, {{check}}, {{value}}, {{threshold}}, {{level}}, {{0}}, {{1}}, … or {{tag.NAME}}",
                        q(&bad)
                    ),
                ));
            }
        }
    }

    /// The `from` window.
    fn window(&self) -> Duration {
        relative_offset(&self.from).unwrap_or(Duration::from_secs(600))
    }

    fn nodata_after(&self) -> Duration {
        self.nodata_after.unwrap_or_else(|| self.window())
    }

    /// How far back one request asks: the window plus `flap_window` (a breach that ended
    /// that long ago still holds the alert), and at least `nodata_after`.
    pub fn span(&self) -> Duration {
        (self.window() + self.flap_window).max(self.nodata_after())
    }

    fn threshold(&self, level: Level) -> Option<f64> {
        match level {
            Level::Warning => self.warning,
            Level::Critical => self.critical,
        }
    }

    fn level_of(&self, value: f64) -> Option<Level> {
        let past = |t: Option<f64>| {
            t.is_some_and(|t| match self.direction {
                Direction::Above => value > t,
                Direction::Below => value < t,
            })
        };
        if past(self.critical) {
            Some(Level::Critical)
        } else if past(self.warning) {
            Some(Level::Warning)
        } else {
            None
        }
    }
}

/// Graphite's relative time (`-10min`, `-2h`, `-30s`, `-1d`, `-1w`, `-1mon`, `-1y`) as a
/// duration; absolute times are not taken (a check looks back from now).
pub fn relative_offset(text: &str) -> Result<Duration, String> {
    let shown = crate::sanitize::sanitize_line(text);
    let bad = || format!("from {shown:?} is not a relative time like \"-10min\", \"-1h\" or \"-2d\"");
    let rest = text.trim().strip_prefix('-').ok_or_else(bad)?;
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
    let unit = &rest[digits..];
    // Graphite reads a unit by its start (timeparsing.py getUnitString).
    let secs = if unit.starts_with("mon") {
        30 * 86_400
    } else if unit.starts_with("min") {
        60
    } else if unit.starts_with('s') {
        1
    } else if unit.starts_with('h') {
        3600
    } else if unit.starts_with('d') {
        86_400
    } else if unit.starts_with('w') {
        7 * 86_400
    } else if unit.starts_with('y') {
        365 * 86_400
    } else {
        return Err(bad());
    };
    let d = n.checked_mul(secs).map(Duration::from_secs).filter(|d| !d.is_zero() && *d <= crate::config::MAX_DURATION);
    d.ok_or_else(|| format!("from {shown:?} must be more than 0s and at most 10 years"))
}

/// A breaching level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Critical,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }
}

/// One series of a render answer: `[{"target": …, "tags": {…}, "datapoints": [[value|null, ts], …]}]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Series {
    pub target: String,
    #[serde(default)]
    pub tags: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub datapoints: Vec<(Option<f64>, f64)>,
}

impl Series {
    /// The non-null points with their times, oldest first.
    fn points(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.datapoints.iter().filter_map(|(v, t)| Some((*t as i64, v.filter(|v| v.is_finite())?)))
    }

    fn tag(&self, name: &str) -> Option<String> {
        self.tags.get(name).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

/// Reads a render API answer (`format=json`); points come back oldest first.
pub fn parse_render(body: &[u8]) -> Result<Vec<Series>, String> {
    let mut all: Vec<Series> =
        serde_json::from_slice(body).map_err(|e| format!("not a Graphite render answer ({e})"))?;
    for s in &mut all {
        s.datapoints.sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    Ok(all)
}

/// What one series is, as of `now` (Unix seconds).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    /// `for` points past `level`, the newest `value`, breaching since `since`; `calm_since`
    /// when it is back under and held for `flap_window`.
    Breach {
        level: Level,
        value: f64,
        since: i64,
        calm_since: Option<(i64, f64)>,
    },
    /// No value since `last` (None: none in the whole span asked for).
    NoData {
        last: Option<i64>,
    },
}

/// The verdict on one series (see the module's words for the rules).
pub fn judge(check: &Check, series: &Series, now: i64) -> Verdict {
    let points: Vec<(i64, f64)> = series.points().filter(|(t, _)| *t <= now).collect();
    let last = points.last().map(|p| p.0);
    if last.is_none_or(|t| now.saturating_sub(t) > check.nodata_after().as_secs() as i64) {
        return Verdict::NoData { last };
    }
    let n = check.for_points;
    let window_start = now.saturating_sub(check.window().as_secs() as i64);
    // The level reached at point i: the lowest level of the n points ending there.
    let fired_at = |i: usize| -> Option<Level> {
        if i + 1 < n {
            return None;
        }
        points[i + 1 - n..=i].iter().map(|(_, v)| check.level_of(*v)).min().flatten()
    };
    let newest = points.len() - 1;
    if points.len() >= n
        && points[newest + 1 - n].0 > window_start
        && let Some(level) = fired_at(newest)
    {
        // The breach runs back over every point past a threshold.
        let start = points.iter().rposition(|(_, v)| check.level_of(*v).is_none()).map_or(0, |i| i + 1);
        return Verdict::Breach { level, value: points[newest].1, since: points[start].0, calm_since: None };
    }
    // Back under: held while the last firing point is less than flap_window ago.
    let Some(fired) = (0..points.len()).rev().find(|&i| fired_at(i).is_some()) else { return Verdict::Ok };
    let calm = points[fired + 1..].first().copied();
    let Some((calm_at, _)) = calm else { return Verdict::Ok };
    if now.saturating_sub(calm_at) >= check.flap_window.as_secs() as i64 {
        return Verdict::Ok;
    }
    let level = fired_at(fired).unwrap_or(Level::Warning);
    let start = points[..=fired].iter().rposition(|(_, v)| check.level_of(*v).is_none()).map_or(0, |i| i + 1);
    Verdict::Breach {
        level,
        value: points[newest].1,
        since: points[start].0,
        calm_since: Some((calm_at, points[newest].1)),
    }
}

/// `{name}` placeholders filled from `lookup`; `{{` and `}}` are literal braces; a name
/// `lookup` does not know stays as written, so it shows.
pub fn expand(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            let name = &tail[1..end];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The first placeholder no series could fill, for validation.
fn unknown_placeholder(template: &str) -> Option<String> {
    let unknown = std::cell::RefCell::new(None);
    expand(template, &|name| {
        let known = matches!(name, "series" | "check" | "value" | "threshold" | "level")
            || name.parse::<usize>().is_ok()
            || name.strip_prefix("tag.").is_some_and(|t| !t.is_empty());
        if !known && unknown.borrow().is_none() {
            *unknown.borrow_mut() = Some(name.to_owned());
        }
        Some(String::new())
    });
    unknown.into_inner()
}

/// What a template may name for one series.
fn placeholder(check: &Check, series: &Series, verdict: &Verdict, name: &str) -> Option<String> {
    let base = series.target.split(';').next().unwrap_or("");
    match name {
        "series" => Some(series.target.clone()),
        "check" => Some(check.name.clone()),
        "value" => match verdict {
            Verdict::Breach { value, .. } => Some(Window::number(*value)),
            _ => Some("no data".into()),
        },
        "level" => Some(level_word(verdict).into()),
        "threshold" => match verdict {
            Verdict::Breach { level, .. } => check.threshold(*level).map(Window::number),
            _ => Some(String::new()),
        },
        _ => match name.strip_prefix("tag.") {
            Some(tag) => series.tag(tag),
            None => base.split('.').nth(name.parse().ok()?).map(str::to_owned),
        },
    }
}

fn level_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Breach { level, .. } => level.name(),
        Verdict::NoData { .. } => "nodata",
        Verdict::Ok => "ok",
    }
}

fn time(t: i64) -> String {
    Utc.timestamp_opt(t, 0).single().map_or_else(|| t.to_string(), |t| t.format("%H:%M UTC").to_string())
}

pub struct GraphiteSource {
    name: String,
    base: String,
    client: reqwest::Client,
    auth: http::Auth,
    checks: Vec<Check>,
    max_bytes: u64,
}

impl GraphiteSource {
    pub fn new(src: &SourceConfig, cfg: &GraphiteConfig) -> Result<Self, SourceError> {
        let limits = Limits::for_source(src.timeout, src.max_bytes);
        let client = http::client(limits, cfg.ca_file.as_deref())?;
        let auth = http::Auth::from_login(cfg.login().resolve().map_err(SourceError::new)?);
        let base = cfg.url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned();
        Ok(GraphiteSource {
            name: src.name.clone(),
            base,
            client,
            auth,
            checks: cfg.checks.clone(),
            max_bytes: src.max_bytes,
        })
    }

    async fn run(&self) -> Result<Vec<Alert>, SourceError> {
        let answers = futures_util::future::join_all(self.checks.iter().map(|c| self.render(c))).await;
        let now = Utc::now();
        let mut alerts = Vec::new();
        for (check, answer) in self.checks.iter().zip(answers) {
            let series = answer.map_err(|e| SourceError::new(format!("check {}: {e}", check.name)))?;
            alerts.extend(self.to_alerts(check, &series, now));
        }
        alerts.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(alerts)
    }

    /// The one request of a check.
    async fn render(&self, check: &Check) -> Result<Vec<Series>, String> {
        let query = self.query(check);
        let mut req = self.client.get(format!("{}/render", self.base)).query(&query);
        req = self.auth.apply(req);
        let body = http::fetch(req, self.max_bytes).await.map_err(|e| e.clean())?;
        parse_render(&body)
    }

    fn query(&self, check: &Check) -> [(&'static str, String); 4] {
        [
            ("target", check.target.clone()),
            ("from", format!("-{}s", check.span().as_secs())),
            ("until", "now".into()),
            ("format", "json".into()),
        ]
    }

    /// What a poll makes of check number `check`'s render answer as of `now`, without the network.
    pub fn decode(&self, check: usize, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Alert>, SourceError> {
        let check = self.checks.get(check).ok_or_else(|| SourceError::new("no such check"))?;
        Ok(self.to_alerts(check, &parse_render(body).map_err(SourceError::new)?, now))
    }

    /// The alerts of one check's answer as of `now`: one per breaching or silent series.
    pub fn to_alerts(&self, check: &Check, series: &[Series], now: DateTime<Utc>) -> Vec<Alert> {
        series.iter().filter_map(|s| self.to_alert(check, s, now)).collect()
    }

    fn to_alert(&self, check: &Check, series: &Series, now: DateTime<Utc>) -> Option<Alert> {
        let verdict = judge(check, series, now.timestamp());
        let lookup = |name: &str| placeholder(check, series, &verdict, name);
        let fill = |t: &str| expand(t, &lookup);
        let id_series = crate::sanitize::sanitize_line(&series.target).replace('/', "_");
        let (id, severity, default_title, since) = match &verdict {
            Verdict::Ok => return None,
            Verdict::Breach { level, value, since, calm_since } => {
                let severity = match level {
                    Level::Warning => check.severity.warning,
                    Level::Critical => check.severity.critical,
                };
                let dir = if check.direction == Direction::Above { "above" } else { "below" };
                let t = check.threshold(*level).map(Window::number).unwrap_or_default();
                let mut title = format!(
                    "{}: {} {} ({} {dir} {t})",
                    check.name,
                    series.target,
                    Window::number(*value),
                    level.name()
                );
                if let Some((calm, _)) = calm_since {
                    let until = calm.saturating_add(check.flap_window.as_secs() as i64);
                    title.push_str(&format!(", recovering: back since {}, resolves at {}", time(*calm), time(until)));
                }
                (format!("{}:{id_series}", check.name), severity, title, Some(*since))
            }
            Verdict::NoData { last } => {
                let after = humantime::format_duration(check.nodata_after());
                let title = match last {
                    Some(t) => format!(
                        "{}: {} has no data since {} (nodata_after {after})",
                        check.name,
                        series.target,
                        time(*t)
                    ),
                    None => format!(
                        "{}: {} has no data in the last {}",
                        check.name,
                        series.target,
                        humantime::format_duration(check.span())
                    ),
                };
                (format!("{}:{id_series}:nodata", check.name), check.severity.nodata, title, *last)
            }
        };
        let title = check.title.as_deref().map_or(default_title.clone(), fill);
        let mut labels: Fields = check.labels.iter().map(|(k, v)| (k.clone(), fill(v))).collect();
        labels.insert("alertname", check.name.clone());
        labels.insert("instance", series.target.clone());
        labels.insert("level", level_word(&verdict));
        labels.insert("severity", severity.name());
        let mut annotations = Fields::from([("summary", default_title)]);
        if let Verdict::Breach { value, .. } = &verdict {
            annotations.insert("value", Window::number(*value));
        }
        let window_start = now.timestamp().saturating_sub(check.window().as_secs() as i64);
        let window = Window {
            values: series.datapoints.iter().filter(|(_, t)| *t as i64 > window_start).map(|(v, _)| *v).collect(),
            warning: check.warning,
            critical: check.critical,
            above: check.direction == Direction::Above,
        };
        annotations.insert(WINDOW_ANNOTATION, window.encode());
        let mut links = vec![Link { kind: "graph".into(), url: self.graph_url(check, series) }];
        if let Some(rb) = &check.runbook {
            let rb = fill(rb);
            annotations.insert("runbook_url", rb.clone());
            links.insert(0, Link { kind: "runbook".into(), url: rb });
        }
        let started_at = since.and_then(|t| Utc.timestamp_opt(t, 0).single());
        Some(Alert {
            key: AlertKey::new(&self.name, &id),
            title,
            severity,
            status: Status::Firing,
            started_at: started_at.unwrap_or(now),
            updated_at: now,
            host: labels.get("host").map(str::to_owned),
            service: labels.get("service").map(str::to_owned),
            labels,
            annotations,
            links,
            source_acks: Vec::new(),
            suppression: None,
            guessed: crate::model::Guessed { severity: None, started_at: started_at.is_none() },
        })
    }

    /// The series drawn by graphite-web over the check's window.
    fn graph_url(&self, check: &Check, series: &Series) -> String {
        let mut url = reqwest::Url::parse(&format!("{}/render", self.base))
            .unwrap_or_else(|_| reqwest::Url::parse("http://invalid/render").expect("a literal URL"));
        url.query_pairs_mut().append_pair("target", &series.target).append_pair("from", &check.from);
        url.to_string()
    }
}

impl AlertSource for GraphiteSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(toml_text: &str) -> Check {
        toml::from_str(&format!("name = \"disk\"\ntarget = \"servers.*.disk\"\n{toml_text}")).unwrap()
    }

    /// A series with one point every 10 s ending at `now`.
    fn series(values: &[Option<f64>], now: i64) -> Series {
        let n = values.len() as i64;
        let datapoints = values.iter().enumerate().map(|(i, v)| (*v, (now - (n - 1 - i as i64) * 10) as f64)).collect();
        Series { target: "servers.web1.disk".into(), tags: BTreeMap::new(), datapoints }
    }

    const NOW: i64 = 1_800_000_000;

    fn level(v: &Verdict) -> Option<Level> {
        match v {
            Verdict::Breach { level, .. } => Some(*level),
            _ => None,
        }
    }

    #[test]
    fn direction_decides_which_side_breaches() {
        let up = check("warning = 80\ncritical = 90");
        let down = check("warning = 20\ncritical = 10\ndirection = \"below\"");
        assert_eq!(level(&judge(&up, &series(&[Some(95.0)], NOW), NOW)), Some(Level::Critical));
        assert_eq!(level(&judge(&up, &series(&[Some(85.0)], NOW), NOW)), Some(Level::Warning));
        // A threshold is crossed only past it: 90 itself is a warning, 80 nothing.
        assert_eq!(level(&judge(&up, &series(&[Some(90.0)], NOW), NOW)), Some(Level::Warning));
        assert_eq!(judge(&up, &series(&[Some(80.0)], NOW), NOW), Verdict::Ok);
        assert_eq!(level(&judge(&down, &series(&[Some(5.0)], NOW), NOW)), Some(Level::Critical));
        assert_eq!(level(&judge(&down, &series(&[Some(15.0)], NOW), NOW)), Some(Level::Warning));
        assert_eq!(judge(&down, &series(&[Some(95.0)], NOW), NOW), Verdict::Ok);
    }

    #[test]
    fn for_counts_non_null_points_and_skips_gaps() {
        let c = check("critical = 90\nfor = 3\nflap_window = \"0s\"");
        // Two breaching points are not enough.
        assert_eq!(judge(&c, &series(&[Some(1.0), Some(95.0), Some(96.0)], NOW), NOW), Verdict::Ok);
        // Three are, gaps between them neither count nor reset.
        let gappy = series(&[Some(1.0), Some(95.0), None, Some(96.0), None, Some(97.0), None], NOW);
        match judge(&c, &gappy, NOW) {
            Verdict::Breach { level, value, since, calm_since } => {
                assert_eq!((level, value, calm_since), (Level::Critical, 97.0, None));
                assert_eq!(since, NOW - 50, "the breach started at its first breaching point");
            }
            other => panic!("{other:?}"),
        }
        // A point under the threshold resets the count.
        let broken = series(&[Some(95.0), Some(96.0), Some(1.0), Some(97.0), Some(98.0)], NOW);
        assert_eq!(judge(&c, &broken, NOW), Verdict::Ok);
        // The level is what all `for` points reach: two critical after a warning is a warning.
        let c = check("warning = 80\ncritical = 90\nfor = 3");
        let mixed = series(&[Some(85.0), Some(95.0), Some(96.0)], NOW);
        assert_eq!(level(&judge(&c, &mixed, NOW)), Some(Level::Warning));
    }

    #[test]
    fn for_points_must_lie_inside_from() {
        // from = 30 s: the 4th point back is outside, so 4 points cannot be counted.
        let c = check("critical = 90\nfor = 4\nfrom = \"-30s\"\nnodata_after = \"1h\"\nflap_window = \"0s\"");
        let s = series(&[Some(95.0), Some(95.0), Some(95.0), Some(95.0)], NOW);
        assert_eq!(judge(&c, &s, NOW), Verdict::Ok);
    }

    #[test]
    fn silence_past_nodata_after_is_no_data_never_ok() {
        let c = check("critical = 90\nnodata_after = \"30s\"");
        let s = series(&[Some(1.0), Some(2.0), None, None, None, None], NOW);
        assert_eq!(judge(&c, &s, NOW), Verdict::NoData { last: Some(NOW - 40) });
        assert_eq!(judge(&c, &series(&[None, None], NOW), NOW), Verdict::NoData { last: None });
        // 30 s of silence is still within it.
        let s = series(&[Some(1.0), None, None, None], NOW);
        assert_eq!(judge(&c, &s, NOW), Verdict::Ok);
    }

    #[test]
    fn a_breach_holds_for_flap_window_after_it_ends() {
        let c = check("critical = 90\nfor = 2\nflap_window = \"1m\"");
        // Breached, then calm for 20 s (two points): still the same alert, recovering.
        let s = series(&[Some(95.0), Some(96.0), Some(50.0), Some(51.0)], NOW);
        match judge(&c, &s, NOW) {
            Verdict::Breach { level: Level::Critical, value, calm_since: Some((calm, _)), since, .. } => {
                assert_eq!((value, calm, since), (51.0, NOW - 10, NOW - 30));
            }
            other => panic!("{other:?}"),
        }
        // Calm for a minute: resolved.
        let s = series(
            &[Some(95.0), Some(96.0), Some(50.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0)],
            NOW,
        );
        assert_eq!(judge(&c, &s, NOW), Verdict::Ok);
        // Without flap_window the first calm point resolves it.
        let c = check("critical = 90\nfor = 2\nflap_window = \"0s\"");
        assert_eq!(judge(&c, &series(&[Some(95.0), Some(96.0), Some(50.0)], NOW), NOW), Verdict::Ok);
    }

    #[test]
    fn templates_fill_series_nodes_and_tags() {
        let c = check(
            "critical = 90\ntitle = \"{check}: {1} at {value} (over {threshold}, {level}) {{x}} {9} {tag.dc}\"\nlabels = { host = \"{1}\" }\nrunbook = \"https://wiki/{0}/{check}\"",
        );
        let mut s = series(&[Some(95.5)], NOW);
        s.tags.insert("dc".into(), serde_json::json!("ams"));
        let src = GraphiteSource {
            name: "g".into(),
            base: "http://graphite".into(),
            client: http::client(Limits::for_source(Duration::from_secs(1), 1000), None).unwrap(),
            auth: http::Auth::None,
            checks: vec![c.clone()],
            max_bytes: 1000,
        };
        let now = Utc.timestamp_opt(NOW, 0).unwrap();
        let a = src.to_alerts(&c, &[s], now).remove(0);
        assert_eq!(a.title, "disk: web1 at 95.5 (over 90, critical) {x} {9} ams");
        assert_eq!(a.key.as_str(), "g/disk:servers.web1.disk");
        assert_eq!(&a.labels["host"], "web1");
        assert_eq!(&a.labels["instance"], "servers.web1.disk");
        assert_eq!(a.host.as_deref(), Some("web1"));
        assert_eq!(a.link("runbook"), Some("https://wiki/servers/disk"));
        assert_eq!(a.severity, Severity::High);
        assert_eq!(Window::of(&a).unwrap().values, vec![Some(95.5)]);
        assert_eq!(unknown_placeholder("{series} {hostname}"), Some("hostname".into()));
        assert_eq!(unknown_placeholder("{series} {2} {tag.x} {{literal}}"), None);
    }

    #[test]
    fn timestamps_at_the_ends_of_time_do_not_overflow() {
        // Found by parsers_prop::long_graphite_answers: a point at i64::MIN.
        let c = check("critical = 90");
        let s = Series { target: "a".into(), tags: BTreeMap::new(), datapoints: vec![(Some(95.0), i64::MIN as f64)] };
        assert_eq!(judge(&c, &s, NOW), Verdict::NoData { last: Some(i64::MIN) });
        let s = Series {
            target: "a".into(),
            tags: BTreeMap::new(),
            datapoints: vec![(Some(95.0), -1e300), (Some(1.0), NOW as f64)],
        };
        // A breach at the start of time that ended now is still recovering, not a panic.
        assert!(matches!(judge(&c, &s, NOW), Verdict::Breach { calm_since: Some((NOW, _)), .. }));
    }

    #[test]
    fn graphite_relative_times() {
        assert_eq!(relative_offset("-10min"), Ok(Duration::from_secs(600)));
        assert_eq!(relative_offset("-2hours"), Ok(Duration::from_secs(7200)));
        assert_eq!(relative_offset("-1mon"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(relative_offset("-45s"), Ok(Duration::from_secs(45)));
        assert!(relative_offset("10min").is_err());
        assert!(relative_offset("-10").is_err());
        assert!(relative_offset("-0min").is_err());
        assert!(relative_offset("-99999999999999y").is_err());
        assert!(!relative_offset("-1\x1b[2Jx").unwrap_err().contains('\x1b'));
    }

    #[test]
    fn render_answers_parse_with_null_points() {
        // The shape graphite-web 1.1's render/views.py writes for format=json (checked
        // against the docs' render_api.rst and a real graphite-web 1.1.8 answer).
        let body = br#"[{"target": "a.b", "tags": {"name": "a.b"}, "datapoints": [[null, 20], [1.5, 10], [2, 30]]}]"#;
        let s = parse_render(body).unwrap();
        assert_eq!(s[0].datapoints, vec![(Some(1.5), 10.0), (None, 20.0), (Some(2.0), 30.0)]);
        assert!(parse_render(b"<html>").unwrap_err().starts_with("not a Graphite render answer"));
    }
}
