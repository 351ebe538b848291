//! klaxon.toml: types, defaults and validation. One file is both the embedded default and
//! what `klaxon init` writes (`klaxon.toml` beside this module), so the two never drift.

pub mod keymap;
mod load;
pub mod logs;
pub mod paths;
mod secret;
pub mod theme;

pub use load::{ConfigError, KeyPath, KeySeg, Loaded, Origin, load, parse};
pub use logs::{LogConfig, LogKind};
pub use secret::{REDACTED, Secret, SecretRef, redact};

use crate::model::{Severity, SeverityMap};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The embedded default, also the commented starter config `klaxon init` writes.
pub const DEFAULT_TOML: &str = include_str!("klaxon.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub identity: Identity,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub runbooks: RunbooksConfig,
    #[serde(default)]
    pub notify: NotifyConfig,
    #[serde(default)]
    pub schedules: Vec<ScheduleConfig>,
    #[serde(default)]
    pub escalation: EscalationConfig,
    #[serde(default)]
    pub logs: Vec<LogConfig>,
    /// One person across systems, with their time zone and working hours (reports).
    #[serde(default)]
    pub people: Vec<crate::people::PersonConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Desktop notifications over D-Bus (when klaxon runs on your desktop).
    #[serde(default = "yes")]
    pub desktop: bool,
    /// Notifications through the terminal, which reach you over SSH and through tmux.
    #[serde(default)]
    pub terminal: TerminalNotify,
    /// Only alerts at or above this severity notify.
    #[serde(default = "default_notify_min")]
    pub min_severity: Severity,
    /// More than `storm_threshold` notifications within this window become one summary.
    #[serde(default = "default_storm_window", deserialize_with = "duration")]
    pub storm_window: Duration,
    #[serde(default = "default_storm_threshold")]
    pub storm_threshold: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            desktop: true,
            terminal: TerminalNotify::Auto,
            min_severity: default_notify_min(),
            storm_window: default_storm_window(),
            storm_threshold: default_storm_threshold(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TerminalNotify {
    Off,
    Bell,
    Osc9,
    Osc777,
    Osc99,
    /// What the terminal supports, from its environment; the bell when unsure.
    #[default]
    Auto,
}

fn default_notify_min() -> Severity {
    Severity::High
}
fn default_storm_window() -> Duration {
    Duration::from_secs(10)
}
fn default_storm_threshold() -> usize {
    3
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbooksConfig {
    /// Folders of your own runbooks: every Markdown file under them, front matter optional. One
    /// named like a bundled runbook replaces it. Relative paths are relative to the config file.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Let `y` copy a runbook's code block to the clipboard with OSC 52 (through SSH and tmux).
    #[serde(default)]
    pub copy_code: bool,
    /// Runbook sites checked out on disk: a `runbook_url` under `url` opens the file under `path`.
    #[serde(default)]
    pub mirrors: Vec<RunbookMirror>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookMirror {
    /// The site's prefix, e.g. `https://runbooks.example.com/runbooks/`.
    pub url: String,
    /// The checkout's folder that prefix serves, e.g. `~/src/runbooks/content/runbooks`.
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `themes/<name>.toml`: the user's themes dir first, then the bundled themes.
    #[serde(default = "default_name")]
    pub theme: String,
    /// `keymaps/<name>.toml`, overlaid on the bundled default keymap.
    #[serde(default = "default_name")]
    pub keymap: String,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig { theme: default_name(), keymap: default_name() }
    }
}

fn default_name() -> String {
    "default".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Actor recorded on every entry; default the login name.
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    #[serde(default)]
    pub backend: Backend,
    /// SQLite file; default `<data dir>/klaxon.db`. Relative paths are relative to the config file.
    pub path: Option<PathBuf>,
    /// PostgreSQL connection string (a URL or `key=value` pairs), from this environment variable…
    pub url_env: Option<String>,
    /// …or from this file, which only its owner may read.
    pub url_file: Option<PathBuf>,
    /// PEM file of CAs trusted for the server's certificate, besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl StoreConfig {
    pub fn url(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("url", &self.url_env, &self.url_file)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Sqlite,
    Postgres,
}

/// One `[[sources]]` entry: the fields every source has, then its kind's own.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceConfig {
    pub name: String,
    #[serde(default = "default_interval", deserialize_with = "duration")]
    pub interval: Duration,
    /// Total time one poll may take.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Largest response accepted from the source, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u64,
    /// The source's own severity words, checked before the built-in parsing.
    #[serde(default)]
    pub severity_map: SeverityMap,
    /// The severity of an alert that has none, or one no mapping knows (shown marked, `AVG?`).
    #[serde(default = "default_default_severity")]
    pub default_severity: crate::model::Severity,
    // `flatten` hands the remaining keys to the kind's struct, whose
    // `deny_unknown_fields` then catches typos.
    #[serde(flatten)]
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SourceKind {
    Demo(DemoConfig),
    Checks(ChecksConfig),
    Alertmanager(Box<AlertmanagerConfig>),
    Zabbix(Box<ZabbixConfig>),
}

impl SourceKind {
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Demo(_) => "demo",
            SourceKind::Checks(_) => "checks",
            SourceKind::Alertmanager(_) => "alertmanager",
            SourceKind::Zabbix(_) => "zabbix",
        }
    }
}

/// Prometheus Alertmanager API v2, also Grafana's and Mimir's/Cortex's.
#[derive(Debug, Clone, Deserialize)]
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
    #[serde(default = "yes")]
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
    pub ack_silence: Option<Duration>,
}

impl AlertmanagerConfig {
    pub fn urls(&self) -> Vec<&str> {
        self.url.iter().chain(&self.urls).map(String::as_str).collect()
    }

    pub fn token(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("token", &self.token_env, &self.token_file)
    }

    pub fn password(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("password", &self.password_env, &self.password_file)
    }
}

/// Zabbix's JSON-RPC API (6.0 LTS to 7.x), through its frontend.
#[derive(Debug, Clone, Deserialize)]
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
    #[serde(default = "default_zabbix_min")]
    pub min_severity: Severity,
    /// Also show suppressed problems (in maintenance, or suppressed by hand), as suppressed.
    #[serde(default)]
    pub suppressed: bool,
    /// Problems asked for per request; more are fetched page by page.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
    /// Carry acknowledgements, notes and escalations back to Zabbix (through the outbox).
    #[serde(default = "yes")]
    pub write_back: bool,
    /// PEM file of CAs to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl ZabbixConfig {
    pub fn token(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("token", &self.token_env, &self.token_file)
    }

    pub fn password(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("password", &self.password_env, &self.password_file)
    }
}

