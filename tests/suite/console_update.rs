//! The console's update: messages in, state and effects out, for every action. No terminal.

use crate::common;

use common::alerts::*;
use klaxon::app::state::{Mode, Pane, Pending};
use klaxon::app::{self, Effect, Mouse, Msg};
use klaxon::model::{AlertKey, Entry, EntryKind, NewEntry, OpIds, Ownership};

/// The entries the test console writes, whole: alice's, on `prod`, at the console's clock,
/// with the op ids its seed gives in order. Each call draws the next id, as the console does.
struct Writes {
    ids: OpIds,
    at: chrono::DateTime<chrono::Utc>,
}

impl Writes {
    fn new() -> Self {
        Writes { ids: OpIds::seeded(SEED), at: t0() }
    }

    fn append(&mut self, id: &str, kind: EntryKind, text: &str, level: Option<i64>) -> Effect {
        Effect::Append(NewEntry {
            op_id: self.ids.next(self.at),
            alert_key: AlertKey::new("prod", id),
            kind,
            actor: "alice".into(),
            at: self.at,
            text: text.into(),
            level,
        })
    }
}

/// What the store would answer: the entry with an id, fed back as the runtime does.
fn stored(state: &mut klaxon::app::State, fx: &[Effect], first_id: i64) {
    let entries: Vec<Entry> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Append(n) => Some(n),
            _ => None,
        })
        .enumerate()
        .map(|(i, n)| Entry {
            id: first_id + i as i64,
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
    let keys: Vec<AlertKey> = entries.iter().map(|e| e.alert_key.clone()).collect();
    for k in keys {
        app::update(state, Msg::Timeline { key: k, entries: vec![] });
    }
    app::update(state, Msg::Entries(entries));
}

#[test]
fn ranks_and_moves() {
    let mut s = state_with(120, 40, sample());
    assert_eq!(visible_ids(&s), ["d1", "h2", "h1", "a1", "w1", "i1"]);
    assert_eq!(selected_id(&s), "d1");
    app::update(&mut s, key("j"));
    app::update(&mut s, key("down"));
    assert_eq!(selected_id(&s), "h1");
    app::update(&mut s, key("k"));
    assert_eq!(selected_id(&s), "h2");
    app::update(&mut s, key("G"));
    assert_eq!(selected_id(&s), "i1");
    app::update(&mut s, key("j"));
    assert_eq!(selected_id(&s), "i1", "stops at the bottom");
    app::update(&mut s, key("g"));
    assert_eq!(selected_id(&s), "d1");
    app::update(&mut s, key("pgdn"));
    assert_eq!(selected_id(&s), "i1", "a page is longer than the list");
    app::update(&mut s, key("pgup"));
    assert_eq!(selected_id(&s), "d1");
}

#[test]
fn moving_asks_for_the_timeline_once() {
    let mut s = state_with(120, 40, sample());
    let fx = app::update(&mut s, key("j"));
    assert_eq!(fx, [Effect::LoadTimeline(AlertKey::new("prod", "h2"))]);
    app::update(&mut s, Msg::Timeline { key: AlertKey::new("prod", "h2"), entries: vec![] });
    app::update(&mut s, key("j"));
    assert!(app::update(&mut s, key("k")).is_empty(), "already loaded");
}

#[test]
fn ack_writes_an_entry_and_the_owned_alert_sinks_under_the_cursor() {
    let mut s = state_with(120, 40, sample());
    let mut w = Writes::new();
    let fx = app::update(&mut s, key("a"));
    assert_eq!(fx, [w.append("d1", EntryKind::Acked, "", None)]);
    assert!(s.flash.as_ref().unwrap().text.starts_with("saving"), "nothing is called done before the store says so");
    stored(&mut s, &fx, 1);
    assert_eq!(s.flash.as_ref().unwrap().text, "acknowledged prod/d1 (stored)");
    assert_eq!(visible_ids(&s), ["h2", "h1", "a1", "w1", "i1", "d1"]);
    assert_eq!(selected_id(&s), "h2", "the cursor keeps its row: the next alert moved up under it");
    assert_eq!(s.list.board.get(&AlertKey::new("prod", "d1")).unwrap().owner(), Some("alice"));
    // So a storm is acked one key at a time.
    let fx = app::update(&mut s, key("a"));
    assert_eq!(fx, [w.append("h2", EntryKind::Acked, "", None)]);
    stored(&mut s, &fx, 2);
    assert_eq!(selected_id(&s), "h1");
    // Acking your own alert again writes nothing.
    app::update(&mut s, key("G"));
    assert_eq!(app::update(&mut s, key("a")), []);
    assert!(s.flash.as_ref().unwrap().text.contains("already yours"));
}

#[test]
fn another_consoles_ack_shows_up() {
    let mut s = state_with(120, 40, sample());
    let key_h1 = AlertKey::new("prod", "h1");
    app::update(&mut s, Msg::Timeline { key: key_h1.clone(), entries: vec![] });
    let bob = Entry {
        id: 7,
        op_id: "x".into(),
        alert_key: key_h1.clone(),
        kind: EntryKind::Acked,
        actor: "bob".into(),
        at: t0(),
        text: String::new(),
        level: None,
        db_user: None,
    };
    app::update(&mut s, Msg::Entries(vec![bob.clone(), bob]));
    assert_eq!(s.detail.timelines[&key_h1].len(), 1, "the same entry twice is kept once");
    assert_eq!(visible_ids(&s).last().unwrap(), "h1");
    // An entry for an alert whose timeline is not loaded folds into its ownership without
    // reading the timeline (a storm of entries must not become a storm of reads), and the
    // cursor stays on the alert it was on.
    let before = selected_id(&s);
    let mut other = Entry { id: 8, alert_key: AlertKey::new("prod", "w1"), ..s.detail.timelines[&key_h1][0].clone() };
    other.op_id = "y".into();
    assert!(app::update(&mut s, Msg::Entries(vec![other])).is_empty());
    assert_eq!(s.list.board.get(&AlertKey::new("prod", "w1")).unwrap().owner(), Some("bob"));
    assert_eq!(selected_id(&s), before, "another console's ack does not move you");
}

#[test]
fn an_ack_kept_on_this_host_shows_at_once_and_is_replaced_when_stored() {
    let mut s = state_with(120, 40, sample());
    let w1 = AlertKey::new("prod", "w1");
    let queued = Entry {
        id: -1,
        op_id: "q1".into(),
        alert_key: w1.clone(),
        kind: EntryKind::Acked,
        actor: "tester".into(),
        at: t0(),
        text: String::new(),
        level: None,
        db_user: None,
    };
    // The store is out of reach: no timeline read is asked for, the ack stands for it.
    assert!(app::update(&mut s, Msg::Entries(vec![queued.clone()])).is_empty());
    assert_eq!(s.list.board.get(&w1).unwrap().own.owner.as_deref(), Some("tester"));
    app::update(&mut s, Msg::Unsent(1));
    assert_eq!(s.unsent, 1);
    // Back: the stored copy replaces it (once), and the whole timeline is read again.
    let stored = Entry { id: 42, db_user: Some("tester".into()), ..queued };
    let fx = app::update(&mut s, Msg::Entries(vec![stored.clone()]));
    assert_eq!(fx, [Effect::LoadTimeline(w1.clone())]);
    assert_eq!(s.detail.timelines[&w1], [stored]);
}

#[test]
fn note_editor_saves_drafts_as_typed_and_keeps_them_on_close() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("n"));
    assert!(matches!(&s.mode, Mode::Editor(e) if e.key.id() == "d1"));
    let fx = typed(&mut s, "rolled back\nv2.14");
    assert_eq!(
        fx.last(),
        Some(&Effect::SaveDraft { key: AlertKey::new("prod", "d1"), text: "rolled back\nv2.14".into() })
    );
    app::update(&mut s, key("esc"));
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.detail.drafts[&AlertKey::new("prod", "d1")], "rolled back\nv2.14");
    // Opening it again continues the draft; ctrl-s stores it and drops the draft.
    app::update(&mut s, key("n"));
    typed(&mut s, "!");
    let fx = app::update(&mut s, key("ctrl-s"));
    let note = Writes::new().append("d1", EntryKind::Note, "rolled back\nv2.14!", None);
    assert_eq!(fx, [note, Effect::DeleteDraft(AlertKey::new("prod", "d1"))], "stored, then the draft goes");
    assert!(s.detail.drafts.is_empty() && s.mode == Mode::Normal);
}

