//! The bottom line: what just happened, or the keys that matter now, from the live keymap.

use super::text::{fit, pad, width};
use crate::app::state::{Mode, Pane};
use crate::app::{Action, State};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A hint: the actions whose first keys it shows ("j/k"), and the word for them there.
type Hint = (&'static [Action], &'static str);

/// The keys that matter in each pane, most useful first; what does not fit is left out.
const LIST: &[Hint] = &[
    (&[Action::Ack], "ack"),
    (&[Action::Note], "note"),
    (&[Action::Escalate], "escalate"),
    (&[Action::Runbook], "runbook"),
    (&[Action::Logs], "logs"),
    (&[Action::BrowseRunbooks], "runbooks"),
    (&[Action::Sort], "sort"),
    (&[Action::Filter], "filter"),
    (&[Action::Open], "detail"),
    (&[Action::Group], "group"),
    (&[Action::Palette], "commands"),
    (&[Action::Quit], "quit"),
];
const DETAIL: &[Hint] = &[
    (&[Action::MoveDown, Action::MoveUp], "scroll"),
    (&[Action::Ack], "ack"),
    (&[Action::Note], "note"),
    (&[Action::Escalate], "escalate"),
    (&[Action::Zoom], "zoom"),
    (&[Action::Runbook], "runbook"),
    (&[Action::Logs], "logs"),
    (&[Action::ClearFilter], "back"),
];
const LOGS: &[Hint] = &[
    (&[Action::LogFollow], "follow"),
    (&[Action::Filter], "search"),
    (&[Action::LogNextMatch], "next"),
    (&[Action::LogLevel], "level"),
    (&[Action::LogWrap], "wrap"),
    (&[Action::ScrollLeft, Action::ScrollRight], "sideways"),
    (&[Action::Open], "fields"),
    (&[Action::LogCorrelate], "same id"),
    (&[Action::Zoom], "zoom"),
    (&[Action::ClearFilter], "back"),
];
const RUNBOOK: &[Hint] = &[
    (&[Action::MoveDown, Action::MoveUp], "scroll"),
    (&[Action::CopyCode], "copy code"),
    (&[Action::BrowseRunbooks], "all runbooks"),
    (&[Action::Zoom], "zoom"),
    (&[Action::ClearFilter], "back"),
];

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let w = usize::from(area.width);
    let counts = format!(" {} ", state.list.counts());
    let unsent = if state.unsent > 0 { format!(" {} unsent ", state.unsent) } else { String::new() };
    let room = w.saturating_sub(counts.len() + unsent.len());
    let left: Line = match &state.mode {
        Mode::Filter { input, error, .. } => {
            let mut spans = vec![
                Span::styled(format!("/{input}"), theme.style("input")),
                Span::styled("█", theme.style("input.cursor")),
            ];
            if let Some(e) = error {
                spans.push(Span::styled(format!("  {e}"), theme.style("status.error")));
            } else {
                spans.push(Span::styled("  enter keeps · esc cancels", theme.style("status.hint")));
            }
            Line::from(spans)
        }
        Mode::Reassign { key, input } => {
            let hint = match &state.flash {
                Some(f) if f.error => Span::styled(format!("  {}", f.text), theme.style("status.error")),
                _ => {
                    Span::styled("  a name or email, then \": note\" · enter · esc cancels", theme.style("status.hint"))
                }
            };
            Line::from(vec![
                Span::styled(format!("reassign {key} to: {input}"), theme.style("input")),
                Span::styled("█", theme.style("input.cursor")),
                hint,
            ])
        }
        Mode::Editor(_) => Line::styled("ctrl-s saves · esc closes (the draft is kept)", theme.style("status.hint")),
        Mode::BulkNote { keys, input } => Line::from(vec![
            Span::styled(format!("note for {} alert(s): {input}", keys.len()), theme.style("input")),
            Span::styled("█", theme.style("input.cursor")),
            Span::styled("  enter asks · esc cancels", theme.style("status.hint")),
        ]),
        Mode::Confirm { .. } => Line::styled("y yes · n no", theme.style("status.hint")),
        Mode::Silence(editor) => {
            let enter = if editor.bulk.is_some() { "enter asks, then silences" } else { "enter silences" };
            Line::styled(format!("tab next field · {enter} · esc closes"), theme.style("status.hint"))
        }
        Mode::Palette { .. } if state.flash.is_some() => flash_line(state, theme),
        Mode::Palette { .. } => Line::styled(
            "type to search, or a command and its argument (sort newest) · enter runs · esc closes",
            theme.style("status.hint"),
        ),
        Mode::Help { .. } => Line::styled("j/k g/G scroll · other keys close", theme.style("status.hint")),
        Mode::Sources { .. } => Line::styled("j/k scroll · any other key closes", theme.style("status.hint")),
        Mode::Slos => Line::styled("j/k move · other keys close", theme.style("status.hint")),
        // What was stored or refused there, until the next key.
        Mode::Incidents(_) if state.flash.is_some() => flash_line(state, theme),
        Mode::Incidents(v) => Line::styled(crate::app::incidents::hint(v), theme.style("status.hint")),
        // What an expire or extend came to (stored, sent, refused) shows here.
        Mode::Silences if state.flash.is_some() => flash_line(state, theme),
        Mode::Suppressed => Line::styled("hidden alerts are shown · any key hides them", theme.style("status.hint")),
        Mode::Silences => Line::styled("the silences view: esc closes", theme.style("status.hint")),
        Mode::History if state.flash.is_some() => flash_line(state, theme),
        Mode::History => Line::styled("the history view: esc closes", theme.style("status.hint")),
        Mode::Reports => Line::styled(
            "j/k move · enter shows the alert in the list · r reads again · other keys close",
            theme.style("status.hint"),
        ),
        Mode::Runbooks(b) if b.open.is_some() && state.flash.is_none() => Line::styled(
            "j/k scroll · 1-9 follow a link · y copy code · esc back · q close",
            theme.style("status.hint"),
        ),
        Mode::Runbooks(_) if state.flash.is_none() => {
            Line::styled("type to search · ↑/↓ choose · enter opens · esc closes", theme.style("status.hint"))
        }
        Mode::Runbooks(_) => flash_line(state, theme),
        Mode::Normal if state.flash.is_some() => flash_line(state, theme),
        Mode::Normal => {
            // The one-time notice goes beside the hints: up to two thirds of the bar.
            let notice = state.attention.notice.as_deref().map(|n| fit(n, (room * 2 / 3).saturating_sub(1)));
            let mut line = hints(state, theme, room - notice.as_deref().map_or(0, |n| width(n) + 1));
            if let Some(notice) = notice {
                line.push_span(Span::styled(format!(" {notice}"), theme.style("status.info")));
            }
            line
        }
    };
    let mut line = left;
    let used = line.width();
    if used > room {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        line = Line::styled(fit(&text, room), theme.style("status"));
    } else {
        line.push_span(Span::raw(pad("", room - used)));
    }
    line.push_span(Span::styled(unsent, theme.style("status.error")));
    line.push_span(Span::styled(counts, theme.style("status")));
    frame.render_widget(Paragraph::new(line).style(theme.style("status")), area);
}

