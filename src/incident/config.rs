//! `[incidents]`: where status updates are posted, and when to remind people to post one.

use crate::config::{KeyPath, SecretField, SecretRef};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentsConfig {
    /// Remind the people of an open incident when no status update was posted for this long.
    #[serde(default = "default_update_every", deserialize_with = "crate::config::duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub update_every: Duration,
    /// Chat channels status updates go to (`[[incidents.chat]]`), each an incoming webhook.
    #[serde(default)]
    pub chat: Vec<ChatConfig>,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        IncidentsConfig { update_every: default_update_every(), chat: Vec::new() }
    }
}

fn default_update_every() -> Duration {
    Duration::from_secs(30 * 60)
}

/// One Mattermost/Slack-compatible incoming webhook; its URL is the credential.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    pub name: String,
    pub webhook_url_env: Option<String>,
    pub webhook_url_file: Option<PathBuf>,
}

impl ChatConfig {
    pub fn webhook(&self) -> Result<Option<SecretRef>, String> {
        self.webhook_url().get()
    }

    fn webhook_url(&self) -> SecretField<'_> {
        SecretField::new("webhook_url", &self.webhook_url_env, &self.webhook_url_file)
    }

    /// The outbox target status updates for this chat go to.
    pub fn target(&self) -> String {
        format!("{}{}", super::chat::TARGET_PREFIX, self.name)
    }
}

impl IncidentsConfig {
    pub fn validate(&self, problems: &mut Vec<(KeyPath, String)>) {
        if self.update_every < Duration::from_secs(60) {
            problems.push((KeyPath::root("incidents").key("update_every"), "update_every is at least 1m".into()));
        }
        for (i, chat) in self.chat.iter().enumerate() {
            let at = |field: &str| KeyPath::root("incidents").key("chat").index(i).key(field);
            let name = chat.name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) {
                problems.push((at("name"), "a name of letters, digits, '-' and '_'".into()));
            } else if self.chat[..i].iter().any(|c| c.name.trim() == name) {
                problems.push((at("name"), format!("another [[incidents.chat]] is already called {name}")));
            }
            if matches!(chat.webhook(), Ok(None)) {
                problems.push((at("webhook_url_env"), "give webhook_url_env or webhook_url_file".into()));
            }
            chat.webhook_url().check(&at, problems);
        }
    }
}
