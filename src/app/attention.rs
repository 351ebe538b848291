//! What asks for the person's attention: alerts new since they last looked, notifications
//! (and muting them), and the one-time notice about a channel that does not work here.

use super::Effect;
use crate::model::{AlertKey, Board, Notice, Severity, Watcher};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

pub struct Attention {
    /// What each source reported last, to tell what is news.
    pub watcher: Watcher,
    /// Alerts new (or risen) since the person last looked: marked in the list.
    pub unseen: HashSet<AlertKey>,
    /// Notifications go out from this severity up.
    pub notify_min: Severity,
    pub muted_until: Option<DateTime<Utc>>,
    /// Said once, beside the key hints: a notification channel that does not work here.
    pub notice: Option<String>,
    /// Moves whenever `unseen` changes: the header's count of them is kept until it does.
    pub version: u64,
}

impl Default for Attention {
    fn default() -> Self {
        Attention {
            watcher: Watcher::default(),
            unseen: HashSet::new(),
            notify_min: Severity::High,
            muted_until: None,
            notice: None,
            version: 0,
        }
    }
}

impl Attention {
    /// A source's alerts, as the board now ranks them: what is new is marked unseen, and
    /// what is loud enough is told (unless muted). Not news when the snapshot is the disk
    /// cache's copy at start (`fresh` false).
    pub fn observe(&mut self, source: &str, board: &Board, fresh: bool, now: DateTime<Utc>) -> Option<Effect> {
        // The same decisions `klaxon watch` makes (engine/rules.rs).
        let news = crate::engine::rules::news(&mut self.watcher, board, source, fresh);
        self.tell(news, now)
    }

    /// [`Attention::observe`] for news the watcher told where the snapshot was ranked
    /// ([`crate::model::Diff`]), before the store's ownership: what the board says someone
    /// owns is left out, as `observe` leaves it out. Looks only at the news, not the board.
    pub fn take_news(&mut self, mut news: Vec<Notice>, board: &Board, now: DateTime<Utc>) -> Option<Effect> {
        news.retain(|n| !board.has_owner(&n.key));
        self.tell(news, now)
    }

    fn tell(&mut self, news: Vec<Notice>, now: DateTime<Utc>) -> Option<Effect> {
        if !news.is_empty() {
            self.unseen.extend(news.iter().map(|n| n.key.clone()));
            self.version += 1;
        }
        let muted = self.muted_until.is_some_and(|t| t > now);
        let loud = crate::engine::rules::loud(&news, self.notify_min, muted);
        (!loud.is_empty()).then_some(Effect::Notify(loud))
    }

    /// An alert that is gone is no longer new.
    pub fn forget_gone(&mut self, on_board: impl Fn(&AlertKey) -> bool) {
        let before = self.unseen.len();
        self.unseen.retain(|k| on_board(k));
        if self.unseen.len() != before {
            self.version += 1;
        }
    }

    /// [`Attention::forget_gone`] given what left: a look at each of those, not at every
    /// unseen alert.
    pub fn forget(&mut self, gone: &[AlertKey]) {
        let before = self.unseen.len();
        for key in gone {
            self.unseen.remove(key);
        }
        if self.unseen.len() != before {
            self.version += 1;
        }
    }

    /// Looking at an alert is seeing it.
    pub fn seen(&mut self, key: &AlertKey) {
        if self.unseen.remove(key) {
            self.version += 1;
        }
    }

    pub fn all_seen(&mut self) {
        self.unseen.clear();
        self.version += 1;
    }

    /// Mutes notifications for half an hour, or unmutes them; says which.
    pub fn toggle_mute(&mut self, now: DateTime<Utc>) -> String {
        if self.muted_until.take_if(|t| *t > now).is_some() {
            "notifications on again".into()
        } else {
            let until = now + chrono::Duration::minutes(30);
            self.muted_until = Some(until);
            format!("notifications muted until {}", until.format("%H:%M UTC"))
        }
    }

    /// "desktop notifications are not working: <D-Bus error>": the why is for `doctor`.
    pub fn channel_failed(&mut self, text: &str) {
        let what = text.split_once(": ").map_or(text, |(what, _)| what);
        self.notice = Some(format!("{what} here: klaxon doctor says why"));
    }
}
