//! The log pane beside the selected alert: which alert's lines it follows, the bounded buffer
//! they go into, and what the person does there (follow, search, level filter, expand a
//! line's fields, keep only the lines of one request or trace).

use super::state::{Flash, Pane, State};
use super::{Action, Effect, Key, KeyCode};
use crate::model::{AlertKey, Level, LogBuffer, LogLine};
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

/// Cells of text a line shows after its time and level (inside the pane's border).
fn text_width(state: &State) -> usize {
    usize::from(state.layout().side.width.saturating_sub(2)).saturating_sub(PREFIX).max(1)
}

/// Starts following the selected alert's lines when the pane shows and the alert changed;
/// stops when the pane closes. Called after every message.
pub fn sync(state: &mut State, fx: &mut Vec<Effect>) {
    if state.logs.sources.is_empty() {
        return;
    }
    let want = if state.focus == Pane::Logs { state.selected_item().map(|i| &i.alert) } else { None };
    if want.map(|a| &a.key) == state.logs.alert.as_ref() {
        return;
    }
    match want {
        Some(alert) => {
            let alert = alert.clone();
            state.logs.reset(Some(alert.key.clone()));
            fx.push(Effect::FollowLogs(alert));
        }
        None => {
            state.logs.reset(None);
            fx.push(Effect::StopLogs);
        }
    }
    state.dirty = true;
}

/// A source's lines, failure or reason to stay silent, for the alert shown (else ignored).
pub fn received(state: &mut State, alert: AlertKey, source: String, update: LogUpdate) {
    let pane = &mut state.logs;
    if pane.alert.as_ref() != Some(&alert) {
        return;
    }
    let Some((_, status)) = pane.sources.iter_mut().find(|(n, _)| *n == source) else { return };
    match update {
        LogUpdate::Lines(lines) => {
            let had = match status {
                SourceStatus::Lines(n) => *n,
                _ => 0,
            };
            if lines.is_empty() && matches!(status, SourceStatus::Lines(_)) {
                return;
            }
            *status = SourceStatus::Lines(had + lines.len());
            pane.buffer.extend(lines);
        }
        LogUpdate::Failed(why) => *status = SourceStatus::Failed(sanitize_line(&why)),
        LogUpdate::Skipped(why) => *status = SourceStatus::Skipped(sanitize_line(&why)),
    }
    state.dirty = true;
}

/// Keys while a search is typed. True when the key was the search's.
pub fn search_key(state: &mut State, key: Key) -> bool {
    let Some(input) = state.logs.input.as_mut().filter(|_| state.focus == Pane::Logs) else { return false };
    match key.code {
        KeyCode::Esc => state.logs.input = None,
        KeyCode::Enter => {
            let q = state.logs.input.take().unwrap_or_default();
            state.logs.search = (!q.is_empty()).then_some(q);
            jump_to_match(state, false);
        }
        KeyCode::Backspace => _ = input.pop(),
        KeyCode::Char(c) if !key.ctrl && !key.alt => input.push(c),
        _ => {}
    }
    true
}

/// The pane's own meaning of an action while it has focus. True when handled.
pub fn pane_action(state: &mut State, action: Action) -> bool {
    if state.focus != Pane::Logs || state.logs.sources.is_empty() {
        return false;
    }
    let page = usize::from(state.layout().side.height.saturating_sub(4)).max(1);
    match action {
        Action::MoveDown => step(state, 1),
        Action::MoveUp => step(state, -1),
        Action::PageDown => step(state, page as isize),
        Action::PageUp => step(state, -(page as isize)),
        Action::Top => step(state, isize::MIN / 2),
        Action::Bottom => {
            state.logs.follow = true;
            state.logs.selected = None;
        }
        Action::Open => state.logs.expanded = !state.logs.expanded,
        Action::Filter => state.logs.input = Some(state.logs.search.clone().unwrap_or_default()),
        Action::ClearFilter => {
            let pane = &mut state.logs;
            if pane.correlate.take().is_none() && pane.search.take().is_none() && pane.min_level.take().is_none() {
                return false;
            }
        }
        Action::LogFollow => {
            let pane = &mut state.logs;
            pane.follow = !pane.follow;
            if !pane.follow {
                // Stay on the line that was newest.
                let visible = pane.visible();
                pane.selected = visible.last().and_then(|p| pane.buffer.get(*p)).map(|(id, _)| id);
            }
            let text = if state.logs.follow { "following new lines" } else { "paused: new lines wait below" };
            note(state, text);
        }
        Action::LogLevel => {
            let pane = &mut state.logs;
            pane.min_level = match pane.min_level {
                None => Some(Level::Debug),
                Some(Level::Trace) | Some(Level::Debug) => Some(Level::Info),
                Some(Level::Info) => Some(Level::Warn),
                Some(Level::Warn) => Some(Level::Error),
                Some(Level::Error) | Some(Level::Fatal) => None,
            };
            let text = match state.logs.min_level {
                Some(l) => format!("showing {l} and above"),
                None => "showing every level".into(),
            };
            note(state, text);
        }
        Action::LogCorrelate => {
            if state.logs.correlate.take().is_some() {
                note(state, "showing every line again");
            } else {
                match state
                    .logs
                    .selected_line()
                    .and_then(|l| l.correlation())
                    .map(|(f, v)| (f.to_owned(), v.to_owned()))
                {
                    Some((f, v)) => {
                        note(state, format!("only lines with {f}={v}"));
                        state.logs.correlate = Some((f, v));
                    }
                    None => {
                        state.flash = Some(Flash {
                            text: "this line carries no request, trace or correlation id".into(),
                            error: true,
                        })
                    }
                }
            }
        }
        Action::LogNextMatch => jump_to_match(state, true),
        Action::LogWrap => {
            state.logs.wrap = !state.logs.wrap;
            state.logs.hscroll = 0;
            note(state, if state.logs.wrap { "long lines wrap" } else { "long lines are cut: ←/→ scroll them" });
        }
        Action::ScrollLeft | Action::ScrollRight if state.logs.wrap => {
            note(state, "lines wrap, so there is nothing to the side: w cuts them again")
        }
        Action::ScrollLeft | Action::ScrollRight => {
            let width = text_width(state);
            let pane = &mut state.logs;
            let visible = pane.visible();
            let longest = visible.iter().filter_map(|p| pane.buffer.get(*p)).map(|(_, l)| flat(l).chars().count());
            let max = longest.max().unwrap_or(0).saturating_sub(width);
            let step = (width / 2).max(1);
            pane.hscroll = if action == Action::ScrollRight {
                (pane.hscroll + step).min(max)
            } else {
                pane.hscroll.saturating_sub(step)
            };
        }
        _ => return false,
    }
    state.dirty = true;
    true
}

