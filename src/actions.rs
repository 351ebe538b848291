//! What a person's action means, the same from the console and the commands: the entry
//! is durable in the store (with its outbox row when a source or a pager carries it)
//! before anything leaves the machine; while the store is out of reach it is kept on this
//! host (the store's spool) and replayed when it is back; an escalation names who it pages.

use crate::Error;
use crate::model::{AlertKey, Entry, EntryKind, NewEntry, Reassign};
use crate::session::Session;

/// Writes an entry: with an outbox row when its source mirrors that kind of action.
pub fn store_entry(session: &Session, entry: &NewEntry) -> Result<Entry, Error> {
    if entry.kind == EntryKind::Incident {
        return crate::incident::act::store(session, entry);
    }
    if entry.kind == crate::model::EntryKind::Escalated {
        return store_escalation(session, entry);
    }
    if entry.kind == EntryKind::Reassigned {
        return store_reassignment(session, entry);
    }
    let source = session.source(entry.alert_key.source()).filter(|(_, s)| s.mirrors(entry.kind));
    Ok(match source {
        Some((cfg, _)) => session.store.append_mirrored(entry, &cfg.name, &session.labels(&entry.alert_key))?,
        None => session.store.append(entry)?,
    })
}

/// A reassignment names the person as the source finds them: by email. A name given is
/// looked up in `[[people]]` (its name or an alias) for the person's email alias; the text
/// stored says both ("to alice <alice@example.com>: taking over"). One that names nobody
/// with an email is refused before anything is stored.
fn store_reassignment(session: &Session, entry: &NewEntry) -> Result<Entry, Error> {
    refuse_at_source(session, entry)?;
    let mut entry = entry.clone();
    entry.text = reassignment_text(session, &entry.text)?;
    let source = entry.alert_key.source();
    Ok(session.store.append_mirrored(&entry, source, &session.labels(&entry.alert_key))?)
}

/// `to NAME[: NOTE]` (what the console and the command line write) made into
/// [`Reassign`]'s text with the person's email; text already carrying one is kept.
fn reassignment_text(session: &Session, text: &str) -> Result<String, Error> {
    if let Some(r) = Reassign::parse(text).filter(|r| r.name != r.email) {
        return Ok(r.text());
    }
    let raw = text.strip_prefix("to ").unwrap_or(text);
    let (to, note) = match raw.split_once(": ") {
        Some((to, note)) => (to.trim(), note.trim()),
        None => (raw.trim(), ""),
    };
    if let Some(why) = Reassign::bad_name(to) {
        return Err(Error::Invalid(format!("cannot reassign: {why}")));
    }
    let people = crate::people::People::new(&session.loaded.config.people);
    let person = people.find(to);
    let email = match person {
        Some(p) => p.names().find(|n| Reassign::bad_email(n).is_none()).map(str::to_owned),
        None => Reassign::bad_email(to).is_none().then(|| to.to_owned()),
    };
    let email = email.ok_or_else(|| {
        Error::Invalid(format!(
            "cannot reassign to {to}: no email for them (give an email, or add it to their [[people]] aliases)"
        ))
    })?;
    let name = person.map_or(to, |p| p.name.as_str()).to_owned();
    Ok(Reassign { name, email, note: note.to_owned() }.text())
}

