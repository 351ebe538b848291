//! The reports' queries, written once for both backends: each report is one SQL statement
//! that aggregates in the database over indexed columns (entries by kind, alert and time;
//! alerts by key, with `service` and `name` as generated columns) and returns one row per
//! group, never the entries themselves. A [`Dialect`] fills in what SQLite and PostgreSQL
//! spell differently: placeholders, time arithmetic, JSON input tables.
//!
//! An incident is one firing of an alert: its `seen` entry up to the alert's next `seen`.
//! Its time to acknowledge is the first `acked` in it, its time to resolve the first
//! `resolved`; its severity is the highest it reached (the level of `seen` and
//! `severity-changed` entries); it is a page when that is at or above the page severity.
//! Percentiles are nearest-rank: the p-th of n values is the ceil(p·n)-th smallest.

use crate::model::Severity;
use chrono::{DateTime, SecondsFormat, Utc};
use std::fmt::Write;

/// One condition on the alerts a report covers: `field=value`, `field!=value`; severity also
/// takes `>=`, `>`, `<=`, `<` (on the incident's highest severity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub field: MatchField,
    pub op: MatchOp,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchField {
    Source,
    Service,
    /// The alert's name: its `alertname` label, else its title.
    Name,
    Key,
    Severity,
}

impl MatchField {
    pub const NAMES: &'static str = "source, service, name (or alertname), key, severity";

    pub fn parse(s: &str) -> Option<MatchField> {
        Some(match s {
            "source" => MatchField::Source,
            "service" => MatchField::Service,
            "name" | "alertname" => MatchField::Name,
            "key" => MatchField::Key,
            "severity" => MatchField::Severity,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
}

impl MatchOp {
    fn sql(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "<>",
            MatchOp::Ge => ">=",
            MatchOp::Gt => ">",
            MatchOp::Le => "<=",
            MatchOp::Lt => "<",
        }
    }
}

/// What a report covers: incidents that fired in `[since, until)`, matching every matcher.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportQuery {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Incidents at or above this severity are pages.
    pub page_severity: Severity,
    pub matchers: Vec<Matcher>,
}

/// A time zone as the database applies it: the UTC offset in force from each instant on
/// (the zone's offset before the period, then every change within it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OffsetFrom {
    #[serde(rename = "s", serialize_with = "ser_ts")]
    pub from: DateTime<Utc>,
    #[serde(rename = "o")]
    pub offset_s: i64,
}

/// A person as the on-call report sees them: working hours (minutes of the day, local) and
/// days (0 Sunday … 6 Saturday), and their zone's offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingTime {
    pub person: String,
    pub start_min: i64,
    pub end_min: i64,
    pub days: Vec<u32>,
    pub offsets: Vec<OffsetFrom>,
}

/// One stretch on call, person already joined to their `[[people]]` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftAt {
    pub person: String,
    pub level: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What the on-call report joins the timeline with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OncallInputs {
    /// Lower-cased alias (including each person's own name) → person.
    pub aliases: Vec<(String, String)>,
    /// Each `[[people]]` person's working time; `default` for everyone else.
    pub people: Vec<WorkingTime>,
    pub default: Option<WorkingTime>,
    pub shifts: Vec<ShiftAt>,
}

/// Figures of one group of incidents (all of them, one severity, source, service or week).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatRow {
    /// `all`, `severity` (the rank as text), `source`, `service` or `week` (index from `since`).
    pub dim: String,
    pub group: String,
    pub alerts: i64,
    pub pages: i64,
    pub acknowledged: i64,
    pub resolved: i64,
    pub escalations: i64,
    pub mtta_median: Option<i64>,
    pub mtta_p90: Option<i64>,
    pub mttr_median: Option<i64>,
    pub mttr_p90: Option<i64>,
}

/// Noise figures of one alert name and service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoiseRow {
    pub name: String,
    pub service: String,
    pub count: i64,
    /// Resolved with no human entry at all in the incident.
    pub auto_resolved: i64,
    pub auto_resolve_median: Option<i64>,
    /// Fired again within the flap window of its previous resolve.
    pub flaps: i64,
    pub never_acked: i64,
    pub night: i64,
    pub weekend: i64,
    /// At night or at the weekend (one count per firing).
    pub off_hours: i64,
}

/// One person's counts from the timeline (hours on call come from the schedules).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub person: String,
    pub pages: i64,
    pub pages_off_hours: i64,
    pub night_interruptions: i64,
    pub acks: i64,
    pub acks_off_hours: i64,
    pub notes: i64,
    pub escalations: i64,
}

fn ser_ts<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ts(*t))
}

/// How the store writes times: RFC 3339, UTC, microseconds (sorts as text in SQLite).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    /// A JSON array, read as a table.
    Json(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Int,
}

