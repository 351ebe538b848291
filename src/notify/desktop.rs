//! Desktop notifications over D-Bus (org.freedesktop.Notifications), urgency by severity.

use super::Message;
use crate::model::Severity;
use notify_rust::{Notification, Urgency};

pub fn urgency(s: Severity) -> Urgency {
    match s {
        Severity::Disaster | Severity::High => Urgency::Critical,
        Severity::Average | Severity::Warning => Urgency::Normal,
        Severity::Information => Urgency::Low,
    }
}

/// Blocking: call from a blocking thread. With no notification server (no D-Bus, over SSH)
/// this is an error the caller reports once.
pub fn send(m: &Message) -> Result<(), String> {
    Notification::new()
        .appname("klaxon")
        .summary(&crate::sanitize::sanitize_line(&m.title))
        .body(&crate::sanitize::sanitize(&m.body))
        .urgency(urgency(m.severity))
        .show()
        .map(|_| ())
        .map_err(|e| crate::sanitize::sanitize_line(&e.to_string()))
}