/// An escalation pages people: the entry is stored with its webhook page in one
/// transaction; each Grafana OnCall schedule answering for its level gets a `notified`
/// entry of its own (op_id derived from the escalation's, so it too is written once)
/// queued for that schedule's own escalation API.
fn store_escalation(session: &Session, entry: &NewEntry) -> Result<Entry, Error> {
    use crate::escalation::PAGER;
    let labels = session.labels(&entry.alert_key);
    let has = |target: &str| session.pagers.iter().any(|p| p.target() == target);
    // A source with its own escalation (Zabbix: one severity step up; PagerDuty and
    // Opsgenie: their chain, when one of their schedules answers for the level) takes the
    // entry itself; the webhook page then goes as a companion entry, one outbox row each.
    let source = session
        .source(entry.alert_key.source())
        .filter(|(_, s)| s.mirrors(entry.kind) && escalates_at_source(session, s.as_ref(), entry.level));
    let stored = match (source, has(PAGER)) {
        (Some((cfg, _)), pager) => {
            let stored = session.store.append_mirrored(entry, &cfg.name, &labels)?;
            if pager {
                let mut page = NewEntry::new(
                    entry.alert_key.clone(),
                    crate::model::EntryKind::Notified,
                    &entry.actor,
                    &entry.text,
                );
                page.op_id = format!("{}:{PAGER}", entry.op_id);
                page.at = entry.at;
                session.store.append_mirrored(&page, PAGER, &labels)?;
            }
            stored
        }
        (None, true) => session.store.append_mirrored(entry, PAGER, &labels)?,
        (None, false) => session.store.append(entry)?,
    };
    for (cfg, _) in session.schedules.iter().filter(|(c, _)| Some(c.level) == entry.level) {
        let target = crate::pagers::grafana_oncall::target(&cfg.name);
        if !has(&target) {
            continue;
        }
        let text = format!("to Grafana OnCall ({}): {}", cfg.name, crate::escalation::for_pager(&entry.text));
        let mut page = NewEntry::new(entry.alert_key.clone(), crate::model::EntryKind::Notified, &entry.actor, &text);
        page.op_id = format!("{}:{}", entry.op_id, cfg.name);
        page.at = entry.at;
        session.store.append_mirrored(&page, &target, &labels)?;
    }
    Ok(stored)
}

/// Whether the source named `source` takes an escalation to `level` itself (and pages by its
/// own rules), as [`store_escalation`] hands it one.
pub fn escalates_at(session: &Session, source: &str, level: i64) -> bool {
    session
        .source(source)
        .is_some_and(|(_, s)| s.mirrors(EntryKind::Escalated) && escalates_at_source(session, s.as_ref(), Some(level)))
}

/// Whether `source` carries an escalation to `level`: a vendor's escalation chain only when
/// a schedule of that vendor answers for the level.
fn escalates_at_source(session: &Session, source: &dyn crate::sources::AlertSource, level: Option<i64>) -> bool {
    match source.escalates_for() {
        None => true,
        Some(kind) => session.schedules.iter().any(|(c, _)| Some(c.level) == level && c.kind.name() == kind),
    }
}

/// The level escalating `key` now reaches: one above the store's, or while the store is
/// out of reach, one above what this host knew (the database reconciles it on return).
pub fn next_escalation_level(session: &Session, key: &AlertKey) -> Result<i64, Error> {
    Ok(session.store.escalation_level(key)?.saturating_add(1))
}

/// Whether the entry's source carries this kind of action.
fn mirrors(session: &Session, entry: &NewEntry) -> bool {
    session.source(entry.alert_key.source()).is_some_and(|(_, s)| s.mirrors(entry.kind))
}

/// Who escalating to `level` reaches now, whether a page goes out, and the entry text
/// saying so.
pub async fn escalation_text(session: &Session, key: &AlertKey, level: i64, note: &str) -> String {
    let oncall = ask_on_call(session).await;
    text_for(session, key, oncall.as_deref(), level, note)
}

/// Who is on call now, when there are schedules to ask (None: nobody to name).
pub async fn ask_on_call(session: &Session) -> Option<Vec<(String, i64, Option<String>)>> {
    if session.schedules.is_empty() { None } else { Some(on_call_now(session).await) }
}