/// A statement, its parameters, and the types of the columns it returns.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub params: Vec<Param>,
    pub cols: Vec<Col>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Cell {
    pub fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => *i,
            Cell::Text(t) => t.as_deref().and_then(|t| t.parse().ok()),
        }
    }
    fn n(&self) -> i64 {
        self.int().unwrap_or(0)
    }
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone().unwrap_or_default(),
            Cell::Int(i) => i.map(|i| i.to_string()).unwrap_or_default(),
        }
    }
}

/// Builds one statement: parameters are numbered as they are added.
struct Builder {
    d: Dialect,
    params: Vec<Param>,
}

impl Builder {
    fn new(d: Dialect) -> Builder {
        Builder { d, params: Vec::new() }
    }

    fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        let n = self.params.len();
        let p = &self.params[n - 1];
        match (self.d, p) {
            (Dialect::Sqlite, _) => format!("?{n}"),
            (Dialect::Postgres, Param::Text(_)) => format!("${n}::text"),
            (Dialect::Postgres, Param::Int(_)) => format!("${n}::int8"),
            (Dialect::Postgres, Param::Time(_)) => format!("${n}::timestamptz"),
            (Dialect::Postgres, Param::Json(_)) => format!("${n}::text::jsonb"),
        }
    }

    /// Whole seconds from `a` to `b`.
    fn secs(&self, a: &str, b: &str) -> String {
        match self.d {
            Dialect::Sqlite => format!("CAST(ROUND((julianday({b}) - julianday({a})) * 86400.0) AS INTEGER)"),
            Dialect::Postgres => format!("CAST(ROUND(EXTRACT(EPOCH FROM ({b} - {a}))) AS BIGINT)"),
        }
    }

    /// A JSON array of objects as a table with these columns.
    fn json_table(&mut self, json: String, cols: &[(&str, &str)]) -> String {
        let p = self.bind(Param::Json(json));
        match self.d {
            Dialect::Sqlite => {
                let fields: Vec<String> =
                    cols.iter().map(|(c, _)| format!("json_extract(j.value, '$.{c}') AS {c}")).collect();
                format!("SELECT {} FROM json_each({p}) AS j", fields.join(", "))
            }
            Dialect::Postgres => {
                let fields: Vec<String> = cols.iter().map(|(c, t)| format!("{c} {t}")).collect();
                format!("SELECT * FROM jsonb_to_recordset({p}) AS j({})", fields.join(", "))
            }
        }
    }

    /// Whole seconds since 1970 of the time `t`.
    fn epoch(&self, t: &str) -> String {
        match self.d {
            Dialect::Sqlite => format!("CAST(strftime('%s', {t}) AS INTEGER)"),
            Dialect::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {t})) AS BIGINT)"),
        }
    }

    /// Minute of the local day and day of the week (0 Sunday) of `t` shifted by `o` seconds:
    /// integer arithmetic on the epoch (1970-01-01 was a Thursday), one date call per row.
    fn local(&self, t: &str, o: &str) -> (String, String) {
        let l = format!("({} + ({o}))", self.epoch(t));
        (format!("(({l} / 60) % 1440)"), format!("((({l} / 86400) + 4) % 7)"))
    }

    /// Whether the digit `dow` is in the text `days` ("12345").
    fn day_in(&self, dow: &str, days: &str) -> String {
        match self.d {
            Dialect::Sqlite => format!("(instr({days}, CAST({dow} AS TEXT)) > 0)"),
            Dialect::Postgres => format!("(position(CAST({dow} AS TEXT) IN {days}) > 0)"),
        }
    }

    fn done(self, sql: String, cols: Vec<Col>) -> Query {
        Query { sql, params: self.params, cols }
    }
}

/// Rank of a severity name held in a column, for matching on alerts outside an incident.
fn severity_rank_of(col: &str) -> String {
    let mut s = format!("(CASE {col}");
    for (i, sev) in Severity::ALL.iter().enumerate() {
        let _ = write!(s, " WHEN '{}' THEN {i}", sev.name());
    }
    s.push_str(" ELSE 2 END)");
    s
}

pub fn severity_rank(s: Severity) -> i64 {
    super::observe::severity_rank(s)
}

/// The matchers as SQL over an incident row (`sev`, `source`, `service`, `name`, `alert_key`).
fn conditions(b: &mut Builder, matchers: &[Matcher], sev: &str) -> String {
    let mut out = String::new();
    for m in matchers {
        let col = match m.field {
            MatchField::Source => "source",
            MatchField::Service => "service",
            MatchField::Name => "name",
            MatchField::Key => "alert_key",
            MatchField::Severity => sev,
        };
        let value = match m.field {
            MatchField::Severity => {
                let sev: Severity = m.value.parse().unwrap_or(Severity::Average);
                b.bind(Param::Int(severity_rank(sev)))
            }
            _ => b.bind(Param::Text(m.value.clone())),
        };
        let _ = write!(out, " AND {col} {} {value}", m.op.sql());
    }
    out
}

