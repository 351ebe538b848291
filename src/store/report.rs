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

    /// Minute of the local day and day of the week (0 Sunday) of `t` shifted by `o` seconds.
    fn local(&self, t: &str, o: &str) -> (String, String) {
        match self.d {
            Dialect::Sqlite => {
                let m = format!("({o}) || ' seconds'");
                (
                    format!(
                        "(CAST(strftime('%H', {t}, {m}) AS INTEGER) * 60 + CAST(strftime('%M', {t}, {m}) AS INTEGER))"
                    ),
                    format!("CAST(strftime('%w', {t}, {m}) AS INTEGER)"),
                )
            }
            Dialect::Postgres => {
                let l = format!("(({t}) AT TIME ZONE 'UTC' + make_interval(secs => ({o})))");
                (
                    format!("CAST(EXTRACT(HOUR FROM {l}) * 60 + EXTRACT(MINUTE FROM {l}) AS BIGINT)"),
                    format!("CAST(EXTRACT(DOW FROM {l}) AS BIGINT)"),
                )
            }
        }
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

const NO_NEXT: &str = "9223372036854775807";
const HUMAN: &str = "'acked', 'unacked', 'note', 'escalated', 'severity-set', 'closed'";

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

/// Every incident that fired in the period, with what the reports need of it. `extra`
/// adds columns computed per incident.
fn incidents(b: &mut Builder, q: &ReportQuery, extra: &str) -> String {
    let since = b.bind(Param::Time(q.since));
    let until = b.bind(Param::Time(q.until));
    let within = |kinds: &str, agg: &str| {
        format!(
            "(SELECT {agg} FROM entries x WHERE x.kind IN ({kinds}) AND x.alert_key = f.alert_key
               AND x.id > f.id AND x.id < f.next_id)"
        )
    };
    let acked = within("'acked'", "MIN(x.at)");
    let resolved = within("'resolved'", "MIN(x.at)");
    let escalations = within("'escalated'", "COUNT(*)");
    let humans = within(HUMAN, "COUNT(*)");
    let raised = within("'severity-changed'", "MAX(x.level)");
    let mut sql = format!(
        "fired AS (
           SELECT e.id, e.alert_key, e.at, e.level,
             COALESCE((SELECT MIN(n.id) FROM entries n WHERE n.kind = 'seen' AND n.alert_key = e.alert_key
                         AND n.id > e.id), {NO_NEXT}) AS next_id
           FROM entries e WHERE e.kind = 'seen' AND e.at >= {since} AND e.at < {until}
         ),
         inc0 AS (
           SELECT f.id, f.alert_key, f.at AS fired_at, a.source, COALESCE(a.service, '') AS service, a.name,
             COALESCE(f.level, 2) AS seen_level, {raised} AS raised, {acked} AS acked_at,
             {resolved} AS resolved_at, {escalations} AS escalations, {humans} AS humans{extra}
           FROM fired f JOIN alerts a ON a.key = f.alert_key
         ),
         inc AS (
           SELECT inc0.*, CASE WHEN raised > seen_level THEN raised ELSE seen_level END AS sev FROM inc0
         )"
    );
    let cond = conditions(b, &q.matchers, "sev");
    let _ = write!(sql, ", m AS (SELECT * FROM inc WHERE 1 = 1{cond})");
    sql
}

/// Summary: one row per group (all, severity, source, service, week from `since`).
pub fn summary(d: Dialect, q: &ReportQuery) -> Query {
    let mut b = Builder::new(d);
    let inc = incidents(&mut b, q, "");
    let page = b.bind(Param::Int(severity_rank(q.page_severity)));
    let since = b.bind(Param::Time(q.since));
    let mtta = b.secs("fired_at", "acked_at");
    let mttr = b.secs("fired_at", "resolved_at");
    let week = match d {
        Dialect::Sqlite => "CAST((julianday(fired_at) - julianday(SINCE)) / 7.0 AS INTEGER)".replace("SINCE", &since),
        Dialect::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM (fired_at - {since})) / 604800) AS BIGINT)"),
    };
    let text = |e: &str| match d {
        Dialect::Sqlite => format!("CAST({e} AS TEXT)"),
        Dialect::Postgres => format!("CAST({e} AS TEXT)"),
    };
    let sev_t = text("sev");
    let week_t = text(&week);
    let sql = format!(
        "WITH {inc},
         t AS (
           SELECT sev, source, service, fired_at, escalations,
             CASE WHEN sev >= {page} THEN 1 ELSE 0 END AS page, {mtta} AS ta, {mttr} AS tr
           FROM m
         ),
         g AS (
           SELECT 'all' AS dim, '' AS grp, t.* FROM t
           UNION ALL SELECT 'severity', {sev_t}, t.* FROM t
           UNION ALL SELECT 'source', source, t.* FROM t
           UNION ALL SELECT 'service', service, t.* FROM t
           UNION ALL SELECT 'week', {week_t}, t.* FROM t
         ),
         r AS (
           SELECT g.*,
             ROW_NUMBER() OVER (PARTITION BY dim, grp, ta IS NULL ORDER BY ta) AS ra,
             COUNT(ta) OVER (PARTITION BY dim, grp) AS na,
             ROW_NUMBER() OVER (PARTITION BY dim, grp, tr IS NULL ORDER BY tr) AS rr,
             COUNT(tr) OVER (PARTITION BY dim, grp) AS nr
           FROM g
         )
         SELECT dim, grp, COUNT(*), CAST(SUM(page) AS BIGINT), COUNT(ta), COUNT(tr), CAST(SUM(escalations) AS BIGINT),
           MAX(CASE WHEN ta IS NOT NULL AND ra = (na + 1) / 2 THEN ta END),
           MAX(CASE WHEN ta IS NOT NULL AND ra = (9 * na + 9) / 10 THEN ta END),
           MAX(CASE WHEN tr IS NOT NULL AND rr = (nr + 1) / 2 THEN tr END),
           MAX(CASE WHEN tr IS NOT NULL AND rr = (9 * nr + 9) / 10 THEN tr END)
         FROM r GROUP BY dim, grp ORDER BY dim, grp"
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Text, Int, Int, Int, Int, Int, Int, Int, Int, Int])
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
            mtta_median: r[7].int(),
            mtta_p90: r[8].int(),
            mttr_median: r[9].int(),
            mttr_p90: r[10].int(),
        })
        .collect()
}

