//! `klaxon oncall`: who is on call per schedule and level, until when, and who is next.
//! The JSON is one object per schedule: `schedule`, `level`, `now`, `until`, `next`,
//! `next_at` (and `error`, null unless the schedule could not be read).

use super::{CliError, OnCallFormat, Session};
use crate::model::OnCall;
use crate::oncall;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Serialize)]
pub struct OnCallOut {
    pub schedule: String,
    pub level: i64,
    /// The person on call, or null when nobody is.
    pub now: Option<String>,
    pub until: Option<DateTime<Utc>>,
    pub next: Option<String>,
    pub next_at: Option<DateTime<Utc>>,
    /// Why the schedule could not be read, or null.
    pub error: Option<String>,
}

impl OnCallOut {
    pub fn new(oc: &OnCall) -> Self {
        OnCallOut {
            schedule: oc.schedule.clone(),
            level: oc.level,
            now: oc.person_now().map(str::to_owned),
            until: oc.until(),
            next: oc.next.as_ref().map(|s| s.person.clone()),
            next_at: oc.next.as_ref().map(|s| s.start),
            error: None,
        }
    }
}

/// `--at`: RFC 3339, e.g. 2026-03-29T09:00:00+02:00.
pub fn parse_at(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not an RFC 3339 time like 2026-03-29T09:00:00Z ({e})"))
}

/// Asks every schedule at once, each bounded by its timeout; sorted by level, then name.
pub async fn ask_all(session: &Session, at: DateTime<Utc>) -> Vec<OnCallOut> {
    let tasks: Vec<_> = session
        .schedules
        .iter()
        .map(|(cfg, s)| {
            let (s, timeout) = (s.clone(), cfg.timeout);
            tokio::spawn(async move { (s.name().to_owned(), s.level(), oncall::lookup(s.as_ref(), at, timeout).await) })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        let Ok((name, level, result)) = t.await else { continue };
        out.push(match result {
            Ok(oc) => OnCallOut::new(&oc),
            Err(e) => OnCallOut {
                schedule: name,
                level,
                now: None,
                until: None,
                next: None,
                next_at: None,
                error: Some(e.to_string()),
            },
        });
    }
    out.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.schedule.cmp(&b.schedule)));
    out
}

pub async fn run(session: &Session, at: Option<&str>, format: OnCallFormat) -> Result<(), CliError> {
    let at = match at {
        Some(s) => parse_at(s).map_err(CliError::Usage)?,
        None => Utc::now(),
    };
    if session.schedules.is_empty() {
        eprintln!("klaxon: no [[schedules]] configured");
    }
    let rows = ask_all(session, at).await;
    let mut stdout = std::io::stdout().lock();
    let written = match format {
        OnCallFormat::Json => {
            serde_json::to_writer(&mut stdout, &rows).map_err(std::io::Error::other).and_then(|_| writeln!(stdout))
        }
        OnCallFormat::Table => {
            let mut me = vec![session.actor.as_str()];
            me.extend(session.loaded.config.identity.email.as_deref());
            write!(stdout, "{}", table(&rows, &me))
        }
    };
    written.map_err(|e| CliError::Failure(format!("cannot write: {e}")))?;
    let failed: Vec<_> = rows.iter().filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.schedule))).collect();
    for f in &failed {
        eprintln!("klaxon: schedule {f}");
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(CliError::Failure(format!("{n} schedule(s) could not be read"))),
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Aligned columns; the rows where `me` is on call say so.
pub fn table(rows: &[OnCallOut], me: &[&str]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let now = match (&r.now, &r.error) {
                (_, Some(_)) => "(failing)".to_owned(),
                (Some(p), _) if me.iter().any(|m| p.eq_ignore_ascii_case(m)) => format!("{p} (you)"),
                (Some(p), _) => p.clone(),
                (None, _) => "(nobody)".to_owned(),
            };
            [
                format!("L{}", r.level),
                r.schedule.clone(),
                now,
                time(r.until),
                r.next.clone().unwrap_or_else(|| "-".into()),
                time(r.next_at),
            ]
        })
        .collect();
    let head = ["LEVEL", "SCHEDULE", "NOW", "UNTIL", "NEXT", "NEXT AT"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&head).chain(&cells) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(unicode_width::UnicodeWidthStr::width(c.as_str()));
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&cells) {
        let line: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
