//! Everything the screen shows, and nothing the screen does.

use super::attention::Attention;
use super::detail::Detail;
use super::editor::Editor;
use super::escalation::Escalation;
use super::list::AlertList;
use super::runbooks::Runbooks;
use crate::app::Keymap;
use crate::model::{AlertKey, EntryKind, Health, Item, NewEntry, OpIds, Severity};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Logs,
    Runbook,
}

impl Pane {
    pub const CYCLE: [Pane; 4] = [Pane::List, Pane::Detail, Pane::Logs, Pane::Runbook];
}

pub use super::list::{Cursor, Group, Row, Sort};

/// An action waiting for a yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Escalate {
        key: AlertKey,
        level: i64,
    },
    Unack {
        key: AlertKey,
    },
    SetSeverity {
        key: AlertKey,
        severity: Severity,
    },
    Close {
        key: AlertKey,
    },
    /// The same action on each of these alerts (the selection), each its own entry.
    Bulk {
        kind: EntryKind,
        keys: Vec<AlertKey>,
        /// The note's text (a bulk note); empty for the others.
        text: String,
    },
    /// One silence per Alertmanager (a bulk silence), each its own entry.
    Silences {
        ops: Vec<(String, crate::model::silence::SilenceOp)>,
    },
    Quit,
}

pub use super::runbooks::{Browser, RunbookPane};

#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    /// Typing a filter; `before` is restored on Esc.
    Filter {
        input: String,
        before: String,
        error: Option<String>,
    },
    Palette {
        input: String,
        selected: usize,
    },
    Help {
        scroll: usize,
    },
    /// The health of every source, schedule and log source.
    Sources {
        scroll: usize,
    },
    Confirm {
        prompt: String,
        pending: Pending,
    },
    Editor(Editor),
    /// Typing one note for `keys` (`n` with a selection or on a group header).
    BulkNote {
        keys: Vec<AlertKey>,
        input: String,
    },
    /// The silence editor (`S`).
    Silence(Box<super::silences::SilenceEditor>),
    /// Typing whom to reassign `key` to: a `[[people]]` name or an email, then `: note`.
    Reassign {
        key: AlertKey,
        input: String,
    },
    Runbooks(Box<Browser>),
    /// The Reports view: trends and the noisiest alerts (`super::reports`).
    Reports,
    /// The SLO view: error budgets and burn rates (`super::slo`).
    Slos,
    /// Declared incidents (`super::incidents::View`).
    Incidents(Box<super::incidents::View>),
    /// The silences view (`super::silence_list`).
    Silences,
    /// Resolved alerts from the store (`super::history`).
    History,
    /// The alerts hidden as silenced or inhibited, shown on request (`h`).
    Suppressed,
}

impl PartialEq for Mode {
    /// Modes compare by kind and by what a test can see; an open runbook by name.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Mode::Normal, Mode::Normal) => true,
            (Mode::Filter { input: a, .. }, Mode::Filter { input: b, .. }) => a == b,
            (Mode::Palette { input: a, selected: x }, Mode::Palette { input: b, selected: y }) => a == b && x == y,
            (Mode::Help { scroll: a }, Mode::Help { scroll: b }) => a == b,
            (Mode::Sources { scroll: a }, Mode::Sources { scroll: b }) => a == b,
            (Mode::Confirm { pending: a, .. }, Mode::Confirm { pending: b, .. }) => a == b,
            (Mode::Editor(a), Mode::Editor(b)) => a == b,
            (Mode::Silence(a), Mode::Silence(b)) => a == b,
            (Mode::BulkNote { keys: a, input: x }, Mode::BulkNote { keys: b, input: y }) => a == b && x == y,
            (Mode::Reassign { key: a, input: x }, Mode::Reassign { key: b, input: y }) => a == b && x == y,
            (Mode::Reports, Mode::Reports)
            | (Mode::Slos, Mode::Slos)
            | (Mode::Silences, Mode::Silences)
            | (Mode::History, Mode::History)
            | (Mode::Suppressed, Mode::Suppressed) => true,
            (Mode::Incidents(a), Mode::Incidents(b)) => a == b,
            (Mode::Runbooks(a), Mode::Runbooks(b)) => {
                a.query == b.query && a.open.as_ref().map(|r| &r.name) == b.open.as_ref().map(|r| &r.name)
            }
            _ => false,
        }
    }
}