fn default_zabbix_min() -> Severity {
    Severity::Information
}

fn default_page_size() -> usize {
    1000
}

/// `<name>_env` or `<name>_file`, never both.
fn secret_ref(name: &str, env: &Option<String>, file: &Option<PathBuf>) -> Result<Option<SecretRef>, String> {
    match (env, file) {
        (Some(_), Some(_)) => Err(format!("give {name}_env or {name}_file, not both")),
        (Some(var), None) => Ok(Some(SecretRef::Env(var.clone()))),
        (None, Some(path)) => Ok(Some(SecretRef::File(path.clone()))),
        (None, None) => Ok(None),
    }
}

fn default_default_severity() -> crate::model::Severity {
    crate::model::Severity::Average
}

fn default_severity_label() -> String {
    "severity".into()
}

fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Changes which ids and timings the scenario uses.
    #[serde(default)]
    pub seed: u64,
    /// Length of one pass through the scenario.
    #[serde(default = "default_demo_cycle", deserialize_with = "duration")]
    pub cycle: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Check this host's disks, load and memory.
    #[serde(default = "yes")]
    pub host: bool,
    /// Percent of a filesystem used.
    #[serde(default = "default_disk")]
    pub disk: Thresholds,
    /// One-minute load average per core.
    #[serde(default = "default_load")]
    pub load: Thresholds,
    /// Percent of memory in use (total minus available).
    #[serde(default = "default_memory")]
    pub memory: Thresholds,
    /// Mount points never checked (glob-free prefixes), besides pseudo filesystems.
    #[serde(default)]
    pub skip_mounts: Vec<PathBuf>,
    #[serde(default)]
    pub commands: Vec<CommandCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub warning: f64,
    pub high: f64,
}

