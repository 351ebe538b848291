//! The incident view: one line per incident, open ones first (id, severity, status, title,
//! who holds which role, how many alerts, when the stakeholders last heard), and under them
//! the one at the cursor; Enter swaps the lower part for its merged timeline. The cursor is
//! `▶`, an overdue update says `DUE`, so it reads under NO_COLOR. Narrow screens drop the
//! roles and the age first.

use super::text::{fit, pad};
use crate::app::State;
use crate::app::incidents::{View, cursor, listed, timeline};
use crate::config::theme::Theme;
use crate::incident::Incident;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

pub fn draw(frame: &mut Frame, size: Rect, state: &State, theme: &Theme, view: &View) {
    let area = Rect { height: size.height.saturating_sub(1).max(1), ..size };
    let list = listed(state);
    let open = list.iter().filter(|i| i.is_open()).count();
    let title = format!(" Incidents: {open} open, {} closed ", list.len() - open);
    let block = Block::bordered()
        .border_style(theme.style("overlay.border"))
        .title(Line::styled(title, theme.style("overlay.title")));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let h = usize::from(inner.height);
    let mut lines = Vec::new();
    if list.is_empty() {
        lines.push(Line::styled(
            fit("no incident: I declares one from an alert, a group or a selection", w),
            theme.style("status.hint"),
        ));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let at = cursor(state, view);
    let wide = w >= 80;
    // The list takes what the detail leaves, at least 3 rows (1 on a tiny screen).
    let detail = if view.timeline { h / 2 } else { 6.min(h / 3) };
    let rows = h.saturating_sub(detail + 1).max(1);
    let first = at.saturating_sub(rows.saturating_sub(1));
    let head = if wide {
        format!(
            "  {}{}{}{}{}{}TITLE",
            pad("ID", 10),
            pad("SEV", 9),
            pad("STATUS", 15),
            pad("ALERTS", 8),
            pad("UPDATE", 12),
            pad("ROLES", 30)
        )
    } else {
        format!("  {}{}TITLE", pad("ID", 6), pad("STATUS", 9))
    };
    lines.push(Line::styled(fit(&head, w), theme.style("list.header")));
    for (i, inc) in list.iter().enumerate().skip(first).take(rows) {
        let selected = i == at;
        let base = if selected { theme.style("list.selected") } else { Style::default() };
        let base = if inc.is_open() { base } else { theme.style("status.hint").patch(base) };
        let mut spans = vec![Span::styled(if selected { "▶ " } else { "  " }, base)];
        if wide {
            spans.extend([
                Span::styled(pad(&inc.id, 10), base),
                Span::styled(pad(inc.severity.name(), 9), theme.severity(inc.severity).patch(base)),
                Span::styled(pad(&status_word(inc), 15), base),
                Span::styled(pad(&inc.alerts.len().to_string(), 8), base),
                Span::styled(pad(&update_word(state, inc), 12), due_style(state, theme, inc).patch(base)),
                Span::styled(pad(&roles(inc), 30), base),
            ]);
        } else {
            let status = if inc.is_open() { inc.status.name() } else { "closed" };
            spans.extend([
                Span::styled(pad(inc.id.get(..4).unwrap_or(&inc.id), 6), base),
                Span::styled(pad(&fit(status, 8), 9), base),
            ]);
        }
        let used: usize = spans.iter().map(|s| s.width()).sum();
        spans.push(Span::styled(pad(&inc.title, w.saturating_sub(used)), base));
        lines.push(Line::from(spans));
    }
    if let Some(inc) = list.get(at) {
        let below = h.saturating_sub(lines.len());
        lines.extend(if view.timeline { timeline_lines(state, inc, view, w, below) } else { about(state, inc, w) });
    }
    lines.truncate(h.saturating_sub(usize::from(view.update.is_some())));
    if let (Some(text), Some(inc)) = (&view.update, list.get(at)) {
        while lines.len() < h.saturating_sub(1) {
            lines.push(Line::raw(""));
        }
        let prompt = format!("update ({}): ", inc.status);
        // The end of what is typed stays in sight.
        let room = w.saturating_sub(prompt.chars().count() + 1);
        let shown: String = text.chars().rev().take(room).collect::<Vec<_>>().into_iter().rev().collect();
        lines.push(Line::styled(format!("{prompt}{shown}█"), theme.style("status.hint")));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn status_word(inc: &Incident) -> String {
    match inc.closed_at {
        Some(_) => "closed".into(),
        None => inc.status.name().into(),
    }
}

fn update_word(state: &State, inc: &Incident) -> String {
    let due = inc.update_due(state.now, state.incidents.update_every);
    match (inc.last_update_at, due) {
        (Some(t), false) => ago(t, state.now),
        (Some(t), true) => format!("DUE {}", ago(t, state.now)),
        (None, true) => "DUE none".into(),
        (None, false) => "none".into(),
    }
}

fn due_style(state: &State, theme: &Theme, inc: &Incident) -> Style {
    if inc.update_due(state.now, state.incidents.update_every) { theme.style("status.error") } else { Style::default() }
}

fn roles(inc: &Incident) -> String {
    if inc.roles.is_empty() {
        return "-".into();
    }
    inc.roles.iter().map(|(role, who)| format!("{role} {who}")).collect::<Vec<_>>().join(", ")
}

/// The incident at the cursor in a few lines.
fn about(state: &State, inc: &Incident, w: usize) -> Vec<Line<'static>> {
    let when = match inc.closed_at {
        Some(t) => {
            format!("declared {} by {}, closed {}", ago(inc.declared_at, state.now), inc.declared_by, ago(t, state.now))
        }
        None => format!("declared {} by {}", ago(inc.declared_at, state.now), inc.declared_by),
    };
    let alerts = inc.alerts.iter().cloned().collect::<Vec<_>>().join(", ");
    [
        String::new(),
        format!("{} · {} · {}", inc.id, inc.title, inc.severity),
        when,
        format!("roles: {}", roles(inc)),
        format!("alerts: {alerts}"),
        format!("last update: {}", update_word(state, inc)),
    ]
    .into_iter()
    .map(|s| Line::raw(fit(&s, w)))
    .collect()
}

/// The merged timeline, one line per entry: time, who, what (the alert it is about first).
fn timeline_lines(state: &State, inc: &Incident, view: &View, w: usize, rows: usize) -> Vec<Line<'static>> {
    let lines = timeline(state, inc);
    let mut out = vec![Line::raw(fit(&format!("timeline of {} ({} entries) · esc back", inc.id, lines.len()), w))];
    let skip = view.scroll.min(lines.len().saturating_sub(1));
    for l in lines.iter().skip(skip).take(rows.saturating_sub(1)) {
        let about = l.alert.as_deref().map(|a| format!("[{a}] ")).unwrap_or_default();
        let queued = if l.queued { " (kept here)" } else { "" };
        let text = format!("{} {} {about}{}{queued}", l.at.format("%H:%M"), l.actor, l.what);
        out.push(Line::raw(fit(&text, w)));
    }
    out
}

/// "5m ago", or "just now" within the minute (the console's clock may trail a writer's).
fn ago(t: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    if (now - t).num_seconds().abs() < 60 { "just now".into() } else { super::slos::relative(t, now) }
}