#[test]
fn an_empty_note_is_not_stored() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("n"));
    typed(&mut s, "  ");
    assert_eq!(app::update(&mut s, key("ctrl-s")), []);
    assert!(matches!(s.mode, Mode::Editor(_)), "stays open to write something");
}

#[test]
fn ack_with_a_note() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("ctrl-a"));
    typed(&mut s, "mine");
    let fx = app::update(&mut s, key("alt-enter"));
    let ack = Writes::new().append("d1", EntryKind::Acked, "mine", None);
    assert_eq!(fx, [ack, Effect::DeleteDraft(AlertKey::new("prod", "d1"))]);
}

#[test]
fn escalate_asks_first_and_counts_levels() {
    let mut s = state_with(120, 40, sample());
    let mut w = Writes::new();
    app::update(&mut s, key("e"));
    assert!(matches!(&s.mode, Mode::Confirm { pending: Pending::Escalate { level: 1, .. }, .. }));
    assert_eq!(app::update(&mut s, key("n")), [], "no means nothing is sent");
    app::update(&mut s, key("e"));
    let fx = app::update(&mut s, key("y"));
    let nobody = "nobody was paged: no pager is configured";
    assert_eq!(fx, [w.append("d1", EntryKind::Escalated, nobody, Some(1))]);
    stored(&mut s, &fx, 1);
    assert_eq!(s.flash.as_ref().unwrap().text, format!("escalated prod/d1 to level 1 (stored): {nobody}"));
    // No schedule answers for level 2: there is nobody further to ask.
    app::update(&mut s, key("e"));
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.flash.as_ref().unwrap().text.contains("already at level 1, the highest configured"), "{:?}", s.flash);
    // With a second level and a webhook, level 2 is asked for and says where the page goes.
    s.escalation.pagers = vec![klaxon::escalation::Pager { level: None, name: "webhook".into() }];
    app::update(&mut s, Msg::OnCall { schedule: "dba".into(), level: 2, result: Err("not asked yet".into()) });
    app::update(&mut s, key("e"));
    assert!(matches!(&s.mode, Mode::Confirm { pending: Pending::Escalate { level: 2, .. }, .. }));
    let fx = app::update(&mut s, key("y"));
    let queued = "no schedule answers for level 2; page queued for webhook";
    assert_eq!(fx, [w.append("d1", EntryKind::Escalated, queued, Some(2))]);
}

/// Where the alert's source takes the escalation itself (PagerDuty, Opsgenie with
/// `write_back`), no pager here does not mean nobody is paged: the prompt and the entry say
/// the source pages by its own rules.
#[test]
fn escalating_where_the_source_escalates_itself_does_not_say_nobody_is_paged() {
    let mut s = state_with(120, 40, sample());
    s.escalation.at_source.insert("prod".into(), std::collections::HashSet::from([1]));
    let mut w = Writes::new();
    app::update(&mut s, key("e"));
    let Mode::Confirm { prompt, .. } = &s.mode else { panic!("asks first: {:?}", s.mode) };
    assert!(
        prompt.contains("No pager here: prod is asked to escalate it (its own rules decide who is paged)."),
        "{prompt}"
    );
    assert!(!prompt.contains("Nobody is paged"), "{prompt}");
    let fx = app::update(&mut s, key("y"));
    let text = "no pager here: prod is asked to escalate it (its own rules decide who is paged)";
    assert_eq!(fx, [w.append("d1", EntryKind::Escalated, text, Some(1))]);
}

#[test]
fn unack_asks_and_only_when_someone_owns_it() {
    let mut s = state_with(120, 40, sample());
    assert!(app::update(&mut s, key("A")).is_empty());
    assert!(s.flash.as_ref().unwrap().text.contains("nobody owns"));
    let key_d1 = AlertKey::new("prod", "d1");
    app::update(
        &mut s,
        Msg::Ownership([(key_d1, Ownership { owner: Some("bob".into()), ..Default::default() })].into()),
    );
    app::update(&mut s, key("G"));
    app::update(&mut s, key("A"));
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt.contains("bob's")));
    let fx = app::update(&mut s, key("y"));
    assert_eq!(fx, [Writes::new().append("d1", EntryKind::Unacked, "", None)]);
}