/// A Nagios-plugin-compatible command: exit 0 OK, 1 warning, 2 critical, 3 unknown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandCheck {
    pub name: String,
    /// Program and arguments, run directly: never through a shell.
    pub argv: Vec<String>,
    #[serde(default = "default_command_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    #[serde(default = "default_on_warning")]
    pub warning: Severity,
    #[serde(default = "default_on_critical")]
    pub critical: Severity,
    #[serde(default = "default_on_unknown")]
    pub unknown: Severity,
    /// Extra environment for the command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Secrets handed over in the environment rather than argv, where `ps` would show them.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
}

fn yes() -> bool {
    true
}
fn default_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_max_bytes() -> u64 {
    64 * 1024 * 1024
}
fn default_demo_cycle() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_command_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_disk() -> Thresholds {
    Thresholds { warning: 85.0, high: 95.0 }
}
fn default_load() -> Thresholds {
    Thresholds { warning: 2.0, high: 4.0 }
}
fn default_memory() -> Thresholds {
    Thresholds { warning: 90.0, high: 97.0 }
}
fn default_on_warning() -> Severity {
    Severity::Warning
}
fn default_on_critical() -> Severity {
    Severity::High
}
fn default_on_unknown() -> Severity {
    Severity::Average
}

/// One `[[schedules]]` entry: who is on call for one escalation level.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleConfig {
    pub name: String,
    /// The escalation level this schedule answers for: 1 is paged first.
    #[serde(default = "one")]
    pub level: i64,
    #[serde(default = "default_schedule_interval", deserialize_with = "duration")]
    pub interval: Duration,
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    #[serde(default = "default_schedule_max_bytes")]
    pub max_bytes: u64,
    #[serde(flatten)]
    pub kind: ScheduleKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ScheduleKind {
    Ical(IcalConfig),
    Rotation(RotationConfig),
    Pagerduty(VendorScheduleConfig),
    Opsgenie(VendorScheduleConfig),
    GrafanaOncall(VendorScheduleConfig),
}

impl ScheduleKind {
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleKind::Ical(_) => "ical",
            ScheduleKind::Rotation(_) => "rotation",
            ScheduleKind::Pagerduty(_) => "pagerduty",
            ScheduleKind::Opsgenie(_) => "opsgenie",
            ScheduleKind::GrafanaOncall(_) => "grafana-oncall",
        }
    }
}

/// A calendar feed: PagerDuty, Opsgenie and Grafana OnCall exports, or any iCalendar file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcalConfig {
    /// `file:///path.ics`, a plain path, or an http(s) URL.
    pub url: Option<String>,
    /// The URL is a secret (vendors put a token in it): take it from this env var or 0600 file.
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
    /// For times without a zone ("floating"); default UTC.
    #[serde(default = "default_utc")]
    pub time_zone: String,
}

impl IcalConfig {
    pub fn secret_url(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("url", &self.url_env, &self.url_file)
    }
}

