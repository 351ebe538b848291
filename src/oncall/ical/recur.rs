//! `RRULE` expansion by the `rrule` crate, in wall-clock time: the rule walks local times
//! (as RFC 5545 defines it, so 09:00 stays 09:00 across DST), and the caller maps each one to
//! an instant with whatever zone the event is in, an IANA one or a feed's own `VTIMEZONE`.
//! `UNTIL` is read here, not by the crate, because its meaning depends on that zone.
//!
//! Bounded: a rule without `COUNT` starts its walk near the window (whole periods ahead of
//! `DTSTART`, which keeps its phase); every step counts against a budget shared by the feed.

use super::value::{self, Stamp};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

/// Instances one rule may have in the window asked about (the console asks for about two
/// months: an instance every ten minutes).
pub const MAX_INSTANCES: usize = 10_000;

/// Periods (days of a daily rule, seconds of a secondly one) one rule may walk.
const MAX_WALK: i64 = 2_000_000;
/// A rule's text longer than this is refused: real ones are under 200 characters, and the
/// crate checks each period against every value of a BY list.
const MAX_TEXT: usize = 1000;

#[derive(Debug, Clone)]
pub struct Rule {
    rule: RRule<Unvalidated>,
    until: Option<Stamp>,
    freq: Frequency,
    interval: i64,
    counted: bool,
}

