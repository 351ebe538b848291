//! The postmortem draft: Markdown with everything the timeline already knows (summary,
//! impact window, people and roles, who was on call, the full timeline, runbooks opened,
//! pinned log lines, MTTA and time to resolve) and empty sections for what people must
//! write (causes, follow-ups). Pure: the caller gathers the inputs.

use super::{Event, Incident, Line};
use crate::store::KnownAlert;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::fmt::Write;

/// Who was on call at one level when the first alert fired.
#[derive(Debug, Clone)]
pub struct OnCallAt {
    pub level: i64,
    pub schedule: String,
    pub person: Option<String>,
    /// Why the schedule could not be read.
    pub error: Option<String>,
}

pub struct Inputs<'a> {
    pub incident: &'a Incident,
    pub lines: &'a [Line],
    pub alerts: &'a [KnownAlert],
    pub oncall: &'a [OnCallAt],
}

/// The figures of the draft, also for tests and JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// The first alert's firing (or the declaration, when earlier).
    pub start: DateTime<Utc>,
    /// When it was closed; None while it is open.
    pub end: Option<DateTime<Utc>>,
    /// Mean time from each alert's firing to its first acknowledgement, over the alerts
    /// acknowledged; None when none was.
    pub mtta: Option<Duration>,
    pub acked: usize,
    /// From the first alert to the close.
    pub time_to_resolve: Option<Duration>,
}

pub fn figures(inputs: &Inputs<'_>) -> Figures {
    let inc = inputs.incident;
    let fired = |key: &str| {
        let seen = inputs.lines.iter().find(|l| l.alert.as_deref() == Some(key) && l.kind == "seen").map(|l| l.at);
        seen.or_else(|| inputs.alerts.iter().find(|a| a.key.as_str() == key).map(|a| a.first_seen))
    };
    let start = inc.membership.keys().filter_map(|k| fired(k)).min().unwrap_or(inc.declared_at).min(inc.declared_at);
    let mut waits = Vec::new();
    for key in inc.membership.keys() {
        let ack = inputs.lines.iter().find(|l| l.alert.as_deref() == Some(key.as_str()) && l.kind == "acked");
        if let (Some(from), Some(ack)) = (fired(key), ack) {
            waits.push((ack.at - from).max(Duration::zero()));
        }
    }
    let mtta = (!waits.is_empty()).then(|| waits.iter().copied().sum::<Duration>() / waits.len() as i32);
    Figures {
        start,
        end: inc.closed_at,
        mtta,
        acked: waits.len(),
        time_to_resolve: inc.closed_at.map(|end| end - start),
    }
}

