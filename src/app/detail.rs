//! The detail pane's part of the state: each alert's timeline as the store told it, the
//! note drafts, and where the pane is scrolled.

use super::Action;
use super::scroll::Extent;
use crate::model::{AlertKey, Entry, Ownership};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    pub timelines: HashMap<AlertKey, Vec<Entry>>,
    /// Note drafts by alert, kept on disk as they are typed.
    pub drafts: HashMap<AlertKey, String>,
    /// First row of the pane in view.
    pub scroll: usize,
    /// The alert the offset belongs to: another alert starts at the top.
    pub of: Option<AlertKey>,
    /// What the last frame measured of the pane.
    pub extent: Extent,
}

/// What one entry did to a loaded timeline.
#[derive(Debug, Default)]
pub struct Merged {
    /// The whole timeline is loaded: ownership from it, read again in full.
    pub whole: Option<Ownership>,
    /// An action kept on this host came back stored: read the timeline again.
    pub reload: bool,
}

impl Detail {
    /// Takes an entry (by this console or another) into the alert's timeline when it is
    /// loaded, or stands for it while the store is out of reach.
    pub fn merge(&mut self, e: &Entry) -> Merged {
        let key = &e.alert_key;
        let whole = self.timelines.get(key).is_some_and(|tl| tl.iter().any(|x| !x.is_queued()));
        let mut merged = Merged::default();
        if let Some(tl) = self.timelines.get_mut(key) {
            // By op_id: an action queued offline comes back with its id once stored.
            match tl.iter_mut().find(|x| x.op_id == e.op_id) {
                Some(x) if x.is_queued() && !e.is_queued() => {
                    *x = e.clone();
                    // The store is back: read what happened meanwhile, whole.
                    merged.reload = true;
                }
                Some(_) => {}
                None => tl.push(e.clone()),
            }
            tl.sort_by_key(Entry::order);
            if whole {
                merged.whole = Some(Ownership::from_entries(tl.iter()));
            }
        } else if e.is_queued() {
            // Kept on this host because the store is out of reach: reading the timeline
            // would fail too, so this action stands for it until then.
            self.timelines.insert(key.clone(), vec![e.clone()]);
        }
        merged
    }

    /// Keeps timelines only of alerts on the board, or with an action waiting for the store.
    pub fn forget_gone(&mut self, on_board: &HashSet<&AlertKey>) {
        self.timelines.retain(|k, tl| on_board.contains(k) || tl.iter().any(Entry::is_queued));
    }

    /// A newly selected alert's detail starts at its top.
    pub fn follow(&mut self, selected: Option<&AlertKey>) {
        if selected != self.of.as_ref() {
            self.of = selected.cloned();
            self.scroll = 0;
        }
    }

    /// A frame's measure; the offset stays inside the text. True when the offset moved.
    pub fn measured(&mut self, extent: Extent) -> bool {
        let before = self.scroll;
        self.extent = extent;
        self.scroll = self.scroll.min(extent.max());
        before != self.scroll
    }

    /// Movement keys scroll the pane. True when the action was one.
    pub fn step(&mut self, action: Action) -> bool {
        self.extent.step(self.scroll, action).map(|to| self.scroll = to).is_some()
    }

    /// The mouse wheel over the pane.
    pub fn wheel(&mut self, delta: isize) {
        self.scroll = self.extent.by(self.scroll, delta);
    }
}
