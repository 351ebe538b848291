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

impl Incidents {
    /// The entries of incident `id`, in order.
    pub fn entries_of(&self, id: &str) -> Vec<Entry> {
        let key = incident::key(id);
        self.entries.iter().filter(|e| e.alert_key == key).cloned().collect()
    }
}

/// The incident view (`i`, `:incidents`): open incidents, then the recently closed; Enter
/// opens one's merged timeline. From it: `s` the next status, `c`/`m` take commander or
/// communications, `u` a status update (posted to the chat through the outbox), `x` close
/// (asked twice). Each is the same entry the command line writes, stored before it is said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// The incident under the cursor, by id (ids stay put while the list changes).
    pub selected: Option<String>,
    /// Showing the selected incident's timeline.
    pub timeline: bool,
    /// Lines of the timeline scrolled past.
    pub scroll: usize,
    /// Typing a status update: its text so far.
    pub update: Option<String>,
    /// `x` was pressed once: the next `x` closes.
    pub closing: bool,
}

/// How many closed incidents the view still lists.
const RECENT: usize = 10;

/// What the view lists: open incidents newest first, then the last closed ones.
pub fn listed(state: &State) -> Vec<&Incident> {
    let mut open: Vec<&Incident> = state.incidents.open().collect();
    open.sort_by_key(|i| std::cmp::Reverse(i.declared_at));
    let mut closed: Vec<&Incident> = state.incidents.all.iter().filter(|i| !i.is_open()).collect();
    closed.sort_by_key(|i| std::cmp::Reverse(i.closed_at));
    open.extend(closed.into_iter().take(RECENT));
    open
}

/// The index of the view's cursor in [`listed`].
pub fn cursor(state: &State, view: &View) -> usize {
    let list = listed(state);
    view.selected.as_ref().and_then(|id| list.iter().position(|i| &i.id == id)).unwrap_or(0)
}

/// The incident under the view's cursor.
pub fn under_cursor<'a>(state: &'a State, view: &View) -> Option<&'a Incident> {
    listed(state).get(cursor(state, view)).copied()
}

/// Its timeline: the incident's entries merged with those of its alerts the console holds.
pub fn timeline(state: &State, inc: &Incident) -> Vec<incident::Line> {
    let own = state.incidents.entries_of(&inc.id);
    let alerts: Vec<Entry> = inc
        .membership
        .keys()
        .filter_map(|k| state.detail.timelines.iter().find(|(key, _)| key.as_str() == k))
        .flat_map(|(_, tl)| tl.iter().cloned())
        .collect();
    incident::merge(inc, &own, &alerts)
}

pub fn open_view(state: &mut State) {
    let selected = listed(state).first().map(|i| i.id.clone());
    state.mode = super::state::Mode::Incidents(Box::new(View { selected, ..View::default() }));
}

/// Keys in the view.
pub fn key(state: &mut State, key: super::key::Key, fx: &mut Vec<Effect>) {
    use super::key::KeyCode;
    use super::state::Mode;
    let Mode::Incidents(view) = &state.mode else { return };
    let mut view = (**view).clone();
    if let Some(text) = view.update.as_mut() {
        match key.code {
            KeyCode::Esc => view.update = None,
            KeyCode::Enter => {
                let text = std::mem::take(text);
                view.update = None;
                if let Some(inc) = under_cursor(state, &view).cloned() {
                    write(state, &inc, incident::Event::Update { status: inc.status, text }, fx);
                }
            }
            KeyCode::Backspace => _ = text.pop(),
            KeyCode::Char(c) if !key.ctrl && !key.alt => text.push(c),
            _ => {}
        }
        return set(state, view);
    }
    let closing = std::mem::take(&mut view.closing);
    let list_len = listed(state).len();
    let at = cursor(state, &view);
    let inc = under_cursor(state, &view).cloned();
    match key.code {
        KeyCode::Char('j') | KeyCode::Down if view.timeline => view.scroll += 1,
        KeyCode::Char('k') | KeyCode::Up if view.timeline => view.scroll = view.scroll.saturating_sub(1),
        KeyCode::Char('j') | KeyCode::Down => view.selected = nth_id(state, (at + 1).min(list_len.saturating_sub(1))),
        KeyCode::Char('k') | KeyCode::Up => view.selected = nth_id(state, at.saturating_sub(1)),
        KeyCode::Enter if let Some(inc) = &inc => {
            view.timeline = !view.timeline;
            view.scroll = 0;
            // Its alerts' entries: read those the console has not loaded yet.
            let missing = inc.membership.keys().filter_map(|k| AlertKey::parse(k));
            let missing = missing.filter(|k| view.timeline && !state.detail.timelines.contains_key(k));
            fx.extend(missing.map(Effect::LoadTimeline).collect::<Vec<_>>());
        }
        KeyCode::Esc if view.timeline => view.timeline = false,
        KeyCode::Char(c @ ('s' | 'c' | 'm' | 'u' | 'x')) => {
            let Some(inc) = inc else { return flash(state, "no incident here: declare one with I", true) };
            match c {
                's' => {
                    let at = incident::Status::ALL.iter().position(|s| *s == inc.status).unwrap_or(0);
                    let status = incident::Status::ALL[(at + 1) % incident::Status::ALL.len()];
                    write(state, &inc, incident::Event::Status { status }, fx);
                }
                'c' | 'm' => {
                    let role = if c == 'c' { "commander" } else { "communications" };
                    let event = incident::Event::Role { role: role.into(), person: state.actor.clone() };
                    write(state, &inc, event, fx);
                }
                'u' if inc.is_open() => view.update = Some(String::new()),
                'u' => flash(state, format!("incident {} is closed", inc.id), true),
                _ if closing => write(state, &inc, incident::Event::Closed { summary: String::new() }, fx),
                _ => {
                    view.closing = inc.is_open();
                    let said = if inc.is_open() { "x again closes it" } else { "it is closed" };
                    flash(state, format!("incident {}: {said}", inc.id), false);
                }
            }
        }
        _ => return state.mode = Mode::Normal,
    }
    set(state, view)
}

