//! The runbook beside the selected alert: which one and why, rendered, scrollable.

use super::{pane, scrolled};
use crate::app::State;
use crate::app::scroll::Extent;
use crate::config::theme::Theme;
use crate::runbooks::markdown;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

/// Returns the measure of what it shows, so scrolling stops at its last line.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Extent {
    let block = pane(" Runbook ", true, theme);
    let width = block.inner(area).width;
    let quiet = |s: &str| markdown::wrap_text(&[(s, theme.style("list.resolved"))], usize::from(width));
    let (lines, scroll) = match &state.runbooks.pane {
        None => (quiet("Select an alert to see its runbook."), 0),
        Some(p) => {
            let note = p.resolution.note.as_deref();
            let lines = match (p.shown(), &p.loaded, &p.resolution.external) {
                (Some(rb), ..) => markdown::document(rb, note, &p.resolution.others, width, theme).lines,
                (None, loaded, external) => {
                    let mut lines = note.map_or_else(Vec::new, |n| {
                        markdown::wrap_text(&[(n, theme.style("status.error"))], usize::from(width))
                    });
                    lines.extend(match (loaded, external) {
                        (Some(Err(e)), _) => {
                            markdown::wrap_text(&[(e, theme.style("status.error"))], usize::from(width))
                        }
                        (None, Some(reference)) => quiet(&format!("reading {reference:?}…")),
                        _ => quiet("No runbook fits this alert: R browses and searches them all."),
                    });
                    lines
                }
            };
            (lines, p.scroll)
        }
    };
    // The body is wrapped to the width already; this wraps only long header lines.
    scrolled(frame, area, block, Paragraph::new(lines), scroll, theme)
}
