//! The ranked set of current alerts: what `klaxon list` prints and the console shows.
//! Ranking happens here, when data arrives, never when drawing.

use super::{Alert, AlertKey, Notice, Ownership, Severity, Status, Watcher};
use std::cmp::{Ordering, Reverse};
use std::collections::{HashMap, HashSet};

/// An alert with what the store says of it, and its place in the ranking. The board owns
/// its alerts (`Box`); `klaxon list` ranks the ones it polled where they lie (`&Alert`) while
/// another thread writes them to the snapshot cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<A = Box<Alert>> {
    /// Boxed on the board: ranking moves items around, and a pointer moves faster than a whole alert.
    pub alert: A,
    pub own: Ownership,
    /// Cached so ranking compares three integers, not recomputed fields.
    rank: RankKey,
}

/// (needs a person 0 / someone has it 1 / over 2, Disaster first, newest first).
type RankKey = (u8, Reverse<Severity>, Reverse<i64>);

impl Item {
    pub fn new(alert: Alert, own: Ownership) -> Self {
        Item::at(Box::new(alert), own)
    }
}

impl<A: std::ops::Deref<Target = Alert>> Item<A> {
    /// An item of an alert held however `A` holds it.
    pub fn at(alert: A, own: Ownership) -> Self {
        let rank = rank_of(&alert, own.owner.is_some());
        Item { alert, own, rank }
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

    /// Where this item ranks, to find it again on a board with [`Board::position`].
    pub fn hint(&self) -> RankHint {
        RankHint(self.rank)
    }
}

/// An item's place in the ranking (without its key), kept inline: finding an alert by it is a
/// binary search, not a walk over 100,000 boxed alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankHint(RankKey);

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
pub fn rank_cmp<A: std::ops::Deref<Target = Alert>>(a: &Item<A>, b: &Item<A>) -> Ordering {
    a.rank.cmp(&b.rank).then_with(|| a.alert.key.cmp(&b.alert.key))
}

/// `items` in [`rank_cmp`]'s order. An Alertmanager answers in fingerprint order, so its
/// keys often arrive sorted: then a stable sort by rank alone keeps them in key order within
/// a rank, which is the same order, found without comparing keys (a storm's alerts share
/// few ranks, so nearly every comparison would go on to the keys).
pub fn sort_ranked<A: std::ops::Deref<Target = Alert>>(items: &mut [Item<A>]) {
    if items.is_sorted_by(|a, b| a.alert.key <= b.alert.key) {
        items.sort_by_key(|i| i.rank);
    } else {
        items.sort_unstable_by(rank_cmp);
    }
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
    /// Per source, how many alerts of it are on the board: a snapshot of the only source
    /// replaces the board whole, without a look at each alert's source.
    per_source: HashMap<String, usize>,
}

/// A snapshot's keys, each with its severity when nobody has taken it at the source (not
/// acknowledged, suppressed or resolved there): news of a snapshot dropped unseen for this
/// one is carried only when it still holds here ([`Ranked::absorb`]).
type Keys = HashMap<AlertKey, Option<Severity>>;

/// The items a snapshot replaced, and the snapshot's keys when it came with them.
#[derive(Debug, Default, Clone)]
pub struct Retired {
    items: Vec<Item>,
    by: Option<Keys>,
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
    keys: Option<Keys>,
    /// What changed since the source's previous snapshot, when it was ranked
    /// [`Ranked::observed`].
    diff: Option<Diff>,
}

/// What a source's snapshot changed since that source's previous one, told where it was
/// ranked (off the task that answers keys): applying it then looks at what changed, not at
/// every alert on the board.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// The watcher's news (new or risen, nobody has it at the source), worst first, before
    /// the store's ownership: what someone owns is left out when it reaches the board.
    pub news: Vec<Notice>,
    /// The keys of the previous snapshot this one does not have.
    pub gone: Vec<AlertKey>,
}

impl Ranked {
    pub fn new(alerts: Vec<Alert>) -> Ranked {
        let mut items: Vec<Item> = alerts.into_iter().map(|a| Item::new(a, Ownership::default())).collect();
        items.sort_unstable_by(rank_cmp);
        Ranked { items, keys: None, diff: None }
    }

    /// [`Ranked::new`], with the set of the snapshot's keys.
    pub fn with_keys(alerts: Vec<Alert>) -> Ranked {
        let mut ranked = Ranked::new(alerts);
        let mut keys = Keys::with_capacity(ranked.items.len());
        for item in &ranked.items {
            // The same alert twice: the first in rank order counts, as for the watcher.
            let taken = item.is_acked() || matches!(item.alert.status, Status::Suppressed | Status::Resolved);
            keys.entry(item.alert.key.clone()).or_insert((!taken).then_some(item.alert.severity));
        }
        ranked.keys = Some(keys);
        ranked
    }

