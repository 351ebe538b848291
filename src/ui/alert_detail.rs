//! The selected alert: what it is, who owns it, its labels, links and timeline.

use super::{age, pane, scrolled};
use crate::app::State;
use crate::app::scroll::Extent;
use crate::config::theme::Theme;
use crate::model::{AlertKey, EntryKind, WINDOW_ANNOTATION, Window};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Returns the measure of the alert's text (None when no alert is selected).
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, focused: bool) -> Option<Extent> {
    let block = pane(" Detail ", focused, theme);
    let Some(item) = state.selected_item() else {
        let text =
            if state.list.rows.is_empty() { "Nothing selected." } else { "A group: enter collapses or opens it." };
        frame.render_widget(Paragraph::new(text).style(theme.style("list.resolved")).block(block), area);
        return None;
    };
    let a = &item.alert;
    let label = |s: &str| Span::styled(format!("{s} "), theme.style("detail.label"));
    let value = |s: String| Span::styled(s, theme.style("detail.value"));
    let mut lines = vec![
        Line::styled(a.title.clone(), theme.style("detail.value").add_modifier(ratatui::style::Modifier::BOLD)),
        Line::from(vec![
            Span::styled(format!(" {} ", a.severity.name().to_uppercase()), theme.severity(a.severity)),
            Span::raw(" "),
            value(a.status.name().to_string()),
            match item.owner() {
                Some(o) => value(format!(" · owned by {o}")),
                None => Span::styled(" · nobody owns it", theme.style("status.error")),
            },
            if item.own.escalation_level > 0 {
                value(format!(" · escalated to level {}", item.own.escalation_level))
            } else {
                Span::raw("")
            },
        ]),
        Line::from(vec![
            label("key"),
            value(a.key.to_string()),
            label("  started"),
            value(format!("{} ({} ago)", a.started_at.format("%Y-%m-%d %H:%M UTC"), age(state.now, a.started_at))),
        ]),
    ];
    if let Some(why) = &a.guessed.severity {
        let text = format!("{why}: shown as {}, the source's default_severity", a.severity.name());
        lines.push(Line::from(vec![label("severity guessed"), value(text)]));
    }
    if a.guessed.started_at {
        lines.push(Line::from(vec![
            label("started"),
            value("when klaxon first saw it: the source does not say".into()),
        ]));
    }
    if let Some(why) = &a.suppression {
        lines.push(Line::from(vec![label("suppressed"), value(why.clone())]));
    }
    for ack in &a.source_acks {
        let text = if ack.text.is_empty() { String::new() } else { format!(": {}", ack.text) };
        lines.push(Line::from(vec![label("acknowledged at the source by"), value(format!("{}{text}", ack.by))]));
    }
    if a.host.is_some() || a.service.is_some() {
        lines.push(Line::from(vec![
            label("host"),
            value(a.host.clone().unwrap_or_else(|| "-".into())),
            label("  service"),
            value(a.service.clone().unwrap_or_else(|| "-".into())),
        ]));
    }
    if let Some(w) = Window::of(a) {
        lines.extend(super::window_chart::lines(&w, usize::from(area.width.saturating_sub(2)), theme));
    }
    for s in state.slos.for_alert(a) {
        lines.extend(super::slos::for_alert(s, state.now, theme));
    }
    if !a.labels.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Labels", theme.style("detail.label")));
        let text: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(Line::styled(text.join("  "), theme.style("detail.value")));
    }
    if a.annotations.keys().any(|k| k != WINDOW_ANNOTATION) {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Annotations", theme.style("detail.label")));
        // The window is drawn above, not written out.
        for (k, v) in a.annotations.iter().filter(|(k, _)| *k != WINDOW_ANNOTATION) {
            let mut parts = v.split('\n');
            lines.push(Line::from(vec![label(&format!("{k}:")), value(parts.next().unwrap_or("").to_owned())]));
            lines.extend(parts.map(|p| Line::styled(format!("  {p}"), theme.style("detail.value"))));
        }
    }
    if !a.links.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Links", theme.style("detail.label")));
        for l in &a.links {
            lines.push(Line::from(vec![
                label(&format!("{}:", l.kind)),
                Span::styled(l.url.clone(), theme.style("detail.link")),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Timeline", theme.style("detail.label")));
    lines.extend(timeline(state, &a.key, theme));
    if let Some(draft) = state.detail.drafts.get(&a.key).filter(|d| !d.trim().is_empty()) {
        lines.push(Line::styled(
            format!("draft note ({} chars): n to continue", draft.chars().count()),
            theme.style("status.info"),
        ));
    }
    Some(scrolled(frame, area, block, Paragraph::new(lines), state.detail.scroll, theme))
}

/// An alert's timeline from the store, one line per entry (a note's further lines under
/// it), or that it is loading or empty. The history view shows it too.
pub fn timeline(state: &State, key: &AlertKey, theme: &Theme) -> Vec<Line<'static>> {
    let entries = match state.detail.timelines.get(key) {
        None => return vec![Line::styled("loading…", theme.style("list.resolved"))],
        Some(entries) if entries.is_empty() => {
            return vec![Line::styled("no entries yet", theme.style("list.resolved"))];
        }
        Some(entries) => entries,
    };
    let mut lines = Vec::new();
    for e in entries {
        let what = match e.kind {
            EntryKind::Escalated => format!("escalated to level {}", e.level.unwrap_or(1)),
            EntryKind::Seen => "first seen".into(),
            kind => kind.name().replace('-', " "),
        };
        let mut spans = vec![
            Span::styled(e.at.format("%m-%d %H:%M ").to_string(), theme.style("timeline.time")),
            Span::styled(format!("{} ", e.actor), theme.style("timeline.actor")),
            Span::styled(what, theme.style("timeline.kind")),
        ];
        let mut text = e.text.split('\n');
        if let Some(first) = text.next().filter(|t| !t.is_empty() && e.kind != EntryKind::Seen) {
            spans.push(Span::styled(format!(": {first}"), theme.style("detail.value")));
        }
        lines.push(Line::from(spans));
        lines.extend(text.map(|t| Line::styled(format!("    {t}"), theme.style("detail.value"))));
    }
    lines
}
