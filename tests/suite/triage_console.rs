//! Triage in the console: multi-selection across filter changes and the bulk ack it leads
//! to, and the silence editor (prefill, live count, refusals, the second confirmation for a
//! silence on everything), with snapshots at 120×40 and 40×10.

use crate::common;

use common::alerts::*;
use klaxon::app::Msg;
use klaxon::app::silences::SilenceEditor;
use klaxon::app::state::Mode;
use klaxon::app::{self, Effect, State};
use klaxon::config::theme::Theme;
use klaxon::model::silence::{self, Silence, Silences};
use klaxon::model::{AlertKey, EntryKind};
use klaxon::model::{Severity, Status};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(state: &State) -> String {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| klaxon::ui::view(state, &Theme::default(), f)).unwrap();
    terminal.backend().to_string()
}

fn press(state: &mut State, k: &str) -> Vec<Effect> {
    app::update(state, key(k))
}

fn appended(fx: &[Effect]) -> Vec<(AlertKey, EntryKind, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Append(n) => Some((n.alert_key.clone(), n.kind, n.text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn the_selection_survives_filter_changes_and_a_bulk_ack_gives_each_alert_its_own_entry() {
    let mut s = state_with(120, 40, sample());
    // space toggles the alert under the cursor (d1 ranks first).
    press(&mut s, "space");
    assert_eq!(s.selection.len(), 1);
    press(&mut s, "space");
    assert!(s.selection.is_empty(), "again: unselected");
    // Filter to the High ones, select what is visible, then widen the filter again.
    press(&mut s, "/");
    typed(&mut s, "severity=high\n");
    assert_eq!(visible_ids(&s), ["h2", "h1"]);
    press(&mut s, "V");
    press(&mut s, "/");
    for _ in 0.."severity=high".len() {
        press(&mut s, "backspace");
    }
    typed(&mut s, "db\n");
    assert_eq!(visible_ids(&s), ["d1", "w1"], "the filter changed");
    assert_eq!(s.selection.len(), 2, "and the selection is still both High alerts");
    // Add one visible now; the selection is in the list's order, hidden ones included.
    press(&mut s, "j");
    press(&mut s, "space");
    let order: Vec<String> = s.selection.in_view_order(&s).iter().map(|k| k.id().to_owned()).collect();
    assert_eq!(order, ["h2", "h1", "w1"]);
    assert!(screen(&s).contains("◆ DiskFilling"), "selected rows are marked");

    // `a` acts on the selection, after one confirmation naming how many.
    assert!(press(&mut s, "a").is_empty(), "nothing before the yes");
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt == "Acknowledge 3 selected alert(s)?"));
    let fx = press(&mut s, "y");
    let acks = appended(&fx);
    let keys: Vec<&str> = acks
        .iter()
        .map(|(k, kind, _)| {
            assert_eq!(*kind, EntryKind::Acked);
            k.id()
        })
        .collect();
    assert_eq!(keys, ["h2", "h1", "w1"], "one entry per alert");
    assert!(s.selection.is_empty(), "the selection is spent");
    // With nothing selected, `a` acks the alert under the cursor as before.
    let fx = press(&mut s, "a");
    assert_eq!(appended(&fx).len(), 1);

    // On a group header, `a` acts on the group's alerts, after one confirmation.
    let mut s = state_with(120, 40, sample());
    press(&mut s, "z");
    press(&mut s, "g");
    press(&mut s, "j");
    press(&mut s, "j");
    assert_eq!(visible_ids(&s)[s.list.selected], "[HighErrorRate 2]");
    press(&mut s, "a");
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt == "Acknowledge 2 alert(s) of HighErrorRate?"));
    let ids: Vec<String> = appended(&press(&mut s, "y")).iter().map(|(k, ..)| k.id().to_owned()).collect();
    assert_eq!(ids, ["h2", "h1"]);
}

fn editor(s: &State) -> &SilenceEditor {
    match &s.mode {
        Mode::Silence(e) => e,
        other => panic!("not the silence editor: {other:?}"),
    }
}

fn edit(s: &mut State, f: impl FnOnce(&mut SilenceEditor)) {
    if let Mode::Silence(e) = &mut s.mode {
        f(e)
    }
}

fn silencing(width: u16, height: u16) -> State {
    let mut s = state_with(width, height, sample());
    s.source_actions.insert("prod".into(), [EntryKind::Silenced].into());
    s
}

