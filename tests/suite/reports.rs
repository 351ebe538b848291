//! Reports against a history with known answers, on SQLite and on a real PostgreSQL: alerts
//! fired, acknowledged, escalated and resolved at chosen times by three people (one known
//! by two other names) across Europe's DST change on 2026-03-29, one alert flapping and
//! resolving on its own, one raised to disaster while open, one never acknowledged. Every
//! figure of the three reports is asserted; the expected values are worked out by hand in
//! the comments beside them. Bad input goes through the real binary.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::Sandbox;
use common::postgres::Postgres;
use klaxon::model::{Alert, AlertKey, EntryKind, NewEntry, Severity, Status};
use klaxon::people::People;
use klaxon::report::noise::{Action, NoisyAlert};
use klaxon::report::oncall::{PersonReport, ScheduleShifts};
use klaxon::report::summary::{Percentiles, Stats};
use klaxon::report::{self, MatchField, MatchOp, Matcher, ReportQuery};
use klaxon::store::{PgStore, SqliteStore, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn t(mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, mo, d, h, mi, 0).unwrap()
}

/// Two weeks from Monday 2026-03-23; Berlin moves from +01:00 to +02:00 at 2026-03-29 01:00Z.
fn since() -> DateTime<Utc> {
    t(3, 23, 0, 0)
}
fn until() -> DateTime<Utc> {
    t(4, 6, 0, 0)
}

const CONFIG: &str = r#"
[[people]]
name = "alice"
aliases = ["alice@example.com", "aschmidt"]
time_zone = "Europe/Berlin"
working_hours = "09:00-17:00"

[[people]]
name = "bob"
time_zone = "America/New_York"
working_hours = "08:00-16:00"
working_days = ["mon", "tue", "wed", "thu", "fri"]

# alice and bob take weeks, handing over Mondays 09:00 Berlin time; carol covers one night.
[[schedules]]
name = "primary"
kind = "rotation"
level = 1
participants = ["alice", "bob"]
start = "2026-03-16"
shift = "7d"
handoff = "09:00"
time_zone = "Europe/Berlin"
overrides = [{ person = "carol", start = "2026-04-01T18:00", end = "2026-04-02T09:00" }]

[[schedules]]
name = "secondary"
kind = "rotation"
level = 2
participants = ["carol"]
start = "2026-03-02"
shift = "7d"
time_zone = "UTC"
"#;

fn alert(key: &str, name: &str, service: Option<&str>, sev: Severity, at: DateTime<Utc>) -> Alert {
    let key = AlertKey::parse(key).unwrap();
    Alert {
        key,
        title: format!("{name} is firing"),
        severity: sev,
        status: Status::Firing,
        started_at: at,
        updated_at: at,
        labels: [("alertname".to_string(), name.to_string())].into(),
        annotations: Default::default(),
        host: None,
        service: service.map(str::to_owned),
        links: vec![],
        source_acks: vec![],
        suppression: None,
        guessed: Default::default(),
    }
}

/// Plays snapshots into the store as a source's poller would: each `observe` carries every
/// alert of that source open at that moment.
struct History<'a> {
    store: &'a dyn Store,
    open: BTreeMap<String, BTreeMap<String, Alert>>,
}

impl History<'_> {
    fn snapshot(&mut self, source: &str, at: DateTime<Utc>) {
        let alerts: Vec<Alert> = self.open.get(source).map(|m| m.values().cloned().collect()).unwrap_or_default();
        self.store.observe(source, &alerts, at).unwrap();
    }
    fn fire(&mut self, a: Alert, at: DateTime<Utc>) {
        let source = a.key.source().to_owned();
        self.open.entry(source.clone()).or_default().insert(a.key.to_string(), a);
        self.snapshot(&source, at);
    }
    fn raise(&mut self, key: &str, sev: Severity, at: DateTime<Utc>) {
        let source = key.split('/').next().unwrap().to_owned();
        self.open.get_mut(&source).unwrap().get_mut(key).unwrap().severity = sev;
        self.snapshot(&source, at);
    }
    fn resolve(&mut self, key: &str, at: DateTime<Utc>) {
        let source = key.split('/').next().unwrap().to_owned();
        self.open.get_mut(&source).unwrap().remove(key);
        self.snapshot(&source, at);
    }
    fn act(&self, key: &str, kind: EntryKind, actor: &str, at: DateTime<Utc>, level: Option<i64>) {
        let mut e = NewEntry::new(AlertKey::parse(key).unwrap(), kind, actor, "");
        e.at = at;
        e.level = level;
        self.store.append(&e).unwrap();
    }
}

const DISK: &str = "prod/disk";
const CPU: &str = "prod/cpu";
const LATENCY: &str = "prod/latency";
const HEARTBEAT: &str = "zbx/heartbeat";

