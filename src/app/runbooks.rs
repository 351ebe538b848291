//! The runbook pane beside the selected alert and the full-screen runbook browser.

use super::scroll::Extent;
use super::state::{Flash, Mode, Pane, State};
use super::{Action, Effect, Key, KeyCode};
use crate::model::{Alert, AlertKey};
use crate::runbooks::{Follow, Library, Reference, Resolution, Runbook, follow, markdown, resolve};
use std::sync::Arc;

/// The runbooks' part of the state: the library, the pane beside the selected alert, and
/// whether `y` may copy code. (The browser is an overlay: it lives in `Mode::Runbooks`.)
#[derive(Default)]
pub struct Runbooks {
    pub library: Arc<Library>,
    pub pane: Option<RunbookPane>,
    /// `y` may copy code blocks (OSC 52): off unless the config allows it.
    pub copy_code: bool,
    /// What the last frame measured of the pane.
    pub extent: Extent,
}

impl Runbooks {
    /// The library, at start: the pane works its runbook out again.
    pub fn set_library(&mut self, library: Arc<Library>) {
        self.library = library;
        self.pane = None;
    }

    /// Works out the runbook for `alert` (the selected one, while the pane shows) when it
    /// changed, `width` cells wide; asks the runtime to read a file or URL it points to.
    pub fn follow(&mut self, alert: Option<&Alert>, width: u16) -> Option<Effect> {
        let Some(alert) = alert else {
            self.pane = None;
            return None;
        };
        if self.pane.as_ref().is_some_and(|p| p.alert == alert.key) {
            return None;
        }
        let resolution = resolve(&self.library, alert);
        let load = resolution.external.clone().map(Effect::LoadRunbook);
        let mut pane = RunbookPane { alert: alert.key.clone(), resolution, loaded: None, scroll: 0, layout: None };
        pane_to_anchor(&mut pane, width);
        self.pane = Some(pane);
        load
    }

    /// Movement keys in the pane. It stops where the last line is at the bottom: the view
    /// measured the rendered runbook. True when handled.
    pub fn scroll(&mut self, action: Action) -> bool {
        let extent = self.extent;
        let Some(pane) = self.pane.as_mut() else { return false };
        extent.step(pane.scroll, action).map(|to| pane.scroll = to).is_some()
    }

    /// A runbook the runtime read for the pane's reference (another reference is ignored).
    pub fn loaded(&mut self, reference: &Reference, result: Result<Runbook, String>, width: u16) {
        if let Some(pane) = self.pane.as_mut().filter(|p| p.resolution.external.as_ref() == Some(reference)) {
            pane.loaded = Some(result);
            pane.layout = None;
            pane_to_anchor(pane, width);
        }
    }

    /// A frame's measure; the offset stays inside the text. True when the offset moved.
    pub fn measured(&mut self, extent: Extent) -> bool {
        self.extent = extent;
        let Some(p) = self.pane.as_mut() else { return false };
        let before = p.scroll;
        p.scroll = p.scroll.min(extent.max());
        before != p.scroll
    }
}

/// The runbook beside the selected alert.
#[derive(Debug, Clone)]
pub struct RunbookPane {
    pub alert: AlertKey,
    pub resolution: Resolution,
    /// What the runtime read for the alert's external reference, when it has one.
    pub loaded: Option<Result<Runbook, String>>,
    pub scroll: usize,
    /// Where the shown runbook's code blocks and headings are, at the width it was laid out for.
    pub layout: Option<Layout>,
}

impl RunbookPane {
    /// The runbook to show: the external one when read, else the library's pick.
    pub fn shown(&self) -> Option<&Runbook> {
        match &self.loaded {
            Some(Ok(rb)) => Some(rb),
            _ => self.resolution.chosen.as_ref(),
        }
    }
}

/// Where a runbook's code blocks and headings fall when laid out `width` cells wide: worked out
/// once per runbook and width, for `y` and for links to a heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub width: u16,
    pub code_lines: Vec<(usize, usize)>,
    pub headings: Vec<(usize, String)>,
}

impl Layout {
    fn line_of(&self, anchor: &str) -> Option<usize> {
        let anchor = markdown::slug(&crate::runbooks::index::percent_decode(anchor));
        self.headings.iter().find(|(_, s)| *s == anchor).map(|(line, _)| *line)
    }
}

/// The layout kept in `cache`, worked out again only for another width.
fn layout(cache: &mut Option<Layout>, width: u16, make: impl FnOnce() -> markdown::Document) -> &Layout {
    if cache.as_ref().is_none_or(|l| l.width != width) {
        let doc = make();
        *cache = Some(Layout { width, code_lines: doc.code_lines, headings: doc.headings });
    }
    cache.as_ref().expect("just set")
}

/// The width the browser lays a runbook out at (inside its border), and the pane.
fn widths(state: &State) -> (u16, u16) {
    (state.size.0.saturating_sub(2), state.layout().side.width.saturating_sub(2))
}

