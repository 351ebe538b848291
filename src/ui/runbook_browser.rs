//! The full-screen runbook browser: search the library, open one, follow its links.

use super::text::{fit, pad};
use crate::app::State;
use crate::app::state::Browser;
use crate::config::theme::Theme;
use crate::runbooks::markdown;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// Returns the measure of the open runbook, if one is open.
pub fn draw(
    frame: &mut Frame,
    size: Rect,
    state: &State,
    theme: &Theme,
    b: &Browser,
) -> Option<crate::app::scroll::Extent> {
    // The whole screen but the status bar, which keeps the hints.
    let area = Rect { height: size.height.saturating_sub(1), ..size };
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(" Runbooks ", theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    if let Some(rb) = &b.open {
        let lines = markdown::document(rb, None, &[], inner.width, theme).lines;
        return Some(super::scrolled(frame, area, block, Paragraph::new(lines), b.scroll, theme));
    }
    let w = usize::from(inner.width);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("search: {}", b.query), theme.style("input")),
            Span::styled("█", theme.style("input.cursor")),
        ]),
        Line::raw(""),
    ];
    let hits = state.runbooks.library.search(&b.query, usize::MAX);
    if hits.is_empty() {
        lines.push(Line::styled(fit("No runbook matches.", w), theme.style("list.resolved")));
    }
    let room = usize::from(inner.height.saturating_sub(2)) / 2;
    let first = b.selected.saturating_sub(room.saturating_sub(1));
    let name_w = hits.iter().map(|h| h.runbook.name.chars().count()).max().unwrap_or(8).min(w / 3);
    for (i, hit) in hits.iter().enumerate().skip(first).take(room.max(1)) {
        let style = if i == b.selected { theme.style("list.selected") } else { theme.style("palette.match") };
        let head = format!("{} {}", pad(&hit.runbook.name, name_w), hit.runbook.title);
        lines.push(Line::styled(pad(&head, w), style));
        let below = hit.snippet.clone().unwrap_or_else(|| hit.runbook.tags.join(", "));
        lines.push(Line::styled(fit(&format!("  {below}"), w), theme.style("list.resolved")));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
    None
}
