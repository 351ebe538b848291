//! The log lines beside the selected alert: each source's state, the filters in force, then
//! the lines, newest at the bottom, level-coloured, search matches highlighted, and the
//! selected line's fields below it when expanded.

use super::pane;
use crate::app::State;
use crate::app::logs::{LogPane, PREFIX, SourceStatus, flat};
use crate::app::scroll::Extent;
use crate::config::theme::Theme;
use crate::model::{Level, LogLine};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Returns the cursor line's id and its measure: its rows (with its fields) and the rows the
/// pane has for lines, so a line taller than the pane can be scrolled through.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> Option<(u64, Extent)> {
    let p = &state.logs;
    let mut title = vec![Span::raw(" Logs ")];
    if let Some(key) = &p.alert {
        title.push(Span::raw(format!("· {key} ")));
        title.push(Span::styled(if p.follow { "· follow " } else { "· paused " }, theme.style("list.age")));
    }
    let block = pane(Line::from(title), true, theme);
    let inner = block.inner(area);
    let quiet = |s: String| Line::styled(s, theme.style("list.resolved"));
    if p.sources.is_empty() {
        let text = vec![
            quiet("No log source is configured, so there are no lines to show.".into()),
            quiet("Add a [[logs]] source (journald, file or loki) to klaxon.toml.".into()),
        ];
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }), inner);
        return None;
    }
    let Some(_) = &p.alert else {
        frame.render_widget(block, area);
        frame.render_widget(Paragraph::new(quiet("Select an alert to see its log lines.".into())), inner);
        return None;
    };
    let mut head = vec![sources_line(p, theme)];
    let width = usize::from(inner.width);
    for (name, s) in &p.sources {
        if let SourceStatus::Failed(why) = s {
            // The reason matters most: up to three rows of it.
            let label = format!("{name} failed: ");
            let rows = chunks(&format!("{label}{why}"), width.max(1), 3);
            for (i, row) in rows.into_iter().enumerate() {
                let line = match (i, row.strip_prefix(&label)) {
                    (0, Some(rest)) => Line::from(vec![
                        Span::styled(label.clone(), theme.style("health.failing")),
                        Span::styled(rest.to_owned(), theme.style("status.hint")),
                    ]),
                    _ => Line::styled(row, theme.style("status.hint")),
                };
                head.push(line);
            }
        }
    }
    if let Some(filters) = filters_line(p, theme) {
        head.push(filters);
    }
    let height = usize::from(inner.height);
    let room = height.saturating_sub(head.len());
    let visible = p.visible();
    let mut body: Vec<Line> = Vec::new();
    let mut position = None;
    let mut measure = None;
    if visible.is_empty() {
        let loading = p.sources.iter().any(|(_, s)| *s == SourceStatus::Loading);
        let why = if loading {
            "loading…"
        } else if p.buffer.is_empty() {
            "no lines in the window"
        } else {
            "no line passes the filters (Esc clears them)"
        };
        body.push(quiet(why.into()));
    } else if let Some(cursor) = p.cursor(&visible) {
        let mut cut = false;
        let mut rows_of = |i: usize| -> Vec<Line> {
            let Some((_, line)) = p.buffer.get(visible[i]) else { return Vec::new() };
            let (mut rows, was_cut) = log_rows(line, p, theme, width);
            cut |= was_cut;
            if i == cursor {
                rows = rows.into_iter().map(|r| r.patch_style(theme.style("list.selected"))).collect();
                if p.expanded {
                    rows.extend(fields(line, theme, p.wrap.then_some(width)));
                }
            }
            rows
        };
        // Keep the cursor line (all its rows, and its fields) on screen, as low as the lines
        // above allow; then fill what is left below it.
        let mut above: Vec<Vec<Line>> = Vec::new();
        let mut mine = rows_of(cursor);
        // Taller than the pane: the rows from where the person scrolled to inside it.
        let id = p.buffer.get(visible[cursor]).map(|(id, _)| id);
        let inside = id.map_or(0, |id| p.within(id)).min(mine.len().saturating_sub(room));
        let (total, up_inside) = (mine.len(), inside > 0);
        mine.drain(..inside);
        measure = id.map(|id| (id, Extent { rows: total, height: room }));
        let mut used = mine.len();
        let mut start = cursor;
        while start > 0 {
            let rows = rows_of(start - 1);
            if used + rows.len() > room {
                break;
            }
            used += rows.len();
            above.push(rows);
            start -= 1;
        }
        body.extend(above.into_iter().rev().flatten());
        body.extend(mine);
        let mut end = cursor + 1;
        while end < visible.len() && body.len() < room {
            body.extend(rows_of(end));
            end += 1;
        }
        // A wrapped line taller than the pane is cut: there is more below.
        let clipped = body.len() > room;
        body.truncate(room);
        let up = start > 0 || up_inside;
        position = scroll_position(p, cursor, visible.len(), up, end < visible.len() || clipped, cut);
    }
    head.extend(body);
    let block = match position {
        Some(pos) => block.title_bottom(Line::styled(pos, theme.style("status.key")).right_aligned()),
        None => block,
    };
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(head), inner);
    measure
}