/// The full-screen runbook browser: a search over the library, or one runbook open.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub query: String,
    pub selected: usize,
    pub open: Option<Runbook>,
    pub scroll: usize,
    /// The runbooks left by following links, each with its scroll: `esc` goes back to them.
    pub back: Vec<(Runbook, usize)>,
    /// Where the open runbook's code blocks and headings are, at the width it was laid out for.
    pub layout: Option<Layout>,
    /// The digits of a link number typed so far (`1` then `2` for [12]).
    pub digits: String,
}

impl Browser {
    /// Opens `rb` in place of the search or of the open runbook (kept to go back to).
    fn open(&mut self, rb: Runbook) {
        if let Some(current) = self.open.take() {
            self.back.push((current, self.scroll));
        }
        self.open = Some(rb);
        self.scroll = 0;
        self.layout = None;
    }
}

/// Works out the runbook for the selected alert when the pane is showing and the alert
/// changed; asks the runtime to read a file or URL the alert points to.
pub fn refresh_pane(state: &mut State, fx: &mut Vec<Effect>) {
    if state.focus != Pane::Runbook {
        return;
    }
    let width = widths(state).1;
    let alert = state.list.selected_item().map(|i| &*i.alert);
    fx.extend(state.runbooks.follow(alert, width));
}

/// Scrolls the pane to the heading the alert's reference names (`runbook.md#alert-name-x`).
fn pane_to_anchor(pane: &mut RunbookPane, width: u16) {
    let Some(anchor) = pane.resolution.anchor.clone() else { return };
    let Some(rb) = pane.shown().cloned() else { return };
    let (note, others) = (pane.resolution.note.clone(), pane.resolution.others.clone());
    let at =
        layout(&mut pane.layout, width, || markdown::document(&rb, note.as_deref(), &others, width, plain_theme()));
    if let Some(line) = at.line_of(&anchor) {
        pane.scroll = line;
    }
}

/// Moves in the runbook pane instead of the list while it has focus. True when handled.
/// It stops where the last line is at the bottom: the view measured the rendered runbook.
pub fn scroll_pane(state: &mut State, action: Action) -> bool {
    state.focus == Pane::Runbook && state.runbooks.scroll(action)
}

pub fn open_browser(state: &mut State) {
    state.mode = Mode::Runbooks(Box::default());
}

pub fn loaded(state: &mut State, reference: Reference, result: Result<Runbook, String>) {
    if let Mode::Runbooks(b) = &mut state.mode {
        match result {
            Ok(rb) => b.open(rb),
            Err(e) => flash(state, e, true),
        }
    } else {
        let width = widths(state).1;
        state.runbooks.loaded(&reference, result, width);
    }
    state.dirty = true;
}

fn flash(state: &mut State, text: String, error: bool) {
    state.flash = Some(Flash { text, error });
}

/// `y`: the code block at the top line of the view (the cursor), else the next one below it,
/// to the clipboard (when allowed).
pub fn copy_code(state: &mut State, fx: &mut Vec<Effect>) {
    if !state.runbooks.copy_code {
        return flash(state, "copying is off: set copy_code = true under [runbooks]".into(), true);
    }
    let (browser_width, pane_width) = widths(state);
    let theme = plain_theme();
    let found = match &mut state.mode {
        Mode::Runbooks(b) => b.open.as_ref().map(|rb| {
            let at = layout(&mut b.layout, browser_width, || markdown::document(rb, None, &[], browser_width, theme));
            (rb, pick(&at.code_lines, b.scroll))
        }),
        _ => state.runbooks.pane.as_mut().filter(|_| state.focus == Pane::Runbook).and_then(|p| {
            let rb = match &p.loaded {
                Some(Ok(rb)) => rb,
                _ => p.resolution.chosen.as_ref()?,
            };
            let (note, others) = (p.resolution.note.as_deref(), &p.resolution.others);
            let at = layout(&mut p.layout, pane_width, || markdown::document(rb, note, others, pane_width, theme));
            Some((rb, pick(&at.code_lines, p.scroll)))
        }),
    };
    let (text, error) = match found {
        None => ("open a runbook first".to_owned(), true),
        Some((rb, _)) if rb.code_blocks.is_empty() => ("this runbook has no code block".to_owned(), true),
        Some((rb, None)) => (format!("no code block from here down ({} above)", rb.code_blocks.len()), true),
        Some((rb, Some(n))) => {
            let code = &rb.code_blocks[n];
            fx.push(Effect::Copy(code.clone()));
            let first = code.lines().next().unwrap_or_default();
            (format!("copied code block {} of {}: {first}", n + 1, rb.code_blocks.len()), false)
        }
    };
    flash(state, text, error);
}

/// The block holding line `cursor`, else the first one after it.
fn pick(blocks: &[(usize, usize)], cursor: usize) -> Option<usize> {
    blocks.iter().position(|&(_, end)| end > cursor)
}

/// Layout needs no colours: the default theme, parsed once.
fn plain_theme() -> &'static crate::config::theme::Theme {
    static THEME: std::sync::OnceLock<crate::config::theme::Theme> = std::sync::OnceLock::new();
    THEME.get_or_init(Default::default)
}