/// A rotation written here: participants take turns of `shift`, handing over at `handoff`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationConfig {
    pub participants: Vec<String>,
    /// The date the first participant's first turn starts, e.g. "2026-01-05".
    pub start: String,
    /// Length of one turn: "7d", "1d", "12h". Whole days hand over at the same wall-clock time.
    #[serde(deserialize_with = "duration")]
    pub shift: Duration,
    /// Wall-clock handoff time in `time_zone`, "09:00".
    #[serde(default = "default_handoff")]
    pub handoff: String,
    #[serde(default = "default_utc")]
    pub time_zone: String,
    /// Someone covers a window: { person = "dave", start = "2026-03-28T18:00", end = "2026-03-29T09:00" }.
    #[serde(default)]
    pub overrides: Vec<Override>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub person: String,
    /// RFC 3339, or a wall-clock time in the rotation's time zone.
    pub start: String,
    pub end: String,
}

/// A vendor's on-call API: PagerDuty (`/oncalls`), Opsgenie (`/v2/schedules/{id}/on-calls`),
/// Grafana OnCall (`/api/v1/schedules/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorScheduleConfig {
    /// API base; default the vendor's SaaS (Grafana OnCall has none: give it).
    pub url: Option<String>,
    /// The schedule's id (PagerDuty, Grafana OnCall), or id or name (Opsgenie).
    pub schedule: String,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl VendorScheduleConfig {
    pub fn token(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("token", &self.token_env, &self.token_file)
    }
}

/// `[escalation]`: who gets paged when an alert goes up a level.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// A Mattermost/Slack-compatible incoming webhook (a secret: env var or 0600 file).
    pub webhook_url_env: Option<String>,
    pub webhook_url_file: Option<PathBuf>,
    /// Escalate unacknowledged High/Disaster alerts one level after this long (per level).
    #[serde(default, deserialize_with = "opt_duration")]
    pub auto_after: Option<Duration>,
    /// Tell you this long before your own shift starts.
    #[serde(default = "default_shift_notice", deserialize_with = "duration")]
    pub shift_notice: Duration,
}

impl EscalationConfig {
    pub fn webhook(&self) -> Result<Option<SecretRef>, String> {
        secret_ref("webhook_url", &self.webhook_url_env, &self.webhook_url_file)
    }
}

fn one() -> i64 {
    1
}
fn default_schedule_interval() -> Duration {
    Duration::from_secs(300)
}
fn default_schedule_max_bytes() -> u64 {
    8 * 1024 * 1024
}
fn default_utc() -> String {
    "UTC".into()
}
fn default_handoff() -> String {
    "09:00".into()
}
fn default_shift_notice() -> Duration {
    Duration::from_secs(15 * 60)
}

/// The longest duration any setting takes: ten years. Anything longer is a typo, and time
/// arithmetic on it (now + interval, a rotation's turns) would leave the calendar.
pub const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// `"15s"`, `"5m"`, `"1h30m"`; at most [`MAX_DURATION`].
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let raw = String::deserialize(d)?;
    let d = humantime::parse_duration(raw.trim()).map_err(|e| {
        serde::de::Error::custom(format!("invalid duration {raw:?} ({e}); write it like \"15s\", \"5m\" or \"1h30m\""))
    })?;
    if d > MAX_DURATION {
        return Err(serde::de::Error::custom(format!(
            "duration {raw:?} is out of range: at most 10 years (\"3650d\")"
        )));
    }
    Ok(d)
}