/// The character column where `q` (lower case) first occurs in `text`, ignoring case.
fn column_of(text: &str, q: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    let at = lower.find(q)?;
    // Lower-casing can change lengths (rare scripts): count in the lower-cased text.
    Some(lower[..at].chars().count())
}

fn note(state: &mut State, text: impl Into<String>) {
    state.flash = Some(Flash { text: text.into(), error: false });
}

/// Moves the cursor by `delta` shown lines; moving stops following.
fn step(state: &mut State, delta: isize) {
    let measured = state.scroll.log_line;
    let pane = &mut state.logs;
    let visible = pane.visible();
    let Some(at) = pane.cursor(&visible) else { return };
    // Inside a line taller than the pane (wrapped, or with its fields), the keys go through
    // its rows before the cursor moves on.
    if let Some((id, rows)) = measured
        && delta.abs() < isize::MAX / 4
        && pane.buffer.get(visible[at]).is_some_and(|(here, _)| here == id)
    {
        let within = pane.within(id);
        let to = rows.by(within, delta.clamp(-(rows.height as isize), rows.height as isize));
        if to != within {
            pane.within = (Some(id), to);
            return;
        }
    }
    let to = at.saturating_add_signed(delta).min(visible.len() - 1);
    if delta > 0 && to == visible.len() - 1 && pane.follow {
        return;
    }
    pane.follow = false;
    pane.selected = pane.buffer.get(visible[to]).map(|(id, _)| id);
}

/// To the next match below the cursor (`onward`), else the newest match; wraps around.
fn jump_to_match(state: &mut State, onward: bool) {
    let pane = &mut state.logs;
    let visible = pane.visible();
    let matches: Vec<usize> =
        (0..visible.len()).filter(|i| pane.buffer.get(visible[*i]).is_some_and(|(_, l)| pane.matches(l))).collect();
    let Some(&newest) = matches.last() else {
        if pane.search.is_some() {
            note(state, "no line matches");
        } else if onward {
            // N with nothing searched yet: say how to search.
            let key = state.keymap.keys_for(Action::Filter).first().map_or_else(|| ":filter".into(), |k| k.to_string());
            note(state, format!("nothing is searched yet: {key} searches the lines"));
        }
        return;
    };
    let at = pane.cursor(&visible).unwrap_or(0);
    let to = if onward { matches.iter().copied().find(|m| *m > at).unwrap_or(matches[0]) } else { newest };
    pane.follow = false;
    pane.selected = pane.buffer.get(visible[to]).map(|(id, _)| id);
    let n = matches.len();
    // Cut lines: scroll sideways so the hit is on screen.
    let width = text_width(state);
    let pane = &mut state.logs;
    if !pane.wrap
        && let Some(q) = pane.search.as_deref().map(str::to_lowercase)
        && let Some((_, line)) = pane.buffer.get(visible[to])
        && let Some(col) = column_of(&flat(line), &q)
    {
        let end = col + q.chars().count();
        if col < pane.hscroll || end > pane.hscroll + width {
            // The hit a few cells in from the left edge, with what leads up to it.
            pane.hscroll = if end <= width { 0 } else { col.saturating_sub(width / 4) };
        }
    }
    // Wrapped: a hit far down a tall line is brought up (its row, about: words wrap early).
    if pane.wrap
        && let Some(q) = pane.search.as_deref().map(str::to_lowercase)
        && let Some((id, line)) = pane.buffer.get(visible[to])
        && let Some(col) = column_of(&flat(line), &q)
    {
        pane.within = (Some(id), (col / width).saturating_sub(1));
    }
    note(state, format!("{n} matching line{}", if n == 1 { "" } else { "s" }));
}
