//! Runbooks as a person reaches them: `klaxon runbook …`, the pane beside an alert, the
//! browser, links, the offline cache, and hostile content.

mod common;

use common::alerts::*;
use common::{Sandbox, servers};
use klaxon::app::state::{Mode, Pane};
use klaxon::app::{self, Effect, Msg};
use klaxon::config::theme::Theme;
use klaxon::model::{Link, Severity};
use klaxon::runbooks::{Library, Reference};
use std::sync::Arc;

fn screen(state: &klaxon::app::State) -> String {
    let (w, h) = state.size;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    t.backend().to_string()
}

fn with_library(mut s: klaxon::app::State) -> klaxon::app::State {
    app::update(&mut s, Msg::Runbooks(Arc::new(Library::load(&[]).0)));
    s
}

#[test]
fn cli_lists_shows_and_searches() {
    let sb = Sandbox::new();
    let out = sb.klaxon().args(["runbook", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(list.lines().count(), 11, "{list}");
    assert!(list.contains("disk-filling") && list.contains("[bundled]"));
    let out = sb.klaxon().args(["runbook", "show", "replication-lag", "--width", "40"]).output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(shown.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= 40), "fits 40 columns:\n{shown}");
    assert!(shown.contains("Replication lag"));
    let out = sb.klaxon().args(["runbook", "search", "pg_stat_replication"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("replication-lag"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    sb.klaxon().args(["runbook", "show", "no-such-runbook"]).assert().code(2);
    sb.klaxon().args(["runbook", "search", "zzqqxxyy"]).assert().code(1);
}

#[test]
fn a_remote_runbook_is_shown_from_the_cache_once_the_server_is_gone() {
    let sb = Sandbox::new();
    let port = servers::free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 2048];
        let _ = s.read(&mut buf);
        let body = "# Payments DB failover\n\n1. Promote the replica\n";
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    });
    let url = format!("http://127.0.0.1:{port}/wiki/payments-db");
    let first = sb.klaxon().args(["runbook", "show", &url]).output().unwrap();
    server.join().unwrap();
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success() && text.contains("Promote the replica") && text.contains("read at"), "{text}");
    // Nothing listens there now: the cached copy, saying when it was read.
    let again = sb.klaxon().args(["runbook", "show", &url]).output().unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(text.contains("Promote the replica") && text.contains("cached at"), "{text}");
}

#[test]
fn the_pane_shows_the_alerts_runbook_and_lists_other_candidates() {
    let mut alerts = sample();
    // w1 is DiskFilling; point it at high-load explicitly: its own reference wins.
    alerts[0].1[2].links = vec![Link { kind: "runbook".into(), url: "high-load".into() }];
    let mut s = with_library(state_with(120, 40, alerts));
    for _ in 0..4 {
        app::update(&mut s, key("j"));
    }
    assert_eq!(selected_id(&s), "w1");
    app::update(&mut s, key("r"));
    assert_eq!(s.focus, Pane::Runbook);
    let pane = s.runbook.as_ref().unwrap();
    assert_eq!(pane.shown().unwrap().name, "high-load");
    assert_eq!(pane.resolution.others, ["disk-filling"]);
    let text = screen(&s);
    assert!(text.contains("high-load · bundled") && text.contains("also fits: disk-filling"), "{text}");
    // Movement keys scroll the pane while it has focus; the list stays put.
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    assert_eq!((s.runbook.as_ref().unwrap().scroll, selected_id(&s).as_str()), (2, "w1"));
    // Back in the list, moving picks the next alert's runbook.
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("k"));
    app::update(&mut s, key("r"));
    assert_eq!(s.runbook.as_ref().unwrap().alert.id(), "a1");
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn an_alert_pointing_at_a_url_asks_the_runtime_and_shows_what_it_read() {
    let mut alerts = sample();
    alerts[0].1[0].links = vec![Link { kind: "runbook".into(), url: "https://wiki.example.com/api".into() }];
    let mut s = with_library(state_with(120, 30, alerts));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    assert_eq!(selected_id(&s), "h1");
    let fx = app::update(&mut s, key("r"));
    let reference = Reference::Url("https://wiki.example.com/api".into());
    assert_eq!(fx, [Effect::LoadRunbook(reference.clone())]);
    assert!(screen(&s).contains("reading"));
    let rb = klaxon::runbooks::Runbook::from_document(
        "https://wiki.example.com/api",
        "# API runbook\n\nRestart the \u{1b}[2Jgateway.",
        klaxon::runbooks::Origin::Remote {
            url: "https://wiki.example.com/api".into(),
            fetched_at: t0(),
            from_cache: true,
        },
    );
    app::update(&mut s, Msg::RunbookLoaded { reference, result: Ok(rb) });
    let text = screen(&s);
    assert!(text.contains("cached at 2026-11-21") && text.contains("(could not reach it now)"), "{text}");
    assert!(text.contains("Restart the [2Jgateway."), "{text}");
}

