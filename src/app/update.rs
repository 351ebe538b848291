//! The one place state changes: `update(&mut State, Msg) -> Vec<Effect>`. Pure: no I/O, no
//! clock (time arrives as `Msg::Tick`), no terminal.

use super::editor::{Edit, Editor, NotePurpose};
use super::msg::{Mouse, Msg};
use super::state::{Flash, Mode, OnCallStatus, Pane, Pending, Row, State};
use super::{Action, Effect, Key, KeyCode, logs, palette, runbooks, scroll};
use crate::model::filter::Filter;
use crate::model::{AlertKey, Entry, EntryKind, NewEntry, OnCall, Ownership, Severity};
use chrono::Timelike;
use std::collections::HashMap;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Key(key) => {
            // A key press answers the last message shown, and the one-time notice.
            if state.flash.take().is_some() | state.notice.take().is_some() {
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
            // Ages and the clock show minutes: redraw once a minute, not every tick.
            if now.minute() != state.now.minute() || now.hour() != state.now.hour() {
                state.dirty = true;
            }
            state.now = now;
            auto_escalate(state, &mut fx);
            shift_notices(state, &mut fx);
        }
        Msg::Snapshot { source, alerts, fresh } => {
            state.board.apply_snapshot(&source, alerts);
            let news = state.watcher.observe(&source, state.board.ranked(), Severity::Information, !fresh);
            state.unseen.extend(news.iter().map(|n| n.key.clone()));
            let muted = state.muted_until.is_some_and(|t| t > state.now);
            let loud: Vec<_> = news.into_iter().filter(|n| n.severity >= state.notify_min).collect();
            if !loud.is_empty() && !muted {
                fx.push(Effect::Notify(loud));
            }
            state.rebuild_rows();
            forget_gone(state);
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
            state.ownership_loaded = true;
            state.board.set_ownership(map);
            state.rebuild_rows();
        }
        Msg::Timeline { key, entries } => {
            let own = Ownership::from_entries(&entries);
            state.timelines.insert(key.clone(), entries);
            state.board.set_ownership([(key, own)]);
            state.rebuild_rows();
        }
        Msg::Entries(entries) => on_entries(state, entries, &mut fx),
        Msg::Drafts(drafts) => {
            state.drafts = drafts;
            state.dirty = true;
        }
        Msg::EffectFailed(text) => flash(state, text, true),
        Msg::ChannelFailed(text) => {
            // "desktop notifications are not working: <D-Bus error>": the why is for `doctor`.
            let what = text.split_once(": ").map_or(text.as_str(), |(what, _)| what);
            state.notice = Some(format!("{what} here: klaxon doctor says why"));
            state.dirty = true;
        }
        Msg::Drawn(drawn) => scroll::drawn(state, drawn),
        Msg::AppendFailed { op_id, key, error } => {
            state.awaiting.remove(&op_id);
            // Not stored, so not asked for: the next tick may try an automatic escalation again.
            state.auto_requested.remove(&op_id);
            if state.hold_cursor.as_deref() == Some(op_id.as_str()) {
                state.hold_cursor = None;
            }
            flash(state, format!("NOT saved for {key}: {error}; any draft is kept"), true);
        }
        Msg::Notice(text) => flash(state, text, false),
        Msg::Reports(result) => super::reports::loaded(state, result),
        Msg::Unsent(n) => {
            state.dirty |= state.unsent != n;
            state.unsent = n;
        }
        Msg::Runbooks(lib) => {
            state.runbooks = lib;
            state.runbook = None;
            runbooks::refresh_pane(state, &mut fx);
            state.dirty = true;
        }
        Msg::RunbookLoaded { reference, result } => runbooks::loaded(state, reference, result),
        Msg::Log { alert, source, update } => logs::received(state, alert, source, update),
    }
    scroll::follow_selection(state);
    logs::sync(state, &mut fx);
    fx
}

/// What the console keeps per alert is kept only while the alert is on the board (or an
/// action on it waits for the store), so memory follows the board, not the run's history.
fn forget_gone(state: &mut State) {
    let on_board: std::collections::HashSet<&AlertKey> = state.board.ranked().iter().map(|i| &i.alert.key).collect();
    state.unseen.retain(|k| on_board.contains(k));
    state.timelines.retain(|k, tl| on_board.contains(k) || tl.iter().any(Entry::is_queued));
}

