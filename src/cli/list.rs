//! `klaxon list`: poll once, print ranked alerts. The JSON shape is documented in the
//! README and stable.

use super::{CliError, ListFormat, Session};
use crate::model::{Alert, AlertKey, Item, Ownership, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

/// One alert in `--format json` (list, and watch's `alert` field).
#[derive(Debug, Serialize)]
pub struct AlertOut<'a> {
    pub key: &'a str,
    pub source: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub status: Status,
    #[serde(serialize_with = "crate::model::timestamp::serialize")]
    pub started_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::model::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    pub host: Option<&'a str>,
    pub service: Option<&'a str>,
    pub labels: &'a crate::model::Fields,
    pub annotations: &'a crate::model::Fields,
    /// Who acknowledged it, or null.
    pub owner: Option<&'a str>,
    pub escalation_level: i64,
    /// The runbook name or URL the alert points to, or null.
    pub runbook: Option<&'a str>,
    /// Why it is suppressed ("silenced by carol: maintenance"), or null.
    pub suppression: Option<&'a str>,
    /// Why `severity` is the source's default_severity (none given, or an unknown word), or null.
    pub severity_guessed: Option<&'a str>,
}

impl<'a> AlertOut<'a> {
    pub fn new<A: std::ops::Deref<Target = Alert>>(item: &'a Item<A>) -> Self {
        let a: &Alert = &item.alert;
        AlertOut {
            key: a.key.as_str(),
            source: a.source(),
            title: &a.title,
            severity: a.severity,
            // The store's ack counts even where the source knows nothing of it.
            status: if a.status == Status::Firing && item.is_acked() { Status::Acknowledged } else { a.status },
            started_at: a.started_at,
            updated_at: a.updated_at,
            host: a.host.as_deref(),
            service: a.service.as_deref(),
            labels: &a.labels,
            annotations: &a.annotations,
            owner: item.owner(),
            escalation_level: item.own.escalation_level,
            runbook: a.link("runbook"),
            suppression: a.suppression.as_deref(),
            severity_guessed: a.guessed.severity.as_deref(),
        }
    }

    /// What serde writes of it (`serde_json::to_writer`), written by hand: 50,000 of
    /// them are most of what `list` does after ranking.
    fn write_json(&self, out: &mut Vec<u8>) {
        use crate::model::timestamp::write;
        let mut o = crate::json_text::Object::new(out);
        o.string("key", self.key).string("source", self.source).string("title", self.title);
        o.string("severity", self.severity.name()).string("status", self.status.name());
        o.plain("started_at", |out| write(out, &self.started_at))
            .plain("updated_at", |out| write(out, &self.updated_at));
        o.optional("host", self.host).optional("service", self.service);
        o.object("labels", self.labels.iter()).object("annotations", self.annotations.iter());
        o.optional("owner", self.owner);
        // Writing to a Vec cannot fail.
        let _ = write!(o.member("escalation_level"), "{}", self.escalation_level);
        o.optional("runbook", self.runbook).optional("suppression", self.suppression);
        o.optional("severity_guessed", self.severity_guessed);
        o.end();
    }
}