/// What every statement of a report filters incidents by: `[since, until)` and the matchers.
struct Scope {
    since: String,
    until: String,
    cond: String,
}

fn scope(b: &mut Builder, q: &ReportQuery) -> Scope {
    let since = b.bind(Param::Time(q.since));
    let until = b.bind(Param::Time(q.until));
    let cond = conditions(b, &q.matchers, "sev");
    Scope { since, until, cond }
}

/// `m`: the incidents that fired in the period and match, as the incidents table holds them
/// (kept by triggers as entries are written; see migrations/0005_incidents.sql): only the
/// columns `cols` a report needs, so less is carried through its sorts.
fn incidents(s: &Scope, cols: &str) -> String {
    format!(
        "m AS (SELECT {cols} FROM incidents i WHERE i.fired_at >= {} AND i.fired_at < {}{})",
        s.since, s.until, s.cond
    )
}

/// The weeks from `since`, by index: `[start, end)`, the last one ending at `until`.
pub fn weeks(q: &ReportQuery) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut start = q.since;
    while start < q.until {
        let next = start + chrono::Duration::days(7);
        out.push((start, next.min(q.until)));
        start = next;
    }
    out
}

/// Summary, first statement: the counts of each group (all, severity, source, service, week
/// from `since`); [`summary_rows`] then looks up the percentiles.
pub fn summary(d: Dialect, q: &ReportQuery) -> Query {
    let mut b = Builder::new(d);
    let s = scope(&mut b, q);
    let inc = incidents(&s, "i.sev, i.source, i.service, i.fired_at, i.escalations, i.tta AS ta, i.ttr AS tr");
    let weeks: Vec<serde_json::Value> = weeks(q)
        .iter()
        .enumerate()
        .map(|(w, (start, end))| serde_json::json!({"w": w, "s": ts(*start), "e": ts(*end)}))
        .collect();
    let weeks = b.json_table(
        serde_json::Value::Array(weeks).to_string(),
        &[("w", "bigint"), ("s", "timestamptz"), ("e", "timestamptz")],
    );
    let page = b.bind(Param::Int(severity_rank(q.page_severity)));
    // One pass groups the period's incidents by all four at once (a few hundred rows); each
    // dimension then adds those up, instead of five passes over every incident.
    let sums = "CAST(SUM(n) AS BIGINT), CAST(SUM(p) AS BIGINT), CAST(SUM(na) AS BIGINT), CAST(SUM(nr) AS BIGINT),
                CAST(SUM(esc) AS BIGINT)";
    let sql = format!(
        "WITH weeks AS MATERIALIZED ({weeks}), {inc},
         c AS MATERIALIZED (
           SELECT sev, source, service, w.w AS week, COUNT(*) AS n,
             SUM(CASE WHEN sev >= {page} THEN 1 ELSE 0 END) AS p, COUNT(ta) AS na, COUNT(tr) AS nr,
             SUM(escalations) AS esc
           FROM weeks w JOIN m ON m.fired_at >= w.s AND m.fired_at < w.e
           GROUP BY sev, source, service, w.w
         )
         SELECT 'all' AS dim, '' AS grp, {sums} FROM c HAVING COUNT(*) > 0
         UNION ALL SELECT 'severity', CAST(sev AS TEXT), {sums} FROM c GROUP BY sev
         UNION ALL SELECT 'source', source, {sums} FROM c GROUP BY source
         UNION ALL SELECT 'service', service, {sums} FROM c GROUP BY service
         UNION ALL SELECT 'week', CAST(week AS TEXT), {sums} FROM c GROUP BY week
         ORDER BY 1, 2"
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Text, Int, Int, Int, Int, Int])
}

pub fn stat_rows(rows: Vec<Vec<Cell>>) -> Vec<StatRow> {
    rows.into_iter()
        .map(|r| StatRow {
            dim: r[0].text(),
            group: r[1].text(),
            alerts: r[2].n(),
            pages: r[3].n(),
            acknowledged: r[4].n(),
            resolved: r[5].n(),
            escalations: r[6].n(),
            ..StatRow::default()
        })
        .collect()
}

/// Runs a report's statements: the first answers, the next are built from its answer.
pub type Run<'a, E> = dyn FnMut(&Query) -> Result<Vec<Vec<Cell>>, E> + 'a;

