//! The reports as people read them: aligned tables, Markdown (for a retrospective or a
//! wiki), CSV (spreadsheets, payroll) and JSON (documented in the README). Durations in
//! tables read like "4m30s"; CSV and JSON carry whole seconds.

use super::noise::Noise;
use super::oncall::{Oncall, PersonReport};
use super::summary::{Stats, Summary};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

/// A titled grid of cells; the first row is the header.
pub struct Grid {
    title: String,
    rows: Vec<Vec<String>>,
    /// Columns of names, aligned left; figures align right.
    left: Vec<usize>,
}

/// "45s", "4m30s", "2h05m", "3d04h"; "-" when nothing was measured.
pub fn duration(s: Option<i64>) -> String {
    let Some(s) = s else { return "-".into() };
    let (sign, s) = if s < 0 { ("-", -s) } else { ("", s) };
    match s {
        0..60 => format!("{sign}{s}s"),
        60..3600 => format!("{sign}{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{sign}{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{sign}{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn stat_cells(s: &Stats) -> Vec<String> {
    vec![
        s.alerts.to_string(),
        s.pages.to_string(),
        s.acknowledged.to_string(),
        s.resolved.to_string(),
        s.escalations.to_string(),
        duration(s.mtta_s.median),
        duration(s.mtta_s.p90),
        duration(s.mttr_s.median),
        duration(s.mttr_s.p90),
    ]
}

const STAT_HEAD: [&str; 9] =
    ["ALERTS", "PAGES", "ACKED", "RESOLVED", "ESCALATIONS", "MTTA MEDIAN", "MTTA P90", "MTTR MEDIAN", "MTTR P90"];

fn stat_grid<'a>(title: &str, first: &str, groups: impl IntoIterator<Item = (String, &'a Stats)>) -> Grid {
    let mut head = vec![first.to_owned()];
    head.extend(STAT_HEAD.iter().map(|h| h.to_string()));
    let mut rows = vec![head];
    for (k, s) in groups {
        let mut row = vec![k];
        row.extend(stat_cells(s));
        rows.push(row);
    }
    Grid { title: title.to_owned(), rows, left: vec![0] }
}

fn summary_grids(r: &Summary) -> Vec<Grid> {
    let mut overall = stat_grid(
        &format!(
            "Summary {} to {} (pages: {} and above)",
            super::stamp(r.since),
            super::stamp(r.until),
            r.page_severity
        ),
        "PERIOD",
        [("this period".to_owned(), &r.total), ("previous period".to_owned(), &r.previous.stats)],
    );
    let c = &r.change;
    let dur = |d: Option<i64>| {
        d.map_or("-".to_owned(), |d| if d > 0 { format!("+{}", duration(Some(d))) } else { duration(Some(d)) })
    };
    overall.rows.push(vec![
        "change".into(),
        signed(c.alerts),
        signed(c.pages),
        signed(c.acknowledged),
        signed(c.resolved),
        signed(c.escalations),
        dur(c.mtta_median_s),
        String::new(),
        dur(c.mttr_median_s),
        String::new(),
    ]);
    // Severities from the most to the least severe.
    let sev = crate::model::Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| r.by_severity.get(s.name()).map(|st| (s.name().to_owned(), st)));
    vec![
        overall,
        stat_grid("By severity", "SEVERITY", sev),
        stat_grid("By source", "SOURCE", r.by_source.iter().map(|(k, s)| (k.clone(), s))),
        stat_grid("By service", "SERVICE", r.by_service.iter().map(|(k, s)| (k.clone(), s))),
        stat_grid("Weeks", "WEEK OF", r.weeks.iter().map(|w| (w.start.format("%Y-%m-%d").to_string(), &w.stats))),
    ]
}