/// Follows link `[n]` of the open runbook.
fn follow_link(state: &mut State, n: usize, width: u16, fx: &mut Vec<Effect>) {
    let Mode::Runbooks(b) = &mut state.mode else { return };
    let Some(rb) = &b.open else { return };
    let Some((_, url)) = n.checked_sub(1).and_then(|i| rb.links.get(i)) else {
        return flash(state, format!("there is no link [{n}]"), true);
    };
    let anchor = url.split_once('#').map(|(_, a)| a.to_owned()).filter(|a| !a.is_empty());
    match follow(&state.runbooks.library, rb, url) {
        Follow::Open(target) => {
            let target = target.clone();
            b.open(target);
        }
        Follow::Within(_) => {}
        Follow::Load(reference) => return fx.push(Effect::LoadRunbook(reference)),
        Follow::Nothing(why) => return flash(state, format!("[{n}]: {why}"), true),
    }
    state.flash = None;
    // `#diagnosis`, here or in the runbook just opened: scroll to that heading.
    let Mode::Runbooks(b) = &mut state.mode else { return };
    if let (Some(anchor), Some(rb)) = (anchor, &b.open) {
        let at = layout(&mut b.layout, width, || markdown::document(rb, None, &[], width, plain_theme()));
        match at.line_of(&anchor) {
            Some(line) => b.scroll = line,
            None => {
                let text = format!("[{n}]: no heading #{anchor} in {}", rb.name);
                flash(state, text, true)
            }
        }
    }
}

/// Keys while the browser is open.
pub fn browser_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    // The rendered runbook's rows, as the last frame measured them: `G` stops at its last line.
    let extent = state.scroll.browser_extent;
    let width = widths(state).0;
    let Mode::Runbooks(b) = &mut state.mode else { return };
    if let Some(rb) = &b.open {
        let step = |at: usize, action| extent.step(at, action).unwrap_or(at);
        // Digits typed toward a link number wait only for another digit or enter.
        let typing = std::mem::take(&mut b.digits);
        if !typing.is_empty() && (matches!(key.code, KeyCode::Char('0'..='9') | KeyCode::Enter)) {
            b.digits = typing;
        } else if !typing.is_empty() && key.code == KeyCode::Esc {
            state.flash = None;
            return;
        }
        match key.code {
            KeyCode::Esc => match b.back.pop() {
                Some((previous, at)) => {
                    b.open = Some(previous);
                    b.scroll = at;
                    b.layout = None;
                }
                None => b.open = None,
            },
            KeyCode::Char('q') => state.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => b.scroll = step(b.scroll, Action::MoveDown),
            KeyCode::Char('k') | KeyCode::Up => b.scroll = step(b.scroll, Action::MoveUp),
            KeyCode::PageDown | KeyCode::Char(' ') => b.scroll = step(b.scroll, Action::PageDown),
            KeyCode::PageUp => b.scroll = step(b.scroll, Action::PageUp),
            KeyCode::Char('g') | KeyCode::Home => b.scroll = step(b.scroll, Action::Top),
            KeyCode::Char('G') | KeyCode::End => b.scroll = step(b.scroll, Action::Bottom),
            KeyCode::Char('y') => copy_code(state, fx),
            KeyCode::Char(d @ '0'..='9') => {
                b.digits.push(d);
                let typed: usize = b.digits.parse().unwrap_or(0);
                let count = rb.links.len();
                if typed == 0 || typed > count {
                    b.digits.clear();
                    return flash(state, format!("there is no link [{typed}]"), true);
                }
                // Follow at once when no longer number starts with these digits.
                if typed * 10 > count {
                    b.digits.clear();
                    return follow_link(state, typed, width, fx);
                }
                flash(state, format!("link [{typed}…]: another digit, or enter for [{typed}]"), false);
            }
            KeyCode::Enter if !b.digits.is_empty() => {
                let typed = std::mem::take(&mut b.digits).parse().unwrap_or(0);
                follow_link(state, typed, width, fx);
            }
            _ => {}
        }
        return;
    }
    let hits = state.runbooks.library.search(&b.query, usize::MAX).len();
    match key.code {
        KeyCode::Esc => state.mode = Mode::Normal,
        KeyCode::Enter => {
            if let Some(chosen) = state.runbooks.library.search(&b.query, usize::MAX).get(b.selected) {
                b.back.clear();
                b.open(chosen.runbook.clone());
            }
        }
        KeyCode::Up => b.selected = b.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => b.selected = (b.selected + 1).min(hits.saturating_sub(1)),
        KeyCode::Backspace => {
            b.query.pop();
            b.selected = 0;
        }
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            b.query.push(c);
            b.selected = 0;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_under_the_cursor_else_the_next() {
        let blocks = [(3, 5), (8, 12)];
        assert_eq!(pick(&blocks, 0), Some(0));
        assert_eq!(pick(&blocks, 4), Some(0));
        assert_eq!(pick(&blocks, 5), Some(1));
        assert_eq!(pick(&blocks, 11), Some(1));
        assert_eq!(pick(&blocks, 12), None);
    }
}