/// PostgreSQL's summary in one pass: the groups as grouping sets, each percentile by
/// `percentile_disc` (an ordered-set aggregate, which SQLite lacks). `percentile_disc(p)` is
/// the first value whose place reaches p·n, i.e. the ceil(p·n)-th smallest: nearest rank, as
/// the walks take it (p·n is exact in f64 for 0.5, and 0.9·n never rounds past an integer).
/// The 128 walks took 3.2 s over 300,000 incidents (those of a large group read most of an
/// index: 58 ms for the whole period's `tta`); this pass reads the rows once and sorts each
/// group (0.8 s).
pub fn summary_postgres(q: &ReportQuery) -> Query {
    let mut b = Builder::new(Dialect::Postgres);
    let s = scope(&mut b, q);
    // The week by arithmetic, as [`weeks`] cuts them (7 days from `since`): joined to a table
    // of weeks instead, the planner walked `incidents_by_time` row by row (1.2 s, not 0.8 s).
    let week = format!(
        "CAST(FLOOR((EXTRACT(EPOCH FROM i.fired_at) - EXTRACT(EPOCH FROM {})) / {}) AS BIGINT) AS week",
        s.since,
        7 * 86_400
    );
    let inc = incidents(
        &s,
        &format!("i.sev, i.source, i.service, i.fired_at, i.escalations, i.tta AS ta, i.ttr AS tr, {week}"),
    );
    let page = b.bind(Param::Int(severity_rank(q.page_severity)));
    let pct = |p: &str, col: &str| format!("CAST(percentile_disc({p}) WITHIN GROUP (ORDER BY {col}) AS BIGINT)");
    let sql = format!(
        "WITH {inc}
         SELECT
           CASE WHEN GROUPING(sev) = 0 THEN 'severity' WHEN GROUPING(source) = 0 THEN 'source'
                WHEN GROUPING(service) = 0 THEN 'service' WHEN GROUPING(week) = 0 THEN 'week' ELSE 'all' END,
           CASE WHEN GROUPING(sev) = 0 THEN CAST(sev AS TEXT) WHEN GROUPING(source) = 0 THEN source
                WHEN GROUPING(service) = 0 THEN service WHEN GROUPING(week) = 0 THEN CAST(week AS TEXT) ELSE '' END,
           COUNT(*), CAST(SUM(CASE WHEN sev >= {page} THEN 1 ELSE 0 END) AS BIGINT), COUNT(ta), COUNT(tr),
           CAST(SUM(escalations) AS BIGINT),
           {}, {}, {}, {}
         FROM m
         GROUP BY GROUPING SETS ((), (sev), (source), (service), (week))
         HAVING COUNT(*) > 0
         ORDER BY 1, 2",
        pct("0.5", "ta"),
        pct("0.9", "ta"),
        pct("0.5", "tr"),
        pct("0.9", "tr"),
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Text, Int, Int, Int, Int, Int, Int, Int, Int, Int])
}

/// The summary's rows with their percentiles: on SQLite the counts, then each percentile by
/// a walk along an index ([`ranks`]); on PostgreSQL one pass ([`summary_postgres`]).
pub fn summary_rows<E>(d: Dialect, q: &ReportQuery, run: &mut Run<E>) -> Result<Vec<StatRow>, E> {
    if d == Dialect::Postgres {
        let rows = run(&summary_postgres(q))?;
        let pcts: Vec<[Option<i64>; 4]> =
            rows.iter().map(|r| [r[7].int(), r[8].int(), r[9].int(), r[10].int()]).collect();
        let mut out = stat_rows(rows);
        for (r, [a50, a90, r50, r90]) in out.iter_mut().zip(pcts) {
            (r.mtta_median, r.mtta_p90, r.mttr_median, r.mttr_p90) = (a50, a90, r50, r90);
        }
        return Ok(out);
    }
    let mut rows = stat_rows(run(&summary(d, q))?);
    let weeks = weeks(q);
    let mut wanted = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let group = match r.dim.as_str() {
            "all" => Group::All,
            "severity" => Group::Severity(r.group.parse().unwrap_or_default()),
            "source" => Group::Source(r.group.clone()),
            "service" => Group::Service(r.group.clone()),
            "week" => match r.group.parse::<usize>().ok().and_then(|w| weeks.get(w)) {
                Some((start, end)) => Group::Between(*start, *end),
                None => continue,
            },
            _ => continue,
        };
        for (slot, col, n) in
            [(0, "tta", r.acknowledged), (1, "tta", r.acknowledged), (2, "ttr", r.resolved), (3, "ttr", r.resolved)]
        {
            let k = if slot % 2 == 0 { (n + 1) / 2 } else { (9 * n + 9) / 10 };
            if n > 0 {
                wanted.push(((i, slot), Rank { col, group: group.clone(), k, n }));
            }
        }
    }
    let (at, want): (Vec<_>, Vec<_>) = wanted.into_iter().unzip();
    for (n, v) in ranked(d, q, &want, run)? {
        let (i, slot) = at[n];
        let r = &mut rows[i];
        *[&mut r.mtta_median, &mut r.mtta_p90, &mut r.mttr_median, &mut r.mttr_p90][slot] = v;
    }
    Ok(rows)
}