fn noise_grids(r: &Noise) -> Vec<Grid> {
    let mut rows = vec![
        [
            "SCORE",
            "ALERT",
            "SERVICE",
            "FIRED",
            "SELF-RESOLVED",
            "SELF-RESOLVE MEDIAN",
            "FLAPS",
            "NEVER ACKED",
            "NIGHT",
            "WEEKEND",
            "SUGGESTION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for a in &r.alerts {
        rows.push(vec![
            a.score.to_string(),
            a.name.clone(),
            a.service.clone().unwrap_or_else(|| "-".into()),
            a.count.to_string(),
            format!("{} ({:.0}%)", a.auto_resolved, a.auto_resolved_share * 100.0),
            duration(a.auto_resolve_median_s),
            a.flaps.to_string(),
            a.never_acknowledged.to_string(),
            a.night.to_string(),
            a.weekend.to_string(),
            a.action.text().to_owned(),
        ]);
    }
    let title = format!(
        "Noise {} to {} (flap: fired again within {}; night 22:00-07:00 and weekend in {})",
        super::stamp(r.since),
        super::stamp(r.until),
        duration(Some(r.flap_within_s)),
        r.time_zone
    );
    vec![Grid { title, rows, left: vec![1, 2, 10] }]
}

fn levels(r: &Oncall) -> Vec<String> {
    let mut l: Vec<String> = r.people.iter().flat_map(|p| p.hours_on_call.keys().cloned()).collect();
    l.sort_by_key(|k| k.parse::<i64>().unwrap_or(i64::MAX));
    l.dedup();
    l
}

fn oncall_grids(r: &Oncall) -> Vec<Grid> {
    let levels = levels(r);
    let mut head = vec!["PERSON".to_owned()];
    head.extend(levels.iter().map(|l| format!("HOURS L{l}")));
    head.extend(
        ["PAGES", "OUTSIDE HOURS", "NIGHT", "ACKS", "ACKS OUTSIDE HOURS", "NOTES", "ESCALATIONS"].map(String::from),
    );
    let mut rows = vec![head];
    for p in &r.people {
        let mut row = vec![p.person.clone()];
        row.extend(levels.iter().map(|l| p.hours_on_call.get(l).map_or("0".into(), |h| format!("{h:.2}"))));
        row.extend(counts(p));
        rows.push(row);
    }
    let title = format!("On call {} to {}", super::stamp(r.since), super::stamp(r.until));
    vec![Grid { title, rows, left: vec![0] }]
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn table(grids: &[Grid]) -> String {
    let mut out = String::new();
    for (i, g) in grids.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", g.title);
        let n = g.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> =
            (0..n).map(|c| g.rows.iter().filter_map(|r| r.get(c)).map(|s| width(s)).max().unwrap_or(0)).collect();
        for row in &g.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c].saturating_sub(width(cell));
                // Names left, figures right.
                if g.left.contains(&c) {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                line.push_str("  ");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if g.rows.len() == 1 {
            let _ = writeln!(out, "(nothing in this period)");
        }
    }
    out
}

fn markdown(grids: &[Grid]) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::new();
    for (i, g) in grids.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "## {}\n", cell(&g.title));
        for (r, row) in g.rows.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if r == 0 {
                let _ = writeln!(out, "|{}", " --- |".repeat(row.len()));
            }
        }
        if g.rows.len() == 1 {
            let _ = writeln!(out, "\n_nothing in this period_");
        }
    }
    out
}

