//! Everything on screen can be reached: long panes scroll (keys and the wheel over the pane
//! under the pointer) and say where they are, log lines can be read in full, a pane can
//! take the whole screen, every pane works at 40×10, the status bar teaches the keys of the
//! pane in focus, and the palette takes arguments. Update tests (messages in, state and
//! effects out) and TestBackend snapshots.

use crate::common;

use common::alerts::*;
use klaxon::app::logs::{LogPane, LogUpdate};
use klaxon::app::state::{Mode, Pane, Sort};
use klaxon::app::{self, Effect, Mouse, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{AlertKey, Entry, EntryKind, LogLine};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn d1() -> AlertKey {
    AlertKey::new("prod", "d1")
}

/// Draws the way the runtime does, hands the update what the frame measured, and returns
/// the screen as text.
fn settle(state: &mut State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut drawn = Default::default();
    terminal.draw(|f| drawn = klaxon::ui::draw(state, &Theme::default(), f)).unwrap();
    app::update(state, Msg::Drawn(drawn));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    terminal.backend().to_string()
}

fn rows(screen: &str) -> Vec<&str> {
    screen.lines().collect()
}

/// prod/d1 with a timeline of 40 entries: seen, then notes and acks over 40 minutes.
fn long_timeline(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    let entries = (0..40)
        .map(|i| Entry {
            id: i + 1,
            op_id: format!("op{i}"),
            alert_key: d1(),
            kind: match i {
                0 => EntryKind::Seen,
                i if i % 10 == 5 => EntryKind::Acked,
                _ => EntryKind::Note,
            },
            actor: if i % 2 == 0 { "alice".into() } else { "bob".into() },
            at: t0() - chrono::Duration::minutes(45 - i),
            text: format!("step {} of the failover", i + 1),
            level: None,
            db_user: None,
        })
        .collect();
    app::update(&mut s, Msg::Timeline { key: d1(), entries });
    s
}

#[test]
fn the_detail_scrolls_through_a_long_timeline_and_stops_at_its_end() {
    let mut s = long_timeline(100, 30);
    app::update(&mut s, key("enter"));
    assert_eq!(s.focus, Pane::Detail);
    let screen = settle(&mut s);
    assert!(!screen.contains("step 40 of"), "the end is below the pane at first");
    let extent = s.detail.extent;
    assert!(extent.rows > extent.height, "{extent:?}");
    app::update(&mut s, key("G"));
    assert_eq!(s.detail.scroll, extent.max(), "G: the last row at the bottom");
    assert_eq!(s.selected_item().unwrap().alert.key, d1(), "the list did not move");
    app::update(&mut s, key("j"));
    assert_eq!(s.detail.scroll, extent.max(), "no scrolling into blank space");
    app::update(&mut s, key("k"));
    assert_eq!(s.detail.scroll, extent.max() - 1, "one key back up is one row");
    let screen = settle(&mut s);
    assert!(screen.contains("step 39 of") && !screen.contains("step 40 of"), "{screen}");
    app::update(&mut s, key("g"));
    assert_eq!(s.detail.scroll, 0);
    app::update(&mut s, key("pgdn"));
    assert_eq!(s.detail.scroll, extent.height - 1, "a page keeps one row for context");
    // Another alert starts at its top (d1 is owned now: it sank to the bottom of the list).
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("k"));
    assert_eq!(s.detail.scroll, 0);
}

#[test]
fn snapshot_a_scrolled_timeline_with_its_position() {
    let mut s = long_timeline(100, 30);
    app::update(&mut s, key("enter"));
    settle(&mut s);
    for _ in 0..2 {
        app::update(&mut s, key("pgdn"));
    }
    let screen = settle(&mut s);
    let bottom = rows(&screen)[28];
    assert!(bottom.contains('↑') && bottom.contains('↓'), "more above and below: {bottom}");
    insta::assert_snapshot!("detail_timeline_40_scrolled", screen);
}