/// The incidents one percentile is taken over, within the report's.
#[derive(Debug, Clone)]
enum Group {
    All,
    Severity(i64),
    Source(String),
    Service(String),
    Between(DateTime<Utc>, DateTime<Utc>),
    NameService(String, String),
}

/// One nearest-rank percentile to look up: the `k`-th smallest `col` of the `n` in a group.
#[derive(Debug, Clone)]
struct Rank {
    col: &'static str,
    group: Group,
    k: i64,
    n: i64,
}

impl Rank {
    /// The index whose order is `col` within the group (migrations/0005_incidents.sql).
    fn index(&self) -> String {
        match &self.group {
            Group::All | Group::Source(_) | Group::Between(..) => format!("incidents_by_{}", self.col),
            Group::Severity(_) => format!("incidents_by_sev_{}", self.col),
            Group::Service(_) => format!("incidents_by_service_{}", self.col),
            Group::NameService(..) => "incidents_by_name_auto".into(),
        }
    }
}

/// The statements that look the ranks up: each `ORDER BY col LIMIT 1 OFFSET k - 1` along an
/// index that holds the group in `col` order, so nothing is sorted and no window runs over
/// every incident. SQLite walks the index it is told to once a group is large (its planner
/// would sort the whole period instead); PostgreSQL's planner chooses. In chunks: SQLite
/// takes at most 500 terms in a compound SELECT.
fn ranks(d: Dialect, q: &ReportQuery, ranks: &[Rank]) -> Vec<Query> {
    const CHUNK: usize = 200;
    let mut out = Vec::new();
    for (c, chunk) in ranks.chunks(CHUNK).enumerate() {
        let mut b = Builder::new(d);
        let s = scope(&mut b, q);
        let mut terms = Vec::new();
        for (i, r) in chunk.iter().enumerate() {
            let group = match &r.group {
                Group::All => String::new(),
                Group::Severity(v) => format!(" AND sev = {}", b.bind(Param::Int(*v))),
                Group::Source(v) => format!(" AND source = {}", b.bind(Param::Text(v.clone()))),
                Group::Service(v) => format!(" AND service = {}", b.bind(Param::Text(v.clone()))),
                Group::Between(start, end) => {
                    let (start, end) = (b.bind(Param::Time(*start)), b.bind(Param::Time(*end)));
                    format!(" AND fired_at >= {start} AND fired_at < {end}")
                }
                Group::NameService(name, service) => {
                    let (name, service) = (b.bind(Param::Text(name.clone())), b.bind(Param::Text(service.clone())));
                    format!(" AND name = {name} AND service = {service}")
                }
            };
            let hint = match d {
                Dialect::Sqlite if r.n >= 10_000 => format!(" INDEXED BY {}", r.index()),
                _ => String::new(),
            };
            let col = r.col;
            terms.push(format!(
                "SELECT CAST({n} AS BIGINT) AS n, (SELECT {col} FROM incidents{hint}
                   WHERE {col} IS NOT NULL AND fired_at >= {since} AND fired_at < {until}{group}{cond}
                   ORDER BY {col} LIMIT 1 OFFSET {offset})",
                n = c * CHUNK + i,
                since = s.since,
                until = s.until,
                cond = s.cond,
                offset = (r.k - 1).max(0),
            ));
        }
        out.push(b.done(terms.join("\n UNION ALL "), vec![Col::Int, Col::Int]));
    }
    out
}

/// Each rank's value, by its place in `want`.
fn ranked<E>(d: Dialect, q: &ReportQuery, want: &[Rank], run: &mut Run<E>) -> Result<Vec<(usize, Option<i64>)>, E> {
    let mut out = Vec::with_capacity(want.len());
    for query in ranks(d, q, want) {
        for row in run(&query)? {
            if let Some(n) = row[0].int().and_then(|n| usize::try_from(n).ok()).filter(|n| *n < want.len()) {
                out.push((n, row[1].int()));
            }
        }
    }
    Ok(out)
}

/// Far in the future: the end of the last span of a zone's offsets.
const NEVER: &str = "9999-12-31T23:59:59.999999Z";
/// Long ago: the start of a shift that began before the period.
const LONG_AGO: &str = "0001-01-01T00:00:00.000000Z";

/// Offsets as spans `[s, e)` per person `p`, each ending where the person's next begins,
/// so a report joins them by range instead of looking each event's offset up.
fn spans_json(rows: &[(&str, &OffsetFrom)]) -> String {
    let v: Vec<serde_json::Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (p, o))| {
            let end = rows.get(i + 1).filter(|(next, _)| next == p).map_or(NEVER.to_string(), |(_, n)| ts(n.from));
            serde_json::json!({"p": p, "s": ts(o.from), "e": end, "o": o.offset_s})
        })
        .collect();
    serde_json::Value::Array(v).to_string()
}