const PARTS: [&str; 12] = [
    "FREQ",
    "INTERVAL",
    "COUNT",
    "WKST",
    "BYSETPOS",
    "BYMONTH",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
];

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, String> {
        if text.len() > MAX_TEXT {
            return Err(format!("RRULE longer than {MAX_TEXT} characters"));
        }
        let mut kept = Vec::new();
        let mut until = None;
        for part in text.trim().split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("RRULE part {part:?} is not NAME=VALUE"))?;
            let (k, v) = (k.trim().to_ascii_uppercase(), v.trim().to_ascii_uppercase());
            match k.as_str() {
                "UNTIL" => until = Some(value::stamp(&v).map_err(|e| format!("RRULE UNTIL: {e}"))?),
                // Only what RFC 5545 values are made of: the crate slices some by byte
                // index and panics inside a multi-byte character (`BYDAY=-1SU\u{202e}`).
                _ if !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-,".contains(&b)) => {
                    return Err(format!("RRULE {k}={} is not understood", v.escape_debug()));
                }
                k if PARTS.contains(&k) || k == "BYSECOND" => kept.push(format!("{k}={v}")),
                _ => return Err(format!("RRULE part {k} is not understood")),
            }
        }
        let rule: RRule<Unvalidated> = kept.join(";").parse().map_err(|e| format!("RRULE: {e}"))?;
        let interval = i64::from(rule.get_interval().max(1));
        Ok(Rule { freq: rule.get_freq(), counted: rule.get_count().is_some(), rule, until, interval })
    }

    /// `UNTIL` as a local time: `utc_to_local` reads a UTC one; a date is its whole day.
    pub fn until_local(&self, utc_to_local: impl Fn(NaiveDateTime) -> NaiveDateTime) -> Option<NaiveDateTime> {
        self.until.map(|u| match u {
            Stamp::Utc(n) => utc_to_local(n),
            Stamp::Local(n) => n,
            Stamp::Date(d) => d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)),
        })
    }

    /// Whether a start at `local` (instant `utc`) is within `UNTIL`, read exactly.
    pub fn within_until(&self, local: NaiveDateTime, utc: DateTime<Utc>) -> bool {
        match self.until {
            None => true,
            Some(Stamp::Utc(n)) => utc <= n.and_utc(),
            Some(Stamp::Local(n)) => local <= n,
            Some(Stamp::Date(d)) => local.date() <= d,
        }
    }

    /// Local starts from `start` up to `stop`, keeping those from `keep_from` on. The walk
    /// may begin at `skip_to` when the rule has no `COUNT`.
    pub fn starts(
        &self,
        start: NaiveDateTime,
        skip_to: NaiveDateTime,
        keep_from: NaiveDateTime,
        stop: NaiveDateTime,
        budget: &mut usize,
    ) -> Result<Vec<NaiveDateTime>, String> {
        let period = match self.freq {
            Frequency::Weekly => Some(7 * 86_400i64),
            Frequency::Daily => Some(86_400),
            Frequency::Hourly => Some(3600),
            Frequency::Minutely => Some(60),
            Frequency::Secondly => Some(1),
            Frequency::Monthly | Frequency::Yearly => None,
        };
        let mut first = start;
        if let Some(unit) = period.and_then(|p| p.checked_mul(self.interval))
            && !self.counted
            && skip_to > start
        {
            let steps = (skip_to - start).num_seconds() / unit;
            if let Some(ahead) = steps.checked_mul(unit).and_then(Duration::try_seconds)
                && let Some(moved) = start.checked_add_signed(ahead)
            {
                first = moved;
            }
        }
        // The crate does its work per period walked, yielded or not: bound the walk.
        let per_step = period.unwrap_or(if self.freq == Frequency::Monthly { 28 * 86_400 } else { 365 * 86_400 });
        let walk = (stop - first).num_seconds() / per_step.saturating_mul(self.interval);
        if walk > MAX_WALK {
            return Err(format!("the recurrence walks {walk} periods to reach the window (more than {MAX_WALK})"));
        }
        let at = |n: NaiveDateTime| rrule::Tz::UTC.from_utc_datetime(&n);
        let valid = self.rule.clone().validate(at(first)).map_err(|e| format!("RRULE: {e}"))?;
        let set = RRuleSet::new(at(first)).rrule(valid).limit();
        let mut out = Vec::new();
        for t in &set {
            let n = t.naive_utc();
            if n > stop {
                break;
            }
            *budget = budget.checked_sub(1).ok_or("the recurrence has too many instances to expand")?;
            if n >= keep_from {
                if out.len() == MAX_INSTANCES {
                    return Err(format!("more than {MAX_INSTANCES} instances in the window"));
                }
                out.push(n);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn skipping_ahead_keeps_the_phase_of_every_other_week() {
        let r = Rule::parse("freq=weekly;interval=2;byday=MO,TH;").unwrap();
        let mut budget = 1000;
        let from_start = r
            .starts(
                n("2001-01-01 09:00"),
                n("2001-01-01 09:00"),
                n("2026-03-01 00:00"),
                n("2026-03-20 00:00"),
                &mut 100_000,
            )
            .unwrap();
        let skipped = r
            .starts(
                n("2001-01-01 09:00"),
                n("2026-03-01 00:00"),
                n("2026-03-01 00:00"),
                n("2026-03-20 00:00"),
                &mut budget,
            )
            .unwrap();
        assert_eq!(from_start, skipped);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(budget > 990, "the walk started near the window: {budget}");
    }

    #[test]
    fn until_is_read_in_the_events_zone_and_the_budget_ends_a_long_walk() {
        let r = Rule::parse("FREQ=DAILY;UNTIL=20260301T080000Z").unwrap();
        assert!(r.within_until(n("2026-03-01 09:00"), n("2026-03-01 08:00").and_utc()));
        assert!(!r.within_until(n("2026-03-02 09:00"), n("2026-03-02 08:00").and_utc()));
        let walk = |rule: &str, from: &str, budget: &mut usize| {
            let r = Rule::parse(rule).unwrap();
            r.starts(n(from), n("2026-01-01 00:00"), n("2026-01-01 00:00"), n("2026-02-01 00:00"), budget)
        };
        // 219,000 hours to walk with COUNT (no skipping ahead): the budget ends it.
        assert!(walk("FREQ=HOURLY;COUNT=4000000", "2001-01-01 00:00", &mut 5000).unwrap_err().contains("too many"));
        // A sparse rule by the minute from year 1 would walk a billion minutes: refused at once.
        let far = walk("FREQ=MINUTELY;COUNT=5000;BYHOUR=0;BYMINUTE=0", "0001-01-01 00:00", &mut 1_000_000);
        assert!(far.unwrap_err().contains("walks"));
        for bad in [
            "FREQ=SOMETIMES",
            "FREQ=DAILY;X-FOO=1",
            "FREQ=DAILY;INTERVAL=99999999",
            "FREQ",
            "FREQ=DAILY;UNTIL=soon",
            "FREQ=WEEKLY;BYDAY=-1SU\u{202e}",
            format!("FREQ=DAILY;BYHOUR={}", "1,".repeat(600)).as_str(),
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }
}
