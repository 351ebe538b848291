//! Who is on call at each level, where escalations go, and the escalations klaxon asks for
//! on its own: the header's on-call line and the escalation rules' part of the state.

use crate::escalation::Pager;
use crate::model::{AlertKey, Board, NewEntry, Notice, OnCall, Severity};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// One schedule as the header shows it: its last answer, and why the latest ask failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallStatus {
    pub schedule: String,
    pub level: i64,
    pub last: Option<OnCall>,
    pub error: Option<String>,
}

pub struct Escalation {
    /// Each schedule, by level then name: who is on call, until when, who is next.
    pub oncall: Vec<OnCallStatus>,
    /// How long before your own shift starts you are told.
    pub shift_notice: chrono::Duration,
    /// Shifts of yours already announced, as (schedule, start).
    pub shifts_noticed: HashSet<(String, DateTime<Utc>)>,
    /// `[escalation] auto_after`: unacknowledged High/Disaster alerts go up a level after it.
    pub auto_escalate: Option<chrono::Duration>,
    /// Automatic escalations asked for (op_ids), so a tick does not ask twice.
    pub auto_requested: HashSet<String>,
    /// Escalation levels from the store have arrived: until then nothing escalates on its own.
    pub ownership_loaded: bool,
    /// What takes escalation pages (the webhook, Grafana OnCall schedules): none means an
    /// escalation is recorded and says that nobody was paged.
    pub pagers: Vec<Pager>,
    /// Per source, the levels at which it takes an escalation itself (PagerDuty and Opsgenie
    /// with `write_back` where one of their schedules answers, Zabbix at every level).
    pub at_source: HashMap<String, HashSet<i64>>,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            oncall: Vec::new(),
            shift_notice: chrono::Duration::minutes(15),
            shifts_noticed: HashSet::new(),
            auto_escalate: None,
            auto_requested: HashSet::new(),
            ownership_loaded: false,
            pagers: Vec::new(),
            at_source: HashMap::new(),
        }
    }
}

impl Escalation {
    /// The highest escalation level a schedule answers for (1 when there are none).
    pub fn top_level(&self) -> i64 {
        self.oncall.iter().map(|o| o.level).max().unwrap_or(1).max(1)
    }

    /// Whether the alert's source takes an escalation to `level` itself (its own rules page).
    pub fn at_source(&self, key: &AlertKey, level: i64) -> bool {
        self.at_source.get(key.source()).is_some_and(|levels| levels.contains(&level))
    }

    /// The entry text for escalating `key` to `level`: who is on call there now, and who pages.
    pub fn escalation_text(&self, key: &AlertKey, level: i64, note: &str) -> String {
        use crate::escalation::{entry_text, paged, pagers_for};
        let escalating = self.at_source(key, level).then(|| key.source());
        let answers: Vec<&OnCall> = self.oncall.iter().filter_map(|o| o.last.as_ref()).collect();
        // No schedules: nobody to name.
        let who = (!self.oncall.is_empty()).then(|| paged(&answers, level));
        entry_text(who.as_deref(), &pagers_for(&self.pagers, level), level, note, escalating)
    }

