//! The history view: resolved alerts, newest resolution first (when it resolved, how long
//! it lasted, severity, key, title), the filter in the title; Enter shows the timeline of
//! the one under the cursor in place of the list. The cursor is `▶` as well as a colour.

use super::alert_detail::timeline;
use super::text::{fit, pad, wrap};
use crate::app::State;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let h = &state.history;
    let shown = h.shown();
    let filter = if h.filter.is_empty() { String::new() } else { format!(" /{}", h.filter.text()) };
    // The range read, in the words `[` and `]` step through, and where it starts.
    let from = h.since_at.map_or(String::new(), |t| format!(" from {}", t.format("%Y-%m-%d %H:%M")));
    let title =
        format!(" History: {} of {} resolved in the last {}{from}{filter} ", shown.len(), h.rows.len(), h.since());
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(fit(&title, usize::from(area.width.saturating_sub(2))), theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let height = usize::from(inner.height);
    let mut lines = Vec::new();
    if let Some(key) = &h.timeline {
        let r = h.rows.iter().find(|r| &r.alert.key == key);
        let about = r.map_or(String::new(), |r| format!(" · {}", r.alert.title));
        lines.push(Line::styled(fit(&format!("timeline of {key}{about}"), w), theme.style("detail.label")));
        let body = timeline(state, key, theme);
        let room = height.saturating_sub(2);
        let more = body.len().saturating_sub(room);
        // The newest entries matter most after the fact: keep the end when it does not fit.
        lines.extend(body.into_iter().skip(more));
        while lines.len() < height.saturating_sub(1) {
            lines.push(Line::raw(""));
        }
        let hint = if more > 0 { format!("{more} earlier entries above · esc back") } else { "esc back".into() };
        lines.push(Line::styled(fit(&hint, w), theme.style("status.hint")));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    if let Some(e) = &h.error {
        lines.push(Line::styled(fit(&format!("history not read from the store: {e}"), w), theme.style("status.error")));
    }
    let foot = footer(state, w, theme);
    let narrow = w < 80;
    if shown.is_empty() {
        let why = match (h.loading, h.rows.is_empty(), h.filter.is_empty()) {
            (true, ..) => "reading the store…",
            (false, true, _) => "no alert resolved in this range ([ ] change it)",
            (false, false, true) => "no resolved alerts",
            (false, false, false) => "no resolved alert matches the filter (esc clears it)",
        };
        lines.push(Line::styled(fit(why, w), theme.style("status.hint")));
    } else {
        if !narrow {
            let head =
                format!("  {}{}{}{}TITLE", pad("RESOLVED", 18), pad("LASTED", 8), pad("SEV", 6), pad("ALERT", 32));
            lines.push(Line::styled(fit(&head, w), theme.style("list.header")));
        }
        let rows = height.saturating_sub(lines.len() + foot.len()).max(1);
        let at = h.selected.min(shown.len() - 1);
        let first = at.saturating_sub(rows.saturating_sub(1));
        for (i, r) in shown.iter().enumerate().skip(first).take(rows) {
            let selected = i == at;
            let base = if selected { theme.style("list.selected") } else { Style::default() };
            let a = &r.alert;
            let lasted = super::age(r.resolved_at, r.first_seen);
            let rest = if narrow {
                format!(" {} {lasted} {}", r.resolved_at.format("%m-%d %H:%M"), a.title)
            } else {
                format!(
                    "{}{}{}{}",
                    pad(&r.resolved_at.format("%Y-%m-%d %H:%M").to_string(), 18),
                    pad(&lasted, 8),
                    pad(a.severity.tag(), 6),
                    pad(&fit(a.key.as_str(), 30), 32),
                ) + &a.title
            };
            let spans = vec![
                Span::styled(if selected { "▶ " } else { "  " }, base),
                Span::styled(
                    if narrow { pad(a.severity.tag(), 4) } else { String::new() },
                    theme.severity(a.severity).patch(base),
                ),
                Span::styled(fit(&rest, w.saturating_sub(if narrow { 6 } else { 2 })), base),
            ];
            lines.push(Line::from(spans));
        }
    }
    while lines.len() < height.saturating_sub(foot.len()) {
        lines.push(Line::raw(""));
    }
    lines.extend(foot);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The last lines: why a typed filter was refused, the filter being typed, or the keys.
fn footer<'a>(state: &State, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let h = &state.history;
    let mut out = Vec::new();
    if let Some(p) = &h.problem {
        out.extend(wrap(p, w).into_iter().map(|l| Line::styled(l, theme.style("status.error"))));
    }
    let (text, style) = match &h.typing {
        Some(input) => (format!("filter: {input}█  (enter applies it, esc leaves it)"), "input"),
        None => ("j/k move · / filter · [ ] range · enter timeline · r reload · esc close".to_owned(), "status.hint"),
    };
    out.push(Line::styled(fit(&text, w), theme.style(style)));
    out
}
