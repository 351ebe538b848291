//! Everything that can happen to the console, as data.

use super::Key;
use crate::model::{Alert, AlertKey, Entry, Health, Ownership};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Mouse(Mouse),
    Resize {
        width: u16,
        height: u16,
    },
    /// The time now, and the periodic checks (automatic escalation, shift notices).
    Tick(DateTime<Utc>),
    /// The time now, and nothing else: the runtime sends it before each key, so what the key
    /// records carries the moment it was pressed.
    Clock(DateTime<Utc>),
    /// The first alerts of a source's cached snapshot, in rank order, and how many it has:
    /// the first screen at start, counted true, until the whole cached snapshot comes.
    CachedHead {
        source: String,
        alerts: Vec<Alert>,
        total: usize,
    },
    /// A source's alerts; `fresh` false for the disk cache's copy at start (not news).
    Snapshot {
        source: String,
        alerts: Vec<Alert>,
        fresh: bool,
    },
    /// [`Msg::Snapshot`] ranked already, off the task that answers keys (what the runtime sends).
    Ranked {
        source: String,
        ranked: crate::model::Ranked,
        fresh: bool,
    },
    Health {
        source: String,
        health: Health,
        /// When the source is asked next.
        next: Option<DateTime<Utc>>,
    },
    /// Who owns what, from the store at start.
    Ownership(HashMap<AlertKey, Ownership>),
    Timeline {
        key: AlertKey,
        entries: Vec<Entry>,
    },
    /// Entries written since the last look: by this console or another one.
    Entries(Vec<Entry>),
    /// Note drafts left from an earlier run (or a crash).
    Drafts(HashMap<AlertKey, String>),
    EffectFailed(String),
    /// A notification channel does not work here (no D-Bus over SSH is normal): said once,
    /// beside the key hints, and `klaxon doctor` says why.
    ChannelFailed(String),
    /// What the last frame drew of the long panes, so scrolling stops at their last line.
    Drawn(super::scroll::Drawn),
    /// An action the store did not take (out of space, refused): nothing was recorded.
    AppendFailed {
        op_id: String,
        key: AlertKey,
        error: String,
    },
    /// The runbook library, at start.
    Runbooks(std::sync::Arc<crate::runbooks::Library>),
    /// A runbook the runtime read for a reference (a file or a URL).
    RunbookLoaded {
        reference: crate::runbooks::Reference,
        result: Result<crate::runbooks::Runbook, String>,
    },
    /// A schedule's answer: who is on call at its level, or why it could not say.
    OnCall {
        schedule: String,
        level: i64,
        result: Result<crate::model::OnCall, String>,
    },
    /// A log source's lines (or failure) for the alert the log pane follows.
    Log {
        alert: AlertKey,
        source: String,
        update: super::logs::LogUpdate,
    },
    /// Something worth a line in the status bar (an action confirmed by its source).
    Notice(String),
    /// The Reports view's figures, or why the store could not give them.
    Reports(Result<Box<super::reports::ReportData>, String>),
    /// The resolved alerts for the history view, or why the store could not give them.
    History(Result<Vec<super::history::Resolved>, String>),
    /// The SLOs configured, or why they could not be read.
    Slos(Result<Vec<crate::slo::Slo>, String>),
    /// One SLO's round: its figures or why not.
    Slo(crate::slo::status::Update),
    /// A source's silences after its poll (the silences view), or why they could not be read.
    Silences {
        source: String,
        silences: Result<crate::model::Silences, String>,
    },
    /// Actions not yet where they are going (the team store, a source), after an outbox run.
    Unsent(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    Click { column: u16, row: u16 },
    ScrollUp { column: u16, row: u16 },
    ScrollDown { column: u16, row: u16 },
}