#[test]
fn the_wheel_moves_the_pane_under_the_pointer() {
    let mut s = long_timeline(120, 40);
    settle(&mut s);
    let side = s.layout().side;
    let (x, y) = (side.x + 5, side.y + 5);
    // Over the detail: the detail scrolls, the selection stays (the list keeps focus).
    app::update(&mut s, Msg::Mouse(Mouse::ScrollDown { column: x, row: y }));
    assert_eq!((s.detail.scroll, selected_id(&s).as_str(), s.focus), (3, "d1", Pane::List));
    app::update(&mut s, Msg::Mouse(Mouse::ScrollUp { column: x, row: y }));
    assert_eq!(s.detail.scroll, 0);
    // Over the list: the selection moves (d1, owned, is last).
    let list = s.layout().list;
    app::update(&mut s, Msg::Mouse(Mouse::ScrollUp { column: list.x + 3, row: list.y + 4 }));
    assert_eq!(selected_id(&s), "a1");
    // Over the log pane: its cursor moves, not the list's.
    let mut s = with_logs(120, 40);
    app::update(&mut s, lines(&["one", "two", "three", "four", "five"]));
    app::update(&mut s, Msg::Mouse(Mouse::ScrollUp { column: x, row: y }));
    assert_eq!(s.logs.selected_line().unwrap().message, "two");
    assert_eq!(selected_id(&s), "d1");
    // Over the help: it scrolls.
    let mut s = state_with(60, 12, sample());
    app::update(&mut s, key("?"));
    settle(&mut s);
    app::update(&mut s, Msg::Mouse(Mouse::ScrollDown { column: 0, row: 0 }));
    assert_eq!(s.mode, Mode::Help { scroll: 3 });
}

#[test]
fn the_runbook_browser_stops_at_the_last_line() {
    let mut s = state_with(100, 30, sample());
    app::update(&mut s, Msg::Runbooks(std::sync::Arc::new(klaxon::runbooks::Library::load(&[]).0)));
    app::update(&mut s, key("R"));
    common::alerts::typed(&mut s, "disk");
    app::update(&mut s, key("enter"));
    settle(&mut s);
    app::update(&mut s, key("G"));
    let screen = settle(&mut s);
    let rows = rows(&screen);
    // The browser's box ends above the status bar; its last text row is just inside it.
    let last_text = rows[27];
    assert!(last_text.trim_matches(|c| c == '│' || c == ' ' || c == '"').len() > 2, "blank at the bottom: {screen}");
    let Mode::Runbooks(b) = &s.mode else { panic!() };
    let before = b.scroll;
    app::update(&mut s, key("j"));
    let Mode::Runbooks(b) = &s.mode else { panic!() };
    assert_eq!(b.scroll, before, "j at the end stays at the end");
    assert!(rows[28].contains('↑'), "the position says there is more above: {}", rows[28]);
}

#[test]
fn the_runbook_pane_stops_at_the_last_line() {
    let mut s = state_with(120, 30, sample());
    app::update(&mut s, Msg::Runbooks(std::sync::Arc::new(klaxon::runbooks::Library::load(&[]).0)));
    app::update(&mut s, key("r"));
    settle(&mut s);
    app::update(&mut s, key("G"));
    let at = s.runbooks.pane.as_ref().unwrap().scroll;
    assert_eq!(at, s.runbooks.extent.max());
    assert!(at > 0, "the runbook is longer than the pane");
    app::update(&mut s, key("k"));
    assert_eq!(s.runbooks.pane.as_ref().unwrap().scroll, at - 1);
}

fn with_logs(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    s.logs = LogPane::new(vec!["app".into()], 100);
    app::update(&mut s, key("l"));
    s
}

fn lines(messages: &[&str]) -> Msg {
    let lines = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut l = LogLine::parse("app", m);
            l.at = Some(t0() - chrono::Duration::minutes(10 - i as i64));
            l
        })
        .collect();
    Msg::Log { alert: d1(), source: "app".into(), update: LogUpdate::Lines(lines) }
}

/// A line longer than the pane, with the word `replica` far to the right.
fn long_line() -> String {
    let pad: Vec<String> = (0..30).map(|i| format!("w{i:02}")).collect();
    format!("waiting for checkpoint {} then replica lag=412s", pad.join(" "))
}

#[test]
fn long_log_lines_scroll_sideways_wrap_and_search_hits_come_into_view() {
    let mut s = with_logs(80, 24);
    let long = long_line();
    app::update(&mut s, lines(&["short", &long, "after"]));
    app::update(&mut s, key("k"));
    assert_eq!(s.logs.selected_line().unwrap().message, long);
    app::update(&mut s, key("right"));
    assert!(s.logs.hscroll > 0);
    let screen = settle(&mut s);
    assert!(screen.contains("…"), "the cut start is marked: {screen}");
    app::update(&mut s, key("left"));
    assert_eq!(s.logs.hscroll, 0);
    // A search hit off the right edge is scrolled into view.
    common::alerts::typed(&mut s, "/replica\n");
    assert!(s.logs.hscroll > 0, "scrolled to the hit");
    let screen = settle(&mut s);
    assert!(screen.contains("replica lag=412s"), "{screen}");
    // Wrapped, the whole line shows on more rows, and sideways means nothing.
    app::update(&mut s, key("w"));
    assert!(s.logs.wrap && s.logs.hscroll == 0);
    let screen = settle(&mut s);
    assert!(screen.contains("waiting for checkpoint w00") && screen.contains("replica lag=412s"), "{screen}");
    app::update(&mut s, key("right"));
    assert_eq!(s.logs.hscroll, 0);
    assert!(s.flash.as_ref().unwrap().text.contains("w cuts them"), "{:?}", s.flash);
}

