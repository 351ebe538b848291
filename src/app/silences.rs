//! The silence editor (`S` on an alert): matchers prefilled from the alert's labels, a
//! duration and a comment, with a live count of the firing alerts it would match. Enter
//! stores a `silenced` entry (on `<source>/silences`); the outbox makes the silence at
//! the source and reads it back, as it carries an ack.

use super::state::{Mode, State};
use super::update::{append, flash};
use super::{Effect, Key, KeyCode};
use crate::model::silence::{self, Matcher, SilenceOp, TIMELINE_ID};
use crate::model::{AlertKey, EntryKind, Status};
use chrono::FixedOffset;

/// The editor's three lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceField {
    Matchers,
    Duration,
    Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceEditor {
    /// The source the silence goes to.
    pub source: String,
    pub field: SilenceField,
    /// Space-separated matchers, amtool's forms: `alertname="DiskFull" instance=~"db-.*"`.
    pub matchers: String,
    /// `2h`, `30m`, `until 18:00` (UTC), `until` an RFC 3339 time.
    pub duration: String,
    pub comment: String,
    /// Why it cannot be made as it stands, or the second confirmation asked for.
    pub problem: Option<String>,
    /// (how many of the source's open alerts it matches now, how many it has).
    pub matched: (usize, usize),
    /// It matches every alert of the source and Enter was pressed once: once more makes it.
    pub confirm_all: bool,
}

impl SilenceEditor {
    fn field_mut(&mut self) -> &mut String {
        match self.field {
            SilenceField::Matchers => &mut self.matchers,
            SilenceField::Duration => &mut self.duration,
            SilenceField::Comment => &mut self.comment,
        }
    }

    /// The matchers as typed, or why not.
    pub fn parsed(&self) -> Result<Vec<Matcher>, String> {
        silence::parse_matchers(&silence::split_words(&self.matchers))
    }
}

/// `S`: the editor on the selected alert, its labels as matchers.
pub fn open(state: &mut State) {
    let Some(item) = state.selected_item() else { return flash(state, "select an alert first", true) };
    let source = item.alert.source().to_owned();
    if !state.source_actions.get(&source).is_some_and(|k| k.contains(&EntryKind::Silenced)) {
        return flash(state, format!("{source} has no silences (only an alertmanager source has)"), true);
    }
    let matchers: Vec<String> = item
        .alert
        .labels
        .iter()
        .map(|(k, v)| Matcher { name: k.clone(), value: v.clone(), is_regex: false, is_equal: true }.to_string())
        .collect();
    let mut editor = SilenceEditor {
        source,
        field: SilenceField::Matchers,
        matchers: matchers.join(" "),
        duration: "2h".into(),
        comment: String::new(),
        problem: None,
        matched: (0, 0),
        confirm_all: false,
    };
    preview(state, &mut editor);
    state.mode = Mode::Silence(Box::new(editor));
}

/// Counts what the matchers match among the source's open alerts, and says what is wrong.
fn preview(state: &State, editor: &mut SilenceEditor) {
    let open: Vec<_> = state
        .list
        .board
        .ranked()
        .iter()
        .filter(|i| i.alert.source() == editor.source && i.alert.status != Status::Resolved)
        .collect();
    editor.confirm_all = false;
    editor.problem = None;
    match editor.parsed() {
        Ok(m) => {
            editor.matched = (open.iter().filter(|i| silence::matches_all(&m, &i.alert.labels)).count(), open.len())
        }
        Err(why) => {
            editor.matched = (0, open.len());
            editor.problem = Some(why);
        }
    }
    if editor.problem.is_none()
        && let Err(why) = silence::parse_end(&editor.duration, state.now, utc())
    {
        editor.problem = Some(why);
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("UTC")
}

pub fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    let Mode::Silence(editor) = &mut state.mode else { return };
    let mut editor = editor.clone();
    match key.code {
        KeyCode::Esc => {
            state.mode = Mode::Normal;
            return flash(state, "no silence made", false);
        }
        KeyCode::Tab | KeyCode::Down => {
            editor.field = match editor.field {
                SilenceField::Matchers => SilenceField::Duration,
                SilenceField::Duration => SilenceField::Comment,
                SilenceField::Comment => SilenceField::Matchers,
            }
        }
        KeyCode::BackTab | KeyCode::Up => {
            editor.field = match editor.field {
                SilenceField::Matchers => SilenceField::Comment,
                SilenceField::Duration => SilenceField::Matchers,
                SilenceField::Comment => SilenceField::Duration,
            }
        }
        KeyCode::Enter => return submit(state, *editor, fx),
        KeyCode::Backspace => {
            editor.field_mut().pop();
            preview(state, &mut editor);
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            editor.field_mut().push(c);
            preview(state, &mut editor);
        }
        _ => {}
    }
    state.mode = Mode::Silence(editor);
}

fn submit(state: &mut State, mut editor: SilenceEditor, fx: &mut Vec<Effect>) {
    let confirmed = editor.confirm_all;
    preview(state, &mut editor);
    let parsed = editor.parsed().and_then(|m| Ok((m, silence::parse_end(&editor.duration, state.now, utc())?)));
    let (matchers, ends_at) = match parsed {
        Ok(p) => p,
        Err(why) => {
            editor.problem = Some(why);
            state.mode = Mode::Silence(Box::new(editor));
            return;
        }
    };
    let (hit, all) = editor.matched;
    if hit == all && all > 1 && !confirmed {
        editor.problem =
            Some(format!("this matches every alert {} has ({all}): Enter again to silence them all", editor.source));
        editor.confirm_all = true;
        state.mode = Mode::Silence(Box::new(editor));
        return;
    }
    let op = SilenceOp::Add { matchers, ends_at, comment: editor.comment.trim().to_owned() };
    let entry = state.new_entry(AlertKey::new(&editor.source, TIMELINE_ID), EntryKind::Silenced, &op.text());
    state.mode = Mode::Normal;
    let done = format!("silence stored ({hit} alert(s) now): {} makes it next", editor.source);
    append(state, fx, entry, done);
}
