//! What the update asks the runtime to do. Results come back as `Msg`s.

use crate::model::{AlertKey, NewEntry};

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write to the store (durable before anything else happens).
    Append(NewEntry),
    LoadTimeline(AlertKey),
    /// Keep a note draft on disk as it is typed, so a crash loses nothing.
    SaveDraft {
        key: AlertKey,
        text: String,
    },
    DeleteDraft(AlertKey),
    /// Read a runbook from a file or a URL (through the offline cache).
    LoadRunbook(crate::runbooks::Reference),
    /// Put text on the clipboard through the terminal (OSC 52).
    Copy(String),
    /// Follow the log lines of this alert in the log pane (and stop following any other).
    FollowLogs(Box<crate::model::Alert>),
    /// The log pane closed: stop following.
    StopLogs,
    /// Tell the person (desktop and terminal notifications, storms collapsed).
    Notify(Vec<crate::model::Notice>),
    /// Run the summary and noise reports over `[since, until)` for the Reports view.
    LoadReports {
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
        page_severity: crate::model::Severity,
    },
    /// Read the alerts resolved since then from the store for the history view.
    LoadHistory {
        since: chrono::DateTime<chrono::Utc>,
    },
    /// Draw with this theme from now on (`:theme light`); the runtime says whether it could.
    SetTheme(String),
}
