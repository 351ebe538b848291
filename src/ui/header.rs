//! The top line: klaxon, each source's health, the time.

use super::text::fit;
use crate::app::State;
use crate::config::theme::Theme;
use crate::model::Health;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = vec![Span::styled(" klaxon ", theme.style("header.title"))];
    for (source, health) in &state.health {
        let (mark, word, style) = match health {
            Health::Ok { .. } => ("●", String::new(), "health.ok"),
            Health::Pending => ("○", " pending".to_string(), "health.stale"),
            Health::Stale { since } => ("◐", format!(" stale since {}", since.format("%H:%M")), "health.stale"),
            Health::Failing { .. } => ("✖", " failing".to_string(), "health.failing"),
        };
        spans.push(Span::styled(format!("  {source} "), theme.style("header")));
        spans.push(Span::styled(format!("{mark}{word}"), theme.style(style)));
    }
    if !state.unseen.is_empty() {
        spans.push(Span::styled(format!("  {} new", state.unseen.len()), theme.style("list.new")));
    }
    if let Some(until) = state.muted_until.filter(|t| *t > state.now) {
        spans.push(Span::styled(format!("  muted until {}", until.format("%H:%M")), theme.style("health.stale")));
    }
    if let Some(origin) = &state.origin {
        spans.push(Span::styled(format!("  ({origin})"), theme.style("header")));
    }
    let clock = state.now.format(" %H:%M UTC ").to_string();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = usize::from(area.width).saturating_sub(clock.len());
    let mut line = if used > room {
        // Too narrow: keep the start, then the clock.
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        Line::from(Span::styled(fit(&text, room), theme.style("header")))
    } else {
        let mut l = Line::from(spans);
        l.push_span(Span::styled(" ".repeat(room - used), theme.style("header")));
        l
    };
    line.push_span(Span::styled(clock, theme.style("header")));
    frame.render_widget(Paragraph::new(line).style(theme.style("header")), area);
}
