//! The console's history view (`Y`, `:history`): what the store gives back through
//! `Effect::LoadHistory` → `Msg::History`, filtered with `/` as the alert list is,
//! Enter opening the alert's timeline; snapshots at 120×40 and 40×10.

use crate::common::alerts::*;
use klaxon::app::history::Resolved;
use klaxon::app::state::Mode;
use klaxon::app::{self, Effect, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{AlertKey, Entry, EntryKind, Severity, Status};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(state: &State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    terminal.backend().to_string()
}

fn resolved(id: &str, sev: Severity, name: &str, service: &str, lasted_min: i64, ago_min: i64) -> Resolved {
    let mut a = alert("prod", id, sev, lasted_min + ago_min, name, service);
    a.status = Status::Resolved;
    let resolved_at = t0() - chrono::Duration::minutes(ago_min);
    Resolved { first_seen: a.started_at, resolved_at, alert: a }
}

/// The console asked the store and got three resolved alerts, one of them from yesterday.
fn with_history(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    let fx = app::update(&mut s, key("Y"));
    assert_eq!(s.mode, Mode::History);
    let week = Effect::LoadHistory { since: t0() - chrono::Duration::days(7) };
    assert!(fx.contains(&week), "Y asks the runtime for the last 7 days' resolved alerts: {fx:?}");
    let rows = vec![
        resolved("r1", Severity::High, "DiskFilling", "db", 42, 1500),
        resolved("r2", Severity::Disaster, "InstanceDown", "api", 7, 12),
        resolved("r3", Severity::Warning, "CpuHot", "web", 130, 90),
    ];
    app::update(&mut s, Msg::History(Ok(rows)));
    s
}

fn ids(s: &State) -> Vec<String> {
    s.history.shown().iter().map(|r| r.alert.key.as_str().to_owned()).collect()
}

#[test]
fn the_history_view_lists_resolved_alerts_filters_them_and_opens_their_timeline() {
    let mut s = with_history(120, 40);
    assert_eq!(ids(&s), ["prod/r2", "prod/r3", "prod/r1"], "newest resolution first, yesterday's too");
    insta::assert_snapshot!("history_view_120x40", screen(&s));

    // `/` takes the alert list's filter language; a bad one is refused with the reason.
    app::update(&mut s, key("/"));
    typed(&mut s, "severity>=bogus\n");
    assert!(s.history.problem.is_some(), "a bad filter is refused");
    let why = s.history.problem.clone().unwrap();
    assert!(why.contains("bogus") && screen(&s).contains("unknown severity \"bogus\""), "{why:?} on screen");
    for _ in 0.."severity>=bogus".len() {
        app::update(&mut s, key("backspace"));
    }
    typed(&mut s, "severity>=high\n");
    assert_eq!(ids(&s), ["prod/r2", "prod/r1"]);
    app::update(&mut s, key("j"));

    // Enter opens the timeline of the one under the cursor, loaded from the store.
    let fx = app::update(&mut s, key("enter"));
    let k = AlertKey::new("prod", "r1");
    assert_eq!(fx, [Effect::LoadTimeline(k.clone())]);
    let entry = |id: i64, kind: EntryKind, actor: &str, minutes_ago: i64, text: &str| Entry {
        id,
        op_id: format!("op-{id}"),
        alert_key: k.clone(),
        kind,
        actor: actor.into(),
        at: t0() - chrono::Duration::minutes(minutes_ago),
        text: text.into(),
        level: None,
        db_user: None,
    };
    let entries = vec![
        entry(1, EntryKind::Seen, "klaxon", 1542, ""),
        entry(2, EntryKind::Acked, "alice", 1535, ""),
        entry(3, EntryKind::Note, "alice", 1510, "rotated the logs on db-r1"),
    ];
    app::update(&mut s, Msg::Timeline { key: k.clone(), entries });
    let shown = screen(&s);
    assert!(shown.contains("timeline of prod/r1") && shown.contains("rotated the logs on db-r1"), "{shown}");
    // Esc goes back to the list (the filter kept), Esc again clears it, again closes.
    app::update(&mut s, key("esc"));
    assert_eq!(s.history.timeline, None);
    assert_eq!(ids(&s).len(), 2);
    app::update(&mut s, key("esc"));
    assert_eq!(ids(&s).len(), 3);
    app::update(&mut s, key("esc"));
    assert_eq!(s.mode, Mode::Normal);

    // The same view from the palette; a store that fails is named with why.
    app::update(&mut s, key(":"));
    typed(&mut s, "history\n");
    assert_eq!(s.mode, Mode::History);
    app::update(&mut s, Msg::History(Err("database is locked".into())));
    assert!(screen(&s).contains("history not read from the store: database is locked"));

    let small = with_history(40, 10);
    insta::assert_snapshot!("history_view_40x10", screen(&small));
}

/// The range read back: 7 days at first, `]` longer and `[` shorter, each asking the store
/// again for just that range (as `klaxon history --since` reads it); the title says it.
#[test]
fn the_history_view_reads_a_bounded_range_that_brackets_change() {
    let mut s = with_history(120, 40);
    let title = |s: &State| screen(s).lines().next().unwrap_or_default().to_owned();
    assert!(title(&s).contains("History: 3 of 3 resolved in the last 7d from 2026-11-14 03:14"), "{}", title(&s));
    let fx = app::update(&mut s, key("]"));
    assert_eq!(fx, [Effect::LoadHistory { since: t0() - chrono::Duration::days(30) }]);
    assert!(title(&s).contains("resolved in the last 30d from 2026-10-22 03:14"), "{}", title(&s));
    app::update(&mut s, key("["));
    let fx = app::update(&mut s, key("["));
    assert_eq!(fx, [Effect::LoadHistory { since: t0() - chrono::Duration::hours(24) }]);
    // The store answers for the day only: yesterday's r1 (25 h ago) is not among them.
    let rows = vec![resolved("r2", Severity::Disaster, "InstanceDown", "api", 7, 12)];
    app::update(&mut s, Msg::History(Ok(rows)));
    assert_eq!(ids(&s), ["prod/r2"]);
    assert!(title(&s).contains("History: 1 of 1 resolved in the last 24h"), "{}", title(&s));
    app::update(&mut s, key("["));
    assert!(app::update(&mut s, key("[")).is_empty(), "no range shorter than an hour");
    assert_eq!(s.flash.as_ref().map(|f| f.text.as_str()), Some("1h is the shortest range here"));
    // An empty range says how to widen it.
    app::update(&mut s, Msg::History(Ok(vec![])));
    assert!(screen(&s).contains("no alert resolved in this range ([ ] change it)"), "{}", screen(&s));
}
