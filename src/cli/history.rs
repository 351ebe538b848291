//! `klaxon history [--since 24h] [MATCHER...]`: alerts that have resolved, from the store,
//! newest resolution first, filtered with the console's filter language (as `list`).

use super::{CliError, ListFormat, Session};
use crate::model::filter::Filter;
use chrono::{SecondsFormat, Utc};
use serde_json::json;
use std::io::Write;

pub async fn run(session: &Session, since: &str, matchers: &[String], format: ListFormat) -> Result<(), CliError> {
    let filter = Filter::from_words(matchers).map_err(CliError::Usage)?;
    let (since, _) = crate::report::period(since, "now", Utc::now()).map_err(CliError::Usage)?;
    let mut rows: Vec<_> =
        session.store.resolved_since(since)?.into_iter().filter(|k| filter.matches_alert(&k.last)).collect();
    rows.sort_by(|a, b| b.resolved_at.cmp(&a.resolved_at).then_with(|| a.key.cmp(&b.key)));
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = std::io::stdout().lock();
    let written = match format {
        ListFormat::Json => {
            let rows: Vec<_> = rows
                .iter()
                .map(|k| {
                    json!({
                        "key": k.key, "source": k.key.source(), "title": k.title, "severity": k.severity,
                        "first_seen": at(k.first_seen), "resolved_at": k.resolved_at.map(at),
                        "labels": k.last.labels,
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(rows))
        }
        ListFormat::Table if rows.is_empty() => writeln!(out, "no resolved alerts since {}", at(since)),
        ListFormat::Table => rows.iter().try_for_each(|k| {
            let lasted = super::list::age(k.resolved_at.unwrap_or(k.first_seen) - k.first_seen);
            let resolved = k.resolved_at.map_or(String::new(), |t| t.format("%F %H:%M").to_string());
            writeln!(out, "{:<4}  {resolved}  {lasted:>5}  {:<30}  {}", k.severity.tag(), k.key.as_str(), k.title)
        }),
    };
    written.map_err(|e| CliError::Failure(format!("cannot write the history: {e}")))
}
