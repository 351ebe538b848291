//! The log pane beside the selected alert: which alert's lines it follows, the bounded buffer
//! they go into, and what the person does there (follow, search, level filter, expand a
//! line's fields, keep only the lines of one request or trace).

use super::scroll::Extent;
use super::state::{Flash, Pane, State};
use super::{Action, Effect, Key, KeyCode};
use crate::app::Keymap;
use crate::model::{Alert, AlertKey, Level, LogBuffer, LogLine};
use crate::sanitize::sanitize_line;

/// What one log source has said about the alert shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    Loading,
    Lines(usize),
    Failed(String),
    /// It has nothing for this alert, and says why (a label its query needs is missing).
    Skipped(String),
}

/// A log source's report, as the runtime hands it over.
#[derive(Debug, Clone)]
pub enum LogUpdate {
    Lines(Vec<LogLine>),
    Failed(String),
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct LogPane {
    /// The alert whose lines are followed; None when the pane is closed.
    pub alert: Option<AlertKey>,
    pub buffer: LogBuffer,
    /// Every configured log source, in config order.
    pub sources: Vec<(String, SourceStatus)>,
    /// Stay on the newest line as lines arrive.
    pub follow: bool,
    /// The line under the cursor, by id; None: the newest shown.
    pub selected: Option<u64>,
    /// The selected line's fields are shown below it.
    pub expanded: bool,
    /// Typing a search (`/`); its text highlights as it is typed.
    pub input: Option<String>,
    pub search: Option<String>,
    /// Only lines at or above this level (lines without a level stay).
    pub min_level: Option<Level>,
    /// Only lines carrying this field with this value: one request or trace.
    pub correlate: Option<(String, String)>,
    /// Long lines wrap onto more rows instead of being cut at the pane's edge.
    pub wrap: bool,
    /// Characters of each line's text scrolled off to the left (when not wrapping).
    pub hscroll: usize,
    /// Rows scrolled past inside a cursor line taller than the pane, and which line that is.
    pub within: (Option<u64>, usize),
    /// What the last frame measured: the cursor line (by id) and its rows with its fields.
    /// A line taller than the pane is scrolled through before the cursor moves on.
    pub measured: Option<(u64, Extent)>,
}

/// What the pane's keys need to know of the screen: a page of lines, and how many cells of
/// text a line shows after its time and level.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub page: usize,
    pub width: usize,
}

/// A key in the pane: not the pane's, or done (and what to say in the status line).
#[derive(Debug, PartialEq)]
pub enum Outcome {
    NotMine,
    Done(Option<Flash>),
}

impl LogPane {
    pub fn new(sources: Vec<String>, capacity: usize) -> Self {
        LogPane {
            alert: None,
            buffer: LogBuffer::new(capacity),
            sources: sources.into_iter().map(|s| (s, SourceStatus::Loading)).collect(),
            follow: true,
            selected: None,
            expanded: false,
            input: None,
            search: None,
            min_level: None,
            correlate: None,
            wrap: false,
            hscroll: 0,
            within: (None, 0),
            measured: None,
        }
    }

    /// Rows scrolled past inside the line with this id.
    pub fn within(&self, id: u64) -> usize {
        if self.within.0 == Some(id) { self.within.1 } else { 0 }
    }

    pub fn shows(&self, line: &LogLine) -> bool {
        self.min_level.is_none_or(|min| line.level.is_none_or(|l| l >= min))
            && self.correlate.as_ref().is_none_or(|(f, v)| line.has_field(f, v))
    }

    /// Buffer positions of the lines that pass the filters, oldest first.
    pub fn visible(&self) -> Vec<usize> {
        self.buffer.iter().enumerate().filter(|(_, (_, l))| self.shows(l)).map(|(i, _)| i).collect()
    }

    /// Index into `visible` of the cursor.
    pub fn cursor(&self, visible: &[usize]) -> Option<usize> {
        let last = visible.len().checked_sub(1)?;
        match self.selected.filter(|_| !self.follow).and_then(|id| self.buffer.position(id)) {
            Some(pos) => Some(visible.partition_point(|p| *p < pos).min(last)),
            None => Some(last),
        }
    }

