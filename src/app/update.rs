//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Pure: no I/O, no
//! clock (time arrives as `Msg::Tick` and `Msg::Clock`), no randomness (op ids come from
//! the generator the runtime seeded), no terminal: the same messages give the same effects.

use super::editor::{Edit, Editor, NotePurpose};
use super::list::AlertList;
use super::msg::{Mouse, Msg};
use super::selection::Outcome;
use super::state::{Flash, Mode, Pane, Pending, Row, State, is_me};
use super::{Action, Effect, Key, KeyCode, logs, palette, runbooks, scroll};
use crate::model::filter::Filter;
use crate::model::{AlertKey, Entry, EntryKind, NewEntry, OnCall, Ownership, Ranked, Severity};
use chrono::Timelike;
use std::collections::HashMap;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Key(key) => {
            // A key press answers the last message shown, and the one-time notice.
            if state.flash.take().is_some() | state.attention.notice.take().is_some() {
                state.dirty = true;
            }
            on_key(state, key, &mut fx);
        }
        Msg::Mouse(m) => on_mouse(state, m, &mut fx),
        Msg::Resize { width, height } => {
            state.size = (width, height);
            state.scroll_to_selected();
            state.dirty = true;
        }
        Msg::Tick(now) => {
            // The header says notifications are muted until then: no longer.
            if state.attention.muted_until.is_some_and(|t| t > state.now && t <= now) {
                state.dirty = true;
            }
            set_clock(state, now);
            auto_escalate(state, &mut fx);
            shift_notices(state, &mut fx);
        }
        Msg::Clock(now) => set_clock(state, now),
        Msg::Snapshot { source, alerts, fresh } => on_snapshot(state, source, Ranked::new(alerts), fresh, &mut fx),
        Msg::Ranked { source, ranked, fresh } => on_snapshot(state, source, ranked, fresh, &mut fx),
        Msg::CachedHead { source, alerts, total } => {
            // Not news, and not observed: the whole snapshot that follows is.
            state.list.board.apply_head(&source, alerts, total);
            state.rebuild_rows();
            load_selected_timeline(state, &mut fx);
        }
        Msg::Health { source, health, next } => {
            match next {
                Some(t) => state.next_poll.insert(source.clone(), t),
                None => state.next_poll.remove(&source),
            };
            if matches!(state.mode, Mode::Sources { .. }) {
                state.dirty = true; // the panel shows the next try
            }
            if state.health.get(&source) != Some(&health) {
                state.health.insert(source, health);
                state.dirty = true;
            }
        }
        Msg::OnCall { schedule, level, result } => on_call(state, schedule, level, result, &mut fx),
        Msg::Ownership(map) => {
            state.escalation.ownership_loaded = true;
            state.list.board.set_ownership(map);
            state.rebuild_rows();
            // What was already overdue is asked for now: the clock next ticks at the minute.
            auto_escalate(state, &mut fx);
        }
        Msg::Timeline { key, entries } => {
            let own = Ownership::from_entries(&entries);
            state.detail.timelines.insert(key.clone(), entries);
            state.list.board.set_ownership([(key, own)]);
            state.rebuild_rows();
        }
        Msg::Entries(entries) => on_entries(state, entries, &mut fx),
        Msg::Drafts(drafts) => {
            state.detail.drafts = drafts;
            state.dirty = true;
        }
        Msg::EffectFailed(text) => flash(state, text, true),
        Msg::ChannelFailed(text) => {
            state.attention.channel_failed(&text);
            state.dirty = true;
        }
        Msg::Drawn(drawn) => scroll::drawn(state, drawn),
        Msg::AppendFailed { op_id, key, error } => {
            state.awaiting.remove(&op_id);
            super::selection::tally(state, &op_id, Outcome::Failed);
            // Not stored, so not asked for: the next tick may try an automatic escalation again.
            state.escalation.not_stored(&op_id);
            if state.hold_cursor.as_deref() == Some(op_id.as_str()) {
                state.hold_cursor = None;
            }
            flash(state, format!("NOT saved for {key}: {error}; any draft is kept"), true);
        }
        Msg::Notice(text) => flash(state, text, false),
        Msg::Reports(result) => super::reports::loaded(state, result),
        Msg::History(result) => super::history::loaded(state, result),
        Msg::Slos(slos) => super::slo::defined(state, slos),
        Msg::Slo(update) => super::slo::updated(state, update),
        Msg::Silences { source, silences } => super::silence_list::received(state, source, silences),
        Msg::Unsent(n) => {
            state.dirty |= state.unsent != n;
            state.unsent = n;
        }
        Msg::Runbooks(lib) => {
            state.runbooks.set_library(lib);
            runbooks::refresh_pane(state, &mut fx);
            state.dirty = true;
        }
        Msg::RunbookLoaded { reference, result } => runbooks::loaded(state, reference, result),
        Msg::Log { alert, source, update } => logs::received(state, alert, source, update),
    }
    state.detail.follow(state.list.selected_item().map(|i| &i.alert.key));
    logs::sync(state, &mut fx);
    fx
}

