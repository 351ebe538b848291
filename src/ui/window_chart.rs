//! A threshold check's window in the detail pane: a sparkline some rows tall (the SLO
//! view's, made taller: the same eighth-blocks and the same share of points per cell), with
//! each threshold drawn as a line across the cells the bars leave empty. Cells past a
//! threshold take its severity's colour; gaps (null points) are `·`. The axis and the
//! threshold words are text, so it reads under NO_COLOR.

use super::slos::{LEVELS, cell_last};
use crate::config::theme::Theme;
use crate::model::Window;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

const ROWS: usize = 4;
/// The axis labels' width.
const AXIS: usize = 8;

/// The window as lines, at most `width` cells wide.
pub fn lines<'a>(w: &Window, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let label = theme.style("detail.label");
    let mut out = vec![Line::raw(""), Line::styled("Window", label)];
    let known: Vec<f64> = w.values.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let marks: Vec<(&str, f64)> =
        [("critical", w.critical), ("warning", w.warning)].into_iter().filter_map(|(n, t)| Some((n, t?))).collect();
    let dir = if w.above { "above" } else { "below" };
    let words: Vec<String> = marks.iter().map(|(n, t)| format!("{n} {dir} {}", Window::number(*t))).collect();
    let cells = width.saturating_sub(AXIS + 2).min(w.values.len()).min(60);
    if known.is_empty() || cells == 0 {
        out.push(Line::styled(format!("no values in the window · {}", words.join(" · ")), theme.style("status.hint")));
        return out;
    }
    let all = known.iter().copied().chain(marks.iter().map(|m| m.1));
    let (mut lo, mut hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if (hi - lo).abs() < f64::EPSILON {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let eighths = |v: f64| ((v - lo) / (hi - lo) * (ROWS * 8 - 1) as f64).round() as usize + 1;
    // Each cell shows the last value of its share of the points (None: all gaps).
    let cell_values: Vec<Option<f64>> = (0..cells)
        .map(|i| {
            let end = cell_last(i, w.values.len(), cells);
            let start = if i == 0 { 0 } else { cell_last(i - 1, w.values.len(), cells) + 1 };
            w.values[start..=end].iter().rev().flatten().next().copied()
        })
        .collect();
    let mark_rows: Vec<(usize, &str)> = marks.iter().map(|(n, t)| ((eighths(*t) - 1) / 8, *n)).collect();
    let breach_style = |v: f64| -> Style {
        if w.critical.is_some_and(|t| w.breaches(v, t)) {
            theme.style("severity.high")
        } else if w.warning.is_some_and(|t| w.breaches(v, t)) {
            theme.style("severity.warning")
        } else {
            theme.style("detail.value")
        }
    };
    for row in (0..ROWS).rev() {
        let axis = match row {
            r if r == ROWS - 1 => Window::number(hi),
            0 => Window::number(lo),
            _ => String::new(),
        };
        let mut spans = vec![Span::styled(format!("{axis:>AXIS$} ┤"), label)];
        // The first threshold on this row (critical before warning) draws its line here.
        let line = mark_rows.iter().find(|(r, _)| *r == row).map(|(_, n)| *n);
        for v in &cell_values {
            let (ch, style) = match v {
                None if row == 0 => ('·', theme.style("status.hint")),
                None => (line.map_or(' ', |_| '─'), theme.style("status.hint")),
                Some(v) => {
                    let fill = eighths(*v).saturating_sub(row * 8).min(8);
                    match (fill, line) {
                        (0, Some(_)) => ('─', theme.style("status.hint")),
                        (0, None) => (' ', Style::default()),
                        (f, _) => (LEVELS[f - 1], breach_style(*v)),
                    }
                }
            };
            spans.push(Span::styled(ch.to_string(), style));
        }
        if let Some(name) = line {
            let t = marks.iter().find(|m| m.0 == name).map_or(0.0, |m| m.1);
            spans.push(Span::styled(format!(" {name} {dir} {}", Window::number(t)), theme.style("status.hint")));
        }
        out.push(Line::from(spans));
    }
    let last = known.last().copied().map(Window::number).unwrap_or_default();
    let gaps = w.values.iter().filter(|v| v.is_none()).count();
    out.push(Line::styled(
        format!("{:AXIS$}  {} points, {gaps} gaps · last {last} · {}", "", w.values.len(), words.join(" · ")),
        theme.style("status.hint"),
    ));
    out
}