    pub fn selected_line(&self) -> Option<&LogLine> {
        let visible = self.visible();
        let i = self.cursor(&visible)?;
        self.buffer.get(visible[i]).map(|(_, l)| l)
    }

    /// The search matches `line` (case-insensitive), in its message or a field value.
    pub fn matches(&self, line: &LogLine) -> bool {
        let Some(q) = self.search.as_deref().or(self.input.as_deref()).filter(|q| !q.is_empty()) else {
            return false;
        };
        let q = q.to_lowercase();
        line.message.to_lowercase().contains(&q) || line.fields.values().any(|v| v.to_lowercase().contains(&q))
    }

    fn reset(&mut self, alert: Option<AlertKey>) {
        self.alert = alert;
        self.buffer.clear();
        for (_, s) in &mut self.sources {
            *s = SourceStatus::Loading;
        }
        self.follow = true;
        self.selected = None;
        self.expanded = false;
        self.correlate = None;
        self.hscroll = 0;
        self.within = (None, 0);
    }
}

/// A line's text as the pane shows it after its time and level: the message, then each field.
pub fn flat(line: &LogLine) -> String {
    let mut text = line.message.clone();
    for (k, v) in &line.fields {
        text.push_str(&format!(" {k}={v}"));
    }
    text
}

/// Cells before a line's text: `03:10:02 ERROR `.
pub const PREFIX: usize = 15;

/// What the pane's keys need of the layout, while it shows.
fn view(state: &State) -> View {
    let side = state.layout().side;
    View {
        page: usize::from(side.height.saturating_sub(4)).max(1),
        width: usize::from(side.width.saturating_sub(2)).saturating_sub(PREFIX).max(1),
    }
}

/// Follows the selected alert's lines while the pane has focus, and stops when it closes.
/// Called after every message.
pub fn sync(state: &mut State, fx: &mut Vec<Effect>) {
    let want = if state.focus == Pane::Logs { state.list.selected_item().map(|i| &*i.alert) } else { None };
    if let Some(effect) = state.logs.follow_alert(want) {
        fx.push(effect);
        state.dirty = true;
    }
}

/// A source's lines, failure or reason to stay silent, for the alert shown (else ignored).
pub fn received(state: &mut State, alert: AlertKey, source: String, update: LogUpdate) {
    state.dirty |= state.logs.received(&alert, &source, update);
}

/// Keys while a search is typed. True when the key was the search's.
pub fn search_key(state: &mut State, key: Key) -> bool {
    if state.focus != Pane::Logs {
        return false;
    }
    let view = view(state);
    let outcome = state.logs.search_key(key, view);
    said(state, outcome)
}

/// The pane's own meaning of an action while it has focus. True when handled.
pub fn pane_action(state: &mut State, action: Action) -> bool {
    if state.focus != Pane::Logs {
        return false;
    }
    let view = view(state);
    let outcome = state.logs.action(action, view, &state.keymap);
    let handled = said(state, outcome);
    state.dirty |= handled;
    handled
}

fn said(state: &mut State, outcome: Outcome) -> bool {
    match outcome {
        Outcome::NotMine => false,
        Outcome::Done(flash) => {
            if flash.is_some() {
                state.flash = flash;
            }
            true
        }
    }
}

impl LogPane {
    /// Starts following `want` (the selected alert while the pane shows) when it changed;
    /// stops when there is none. The effect to ask for, when something changed.
    pub fn follow_alert(&mut self, want: Option<&Alert>) -> Option<Effect> {
        if self.sources.is_empty() || want.map(|a| &a.key) == self.alert.as_ref() {
            return None;
        }
        match want {
            Some(alert) => {
                self.reset(Some(alert.key.clone()));
                Some(Effect::FollowLogs(Box::new(alert.clone())))
            }
            None => {
                self.reset(None);
                Some(Effect::StopLogs)
            }
        }
    }

