//! The Reports view: the last four weeks at a glance. Totals against the four weeks
//! before, pages per week as a bar chart, the weekly MTTA and MTTR medians as sparklines,
//! and the noisiest alerts ranked, the cursor marked by `▶` as well as by colour so it
//! reads under NO_COLOR. Fits 80×24: the list shrinks first, then the charts.

use super::text::{fit, pad};
use crate::app::State;
use crate::app::reports::WEEKS;
use crate::config::theme::Theme;
use crate::report::format::duration;
use crate::report::summary::Summary;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear, Paragraph, Sparkline};

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let r = &state.reports;
    let (since, until) = crate::app::reports::period(state.now);
    let title = format!(" Reports: last {WEEKS} weeks, {} to {} ", since.format("%Y-%m-%d"), until.format("%Y-%m-%d"));
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(title, theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let Some(data) = r.data.as_deref() else {
        let text = match (&r.error, r.loading) {
            (Some(e), _) => Line::styled(fit(&format!("the store could not say: {e}"), w), theme.style("status.error")),
            (None, true) => Line::styled("reading the store…", theme.style("status.hint")),
            (None, false) => Line::styled("no figures yet: r reads them", theme.style("status.hint")),
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let s = &data.summary;
    let charts = if inner.height >= 16 { 8 } else { 6 };
    let [totals, charts_area, list] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(charts), Constraint::Min(3)]).areas(inner);
    frame.render_widget(Paragraph::new(totals_lines(s, theme, w)), totals);
    let [bars, trend] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(charts_area);
    pages_chart(frame, bars, s, theme);
    let [mtta, mttr] = Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(trend);
    let weekly = |f: fn(&crate::report::summary::Stats) -> Option<i64>| -> Vec<Option<u64>> {
        s.weeks.iter().map(|wk| f(&wk.stats).map(|v| v.max(0) as u64)).collect()
    };
    sparkline(frame, mtta, "MTTA median", &weekly(|st| st.mtta_s.median), theme);
    sparkline(frame, mttr, "MTTR median", &weekly(|st| st.mttr_s.median), theme);
    noisy_list(frame, list, state, theme);
    if let Some(e) = &r.error {
        let last = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1, ..inner };
        frame.render_widget(Line::styled(fit(&format!("reload failed: {e}"), w), theme.style("status.error")), last);
    }
}

fn signed(n: i64) -> String {
    if n > 0 { format!("+{n}") } else { n.to_string() }
}

fn totals_lines<'a>(s: &Summary, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    let c = &s.change;
    let label = theme.style("detail.label");
    let value = theme.style("detail.value");
    let pair = |l: &str, v: String| [Span::styled(format!("{l} "), label), Span::styled(format!("{v}   "), value)];
    let first: Vec<Span> = [
        pair("alerts", format!("{} ({})", s.total.alerts, signed(c.alerts))),
        pair("pages", format!("{} ({})", s.total.pages, signed(c.pages))),
        pair("acked", s.total.acknowledged.to_string()),
        pair("escalations", s.total.escalations.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let t = &s.total;
    let second = format!(
        "MTTA {} (p90 {})   MTTR {} (p90 {})   vs the {WEEKS} weeks before",
        duration(t.mtta_s.median),
        duration(t.mtta_s.p90),
        duration(t.mttr_s.median),
        duration(t.mttr_s.p90),
    );
    vec![fit_line(first, w), Line::styled(fit(&second, w), value)]
}

/// Spans cut to `w` cells.
fn fit_line(spans: Vec<Span<'_>>, w: usize) -> Line<'_> {
    let mut used = 0;
    let mut out = Vec::new();
    for s in spans {
        let text = fit(&s.content, w.saturating_sub(used));
        used += super::text::width(&text);
        out.push(Span::styled(text, s.style));
        if used >= w {
            break;
        }
    }
    Line::from(out)
}

fn pages_chart(frame: &mut Frame, area: Rect, s: &Summary, theme: &Theme) {
    let bars: Vec<Bar> = s
        .weeks
        .iter()
        .map(|wk| {
            Bar::with_label(wk.start.format("%m-%d").to_string(), wk.stats.pages.max(0) as u64)
                .text_value(wk.stats.pages.to_string())
        })
        .collect();
    let n = bars.len().max(1) as u16;
    let inner_w = area.width.saturating_sub(2);
    let bar_width = (inner_w.saturating_sub(n - 1) / n).clamp(1, 7);
    let chart = BarChart::default()
        .block(super::pane(" Pages per week ", false, theme))
        .data(BarGroup::new(bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .bar_style(theme.style("severity.high"))
        .value_style(theme.style("list.selected"))
        .label_style(theme.style("status.hint"));
    frame.render_widget(chart, area);
}

fn sparkline(frame: &mut Frame, area: Rect, what: &str, weeks: &[Option<u64>], theme: &Theme) {
    let shown: Vec<String> = weeks.iter().map(|v| duration(v.map(|v| v as i64))).collect();
    let title = format!(" {what}: {} ", shown.join(" → "));
    let w = usize::from(area.width.saturating_sub(2));
    let block = super::pane(fit(&title, w), false, theme);
    // One column a week is hard to read: each week takes an equal share of the width.
    let per = (w / weeks.len().max(1)).max(1);
    let stretched: Vec<Option<u64>> = weeks.iter().flat_map(|v| std::iter::repeat_n(*v, per)).collect();
    let chart = Sparkline::default()
        .block(block)
        .data(&stretched)
        .style(theme.style("severity.warning"))
        .absent_value_symbol("·");
    frame.render_widget(chart, area);
}

fn noisy_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(data) = state.reports.data.as_deref() else { return };
    let alerts = &data.noise.alerts;
    let block =
        super::pane(" Noisiest alerts · score: self-resolved + flaps + never acked + night/weekend ", true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    if alerts.is_empty() {
        frame.render_widget(Line::styled("no alerts fired in these weeks", theme.style("status.hint")), inner);
        return;
    }
    // Score, name, service, firings, self-resolved share, suggestion: the name takes the rest.
    let name_w = w.saturating_sub(2 + 6 + 10 + 6 + 6 + 24).clamp(8, 40);
    let row = |mark: &str, score: &str, name: &str, service: &str, fired: &str, share: &str, action: &str| {
        format!("{mark}{score:>5} {} {} {fired:>5} {share:>5} {action}", pad(name, name_w), pad(service, 9))
    };
    let head = row("  ", "SCORE", "ALERT", "SERVICE", "FIRED", "SELF", "SUGGESTION");
    let mut lines = vec![Line::styled(fit(&head, w), theme.style("list.header"))];
    let rows = usize::from(inner.height).saturating_sub(1);
    let selected = state.reports.selected.min(alerts.len() - 1);
    let first = selected.saturating_sub(rows.saturating_sub(1));
    lines.extend(alerts.iter().enumerate().skip(first).take(rows).map(|(i, a)| {
        let text = row(
            if i == selected { "▶ " } else { "  " },
            &a.score.to_string(),
            &a.name,
            a.service.as_deref().unwrap_or("-"),
            &format!("{}×", a.count),
            &format!("{:.0}%", a.auto_resolved_share * 100.0),
            a.action.text(),
        );
        let style = if i == selected { theme.style("list.selected") } else { theme.style("detail.value") };
        Line::styled(fit(&text, w), style)
    }));
    frame.render_widget(Paragraph::new(lines), inner);
}