fn build_history(store: &dyn Store) {
    use EntryKind::*;
    let mut h = History { store, open: BTreeMap::new() };
    let disk = |at| alert(DISK, "DiskFull", Some("db"), Severity::High, at);
    // Previous period: one page, acked in 20 min by bob, resolved in 2 h.
    h.fire(disk(t(3, 20, 10, 0)), t(3, 20, 10, 0));
    h.act(DISK, Acked, "bob", t(3, 20, 10, 20), None);
    h.resolve(DISK, t(3, 20, 12, 0));
    // A1, Monday 13:00Z (bob on level 1, 09:00 in New York): acked in 5 min, resolved in 1 h.
    h.fire(disk(t(3, 23, 13, 0)), t(3, 23, 13, 0));
    h.act(DISK, Acked, "bob", t(3, 23, 13, 5), None);
    h.resolve(DISK, t(3, 23, 14, 0));
    // B1..B3, Tuesday noon: CPUHigh flaps (fires again 8 and 7 min after resolving), resolving
    // on its own in 2, 3 and 5 min; nobody touches it.
    let cpu = |at| alert(CPU, "CPUHigh", Some("api"), Severity::Warning, at);
    h.fire(cpu(t(3, 24, 12, 0)), t(3, 24, 12, 0));
    h.resolve(CPU, t(3, 24, 12, 2));
    h.fire(cpu(t(3, 24, 12, 10)), t(3, 24, 12, 10));
    h.resolve(CPU, t(3, 24, 12, 13));
    h.fire(cpu(t(3, 24, 12, 20)), t(3, 24, 12, 20));
    h.resolve(CPU, t(3, 24, 12, 25));
    // A2, Saturday 03:00Z (23:00 Friday for bob): acked in 10 min, escalated to carol on
    // level 2 at 03:20, resolved in 1 h.
    h.fire(disk(t(3, 28, 3, 0)), t(3, 28, 3, 0));
    h.act(DISK, Acked, "bob", t(3, 28, 3, 10), None);
    h.act(DISK, Escalated, "bob", t(3, 28, 3, 20), Some(2));
    h.resolve(DISK, t(3, 28, 4, 0));
    // B4, Sunday 23:30Z (weekend night in UTC, but 01:30 Monday in Berlin): 1 min.
    h.fire(cpu(t(3, 29, 23, 30)), t(3, 29, 23, 30));
    h.resolve(CPU, t(3, 29, 23, 31));
    // A3, Tuesday 02:00Z (04:00 in Berlin, now +02:00; alice on level 1): acked in 30 min
    // under her PagerDuty name, resolved in 3 h.
    h.fire(disk(t(3, 31, 2, 0)), t(3, 31, 2, 0));
    h.act(DISK, Acked, "alice@example.com", t(3, 31, 2, 30), None);
    h.resolve(DISK, t(3, 31, 5, 0));
    // C1, Wednesday 20:00Z (22:00 in Berlin; carol covers level 1): average, raised to
    // disaster at 20:30, acked in 40 min, a note, resolved in 1 h.
    h.fire(alert(LATENCY, "LatencyHigh", Some("api"), Severity::Average, t(4, 1, 20, 0)), t(4, 1, 20, 0));
    h.raise(LATENCY, Severity::Disaster, t(4, 1, 20, 30));
    h.act(LATENCY, Acked, "carol", t(4, 1, 20, 40), None);
    h.act(LATENCY, Note, "carol", t(4, 1, 20, 45), None);
    h.resolve(LATENCY, t(4, 1, 21, 0));
    // D1, Thursday 09:00Z: information from another source, no service; alice notes it
    // under her Zabbix name; never acknowledged, still open.
    h.fire(alert(HEARTBEAT, "Heartbeat", None, Severity::Information, t(4, 2, 9, 0)), t(4, 2, 9, 0));
    h.act(HEARTBEAT, Note, "aschmidt", t(4, 2, 9, 30), None);
    // After the period: not counted anywhere.
    h.fire(disk(t(4, 6, 1, 0)), t(4, 6, 1, 0));
    h.act(DISK, Acked, "bob", t(4, 6, 1, 1), None);
}

fn query(matchers: Vec<Matcher>) -> ReportQuery {
    ReportQuery { since: since(), until: until(), page_severity: Severity::High, matchers }
}

fn p(median: Option<i64>, p90: Option<i64>) -> Percentiles {
    Percentiles { median, p90 }
}

#[allow(clippy::too_many_arguments)]
fn stats(
    alerts: i64,
    pages: i64,
    acknowledged: i64,
    resolved: i64,
    escalations: i64,
    mtta: Percentiles,
    mttr: Percentiles,
) -> Stats {
    Stats { alerts, pages, acknowledged, resolved, escalations, mtta_s: mtta, mttr_s: mttr }
}

