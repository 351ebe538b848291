//! `ack`, `unack`, `note`, `escalate`: a person's action, durable in the store before
//! anything else happens.

use super::poll::resolve_key;
use super::{CliError, Session};
use crate::actions;
use crate::model::{Entry, EntryKind, NewEntry, Ownership};

pub async fn ack(session: &Session, key: &str, note: Option<&str>, force: bool) -> Result<(), CliError> {
    let key = open_alert(session, key, force).await?;
    // Who owned it before only shapes the message: unknown while the store is away.
    let before = ownership(session, &key).unwrap_or_default();
    let entry =
        record(session, NewEntry::new(key.clone(), EntryKind::Acked, &session.actor, note.unwrap_or(""))).await?;
    match before.owner {
        Some(owner) if owner != session.actor => {
            println!("acknowledged {key} as {} (recorded; {owner} already owns it)", entry.actor)
        }
        _ => println!("acknowledged {key} as {}", entry.actor),
    }
    Ok(())
}

pub async fn unack(session: &Session, key: &str) -> Result<(), CliError> {
    let key = resolve_key(session, key).await?;
    record(session, NewEntry::new(key.clone(), EntryKind::Unacked, &session.actor, "")).await?;
    println!("unacknowledged {key}");
    Ok(())
}

pub async fn note(session: &Session, key: &str, text: &str, force: bool) -> Result<(), CliError> {
    if text.trim().is_empty() {
        return Err(CliError::Usage("a note needs some text".into()));
    }
    let key = open_alert(session, key, force).await?;
    record(session, NewEntry::new(key.clone(), EntryKind::Note, &session.actor, text)).await?;
    println!("noted on {key}");
    Ok(())
}

pub async fn escalate(session: &Session, key: &str, note: Option<&str>, force: bool) -> Result<(), CliError> {
    let key = open_alert(session, key, force).await?;
    let entry = actions::escalation(session, &key, &session.actor, note.unwrap_or("")).await?;
    let (level, text) = (entry.level.unwrap_or(1), entry.text.clone());
    let stored = record(session, entry).await?;
    if stored.is_queued() {
        // Others may escalate meanwhile: the database gives it the next level when it is back.
        println!("escalated {key} to level {level} as far as this host knows (kept on this host): {text}");
    } else {
        println!("escalated {key} to level {level} (stored): {text}");
    }
    // Where the source is the only one asked to page, the escalation has reached nobody
    // until the source takes it.
    let pagers = session.pager_chain();
    if actions::escalates_at(session, key.source(), level) && crate::escalation::pagers_for(&pagers, level).is_empty() {
        taken_at_source(session, &stored, "escalation")?;
    }
    Ok(())
}

/// The key of an alert that still fires; one that is over needs `--force`, so nobody
/// acknowledges yesterday's problem thinking it is today's.
pub(super) async fn open_alert(
    session: &Session,
    input: &str,
    force: bool,
) -> Result<crate::model::AlertKey, CliError> {
    let key = resolve_key(session, input).await?;
    if !force && let Some(why) = actions::resolved(session, &key).await {
        return Err(CliError::Failure(format!("{why}; add --force to act on it anyway")));
    }
    Ok(key)
}

pub async fn set_severity(
    session: &Session,
    key: &str,
    severity: crate::model::Severity,
    note: Option<&str>,
) -> Result<(), CliError> {
    let key = resolve_key(session, key).await?;
    let rank = crate::model::Severity::ALL.iter().position(|s| *s == severity).unwrap_or(0) as i64;
    let entry = NewEntry::new(key.clone(), EntryKind::SeveritySet, &session.actor, note.unwrap_or("")).with_level(rank);
    at_source(session, &entry)?;
    let stored = record(session, entry).await?;
    taken_at_source(session, &stored, "severity change")?;
    println!("set {key} to {severity}");
    Ok(())
}

pub async fn close(session: &Session, key: &str, note: Option<&str>) -> Result<(), CliError> {
    let key = resolve_key(session, key).await?;
    let entry = NewEntry::new(key.clone(), EntryKind::Closed, &session.actor, note.unwrap_or(""));
    at_source(session, &entry)?;
    let stored = record(session, entry).await?;
    taken_at_source(session, &stored, "close")?;
    println!("closed {key}");
    Ok(())
}

/// Hands the alert to `to` (a `[[people]]` name or an email) at its source, with the
/// person's words; refused where the source cannot reassign.
pub async fn reassign(session: &Session, key: &str, to: &str, note: Option<&str>) -> Result<(), CliError> {
    let key = resolve_key(session, key).await?;
    let text = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => format!("to {}: {note}", to.trim()),
        None => format!("to {}", to.trim()),
    };
    let entry = NewEntry::new(key.clone(), EntryKind::Reassigned, &session.actor, &text);
    at_source(session, &entry)?;
    let stored = record(session, entry).await?;
    taken_at_source(session, &stored, "reassignment")?;
    let to = crate::model::Reassign::parse(&stored.text).map_or(to.to_owned(), |r| r.name);
    println!("reassigned {key} to {to} (stored)");
    Ok(())
}

/// An action only the source carries out is done when the source has taken it, not when it
/// is stored: until then (the source away, or refusing) the command says what is stored and
/// fails, and the outbox sends it again (`klaxon sync`, the console).
fn taken_at_source(session: &Session, stored: &Entry, what: &str) -> Result<(), CliError> {
    let (key, source) = (&stored.alert_key, stored.alert_key.source());
    // Asked after the send, of the store as it is now (the send may have replayed what this
    // host kept while the store was away).
    match session.store.mirror_waiting(&stored.op_id, source) {
        Ok(false) => Ok(()),
        Ok(true) => Err(CliError::Failure(format!(
            "the {what} of {key} is recorded but not confirmed by {source}: it is tried again \
             (`klaxon sync`, or the console)"
        ))),
        Err(e) => Err(CliError::Failure(format!(
            "the {what} of {key} is recorded, but whether {source} took it is not known: {e}"
        ))),
    }
}

/// Actions only a source can carry out: refused up front where the source cannot.
fn at_source(session: &Session, entry: &NewEntry) -> Result<(), CliError> {
    Ok(actions::refuse_at_source(session, entry)?)
}

/// Records the action ([`actions::record`]) and says where it is and what was sent.
async fn record(session: &Session, entry: NewEntry) -> Result<Entry, CliError> {
    let (stored, sent) = actions::record(session, &entry).await?;
    if stored.is_queued() {
        eprintln!("klaxon: the store is out of reach: kept on this host, sent when it is back (`klaxon sync`)");
    }
    super::print_report(&sent);
    Ok(stored)
}

fn ownership(session: &Session, key: &crate::model::AlertKey) -> Result<Ownership, CliError> {
    Ok(Ownership::from_entries(&session.store.timeline(key)?))
}
