//! Declared incidents (issue 27): two consoles (alice, bob) on one store, on SQLite and on a
//! real PostgreSQL, open, join and update one incident and each see the other's changes
//! through the follower every console reads the timeline with; a status update reaches a
//! mock chat webhook once though its first answer is lost; the database stopped
//! mid-incident loses nothing; the command line end to end with the postmortem draft.
//!
//! The chat endpoint is a wiremock server: a Mattermost incoming webhook takes `POST` with a
//! JSON body `{"text": "…"}` and answers 200 `ok`
//! (https://developers.mattermost.com/integrate/webhooks/incoming/); Slack's takes the same
//! body (https://api.slack.com/messaging/webhooks).

use crate::common::{self, Sandbox, fault_proxy::Fault, fault_proxy::FaultProxy, postgres::Postgres};
use klaxon::incident::{self, Event, Status};
use klaxon::model::{AlertKey, Entry, EntryKind, NewEntry, Severity, new_op_id};
use klaxon::store::{Follower, PgStore, SqliteStore, Store};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn alerts() -> Vec<AlertKey> {
    ["db-1", "db-2", "api-5xx"].iter().map(|id| AlertKey::new("prod", id)).collect()
}

fn event(id: &str, actor: &str, e: Event) -> NewEntry {
    incident::entry(new_op_id(), chrono::Utc::now(), id, actor, &e)
}

/// What `reader` sees of the others' writes: catches up until `until` holds (the console's
/// follower is woken by NOTIFY on PostgreSQL and by its timer on SQLite).
fn follow(reader: &dyn Store, f: &mut Follower, seen: &mut Vec<Entry>, until: impl Fn(&[Entry]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        seen.extend(f.catch_up(reader).unwrap());
        if until(seen) {
            return;
        }
        assert!(Instant::now() < deadline, "not seen in time: {seen:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn incident_of(entries: &[Entry]) -> Option<incident::Incident> {
    incident::fold(entries.iter().filter(|e| e.kind == EntryKind::Incident)).into_iter().next()
}

/// Alice declares, bob joins an alert and takes comms, alice takes command and posts an
/// update: each sees every change of the other, and both fold the same incident.
fn two_consoles(alice: &dyn Store, bob: &dyn Store) {
    let (mut fa, mut fb) = (Follower::start(alice).unwrap(), Follower::start(bob).unwrap());
    let (mut seen_a, mut seen_b) = (Vec::new(), Vec::new());
    let keys = alerts();
    let id = "0badcafe";
    let declared =
        incident::declare(new_op_id(), chrono::Utc::now(), id, "alice", "DB down", Severity::High, &keys[..2]);
    alice.append(&declared).unwrap();
    follow(bob, &mut fb, &mut seen_b, |s| incident_of(s).is_some());
    let inc = incident_of(&seen_b).unwrap();
    assert_eq!((inc.title.as_str(), inc.status, inc.alerts.len()), ("DB down", Status::Investigating, 2));

    bob.append(&event(id, "bob", Event::Joined { alerts: vec![keys[2].to_string()] })).unwrap();
    bob.append(&event(id, "bob", Event::Role { role: "comms".into(), person: "bob".into() })).unwrap();
    follow(alice, &mut fa, &mut seen_a, |s| incident_of(s).is_some_and(|i| i.roles.contains_key("comms")));
    let inc = incident_of(&seen_a).unwrap();
    assert_eq!(inc.alerts.len(), 3, "alice sees bob's join");

    alice.append(&event(id, "alice", Event::Role { role: "commander".into(), person: "alice".into() })).unwrap();
    let update = Event::Update { status: Status::Identified, text: "Primary DB full; failing over".into() };
    alice.append(&event(id, "alice", update)).unwrap();
    follow(bob, &mut fb, &mut seen_b, |s| incident_of(s).is_some_and(|i| i.last_update_at.is_some()));
    let (on_a, on_b) = (incident::act::all(alice).unwrap(), incident::act::all(bob).unwrap());
    assert_eq!(on_a, on_b, "both consoles fold the same incident");
    let inc = incident_of(&seen_b).unwrap();
    assert_eq!(inc, on_b[0], "what bob followed live is what the store holds");
    assert_eq!(inc.status, Status::Identified);
    assert_eq!(inc.roles, BTreeMap::from([("commander".into(), "alice".into()), ("comms".into(), "bob".into())]));
    assert_eq!(inc.people, ["alice", "bob"]);
    // An alert's own entries join the incident's timeline while it is in it.
    bob.append(&NewEntry::new(keys[2].clone(), EntryKind::Acked, "bob", "looking")).unwrap();
    let own = alice.timeline(&incident::key(id)).unwrap();
    let theirs: Vec<Entry> = keys.iter().flat_map(|k| alice.timeline(k).unwrap()).collect();
    let lines = incident::merge(&inc, &own, &theirs);
    let kinds: Vec<&str> = lines.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["declared", "joined", "role", "role", "update", "acked"]);
    let bobs = incident::filter(lines, &[], &["bob".into()]);
    assert_eq!(bobs.len(), 3, "filtered by person: {bobs:#?}");
}

#[test]
fn two_consoles_on_sqlite_see_each_others_incident_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("team.db");
    let (alice, bob) = (SqliteStore::open(&path).unwrap(), SqliteStore::open(&path).unwrap());
    two_consoles(&alice, &bob);
}

