//! Runbooks as a person reaches them: `klaxon runbook …`, the pane beside an alert, the
//! browser, links, the offline cache, and hostile content.

use crate::common;

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
    let pane = s.runbooks.pane.as_ref().unwrap();
    assert_eq!(pane.shown().unwrap().name, "high-load");
    assert_eq!(pane.resolution.others, ["disk-filling"]);
    let text = screen(&s);
    assert!(text.contains("high-load · bundled") && text.contains("also fits: disk-filling"), "{text}");
    // Movement keys scroll the pane while it has focus; the list stays put.
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    assert_eq!((s.runbooks.pane.as_ref().unwrap().scroll, selected_id(&s).as_str()), (2, "w1"));
    // Back in the list, moving picks the next alert's runbook.
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("k"));
    app::update(&mut s, key("r"));
    assert_eq!(s.runbooks.pane.as_ref().unwrap().alert.id(), "a1");
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
    s.runbooks.copy_code = true;
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
    assert_eq!(s.runbooks.pane.as_ref().unwrap().shown().unwrap().name, "evil");
    for _ in 0..40 {
        let (w, h) = s.size;
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        t.draw(|f| klaxon::ui::view(&s, &Theme::default(), f)).unwrap();
        common::assert_clean_cells(t.backend().buffer());
        app::update(&mut s, key("pgdn"));
    }
}

/// The fixture shaped like a public Hugo runbook repository, mirrored as its site publishes it.
fn site() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runbook-site")
}

const SITE_URL: &str = "https://runbooks.example.com/runbooks/";

fn site_config(sb: &Sandbox, site: &std::path::Path) -> std::path::PathBuf {
    sb.write(
        "klaxon.toml",
        &format!(
            "[runbooks]\n[[runbooks.mirrors]]\nurl = \"{SITE_URL}\"\npath = \"{}\"\n",
            site.join("content/runbooks").display()
        ),
    )
}

/// The site copied to `/tmp/siteXXXXXX`, a path as long everywhere: the browser's header shows it.
fn site_copy() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("site").tempdir_in("/tmp").unwrap();
    let copy = std::process::Command::new("cp").arg("-r").arg(site().join("content")).arg(dir.path()).status();
    assert!(copy.unwrap().success());
    dir
}

