//! `kind = "ical"`: reading a feed (a file or an http(s) URL, maybe a secret one) and asking
//! the parser for the shifts around a moment.

use super::super::{AHEAD, BEHIND, KindConfig, OnCallFuture, ScheduleConfig, ScheduleSource, answer};
use crate::config::{At, Problems, Secret, SecretField};
use crate::http::{self, Limits};
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::path::PathBuf;

/// A calendar feed: PagerDuty, Opsgenie and Grafana OnCall exports, or any iCalendar file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IcalConfig {
    /// `file:///path.ics`, a plain path, or an http(s) URL.
    pub url: Option<String>,
    /// The URL is a secret (vendors put a token in it): take it from this env var or 0600 file.
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
    /// For times without a zone ("floating"); default UTC.
    #[serde(default = "crate::oncall::rotation::default_utc")]
    pub time_zone: String,
}

impl IcalConfig {
    pub fn secret_url(&self) -> SecretField<'_> {
        SecretField::new("url", &self.url_env, &self.url_file)
    }
}

impl KindConfig for IcalConfig {
    fn validate(&self, _: &ScheduleConfig, at: At<'_>, problems: &mut Problems) {
        self.secret_url().check(at, problems);
        if self.url.is_some() == self.secret_url().is_given() {
            problems.push((at("url"), "an ical schedule needs one of url, url_env or url_file".into()));
        }
        if let Some(url) = &self.url
            && url.contains("://")
            && (url.contains('@') || url.to_ascii_lowercase().contains("token=") || url.contains("key="))
        {
            problems.push((
                at("url"),
                "this feed URL carries a credential: give it with url_env or url_file (a 0600 file)".into(),
            ));
        }
        if let Err(e) = crate::oncall::rotation::parse_tz(&self.time_zone) {
            problems.push((at("time_zone"), e));
        }
    }

    fn build(&self, cfg: &ScheduleConfig) -> Result<Box<dyn ScheduleSource>, SourceError> {
        let url = match (self.secret_url().resolve().map_err(SourceError::new)?, &self.url) {
            (Some(secret), _) => secret,
            (None, Some(u)) => Secret::from_config(u),
            (None, None) => return Err(SourceError::new("an ical schedule needs a url")),
        };
        let floating = crate::oncall::rotation::parse_tz(&self.time_zone).map_err(SourceError::new)?;
        Ok(Box::new(IcalSchedule {
            name: cfg.name.clone(),
            level: cfg.level,
            url,
            floating,
            client: http::client(Limits::for_source(cfg.timeout, cfg.max_bytes), None)?,
            max_bytes: cfg.max_bytes,
        }))
    }
}

struct IcalSchedule {
    name: String,
    level: i64,
    /// A secret: vendors' feed URLs carry a token.
    url: Secret,
    floating: chrono_tz::Tz,
    client: reqwest::Client,
    max_bytes: u64,
}

impl IcalSchedule {
    async fn read(&self) -> Result<String, SourceError> {
        let url = self.url.expose();
        let bytes = if url.starts_with("http://") || url.starts_with("https://") {
            http::fetch(self.client.get(url), self.max_bytes).await?
        } else {
            let path = std::path::PathBuf::from(url.strip_prefix("file://").unwrap_or(url));
            let max = self.max_bytes;
            tokio::task::spawn_blocking(move || {
                use std::io::Read;
                let file = std::fs::File::open(&path)
                    .map_err(|e| SourceError::new(format!("cannot read {}: {e}", path.display())))?;
                let mut buf = Vec::new();
                file.take(max + 1).read_to_end(&mut buf).map_err(|e| SourceError::new(e.to_string()))?;
                if buf.len() as u64 > max {
                    return Err(SourceError::new(format!("feed larger than the {max}-byte cap (max_bytes)")));
                }
                Ok(buf)
            })
            .await
            .map_err(|e| SourceError::new(e.to_string()))??
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl ScheduleSource for IcalSchedule {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        Box::pin(async move {
            let text = self.read().await?;
            if !text.contains("BEGIN:VCALENDAR") && !text.contains("BEGIN:VEVENT") {
                return Err(SourceError::new("not an iCalendar feed"));
            }
            // Expanding recurrences is CPU work: off the async workers.
            let floating = self.floating;
            let parsed = tokio::task::spawn_blocking(move || super::parse(&text, floating, at - BEHIND, at + AHEAD))
                .await
                .map_err(|e| SourceError::new(format!("reading the feed failed: {e}")))?;
            let mut oc = answer(&self.name, self.level, &parsed.shifts, at);
            (oc.warnings, oc.warning_notes) = (parsed.skipped, parsed.notes);
            Ok(oc)
        })
    }
    fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> super::super::ShiftsFuture<'_> {
        Box::pin(async move {
            let text = self.read().await?;
            let floating = self.floating;
            let parsed = tokio::task::spawn_blocking(move || super::parse(&text, floating, from, to))
                .await
                .map_err(|e| SourceError::new(format!("reading the feed failed: {e}")))?;
            Ok(parsed.shifts)
        })
    }
}