#[test]
fn two_consoles_on_postgres_see_each_others_incident_changes_through_notify() {
    let Some(pg) = Postgres::start() else { return };
    pg.create_user("alice");
    pg.create_user("bob");
    let tmp = tempfile::tempdir().unwrap();
    let alice = PgStore::open(&pg.url("alice"), None, &tmp.path().join("a.db")).unwrap();
    let bob = PgStore::open(&pg.url("bob"), None, &tmp.path().join("b.db")).unwrap();
    let (tx, woken) = std::sync::mpsc::channel();
    assert!(bob.subscribe(Box::new(move || tx.send(()).is_ok())), "postgres has a change feed");
    woken.recv_timeout(Duration::from_secs(10)).expect("woken once connected");
    two_consoles(&alice, &bob);
    // Bob's console is woken by alice's next entry, not by a timer of its own.
    while woken.try_recv().is_ok() {}
    let pin = Event::Pinned { line: "ERROR disk full".into(), from: "db-logs".into() };
    alice.append(&event("0badcafe", "alice", pin)).unwrap();
    woken.recv_timeout(Duration::from_secs(10)).expect("NOTIFY wakes bob for alice's entry");
    let writers = pg.psql("SELECT DISTINCT db_user FROM entries WHERE kind = 'incident' ORDER BY 1");
    assert_eq!(writers.trim(), "alice\nbob", "the database names who wrote each incident entry");
}

#[test]
fn postgres_stopped_mid_incident_loses_nothing_and_the_update_goes_to_the_outbox_once() {
    let Some(mut pg) = Postgres::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("alice.db");
    let alice = PgStore::open(&pg.url("postgres"), None, &spool).unwrap();
    let bob = PgStore::open(&pg.url("postgres"), None, &tmp.path().join("bob.db")).unwrap();
    let id = "5ca1ab1e";
    let keys = alerts();
    alice
        .append(&incident::declare(new_op_id(), chrono::Utc::now(), id, "alice", "DB down", Severity::Disaster, &keys))
        .unwrap();

    pg.stop();
    let role = event(id, "alice", Event::Role { role: "commander".into(), person: "alice".into() });
    let update = event(id, "alice", Event::Update { status: Status::Monitoring, text: "Failed over; watching".into() });
    let pin = event(id, "alice", Event::Pinned { line: "ERROR disk full".into(), from: "db-logs".into() });
    let close = event(id, "alice", Event::Closed { summary: "failed over".into() });
    let written = [
        alice.append(&role).unwrap(),
        alice.append_mirrored(&update, "@chat:team", &klaxon::model::Fields::new()).unwrap(),
        alice.append(&pin).unwrap(),
        alice.append(&close).unwrap(),
    ];
    assert!(written.iter().all(Entry::is_queued), "kept on this host while the database is away");
    // The update is posted now, from this host, rather than when the database is back.
    let pages = alice.queued_pages().unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].0.op_id.as_str(), pages[0].1.as_str()), (update.op_id.as_str(), "@chat:team"));
    assert_eq!(incident::chat::update_text(&pages[0].0).as_deref(), Some("Failed over; watching"));
    // klaxon restarts meanwhile: the queue is on disk.
    drop(alice);
    let alice = PgStore::open(&pg.url("postgres"), None, &spool).unwrap();

    pg.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = 0;
    while sent < 4 && Instant::now() < deadline {
        sent += alice.replay().sent;
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(sent, 4, "every entry kept here reached the database");
    assert_eq!(alice.replay().sent, 0, "a second replay sends nothing");
    let all = incident::act::all(&bob).unwrap();
    assert_eq!(all.len(), 1);
    let inc = &all[0];
    assert_eq!((inc.status, inc.queued, inc.closed_at.is_some()), (Status::Resolved, 0, true));
    assert_eq!(inc.roles.get("commander").map(String::as_str), Some("alice"));
    let kinds: Vec<String> = bob
        .timeline(&incident::key(id))
        .unwrap()
        .iter()
        .filter_map(Event::parse)
        .map(|e| e.kind().to_owned())
        .collect();
    assert_eq!(kinds, ["declared", "role", "update", "pinned", "closed"]);
    let pending = bob.pending_mirrors(false, None).unwrap();
    assert_eq!(pending.len(), 1, "the update is in the shared outbox once");
    assert_eq!(pending[0].target, "@chat:team");
    assert_eq!(pg.psql("SELECT count(*) FROM entries WHERE kind = 'incident'").trim(), "5");
}