impl Config {
    /// Checks what serde cannot: returns each problem with the key it concerns.
    fn validate(&self) -> Vec<(KeyPath, String)> {
        use load::KeySeg::{Index, Key};
        let mut problems = Vec::new();
        validate_store(&self.store, &mut problems);
        let mut seen = std::collections::HashSet::new();
        for (i, src) in self.sources.iter().enumerate() {
            let at = |field: &str| KeyPath(vec![Key("sources".into()), Index(i), Key(field.into())]);
            if src.name.is_empty() || !src.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                problems
                    .push((at("name"), format!("source name {:?} must be letters, digits, '-', '_' or '.'", src.name)));
            } else if !seen.insert(src.name.as_str()) {
                problems.push((at("name"), format!("source name {:?} is used twice", src.name)));
            }
            if src.interval < Duration::from_secs(1) {
                problems.push((at("interval"), "interval must be at least 1s".into()));
            }
            if src.timeout.is_zero() {
                problems.push((at("timeout"), "timeout must be more than 0s".into()));
            }
            if let SourceKind::Alertmanager(am) = &src.kind {
                validate_alertmanager(am, &at, &mut problems);
            }
            if let SourceKind::Zabbix(z) = &src.kind {
                validate_zabbix(z, &at, &mut problems);
            }
            if let SourceKind::Checks(c) = &src.kind {
                for (name, t) in [("disk", c.disk), ("load", c.load), ("memory", c.memory)] {
                    if t.warning.partial_cmp(&t.high).is_none_or(|o| o.is_gt()) {
                        problems
                            .push((at(name), format!("warning ({}) must not be above high ({})", t.warning, t.high)));
                    }
                }
                let mut names = std::collections::HashSet::new();
                for (j, cmd) in c.commands.iter().enumerate() {
                    let at = |field: &str| {
                        KeyPath(vec![
                            Key("sources".into()),
                            Index(i),
                            Key("commands".into()),
                            Index(j),
                            Key(field.into()),
                        ])
                    };
                    if cmd.argv.first().is_none_or(|p| p.trim().is_empty()) {
                        problems.push((at("argv"), "argv needs at least the program to run".into()));
                    }
                    if !names.insert(cmd.name.as_str()) {
                        problems.push((at("name"), format!("check name {:?} is used twice", cmd.name)));
                    }
                    for (var, secret) in &cmd.secrets {
                        if let Err(e) = secret.resolve() {
                            problems.push((at("secrets"), format!("{var}: {e}")));
                        }
                    }
                }
            }
        }
        for (i, m) in self.runbooks.mirrors.iter().enumerate() {
            if !(m.url.starts_with("http://") || m.url.starts_with("https://")) || !m.url.is_ascii() {
                let at = KeyPath(vec![Key("runbooks".into()), Key("mirrors".into()), Index(i), Key("url".into())]);
                problems
                    .push((at, format!("{:?} is not an http(s) URL (ASCII, non-ASCII characters %-escaped)", m.url)));
            }
        }
        validate_schedules(self, &mut problems);
        logs::validate(&self.logs, &mut problems);
        crate::people::validate(&self.people, &mut problems);
        problems
    }
}

fn validate_store(store: &StoreConfig, problems: &mut Vec<(KeyPath, String)>) {
    let at = |field: &str| KeyPath(vec![load::KeySeg::Key("store".into()), load::KeySeg::Key(field.into())]);
    let url = store.url();
    match (store.backend, url) {
        (_, Err(e)) => problems.push((at("url_env"), e)),
        (Backend::Sqlite, Ok(Some(_))) => {
            let key = if store.url_env.is_some() { "url_env" } else { "url_file" };
            problems.push((at(key), "a connection string is for backend = \"postgres\"".into()));
        }
        (Backend::Sqlite, Ok(None)) => {
            if store.ca_file.is_some() {
                problems.push((at("ca_file"), "ca_file is for backend = \"postgres\"".into()));
            }
        }
        (Backend::Postgres, Ok(None)) => {
            problems.push((at("backend"), "postgres needs url_env or url_file (the connection string)".into()))
        }
        (Backend::Postgres, Ok(Some(secret))) => {
            let key = if matches!(secret, SecretRef::Env(_)) { "url_env" } else { "url_file" };
            match secret.resolve() {
                Err(e) => problems.push((at(key), e)),
                // The parser's message never repeats the string, which may hold a password.
                Ok(url) => {
                    if let Err(e) = url.expose().parse::<postgres::Config>() {
                        problems.push((at(key), format!("the connection string does not parse: {e}")));
                    }
                }
            }
            if store.path.is_some() {
                problems.push((at("path"), "path is for backend = \"sqlite\"".into()));
            }
        }
    }
}

