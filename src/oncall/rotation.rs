//! A rotation written in the config: participants take turns, each for `shift`, handing
//! over at a wall-clock time in the rotation's time zone; overrides let someone cover a
//! window. Pure arithmetic, so daylight-saving changes are tested without a clock.

use super::{AHEAD, BEHIND, KindConfig, OnCallFuture, ScheduleConfig, ScheduleSource, answer};
use crate::config::{At, Problems};
use crate::model::Shift;
use crate::sources::SourceError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

/// `kind = "rotation"`: participants take turns of `shift`, handing over at `handoff`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationConfig {
    pub participants: Vec<String>,
    /// The date the first participant's first turn starts, e.g. "2026-01-05".
    pub start: String,
    /// Length of one turn: "7d", "1d", "12h". Whole days hand over at the same wall-clock time.
    #[serde(deserialize_with = "crate::config::duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub shift: std::time::Duration,
    /// Wall-clock handoff time in `time_zone`, "09:00".
    #[serde(default = "default_handoff")]
    pub handoff: String,
    #[serde(default = "default_utc")]
    pub time_zone: String,
    /// Someone covers a window: { person = "dave", start = "2026-03-28T18:00", end = "2026-03-29T09:00" }.
    #[serde(default)]
    pub overrides: Vec<Override>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub person: String,
    /// RFC 3339, or a wall-clock time in the rotation's time zone.
    pub start: String,
    pub end: String,
}

fn default_handoff() -> String {
    "09:00".into()
}

/// A zone for times written without one: UTC unless the config says otherwise.
pub(super) fn default_utc() -> String {
    "UTC".into()
}

impl KindConfig for RotationConfig {
    fn validate(&self, _: &ScheduleConfig, at: At<'_>, problems: &mut Problems) {
        if let Err((field, e)) = Rotation::new(self) {
            problems.push((at(field), e));
        }
    }

    fn build(&self, cfg: &ScheduleConfig) -> Result<Box<dyn ScheduleSource>, SourceError> {
        let rotation = Rotation::new(self).map_err(|(k, e)| SourceError::new(format!("{k}: {e}")))?;
        Ok(Box::new(RotationSchedule { name: cfg.name.clone(), level: cfg.level, rotation }))
    }
}

struct RotationSchedule {
    name: String,
    level: i64,
    rotation: Rotation,
}

impl ScheduleSource for RotationSchedule {
    fn name(&self) -> &str {
        &self.name
    }
    fn level(&self) -> i64 {
        self.level
    }
    fn oncall(&self, at: DateTime<Utc>) -> OnCallFuture<'_> {
        let shifts = self.rotation.shifts(at - BEHIND, at + AHEAD);
        Box::pin(async move { Ok(answer(&self.name, self.level, &shifts, at)) })
    }
    fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> super::ShiftsFuture<'_> {
        let shifts = self.rotation.shifts(from, to);
        Box::pin(async move { Ok(shifts) })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    participants: Vec<String>,
    tz: Tz,
    start: NaiveDateTime,
    step: Step,
    overrides: Vec<Shift>,
}

/// Whole days keep the handoff at the same wall-clock time across DST changes; anything
/// shorter is a fixed length of real time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Days(i64),
    Fixed(Duration),
}