fn check_summary(store: &dyn Store) {
    let s = report::summary::summary(store, &query(vec![])).unwrap();
    // 9 firings: DiskFull ×3, CPUHigh ×4, LatencyHigh, Heartbeat. Pages (high and above):
    // the three DiskFull and LatencyHigh (raised to disaster). MTTA 300, 600, 1800, 2400:
    // median (2nd) 600, p90 (4th) 2400. MTTR 60 120 180 300 3600 3600 3600 10800: median
    // (4th) 300, p90 (8th) 10800.
    assert_eq!(s.total, stats(9, 4, 4, 8, 1, p(Some(600), Some(2400)), p(Some(300), Some(10800))));
    assert_eq!(
        s.by_severity,
        BTreeMap::from([
            ("high".into(), stats(3, 3, 3, 3, 1, p(Some(600), Some(1800)), p(Some(3600), Some(10800)))),
            ("warning".into(), stats(4, 0, 0, 4, 0, p(None, None), p(Some(120), Some(300)))),
            ("disaster".into(), stats(1, 1, 1, 1, 0, p(Some(2400), Some(2400)), p(Some(3600), Some(3600)))),
            ("information".into(), stats(1, 0, 0, 0, 0, p(None, None), p(None, None))),
        ])
    );
    assert_eq!(
        s.by_source,
        BTreeMap::from([
            ("prod".into(), stats(8, 4, 4, 8, 1, p(Some(600), Some(2400)), p(Some(300), Some(10800)))),
            ("zbx".into(), stats(1, 0, 0, 0, 0, p(None, None), p(None, None))),
        ])
    );
    assert_eq!(
        s.by_service,
        BTreeMap::from([
            ("db".into(), stats(3, 3, 3, 3, 1, p(Some(600), Some(1800)), p(Some(3600), Some(10800)))),
            // MTTR 60 120 180 300 3600: median (3rd) 180, p90 (5th) 3600.
            ("api".into(), stats(5, 1, 1, 5, 0, p(Some(2400), Some(2400)), p(Some(180), Some(3600)))),
            ("(none)".into(), stats(1, 0, 0, 0, 0, p(None, None), p(None, None))),
        ])
    );
    assert_eq!(s.weeks.len(), 2);
    assert_eq!((s.weeks[0].start, s.weeks[1].start), (since(), t(3, 30, 0, 0)));
    // Week 1: A1, A2, B1-B4. MTTA 300, 600; MTTR 60 120 180 300 3600 3600.
    assert_eq!(s.weeks[0].stats, stats(6, 2, 2, 6, 1, p(Some(300), Some(600)), p(Some(180), Some(3600))));
    // Week 2: A3, C1, D1 (open).
    assert_eq!(s.weeks[1].stats, stats(3, 2, 2, 2, 0, p(Some(1800), Some(2400)), p(Some(3600), Some(10800))));
    // The two weeks before: one page, acked in 20 min, resolved in 2 h.
    assert_eq!((s.previous.since, s.previous.until), (t(3, 9, 0, 0), since()));
    assert_eq!(s.previous.stats, stats(1, 1, 1, 1, 0, p(Some(1200), Some(1200)), p(Some(7200), Some(7200))));
    let c = &s.change;
    assert_eq!((c.alerts, c.pages, c.acknowledged, c.resolved, c.escalations), (8, 3, 3, 7, 1));
    assert_eq!((c.mtta_median_s, c.mttr_median_s), (Some(-600), Some(-6900)));

    // Matchers narrow every figure: the db service alone, and pages alone.
    let db = report::summary::summary(store, &query(vec![m(MatchField::Service, MatchOp::Eq, "db")])).unwrap();
    assert_eq!(db.total, stats(3, 3, 3, 3, 1, p(Some(600), Some(1800)), p(Some(3600), Some(10800))));
    let pages = report::summary::summary(store, &query(vec![m(MatchField::Severity, MatchOp::Ge, "high")])).unwrap();
    assert_eq!(pages.total, stats(4, 4, 4, 4, 1, p(Some(600), Some(2400)), p(Some(3600), Some(10800))));
    let not_cpu = report::summary::summary(store, &query(vec![m(MatchField::Name, MatchOp::Ne, "CPUHigh")])).unwrap();
    assert_eq!(not_cpu.total.alerts, 5);
}

fn m(field: MatchField, op: MatchOp, value: &str) -> Matcher {
    Matcher { field, op, value: value.into() }
}

#[allow(clippy::too_many_arguments)]
fn noisy(
    name: &str,
    service: Option<&str>,
    count: i64,
    auto: i64,
    share: f64,
    median: Option<i64>,
    flaps: i64,
    never: i64,
    night: i64,
    weekend: i64,
    score: i64,
    action: Action,
) -> NoisyAlert {
    NoisyAlert {
        name: name.into(),
        service: service.map(str::to_owned),
        count,
        auto_resolved: auto,
        auto_resolved_share: share,
        auto_resolve_median_s: median,
        flaps,
        never_acknowledged: never,
        night,
        weekend,
        score,
        action,
    }
}