fn offsets_json(rows: &[(&str, &OffsetFrom)]) -> String {
    let v: Vec<serde_json::Value> =
        rows.iter().map(|(p, o)| serde_json::json!({"p": p, "s": ts(o.from), "o": o.offset_s})).collect();
    serde_json::Value::Array(v).to_string()
}

/// The offset in force at `t` for zone rows of person `p` (a column or a literal).
fn offset_at(zones: &str, p: &str, t: &str) -> String {
    format!("COALESCE((SELECT z.o FROM {zones} z WHERE z.p = {p} AND z.s <= {t} ORDER BY z.s DESC LIMIT 1), 0)")
}

/// Noise: one row per alert name and service. `zone`: the team's offsets, for night
/// (22:00–07:00) and weekend (Saturday, Sunday) firings.
pub fn noise(d: Dialect, q: &ReportQuery, flap_within_s: i64, zone: &[OffsetFrom]) -> Query {
    let mut b = Builder::new(d);
    let prev = "(SELECT MAX(x.at) FROM entries x WHERE x.kind = 'resolved' AND x.alert_key = f.alert_key
                  AND x.id < f.id) AS prev_resolved";
    let inc = incidents(&mut b, q, &format!(", {prev}"));
    let rows: Vec<(&str, &OffsetFrom)> = zone.iter().map(|o| ("", o)).collect();
    let zones = b.json_table(offsets_json(&rows), &[("p", "text"), ("s", "timestamptz"), ("o", "bigint")]);
    let flap = b.bind(Param::Int(flap_within_s));
    let gap = b.secs("prev_resolved", "fired_at");
    let tr = b.secs("fired_at", "resolved_at");
    let offset = offset_at("zones", "''", "m.fired_at");
    let (minute, dow) = b.local("fired_at", "o");
    let sql = format!(
        "WITH zones AS ({zones}), {inc},
         t AS (
           SELECT name, service,
             CASE WHEN resolved_at IS NOT NULL AND humans = 0 THEN 1 ELSE 0 END AS auto,
             CASE WHEN resolved_at IS NOT NULL AND humans = 0 THEN {tr} END AS auto_s,
             CASE WHEN prev_resolved IS NOT NULL AND {gap} <= {flap} THEN 1 ELSE 0 END AS flap,
             CASE WHEN acked_at IS NULL THEN 1 ELSE 0 END AS never,
             fired_at, {offset} AS o
           FROM m
         ),
         l AS (SELECT t.*, {minute} AS mi, {dow} AS dw FROM t),
         k AS (
           SELECT l.*,
             CASE WHEN mi >= 1320 OR mi < 420 THEN 1 ELSE 0 END AS night,
             CASE WHEN dw IN (0, 6) THEN 1 ELSE 0 END AS weekend
           FROM l
         ),
         r AS (
           SELECT k.*,
             ROW_NUMBER() OVER (PARTITION BY name, service, auto_s IS NULL ORDER BY auto_s) AS ra,
             COUNT(auto_s) OVER (PARTITION BY name, service) AS na
           FROM k
         )
         SELECT name, service, COUNT(*), CAST(SUM(auto) AS BIGINT),
           MAX(CASE WHEN auto_s IS NOT NULL AND ra = (na + 1) / 2 THEN auto_s END),
           CAST(SUM(flap) AS BIGINT), CAST(SUM(never) AS BIGINT), CAST(SUM(night) AS BIGINT), CAST(SUM(weekend) AS BIGINT),
           CAST(SUM(CASE WHEN night = 1 OR weekend = 1 THEN 1 ELSE 0 END) AS BIGINT)
         FROM r GROUP BY name, service ORDER BY name, service"
    );
    use Col::{Int, Text};
    b.done(sql, vec![Text, Text, Int, Int, Int, Int, Int, Int, Int, Int])
}