/// One CSV field: quoted when needed; text a spreadsheet would run as a formula is
/// prefixed with `'`.
fn csv_field(s: &str) -> String {
    let s =
        if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

fn opt(n: Option<i64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn stat_csv(dim: &str, group: &str, s: &Stats) -> Vec<String> {
    vec![
        dim.into(),
        group.into(),
        s.alerts.to_string(),
        s.pages.to_string(),
        s.acknowledged.to_string(),
        s.resolved.to_string(),
        s.escalations.to_string(),
        opt(s.mtta_s.median),
        opt(s.mtta_s.p90),
        opt(s.mttr_s.median),
        opt(s.mttr_s.p90),
    ]
}

fn summary_csv(r: &Summary) -> String {
    let mut rows = vec![
        [
            "group",
            "key",
            "alerts",
            "pages",
            "acknowledged",
            "resolved",
            "escalations",
            "mtta_median_s",
            "mtta_p90_s",
            "mttr_median_s",
            "mttr_p90_s",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.push(stat_csv("all", "", &r.total));
    rows.push(stat_csv("previous", "", &r.previous.stats));
    for (k, s) in &r.by_severity {
        rows.push(stat_csv("severity", k, s));
    }
    for (k, s) in &r.by_source {
        rows.push(stat_csv("source", k, s));
    }
    for (k, s) in &r.by_service {
        rows.push(stat_csv("service", k, s));
    }
    for w in &r.weeks {
        rows.push(stat_csv("week", &super::stamp(w.start), &w.stats));
    }
    csv(&rows)
}

fn noise_csv(r: &Noise) -> String {
    let mut rows = vec![
        [
            "name",
            "service",
            "count",
            "auto_resolved",
            "auto_resolved_share",
            "auto_resolve_median_s",
            "flaps",
            "never_acknowledged",
            "night",
            "weekend",
            "score",
            "action",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for a in &r.alerts {
        rows.push(vec![
            a.name.clone(),
            a.service.clone().unwrap_or_default(),
            a.count.to_string(),
            a.auto_resolved.to_string(),
            format!("{:.2}", a.auto_resolved_share),
            opt(a.auto_resolve_median_s),
            a.flaps.to_string(),
            a.never_acknowledged.to_string(),
            a.night.to_string(),
            a.weekend.to_string(),
            a.score.to_string(),
            a.action.text().to_owned(),
        ]);
    }
    csv(&rows)
}

/// The payroll CSV: one row per person, hours per level and in total.
fn oncall_csv(r: &Oncall) -> String {
    let levels = levels(r);
    let mut head = vec!["person".to_owned()];
    head.extend(levels.iter().map(|l| format!("hours_level_{l}")));
    head.extend(
        [
            "hours_total",
            "pages",
            "pages_outside_hours",
            "night_interruptions",
            "acks",
            "acks_outside_hours",
            "notes",
            "escalations",
        ]
        .map(String::from),
    );
    let mut rows = vec![head];
    for p in &r.people {
        let mut row = vec![p.person.clone()];
        row.extend(levels.iter().map(|l| format!("{:.2}", p.hours_on_call.get(l).copied().unwrap_or(0.0))));
        row.push(format!("{:.2}", p.hours_on_call.values().sum::<f64>()));
        row.extend(counts(p));
        rows.push(row);
    }
    csv(&rows)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain structs of numbers and strings cannot fail.
    serde_json::to_string_pretty(v).map(|s| s + "\n").unwrap_or_default()
}

/// A report that prints: its tables (for the table and Markdown formats) and its CSV.
pub trait Printable: serde::Serialize {
    #[doc(hidden)]
    fn grids(&self) -> Vec<Grid>;
    #[doc(hidden)]
    fn csv(&self) -> String;
}

impl Printable for Summary {
    fn grids(&self) -> Vec<Grid> {
        summary_grids(self)
    }
    fn csv(&self) -> String {
        summary_csv(self)
    }
}

impl Printable for Noise {
    fn grids(&self) -> Vec<Grid> {
        noise_grids(self)
    }
    fn csv(&self) -> String {
        noise_csv(self)
    }
}

impl Printable for Oncall {
    fn grids(&self) -> Vec<Grid> {
        oncall_grids(self)
    }
    fn csv(&self) -> String {
        oncall_csv(self)
    }
}

/// The report in the format asked for.
pub fn render(r: &impl Printable, f: Format) -> String {
    match f {
        Format::Table => table(&r.grids()),
        Format::Markdown => markdown(&r.grids()),
        Format::Csv => r.csv(),
        Format::Json => json(r),
    }
}

/// A person's counts in the order of the on-call columns after the hours (table and CSV alike).
fn counts(p: &PersonReport) -> [String; 7] {
    [p.pages, p.pages_outside_hours, p.night_interruptions, p.acks, p.acks_outside_hours, p.notes, p.escalations]
        .map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        let d = |s| duration(Some(s));
        assert_eq!([d(45), d(270), d(7500), d(273_600), duration(None)], ["45s", "4m30s", "2h05m", "3d04h", "-"]);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("-3"), "-3");
    }
}
