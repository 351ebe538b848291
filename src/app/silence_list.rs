//! The silences view (`X`, or `:silences`): every Alertmanager's silences, active first,
//! then pending, then expired, each with who made it, until when, its comment and how many
//! alerts it silences now. `/` filters, `x` expires the one under the cursor, `e` extends
//! it; both are `silenced` entries on `<source>/silences`, carried by the outbox exactly as
//! `klaxon silence expire|extend` carries them. The silences come with each poll
//! (`Msg::Silences`); nothing here asks a source. A Zabbix source's maintenance periods
//! come the same way and are listed beside them, read-only: `x` and `e` say why not.

use super::state::{Mode, State};
use super::update::{append, flash};
use super::{Effect, Key, KeyCode};
use crate::model::silence::{self, Silence, SilenceOp, Silences, TIMELINE_ID};
use crate::model::{Alert, AlertKey, EntryKind};
use chrono::FixedOffset;
use std::collections::BTreeMap;

/// A question the view asks about the silence under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Expire {
        source: String,
        id: String,
    },
    /// Typing the new end: `2h` from now, `until 18:00` (UTC).
    Extend {
        source: String,
        id: String,
        input: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SilencesView {
    /// Each source's last answer: its silences, or why they could not be read.
    pub by_source: BTreeMap<String, Result<Vec<Silence>, String>>,
    /// Words every shown silence contains (in its source, state, id, matchers, author or
    /// comment), without case.
    pub filter: String,
    /// `/` was pressed: keys go to the filter.
    pub typing: bool,
    /// The silence under the cursor, by (source, id): it stays put as the list refreshes.
    pub selected: Option<(String, String)>,
    pub prompt: Option<Prompt>,
    /// Why the last answer to the prompt was refused.
    pub problem: Option<String>,
    /// The alerts each source's poll hides as silenced or inhibited (marked suppressed).
    pub hidden: BTreeMap<String, Vec<Alert>>,
}

impl SilencesView {
    /// The silences the filter lets through: active, pending, expired; the soonest end first.
    pub fn shown(&self) -> Vec<&Silence> {
        let words: Vec<String> = self.filter.split_whitespace().map(str::to_lowercase).collect();
        let mut list: Vec<&Silence> = self
            .by_source
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flatten()
            .filter(|s| {
                let text =
                    format!("{} {} {} {} {} {}", s.source, s.state, s.id, s.matchers_text(), s.created_by, s.comment)
                        .to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .collect();
        let rank = |s: &Silence| match s.state.as_str() {
            "active" => 0,
            "pending" | "approaching" => 1,
            _ => 2,
        };
        list.sort_by(|a, b| (rank(a), a.ends_at, &a.source, &a.id).cmp(&(rank(b), b.ends_at, &b.source, &b.id)));
        list
    }

    /// The hidden alerts, all sources: (silenced, inhibited).
    pub fn hidden_counts(&self) -> (usize, usize) {
        let all = self.hidden.values().flatten();
        let silenced =
            all.clone().filter(|a| a.suppression.as_deref().is_some_and(|s| s.starts_with("silenced"))).count();
        (silenced, all.count() - silenced)
    }

    /// How many silences were read, over all sources.
    pub fn total(&self) -> usize {
        self.by_source.values().filter_map(|r| r.as_ref().ok()).map(Vec::len).sum()
    }

    /// The index of the selected silence among those shown.
    pub fn cursor(&self) -> usize {
        let shown = self.shown();
        self.selected
            .as_ref()
            .and_then(|(src, id)| shown.iter().position(|s| &s.source == src && &s.id == id))
            .unwrap_or(0)
    }

    fn at(&self, i: usize) -> Option<(String, String)> {
        self.shown().get(i).map(|s| (s.source.clone(), s.id.clone()))
    }
}

/// A source's silences arrived (with its poll).
pub fn received(state: &mut State, source: String, silences: Result<Silences, String>) {
    let v = &mut state.silence_list;
    let before = v.hidden_counts();
    match silences {
        Ok(s) => {
            v.hidden.insert(source.clone(), s.hidden);
            v.by_source.insert(source, Ok(s.list));
        }
        // Not known now: not counted.
        Err(e) => {
            v.hidden.remove(&source);
            v.by_source.insert(source, Err(e));
        }
    }
    state.dirty |= matches!(state.mode, Mode::Silences | Mode::Suppressed) || v.hidden_counts() != before;
}

/// `h`: the hidden alerts, marked suppressed with who and why (again: hidden).
pub fn toggle_hidden(state: &mut State) {
    state.mode = if matches!(state.mode, Mode::Suppressed) { Mode::Normal } else { Mode::Suppressed };
}

/// Opens the view.
pub fn open(state: &mut State) {
    let v = &mut state.silence_list;
    if v.selected.is_none() {
        v.selected = v.at(0);
    }
    v.prompt = None;
    v.problem = None;
    state.mode = Mode::Silences;
}

pub fn key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    if state.silence_list.prompt.is_some() {
        return prompt_key(state, key, fx);
    }
    let v = &mut state.silence_list;
    if v.typing {
        match key.code {
            KeyCode::Enter => v.typing = false,
            KeyCode::Esc => {
                v.typing = false;
                v.filter.clear();
            }
            KeyCode::Backspace => {
                v.filter.pop();
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => v.filter.push(c),
            _ => {}
        }
        v.selected = v.at(0);
        return;
    }
    let at = v.cursor();
    let last = v.shown().len().saturating_sub(1);
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => v.selected = v.at((at + 1).min(last)),
        KeyCode::Char('k') | KeyCode::Up => v.selected = v.at(at.saturating_sub(1)),
        KeyCode::Char('/') => v.typing = true,
        KeyCode::Esc if !v.filter.is_empty() => {
            v.filter.clear();
            v.selected = v.at(0);
        }
        KeyCode::Char('x') | KeyCode::Char('e') => {
            let expire = key.code == KeyCode::Char('x');
            let Some(s) = v.shown().get(at).map(|s| (*s).clone()) else {
                return flash(state, "no silence here to change", true);
            };
            if let Some(why) = s.read_only() {
                let what = if expire { "expire" } else { "extend" };
                return flash(state, format!("cannot {what} {} at {}: {why}", s.id, s.source), true);
            }
            if s.state == "expired" {
                return flash(state, format!("silence {} has expired already: make a new one (S)", s.id), true);
            }
            v.problem = None;
            v.prompt = Some(if expire {
                Prompt::Expire { source: s.source, id: s.id }
            } else {
                Prompt::Extend { source: s.source, id: s.id, input: "2h".into() }
            });
        }
        KeyCode::Esc | KeyCode::Char('q') => state.mode = Mode::Normal,
        _ => {}
    }
}

fn prompt_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    let v = &mut state.silence_list;
    let Some(prompt) = v.prompt.as_mut() else { return };
    let op = match (prompt, key.code) {
        (_, KeyCode::Esc) | (Prompt::Expire { .. }, KeyCode::Char('n' | 'N')) => {
            v.prompt = None;
            v.problem = None;
            return;
        }
        (Prompt::Expire { source, id }, KeyCode::Char('y' | 'Y') | KeyCode::Enter) => {
            let done = format!("expire of silence {id} stored: {source} carries it out next");
            (source.clone(), SilenceOp::Expire { id: id.clone() }, done)
        }
        (Prompt::Extend { source, id, input }, KeyCode::Enter) => {
            match silence::parse_end(input, state.now, FixedOffset::east_opt(0).expect("UTC")) {
                Ok(ends_at) => {
                    let until = ends_at.format("%Y-%m-%d %H:%M UTC");
                    let done = format!("extension of silence {id} to {until} stored: {source} carries it out next");
                    (source.clone(), SilenceOp::Extend { id: id.clone(), ends_at }, done)
                }
                Err(why) => {
                    v.problem = Some(why);
                    return;
                }
            }
        }
        (Prompt::Extend { input, .. }, KeyCode::Backspace) => {
            input.pop();
            v.problem = None;
            return;
        }
        (Prompt::Extend { input, .. }, KeyCode::Char(c)) if !key.ctrl && !key.alt => {
            input.push(c);
            v.problem = None;
            return;
        }
        _ => return,
    };
    v.prompt = None;
    v.problem = None;
    let (source, op, done) = op;
    let entry = state.new_entry(AlertKey::new(&source, TIMELINE_ID), EntryKind::Silenced, &op.text());
    append(state, fx, entry, done);
}
