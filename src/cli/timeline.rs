//! `klaxon timeline KEY`: every entry of one alert in order, for the retrospective.

use super::{CliError, Session, TimelineFormat};
use crate::model::Entry;
use chrono::SecondsFormat;
use serde::Serialize;

#[derive(Serialize)]
struct TimelineOut<'a> {
    key: &'a str,
    title: Option<&'a str>,
    severity: Option<crate::model::Severity>,
    first_seen: Option<chrono::DateTime<chrono::Utc>>,
    resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    entries: &'a [Entry],
}

pub async fn run(session: &Session, key: &str, format: TimelineFormat) -> Result<(), CliError> {
    // A source's silence actions (`prod/silences`) are no alert the source reports.
    let key = match crate::model::AlertKey::parse(key) {
        Some(k) if k.as_str().ends_with(&format!("/{}", crate::model::silence::TIMELINE_ID)) => k,
        _ => super::poll::resolve_key(session, key).await?,
    };
    let entries = session.store.timeline(&key)?;
    let known = session.store.known_alerts(Some(key.source()), true)?.into_iter().find(|k| k.key == key);
    match format {
        TimelineFormat::Json => {
            let out = TimelineOut {
                key: key.as_str(),
                title: known.as_ref().map(|k| k.title.as_str()),
                severity: known.as_ref().map(|k| k.severity),
                first_seen: known.as_ref().map(|k| k.first_seen),
                resolved_at: known.as_ref().and_then(|k| k.resolved_at),
                entries: &entries,
            };
            let json = serde_json::to_string_pretty(&out).map_err(|e| CliError::Failure(e.to_string()))?;
            println!("{json}");
        }
        TimelineFormat::Markdown => {
            let title = known.as_ref().map_or("", |k| k.title.as_str());
            println!("# {key}: {title}\n");
            if let Some(k) = &known {
                let state = k.resolved_at.map_or("open".to_string(), |t| format!("resolved {}", stamp(t)));
                println!("severity {}, first seen {}, {state}\n", k.severity, stamp(k.first_seen));
            }
            if entries.is_empty() {
                println!("_no entries yet_");
            }
            for e in &entries {
                println!("{}", markdown_line(e));
            }
        }
    }
    Ok(())
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `- 2026-11-21T03:14:07Z **alice** acknowledged: text`, continuation lines indented.
fn markdown_line(e: &Entry) -> String {
    let what = e.describe();
    let mut line = format!("- {} **{}** {what}", stamp(e.at), e.actor);
    if !e.text.is_empty() {
        line.push_str(": ");
        line.push_str(&e.text.replace('\n', "\n  "));
    }
    line
}