pub fn render(inputs: &Inputs<'_>) -> String {
    let inc = inputs.incident;
    let f = figures(inputs);
    let mut md = String::new();
    let _ = writeln!(md, "# Postmortem: {} (incident {})\n", inc.title, inc.id);
    let _ = writeln!(md, "_Draft written by klaxon from the timeline; edit before you commit it._\n");

    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(md, "- Severity: {}", inc.severity);
    let _ = writeln!(md, "- Status: {}", inc.status);
    let _ = writeln!(md, "- Declared by {} at {}", inc.declared_by, stamp(inc.declared_at));
    match inc.closed_at {
        Some(t) => _ = writeln!(md, "- Closed at {}", stamp(t)),
        None => _ = writeln!(md, "- Still open"),
    }
    let closed = inputs.lines.iter().find_map(|l| match &l.event {
        Some(Event::Closed { summary }) if !summary.is_empty() => Some(summary.as_str()),
        _ => None,
    });
    if let Some(summary) = closed {
        let _ = writeln!(md, "- Summary at close: {summary}");
    }
    let _ = writeln!(md, "- Alerts: {}", inc.membership.len());

    let _ = writeln!(md, "\n## Impact\n");
    let end = f.end.map_or("(still open)".to_string(), stamp);
    let _ = writeln!(md, "- Window: {} to {end} (first alert to resolution)", stamp(f.start));
    for a in inputs.alerts {
        let resolved = a.resolved_at.map_or("still firing".to_string(), |t| format!("resolved {}", stamp(t)));
        let _ = writeln!(md, "- `{}` {} ({}): fired {}, {resolved}", a.key, a.title, a.severity, stamp(a.first_seen));
    }

    let _ = writeln!(md, "\n## Figures\n");
    let mtta = f.mtta.map_or("none (no alert was acknowledged)".to_string(), |d| {
        format!("{} (over {} acknowledged alert(s))", span(d), f.acked)
    });
    let _ = writeln!(md, "- MTTA: {mtta}");
    let ttr = f.time_to_resolve.map_or("none (still open)".to_string(), span);
    let _ = writeln!(md, "- Time to resolve: {ttr}");
    let updates = inputs.lines.iter().filter(|l| l.kind == "update").count();
    let _ = writeln!(md, "- Status updates posted: {updates}");

    let _ = writeln!(md, "\n## People and roles\n");
    for person in &inc.people {
        let roles: Vec<&str> = inc.roles_of(person).collect();
        let roles = if roles.is_empty() { String::new() } else { format!(" ({})", roles.join(", ")) };
        let _ = writeln!(md, "- {person}{roles}");
    }
    let handovers: Vec<&Line> = inputs.lines.iter().filter(|l| l.kind == "role").collect();
    for l in handovers {
        let _ = writeln!(md, "  - {} {} {}", stamp(l.at), l.actor, l.what);
    }

    let _ = writeln!(md, "\n## On call when it started\n");
    if inputs.oncall.is_empty() {
        let _ = writeln!(md, "_No schedules configured._");
    }
    for o in inputs.oncall {
        let who = match (&o.person, &o.error) {
            (_, Some(e)) => format!("unknown ({e})"),
            (Some(p), None) => p.clone(),
            (None, None) => "nobody".into(),
        };
        let _ = writeln!(md, "- Level {} ({}): {who}", o.level, o.schedule);
    }

    let _ = writeln!(md, "\n## Timeline\n");
    md.push_str(&timeline_markdown(inputs.lines));

    let _ = writeln!(md, "\n## Runbooks opened\n");
    list(&mut md, inputs.lines, |e| match e {
        Event::Runbook { name } => Some(name.clone()),
        _ => None,
    });

    let _ = writeln!(md, "\n## Pinned log lines\n");
    let mut pinned = String::new();
    list(&mut pinned, inputs.lines, |e| match e {
        Event::Pinned { line, from } => Some(format!("`{from}`: `{}`", line.replace('`', "'"))),
        _ => None,
    });
    md.push_str(&pinned);

    let _ = writeln!(md, "\n## Causes\n\n_To be written._");
    let _ = writeln!(md, "\n## Follow-ups\n\n_To be written._");
    md
}

/// `- <time> **<who>** <what>` per line (with `(alert)` when it is an alert's), or a note
/// that there is nothing.
pub fn timeline_markdown(lines: &[Line]) -> String {
    let mut md = String::new();
    if lines.is_empty() {
        md.push_str("_no entries_\n");
    }
    for l in lines {
        let about = l.alert.as_ref().map_or(String::new(), |a| format!(" `{a}`"));
        let queued = if l.queued { " _(kept on one host, not yet stored)_" } else { "" };
        let _ = writeln!(md, "- {} **{}**{about} {}{queued}", stamp(l.at), l.actor, l.what.replace('\n', "\n  "));
    }
    md
}

fn list(md: &mut String, lines: &[Line], pick: impl Fn(&Event) -> Option<String>) {
    let items: Vec<(String, &Line)> = lines.iter().filter_map(|l| Some((pick(l.event.as_ref()?)?, l))).collect();
    if items.is_empty() {
        md.push_str("_None._\n");
    }
    for (text, l) in items {
        let _ = writeln!(md, "- {text} ({}, {})", l.actor, stamp(l.at));
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `1h 02m 03s`, `4m 05s`, `7s`.
pub fn span(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m {s:02}s"),
    }
}