/// The escalation text for `level` from an answer of [`ask_on_call`]: several escalations
/// decided at once ask the schedules once.
pub fn text_for(
    session: &Session,
    key: &AlertKey,
    oncall: Option<&[(String, i64, Option<String>)]>,
    level: i64,
    note: &str,
) -> String {
    let paged: Option<Vec<(String, Option<String>)>> = oncall
        .map(|rows| rows.iter().filter(|(_, l, _)| *l == level).map(|(s, _, p)| (s.clone(), p.clone())).collect());
    let pagers = session.pager_chain();
    let escalating = escalates_at(session, key.source(), level).then(|| key.source());
    crate::escalation::entry_text(
        paged.as_deref(),
        &crate::escalation::pagers_for(&pagers, level),
        level,
        note,
        escalating,
    )
}

/// Why acting on `key` would act on a problem that is over, if it would: its source
/// answers without it (or as resolved), or, when the source cannot be asked, the store
/// has it resolved. None when it still fires or nobody can tell.
pub async fn resolved(session: &Session, key: &AlertKey) -> Option<String> {
    if let Some((cfg, source)) = session.source(key.source())
        && let Ok(alerts) = crate::sources::poller::poll_once(source.as_ref(), cfg.timeout).await
    {
        return match alerts.iter().find(|a| &a.key == key) {
            Some(a) if a.status == crate::model::Status::Resolved => {
                Some(format!("{} reports {key} as resolved", cfg.name))
            }
            Some(_) => None,
            None => Some(format!("{} no longer reports {key}: it has resolved", cfg.name)),
        };
    }
    match session.store.known_alert(key) {
        Ok(Some(k)) => {
            k.resolved_at.map(|t| format!("the store has {key} resolved since {}", t.format("%F %H:%M UTC")))
        }
        _ => None,
    }
}

/// A person's action from a command: stored first (with its outbox rows), then what is due in
/// the outbox is sent. The console stores the same way and wakes its outbox task instead.
pub async fn record(session: &Session, entry: &NewEntry) -> Result<(Entry, crate::sync::Report), Error> {
    let stored = store_entry(session, entry)?;
    Ok((stored, session.drain(false).await))
}

/// Refuses, before anything is written, an action only a source can carry out (set a
/// severity, close, reassign) when the alert's source does not take it.
pub fn refuse_at_source(session: &Session, entry: &NewEntry) -> Result<(), Error> {
    if mirrors(session, entry) {
        return Ok(());
    }
    let (what, who) = match entry.kind {
        EntryKind::Reassigned => ("reassign", "pagerduty with write_back"),
        kind => (kind.name(), "zabbix, pagerduty, opsgenie or grafana-oncall with write_back"),
    };
    Err(Error::Invalid(format!(
        "source {} cannot {}: only a source that takes it ({who}) can",
        entry.alert_key.source(),
        what.replace('-', " ")
    )))
}

/// The escalation of `key` one level up by `actor`: refused past the highest level a
/// schedule answers for; its text names who is on call there and what pages them.
pub async fn escalation(session: &Session, key: &AlertKey, actor: &str, note: &str) -> Result<NewEntry, Error> {
    let level = next_escalation_level(session, key)?;
    if let Some(why) = crate::escalation::refuse_level(level, session.top_level()) {
        return Err(Error::Failed(format!("{key} cannot go higher: {why}")));
    }
    let text = escalation_text(session, key, level, note).await;
    Ok(NewEntry::new(key.clone(), EntryKind::Escalated, actor, &text).with_level(level))
}

/// Who is on call now on each schedule: (schedule, level, person), asked at once, each
/// bounded by its schedule's timeout; a schedule that fails names nobody.
pub async fn on_call_now(session: &Session) -> Vec<(String, i64, Option<String>)> {
    let now = chrono::Utc::now();
    let tasks: Vec<_> = session
        .schedules
        .iter()
        .map(|(cfg, s)| {
            let (s, timeout, name, level) = (s.clone(), cfg.timeout, cfg.name.clone(), cfg.level);
            tokio::spawn(async move {
                let person = crate::oncall::lookup(s.as_ref(), now, timeout)
                    .await
                    .ok()
                    .and_then(|oc| oc.person_now().map(str::to_owned));
                (name, level, person)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        if let Ok(row) = t.await {
            out.push(row);
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out
}