fn set_clock(state: &mut State, now: chrono::DateTime<chrono::Utc>) {
    // Ages and the clock show minutes: redraw once a minute, not every tick.
    if now.minute() != state.now.minute() || now.hour() != state.now.hour() {
        state.dirty = true;
    }
    state.now = now;
}

/// A source's snapshot on the board; what is news is marked and told once.
/// When it was ranked with what changed ([`Ranked::observed`]: the runtime's way), only
/// that is looked at, not every alert on the board.
fn on_snapshot(state: &mut State, source: String, mut ranked: Ranked, fresh: bool, fx: &mut Vec<Effect>) {
    let diff = ranked.take_diff();
    let diff_less = diff.is_none();
    state.list.board.apply_ranked(&source, ranked);
    match diff {
        Some(diff) => {
            // What left first: a snapshot dropped unseen for this one may have taken off what
            // this one brings back as news.
            forget(state, &diff.gone);
            fx.extend(state.attention.take_news(diff.news, &state.list.board, state.now));
        }
        None => fx.extend(state.attention.observe(&source, &state.list.board, fresh, state.now)),
    }
    state.rebuild_rows();
    if diff_less {
        forget_gone(state);
    }
    load_selected_timeline(state, fx);
    // An alert that arrives already overdue (its problem started long ago) is escalated now,
    // not at the next minute's tick.
    auto_escalate(state, fx);
}

/// What the console keeps per alert is kept only while the alert is on the board (or an
/// action on it waits for the store), so memory follows the board, not the run's history.
/// When the snapshot came with its keys, only what it replaced is looked at, not the board.
fn forget_gone(state: &mut State) {
    if state.attention.unseen.is_empty() && state.detail.timelines.is_empty() {
        return;
    }
    if let Some(gone) = state.list.board.gone() {
        if !gone.is_empty() {
            state.attention.forget_gone(|k| !gone.contains(k));
            state.detail.forget_gone(|k| !gone.contains(k));
        }
        return;
    }
    let on_board: std::collections::HashSet<&AlertKey> =
        state.list.board.ranked().iter().map(|i| &i.alert.key).collect();
    state.attention.forget_gone(|k| on_board.contains(k));
    state.detail.forget_gone(|k| on_board.contains(k));
}

/// [`forget_gone`] given what left the board.
fn forget(state: &mut State, gone: &[AlertKey]) {
    if gone.is_empty() {
        return;
    }
    state.attention.forget(gone);
    if !state.detail.timelines.is_empty() {
        let gone: std::collections::HashSet<&AlertKey> = gone.iter().collect();
        state.detail.forget_gone(|k| !gone.contains(k));
    }
}

/// Entries written by this console or another. A loaded timeline takes them in place;
/// for every other alert ownership folds forward entry by entry, so a storm of `seen`
/// entries reads nothing back from the store and the list re-ranks once per batch.
fn on_entries(state: &mut State, entries: Vec<Entry>, fx: &mut Vec<Effect>) {
    if state.incidents.take(&entries) {
        state.dirty = true;
    }
    let before = state.selected_item().map(|i| i.alert.key.clone());
    let mut owners: HashMap<AlertKey, Ownership> = HashMap::new();
    let mut reload: Vec<AlertKey> = Vec::new();
    let mut confirmed: Vec<String> = Vec::new();
    // An entry of a timeline the detail pane may show.
    let mut shown = false;
    for e in entries {
        let outcome = if e.is_queued() { Outcome::Queued } else { Outcome::Stored };
        if super::selection::tally(state, &e.op_id, outcome) {
            state.awaiting.remove(&e.op_id);
        } else if let Some(text) = state.awaiting.remove(&e.op_id) {
            confirmed.push(if e.is_queued() {
                format!("{text} (kept on this host until the store is back)")
            } else {
                text
            });
            if state.hold_cursor.as_deref() == Some(e.op_id.as_str()) {
                // Your own ack keeps the cursor's place: the next alert moves up under it.
                state.hold_cursor = None;
                state.list.cursor = None;
            }
        }
        let key = e.alert_key.clone();
        shown |= state.detail.timelines.contains_key(&key);
        let merged = state.detail.merge(&e);
        if merged.reload && !reload.contains(&key) {
            reload.push(key.clone());
        }
        if let Some(own) = merged.whole {
            owners.insert(key, own);
            continue;
        }
        // A storm's thousands of `seen` entries for alerts nobody owns change nothing: not
        // even looked at again below.
        let moot = match e.kind {
            EntryKind::Seen => !owners.contains_key(&key) && !state.list.board.owned(&key),
            EntryKind::Acked | EntryKind::Unacked | EntryKind::Escalated => false,
            _ => true,
        };
        if moot {
            continue;
        }
        let own = owners.entry(key).or_insert_with_key(|k| state.list.board.ownership(k));
        own.apply(&e);
    }
    let reranked = state.list.board.reown(owners);
    fx.extend(reload.into_iter().map(Effect::LoadTimeline));
    if reranked || state.list.cursor.is_none() {
        state.rebuild_rows();
    } else if shown {
        state.dirty = true;
    }
    if state.selected_item().map(|i| &i.alert.key) != before.as_ref() {
        load_selected_timeline(state, fx);
    }
    if let Some(last) = confirmed.pop() {
        let more = if confirmed.is_empty() { String::new() } else { format!(" (and {} more)", confirmed.len()) };
        flash(state, format!("{last}{more}"), false);
    }
}

