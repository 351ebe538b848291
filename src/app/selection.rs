//! Multi-selection for bulk actions: `space` toggles the alert under the cursor, `V` picks
//! every visible one. It is kept by key, so it survives filtering, sorting and new polls;
//! an action on it (`a` acks them) asks once, naming how many, and gives each alert its
//! own entry (and so its own outbox row): one that fails undoes none of the others.

use super::Effect;
use super::state::{Mode, Pending, Row, State};
use super::update::{append, flash};
use crate::model::{AlertKey, EntryKind};
use std::collections::HashSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    keys: HashSet<AlertKey>,
}

impl Selection {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn contains(&self, key: &AlertKey) -> bool {
        self.keys.contains(key)
    }

    /// Adds the key, or takes it out again; true when it is now selected.
    pub fn toggle(&mut self, key: AlertKey) -> bool {
        if self.keys.remove(&key) {
            false
        } else {
            self.keys.insert(key);
            true
        }
    }

    pub fn extend(&mut self, keys: impl IntoIterator<Item = AlertKey>) {
        self.keys.extend(keys);
    }

    pub fn clear(&mut self) {
        self.keys.clear();
    }

    /// The selected alerts still on the board, in the order the list ranks them (those the
    /// filter hides now included, where the ranking puts them): what a bulk action acts on.
    pub fn in_view_order(&self, state: &State) -> Vec<AlertKey> {
        state.list.board.ranked().iter().map(|i| &i.alert.key).filter(|k| self.keys.contains(*k)).cloned().collect()
    }
}

/// `space`: the alert under the cursor in or out of the selection.
pub fn toggle(state: &mut State) {
    let Some(key) = state.selected_item().map(|i| i.alert.key.clone()) else {
        return flash(state, "select an alert first", true);
    };
    let on = state.selection.toggle(key.clone());
    let n = state.selection.len();
    flash(state, format!("{} {key}: {n} selected", if on { "selected" } else { "unselected" }), false);
}

/// `V`: every alert the list shows now joins the selection.
pub fn select_visible(state: &mut State) {
    let shown: Vec<AlertKey> = state
        .list
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Alert(i) => state.list.board.ranked().get(*i).map(|it| it.alert.key.clone()),
            Row::Group { .. } => None,
        })
        .collect();
    state.selection.extend(shown);
    let n = state.selection.len();
    flash(state, format!("{n} selected: a acks them all"), false);
}

/// The group header under the cursor, and its alerts the filter shows (collapsed or
/// not), in the list's order.
pub fn group_under_cursor(state: &State) -> Option<(String, Vec<AlertKey>)> {
    let Some(Row::Group { name, .. }) = state.list.rows.get(state.list.selected) else { return None };
    let list = &state.list;
    let keys = list
        .board
        .ranked()
        .iter()
        .filter(|i| list.group.of(i) == *name && list.filter.matches(i))
        .map(|i| i.alert.key.clone())
        .collect();
    Some((name.clone(), keys))
}

/// Asks once before acting on the whole selection, or else on the group under the cursor.
pub fn ask(state: &mut State, kind: EntryKind) {
    let (keys, what) = match group_under_cursor(state).filter(|_| state.selection.is_empty()) {
        Some((name, keys)) => (keys, format!("alert(s) of {name}")),
        None => (state.selection.in_view_order(state), "selected alert(s)".to_string()),
    };
    if keys.is_empty() {
        state.selection.clear();
        return flash(state, "the selected alerts are gone", true);
    }
    if kind == EntryKind::Note {
        // The text first, then the one confirmation.
        state.mode = Mode::BulkNote { keys, input: String::new() };
        return;
    }
    let prompt = format!("{} {} {what}?", verb(kind), keys.len());
    state.mode = Mode::Confirm { prompt, pending: Pending::Bulk { kind, keys, text: String::new() } };
}