#[test]
fn the_browser_searches_opens_follows_links_and_copies_only_when_allowed() {
    let mut s = with_library(state_with(100, 30, sample()));
    app::update(&mut s, key("R"));
    typed(&mut s, "replica");
    app::update(&mut s, key("enter"));
    let Mode::Runbooks(b) = &s.mode else { panic!("browser open") };
    assert_eq!(b.open.as_ref().unwrap().name, "replication-lag");
    insta::assert_snapshot!("browser_open", screen(&s));
    // Copying is off by default.
    assert!(app::update(&mut s, key("y")).is_empty());
    assert!(s.flash.as_ref().unwrap().text.contains("copy_code = true"));
    s.copy_code = true;
    let fx = app::update(&mut s, key("y"));
    assert!(matches!(&fx[..], [Effect::Copy(code)] if code.contains("pg_stat_replication")), "{fx:?}");
    // Esc goes back to the search, Esc again closes.
    app::update(&mut s, key("esc"));
    assert!(matches!(&s.mode, Mode::Runbooks(b) if b.open.is_none()));
    insta::assert_snapshot!("browser_search", screen(&s));
    app::update(&mut s, key("esc"));
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn a_link_to_another_runbook_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("db-incident.md"),
        "+++\ntitle = \"DB incident\"\n+++\n# DB incident\n\nFirst read [replication lag](replication-lag), then [the dashboard](https://grafana.example.com/d/db).\n",
    )
    .unwrap();
    let mut s = state_with(100, 30, sample());
    app::update(&mut s, Msg::Runbooks(Arc::new(Library::load(&[dir.path().to_path_buf()]).0)));
    app::update(&mut s, key("R"));
    typed(&mut s, "db incident");
    app::update(&mut s, key("enter"));
    app::update(&mut s, key("1"));
    assert!(matches!(&s.mode, Mode::Runbooks(b) if b.open.as_ref().unwrap().name == "replication-lag"));
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("enter"));
    let fx = app::update(&mut s, key("2"));
    assert_eq!(fx, [Effect::LoadRunbook(Reference::Url("https://grafana.example.com/d/db".into()))]);
}

#[test]
fn a_hostile_runbook_renders_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("+++\ntitle = \"evil\\u001b[2J\"\nalertnames = [\"*\"]\n+++\n");
    for h in klaxon::sanitize::HOSTILE_SAMPLES {
        body.push_str(&format!("# {h}\n\n{h} *{h}* `{h}`\n\n> {h}\n\n- {h}\n\n| {h} | b |\n|---|---|\n| {h} | c |\n\n```\n{h}\n```\n\n[{h}]({h})\n\n"));
    }
    std::fs::write(dir.path().join("evil.md"), &body).unwrap();
    let (lib, problems) = Library::load(&[dir.path().to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    let mut plain = alert("prod", "x", Severity::High, 1, "Anything", "api");
    plain.links.clear();
    let mut s = state_with(120, 40, vec![("prod".into(), vec![plain])]);
    app::update(&mut s, Msg::Runbooks(Arc::new(lib)));
    app::update(&mut s, key("r"));
    assert_eq!(s.runbook.as_ref().unwrap().shown().unwrap().name, "evil");
    for _ in 0..40 {
        let (w, h) = s.size;
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| klaxon::ui::view(&s, &Theme::default(), f)).unwrap();
        common::assert_clean_cells(t.backend().buffer());
        app::update(&mut s, key("pgdn"));
    }
}
