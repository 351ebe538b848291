//! The runbook pane beside the selected alert and the full-screen runbook browser.

use super::state::{Browser, Mode, Pane, RunbookPane, State};
use super::{Action, Effect, Key, KeyCode};
use crate::runbooks::{Reference, parts, resolve};

/// Works out the runbook for the selected alert when the pane is showing and the alert
/// changed; asks the runtime to read a file or URL the alert points to.
pub fn refresh_pane(state: &mut State, fx: &mut Vec<Effect>) {
    if state.focus != Pane::Runbook {
        return;
    }
    let Some(item) = state.selected_item() else {
        state.runbook = None;
        return;
    };
    if state.runbook.as_ref().is_some_and(|p| p.alert == item.alert.key) {
        return;
    }
    let resolution = resolve(&state.runbooks, &item.alert);
    if let Some(r) = &resolution.external {
        fx.push(Effect::LoadRunbook(r.clone()));
    }
    state.runbook = Some(RunbookPane { alert: item.alert.key.clone(), resolution, loaded: None, scroll: 0 });
}

/// Moves in the runbook pane instead of the list while it has focus. True when handled.
pub fn scroll_pane(state: &mut State, action: Action) -> bool {
    let page = state.layout().side.height.saturating_sub(2) as usize;
    let Some(pane) = state.runbook.as_mut().filter(|_| state.focus == Pane::Runbook) else { return false };
    let max = pane.shown().map_or(0, |rb| rb.body.lines().count() + 10);
    pane.scroll = scroll(pane.scroll, action, page, max);
    matches!(
        action,
        Action::MoveDown | Action::MoveUp | Action::PageDown | Action::PageUp | Action::Top | Action::Bottom
    )
}

fn scroll(at: usize, action: Action, page: usize, max: usize) -> usize {
    match action {
        Action::MoveDown => (at + 1).min(max),
        Action::MoveUp => at.saturating_sub(1),
        Action::PageDown => (at + page.max(1)).min(max),
        Action::PageUp => at.saturating_sub(page.max(1)),
        Action::Top => 0,
        Action::Bottom => max,
        _ => at,
    }
}

pub fn open_browser(state: &mut State) {
    state.mode =
        Mode::Runbooks(Box::new(Browser { query: String::new(), selected: 0, open: None, scroll: 0, next_code: 0 }));
}

pub fn loaded(state: &mut State, reference: Reference, result: Result<crate::runbooks::Runbook, String>) {
    if let Mode::Runbooks(b) = &mut state.mode {
        match result {
            Ok(rb) => {
                b.open = Some(rb);
                b.scroll = 0;
                b.next_code = 0;
            }
            Err(e) => state.flash = Some(super::state::Flash { text: e, error: true }),
        }
    } else if let Some(pane) = state.runbook.as_mut().filter(|p| p.resolution.external.as_ref() == Some(&reference)) {
        pane.loaded = Some(result);
    }
    state.dirty = true;
}

/// The runbook a person is looking at: the open one in the browser, else the pane's.
fn looked_at(state: &State) -> Option<&crate::runbooks::Runbook> {
    match &state.mode {
        Mode::Runbooks(b) => b.open.as_ref(),
        _ => state.runbook.as_ref().filter(|_| state.focus == Pane::Runbook).and_then(RunbookPane::shown),
    }
}

/// `y`: the next code block of the runbook in view, to the clipboard (when allowed).
pub fn copy_code(state: &mut State, fx: &mut Vec<Effect>) {
    let say = |state: &mut State, text: String, error: bool| state.flash = Some(super::state::Flash { text, error });
    if !state.copy_code {
        return say(state, "copying is off: set copy_code = true under [runbooks]".into(), true);
    }
    let Some(blocks) = looked_at(state).map(|rb| parts::code_blocks(&rb.body)) else {
        return say(state, "open a runbook first".into(), true);
    };
    if blocks.is_empty() {
        return say(state, "this runbook has no code block".into(), true);
    }
    let n = match &mut state.mode {
        Mode::Runbooks(b) => {
            let n = b.next_code % blocks.len();
            b.next_code = n + 1;
            n
        }
        _ => 0,
    };
    fx.push(Effect::Copy(blocks[n].clone()));
    say(state, format!("copied code block {} of {} to the clipboard", n + 1, blocks.len()), false);
}

/// Keys while the browser is open.
pub fn browser_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    let page = usize::from(state.size.1.saturating_sub(4));
    let Mode::Runbooks(b) = &mut state.mode else { return };
    if let Some(rb) = &b.open {
        let max = rb.body.lines().count() + 10;
        match key.code {
            KeyCode::Esc => b.open = None,
            KeyCode::Char('q') => state.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => b.scroll = scroll(b.scroll, Action::MoveDown, page, max),
            KeyCode::Char('k') | KeyCode::Up => b.scroll = scroll(b.scroll, Action::MoveUp, page, max),
            KeyCode::PageDown | KeyCode::Char(' ') => b.scroll = scroll(b.scroll, Action::PageDown, page, max),
            KeyCode::PageUp => b.scroll = scroll(b.scroll, Action::PageUp, page, max),
            KeyCode::Char('g') | KeyCode::Home => b.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => b.scroll = max,
            KeyCode::Char('y') => copy_code(state, fx),
            KeyCode::Char(d @ '1'..='9') => {
                let links = parts::links(&rb.body);
                let n = d as usize - '1' as usize;
                match links.get(n).map(|(_, url)| Reference::parse(url)) {
                    Some(Reference::Name(name)) => match state.runbooks.get(&name) {
                        Some(target) => {
                            b.open = Some(target.clone());
                            b.scroll = 0;
                        }
                        None => {
                            state.flash =
                                Some(super::state::Flash { text: format!("no runbook named {name:?}"), error: true })
                        }
                    },
                    Some(other) => fx.push(Effect::LoadRunbook(other)),
                    None => {
                        state.flash = Some(super::state::Flash { text: format!("there is no link [{d}]"), error: true })
                    }
                }
            }
            _ => {}
        }
        return;
    }
    let hits = state.runbooks.search(&b.query, usize::MAX).len();
    match key.code {
        KeyCode::Esc => state.mode = Mode::Normal,
        KeyCode::Enter => {
            let chosen = state.runbooks.search(&b.query, usize::MAX).get(b.selected).map(|h| h.runbook.clone());
            b.open = chosen;
            b.scroll = 0;
            b.next_code = 0;
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
