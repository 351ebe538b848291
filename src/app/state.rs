//! Everything the screen shows, and nothing the screen does.

use super::editor::Editor;
use crate::config::keymap::Keymap;
use crate::model::filter::Filter;
use crate::model::{AlertKey, Board, Entry, EntryKind, Health, Item, Severity};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Rank,
    Newest,
    Oldest,
    Source,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Rank => Sort::Newest,
            Sort::Newest => Sort::Oldest,
            Sort::Oldest => Sort::Source,
            Sort::Source => Sort::Rank,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Rank => "rank",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Source => "source",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    None,
    Alertname,
    Service,
    Source,
}

impl Group {
    pub fn next(self) -> Group {
        match self {
            Group::None => Group::Alertname,
            Group::Alertname => Group::Service,
            Group::Service => Group::Source,
            Group::Source => Group::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::None => "none",
            Group::Alertname => "alertname",
            Group::Service => "service",
            Group::Source => "source",
        }
    }

    pub fn of(self, item: &Item) -> String {
        let a = &item.alert;
        match self {
            Group::None => String::new(),
            Group::Alertname => a.labels.get("alertname").cloned().unwrap_or_else(|| a.title.clone()),
            Group::Service => a.service.clone().unwrap_or_else(|| "(no service)".into()),
            Group::Source => a.source().to_owned(),
        }
    }
}

/// One line of the alert list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Index into `board.ranked()`.
    Alert(usize),
    Group {
        name: String,
        count: usize,
        worst: Severity,
        collapsed: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Alert(AlertKey),
    Group(String),
}

/// An action waiting for a yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Escalate { key: AlertKey, level: i64 },
    Unack { key: AlertKey },
    SetSeverity { key: AlertKey, severity: Severity },
    Close { key: AlertKey },
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
    Runbooks(Box<Browser>),
    /// The Reports view: trends and the noisiest alerts (`super::reports`).
    Reports,
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
            (Mode::Reports, Mode::Reports) => true,
            (Mode::Runbooks(a), Mode::Runbooks(b)) => {
                a.query == b.query && a.open.as_ref().map(|r| &r.name) == b.open.as_ref().map(|r| &r.name)
            }
            _ => false,
        }
    }
}

/// One schedule as the header shows it: its last answer, and why the latest ask failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallStatus {
    pub schedule: String,
    pub level: i64,
    pub last: Option<crate::model::OnCall>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
}

pub struct State {
    pub actor: String,
    /// `[identity] email`: schedules that name people by address (Opsgenie, feeds' ATTENDEE).
    pub email: Option<String>,
    pub keymap: Keymap,
    /// "embedded default" and the like, shown in the header.
    pub origin: Option<String>,
    pub board: Board,
    pub rows: Vec<Row>,
    pub selected: usize,
    /// What the cursor is on, by identity: rows hold board indices, which change whenever
    /// the board re-ranks, so the cursor follows this instead.
    pub cursor: Option<Cursor>,
    /// First row on screen: the list draws only what fits from here.
    pub offset: usize,
    pub focus: Pane,
    pub mode: Mode,
    pub filter: Filter,
    pub sort: Sort,
    pub group: Group,
    pub collapsed: HashSet<String>,
    pub health: BTreeMap<String, Health>,
    /// When each source is asked next.
    pub next_poll: HashMap<String, DateTime<Utc>>,
    pub timelines: HashMap<AlertKey, Vec<Entry>>,
    pub drafts: HashMap<AlertKey, String>,
    pub runbooks: std::sync::Arc<crate::runbooks::Library>,
    pub runbook: Option<RunbookPane>,
    /// The log pane: its sources are set by the runtime from `[[logs]]`.
    pub logs: super::logs::LogPane,
    /// `y` may copy code blocks (OSC 52): off unless the config allows it.
    pub copy_code: bool,
    /// What each source reported last, to tell what is news.
    pub watcher: crate::model::Watcher,
    /// Alerts new (or risen) since the person last looked: marked in the list.
    pub unseen: HashSet<AlertKey>,
    pub notify_min: Severity,
    pub muted_until: Option<DateTime<Utc>>,
    pub flash: Option<Flash>,
    /// Actions waiting for the store or a source; shown until they are sent.
    pub unsent: usize,
    /// What each source carries out itself, by source name (Zabbix: severity and close).
    pub source_actions: HashMap<String, HashSet<EntryKind>>,
    /// Each schedule, by level then name: who is on call, until when, who is next.
    pub oncall: Vec<OnCallStatus>,
    /// How long before your own shift starts you are told.
    pub shift_notice: chrono::Duration,
    /// Shifts of yours already announced, as (schedule, start).
    pub shifts_noticed: HashSet<(String, DateTime<Utc>)>,
    /// `[escalation] auto_after`: unacknowledged High/Disaster alerts go up a level after it.
    pub auto_escalate: Option<chrono::Duration>,
    /// Automatic escalations asked for (op_ids), so a tick does not ask twice.
    pub auto_requested: HashSet<String>,
    /// Escalation levels from the store have arrived: until then nothing escalates on its own.
    pub ownership_loaded: bool,
    /// What takes escalation pages (the webhook, Grafana OnCall schedules): none means an
    /// escalation is recorded and says that nobody was paged.
    pub pagers: Vec<crate::escalation::Pager>,
    /// Actions sent to the store and not yet confirmed, by op_id: what to say once stored.
    pub awaiting: HashMap<String, String>,
    /// Your own ack in flight: when it is stored the cursor keeps its row, not the alert.
    pub hold_cursor: Option<String>,
    /// Where the long panes are scrolled to, and what the last frame measured of them.
    pub scroll: super::scroll::Scrolls,
    /// The focused pane takes the whole body (`Z`).
    pub zoom: bool,
    /// Said once, beside the key hints: a notification channel that does not work here.
    pub notice: Option<String>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// The Reports view's figures.
    pub reports: super::reports::ReportsView,
}

