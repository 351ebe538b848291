//! The view: `view(&State, &Theme, &mut Frame)` reads state and draws; it never changes
//! state and never does I/O. One file per pane.

mod alert_detail;
mod alert_list;
mod header;
mod help;
mod history;
mod incidents;
pub mod log_pane;
mod overlay;
mod reports;
mod runbook_browser;
mod runbook_pane;
mod silence_list;
mod silences;
mod slos;
mod source_panel;
mod status_bar;
pub mod text;
mod window_chart;

use crate::app::State;
use crate::app::layout::Area;
use crate::app::scroll::{Drawn, Extent};
use crate::app::state::{Mode, Pane};
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn view(state: &State, theme: &Theme, frame: &mut Frame) {
    draw(state, theme, frame);
}

/// Draws like `view`, and says how long the scrolling panes' text turned out (wrapping
/// decides it): the runtime hands that to the update as `Msg::Drawn`.
pub fn draw(state: &State, theme: &Theme, frame: &mut Frame) -> Drawn {
    let mut drawn = Drawn::default();
    let size = frame.area();
    let l = state.layout();
    header::draw(frame, rect(l.header), state, theme);
    if l.list.height > 0 {
        alert_list::draw(frame, rect(l.list), state, theme);
    }
    if l.side.height > 0 {
        let focused = state.focus != Pane::List;
        match state.focus {
            Pane::List | Pane::Detail => drawn.detail = alert_detail::draw(frame, rect(l.side), state, theme, focused),
            Pane::Logs => drawn.logs = log_pane::draw(frame, rect(l.side), state, theme),
            Pane::Runbook => drawn.runbook = Some(runbook_pane::draw(frame, rect(l.side), state, theme)),
        }
    }
    status_bar::draw(frame, rect(l.status), state, theme);
    match &state.mode {
        Mode::Help { scroll } => drawn.help = Some(help::draw(frame, size, state, theme, *scroll)),
        Mode::Sources { scroll } => source_panel::draw(frame, size, state, theme, *scroll),
        Mode::Palette { input, selected } => overlay::palette(frame, size, state, theme, input, *selected),
        Mode::Confirm { prompt, .. } => overlay::confirm(frame, size, theme, prompt),
        Mode::Editor(editor) => overlay::editor(frame, size, theme, editor),
        Mode::Silence(editor) => silences::draw(frame, size, theme, editor),
        Mode::Runbooks(browser) => drawn.browser = runbook_browser::draw(frame, size, state, theme, browser),
        Mode::Reports => reports::draw(frame, size, state, theme),
        Mode::Slos => slos::draw(frame, size, state, theme),
        Mode::Incidents(view) => incidents::draw(frame, size, state, theme, view),
        Mode::Silences => silence_list::draw(frame, size, state, theme),
        Mode::History => history::draw(frame, size, state, theme),
        Mode::Suppressed => silence_list::hidden(frame, size, state, theme),
        Mode::Normal | Mode::Filter { .. } | Mode::Reassign { .. } | Mode::BulkNote { .. } => {}
    }
    drawn
}

/// Long text in a bordered pane: wrapped, scrolled to `at` (kept inside the text), with
/// the rows in view on the bottom border when there is more than fits. Returns its measure.
fn scrolled(
    frame: &mut Frame,
    area: Rect,
    block: ratatui::widgets::Block,
    text: ratatui::widgets::Paragraph,
    at: usize,
    theme: &Theme,
) -> Extent {
    let inner = block.inner(area);
    let text = text.wrap(ratatui::widgets::Wrap { trim: false });
    let extent = Extent { rows: text.line_count(inner.width), height: usize::from(inner.height) };
    let at = at.min(extent.max());
    let block = match extent.indicator(at) {
        Some(pos) => block.title_bottom(ratatui::text::Line::styled(pos, theme.style("status.key")).right_aligned()),
        None => block,
    };
    frame.render_widget(text.block(block).scroll((u16::try_from(at).unwrap_or(u16::MAX), 0)), area);
    extent
}

fn rect(a: Area) -> Rect {
    Rect { x: a.x, y: a.y, width: a.width, height: a.height }
}

/// A bordered block styled for focus.
fn pane<'a>(title: impl Into<ratatui::text::Line<'a>>, focused: bool, theme: &Theme) -> ratatui::widgets::Block<'a> {
    use ratatui::widgets::{Block, BorderType};
    let border = if focused { theme.style("pane.border.focused") } else { theme.style("pane.border") };
    Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(border)
        .title(title.into().style(theme.style("pane.title")))
}

/// `12m` / `3h` / `<1m`: ages at minute granularity, so an idle console redraws once a minute.
fn age(now: chrono::DateTime<chrono::Utc>, then: chrono::DateTime<chrono::Utc>) -> String {
    let m = (now - then).num_minutes().max(0);
    match m {
        0 => "<1m".into(),
        1..60 => format!("{m}m"),
        60..1440 => format!("{}h", m / 60),
        _ => format!("{}d", m / 1440),
    }
}
