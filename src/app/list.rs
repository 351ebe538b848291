//! The alert list's part of the state: the board, the rows the filter, sort and grouping
//! make of it, and the cursor. Its update takes only this part and the rows it has on screen.

use crate::model::filter::Filter;
use crate::model::{AlertKey, Board, Item, RankHint, Severity};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Rank,
    Newest,
    Oldest,
    Source,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Rank => Sort::Newest,
            Sort::Newest => Sort::Oldest,
            Sort::Oldest => Sort::Source,
            Sort::Source => Sort::Rank,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Rank => "rank",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Source => "source",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Group {
    #[default]
    None,
    Alertname,
    Service,
    Source,
}

impl Group {
    pub fn next(self) -> Group {
        match self {
            Group::None => Group::Alertname,
            Group::Alertname => Group::Service,
            Group::Service => Group::Source,
            Group::Source => Group::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::None => "none",
            Group::Alertname => "alertname",
            Group::Service => "service",
            Group::Source => "source",
        }
    }

    pub fn of(self, item: &Item) -> String {
        let a = &item.alert;
        match self {
            Group::None => String::new(),
            Group::Alertname => a.labels.get("alertname").map(str::to_owned).unwrap_or_else(|| a.title.clone()),
            Group::Service => a.service.clone().unwrap_or_else(|| "(no service)".into()),
            Group::Source => a.source().to_owned(),
        }
    }
}

/// One line of the alert list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Index into `board.ranked()`.
    Alert(usize),
    Group {
        name: String,
        count: usize,
        worst: Severity,
        collapsed: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Alert(AlertKey),
    Group(String),
}

/// The list pane: what is on the board and how it is shown.
#[derive(Default)]
pub struct AlertList {
    pub board: Board,
    pub rows: Vec<Row>,
    pub selected: usize,
    /// What the cursor is on, by identity: rows hold board indices, which change whenever
    /// the board re-ranks, so the cursor follows this instead.
    pub cursor: Option<Cursor>,
    /// First row on screen: the list draws only what fits from here.
    pub offset: usize,
    pub filter: Filter,
    pub sort: Sort,
    pub group: Group,
    pub collapsed: HashSet<String>,
    /// Moves each time the rows are rebuilt.
    pub version: u64,
    /// How many rows are alerts: all of the board's when nothing is filtered out or collapsed.
    alert_rows: usize,
    /// Where the cursor's alert ranked when the cursor was put on it: found again on a new
    /// board by a binary search.
    cursor_hint: Option<RankHint>,
}

impl AlertList {
    /// The alert under the cursor, if the cursor is on an alert.
    pub fn selected_item(&self) -> Option<&Item> {
        match self.rows.get(self.selected)? {
            Row::Alert(i) => self.board.ranked().get(*i),
            Row::Group { .. } => None,
        }
    }

    /// How many alerts the filter lets through (collapsed groups count).
    pub fn shown_count(&self) -> usize {
        self.rows
            .iter()
            .map(|r| match r {
                Row::Alert(_) => 1,
                Row::Group { count, collapsed: true, .. } => *count,
                Row::Group { .. } => 0,
            })
            .sum()
    }

    /// "shown/all" for the list's title and the status bar. While the rest of a cached
    /// snapshot is read, its unread alerts count: all shown when no filter is set, else
    /// at least those the rows hold ("12+/50000").
    pub fn counts(&self) -> String {
        let (shown, unread) = (self.shown_count(), self.board.unread());
        let total = self.board.total();
        match unread {
            0 => format!("{shown}/{total}"),
            _ if self.filter.is_empty() => format!("{}/{total}", shown + unread),
            _ => format!("{shown}+/{total}"),
        }
    }