fn flash_line<'a>(state: &State, theme: &Theme) -> Line<'a> {
    match &state.flash {
        Some(f) => {
            Line::styled(format!(" {}", f.text), theme.style(if f.error { "status.error" } else { "status.info" }))
        }
        None => Line::raw(""),
    }
}

/// The hints of the focused pane, from the live keymap (each action's first key), and the
/// key for help always: the rest of the keys are there.
fn hints<'a>(state: &State, theme: &Theme, room: usize) -> Line<'a> {
    let mut spans = Vec::new();
    let mut used = 0;
    let help = state.keymap.keys_for(Action::Help).first().map(|k| (k.to_string(), "help"));
    let room = room.saturating_sub(help.as_ref().map_or(0, |(k, w)| width(k) + width(w) + 3));
    let list = match state.focus {
        Pane::List => LIST,
        Pane::Detail => DETAIL,
        Pane::Logs if !state.logs.sources.is_empty() => LOGS,
        Pane::Logs => &DETAIL[1..],
        Pane::Runbook => RUNBOOK,
    };
    for (actions, word) in list {
        let keys: Vec<String> = actions.iter().filter_map(|a| state.keymap.keys_for(*a).first()).map(arrow).collect();
        if keys.len() < actions.len() {
            continue;
        }
        let keys = keys.join("/");
        let word = if *actions == [Action::Zoom] && state.zoom { "unzoom" } else { word };
        let cost = width(&keys) + width(word) + 3;
        if used + cost > room {
            break;
        }
        spans.push(Span::styled(format!(" {keys}"), theme.style("status.key")));
        spans.push(Span::styled(format!(" {word} "), theme.style("status.hint")));
        used += cost;
    }
    if let Some((keys, word)) = help {
        spans.push(Span::styled(format!(" {keys}"), theme.style("status.key")));
        spans.push(Span::styled(format!(" {word} "), theme.style("status.hint")));
    }
    Line::from(spans)
}

/// Arrow keys as arrows: the bar is narrow.
fn arrow(key: &crate::app::Key) -> String {
    use crate::app::KeyCode;
    match (key.code, key.ctrl || key.alt) {
        (KeyCode::Left, false) => "←".into(),
        (KeyCode::Right, false) => "→".into(),
        (KeyCode::Up, false) => "↑".into(),
        (KeyCode::Down, false) => "↓".into(),
        _ => key.to_string(),
    }
}