pub use super::escalation::OnCallStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

/// The console's state: what the panes own, each in its part (`list`, `detail`,
/// `attention`, `escalation`, `logs`, `runbooks`, each with its own update), and what
/// belongs to the whole screen.
pub struct State {
    pub actor: String,
    /// `[identity] email`: schedules that name people by address (Opsgenie, feeds' ATTENDEE).
    pub email: Option<String>,
    pub keymap: Keymap,
    /// "embedded default" and the like, shown in the header.
    pub origin: Option<String>,
    /// The alert list: board, rows, cursor, filter, sort, grouping.
    pub list: AlertList,
    /// Alerts picked for a bulk action, by key ([`super::selection::Selection::in_view_order`]).
    pub selection: super::selection::Selection,
    /// The last bulk action's answers so far (its status line waits for all of them).
    pub tally: Option<super::selection::Tally>,
    /// The detail pane: timelines, note drafts, its scroll.
    pub detail: Detail,
    /// What is new, what is told, what is muted.
    pub attention: Attention,
    /// Who is on call, where pages go, automatic escalation.
    pub escalation: Escalation,
    /// The log pane: its sources are set by the runtime from `[[logs]]`.
    pub logs: super::logs::LogPane,
    /// The runbook library and the pane beside the selected alert.
    pub runbooks: Runbooks,
    pub focus: Pane,
    pub mode: Mode,
    pub health: BTreeMap<String, Health>,
    /// When each source is asked next.
    pub next_poll: HashMap<String, DateTime<Utc>>,
    pub flash: Option<Flash>,
    /// Actions waiting for the store or a source; shown until they are sent.
    pub unsent: usize,
    /// What each source carries out itself, by source name (Zabbix: severity and close).
    pub source_actions: HashMap<String, HashSet<EntryKind>>,
    /// Actions sent to the store and not yet confirmed, by op_id: what to say once stored.
    pub awaiting: HashMap<String, String>,
    /// Your own ack in flight: when it is stored the cursor keeps its row, not the alert.
    pub hold_cursor: Option<String>,
    /// What the last frame measured of the overlays that scroll (help, runbook browser).
    pub scroll: super::scroll::Scrolls,
    /// The focused pane takes the whole body (`Z`).
    pub zoom: bool,
    /// The console's clock: set by the runtime (`Msg::Clock`, `Msg::Tick`), never read here.
    pub now: DateTime<Utc>,
    /// Where the op ids of this console's entries come from, seeded by the runtime.
    pub ids: OpIds,
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// The Reports view's figures.
    pub reports: super::reports::ReportsView,
    /// Every SLO's last figures.
    pub slos: super::slo::SloView,
    /// Declared incidents, folded from the timeline's incident entries.
    pub incidents: super::incidents::Incidents,
    /// Every Alertmanager's silences, from its last poll.
    pub silence_list: super::silence_list::SilencesView,
    /// The history view's rows (`super::history`).
    pub history: super::history::HistoryView,
    /// The header's count of new alerts shown, as of (unseen's version, the rows' version):
    /// counting walks every row, too slow to do in each frame of a 100,000-alert storm.
    unseen_shown: std::cell::Cell<Option<(u64, u64, usize)>>,
}