fn set(state: &mut State, view: View) {
    state.mode = super::state::Mode::Incidents(Box::new(view));
    state.dirty = true;
}

fn nth_id(state: &State, n: usize) -> Option<String> {
    listed(state).get(n).map(|i| i.id.clone())
}

fn flash(state: &mut State, text: impl Into<String>, error: bool) {
    super::update::flash(state, text, error)
}

/// Writes `event` on `inc` as this console's person, as the command line would: refused
/// with the reason when it cannot be, else stored first and said once stored.
fn write(state: &mut State, inc: &Incident, event: incident::Event, fx: &mut Vec<Effect>) {
    if let Some(why) = incident::act::refuse(inc, &event) {
        return flash(state, why, true);
    }
    let what = event.describe(&state.actor);
    let op = state.ids.next(state.now);
    let entry = incident::entry(op, state.now, &inc.id, &state.actor, &event);
    super::update::append(state, fx, entry, format!("incident {}: {what} (stored)", inc.id));
}

/// The status bar's word on the view's keys.
pub fn hint(view: &View) -> &'static str {
    match view {
        View { update: Some(_), .. } => "type the update · enter posts it (chat, through the outbox) · esc cancels",
        View { timeline: true, .. } => {
            "j/k scroll · esc back · s status · c/m take commander/comms · u update · x close"
        }
        _ => "j/k move · enter timeline · s status · c/m take commander/comms · u update · x close · other keys close",
    }
}

/// `r` on an alert an open incident holds: the runbook shown beside it is recorded on the
/// incident, once per incident and runbook, so the postmortem lists what people read.
pub fn runbook_shown(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(pane) = &state.runbooks.pane else { return };
    let name = match (pane.shown(), &pane.resolution.external) {
        (Some(rb), _) => rb.name.clone(),
        (None, Some(crate::runbooks::Reference::Name(n) | crate::runbooks::Reference::Url(n))) => n.clone(),
        (None, Some(crate::runbooks::Reference::Path(p))) => p.display().to_string(),
        (None, None) => return,
    };
    let alert = pane.alert.as_str();
    let Some(inc) = state.incidents.open().find(|i| i.alerts.contains(alert)).cloned() else { return };
    let key = incident::key(&inc.id);
    let noted = state.incidents.entries.iter().any(|e| {
        e.alert_key == key
            && matches!(incident::Event::parse(e), Some(incident::Event::Runbook { name: n }) if n == name)
    });
    if !noted {
        write(state, &inc, incident::Event::Runbook { name }, fx);
    }
}

/// `P` in the log pane: the line under the cursor pinned to the open incident that holds
/// the alert the pane follows, else to the only open incident; with several and none
/// holding the alert it says so rather than guess.
pub fn pin(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(line) = state.logs.selected_line() else { return flash(state, "no log line to pin", true) };
    let at = line.at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ ").to_string()).unwrap_or_default();
    let level = line.level.map(|l| format!("{} ", l.name().to_uppercase())).unwrap_or_default();
    let event =
        incident::Event::Pinned { line: format!("{at}{level}{}", super::logs::flat(line)), from: line.source.clone() };
    let alert = state.logs.alert.as_ref().map(|k| k.as_str().to_owned());
    let open: Vec<&Incident> = state.incidents.open().collect();
    let holding = open.iter().find(|i| alert.as_ref().is_some_and(|a| i.alerts.contains(a)));
    let inc = match (holding, open.as_slice()) {
        (Some(inc), _) | (None, [inc]) => (*inc).clone(),
        (None, []) => return flash(state, "no open incident to pin to: I declares one", true),
        (None, _) => {
            return flash(
                state,
                format!("{} incidents are open and none holds this alert: pin with klaxon incident pin", open.len()),
                true,
            );
        }
    };
    write(state, &inc, event, fx);
}
