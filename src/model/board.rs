//! The ranked set of current alerts: what `klaxon list` prints and the console shows.
//! Ranking happens here, when data arrives, never when drawing.

use super::{Alert, AlertKey, Ownership, Severity, Status};
use std::cmp::{Ordering, Reverse};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Boxed: ranking moves items around, and a pointer moves faster than a whole alert.
    pub alert: Box<Alert>,
    pub own: Ownership,
    /// Cached so ranking compares three integers, not recomputed fields.
    rank: RankKey,
}

/// (needs a person 0 / someone has it 1 / over 2, Disaster first, newest first).
type RankKey = (u8, Reverse<Severity>, Reverse<i64>);

impl Item {
    pub fn new(alert: Alert, own: Ownership) -> Self {
        let mut item = Item { alert: Box::new(alert), own, rank: (0, Reverse(Severity::Information), Reverse(0)) };
        item.rank = item.rank_key();
        item
    }

    /// Someone owns it: acknowledged in klaxon's store or at the source.
    pub fn is_acked(&self) -> bool {
        self.own.owner.is_some() || self.alert.status == Status::Acknowledged
    }

    /// Who acknowledged it, from the store first, else from the source.
    pub fn owner(&self) -> Option<&str> {
        self.own.owner.as_deref().or_else(|| self.alert.source_acks.first().map(|a| a.by.as_str()))
    }

    fn rank_key(&self) -> RankKey {
        rank_of(&self.alert, self.own.owner.is_some())
    }
}

fn rank_of(alert: &Alert, owned: bool) -> RankKey {
    let group = match alert.status {
        Status::Resolved => 2,
        Status::Suppressed => 1,
        Status::Acknowledged => 1,
        _ if owned => 1,
        _ => 0,
    };
    (group, Reverse(alert.severity), Reverse(alert.started_at.timestamp_micros()))
}

/// The first `n` of these alerts as a board ranks them before the store has said who owns
/// what (the snapshot cache's head): ownership only moves an alert down, so these are the
/// top of the list, less those someone has taken.
pub fn top_ranked<'a>(alerts: &[&'a Alert], n: usize) -> Vec<&'a Alert> {
    let cmp = |a: &(RankKey, &Alert), b: &(RankKey, &Alert)| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key));
    let mut keyed: Vec<(RankKey, &Alert)> = alerts.iter().map(|a| (rank_of(a, false), *a)).collect();
    if keyed.len() > n && n > 0 {
        keyed.select_nth_unstable_by(n - 1, cmp);
    }
    keyed.truncate(n);
    keyed.sort_unstable_by(cmp);
    keyed.into_iter().map(|(_, a)| a).collect()
}

/// Unacknowledged first, then severity (Disaster first), then newest, then key (stable).
pub fn rank_cmp(a: &Item, b: &Item) -> Ordering {
    a.rank.cmp(&b.rank).then_with(|| a.alert.key.cmp(&b.alert.key))
}

#[derive(Debug, Default, Clone)]
pub struct Board {
    ranked: Vec<Item>,
    ownership: HashMap<AlertKey, Ownership>,
    /// What the last snapshot replaced, until [`Board::take_retired`]: freeing 50,000 alerts
    /// takes a while, and the console does it off the task that answers keys.
    retired: Retired,
    /// Per source, how many alerts of its cached snapshot are counted but not on the board
    /// yet: the head of the cache is shown while the rest is read.
    unread: HashMap<String, usize>,
}

/// The items a snapshot replaced, and the snapshot's keys when it came with them.
#[derive(Debug, Default, Clone)]
pub struct Retired {
    items: Vec<Item>,
    by: Option<HashSet<AlertKey>>,
}

impl Retired {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.by.is_none()
    }
}

