//! What the console draws: ratatui's TestBackend and insta snapshots, per pane and full
//! screen, from 40×10 to 300×100, empty states and hostile text.

use crate::common;

use common::alerts::*;
use klaxon::app::{self, Msg, State};
use klaxon::config::theme::Theme;
use klaxon::model::{AlertKey, Entry, EntryKind, Health, Severity};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

fn draw(state: &State, theme: &Theme) -> Terminal<TestBackend> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, theme, f)).unwrap();
    terminal
}

fn screen(state: &State) -> String {
    draw(state, &Theme::default()).backend().to_string()
}

fn entry(id: i64, kind: EntryKind, actor: &str, minutes: i64, text: &str, level: Option<i64>) -> Entry {
    Entry {
        id,
        op_id: id.to_string(),
        alert_key: AlertKey::new("prod", "d1"),
        kind,
        actor: actor.into(),
        at: t0() - chrono::Duration::minutes(minutes),
        text: text.into(),
        level,
        db_user: None,
    }
}

/// The sample with a lived-in timeline on the Disaster alert, and one source stale.
fn busy(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    let entries = vec![
        entry(1, EntryKind::Seen, "klaxon", 50, "InstanceDown", Some(4)),
        entry(2, EntryKind::Acked, "bob", 45, "", None),
        entry(3, EntryKind::Note, "bob", 40, "db-d1 is not answering on 5432\nfailing over to the replica", None),
        entry(4, EntryKind::Escalated, "bob", 20, "need the DBA", Some(1)),
    ];
    app::update(&mut s, Msg::Timeline { key: AlertKey::new("prod", "d1"), entries });
    app::update(
        &mut s,
        Msg::Health {
            source: "local".into(),
            health: Health::Stale { since: t0() - chrono::Duration::minutes(7) },
            next: None,
        },
    );
    s.origin = Some("embedded default".into());
    s
}

#[test]
fn full_screen_120x40() {
    insta::assert_snapshot!(screen(&busy(120, 40)));
}

#[test]
fn full_screen_40x10_list_and_detail() {
    let mut s = busy(40, 10);
    insta::assert_snapshot!("tiny_list", screen(&s));
    app::update(&mut s, key("enter"));
    insta::assert_snapshot!("tiny_detail", screen(&s));
}

#[test]
fn stacked_on_a_tall_narrow_terminal() {
    insta::assert_snapshot!(screen(&busy(80, 40)));
}

#[test]
fn a_huge_terminal_keeps_its_frame() {
    let s = busy(300, 100);
    let t = draw(&s, &Theme::default());
    let buf = t.backend().buffer();
    let line = |y: u16| (0..300).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>();
    assert!(line(0).starts_with(" klaxon ") && line(0).trim_end().ends_with("03:14 UTC"), "{}", line(0));
    assert!(line(3).contains("HighErrorRate: trouble on web-h2"), "first ranked row: {}", line(3));
    assert!(line(8).contains("InstanceDown: trouble on db-d1") && line(8).contains("✓bob"), "owned, last: {}", line(8));
    assert!(line(99).contains("ack") && line(99).trim_end().ends_with("6/6"), "{}", line(99));
    assert!((0..100).any(|y| line(y).contains("failing over to the replica")), "the detail shows the note");
}

#[test]
fn empty_states() {
    let mut s = state_with(80, 24, vec![]);
    app::update(&mut s, Msg::Health { source: "prod".into(), health: Health::Pending, next: None });
    insta::assert_snapshot!("no_alerts", screen(&s));
    let mut s = busy(80, 24);
    app::update(&mut s, key("/"));
    typed(&mut s, "nothing-matches");
    insta::assert_snapshot!("filter_matches_nothing", screen(&s));
}