/// Where a source's credentials go instead of its URL.
const LOGIN_GOES: &str =
    "give `token_env`/`token_file`, or `username` with `password_env`/`password_file` (a 0600 file)";
/// Where an API token goes instead of its URL.
pub(crate) const TOKEN_GOES: &str = "give the token with `token_env` or `token_file` (a 0600 file)";

/// A URL klaxon calls must be http(s) and carry no user or password: those are secrets,
/// and a URL shows wherever it goes (errors, `check-config`, a proxy's log). `instead` says
/// where they go. The message repeats no URL that might hold one.
pub(crate) fn http_url_problem(url: &str, instead: &str) -> Option<String> {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => (!u.username().is_empty()
            || u.password().is_some())
        .then(|| format!("the URL carries a user or password, which are never written inline: {instead}")),
        _ if url.contains('@') => Some("this is not an http(s) URL".into()),
        _ => Some(format!("{url:?} is not an http(s) URL")),
    }
}

/// A `<name>_env` / `<name>_file` secret that is given must be readable; the problem is
/// put on whichever of the two keys was used.
pub(crate) fn check_secret(
    name: &str,
    secret: Result<Option<SecretRef>, String>,
    at: &dyn Fn(&str) -> KeyPath,
    problems: &mut Vec<(KeyPath, String)>,
) {
    match secret {
        Err(e) => problems.push((at(&format!("{name}_env")), e)),
        Ok(Some(r)) => {
            if let Err(e) = r.resolve() {
                let key = if matches!(r, SecretRef::Env(_)) { "_env" } else { "_file" };
                problems.push((at(&format!("{name}{key}")), e));
            }
        }
        Ok(None) => {}
    }
}

/// A token, or a username with a password, each readable; never both.
fn validate_auth(
    token: Result<Option<SecretRef>, String>,
    username: Option<&str>,
    password: Result<Option<SecretRef>, String>,
    at: &dyn Fn(&str) -> KeyPath,
    problems: &mut Vec<(KeyPath, String)>,
) {
    let (has_token, has_password) = (matches!(token, Ok(Some(_))), matches!(password, Ok(Some(_))));
    check_secret("token", token, at, problems);
    check_secret("password", password, at, problems);
    if username.is_some() != has_password {
        problems.push((at("username"), "a login needs both username and password_env/password_file".into()));
    }
    if username.is_some() && has_token {
        problems.push((at("token_env"), "give a token or a username and password, not both".into()));
    }
}

fn validate_zabbix(z: &ZabbixConfig, at: &dyn Fn(&str) -> KeyPath, problems: &mut Vec<(KeyPath, String)>) {
    if let Some(problem) = http_url_problem(&z.url, LOGIN_GOES) {
        problems.push((at("url"), problem));
    }
    validate_auth(z.token(), z.username.as_deref(), z.password(), at, problems);
    if z.username.is_none() && matches!(z.token(), Ok(None)) {
        problems.push((
            at("kind"),
            "zabbix needs token_env/token_file, or username with password_env/password_file".into(),
        ));
    }
    if !(1..=10_000).contains(&z.page_size) {
        problems.push((at("page_size"), "page_size is between 1 and 10000".into()));
    }
    for t in &z.tags {
        if t.split('=').next().is_none_or(|name| name.trim().is_empty()) {
            problems.push((at("tags"), format!("{t:?} is not \"tag\" or \"tag=value\"")));
        }
    }
}