#[test]
fn the_silence_editor_starts_from_the_alerts_labels_and_counts_what_it_matches() {
    let mut s = silencing(120, 40);
    press(&mut s, "S");
    let e = editor(&s);
    assert_eq!(e.source, "prod");
    assert_eq!(e.matchers, "alertname=\"InstanceDown\" service=\"db\" severity=\"disaster\"");
    assert_eq!(e.matched, (1, 4), "d1 alone among prod's four");
    insta::assert_snapshot!("silence_editor", screen(&s));
    // Typing narrows or widens the count as it goes: drop the service and severity matchers.
    edit(&mut s, |e| e.matchers = "alertname=~\"High.*\"".into());
    press(&mut s, "tab");
    press(&mut s, "tab");
    typed(&mut s, "deploy");
    assert_eq!(editor(&s).comment, "deploy");
    assert_eq!(editor(&s).matched, (2, 4));
    let fx = press(&mut s, "enter");
    let made = appended(&fx);
    assert_eq!(made.len(), 1);
    let (key, kind, text) = &made[0];
    assert_eq!((key.as_str(), *kind), ("prod/silences", EntryKind::Silenced));
    assert!(text.starts_with("add {alertname=~\"High.*\"} until 2026-11-21T05:14:00Z: deploy"), "{text}");
    assert_eq!(s.mode, Mode::Normal);

    let mut tiny = silencing(40, 10);
    press(&mut tiny, "S");
    insta::assert_snapshot!("silence_editor_tiny", screen(&tiny));
}

#[test]
fn the_silence_editor_refuses_bad_matchers_and_past_ends_and_asks_twice_for_everything() {
    let mut s = silencing(120, 40);
    press(&mut s, "S");
    edit(&mut s, |e| e.matchers = "instance=~db-(".into());
    assert!(press(&mut s, "enter").is_empty());
    assert!(editor(&s).problem.as_deref().unwrap().contains("bad regex \"db-(\" for instance"));
    edit(&mut s, |e| {
        e.matchers = "alertname=\"InstanceDown\"".into();
        e.duration = "until 01:00".into();
    });
    assert!(press(&mut s, "enter").is_empty());
    assert!(editor(&s).problem.as_deref().unwrap().contains("is in the past"), "{:?}", editor(&s).problem);
    insta::assert_snapshot!("silence_editor_refused", screen(&s));
    // A silence on every alert prod has: Enter once says so, Enter again makes it.
    edit(&mut s, |e| {
        e.matchers = "severity=~\".+\"".into();
        e.duration = "30m".into();
    });
    assert!(press(&mut s, "enter").is_empty());
    assert!(editor(&s).problem.as_deref().unwrap().contains("matches every alert prod has (4): Enter again"));
    let fx = press(&mut s, "enter");
    assert_eq!(appended(&fx).len(), 1);
    // An alert whose source has no silences says so.
    let mut s = state_with(120, 40, sample());
    press(&mut s, "S");
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.flash.as_ref().unwrap().text.contains("prod has no silences"));
}

/// Silences as a poll brings them (`Msg::Silences`): the shape `AlertSource::silences`
/// gives from Alertmanager's `GET /api/v2/silences` (`createdBy`, `status.state`, …).
fn silence(id: &str, state: &str, by: &str, ends_in_hours: i64, matched: usize, comment: &str) -> Silence {
    Silence {
        source: "prod".into(),
        id: id.into(),
        state: state.into(),
        matchers: silence::parse_matchers(&["alertname=DiskFilling", "instance=~db-.*"]).unwrap(),
        starts_at: t0() - chrono::Duration::hours(1),
        ends_at: t0() + chrono::Duration::hours(ends_in_hours),
        created_by: by.into(),
        comment: comment.into(),
        matched,
        maintenance: None,
    }
}

