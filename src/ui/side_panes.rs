//! The logs pane: its content comes with the log sources; until then it says so.

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
