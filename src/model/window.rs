//! A metric's values over a threshold check's window, carried on its alert so the detail
//! pane can draw them with the thresholds. It travels as one annotation (JSON), so every
//! store, cache and `klaxon list --format json` keeps it without a new column.

use serde::{Deserialize, Serialize};

/// The annotation that holds a [`Window`].
pub const WINDOW_ANNOTATION: &str = "window";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Oldest first, one per step; None is a gap (no value for that step).
    pub values: Vec<Option<f64>>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// The thresholds are crossed going up (else going down).
    pub above: bool,
}

impl Window {
    /// The window an alert carries, if it carries one that reads.
    pub fn of(alert: &super::Alert) -> Option<Window> {
        serde_json::from_str(alert.annotations.get(WINDOW_ANNOTATION)?).ok()
    }

    /// The annotation's text.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A value as people read it: no trailing zeros, at most 3 decimals.
    pub fn number(v: f64) -> String {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    }

    /// Whether `value` is past `threshold` in this window's direction.
    pub fn breaches(&self, value: f64, threshold: f64) -> bool {
        if self.above { value > threshold } else { value < threshold }
    }
}
