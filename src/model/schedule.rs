//! Who holds the pager: shifts from any schedule, and what they say about one moment.

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

/// One person on call for one schedule from `start` until `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    pub person: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Shift {
    pub fn new(person: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Shift { person: crate::sanitize::sanitize_line(person), start, end }
    }

    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// One schedule's answer for a moment: who is on call, until when, who is next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnCall {
    pub schedule: String,
    /// The escalation level this schedule answers for (1 is paged first).
    pub level: i64,
    /// The person on call now, with the whole stretch they hold it.
    pub now: Option<Shift>,
    /// Whoever takes over next (after `now`, or the first one to come when nobody is on).
    pub next: Option<Shift>,
    /// How many entries of the source were skipped as unreadable (a feed's broken events or
    /// values), and the first few reasons, each naming its line.
    pub warnings: usize,
    pub warning_notes: Vec<String>,
}

impl OnCall {
    /// Works out now and next from shifts in any order. Back-to-back shifts of one person
    /// count as one stretch, so "until" is the real handoff.
    pub fn from_shifts(schedule: &str, level: i64, shifts: &[Shift], at: DateTime<Utc>) -> OnCall {
        let merged = merge(shifts);
        let mut now = merged.iter().find(|s| s.covers(at)).cloned();
        let next = merged.iter().filter(|s| s.start > at && Some(*s) != now.as_ref()).min_by_key(|s| s.start).cloned();
        // A feed that double-books hands over when the next person starts.
        if let (Some(n), Some(x)) = (now.as_mut(), next.as_ref())
            && x.person != n.person
            && x.start < n.end
        {
            n.end = x.start;
        }
        OnCall { schedule: schedule.to_owned(), level, now, next, warnings: 0, warning_notes: Vec::new() }
    }

    pub fn person_now(&self) -> Option<&str> {
        self.now.as_ref().map(|s| s.person.as_str())
    }

    /// When the person on call now hands over, if the schedule says (Opsgenie and Grafana
    /// OnCall name only who is on call, not until when).
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.now.as_ref().map(|s| s.end).filter(|end| end.year() < 9000)
    }
}

/// Sorted by start; where one person's shifts touch or overlap they become one. When two
/// people overlap (a feed that double-books), the earlier start wins until it ends.
pub fn merge(shifts: &[Shift]) -> Vec<Shift> {
    let mut sorted: Vec<Shift> = shifts.iter().filter(|s| s.end > s.start).cloned().collect();
    sorted.sort_by(|a, b| a.start.cmp(&b.start).then(a.end.cmp(&b.end)));
    let mut out: Vec<Shift> = Vec::new();
    for s in sorted {
        match out.last_mut() {
            Some(last) if last.person == s.person && s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + chrono::Duration::hours(h.into())
    }

    #[test]
    fn now_until_and_next_skip_the_same_persons_next_block() {
        let shifts = [
            Shift::new("alice", t(0), t(8)),
            Shift::new("alice", t(8), t(16)),
            Shift::new("bob", t(16), t(24)),
            Shift::new("alice", t(24), t(32)),
        ];
        let oc = OnCall::from_shifts("primary", 1, &shifts, t(3));
        assert_eq!(oc.person_now(), Some("alice"));
        assert_eq!(oc.now.as_ref().unwrap().end, t(16), "alice's two shifts are one stretch");
        assert_eq!(oc.next.as_ref().map(|s| (s.person.as_str(), s.start)), Some(("bob", t(16))));
    }

    #[test]
    fn nobody_on_call_in_a_gap_names_who_comes() {
        let shifts = [Shift::new("alice", t(0), t(8)), Shift::new("bob", t(10), t(18))];
        let oc = OnCall::from_shifts("p", 1, &shifts, t(9));
        assert_eq!(oc.now, None);
        assert_eq!(oc.next.map(|s| s.person), Some("bob".into()));
        let oc = OnCall::from_shifts("p", 1, &shifts, t(20));
        assert_eq!((oc.now, oc.next), (None, None));
    }

    #[test]
    fn an_overlap_hands_over_when_the_next_person_starts() {
        let shifts = [Shift::new("gina", t(0), t(10)), Shift::new("hank", t(9), t(20))];
        let oc = OnCall::from_shifts("p", 1, &shifts, t(5));
        assert_eq!(oc.until(), Some(t(9)));
        assert_eq!(oc.next.map(|s| s.person), Some("hank".into()));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(Shift::new("ev\x1b[31mil", t(0), t(1)).person, "ev[31mil");
    }
}
