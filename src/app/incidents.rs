//! Declared incidents in the console: what the timeline's incident entries fold to (live,
//! from every console through the same `Msg::Entries` as acks), and declaring one from the
//! selected alert or group (`I`). Declaring from a multi-selection is [`declare`] with the
//! selection's keys.

use super::effect::Effect;
use super::list::Row;
use super::state::State;
use crate::incident::{self, Incident};
use crate::model::{AlertKey, Entry, EntryKind, Severity};

#[derive(Debug, Clone)]
pub struct Incidents {
    /// Every incident entry seen, one per op id (a queued one is replaced when stored).
    entries: Vec<Entry>,
    /// Their fold, in declaration order.
    pub all: Vec<Incident>,
    /// `[incidents] update_every`: an open incident with no update for this long says so.
    pub update_every: chrono::Duration,
}

impl Default for Incidents {
    fn default() -> Self {
        Incidents { entries: Vec::new(), all: Vec::new(), update_every: chrono::Duration::minutes(30) }
    }
}

impl Incidents {
    /// Takes the incident entries among `entries`; true when anything changed.
    pub fn take(&mut self, entries: &[Entry]) -> bool {
        let mut changed = false;
        for e in entries.iter().filter(|e| e.kind == EntryKind::Incident) {
            match self.entries.iter_mut().find(|x| x.op_id == e.op_id) {
                Some(x) if x.is_queued() && !e.is_queued() => *x = e.clone(),
                Some(_) => continue,
                None => self.entries.push(e.clone()),
            }
            changed = true;
        }
        if changed {
            self.entries.sort_by_key(Entry::order);
            self.all = incident::fold(&self.entries);
        }
        changed
    }

    pub fn open(&self) -> impl Iterator<Item = &Incident> {
        self.all.iter().filter(|i| i.is_open())
    }
}

/// The alerts `I` declares around: the multi-selection (in view order) when there is one,
/// else the selected alert, or every alert of the selected group.
pub fn selected_keys(state: &State) -> Vec<AlertKey> {
    if !state.selection.is_empty() {
        return state.selection.in_view_order(state);
    }
    match state.list.rows.get(state.list.selected) {
        Some(Row::Group { name, .. }) => {
            let group = state.list.group;
            state.list.board.ranked().iter().filter(|i| &group.of(i) == name).map(|i| i.alert.key.clone()).collect()
        }
        _ => state.selected_item().map(|i| vec![i.alert.key.clone()]).unwrap_or_default(),
    }
}

/// Declares an incident around `keys` (the selected alert, a group, a selection): titled
/// after the worst alert, at its severity; stored like every entry, said once stored.
pub fn declare(state: &mut State, keys: &[AlertKey], fx: &mut Vec<Effect>) {
    let items: Vec<_> = state.list.board.ranked().iter().filter(|i| keys.contains(&i.alert.key)).collect();
    let Some(worst) = items.iter().max_by_key(|i| i.alert.severity) else {
        return super::update::flash(state, "select an alert or a group first", true);
    };
    let severity = worst.alert.severity.max(Severity::Average);
    let title = if items.len() == 1 {
        worst.alert.title.clone()
    } else {
        format!("{} and {} more", worst.alert.title, items.len() - 1)
    };
    let keys: Vec<AlertKey> = items.iter().map(|i| i.alert.key.clone()).collect();
    // The id: the last 8 hex digits (random bits) of a fresh op id from the seeded ids.
    let id = state.ids.next(state.now)[24..].to_owned();
    let op = state.ids.next(state.now);
    let entry = incident::declare(op, state.now, &id, &state.actor, &title, severity, &keys);
    let done = format!("declared incident {id} with {} alert(s) (stored)", keys.len());
    super::update::append(state, fx, entry, done);
}

/// The header's words per open incident: `INC 1a2b3c4d commander` (your roles, else its
/// status), and `update due` when nobody told the stakeholders for `update_every`. `short`
/// (a narrow screen): the id's first 4 digits, which the command line takes as a prefix.
pub fn header(state: &State, short: bool) -> Vec<String> {
    let every = state.incidents.update_every;
    state
        .incidents
        .open()
        .map(|i| {
            let roles: Vec<&str> = i.roles_of(&state.actor).collect();
            let who = if roles.is_empty() { i.status.to_string() } else { roles.join("+") };
            let due = if i.update_due(state.now, every) { " update due" } else { "" };
            let id = if short { i.id.get(..4).unwrap_or(&i.id) } else { &i.id };
            format!("INC {id} {who}{due}")
        })
        .collect()
}
