//! Writing a declared incident's entries, the same from the console's runtime and the
//! command line: durable first like every entry; a status update is stored with one outbox
//! row per chat (`@chat:<name>`), in the one transaction, and posted by the outbox.

use super::{Event, Incident};
use crate::Error;
use crate::model::{Entry, EntryKind, NewEntry};
use crate::session::Session;

/// Every declared incident the store (and this host's queue) knows, in declaration order.
pub fn all(store: &dyn crate::store::Store) -> Result<Vec<Incident>, Error> {
    Ok(super::fold(&store.entries_of_kind(EntryKind::Incident)?))
}

/// Stores one incident entry. A status update goes to the first chat with the entry itself
/// and to each further chat with a companion entry (`relayed`) whose op id derives from the
/// update's, so a retry writes each once.
pub fn store(session: &Session, entry: &NewEntry) -> Result<Entry, Error> {
    let event: Option<Event> = serde_json::from_str(&entry.text).ok();
    let chats = &session.loaded.config.incidents.chat;
    let labels = Default::default();
    let (Some(Event::Update { .. }), Some((first, rest))) = (event, chats.split_first()) else {
        return Ok(session.store.append(entry)?);
    };
    let stored = session.store.append_mirrored(entry, &first.target(), &labels)?;
    for chat in rest {
        let mut copy = entry.clone();
        copy.op_id = format!("{}-{}", entry.op_id, chat.name);
        session.store.append_mirrored(&copy, &chat.target(), &labels)?;
    }
    Ok(stored)
}

/// Why `event` cannot be written on `inc` now, if it cannot: the incident is closed (only
/// pinning and runbooks may still come), or the text is empty.
pub fn refuse(inc: &Incident, event: &Event) -> Option<String> {
    let closed = !inc.is_open() && !matches!(event, Event::Pinned { .. } | Event::Runbook { .. });
    let empty = match event {
        Event::Update { text, .. } => text.trim().is_empty().then_some("a status update needs some text"),
        Event::Role { role, person } => {
            (role.trim().is_empty() || person.trim().is_empty()).then_some("a role needs a name and a person")
        }
        Event::Pinned { line, .. } => line.trim().is_empty().then_some("an empty line cannot be pinned"),
        Event::Joined { alerts } | Event::Left { alerts } => alerts.is_empty().then_some("name at least one alert"),
        _ => None,
    };
    if closed { Some(format!("incident {} is closed", inc.id)) } else { empty.map(str::to_owned) }
}

/// Writes `event` on `inc` as `session.actor`, and sends what the outbox holds.
pub async fn record(session: &Session, inc: &Incident, event: &Event) -> Result<(Entry, crate::sync::Report), Error> {
    if let Some(why) = refuse(inc, event) {
        return Err(Error::Invalid(why));
    }
    let entry = super::entry(crate::model::new_op_id(), chrono::Utc::now(), &inc.id, &session.actor, event);
    crate::actions::record(session, &entry).await
}
