//! The ranked alert list. Only the rows on screen are built: 100,000 alerts cost what 40 do.

use super::text::{fit, pad, width, wrap};
use super::{age, pane};
use crate::app::State;
use crate::app::scroll::Extent;
use crate::app::state::{Pane, Row};
use crate::config::theme::Theme;
use crate::model::{Health, Status};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let focused = state.focus == Pane::List;
    let mut title = format!(" Alerts {} ", state.list.counts());
    if state.list.board.unread() > 0 {
        title.push_str("· reading the cache ");
    }
    if !state.list.filter.is_empty() {
        title.push_str(&format!("· /{} ", state.list.filter.text()));
    }
    if state.list.group != crate::app::state::Group::None {
        title.push_str(&format!("· by {} ", state.list.group.label()));
    }
    if state.list.sort != crate::app::state::Sort::Rank {
        title.push_str(&format!("· {} first ", state.list.sort.label()));
    }
    let mut block = pane(fit(&title, usize::from(area.width.saturating_sub(2))), focused, theme);
    // Where the rows on screen are in the list, when it is longer than the pane.
    // While a cached snapshot's rest is read, its alerts are rows still to come (unfiltered).
    let list = &state.list;
    let coming =
        if list.filter.is_empty() && list.group == crate::app::state::Group::None { list.board.unread() } else { 0 };
    let extent = Extent { rows: list.rows.len() + coming, height: usize::from(area.height.saturating_sub(3)) };
    if let Some(pos) = extent.indicator(state.list.offset) {
        block = block.title_bottom(Line::styled(pos, theme.style("status.key")).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let wide = w >= 60;
    let mut lines = Vec::with_capacity(usize::from(inner.height));
    let header = if wide {
        format!("{} {:>4} {} {}", pad("SEV", 4), "AGE", pad("SOURCE", 10), "TITLE")
    } else {
        format!("{} {:>4} {}", pad("SEV", 4), "AGE", "TITLE")
    };
    lines.push(Line::styled(pad(&header, w), theme.style("list.header")));
    if state.list.rows.is_empty() {
        lines.extend(empty_state(state, theme, w));
    }
    let visible = usize::from(inner.height.saturating_sub(1));
    let ranked = state.list.board.ranked();
    for (n, row) in state.list.rows.iter().enumerate().skip(state.list.offset).take(visible) {
        let selected = n == state.list.selected;
        let mut line = match row {
            Row::Group { name, count, worst, collapsed } => {
                let arrow = if *collapsed { "▸" } else { "▾" };
                let text = format!("{arrow} {name} ({count}, worst {})", worst.tag());
                Line::from(vec![
                    Span::styled(pad(worst.tag(), 4), theme.severity(*worst)),
                    Span::styled(pad(&format!(" {text}"), w.saturating_sub(4)), theme.style("group.header")),
                ])
            }
            Row::Alert(i) => alert_line(&ranked[*i], state, theme, w, wide),
        };
        if selected {
            let sel = theme.style("list.selected");
            line = line.patch_style(if focused { sel } else { sel.remove_modifier(Modifier::BOLD) });
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// What an empty list means. "All quiet" only when every source answered; otherwise each
/// source that did not is named with why and since when, since its alerts are unknown.
fn empty_state<'a>(state: &State, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    if !state.list.board.is_empty() {
        return vec![Line::styled(
            fit("No alert matches the filter (esc clears it).", w),
            theme.style("list.resolved"),
        )];
    }
    let problems: Vec<(&String, &Health, String)> =
        state.health.iter().filter_map(|(name, h)| h.problem().map(|p| (name, h, p))).collect();
    if state.health.is_empty() {
        return vec![Line::styled(fit("No alert sources are configured.", w), theme.style("list.resolved"))];
    }
    if problems.is_empty() {
        return vec![Line::styled(
            fit("No alerts. All quiet: every source answered.", w),
            theme.style("list.resolved"),
        )];
    }
    let mut lines: Vec<Line> = Vec::new();
    for (name, health, p) in problems {
        let first = match health {
            Health::Failing { .. } => "✖ ",
            Health::Stale { .. } => "◐ ",
            _ => "○ ",
        };
        for (i, part) in wrap(&format!("{name}: {p}"), w.saturating_sub(2)).into_iter().enumerate() {
            let mark = if i == 0 { first } else { "  " };
            lines.push(Line::styled(format!("{mark}{}", part.trim_end()), theme.style("health.failing")));
        }
    }
    let quiet = state.health.iter().filter(|(_, h)| h.is_ok()).count();
    if quiet > 0 {
        lines.push(Line::styled(
            fit(&format!("No alerts from the {quiet} source(s) that answered."), w),
            theme.style("list.resolved"),
        ));
    }
    lines.push(Line::styled(fit("H shows every source's state.", w), theme.style("status.hint")));
    lines
}

fn alert_line<'a>(item: &crate::model::Item, state: &State, theme: &Theme, w: usize, wide: bool) -> Line<'a> {
    let a = &item.alert;
    let owner = item.owner().map(|o| format!(" ✓{o}"));
    let body_style = if a.status == Status::Resolved {
        theme.style("list.resolved")
    } else if item.is_acked() || a.status == Status::Suppressed {
        theme.style("list.acked")
    } else {
        Style::default()
    };
    // A severity the source did not give is marked `AVG?`: the mark takes the gap's cell.
    let (tag, gap) = match &a.guessed.severity {
        Some(_) => (pad(&format!("{}?", a.severity.tag().trim_end()), 5), ""),
        None => (pad(a.severity.tag(), 4), " "),
    };
    let mut spans = vec![
        Span::styled(tag, theme.severity(a.severity)),
        Span::styled(format!("{gap}{:>4} ", age(state.now, a.started_at)), theme.style("list.age")),
    ];
    let mut used = 10;
    if wide {
        spans.push(Span::styled(pad(a.source(), 10) + " ", theme.style("list.source")));
        used += 11;
    }
    let owner_w = owner.as_deref().map_or(0, width).min(w.saturating_sub(used) / 3);
    let title_w = w.saturating_sub(used + owner_w);
    let mut title = a.title.clone();
    if a.status == Status::Suppressed {
        title = format!("(suppressed) {title}");
    }
    // Picked for a bulk action (`space`, `V`).
    if state.selection.contains(&a.key) {
        title = format!("◆ {title}");
    }
    // Its source is not answering: the row is what it said last, not what is true now.
    let stale = state.health.get(a.source()).is_some_and(|h| h.is_stale());
    if stale {
        title = format!("(stale) {title}");
    }
    let body_style = if stale { theme.style("list.resolved") } else { body_style };
    // New since the person last looked: a mark that reads without colour too.
    let (mark, title_w) =
        if state.attention.unseen.contains(&a.key) { ("● ", title_w.saturating_sub(2)) } else { ("", title_w) };
    if !mark.is_empty() {
        spans.push(Span::styled(mark, theme.style("list.new")));
    }
    spans.push(Span::styled(pad(&title, title_w), body_style));
    if let Some(o) = owner {
        spans.push(Span::styled(fit(&o, owner_w), theme.style("list.owner")));
    }
    Line::from(spans)
}