impl Rotation {
    /// Checks the config; an error names the key at fault.
    pub fn new(cfg: &RotationConfig) -> Result<Rotation, (&'static str, String)> {
        if cfg.participants.is_empty() || cfg.participants.iter().any(|p| p.trim().is_empty()) {
            return Err(("participants", "a rotation needs at least one participant, none empty".into()));
        }
        let tz = parse_tz(&cfg.time_zone).map_err(|e| ("time_zone", e))?;
        let date = NaiveDate::parse_from_str(cfg.start.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (1970..=2200).contains(&d.year()))
            .ok_or_else(|| ("start", format!("{:?} is not a date like \"2026-01-05\" (1970 to 2200)", cfg.start)))?;
        let handoff = NaiveTime::parse_from_str(cfg.handoff.trim(), "%H:%M")
            .map_err(|_| ("handoff", format!("{:?} is not a time like \"09:00\"", cfg.handoff)))?;
        let secs = cfg.shift.as_secs();
        if secs < 3600 || cfg.shift.subsec_nanos() != 0 || cfg.shift > crate::config::MAX_DURATION {
            return Err(("shift", "a shift is at least 1h and at most 3650d, in whole seconds".into()));
        }
        // Within MAX_DURATION, so these fit.
        let step = match i64::try_from(secs) {
            Ok(s) if s % 86_400 == 0 => Step::Days(s / 86_400),
            Ok(s) => Step::Fixed(Duration::try_seconds(s).ok_or(("shift", "out of range".to_string()))?),
            Err(_) => return Err(("shift", "out of range".into())),
        };
        let mut overrides = Vec::new();
        for o in &cfg.overrides {
            let start = parse_time(&o.start, tz).map_err(|e| ("overrides", e))?;
            let end = parse_time(&o.end, tz).map_err(|e| ("overrides", e))?;
            if end <= start || o.person.trim().is_empty() {
                return Err(("overrides", format!("override for {:?}: needs a person and end after start", o.person)));
            }
            overrides.push(Shift::new(&o.person, start, end));
        }
        Ok(Rotation {
            participants: cfg.participants.iter().map(|p| crate::sanitize::sanitize_line(p)).collect(),
            tz,
            start: date.and_time(handoff),
            step,
            overrides,
        })
    }

    /// The start of turn `k` (0 is the first participant's first turn); None off the calendar.
    fn boundary(&self, k: i64) -> Option<DateTime<Utc>> {
        match self.step {
            Step::Days(d) => {
                let local = self.start.checked_add_signed(Duration::try_days(d.checked_mul(k)?)?)?;
                checked_local_to_utc(self.tz, local)
            }
            Step::Fixed(len) => {
                let secs = len.num_seconds().checked_mul(k)?;
                checked_local_to_utc(self.tz, self.start)?.checked_add_signed(Duration::try_seconds(secs)?)
            }
        }
    }

    /// The turn running at `at` (may be negative before the start: the rotation runs both
    /// ways); None when its turns leave the calendar.
    fn turn_at(&self, at: DateTime<Utc>) -> Option<i64> {
        let first = self.boundary(0)?;
        let step = match self.step {
            Step::Days(d) => d * 86_400,
            Step::Fixed(len) => len.num_seconds(),
        };
        let mut k = (at - first).num_seconds().div_euclid(step);
        // A DST change can put `at` one turn off the estimate: a few steps settle it.
        for _ in 0..4 {
            if self.boundary(k)? > at {
                k -= 1;
            } else if self.boundary(k.checked_add(1)?)? <= at {
                k += 1;
            } else {
                return Some(k);
            }
        }
        None
    }

    /// Every shift overlapping `[from, to)`, overrides applied.
    pub fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
        let n = self.participants.len() as i64;
        let mut base = Vec::new();
        let mut k = self.turn_at(from);
        while let Some(turn) = k
            && let (Some(start), Some(end)) = (self.boundary(turn), turn.checked_add(1).and_then(|t| self.boundary(t)))
            && start < to
            && base.len() < 10_000
        {
            let person = &self.participants[turn.rem_euclid(n) as usize];
            base.push(Shift::new(person, start, end));
            k = turn.checked_add(1);
        }
        let mut out = Vec::new();
        for s in base {
            out.extend(cut(s, &self.overrides));
        }
        out.extend(self.overrides.iter().filter(|o| o.end > from && o.start < to).cloned());
        out.sort_by_key(|s| s.start);
        out
    }
}

/// What is left of `shift` outside every override.
fn cut(shift: Shift, overrides: &[Shift]) -> Vec<Shift> {
    let mut pieces = vec![shift];
    for o in overrides {
        let mut next = Vec::new();
        for p in pieces {
            if o.end <= p.start || o.start >= p.end {
                next.push(p);
                continue;
            }
            if o.start > p.start {
                next.push(Shift { end: o.start, ..p.clone() });
            }
            if o.end < p.end {
                next.push(Shift { start: o.end, ..p });
            }
        }
        pieces = next;
    }
    pieces
}

/// An IANA zone name ("Europe/Berlin") or "UTC".
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| format!("{name:?} is not an IANA time zone like \"Europe/Berlin\" or \"UTC\""))
}

/// RFC 3339 ("2026-03-28T18:00:00+01:00"), or a wall-clock time in `tz` ("2026-03-28T18:00").
pub fn parse_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map(|n| local_to_utc(tz, n))
        .map_err(|_| format!("{s:?} is not a time like \"2026-03-28T18:00\" or RFC 3339"))
}