/// ` 12/40 ↑↓ ←→ `: the cursor's line of how many, and which ways there is more to see.
fn scroll_position(p: &LogPane, cursor: usize, n: usize, up: bool, down: bool, cut: bool) -> Option<String> {
    let vertical = if up || down {
        format!(" {}/{n} {}{}", cursor + 1, if up { "↑" } else { "" }, if down { "↓" } else { "" })
    } else {
        String::new()
    };
    let left = if p.hscroll > 0 { "←" } else { "" };
    let right = if cut { "→" } else { "" };
    let sideways = if left.is_empty() && right.is_empty() { String::new() } else { format!(" {left}{right}") };
    (!vertical.is_empty() || !sideways.is_empty()).then(|| format!("{vertical}{sideways} "))
}

/// `s` in rows of at most `width` cells, at most `max` rows (the last cut with `…`).
fn chunks(s: &str, width: usize, max: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut rows = vec![String::new()];
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            if rows.len() == max {
                let last = rows.pop().unwrap_or_default();
                rows.push(super::text::fit(&format!("{last}{c}…"), width));
                return rows;
            }
            rows.push(String::new());
            used = 0;
        }
        rows.last_mut().expect("one row").push(c);
        used += w;
    }
    rows
}

fn sources_line<'a>(p: &LogPane, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (name, s)) in p.sources.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.style("list.age")));
        }
        spans.push(Span::styled(name.clone(), theme.style("list.source")));
        let (text, style) = match s {
            SourceStatus::Loading => (" loading…".to_string(), theme.style("list.age")),
            SourceStatus::Lines(n) => {
                (format!(" {n} line{}", if *n == 1 { "" } else { "s" }), theme.style("health.ok"))
            }
            SourceStatus::Failed(_) => (" failed".to_string(), theme.style("health.failing")),
            SourceStatus::Skipped(why) => (format!(" skipped: {why}"), theme.style("list.age")),
        };
        spans.push(Span::styled(text, style));
    }
    if p.buffer.dropped > 0 {
        spans.push(Span::styled(format!(" · {} older dropped", p.buffer.dropped), theme.style("list.age")));
    }
    Line::from(spans)
}

fn filters_line<'a>(p: &LogPane, theme: &Theme) -> Option<Line<'a>> {
    let mut parts = Vec::new();
    if let Some(l) = p.min_level {
        parts.push(format!("level ≥ {l}"));
    }
    if let Some((f, v)) = &p.correlate {
        parts.push(format!("{f}={v}"));
    }
    let mut spans = vec![Span::styled(parts.join(" · "), theme.style("detail.label"))];
    match (&p.input, &p.search) {
        (Some(input), _) => {
            if !parts.is_empty() {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::styled(format!("/{input}"), theme.style("input")));
            spans.push(Span::styled(" ", theme.style("input.cursor")));
        }
        (None, Some(q)) => {
            let sep = if parts.is_empty() { "" } else { " · " };
            spans.push(Span::styled(format!("{sep}search \"{q}\" (N next)"), theme.style("detail.label")));
        }
        (None, None) if parts.is_empty() => return None,
        _ => {}
    }
    if p.input.is_none() {
        spans.push(Span::styled("  Esc clears", theme.style("status.hint")));
    }
    Some(Line::from(spans))
}

