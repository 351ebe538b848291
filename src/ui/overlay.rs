//! Small windows over the screen: the command palette, confirmations, the note editor.

use super::text::{fit, pad};
use crate::app::editor::{Editor, NotePurpose};
use crate::app::{State, palette};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// A `width`×`height` rectangle in the middle of `size`, shrunk to fit.
pub fn centered(size: Rect, width: u16, height: u16) -> Rect {
    let (w, h) = (width.min(size.width), height.min(size.height));
    Rect { x: size.x + (size.width - w) / 2, y: size.y + (size.height - h) / 2, width: w, height: h }
}

fn window<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(title, theme.style("overlay.title")))
}

pub fn palette(frame: &mut Frame, size: Rect, state: &State, theme: &Theme, input: &str, selected: usize) {
    if let Some(parsed) = palette::command(input) {
        return command(frame, size, theme, input, parsed);
    }
    let found = palette::matches(input);
    let area = centered(size, 60, (found.len() as u16 + 3).clamp(4, 16));
    let inner_w = usize::from(area.width.saturating_sub(2));
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(":{input}"), theme.style("input")),
        Span::styled("█", theme.style("input.cursor")),
    ])];
    let visible = usize::from(area.height.saturating_sub(3));
    let first = selected.saturating_sub(visible.saturating_sub(1));
    for (i, action) in found.iter().enumerate().skip(first).take(visible) {
        let keys = state.keymap.label(*action);
        let text = format!("{} {}", pad(action.description(), inner_w.saturating_sub(keys.width() + 1)), keys);
        let style = if i == selected { theme.style("list.selected") } else { theme.style("palette.match") };
        lines.push(Line::styled(fit(&text, inner_w), style));
    }
    if found.is_empty() {
        lines.push(Line::styled("no such command", theme.style("status.hint")));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(window(" Command ", theme)), area);
}

/// The palette with a command and its argument typed: what enter will do, or why it cannot,
/// and what the argument may be.
fn command(frame: &mut Frame, size: Rect, theme: &Theme, input: &str, parsed: Result<palette::Command, String>) {
    let (word, arg) = input.trim_start().split_once(' ').unwrap_or_default();
    let desc = palette::COMMANDS.iter().find(|(name, ..)| *name == word).map_or("", |(_, d, _)| *d);
    let area = centered(size, 60, 6);
    let inner_w = usize::from(area.width.saturating_sub(2));
    let choices = palette::choices(word);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(":{input}"), theme.style("input")),
            Span::styled("█", theme.style("input.cursor")),
        ]),
        match parsed {
            Ok(_) => Line::styled(fit(&format!("enter: {desc} {}", arg.trim()), inner_w), theme.style("list.selected")),
            Err(e) => Line::styled(fit(&e, inner_w), theme.style("status.error")),
        },
    ];
    if !choices.is_empty() {
        lines.push(Line::styled(fit(&format!("one of: {}", choices.join(", ")), inner_w), theme.style("status.hint")));
    } else if word == "filter" {
        lines.push(Line::styled(
            fit("as / takes it: severity>=high source=prod …", inner_w),
            theme.style("status.hint"),
        ));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(window(" Command ", theme)), area);
}

pub fn confirm(frame: &mut Frame, size: Rect, theme: &Theme, prompt: &str) {
    let area = centered(size, (prompt.width() as u16 + 4).clamp(30, 70), 5);
    let lines = vec![
        Line::styled(prompt.to_owned(), theme.style("confirm")),
        Line::raw(""),
        Line::styled("y yes · n no", theme.style("status.hint")),
    ];
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(window(" Confirm ", theme)), area);
}

pub fn editor(frame: &mut Frame, size: Rect, theme: &Theme, editor: &Editor) {
    let area = centered(size, 72, 12);
    let title = match editor.purpose {
        NotePurpose::Note => format!(" Note on {} ", editor.key),
        NotePurpose::Ack => format!(" Acknowledge {} with a note ", editor.key),
    };
    let block = window("", theme)
        .title(Line::styled(fit(&title, usize::from(area.width.saturating_sub(2))), theme.style("overlay.title")));
    let inner = block.inner(area);
    // Keep the cursor line on screen.
    let first = editor.row.saturating_sub(usize::from(inner.height.saturating_sub(1)));
    let lines: Vec<Line> =
        editor.lines.iter().skip(first).map(|l| Line::styled(l.clone(), theme.style("input"))).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
    let before: String = editor.lines[editor.row].chars().take(editor.col).collect();
    let x = inner.x + (before.width() as u16).min(inner.width.saturating_sub(1));
    let y = inner.y + (editor.row - first) as u16;
    frame.set_cursor_position(Position { x, y });
}