#[test]
fn filter_live_with_errors_and_escape() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("/"));
    typed(&mut s, "severity>=high source=prod");
    assert_eq!(visible_ids(&s), ["d1", "h2", "h1"]);
    app::update(&mut s, key("enter"));
    assert_eq!(s.mode, Mode::Normal);
    // A pattern that stops being valid keeps the last good filter and says why.
    app::update(&mut s, key("/"));
    typed(&mut s, " service=~db");
    assert_eq!(visible_ids(&s), ["d1"]);
    typed(&mut s, "(");
    assert!(matches!(&s.mode, Mode::Filter { error: Some(e), .. } if e.contains("bad pattern")));
    assert_eq!(visible_ids(&s), ["d1"]);
    app::update(&mut s, key("enter"));
    assert!(matches!(s.mode, Mode::Filter { .. }), "enter does not keep a broken filter");
    app::update(&mut s, key("esc"));
    assert_eq!(s.list.filter.text(), "severity>=high source=prod", "esc goes back to the filter before");
    app::update(&mut s, key("esc"));
    assert!(s.list.filter.is_empty());
    assert_eq!(visible_ids(&s).len(), 6);
    app::update(&mut s, key("/"));
    typed(&mut s, "nothing-matches-this");
    assert!(s.list.rows.is_empty() && s.selected_item().is_none());
    assert_eq!(app::update(&mut s, key("enter")), []);
    assert_eq!(app::update(&mut s, key("a")), [], "no alert, no ack");
}

#[test]
fn sort_and_group_with_collapse() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("s"));
    assert_eq!(visible_ids(&s), ["i1", "w1", "h2", "h1", "d1", "a1"], "newest first");
    for _ in 0..3 {
        app::update(&mut s, key("s"));
    }
    app::update(&mut s, key("z"));
    assert_eq!(
        visible_ids(&s),
        [
            "[InstanceDown 1]",
            "d1",
            "[HighErrorRate 2]",
            "h2",
            "h1",
            "[load 1]",
            "a1",
            "[DiskFilling 1]",
            "w1",
            "[DeployInProgress 1]",
            "i1"
        ]
    );
    app::update(&mut s, key("g"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("j"));
    app::update(&mut s, key("enter"));
    assert_eq!(&visible_ids(&s)[..4], ["[InstanceDown 1]", "d1", "[HighErrorRate 2]", "[load 1]"]);
    assert_eq!(s.list.shown_count(), 6, "a collapsed group still counts");
    app::update(&mut s, key("enter"));
    assert_eq!(visible_ids(&s).len(), 11);
    app::update(&mut s, key("z"));
    assert!(visible_ids(&s).iter().any(|r| r == "[db 2]"), "by service: {:?}", visible_ids(&s));
}

#[test]
fn panes_help_palette_and_quit() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("enter"));
    assert_eq!(s.focus, Pane::Detail);
    app::update(&mut s, key("tab"));
    assert_eq!(s.focus, Pane::Logs);
    app::update(&mut s, key("backtab"));
    app::update(&mut s, key("backtab"));
    assert_eq!(s.focus, Pane::List);
    app::update(&mut s, key("r"));
    assert_eq!(s.focus, Pane::Runbook);
    app::update(&mut s, key("l"));
    assert_eq!(s.focus, Pane::Logs);
    app::update(&mut s, key("esc"));
    assert_eq!(s.focus, Pane::List);
    app::update(&mut s, key("?"));
    assert!(matches!(s.mode, Mode::Help { .. }));
    app::update(&mut s, key("x"));
    assert_eq!(s.mode, Mode::Normal);
    app::update(&mut s, key(":"));
    typed(&mut s, "grp");
    app::update(&mut s, key("enter"));
    assert!(visible_ids(&s)[0].starts_with('['), "the palette ran group");
    app::update(&mut s, key("q"));
    assert!(s.quit);
}

#[test]
fn quit_with_a_draft_asks_and_the_draft_stays() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, key("n"));
    typed(&mut s, "half a thought");
    app::update(&mut s, key("esc"));
    app::update(&mut s, key("q"));
    assert!(!s.quit && matches!(s.mode, Mode::Confirm { pending: Pending::Quit, .. }));
    app::update(&mut s, key("n"));
    assert!(!s.quit && s.detail.drafts.len() == 1);
    app::update(&mut s, key("q"));
    let fx = app::update(&mut s, key("y"));
    assert!(s.quit && fx.is_empty(), "quitting deletes no draft");
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    let mut s = state_with(120, 40, sample());
    let first = s.layout().list_first_row();
    app::update(&mut s, Msg::Mouse(Mouse::Click { column: 5, row: first + 3 }));
    assert_eq!(selected_id(&s), "a1");
    app::update(&mut s, Msg::Mouse(Mouse::ScrollUp { column: 5, row: first }));
    assert_eq!(selected_id(&s), "d1");
    app::update(&mut s, Msg::Mouse(Mouse::ScrollDown { column: 5, row: first }));
    assert_eq!(selected_id(&s), "a1");
    app::update(&mut s, Msg::Mouse(Mouse::Click { column: 100, row: 10 }));
    assert_eq!(s.focus, Pane::Detail);
}

#[test]
fn idle_ticks_redraw_once_a_minute() {
    let mut s = state_with(120, 40, sample());
    s.dirty = false;
    app::update(&mut s, Msg::Tick(t0() + chrono::Duration::seconds(20)));
    assert!(!s.dirty, "same minute: nothing to draw");
    app::update(&mut s, Msg::Tick(t0() + chrono::Duration::seconds(61)));
    assert!(s.dirty);
}

#[test]
fn a_failed_effect_is_shown() {
    let mut s = state_with(120, 40, sample());
    app::update(&mut s, Msg::EffectFailed("store k.db: disk I/O error".into()));
    let f = s.flash.clone().unwrap();
    assert!(f.error && f.text.contains("disk I/O"));
}