pub fn level_style(level: Option<Level>, theme: &Theme) -> Style {
    match level {
        Some(Level::Fatal) => theme.style("severity.disaster"),
        Some(Level::Error) => theme.style("severity.high"),
        Some(Level::Warn) => theme.style("severity.warning"),
        Some(Level::Info) => theme.style("severity.information"),
        Some(Level::Debug | Level::Trace) | None => theme.style("list.age"),
    }
}

/// `03:10:02 ERROR message key=value …`: one row cut at the pane's edge (scrolled sideways
/// by `hscroll`, `…` where text is off screen), or, wrapping, as many rows as the text needs
/// under its first. Search matches highlighted. Also says whether text was cut off the right.
fn log_rows<'a>(line: &LogLine, p: &LogPane, theme: &Theme, width: usize) -> (Vec<Line<'a>>, bool) {
    let time = line.at.map_or_else(|| "--:--:--".to_string(), |t| t.format("%H:%M:%S").to_string());
    let lead = vec![
        Span::styled(time, theme.style("timeline.time")),
        Span::raw(" "),
        Span::styled(line.level.map_or("  -  ", Level::tag), level_style(line.level, theme)),
        Span::raw(" "),
    ];
    let room = width.saturating_sub(PREFIX).max(1);
    let text = flat(line);
    let (pieces, cut) = if p.wrap {
        (super::text::wrap(&text, room), false)
    } else {
        let rest: String = text.chars().skip(p.hscroll).collect();
        let rest = if p.hscroll > 0 { format!("…{}", rest.chars().skip(1).collect::<String>()) } else { rest };
        let cut = super::text::width(&rest) > room;
        (vec![super::text::fit(&rest, room)], cut)
    };
    let query = p.search.as_deref().or(p.input.as_deref()).filter(|q| !q.is_empty()).map(str::to_lowercase);
    let base = theme.style("detail.value");
    let rows = pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut spans = if i == 0 { lead.clone() } else { vec![Span::raw(" ".repeat(PREFIX))] };
            match &query {
                Some(q) if p.matches(line) => spans.extend(highlight(&piece, q, base, theme.style("palette.match"))),
                _ => spans.push(Span::styled(piece, base)),
            }
            Line::from(spans)
        })
        .collect();
    (rows, cut)
}

/// Splits `text` around case-insensitive matches of `q` (already lower case).
fn highlight<'a>(text: &str, q: &str, base: Style, hit: Style) -> Vec<Span<'a>> {
    let lower = text.to_lowercase();
    // Lower-casing may change byte lengths (rare scripts): then no highlight, no panic.
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(q) {
        let (s, e) = (at + i, at + i + q.len());
        if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            break;
        }
        if s > at {
            out.push(Span::styled(text[at..s].to_owned(), base));
        }
        out.push(Span::styled(text[s..e].to_owned(), hit));
        at = e;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_owned(), base));
    }
    out
}

/// The selected line's fields and stream labels, one per row, under it.
/// Wrapping (`wrap` is the pane's width), a long value goes on under its key.
fn fields<'a>(line: &LogLine, theme: &Theme, wrap: Option<usize>) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut row = |k: &str, v: &str, label: &str| {
        let key = format!("{label}{k}: ");
        let indent = 4 + super::text::width(&key);
        let pieces = match wrap {
            Some(w) if w > indent + 8 => super::text::wrap(v, w - indent),
            _ => vec![v.to_owned()],
        };
        for (i, piece) in pieces.into_iter().enumerate() {
            let lead = if i == 0 {
                vec![Span::raw("    "), Span::styled(key.clone(), theme.style("detail.label"))]
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            out.push(Line::from([lead, vec![Span::styled(piece, theme.style("detail.value"))]].concat()));
        }
    };
    if let Some(t) = line.at {
        row("time", &t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "");
    }
    row("source", &line.source, "");
    for (k, v) in &line.fields {
        row(k, v, "");
    }
    for (k, v) in &line.labels {
        row(k, v, "label ");
    }
    if line.fields.is_empty() && line.labels.is_empty() {
        out.push(Line::styled("    (no structured fields)", theme.style("list.age")));
    }
    out
}