pub(super) fn flash(state: &mut State, text: impl Into<String>, error: bool) {
    state.flash = Some(Flash { text: text.into(), error });
    state.dirty = true;
}

fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    state.dirty = true;
    match &mut state.mode {
        Mode::Normal => {
            if logs::search_key(state, key) {
                return;
            }
            match state.keymap.action_for(&key) {
                Some(action) => run(state, action, fx),
                None => flash(state, format!("{key} does nothing here: ? lists the keys"), false),
            }
        }
        Mode::Silence(_) => super::silences::on_key(state, key, fx),
        Mode::Editor(editor) => match editor.handle(key) {
            Edit::Changed => {
                let (key, text) = (editor.key.clone(), editor.text());
                state.detail.drafts.insert(key.clone(), text.clone());
                fx.push(Effect::SaveDraft { key, text });
            }
            Edit::Submit => submit_editor(state, fx),
            Edit::Close => {
                let kept = state.detail.drafts.get(&editor.key).is_some_and(|d| !d.trim().is_empty());
                state.mode = Mode::Normal;
                if kept {
                    flash(state, "draft kept: n opens it again", false);
                }
            }
            Edit::Moved | Edit::Ignored => {}
        },
        Mode::Filter { input, before, error } => match key.code {
            KeyCode::Enter if error.is_none() => state.mode = Mode::Normal,
            KeyCode::Esc => {
                let before = before.clone();
                state.mode = Mode::Normal;
                apply_filter(state, &before);
            }
            KeyCode::Backspace => {
                input.pop();
                let text = input.clone();
                live_filter(state, &text);
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                input.push(c);
                let text = input.clone();
                live_filter(state, &text);
            }
            _ => {}
        },
        Mode::Palette { input, selected } => match key.code {
            KeyCode::Esc => state.mode = Mode::Normal,
            KeyCode::Enter => match palette::command(input) {
                Some(Err(e)) => flash(state, e, true),
                Some(Ok(command)) => {
                    state.mode = Mode::Normal;
                    run_command(state, command, fx);
                }
                None => {
                    let choice = palette::matches(input).get(*selected).copied();
                    state.mode = Mode::Normal;
                    if let Some(action) = choice {
                        run(state, action, fx);
                    }
                }
            },
            KeyCode::Up => *selected = selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Tab => {
                *selected = (*selected + 1).min(palette::matches(input).len().saturating_sub(1));
            }
            KeyCode::Backspace => {
                input.pop();
                *selected = 0;
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                input.push(c);
                *selected = 0;
            }
            _ => {}
        },
        Mode::Reassign { key: alert, input } => match key.code {
            KeyCode::Esc => state.mode = Mode::Normal,
            KeyCode::Enter => {
                let (alert, input) = (alert.clone(), input.trim().to_owned());
                let to = input.split_once(':').map_or(input.as_str(), |(to, _)| to).trim();
                if let Some(why) = crate::model::Reassign::bad_name(to) {
                    return flash(state, why, true);
                }
                state.mode = Mode::Normal;
                let entry = state.new_entry(alert.clone(), EntryKind::Reassigned, &format!("to {input}"));
                append(state, fx, entry, format!("stored: reassign {alert} to {to}; sent to {} next", alert.source()));
            }
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => input.push(c),
            _ => {}
        },
        Mode::Runbooks(_) => runbooks::browser_key(state, key, fx),
        Mode::Reports => super::reports::key(state, key, fx),
        Mode::Slos => super::slo::key(state, key),
        Mode::Incidents(_) => super::incidents::key(state, key, fx),
        Mode::Silences => super::silence_list::key(state, key, fx),
        Mode::History => super::history::key(state, key, fx),
        Mode::BulkNote { .. } => super::selection::note_key(state, key),
        // Any key hides them again.
        Mode::Suppressed => state.mode = Mode::Normal,
        Mode::Sources { scroll } => match key.code {
            KeyCode::Char('j') | KeyCode::Down => *scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            _ => state.mode = Mode::Normal,
        },
        Mode::Help { .. } => {
            let action = state.keymap.action_for(&key);
            if !action.is_some_and(|a| scroll::help_action(state, a)) {
                state.mode = Mode::Normal;
            }
        }
        Mode::Confirm { pending, .. } => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => {
                let pending = pending.clone();
                state.mode = Mode::Normal;
                confirmed(state, pending, fx);
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                state.mode = Mode::Normal;
                flash(state, "cancelled", false);
            }
            _ => {}
        },
    }
}