#[test]
fn severity_and_close_go_to_a_source_that_takes_them_and_are_refused_elsewhere() {
    use std::collections::HashSet;
    let mut s = state_with(120, 40, sample());
    // The selected alert is prod/d1 (Disaster); prod does not set severities.
    app::update(&mut s, key("-"));
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.flash.as_ref().is_some_and(|f| f.error && f.text.contains("no severity to set")));
    app::update(&mut s, key("C"));
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("closes its alerts itself")));

    s.source_actions.insert("prod".into(), HashSet::from([EntryKind::SeveritySet, EntryKind::Closed]));
    let d1 = AlertKey::new("prod", "d1");
    // Disaster cannot go higher; lower asks first, then records the new severity's rank.
    app::update(&mut s, key("+"));
    assert!(s.flash.as_ref().is_some_and(|f| f.text.contains("disaster already")));
    app::update(&mut s, key("-"));
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt.contains("from disaster to high")));
    let mut w = Writes::new();
    let fx = app::update(&mut s, key("y"));
    assert_eq!(fx, [w.append(d1.id(), EntryKind::SeveritySet, "", Some(3))], "the rank of high");
    // Close asks, and "no" records nothing.
    app::update(&mut s, key("C"));
    assert!(matches!(&s.mode, Mode::Confirm { prompt, .. } if prompt.starts_with("Close prod/d1")));
    assert!(app::update(&mut s, key("n")).is_empty());
    app::update(&mut s, key("C"));
    let fx = app::update(&mut s, key("y"));
    assert_eq!(fx, [w.append(d1.id(), EntryKind::Closed, "", None)]);
}

// `p` asks whom to reassign to; refused where the source cannot reassign (nothing is
// written), Esc writes nothing, Enter writes `to NAME: NOTE` for the store to resolve.
#[test]
fn reassign_asks_for_the_person_and_is_refused_where_the_source_cannot() {
    use std::collections::HashSet;
    let mut s = state_with(120, 40, sample());
    let fx = app::update(&mut s, key("p"));
    assert_eq!(fx, []);
    assert_eq!(s.mode, Mode::Normal);
    let flash = s.flash.clone().unwrap();
    assert!(flash.error && flash.text == "prod cannot reassign: only a pagerduty source can", "{flash:?}");

    s.source_actions.insert("prod".into(), HashSet::from([EntryKind::Reassigned]));
    let d1 = AlertKey::new("prod", "d1");
    app::update(&mut s, key("p"));
    assert_eq!(s.mode, Mode::Reassign { key: d1.clone(), input: String::new() });
    assert!(app::update(&mut s, key("esc")).is_empty(), "esc writes nothing");
    assert_eq!(s.mode, Mode::Normal);

    app::update(&mut s, key("p"));
    assert!(app::update(&mut s, key("enter")).is_empty(), "nobody named: nothing written");
    assert!(s.flash.as_ref().is_some_and(|f| f.error && f.text.contains("whom to reassign to")));
    assert_eq!(s.mode, Mode::Reassign { key: d1.clone(), input: String::new() }, "still asking");
    typed(&mut s, "erin: db is hers");
    let mut w = Writes::new();
    let fx = app::update(&mut s, key("enter"));
    assert_eq!(fx, [w.append(d1.id(), EntryKind::Reassigned, "to erin: db is hers", None)]);
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.flash.as_ref().is_some_and(|f| f.text == "saving: reassigned prod/d1…"), "{:?}", s.flash);
}

#[test]
fn new_counts_only_what_the_list_shows() {
    let mut s = state_with(120, 40, vec![]);
    let alerts = sample();
    for (source, alerts) in alerts {
        app::update(&mut s, Msg::Snapshot { source, alerts, fresh: true });
    }
    assert_eq!(s.unseen_shown(), 6);
    app::update(&mut s, key("/"));
    typed(&mut s, "source=local");
    app::update(&mut s, key("enter"));
    assert_eq!(s.unseen_shown(), 2, "hidden by the filter, not counted");
    // An alert that is gone is no longer new.
    app::update(&mut s, Msg::Snapshot { source: "local".into(), alerts: vec![], fresh: true });
    assert_eq!(s.attention.unseen.len(), 4);
}

/// The runtime's way in: snapshots ranked beforehand, with their keys. What one takes off
/// the board is no longer new, and the header's count follows.
#[test]
fn what_a_ranked_snapshot_takes_off_is_no_longer_counted_new() {
    let mut s = state_with(120, 40, vec![]);
    for (source, alerts) in sample() {
        app::update(&mut s, Msg::Ranked { source, ranked: klaxon::model::Ranked::with_keys(alerts), fresh: true });
    }
    assert_eq!(s.unseen_shown(), 6);
    let ranked = klaxon::model::Ranked::with_keys(vec![]);
    app::update(&mut s, Msg::Ranked { source: "local".into(), ranked, fresh: true });
    assert_eq!((s.attention.unseen.len(), s.unseen_shown()), (4, 4));
    assert_eq!(s.list.board.len(), 4);
}

#[test]
fn a_resolved_alert_is_not_offered_ack_note_or_escalate() {
    let mut snap = sample();
    snap[0].1[1].status = klaxon::model::Status::Resolved; // d1
    let mut s = state_with(120, 40, snap);
    app::update(&mut s, key("G"));
    assert_eq!(selected_id(&s), "d1", "resolved alerts rank last");
    for k in ["a", "e", "n", "ctrl-a"] {
        let fx = app::update(&mut s, key(k));
        assert_eq!(fx, [], "{k}");
        assert_eq!(s.mode, Mode::Normal, "{k}");
        assert_eq!(s.flash.as_ref().unwrap().text.split(':').next().unwrap(), "prod/d1 has resolved", "{k}");
    }
}

#[test]
fn a_storm_of_entries_asks_for_no_timeline_and_keeps_ownership() {
    let mut s = state_with(120, 40, sample());
    let seen: Vec<Entry> = (0..20_000)
        .map(|i| Entry {
            id: i + 1,
            op_id: format!("seen-{i}"),
            alert_key: AlertKey::new("storm", &format!("a{i}")),
            kind: EntryKind::Seen,
            actor: "klaxon".into(),
            at: t0(),
            text: String::new(),
            level: None,
            db_user: None,
        })
        .collect();
    let mut bob = seen[7].clone();
    bob.id = 30_000;
    bob.op_id = "bob".into();
    bob.kind = EntryKind::Acked;
    bob.actor = "bob".into();
    let mut all = seen;
    all.push(bob);
    assert!(app::update(&mut s, Msg::Entries(all)).is_empty(), "no timeline read per entry");
    assert_eq!(s.list.board.ownership(&AlertKey::new("storm", "a7")).owner.as_deref(), Some("bob"));
    assert!(s.detail.timelines.is_empty());
}

