//! klaxon.toml as a whole: the root that composes every part's own settings. It lives
//! outside [`crate::config`] because it names the integrations (`[[sources]]`,
//! `[[schedules]]`, `[[logs]]`, `[store]`, …) and the config layer must not; it implements
//! [`config::Document`] so that [`config::load`] reads it without knowing what it holds. One
//! file is both the embedded default and what `klaxon init` writes (`config/klaxon.toml`), so
//! the two never drift.

use crate::config::paths::Dirs;
use crate::config::{self, ConfigError, Document, KeyPath};
use crate::escalation::EscalationConfig;
use crate::logs::LogConfig;
use crate::notify::NotifyConfig;
use crate::oncall::ScheduleConfig;
use crate::runbooks::RunbooksConfig;
use crate::sources::SourceConfig;
use crate::store::StoreConfig;
use serde::Deserialize;
use std::path::Path;

/// The embedded default, also the commented starter config `klaxon init` writes.
pub const DEFAULT_TOML: &str = include_str!("config/klaxon.toml");

/// The config as loaded: where it came from and the platform's directories with it.
pub type Loaded = config::Loaded<Config>;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    /// The Prometheus SLOs are computed from, unless an SLO names its own.
    pub prometheus: Option<crate::slo::PrometheusConfig>,
    /// Service level objectives (`[[slos]]`), and spec files that define more (`slo_files`).
    #[serde(default)]
    pub slos: Vec<crate::slo::SloConfig>,
    #[serde(default)]
    pub slo_files: Vec<String>,
    #[serde(default)]
    pub reports: crate::report::ReportsConfig,
    /// Declared incidents: the chats status updates go to, the update reminder.
    #[serde(default)]
    pub incidents: crate::incident::config::IncidentsConfig,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Actor recorded on every entry; default the login name.
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Document for Config {
    const EMBEDDED: &'static str = DEFAULT_TOML;
    const COMMON_KEYS: &'static [(&'static str, &'static str)] =
        &[("[[sources]]", crate::sources::COMMON_KEYS), ("[[logs]]", crate::logs::COMMON_KEYS)];

    /// Each part checks its own settings, in the order the problems are reported.
    fn validate(&self) -> Vec<(KeyPath, String)> {
        let mut problems = Vec::new();
        self.store.validate(&|field| KeyPath::root("store").key(field), &mut problems);
        crate::sources::validate(&self.sources, &mut problems);
        self.runbooks.validate(&mut problems);
        crate::oncall::validate(&self.schedules, &mut problems);
        self.escalation.validate(&|field| KeyPath::root("escalation").key(field), &mut problems);
        crate::logs::validate(&self.logs, &mut problems);
        crate::people::validate(&self.people, &mut problems);
        crate::slo::validate(&self.slos, self.prometheus.as_ref(), &self.slo_files, &mut problems);
        self.reports.validate(&|field| KeyPath::root("reports").key(field), &mut problems);
        self.incidents.validate(&mut problems);
        problems
    }

    /// The theme and keymap named under `[ui]` load.
    fn check_files(&self, dirs: &Dirs) -> Result<(), ConfigError> {
        let theme = config::theme::Theme::load(&self.ui.theme, &dirs.config.join("themes"), false).map(|_| ());
        let keymap = crate::app::Keymap::load(&self.ui.keymap, &dirs.config.join("keymaps")).map(|_| ());
        theme.and(keymap)
    }
}

/// `--config PATH`, else `$KLAXON_CONFIG`, else the platform config file if it exists, else
/// the embedded default.
pub fn load(explicit: Option<&Path>, dirs: Dirs) -> Result<Loaded, ConfigError> {
    config::load(explicit, dirs)
}

/// Parses and validates config text; `file` is what errors call it.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
    config::parse(text, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        parse(text, "k.toml").expect_err("should not parse")
    }

    #[test]
    fn embedded_default_parses() {
        let c = parse(DEFAULT_TOML, "<embedded default>").unwrap();
        let kinds: Vec<_> = c.sources.iter().map(|s| s.kind.name()).collect();
        assert_eq!(kinds, ["demo", "checks"]);
        assert!(c.runbooks.paths.is_empty() && !c.runbooks.copy_code);
    }

    #[test]
    fn unknown_top_level_key_names_line_and_key() {
        let e = err("[identity]\nname = \"a\"\n\n[stroe]\nbackend = \"sqlite\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("stroe")), "{e}");
        assert!(e.to_string().starts_with("k.toml:4: key `stroe`: unknown field"), "{e}");
    }

    #[test]
    fn typo_inside_a_source_names_its_own_line() {
        let e = err("[[sources]]\nname = \"d\"\nkind = \"demo\"\nsede = 3\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("sede")), "{e}");
        let e = err(
            "[[sources]]\nname = \"d\"\nkind = \"checks\"\n\n[[sources.commands]]\nname = \"x\"\nargv = [\"/bin/true\"]\ntimout = \"1s\"\n",
        );
        assert_eq!((e.line, e.key.as_deref()), (Some(8), Some("timout")), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = err("[[sources]]\nname = \"d\"\nkind = \"demo\"\ninterval = \"soon\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("interval")), "{e}");
        assert!(e.message.contains("invalid duration"), "{e}");
        let e = err("[[sources]]\nname = \"d\"\nkind = \"nagios-xi\"\n");
        assert!(e.message.contains("nagios-xi"), "{e}");
        let e = err("[store]\nbackend = \"mysql\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("backend")), "{e}");
    }

    #[test]
    fn validation_errors_are_located() {
        let e = err("[[sources]]\nname = \"a\"\nkind = \"demo\"\n\n[[sources]]\nname = \"a\"\nkind = \"demo\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("sources[1].name")), "{e}");
        let e = err("[[sources]]\nname = \"c\"\nkind = \"checks\"\n[[sources.commands]]\nname = \"x\"\nargv = []\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(6), Some("sources[0].commands[0].argv")), "{e}");
        let e = err("[[sources]]\nname = \"bad/name\"\nkind = \"demo\"\n");
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = err("[identity]\nname = \n");
        assert_eq!(e.line, Some(2), "{e}");
    }
}
