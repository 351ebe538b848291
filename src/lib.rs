//! klaxon: a terminal on-call console.
//!
//! Data flows one way (see README "Architecture"):
//! - [`sources`] poll alert systems and produce [`model::Alert`]s; [`sources::poller`] runs
//!   one task per source with timeouts, backoff and health, and caches snapshots on disk.
//! - [`oncall`] reads schedules (iCal feeds, rotations, vendor APIs): who is on call per level.
//! - [`escalation`] decides who a level pages and when alerts escalate on their own.
//! - [`store`] keeps the timeline (acks, notes, escalations, lifecycle) durably.
//! - [`model`] is the vendor-free domain: severities, alerts, entries, the ranked board.
//! - [`app`] is the console's state and pure update; [`ui`] draws it; [`runtime`] owns the
//!   terminal, the channels and the tasks.
//! - [`logs`] read the log lines beside an alert (journald, files, Loki), following them.
//! - [`config`] reads klaxon.toml, themes and keymaps; [`cli`] is the headless commands.
//! - [`report`] adds the timeline up: summary trends, noisy alerts, the on-call audit
//!   ([`people`] joins one person's names across systems).
//! - [`sanitize`] is the one border every piece of outside text crosses.

pub mod app;
pub mod cli;
pub mod config;
pub mod crash;
pub mod escalation;
pub mod logs;
pub mod model;
pub mod notify;
pub mod oncall;
pub mod people;
pub mod report;
pub mod runbooks;
pub mod runtime;
pub mod sanitize;
pub mod sources;
pub mod store;
pub mod sync;
pub mod ui;