fn check_noise(store: &dyn Store) {
    let n = report::noise::noise(store, &query(vec![]), 15 * 60, chrono_tz::UTC).unwrap();
    assert_eq!(n.time_zone, "UTC");
    assert_eq!(
        n.alerts,
        vec![
            // 4 self-resolved (median of 60 120 180 300: 120), 2 flaps, 4 never acked, B4 at
            // night on a Sunday: 4 + 2 + 4 + 1.
            noisy("CPUHigh", Some("api"), 4, 4, 1.0, Some(120), 2, 4, 1, 1, 11, Action::Delete),
            // A2 (03:00 Saturday) and A3 (02:00) at night.
            noisy("DiskFull", Some("db"), 3, 0, 0.0, None, 0, 0, 2, 1, 2, Action::Keep),
            noisy("Heartbeat", None, 1, 0, 0.0, None, 0, 1, 0, 0, 1, Action::Ticket),
            noisy("LatencyHigh", Some("api"), 1, 0, 0.0, None, 0, 0, 0, 0, 0, Action::Keep),
        ]
    );
    // In Berlin, after the change to +02:00: B4 is 01:30 on Monday (night, no weekend) and
    // C1 is 22:00 (night; at +01:00 it would be 21:00).
    let n = report::noise::noise(store, &query(vec![]), 15 * 60, chrono_tz::Europe::Berlin).unwrap();
    assert_eq!(
        n.alerts,
        vec![
            noisy("CPUHigh", Some("api"), 4, 4, 1.0, Some(120), 2, 4, 1, 0, 11, Action::Delete),
            noisy("DiskFull", Some("db"), 3, 0, 0.0, None, 0, 0, 2, 1, 2, Action::Keep),
            noisy("Heartbeat", None, 1, 0, 0.0, None, 0, 1, 0, 0, 1, Action::Ticket),
            noisy("LatencyHigh", Some("api"), 1, 0, 0.0, None, 0, 0, 1, 0, 1, Action::Keep),
        ]
    );
    // A flap window shorter than 7 min: no flaps, and CPUHigh no longer "raise for:" by flapping.
    let n = report::noise::noise(store, &query(vec![]), 5 * 60, chrono_tz::UTC).unwrap();
    assert_eq!((n.alerts[0].name.as_str(), n.alerts[0].flaps, n.alerts[0].score), ("CPUHigh", 0, 9));
}

fn shifts(config: &klaxon::settings::Config) -> Vec<ScheduleShifts> {
    let schedules: Vec<_> = config
        .schedules
        .iter()
        .map(|c| (c.clone(), Arc::from(klaxon::oncall::build(c).unwrap())))
        .collect::<Vec<(klaxon::oncall::ScheduleConfig, Arc<dyn klaxon::oncall::ScheduleSource>)>>(
    );
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (got, skipped) = rt.block_on(report::oncall::gather_shifts(&schedules, since(), until()));
    assert!(skipped.is_empty(), "{skipped:?}");
    got
}

#[allow(clippy::too_many_arguments)]
fn person(
    name: &str,
    hours: &[(&str, f64)],
    pages: i64,
    pages_outside_hours: i64,
    night_interruptions: i64,
    acks: i64,
    acks_outside_hours: i64,
    notes: i64,
    escalations: i64,
) -> PersonReport {
    PersonReport {
        person: name.into(),
        hours_on_call: hours.iter().map(|(l, h)| (l.to_string(), *h)).collect(),
        pages,
        pages_outside_hours,
        night_interruptions,
        acks,
        acks_outside_hours,
        notes,
        escalations,
    }
}

fn check_oncall(store: &dyn Store) {
    let config = klaxon::settings::parse(CONFIG, "klaxon.toml").unwrap();
    let people = People::new(&config.people);
    let r = report::oncall::oncall(store, &query(vec![]), &people, &shifts(&config), vec![]).unwrap();
    assert_eq!(
        r.people,
        vec![
            // Level 1: 00:00-08:00Z on 03-23 (8 h), then from 03-30 07:00Z (09:00 Berlin after
            // the change) to the end (161 h), less carol's 15 h override: 154 h. Paged for A3 at
            // 04:00 her time (outside hours, night); acked it as alice@example.com (outside
            // hours); a note as aschmidt.
            person("alice", &[("1", 154.0)], 1, 1, 1, 1, 1, 1, 0),
            // Level 1 from 03-23 08:00Z to 03-30 07:00Z: a week one hour short (167 h). Paged for
            // A1 (09:00 New York, in hours) and A2 (23:00 Friday: outside, night); both acked,
            // A2's ack outside hours; escalated A2.
            person("bob", &[("1", 167.0)], 2, 1, 1, 2, 1, 0, 1),
            // No [[people]] entry: UTC, 09:00-17:00 Monday-Friday. Level 2 all period (336 h),
            // level 1 for the override (16:00Z-07:00Z, 15 h). Paged by A2's escalation (03:20
            // Saturday: outside, night) and for C1 (20:00 Wednesday: outside, not night).
            person("carol", &[("1", 15.0), ("2", 336.0)], 2, 2, 1, 1, 1, 1, 0),
        ]
    );
    assert!(r.schedules_skipped.is_empty());
    // Only the api service: C1 (carol's page, ack, note) is left.
    let api = report::oncall::oncall(
        store,
        &query(vec![m(MatchField::Service, MatchOp::Eq, "api")]),
        &people,
        &shifts(&config),
        vec![],
    )
    .unwrap();
    let carol = api.people.iter().find(|p| p.person == "carol").unwrap();
    assert_eq!((carol.pages, carol.acks, carol.notes), (1, 1, 1));
    assert!(api.people.iter().filter(|p| p.person != "carol").all(|p| p.pages + p.acks + p.notes + p.escalations == 0));
}

