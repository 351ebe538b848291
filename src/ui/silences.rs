//! The silence editor's window: three fields, the live match count, and what is wrong.

use super::overlay::centered;
use super::text::fit;
use crate::app::silences::{SilenceEditor, SilenceField};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, size: Rect, theme: &Theme, editor: &SilenceEditor) {
    let area = centered(size, 90, if editor.bulk.is_some() { 12 } else { 11 });
    let title = fit(&format!(" Silence at {} ", editor.source), usize::from(area.width.saturating_sub(2)));
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(title, theme.style("overlay.title")));
    let field = |name: &str, value: &str, which: SilenceField, hint: &str| {
        let active = editor.field == which;
        let mut spans = vec![
            Span::styled(format!("{name:<9}"), theme.style("detail.label")),
            Span::styled(value.to_owned(), theme.style("input")),
        ];
        if active {
            spans.push(Span::styled("█", theme.style("input.cursor")));
        }
        if !hint.is_empty() {
            spans.push(Span::styled(format!("  {hint}"), theme.style("status.hint")));
        }
        Line::from(spans)
    };
    let (hit, all) = editor.matched;
    let mut lines = vec![
        field("Matchers", &editor.matchers, SilenceField::Matchers, ""),
        field("Duration", &editor.duration, SilenceField::Duration, "2h · 30m · until 18:00 (UTC)"),
        field("Comment", &editor.comment, SilenceField::Comment, ""),
        Line::raw(""),
        Line::styled(
            format!("matches {hit} of {all} open alert(s) at {} now", editor.source),
            theme.style("status.info"),
        ),
    ];
    if let Some(bulk) = &editor.bulk {
        let mut from = format!("common labels of {} selected alert(s)", bulk.alerts);
        if let Some(skipped) = &bulk.skipped {
            from.push_str(&format!("; {skipped}"));
        }
        lines.push(Line::styled(from, theme.style("status.hint")));
    }
    if let Some(problem) = &editor.problem {
        let style = if editor.confirm_all { "confirm" } else { "status.error" };
        lines.push(Line::styled(problem.clone(), theme.style(style)));
    }
    // A bulk silence asks once more, naming how many and where, before anything is stored.
    let enter = if editor.bulk.is_some() { "enter asks, then silences" } else { "enter silences" };
    lines.push(Line::styled(format!("tab next field · {enter} · esc closes"), theme.style("status.hint")));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
