//! Several alerts at once (`klaxon ack KEY KEY…`): each alert gets its own entry and its
//! own outbox row, all stored before one drain sends them; one that is refused or fails
//! undoes none of the others, and the last line counts both ("12 acked, 1 queued").

use super::{CliError, Session};
use crate::actions;
use crate::model::{EntryKind, NewEntry};

pub async fn ack_all(session: &Session, keys: &[String], note: Option<&str>, force: bool) -> Result<(), CliError> {
    let (mut stored, mut refused) = (0usize, Vec::new());
    for input in keys {
        let entry = match super::act::open_alert(session, input, force).await {
            Ok(key) => NewEntry::new(key, EntryKind::Acked, &session.actor, note.unwrap_or("")),
            Err(e) => {
                refused.push(format!("{input}: {e}"));
                continue;
            }
        };
        match actions::store_entry(session, &entry) {
            Ok(_) => stored += 1,
            Err(e) => refused.push(format!("{}: {e}", entry.alert_key)),
        }
    }
    let sent = session.drain(false).await;
    super::print_report(&sent);
    for r in &refused {
        eprintln!("klaxon: not acked: {r}");
    }
    println!("{stored} acked, {} queued", sent.unsent());
    if refused.is_empty() { Ok(()) } else { Err(CliError::Failure(format!("{} not acked", refused.len()))) }
}