impl State {
    /// Whether the alert's source carries out this kind of action itself.
    pub fn source_does(&self, key: &AlertKey, kind: EntryKind) -> bool {
        self.source_actions.get(key.source()).is_some_and(|kinds| kinds.contains(&kind))
    }

    pub fn new(actor: &str, keymap: Keymap, now: DateTime<Utc>) -> Self {
        State {
            actor: actor.to_owned(),
            email: None,
            keymap,
            origin: None,
            board: Board::default(),
            rows: Vec::new(),
            selected: 0,
            cursor: None,
            offset: 0,
            focus: Pane::List,
            mode: Mode::Normal,
            filter: Filter::default(),
            sort: Sort::Rank,
            group: Group::None,
            collapsed: HashSet::new(),
            health: BTreeMap::new(),
            next_poll: HashMap::new(),
            timelines: HashMap::new(),
            drafts: HashMap::new(),
            runbooks: Default::default(),
            runbook: None,
            logs: super::logs::LogPane::new(Vec::new(), 1),
            copy_code: false,
            watcher: Default::default(),
            unseen: HashSet::new(),
            notify_min: Severity::High,
            muted_until: None,
            flash: None,
            unsent: 0,
            source_actions: HashMap::new(),
            oncall: Vec::new(),
            shift_notice: chrono::Duration::minutes(15),
            shifts_noticed: HashSet::new(),
            auto_escalate: None,
            auto_requested: HashSet::new(),
            ownership_loaded: false,
            pagers: Vec::new(),
            awaiting: HashMap::new(),
            hold_cursor: None,
            scroll: Default::default(),
            zoom: false,
            notice: None,
            now,
            size: (80, 24),
            quit: false,
            dirty: true,
            reports: Default::default(),
        }
    }

    pub fn layout(&self) -> super::layout::Layout {
        super::layout::layout(self.size.0, self.size.1, self.focus, self.header_rows()).zoomed(self.zoom, self.focus)
    }

    /// Whether a schedule's `person` is you: your name or your email, without case.
    pub fn is_me(&self, person: &str) -> bool {
        person.eq_ignore_ascii_case(&self.actor)
            || self.email.as_deref().is_some_and(|e| person.eq_ignore_ascii_case(e))
    }

    /// The highest escalation level a schedule answers for (1 when there are none).
    pub fn top_level(&self) -> i64 {
        self.oncall.iter().map(|o| o.level).max().unwrap_or(1).max(1)
    }

    /// The entry text for escalating to `level`: who is on call there now.
    pub fn escalation_text(&self, level: i64, note: &str) -> String {
        use crate::escalation::{entry_text, paged, pagers_for};
        let answers: Vec<&crate::model::OnCall> = self.oncall.iter().filter_map(|o| o.last.as_ref()).collect();
        // No schedules: nobody to name.
        let who = (!self.oncall.is_empty()).then(|| paged(&answers, level));
        entry_text(who.as_deref(), &pagers_for(&self.pagers, level), level, note)
    }