fn with_silences(width: u16, height: u16) -> State {
    let mut s = silencing(width, height);
    let list = vec![
        silence("0d5e7c1a-old", "expired", "bob", -2, 0, "yesterday's deploy"),
        silence("8323d8f1-disk", "active", "carol", 2, 2, "kernel upgrade on db hosts"),
        silence("51aa0e22-later", "pending", "dave", 6, 0, "maintenance tonight"),
    ];
    // The poll hides two alerts: one silenced, one inhibited (AlertmanagerSource marks them).
    let mut quiet = alert("prod", "q1", Severity::High, 5, "CpuHot", "db");
    quiet.status = Status::Suppressed;
    quiet.suppression = Some("silenced by carol: kernel upgrade on db hosts".into());
    let mut held = alert("prod", "q2", Severity::Warning, 3, "InstanceDown", "web");
    held.status = Status::Suppressed;
    held.suppression = Some("inhibited by another alert".into());
    let silences = Silences { list, hidden: vec![quiet, held] };
    app::update(&mut s, Msg::Silences { source: "prod".into(), silences: Ok(silences) });
    app::update(&mut s, Msg::Silences { source: "staging".into(), silences: Err("connection refused".into()) });
    s
}

#[test]
fn the_silences_view_lists_filters_expires_and_extends_through_the_outbox() {
    let mut s = with_silences(120, 40);
    press(&mut s, "X");
    assert_eq!(s.mode, Mode::Silences);
    let ids = |s: &State| s.silence_list.shown().iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&s), ["8323d8f1-disk", "51aa0e22-later", "0d5e7c1a-old"], "active, pending, expired");
    insta::assert_snapshot!("silences_view_120x40", screen(&s));

    // `/` filters by any of its words (author, comment, matchers), without case.
    press(&mut s, "/");
    typed(&mut s, "TONIGHT\n");
    assert_eq!(ids(&s), ["51aa0e22-later"]);
    // `e` extends the one under the cursor: a past end is refused with the reason.
    press(&mut s, "e");
    for _ in 0.."2h".len() {
        press(&mut s, "backspace");
    }
    typed(&mut s, "until 01:00\n");
    assert!(s.silence_list.problem.as_deref().is_some_and(|p| p.contains("past")), "{:?}", s.silence_list.problem);
    for _ in 0.."until 01:00".len() {
        press(&mut s, "backspace");
    }
    let fx = {
        typed(&mut s, "5h");
        press(&mut s, "enter")
    };
    assert_eq!(
        appended(&fx),
        [(
            AlertKey::new("prod", "silences"),
            EntryKind::Silenced,
            "extend 51aa0e22-later until 2026-11-21T08:14:00Z".into()
        )],
        "the same entry `klaxon silence extend` makes"
    );
    // esc clears the filter; `x` expires after a yes; `n` leaves it be.
    press(&mut s, "esc");
    assert_eq!(ids(&s).len(), 3);
    press(&mut s, "x");
    assert!(press(&mut s, "n").is_empty());
    press(&mut s, "x");
    assert!(screen(&s).contains("Expire silence 8323d8f1-disk at prod? y/n"));
    let fx = press(&mut s, "y");
    assert_eq!(
        appended(&fx),
        [(AlertKey::new("prod", "silences"), EntryKind::Silenced, "expire 8323d8f1-disk".into())]
    );
    // An expired one cannot be changed; it says so.
    press(&mut s, "G");
    press(&mut s, "j");
    press(&mut s, "j");
    assert!(press(&mut s, "x").is_empty());
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("expired already")));
    press(&mut s, "esc");
    assert_eq!(s.mode, Mode::Normal);

    let mut small = with_silences(40, 10);
    press(&mut small, "X");
    insta::assert_snapshot!("silences_view_40x10", screen(&small));
}

#[test]
fn the_header_counts_the_hidden_alerts_and_h_shows_them_with_who_and_why() {
    let mut s = with_silences(120, 40);
    assert!(screen(&s).contains("2 hidden: 1 silenced, 1 inhibited (h)"), "{}", screen(&s));
    press(&mut s, "h");
    assert_eq!(s.mode, Mode::Suppressed);
    let shown = screen(&s);
    assert!(shown.contains("SUPPRESSED high CpuHot") && shown.contains("silenced by carol: kernel upgrade"), "{shown}");
    assert!(shown.contains("inhibited by another alert"), "{shown}");
    insta::assert_snapshot!("hidden_alerts_120x40", shown);
    press(&mut s, "h");
    assert_eq!(s.mode, Mode::Normal, "again: hidden");
    // A source that cannot say is not counted.
    app::update(&mut s, Msg::Silences { source: "prod".into(), silences: Err("timed out".into()) });
    assert!(!screen(&s).contains("hidden:"));
}