#[test]
fn a_failed_write_says_not_saved_and_an_automatic_escalation_is_tried_again() {
    let mut s = state_with(120, 40, sample());
    let fx = app::update(&mut s, key("a"));
    assert_eq!(fx, [Writes::new().append("d1", EntryKind::Acked, "", None)]);
    let Effect::Append(n) = &fx[0] else { unreachable!() };
    app::update(
        &mut s,
        Msg::AppendFailed {
            op_id: n.op_id.clone(),
            key: n.alert_key.clone(),
            error: "database or disk is full".into(),
        },
    );
    let f = s.flash.clone().unwrap();
    assert!(f.error && f.text.starts_with("NOT saved for prod/d1: database or disk is full"), "{f:?}");
    assert_eq!(selected_id(&s), "d1", "nothing moved: nothing happened");
}

#[test]
fn the_same_messages_make_the_same_entries_at_the_time_of_the_key() {
    // What the runtime sends: the clock before each key.
    let later = t0() + chrono::Duration::seconds(90);
    let script = |s: &mut klaxon::app::State| {
        let mut fx = app::update(s, Msg::Clock(later));
        for k in ["a", "e", "y"] {
            fx.extend(app::update(s, key(k)));
        }
        fx
    };
    let mut one = state_with(120, 40, sample());
    let fx = script(&mut one);
    let mut w = Writes { ids: OpIds::seeded(SEED), at: later };
    let nobody = "nobody was paged: no pager is configured";
    assert_eq!(fx, [w.append("d1", EntryKind::Acked, "", None), w.append("d1", EntryKind::Escalated, nobody, Some(1))]);
    assert_eq!(script(&mut state_with(120, 40, sample())), fx, "same seed, same messages: same effects");
    // Another console (another seed) writes the same entries under other op ids.
    let mut other = state_with(120, 40, sample());
    other.ids = OpIds::seeded(SEED + 1);
    let ids = |fx: &[Effect]| -> Vec<String> {
        fx.iter().filter_map(|e| if let Effect::Append(n) = e { Some(n.op_id.clone()) } else { None }).collect()
    };
    let theirs = script(&mut other);
    assert!(ids(&theirs).iter().all(|id| !ids(&fx).contains(id)), "{theirs:?}");
    assert_eq!(ids(&theirs).len(), 2);
}

/// Keys pressed while the rest of the cached snapshot is read keep their effect once it is
/// in: the cursor stays on the alert it was moved to, and a filter stays set; its count, at
/// least what the head shows meanwhile ("N+"), becomes exact.
#[test]
fn keys_before_the_whole_cached_snapshot_keep_their_effect() {
    use klaxon::model::Severity;
    let names = ["HighErrorRate", "DiskFilling"];
    let alerts: Vec<_> =
        (0..1000).map(|i| alert("prod", &format!("a{i}"), Severity::High, i as i64, names[i % 2], "api")).collect();
    let refs: Vec<_> = alerts.iter().collect();
    let head: Vec<_> = klaxon::model::top_ranked(&refs, 100).into_iter().cloned().collect();
    let headed = || {
        let mut s = state_with(120, 40, vec![]);
        app::update(&mut s, Msg::CachedHead { source: "prod".into(), alerts: head.clone(), total: 1000 });
        s
    };

    let mut s = headed();
    assert_eq!(s.list.counts(), "1000/1000");
    for _ in 0..3 {
        app::update(&mut s, key("j"));
    }
    let on = s.selected_item().unwrap().alert.key.clone();
    assert_eq!(on, AlertKey::new("prod", "a3"));
    app::update(&mut s, Msg::Snapshot { source: "prod".into(), alerts: alerts.clone(), fresh: false });
    assert_eq!(s.selected_item().unwrap().alert.key, on);
    assert_eq!((s.list.counts(), s.list.selected), ("1000/1000".to_string(), 3));

    let mut s = headed();
    app::update(&mut s, key("/"));
    typed(&mut s, "DiskFilling\n");
    assert_eq!(s.list.counts(), "50+/1000");
    app::update(&mut s, Msg::Snapshot { source: "prod".into(), alerts, fresh: false });
    assert_eq!((s.list.filter.text(), s.list.counts()), ("DiskFilling", "500/1000".to_string()));
}

/// The runtime's snapshots come with what changed since the source's previous one, told
/// where they were ranked (a watcher beside the ranking, before the store's ownership), so the
/// task that answers keys looks at the changes, not at the whole board. Applied, they must
/// leave the console as the whole-board look does: the same notifications, the same alerts
/// marked new, the same rows, cursor and counts, whatever the snapshots, ownership and keys.
mod changes_told_where_ranked {
    use super::*;
    use klaxon::model::{Alert, Ranked, Severity, Status, Watcher};
    use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
    use std::collections::{HashMap, HashSet};

    const SOURCES: [&str; 2] = ["prod", "local"];
    const SEVERITIES: [Severity; 5] =
        [Severity::Information, Severity::Warning, Severity::Average, Severity::High, Severity::Disaster];
    const STATUSES: [Status; 4] = [Status::Firing, Status::Acknowledged, Status::Suppressed, Status::Resolved];

    #[derive(Clone, Debug)]
    enum Step {
        /// (id, severity, status) of each alert, a few ids so alerts come, go and come back.
        Snapshot {
            source: usize,
            fresh: bool,
            alerts: Vec<(u8, u8, u8)>,
        },
        /// (source, id, nobody / bob has it / escalated) from the store.
        Own(Vec<(usize, u8, u8)>),
        /// The selected alert's timeline read (what the console keeps per alert).
        Timeline,
        Key(&'static str),
    }

    impl Arbitrary for Step {
        fn arbitrary(g: &mut Gen) -> Step {
            let small = |g: &mut Gen, n: u8| u8::arbitrary(g) % n;
            match small(g, 8) {
                0..=3 => Step::Snapshot {
                    source: usize::from(bool::arbitrary(g)),
                    fresh: small(g, 6) != 0,
                    // Each alert once: a key twice in one snapshot (which no source sends)
                    // whose copies differ in status is the one case the two ways may tell
                    // apart (which copy the watcher remembers depends on ownership's ranking).
                    alerts: {
                        let mut ids = std::collections::HashSet::new();
                        (0..small(g, 14))
                            .map(|_| (small(g, 12), small(g, 5), [0, 1, 2, 3, 0, 0, 0][small(g, 7) as usize]))
                            .filter(|(id, ..)| ids.insert(*id))
                            .collect()
                    },
                },
                4 => Step::Own(
                    (0..1 + small(g, 3))
                        .map(|_| (usize::from(bool::arbitrary(g)), small(g, 12), small(g, 3)))
                        .collect(),
                ),
                5 => Step::Timeline,
                _ => Step::Key(g.choose(&["j", "k", "G", "g"]).copied().unwrap_or("j")),
            }
        }
    }