    /// The header takes a second line for on-call when there are schedules and room.
    pub fn header_rows(&self) -> u16 {
        if !self.oncall.is_empty() && self.size.1 >= 8 { 2 } else { 1 }
    }

    /// The alert under the cursor, if the cursor is on an alert.
    pub fn selected_item(&self) -> Option<&Item> {
        match self.rows.get(self.selected)? {
            Row::Alert(i) => self.board.ranked().get(*i),
            Row::Group { .. } => None,
        }
    }

    /// Alerts new since the person last looked, among those the list shows.
    pub fn unseen_shown(&self) -> usize {
        if self.unseen.is_empty() {
            return 0;
        }
        let ranked = self.board.ranked();
        self.rows.iter().filter(|r| matches!(r, Row::Alert(i) if self.unseen.contains(&ranked[*i].alert.key))).count()
    }

    /// How many alerts the filter lets through (collapsed groups count).
    pub fn shown_count(&self) -> usize {
        self.rows
            .iter()
            .map(|r| match r {
                Row::Alert(_) => 1,
                Row::Group { count, collapsed: true, .. } => *count,
                Row::Group { .. } => 0,
            })
            .sum()
    }

    /// Rebuilds the list from the board: filter, sort, group. Keeps the cursor on the same
    /// alert (or group) when it is still there.
    pub fn rebuild_rows(&mut self) {
        let ranked = self.board.ranked();
        let mut shown: Vec<usize> = (0..ranked.len()).filter(|i| self.filter.matches(&ranked[*i])).collect();
        match self.sort {
            Sort::Rank => {}
            Sort::Newest => shown.sort_by_key(|i| std::cmp::Reverse(ranked[*i].alert.started_at)),
            Sort::Oldest => shown.sort_by_key(|i| ranked[*i].alert.started_at),
            Sort::Source => shown.sort_by(|a, b| ranked[*a].alert.source().cmp(ranked[*b].alert.source())),
        }
        self.rows = if self.group == Group::None {
            shown.into_iter().map(Row::Alert).collect()
        } else {
            // Groups in the order of their first (best ranked) member.
            let mut order: Vec<String> = Vec::new();
            let mut members: HashMap<String, Vec<usize>> = HashMap::new();
            for i in shown {
                let list = match members.entry(self.group.of(&ranked[i])) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        order.push(e.key().clone());
                        e.insert(Vec::new())
                    }
                };
                list.push(i);
            }
            let mut rows = Vec::new();
            for name in order {
                let list = &members[&name];
                let worst = list.iter().map(|i| ranked[*i].alert.severity).max().unwrap_or(Severity::Information);
                let collapsed = self.collapsed.contains(&name);
                rows.push(Row::Group { name: name.clone(), count: list.len(), worst, collapsed });
                if !collapsed {
                    rows.extend(list.iter().map(|i| Row::Alert(*i)));
                }
            }
            rows
        };
        let found = self.cursor.as_ref().and_then(|c| {
            self.rows.iter().position(|r| match (r, c) {
                (Row::Alert(i), Cursor::Alert(key)) => &self.board.ranked()[*i].alert.key == key,
                (Row::Group { name, .. }, Cursor::Group(n)) => name == n,
                _ => false,
            })
        });
        self.selected = found.unwrap_or(self.selected).min(self.rows.len().saturating_sub(1));
        self.remember_cursor();
        self.scroll_to_selected();
        self.dirty = true;
    }

    /// Records what is under the cursor now; call after moving it.
    pub fn remember_cursor(&mut self) {
        self.cursor = match self.rows.get(self.selected) {
            Some(Row::Alert(i)) => self.board.ranked().get(*i).map(|it| Cursor::Alert(it.alert.key.clone())),
            Some(Row::Group { name, .. }) => Some(Cursor::Group(name.clone())),
            None => None,
        };
    }

    /// Moves `offset` the least needed to keep the cursor on screen.
    pub fn scroll_to_selected(&mut self) {
        let visible = self.layout().list_rows().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + visible {
            self.offset = self.selected + 1 - visible;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(visible));
    }
}