fn check_all(store: &dyn Store) {
    build_history(store);
    check_summary(store);
    check_noise(store);
    check_oncall(store);
}

#[test]
fn known_history_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
    check_all(&store);
}

#[test]
fn known_history_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = PgStore::open(&pg.url("postgres"), None, &dir.path().join("spool.db")).unwrap();
    check_all(&store);
}

/// Kathmandu is +05:45 and ravi starts work at 09:10; dan's override begins at 10:07 UTC: the
/// on-call report counts actions per bucket only as long as every such boundary is one (here
/// one minute), so a second either side of each still lands on its own side.
const OFF_QUARTER: &str = r#"
[[people]]
name = "ravi"
time_zone = "Asia/Kathmandu"
working_hours = "09:10-17:00"

[[schedules]]
name = "primary"
kind = "rotation"
level = 1
participants = ["ravi"]
start = "2026-03-02"
shift = "7d"
time_zone = "UTC"
overrides = [{ person = "dan", start = "2026-03-25T10:07", end = "2026-03-25T11:00" }]
"#;

fn check_off_the_quarter_hour(store: &dyn Store) {
    use EntryKind::Acked;
    let mut h = History { store, open: BTreeMap::new() };
    let at = |d, hh, mm, ss| Utc.with_ymd_and_hms(2026, 3, d, hh, mm, ss).unwrap();
    let page = |key: &str, when| alert(key, "Edge", None, Severity::High, when);
    // Tuesday 09:09:30 in Kathmandu: before work, after night.
    h.fire(page("prod/p1", at(24, 3, 24, 30)), at(24, 3, 24, 30));
    // Acked at 09:10:00 sharp: in hours.
    h.act("prod/p1", Acked, "ravi", at(24, 3, 25, 0), None);
    // A second before dan's override (ravi, 15:51:59 his time) and at its start (dan, UTC).
    h.fire(page("prod/p2", at(25, 10, 6, 59)), at(25, 10, 6, 59));
    h.fire(page("prod/p3", at(25, 10, 7, 0)), at(25, 10, 7, 0));
    // Acks at 16:59:59 (in hours) and 17:00:00 (out).
    h.act("prod/p2", Acked, "ravi", at(25, 11, 14, 59), None);
    h.act("prod/p2", Acked, "ravi", at(25, 11, 15, 0), None);
    // Thursday 06:59:59 (night) and 07:00:00 (not), both before work.
    h.fire(page("prod/p4", at(26, 1, 14, 59)), at(26, 1, 14, 59));
    h.fire(page("prod/p5", at(26, 1, 15, 0)), at(26, 1, 15, 0));
    let config = klaxon::settings::parse(OFF_QUARTER, "klaxon.toml").unwrap();
    let r =
        report::oncall::oncall(store, &query(vec![]), &People::new(&config.people), &shifts(&config), vec![]).unwrap();
    let counts: Vec<_> = r
        .people
        .iter()
        .map(|p| {
            let n = (p.pages, p.pages_outside_hours, p.night_interruptions, p.acks, p.acks_outside_hours);
            (p.person.as_str(), n)
        })
        .collect();
    // ravi: pages p1 (out), p2 (in), p4 (out, night), p5 (out); acks in, in, out. dan: p3, in
    // hours (no [[people]] entry: UTC, 09:00-17:00 on weekdays).
    assert_eq!(counts, vec![("dan", (1, 0, 0, 0, 0)), ("ravi", (4, 3, 1, 3, 1))]);
}

#[test]
fn boundaries_off_the_quarter_hour_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_off_the_quarter_hour(&SqliteStore::open(&dir.path().join("k.db")).unwrap());
}

#[test]
fn boundaries_off_the_quarter_hour_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    check_off_the_quarter_hour(&PgStore::open(&pg.url("postgres"), None, &dir.path().join("spool.db")).unwrap());
}

/// The incidents as rows of text, in id order: what the reports read.
const INCIDENT_COLS: &str = "id, alert_key, source, service, name, fired_at, sev, acked_at, resolved_at, escalations, \
                             humans, prev_resolved, tta, ttr, auto_s";

