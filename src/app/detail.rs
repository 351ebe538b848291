//! The detail pane's part of the state: each alert's timeline as the store told it, the
//! note drafts, and where the pane is scrolled.

use super::Action;
use super::scroll::Extent;
use crate::model::{AlertKey, Entry, Ownership};
use std::collections::HashMap;

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
    pub fn forget_gone(&mut self, on_board: impl Fn(&AlertKey) -> bool) {
        self.timelines.retain(|k, tl| on_board(k) || tl.iter().any(Entry::is_queued));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntryKind;

    fn entry(id: i64, op_id: &str, alert: &str, kind: EntryKind) -> Entry {
        Entry {
            id,
            op_id: op_id.into(),
            alert_key: AlertKey::new("s", alert),
            kind,
            actor: "alice".into(),
            at: chrono::DateTime::UNIX_EPOCH,
            text: String::new(),
            level: None,
            db_user: None,
        }
    }

    #[test]
    fn an_action_kept_here_stands_in_until_its_stored_copy_replaces_it() {
        let mut detail = Detail::default();
        let queued = entry(-1, "q1", "a", EntryKind::Acked);
        let merged = detail.merge(&queued);
        assert!(merged.whole.is_none() && !merged.reload);
        assert_eq!(detail.timelines[&queued.alert_key], std::slice::from_ref(&queued), "it stands in for the timeline");
        // Stored: it takes the queued copy's place, and the whole timeline is read again.
        let stored = Entry { id: 5, ..queued.clone() };
        let merged = detail.merge(&stored);
        assert!(merged.reload && merged.whole.is_none(), "{merged:?}");
        assert_eq!(detail.timelines[&queued.alert_key], std::slice::from_ref(&stored));
        // A loaded timeline: ownership comes from it whole, and an entry twice is kept once.
        let note = entry(6, "n1", "a", EntryKind::Note);
        for _ in 0..2 {
            let merged = detail.merge(&note);
            assert_eq!(merged.whole.and_then(|o| o.owner).as_deref(), Some("alice"));
        }
        assert_eq!(detail.timelines[&queued.alert_key], [stored, note]);
        // A stored entry of an alert whose timeline is not loaded is not kept here.
        detail.merge(&entry(7, "o1", "b", EntryKind::Acked));
        assert!(!detail.timelines.contains_key(&AlertKey::new("s", "b")));
    }
}