#[test]
fn a_wrapped_line_taller_than_the_pane_is_read_to_its_end() {
    let mut s = with_logs(40, 10);
    app::update(&mut s, lines(&["before", &long_line(), "after"]));
    app::update(&mut s, key("k"));
    app::update(&mut s, key("w"));
    let screen = settle(&mut s);
    assert!(screen.contains("waiting for") && !screen.contains("lag=412s"), "its end is below: {screen}");
    // j goes down through the line's rows before the cursor moves on.
    for _ in 0..20 {
        app::update(&mut s, key("j"));
        if settle(&mut s).contains("lag=412s") {
            break;
        }
    }
    let screen = settle(&mut s);
    assert!(screen.contains("lag=412s"), "{screen}");
    assert_eq!(s.logs.selected_line().unwrap().message, long_line(), "still on the long line");
    app::update(&mut s, key("j"));
    settle(&mut s);
    assert_eq!(s.logs.selected_line().unwrap().message, "after", "then the next line");
    // A search hit far down a tall line is brought into view.
    app::update(&mut s, key("g"));
    common::alerts::typed(&mut s, "/lag=412\n");
    let screen = settle(&mut s);
    assert!(screen.contains("lag=412s"), "{screen}");
}

#[test]
fn snapshot_a_wrapped_log_line() {
    let mut s = with_logs(80, 24);
    let long = long_line();
    app::update(&mut s, lines(&["accepting connections", &long, "after"]));
    app::update(&mut s, key("k"));
    app::update(&mut s, key("w"));
    insta::assert_snapshot!("log_line_wrapped", settle(&mut s));
}

#[test]
fn zoom_gives_the_focused_pane_the_whole_body() {
    let mut s = long_timeline(120, 30);
    app::update(&mut s, key("enter"));
    app::update(&mut s, key("Z"));
    assert!(s.zoom);
    let l = s.layout();
    assert_eq!((l.list.height, l.side), (0, l.body));
    let screen = settle(&mut s);
    assert!(screen.contains("Z again goes back"), "the bar says how back: {screen}");
    insta::assert_snapshot!("zoomed_detail", screen);
    app::update(&mut s, key("Z"));
    assert!(!s.zoom && s.layout().list.height > 0);
}

#[test]
fn at_40x10_every_pane_is_reached() {
    let mut s = long_timeline(40, 10);
    s.logs = LogPane::new(vec!["app".into()], 100);
    app::update(&mut s, Msg::Runbooks(std::sync::Arc::new(klaxon::runbooks::Library::load(&[]).0)));
    insta::assert_snapshot!("tiny_list", settle(&mut s));
    app::update(&mut s, key("enter"));
    settle(&mut s);
    app::update(&mut s, key("G"));
    let screen = settle(&mut s);
    assert!(screen.contains("step 40 of"), "the end of the timeline is reached: {screen}");
    insta::assert_snapshot!("tiny_detail_end", screen);
    app::update(&mut s, key("tab"));
    assert_eq!(s.focus, Pane::Logs);
    app::update(&mut s, lines(&["accepting connections", &long_line()]));
    app::update(&mut s, key("w"));
    insta::assert_snapshot!("tiny_logs_wrapped", settle(&mut s));
    app::update(&mut s, key("tab"));
    assert_eq!(s.focus, Pane::Runbook);
    settle(&mut s);
    app::update(&mut s, key("G"));
    insta::assert_snapshot!("tiny_runbook_end", settle(&mut s));
    app::update(&mut s, key("?"));
    settle(&mut s);
    app::update(&mut s, key("G"));
    let screen = settle(&mut s);
    assert!(screen.contains("Quit"), "the last key of the help is reached: {screen}");
    insta::assert_snapshot!("tiny_help_end", screen);
}