/// The store's answer to each appended entry (as the runtime feeds it back): stored with an
/// id, or `queued` (id 0 and below: kept on this host until the store is back).
fn answered(fx: &[Effect], queued: &[usize]) -> Msg {
    let entries = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append(n) => Some(n),
            _ => None,
        })
        .enumerate()
        .map(|(i, n)| klaxon::model::Entry {
            id: if queued.contains(&i) { -(i as i64) } else { 100 + i as i64 },
            op_id: n.op_id.clone(),
            alert_key: n.alert_key.clone(),
            kind: n.kind,
            actor: n.actor.clone(),
            at: n.at,
            text: n.text.clone(),
            level: n.level,
            db_user: None,
        })
        .collect();
    Msg::Entries(entries)
}

#[test]
fn a_bulk_escalate_gives_each_alert_its_own_entry_and_the_status_bar_the_true_counts() {
    let mut s = state_with(120, 40, sample());
    press(&mut s, "V");
    let n = s.selection.len();
    assert!(n >= 3, "the sample has several alerts");
    assert!(press(&mut s, "e").is_empty(), "nothing before the yes");
    let prompt = match &s.mode {
        Mode::Confirm { prompt, .. } => prompt.clone(),
        m => panic!("{m:?}"),
    };
    assert_eq!(prompt, format!("Escalate (one level each) {n} selected alert(s)?"));
    let fx = press(&mut s, "y");
    let made = appended(&fx);
    assert_eq!(made.len(), n, "one entry per alert");
    assert!(made.iter().all(|(_, kind, _)| *kind == EntryKind::Escalated));
    let keys: std::collections::HashSet<_> = made.iter().map(|(k, ..)| k.clone()).collect();
    assert_eq!(keys.len(), n, "each alert its own");
    // Two answers come back stored, the last queued: the line waits for all, then counts them.
    app::update(&mut s, answered(&fx[..2], &[]));
    assert!(!s.flash.as_ref().unwrap().text.contains("queued"), "not before all are in");
    app::update(&mut s, answered(&fx[2..], &[n - 3]));
    assert_eq!(s.flash.as_ref().unwrap().text, format!("{n} escalated, 1 queued"));
    assert!(s.tally.is_none());

    // A bulk ack: one append refused by the store is said, the others counted.
    let mut s = state_with(120, 40, sample());
    press(&mut s, "V");
    press(&mut s, "a");
    let fx = press(&mut s, "y");
    let Effect::Append(first) = &fx[0] else { panic!("{fx:?}") };
    app::update(
        &mut s,
        Msg::AppendFailed { op_id: first.op_id.clone(), key: first.alert_key.clone(), error: "disk full".into() },
    );
    app::update(&mut s, answered(&fx[1..], &[]));
    let f = s.flash.as_ref().unwrap();
    assert_eq!((f.text.as_str(), f.error), (format!("{} acked, 0 queued, 1 NOT saved", n - 1).as_str(), true));
}

#[test]
fn a_bulk_note_asks_for_the_text_then_once_and_gives_each_alert_its_own_entry() {
    let mut s = state_with(120, 40, sample());
    press(&mut s, "space");
    press(&mut s, "j");
    press(&mut s, "space");
    assert!(press(&mut s, "n").is_empty());
    press(&mut s, "enter");
    assert!(s.flash.as_ref().is_some_and(|f| f.error && f.text == "an empty note is not saved"));
    typed(&mut s, "rolled back deploy 412");
    assert!(screen(&s).contains("note for 2 alert(s): rolled back deploy 412"), "{}", screen(&s));
    assert!(press(&mut s, "enter").is_empty(), "nothing before the yes");
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt == "Add this note to 2 alert(s)?"));
    let fx = press(&mut s, "y");
    let notes = appended(&fx);
    assert_eq!(notes.len(), 2);
    assert!(notes.iter().all(|(_, k, t)| *k == EntryKind::Note && t == "rolled back deploy 412"));
    assert_ne!(notes[0].0, notes[1].0, "each alert its own entry");
    app::update(&mut s, answered(&fx, &[]));
    assert_eq!(s.flash.as_ref().unwrap().text, "2 noted, 0 queued");
}