#[test]
fn grouped_and_collapsed() {
    let mut s = busy(100, 24);
    app::update(&mut s, key("z"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("enter"));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn overlays() {
    let mut s = busy(100, 36);
    app::update(&mut s, key("?"));
    insta::assert_snapshot!("help", screen(&s));
    let mut s = busy(80, 24);
    app::update(&mut s, key(":"));
    typed(&mut s, "ack");
    insta::assert_snapshot!("palette", screen(&s));
    let mut s = busy(80, 24);
    app::update(&mut s, key("j"));
    app::update(&mut s, key("e"));
    insta::assert_snapshot!("confirm_escalate", screen(&s));
    let mut s = busy(80, 24);
    app::update(&mut s, key("n"));
    typed(&mut s, "failover done\nreplica promoted, Grüße");
    insta::assert_snapshot!("note_editor", screen(&s));
}

#[test]
fn side_panes() {
    let mut s = busy(120, 30);
    app::update(&mut s, Msg::Runbooks(std::sync::Arc::new(klaxon::runbooks::Library::load(&[]).0)));
    app::update(&mut s, key("l"));
    insta::assert_snapshot!("logs", screen(&s));
    app::update(&mut s, key("r"));
    insta::assert_snapshot!("runbook", screen(&s));
}

#[test]
fn failing_source_and_flash_error() {
    let mut s = busy(100, 12);
    let health = Health::Ok { at: t0() }.failed(t0(), "cannot connect: connection refused".into());
    app::update(&mut s, Msg::Health { source: "prod".into(), health, next: None });
    app::update(&mut s, Msg::EffectFailed("not saved: store k.db: disk I/O error; any draft is kept".into()));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn actions_waiting_for_the_team_store_are_counted() {
    let mut s = busy(100, 12);
    app::update(&mut s, Msg::Unsent(3));
    app::update(&mut s, Msg::Notice("kept on this host: the store is out of reach; it goes when it is back".into()));
    let screen = screen(&s);
    assert!(screen.lines().last().unwrap().contains(" 3 unsent "), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn hostile_text_never_reaches_a_cell() {
    use klaxon::sanitize::HOSTILE_SAMPLES;
    let alerts: Vec<_> = HOSTILE_SAMPLES
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut a = alert("evil", &format!("x{i}"), Severity::High, i as i64, h, h);
            a.title = format!("{h} title");
            a.labels.insert(h.to_string(), h.to_string());
            a.annotations.insert("description", format!("{h}\nsecond {h}"));
            a.sanitized() // what the poller does at the border to every alert a source returns
        })
        .collect();
    for (w, h) in [(120, 40), (40, 10)] {
        let mut s = state_with(w, h, vec![("evil".into(), alerts.clone())]);
        for _ in 0..HOSTILE_SAMPLES.len() {
            let t = draw(&s, &Theme::default());
            common::assert_clean_cells(t.backend().buffer());
            app::update(&mut s, key("j"));
        }
    }
    let s = state_with(120, 40, vec![("evil".into(), alerts)]);
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn severity_is_colour_and_word_and_no_color_keeps_the_word() {
    let s = state_with(120, 40, sample());
    let cell_at = |t: &Terminal<TestBackend>| t.backend().buffer()[(1, 3)].clone();
    let coloured = draw(&s, &Theme::default());
    assert_eq!(cell_at(&coloured).symbol(), "D", "the word DIS starts the first row");
    assert_ne!(cell_at(&coloured).bg, Color::Reset, "disaster has its colour");
    let plain = Theme::load("default", std::path::Path::new("/nonexistent"), true).unwrap();
    let t = draw(&s, &plain);
    assert_eq!(cell_at(&t).symbol(), "D");
    assert!(
        t.backend().buffer().content().iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR: no colour anywhere"
    );
    for name in Theme::builtin_names() {
        let theme = Theme::builtin(name).unwrap();
        assert_eq!(draw(&s, &theme).backend().to_string(), coloured.backend().to_string(), "{name}: same text");
    }
}

/// The only source is down and nothing was ever seen from it: the list says the alerts are
/// unknown, names the source, its error and since when — never "All quiet".
#[test]
fn a_dead_source_is_never_all_quiet() {
    for (w, h) in [(120, 40), (40, 10)] {
        let mut s = state_with(w, h, vec![]);
        let health = Health::Pending.failed(t0(), "cannot connect: connection refused".into());
        app::update(
            &mut s,
            Msg::Health { source: "prod".into(), health, next: Some(t0() + chrono::Duration::seconds(30)) },
        );
        let screen = screen(&s);
        assert!(!screen.contains("All quiet"), "{screen}");
        if w == 120 {
            // The list pane's text, its wrapped lines joined.
            let text: String =
                screen.lines().filter_map(|l| l.split('┃').nth(1)).map(str::trim).collect::<Vec<_>>().join(" ");
            assert!(text.contains("prod: cannot connect: connection refused since 03:14 — alerts unknown"), "{screen}");
            assert!(screen.contains("prod ✖ failing since 03:14"), "the header says since when: {screen}");
        }
        insta::assert_snapshot!(format!("dead_source_{w}x{h}"), screen);
    }
    // Once it answers with nothing, it is quiet.
    let mut s = state_with(120, 40, vec![("prod".into(), vec![])]);
    app::update(&mut s, Msg::Health { source: "prod".into(), health: Health::Ok { at: t0() }, next: None });
    assert!(screen(&s).contains("No alerts. All quiet: every source answered."));
}

/// A source that had alerts and then failed: its rows stay, marked stale; the others not.
#[test]
fn rows_of_a_failing_source_are_marked_stale() {
    let mut s = state_with(120, 40, sample());
    let health = Health::Ok { at: t0() }.failed(t0(), "no answer within 10s".into());
    app::update(&mut s, Msg::Health { source: "prod".into(), health, next: None });
    let screen = screen(&s);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("trouble on")).collect();
    assert!(rows.iter().filter(|l| l.contains("prod")).all(|l| l.contains("(stale)")), "{screen}");
    assert!(rows.iter().filter(|l| l.contains("local")).all(|l| !l.contains("(stale)")), "{screen}");
}

/// `H` (or a click on the header) lists every source, schedule and log source with its
/// state, last success, last error and next try.
#[test]
fn the_source_panel_explains_every_part() {
    let mut s = state_with(120, 40, sample());
    let health = Health::Ok { at: t0() - chrono::Duration::minutes(5) }.failed(t0(), "HTTP 503".into());
    app::update(
        &mut s,
        Msg::Health { source: "prod".into(), health, next: Some(t0() + chrono::Duration::seconds(40)) },
    );
    app::update(&mut s, Msg::OnCall { schedule: "primary".into(), level: 1, result: Err("feed: HTTP 404".into()) });
    app::update(&mut s, Msg::Mouse(klaxon::app::Mouse::Click { column: 20, row: 0 }));
    let screen = screen(&s);
    assert!(screen.contains("last success 03:09:00 · next try 03:14:40"), "{screen}");
    assert!(screen.contains("last error: HTTP 503"), "{screen}");
    assert!(screen.contains("L1 primary") && screen.contains("last error: feed: HTTP 404"), "{screen}");
    insta::assert_snapshot!("source_panel", screen);
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("H"));
    assert!(matches!(s.mode, klaxon::app::state::Mode::Sources { .. }));
}

/// Escalating with no pager configured is recorded and says that nobody was paged.
#[test]
fn escalation_without_a_pager_says_nobody_was_paged() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("e"));
    let fx = app::update(&mut s, key("y"));
    let klaxon::app::Effect::Append(n) = &fx[0] else { panic!("{fx:?}") };
    let stored = Entry {
        id: 9,
        op_id: n.op_id.clone(),
        alert_key: n.alert_key.clone(),
        kind: n.kind,
        actor: n.actor.clone(),
        at: t0(),
        text: n.text.clone(),
        level: n.level,
        db_user: None,
    };
    app::update(&mut s, Msg::Entries(vec![stored]));
    let screen = screen(&s);
    assert!(screen.contains("nobody was paged: no pager is configured"), "{screen}");
    insta::assert_snapshot!("escalation_without_pager", screen);
}