#[test]
fn hints_follow_the_pane_in_focus() {
    let bar = |s: &mut State| settle(s).lines().last().unwrap().to_owned();
    let mut s = with_logs(120, 30);
    app::update(&mut s, key("esc"));
    let list = bar(&mut s);
    for hint in ["r runbook", "l logs", "R runbooks", "s sort", "? help"] {
        assert!(list.contains(hint), "{hint} in {list}");
    }
    app::update(&mut s, key("l"));
    let logs = bar(&mut s);
    for hint in ["f follow", "/ search", "w wrap", "←/→ sideways", "? help"] {
        assert!(logs.contains(hint), "{hint} in {logs}");
    }
    assert!(!logs.contains("a ack"), "{logs}");
    app::update(&mut s, key("enter"));
    app::update(&mut s, key("backtab"));
    assert_eq!(s.focus, Pane::Detail);
    assert!(bar(&mut s).contains("j/k scroll"));
}

#[test]
fn a_key_where_it_does_not_apply_says_what_it_would_do_and_where() {
    let mut s = with_logs(120, 30);
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("f"));
    let said = s.flash.clone().unwrap().text;
    assert_eq!(said, "follow new lines: that works in the log pane; l opens it");
    app::update(&mut s, key("w"));
    assert!(s.flash.as_ref().unwrap().text.starts_with("wrap long lines: that works in the log pane"));
    app::update(&mut s, key("y"));
    let said = s.flash.clone().unwrap().text;
    assert!(said.contains("works in a runbook; r shows this alert's, R browses them"), "{said}");
    app::update(&mut s, key("x"));
    assert_eq!(s.flash.clone().unwrap().text, "x does nothing here: ? lists the keys");
    // N before any search says how to search.
    app::update(&mut s, key("l"));
    app::update(&mut s, key("N"));
    assert_eq!(s.flash.clone().unwrap().text, "nothing is searched yet: / searches the lines");
    // In a log pane with no source, it says what is missing.
    let mut s = state_with(120, 30, sample());
    app::update(&mut s, key("l"));
    app::update(&mut s, key("f"));
    assert!(s.flash.clone().unwrap().text.starts_with("no log source is configured"));
}

#[test]
fn a_channel_failure_is_a_one_time_notice_beside_the_hints() {
    let mut s = state_with(120, 30, sample());
    let text = "desktop notifications are not working: org.freedesktop.DBus.Error.ServiceUnknown";
    app::update(&mut s, Msg::ChannelFailed(text.into()));
    assert!(s.flash.is_none(), "not an error over the hints");
    let bar = settle(&mut s).lines().last().unwrap().to_owned();
    assert!(bar.contains("a ack") && bar.contains("desktop notifications are not"), "{bar}");
    insta::assert_snapshot!("channel_notice", bar);
    app::update(&mut s, key("j"));
    assert!(s.attention.notice.is_none(), "once: a key press answers it");
    assert!(!settle(&mut s).contains("desktop notifications"));
}

#[test]
fn the_palette_takes_arguments() {
    let mut s = state_with(120, 30, sample());
    let palette = |s: &mut State, text: &str| {
        app::update(s, key(":"));
        common::alerts::typed(s, text);
        app::update(s, key("enter"))
    };
    palette(&mut s, "sort newest");
    assert_eq!((s.list.sort, s.mode.clone()), (Sort::Newest, Mode::Normal));
    assert_eq!(visible_ids(&s)[0], "i1");
    palette(&mut s, "group service");
    assert!(visible_ids(&s).iter().any(|r| r == "[db 2]"), "{:?}", visible_ids(&s));
    palette(&mut s, "group none");
    palette(&mut s, "filter severity>=high");
    assert_eq!(visible_ids(&s), ["h2", "h1", "d1"]);
    palette(&mut s, "filter ");
    assert_eq!(visible_ids(&s).len(), 6, "an empty filter clears it");
    let fx = palette(&mut s, "theme light");
    assert_eq!(fx, [Effect::SetTheme("light".into())]);
    // A bad argument says what it takes and keeps the palette open to fix it.
    palette(&mut s, "sort sideways");
    assert!(matches!(&s.mode, Mode::Palette { input, .. } if input == "sort sideways"));
    assert_eq!(s.flash.clone().unwrap().text, "sort takes rank, newest, oldest, source");
    let screen = settle(&mut s);
    assert!(screen.contains("one of: rank, newest, oldest, source"), "{screen}");
    // Without an argument it is still a search over actions.
    app::update(&mut s, key("esc"));
    palette(&mut s, "zoom");
    assert!(s.zoom);
}
