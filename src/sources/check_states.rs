//! What the Nagios family (Nagios Core, Icinga 1, Naemon, Icinga 2) has in common: host and
//! service states, their names and the klaxon severity each problem state takes (both kinds
//! share the table, so `severities = { critical = "disaster" }` means the same wherever it
//! is written), how a problem stands (downtime, acknowledgement), its links, and the
//! comments klaxon leaves on it.

use crate::model::{Link, MirrorDone, MirrorOp, PriorUpdate, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `severities = { … }`: the klaxon severity of each problem state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StateSeverities {
    /// A host that is DOWN.
    pub down: Severity,
    /// A host that cannot be reached because a parent is down.
    pub unreachable: Severity,
    pub critical: Severity,
    pub warning: Severity,
    pub unknown: Severity,
}

impl Default for StateSeverities {
    fn default() -> Self {
        StateSeverities {
            down: Severity::High,
            unreachable: Severity::Average,
            critical: Severity::High,
            warning: Severity::Warning,
            unknown: Severity::Average,
        }
    }
}

/// A problem state, as both families number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Up,
    Down,
    Unreachable,
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl State {
    /// A service's plugin state: 0 OK, 1 WARNING, 2 CRITICAL, anything else UNKNOWN.
    pub fn service(n: i64) -> State {
        match n {
            0 => State::Ok,
            1 => State::Warning,
            2 => State::Critical,
            _ => State::Unknown,
        }
    }

    /// A host's state: 0 UP, 1 DOWN, 2 UNREACHABLE (Nagios); Icinga 2 has UP and DOWN
    /// only and says separately whether the host was reachable.
    pub fn host(n: i64, reachable: bool) -> State {
        match n {
            0 => State::Up,
            1 if reachable => State::Down,
            _ => State::Unreachable,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Up => "UP",
            State::Down => "DOWN",
            State::Unreachable => "UNREACHABLE",
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    pub fn is_problem(self) -> bool {
        !matches!(self, State::Up | State::Ok)
    }
}

/// An object's id in an alert key: `host`, or `host!service` (Icinga 2's own name for a
/// service; neither family allows `!` in a name by default).
pub fn object_id(host: &str, service: Option<&str>) -> String {
    match service {
        Some(s) if !s.is_empty() => format!("{host}!{s}"),
        _ => host.to_owned(),
    }
}

/// The host and, for a service, the service of an [`object_id`].
pub fn split_object(id: &str) -> (&str, Option<&str>) {
    match id.split_once('!') {
        Some((host, service)) => (host, Some(service)),
        None => (id, None),
    }
}

impl StateSeverities {
    /// The severity of a problem in `state` (an UP or OK object has none: Information).
    pub fn of(&self, state: State) -> Severity {
        match state {
            State::Down => self.down,
            State::Unreachable => self.unreachable,
            State::Critical => self.critical,
            State::Warning => self.warning,
            State::Unknown => self.unknown,
            State::Up | State::Ok => Severity::Information,
        }
    }
}

/// An alert's title: `db1: Disk /var CRITICAL` for a service (the list has no host column,
/// and a service name alone repeats on every host), `db1 DOWN` for a host.
pub fn title(host: &str, service: Option<&str>, state: State) -> String {
    match service {
        Some(s) => format!("{host}: {s} {}", state.name()),
        None => format!("{host} {}", state.name()),
    }
}

/// A downtime in force: when it ends, who set it, why.
pub struct Downtime<'a> {
    pub until: Option<DateTime<Utc>>,
    pub author: &'a str,
    pub comment: &'a str,
}

/// How a problem stands: in downtime (suppressed, saying whose and until when, when the
/// downtime is known), else acknowledged, else firing.
pub fn standing(in_downtime: bool, acknowledged: bool, downtime: Option<Downtime<'_>>) -> (Status, Option<String>) {
    if in_downtime {
        let why = match downtime {
            Some(d) => {
                let until = d.until.map(|t| format!(" until {}", t.format("%F %H:%M UTC"))).unwrap_or_default();
                format!("in downtime{until} by {}: {}", d.author, d.comment)
            }
            None => "in downtime".to_string(),
        };
        (Status::Suppressed, Some(why))
    } else if acknowledged {
        (Status::Acknowledged, None)
    } else {
        (Status::Firing, None)
    }
}

/// An object's links: `notes_url` is where both families' web UIs link its documentation
/// (its runbook), `action_url` an action.
pub fn links(notes_url: &str, action_url: &str) -> Vec<Link> {
    [("runbook", notes_url), ("action", action_url)]
        .into_iter()
        .filter(|(_, url)| !url.trim().is_empty())
        .map(|(kind, url)| Link { kind: kind.into(), url: url.trim().to_owned() })
        .collect()
}

/// The comment klaxon leaves for an action: the person's words, what was done, and the op
/// mark a retry looks for.
pub fn comment(text: &str, what: &str, mark: &str) -> String {
    let body = match (text.is_empty(), what.is_empty()) {
        (true, _) => what.to_owned(),
        (false, true) => text.to_owned(),
        (false, false) => format!("{text} — {what}"),
    };
    format!("{body} (via klaxon) {mark}")
}

/// An action done, confirmed by the comment (its id) that carries its mark.
pub fn done(op: &MirrorOp, comment: String, how: &str) -> MirrorDone {
    MirrorDone {
        summary: format!("{} {how} (comment {comment})", op.kind),
        remote_id: Some(comment),
        prior: PriorUpdate::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_numbered_as_nagios_numbers_them() {
        assert_eq!(State::service(2), State::Critical);
        assert_eq!(State::service(7), State::Unknown);
        assert_eq!(State::host(1, true), State::Down);
        assert_eq!(State::host(1, false), State::Unreachable);
        assert_eq!(State::host(2, true), State::Unreachable);
        assert!(!State::host(0, false).is_problem());
    }

    #[test]
    fn comments_say_what_was_done_and_carry_the_mark() {
        assert_eq!(comment("on it", "acknowledged", "[m]"), "on it — acknowledged (via klaxon) [m]");
        assert_eq!(comment("", "acknowledged", "[m]"), "acknowledged (via klaxon) [m]");
        assert_eq!(comment("a note", "", "[m]"), "a note (via klaxon) [m]");
    }

    #[test]
    fn default_severities_rank_down_and_critical_highest() {
        let s = StateSeverities::default();
        assert_eq!(s.of(State::Down), Severity::High);
        assert_eq!(s.of(State::Warning), Severity::Warning);
        assert_eq!(s.of(State::Unknown), Severity::Average);
    }
}
