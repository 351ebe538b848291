//! The `H` overlay (also a click on the header's health marks): every source, schedule
//! and log source with its state, last success, last error and next try, so a person can
//! tell what the screen knows and since when.

use super::overlay::centered;
use super::text::{fit, wrap};
use crate::app::State;
use crate::app::logs::SourceStatus;
use crate::config::theme::Theme;
use crate::model::Health;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme, scroll: usize) {
    let area = centered(Rect { height: size.height.saturating_sub(1).max(1), ..size }, 90, 40);
    let w = usize::from(area.width.saturating_sub(2));
    let lines = lines(state, theme, w);
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(" Sources ", theme.style("overlay.title")));
    let inner_h = usize::from(area.height.saturating_sub(2));
    let shown = Rect { height: (lines.len().min(inner_h) as u16 + 2).min(area.height), ..area };
    frame.render_widget(Clear, shown);
    let scroll = scroll.min(lines.len().saturating_sub(inner_h));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll as u16, 0)), shown);
}

fn lines<'a>(state: &State, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    let hm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M:%S").to_string();
    let heading = |text: &str| Line::styled(fit(text, w), theme.style("overlay.title"));
    let detail = |text: String| Line::styled(fit(&format!("    {text}"), w), theme.style("status.hint"));
    let mut out = vec![heading("Alert sources")];
    if state.health.is_empty() {
        out.push(detail("none configured".into()));
    }
    for (name, health) in &state.health {
        let (mark, style) = match health {
            Health::Ok { .. } => ("● ok", "health.ok"),
            Health::Pending => ("○ waiting for the first answer", "health.stale"),
            Health::Stale { .. } => ("◐ stale (from the cache)", "health.stale"),
            Health::Failing { .. } => ("✖ failing", "health.failing"),
        };
        let mut head = vec![Span::raw(format!("  {name}  ")), Span::styled(mark, theme.style(style))];
        if let Health::Failing { since, attempts, .. } = health {
            head.push(Span::styled(format!(" since {} ({attempts} tries)", hm(*since)), theme.style(style)));
        }
        out.push(Line::from(head));
        let last = health.last_success().map_or("never".to_string(), hm);
        let next = state.next_poll.get(name).map_or("—".to_string(), |t| hm(*t));
        out.push(detail(format!("last success {last} · next try {next}")));
        if let Health::Failing { error, .. } = health {
            out.extend(
                wrap(&format!("last error: {error}"), w.saturating_sub(4))
                    .into_iter()
                    .map(|l| detail(l.trim_end().to_owned())),
            );
        }
    }
    if !state.escalation.oncall.is_empty() {
        out.push(Line::raw(""));
        out.push(heading("Schedules"));
        for o in &state.escalation.oncall {
            let (mark, style) = match (&o.error, &o.last) {
                (None, Some(_)) => ("● ok", "health.ok"),
                (None, None) => ("○ waiting for the first answer", "health.stale"),
                (Some(_), _) => ("✖ failing", "health.failing"),
            };
            out.push(Line::from(vec![
                Span::raw(format!("  L{} {}  ", o.level, o.schedule)),
                Span::styled(mark, theme.style(style)),
            ]));
            if let Some(e) = &o.error {
                let shown = if o.last.is_some() { "; the header keeps the last answer" } else { "" };
                out.push(detail(format!("last error: {e}{shown}")));
            }
        }
    }
    if !state.logs.sources.is_empty() {
        out.push(Line::raw(""));
        out.push(heading("Log sources (for the alert the log pane shows)"));
        for (name, status) in &state.logs.sources {
            let (text, style) = match status {
                SourceStatus::Loading if state.logs.alert.is_none() => {
                    ("not asked: open the log pane (l)".into(), "status.hint")
                }
                SourceStatus::Loading => ("○ loading".to_string(), "health.stale"),
                SourceStatus::Lines(n) => (format!("● ok, {n} lines"), "health.ok"),
                SourceStatus::Failed(e) => (format!("✖ failing: {e}"), "health.failing"),
                SourceStatus::Skipped(why) => (format!("– nothing to ask: {why}"), "status.hint"),
            };
            out.push(Line::from(vec![
                Span::raw(format!("  {name}  ")),
                Span::styled(fit(&text, w), theme.style(style)),
            ]));
        }
    }
    out
}