/// Entries written by this console or another. A loaded timeline takes them in place;
/// for every other alert ownership folds forward entry by entry, so a storm of `seen`
/// entries reads nothing back from the store and the list re-ranks once per batch.
fn on_entries(state: &mut State, entries: Vec<Entry>, fx: &mut Vec<Effect>) {
    let before = state.selected_item().map(|i| i.alert.key.clone());
    let mut owners: HashMap<AlertKey, Ownership> = HashMap::new();
    let mut reload: Vec<AlertKey> = Vec::new();
    let mut confirmed: Vec<String> = Vec::new();
    for e in entries {
        if let Some(text) = state.awaiting.remove(&e.op_id) {
            confirmed.push(if e.is_queued() {
                format!("{text} (kept on this host until the store is back)")
            } else {
                text
            });
            if state.hold_cursor.as_deref() == Some(e.op_id.as_str()) {
                // Your own ack keeps the cursor's place: the next alert moves up under it.
                state.hold_cursor = None;
                state.cursor = None;
            }
        }
        let key = e.alert_key.clone();
        let whole = state.timelines.get(&key).is_some_and(|tl| tl.iter().any(|x| !x.is_queued()));
        if let Some(tl) = state.timelines.get_mut(&key) {
            // By op_id: an action queued offline comes back with its id once stored.
            match tl.iter_mut().find(|x| x.op_id == e.op_id) {
                Some(x) if x.is_queued() && !e.is_queued() => {
                    *x = e.clone();
                    // The store is back: read what happened meanwhile, whole.
                    if !reload.contains(&key) {
                        reload.push(key.clone());
                    }
                }
                Some(_) => {}
                None => tl.push(e.clone()),
            }
            tl.sort_by_key(Entry::order);
            if whole {
                owners.insert(key, Ownership::from_entries(tl.iter()));
                continue;
            }
        } else if e.is_queued() {
            // Kept on this host because the store is out of reach: reading the timeline
            // would fail too, so this action stands for it until then.
            state.timelines.insert(key.clone(), vec![e.clone()]);
        }
        let own = owners.entry(key).or_insert_with_key(|k| state.board.ownership(k));
        own.apply(&e);
    }
    state.board.set_ownership(owners);
    fx.extend(reload.into_iter().map(Effect::LoadTimeline));
    state.rebuild_rows();
    if state.selected_item().map(|i| &i.alert.key) != before.as_ref() {
        load_selected_timeline(state, fx);
    }
    if let Some(last) = confirmed.pop() {
        let more = if confirmed.is_empty() { String::new() } else { format!(" (and {} more)", confirmed.len()) };
        flash(state, format!("{last}{more}"), false);
    }
}

fn flash(state: &mut State, text: impl Into<String>, error: bool) {
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
        Mode::Editor(editor) => match editor.handle(key) {
            Edit::Changed => {
                let (key, text) = (editor.key.clone(), editor.text());
                state.drafts.insert(key.clone(), text.clone());
                fx.push(Effect::SaveDraft { key, text });
            }
            Edit::Submit => submit_editor(state, fx),
            Edit::Close => {
                let kept = state.drafts.get(&editor.key).is_some_and(|d| !d.trim().is_empty());
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
        Mode::Runbooks(_) => runbooks::browser_key(state, key, fx),
        Mode::Reports => super::reports::key(state, key, fx),
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
            state.filter = f;
            state.rebuild_rows();
        }
        Err(e) => {
            if let Mode::Filter { error, .. } = &mut state.mode {
                *error = Some(e);
            }
        }
    }
}

fn apply_filter(state: &mut State, text: &str) {
    state.filter = Filter::parse(text).unwrap_or_default();
    state.rebuild_rows();
}

