//! The silences view: one line per silence (state word, source, id, until when, who, how
//! many alerts it silences now, matchers, comment), the one under the cursor in full below,
//! and a source that could not be read named with why. The cursor is `▶` as well as a
//! colour, states are words, so it reads under NO_COLOR.

use super::slos::relative;
use super::text::{fit, pad, wrap};
use crate::app::State;
use crate::app::silence_list::Prompt;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let v = &state.silence_list;
    let shown = v.shown();
    let filter = if v.filter.is_empty() && !v.typing { String::new() } else { format!(" /{}", v.filter) };
    let title = format!(" Silences: {} of {}{filter} ", shown.len(), v.total());
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(fit(&title, usize::from(area.width.saturating_sub(2))), theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    for (source, r) in &v.by_source {
        if let Err(e) = r {
            lines.push(Line::styled(fit(&format!("{source}: silences not read: {e}"), w), theme.style("status.error")));
        }
    }
    let foot = footer(state, w, theme);
    if shown.is_empty() {
        let why = match (v.by_source.is_empty(), v.filter.is_empty()) {
            (true, _) => {
                "no silences: no source has sent any (Alertmanager silences and Zabbix maintenance, read with each poll)"
            }
            (false, true) => "no silences at any alertmanager",
            (false, false) => "no silence matches the filter (esc clears it)",
        };
        lines.push(Line::styled(fit(why, w), theme.style("status.hint")));
        lines.extend(foot);
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let at = v.cursor();
    // Under the list: the selected silence in full, when there is room for it.
    let detail = if inner.height >= 16 { 5 } else { 0 };
    let rows = usize::from(inner.height).saturating_sub(lines.len() + 1 + detail + foot.len()).max(1);
    let first = at.saturating_sub(rows.saturating_sub(1));
    let src_w = shown.iter().map(|s| s.source.chars().count()).max().unwrap_or(6).clamp(6, 16);
    let head = format!(
        "  {}{}{}{}{}{}MATCHERS · COMMENT",
        pad("STATE", 9),
        pad("SOURCE", src_w + 2),
        pad("ID", 10),
        pad("UNTIL", 13),
        pad("BY", 10),
        pad("MATCHED", 9)
    );
    // Narrow: no header, the words that matter first (who, until, how many).
    let narrow = w < 80;
    if !narrow {
        lines.push(Line::styled(fit(&head, w), theme.style("list.header")));
    }
    for (i, s) in shown.iter().enumerate().skip(first).take(rows) {
        let selected = i == at;
        let base = if selected { theme.style("list.selected") } else { Style::default() };
        let state_style = match s.state.as_str() {
            "active" => theme.style("health.ok"),
            "pending" | "approaching" => theme.style("severity.warning"),
            _ => theme.style("status.hint"),
        };
        // A maintenance has no author and no count of its own: a dash, not a made-up number;
        // it says it is read-only where the matchers go.
        let (by, matched, scope) = match &s.maintenance {
            Some(_) => ("-".to_owned(), "-".to_owned(), format!("read-only {}", s.matchers_text())),
            None => (s.created_by.clone(), s.matched.to_string(), s.matchers_text()),
        };
        let rest = if narrow {
            match &s.maintenance {
                Some(m) => format!("read-only {} {} {}", s.ends_at.format("%H:%M"), m.name, s.comment),
                None => format!("{by} {} {matched} matched {}", s.ends_at.format("%H:%M"), s.comment),
            }
        } else {
            format!(
                "{}{}{}{}{}{}  {}",
                pad(&fit(&s.source, src_w), src_w + 2),
                pad(&fit(&s.id, 8), 10),
                pad(&s.ends_at.format("%m-%d %H:%M").to_string(), 13),
                pad(&fit(&by, 8), 10),
                pad(&matched, 9),
                scope,
                s.comment
            )
        };
        let word = if narrow { pad(&s.state.to_uppercase(), 8) } else { pad(&s.state.to_uppercase(), 9) };
        let spans = vec![
            Span::styled(if selected { "▶ " } else { "  " }, base),
            Span::styled(word, state_style.patch(base)),
            Span::styled(fit(&rest, w.saturating_sub(11)), base),
        ];
        lines.push(Line::from(spans));
    }
    if detail > 0
        && let Some(s) = shown.get(at)
    {
        let now = state.now;
        let period = format!(
            "from {} until {} ({})",
            s.starts_at.format("%Y-%m-%d %H:%M"),
            s.ends_at.format("%Y-%m-%d %H:%M UTC"),
            relative(s.ends_at, now)
        );
        let (head, who) = match (&s.maintenance, s.read_only()) {
            // Its name and scope follow on the next line (matchers_text).
            (Some(_), Some(why)) => {
                (format!("maintenance {} at {} · {} · read-only: {why}", s.id, s.source, s.state), period)
            }
            _ => (
                format!("{} at {} · {}", s.id, s.source, s.state),
                format!("by {} · {period} · silences {} alert(s) now", s.created_by, s.matched),
            ),
        };
        let mut text = vec![head, who, s.matchers_text(), s.comment.clone()];
        text.retain(|l| !l.is_empty());
        let pad_to = usize::from(inner.height).saturating_sub(foot.len() + detail);
        while lines.len() < pad_to {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled("─".repeat(w), theme.style("overlay.border")));
        for l in text.iter().flat_map(|l| wrap(l, w)).take(detail - 1) {
            lines.push(Line::styled(l, theme.style("detail.value")));
        }
    }
    let pad_to = usize::from(inner.height).saturating_sub(foot.len());
    while lines.len() < pad_to {
        lines.push(Line::raw(""));
    }
    lines.extend(foot);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The last line: the question asked, why an answer was refused, or the keys.
fn footer<'a>(state: &State, w: usize, theme: &Theme) -> Vec<Line<'a>> {
    let v = &state.silence_list;
    let mut out = Vec::new();
    if let Some(p) = &v.problem {
        out.push(Line::styled(fit(p, w), theme.style("status.error")));
    }
    let (text, style) = match &v.prompt {
        Some(Prompt::Expire { id, source }) => (format!("Expire silence {id} at {source}? y/n"), "confirm"),
        Some(Prompt::Extend { id, input, .. }) => {
            (format!("Extend {id} to: {input}█  (2h from now · until 18:00 UTC; enter, esc)"), "input")
        }
        None if v.typing => (format!("filter: {}█  (enter keeps it, esc clears)", v.filter), "input"),
        None => ("j/k move · / filter · x expire · e extend · esc close".to_owned(), "status.hint"),
    };
    out.push(Line::styled(fit(&text, w), theme.style(style)));
    out
}

/// `h`: the alerts the polls hide, each marked SUPPRESSED with who and why.
pub fn hidden(frame: &mut Frame, size: Rect, state: &State, theme: &Theme) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let v = &state.silence_list;
    let (silenced, inhibited) = v.hidden_counts();
    let title = format!(" Hidden: {silenced} silenced, {inhibited} inhibited ");
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(fit(&title, usize::from(area.width.saturating_sub(2))), theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let rows = usize::from(inner.height).saturating_sub(1);
    let all: Vec<&crate::model::Alert> = v.hidden.values().flatten().collect();
    let mut lines = Vec::new();
    if all.is_empty() {
        lines.push(Line::styled(fit("no alert is hidden as silenced or inhibited", w), theme.style("status.hint")));
    }
    let more = all.len().saturating_sub(rows);
    let shown = if more > 0 { rows.saturating_sub(1) } else { rows };
    for a in all.iter().take(shown) {
        let why = a.suppression.as_deref().unwrap_or("suppressed");
        let text = format!("{} {} · {} · {why}", a.severity.name(), a.title, a.host.as_deref().unwrap_or("-"));
        lines.push(Line::from(vec![
            Span::styled("SUPPRESSED ", theme.style("status.hint")),
            Span::raw(fit(&text, w.saturating_sub(11))),
        ]));
    }
    if more > 0 {
        lines.push(Line::styled(format!("… {} more", all.len() - shown), theme.style("status.hint")));
    }
    while lines.len() < rows {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(fit("any key hides them again", w), theme.style("status.hint")));
    frame.render_widget(Paragraph::new(lines), inner);
}
