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
/// It stops where the last line is at the bottom: the view measured the rendered runbook.
pub fn scroll_pane(state: &mut State, action: Action) -> bool {
    let extent = state.scroll.runbook_extent;
    let Some(pane) = state.runbook.as_mut().filter(|_| state.focus == Pane::Runbook) else { return false };
    extent.step(pane.scroll, action).map(|to| pane.scroll = to).is_some()
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
    // The rendered runbook's rows, as the last frame measured them: `G` stops at its last line.
    let extent = state.scroll.browser_extent;
    let Mode::Runbooks(b) = &mut state.mode else { return };
    if let Some(rb) = &b.open {
        let step = |at: usize, action| extent.step(at, action).unwrap_or(at);
        match key.code {
            KeyCode::Esc => b.open = None,
            KeyCode::Char('q') => state.mode = Mode::Normal,
            KeyCode::Char('j') | KeyCode::Down => b.scroll = step(b.scroll, Action::MoveDown),
            KeyCode::Char('k') | KeyCode::Up => b.scroll = step(b.scroll, Action::MoveUp),
            KeyCode::PageDown | KeyCode::Char(' ') => b.scroll = step(b.scroll, Action::PageDown),
            KeyCode::PageUp => b.scroll = step(b.scroll, Action::PageUp),
            KeyCode::Char('g') | KeyCode::Home => b.scroll = step(b.scroll, Action::Top),
            KeyCode::Char('G') | KeyCode::End => b.scroll = step(b.scroll, Action::Bottom),
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
