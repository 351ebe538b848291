//! What is worth interrupting a person for: an alert that is new, or whose severity rose,
//! at or above a threshold, and that nobody has taken (acknowledged or suppressed).

use super::{AlertKey, Item, Severity, Status};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: AlertKey,
    pub title: String,
    pub severity: Severity,
    /// Set when the alert was known at a lower severity.
    pub rose_from: Option<Severity>,
}

/// Remembers each alert's severity between snapshots, per source.
#[derive(Debug, Default, Clone)]
pub struct Watcher {
    /// Per source: each alert's severity and the round it was last reported in. Updated in
    /// place: a 50,000-alert snapshot clones only the keys that are new, not all of them.
    known: HashMap<String, HashMap<AlertKey, (Severity, u64)>>,
    round: u64,
}

impl Watcher {
    /// Takes one source's snapshot and returns what is news. `prime` (a snapshot from the
    /// disk cache) only remembers: what was firing before klaxon started is not news now.
    pub fn observe<'a>(
        &mut self,
        source: &str,
        items: impl IntoIterator<Item = &'a Item>,
        min: Severity,
        prime: bool,
    ) -> Vec<Notice> {
        self.observe_gone(source, items, min, prime, None)
    }

    /// [`Watcher::observe`], and the keys of the source's previous snapshot this one does not
    /// have put in `gone` (when given).
    pub fn observe_gone<'a>(
        &mut self,
        source: &str,
        items: impl IntoIterator<Item = &'a Item>,
        min: Severity,
        prime: bool,
        mut gone: Option<&mut Vec<AlertKey>>,
    ) -> Vec<Notice> {
        self.round += 1;
        let round = self.round;
        if !self.known.contains_key(source) {
            self.known.insert(source.to_owned(), HashMap::new());
        }
        let known = self.known.get_mut(source).expect("inserted above");
        let mut notices = Vec::new();
        for item in items.into_iter().filter(|i| i.alert.source() == source) {
            let a = &item.alert;
            let before = match known.get_mut(&a.key) {
                // The same alert twice in one snapshot: the first counts.
                Some((_, seen)) if *seen == round => continue,
                Some(entry) => Some(std::mem::replace(entry, (a.severity, round)).0),
                None => {
                    known.insert(a.key.clone(), (a.severity, round));
                    None
                }
            };
            let taken = item.is_acked() || matches!(a.status, Status::Suppressed | Status::Resolved);
            if prime || taken || a.severity < min {
                continue;
            }
            match before {
                None => notices.push(Notice {
                    key: a.key.clone(),
                    title: a.title.clone(),
                    severity: a.severity,
                    rose_from: None,
                }),
                Some(old) if old < a.severity => notices.push(Notice {
                    key: a.key.clone(),
                    title: a.title.clone(),
                    severity: a.severity,
                    rose_from: Some(old),
                }),
                Some(_) => {}
            }
        }
        // What this snapshot did not report is forgotten: back later, it is news again.
        known.retain(|key, (_, seen)| {
            let kept = *seen == round;
            if let (false, Some(gone)) = (kept, gone.as_deref_mut()) {
                gone.push(key.clone());
            }
            kept
        });
        // Worst first: the summary's order, and the order single notices arrive in.
        notices.sort_by_key(|n| std::cmp::Reverse(n.severity));
        notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, Ownership};

    fn item(id: &str, sev: Severity, status: Status, owner: Option<&str>) -> Item {
        let mut a = Alert::test("s", id, sev, chrono::Utc::now());
        a.status = status;
        Item::new(a, Ownership { owner: owner.map(Into::into), ..Default::default() })
    }

    fn keys(n: &[Notice]) -> Vec<(&str, Severity, Option<Severity>)> {
        n.iter().map(|n| (n.key.id(), n.severity, n.rose_from)).collect()
    }

    #[test]
    fn new_and_risen_alerts_at_or_above_the_threshold_and_nobody_owns() {
        let mut w = Watcher::default();
        let first = [
            item("a", Severity::High, Status::Firing, None),
            item("b", Severity::Warning, Status::Firing, None),
            item("c", Severity::Disaster, Status::Firing, Some("alice")),
            item("d", Severity::Disaster, Status::Suppressed, None),
        ];
        assert_eq!(keys(&w.observe("s", &first, Severity::High, false)), [("a", Severity::High, None)]);
        // Nothing changed: nothing to say.
        assert!(w.observe("s", &first, Severity::High, false).is_empty());
        let second = [
            item("a", Severity::High, Status::Firing, None),
            item("b", Severity::Disaster, Status::Firing, None),
            item("e", Severity::Disaster, Status::Firing, None),
        ];
        assert_eq!(
            keys(&w.observe("s", &second, Severity::High, false)),
            [("b", Severity::Disaster, Some(Severity::Warning)), ("e", Severity::Disaster, None)]
        );
        // A resolved alert that comes back is news again.
        w.observe("s", &[], Severity::High, false);
        assert_eq!(w.observe("s", &second[..1], Severity::High, false).len(), 1);
    }

    #[test]
    fn a_cached_snapshot_only_primes() {
        let mut w = Watcher::default();
        let items = [item("a", Severity::High, Status::Firing, None)];
        assert!(w.observe("s", &items, Severity::Information, true).is_empty());
        assert!(w.observe("s", &items, Severity::Information, false).is_empty());
    }
}
