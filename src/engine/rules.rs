//! The engine's decisions, pure so the console's `update` and the headless watch make them
//! alike: what a snapshot is news for, and which alerts escalate on their own.

use crate::escalation::{AUTO_ACTOR, auto_due};
use crate::model::{Board, EntryKind, NewEntry, Notice, Severity, Watcher};
use chrono::{DateTime, Duration, Utc};

/// What one source's snapshot is news for: alerts new or risen since its last snapshot that
/// nobody has taken. `fresh` false (the snapshot cached on disk) only remembers: what fired
/// before klaxon started is not news now.
pub fn news(watcher: &mut Watcher, board: &Board, source: &str, fresh: bool) -> Vec<Notice> {
    watcher.observe(source, board.ranked(), Severity::Information, !fresh)
}

/// The news worth interrupting a person for: at or above `min`, and not while muted.
pub fn loud(news: &[Notice], min: Severity, muted: bool) -> Vec<Notice> {
    if muted {
        return Vec::new();
    }
    news.iter().filter(|n| n.severity >= min).cloned().collect()
}

/// The automatic escalations due at `now` (`[escalation] auto_after`), as entries ready to
/// store: written by klaxon, with the deterministic op_id of [`crate::escalation::auto_op_id`]
/// so every console and watch deciding the same one writes one entry and one page. `text`
/// says who the level reaches, given the level and klaxon's note.
pub fn auto_escalations(
    board: &Board,
    now: DateTime<Utc>,
    after: Duration,
    top_level: i64,
    text: impl Fn(&crate::model::AlertKey, i64, &str) -> String,
) -> Vec<NewEntry> {
    auto_due(board.ranked(), now, after, top_level)
        .into_iter()
        .map(|(key, level, op_id)| {
            let note = format!("unacknowledged for {} min", (after * level as i32).num_minutes());
            NewEntry {
                op_id,
                kind: EntryKind::Escalated,
                actor: AUTO_ACTOR.to_owned(),
                at: now,
                text: crate::sanitize::sanitize(&text(&key, level, &note)),
                level: Some(level),
                alert_key: key,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, AlertKey};
    use chrono::TimeZone;

    #[test]
    fn news_is_what_is_new_or_rose_and_loud_is_what_passes_the_threshold() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let (mut board, mut watcher) = (Board::default(), Watcher::default());
        board.apply_snapshot("prod", vec![Alert::test("prod", "a", Severity::Warning, t0)]);
        assert!(news(&mut watcher, &board, "prod", false).is_empty(), "the cached snapshot is not news");
        board.apply_snapshot(
            "prod",
            vec![Alert::test("prod", "a", Severity::High, t0), Alert::test("prod", "b", Severity::Warning, t0)],
        );
        let n = news(&mut watcher, &board, "prod", true);
        let got: Vec<_> = n.iter().map(|n| (n.key.id(), n.severity, n.rose_from)).collect();
        assert_eq!(got, [("a", Severity::High, Some(Severity::Warning)), ("b", Severity::Warning, None)]);
        assert_eq!(loud(&n, Severity::High, false).len(), 1);
        assert!(loud(&n, Severity::Information, true).is_empty(), "muted");
    }

    #[test]
    fn an_automatic_escalation_is_the_same_entry_whoever_decides_it() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let mut board = Board::default();
        board.apply_snapshot("prod", vec![Alert::test("prod", "d", Severity::Disaster, t0)]);
        let now = t0 + Duration::minutes(16);
        let made = || auto_escalations(&board, now, Duration::minutes(15), 2, |_, l, n| format!("L{l}: {n}\u{1b}[2J"));
        let first = made();
        assert_eq!(first, made(), "no clock, no random id: two deciders write one entry");
        assert_eq!(first.len(), 1);
        let e = &first[0];
        assert_eq!(e.alert_key, AlertKey::new("prod", "d"));
        assert_eq!((e.kind, e.actor.as_str(), e.at, e.level), (EntryKind::Escalated, AUTO_ACTOR, now, Some(1)));
        assert_eq!(e.op_id, crate::escalation::auto_op_id(&e.alert_key, t0, 1));
        assert!(e.text.starts_with("L1: unacknowledged for 15 min") && !e.text.contains('\u{1b}'), "{}", e.text);
    }
}