fn site_library(site: &std::path::Path) -> Library {
    let mirror = klaxon::runbooks::Mirror { url: SITE_URL.into(), path: site.join("content/runbooks") };
    let (lib, problems) = Library::load_with(&[], &[mirror]);
    assert!(problems.is_empty(), "{problems:?}");
    lib
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cli_a_hugo_runbook_site_loads_whole_searches_links_by_alertname_and_opens_mirror_urls_offline() {
    let sb = Sandbox::new();
    let config = site_config(&sb, &site());
    let run = |args: &[&str]| sb.klaxon().arg("--config").arg(&config).args(args).output().unwrap();

    // Every Markdown file of the site's runbooks, named by its path, saying where it came from.
    let out = run(&["runbook", "list"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = stdout(&out);
    assert_eq!(list.lines().count(), 11 + 8, "{list}");
    for (name, title, file) in [
        (
            "database/PostgresReplicationLagHigh",
            "Postgres Replication Lag High",
            "database/PostgresReplicationLagHigh.md",
        ),
        ("database/PostgresDown", "Postgres Down", "database/PostgresDown.md"),
        ("database ", "database", "database/_index.md"),
        ("node/NodeDiskFull", "NodeDiskFull", "node/NodeDiskFull.md"),
        ("node/node-clock-skew", "Clock skew", "node/node-clock-skew.md"),
    ] {
        let row = list.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {list}"));
        assert!(row.contains(title) && row.ends_with(&format!("content/runbooks/{file}]")), "{row}");
    }

    // Search finds the body of a YAML-front-matter runbook.
    let out = run(&["runbook", "search", "replay_lag"]);
    assert!(stdout(&out).starts_with("database/PostgresReplicationLagHigh"), "{}", stdout(&out));

    // An alertname finds the runbook named like it, in kebab case too.
    let out = run(&["runbook", "show", "NodeClockSkew", "--width", "60"]);
    assert!(out.status.success() && stdout(&out).starts_with("Clock skew  ["), "{}", stdout(&out));

    // The site's URL, spelled as Hugo publishes it: the local file, with no network at all.
    let url = "https://runbooks.example.com/runbooks/database/postgresreplicationlaghigh/";
    let out = run(&["runbook", "show", url, "--width", "100"]);
    let shown = stdout(&out);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        shown.starts_with("Postgres Replication Lag High  [") && shown.contains("PostgresReplicationLagHigh.md]"),
        "{shown}"
    );
    // The numbers in the text are the numbers of the list (the image takes none), and a
    // relative link says where it leads.
    assert!(shown.contains("replication topology[image]") && shown.contains("disk full[1]"), "{shown}");
    assert!(shown.contains("PostgresDown[2]") && shown.contains("streaming replication[3]"), "{shown}");
    assert!(shown.contains("  [1] disk full: ../node/NodeDiskFull.md -> node/NodeDiskFull\n"), "{shown}");
    assert!(shown.contains("  [2] PostgresDown: ./PostgresDown.md -> database/PostgresDown\n"), "{shown}");
    assert!(shown.contains("  image replication topology: replication.png\n"), "{shown}");
    // Hugo's alias, and an index page by its folder's URL.
    assert!(
        stdout(&run(&["runbook", "show", "https://runbooks.example.com/pglag"]))
            .starts_with("Postgres Replication Lag High")
    );
    assert!(stdout(&run(&["runbook", "show", "https://runbooks.example.com/runbooks/node/"])).starts_with("node  ["));
    // Hugo's ref shortcode and a site-absolute link resolve too.
    let shown = stdout(&run(&["runbook", "show", "node/NodeDiskFull"]));
    assert!(shown.contains("[2] load: ./NodeHighLoad.md -> node/NodeHighLoad"), "{shown}");
    assert!(shown.contains("[3] database runbook: /runbooks/database/ -> database\n"), "{shown}");
    // Nothing was fetched, so nothing was cached.
    assert!(!sb.path("cache/klaxon/runbooks").exists());
}

#[test]
fn cli_bad_front_matter_binary_files_and_hostile_names_are_said_and_nothing_reaches_the_terminal() {
    let sb = Sandbox::new();
    let root = sb.path("site");
    let copy = std::process::Command::new("cp").arg("-r").arg(site()).arg(&root).status().unwrap();
    assert!(copy.success());
    let rb = root.join("content/runbooks");
    std::fs::write(
        rb.join("node/BadYaml.md"),
        "---\ntitle: ok\ntags: [unclosed\n---\n# Bad YAML\n\nThe body is still here.\n",
    )
    .unwrap();
    std::fs::write(rb.join("node/BadToml.md"), "+++\ntitle = \"t\"\nweight = \n+++\n# Bad TOML\n").unwrap();
    std::fs::write(rb.join("node/logo.md"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01").unwrap();
    std::fs::write(
        rb.join("node/evil\u{1b}[2J.md"),
        "---\ntitle: \"evil\\e]0;pwned\\a title\"\ntags: [\"\\e[31mred\"]\n---\n# \u{1b}[2J body\n\n[x\u{9b}31m](\u{1b}]8;;http://evil\u{7})\n\n```\nrm -rf / \u{1b}[8m\n```\n",
    )
    .unwrap();
    let config = site_config(&sb, &root);
    let out = sb.klaxon().arg("--config").arg(&config).args(["runbook", "list"]).output().unwrap();
    let (list, errors) = (stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(out.status.success(), "{errors}");
    // Each problem names the file and the line; the runbooks with bad front matter still load.
    assert!(errors.contains("node/BadYaml.md:4: YAML front matter:") && errors.contains("read without it"), "{errors}");
    assert!(errors.contains("node/BadToml.md:3: TOML front matter:"), "{errors}");
    assert!(errors.contains("node/logo.md: binary, not Markdown text: skipped"), "{errors}");
    assert!(list.contains("node/BadYaml ") && list.contains("Bad YAML"), "{list}");
    assert!(list.contains("node/BadToml ") && !list.contains("node/logo"), "{list}");
    let out = sb.klaxon().arg("--config").arg(&config).args(["runbook", "show", "node/BadYaml"]).output().unwrap();
    assert!(stdout(&out).contains("The body is still here."));
    // Nothing from the hostile file reaches the terminal as a control character.
    let out = sb.klaxon().arg("--config").arg(&config).args(["runbook", "show", "node/evil[2J"]).output().unwrap();
    let shown = stdout(&out);
    assert!(out.status.success() && shown.contains("rm -rf /"), "{shown}");
    for text in [&list, &errors, &shown] {
        assert!(klaxon::sanitize::is_clean(text), "{text:?}");
    }
}

#[test]
fn the_browser_opens_a_site_follows_relative_links_by_their_numbers_goes_back_and_copies_at_the_cursor() {
    let copy = site_copy();
    let mut s = state_with(100, 30, sample());
    app::update(&mut s, Msg::Runbooks(Arc::new(site_library(copy.path()))));
    app::update(&mut s, key("R"));
    typed(&mut s, "NodeDiskFull");
    app::update(&mut s, key("enter"));
    let open = |s: &klaxon::app::State| match &s.mode {
        Mode::Runbooks(b) => b.open.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        _ => "closed".into(),
    };
    assert_eq!(open(&s), "node/NodeDiskFull");
    let text = screen(&s);
    assert!(
        text.contains("replication[1]") && text.contains("load[2]") && text.contains("database runbook[3]"),
        "{text}"
    );
    // [1] is a relative link to another folder: opens at once, no I/O.
    assert!(app::update(&mut s, key("1")).is_empty());
    assert_eq!(open(&s), "database/PostgresReplicationLagHigh");
    let text = screen(&s);
    // The image takes no number: 2 is the second link, as the text and the list say.
    assert!(text.contains("replication topology[image]") && text.contains("PostgresDown[2]"), "{text}");
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("2"));
    assert_eq!(open(&s), "database/PostgresDown");
    let tmp = copy.path().to_str().unwrap();
    insta::assert_snapshot!("browser_followed_link", screen(&s).replace(tmp, &"~".repeat(tmp.len())));
    // esc goes back the way it came, scrolled where it was; then to the search.
    app::update(&mut s, key("esc"));
    assert_eq!(open(&s), "database/PostgresReplicationLagHigh");
    assert!(matches!(&s.mode, Mode::Runbooks(b) if b.scroll == 2));
    app::update(&mut s, key("esc"));
    assert_eq!(open(&s), "node/NodeDiskFull");
    // A site-absolute link goes through the mirror; a link that is not there says so.
    app::update(&mut s, key("3"));
    assert_eq!(open(&s), "database");
    app::update(&mut s, key("esc"));
    // A link to a heading of another runbook opens it there.
    app::update(&mut s, key("2"));
    assert_eq!(open(&s), "node/NodeHighLoad");
    app::update(&mut s, key("1"));
    assert_eq!(open(&s), "node/NodeDiskFull");
    // In view (at the top when the rest is long enough: scrolling stops at the last line).
    let shown = screen(&s);
    assert!(shown.contains("## Diagnosis"), "{shown}");
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("esc"));
    assert!(
        matches!(&s.mode, Mode::Runbooks(b) if b.scroll == 0 && b.open.as_ref().unwrap().name == "node/NodeDiskFull")
    );
    app::update(&mut s, key("9"));
    assert!(s.flash.as_ref().unwrap().text.contains("there is no link [9]"));
    app::update(&mut s, key("esc"));
    assert_eq!(open(&s), "");

    // `y` copies the block under the top line of the view, else the next one down.
    s.runbooks.copy_code = true;
    app::update(&mut s, key("enter"));
    let mut copied = Vec::new();
    for _ in 0..30 {
        let fx = app::update(&mut s, key("y"));
        copied.push(match &fx[..] {
            [Effect::Copy(code)] => code.clone(),
            _ => s.flash.as_ref().unwrap().text.clone(),
        });
        app::update(&mut s, key("j"));
    }
    copied.dedup();
    assert_eq!(copied, ["df -h", "du -xsh /var/* | sort -h | tail", "no code block from here down (2 above)"]);
}

#[test]
fn the_pane_opens_a_mirrored_runbook_url_offline_and_links_by_alertname() {
    let mut pg = alert("prod", "p1", Severity::High, 3, "PostgresReplicationLagHigh", "db");
    pg.links = vec![Link { kind: "runbook".into(), url: format!("{SITE_URL}database/postgresreplicationlaghigh/") }];
    let mut skew = alert("prod", "n1", Severity::Warning, 5, "NodeClockSkew", "host");
    skew.links.clear();
    let mut s = state_with(120, 40, vec![("prod".into(), vec![pg, skew])]);
    app::update(&mut s, Msg::Runbooks(Arc::new(site_library(&site()))));
    assert_eq!(selected_id(&s), "p1");
    // Shown at once from the checkout: nothing for the runtime to read.
    assert!(app::update(&mut s, key("r")).is_empty());
    assert_eq!(s.runbooks.pane.as_ref().unwrap().shown().unwrap().name, "database/PostgresReplicationLagHigh");
    let text = screen(&s);
    assert!(text.contains("database/PostgresReplicationLagHigh ·") && text.contains("SELECT client_addr"), "{text}");
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("r"));
    assert_eq!(s.runbooks.pane.as_ref().unwrap().shown().unwrap().name, "node/node-clock-skew");
    assert!(screen(&s).contains("Named in kebab case"));
}

#[test]
fn a_runbook_url_to_a_heading_opens_the_pane_at_that_heading() {
    let mut pg = alert("prod", "p1", Severity::High, 3, "PostgresReplicationLagHigh", "db");
    pg.links = vec![Link {
        kind: "runbook".into(),
        url: format!("{SITE_URL}database/postgresreplicationlaghigh/#mitigation"),
    }];
    let mut s = state_with(120, 40, vec![("prod".into(), vec![pg])]);
    app::update(&mut s, Msg::Runbooks(Arc::new(site_library(&site()))));
    assert!(app::update(&mut s, key("r")).is_empty());
    let pane = s.runbooks.pane.as_ref().unwrap();
    assert_eq!(pane.shown().unwrap().name, "database/PostgresReplicationLagHigh");
    assert!(pane.scroll > 0);
    // In view: the pane scrolls toward it as far as its text allows (it stops at the last line).
    let text = screen(&s);
    assert!(text.contains("## Mitigation"), "{text}");
}

#[test]
fn links_past_nine_are_followed_by_their_two_digits() {
    let dir = tempfile::tempdir().unwrap();
    let targets = ["disk-filling", "high-load", "instance-down", "memory-pressure"];
    let links: String = (1..=12).map(|i| format!("[link {i}]({})\n", targets[i % 4])).collect();
    std::fs::write(dir.path().join("many.md"), format!("# Many links\n\n{links}")).unwrap();
    let mut s = state_with(100, 30, sample());
    app::update(&mut s, Msg::Runbooks(Arc::new(Library::load(&[dir.path().to_path_buf()]).0)));
    app::update(&mut s, key("R"));
    typed(&mut s, "many links");
    app::update(&mut s, key("enter"));
    let open = |s: &klaxon::app::State| match &s.mode {
        Mode::Runbooks(b) => b.open.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        _ => "closed".into(),
    };
    assert!(screen(&s).contains("link 12[12]"));
    // 1 could be 1, 10, 11 or 12: it waits; 2 makes it 12.
    app::update(&mut s, key("1"));
    assert_eq!(open(&s), "many");
    assert!(s.flash.as_ref().unwrap().text.contains("link [1…]"));
    app::update(&mut s, key("2"));
    assert_eq!(open(&s), targets[0]);
    app::update(&mut s, key("esc"));
    // 3 cannot start a longer number: followed at once.
    app::update(&mut s, key("3"));
    assert_eq!(open(&s), targets[3]);
    app::update(&mut s, key("esc"));
    // Enter takes the number as typed; esc drops it and stays.
    app::update(&mut s, key("1"));
    app::update(&mut s, key("enter"));
    assert_eq!(open(&s), targets[1]);
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("1"));
    app::update(&mut s, key("esc"));
    assert_eq!(open(&s), "many");
    app::update(&mut s, key("1"));
    app::update(&mut s, key("9"));
    assert!(s.flash.as_ref().unwrap().text.contains("there is no link [19]"));
    assert_eq!(open(&s), "many");
}
