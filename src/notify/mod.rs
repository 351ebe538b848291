//! Getting a person's attention: desktop notifications and terminal notifications (bell,
//! OSC 9/777/99, through tmux), with storms collapsed into one summary.

pub mod desktop;
pub mod terminal;

use crate::model::{Notice, Severity};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[notify]`: how alerts reach you.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Desktop notifications over D-Bus (when klaxon runs on your desktop).
    #[serde(default = "crate::config::yes")]
    pub desktop: bool,
    /// Notifications through the terminal, which reach you over SSH and through tmux.
    #[serde(default)]
    pub terminal: TerminalNotify,
    /// Only alerts at or above this severity notify.
    #[serde(default = "default_notify_min")]
    pub min_severity: Severity,
    /// More than `storm_threshold` notifications within this window become one summary.
    #[serde(default = "default_storm_window", deserialize_with = "crate::config::duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub storm_window: Duration,
    #[serde(default = "default_storm_threshold")]
    pub storm_threshold: usize,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            desktop: true,
            terminal: TerminalNotify::Auto,
            min_severity: default_notify_min(),
            storm_window: default_storm_window(),
            storm_threshold: default_storm_threshold(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TerminalNotify {
    Off,
    Bell,
    Osc9,
    Osc777,
    Osc99,
    /// What the terminal supports, from its environment; the bell when unsure.
    #[default]
    Auto,
}

fn default_notify_min() -> Severity {
    Severity::High
}
fn default_storm_window() -> Duration {
    Duration::from_secs(10)
}
fn default_storm_threshold() -> usize {
    3
}

/// One notification as it goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
    pub severity: Severity,
}

impl Message {
    fn one(n: &Notice) -> Message {
        let what = match n.rose_from {
            Some(old) => format!("{old} → {}", n.severity),
            None => n.severity.name().to_string(),
        };
        Message {
            title: format!("{} {}", n.severity.tag(), n.title),
            body: format!("{} ({what})", n.key),
            severity: n.severity,
        }
    }

    fn storm(notices: &[Notice]) -> Message {
        let mut by: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
        for n in notices {
            *by.entry(std::cmp::Reverse(n.severity)).or_default() += 1;
        }
        let worst = notices.iter().map(|n| n.severity).max().unwrap_or(Severity::Information);
        let counts: Vec<String> = by.iter().map(|(s, c)| format!("{c} {}", s.0)).collect();
        Message {
            title: format!("{} new alerts, {}", notices.len(), counts.first().cloned().unwrap_or_default()),
            body: counts.join(", "),
            severity: worst,
        }
    }
}

/// Lets single notifications through at once, and turns a storm (more than `threshold` in
/// one `window`) into one summary: a batch that large at once is summed up at once, the
/// rest of a window's worth when the window ends.
#[derive(Debug, Clone)]
pub struct Batcher {
    window: chrono::Duration,
    threshold: usize,
    opened: Option<DateTime<Utc>>,
    sent: usize,
    held: Vec<Notice>,
}

impl Batcher {
    pub fn new(cfg: &NotifyConfig) -> Self {
        Batcher {
            window: chrono::Duration::from_std(cfg.storm_window).unwrap_or_else(|_| chrono::Duration::seconds(10)),
            threshold: cfg.storm_threshold.max(1),
            opened: None,
            sent: 0,
            held: Vec::new(),
        }
    }

    /// What to send now for these notices.
    pub fn push(&mut self, now: DateTime<Utc>, notices: Vec<Notice>) -> Vec<Message> {
        let mut out = self.tick(now);
        if notices.is_empty() {
            return out;
        }
        self.opened.get_or_insert(now);
        if notices.len() > self.threshold {
            out.push(Message::storm(&notices));
            self.sent += self.threshold + 1;
        } else {
            for n in notices {
                if self.sent < self.threshold {
                    out.push(Message::one(&n));
                    self.sent += 1;
                } else {
                    self.held.push(n);
                }
            }
        }
        out
    }

    /// When the open window runs out (and `tick` has something to do), if one is open.
    pub fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.opened.map(|t| t + self.window)
    }

    /// Closes a window that has run out, summing up what it held back.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Message> {
        match self.opened {
            Some(t) if now - t >= self.window => {
                self.opened = None;
                self.sent = 0;
                match self.held.len() {
                    0 => vec![],
                    1 => vec![Message::one(&self.held.remove(0))],
                    _ => vec![Message::storm(&std::mem::take(&mut self.held))],
                }
            }
            _ => vec![],
        }
    }
}

/// Sends through every configured channel; says what failed, once per channel.
pub struct Notifier {
    desktop: bool,
    terminal: terminal::TerminalNotifier,
    failed: [bool; 2],
}

impl Notifier {
    pub fn new(cfg: &NotifyConfig, env: &dyn Fn(&str) -> Option<String>) -> Self {
        Notifier {
            desktop: cfg.desktop,
            terminal: terminal::TerminalNotifier::new(cfg.terminal, env),
            failed: [false; 2],
        }
    }

    /// Sends (blocking: D-Bus calls); returns errors not reported before.
    pub fn send(&mut self, messages: &[Message]) -> Vec<String> {
        let mut errors = Vec::new();
        for m in messages {
            if self.desktop
                && let Err(e) = desktop::send(m)
                && !std::mem::replace(&mut self.failed[0], true)
            {
                errors.push(format!("desktop notifications are not working: {e}"));
            }
            if let Err(e) = self.terminal.send(m)
                && !std::mem::replace(&mut self.failed[1], true)
            {
                errors.push(format!("terminal notifications are not working: {e}"));
            }
        }
        errors
    }
}

/// Runs notifications in the background: notices in, a storm window closed when it runs out
/// (no timer while none is open: an idle console is not woken), sends on a blocking thread
/// (D-Bus calls block). `on_error` hears each failing channel once.
pub fn spawn(
    cfg: &NotifyConfig,
    on_error: impl Fn(String) + Send + Sync + 'static,
) -> tokio::sync::mpsc::Sender<Vec<Notice>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Notice>>(64);
    let notifier = std::sync::Arc::new(std::sync::Mutex::new(Notifier::new(cfg, &|k| std::env::var(k).ok())));
    let mut batcher = Batcher::new(cfg);
    let on_error = std::sync::Arc::new(on_error);
    tokio::spawn(async move {
        loop {
            // A millisecond late rather than early: the window has run out when it comes.
            let wait = batcher
                .closes_at()
                .map(|t| (t - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(1));
            let messages = tokio::select! {
                n = rx.recv() => match n {
                    Some(n) => batcher.push(Utc::now(), n),
                    None => return,
                },
                _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => batcher.tick(Utc::now()),
            };
            if messages.is_empty() {
                continue;
            }
            let (n, on_error) = (notifier.clone(), on_error.clone());
            let _ = tokio::task::spawn_blocking(move || {
                let errors = n.lock().unwrap_or_else(|p| p.into_inner()).send(&messages);
                errors.into_iter().for_each(|e| on_error(e));
            })
            .await;
        }
    });
    tx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AlertKey;

    fn notice(id: &str, sev: Severity) -> Notice {
        Notice { key: AlertKey::new("s", id), title: format!("alert {id}"), severity: sev, rose_from: None }
    }

    fn cfg() -> NotifyConfig {
        NotifyConfig::default()
    }

    #[test]
    fn single_notices_go_at_once_and_a_storm_is_one_summary() {
        let t0 = Utc::now();
        let mut b = Batcher::new(&cfg());
        let out = b.push(t0, vec![notice("a", Severity::High)]);
        assert_eq!(
            out,
            [Message { title: "HIGH alert a".into(), body: "s/a (high)".into(), severity: Severity::High }]
        );
        let mut storm: Vec<Notice> = (0..34).map(|i| notice(&i.to_string(), Severity::High)).collect();
        storm.extend((0..3).map(|i| notice(&format!("d{i}"), Severity::Disaster)));
        let out = b.push(t0, storm);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "37 new alerts, 3 disaster");
        assert_eq!(out[0].body, "3 disaster, 34 high");
        assert_eq!(out[0].severity, Severity::Disaster);
    }

    #[test]
    fn a_trickle_past_the_threshold_is_held_and_summed_up_when_the_window_ends() {
        let t0 = Utc::now();
        let mut b = Batcher::new(&cfg());
        let mut sent = 0;
        for i in 0..6 {
            sent += b.push(t0 + chrono::Duration::seconds(i), vec![notice(&i.to_string(), Severity::High)]).len();
        }
        assert_eq!(sent, 3, "the first three go at once");
        assert_eq!(b.closes_at(), Some(t0 + chrono::Duration::seconds(10)), "the task wakes then, not every second");
        assert!(b.tick(t0 + chrono::Duration::seconds(9)).is_empty());
        let rest = b.tick(t0 + chrono::Duration::seconds(10));
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].title, "3 new alerts, 3 high");
        assert_eq!(
            b.push(t0 + chrono::Duration::seconds(11), vec![notice("x", Severity::High)]).len(),
            1,
            "a new window"
        );
        b.tick(t0 + chrono::Duration::seconds(21));
        assert_eq!(b.closes_at(), None, "no window open: no timer");
    }
}