    fn alerts(source: &str, spec: &[(u8, u8, u8)]) -> Vec<Alert> {
        spec.iter()
            .map(|(id, sev, status)| {
                let mut a = alert(source, &format!("a{id}"), SEVERITIES[*sev as usize], i64::from(*id), "Storm", "api");
                a.status = STATUSES[*status as usize];
                a
            })
            .collect()
    }

    fn ownership(changes: &[(usize, u8, u8)]) -> HashMap<AlertKey, Ownership> {
        changes
            .iter()
            .map(|(source, id, kind)| {
                let own = match kind {
                    0 => Ownership::default(),
                    1 => Ownership { owner: Some("bob".into()), acked_at: Some(t0()), escalation_level: 0 },
                    _ => Ownership { escalation_level: 1, ..Ownership::default() },
                };
                (AlertKey::new(SOURCES[*source], &format!("a{id}")), own)
            })
            .collect()
    }

    /// What a person sees of the two consoles, where they differ.
    fn differs(a: &app::State, b: &app::State) -> Option<String> {
        let seen = |s: &app::State| {
            let timelines: HashSet<AlertKey> = s.detail.timelines.keys().cloned().collect();
            (visible_ids(s), selected_id(s), s.list.counts(), s.unseen_shown(), timelines)
        };
        let (sa, sb) = (seen(a), seen(b));
        if a.attention.unseen != b.attention.unseen || sa != sb {
            return Some(format!(
                "whole-board look: {:?} {sa:?}\nchanges: {:?} {sb:?}",
                a.attention.unseen, b.attention.unseen
            ));
        }
        None
    }

    fn same_as_the_whole_board_look(steps: Vec<Step>) -> TestResult {
        let (mut a, mut b) = (state_with(120, 40, vec![]), state_with(120, 40, vec![]));
        let mut watcher = Watcher::default();
        for (n, step) in steps.iter().enumerate() {
            let (fa, fb) = match step {
                Step::Snapshot { source, fresh, alerts: spec } => {
                    let (source, fresh) = (SOURCES[*source], *fresh);
                    let alerts = alerts(source, spec);
                    let ranked = Ranked::observed(source, alerts.clone(), fresh, &mut watcher);
                    (
                        app::update(&mut a, Msg::Snapshot { source: source.into(), alerts, fresh }),
                        app::update(&mut b, Msg::Ranked { source: source.into(), ranked, fresh }),
                    )
                }
                Step::Own(changes) => (
                    app::update(&mut a, Msg::Ownership(ownership(changes))),
                    app::update(&mut b, Msg::Ownership(ownership(changes))),
                ),
                Step::Timeline => match a.selected_item().map(|i| i.alert.key.clone()) {
                    Some(key) => (
                        app::update(&mut a, Msg::Timeline { key: key.clone(), entries: vec![] }),
                        app::update(&mut b, Msg::Timeline { key, entries: vec![] }),
                    ),
                    None => continue,
                },
                Step::Key(k) => (app::update(&mut a, key(k)), app::update(&mut b, key(k))),
            };
            if fa != fb {
                return TestResult::error(format!("step {n} {step:?}: effects {fa:?} vs {fb:?}"));
            }
            if let Some(d) = differs(&a, &b) {
                return TestResult::error(format!("step {n} {step:?}:\n{d}"));
            }
        }
        TestResult::passed()
    }

    #[test]
    fn news_and_what_left_told_where_ranked_are_what_the_board_says() {
        QuickCheck::new().tests(2000).quickcheck(same_as_the_whole_board_look as fn(Vec<Step>) -> TestResult);
    }

    /// A snapshot held back unseen: ranked, what it was made of, its source's keys before it.
    type Held = (Ranked, Vec<(u8, u8, u8)>, HashSet<AlertKey>);