/// One source's snapshot made into items and ranked, as if nobody owned any of them: the
/// costly part of applying a snapshot, done before it reaches the board (the console does it
/// off the task that answers keys).
#[derive(Debug, Clone, Default)]
pub struct Ranked {
    items: Vec<Item>,
    /// The snapshot's keys, when asked for: what left the board is then told without a look
    /// at the whole board ([`Board::gone`]).
    keys: Option<HashSet<AlertKey>>,
}

impl Ranked {
    pub fn new(alerts: Vec<Alert>) -> Ranked {
        let mut items: Vec<Item> = alerts.into_iter().map(|a| Item::new(a, Ownership::default())).collect();
        items.sort_unstable_by(rank_cmp);
        Ranked { items, keys: None }
    }

    /// [`Ranked::new`], with the set of the snapshot's keys.
    pub fn with_keys(alerts: Vec<Alert>) -> Ranked {
        let keys = alerts.iter().map(|a| a.key.clone()).collect();
        Ranked { keys: Some(keys), ..Ranked::new(alerts) }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Board {
    pub fn ranked(&self) -> &[Item] {
        &self.ranked
    }

    /// The alerts on the board (less any still being read: see [`Board::unread`]).
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    /// Alerts counted (a cached snapshot's head says how many it has) but not on the board
    /// yet: they come with the rest of the snapshot.
    pub fn unread(&self) -> usize {
        self.unread.values().sum()
    }

    /// Every alert known: those on the board and those still being read.
    pub fn total(&self) -> usize {
        self.ranked.len() + self.unread()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    pub fn get(&self, key: &AlertKey) -> Option<&Item> {
        self.ranked.iter().find(|i| &i.alert.key == key)
    }

    /// Replaces everything `source` reported with its latest snapshot. Only the snapshot is
    /// sorted; it is then merged with the rest, which is ranked already.
    pub fn apply_snapshot(&mut self, source: &str, alerts: Vec<Alert>) {
        self.apply_ranked(source, Ranked::new(alerts));
    }

    /// [`Board::apply_snapshot`] for a snapshot ranked already: what the store says of
    /// ownership is put on the few alerts it names (those re-ranked), then one merge. What the
    /// snapshot replaces waits in [`Board::take_retired`] (dropped at the next apply if not taken).
    pub fn apply_ranked(&mut self, source: &str, incoming: Ranked) {
        self.unread.remove(source);
        let Ranked { items: mut incoming, keys } = incoming;
        if !self.ownership.is_empty() {
            let mut owned = false;
            for item in &mut incoming {
                if let Some(own) = self.ownership.get(&item.alert.key) {
                    item.own = own.clone();
                    item.rank = item.rank_key();
                    owned = true;
                }
            }
            if owned {
                // Nearly sorted: pdqsort's best case.
                incoming.sort_unstable_by(rank_cmp);
            }
        }
        self.retired = Retired { items: Vec::new(), by: keys };
        let old = std::mem::take(&mut self.ranked);
        let mut merged = Vec::with_capacity(old.len() + incoming.len());
        let mut new = incoming.into_iter().peekable();
        for kept in old {
            if kept.alert.source() == source {
                self.retired.items.push(kept);
                continue;
            }
            while let Some(n) = new.next_if(|n| rank_cmp(n, &kept).is_lt()) {
                merged.push(n);
            }
            merged.push(kept);
        }
        merged.extend(new);
        self.ranked = merged;
    }

    /// What the last snapshot took off the board, when it was ranked [`Ranked::with_keys`]
    /// (and not yet taken): its source's alerts before that it does not have.
    pub fn gone(&self) -> Option<HashSet<&AlertKey>> {
        let by = self.retired.by.as_ref()?;
        Some(self.retired.items.iter().map(|i| &i.alert.key).filter(|k| !by.contains(*k)).collect())
    }

    /// What the last snapshot replaced, for the caller to free where it costs nothing.
    pub fn take_retired(&mut self) -> Retired {
        std::mem::take(&mut self.retired)
    }

    /// The first alerts of `source`'s cached snapshot, which has `total` in all: shown (and
    /// counted) until [`Board::apply_snapshot`] brings the whole snapshot.
    pub fn apply_head(&mut self, source: &str, alerts: Vec<Alert>, total: usize) {
        let unread = total.saturating_sub(alerts.len());
        self.apply_snapshot(source, alerts);
        if unread > 0 {
            self.unread.insert(source.to_owned(), unread);
        }
    }

    /// What the store says of an alert's ownership (nobody's, when it says nothing).
    pub fn ownership(&self, key: &AlertKey) -> Ownership {
        self.ownership.get(key).cloned().unwrap_or_default()
    }

    /// Records what the timeline says of some alerts (from the store), then re-ranks once.
    /// Only owned or escalated alerts are remembered: a storm of new alerts adds nothing.
    pub fn set_ownership(&mut self, changes: impl IntoIterator<Item = (AlertKey, Ownership)>) {
        self.reown(changes);
    }

    /// [`Board::set_ownership`], true when an item on the board changed owner (re-ranked).
    pub fn reown(&mut self, changes: impl IntoIterator<Item = (AlertKey, Ownership)>) -> bool {
        let changes: HashMap<AlertKey, Ownership> = changes.into_iter().collect();
        if changes.is_empty() {
            return false;
        }
        let mut changed = false;
        for item in &mut self.ranked {
            if let Some(own) = changes.get(&item.alert.key)
                && item.own != *own
            {
                item.own = own.clone();
                item.rank = item.rank_key();
                changed = true;
            }
        }
        for (key, own) in changes {
            if own == Ownership::default() {
                self.ownership.remove(&key);
            } else {
                self.ownership.insert(key, own);
            }
        }
        if changed {
            // Nearly sorted: pdqsort's best case.
            self.ranked.sort_unstable_by(rank_cmp);
        }
        changed
    }

    /// Whether the store says anything of this alert's ownership (someone has it, or it
    /// was escalated).
    pub fn owned(&self, key: &AlertKey) -> bool {
        self.ownership.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;
    use chrono::{TimeZone, Utc};

    fn alert(source: &str, id: &str, sev: Severity, minute: u32) -> Alert {
        Alert::test(source, id, sev, Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap())
    }

    fn keys(b: &Board) -> Vec<&str> {
        b.ranked().iter().map(|i| i.alert.key.id()).collect()
    }

    #[test]
    fn ranks_unacked_then_severity_then_newest() {
        let mut b = Board::default();
        b.apply_snapshot(
            "s",
            vec![
                alert("s", "old-high", Severity::High, 1),
                alert("s", "new-high", Severity::High, 5),
                alert("s", "disaster", Severity::Disaster, 0),
                alert("s", "info", Severity::Information, 9),
            ],
        );
        assert_eq!(keys(&b), ["disaster", "new-high", "old-high", "info"]);
        let own = Ownership { owner: Some("alice".into()), ..Default::default() };
        b.set_ownership([(AlertKey::new("s", "disaster"), own)]);
        assert_eq!(keys(&b), ["new-high", "old-high", "info", "disaster"]);
        assert_eq!(b.ranked()[3].owner(), Some("alice"));
    }

    #[test]
    fn snapshot_replaces_only_its_source_and_keeps_ownership() {
        let mut b = Board::default();
        b.apply_snapshot("a", vec![alert("a", "1", Severity::Warning, 0)]);
        b.apply_snapshot("b", vec![alert("b", "2", Severity::High, 0)]);
        b.set_ownership([(AlertKey::new("a", "1"), Ownership { owner: Some("bob".into()), ..Default::default() })]);
        b.apply_snapshot("a", vec![alert("a", "1", Severity::Warning, 0), alert("a", "3", Severity::Average, 0)]);
        assert_eq!(keys(&b), ["2", "3", "1"]);
        assert_eq!(b.ranked()[2].owner(), Some("bob"));
        b.apply_snapshot("b", vec![]);
        assert_eq!(keys(&b), ["3", "1"]);
    }
}
