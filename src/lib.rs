//! klaxon: a terminal on-call console.
//!
//! Data flows one way (see README "Architecture"):
//! - [`sources`] poll alert systems and produce [`model::Alert`]s; [`sources::poller`] runs
//!   one task per source on the [`periodic`] helper (interval, timeout, backoff, health),
//!   sanitizes every alert at its border, and caches snapshots on disk.
//! - [`oncall`] reads schedules (iCal feeds, rotations, vendor APIs): who is on call per level.
//! - [`engine`] is the one path from snapshots to the store, news, automatic escalation and
//!   notifications, for the console and `klaxon watch` alike.
//! - [`escalation`] decides who a level pages and when alerts escalate on their own;
//!   [`pagers`] (webhook, Grafana OnCall) carry the pages as outbox targets.
//! - [`actions`] is what an ack, note or escalation means (store entry, outbox, outage
//!   policy); [`sync`] drains the outbox to sources and pagers.
//! - [`store`] keeps the timeline (acks, notes, escalations, lifecycle) durably.
//! - [`model`] is the vendor-free domain: severities, alerts, entries, the ranked board.
//! - [`app`] is the console's state and pure update; [`ui`] draws it; [`runtime`] owns the
//!   terminal, the channels and the tasks.
//! - [`logs`] read the log lines beside an alert (journald, files, Loki), following them.
//! - [`config`] is the leaf every part shares: reading the file with positions (file, line,
//!   key), paths, themes and keymap files, and the shared field types (durations, secrets,
//!   URLs, names). Each integration's settings live in its own file; [`settings`] composes
//!   them into klaxon.toml's root. [`http`] is the bounded HTTP every integration uses.
//! - [`session`] sets up store, sources, schedules and pagers from the settings; [`cli`] is
//!   argument parsing and printing for the commands.
//! - [`report`] adds the timeline up: summary trends, noisy alerts, the on-call audit
//!   ([`people`] joins one person's names across systems).
//! - [`sanitize`] is the one border every piece of outside text crosses.
//! - [`vendors`] holds one client per incident platform (auth, rate limits, retries), shared
//!   by that vendor's schedule, alert source and pager.

pub mod actions;
pub mod app;
pub mod cli;
pub mod config;
pub mod crash;
pub mod engine;
mod error;
pub mod escalation;
pub mod http;
pub mod incident;
pub mod json_array;
pub mod json_text;
pub mod logs;
pub mod model;
pub mod notify;
pub mod oncall;
pub mod pagers;
pub mod people;
pub mod periodic;
pub mod phase;
pub mod report;
pub mod runbooks;
pub mod runtime;
pub mod sanitize;
pub mod session;
pub mod settings;
pub mod slo;
pub mod sources;
pub mod store;
pub mod swar;
pub mod sync;
pub mod tls;
pub mod ui;
pub mod vendors;

pub use error::Error;