pub async fn run(
    session: &Session,
    format: ListFormat,
    min_severity: Option<Severity>,
    source: Option<&str>,
    matchers: &[String],
) -> Result<(), CliError> {
    let filter = crate::model::filter::Filter::from_words(matchers).map_err(CliError::Usage)?;
    if let Some(name) = source
        && !session.sources.iter().any(|(c, _)| c.name == name)
    {
        return Err(CliError::Usage(format!("no source named {name:?}")));
    }
    crate::phase::mark("list: polling");
    let ahead = super::poll::read_ahead(session, source);
    let polled = super::poll::fetch(session, source).await?;
    crate::phase::mark("list: polled");
    let mut ahead = ahead.await.map_err(|e| CliError::Failure(format!("store read task: {e}")))?;
    let taken_at = Utc::now();
    let failed: Vec<String> = polled.iter().filter(|p| p.result.is_err()).map(|p| p.source.clone()).collect();
    let shown = super::poll::shown(&polled, session);
    // A source's cached snapshot is refreshed as the console refreshes it, once a poll
    // interval: `list` run again within it leaves the file as it is. Not when the source
    // does not know when its alerts started (a local check): the cache is where their first
    // sighting is carried from (`carry_starts`), so every sighting is written.
    let stale =
        polled.iter().filter_map(|p| Some((p.source.as_str(), p.result.as_ref().ok()?))).filter(|(name, alerts)| {
            let every = session.source(name).map(|(c, _)| c.interval);
            alerts.iter().any(|a| a.guessed.started_at)
                || every.is_none_or(|every| !session.cache.younger_than(name, every))
        });
    // The alerts are ranked and printed where they lie while the snapshot cache is written
    // from them on another thread, from the moment the poll is done: neither waits for the other.
    let written = std::thread::scope(|s| {
        for (name, alerts) in stale {
            s.spawn(move || {
                super::poll::save_snapshot(session, name, taken_at, alerts);
                crate::phase::mark("list: cache written");
            });
        }
        // Recorded on a thread of its own while the alerts are ranked with the owners read
        // ahead. Recording a source's own ack, unack or escalation (rare), or another writer
        // meanwhile, makes those stale: they are read again and the alerts ranked again.
        let read_ahead = ahead.owners.take();
        let recording = s.spawn(|| {
            let current = super::poll::record(session, &polled, &mut ahead.sources);
            crate::phase::mark("list: recorded");
            current
        });
        let rank = |owners: &HashMap<AlertKey, Ownership>| {
            // Made at their size: grown from nothing, 50,000 items are copied a dozen times.
            let mut ranked: Vec<Item<&Alert>> = Vec::with_capacity(shown.iter().map(|a| a.len()).sum());
            ranked.extend(
                shown
                    .iter()
                    .flat_map(|alerts| alerts.iter())
                    .map(|a| Item::at(a, owners.get(&a.key).cloned().unwrap_or_default())),
            );
            crate::model::sort_ranked(&mut ranked);
            ranked
        };
        let early = match &read_ahead {
            Some(Ok(owners)) => Some(rank(owners)),
            _ => None,
        };
        let current = recording.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let ranked = match early {
            Some(ranked) if current => ranked,
            _ => rank(&session.store.ownership().unwrap_or_else(|e| {
                eprintln!("klaxon: {e} (owners not shown)");
                Default::default()
            })),
        };
        let mut items: Vec<&Item<&Alert>> = Vec::with_capacity(ranked.len());
        items.extend(ranked.iter().filter(|i| min_severity.is_none_or(|m| i.alert.severity >= m) && filter.matches(i)));
        crate::phase::mark("list: board ranked, owners read");
        // One buffered writer, on the descriptor itself: stdout's own line buffer would look
        // for a newline in every block the JSON is made in.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout_file()?);
        let written = match format {
            ListFormat::Json => print_json(&mut out, &items),
            ListFormat::Table => print_table(&mut out, &items, Utc::now()),
        };
        let written = written.and_then(|_| out.flush());
        crate::phase::mark("list: printed");
        written
    });
    // A closed pipe (`klaxon list | head`) is not an error worth a message.
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Failure(format!("cannot write the list: {e}")));
    }
    // The process ends right after: let the OS reclaim a storm's worth of small
    // allocations at once instead of freeing them one by one.
    std::mem::forget(shown);
    std::mem::forget(polled);
    crate::phase::mark("list: done");
    if failed.is_empty() { Ok(()) } else { Err(CliError::Failure(format!("could not poll: {}", failed.join(", ")))) }
}

/// Standard output as a plain file (a copy of its descriptor), written through once.
fn stdout_file() -> std::io::Result<std::fs::File> {
    use std::os::fd::AsFd;
    Ok(std::io::stdout().as_fd().try_clone_to_owned()?.into())
}

/// Rows serialized per block: a block is made on one thread while the other writes or
/// makes the one before, and at most three are held at once. Small enough that the three
/// stay in a core's cache and fault in 100 pages, not 500 (`/usr/bin/time`'s minor faults).
const JSON_BLOCK: usize = 128;

/// The rows as one JSON array, byte for byte what `serde_json::to_writer` makes of them, on
/// both cores: this thread and a second one take turns making blocks, and this one writes
/// them in order. A list of one block never starts the thread.
fn print_json<A: std::ops::Deref<Target = Alert> + Sync>(
    out: &mut impl Write,
    items: &[&Item<A>],
) -> std::io::Result<()> {
    let blocks: Vec<&[&Item<A>]> = items.chunks(JSON_BLOCK).collect();
    out.write_all(b"[")?;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        // Written blocks' buffers go back to be filled again: a fresh one is a fresh page
        // fault every 4 KiB.
        let (spent, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
        if blocks.len() > 1 {
            let odd: Vec<&[&Item<A>]> = blocks.iter().skip(1).step_by(2).copied().collect();
            // It stops when this thread stops taking blocks (a closed pipe): `send` fails.
            s.spawn(move || {
                odd.into_iter().try_for_each(|b| {
                    let mut bytes = reuse.try_recv().unwrap_or_default();
                    json_block(b, &mut bytes);
                    tx.send(bytes)
                })
            });
        }
        let mut mine = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            if i % 2 == 0 {
                json_block(block, &mut mine);
                out.write_all(&mine)?;
            } else {
                let theirs = rx.recv().map_err(|_| std::io::Error::other("the thread making JSON stopped"))?;
                out.write_all(&theirs)?;
                let _ = spent.send(theirs);
            }
        }
        Ok::<_, std::io::Error>(())
    })?;
    out.write_all(b"]\n")
}

/// The rows, comma-separated, in place of what `bytes` held.
fn json_block<A: std::ops::Deref<Target = Alert>>(rows: &[&Item<A>], bytes: &mut Vec<u8>) {
    bytes.clear();
    bytes.reserve(rows.len() * 1024);
    for (i, item) in rows.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        AlertOut::new(item).write_json(bytes);
    }
}

