//! The `?` overlay: every binding of the live keymap, with its description.

use super::overlay::centered;
use super::text::pad;
use crate::app::State;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// Returns the measure of the list of keys, so scrolling stops at its last line.
pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme, scroll: usize) -> crate::app::scroll::Extent {
    let bindings = state.keymap.bindings();
    let key_w = bindings.iter().map(|b| state.keymap.label(b.action).chars().count()).max().unwrap_or(4).min(20);
    let mut lines: Vec<Line> = bindings
        .iter()
        .filter(|b| !b.keys.is_empty())
        .map(|b| {
            Line::from(vec![
                Span::styled(pad(&state.keymap.label(b.action), key_w + 2), theme.style("status.key")),
                Span::raw(b.desc.clone()),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Filter: text, severity>=high source=prod service=~api.* owner=alice",
        theme.style("status.hint"),
    ));
    // The status bar's last row stays visible: it says how to scroll and close.
    let above_status = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let area = centered(above_status, 64, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(" Keys ", theme.style("overlay.title")));
    frame.render_widget(Clear, area);
    super::scrolled(frame, area, block, Paragraph::new(lines), scroll, theme)
}