/// A severity the source did not give is marked in the list and explained in the detail.
#[test]
fn a_guessed_severity_is_marked_and_explained() {
    let mut snap = sample();
    snap[0].1[1].guessed.severity = Some("no severity label".into()); // d1, the top row
    let s = state_with(120, 40, snap);
    let screen = screen(&s);
    assert!(screen.contains("┃DIS?  50m prod"), "{screen}");
    assert!(screen.contains("┃HIGH  10m prod"), "a known one keeps its tag: {screen}");
    assert!(screen.contains("severity guessed no severity label: shown as"), "{screen}");
}

/// The first frame at start, from the cached snapshot's head while the rest is read: the
/// counts are the whole snapshot's, the header says the alerts are the cache's and since
/// when, the title that the rest is being read. The whole snapshot then changes only that.
#[test]
fn the_first_frame_from_the_cached_head_counts_true_and_says_stale() {
    let dir = tempfile::tempdir().unwrap();
    let cache = klaxon::sources::cache::SnapshotCache::new(dir.path());
    let sevs = [Severity::Disaster, Severity::High, Severity::Warning, Severity::Average];
    let alerts: Vec<_> = (0..2000)
        .map(|i| alert("prod", &format!("a{i}"), sevs[i % 4], (i % 600) as i64, "HighErrorRate", "api"))
        .collect();
    cache.save("prod", t0() - chrono::Duration::minutes(7), &alerts).unwrap();
    let head = cache.load_head("prod").unwrap();
    let mut s = state_with(120, 24, vec![]);
    app::update(&mut s, Msg::CachedHead { source: "prod".into(), alerts: head.alerts, total: head.total });
    let stale = Health::Stale { since: head.taken_at };
    app::update(&mut s, Msg::Health { source: "prod".into(), health: stale, next: None });
    let first = screen(&s);
    assert!(first.contains("Alerts 2000/2000 · reading the cache"), "{first}");
    assert!(first.contains("prod ◐ stale since 03:07"), "{first}");
    insta::assert_snapshot!(first);

    let (_, whole) = cache.load("prod").unwrap();
    app::update(&mut s, Msg::Snapshot { source: "prod".into(), alerts: whole, fresh: false });
    let read = screen(&s);
    assert!(read.contains("Alerts 2000/2000 ") && !read.contains("reading the cache"), "{read}");
    let rows = |text: &str| text.lines().skip(3).take(15).map(String::from).collect::<Vec<_>>();
    assert_eq!(
        rows(&read),
        rows(&first).into_iter().map(|l| l.replace("· reading the cache ", "")).collect::<Vec<_>>()
    );
}