/// While typing, the list follows the filter; a filter that does not parse yet leaves the
/// last good one in place and says why.
fn live_filter(state: &mut State, text: &str) {
    match Filter::parse(text) {
        Ok(f) => {
            if let Mode::Filter { error, .. } = &mut state.mode {
                *error = None;
            }
            on_list(state, |list, rows| list.set_filter(f, rows));
        }
        Err(e) => {
            if let Mode::Filter { error, .. } = &mut state.mode {
                *error = Some(e);
            }
        }
    }
}

fn apply_filter(state: &mut State, text: &str) {
    let filter = Filter::parse(text).unwrap_or_default();
    on_list(state, |list, rows| list.set_filter(filter, rows));
}

/// A change to the list, at the rows it has on screen; the list is drawn again.
fn on_list(state: &mut State, change: impl FnOnce(&mut AlertList, usize)) {
    let rows = state.list_rows();
    change(&mut state.list, rows);
    state.dirty = true;
}

/// `:sort newest` and the other palette commands with an argument.
fn run_command(state: &mut State, command: palette::Command, fx: &mut Vec<Effect>) {
    match command {
        palette::Command::Sort(sort) => {
            on_list(state, |list, rows| list.set_sort(sort, rows));
            flash(state, format!("sorted by {}", sort.label()), false);
        }
        palette::Command::Group(group) => {
            on_list(state, |list, rows| list.set_group(group, rows));
            flash(state, format!("grouped by {}", group.label()), false);
        }
        palette::Command::Filter(text) => {
            apply_filter(state, &text);
            let said = if text.is_empty() { "filter cleared".to_owned() } else { format!("filter: {text}") };
            flash(state, said, false);
        }
        palette::Command::Theme(name) => fx.push(Effect::SetTheme(name)),
    }
}

/// A key whose action does not apply where the person is: what it would do, and where.
fn not_here(state: &mut State, action: Action) {
    let first_key = |a: Action| state.keymap.keys_for(a).first().map_or_else(|| format!(":{a}"), |k| k.to_string());
    // "Logs: follow new lines (again: pause)" → "follow new lines".
    let what = action.description().trim_start_matches("Logs: ");
    let what = what.split(" (").next().unwrap_or(what);
    let text = match action {
        Action::CopyCode => format!(
            "{what}: that works in a runbook; {} shows this alert's, {} browses them",
            first_key(Action::Runbook),
            first_key(Action::BrowseRunbooks)
        ),
        _ if state.focus == Pane::Logs => {
            "no log source is configured: add a [[logs]] source to klaxon.toml (see the README's Logs)".into()
        }
        _ => format!("{what}: that works in the log pane; {} opens it", first_key(Action::Logs)),
    };
    flash(state, text, false);
}

