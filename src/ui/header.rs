//! The top lines: klaxon, each source's health, the time; under them, when schedules are
//! configured, who is on call per level, until when, and who is next (you stand out).

use super::text::fit;
use crate::app::State;
use crate::config::theme::Theme;
use crate::model::Health;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let top = Rect { height: area.height.min(1), ..area };
    title_line(frame, top, state, theme);
    if area.height >= 2 {
        let row = Rect { y: area.y + 1, height: 1, ..area };
        oncall_line(frame, row, state, theme);
    }
}

fn title_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut spans = vec![Span::styled(" klaxon ", theme.style("header.title"))];
    // Open incidents first: they are what a narrow screen must still say.
    for inc in crate::app::incidents::header(state, area.width < 60) {
        spans.push(Span::styled(format!(" {inc}"), theme.style("health.failing")));
    }
    for (source, health) in &state.health {
        let (mark, word, style) = match health {
            Health::Ok { .. } => ("●", String::new(), "health.ok"),
            Health::Pending => ("○", " pending".to_string(), "health.stale"),
            Health::Stale { since } => ("◐", format!(" stale since {}", since.format("%H:%M")), "health.stale"),
            Health::Failing { since, .. } => {
                ("✖", format!(" failing since {}", since.format("%H:%M")), "health.failing")
            }
        };
        spans.push(Span::styled(format!("  {source} "), theme.style("header")));
        spans.push(Span::styled(format!("{mark}{word}"), theme.style(style)));
    }
    let new = state.unseen_shown();
    if new > 0 {
        spans.push(Span::styled(format!("  {new} new"), theme.style("list.new")));
    }
    let (silenced, inhibited) = state.silence_list.hidden_counts();
    if silenced + inhibited > 0 {
        let text = format!("  {} hidden: {silenced} silenced, {inhibited} inhibited (h)", silenced + inhibited);
        spans.push(Span::styled(text, theme.style("header")));
    }
    if let Some(until) = state.attention.muted_until.filter(|t| *t > state.now) {
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

/// `L1 alice until 18:00 → bob   L2 carol until Mon 09:00 → dave`, cut to the width.
fn oncall_line(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let normal = theme.style("header.oncall");
    // Narrow screens keep their room for the names.
    let label = if area.width >= 80 { " on call" } else { "" };
    let mut spans = vec![Span::styled(label, theme.style("header"))];
    for (i, o) in state.escalation.oncall.iter().enumerate() {
        let gap = if i == 0 && label.is_empty() { " " } else { "  " };
        spans.push(Span::styled(gap, theme.style("header")));
        let when = |t: chrono::DateTime<chrono::Utc>| {
            if t.date_naive() == state.now.date_naive() {
                t.format("%H:%M").to_string()
            } else if t - state.now < chrono::Duration::days(6) {
                t.format("%a %H:%M").to_string()
            } else {
                t.format("%b %d").to_string()
            }
        };
        let Some(oc) = &o.last else {
            spans.push(Span::styled(format!("L{} {} ✖ failing", o.level, o.schedule), theme.style("health.failing")));
            continue;
        };
        let mine = oc.person_now().is_some_and(|p| state.is_me(p));
        let mut text = match oc.person_now() {
            Some(p) if mine => format!("L{} ▶ {p} (you)", o.level),
            Some(p) => format!("L{} {p}", o.level),
            None => format!("L{} nobody", o.level),
        };
        if let Some(until) = oc.until() {
            text.push_str(&format!(" until {}", when(until)));
        }
        if let Some(next) = &oc.next {
            let at = if oc.now.is_none() { format!(" at {}", when(next.start)) } else { String::new() };
            text.push_str(&format!(" → {}{at}", next.person));
        }
        spans.push(Span::styled(text, if mine { theme.style("header.you") } else { normal }));
        if o.error.is_some() {
            spans.push(Span::styled(" ✖", theme.style("health.failing")));
        }
    }
    let mut line = Line::default();
    let mut room = usize::from(area.width);
    for span in spans {
        if room == 0 {
            break;
        }
        let w = span.width();
        if w <= room {
            room -= w;
            line.push_span(span);
        } else {
            line.push_span(Span::styled(fit(&span.content, room), span.style));
            room = 0;
        }
    }
    frame.render_widget(Paragraph::new(line).style(theme.style("header")), area);
}
