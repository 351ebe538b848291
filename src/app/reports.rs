//! The Reports view (`T`, or `:reports`): the summary of the last weeks as charts and the
//! noisiest alerts as a ranked list; Enter on one filters the alert list to it. The
//! figures come from the store through an effect; nothing here reads it.

use super::Effect;
use super::key::{Key, KeyCode};
use super::state::{Mode, State};
use crate::report::noise::Noise;
use crate::report::summary::Summary;
use chrono::{DateTime, Duration, Utc};

/// How far back the view looks: four weeks, so the bar chart has four bars.
pub const WEEKS: i64 = 4;

/// What the view shows: the answer when it came, or why there is none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportsView {
    pub loading: bool,
    pub data: Option<Box<ReportData>>,
    pub error: Option<String>,
    /// The noisy alert the cursor is on.
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    pub summary: Summary,
    pub noise: Noise,
}

/// The period the view covers, ending now.
pub fn period(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - Duration::weeks(WEEKS), now)
}

/// Opens the view and asks for fresh figures.
pub fn open(state: &mut State, fx: &mut Vec<Effect>) {
    state.mode = Mode::Reports;
    load(state, fx);
}

fn load(state: &mut State, fx: &mut Vec<Effect>) {
    let (since, until) = period(state.now);
    state.reports.loading = true;
    state.reports.error = None;
    fx.push(Effect::LoadReports { since, until, page_severity: state.attention.notify_min });
}

/// The store's answer.
pub fn loaded(state: &mut State, result: Result<Box<ReportData>, String>) {
    let r = &mut state.reports;
    r.loading = false;
    match result {
        Ok(data) => {
            r.selected = r.selected.min(data.noise.alerts.len().saturating_sub(1));
            r.data = Some(data);
            r.error = None;
        }
        Err(e) => r.error = Some(e),
    }
    state.dirty = true;
}

/// Keys in the view: move through the noisy alerts, Enter filters the list to the one
/// under the cursor (its name and service), `r` reloads, anything else closes.
pub fn key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    let n = state.reports.data.as_ref().map_or(0, |d| d.noise.alerts.len());
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => {
            state.reports.selected = (state.reports.selected + 1).min(n.saturating_sub(1))
        }
        KeyCode::Char('k') | KeyCode::Up => state.reports.selected = state.reports.selected.saturating_sub(1),
        KeyCode::Char('r') => load(state, fx),
        KeyCode::Enter => {
            let noisy = state.reports.data.as_ref().and_then(|d| d.noise.alerts.get(state.reports.selected));
            if let Some(text) = noisy.map(|a| filter_for(&state.list.board, &a.name, a.service.as_deref())) {
                state.list.filter = crate::model::filter::Filter::parse(&text).unwrap_or_default();
                state.rebuild_rows();
            }
            state.mode = Mode::Normal;
        }
        _ => state.mode = Mode::Normal,
    }
}

/// The list filter for one row of the noise report: its name and its service, as the report
/// groups them. The name is the alertname label, else the title: the title when an alert on
/// the board carries it as its title and has no alertname label. No service is `service!~.`
/// (the filter reads a missing service as empty).
pub fn filter_for(board: &crate::model::Board, name: &str, service: Option<&str>) -> String {
    let quote = |v: &str| v.replace('"', "");
    let by_title = board.ranked().iter().any(|i| !i.alert.labels.contains_key("alertname") && i.alert.title == name);
    let field = if by_title { "title" } else { "alertname" };
    let service = match service.filter(|s| !s.is_empty()) {
        Some(s) => format!("service=\"{}\"", quote(s)),
        None => "service!~.".to_owned(),
    };
    format!("{field}=\"{}\" {service}", quote(name))
}