fn run(state: &mut State, action: Action, fx: &mut Vec<Effect>) {
    if detail_action(state, action) || runbooks::scroll_pane(state, action) || logs::pane_action(state, action) {
        return;
    }
    let rows = state.list.rows.len();
    let page = state.layout().list_rows().max(1);
    match action {
        Action::MoveDown => move_to(state, state.list.selected + 1, fx),
        Action::MoveUp => move_to(state, state.list.selected.saturating_sub(1), fx),
        Action::PageDown => move_to(state, state.list.selected + page, fx),
        Action::PageUp => move_to(state, state.list.selected.saturating_sub(page), fx),
        Action::Top => move_to(state, 0, fx),
        Action::Bottom => move_to(state, rows.saturating_sub(1), fx),
        Action::Open => match state.list.rows.get(state.list.selected) {
            Some(Row::Group { name, .. }) => {
                let name = name.clone();
                on_list(state, |list, rows| list.toggle_group(&name, rows));
            }
            Some(Row::Alert(_)) => focus(state, if state.focus == Pane::List { Pane::Detail } else { Pane::List }),
            None => {}
        },
        Action::NextPane | Action::PrevPane => {
            let i = Pane::CYCLE.iter().position(|p| *p == state.focus).unwrap_or(0);
            let n = Pane::CYCLE.len();
            let next = if action == Action::NextPane { (i + 1) % n } else { (i + n - 1) % n };
            focus_with(state, Pane::CYCLE[next], fx);
        }
        Action::Ack if !state.selection.is_empty() || super::selection::group_under_cursor(state).is_some() => {
            super::selection::ask(state, EntryKind::Acked)
        }
        Action::Note if !state.selection.is_empty() || super::selection::group_under_cursor(state).is_some() => {
            super::selection::ask(state, EntryKind::Note)
        }
        Action::Escalate if !state.selection.is_empty() || super::selection::group_under_cursor(state).is_some() => {
            super::selection::ask(state, EntryKind::Escalated)
        }
        Action::Silence if !state.selection.is_empty() || super::selection::group_under_cursor(state).is_some() => {
            super::silences::open_bulk(state)
        }
        Action::Silence => super::silences::open(state),
        Action::Select => super::selection::toggle(state),
        Action::SelectVisible => super::selection::select_visible(state),
        Action::Ack => with_open_alert(state, "acknowledge", |state, key, item_owner| {
            if item_owner.as_deref() == Some(state.actor.as_str()) {
                flash(state, format!("{key} is already yours"), false);
                return;
            }
            let entry = state.new_entry(key.clone(), EntryKind::Acked, "");
            state.hold_cursor = Some(entry.op_id.clone());
            let done = match item_owner {
                Some(other) => format!("acknowledged {key} (stored; {other} owns it)"),
                None => format!("acknowledged {key} (stored)"),
            };
            append(state, fx, entry, done);
        }),
        Action::AckWithNote => open_editor(state, NotePurpose::Ack),
        Action::Note => open_editor(state, NotePurpose::Note),
        Action::Unack => with_alert(state, |state, key, owner| {
            let prompt = match owner {
                None => {
                    flash(state, format!("nobody owns {key}"), false);
                    return;
                }
                Some(o) if o == state.actor => format!("Give {key} back (unacknowledge)?"),
                Some(o) => format!("Take {o}'s acknowledgement off {key}?"),
            };
            state.mode = Mode::Confirm { prompt, pending: Pending::Unack { key } };
        }),
        Action::Escalate => with_open_alert(state, "escalate", |state, key, _| {
            let level = state.list.board.get(&key).map_or(0, |i| i.own.escalation_level) + 1;
            if let Some(why) = crate::escalation::refuse_level(level, state.escalation.top_level()) {
                return flash(state, format!("{key} cannot go higher: {why}"), true);
            }
            let pagers = crate::escalation::pagers_for(&state.escalation.pagers, level);
            let consequence = if !pagers.is_empty() {
                format!("This pages people ({}).", pagers.join(", "))
            } else if state.escalation.at_source(&key, level) {
                format!("No pager here: {} is asked to escalate it (its own rules decide who is paged).", key.source())
            } else {
                "Nobody is paged (no pager is configured): it is recorded.".to_owned()
            };
            state.mode = Mode::Confirm {
                prompt: format!("Escalate {key} to level {level}? {consequence}"),
                pending: Pending::Escalate { key, level },
            };
        }),
        Action::RaiseSeverity | Action::LowerSeverity => with_alert(state, |state, key, _| {
            if !state.source_does(&key, EntryKind::SeveritySet) {
                return flash(state, format!("{} has no severity to set", key.source()), true);
            }
            let current = state.list.board.get(&key).map_or(Severity::Average, |i| i.alert.severity);
            let rank = Severity::ALL.iter().position(|s| *s == current).unwrap_or(2);
            let next = match action {
                Action::RaiseSeverity => rank.checked_add(1).and_then(|r| Severity::ALL.get(r)),
                _ => rank.checked_sub(1).and_then(|r| Severity::ALL.get(r)),
            };
            match next {
                Some(&severity) => {
                    state.mode = Mode::Confirm {
                        prompt: format!("Set {key} from {current} to {severity} in {}?", key.source()),
                        pending: Pending::SetSeverity { key, severity },
                    }
                }
                None => flash(state, format!("{key} is {current} already"), false),
            }
        }),
        Action::Close => with_alert(state, |state, key, _| {
            if !state.source_does(&key, EntryKind::Closed) {
                return flash(state, format!("{} closes its alerts itself", key.source()), true);
            }
            state.mode = Mode::Confirm {
                prompt: format!("Close {key} in {}? The problem ends there.", key.source()),
                pending: Pending::Close { key },
            };
        }),
        Action::Reassign => with_open_alert(state, "reassign", |state, key, _| {
            if !state.source_does(&key, EntryKind::Reassigned) {
                return flash(state, format!("{} cannot reassign: only a pagerduty source can", key.source()), true);
            }
            state.mode = Mode::Reassign { key, input: String::new() };
        }),
        Action::Runbook => {
            focus_with(state, Pane::Runbook, fx);
            super::incidents::runbook_shown(state, fx);
        }
        Action::BrowseRunbooks => runbooks::open_browser(state),
        Action::CopyCode if state.focus != Pane::Runbook => not_here(state, action),
        Action::CopyCode => runbooks::copy_code(state, fx),
        Action::Logs => focus(state, Pane::Logs),
        Action::LogPin if state.focus == Pane::Logs => super::incidents::pin(state, fx),
        // Outside the log pane they say where they work.
        Action::LogPin
        | Action::LogFollow
        | Action::LogLevel
        | Action::LogCorrelate
        | Action::LogNextMatch
        | Action::LogWrap
        | Action::ScrollLeft
        | Action::ScrollRight => not_here(state, action),
        Action::Zoom => {
            state.zoom = !state.zoom;
            state.scroll_to_selected();
            let key = state
                .keymap
                .keys_for(Action::Zoom)
                .first()
                .map_or_else(String::new, |k| format!(": {k} again goes back"));
            flash(state, if state.zoom { format!("zoomed{key}") } else { "unzoomed".into() }, false);
        }
        Action::Filter => {
            let text = state.list.filter.text().to_owned();
            state.mode = Mode::Filter { input: text.clone(), before: text, error: None };
        }
        Action::ClearFilter => {
            if !state.list.filter.is_empty() {
                apply_filter(state, "");
                flash(state, "filter cleared", false);
            } else if state.focus != Pane::List {
                focus(state, Pane::List);
            }
        }
        Action::Sort => {
            let sort = state.list.sort.next();
            on_list(state, |list, rows| list.set_sort(sort, rows));
            flash(state, format!("sorted by {}", state.list.sort.label()), false);
        }
        Action::Group => {
            let group = state.list.group.next();
            on_list(state, |list, rows| list.set_group(group, rows));
            flash(state, format!("grouped by {}", state.list.group.label()), false);
        }
        Action::Mute => {
            let said = state.attention.toggle_mute(state.now);
            flash(state, said, false);
        }
        Action::MarkSeen => {
            state.attention.all_seen();
            flash(state, "every alert marked as seen", false);
        }
        Action::Palette => state.mode = Mode::Palette { input: String::new(), selected: 0 },
        Action::Help => state.mode = Mode::Help { scroll: 0 },
        Action::Sources => state.mode = Mode::Sources { scroll: 0 },
        Action::Reports => super::reports::open(state, fx),
        Action::Slos => super::slo::open(state, None),
        Action::Declare => {
            let keys = super::incidents::selected_keys(state);
            super::incidents::declare(state, &keys, fx);
            state.selection.clear();
        }
        Action::Incidents => super::incidents::open_view(state),
        Action::Silences => super::silence_list::open(state),
        Action::History => super::history::open(state, fx),
        Action::Suppressed => super::silence_list::toggle_hidden(state),
        Action::AlertSlo => super::slo::jump(state),
        Action::Quit => {
            let drafts = state.detail.drafts.values().filter(|d| !d.trim().is_empty()).count();
            if drafts > 0 {
                state.mode = Mode::Confirm {
                    prompt: format!("Quit? {drafts} unsent note draft(s) stay saved for next time."),
                    pending: Pending::Quit,
                };
            } else {
                state.quit = true;
            }
        }
    }
}