    /// A source's lines, failure or reason to stay silent, for `alert`: ignored unless it is
    /// the one followed. True when the pane changed.
    pub fn received(&mut self, alert: &AlertKey, source: &str, update: LogUpdate) -> bool {
        if self.alert.as_ref() != Some(alert) {
            return false;
        }
        let Some((_, status)) = self.sources.iter_mut().find(|(n, _)| *n == source) else { return false };
        match update {
            LogUpdate::Lines(lines) => {
                let had = match status {
                    SourceStatus::Lines(n) => *n,
                    _ => 0,
                };
                if lines.is_empty() && matches!(status, SourceStatus::Lines(_)) {
                    return false;
                }
                *status = SourceStatus::Lines(had + lines.len());
                self.buffer.extend(lines);
            }
            LogUpdate::Failed(why) => *status = SourceStatus::Failed(sanitize_line(&why)),
            LogUpdate::Skipped(why) => *status = SourceStatus::Skipped(sanitize_line(&why)),
        }
        true
    }

    /// Keys while a search is typed (`/`).
    pub fn search_key(&mut self, key: Key, view: View) -> Outcome {
        let Some(input) = self.input.as_mut() else { return Outcome::NotMine };
        let mut flash = None;
        match key.code {
            KeyCode::Esc => self.input = None,
            KeyCode::Enter => {
                let q = self.input.take().unwrap_or_default();
                self.search = (!q.is_empty()).then_some(q);
                flash = self.jump_to_match(false, view.width, None);
            }
            KeyCode::Backspace => _ = input.pop(),
            KeyCode::Char(c) if !key.ctrl && !key.alt => input.push(c),
            _ => {}
        }
        Outcome::Done(flash)
    }

    /// The pane's own meaning of an action.
    pub fn action(&mut self, action: Action, view: View, keymap: &Keymap) -> Outcome {
        if self.sources.is_empty() {
            return Outcome::NotMine;
        }
        let page = view.page;
        let mut flash = None;
        match action {
            Action::MoveDown => self.step(1),
            Action::MoveUp => self.step(-1),
            Action::PageDown => self.step(page as isize),
            Action::PageUp => self.step(-(page as isize)),
            Action::Top => self.step(isize::MIN / 2),
            Action::Bottom => {
                self.follow = true;
                self.selected = None;
            }
            Action::Open => self.expanded = !self.expanded,
            Action::Filter => self.input = Some(self.search.clone().unwrap_or_default()),
            Action::ClearFilter => {
                if self.correlate.take().is_none() && self.search.take().is_none() && self.min_level.take().is_none() {
                    return Outcome::NotMine;
                }
            }
            Action::LogFollow => {
                self.follow = !self.follow;
                if !self.follow {
                    // Stay on the line that was newest.
                    let visible = self.visible();
                    self.selected = visible.last().and_then(|p| self.buffer.get(*p)).map(|(id, _)| id);
                }
                flash = note(if self.follow { "following new lines" } else { "paused: new lines wait below" });
            }
            Action::LogLevel => {
                self.min_level = match self.min_level {
                    None => Some(Level::Debug),
                    Some(Level::Trace) | Some(Level::Debug) => Some(Level::Info),
                    Some(Level::Info) => Some(Level::Warn),
                    Some(Level::Warn) => Some(Level::Error),
                    Some(Level::Error) | Some(Level::Fatal) => None,
                };
                flash = note(match self.min_level {
                    Some(l) => format!("showing {l} and above"),
                    None => "showing every level".into(),
                });
            }
            Action::LogCorrelate => {
                if self.correlate.take().is_some() {
                    flash = note("showing every line again");
                } else {
                    match self.selected_line().and_then(|l| l.correlation()).map(|(f, v)| (f.to_owned(), v.to_owned()))
                    {
                        Some((f, v)) => {
                            flash = note(format!("only lines with {f}={v}"));
                            self.correlate = Some((f, v));
                        }
                        None => {
                            flash = Some(Flash {
                                text: "this line carries no request, trace or correlation id".into(),
                                error: true,
                            })
                        }
                    }
                }
            }
            Action::LogNextMatch => flash = self.jump_to_match(true, view.width, Some(keymap)),
            Action::LogWrap => {
                self.wrap = !self.wrap;
                self.hscroll = 0;
                flash = note(if self.wrap { "long lines wrap" } else { "long lines are cut: ←/→ scroll them" });
            }
            Action::ScrollLeft | Action::ScrollRight if self.wrap => {
                flash = note("lines wrap, so there is nothing to the side: w cuts them again")
            }
            Action::ScrollLeft | Action::ScrollRight => {
                let width = view.width;
                let visible = self.visible();
                let longest = visible.iter().filter_map(|p| self.buffer.get(*p)).map(|(_, l)| flat(l).chars().count());
                let max = longest.max().unwrap_or(0).saturating_sub(width);
                let step = (width / 2).max(1);
                self.hscroll = if action == Action::ScrollRight {
                    (self.hscroll + step).min(max)
                } else {
                    self.hscroll.saturating_sub(step)
                };
            }
            _ => return Outcome::NotMine,
        }
        Outcome::Done(flash)
    }

