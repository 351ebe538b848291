//! The log pane: what a person does there (update, no runtime) and what it draws (ratatui's
//! TestBackend and insta snapshots, with structured lines and a hostile one).

use crate::common;

use common::alerts::*;
use klaxon::app::logs::{LogPane, LogUpdate, SourceStatus};
use klaxon::app::state::Pane;
use klaxon::app::{self, Effect, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{AlertKey, Level, LogLine};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn d1() -> AlertKey {
    AlertKey::new("prod", "d1")
}

fn line(source: &str, minute: u32, raw: &str) -> LogLine {
    let mut l = LogLine::parse(source, raw);
    if l.at.is_none() {
        l.at = Some(t0() - chrono::Duration::minutes(60) + chrono::Duration::minutes(i64::from(minute)));
    }
    l
}

fn lines_msg(source: &str, lines: Vec<LogLine>) -> Msg {
    Msg::Log { alert: d1(), source: source.into(), update: LogUpdate::Lines(lines) }
}

/// The sample board, two log sources, the log pane open on prod/d1 (the top alert).
fn with_logs(width: u16, height: u16, capacity: usize) -> (State, Vec<Effect>) {
    let mut s = state_with(width, height, sample());
    s.logs = LogPane::new(vec!["app".into(), "journal".into()], capacity);
    let fx = app::update(&mut s, key("l"));
    (s, fx)
}

fn sample_lines() -> Vec<LogLine> {
    vec![
        line("app", 1, r#"{"level":"info","msg":"accepting connections","port":5432}"#),
        line("app", 2, r#"{"level":"warn","msg":"slow query","request_id":"r-1","ctx":{"ms":812,"table":"orders"}}"#),
        line("app", 3, r#"{"level":"error","msg":"query timeout","request_id":"r-1","ctx":{"ms":30000}}"#),
        line("app", 4, r#"{"level":"debug","msg":"pool stats","idle":3}"#),
        line("app", 5, r#"{"level":"info","msg":"retrying","request_id":"r-2"}"#),
        line("app", 6, "plain text without a level"),
    ]
}

fn shown(s: &State) -> Vec<String> {
    s.logs.visible().iter().map(|p| s.logs.buffer.get(*p).unwrap().1.message.clone()).collect()
}

fn selected(s: &State) -> String {
    s.logs.selected_line().map(|l| l.message.clone()).unwrap_or_default()
}

#[test]
fn opening_the_pane_follows_the_selected_alert_and_leaving_stops() {
    let (mut s, fx) = with_logs(120, 40, 100);
    assert_eq!(s.focus, Pane::Logs);
    assert!(matches!(&fx[..], [Effect::FollowLogs(a)] if a.key == d1()), "{fx:?}");
    assert!(s.logs.sources.iter().all(|(_, st)| *st == SourceStatus::Loading));
    // Esc with no filter leaves the pane: the follow stops.
    let fx = app::update(&mut s, key("esc"));
    assert_eq!(s.focus, Pane::List);
    assert_eq!(fx, vec![Effect::StopLogs]);
    assert_eq!(s.logs.alert, None);
    // Another alert, then the pane again: that alert's lines.
    app::update(&mut s, key("j"));
    let fx = app::update(&mut s, key("l"));
    assert!(matches!(&fx[..], [Effect::FollowLogs(a)] if a.key != d1()), "{fx:?}");
}

#[test]
fn lines_statuses_and_stale_reports() {
    let (mut s, _) = with_logs(120, 40, 100);
    app::update(&mut s, lines_msg("app", sample_lines()));
    app::update(
        &mut s,
        Msg::Log {
            alert: d1(),
            source: "journal".into(),
            update: LogUpdate::Failed("journalctl failed: \x1b[31mno".into()),
        },
    );
    assert_eq!(s.logs.sources[0].1, SourceStatus::Lines(6));
    assert_eq!(s.logs.sources[1].1, SourceStatus::Failed("journalctl failed: [31mno".into()), "sanitized");
    // A report for an alert the pane no longer shows changes nothing.
    let other =
        Msg::Log { alert: AlertKey::new("prod", "h1"), source: "app".into(), update: LogUpdate::Lines(sample_lines()) };
    app::update(&mut s, other);
    assert_eq!(s.logs.buffer.len(), 6);
    assert_eq!(selected(&s), "plain text without a level", "following: the newest line");
}

#[test]
fn the_buffer_is_bounded_by_its_size() {
    let (mut s, _) = with_logs(120, 40, 100);
    let many: Vec<_> = (0..250).map(|i| line("app", 0, &format!("line {i}"))).collect();
    app::update(&mut s, lines_msg("app", many));
    assert_eq!((s.logs.buffer.len(), s.logs.buffer.dropped), (100, 150));
    assert_eq!(shown(&s).first().map(String::as_str), Some("line 150"));
}

#[test]
fn follow_keeps_the_newest_in_view_and_moving_up_pauses_it() {
    let (mut s, _) = with_logs(120, 40, 100);
    app::update(&mut s, lines_msg("app", sample_lines()));
    app::update(&mut s, key("k"));
    assert!(!s.logs.follow);
    assert_eq!(selected(&s), "retrying");
    app::update(&mut s, lines_msg("app", vec![line("app", 7, "newer")]));
    assert_eq!(selected(&s), "retrying", "paused: the cursor stays put");
    app::update(&mut s, key("G"));
    assert!(s.logs.follow);
    app::update(&mut s, lines_msg("app", vec![line("app", 8, "newest")]));
    assert_eq!(selected(&s), "newest");
    app::update(&mut s, key("f"));
    assert!(!s.logs.follow);
}

#[test]
fn level_filter_cycles_and_keeps_lines_without_a_level() {
    let (mut s, _) = with_logs(120, 40, 100);
    app::update(&mut s, lines_msg("app", sample_lines()));
    app::update(&mut s, key("v"));
    assert_eq!(s.logs.min_level, Some(Level::Debug));
    app::update(&mut s, key("v"));
    app::update(&mut s, key("v"));
    assert_eq!(s.logs.min_level, Some(Level::Warn));
    assert_eq!(shown(&s), ["slow query", "query timeout", "plain text without a level"]);
    app::update(&mut s, key("esc"));
    assert_eq!((s.logs.min_level, s.focus), (None, Pane::Logs), "Esc clears the filter first");
}

#[test]
fn search_highlights_and_jumps_between_matches() {
    let (mut s, _) = with_logs(120, 40, 100);
    app::update(&mut s, lines_msg("app", sample_lines()));
    typed(&mut s, "/");
    typed(&mut s, "QUERY\n");
    assert_eq!(s.logs.search.as_deref(), Some("QUERY"));
    assert_eq!(selected(&s), "query timeout", "the newest match");
    app::update(&mut s, key("N"));
    assert_eq!(selected(&s), "slow query", "wraps to the first");
    let screen = draw(&s).backend().to_string();
    assert!(screen.contains("search \"QUERY\""), "{screen}");
    // The match is drawn in the match style.
    let t = draw(&s);
    let buf = t.backend().buffer();
    let hit = Theme::default().style("palette.match").fg;
    let marked: String = buf.content().iter().filter(|c| c.fg == hit.unwrap()).map(|c| c.symbol()).collect();
    assert!(marked.contains("query"), "{marked:?}");
}

#[test]
fn jump_to_lines_sharing_a_request_id_and_back() {
    let (mut s, _) = with_logs(120, 40, 100);
    app::update(&mut s, lines_msg("app", sample_lines()));
    for _ in 0..3 {
        app::update(&mut s, key("k"));
    }
    assert_eq!(selected(&s), "query timeout");
    app::update(&mut s, key("c"));
    assert_eq!(s.logs.correlate, Some(("request_id".into(), "r-1".into())));
    assert_eq!(shown(&s), ["slow query", "query timeout"]);
    app::update(&mut s, key("c"));
    assert_eq!(shown(&s).len(), 6);
    // A line with no id says so.
    app::update(&mut s, key("G"));
    app::update(&mut s, key("c"));
    assert!(s.flash.as_ref().is_some_and(|f| f.error && f.text.contains("no request")), "{:?}", s.flash);
}

fn draw(state: &State) -> Terminal<TestBackend> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    terminal
}

/// Structured lines, a hostile one through the real parser, a failing source, and the
/// selected line's fields expanded.
fn lived_in(width: u16, height: u16) -> State {
    let (mut s, _) = with_logs(width, height, 100);
    let mut lines = sample_lines();
    let hostile = serde_json::json!({
        "level": "error",
        "msg": "\u{1b}[2J\u{1b}]0;pwned\u{7}cleared \u{202e}gnp.exe\u{202c} \u{9b}31mC1 CSI \u{85}NEL",
        "user\u{1b}[1m": "\u{2066}isolate\u{2069}",
        "trace_id": "t-9",
    });
    lines.push(line("app", 7, &hostile.to_string()));
    app::update(&mut s, lines_msg("app", lines));
    app::update(
        &mut s,
        Msg::Log {
            alert: d1(),
            source: "journal".into(),
            update: LogUpdate::Failed("journalctl failed (exit status: 1): No journal files were found.".into()),
        },
    );
    app::update(&mut s, key("enter"));
    s
}

#[test]
fn snapshot_structured_and_hostile_lines() {
    let s = lived_in(120, 40);
    let t = draw(&s);
    common::assert_clean_cells(t.backend().buffer());
    insta::assert_snapshot!("logs_120x40", t.backend().to_string());
    let s = lived_in(40, 10);
    let t = draw(&s);
    common::assert_clean_cells(t.backend().buffer());
    insta::assert_snapshot!("logs_40x10", t.backend().to_string());
}

#[test]
fn no_log_source_says_how_to_add_one() {
    let mut s = state_with(120, 40, sample());
    let fx = app::update(&mut s, key("l"));
    assert!(fx.is_empty());
    let screen = draw(&s).backend().to_string();
    assert!(screen.contains("No log source is configured") && screen.contains("[[logs]]"), "{screen}");
}