/// Movement keys scroll the detail while it has focus. True when handled.
fn detail_action(state: &mut State, action: Action) -> bool {
    state.focus == Pane::Detail && state.list.selected_item().is_some() && state.detail.step(action)
}

fn focus(state: &mut State, pane: Pane) {
    state.focus = pane;
    state.scroll_to_selected();
}

/// The runbook pane follows the selection; focusing it works it out.
fn focus_with(state: &mut State, pane: Pane, fx: &mut Vec<Effect>) {
    focus(state, pane);
    runbooks::refresh_pane(state, fx);
}

fn move_to(state: &mut State, row: usize, fx: &mut Vec<Effect>) {
    on_list(state, |list, rows| list.move_to(row, rows));
    // Looking at an alert is seeing it.
    if let Some(item) = state.list.selected_item() {
        state.attention.seen(&item.alert.key);
    }
    load_selected_timeline(state, fx);
    runbooks::refresh_pane(state, fx);
}

fn load_selected_timeline(state: &State, fx: &mut Vec<Effect>) {
    if let Some(item) = state.selected_item()
        && !state.detail.timelines.contains_key(&item.alert.key)
    {
        fx.push(Effect::LoadTimeline(item.alert.key.clone()));
    }
}

/// Like `with_alert`, for actions on a problem that is going on: a resolved alert is not
/// offered them (`klaxon ack --force` can still record one from the shell).
fn with_open_alert(state: &mut State, what: &str, f: impl FnOnce(&mut State, AlertKey, Option<String>)) {
    if let Some(item) = state.selected_item()
        && item.alert.status == crate::model::Status::Resolved
    {
        let key = item.alert.key.clone();
        return flash(state, format!("{key} has resolved: nothing to {what}"), true);
    }
    with_alert(state, f)
}

