//! The bottom line: what just happened, or the keys that matter now, from the live keymap.

use super::text::{fit, pad, width};
use crate::app::state::Mode;
use crate::app::{Action, State};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The actions the status bar offers, most useful first; what does not fit is left out.
const HINTS: &[Action] = &[
    Action::Ack,
    Action::Note,
    Action::Escalate,
    Action::Filter,
    Action::Open,
    Action::Group,
    Action::Palette,
    Action::Help,
    Action::Quit,
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = usize::from(area.width);
    let counts = format!(" {}/{} ", state.shown_count(), state.board.len());
    let unsent = if state.unsent > 0 { format!(" {} unsent ", state.unsent) } else { String::new() };
    let room = w.saturating_sub(counts.len() + unsent.len());
    let left: Line = match &state.mode {
        Mode::Filter { input, error, .. } => {
            let mut spans = vec![
                Span::styled(format!("/{input}"), theme.style("input")),
                Span::styled("█", theme.style("input.cursor")),
            ];
            if let Some(e) = error {
                spans.push(Span::styled(format!("  {e}"), theme.style("status.error")));
            } else {
                spans.push(Span::styled("  enter keeps · esc cancels", theme.style("status.hint")));
            }
            Line::from(spans)
        }
        Mode::Editor(_) => Line::styled("ctrl-s saves · esc closes (the draft is kept)", theme.style("status.hint")),
        Mode::Confirm { .. } => Line::styled("y yes · n no", theme.style("status.hint")),
        Mode::Palette { .. } => Line::styled("type to search · enter runs · esc closes", theme.style("status.hint")),
        Mode::Help { .. } => Line::styled("j/k scroll · any other key closes help", theme.style("status.hint")),
        Mode::Sources { .. } => Line::styled("j/k scroll · any other key closes", theme.style("status.hint")),
        Mode::Runbooks(b) if b.open.is_some() && state.flash.is_none() => Line::styled(
            "j/k scroll · 1-9 follow a link · y copy code · esc back · q close",
            theme.style("status.hint"),
        ),
        Mode::Runbooks(_) if state.flash.is_none() => {
            Line::styled("type to search · ↑/↓ choose · enter opens · esc closes", theme.style("status.hint"))
        }
        Mode::Runbooks(_) => flash_line(state, theme),
        Mode::Normal if state.flash.is_some() => flash_line(state, theme),
        Mode::Normal => hints(state, theme, room),
    };
    let mut line = left;
    let used = line.width();
    if used > room {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        line = Line::styled(fit(&text, room), theme.style("status"));
    } else {
        line.push_span(Span::raw(pad("", room - used)));
    }
    line.push_span(Span::styled(unsent, theme.style("status.error")));
    line.push_span(Span::styled(counts, theme.style("status")));
    frame.render_widget(Paragraph::new(line).style(theme.style("status")), area);
}

fn flash_line<'a>(state: &State, theme: &Theme) -> Line<'a> {
    match &state.flash {
        Some(f) => {
            Line::styled(format!(" {}", f.text), theme.style(if f.error { "status.error" } else { "status.info" }))
        }
        None => Line::raw(""),
    }
}

fn hints<'a>(state: &State, theme: &Theme, room: usize) -> Line<'a> {
    let mut spans = Vec::new();
    let mut used = 0;
    for action in HINTS {
        let keys = state.keymap.label(*action);
        if keys.is_empty() {
            continue;
        }
        let word = action.name().replace("-note", "");
        let cost = width(&keys) + width(&word) + 3;
        if used + cost > room {
            break;
        }
        spans.push(Span::styled(format!(" {keys}"), theme.style("status.key")));
        spans.push(Span::styled(format!(" {word} "), theme.style("status.hint")));
        used += cost;
    }
    Line::from(spans)
}
