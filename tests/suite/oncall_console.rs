//! The on-call line in the console's header (snapshots at 120×40 and 40×10, "you" standing
//! out, a failing schedule), and the notice before your own shift, through `update`.

use crate::common;

use chrono::Duration;
use common::alerts::*;
use klaxon::app::{self, Effect, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{AlertKey, EntryKind, NewEntry, Notice, OnCall, OpIds, Severity, Shift};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(state: &State) -> Terminal<TestBackend> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    terminal
}

fn answer(schedule: &str, level: i64, shifts: &[(&str, i64, i64)]) -> Msg {
    let now = t0();
    let shifts: Vec<Shift> = shifts
        .iter()
        .map(|(p, from, to)| Shift::new(p, now + Duration::minutes(*from), now + Duration::minutes(*to)))
        .collect();
    Msg::OnCall { schedule: schedule.into(), level, result: Ok(OnCall::from_shifts(schedule, level, &shifts, now)) }
}

/// The sample alerts, with `tester` on call at level 1, bob at 2, and a failing level 3.
fn with_oncall(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    s.actor = "tester".into();
    app::update(&mut s, answer("secondary", 2, &[("bob", -600, 1200), ("carol", 1200, 2400)]));
    app::update(&mut s, answer("primary", 1, &[("tester", -60, 346), ("alice", 346, 1000)]));
    app::update(&mut s, Msg::OnCall { schedule: "dba".into(), level: 3, result: Err("HTTP 401 Unauthorized".into()) });
    s
}

#[test]
fn header_shows_each_level_now_until_and_next() {
    let s = with_oncall(120, 40);
    let t = draw(&s);
    insta::assert_snapshot!("oncall_120x40", t.backend().to_string());
    let line: String = (0..120).map(|x| t.backend().buffer()[(x, 1)].symbol().to_string()).collect();
    assert!(line.contains("L1 ▶ tester (you) until 09:00 → alice"), "{line}");
    assert!(line.contains("L2 bob until 23:14 → carol"), "{line}");
    assert!(line.contains("L3 dba ✖ failing"), "{line}");
}

#[test]
fn you_stand_out_in_the_theme_colour() {
    let s = with_oncall(120, 40);
    let t = draw(&s);
    let buf = t.backend().buffer();
    let line: String = (0..120).map(|x| buf[(x, 1)].symbol().to_string()).collect();
    let you = line.chars().take_while(|c| *c != '▶').count() as u16;
    let other = line.chars().take(line.find("bob").unwrap()).count() as u16;
    assert_eq!(buf[(you, 1)].style().bg, Theme::default().style("header.you").bg);
    assert_ne!(buf[(you, 1)].style().bg, buf[(other, 1)].style().bg, "only your level is highlighted");
}

#[test]
fn a_tiny_terminal_keeps_both_header_lines_and_cuts_them() {
    let s = with_oncall(40, 10);
    insta::assert_snapshot!("oncall_40x10", draw(&s).backend().to_string());
    // Too short for a second line: the list keeps its room and nothing panics.
    let s = with_oncall(40, 6);
    let t = draw(&s);
    assert!(t.backend().to_string().contains("klaxon"));
}

#[test]
fn you_are_recognised_by_your_email_too() {
    let mut s = state_with(120, 40, vec![]);
    s.email = Some("Tester@Example.com".into());
    app::update(&mut s, answer("og", 1, &[("tester@example.com", -60, 60)]));
    let line: String = (0..120).map(|x| draw(&s).backend().buffer()[(x, 1)].symbol().to_string()).collect();
    assert!(line.contains("L1 ▶ tester@example.com (you)"), "{line}");
}

#[test]
fn nobody_on_call_says_who_comes_and_when() {
    let mut s = state_with(120, 40, vec![]);
    app::update(&mut s, answer("primary", 1, &[("alice", 30, 90)]));
    let line: String = (0..120).map(|x| draw(&s).backend().buffer()[(x, 1)].symbol().to_string()).collect();
    assert!(line.contains("L1 nobody → alice at 03:44"), "{line}");
}

#[test]
fn your_shift_is_announced_once_before_it_starts() {
    let mut s = state_with(120, 40, vec![]);
    s.actor = "tester".into();
    s.escalation.shift_notice = Duration::minutes(15);
    // An hour away: nothing yet.
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 60), ("tester", 60, 600)]));
    assert_eq!(fx, []);
    // Ten minutes away: one notice, and the status line says it.
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 10), ("tester", 10, 600)]));
    let notice = Notice {
        key: AlertKey::new("oncall", "primary"),
        title: "your on-call shift on primary (L1) starts at 03:24 UTC".into(),
        severity: Severity::Warning,
        rose_from: None,
    };
    assert_eq!(fx, [Effect::Notify(vec![notice])]);
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("starts at 03:24 UTC")));
    // Asked again a minute later, or a tick passes: not again.
    assert_eq!(app::update(&mut s, Msg::Tick(t0() + Duration::minutes(1))), []);
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 10), ("tester", 10, 600)]));
    assert_eq!(fx, []);
}

/// An escalation of a sample alert to level 1, as the console writes it.
fn escalated(id: &str, op_id: String, actor: &str, at: chrono::DateTime<chrono::Utc>, text: &str) -> Effect {
    let key = AlertKey::new("prod", id);
    Effect::Append(NewEntry::stamped(op_id, at, key, EntryKind::Escalated, actor, text).with_level(1))
}