    /// A schedule's answer: an error keeps the last answer (shown as failing).
    pub fn on_call(&mut self, schedule: String, level: i64, result: Result<OnCall, String>) {
        let i = match self.oncall.iter().position(|o| o.schedule == schedule) {
            Some(i) => i,
            None => {
                self.oncall.push(OnCallStatus { schedule: schedule.clone(), level, last: None, error: None });
                self.oncall.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.schedule.cmp(&b.schedule)));
                self.oncall.iter().position(|o| o.schedule == schedule).unwrap_or(0)
            }
        };
        let entry = &mut self.oncall[i];
        match result {
            Ok(oc) => {
                entry.error = None;
                entry.last = Some(oc);
            }
            Err(e) => entry.error = Some(e),
        }
    }

    /// Your next shift on any schedule, within `shift_notice` of `now`: each told once.
    pub fn shift_notices(&mut self, now: DateTime<Utc>, is_me: impl Fn(&str) -> bool) -> Vec<Notice> {
        let mut due = Vec::new();
        for o in &self.oncall {
            let Some(next) = o.last.as_ref().and_then(|l| l.next.as_ref()) else { continue };
            let soon = next.start > now && next.start - now <= self.shift_notice;
            if soon && is_me(&next.person) && !self.shifts_noticed.contains(&(o.schedule.clone(), next.start)) {
                due.push((o.schedule.clone(), o.level, next.start));
            }
        }
        due.into_iter()
            .map(|(schedule, level, start)| {
                self.shifts_noticed.insert((schedule.clone(), start));
                Notice {
                    key: AlertKey::new("oncall", &schedule),
                    title: format!(
                        "your on-call shift on {schedule} (L{level}) starts at {}",
                        start.format("%H:%M UTC")
                    ),
                    severity: Severity::Warning,
                    rose_from: None,
                }
            })
            .collect()
    }

    /// Unacknowledged High/Disaster alerts go up a level once `auto_escalate` has passed per
    /// level: the entries to write (with their text), each asked for once. The op_id is the
    /// same in every console, so the store keeps one entry and one page.
    pub fn auto_due(&mut self, board: &Board, now: DateTime<Utc>) -> Vec<(NewEntry, String)> {
        let Some(after) = self.auto_escalate.filter(|_| self.ownership_loaded) else { return Vec::new() };
        // The same entries `klaxon watch` writes (engine/rules.rs), each asked for once here.
        let text = |key: &AlertKey, level: i64, note: &str| self.escalation_text(key, level, note);
        let due = crate::engine::rules::auto_escalations(board, now, after, self.top_level(), text);
        due.into_iter()
            .filter(|entry| self.auto_requested.insert(entry.op_id.clone()))
            .map(|entry| {
                let text = entry.text.clone();
                (entry, text)
            })
            .collect()
    }

    /// When the next shift notice or automatic escalation falls due after `now`, if any: the
    /// console's clock sleeps until then (or the next minute), not a second at a time.
    pub fn next_due(&self, board: &Board, now: DateTime<Utc>, is_me: impl Fn(&str) -> bool) -> Option<DateTime<Utc>> {
        let shift = self
            .oncall
            .iter()
            .filter_map(|o| Some((o, o.last.as_ref()?.next.as_ref()?)))
            .filter(|(o, next)| is_me(&next.person) && !self.shifts_noticed.contains(&(o.schedule.clone(), next.start)))
            .map(|(_, next)| next.start - self.shift_notice)
            .filter(|t| *t > now)
            .min();
        let auto = self
            .auto_escalate
            .filter(|_| self.ownership_loaded)
            .and_then(|after| crate::escalation::next_auto_due(board.ranked(), after, self.top_level(), now));
        shift.into_iter().chain(auto).min()
    }

    /// The store did not take an action: an automatic escalation may be asked for again.
    pub fn not_stored(&mut self, op_id: &str) {
        self.auto_requested.remove(op_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Shift;
    use chrono::TimeZone;

    #[test]
    fn your_shift_is_told_once_and_a_failing_schedule_keeps_its_last_answer() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 3, 14, 0).unwrap();
        let minutes = chrono::Duration::minutes;
        let shifts = [
            Shift::new("alice", now - minutes(60), now + minutes(10)),
            Shift::new("Tester", now + minutes(10), now + minutes(600)),
        ];
        let mut escalation = Escalation::default();
        escalation.on_call("primary".into(), 1, Ok(OnCall::from_shifts("primary", 1, &shifts, now)));
        let me = |person: &str| person.eq_ignore_ascii_case("tester");
        let told = escalation.shift_notices(now, me);
        let titles: Vec<&str> = told.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["your on-call shift on primary (L1) starts at 03:24 UTC"]);
        assert!(escalation.shift_notices(now + minutes(1), me).is_empty(), "told once");
        escalation.on_call("primary".into(), 1, Err("HTTP 500".into()));
        let status = &escalation.oncall[0];
        assert!(status.last.is_some() && status.error.as_deref() == Some("HTTP 500"));
    }
}