pub fn noise_rows(rows: Vec<Vec<Cell>>) -> Vec<NoiseRow> {
    rows.into_iter()
        .map(|r| NoiseRow {
            name: r[0].text(),
            service: r[1].text(),
            count: r[2].n(),
            auto_resolved: r[3].n(),
            auto_resolve_median: r[4].int(),
            flaps: r[5].n(),
            never_acked: r[6].n(),
            night: r[7].n(),
            weekend: r[8].n(),
            off_hours: r[9].n(),
        })
        .collect()
}

/// On call: one row per person. Pages are the page-severity incidents that fired while
/// the person held level 1, and escalations to a level while they held it; acks, notes
/// and escalations are the person's own entries (their actor, or any of its aliases).
pub fn oncall(d: Dialect, q: &ReportQuery, inputs: &OncallInputs) -> Query {
    let mut b = Builder::new(d);
    let inc = incidents(&mut b, q, "");
    let page = b.bind(Param::Int(severity_rank(q.page_severity)));
    let since = b.bind(Param::Time(q.since));
    let until = b.bind(Param::Time(q.until));
    let aliases: Vec<serde_json::Value> =
        inputs.aliases.iter().map(|(a, p)| serde_json::json!({"a": a, "p": p})).collect();
    let aliases = b.json_table(serde_json::Value::Array(aliases).to_string(), &[("a", "text"), ("p", "text")]);
    let shifts: Vec<serde_json::Value> = inputs
        .shifts
        .iter()
        .map(|s| serde_json::json!({"p": s.person, "l": s.level, "s": ts(s.start), "e": ts(s.end)}))
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
    let zones = b.json_table(offsets_json(&zone_rows), &[("p", "text"), ("s", "timestamptz"), ("o", "bigint")]);
    let sev_alert = severity_rank_of("a.severity");
    // Escalations carry the alert's matchers too (severity: the alert's current one).
    let esc_cond = {
        let esc_matchers: Vec<Matcher> = q.matchers.clone();
        conditions(&mut b, &esc_matchers, "sev")
    };
    let offset = offset_at("zones", "ev.zone", "ev.at");
    let (minute, dow) = b.local("at", "o");
    let day_in = b.day_in("dw", "w.d");
    let sql = format!(
        "WITH aliases AS ({aliases}), shifts AS ({shifts}), work AS ({work}), zones AS ({zones}), {inc},
         acts0 AS (
           SELECT x.actor, x.kind, x.at, x.level, x.alert_key, a.source, COALESCE(a.service, '') AS service,
             a.name, {sev_alert} AS sev
           FROM entries x JOIN alerts a ON a.key = x.alert_key
           WHERE x.kind IN ('acked', 'note', 'escalated') AND x.at >= {since} AND x.at < {until}
         ),
         acts AS (SELECT * FROM acts0 WHERE 1 = 1{esc_cond}),
         pages AS (
           SELECT fired_at AS at, 1 AS level FROM m WHERE sev >= {page}
           UNION ALL SELECT at, level FROM acts WHERE kind = 'escalated' AND level IS NOT NULL
         ),
         ev0 AS (
           SELECT s.p AS person, 'page' AS what, pages.at FROM pages
             JOIN shifts s ON s.l = pages.level AND pages.at >= s.s AND pages.at < s.e
           UNION ALL
           SELECT COALESCE(al.p, acts.actor), acts.kind, acts.at FROM acts
             LEFT JOIN aliases al ON al.a = LOWER(acts.actor)
         ),
         ev AS (
           SELECT ev0.*, CASE WHEN EXISTS (SELECT 1 FROM work w WHERE w.p = ev0.person) THEN ev0.person ELSE '' END
             AS zone
           FROM ev0
         ),
         lo AS (SELECT ev.*, {offset} AS o FROM ev),
         l AS (SELECT lo.*, {minute} AS mi, {dow} AS dw FROM lo),
         k AS (
           SELECT l.person, l.what,
             CASE WHEN mi >= 1320 OR mi < 420 THEN 1 ELSE 0 END AS night,
             CASE WHEN EXISTS (SELECT 1 FROM work w WHERE w.p = l.zone AND {day_in} AND mi >= w.ws AND mi < w.we)
               THEN 0 ELSE 1 END AS off
           FROM l
         )
         SELECT person,
           CAST(SUM(CASE WHEN what = 'page' THEN 1 ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'page' THEN off ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'page' THEN night ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'acked' THEN 1 ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'acked' THEN off ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'note' THEN 1 ELSE 0 END) AS BIGINT),
           CAST(SUM(CASE WHEN what = 'escalated' THEN 1 ELSE 0 END) AS BIGINT)
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
