//! The history view (`Y`, or `:history`): alerts that have resolved, today's and older,
//! newest resolution first, from the store (as `klaxon history`); `/` filters them with the
//! console's filter language, Enter opens the timeline of the one under the cursor. It
//! reads back `since` (7 days at first; `[` and `]` step shorter and longer, written as
//! `klaxon history --since` takes them), so a long-lived store is not read whole. The
//! rows come through an effect (`Effect::LoadHistory` → `Msg::History`); nothing here reads
//! the store.

use super::Effect;
use super::key::{Key, KeyCode};
use super::state::{Mode, State};
use crate::model::filter::Filter;
use crate::model::{Alert, AlertKey};
use chrono::{DateTime, Utc};

/// One alert that has resolved, as the store last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub alert: Alert,
    pub first_seen: DateTime<Utc>,
    pub resolved_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct HistoryView {
    pub loading: bool,
    /// Newest resolution first.
    pub rows: Vec<Resolved>,
    /// Why the store could not give them.
    pub error: Option<String>,
    pub filter: Filter,
    /// `/` was pressed: keys go here, Enter applies them.
    pub typing: Option<String>,
    /// Why the typed filter was refused.
    pub problem: Option<String>,
    pub selected: usize,
    /// The alert whose timeline is open (from `state.detail.timelines`).
    pub timeline: Option<AlertKey>,
    /// How far back, one of [`SPANS`] ("" before the first change: [`DEFAULT_SINCE`]).
    pub since: &'static str,
    /// The start of the range last asked for.
    pub since_at: Option<DateTime<Utc>>,
}

/// The ranges `[` and `]` step through, in `klaxon history --since`'s words.
pub const SPANS: [&str; 6] = ["1h", "24h", "7d", "30d", "90d", "365d"];
pub const DEFAULT_SINCE: &str = "7d";

impl HistoryView {
    /// The rows the filter lets through.
    pub fn shown(&self) -> Vec<&Resolved> {
        self.rows.iter().filter(|r| self.filter.matches_alert(&r.alert)).collect()
    }

    pub fn since(&self) -> &'static str {
        if self.since.is_empty() { DEFAULT_SINCE } else { self.since }
    }

    /// The range one step shorter (`-1`) or longer (`1`), if there is one.
    fn step(&self, by: isize) -> Option<&'static str> {
        let at = SPANS.iter().position(|s| *s == self.since())?;
        SPANS.get(at.checked_add_signed(by)?).copied()
    }
}

/// Opens the view and asks the store for the resolved alerts.
pub fn open(state: &mut State, fx: &mut Vec<Effect>) {
    state.mode = Mode::History;
    state.history.timeline = None;
    load(state, fx);
}

/// Asks for the alerts resolved within the range, read as `klaxon history --since` reads it.
fn load(state: &mut State, fx: &mut Vec<Effect>) {
    let h = &mut state.history;
    let fallback = state.now - chrono::Duration::days(7);
    let since = crate::report::parse_time(h.since(), state.now).unwrap_or(fallback);
    h.loading = true;
    h.error = None;
    h.since_at = Some(since);
    fx.push(Effect::LoadHistory { since });
}

/// The store's answer.
pub fn loaded(state: &mut State, result: Result<Vec<Resolved>, String>) {
    let h = &mut state.history;
    h.loading = false;
    match result {
        Ok(mut rows) => {
            rows.sort_by(|a, b| b.resolved_at.cmp(&a.resolved_at).then_with(|| a.alert.key.cmp(&b.alert.key)));
            h.rows = rows;
            h.error = None;
            h.selected = h.selected.min(h.shown().len().saturating_sub(1));
        }
        Err(e) => h.error = Some(e),
    }
    state.dirty = true;
}

pub fn key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    let h = &mut state.history;
    if h.timeline.is_some() {
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter) {
            h.timeline = None;
        }
        return;
    }
    if let Some(input) = h.typing.as_mut() {
        match key.code {
            KeyCode::Enter => match Filter::parse(input) {
                Ok(f) => {
                    h.filter = f;
                    h.typing = None;
                    h.problem = None;
                    h.selected = 0;
                }
                Err(why) => h.problem = Some(why),
            },
            KeyCode::Esc => {
                h.typing = None;
                h.problem = None;
            }
            KeyCode::Backspace => {
                input.pop();
                h.problem = None;
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                input.push(c);
                h.problem = None;
            }
            _ => {}
        }
        return;
    }
    let last = h.shown().len().saturating_sub(1);
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => h.selected = (h.selected + 1).min(last),
        KeyCode::Char('k') | KeyCode::Up => h.selected = h.selected.saturating_sub(1),
        KeyCode::Char('g') | KeyCode::Home => h.selected = 0,
        KeyCode::Char('G') | KeyCode::End => h.selected = last,
        KeyCode::Char('/') => h.typing = Some(h.filter.text().to_owned()),
        KeyCode::Char('r') => load(state, fx),
        KeyCode::Char(c @ ('[' | ']')) => match h.step(if c == '[' { -1 } else { 1 }) {
            Some(since) => {
                h.since = since;
                h.selected = 0;
                load(state, fx);
            }
            None => {
                let end = if c == '[' { "shortest" } else { "longest" };
                let text = format!("{} is the {end} range here", h.since());
                super::update::flash(state, text, false);
            }
        },
        KeyCode::Enter => {
            if let Some(k) = h.shown().get(h.selected).map(|r| r.alert.key.clone()) {
                if !state.detail.timelines.contains_key(&k) {
                    fx.push(Effect::LoadTimeline(k.clone()));
                }
                h.timeline = Some(k);
            }
        }
        KeyCode::Esc if !h.filter.is_empty() => {
            h.filter = Filter::default();
            h.selected = 0;
        }
        KeyCode::Esc | KeyCode::Char('q') => state.mode = Mode::Normal,
        _ => {}
    }
}