    /// [`Ranked::with_keys`], with what changed since the source's previous snapshot as
    /// `watcher` (which only sees this source's snapshots, in order) tells it: the news
    /// (none when `fresh` is false: the disk cache's copy only primes) and what left.
    pub fn observed(source: &str, alerts: Vec<Alert>, fresh: bool, watcher: &mut Watcher) -> Ranked {
        let mut ranked = Ranked::with_keys(alerts);
        let mut gone = Vec::new();
        let news = watcher.observe_gone(source, &ranked.items, Severity::Information, !fresh, Some(&mut gone));
        ranked.diff = Some(Diff { news, gone });
        ranked
    }

    /// What changed, when it came with the snapshot; the board then takes the rest.
    pub fn take_diff(&mut self) -> Option<Diff> {
        self.diff.take()
    }

    /// Takes in what an `older` snapshot of the same source changed, which is dropped unseen
    /// for this one: its news still here (and still unowned at the source, not fallen back)
    /// is news here too, and what left then is gone here too (forgotten before this one's
    /// news is taken: what came back is new again).
    pub fn absorb(&mut self, older: &mut Ranked) {
        let (Some(diff), Some(keys), Some(old)) = (self.diff.as_mut(), self.keys.as_ref(), older.diff.take()) else {
            return;
        };
        let told: HashSet<AlertKey> = diff.news.iter().map(|n| n.key.clone()).collect();
        for mut notice in old.news {
            let Some(Some(now)) = keys.get(&notice.key) else { continue };
            notice.severity = *now;
            if told.contains(&notice.key) || notice.rose_from.is_some_and(|from| from >= *now) {
                continue;
            }
            diff.news.push(notice);
        }
        // Worst first, as the watcher tells them.
        diff.news.sort_by_key(|n| Reverse(n.severity));
        diff.gone.extend(old.gone);
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
        let Ranked { items: mut incoming, keys, diff: _ } = incoming;
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
        let theirs = self.per_source.remove(source).unwrap_or(0);
        if !incoming.is_empty() {
            self.per_source.insert(source.to_owned(), incoming.len());
        }
        if theirs == old.len() {
            // Everything on the board was this source's: the snapshot is the board.
            self.retired.items = old;
            self.ranked = incoming;
            return;
        }
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
        Some(self.retired.items.iter().map(|i| &i.alert.key).filter(|k| !by.contains_key(*k)).collect())
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

    /// Whether the store says someone has this alert.
    pub fn has_owner(&self, key: &AlertKey) -> bool {
        self.ownership.get(key).is_some_and(|o| o.owner.is_some())
    }

    /// Where the alert with this key is on the board, looked for first where `near` ranks (a
    /// binary search), then everywhere (its rank changed).
    pub fn position(&self, key: &AlertKey, near: Option<RankHint>) -> Option<usize> {
        if let Some(RankHint(rank)) = near {
            let from = self.ranked.partition_point(|i| i.rank < rank);
            let same = self.ranked[from..].iter().take_while(|i| i.rank == rank);
            if let Some(at) = same.map(|i| &i.alert.key).position(|k| k == key) {
                return Some(from + at);
            }
        }
        self.ranked.iter().position(|i| &i.alert.key == key)
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

    quickcheck::quickcheck! {
        /// Keys in order (as an Alertmanager sends them) or not, with ranks shared by many:
        /// the order `rank_cmp` gives.
        fn sort_ranked_orders_as_rank_cmp_does(alerts: Vec<(u8, u8, u8, bool)>, presorted: bool) -> bool {
            let alerts: Vec<Alert> = alerts
                .iter()
                .map(|&(id, sev, minute, owned)| {
                    let mut a = alert("s", &format!("{:02x}", id % 64), Severity::ALL[usize::from(sev % 5)], u32::from(minute % 3));
                    if owned {
                        a.status = Status::Acknowledged;
                    }
                    a
                })
                .collect();
            let mut items: Vec<Item<&Alert>> = alerts.iter().map(|a| Item::at(a, Ownership::default())).collect();
            if presorted {
                items.sort_by(|a, b| a.alert.key.cmp(&b.alert.key));
            }
            let mut want = items.clone();
            want.sort_by(rank_cmp);
            sort_ranked(&mut items);
            items.iter().map(|i| (&i.alert.key, i.rank)).eq(want.iter().map(|i| (&i.alert.key, i.rank)))
        }
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
    fn an_alert_is_found_where_it_ranks_or_anywhere_when_its_rank_changed() {
        let mut b = Board::default();
        let snap =
            |y| vec![alert("s", "x", Severity::High, 1), alert("s", "y", y, 1), alert("s", "z", Severity::Warning, 2)];
        b.apply_snapshot("s", snap(Severity::High));
        let y = AlertKey::new("s", "y");
        let hint = b.get(&y).unwrap().hint();
        assert_eq!(b.position(&y, Some(hint)), Some(1));
        // y rose: where it ranked before is wrong now, and it is found all the same.
        b.apply_snapshot("s", snap(Severity::Disaster));
        assert_eq!((b.position(&y, Some(hint)), b.position(&y, None)), (Some(0), Some(0)));
        assert_eq!(b.position(&AlertKey::new("s", "w"), Some(hint)), None);
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