    /// A snapshot dropped unseen for a newer one of its source (the run loop's coalescing):
    /// the newer one carries what the dropped one changed. The board is the same as with
    /// both applied; nothing is marked new or told that both applied would not have, but
    /// alerts this console never showed before and alerts whose ownership the store changed
    /// while the snapshot was held (ownership is then what holds when it is shown); and an
    /// alert new in the dropped one, still there, nobody's and not taken at the source in
    /// either, is marked and told.
    fn dropped_snapshot(steps: Vec<Step>, drop_at: Vec<bool>) -> TestResult {
        let (mut a, mut b) = (state_with(120, 40, vec![]), state_with(120, 40, vec![]));
        let mut watcher = Watcher::default();
        // Per source and freshness.
        let mut held: HashMap<(usize, bool), Held> = HashMap::new();
        let mut told_a: HashSet<AlertKey> = HashSet::new();
        let mut new_here: HashSet<AlertKey> = HashSet::new();
        let mut released: HashSet<AlertKey> = HashSet::new();
        for (n, step) in steps.iter().enumerate() {
            // Fresh only: the disk cache's copy comes before any poll, never between two.
            let Step::Snapshot { source, alerts: spec, .. } = step else {
                if let Step::Own(changes) = step {
                    app::update(&mut a, Msg::Ownership(ownership(changes)));
                    app::update(&mut b, Msg::Ownership(ownership(changes)));
                    // The held-back snapshot's alerts are judged by the ownership that holds
                    // when it is shown, not by what held when it came: an alert released
                    // meanwhile may be news here and not to the console that applied both.
                    for (source, id, _) in changes {
                        if held.keys().any(|(s, _)| s == source) {
                            released.insert(AlertKey::new(SOURCES[*source], &format!("a{id}")));
                        }
                    }
                }
                continue;
            };
            let fresh = &true;
            let name = SOURCES[*source];
            let before: HashSet<AlertKey> = a
                .list
                .board
                .ranked()
                .iter()
                .filter(|i| i.alert.source() == name)
                .map(|i| i.alert.key.clone())
                .collect();
            let alerts = alerts(name, spec);
            let mut ranked = Ranked::observed(name, alerts.clone(), *fresh, &mut watcher);
            for e in app::update(&mut a, Msg::Snapshot { source: name.into(), alerts, fresh: *fresh }) {
                if let Effect::Notify(news) = e {
                    told_a.extend(news.into_iter().map(|n| n.key));
                }
            }
            if drop_at.get(n).copied().unwrap_or(false) && !held.contains_key(&(*source, *fresh)) {
                held.insert((*source, *fresh), (ranked, spec.clone(), before));
                continue;
            }
            let dropped = held.remove(&(*source, *fresh));
            if let Some((older, ..)) = &dropped {
                ranked.absorb(&mut older.clone());
            }
            let fx = app::update(&mut b, Msg::Ranked { source: name.into(), ranked, fresh: *fresh });
            let told_b: HashSet<AlertKey> = fx
                .into_iter()
                .filter_map(|e| match e {
                    Effect::Notify(news) => Some(news.into_iter().map(|n| n.key)),
                    _ => None,
                })
                .flatten()
                .collect();
            if let Some((_, _, prior)) = &dropped {
                // New to this console (the dropped one never shown): told by what holds now,
                // when both applied may have found it owned, or passed the cursor over it, at
                // the time. Noted now, even while another source's snapshot is held back.
                let on_board = b.list.board.ranked().iter().map(|i| &i.alert.key);
                new_here.extend(on_board.filter(|k| k.source() == name && !prior.contains(*k)).cloned());
            }
            // With a snapshot of another source still held back, the two differ by it.
            if !held.is_empty() {
                continue;
            }
            // (Not the cursor: where an alert it was on went in the dropped one, both applied
            // moved it, and that one shown never was.)
            if (visible_ids(&a), a.list.counts()) != (visible_ids(&b), b.list.counts()) {
                return TestResult::error(format!(
                    "step {n}: the boards differ: {:?} vs {:?}",
                    visible_ids(&a),
                    visible_ids(&b)
                ));
            }
            let beyond = |x: &HashSet<AlertKey>, y: &HashSet<AlertKey>| {
                x.iter().any(|k| !y.contains(k) && !new_here.contains(k) && !released.contains(k))
            };
            if beyond(&b.attention.unseen, &a.attention.unseen) || beyond(&told_b, &told_a) {
                return TestResult::error(format!(
                    "step {n}: more news than both applied: {:?} ⊄ {:?} or told {told_b:?} ⊄ {told_a:?}",
                    b.attention.unseen, a.attention.unseen
                ));
            }
            let Some((_, dropped_spec, prior)) = dropped else { continue };
            let untaken = |spec: &[(u8, u8, u8)], id: u8| spec.iter().find(|s| s.0 == id).is_some_and(|s| s.2 == 0);
            for (id, ..) in &dropped_spec {
                let key = AlertKey::new(name, &format!("a{id}"));
                let owned = a.list.board.has_owner(&key);
                if !prior.contains(&key)
                    && untaken(&dropped_spec, *id)
                    && untaken(spec, *id)
                    && !owned
                    && !b.attention.unseen.contains(&key)
                {
                    return TestResult::error(format!(
                        "step {n}: {key} came in the dropped snapshot, is still there, not marked new"
                    ));
                }
            }
        }
        TestResult::passed()
    }

    /// What CI drew on 2026-12-03: a snapshot of `prod` held back while one of `local` was also
    /// held, then both applied. An alert new in the held `prod` one was never shown here before,
    /// so it is news when shown; the property must count it as such even when the other
    /// source's snapshot is still held at that step.
    #[test]
    fn a_snapshot_held_while_another_source_is_held_too() {
        let steps = vec![
            Step::Snapshot { source: 0, fresh: true, alerts: vec![(0, 0, 0), (8, 2, 0)] },
            Step::Key("g"),
            Step::Timeline,
            Step::Key("g"),
            Step::Key("g"),
            Step::Snapshot {
                source: 1,
                fresh: false,
                alerts: vec![(5, 2, 0), (7, 2, 1), (9, 2, 1), (3, 1, 1), (11, 0, 0), (6, 0, 1)],
            },
            Step::Key("G"),
            Step::Snapshot { source: 0, fresh: true, alerts: vec![] },
            Step::Snapshot { source: 1, fresh: true, alerts: vec![(11, 4, 3), (4, 0, 0), (10, 2, 0)] },
            Step::Own(vec![(1, 9, 0)]),
            Step::Snapshot {
                source: 0,
                fresh: false,
                alerts: vec![(0, 4, 0), (2, 4, 0), (9, 2, 3), (11, 4, 0), (10, 4, 1), (4, 2, 2)],
            },
            Step::Key("g"),
            Step::Snapshot { source: 0, fresh: true, alerts: vec![(7, 0, 0), (5, 2, 0), (4, 3, 1), (1, 2, 0)] },
            Step::Key("k"),
            Step::Snapshot { source: 0, fresh: true, alerts: vec![(11, 4, 0)] },
            Step::Snapshot {
                source: 1,
                fresh: true,
                alerts: vec![
                    (4, 0, 0),
                    (0, 1, 0),
                    (5, 1, 2),
                    (11, 2, 3),
                    (8, 0, 0),
                    (6, 1, 3),
                    (3, 1, 0),
                    (7, 4, 1),
                    (1, 0, 0),
                ],
            },
            Step::Snapshot { source: 0, fresh: true, alerts: vec![(0, 4, 0), (2, 3, 3), (1, 4, 3), (7, 4, 2)] },
            Step::Key("g"),
            Step::Own(vec![(0, 0, 0)]),
            Step::Own(vec![(1, 3, 0), (0, 6, 1)]),
            Step::Snapshot { source: 1, fresh: true, alerts: vec![(10, 3, 1), (2, 0, 2), (1, 1, 2), (4, 0, 0)] },
            Step::Snapshot {
                source: 1,
                fresh: false,
                alerts: vec![(1, 0, 1), (7, 0, 0), (3, 4, 0), (4, 0, 2), (8, 0, 3), (0, 4, 0), (6, 4, 1), (11, 1, 0)],
            },
            Step::Snapshot { source: 0, fresh: true, alerts: vec![(8, 4, 0), (6, 0, 0), (0, 2, 0), (9, 2, 0)] },
            Step::Timeline,
            Step::Snapshot { source: 1, fresh: true, alerts: vec![] },
            Step::Snapshot { source: 1, fresh: true, alerts: vec![(5, 1, 3)] },
            Step::Timeline,
            Step::Key("j"),
            Step::Own(vec![(0, 5, 0), (0, 4, 1), (0, 6, 0)]),
            Step::Snapshot { source: 1, fresh: true, alerts: vec![(6, 3, 0)] },
            Step::Snapshot {
                source: 0,
                fresh: false,
                alerts: vec![(3, 2, 0), (2, 1, 2), (1, 3, 0), (9, 3, 0), (6, 0, 0)],
            },
            Step::Snapshot {
                source: 1,
                fresh: true,
                alerts: vec![(11, 2, 3), (0, 3, 3), (4, 0, 1), (3, 1, 0), (10, 3, 0)],
            },
        ];
        let drop_at = vec![
            false, false, false, false, false, false, false, false, false, false, false, false, false, false, false,
            false, false, false, false, false, false, false, true, false, false, false, false, false, false, true,
        ];
        let result = dropped_snapshot(steps, drop_at);
        assert!(!result.is_error() && !result.is_failure(), "{result:?}");
    }

