//! The SLO view (`O`, or `:slos`): every SLO worst first, with its budget and how fast it
//! burns; `o` on an alert whose labels match an SLO opens the view on that SLO. The figures
//! come from the runtime's tracking tasks (src/slo/track.rs) as messages; nothing here asks
//! Prometheus.

use super::key::{Key, KeyCode};
use super::state::{Mode, State};
use crate::model::Alert;
use crate::slo::Slo;
use crate::slo::status::{Status, Update, worst_first};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SloView {
    /// Worst first.
    pub list: Vec<Status>,
    /// The name under the cursor (names stay put while the order changes).
    pub selected: Option<String>,
    /// Why the SLOs could not be set up (a spec file that does not read).
    pub error: Option<String>,
}

impl SloView {
    /// The index of the selected SLO in the list.
    pub fn cursor(&self) -> usize {
        self.selected.as_ref().and_then(|n| self.list.iter().position(|s| &s.slo.name == n)).unwrap_or(0)
    }

    /// The SLOs the alert's labels point to.
    pub fn for_alert<'a>(&'a self, alert: &'a Alert) -> impl Iterator<Item = &'a Status> + 'a {
        self.list.iter().filter(|s| s.slo.matches(&alert.labels))
    }
}

/// The SLOs configured, before any figures.
pub fn defined(state: &mut State, slos: Result<Vec<Slo>, String>) {
    match slos {
        Ok(slos) => {
            state.slos.list = slos.into_iter().map(Status::new).collect();
            worst_first(&mut state.slos.list);
            state.slos.error = None;
        }
        Err(e) => state.slos.error = Some(e),
    }
    state.dirty = true;
}

/// A round's result: new figures replace the old; a failed round keeps them, now stale.
pub fn updated(state: &mut State, update: Update) {
    if let Some(s) = state.slos.list.iter_mut().find(|s| s.slo.name == update.name) {
        if let Some(f) = update.figures {
            s.figures = Some(*f);
        }
        s.health = update.health;
        worst_first(&mut state.slos.list);
        state.dirty = true;
    }
}

/// Opens the view, on `name` when given.
pub fn open(state: &mut State, name: Option<String>) {
    if name.is_some() {
        state.slos.selected = name;
    }
    state.mode = Mode::Slos;
}

/// `o`: the selected alert's SLO, or a word on why there is none.
pub fn jump(state: &mut State) {
    let Some(item) = state.list.selected_item() else { return };
    let name = state.slos.for_alert(&item.alert).next().map(|s| s.slo.name.clone());
    match name {
        Some(name) => open(state, Some(name)),
        None => super::update::flash(state, "this alert's labels match no SLO", false),
    }
}

/// Keys in the view: j/k move, anything else closes.
pub fn key(state: &mut State, key: Key) {
    let v = &mut state.slos;
    let at = v.cursor();
    let to = match key.code {
        KeyCode::Char('j') | KeyCode::Down => (at + 1).min(v.list.len().saturating_sub(1)),
        KeyCode::Char('k') | KeyCode::Up => at.saturating_sub(1),
        _ => {
            state.mode = Mode::Normal;
            return;
        }
    };
    v.selected = v.list.get(to).map(|s| s.slo.name.clone());
}