#[test]
fn a_bulk_silence_starts_from_the_common_labels_names_what_is_skipped_and_asks_once() {
    let mut s = silencing(120, 40);
    // Ranked d1, h2, h1, a1, …: select h2 and h1 (prod) and a1 (local, which has no silences).
    for _ in 0..3 {
        press(&mut s, "j");
        press(&mut s, "space");
    }
    assert_eq!(s.selection.len(), 3);
    press(&mut s, "S");
    let e = editor(&s);
    // Equal labels as `=`, the two services as an alternation, so it silences these two only.
    assert_eq!(e.matchers, "alertname=\"HighErrorRate\" service=~\"api|web\" severity=\"high\"");
    assert_eq!(e.sources(), ["prod"]);
    assert_eq!(e.matched, (2, 4), "h1 and h2 among prod's four");
    let bulk = e.bulk.as_ref().unwrap();
    assert_eq!(bulk.alerts, 2);
    assert_eq!(bulk.skipped.as_deref(), Some("1 alert(s) of local skipped: local has no silences"));
    let shown = screen(&s);
    assert!(shown.contains("common labels of 2 selected alert(s); 1 alert(s) of local skipped"), "{shown}");
    insta::assert_snapshot!("bulk_silence_editor", shown);

    // Enter asks once, naming how many and where; nothing is stored before the yes.
    press(&mut s, "tab");
    press(&mut s, "tab");
    typed(&mut s, "deploy");
    assert!(press(&mut s, "enter").is_empty());
    let prompt = match &s.mode {
        Mode::Confirm { prompt, .. } => prompt.clone(),
        m => panic!("{m:?}"),
    };
    assert_eq!(
        prompt,
        "Silence 2 selected alert(s) (2 open alert(s) match now): one silence at prod? \
         (1 alert(s) of local skipped: local has no silences)"
    );
    let fx = press(&mut s, "y");
    assert_eq!(
        appended(&fx),
        [(
            AlertKey::new("prod", "silences"),
            EntryKind::Silenced,
            "add {alertname=\"HighErrorRate\", service=~\"api|web\", severity=\"high\"} until 2026-11-21T05:14:00Z: deploy"
                .into()
        )],
        "one silence, through the same outbox entry as a single one"
    );
    assert!(s.selection.is_empty(), "the selection is spent");

    // Only alerts of a source without silences: said, nothing opened.
    let mut s = silencing(120, 40);
    for _ in 0..3 {
        press(&mut s, "j");
    }
    press(&mut s, "space");
    press(&mut s, "S");
    assert_eq!(s.mode, Mode::Normal);
    let f = s.flash.as_ref().unwrap();
    assert!(f.error && f.text.contains("1 alert(s) of local skipped: local has no silences"), "{}", f.text);
}

#[test]
fn a_bulk_silence_over_two_alertmanagers_makes_one_silence_at_each() {
    let mut s = silencing(120, 40);
    s.source_actions.insert("local".into(), [EntryKind::Silenced].into());
    // h2 (prod) and i1 (local): every label differs, each an alternation of its two values.
    press(&mut s, "j");
    press(&mut s, "space");
    press(&mut s, "G");
    press(&mut s, "space");
    press(&mut s, "S");
    let e = editor(&s);
    assert_eq!(e.sources(), ["local", "prod"]);
    assert_eq!(
        e.matchers,
        "alertname=~\"DeployInProgress|HighErrorRate\" service=\"web\" severity=~\"high|information\""
    );
    assert_eq!(e.matched, (2, 6), "h2 and i1 among the six open alerts of both");
    press(&mut s, "enter");
    assert!(
        matches!(&s.mode, Mode::Confirm { prompt, .. }
            if prompt == "Silence 2 selected alert(s) (2 open alert(s) match now): 2 silences, one at each of local, prod?"),
        "{:?}",
        s.mode
    );
    let made = appended(&press(&mut s, "y"));
    let at: Vec<&str> = made.iter().map(|(k, ..)| k.as_str()).collect();
    assert_eq!(at, ["local/silences", "prod/silences"]);
    assert_eq!(made[0].2, made[1].2, "the same silence at each");

    // On a group header with nothing selected, `S` silences the group's alerts.
    let mut s = silencing(120, 40);
    press(&mut s, "z");
    press(&mut s, "g");
    press(&mut s, "j");
    press(&mut s, "j");
    assert_eq!(visible_ids(&s)[s.list.selected], "[HighErrorRate 2]");
    press(&mut s, "S");
    assert_eq!(editor(&s).matchers, "alertname=\"HighErrorRate\" service=~\"api|web\" severity=\"high\"");
    assert_eq!(editor(&s).bulk.as_ref().map(|b| b.alerts), Some(2));
}