const SPAN_COLS: &[(&str, &str)] = &[("p", "text"), ("s", "timestamptz"), ("e", "timestamptz"), ("o", "bigint")];

/// Noise, first statement: one row per alert name and service. `zone`: the team's offsets,
/// for night (22:00–07:00) and weekend (Saturday, Sunday) firings. [`noise_rows`] then looks
/// up each median time to auto-resolve.
pub fn noise(d: Dialect, q: &ReportQuery, flap_within_s: i64, zone: &[OffsetFrom]) -> Query {
    let mut b = Builder::new(d);
    let s = scope(&mut b, q);
    let inc = incidents(&s, "i.name, i.service, i.fired_at, i.resolved_at, i.acked_at, i.humans, i.prev_resolved");
    let rows: Vec<(&str, &OffsetFrom)> = zone.iter().map(|o| ("", o)).collect();
    let zones = b.json_table(spans_json(&rows), SPAN_COLS);
    let flap = b.bind(Param::Int(flap_within_s));
    let gap = b.secs("prev_resolved", "fired_at");
    let (minute, dow) = b.local("fired_at", "o");
    let sql = format!(
        "WITH zones AS MATERIALIZED ({zones}), {inc},
         t AS (
           SELECT name, service,
             CASE WHEN resolved_at IS NOT NULL AND humans = 0 THEN 1 ELSE 0 END AS auto,
             CASE WHEN prev_resolved IS NOT NULL AND {gap} <= {flap} THEN 1 ELSE 0 END AS flap,
             CASE WHEN acked_at IS NULL THEN 1 ELSE 0 END AS never,
             fired_at, COALESCE(z.o, 0) AS o
           FROM m LEFT JOIN zones z ON m.fired_at >= z.s AND m.fired_at < z.e
         ),
         l AS (SELECT t.*, {minute} AS mi, {dow} AS dw FROM t),
         k AS (
           SELECT l.*,
             CASE WHEN mi >= 1320 OR mi < 420 THEN 1 ELSE 0 END AS night,
             CASE WHEN dw IN (0, 6) THEN 1 ELSE 0 END AS weekend
           FROM l
         )
         SELECT name, service, COUNT(*), CAST(SUM(auto) AS BIGINT),
           CAST(SUM(flap) AS BIGINT), CAST(SUM(never) AS BIGINT), CAST(SUM(night) AS BIGINT), CAST(SUM(weekend) AS BIGINT),
           CAST(SUM(CASE WHEN night = 1 OR weekend = 1 THEN 1 ELSE 0 END) AS BIGINT)
         FROM k GROUP BY name, service ORDER BY name, service"
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Text, Int, Int, Int, Int, Int, Int, Int])
}

/// The noise report's rows with each median time to auto-resolve.
pub fn noise_rows<E>(
    d: Dialect,
    q: &ReportQuery,
    flap_within_s: i64,
    zone: &[OffsetFrom],
    run: &mut Run<E>,
) -> Result<Vec<NoiseRow>, E> {
    let mut rows: Vec<NoiseRow> = run(&noise(d, q, flap_within_s, zone))?
        .into_iter()
        .map(|r| NoiseRow {
            name: r[0].text(),
            service: r[1].text(),
            count: r[2].n(),
            auto_resolved: r[3].n(),
            auto_resolve_median: None,
            flaps: r[4].n(),
            never_acked: r[5].n(),
            night: r[6].n(),
            weekend: r[7].n(),
            off_hours: r[8].n(),
        })
        .collect();
    let (at, want): (Vec<usize>, Vec<Rank>) = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.auto_resolved > 0)
        .map(|(i, r)| {
            let group = Group::NameService(r.name.clone(), r.service.clone());
            (i, Rank { col: "auto_s", group, k: (r.auto_resolved + 1) / 2, n: r.auto_resolved })
        })
        .unzip();
    for (n, v) in ranked(d, q, &want, run)? {
        rows[at[n]].auto_resolve_median = v;
    }
    Ok(rows)
}

/// The bucket length (seconds) at which the on-call report can count actions and pages
/// per bucket and still place each exactly: the largest divisor of 15 minutes that divides
/// every boundary a figure changes at — zone offsets and their changes, shift changes inside
/// the period, working hours (night, 22:00–07:00, and days change on the quarter hour).
/// Then every boundary is a bucket boundary, and a bucket is classified by its start.
/// `None` when a boundary has a fraction of a second: each action is placed by itself.
fn grain(q: &ReportQuery, inputs: &OncallInputs) -> Option<i64> {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 { a.abs() } else { gcd(b, a % b) }
    }
    let mut times = Vec::new();
    let mut g = 900;
    for w in inputs.people.iter().chain(&inputs.default) {
        g = gcd(g, gcd(w.start_min * 60, w.end_min * 60));
        // The first offset is the one before the period: where it starts is no boundary.
        for (i, o) in w.offsets.iter().enumerate() {
            g = gcd(g, o.offset_s);
            if i > 0 {
                times.push(o.from);
            }
        }
    }
    for s in &inputs.shifts {
        times.extend([s.start, s.end].into_iter().filter(|t| *t > q.since && *t < q.until));
    }
    for t in times {
        if t.timestamp_subsec_nanos() != 0 {
            return None;
        }
        g = gcd(g, t.timestamp());
    }
    Some(g.max(1))
}

