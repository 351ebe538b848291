//! What a key can be bound to: the console's intents, by name, each with a default
//! description the help overlay and the status bar show.

use std::fmt;
use std::str::FromStr;

macro_rules! actions {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in keymaps and the command palette.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc),* }
            }
        }
    };
}

actions! {
    MoveDown => "move-down", "Move down";
    MoveUp => "move-up", "Move up";
    PageDown => "page-down", "Page down";
    PageUp => "page-up", "Page up";
    Top => "top", "Go to the top";
    Bottom => "bottom", "Go to the bottom";
    Open => "open", "Open detail / toggle group";
    NextPane => "next-pane", "Focus the next pane";
    PrevPane => "prev-pane", "Focus the previous pane";
    Zoom => "zoom", "Zoom: the focused pane full screen (again: back)";
    Ack => "ack", "Acknowledge";
    AckWithNote => "ack-note", "Acknowledge with a note";
    Unack => "unack", "Unacknowledge";
    Note => "note", "Add a note";
    Escalate => "escalate", "Escalate";
    RaiseSeverity => "raise-severity", "Raise the severity at the source (Zabbix)";
    LowerSeverity => "lower-severity", "Lower the severity at the source (Zabbix)";
    Close => "close", "Close at the source (Zabbix)";
    Reassign => "reassign", "Reassign at the source to someone (PagerDuty)";
    Silence => "silence", "Silence alerts like this one (Alertmanager)";
    Select => "select", "Select for a bulk action (again: unselect)";
    SelectVisible => "select-visible", "Select every visible alert (a, n, e act on them all)";
    Runbook => "runbook", "Show the runbook";
    BrowseRunbooks => "browse-runbooks", "Browse and search runbooks";
    CopyCode => "copy-code", "Copy a runbook code block (OSC 52)";
    Logs => "logs", "Show the logs";
    LogFollow => "log-follow", "Logs: follow new lines (again: pause)";
    LogLevel => "log-level", "Logs: this level and above (cycles)";
    LogCorrelate => "log-correlate", "Logs: lines sharing this request/trace id";
    LogNextMatch => "log-next-match", "Logs: next line matching the search";
    LogWrap => "log-wrap", "Logs: wrap long lines (again: cut them)";
    LogPin => "log-pin", "Logs: pin this line to the alert's open incident";
    ScrollLeft => "scroll-left", "Logs: scroll long lines left";
    ScrollRight => "scroll-right", "Logs: scroll long lines right";
    Filter => "filter", "Filter";
    ClearFilter => "clear-filter", "Clear the filter";
    Sort => "sort", "Change the sort order";
    Group => "group", "Group by alertname, service, source";
    Mute => "mute", "Mute notifications for 30 minutes (again: unmute)";
    MarkSeen => "mark-seen", "Mark every alert as seen";
    Sources => "sources", "Sources: health, last error, next try";
    Reports => "reports", "Reports: pages per week, MTTA/MTTR trend, noisiest alerts";
    Slos => "slos", "SLOs: error budget left and burn rates, worst first";
    Suppressed => "suppressed", "Show the alerts hidden as silenced or inhibited (again: hide)";
    Silences => "silences", "Silences: who, until when, why, matched (x expire, e extend, / filter)";
    History => "history", "History: resolved alerts from the store (/ filter, enter timeline)";
    AlertSlo => "alert-slo", "Show the SLO this alert is about";
    Declare => "declare-incident", "Declare an incident from this alert, group or selection";
    Incidents => "incidents", "Incidents: open and recent, timeline, status, roles, updates";
    Palette => "palette", "Command palette";
    Help => "help", "Help";
    Quit => "quit", "Quit";
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL.iter().copied().find(|a| a.name() == s).ok_or_else(|| {
            let names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
            format!("unknown action {s:?}; actions are: {}", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for a in Action::ALL {
            assert_eq!(a.name().parse::<Action>(), Ok(*a));
        }
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        assert!("ackk".parse::<Action>().unwrap_err().contains("ack-note"));
    }
}
