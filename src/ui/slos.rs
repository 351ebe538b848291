//! The SLO view: one line per SLO, worst first (verdict, a bar of the budget left, a
//! sparkline of the budget over the window, the 1h and 6h burn rates), and under them the
//! one at the cursor in full. The cursor is `▶` as well as a colour, verdicts are words, so
//! it reads under NO_COLOR. Fits 80×24: the sparkline gives way first.

use super::text::{fit, pad};
use crate::app::State;
use crate::config::theme::Theme;
use crate::slo::burn::{Verdict, WINDOWS};
use crate::slo::status::Status;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

const BAR: usize = 10;
/// A sparkline's eighths of a cell, lowest first.
pub(super) const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `fraction` (0..1) as a bar `width` cells wide.
pub fn bar(fraction: f64, width: usize) -> String {
    let full = ((fraction.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

/// The budget's history in `width` cells: each cell the last value of its share of the
/// points; an overspent budget sits on the lowest level.
pub fn sparkline(points: &[(DateTime<Utc>, f64)], width: usize) -> String {
    if points.is_empty() || width == 0 {
        return "·".repeat(width);
    }
    (0..width)
        .map(|i| {
            let f = points[cell_last(i, points.len(), width)].1.clamp(0.0, 1.0);
            LEVELS[((f * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// The index of the last of `len` points that cell `i` of `width` shows (`len` > 0).
pub(super) fn cell_last(i: usize, len: usize, width: usize) -> usize {
    ((i + 1) * len).div_ceil(width).clamp(1, len) - 1
}

fn verdict_style(theme: &Theme, v: Option<Verdict>) -> Style {
    match v {
        Some(Verdict::Page) => theme.style("severity.disaster"),
        Some(Verdict::Ticket) => theme.style("severity.warning"),
        Some(Verdict::Ok) => theme.style("health.ok"),
        _ => theme.style("status.hint"),
    }
}

/// The verdict word, and `STALE` or `FAILED` when the last round did not answer.
fn verdict_word(s: &Status) -> String {
    let v = s.figures.as_ref().map(|f| f.verdict.as_str().to_uppercase());
    match (v, s.error()) {
        (Some(v), None) => v,
        (Some(v), Some(_)) => format!("{v}?"),
        (None, Some(_)) => "FAILED".into(),
        (None, None) => "…".into(),
    }
}

fn rate(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{r:.1}x"))
}

/// "in 5h 36m", "2d 3h ago": from the console's clock, so a snapshot is stable.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let d = std::time::Duration::from_secs(secs.unsigned_abs() / 60 * 60);
    let words = crate::report::format::duration(Some(d.as_secs() as i64));
    if secs >= 0 { format!("in {words}") } else { format!("{words} ago") }
}

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let v = &state.slos;
    let title = format!(" SLOs: {} worst first ", v.list.len());
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(title, theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    if let Some(e) = &v.error {
        lines.push(Line::styled(fit(&format!("SLOs not read: {e}"), w), theme.style("status.error")));
    }
    if v.list.is_empty() {
        lines.push(Line::styled(
            fit("no SLO configured: add [[slos]] or slo_files to klaxon.toml", w),
            theme.style("status.hint"),
        ));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let name_w = v.list.iter().map(|s| s.slo.name.chars().count()).max().unwrap_or(4).clamp(4, 28);
    // ▶ name  VERDICT  bar pct  spark  1h  6h
    let fixed = 2 + name_w + 2 + 8 + BAR + 1 + 6 + 2 + 7 + 7;
    let spark_w = w.saturating_sub(fixed + 2).min(40);
    let detail_rows = 9;
    let rows = usize::from(inner.height).saturating_sub(lines.len() + 1 + detail_rows).max(3);
    let at = v.cursor();
    let first = at.saturating_sub(rows.saturating_sub(1));
    let head = format!(
        "  {}  {}{}  {}{}{}",
        pad("SLO", name_w),
        pad("VERDICT", 8),
        pad("BUDGET LEFT", BAR + 7),
        match spark_w {
            0 => String::new(),
            1..15 => pad("HISTORY", spark_w + 2),
            _ => pad("OVER THE WINDOW", spark_w + 2),
        },
        pad("1h", 7),
        "6h"
    );
    lines.push(Line::styled(fit(&head, w), theme.style("list.header")));
    for (i, s) in v.list.iter().enumerate().skip(first).take(rows) {
        let f = s.figures.as_ref();
        let left = f.and_then(|f| f.budget).map(|b| b.fraction());
        let selected = i == at;
        let base = if selected { theme.style("list.selected") } else { Style::default() };
        let mut spans = vec![
            Span::styled(if selected { "▶ " } else { "  " }, base),
            Span::styled(pad(&fit(&s.slo.name, name_w), name_w + 2), base),
            Span::styled(pad(&verdict_word(s), 8), verdict_style(theme, f.map(|f| f.verdict)).patch(base)),
        ];
        // Never computed: why, where the figures would be.
        if let (None, Some(e)) = (f, s.error()) {
            spans.push(Span::styled(fit(e, w.saturating_sub(name_w + 12)), theme.style("status.error").patch(base)));
            lines.push(Line::from(spans));
            continue;
        }
        spans.extend([
            Span::styled(left.map_or(" ".repeat(BAR), |l| bar(l, BAR)), theme.style("detail.value").patch(base)),
            Span::styled(pad(&left.map_or(" -".into(), |l| format!(" {:.1}%", l * 100.0)), 8), base),
        ]);
        if spark_w > 0 {
            let spark = f.map_or("·".repeat(spark_w), |f| sparkline(&f.history, spark_w));
            spans.push(Span::styled(format!("{spark}  "), theme.style("detail.value").patch(base)));
        }
        spans.push(Span::styled(pad(&rate(f.and_then(|f| f.rates[2])), 7), base));
        spans.push(Span::styled(rate(f.and_then(|f| f.rates[3])), base));
        lines.push(Line::from(spans));
    }
    let used = lines.len();
    let detail_area = Rect {
        y: inner.y + (used as u16).min(inner.height),
        height: inner.height.saturating_sub(used as u16),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(s) = v.list.get(at) {
        frame.render_widget(Paragraph::new(detail(s, state.now, theme, w)), detail_area);
    }
}

/// The SLO in full: what it promises, the figures, every burn rate, its health.
pub fn detail<'a>(s: &Status, now: DateTime<Utc>, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    let label = theme.style("detail.label");
    let value = theme.style("detail.value");
    let pair = |l: &str, v: String| vec![Span::styled(format!("{l} "), label), Span::styled(v, value)];
    let slo = &s.slo;
    let mut out = vec![
        Line::raw(""),
        Line::from(pair(
            &slo.name,
            fit(
                &format!(
                    "{}% over {} · from {}",
                    slo.objective * 100.0,
                    crate::slo::burn::promql_duration(slo.window),
                    slo.from
                ),
                w.saturating_sub(slo.name.chars().count() + 1),
            ),
        )),
    ];
    if let Some(d) = &slo.description {
        out.push(Line::styled(fit(d, w), theme.style("status.hint")));
    }
    match &s.figures {
        Some(f) => {
            let mut first = pair("SLI", f.sli.map_or("-".into(), |v| format!("{:.3}%", v * 100.0)));
            if let Some(b) = f.budget {
                first.extend(pair(
                    "  budget left",
                    format!("{:.1}% ({:.0} of {:.0} errors)", b.fraction() * 100.0, b.remaining, b.allowed),
                ));
            }
            out.push(Line::from(first));
            let mut rates = vec![Span::styled("burn ", label)];
            for (i, (name, _)) in WINDOWS.iter().enumerate() {
                rates.push(Span::styled(format!("{name} "), label));
                rates.push(Span::styled(format!("{}  ", rate(f.rates[i])), value));
            }
            out.push(Line::from(rates));
            let mut last = vec![
                Span::styled("verdict ", label),
                Span::styled(f.verdict.as_str().to_uppercase(), verdict_style(theme, Some(f.verdict))),
            ];
            let when = match (f.exhausted_at, f.budget) {
                (Some(t), Some(b)) if b.remaining <= 0.0 => format!("spent {}", relative(t, now)),
                (Some(t), _) => format!("runs out {} at the 1h rate", relative(t, now)),
                (None, _) => "does not run out at the 1h rate".into(),
            };
            last.extend(pair("  budget", when));
            out.push(Line::from(last));
        }
        None => out.push(Line::styled("not computed yet", theme.style("status.hint"))),
    }
    if let crate::model::Health::Failing { since, error, .. } = &s.health {
        let text = format!("failing {}: {error}", relative(*since, now));
        let stale = if s.figures.is_some() { " (figures above are from before)" } else { "" };
        out.push(Line::styled(fit(&format!("{text}{stale}"), w), theme.style("status.error")));
    }
    if !slo.not_used.is_empty() {
        out.push(Line::styled(fit(&format!("not used: {}", slo.not_used.join(", ")), w), theme.style("status.hint")));
    }
    out
}

/// An alert's SLO in its detail pane: which objective, the budget left, how fast it burns,
/// when it runs out, and the key that opens it.
pub fn for_alert<'a>(s: &Status, now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'a>> {
    let label = theme.style("detail.label");
    let value = theme.style("detail.value");
    let f = s.figures.as_ref();
    let mut head = vec![
        Span::styled("SLO ", label),
        Span::styled(format!("{}  ", s.slo.name), value),
        Span::styled(verdict_word(s), verdict_style(theme, f.map(|f| f.verdict))),
        Span::styled("  o opens it", theme.style("status.hint")),
    ];
    if s.error().is_some() {
        head.push(Span::styled("  stale", theme.style("status.error")));
    }
    let promise = format!("{}% over {}", s.slo.objective * 100.0, crate::slo::burn::promql_duration(s.slo.window));
    let mut out = vec![Line::raw(""), Line::from(head)];
    let Some(f) = f else {
        out.push(Line::styled(promise, value));
        return out;
    };
    let left = f.budget.map(|b| b.fraction());
    out.push(Line::from(vec![
        Span::styled(format!("{promise} · "), value),
        Span::styled("budget ", label),
        Span::styled(left.map_or("-".into(), |l| format!("{} {:.1}% left", bar(l, BAR), l * 100.0)), value),
    ]));
    let mut burn = vec![
        Span::styled("burn ", label),
        Span::styled(format!("5m {} 1h {} 6h {}", rate(f.rates[0]), rate(f.rates[2]), rate(f.rates[3])), value),
    ];
    if let Some(t) = f.exhausted_at {
        let spent = f.budget.is_some_and(|b| b.remaining <= 0.0);
        let text = if spent { format!("spent {}", relative(t, now)) } else { format!("runs out {}", relative(t, now)) };
        burn.push(Span::styled(format!(" · {text}"), value));
    }
    out.push(Line::from(burn));
    out
}