/// `SELECT <bucket start> AS at, {cols}, COUNT(*) AS c FROM {from} GROUP BY {keys}, <bucket>`:
/// the rows of `from` counted per bucket of `g` seconds of `t`. SQLite cuts the stored text
/// (`2026-03-01T10:17:…Z`) when the bucket is whole minutes, sparing a date call per row.
fn bucketed(d: Dialect, cols: &str, keys: &str, t: &str, g: i64, from: &str) -> String {
    let group = if keys.is_empty() { String::new() } else { format!("{keys}, ") };
    match d {
        Dialect::Sqlite if g % 60 == 0 => {
            let gm = g / 60;
            format!(
                "SELECT substr({t}, 1, 14) || printf('%02d', CAST(substr({t}, 15, 2) AS INTEGER) / {gm} * {gm})
                   || ':00.000000Z' AS at, {cols}, COUNT(*) AS c
                 FROM {from} GROUP BY {group}substr({t}, 1, 14), CAST(substr({t}, 15, 2) AS INTEGER) / {gm}"
            )
        }
        Dialect::Sqlite => format!(
            "SELECT strftime('%Y-%m-%dT%H:%M:%S', CAST(strftime('%s', {t}) AS INTEGER) / {g} * {g}, 'unixepoch')
               || '.000000Z' AS at, {cols}, COUNT(*) AS c
             FROM {from} GROUP BY {group}CAST(strftime('%s', {t}) AS INTEGER) / {g}"
        ),
        Dialect::Postgres => format!(
            "SELECT to_timestamp(FLOOR(EXTRACT(EPOCH FROM {t}) / {g}) * {g}) AS at, {cols}, COUNT(*) AS c
             FROM {from} GROUP BY {group}FLOOR(EXTRACT(EPOCH FROM {t}) / {g})"
        ),
    }
}