fn sqlite_incidents(c: &rusqlite::Connection) -> Vec<String> {
    let sql = format!("SELECT json_array({INCIDENT_COLS}) FROM incidents ORDER BY id");
    let mut st = c.prepare(&sql).unwrap();
    st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn pg_incidents(c: &mut postgres::Client) -> Vec<String> {
    let sql = format!("SELECT CAST(json_build_array({INCIDENT_COLS}) AS text) FROM incidents ORDER BY id");
    c.query(&sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

/// What the triggers keep as entries are written must be what the backfill migration
/// derives from the same entries (for a store written before incidents were kept).
fn assert_backfill_agrees(live: &[String], backfilled: &[String]) {
    // 11 firings in the history; the flapping ones carry the resolve before them.
    assert_eq!(live.len(), 11, "{live:#?}");
    assert!(live.iter().any(|r| r.contains("\"prod/cpu\"") && r.contains("2026-03-24T12:02")), "{live:#?}");
    assert_eq!(live, backfilled);
}

#[test]
fn incidents_written_live_equal_the_backfill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    build_history(&SqliteStore::open(&path).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    let live = sqlite_incidents(&c);
    c.execute_batch("DELETE FROM incidents").unwrap();
    c.execute_batch(include_str!("../../src/store/migrations/0006_incidents_backfill.sql")).unwrap();
    assert_backfill_agrees(&live, &sqlite_incidents(&c));
}

#[test]
fn incidents_written_live_equal_the_backfill_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    build_history(&PgStore::open(&url, None, &dir.path().join("spool.db")).unwrap());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let live = pg_incidents(&mut c);
    c.batch_execute("DELETE FROM incidents").unwrap();
    c.batch_execute(include_str!("../../src/store/migrations/postgres/0004_incidents_backfill.sql")).unwrap();
    assert_backfill_agrees(&live, &pg_incidents(&mut c));
}

#[test]
fn an_empty_store_reports_zeros_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
    let s = report::summary::summary(&store, &query(vec![])).unwrap();
    assert_eq!(s.total, Stats::default());
    assert_eq!(s.weeks.len(), 2);
    assert!(report::noise::noise(&store, &query(vec![]), 900, chrono_tz::UTC).unwrap().alerts.is_empty());
}

/// A config in a sandbox whose SQLite store holds the known history.
fn sandbox_with_history(extra: &str) -> (Sandbox, std::path::PathBuf) {
    let sb = Sandbox::new();
    let db = sb.path("team.db");
    let config = sb.path("klaxon.toml");
    std::fs::write(&config, format!("[store]\npath = {:?}\n{extra}\n{CONFIG}", db.display().to_string())).unwrap();
    build_history(&SqliteStore::open(&db).unwrap());
    (sb, config)
}

#[test]
fn the_binary_prints_each_format() {
    let (sb, config) = sandbox_with_history("");
    let run = |args: &[&str]| {
        let out = sb.klaxon().arg("--config").arg(&config).args(["report"]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let period = ["--since", "2026-03-23", "--until", "2026-04-06"];
    let json: serde_json::Value =
        serde_json::from_str(&run(&[&["summary", "--format", "json"][..], &period].concat())).unwrap();
    assert_eq!(json["since"], "2026-03-23T00:00:00Z");
    assert_eq!((json["alerts"].as_i64(), json["pages"].as_i64()), (Some(9), Some(4)));
    assert_eq!(json["mtta_s"], serde_json::json!({"median": 600, "p90": 2400}));
    assert_eq!(json["mttr_s"], serde_json::json!({"median": 300, "p90": 10800}));
    assert_eq!(json["by_service"]["db"]["alerts"], 3);
    assert_eq!(json["weeks"][1]["start"], "2026-03-30T00:00:00Z");
    assert_eq!(json["change"]["mtta_median_s"], -600);

    let csv = run(&[&["oncall", "--format", "csv"][..], &period].concat());
    assert_eq!(
        csv,
        "person,hours_level_1,hours_level_2,hours_total,pages,pages_outside_hours,night_interruptions,acks,\
         acks_outside_hours,notes,escalations\n\
         alice,154.00,0.00,154.00,1,1,1,1,1,1,0\n\
         bob,167.00,0.00,167.00,2,1,1,2,1,0,1\n\
         carol,15.00,336.00,351.00,2,2,1,1,1,1,0\n"
    );
    let table = run(&[&["noise", "--time-zone", "Europe/Berlin"][..], &period].concat());
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].contains("night 22:00-07:00 and weekend in Europe/Berlin"), "{table}");
    assert!(lines[2].contains("CPUHigh") && lines[2].trim_end().ends_with("delete"), "{table}");
    assert!(lines[4].contains("Heartbeat") && lines[4].trim_end().ends_with("route to a ticket queue"), "{table}");
    let md = run(&[&["summary", "--format", "markdown", "service=db"][..], &period].concat());
    assert!(md.contains("| this period | 3 | 3 | 3 | 3 | 1 | 10m00s | 30m00s | 1h00m | 3h00m |"), "{md}");
}

fn fails(sb: &Sandbox, config: &std::path::Path, args: &[&str]) -> String {
    let out = sb.klaxon().arg("--config").arg(config).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} exits 2: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn bad_input_is_named() {
    let (sb, config) = sandbox_with_history("");
    let err = fails(&sb, &config, &["report", "summary", "--since", "2026-03-10", "--until", "2026-03-01"]);
    assert_eq!(
        err.trim(),
        "klaxon: --since 2026-03-10 (2026-03-10T00:00:00Z) is not before --until 2026-03-01 \
         (2026-03-01T00:00:00Z): the period would be empty"
    );
    let err = fails(&sb, &config, &["report", "noise", "team=db"]);
    assert_eq!(
        err.trim(),
        "klaxon: unknown matcher field \"team\" in \"team=db\": a report matches on source, service, name \
         (or alertname), key, severity"
    );
    let err = fails(&sb, &config, &["report", "oncall", "--since", "yesterday-ish"]);
    assert!(err.contains("--since: \"yesterday-ish\" is not"), "{err}");

    // A person in two [[people]] entries: the file, the line and the name.
    let twice = sb.path("twice.toml");
    std::fs::write(
        &twice,
        "[[people]]\nname = \"alice\"\naliases = [\"aschmidt\"]\n\n[[people]]\nname = \"anna\"\naliases = [\"ASchmidt\"]\n",
    )
    .unwrap();
    let err = fails(&sb, &twice, &["report", "summary"]);
    assert_eq!(
        err.trim(),
        format!(
            "klaxon: {}:7: key `people[1].aliases`: \"ASchmidt\" is already a name of people[0] (alice): one person per name",
            twice.display()
        )
    );
}

#[test]
fn every_name_is_joined_once() {
    // The aliases table the on-call query gets: every name lower-cased, each to one person.
    let config = klaxon::settings::parse(CONFIG, "klaxon.toml").unwrap();
    let people = People::new(&config.people);
    let names: BTreeSet<(String, String)> = people.aliases().into_iter().collect();
    assert_eq!(
        names,
        BTreeSet::from([
            ("alice".into(), "alice".into()),
            ("alice@example.com".into(), "alice".into()),
            ("aschmidt".into(), "alice".into()),
            ("bob".into(), "bob".into()),
        ])
    );
}

// The console's Reports view, from the same history: `T` asks the runtime for the figures
// (an effect), the answer comes back as a message, the view draws it.

use klaxon::app::reports::ReportData;
use klaxon::app::{self, Effect, Msg, State};
use klaxon::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn reports_state(w: u16, h: u16, store: &dyn Store) -> State {
    let mut s = common::alerts::state_with(w, h, vec![]);
    app::update(&mut s, Msg::Tick(until()));
    let fx = app::update(&mut s, common::alerts::key("T"));
    let (since4, until4) = (until() - chrono::Duration::weeks(4), until());
    assert_eq!(fx, vec![Effect::LoadReports { since: since4, until: until4, page_severity: Severity::High }]);
    // What the runtime does with that effect.
    let q = ReportQuery { since: since4, until: until4, page_severity: Severity::High, matchers: vec![] };
    let (summary, noise) = report::view_data(store, &q, chrono_tz::UTC).unwrap();
    app::update(&mut s, Msg::Reports(Ok(Box::new(ReportData { summary, noise }))));
    s
}

fn drawn(s: &State, theme: &Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| klaxon::ui::view(s, theme, f)).unwrap();
    t
}

