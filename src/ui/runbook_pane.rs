//! The runbook beside the selected alert: which one and why, rendered, scrollable.

use super::{pane, scrolled};
use crate::app::State;
use crate::app::scroll::Extent;
use crate::config::theme::Theme;
use crate::runbooks::{Runbook, markdown};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Returns the measure of what it shows, so scrolling stops at its last line.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Extent {
    let block = pane(" Runbook ", true, theme);
    let width = block.inner(area).width;
    let quiet = |s: &str| Line::styled(s.to_owned(), theme.style("list.resolved"));
    let (lines, scroll) = match &state.runbook {
        None => (vec![quiet("Select an alert to see its runbook.")], 0),
        Some(p) => {
            let mut lines = Vec::new();
            if let Some(note) = &p.resolution.note {
                lines.push(Line::styled(note.clone(), theme.style("status.error")));
            }
            match (p.shown(), &p.loaded, &p.resolution.external) {
                (Some(rb), ..) => lines.extend(document(rb, &p.resolution.others, width, theme)),
                (None, Some(Err(e)), _) => lines.push(Line::styled(e.clone(), theme.style("status.error"))),
                (None, None, Some(reference)) => lines.push(quiet(&format!("reading {reference:?}…"))),
                (None, ..) => lines.push(quiet("No runbook fits this alert: R browses and searches them all.")),
            }
            (lines, p.scroll)
        }
    };
    // The body is wrapped to the width already; this wraps only long header lines.
    scrolled(frame, area, block, Paragraph::new(lines), scroll, theme)
}

/// A runbook as the pane and the browser show it: its name and where it comes from, other
/// candidates, the rendered body (whose own heading is the title), then its links, numbered.
pub fn document<'a>(rb: &Runbook, others: &[String], width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let rendered = markdown::render(&rb.body, width, theme);
    let origin = rb.origin.describe();
    // A remote runbook is named by its URL, which the origin already says.
    let mut lines = vec![if origin.starts_with(&rb.name) {
        Line::styled(origin, theme.style("list.resolved"))
    } else {
        Line::from(vec![
            Span::styled(rb.name.clone(), theme.style("detail.value")),
            Span::styled(format!(" · {origin}"), theme.style("list.resolved")),
        ])
    }];
    if !others.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("also fits: ", theme.style("detail.label")),
            Span::styled(others.join(", "), theme.style("detail.value")),
        ]));
    }
    lines.push(Line::raw(""));
    lines.extend(rendered.lines);
    if !rendered.links.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Links", theme.style("detail.label")));
        for (i, (text, url)) in rendered.links.iter().enumerate() {
            lines.push(Line::from(vec![
                Span::styled(format!("[{}] ", i + 1), theme.style("status.key")),
                Span::raw(format!("{text}: ")),
                Span::styled(url.clone(), theme.style("markdown.link")),
            ]));
        }
    }
    lines
}