fn validate_schedules(cfg: &Config, problems: &mut Vec<(KeyPath, String)>) {
    use load::KeySeg::{Index, Key};
    let mut seen = std::collections::HashSet::new();
    for (i, sch) in cfg.schedules.iter().enumerate() {
        let at = |field: &str| KeyPath(vec![Key("schedules".into()), Index(i), Key(field.into())]);
        if sch.name.is_empty() || !sch.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            problems
                .push((at("name"), format!("schedule name {:?} must be letters, digits, '-', '_' or '.'", sch.name)));
        } else if !seen.insert(sch.name.as_str()) {
            problems.push((at("name"), format!("schedule name {:?} is used twice", sch.name)));
        }
        if !(1..=9).contains(&sch.level) {
            problems.push((at("level"), format!("level {} is not an escalation level from 1 to 9", sch.level)));
        }
        if sch.interval < Duration::from_secs(10) {
            problems.push((at("interval"), "a schedule's interval is at least 10s".into()));
        }
        match &sch.kind {
            ScheduleKind::Rotation(r) => {
                if let Err((field, e)) = crate::oncall::rotation::Rotation::new(r) {
                    problems.push((at(field), e));
                }
            }
            ScheduleKind::Ical(c) => {
                check_secret("url", c.secret_url(), &at, problems);
                if c.url.is_some() == matches!(c.secret_url(), Ok(Some(_))) {
                    problems.push((at("url"), "an ical schedule needs one of url, url_env or url_file".into()));
                }
                if let Some(url) = &c.url
                    && url.contains("://")
                    && (url.contains('@') || url.to_ascii_lowercase().contains("token=") || url.contains("key="))
                {
                    problems.push((
                        at("url"),
                        "this feed URL carries a credential: give it with url_env or url_file (a 0600 file)".into(),
                    ));
                }
                if let Err(e) = crate::oncall::rotation::parse_tz(&c.time_zone) {
                    problems.push((at("time_zone"), e));
                }
            }
            ScheduleKind::Pagerduty(v) | ScheduleKind::Opsgenie(v) | ScheduleKind::GrafanaOncall(v) => {
                check_secret("token", v.token(), &at, problems);
                if matches!(v.token(), Ok(None)) {
                    problems
                        .push((at("kind"), format!("a {} schedule needs token_env or token_file", sch.kind.name())));
                }
                if matches!(sch.kind, ScheduleKind::GrafanaOncall(_)) && v.url.is_none() {
                    problems.push((at("kind"), "a grafana-oncall schedule needs the API `url`".into()));
                }
                if let Some(problem) = v.url.as_deref().and_then(|u| http_url_problem(u, TOKEN_GOES)) {
                    problems.push((at("url"), problem));
                }
                if v.schedule.trim().is_empty() {
                    problems.push((at("schedule"), "give the schedule's id".into()));
                }
            }
        }
    }
    let at = |field: &str| KeyPath(vec![Key("escalation".into()), Key(field.into())]);
    check_secret("webhook_url", cfg.escalation.webhook(), &at, problems);
    if cfg.escalation.auto_after.is_some_and(|d| d < Duration::from_secs(60)) {
        problems.push((at("auto_after"), "auto_after is at least 1m".into()));
    }
}

fn validate_alertmanager(am: &AlertmanagerConfig, at: &dyn Fn(&str) -> KeyPath, problems: &mut Vec<(KeyPath, String)>) {
    let field = if am.url.is_some() { "url" } else { "urls" };
    if am.urls().is_empty() {
        problems.push((at("kind"), "an alertmanager source needs `url` (or `urls` for an HA cluster)".into()));
    }
    for url in am.urls() {
        if let Some(problem) = http_url_problem(url, LOGIN_GOES) {
            problems.push((at(field), problem));
        }
    }
    if !am.path_prefix.is_empty() && !am.path_prefix.starts_with('/') {
        problems.push((at("path_prefix"), "path_prefix starts with '/' (e.g. \"/alertmanager\")".into()));
    }
    validate_auth(am.token(), am.username.as_deref(), am.password(), at, problems);
    if am.ack_silence.is_some_and(|d| d < Duration::from_secs(60)) {
        problems.push((at("ack_silence"), "ack_silence is at least 1m".into()));
    }
    for f in &am.filters {
        if !f.contains('=') && !f.contains('~') {
            problems.push((at("filters"), format!("{f:?} is not a matcher like name=\"value\" or name=~\"regex\"")));
        }
    }
}
