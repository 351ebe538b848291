//! `klaxon oncall`: who is on call per schedule and level, until when, and who is next.
//! The JSON is one object per schedule: `schedule`, `level`, `at` (the moment asked about),
//! `now`, `until`, `next`, `next_at`, `warnings` and `warning_notes` (entries of the source
//! skipped as unreadable, and the first reasons), and `error` (null unless the schedule could
//! not be read).

use super::{CliError, OnCallFormat, Session};
use crate::model::OnCall;
use crate::oncall;
use crate::oncall::ScheduleKind;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Serialize)]
pub struct OnCallOut {
    pub schedule: String,
    pub level: i64,
    /// The moment asked about (a date or local time is read in the schedule's zone).
    pub at: DateTime<Utc>,
    /// The person on call, or null when nobody is.
    pub now: Option<String>,
    pub until: Option<DateTime<Utc>>,
    pub next: Option<String>,
    pub next_at: Option<DateTime<Utc>>,
    /// Entries skipped as unreadable (a feed's broken events), and the first reasons.
    pub warnings: usize,
    pub warning_notes: Vec<String>,
    /// Why the schedule could not be read, or null.
    pub error: Option<String>,
}

impl OnCallOut {
    pub fn new(oc: &OnCall, at: DateTime<Utc>) -> Self {
        OnCallOut {
            schedule: oc.schedule.clone(),
            level: oc.level,
            at,
            now: oc.person_now().map(str::to_owned),
            until: oc.until(),
            next: oc.next.as_ref().map(|s| s.person.clone()),
            next_at: oc.next.as_ref().map(|s| s.start),
            warnings: oc.warnings,
            warning_notes: oc.warning_notes.clone(),
            error: None,
        }
    }
}

/// The moment `--at` names: an instant, or a wall-clock time read in each schedule's zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

impl From<DateTime<Utc>> for At {
    fn from(t: DateTime<Utc>) -> At {
        At::Instant(t)
    }
}

impl At {
    /// The instant for a schedule: its `time_zone` (rotation, ical), else UTC (vendor APIs).
    pub fn for_schedule(self, kind: &ScheduleKind) -> DateTime<Utc> {
        match self {
            At::Instant(t) => t,
            At::Local(n) => {
                let zone = match kind {
                    ScheduleKind::Rotation(r) => r.time_zone.as_str(),
                    ScheduleKind::Ical(c) => c.time_zone.as_str(),
                    _ => "UTC",
                };
                let tz = oncall::rotation::parse_tz(zone).unwrap_or(chrono_tz::UTC);
                oncall::rotation::local_to_utc(tz, n)
            }
        }
    }
}

/// `--at`: RFC 3339 (`2026-03-29T09:00:00+02:00`), a date (`2026-12-25`, midnight) or a
/// local time (`2026-12-25T09:00`, `2026-12-25 09:00:30`) in the schedule's zone.
pub fn parse_at(s: &str) -> Result<At, String> {
    let t = s.trim();
    if let Ok(i) = DateTime::parse_from_rfc3339(t) {
        return Ok(At::Instant(i.with_timezone(&Utc)));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .filter(|n| (1..=9999).contains(&n.year()))
        .map(At::Local)
        .ok_or_else(|| {
            format!(
                "{s:?} is not a time like 2026-03-29T09:00:00Z (RFC 3339), 2026-12-25 or 2026-12-25T09:00 (in the schedule's zone)"
            )
        })
}

/// Asks every schedule at once, each bounded by its timeout; sorted by level, then name.
pub async fn ask_all(session: &Session, at: impl Into<At>) -> Vec<OnCallOut> {
    let at = at.into();
    let tasks: Vec<_> = session
        .schedules
        .iter()
        .map(|(cfg, s)| {
            let (s, timeout, at) = (s.clone(), cfg.timeout, at.for_schedule(&cfg.kind));
            tokio::spawn(
                async move { (s.name().to_owned(), s.level(), at, oncall::lookup(s.as_ref(), at, timeout).await) },
            )
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        let Ok((name, level, at, result)) = t.await else { continue };
        out.push(match result {
            Ok(oc) => OnCallOut::new(&oc, at),
            Err(e) => OnCallOut {
                schedule: name,
                level,
                at,
                now: None,
                until: None,
                next: None,
                next_at: None,
                warnings: 0,
                warning_notes: Vec::new(),
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
        None => At::Instant(Utc::now()),
    };
    if session.schedules.is_empty() {
        eprintln!("klaxon: no [[schedules]] configured");
    }
    let mut rows = ask_all(session, at).await;
    // Under the names [[people]] gives them, as the console's header shows them.
    let people = crate::people::People::new(&session.loaded.config.people);
    for r in &mut rows {
        for name in [r.now.as_mut(), r.next.as_mut()].into_iter().flatten() {
            *name = people.canonical(name).to_owned();
        }
    }
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
    for r in rows.iter().filter(|r| r.warnings > 0) {
        eprintln!("klaxon: schedule {}: {}", r.schedule, skipped(r));
    }
    let failed: Vec<_> = rows.iter().filter_map(|r| r.error.as_ref().map(|e| format!("{}: {e}", r.schedule))).collect();
    for f in &failed {
        eprintln!("klaxon: schedule {f}");
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(CliError::Failure(format!("{n} schedule(s) could not be read"))),
    }
}

/// "2 entries skipped as unreadable: line 12: …; line 30: …" (the reasons kept).
pub fn skipped(r: &OnCallOut) -> String {
    let what = if r.warnings == 1 { "entry" } else { "entries" };
    let mut s = format!("{} {what} skipped as unreadable", r.warnings);
    if !r.warning_notes.is_empty() {
        s.push_str(": ");
        s.push_str(&r.warning_notes.join(" | "));
    }
    if r.warnings > r.warning_notes.len() {
        s.push_str(&format!(" (and {} more)", r.warnings - r.warning_notes.len()));
    }
    s
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