/// Runs `f` on the selected alert's key and owner, or says there is none.
fn with_alert(state: &mut State, f: impl FnOnce(&mut State, AlertKey, Option<String>)) {
    match state.selected_item() {
        Some(item) => {
            let (key, owner) = (item.alert.key.clone(), item.owner().map(str::to_owned));
            f(state, key, owner)
        }
        None => flash(state, "select an alert first", true),
    }
}

fn open_editor(state: &mut State, purpose: NotePurpose) {
    let what = if purpose == NotePurpose::Ack { "acknowledge" } else { "note" };
    with_open_alert(state, what, |state, key, _| {
        let draft = state.detail.drafts.get(&key).cloned().unwrap_or_default();
        state.mode = Mode::Editor(Editor::new(key, purpose, &draft));
    });
}

fn submit_editor(state: &mut State, fx: &mut Vec<Effect>) {
    let Mode::Editor(editor) = &state.mode else { return };
    let (key, purpose, text) = (editor.key.clone(), editor.purpose, editor.text());
    let text = text.trim_end();
    if purpose == NotePurpose::Note && text.trim().is_empty() {
        flash(state, "an empty note is not saved", true);
        return;
    }
    let kind = if purpose == NotePurpose::Ack { EntryKind::Acked } else { EntryKind::Note };
    let done = if kind == EntryKind::Acked { "acknowledged" } else { "noted on" };
    let entry = state.new_entry(key.clone(), kind, text);
    append(state, fx, entry, format!("{done} {key} (stored)"));
    // The runtime deletes the draft only once the note is stored.
    fx.push(Effect::DeleteDraft(key.clone()));
    state.detail.drafts.remove(&key);
    state.mode = Mode::Normal;
}

/// Asks the runtime to store an action. What it did is said when the store confirms it
/// (`on_entries`); until then the status bar says it is being saved.
pub(super) fn append(state: &mut State, fx: &mut Vec<Effect>, entry: NewEntry, done: String) {
    flash(state, format!("saving: {} {}…", entry.kind.name(), entry.alert_key), false);
    state.awaiting.insert(entry.op_id.clone(), done);
    fx.push(Effect::Append(entry));
}

fn confirmed(state: &mut State, pending: Pending, fx: &mut Vec<Effect>) {
    match pending {
        Pending::Escalate { key, level } => {
            let text = state.escalation.escalation_text(&key, level, "");
            let entry = state.new_entry(key.clone(), EntryKind::Escalated, &text).with_level(level);
            append(state, fx, entry, format!("escalated {key} to level {level} (stored): {text}"));
        }
        Pending::Unack { key } => {
            let entry = state.new_entry(key.clone(), EntryKind::Unacked, "");
            append(state, fx, entry, format!("unacknowledged {key} (stored)"));
        }
        Pending::SetSeverity { key, severity } => {
            let rank = Severity::ALL.iter().position(|s| *s == severity).unwrap_or(0) as i64;
            let entry = state.new_entry(key.clone(), EntryKind::SeveritySet, "").with_level(rank);
            append(state, fx, entry, format!("stored: set {key} to {severity}; sent to {} next", key.source()));
        }
        Pending::Close { key } => {
            let entry = state.new_entry(key.clone(), EntryKind::Closed, "");
            append(state, fx, entry, format!("stored: close {key}; sent to {} next", key.source()));
        }
        Pending::Bulk { kind, keys, text } => super::selection::confirmed(state, kind, keys, &text, fx),
        Pending::Silences { ops } => super::silences::confirmed(state, ops, fx),
        Pending::Quit => state.quit = true,
    }
}

