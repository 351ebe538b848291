//! Asking the sources once, for the commands: poll, the ranked board, and finding the
//! alert a person named by a key or a prefix of it.

use super::{CliError, Session};
use crate::model::{Alert, AlertKey, EntryKind, Ownership};
use crate::store::{ReadAhead, StoreError};
use chrono::Utc;
use std::borrow::Cow;
use std::collections::HashMap;

/// One source's answer to a single poll.
pub struct Polled {
    pub source: String,
    pub result: Result<Vec<Alert>, crate::sources::SourceError>,
}

/// Polls the named sources (all when `only` is None) at once, each bounded by its timeout,
/// and records what each healthy one reported in the store and the snapshot cache.
pub async fn poll(session: &Session, only: Option<&str>) -> Result<Vec<Polled>, CliError> {
    let polled = fetch(session, only).await?;
    // Both only read the alerts: the cache is written on a second core meanwhile.
    std::thread::scope(|s| {
        for p in &polled {
            if let Ok(alerts) = &p.result {
                s.spawn(|| save_snapshot(session, &p.source, Utc::now(), alerts));
            }
        }
        record(session, &polled, &mut HashMap::new());
    });
    Ok(polled)
}

/// Writes a source's snapshot to the cache. A failure does not fail the command (the poll
/// stands, and is recorded), but it is said: the console would open on an older snapshot.
pub fn save_snapshot(session: &Session, source: &str, at: chrono::DateTime<Utc>, alerts: &[Alert]) {
    if let Err(e) = session.cache.save(source, at, alerts) {
        eprintln!("klaxon: could not write the snapshot cache of {source}: {e}");
    }
}

/// Polls as [`poll`] does, recording nothing. Ages a source cannot tell come from its last
/// snapshot (this is a new process), read from the cache only when some alert needs one: an
/// Alertmanager's 50,000 all know their start, and reading them back would cost more than
/// the poll's own decoding (and hold twice the alerts).
pub async fn fetch(session: &Session, only: Option<&str>) -> Result<Vec<Polled>, CliError> {
    let tasks: Vec<_> = session
        .sources
        .iter()
        .filter(|(c, _)| only.is_none_or(|o| o == c.name))
        .map(|(cfg, src)| {
            let (src, timeout, name, cache) = (src.clone(), cfg.timeout, cfg.name.clone(), session.cache.clone());
            tokio::spawn(async move {
                let mut result = crate::sources::poller::poll_once(src.as_ref(), timeout).await;
                if let Ok(alerts) = &mut result
                    && alerts.iter().any(|a| a.guessed.started_at)
                {
                    let load = (cache, name.clone());
                    if let Ok(Some((_, previous))) = tokio::task::spawn_blocking(move || load.0.load(&load.1)).await {
                        crate::sources::cache::carry_starts(&previous, alerts);
                    }
                }
                Polled { source: name, result }
            })
        })
        .collect();
    let mut polled = Vec::new();
    for task in tasks {
        polled.push(task.await.map_err(|e| CliError::Failure(format!("poll task: {e}")))?);
    }
    Ok(polled)
}

/// What the store compares each polled source's snapshot with, and who owns what, read
/// while the sources answer: the store is idle then, and the answer's last byte need not
/// wait for two queries over every open alert.
pub struct Ahead {
    pub(super) sources: HashMap<String, ReadAhead>,
    /// None when no source's rows were read ahead (PostgreSQL): owners read then could not be
    /// told current, so they are read after recording instead.
    pub(super) owners: Option<Result<HashMap<AlertKey, Ownership>, StoreError>>,
}

/// Starts reading [`Ahead`] for the sources [`fetch`] asks (all when `only` is None).
pub fn read_ahead(session: &Session, only: Option<&str>) -> tokio::task::JoinHandle<Ahead> {
    let names: Vec<String> =
        session.sources.iter().filter(|(c, _)| only.is_none_or(|o| o == c.name)).map(|(c, _)| c.name.clone()).collect();
    let store = session.store.clone();
    tokio::task::spawn_blocking(move || {
        // A source whose rows do not read now is read again when recorded, which says why.
        let sources: HashMap<String, ReadAhead> =
            names.into_iter().filter_map(|n| Some((n.clone(), store.read_ahead(&n).ok().flatten()?))).collect();
        let owners = (!sources.is_empty()).then(|| store.ownership());
        crate::phase::mark("store: read ahead");
        Ahead { sources, owners }
    })
}