fn history_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
    build_history(&store);
    (dir, store)
}

#[test]
fn reports_view_at_120x40_and_80x24() {
    let (_dir, store) = history_store();
    for (w, h) in [(120, 40), (80, 24)] {
        let s = reports_state(w, h, &store);
        let screen = drawn(&s, &Theme::default()).backend().to_string();
        // The figures a person reads, whatever the size.
        // Four weeks from 03-09: the history's ten firings (the previous period's page too), five pages.
        assert!(screen.contains("alerts 10 (+10)") && screen.contains("pages 5 (+5)"), "{screen}");
        assert!(screen.contains("▶    11 CPUHigh"), "{screen}");
        insta::assert_snapshot!(format!("reports_view_{w}x{h}"), screen);
    }
}

#[test]
fn reports_view_reads_without_colour() {
    let (_dir, store) = history_store();
    let s = reports_state(80, 24, &store);
    let plain = Theme::load("default", std::path::Path::new("/nonexistent"), true).unwrap();
    let t = drawn(&s, &plain);
    let buffer = t.backend().buffer();
    assert!(
        buffer.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset),
        "NO_COLOR: no colour anywhere"
    );
    assert_eq!(t.backend().to_string(), drawn(&s, &Theme::default()).backend().to_string(), "the same text");
}

