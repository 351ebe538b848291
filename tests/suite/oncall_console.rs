//! The on-call line in the console's header (snapshots at 120×40 and 40×10, "you" standing
//! out, a failing schedule), and the notice before your own shift, through `update`.

use crate::common;

use chrono::Duration;
use common::alerts::*;
use klaxon::app::{self, Effect, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{OnCall, Shift};
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
    s.shift_notice = Duration::minutes(15);
    // An hour away: nothing yet.
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 60), ("tester", 60, 600)]));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Notify(_))), "{fx:?}");
    // Ten minutes away: one notice, and the status line says it.
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 10), ("tester", 10, 600)]));
    let notices: Vec<_> = fx.iter().filter_map(|e| if let Effect::Notify(n) = e { Some(n) } else { None }).collect();
    assert_eq!(notices.len(), 1, "{fx:?}");
    assert_eq!(notices[0][0].title, "your on-call shift on primary (L1) starts at 03:24 UTC");
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("starts at 03:24 UTC")));
    // Asked again a minute later, or a tick passes: not again.
    assert!(
        !app::update(&mut s, Msg::Tick(t0() + Duration::minutes(1))).iter().any(|e| matches!(e, Effect::Notify(_)))
    );
    let fx = app::update(&mut s, answer("primary", 1, &[("alice", -60, 10), ("tester", 10, 600)]));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Notify(_))), "{fx:?}");
}

fn appends(fx: &[Effect]) -> Vec<klaxon::model::NewEntry> {
    fx.iter().filter_map(|e| if let Effect::Append(n) = e { Some(n.clone()) } else { None }).collect()
}

#[test]
fn escalating_names_who_is_paged_at_the_next_level() {
    let mut s = with_oncall(120, 40);
    app::update(&mut s, key("e"));
    let fx = app::update(&mut s, key("y"));
    let a = appends(&fx);
    assert_eq!(a.len(), 1);
    let text = "on call: tester (primary); nobody was paged: no pager is configured";
    assert_eq!((a[0].level, a[0].text.as_str()), (Some(1), text));
    assert!(s.flash.as_ref().unwrap().text.starts_with("saving"), "not claimed before it is stored");
}

#[test]
fn unacknowledged_high_alerts_escalate_on_their_own_once_per_level() {
    let mut s = with_oncall(120, 40);
    s.auto_escalate = Some(Duration::minutes(15));
    // Nothing before the store said how far each alert already went.
    assert!(appends(&app::update(&mut s, Msg::Tick(t0()))).is_empty());
    app::update(&mut s, Msg::Ownership(Default::default()));
    let fx = app::update(&mut s, Msg::Tick(t0() + Duration::seconds(1)));
    let mut a = appends(&fx);
    a.sort_by(|x, y| x.alert_key.cmp(&y.alert_key));
    // d1 (Disaster, 50 min) and h1 (High, 30 min) reach level 1; h2 (High, 10 min) waits;
    // the Average, Warning and Information ones never escalate on their own.
    let got: Vec<_> = a.iter().map(|e| (e.alert_key.as_str(), e.level, e.actor.as_str(), e.op_id.as_str())).collect();
    let d1 = format!("auto-escalate:prod/d1:{}:1", (t0() - Duration::minutes(50)).timestamp());
    let h1 = format!("auto-escalate:prod/h1:{}:1", (t0() - Duration::minutes(30)).timestamp());
    assert_eq!(got, [("prod/d1", Some(1), "klaxon", d1.as_str()), ("prod/h1", Some(1), "klaxon", h1.as_str())]);
    assert_eq!(
        a[0].text,
        "on call: tester (primary); nobody was paged: no pager is configured — unacknowledged for 15 min"
    );
    // The next tick asks for nothing new while the entries are on their way.
    assert!(appends(&app::update(&mut s, Msg::Tick(t0() + Duration::seconds(2)))).is_empty());
}

#[test]
fn an_automatic_escalation_the_store_refused_is_asked_for_again() {
    let mut s = with_oncall(120, 40);
    s.auto_escalate = Some(Duration::minutes(15));
    app::update(&mut s, Msg::Ownership(Default::default()));
    let first = appends(&app::update(&mut s, Msg::Tick(t0() + Duration::seconds(1))));
    assert_eq!(first.len(), 2);
    // The store refused one (a full disk): the runtime says which.
    let refused = first[0].op_id.clone();
    let error = "store k.db: database or disk is full".to_string();
    app::update(&mut s, Msg::AppendFailed { op_id: refused.clone(), key: first[0].alert_key.clone(), error });
    assert!(s.flash.as_ref().unwrap().text.contains("disk is full"), "the failure is shown");
    let again = appends(&app::update(&mut s, Msg::Tick(t0() + Duration::seconds(2))));
    let again: Vec<&str> = again.iter().map(|e| e.op_id.as_str()).collect();
    assert_eq!(again, [refused.as_str()], "only the one not stored is asked for again");
}

#[test]
fn a_tick_announces_your_shift_even_between_schedule_answers() {
    let mut s = state_with(120, 40, vec![]);
    s.actor = "tester".into();
    s.shift_notice = Duration::minutes(15);
    app::update(&mut s, answer("primary", 1, &[("alice", -60, 60), ("tester", 60, 600)]));
    let fx = app::update(&mut s, Msg::Tick(t0() + Duration::minutes(46)));
    assert_eq!(fx.iter().filter(|e| matches!(e, Effect::Notify(_))).count(), 1, "{fx:?}");
}