/// On call: one row per person. Pages are the page-severity incidents that fired while
/// the person held level 1, and escalations to a level while they held it; acks, notes
/// and escalations are the person's own entries (their actor, or any of its aliases).
pub fn oncall(d: Dialect, q: &ReportQuery, inputs: &OncallInputs) -> Query {
    let mut b = Builder::new(d);
    let s = scope(&mut b, q);
    let inc = incidents(&s, "i.fired_at, i.sev");
    let page = b.bind(Param::Int(severity_rank(q.page_severity)));
    let aliases: Vec<serde_json::Value> =
        inputs.aliases.iter().map(|(a, p)| serde_json::json!({"a": a, "p": p})).collect();
    let aliases = b.json_table(serde_json::Value::Array(aliases).to_string(), &[("a", "text"), ("p", "text")]);
    let grain = grain(q, inputs);
    // Bucketed, an action counts at its bucket's start, which may lie before `since`: a shift
    // reaching past either end of the period reaches for ever (nothing outside is counted).
    let shifts: Vec<serde_json::Value> = inputs
        .shifts
        .iter()
        .filter(|s| s.end > q.since && s.start < q.until)
        .map(|s| {
            let (mut start, mut end) = (ts(s.start), ts(s.end));
            if grain.is_some() && s.start <= q.since {
                start = LONG_AGO.into();
            }
            if grain.is_some() && s.end >= q.until {
                end = NEVER.into();
            }
            serde_json::json!({"p": s.person, "l": s.level, "s": start, "e": end})
        })
        .collect();
    let shifts = b.json_table(
        serde_json::Value::Array(shifts).to_string(),
        &[("p", "text"), ("l", "bigint"), ("s", "timestamptz"), ("e", "timestamptz")],
    );
    // Everyone's working time; '' is the default for people without a [[people]] entry.
    let mut work = Vec::new();
    let mut zone_rows: Vec<(&str, &OffsetFrom)> = Vec::new();
    let all = inputs.people.iter().map(|w| (w.person.as_str(), w)).chain(inputs.default.iter().map(|w| ("", w)));
    for (p, w) in all {
        let days: String = w.days.iter().map(|d| d.to_string()).collect();
        work.push(serde_json::json!({"p": p, "ws": w.start_min, "we": w.end_min, "d": days}));
        zone_rows.extend(w.offsets.iter().map(|o| (p, o)));
    }
    let work = b.json_table(
        serde_json::Value::Array(work).to_string(),
        &[("p", "text"), ("ws", "bigint"), ("we", "bigint"), ("d", "text")],
    );
    let zones = b.json_table(spans_json(&zone_rows), SPAN_COLS);
    // Actions carry the alert's matchers too (severity: the alert's current one); without
    // matchers they need nothing of the alert.
    let acts = if q.matchers.is_empty() {
        format!(
            "acts0 AS (SELECT x.actor, x.kind, x.at, x.level FROM entries x
               WHERE x.kind IN ('acked', 'note', 'escalated') AND x.at >= {} AND x.at < {})",
            s.since, s.until
        )
    } else {
        let sev_alert = severity_rank_of("a.severity");
        let cond = conditions(&mut b, &q.matchers, "sev");
        format!(
            "acts1 AS (
               SELECT x.actor, x.kind, x.at, x.level, x.alert_key, a.source, COALESCE(a.service, '') AS service,
                 a.name, {sev_alert} AS sev
               FROM entries x JOIN alerts a ON a.key = x.alert_key
               WHERE x.kind IN ('acked', 'note', 'escalated') AND x.at >= {} AND x.at < {}
             ),
             acts0 AS (SELECT actor, kind, at, level FROM acts1 WHERE 1 = 1{cond})",
            s.since, s.until
        )
    };
    // The actions and pages counted per bucket of `grain` seconds (a few thousand rows),
    // then placed in shifts, zones and working hours once per bucket; without a grain, each
    // by itself.
    let (acts_c, pages_c) = match grain {
        Some(g) => (
            bucketed(d, "actor, kind, level", "actor, kind, level", "at", g, "acts0"),
            bucketed(d, "1 AS level", "", "fired_at", g, &format!("m WHERE sev >= {page}")),
        ),
        None => (
            "SELECT at, actor, kind, level, 1 AS c FROM acts0".to_string(),
            format!("SELECT fired_at AS at, 1 AS level, 1 AS c FROM m WHERE sev >= {page}"),
        ),
    };
    let (minute, dow) = b.local("at", "o");
    let day_in = b.day_in("dw", "w.d");
    let sql = format!(
        "WITH aliases AS MATERIALIZED ({aliases}), shifts AS MATERIALIZED ({shifts}), work AS MATERIALIZED ({work}),
         zones AS MATERIALIZED ({zones}), {inc}, {acts},
         acts AS MATERIALIZED ({acts_c}),
         pages AS (
           {pages_c}
           UNION ALL SELECT at, level, c FROM acts WHERE kind = 'escalated' AND level IS NOT NULL
         ),
         ev0 AS (
           SELECT s.p AS person, 'page' AS what, pages.at, pages.c FROM pages
             JOIN shifts s ON s.l = pages.level AND pages.at >= s.s AND pages.at < s.e
           UNION ALL
           SELECT COALESCE(al.p, acts.actor), acts.kind, acts.at, acts.c FROM acts
             LEFT JOIN aliases al ON al.a = LOWER(acts.actor)
         ),
         ev AS (
           SELECT ev0.*, CASE WHEN wp.p IS NOT NULL THEN ev0.person ELSE '' END AS zone
           FROM ev0 LEFT JOIN work wp ON wp.p = ev0.person
         ),
         lo AS (
           SELECT ev.*, COALESCE(z.o, 0) AS o
           FROM ev LEFT JOIN zones z ON z.p = ev.zone AND ev.at >= z.s AND ev.at < z.e
         ),
         l AS (SELECT lo.*, {minute} AS mi, {dow} AS dw FROM lo),
         k AS (
           SELECT l.person, l.what, l.c,
             CASE WHEN mi >= 1320 OR mi < 420 THEN 1 ELSE 0 END AS night,
             CASE WHEN w.p IS NOT NULL AND {day_in} AND mi >= w.ws AND mi < w.we THEN 0 ELSE 1 END AS off
           FROM l LEFT JOIN work w ON w.p = l.zone
         )
         SELECT person,
           CAST(SUM(CASE WHEN what = 'page' THEN c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'page' THEN off * c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'page' THEN night * c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'acked' THEN c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'acked' THEN off * c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'note' THEN c ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'escalated' THEN c ELSE 0 END) AS BIGINT)
         FROM k GROUP BY person ORDER BY person"
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Int, Int, Int, Int, Int, Int, Int])
}

pub fn person_rows(rows: Vec<Vec<Cell>>) -> Vec<PersonRow> {
    rows.into_iter()
        .map(|r| PersonRow {
            person: r[0].text(),
            pages: r[1].n(),
            pages_off_hours: r[2].n(),
            night_interruptions: r[3].n(),
            acks: r[4].n(),
            acks_off_hours: r[5].n(),
            notes: r[6].n(),
            escalations: r[7].n(),
        })
        .collect()
}