    /// Three more cases drawn on 2026-12-03: an alert owned when the held-back snapshot came
    /// and released by the store before it was shown is news to this console (the one that
    /// applied both judged it while it was owned).
    #[test]
    fn an_alert_released_while_its_snapshot_was_held_is_judged_when_shown() {
        let cases: Vec<(Vec<Step>, Vec<bool>)> = vec![
            (
                vec![
                    Step::Own(vec![(0, 5, 0), (1, 2, 0), (1, 3, 1)]),
                    Step::Snapshot {
                        source: 1,
                        fresh: true,
                        alerts: vec![(7, 4, 2), (2, 4, 3), (3, 1, 0), (4, 4, 3), (10, 2, 0)],
                    },
                    Step::Snapshot { source: 0, fresh: true, alerts: vec![(1, 2, 0)] },
                    Step::Key("k"),
                    Step::Key("k"),
                    Step::Snapshot {
                        source: 1,
                        fresh: true,
                        alerts: vec![(3, 1, 3), (9, 3, 0), (1, 0, 2), (5, 0, 1), (7, 0, 1), (11, 3, 0), (2, 2, 1)],
                    },
                    Step::Timeline,
                    Step::Snapshot {
                        source: 1,
                        fresh: true,
                        alerts: vec![(1, 2, 1), (8, 1, 1), (3, 3, 0), (10, 3, 0), (9, 0, 3), (0, 0, 1), (5, 0, 0)],
                    },
                    Step::Own(vec![(1, 3, 0), (0, 3, 0), (1, 3, 2)]),
                    Step::Snapshot {
                        source: 1,
                        fresh: true,
                        alerts: vec![(3, 3, 0), (1, 3, 0), (10, 4, 3), (4, 0, 0), (9, 4, 0)],
                    },
                ],
                vec![false, false, false, false, false, false, false, true],
            ),
            (
                vec![
                    Step::Own(vec![(0, 3, 1), (1, 10, 0)]),
                    Step::Snapshot { source: 1, fresh: false, alerts: vec![(1, 4, 3), (0, 0, 1)] },
                    Step::Snapshot { source: 0, fresh: true, alerts: vec![] },
                    Step::Snapshot { source: 0, fresh: true, alerts: vec![(9, 1, 3)] },
                    Step::Snapshot {
                        source: 0,
                        fresh: true,
                        alerts: vec![
                            (6, 1, 0),
                            (8, 0, 0),
                            (11, 3, 2),
                            (9, 3, 1),
                            (0, 0, 0),
                            (1, 1, 2),
                            (10, 3, 3),
                            (3, 0, 0),
                            (2, 4, 0),
                        ],
                    },
                    Step::Snapshot {
                        source: 0,
                        fresh: true,
                        alerts: vec![(11, 0, 0), (10, 2, 0), (3, 4, 0), (6, 4, 0)],
                    },
                    Step::Own(vec![(0, 3, 0), (0, 0, 1)]),
                    Step::Snapshot {
                        source: 0,
                        fresh: false,
                        alerts: vec![
                            (1, 2, 1),
                            (0, 1, 0),
                            (3, 3, 0),
                            (4, 1, 0),
                            (10, 0, 3),
                            (8, 3, 0),
                            (11, 0, 0),
                            (7, 2, 0),
                        ],
                    },
                ],
                vec![false, false, false, false, false, true],
            ),
            (
                vec![
                    Step::Snapshot { source: 1, fresh: true, alerts: vec![(7, 1, 0), (1, 2, 0)] },
                    Step::Snapshot { source: 1, fresh: true, alerts: vec![(2, 1, 2), (10, 2, 1), (0, 4, 3)] },
                    Step::Key("g"),
                    Step::Snapshot { source: 0, fresh: true, alerts: vec![(9, 3, 0), (5, 3, 0)] },
                    Step::Key("j"),
                    Step::Own(vec![(0, 6, 1)]),
                    Step::Key("g"),
                    Step::Key("j"),
                    Step::Key("g"),
                    Step::Snapshot {
                        source: 0,
                        fresh: true,
                        alerts: vec![(6, 2, 1), (2, 1, 1), (0, 3, 0), (10, 4, 1), (3, 2, 1), (11, 2, 0), (7, 0, 0)],
                    },
                    Step::Snapshot {
                        source: 0,
                        fresh: true,
                        alerts: vec![
                            (6, 3, 0),
                            (0, 1, 2),
                            (4, 1, 0),
                            (3, 3, 1),
                            (8, 4, 0),
                            (5, 4, 0),
                            (1, 2, 2),
                            (7, 4, 1),
                        ],
                    },
                    Step::Own(vec![(0, 8, 2), (0, 6, 2)]),
                    Step::Snapshot {
                        source: 0,
                        fresh: true,
                        alerts: vec![
                            (11, 3, 0),
                            (6, 3, 0),
                            (5, 1, 1),
                            (4, 0, 0),
                            (8, 2, 1),
                            (0, 1, 1),
                            (9, 4, 1),
                            (3, 4, 0),
                            (7, 0, 3),
                        ],
                    },
                ],
                vec![false, false, false, false, false, false, false, false, false, false, true],
            ),
        ];
        for (steps, drop_at) in cases {
            let result = dropped_snapshot(steps, drop_at);
            assert!(!result.is_error() && !result.is_failure(), "{result:?}");
        }
    }

    #[test]
    fn a_snapshot_dropped_unseen_hands_what_it_changed_to_the_next() {
        QuickCheck::new().tests(2000).quickcheck(dropped_snapshot as fn(Vec<Step>, Vec<bool>) -> TestResult);
    }
}