fn print_table<A: std::ops::Deref<Target = Alert>>(
    out: &mut impl Write,
    items: &[&Item<A>],
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    if items.is_empty() {
        return writeln!(out, "no alerts");
    }
    let key_w = items.iter().map(|i| i.alert.key.as_str().chars().count()).max().unwrap_or(3).min(40);
    let owner_w = items.iter().filter_map(|i| i.owner()).map(|o| o.chars().count()).max().unwrap_or(0).clamp(5, 16);
    writeln!(out, "{:<4}  {:>5}  {:<key_w$}  {:<owner_w$}  TITLE", "SEV", "AGE", "KEY", "OWNER")?;
    for i in items {
        let a = &i.alert;
        let owner = i.owner().unwrap_or("-");
        writeln!(
            out,
            "{:<4}  {:>5}  {:<key_w$}  {:<owner_w$}  {}",
            a.severity.tag(),
            age(now - a.started_at),
            a.key.as_str(),
            owner,
            a.title
        )?;
    }
    Ok(())
}

/// `45s`, `12m`, `3h`, `4d`.
pub fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over one block, under one, exactly one and none: the two threads' blocks come out in
    /// order, each row once, and the bytes are what serde makes of the whole list.
    #[test]
    fn json_made_on_two_threads_is_serdes_own() {
        use crate::model::{Alert, Ownership};
        let t0 = Utc::now();
        for n in [0, 1, JSON_BLOCK, JSON_BLOCK + 1, 3 * JSON_BLOCK + 7] {
            let items: Vec<Item> = (0..n)
                .map(|i| {
                    let mut a = Alert::test("am", &format!("a{i}"), Severity::High, t0);
                    a.labels.insert("quote\"d", format!("line\n{i}"));
                    Item::new(a, Ownership::default())
                })
                .collect();
            let refs: Vec<&Item> = items.iter().collect();
            let mut made = Vec::new();
            print_json(&mut made, &refs).unwrap();
            let rows: Vec<AlertOut> = refs.iter().map(|i| AlertOut::new(i)).collect();
            let mut want = serde_json::to_vec(&rows).unwrap();
            want.push(b'\n');
            assert_eq!(String::from_utf8(made).unwrap(), String::from_utf8(want).unwrap(), "{n} rows");
        }
    }

    quickcheck::quickcheck! {
        /// Any text in any field, owned or not: the hand-written row is serde's.
        fn a_row_is_what_serde_writes(
            title: String,
            labels: Vec<(String, String)>,
            host: Option<String>,
            owner: Option<String>,
            level: i64,
            suppression: Option<String>,
            millis: u32
        ) -> bool {
            use crate::model::{Alert, Ownership};
            let at = DateTime::from_timestamp_millis(1_700_000_000_000 + i64::from(millis)).unwrap();
            let mut a = Alert { title, host, suppression, ..Alert::test("am", "k\"1", Severity::Average, at) };
            for (k, v) in &labels {
                a.labels.insert(k.clone(), v.clone());
                a.annotations.insert(v.clone(), k.clone());
            }
            a.links.push(crate::model::Link { kind: "runbook".into(), url: "https://r/\u{7f}".into() });
            a.guessed.severity = owner.clone();
            let own = Ownership { owner, escalation_level: level, ..Default::default() };
            let item = Item::new(a, own);
            let row = AlertOut::new(&item);
            let mut ours = Vec::new();
            row.write_json(&mut ours);
            ours == serde_json::to_vec(&row).unwrap()
        }
    }

    /// A reader that goes away (`klaxon list | head -c 1`) stops both threads with the error.
    #[test]
    fn a_closed_pipe_stops_the_json() {
        /// Takes the first blocks, then its reader is gone.
        struct Closed(usize);
        impl Write for Closed {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0 += b.len();
                if self.0 > 3 * JSON_BLOCK * 100 { Err(std::io::ErrorKind::BrokenPipe.into()) } else { Ok(b.len()) }
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let t0 = Utc::now();
        let items: Vec<Item> = (0..5 * JSON_BLOCK)
            .map(|i| {
                Item::new(crate::model::Alert::test("am", &format!("a{i}"), Severity::High, t0), Default::default())
            })
            .collect();
        let refs: Vec<&Item> = items.iter().collect();
        let mut closed = Closed(0);
        let e = print_json(&mut closed, &refs).unwrap_err();
        assert!(closed.0 > JSON_BLOCK * 100, "some blocks were taken first");
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn ages_are_short() {
        let d = chrono::Duration::seconds;
        assert_eq!(age(d(-5)), "0s");
        assert_eq!(age(d(59)), "59s");
        assert_eq!(age(d(60 * 12)), "12m");
        assert_eq!(age(d(3600 * 3 + 1)), "3h");
        assert_eq!(age(d(86400 * 4)), "4d");
    }
}