/// A Zabbix maintenance as the Zabbix source gives it (`maintenance.get` with `selectHosts`
/// and, on 6.0, `selectGroups`; see `ZabbixSource::maintenances`): a read-only silence.
fn maintenance(id: &str, state: &str, name: &str, ends_in_hours: i64) -> Silence {
    Silence {
        source: "zbx".into(),
        id: id.into(),
        state: state.into(),
        matchers: vec![],
        starts_at: t0() - chrono::Duration::hours(1),
        ends_at: t0() + chrono::Duration::hours(ends_in_hours),
        created_by: String::new(),
        comment: "kernel 6.1 on the database hosts".into(),
        matched: 0,
        maintenance: Some(klaxon::model::silence::Maintenance {
            name: name.into(),
            hosts: vec!["db1 (klaxon test)".into()],
            groups: vec!["Linux servers".into()],
        }),
    }
}

#[test]
fn zabbix_maintenance_is_listed_beside_the_silences_read_only() {
    let mut s = with_silences(120, 40);
    let list = vec![maintenance("17", "active", "DB patching", 3)];
    app::update(&mut s, Msg::Silences { source: "zbx".into(), silences: Ok(Silences { list, hidden: vec![] }) });
    // A user who may not read maintenance: said for that source, the others still listed.
    let denied = Err("maintenance.get: No permissions to referred object or it does not exist!".into());
    app::update(&mut s, Msg::Silences { source: "zbx-ro".into(), silences: denied });
    press(&mut s, "X");
    let ids = |s: &State| s.silence_list.shown().iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&s), ["8323d8f1-disk", "17", "51aa0e22-later", "0d5e7c1a-old"]);
    press(&mut s, "j");
    let shown = screen(&s);
    assert!(shown.contains("ACTIVE   zbx"), "{shown}");
    assert!(shown.contains("-        read-only \"DB patching\" hosts: db1 (klaxon test)"), "{shown}");
    assert!(shown.contains("\"DB patching\" hosts: db1 (klaxon test) · groups: Linux servers"), "{shown}");
    assert!(shown.contains("maintenance 17 at zbx · active · read-only: Zabbix maintenance is managed in Zabbix"));
    assert!(shown.contains("zbx-ro: silences not read: maintenance.get: No permissions"), "{shown}");
    insta::assert_snapshot!("silences_view_maintenance_120x40", shown);
    // Expire and extend are refused with the reason; nothing is stored.
    for k in ["x", "e"] {
        assert!(press(&mut s, k).is_empty());
        assert_eq!(s.silence_list.prompt, None);
        let f = s.flash.as_ref().unwrap();
        assert!(f.error && f.text.ends_with("17 at zbx: Zabbix maintenance is managed in Zabbix"), "{}", f.text);
    }
}

#[test]
fn a_bulk_ack_on_a_group_header_stores_one_entry_per_alert_and_says_the_true_counts() {
    let mut s = state_with(120, 40, sample());
    press(&mut s, "z");
    press(&mut s, "g");
    press(&mut s, "j");
    press(&mut s, "j");
    assert_eq!(visible_ids(&s)[s.list.selected], "[HighErrorRate 2]");
    assert!(s.selection.is_empty(), "the header, not a selection");
    assert!(press(&mut s, "a").is_empty(), "nothing before the yes");
    let fx = press(&mut s, "y");
    // One Append per alert: each becomes its own entry and outbox row in the runtime.
    let acks = appended(&fx);
    assert_eq!(
        acks,
        [
            (AlertKey::new("prod", "h2"), EntryKind::Acked, String::new()),
            (AlertKey::new("prod", "h1"), EntryKind::Acked, String::new()),
        ]
    );
    let ops: std::collections::HashSet<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append(n) => Some(n.op_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ops.len(), 2, "each its own op id, so its own outbox row");
    // The store keeps the first and queues the second on this host: the line says so, once both answered.
    app::update(&mut s, answered(&fx, &[1]));
    assert_eq!(s.flash.as_ref().map(|f| (f.text.as_str(), f.error)), Some(("2 acked, 1 queued", false)));
    assert!(s.tally.is_none());
}