    /// Moves the cursor by `delta` shown lines; moving stops following.
    fn step(&mut self, delta: isize) {
        let visible = self.visible();
        let Some(at) = self.cursor(&visible) else { return };
        // Inside a line taller than the pane (wrapped, or with its fields), the keys go through
        // its rows before the cursor moves on.
        if let Some((id, rows)) = self.measured
            && delta.abs() < isize::MAX / 4
            && self.buffer.get(visible[at]).is_some_and(|(here, _)| here == id)
        {
            let within = self.within(id);
            let to = rows.by(within, delta.clamp(-(rows.height as isize), rows.height as isize));
            if to != within {
                self.within = (Some(id), to);
                return;
            }
        }
        let to = at.saturating_add_signed(delta).min(visible.len() - 1);
        if delta > 0 && to == visible.len() - 1 && self.follow {
            return;
        }
        self.follow = false;
        self.selected = self.buffer.get(visible[to]).map(|(id, _)| id);
    }

    /// To the next match below the cursor (`onward`), else the newest match; wraps around.
    /// `keymap` names the search key when nothing is searched yet.
    fn jump_to_match(&mut self, onward: bool, width: usize, keymap: Option<&Keymap>) -> Option<Flash> {
        let visible = self.visible();
        let matches: Vec<usize> =
            (0..visible.len()).filter(|i| self.buffer.get(visible[*i]).is_some_and(|(_, l)| self.matches(l))).collect();
        let Some(&newest) = matches.last() else {
            if self.search.is_some() {
                return note("no line matches");
            } else if onward {
                // N with nothing searched yet: say how to search.
                let key = keymap
                    .and_then(|k| k.keys_for(Action::Filter).first().map(|k| k.to_string()))
                    .unwrap_or_else(|| ":filter".into());
                return note(format!("nothing is searched yet: {key} searches the lines"));
            }
            return None;
        };
        let at = self.cursor(&visible).unwrap_or(0);
        let to = if onward { matches.iter().copied().find(|m| *m > at).unwrap_or(matches[0]) } else { newest };
        self.follow = false;
        self.selected = self.buffer.get(visible[to]).map(|(id, _)| id);
        let n = matches.len();
        // Cut lines: scroll sideways so the hit is on screen.
        if !self.wrap
            && let Some(q) = self.search.as_deref().map(str::to_lowercase)
            && let Some((_, line)) = self.buffer.get(visible[to])
            && let Some(col) = column_of(&flat(line), &q)
        {
            let end = col + q.chars().count();
            if col < self.hscroll || end > self.hscroll + width {
                // The hit a few cells in from the left edge, with what leads up to it.
                self.hscroll = if end <= width { 0 } else { col.saturating_sub(width / 4) };
            }
        }
        // Wrapped: a hit far down a tall line is brought up (its row, about: words wrap early).
        if self.wrap
            && let Some(q) = self.search.as_deref().map(str::to_lowercase)
            && let Some((id, line)) = self.buffer.get(visible[to])
            && let Some(col) = column_of(&flat(line), &q)
        {
            self.within = (Some(id), (col / width).saturating_sub(1));
        }
        note(format!("{n} matching line{}", if n == 1 { "" } else { "s" }))
    }
}

/// The character column where `q` (lower case) first occurs in `text`, ignoring case.
fn column_of(text: &str, q: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    let at = lower.find(q)?;
    // Lower-casing can change lengths (rare scripts): count in the lower-cased text.
    Some(lower[..at].chars().count())
}

fn note(text: impl Into<String>) -> Option<Flash> {
    Some(Flash { text: text.into(), error: false })
}
