//! The logs and runbook panes. Their content comes with the log sources and the runbook
//! library; until then they say what the alert points to and what is missing.

use super::pane;
use crate::app::State;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn logs(frame: &mut Frame, area: Rect, _state: &State, theme: &Theme) {
    let text =
        vec![Line::styled("No log source is configured, so there are no lines to show.", theme.style("list.resolved"))];
    frame.render_widget(Paragraph::new(text).block(pane(" Logs ", true, theme)).wrap(Wrap { trim: false }), area);
}

pub fn runbook(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let text = match state.selected_item().and_then(|i| i.alert.link("runbook")) {
        Some(name) => vec![
            Line::styled(format!("This alert points to the runbook {name:?}."), theme.style("detail.value")),
            Line::styled(
                "The runbook viewer is not built yet: read runbooks/ in the klaxon repository.",
                theme.style("list.resolved"),
            ),
        ],
        None => vec![Line::styled("This alert names no runbook.", theme.style("list.resolved"))],
    };
    frame.render_widget(Paragraph::new(text).block(pane(" Runbook ", true, theme)).wrap(Wrap { trim: false }), area);
}
