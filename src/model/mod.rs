//! The domain model: what klaxon knows of alerts, timelines and severities, knowing no vendor.

mod alert;
mod board;
mod entry;
mod fields;
pub mod filter;
mod health;
mod log;
mod mirror;
mod notice;
mod schedule;
mod severity;
pub mod silence;
pub mod timestamp;
mod window;

pub use alert::{Alert, AlertKey, Guessed, Link, SharedAlerts, SourceAck, Status};
pub use board::{Board, Diff, Item, RankHint, Ranked, Retired, rank_cmp, sort_ranked, top_ranked};
pub use entry::{Entry, EntryKind, NewEntry, OpIds, Ownership, Reassign, new_op_id};
pub use fields::Fields;
pub use health::Health;
pub use log::{Keys, Level, LogBuffer, LogLine, MAX_FIELDS, MAX_TEXT, field_value, parse_time};
pub use mirror::{MirrorDone, MirrorOp, PriorUpdate};
pub use notice::{Notice, Watcher};
pub use schedule::{OnCall, Shift, merge as merge_shifts};
pub use severity::{Severity, SeverityMap, UnknownSeverity};
pub use silence::{Matcher, Silence, SilenceOp, Silences};
pub use window::{WINDOW_ANNOTATION, Window};
