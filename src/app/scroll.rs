//! Scrolling the panes whose text can be longer than the pane: the detail, the runbook (pane
//! and browser) and the help overlay.
//!
//! How many rows a pane's text takes depends on wrapping, which only the view knows. So
//! the view reports what it drew (`Msg::Drawn`: each pane's rows and height) and the update
//! keeps every offset within it: `G` stops where the last line is at the bottom, and `j`
//! past the end does nothing, instead of scrolling into blank space.

use super::Action;
use super::state::{Mode, State};

/// What the last frame drew of one pane: its text's rows (wrapped) and the rows it had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extent {
    pub rows: usize,
    pub height: usize,
}

impl Extent {
    /// The furthest offset: the last row at the bottom of the pane. Before any frame has
    /// measured the pane, no limit: the view keeps the offset inside the text, and the
    /// first measure pulls it back.
    pub fn max(&self) -> usize {
        if *self == Extent::default() { usize::MAX } else { self.rows.saturating_sub(self.height) }
    }

    /// Where a movement action takes the view from `at`; None for other actions.
    pub fn step(&self, at: usize, action: Action) -> Option<usize> {
        let page = self.height.saturating_sub(1).max(1);
        let to = match action {
            Action::MoveDown => at + 1,
            Action::MoveUp => at.saturating_sub(1),
            Action::PageDown => at + page,
            Action::PageUp => at.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => usize::MAX,
            _ => return None,
        };
        Some(to.min(self.max()))
    }

    /// Moves `at` by `delta` rows (the mouse wheel), within the text.
    pub fn by(&self, at: usize, delta: isize) -> usize {
        at.saturating_add_signed(delta).min(self.max())
    }

    /// `12-30/80 ↑↓`: the rows in view, of how many, and which way there is more; None when
    /// everything fits.
    pub fn indicator(&self, at: usize) -> Option<String> {
        if self.rows <= self.height || self.height == 0 {
            // Everything fits (or nothing was measured yet).
            return None;
        }
        let at = at.min(self.max());
        let last = (at + self.height).min(self.rows);
        let up = if at > 0 { "↑" } else { "" };
        let down = if last < self.rows { "↓" } else { "" };
        Some(format!(" {}-{last}/{} {up}{down} ", at + 1, self.rows))
    }
}

/// Every pane's measure from the last frame; a pane not drawn keeps its last one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub detail: Option<Extent>,
    pub runbook: Option<Extent>,
    pub browser: Option<Extent>,
    pub help: Option<Extent>,
    /// The log pane's cursor line (by id), its rows with its fields, and the rows for lines.
    pub logs: Option<(u64, Extent)>,
}

/// The last measures of the overlays that scroll (each pane keeps its own in its part).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scrolls {
    pub browser_extent: Extent,
    pub help_extent: Extent,
}

/// Takes a frame's measures in, and pulls every offset back inside its text (the text may
/// have become shorter, or the pane taller).
pub fn drawn(state: &mut State, d: Drawn) {
    let mut moved = false;
    if let Some(e) = d.detail {
        moved |= state.detail.measured(e);
    }
    if let Some(e) = d.runbook {
        moved |= state.runbooks.measured(e);
    }
    if let Some(e) = d.browser {
        state.scroll.browser_extent = e;
        if let Mode::Runbooks(b) = &mut state.mode {
            b.scroll = b.scroll.min(e.max());
        }
    }
    if d.logs.is_some() {
        state.logs.measured = d.logs;
    }
    if let Some(e) = d.help {
        state.scroll.help_extent = e;
        if let Mode::Help { scroll } = &mut state.mode {
            *scroll = (*scroll).min(e.max());
        }
    }
    if moved {
        state.dirty = true;
    }
}

/// Movement keys in the help overlay. True when handled.
pub fn help_action(state: &mut State, action: Action) -> bool {
    let extent = state.scroll.help_extent;
    let Mode::Help { scroll } = &mut state.mode else { return false };
    match extent.step(*scroll, action) {
        Some(to) => {
            *scroll = to;
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_inside_the_text() {
        let e = Extent { rows: 50, height: 10 };
        assert_eq!(e.step(0, Action::Bottom), Some(40), "the last row at the bottom");
        assert_eq!(e.step(40, Action::MoveDown), Some(40));
        assert_eq!(e.step(40, Action::MoveUp), Some(39), "one key back, not the overshoot");
        assert_eq!(e.step(5, Action::PageDown), Some(14));
        assert_eq!(e.step(5, Action::PageUp), Some(0));
        assert_eq!(e.step(5, Action::Ack), None);
        assert_eq!(Extent { rows: 5, height: 10 }.step(0, Action::Bottom), Some(0), "it all fits");
        assert_eq!(e.indicator(0).as_deref(), Some(" 1-10/50 ↓ "));
        assert_eq!(e.indicator(20).as_deref(), Some(" 21-30/50 ↑↓ "));
        assert_eq!(e.indicator(99).as_deref(), Some(" 41-50/50 ↑ "));
        assert_eq!(Extent { rows: 10, height: 10 }.indicator(0), None);
        assert_eq!(Extent::default().step(3, Action::MoveDown), Some(4), "not measured yet: no limit");
    }
}