/// The op_id every console gives the automatic escalation of a sample alert to level 1.
fn auto_op_id(id: &str, minutes_ago: i64) -> String {
    format!("auto-escalate:prod/{id}:{}:1", (t0() - Duration::minutes(minutes_ago)).timestamp())
}

#[test]
fn escalating_names_who_is_paged_at_the_next_level() {
    let mut s = with_oncall(120, 40);
    app::update(&mut s, key("e"));
    let fx = app::update(&mut s, key("y"));
    let text = "on call: tester (primary); nobody was paged: no pager is configured";
    assert_eq!(fx, [escalated("d1", OpIds::seeded(SEED).next(t0()), "tester", t0(), text)]);
    assert!(s.flash.as_ref().unwrap().text.starts_with("saving"), "not claimed before it is stored");
}

#[test]
fn unacknowledged_high_alerts_escalate_on_their_own_once_per_level() {
    let mut s = with_oncall(120, 40);
    s.escalation.auto_escalate = Some(Duration::minutes(15));
    // Nothing before the store said how far each alert already went.
    assert_eq!(app::update(&mut s, Msg::Tick(t0())), []);
    // The moment it has, what is already overdue is asked for: the clock ticks only at the
    // next minute (or the next due moment), so the tick cannot be what asks.
    let fx = app::update(&mut s, Msg::Ownership(Default::default()));
    // d1 (Disaster, 50 min) and h1 (High, 30 min) reach level 1, in rank order; h2 (High,
    // 10 min) waits; the Average, Warning and Information ones never escalate on their own.
    let text = "on call: tester (primary); nobody was paged: no pager is configured — unacknowledged for 15 min";
    assert_eq!(
        fx,
        [
            escalated("d1", auto_op_id("d1", 50), "klaxon", t0(), text),
            escalated("h1", auto_op_id("h1", 30), "klaxon", t0(), text)
        ]
    );
    // Neither the next tick nor the next snapshot asks for them again while the entries are
    // on their way.
    assert_eq!(app::update(&mut s, Msg::Tick(t0() + Duration::seconds(2))), []);
    let prod = s.list.board.ranked().iter().filter(|i| i.alert.source() == "prod").map(|i| (*i.alert).clone());
    let again = Msg::Snapshot { source: "prod".into(), alerts: prod.collect(), fresh: true };
    assert!(!app::update(&mut s, again).iter().any(|e| matches!(e, Effect::Append(_))));
}

#[test]
fn an_alert_that_arrives_overdue_is_escalated_with_its_snapshot_not_at_the_next_tick() {
    let mut s = with_oncall(120, 40);
    s.escalation.auto_escalate = Some(Duration::minutes(15));
    app::update(&mut s, Msg::Ownership(Default::default()));
    // A Disaster whose problem began 40 minutes ago, first seen in this poll.
    let late = alert("prod", "late", Severity::Disaster, 40, "Late", "db");
    let mut alerts: Vec<_> =
        s.list.board.ranked().iter().filter(|i| i.alert.source() == "prod").map(|i| (*i.alert).clone()).collect();
    alerts.push(late);
    let fx = app::update(&mut s, Msg::Snapshot { source: "prod".into(), alerts, fresh: true });
    let text = "on call: tester (primary); nobody was paged: no pager is configured — unacknowledged for 15 min";
    assert!(fx.contains(&escalated("late", auto_op_id("late", 40), "klaxon", t0(), text)), "{fx:?}");
}

#[test]
fn an_automatic_escalation_the_store_refused_is_asked_for_again() {
    let mut s = with_oncall(120, 40);
    s.escalation.auto_escalate = Some(Duration::minutes(15));
    let first = app::update(&mut s, Msg::Ownership(Default::default()));
    assert_eq!(first.len(), 2, "{first:?}");
    // The store refused one (a full disk): the runtime says which.
    let refused = auto_op_id("d1", 50);
    let error = "store k.db: database or disk is full".to_string();
    app::update(&mut s, Msg::AppendFailed { op_id: refused.clone(), key: AlertKey::new("prod", "d1"), error });
    assert!(s.flash.as_ref().unwrap().text.contains("disk is full"), "the failure is shown");
    let at = t0() + Duration::seconds(2);
    let again = app::update(&mut s, Msg::Tick(at));
    let text = "on call: tester (primary); nobody was paged: no pager is configured — unacknowledged for 15 min";
    assert_eq!(again, [escalated("d1", refused, "klaxon", at, text)], "only the one not stored is asked for again");
}

#[test]
fn a_tick_announces_your_shift_even_between_schedule_answers() {
    let mut s = state_with(120, 40, vec![]);
    s.actor = "tester".into();
    s.escalation.shift_notice = Duration::minutes(15);
    app::update(&mut s, answer("primary", 1, &[("alice", -60, 60), ("tester", 60, 600)]));
    let fx = app::update(&mut s, Msg::Tick(t0() + Duration::minutes(46)));
    let notice = Notice {
        key: AlertKey::new("oncall", "primary"),
        title: "your on-call shift on primary (L1) starts at 04:14 UTC".into(),
        severity: Severity::Warning,
        rose_from: None,
    };
    assert_eq!(fx, [Effect::Notify(vec![notice])]);
}