#[test]
fn enter_on_a_noisy_alert_filters_the_list_to_it() {
    let (_dir, store) = history_store();
    let mut s = reports_state(80, 24, &store);
    // On the board: the noisy DiskFull on db, the same alert name on another service, and
    // an alert with no alertname label (named by its title) and no service.
    let mut zabbix = alert("zbx/heartbeat", "Heartbeat", None, Severity::Information, until());
    zabbix.labels = Default::default();
    zabbix.title = "Heartbeat".into();
    let board = vec![
        alert(DISK, "DiskFull", Some("db"), Severity::High, until()),
        alert("prod/disk-web", "DiskFull", Some("web"), Severity::High, until()),
    ];
    app::update(&mut s, Msg::Snapshot { source: "prod".into(), alerts: board, fresh: true });
    app::update(&mut s, Msg::Snapshot { source: "zbx".into(), alerts: vec![zabbix], fresh: true });
    app::update(&mut s, common::alerts::key("j"));
    assert_eq!(s.reports.selected, 1);
    assert!(app::update(&mut s, common::alerts::key("enter")).is_empty());
    assert_eq!(s.mode, klaxon::app::state::Mode::Normal);
    assert_eq!(s.list.filter.text(), "alertname=\"DiskFull\" service=\"db\"");
    let shown: Vec<String> = s
        .list
        .rows
        .iter()
        .filter_map(|r| match r {
            klaxon::app::list::Row::Alert(i) => Some(s.list.board.ranked()[*i].alert.key.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(shown, [DISK]);
    // A name that is a title, with no service.
    let f = klaxon::app::reports::filter_for(&s.list.board, "Heartbeat", None);
    assert_eq!(f, "title=\"Heartbeat\" service!~.");
    s.list.filter = klaxon::model::filter::Filter::parse(&f).unwrap();
    s.rebuild_rows();
    assert_eq!(s.list.rows.len(), 1, "only the heartbeat");
    // A store that cannot answer: said in the view, not a blank screen.
    app::update(&mut s, common::alerts::key("T"));
    app::update(&mut s, Msg::Reports(Err("store /x/k.db: disk I/O error".into())));
    let screen = drawn(&s, &Theme::default()).backend().to_string();
    assert!(screen.contains("reload failed: store /x/k.db: disk I/O error"), "{screen}");
}

#[test]
fn klaxon_oncall_names_people_as_people_says() {
    let sb = Sandbox::new();
    let config = sb.path("klaxon.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {:?}\n\n[[people]]\nname = \"alice\"\naliases = [\"alice@example.com\"]\n\n\
             [[schedules]]\nname = \"pd\"\nkind = \"rotation\"\nlevel = 1\n\
             participants = [\"Alice@Example.com\", \"bob@example.com\"]\nstart = \"2026-03-02\"\nshift = \"7d\"\n",
            sb.path("k.db").display().to_string()
        ),
    )
    .unwrap();
    let out = sb
        .klaxon()
        .args(["--config"])
        .arg(&config)
        .args(["oncall", "--format", "json", "--at", "2026-03-03T10:00:00Z"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The schedule's address becomes alice; bob has no [[people]] entry and keeps his.
    assert_eq!((rows[0]["now"].as_str(), rows[0]["next"].as_str()), (Some("alice"), Some("bob@example.com")));
}

#[test]
fn the_team_time_zone_is_checked_where_it_is_written() {
    let e = klaxon::settings::parse("[identity]\nname = \"a\"\n\n[reports]\ntime_zone = \"Europe/Berlim\"\n", "k.toml")
        .expect_err("a zone that does not exist");
    assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("reports.time_zone")), "{e}");
    assert!(e.to_string().contains("\"Europe/Berlim\" is not an IANA time zone"), "{e}");
    let c = klaxon::settings::parse("[reports]\ntime_zone = \"Europe/Berlin\"\n", "k.toml").unwrap();
    assert_eq!(c.reports.zone(), chrono_tz::Europe::Berlin);
    assert_eq!(klaxon::settings::parse("", "k.toml").unwrap().reports.zone(), chrono_tz::UTC);
}

/// A reassignment is a person's touch: the incident counts it in `humans`, as an ack or a note.
fn reassigned_counts_as_human(store: &dyn Store, humans: impl Fn() -> Vec<String>) {
    use klaxon::model::{AlertKey, EntryKind, NewEntry};
    let key = AlertKey::new("pd", "PXYZ");
    store.append(&NewEntry::new(key.clone(), EntryKind::Seen, "klaxon", "")).unwrap();
    store.append(&NewEntry::new(key, EntryKind::Reassigned, "alice", "to erin <erin@example.com>")).unwrap();
    assert_eq!(humans(), ["1"]);
}

#[test]
fn a_reassignment_is_a_human_touch_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let store = SqliteStore::open(&path).unwrap();
    reassigned_counts_as_human(&store, || {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut st = c.prepare("SELECT CAST(humans AS TEXT) FROM incidents").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    });
}

#[test]
fn a_reassignment_is_a_human_touch_on_postgres() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    let store = PgStore::open(&url, None, &dir.path().join("spool.db")).unwrap();
    reassigned_counts_as_human(&store, || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query("SELECT CAST(humans AS text) FROM incidents", &[]).unwrap().iter().map(|r| r.get(0)).collect()
    });
}