fn klaxon(sb: &Sandbox, config: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = sb.klaxon();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.arg("--config").arg(config).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The command line from declaration to postmortem on SQLite, with the chat's first answer
/// lost: the update is in the channel once, exactly as written.
#[test]
fn the_cli_runs_an_incident_and_its_update_reaches_the_chat_once_though_the_answer_was_lost() {
    use wiremock::matchers::{body_json, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let chat = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/hooks/incidents"))
            .and(body_json(serde_json::json!({"text": "We failed over the *primary*; next update in 30m"})))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&chat),
    );
    let proxy = FaultProxy::start(chat.address().port());
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        "[identity]\nname = \"alice\"\n\n[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n\
         [incidents]\nupdate_every = \"30m\"\n\n[[incidents.chat]]\nname = \"team\"\nwebhook_url_env = \"KLAXON_TEST_CHAT\"\n",
    );
    let hook = format!("http://127.0.0.1:{}/hooks/incidents", proxy.port);
    let env = [("KLAXON_TEST_CHAT", hook.as_str())];
    let run = |args: &[&str]| klaxon(&sb, &config, &env, args);
    let (code, out, err) = run(&["list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let listed = common::json(out.as_bytes());
    let keys: Vec<&str> = listed.as_array().unwrap().iter().take(3).map(|a| a["key"].as_str().unwrap()).collect();

    let mut args = vec!["incident", "open", "--title", "Checkout failing", "--severity", "disaster"];
    args.extend(&keys);
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_owned();
    assert_eq!(id.len(), 8, "{out}");
    let (code, out, err) = run(&["incident", "role", &id[..4], "commander"]);
    assert_eq!(
        (code, out.trim()),
        (0, format!("role set on incident {id}: took the commander role").as_str()),
        "{err}"
    );
    let (code, _, err) = run(&["ack", keys[0], "--note", "on it"]);
    assert_eq!(code, 0, "{err}");

    proxy.set(Fault::drop_response_to(&["POST /hooks/incidents"]));
    let text = "We failed over the *primary*; next update in 30m";
    let (code, _, err) = run(&["incident", "update", &id, text, "--status", "monitoring"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(proxy.dropped(), 1, "the chat took the post and its answer was lost");
    assert!(err.contains("its answer was lost") && err.contains("not posted twice"), "{err}");
    proxy.set(Fault::Pass);
    assert_eq!(run(&["sync"]).0, 0);
    let posts = rt.block_on(chat.received_requests()).unwrap();
    assert_eq!(posts.len(), 1, "posted once, exactly as written");

    let (code, _, err) = run(&["incident", "pin", &id, "ERROR\u{1b}[31m checkout: 503 from payments", "--from", "api"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["incident", "close", &id, "--summary", "payments failed over"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["incident", "update", &id, "too late"]);
    assert_eq!(code, 2, "a closed incident takes no update");
    assert!(err.contains("is closed"), "{err}");

    let (code, out, err) = run(&["incident", "show", &id, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let shown = common::json(out.as_bytes());
    assert_eq!((shown["status"].as_str(), shown["open"].as_bool()), (Some("resolved"), Some(false)));
    assert_eq!(shown["roles"]["commander"], "alice");
    let (code, out, _) = run(&["incident", "list", "--format", "json"]);
    assert_eq!((code, common::json(out.as_bytes()).as_array().map(Vec::len)), (0, Some(0)), "closed: not open");

    let (code, out, err) =
        run(&["incident", "timeline", &id, "--format", "json", "--kind", "update", "--kind", "acked"]);
    assert_eq!(code, 0, "{err}");
    let lines = common::json(out.as_bytes())["entries"].as_array().unwrap().clone();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["acked", "update"]);
    assert_eq!(lines[1]["event"]["text"], text);

    let draft = sb.path("postmortem.md");
    let (code, _, err) = run(&["incident", "postmortem", &id, "--output", draft.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(&draft).unwrap();
    for section in [
        "# Postmortem: Checkout failing",
        "## Summary",
        "## Impact",
        "## Figures",
        "## People and roles",
        "## On call when it started",
        "## Timeline",
        "## Runbooks opened",
        "## Pinned log lines",
        "## Causes\n\n_To be written._",
        "## Follow-ups\n\n_To be written._",
    ] {
        assert!(md.contains(section), "{section:?} missing:\n{md}");
    }
    assert!(md.contains("- alice (commander)"), "{md}");
    assert!(md.contains("- MTTA: ") && md.contains("(over 1 acknowledged alert(s))"), "{md}");
    assert!(md.contains("- Time to resolve: "), "{md}");
    assert!(md.contains("- Status updates posted: 1"), "{md}");
    assert!(md.contains("`api`: `ERROR[31m checkout: 503 from payments`"), "the pinned line, cleaned: {md}");
    assert!(!md.contains('\u{1b}'), "no escape reaches the file");
    assert!(md.contains(&format!("posted an update (monitoring): {text}")), "{md}");
}

// ---------------------------------------------------------------- the console

mod console {
    use crate::common::alerts::*;
    use klaxon::app::{self, Effect, Msg, State};
    use klaxon::config::theme::Theme;
    use klaxon::incident::{self, Event, Status};
    use klaxon::model::{Entry, EntryKind, NewEntry};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(state: &State) -> String {
        let (w, h) = state.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
        terminal.backend().to_string()
    }

    /// What the store hands back for an entry the console asked it to write.
    fn stored(id: i64, e: &NewEntry) -> Entry {
        Entry {
            id,
            op_id: e.op_id.clone(),
            alert_key: e.alert_key.clone(),
            kind: e.kind,
            actor: e.actor.clone(),
            at: e.at,
            text: e.text.clone(),
            level: e.level,
            db_user: None,
        }
    }

    /// `I` on the selected alert declares; once stored, the header names the incident, and
    /// bob's handing alice the commander role (another console's entry) shows as her role.
    fn declared(width: u16, height: u16) -> (State, String) {
        let mut s = state_with(width, height, sample());
        let selected = s.selected_item().unwrap().alert.key.clone();
        let fx = app::update(&mut s, key("I"));
        let [Effect::Append(entry)] = fx.as_slice() else { panic!("one entry to store: {fx:?}") };
        assert_eq!(entry.kind, EntryKind::Incident);
        let Some(Event::Declared { alerts, .. }) = Event::parse(&stored(1, entry)) else { panic!("{entry:?}") };
        assert_eq!(alerts, [selected.to_string()]);
        let id = entry.alert_key.id().to_owned();
        app::update(&mut s, Msg::Entries(vec![stored(100, entry)]));
        assert_eq!(app::incidents::header(&s, false), [format!("INC {id} investigating")]);
        let role = Event::Role { role: "commander".into(), person: "alice".into() };
        let by_bob = incident::entry("op-bob".into(), t0(), &id, "bob", &role);
        app::update(&mut s, Msg::Entries(vec![stored(101, &by_bob)]));
        let update = Event::Update { status: Status::Identified, text: "failing over".into() };
        app::update(
            &mut s,
            Msg::Entries(vec![stored(102, &incident::entry("op-u".into(), t0(), &id, "bob", &update))]),
        );
        assert_eq!(s.incidents.all[0].status, Status::Identified, "everyone's entries fold in live");
        (s, id)
    }

    #[test]
    fn declaring_from_an_alert_and_the_header_at_120x40() {
        let (s, id) = declared(120, 40);
        let shown = screen(&s);
        assert!(shown.contains(&format!("INC {id} commander")), "{shown}");
        insta::assert_snapshot!(shown.replace(&id, "<id>"));
    }

    #[test]
    fn the_header_at_40x10_still_names_the_incident_and_your_role() {
        let (s, id) = declared(40, 10);
        let shown = screen(&s);
        let short = &id[..4];
        assert!(shown.lines().next().unwrap().contains(&format!("INC {short} commander")), "{shown}");
        insta::assert_snapshot!(shown.replace(&id, "<id>").replace(short, "<id>"));
    }

    #[test]
    fn declaring_from_a_group_takes_every_alert_of_it() {
        let mut s = state_with(120, 40, sample());
        app::update(&mut s, key("z"));
        let rows = &s.list.rows;
        let at = rows.iter().position(|r| matches!(r, app::list::Row::Group { count: 2.., .. }));
        s.list.selected = at.unwrap_or_else(|| panic!("a group of two or more: {rows:?}"));
        let keys = app::incidents::selected_keys(&s);
        assert_eq!(keys.len(), 2, "both HighErrorRate alerts: {keys:?}");
        let fx = app::update(&mut s, key("I"));
        let [Effect::Append(entry)] = fx.as_slice() else { panic!("{fx:?}") };
        let Some(Event::Declared { alerts, .. }) = Event::parse(&stored(1, entry)) else { panic!() };
        assert_eq!(alerts.len(), keys.len());
    }

    /// With alerts picked (`space`), `I` declares from the selection in the list's order,
    /// whatever the cursor is on, and the selection is spent.
    #[test]
    fn declaring_from_the_triage_selection_takes_it_in_view_order() {
        let mut s = state_with(120, 40, sample());
        for _ in 0..3 {
            app::update(&mut s, key("space"));
            app::update(&mut s, key("j"));
            app::update(&mut s, key("j"));
        }
        let picked = s.selection.in_view_order(&s);
        assert_eq!(picked.len(), 3);
        let under_cursor = s.selected_item().unwrap().alert.key.clone();
        assert!(!picked.contains(&under_cursor), "the cursor is elsewhere");
        let fx = app::update(&mut s, key("I"));
        let [Effect::Append(entry)] = fx.as_slice() else { panic!("{fx:?}") };
        let Some(Event::Declared { alerts, title, .. }) = Event::parse(&stored(1, entry)) else { panic!() };
        let picked: Vec<String> = picked.iter().map(|k| k.to_string()).collect();
        assert_eq!(alerts, picked, "the selection, in view order");
        assert!(title.ends_with("and 2 more"), "{title}");
        assert!(s.selection.is_empty(), "the selection is spent");
    }

    /// The one incident event an update wrote, as the store would read it back.
    fn written(fx: &[Effect]) -> (NewEntry, Event) {
        let [Effect::Append(entry)] = fx else { panic!("one entry to store: {fx:?}") };
        let event = Event::parse(&stored(1, entry)).unwrap_or_else(|| panic!("{entry:?}"));
        (entry.clone(), event)
    }

    /// `declared` plus a second, closed incident: what the view lists.
    fn with_view(width: u16, height: u16) -> (State, String) {
        let (mut s, id) = declared(width, height);
        let old = incident::declare(
            "op-old".into(),
            t0() - chrono::Duration::hours(30),
            "0ld1d000",
            "bob",
            "Disk full on db2",
            klaxon::model::Severity::High,
            &[],
        );
        let closed = incident::entry(
            "op-oldc".into(),
            t0() - chrono::Duration::hours(28),
            "0ld1d000",
            "bob",
            &Event::Closed { summary: "freed".into() },
        );
        app::update(&mut s, Msg::Entries(vec![stored(90, &old), stored(91, &closed)]));
        app::update(&mut s, key("i"));
        (s, id)
    }

    #[test]
    fn the_incident_view_at_120x40_lists_open_then_closed_and_enter_shows_the_timeline() {
        let (mut s, id) = with_view(120, 40);
        let shown = screen(&s);
        let open_at = shown.find(&format!("▶ {id}")).unwrap_or_else(|| panic!("{shown}"));
        assert!(open_at < shown.find("0ld1d000").unwrap(), "open first: {shown}");
        assert!(shown.contains("commander alice"), "{shown}");
        assert!(shown.contains("closed"), "{shown}");
        insta::assert_snapshot!("view_120x40", shown.replace(&id, "<id>"));
        let d1 = klaxon::model::AlertKey::new("prod", "d1");
        s.detail.timelines.remove(&d1);
        let fx = app::update(&mut s, key("enter"));
        assert_eq!(fx, [Effect::LoadTimeline(d1.clone())], "its alerts' entries are read");
        let ack = NewEntry::stamped("op-ack".into(), t0(), d1.clone(), EntryKind::Acked, "bob", "");
        app::update(&mut s, Msg::Timeline { key: d1, entries: vec![stored(92, &ack)] });
        let shown = screen(&s);
        assert!(shown.contains("declared the incident"), "{shown}");
        assert!(shown.contains("posted an update (identified): failing over"), "{shown}");
        assert!(shown.contains("bob [prod/d1] acknowledged"), "its alert's entries merge in: {shown}");
        insta::assert_snapshot!("view_timeline_120x40", shown.replace(&id, "<id>"));
    }

    #[test]
    fn the_incident_view_at_40x10_still_shows_id_status_and_title() {
        let (s, id) = with_view(40, 10);
        let shown = screen(&s);
        assert!(shown.contains(&format!("▶ {}  identif", &id[..4])), "{shown}");
        insta::assert_snapshot!("view_40x10", shown.replace(&id, "<id>").replace(&id[..4], "<id>"));
    }

    /// From the view: a role, the next status, an update typed exactly, and close asked
    /// twice; each the same entry the command line writes (kind, key, event).
    #[test]
    fn acting_from_the_incident_view_writes_the_cli_s_entries() {
        let (mut s, id) = with_view(120, 40);
        let (entry, event) = written(&app::update(&mut s, key("m")));
        assert_eq!(entry.alert_key, incident::key(&id));
        assert_eq!(event, Event::Role { role: "communications".into(), person: "alice".into() });
        let (_, event) = written(&app::update(&mut s, key("s")));
        assert_eq!(event, Event::Status { status: Status::Monitoring }, "identified → monitoring");
        assert!(app::update(&mut s, key("u")).is_empty());
        typed(&mut s, "DB failed over; errors back to normal");
        assert!(screen(&s).contains("update (identified): DB failed over"), "{}", screen(&s));
        let (_, event) = written(&app::update(&mut s, key("enter")));
        let text = "DB failed over; errors back to normal".to_string();
        assert_eq!(event, Event::Update { status: Status::Identified, text });
        assert!(app::update(&mut s, key("u")).is_empty());
        let fx = app::update(&mut s, key("enter"));
        assert!(fx.is_empty(), "an empty update is refused: {fx:?}");
        assert!(s.flash.as_ref().is_some_and(|f| f.error && f.text.contains("needs some text")), "{:?}", s.flash);
        assert!(app::update(&mut s, key("x")).is_empty(), "x asks first");
        assert!(screen(&s).contains("x again closes it"), "said where it is seen: {}", screen(&s));
        let (_, event) = written(&app::update(&mut s, key("x")));
        assert_eq!(event, Event::Closed { summary: String::new() });
        app::update(&mut s, key("j"));
        assert!(app::update(&mut s, key("c")).is_empty(), "a closed incident takes no role");
        assert!(s.flash.as_ref().unwrap().text.contains("0ld1d000 is closed"), "{:?}", s.flash);
        app::update(&mut s, key("esc"));
        assert_eq!(s.mode, app::state::Mode::Normal);
        app::update(&mut s, key(":"));
        typed(&mut s, "incidents\n");
        assert!(matches!(s.mode, app::state::Mode::Incidents(_)), ":incidents opens it too: {:?}", s.mode);
    }

    /// `r` on an alert the incident holds records the runbook shown, once: the postmortem's
    /// "Runbooks opened" is filled from these entries.
    #[test]
    fn showing_the_runbook_of_an_incident_s_alert_records_it_once() {
        let (mut s, id) = declared(120, 40);
        app::update(&mut s, Msg::Runbooks(std::sync::Arc::new(klaxon::runbooks::Library::load(&[]).0)));
        let (entry, event) = written(&app::update(&mut s, key("r")));
        assert_eq!(entry.alert_key, incident::key(&id));
        assert_eq!(event, Event::Runbook { name: "disk-filling".into() });
        app::update(&mut s, Msg::Entries(vec![stored(103, &entry)]));
        app::update(&mut s, key("tab"));
        let again = app::update(&mut s, key("r"));
        assert!(!again.iter().any(|e| matches!(e, Effect::Append(_))), "recorded once: {again:?}");
    }

    /// `P` in the log pane pins the line under the cursor to the incident holding the alert.
    #[test]
    fn pinning_a_log_line_from_the_log_pane() {
        let (mut s, id) = declared(120, 40);
        app::update(&mut s, key("P"));
        assert!(s.flash.as_ref().unwrap().text.contains("log pane"), "outside the pane it says where: {:?}", s.flash);
        s.logs = klaxon::app::logs::LogPane::new(vec!["app".into()], 100);
        app::update(&mut s, key("l"));
        let alert = s.logs.alert.clone().unwrap();
        let mut l = klaxon::model::LogLine::parse("app", r#"{"level":"error","msg":"query timeout","ms":30000}"#);
        l.at = Some(t0());
        app::update(
            &mut s,
            Msg::Log { alert, source: "app".into(), update: klaxon::app::logs::LogUpdate::Lines(vec![l]) },
        );
        let (entry, event) = written(&app::update(&mut s, key("P")));
        assert_eq!(entry.alert_key, incident::key(&id));
        let Event::Pinned { line, from } = event else { panic!("{event:?}") };
        assert_eq!(from, "app");
        assert!(line.contains("ERROR query timeout") && line.contains("ms=30000"), "{line}");
    }
}

/// The command line while the team's PostgreSQL is stopped: an incident named by its whole id
/// takes a role and an update (kept on this host, unchecked), and they are stored once when
/// it is back; a prefix or an update without its status is refused, not guessed.
#[test]
fn the_cli_keeps_incident_entries_while_postgres_is_down() {
    let Some(mut pg) = Postgres::start() else { return };
    let url = pg.url("postgres");
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        "[identity]\nname = \"alice\"\n\n[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n\
         [[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
    );
    let env = [("KLAXON_DATABASE_URL", url.as_str())];
    let run = |args: &[&str]| klaxon(&sb, &config, &env, args);
    let (code, out, err) = run(&["list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let key = common::steady_demo_key(&common::json(out.as_bytes()));
    let (code, out, err) = run(&["incident", "open", "--title", "DB down", &key]);
    assert_eq!(code, 0, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().trim_end_matches(':').to_owned();

    pg.stop();
    let (code, _, err) = run(&["incident", "role", &id, "commander"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("kept on this host") && err.contains("unchecked"), "{err}");
    let (code, _, err) = run(&["incident", "update", &id, "failing over"]);
    assert_eq!(code, 2, "no status to guess while the store is away: {err}");
    let (code, _, err) = run(&["incident", "update", &id, "failing over", "--status", "identified"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["incident", "role", &id[..4], "comms"]);
    assert_eq!(code, 1, "a prefix cannot be resolved while the store is away: {err}");
    assert!(err.contains("whole 8-digit id"), "{err}");

    pg.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    while run(&["sync"]).0 != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
    }
    let (code, out, err) = run(&["incident", "show", &id, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let shown = common::json(out.as_bytes());
    assert_eq!((shown["status"].as_str(), shown["roles"]["commander"].as_str()), (Some("identified"), Some("alice")));
    assert_eq!(shown["queued"], 0);
    assert_eq!(pg.psql("SELECT count(*) FROM entries WHERE kind = 'incident'").trim(), "3", "each stored once");
}
