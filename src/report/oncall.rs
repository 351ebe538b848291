//! The on-call audit, for fair pay: per person, hours on call per level (from the
//! schedules, overrides applied, real hours across DST changes), pages received, pages and
//! acks outside their working hours, night interruptions (a page between 22:00 and 07:00
//! their time), acks, notes and escalations made. Names from every system are joined
//! through `[[people]]`.

use super::ReportQuery;
use crate::model::{Shift, merge_shifts as merge};
use crate::oncall::ScheduleConfig;
use crate::oncall::ScheduleSource;
use crate::people::{People, Person};
use crate::store::report::{OncallInputs, ShiftAt, WorkingTime};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One schedule's shifts over the period.
#[derive(Debug, Clone)]
pub struct ScheduleShifts {
    pub schedule: String,
    pub level: i64,
    pub shifts: Vec<Shift>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PersonReport {
    pub person: String,
    /// Hours on call per escalation level ("1", "2", …), two decimals.
    pub hours_on_call: BTreeMap<String, f64>,
    pub pages: i64,
    pub pages_outside_hours: i64,
    pub night_interruptions: i64,
    pub acks: i64,
    pub acks_outside_hours: i64,
    pub notes: i64,
    pub escalations: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Oncall {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub people: Vec<PersonReport>,
    /// Schedules whose shifts could not be read, each with why: their hours are missing.
    pub schedules_skipped: Vec<String>,
}

/// Reads every schedule's shifts over the period, each bounded by its timeout.
pub async fn gather_shifts(
    schedules: &[(ScheduleConfig, Arc<dyn ScheduleSource>)],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> (Vec<ScheduleShifts>, Vec<String>) {
    let (mut got, mut skipped) = (Vec::new(), Vec::new());
    for (cfg, s) in schedules {
        let read = tokio::time::timeout(cfg.timeout, crate::crash::contain(|| s.shifts(since, until))).await;
        match read {
            Ok(Ok(Ok(shifts))) => got.push(ScheduleShifts { schedule: cfg.name.clone(), level: cfg.level, shifts }),
            Ok(Ok(Err(e))) => skipped.push(format!("{}: {e}", cfg.name)),
            Ok(Err(crashed)) => skipped.push(format!("{}: {crashed}", cfg.name)),
            Err(_) => {
                skipped.push(format!("{}: no answer within {}", cfg.name, humantime::format_duration(cfg.timeout)))
            }
        }
    }
    (got, skipped)
}

fn working_time(name: &str, p: &Person, since: DateTime<Utc>, until: DateTime<Utc>) -> WorkingTime {
    WorkingTime {
        person: name.to_owned(),
        start_min: i64::from(p.start_min),
        end_min: i64::from(p.end_min),
        days: p.days.iter().map(|d| d.num_days_from_sunday()).collect(),
        offsets: super::offsets(p.tz, since, until),
    }
}

pub fn oncall(
    store: &dyn Store,
    q: &ReportQuery,
    people: &People,
    schedules: &[ScheduleShifts],
    schedules_skipped: Vec<String>,
) -> Result<Oncall, StoreError> {
    let mut hours: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    let mut shifts = Vec::new();
    for sch in schedules {
        // One schedule never double-books a person's time; clipped to the period.
        for s in merge(&sch.shifts) {
            let (start, end) = (s.start.max(q.since), s.end.min(q.until));
            if start >= end {
                continue;
            }
            let person = people.canonical(&s.person).to_owned();
            *hours.entry(person.clone()).or_default().entry(sch.level).or_default() += (end - start).num_seconds();
            shifts.push(ShiftAt { person, level: sch.level, start, end });
        }
    }
    let inputs = OncallInputs {
        aliases: people.aliases(),
        people: people.people.iter().map(|p| working_time(&p.name, p, q.since, q.until)).collect(),
        default: Some(working_time("", &Person::default_named(""), q.since, q.until)),
        shifts,
    };
    let rows = store.report_oncall(q, &inputs)?;
    let mut out: BTreeMap<String, PersonReport> = BTreeMap::new();
    for r in rows {
        out.insert(
            r.person.clone(),
            PersonReport {
                person: r.person,
                pages: r.pages,
                pages_outside_hours: r.pages_off_hours,
                night_interruptions: r.night_interruptions,
                acks: r.acks,
                acks_outside_hours: r.acks_off_hours,
                notes: r.notes,
                escalations: r.escalations,
                ..PersonReport::default()
            },
        );
    }
    for (person, levels) in hours {
        let entry = out.entry(person.clone()).or_insert_with(|| PersonReport { person, ..PersonReport::default() });
        entry.hours_on_call =
            levels.into_iter().map(|(l, s)| (l.to_string(), (s as f64 / 36.0).round() / 100.0)).collect();
    }
    Ok(Oncall { since: q.since, until: q.until, people: out.into_values().collect(), schedules_skipped })
}