/// `:sort newest` and the other palette commands with an argument.
fn run_command(state: &mut State, command: palette::Command, fx: &mut Vec<Effect>) {
    match command {
        palette::Command::Sort(sort) => {
            state.sort = sort;
            state.rebuild_rows();
            flash(state, format!("sorted by {}", sort.label()), false);
        }
        palette::Command::Group(group) => {
            state.group = group;
            state.rebuild_rows();
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
    if scroll::detail_action(state, action) || runbooks::scroll_pane(state, action) || logs::pane_action(state, action)
    {
        return;
    }
    let rows = state.rows.len();
    let page = state.layout().list_rows().max(1);
    match action {
        Action::MoveDown => move_to(state, state.selected + 1, fx),
        Action::MoveUp => move_to(state, state.selected.saturating_sub(1), fx),
        Action::PageDown => move_to(state, state.selected + page, fx),
        Action::PageUp => move_to(state, state.selected.saturating_sub(page), fx),
        Action::Top => move_to(state, 0, fx),
        Action::Bottom => move_to(state, rows.saturating_sub(1), fx),
        Action::Open => match state.rows.get(state.selected) {
            Some(Row::Group { name, .. }) => {
                let name = name.clone();
                if !state.collapsed.remove(&name) {
                    state.collapsed.insert(name);
                }
                state.rebuild_rows();
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
        Action::Ack => with_open_alert(state, "acknowledge", |state, key, item_owner| {
            if item_owner.as_deref() == Some(state.actor.as_str()) {
                flash(state, format!("{key} is already yours"), false);
                return;
            }
            let entry = NewEntry::new(key.clone(), EntryKind::Acked, &state.actor, "");
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
            let level = state.board.get(&key).map_or(0, |i| i.own.escalation_level) + 1;
            if let Some(why) = crate::escalation::refuse_level(level, state.top_level()) {
                return flash(state, format!("{key} cannot go higher: {why}"), true);
            }
            let pagers = crate::escalation::pagers_for(&state.pagers, level);
            let consequence = if pagers.is_empty() {
                "Nobody is paged (no pager is configured): it is recorded.".to_owned()
            } else {
                format!("This pages people ({}).", pagers.join(", "))
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
            let current = state.board.get(&key).map_or(Severity::Average, |i| i.alert.severity);
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
        Action::Runbook => focus_with(state, Pane::Runbook, fx),
        Action::BrowseRunbooks => runbooks::open_browser(state),
        Action::CopyCode if state.focus != Pane::Runbook => not_here(state, action),
        Action::CopyCode => runbooks::copy_code(state, fx),
        Action::Logs => focus(state, Pane::Logs),
        // Outside the log pane they say where they work.
        Action::LogFollow
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
            let text = state.filter.text().to_owned();
            state.mode = Mode::Filter { input: text.clone(), before: text, error: None };
        }
        Action::ClearFilter => {
            if !state.filter.is_empty() {
                apply_filter(state, "");
                flash(state, "filter cleared", false);
            } else if state.focus != Pane::List {
                focus(state, Pane::List);
            }
        }
        Action::Sort => {
            state.sort = state.sort.next();
            state.rebuild_rows();
            flash(state, format!("sorted by {}", state.sort.label()), false);
        }
        Action::Group => {
            state.group = state.group.next();
            state.rebuild_rows();
            flash(state, format!("grouped by {}", state.group.label()), false);
        }
        Action::Mute => {
            if state.muted_until.take_if(|t| *t > state.now).is_some() {
                flash(state, "notifications on again", false);
            } else {
                let until = state.now + chrono::Duration::minutes(30);
                state.muted_until = Some(until);
                flash(state, format!("notifications muted until {}", until.format("%H:%M UTC")), false);
            }
        }
        Action::MarkSeen => {
            state.unseen.clear();
            flash(state, "every alert marked as seen", false);
        }
        Action::Palette => state.mode = Mode::Palette { input: String::new(), selected: 0 },
        Action::Help => state.mode = Mode::Help { scroll: 0 },
        Action::Sources => state.mode = Mode::Sources { scroll: 0 },
        Action::Reports => super::reports::open(state, fx),
        Action::Quit => {
            let drafts = state.drafts.values().filter(|d| !d.trim().is_empty()).count();
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
    state.selected = row.min(state.rows.len().saturating_sub(1));
    state.remember_cursor();
    state.scroll_to_selected();
    // Looking at an alert is seeing it.
    if let Some(key) = state.selected_item().map(|i| i.alert.key.clone()) {
        state.unseen.remove(&key);
    }
    load_selected_timeline(state, fx);
    runbooks::refresh_pane(state, fx);
}

fn load_selected_timeline(state: &State, fx: &mut Vec<Effect>) {
    if let Some(item) = state.selected_item()
        && !state.timelines.contains_key(&item.alert.key)
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
        let draft = state.drafts.get(&key).cloned().unwrap_or_default();
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
    append(state, fx, NewEntry::new(key.clone(), kind, &state.actor, text), format!("{done} {key} (stored)"));
    // The runtime deletes the draft only once the note is stored.
    fx.push(Effect::DeleteDraft(key.clone()));
    state.drafts.remove(&key);
    state.mode = Mode::Normal;
}

/// Asks the runtime to store an action. What it did is said when the store confirms it
/// (`on_entries`); until then the status bar says it is being saved.
fn append(state: &mut State, fx: &mut Vec<Effect>, entry: NewEntry, done: String) {
    flash(state, format!("saving: {} {}…", entry.kind.name(), entry.alert_key), false);
    state.awaiting.insert(entry.op_id.clone(), done);
    fx.push(Effect::Append(entry));
}

fn confirmed(state: &mut State, pending: Pending, fx: &mut Vec<Effect>) {
    match pending {
        Pending::Escalate { key, level } => {
            let text = state.escalation_text(level, "");
            let entry = NewEntry::new(key.clone(), EntryKind::Escalated, &state.actor, &text).with_level(level);
            append(state, fx, entry, format!("escalated {key} to level {level} (stored): {text}"));
        }
        Pending::Unack { key } => {
            let entry = NewEntry::new(key.clone(), EntryKind::Unacked, &state.actor, "");
            append(state, fx, entry, format!("unacknowledged {key} (stored)"));
        }
        Pending::SetSeverity { key, severity } => {
            let rank = Severity::ALL.iter().position(|s| *s == severity).unwrap_or(0) as i64;
            let entry = NewEntry::new(key.clone(), EntryKind::SeveritySet, &state.actor, "").with_level(rank);
            append(state, fx, entry, format!("stored: set {key} to {severity}; sent to {} next", key.source()));
        }
        Pending::Close { key } => {
            let entry = NewEntry::new(key.clone(), EntryKind::Closed, &state.actor, "");
            append(state, fx, entry, format!("stored: close {key}; sent to {} next", key.source()));
        }
        Pending::Quit => state.quit = true,
    }
}

/// Unacknowledged High/Disaster alerts go up a level once `auto_escalate` has passed per
/// level. The op_id is the same in every console, so the store keeps one entry and one page.
fn auto_escalate(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(after) = state.auto_escalate.filter(|_| state.ownership_loaded) else { return };
    let due = crate::escalation::auto_due(state.board.ranked(), state.now, after, state.top_level());
    for (key, level, op_id) in due {
        if !state.auto_requested.insert(op_id.clone()) {
            continue;
        }
        let text =
            state.escalation_text(level, &format!("unacknowledged for {} min", (after * level as i32).num_minutes()));
        let mut entry =
            NewEntry::new(key.clone(), EntryKind::Escalated, crate::escalation::AUTO_ACTOR, &text).with_level(level);
        entry.op_id = op_id;
        append(state, fx, entry, format!("escalated {key} to level {level} on its own (stored): {text}"));
    }
}

/// Keeps the header's on-call line; an error keeps the last answer (shown as failing) and
/// tells you, once per shift, when your own shift starts within `shift_notice`.
fn on_call(state: &mut State, schedule: String, level: i64, result: Result<OnCall, String>, fx: &mut Vec<Effect>) {
    let i = match state.oncall.iter().position(|o| o.schedule == schedule) {
        Some(i) => i,
        None => {
            state.oncall.push(OnCallStatus { schedule: schedule.clone(), level, last: None, error: None });
            state.oncall.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.schedule.cmp(&b.schedule)));
            state.oncall.iter().position(|o| o.schedule == schedule).unwrap_or(0)
        }
    };
    let entry = &mut state.oncall[i];
    match result {
        Ok(oc) => {
            entry.error = None;
            entry.last = Some(oc);
        }
        Err(e) => entry.error = Some(e),
    }
    state.dirty = true;
    shift_notices(state, fx);
}

/// Your next shift on any schedule, within `shift_notice`: told once (notification and
/// status line). Runs on each schedule answer and each tick, so a long poll interval
/// cannot skip it.
fn shift_notices(state: &mut State, fx: &mut Vec<Effect>) {
    let mut due = Vec::new();
    for o in &state.oncall {
        let Some(next) = o.last.as_ref().and_then(|l| l.next.as_ref()) else { continue };
        let soon = next.start > state.now && next.start - state.now <= state.shift_notice;
        if soon && state.is_me(&next.person) && !state.shifts_noticed.contains(&(o.schedule.clone(), next.start)) {
            due.push((o.schedule.clone(), o.level, next.start));
        }
    }
    for (schedule, level, start) in due {
        state.shifts_noticed.insert((schedule.clone(), start));
        let text = format!("your on-call shift on {schedule} (L{level}) starts at {}", start.format("%H:%M UTC"));
        fx.push(Effect::Notify(vec![crate::model::Notice {
            key: AlertKey::new("oncall", &schedule),
            title: text.clone(),
            severity: Severity::Warning,
            rose_from: None,
        }]));
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
                    let target = state.offset + usize::from(row - layout.list_first_row());
                    if target < state.rows.len() && target < state.offset + layout.list_rows() {
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
                    Pane::List | Pane::Detail => scroll::wheel_detail(state, delta),
                    Pane::Logs | Pane::Runbook => {
                        let action = if down { Action::MoveDown } else { Action::MoveUp };
                        (0..WHEEL)
                            .for_each(|_| _ = runbooks::scroll_pane(state, action) || logs::pane_action(state, action));
                    }
                }
            } else if layout.list.contains(column, row) {
                move_to(state, state.selected.saturating_add_signed(delta), fx);
            }
            state.dirty = true;
        }
    }
}

/// Rows (or lines) one notch of the mouse wheel moves.
const WHEEL: usize = 3;