impl State {
    /// A console at `now` whose entries draw their op ids from `seed` (the runtime's is
    /// random; a test's is fixed, so its effects are known).
    pub fn new(actor: &str, keymap: Keymap, now: DateTime<Utc>, seed: u64) -> Self {
        State {
            actor: actor.to_owned(),
            email: None,
            keymap,
            origin: None,
            list: AlertList::default(),
            selection: Default::default(),
            tally: None,
            detail: Detail::default(),
            attention: Attention::default(),
            escalation: Escalation::default(),
            logs: super::logs::LogPane::new(Vec::new(), 1),
            runbooks: Runbooks::default(),
            focus: Pane::List,
            mode: Mode::Normal,
            health: BTreeMap::new(),
            next_poll: HashMap::new(),
            flash: None,
            unsent: 0,
            source_actions: HashMap::new(),
            awaiting: HashMap::new(),
            hold_cursor: None,
            scroll: Default::default(),
            zoom: false,
            now,
            ids: OpIds::seeded(seed),
            size: (80, 24),
            quit: false,
            dirty: true,
            reports: Default::default(),
            slos: Default::default(),
            incidents: Default::default(),
            silence_list: Default::default(),
            unseen_shown: Default::default(),
            history: Default::default(),
        }
    }

    /// An entry of yours made now: the console's clock and the next op id.
    pub fn new_entry(&mut self, key: AlertKey, kind: EntryKind, text: &str) -> NewEntry {
        NewEntry::stamped(self.ids.next(self.now), self.now, key, kind, &self.actor, text)
    }

    /// Whether the alert's source carries out this kind of action itself.
    pub fn source_does(&self, key: &AlertKey, kind: EntryKind) -> bool {
        self.source_actions.get(key.source()).is_some_and(|kinds| kinds.contains(&kind))
    }

    pub fn layout(&self) -> super::layout::Layout {
        super::layout::layout(self.size.0, self.size.1, self.focus, self.header_rows()).zoomed(self.zoom, self.focus)
    }

    /// The header takes a second line for on-call when there are schedules and room.
    pub fn header_rows(&self) -> u16 {
        if !self.escalation.oncall.is_empty() && self.size.1 >= 8 { 2 } else { 1 }
    }

    /// Whether a schedule's `person` is you: your name or your email, without case.
    pub fn is_me(&self, person: &str) -> bool {
        is_me(&self.actor, self.email.as_deref(), person)
    }

    /// The alert under the cursor, if the cursor is on an alert.
    pub fn selected_item(&self) -> Option<&Item> {
        self.list.selected_item()
    }

    /// The next moment something shown changes by itself, besides the clock's minute: a
    /// shift notice, an automatic escalation, the end of a mute.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let mute = self.attention.muted_until.filter(|t| *t > self.now);
        let due = self.escalation.next_due(&self.list.board, self.now, |p| self.is_me(p));
        mute.into_iter().chain(due).min()
    }

    /// Alerts new since the person last looked, among those the list shows.
    pub fn unseen_shown(&self) -> usize {
        let versions = (self.attention.version, self.list.version);
        match self.unseen_shown.get() {
            Some((a, l, n)) if (a, l) == versions => n,
            // What is unseen is on the board (news comes from it, and what leaves it is
            // forgotten with the snapshot that took it off): when every alert has its row,
            // all of them are shown, without a look at 100,000 rows.
            _ if self.list.shows_all() => self.attention.unseen.len(),
            _ => {
                let n = self.list.shown_of(&self.attention.unseen);
                self.unseen_shown.set(Some((versions.0, versions.1, n)));
                n
            }
        }
    }

    /// Rows of the list on screen.
    pub fn list_rows(&self) -> usize {
        self.layout().list_rows().max(1)
    }

    /// Rebuilds the list (the board changed, or how it is shown) at the rows on screen.
    pub fn rebuild_rows(&mut self) {
        let visible = self.list_rows();
        self.list.rebuild(visible);
        self.dirty = true;
    }

    /// Keeps the list's cursor on screen (after the layout changed).
    pub fn scroll_to_selected(&mut self) {
        let visible = self.list_rows();
        self.list.scroll_to_selected(visible);
    }
}

/// Whether a schedule's `person` is the person with this name or email, without case.
pub fn is_me(actor: &str, email: Option<&str>, person: &str) -> bool {
    person.eq_ignore_ascii_case(actor) || email.is_some_and(|e| person.eq_ignore_ascii_case(e))
}