/// Records what each healthy source reported in the store, comparing with what was read
/// ahead for it (`ahead`, taken). What a source says is still worth showing when the store
/// is out of reach: that is said, and not an error. True when owners read before still
/// hold: nobody wrote meanwhile and this poll recorded no ack, unack or escalation from a
/// source (its `seen` entries reset only alerts that were not open, so had no owner).
pub fn record(session: &Session, polled: &[Polled], ahead: &mut HashMap<String, ReadAhead>) -> bool {
    let mut current = true;
    for p in polled {
        if let Ok(alerts) = &p.result {
            match session.store.observe_read_ahead(&p.source, alerts, Utc::now(), ahead.remove(&p.source)) {
                Ok(o) => {
                    let owning =
                        |k: EntryKind| matches!(k, EntryKind::Acked | EntryKind::Unacked | EntryKind::Escalated);
                    current &= o.ahead_was_current && !o.written.iter().any(|e| owning(e.kind));
                }
                Err(e) => {
                    eprintln!("klaxon: {e} (source {} not recorded)", p.source);
                    current = false;
                }
            }
        }
    }
    current
}

/// What each polled source shows: its answer, or for a failed one its cached snapshot (with
/// when it was taken, said on stderr).
pub fn shown<'a>(polled: &'a [Polled], session: &Session) -> Vec<Cow<'a, [Alert]>> {
    let shown = |p: &'a Polled| match &p.result {
        Ok(alerts) => Cow::Borrowed(alerts.as_slice()),
        Err(e) => {
            let cached = session.cache.load(&p.source);
            let note = match &cached {
                Some((at, _)) => format!("showing its snapshot from {}", at.to_rfc3339()),
                None => "nothing cached to show".to_string(),
            };
            eprintln!("klaxon: source {} failed: {e} ({note})", p.source);
            Cow::Owned(cached.map(|(_, a)| a).unwrap_or_default())
        }
    };
    polled.iter().map(shown).collect()
}

/// Finds the alert a person named: `source/id` or `source/<unique id prefix>`, among what
/// the store knows, else what the source reports now.
pub async fn resolve_key(session: &Session, input: &str) -> Result<AlertKey, CliError> {
    let Some((source, prefix)) = input.split_once('/') else {
        return Err(CliError::Usage(format!("{input:?} is not a key: write <source>/<id>, e.g. demo/4f3a")));
    };
    // While the store is out of reach, what the source reports now is all there is.
    let known = |s: &Session| -> Vec<AlertKey> {
        match s.store.known_alerts(Some(source), true) {
            Ok(known) => known.into_iter().map(|k| k.key).collect(),
            Err(e) => {
                eprintln!("klaxon: {e}");
                Vec::new()
            }
        }
    };
    let mut keys = known(session);
    if session.source(source).is_none() && keys.is_empty() {
        let names: Vec<_> = session.sources.iter().map(|(c, _)| c.name.as_str()).collect();
        return Err(CliError::Usage(format!("no source named {source:?} (configured: {})", names.join(", "))));
    }
    if pick(&keys, prefix).is_err() && session.source(source).is_some() {
        // Not known yet (or ambiguous among old ones): ask the source what fires now.
        for p in poll(session, Some(source)).await? {
            match p.result {
                Ok(alerts) => keys.extend(alerts.into_iter().map(|a| a.key)),
                Err(e) => eprintln!("klaxon: source {source} failed: {e}"),
            }
        }
        keys.sort();
        keys.dedup();
    }
    pick(&keys, prefix).map_err(|candidates| {
        if candidates.is_empty() {
            CliError::Usage(format!("no alert {input:?}: `klaxon list --source {source}` shows what fires"))
        } else {
            let shown: Vec<_> = candidates.iter().take(5).map(|k| k.as_str()).collect();
            CliError::Usage(format!("{input:?} matches {} alerts: {}", candidates.len(), shown.join(", ")))
        }
    })
}

/// The key whose id is `prefix`, else the one whose id starts with it; Err with the
/// candidates when there is not exactly one.
fn pick<'a>(keys: &'a [AlertKey], prefix: &str) -> Result<AlertKey, Vec<&'a AlertKey>> {
    if let Some(exact) = keys.iter().find(|k| k.id() == prefix) {
        return Ok(exact.clone());
    }
    let matches: Vec<_> = keys.iter().filter(|k| k.id().starts_with(prefix)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes_resolve_when_unique() {
        let keys = vec![AlertKey::new("s", "abc123"), AlertKey::new("s", "abd456"), AlertKey::new("s", "ab")];
        assert_eq!(pick(&keys, "abc").unwrap().id(), "abc123");
        assert_eq!(pick(&keys, "ab").unwrap().id(), "ab", "an exact id wins over prefixes");
        assert_eq!(pick(&keys, "a").unwrap_err().len(), 3);
        assert!(pick(&keys, "zz").unwrap_err().is_empty());
    }
}