/// Unacknowledged High/Disaster alerts go up a level once `auto_escalate` has passed per
/// level (see `Escalation::auto_due`).
fn auto_escalate(state: &mut State, fx: &mut Vec<Effect>) {
    for (entry, text) in state.escalation.auto_due(&state.list.board, state.now) {
        let (key, level) = (entry.alert_key.clone(), entry.level.unwrap_or_default());
        append(state, fx, entry, format!("escalated {key} to level {level} on its own (stored): {text}"));
    }
}

/// Keeps the header's on-call line; an error keeps the last answer (shown as failing) and
/// tells you, once per shift, when your own shift starts within `shift_notice`.
fn on_call(state: &mut State, schedule: String, level: i64, result: Result<OnCall, String>, fx: &mut Vec<Effect>) {
    state.escalation.on_call(schedule, level, result);
    state.dirty = true;
    shift_notices(state, fx);
}

/// Your next shift on any schedule, within `shift_notice`: told once (notification and
/// status line). Runs on each schedule answer and each tick, so a long poll interval
/// cannot skip it.
fn shift_notices(state: &mut State, fx: &mut Vec<Effect>) {
    let (actor, email) = (&state.actor, state.email.as_deref());
    for notice in state.escalation.shift_notices(state.now, |person| is_me(actor, email, person)) {
        let text = notice.title.clone();
        fx.push(Effect::Notify(vec![notice]));
        flash(state, text, false);
    }
}

fn on_mouse(state: &mut State, m: Mouse, fx: &mut Vec<Effect>) {
    let layout = state.layout();
    // Overlays that scroll take the wheel wherever the pointer is.
    if let Mouse::ScrollDown { .. } | Mouse::ScrollUp { .. } = m {
        let action = if matches!(m, Mouse::ScrollDown { .. }) { Action::MoveDown } else { Action::MoveUp };
        let handled = match &state.mode {
            Mode::Help { .. } => (0..WHEEL).all(|_| scroll::help_action(state, action)),
            Mode::Runbooks(b) if b.open.is_some() => {
                let key = Key::plain(if action == Action::MoveDown { KeyCode::Down } else { KeyCode::Up });
                (0..WHEEL).for_each(|_| runbooks::browser_key(state, key, fx));
                true
            }
            _ => false,
        };
        if handled {
            state.dirty = true;
            return;
        }
    }
    if !matches!(state.mode, Mode::Normal) {
        return;
    }
    match m {
        Mouse::Click { column, row } => {
            if layout.header.contains(column, row) && row == layout.header.y {
                // The health marks live on the title line: a click there explains them.
                state.mode = Mode::Sources { scroll: 0 };
                state.dirty = true;
            } else if layout.list.contains(column, row) {
                state.focus = Pane::List;
                if row >= layout.list_first_row() {
                    let target = state.list.offset + usize::from(row - layout.list_first_row());
                    if target < state.list.rows.len() && target < state.list.offset + layout.list_rows() {
                        move_to(state, target, fx);
                    }
                }
                state.dirty = true;
            } else if layout.side.contains(column, row) && state.focus == Pane::List {
                focus(state, Pane::Detail);
                state.dirty = true;
            }
        }
        Mouse::ScrollDown { column, row } | Mouse::ScrollUp { column, row } => {
            let down = matches!(m, Mouse::ScrollDown { .. });
            let delta = if down { WHEEL as isize } else { -(WHEEL as isize) };
            // The wheel moves the pane under the pointer, focused or not.
            if layout.side.contains(column, row) {
                match state.focus {
                    Pane::List | Pane::Detail => state.detail.wheel(delta),
                    Pane::Logs | Pane::Runbook => {
                        let action = if down { Action::MoveDown } else { Action::MoveUp };
                        (0..WHEEL)
                            .for_each(|_| _ = runbooks::scroll_pane(state, action) || logs::pane_action(state, action));
                    }
                }
            } else if layout.list.contains(column, row) {
                move_to(state, state.list.selected.saturating_add_signed(delta), fx);
            }
            state.dirty = true;
        }
    }
}

/// Rows (or lines) one notch of the mouse wheel moves.
const WHEEL: usize = 3;