    /// Of these alerts, how many the list shows (not filtered out, not in a collapsed group).
    pub fn shown_of(&self, keys: &HashSet<AlertKey>) -> usize {
        if keys.is_empty() {
            return 0;
        }
        let ranked = self.board.ranked();
        self.rows.iter().filter(|r| matches!(r, Row::Alert(i) if keys.contains(&ranked[*i].alert.key))).count()
    }

    /// Every alert on the board has its row (nothing filtered out, no group collapsed).
    pub fn shows_all(&self) -> bool {
        self.alert_rows == self.board.len()
    }

    /// Rebuilds the list from the board: filter, sort, group. Keeps the cursor on the same
    /// alert (or group) when it is still there, and on screen in `visible` rows.
    pub fn rebuild(&mut self, visible: usize) {
        self.version += 1;
        let ranked = self.board.ranked();
        // No filter: no look at each alert.
        let mut shown: Vec<usize> = match self.filter.is_empty() {
            true => (0..ranked.len()).collect(),
            false => (0..ranked.len()).filter(|i| self.filter.matches(&ranked[*i])).collect(),
        };
        match self.sort {
            Sort::Rank => {}
            Sort::Newest => shown.sort_by_key(|i| std::cmp::Reverse(ranked[*i].alert.started_at)),
            Sort::Oldest => shown.sort_by_key(|i| ranked[*i].alert.started_at),
            Sort::Source => shown.sort_by(|a, b| ranked[*a].alert.source().cmp(ranked[*b].alert.source())),
        }
        let rows = if self.group == Group::None {
            shown.into_iter().map(Row::Alert).collect()
        } else {
            // Groups in the order of their first (best ranked) member.
            let mut order: Vec<String> = Vec::new();
            let mut members: HashMap<String, Vec<usize>> = HashMap::new();
            for i in shown {
                let list = match members.entry(self.group.of(&ranked[i])) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        order.push(e.key().clone());
                        e.insert(Vec::new())
                    }
                };
                list.push(i);
            }
            let mut rows = Vec::new();
            for name in order {
                let list = &members[&name];
                let worst = list.iter().map(|i| ranked[*i].alert.severity).max().unwrap_or(Severity::Information);
                let collapsed = self.collapsed.contains(&name);
                rows.push(Row::Group { name: name.clone(), count: list.len(), worst, collapsed });
                if !collapsed {
                    rows.extend(list.iter().map(|i| Row::Alert(*i)));
                }
            }
            rows
        };
        self.alert_rows = rows.iter().filter(|r| matches!(r, Row::Alert(_))).count();
        self.rows = rows;
        // Each row the board's alert of the same index: the cursor's alert is found where it
        // ranks, not by a walk comparing the keys of every row above it.
        let in_board_order = self.sort == Sort::Rank && self.group == Group::None && self.shows_all();
        let found = self.cursor.as_ref().and_then(|c| match c {
            Cursor::Alert(key) if in_board_order => self.board.position(key, self.cursor_hint),
            _ if in_board_order => None,
            _ => self.rows.iter().position(|r| match (r, c) {
                (Row::Alert(i), Cursor::Alert(key)) => &self.board.ranked()[*i].alert.key == key,
                (Row::Group { name, .. }, Cursor::Group(n)) => name == n,
                _ => false,
            }),
        });
        self.selected = found.unwrap_or(self.selected).min(self.rows.len().saturating_sub(1));
        self.remember_cursor();
        self.scroll_to_selected(visible);
    }

    /// Puts the cursor on `row` (within the list) and keeps it on screen.
    pub fn move_to(&mut self, row: usize, visible: usize) {
        self.selected = row.min(self.rows.len().saturating_sub(1));
        self.remember_cursor();
        self.scroll_to_selected(visible);
    }

    /// Records what is under the cursor now; call after moving it.
    pub fn remember_cursor(&mut self) {
        let item = match self.rows.get(self.selected) {
            Some(Row::Alert(i)) => self.board.ranked().get(*i),
            _ => None,
        };
        self.cursor_hint = item.map(Item::hint);
        self.cursor = match self.rows.get(self.selected) {
            Some(Row::Alert(_)) => item.map(|it| Cursor::Alert(it.alert.key.clone())),
            Some(Row::Group { name, .. }) => Some(Cursor::Group(name.clone())),
            None => None,
        };
    }

    /// Moves `offset` the least needed to keep the cursor on screen in `visible` rows.
    pub fn scroll_to_selected(&mut self, visible: usize) {
        let visible = visible.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + visible {
            self.offset = self.selected + 1 - visible;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(visible));
    }

    /// `enter` on a group: collapses it, or opens it again.
    pub fn toggle_group(&mut self, name: &str, visible: usize) {
        if !self.collapsed.remove(name) {
            self.collapsed.insert(name.to_owned());
        }
        self.rebuild(visible);
    }

    pub fn set_filter(&mut self, filter: Filter, visible: usize) {
        self.filter = filter;
        self.rebuild(visible);
    }

    pub fn set_sort(&mut self, sort: Sort, visible: usize) {
        self.sort = sort;
        self.rebuild(visible);
    }

    pub fn set_group(&mut self, group: Group, visible: usize) {
        self.group = group;
        self.rebuild(visible);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Alert;
    use chrono::{TimeZone, Utc};

    fn snapshot(ids: &[(&str, Severity)]) -> Vec<Alert> {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 3, 14, 0).unwrap();
        ids.iter().map(|(id, sev)| Alert::test("s", id, *sev, at)).collect()
    }

    fn shown(list: &AlertList) -> String {
        list.selected_item().map(|i| i.alert.key.id().to_owned()).unwrap_or_default()
    }

    #[test]
    fn the_list_alone_keeps_its_cursor_on_its_alert_and_on_screen() {
        use Severity::*;
        let mut list = AlertList::default();
        let all = [("a", High), ("b", Warning), ("c", Information), ("d", Average), ("e", Disaster)];
        list.board.apply_snapshot("s", snapshot(&all));
        list.rebuild(3);
        // Ranked e, a, d, b, c; three rows on screen.
        list.move_to(3, 3);
        assert_eq!((shown(&list), list.offset), ("b".into(), 1), "the cursor's row is the last on screen");
        // The board re-ranks (e is gone): the cursor stays on b, now a row higher.
        list.board.apply_snapshot("s", snapshot(&all[..4]));
        list.rebuild(3);
        assert_eq!((shown(&list), list.selected, list.offset), ("b".into(), 2, 1));
        // Filtered out, it keeps its row; the filter cleared, it stays where it went.
        list.set_filter(Filter::parse("severity>=average").unwrap(), 3);
        assert_eq!((shown(&list), list.shown_count()), ("d".into(), 2));
        list.set_filter(Filter::default(), 3);
        assert_eq!(shown(&list), "d");
    }

    /// A storm's alerts rank above the cursor's: it stays on its alert, found where the
    /// alert ranks (or, when its severity changed, anywhere).
    #[test]
    fn the_cursor_follows_its_alert_down_a_storm_and_through_a_change_of_severity() {
        use Severity::*;
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 3, 14, 0).unwrap();
        let mut list = AlertList::default();
        let mut alerts = vec![Alert::test("s", "mine", Warning, at), Alert::test("s", "other", Warning, at)];
        list.board.apply_snapshot("s", alerts.clone());
        list.rebuild(10);
        assert_eq!(shown(&list), "mine");
        alerts.extend((0..1000).map(|i| Alert::test("s", &format!("storm{i}"), High, at)));
        list.board.apply_snapshot("s", alerts.clone());
        list.rebuild(10);
        assert_eq!((shown(&list), list.selected), ("mine".into(), 1000));
        alerts[0].severity = Average;
        list.board.apply_snapshot("s", alerts);
        list.rebuild(10);
        assert_eq!((shown(&list), list.selected), ("mine".into(), 1000));
    }
}
