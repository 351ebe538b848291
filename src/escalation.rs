//! Escalation: who a level pages, the words that page them, and when an unacknowledged
//! High or Disaster alert goes up a level on its own. Pure, so the console's update and
//! `klaxon escalate` share it; the page itself goes through the outbox to the
//! [`PAGER`] target ([`crate::notify::webhook`]), retried until the receiver takes it.

use crate::model::{AlertKey, Item, MirrorOp, OnCall, Severity, Status};
use chrono::{DateTime, Duration, Utc};

/// The outbox target of escalation pages. Not a valid source name ('@'), so never one.
pub const PAGER: &str = "@pager";

/// The actor of escalations klaxon makes itself.
pub const AUTO_ACTOR: &str = "klaxon";

/// Who is on call at `level`, per schedule answering for it: (schedule, person or None).
pub fn paged(oncall: &[&OnCall], level: i64) -> Vec<(String, Option<String>)> {
    oncall
        .iter()
        .filter(|o| o.level == level)
        .map(|o| (o.schedule.clone(), o.person_now().map(str::to_owned)))
        .collect()
}

/// The escalation entry's text: who was paged, then the person's note.
/// "paged bob (secondary) — need the DBA"; "no schedule answers for level 3".
pub fn entry_text(paged: &[(String, Option<String>)], level: i64, note: &str) -> String {
    let who: Vec<String> = paged
        .iter()
        .map(|(schedule, person)| match person {
            Some(p) => format!("{p} ({schedule})"),
            None => format!("nobody on call on {schedule}"),
        })
        .collect();
    let mut text = if who.is_empty() {
        format!("no schedule answers for level {level}")
    } else {
        format!("paged {}", who.join(", "))
    };
    if !note.trim().is_empty() {
        text.push_str(" — ");
        text.push_str(note.trim());
    }
    text
}

/// What the webhook receives: one line a chat channel shows well.
pub fn message(op: &MirrorOp) -> String {
    let what = op.labels.get("alertname").map(|n| format!(" ({n})")).unwrap_or_default();
    format!(":rotating_light: {} escalated {}{what}: {}", op.actor, op.alert_key, op.text)
}

/// The idempotency key of an automatic escalation: one per alert, incident and level, so
/// several consoles (or `klaxon watch`) deciding the same thing write one entry and one page.
pub fn auto_op_id(key: &AlertKey, started_at: DateTime<Utc>, level: i64) -> String {
    format!("auto-escalate:{key}:{}:{level}", started_at.timestamp())
}

/// Alerts due to go up a level on their own: firing, High or Disaster, nobody acknowledged,
/// and unacknowledged for `after` per level (level 1 after `after`, level 2 after twice
/// that, …) up to `max_level`. Returns (key, the level to reach, op_id).
pub fn auto_due<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    now: DateTime<Utc>,
    after: Duration,
    max_level: i64,
) -> Vec<(AlertKey, i64, String)> {
    let mut due = Vec::new();
    for item in items {
        let a = &item.alert;
        if a.status != Status::Firing || item.is_acked() || a.severity < Severity::High {
            continue;
        }
        let level = item.own.escalation_level.saturating_add(1);
        // Checked: a level or a wait too large to reckon with is never due.
        let wait = i32::try_from(level).ok().and_then(|l| after.checked_mul(l));
        if level > max_level || wait.is_none_or(|w| now - a.started_at < w) {
            continue;
        }
        due.push((a.key.clone(), level, auto_op_id(&a.key, a.started_at, level)));
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, Shift};
    use chrono::TimeZone;

    fn oc(schedule: &str, level: i64, person: Option<&str>) -> OnCall {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let shifts: Vec<Shift> = person.map(|p| Shift::new(p, t, t + Duration::hours(8))).into_iter().collect();
        OnCall::from_shifts(schedule, level, &shifts, t + Duration::hours(1))
    }

    #[test]
    fn the_text_names_who_was_paged_per_schedule() {
        let (a, b, c) = (oc("primary", 1, Some("alice")), oc("secondary", 2, Some("bob")), oc("dba", 2, None));
        let all = [&a, &b, &c];
        assert_eq!(
            entry_text(&paged(&all, 2), 2, " need the DBA "),
            "paged bob (secondary), nobody on call on dba — need the DBA"
        );
        assert_eq!(entry_text(&paged(&all, 3), 3, ""), "no schedule answers for level 3");
    }

    #[test]
    fn auto_escalation_waits_per_level_and_skips_acked_and_low() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let alert = |id: &str, sev: Severity| crate::model::Alert::test("prod", id, sev, t0);
        let mut board = Board::default();
        board.apply_snapshot(
            "prod",
            vec![alert("d", Severity::Disaster), alert("w", Severity::Warning), alert("h", Severity::High)],
        );
        let own = crate::model::Ownership { owner: Some("carol".into()), ..Default::default() };
        board.set_ownership([(AlertKey::new("prod", "h"), own)]);
        let after = Duration::minutes(15);
        assert!(auto_due(board.ranked(), t0 + Duration::minutes(14), after, 2).is_empty());
        let due = auto_due(board.ranked(), t0 + Duration::minutes(15), after, 2);
        assert_eq!(due, [(AlertKey::new("prod", "d"), 1, "auto-escalate:prod/d:1795230000:1".to_string())]);
        let mut own = crate::model::Ownership { escalation_level: 1, ..Default::default() };
        board.set_ownership([(AlertKey::new("prod", "d"), own.clone())]);
        assert!(auto_due(board.ranked(), t0 + Duration::minutes(29), after, 2).is_empty(), "level 2 after 30m");
        assert_eq!(auto_due(board.ranked(), t0 + Duration::minutes(30), after, 2)[0].1, 2);
        own.escalation_level = 2;
        board.set_ownership([(AlertKey::new("prod", "d"), own)]);
        assert!(auto_due(board.ranked(), t0 + Duration::hours(9), after, 2).is_empty(), "no level above the last");
    }
}
