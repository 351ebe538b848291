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
    let prompt = format!("{} {} {what}?", verb(kind), keys.len());
    state.mode = Mode::Confirm { prompt, pending: Pending::Bulk { kind, keys } };
}

fn verb(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Acked => "Acknowledge",
        _ => "Act on",
    }
}

/// Confirmed: one entry per alert; the selection is spent.
pub fn confirmed(state: &mut State, kind: EntryKind, keys: Vec<AlertKey>, fx: &mut Vec<Effect>) {
    let n = keys.len();
    for key in keys {
        let entry = state.new_entry(key.clone(), kind, "");
        append(state, fx, entry, format!("{} {key} (stored)", kind.name()));
    }
    state.selection.clear();
    flash(state, format!("saving {n} {}…", kind.name()), false);
}
