//! The silence editor (`S` on an alert): matchers prefilled from the alert's labels, a
//! duration and a comment, with a live count of the firing alerts it would match. Enter
//! stores a `silenced` entry (on `<source>/silences`); the outbox makes the silence at
//! the source and reads it back, as it carries an ack.
//!
//! `S` with a selection (or on a group header) opens it on the labels the alerts have in
//! common; Enter asks once, naming how many alerts and which Alertmanager(s), and stores
//! one entry per Alertmanager: the same outbox path, one silence each.

use super::state::{Mode, Pending, State};
use super::update::{append, flash};
use super::{Effect, Key, KeyCode};
use crate::model::silence::{self, Matcher, SilenceOp, TIMELINE_ID};
use crate::model::{Alert, AlertKey, EntryKind, Status};
use chrono::FixedOffset;
use std::collections::{BTreeMap, BTreeSet};

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
    /// Made from a selection or a group: what it was made from (None: one alert).
    pub bulk: Option<Bulk>,
}

/// The alerts a bulk silence was opened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulk {
    /// The Alertmanagers the selected alerts come from: one silence at each.
    pub sources: Vec<String>,
    /// How many of the selected alerts those sources can silence.
    pub alerts: usize,
    /// What was left out and why ("3 alert(s) of zbx skipped: zbx has no silences").
    pub skipped: Option<String>,
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

    /// The sources it goes to: one, or each Alertmanager of a bulk silence.
    pub fn sources(&self) -> Vec<&str> {
        match &self.bulk {
            Some(b) => b.sources.iter().map(String::as_str).collect(),
            None => vec![self.source.as_str()],
        }
    }
}

/// At most this many different values of a label become an `=~"a|b|c"` matcher in a bulk
/// silence: it then silences the selected alerts and not their neighbours (three of the
/// five `DiskFull` hosts, not all five). More values than that are left out, as a long
/// alternation is unreadable in the editor and amtool; the live count then shows how
/// much more the common labels match, before anything is made.
const MAX_ALTERNATION: usize = 4;

/// The matchers alerts have in common: a label every one has with the same value is
/// `name="value"`; with a few different values, `name=~"v1|v2"` (escaped, so each is
/// literal); with more, or missing on some, it is left out.
pub fn common_matchers(alerts: &[&Alert]) -> Vec<Matcher> {
    let Some(first) = alerts.first() else { return Vec::new() };
    let mut out = Vec::new();
    for name in first.labels.keys() {
        let values: Option<BTreeSet<&str>> = alerts.iter().map(|a| a.labels.get(name)).collect();
        let Some(values) = values else { continue };
        let m = |value: String, is_regex: bool| Matcher { name: name.to_owned(), value, is_regex, is_equal: true };
        match values.len() {
            1 => out.extend(values.into_iter().map(|v| m(v.to_owned(), false))),
            n if n <= MAX_ALTERNATION => {
                let alt: Vec<String> = values.iter().map(|v| regex::escape(v)).collect();
                out.push(m(alt.join("|"), true));
            }
            _ => {}
        }
    }
    out
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
        .map(|(k, v)| Matcher { name: k.to_owned(), value: v.to_owned(), is_regex: false, is_equal: true }.to_string())
        .collect();
    open_editor(state, source, matchers, None);
}

/// The editor on these matchers, two hours and no comment yet, its preview counted.
fn open_editor(state: &mut State, source: String, matchers: Vec<String>, bulk: Option<Bulk>) {
    let mut editor = SilenceEditor {
        source,
        field: SilenceField::Matchers,
        matchers: matchers.join(" "),
        duration: "2h".into(),
        comment: String::new(),
        problem: None,
        matched: (0, 0),
        confirm_all: false,
        bulk,
    };
    preview(state, &mut editor);
    state.mode = Mode::Silence(Box::new(editor));
}

/// `S` with a selection, or on a group header with none: the editor on the labels the
/// alerts have in common, for every Alertmanager among them; the others are named as
/// skipped, never dropped unsaid.
pub fn open_bulk(state: &mut State) {
    let keys = match super::selection::group_under_cursor(state).filter(|_| state.selection.is_empty()) {
        Some((_, keys)) => keys,
        None => state.selection.in_view_order(state),
    };
    let alerts: Vec<&Alert> = keys.iter().filter_map(|k| state.list.board.get(k)).map(|i| &*i.alert).collect();
    if alerts.is_empty() {
        return flash(state, "the selected alerts are gone", true);
    }
    let can = |source: &str| state.source_actions.get(source).is_some_and(|k| k.contains(&EntryKind::Silenced));
    let (silenceable, others): (Vec<&Alert>, Vec<&Alert>) = alerts.into_iter().partition(|a| can(a.source()));
    let mut left_out: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &others {
        *left_out.entry(a.source()).or_default() += 1;
    }
    let skipped = (!left_out.is_empty()).then(|| {
        let parts: Vec<String> =
            left_out.iter().map(|(s, n)| format!("{n} alert(s) of {s} skipped: {s} has no silences")).collect();
        parts.join("; ")
    });
    if silenceable.is_empty() {
        let why = skipped.unwrap_or_default();
        return flash(state, format!("nothing to silence (only an alertmanager source has silences): {why}"), true);
    }
    let sources: Vec<String> =
        silenceable.iter().map(|a| a.source().to_owned()).collect::<BTreeSet<_>>().into_iter().collect();
    let matchers: Vec<String> = common_matchers(&silenceable).iter().map(ToString::to_string).collect();
    let source = sources.join(", ");
    open_editor(state, source, matchers, Some(Bulk { sources, alerts: silenceable.len(), skipped }));
}

/// Counts what the matchers match among the sources' open alerts, and says what is wrong.
fn preview(state: &State, editor: &mut SilenceEditor) {
    let sources = editor.sources();
    let open: Vec<_> = state
        .list
        .board
        .ranked()
        .iter()
        .filter(|i| sources.contains(&i.alert.source()) && i.alert.status != Status::Resolved)
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
    if let Some(bulk) = editor.bulk {
        let at = bulk.sources.join(", ");
        let n = bulk.sources.len();
        let silences =
            if n == 1 { format!("one silence at {at}") } else { format!("{n} silences, one at each of {at}") };
        let mut prompt =
            format!("Silence {} selected alert(s) ({hit} open alert(s) match now): {silences}?", bulk.alerts);
        if let Some(skipped) = &bulk.skipped {
            prompt.push_str(&format!(" ({skipped})"));
        }
        let ops = bulk.sources.into_iter().map(|s| (s, op.clone())).collect();
        state.mode = Mode::Confirm { prompt, pending: Pending::Silences { ops } };
        return;
    }
    let entry = state.new_entry(AlertKey::new(&editor.source, TIMELINE_ID), EntryKind::Silenced, &op.text());
    state.mode = Mode::Normal;
    let done = format!("silence stored ({hit} alert(s) now): {} makes it next", editor.source);
    append(state, fx, entry, done);
}

/// The bulk silence confirmed: one `silenced` entry per Alertmanager, each carried by the
/// outbox like a single silence; the selection is spent.
pub fn confirmed(state: &mut State, ops: Vec<(String, SilenceOp)>, fx: &mut Vec<Effect>) {
    for (source, op) in ops {
        let entry = state.new_entry(AlertKey::new(&source, TIMELINE_ID), EntryKind::Silenced, &op.text());
        append(state, fx, entry, format!("silence stored: {source} makes it next"));
    }
    state.selection.clear();
}