/// A wall-clock time in `tz`: the earlier of two in the autumn's repeated hour, and the
/// first moment after the gap for a time the spring change skips.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    checked_local_to_utc(tz, local).unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// [`local_to_utc`], None at the calendar's far ends.
fn checked_local_to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return Some(t.with_timezone(&Utc));
        }
        probe = probe.checked_add_signed(Duration::minutes(30))?;
    }
    Some(Utc.from_utc_datetime(&local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::{Override, RotationConfig};
    use crate::model::OnCall;

    fn cfg(people: &[&str], start: &str, shift_days: u64, handoff: &str, tz: &str) -> RotationConfig {
        RotationConfig {
            participants: people.iter().map(|p| p.to_string()).collect(),
            start: start.into(),
            shift: std::time::Duration::from_secs(shift_days * 86_400),
            handoff: handoff.into(),
            time_zone: tz.into(),
            overrides: vec![],
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekly_handoff_stays_at_nine_in_berlin_across_both_dst_changes() {
        // Europe/Berlin: CET→CEST on 2026-03-29, CEST→CET on 2026-10-25 (both Sundays).
        let r = Rotation::new(&cfg(&["alice", "bob"], "2026-03-23", 7, "09:00", "Europe/Berlin")).unwrap();
        let shifts = r.shifts(utc("2026-03-24T00:00:00Z"), utc("2026-04-07T00:00:00Z"));
        let starts: Vec<_> = shifts.iter().map(|s| (s.person.as_str(), s.start.to_rfc3339())).collect();
        assert_eq!(
            starts,
            [
                ("alice", "2026-03-23T08:00:00+00:00".to_string()), // 09:00 CET
                ("bob", "2026-03-30T07:00:00+00:00".to_string()),   // 09:00 CEST
                ("alice", "2026-04-06T07:00:00+00:00".to_string()),
            ]
        );
        // The week with the change is an hour short: 167 h of real time.
        assert_eq!((shifts[0].end - shifts[0].start).num_hours(), 167);
        let autumn = r.shifts(utc("2026-10-20T00:00:00Z"), utc("2026-10-28T00:00:00Z"));
        assert_eq!(autumn[0].start, utc("2026-10-19T07:00:00Z"));
        assert_eq!(autumn[1].start, utc("2026-10-26T08:00:00Z"), "09:00 CET again");
        assert_eq!((autumn[0].end - autumn[0].start).num_hours(), 169);
    }

    #[test]
    fn daily_handoff_in_the_skipped_and_repeated_hour_in_new_york() {
        // America/New_York: 2026-03-08 02:00 does not exist; 2026-11-01 01:30 happens twice.
        let r = Rotation::new(&cfg(&["ann", "ben"], "2026-03-06", 1, "02:30", "America/New_York")).unwrap();
        let s = r.shifts(utc("2026-03-08T00:00:00Z"), utc("2026-03-09T12:00:00Z"));
        // 02:30 on the 8th is skipped: the handoff happens at 03:00 EDT (07:00 UTC).
        assert!(s.iter().any(|x| x.start == utc("2026-03-08T07:00:00Z")), "{s:?}");
        assert!(s.iter().any(|x| x.start == utc("2026-03-09T06:30:00Z")), "02:30 EDT the day after: {s:?}");
        let r = Rotation::new(&cfg(&["ann", "ben"], "2026-10-30", 1, "01:30", "America/New_York")).unwrap();
        let s = r.shifts(utc("2026-11-01T00:00:00Z"), utc("2026-11-02T12:00:00Z"));
        // The first 01:30 (EDT, 05:30 UTC) is the handoff; the next day 01:30 EST (06:30 UTC).
        assert!(s.iter().any(|x| x.start == utc("2026-11-01T05:30:00Z")), "{s:?}");
        assert!(s.iter().any(|x| x.start == utc("2026-11-02T06:30:00Z")), "{s:?}");
        assert_eq!(OnCall::from_shifts("p", 1, &s, utc("2026-11-01T06:00:00Z")).person_now(), Some("ann"));
    }

    #[test]
    fn an_override_covers_a_window_and_hands_back() {
        let mut c = cfg(&["alice", "bob"], "2026-03-02", 7, "09:00", "UTC");
        c.overrides = vec![Override {
            person: "carol".into(),
            start: "2026-03-04T18:00".into(),
            end: "2026-03-05T08:00:00Z".into(),
        }];
        let r = Rotation::new(&c).unwrap();
        let s = r.shifts(utc("2026-03-02T09:00:00Z"), utc("2026-03-10T00:00:00Z"));
        let at = |t: &str| OnCall::from_shifts("p", 1, &s, utc(t));
        assert_eq!(at("2026-03-04T17:59:00Z").person_now(), Some("alice"));
        let covered = at("2026-03-04T20:00:00Z");
        assert_eq!(covered.person_now(), Some("carol"));
        assert_eq!(covered.now.unwrap().end, utc("2026-03-05T08:00:00Z"));
        assert_eq!(covered.next.map(|n| n.person), Some("alice".into()), "alice takes it back");
        assert_eq!(at("2026-03-05T08:00:00Z").person_now(), Some("alice"));
        assert_eq!(at("2026-03-09T09:00:00Z").person_now(), Some("bob"));
    }

    #[test]
    fn shifts_before_the_start_run_backwards_and_twelve_hours_are_real_time() {
        let r = Rotation::new(&cfg(&["a", "b", "c"], "2026-03-02", 1, "09:00", "UTC")).unwrap();
        let s = r.shifts(utc("2026-02-27T10:00:00Z"), utc("2026-02-27T11:00:00Z"));
        assert_eq!(s[0].person, "a", "three days before the start is a's turn again");
        let mut c = cfg(&["x", "y"], "2026-03-28", 0, "21:00", "Europe/Berlin");
        c.shift = std::time::Duration::from_secs(12 * 3600);
        let r = Rotation::new(&c).unwrap();
        let s = r.shifts(utc("2026-03-29T00:00:00Z"), utc("2026-03-29T12:00:00Z"));
        assert!(s.iter().all(|x| (x.end - x.start).num_hours() == 12), "{s:?}");
    }

    #[test]
    fn shifts_off_the_calendar_are_refused_and_far_times_answer() {
        // Values the duration parser accepts: 317 million years, a million years, u64::MAX s.
        for secs in [10_000_000_000_000_000u64, 1_000_000 * 31_557_600, u64::MAX] {
            let mut c = cfg(&["a", "b"], "2026-01-05", 1, "09:00", "UTC");
            c.shift = std::time::Duration::from_secs(secs);
            assert_eq!(Rotation::new(&c).unwrap_err().0, "shift", "{secs}");
        }
        // The longest shift there is, asked about the calendar's far ends: an answer, no panic.
        for (days, hours) in [(3650, 0), (3649, 23)] {
            let mut c = cfg(&["a", "b"], "2200-01-01", 1, "09:00", "Europe/Berlin");
            c.shift = std::time::Duration::from_secs(days * 86_400 + hours * 3600);
            let r = Rotation::new(&c).unwrap();
            let far = DateTime::<Utc>::MAX_UTC;
            assert!(r.shifts(far - Duration::days(400), far).len() <= 1);
            assert!(!r.shifts(utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z")).is_empty());
            let _ = r.shifts(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC + Duration::days(30));
        }
    }

    #[test]
    fn bad_configs_name_their_key() {
        let bad = |f: &dyn Fn(&mut RotationConfig)| {
            let mut c = cfg(&["a"], "2026-03-02", 7, "09:00", "UTC");
            f(&mut c);
            Rotation::new(&c).unwrap_err().0
        };
        assert_eq!(bad(&|c| c.time_zone = "Europe/Berlinn".into()), "time_zone");
        assert_eq!(bad(&|c| c.participants.clear()), "participants");
        assert_eq!(bad(&|c| c.start = "next monday".into()), "start");
        assert_eq!(bad(&|c| c.start = "+200000-01-01".into()), "start");
        assert_eq!(bad(&|c| c.handoff = "9am".into()), "handoff");
        assert_eq!(bad(&|c| c.shift = std::time::Duration::from_secs(60)), "shift");
        assert_eq!(
            bad(&|c| c.overrides = vec![Override {
                person: "z".into(),
                start: "2026-03-05T10:00".into(),
                end: "2026-03-05T09:00".into()
            }]),
            "overrides"
        );
    }
}