/// Typing the bulk note: Enter asks once (an empty note is refused), Esc cancels.
pub fn note_key(state: &mut State, key: super::Key) {
    use super::KeyCode;
    let Mode::BulkNote { keys, input } = &mut state.mode else { return };
    match key.code {
        KeyCode::Esc => {
            state.mode = Mode::Normal;
            flash(state, "no note added", false);
        }
        KeyCode::Enter if input.trim().is_empty() => flash(state, "an empty note is not saved", true),
        KeyCode::Enter => {
            let (keys, text) = (std::mem::take(keys), input.trim().to_owned());
            let prompt = format!("Add this note to {} alert(s)?", keys.len());
            state.mode = Mode::Confirm { prompt, pending: Pending::Bulk { kind: EntryKind::Note, keys, text } };
        }
        KeyCode::Backspace => {
            input.pop();
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => input.push(c),
        _ => {}
    }
}

fn verb(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Acked => "Acknowledge",
        EntryKind::Escalated => "Escalate (one level each)",
        _ => "Act on",
    }
}

/// Confirmed: one entry per alert; the selection is spent.
pub fn confirmed(state: &mut State, kind: EntryKind, keys: Vec<AlertKey>, text: &str, fx: &mut Vec<Effect>) {
    let mut tally = Tally { kind, waiting: HashSet::new(), stored: 0, queued: 0, failed: 0, refused: 0 };
    let mut refused = Vec::new();
    for key in keys {
        let entry = if kind == EntryKind::Escalated {
            // Each alert one level up from its own; one already at the top is left, and said.
            let level = state.list.board.get(&key).map_or(0, |i| i.own.escalation_level) + 1;
            if crate::escalation::refuse_level(level, state.escalation.top_level()).is_some() {
                refused.push(key.to_string());
                continue;
            }
            let text = state.escalation.escalation_text(&key, level, "");
            state.new_entry(key.clone(), kind, &text).with_level(level)
        } else {
            state.new_entry(key.clone(), kind, text)
        };
        tally.waiting.insert(entry.op_id.clone());
        append(state, fx, entry, format!("{} {key} (stored)", kind.name()));
    }
    state.selection.clear();
    tally.refused = refused.len();
    let n = tally.waiting.len();
    state.tally = Some(tally);
    let left = if refused.is_empty() { String::new() } else { format!("; at the top already: {}", refused.join(", ")) };
    flash(state, format!("saving {n} {}…{left}", kind.name()), false);
}

/// A bulk action's entries as the store answers for them, for one true line at the end:
/// "12 acked, 1 queued" (queued: kept on this host until the store is back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub kind: EntryKind,
    /// Op ids not answered yet.
    pub waiting: HashSet<String>,
    pub stored: usize,
    pub queued: usize,
    pub failed: usize,
    /// Left out before storing (an escalation already at the top level).
    pub refused: usize,
}

/// Counts one answer (an entry stored or queued, or a failed append) of the bulk action;
/// once all are in, says the counts. True when the op was the bulk action's.
pub fn tally(state: &mut State, op_id: &str, outcome: Outcome) -> bool {
    let Some(t) = state.tally.as_mut() else { return false };
    if !t.waiting.remove(op_id) {
        return false;
    }
    match outcome {
        Outcome::Stored => t.stored += 1,
        Outcome::Queued => t.queued += 1,
        Outcome::Failed => t.failed += 1,
    }
    if t.waiting.is_empty() {
        let done = if t.kind == EntryKind::Note { "noted" } else { t.kind.name() };
        let mut text = format!("{} {done}, {} queued", t.stored + t.queued, t.queued);
        if t.failed > 0 {
            text.push_str(&format!(", {} NOT saved", t.failed));
        }
        if t.refused > 0 {
            text.push_str(&format!(", {} left at the top level", t.refused));
        }
        let error = t.failed > 0;
        state.tally = None;
        flash(state, text, error);
    }
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    Queued,
    Failed,
}
