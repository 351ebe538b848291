//! `klaxon list`: poll once, print ranked alerts. The JSON shape is documented in the
//! README and stable.

use super::{CliError, ListFormat, Session};
use crate::model::{Item, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
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
    pub fn new(item: &'a Item) -> Self {
        let a = &item.alert;
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
    // Recorded before the board's owners are settled: a source's own acks become owners.
    let current = super::poll::record(session, &polled, &mut ahead.sources);
    let owners = match ahead.owners {
        Some(owners) if current => owners,
        _ => session.store.ownership(),
    };
    crate::phase::mark("list: recorded");
    let (taken_at, healthy) = (Utc::now(), polled.iter().filter(|p| p.result.is_ok()).map(|p| p.source.clone()));
    let healthy: Vec<String> = healthy.collect();
    let failed: Vec<String> = polled.iter().filter(|p| p.result.is_err()).map(|p| p.source.clone()).collect();
    let board = super::poll::board(polled, session, owners);
    let items: Vec<&Item> = board
        .ranked()
        .iter()
        .filter(|i| min_severity.is_none_or(|m| i.alert.severity >= m) && filter.matches(i))
        .collect();
    crate::phase::mark("list: board ranked, owners read");
    // A source's cached snapshot is refreshed as the console refreshes it, once a poll
    // interval: `list` run again within it leaves the file as it is. Not when the source
    // does not know when its alerts started (a local check): the cache is where their first
    // sighting is carried from (`carry_starts`), so every sighting is written.
    let stale: Vec<&String> = healthy
        .iter()
        .filter(|name| {
            let every = session.source(name).map(|(c, _)| c.interval);
            let guessed =
                board.ranked().iter().any(|i| i.alert.source() == name.as_str() && i.alert.guessed.started_at);
            guessed || every.is_none_or(|every| !session.cache.younger_than(name, every))
        })
        .collect();
    // One buffered writer (stdout alone is line-buffered) while the snapshot cache is
    // written from the same board on another thread: neither waits for the other.
    let written = std::thread::scope(|s| {
        for name in stale {
            let alerts = board.ranked().iter().filter(move |i| i.alert.source() == name).map(|i| &*i.alert);
            s.spawn(move || {
                let saved = session.cache.save_each(name, taken_at, alerts);
                crate::phase::mark("list: cache written");
                saved
            });
        }
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
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
    std::mem::forget(board);
    crate::phase::mark("list: done");
    if failed.is_empty() { Ok(()) } else { Err(CliError::Failure(format!("could not poll: {}", failed.join(", ")))) }
}

/// Rows serialized per block: a block is made on one thread while the other writes or
/// makes the one before, and at most three are held at once.
const JSON_BLOCK: usize = 1024;

/// The rows as one JSON array, byte for byte what `serde_json::to_writer` makes of them, on
/// both cores: this thread and a second one take turns making blocks, and this one writes
/// them in order. A list of one block never starts the thread.
fn print_json(out: &mut impl Write, items: &[&Item]) -> std::io::Result<()> {
    let blocks: Vec<&[&Item]> = items.chunks(JSON_BLOCK).collect();
    out.write_all(b"[")?;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if blocks.len() > 1 {
            let odd: Vec<&[&Item]> = blocks.iter().skip(1).step_by(2).copied().collect();
            // It stops when this thread stops taking blocks (a closed pipe): `send` fails.
            s.spawn(move || odd.into_iter().try_for_each(|b| tx.send(json_block(b))));
        }
        for (i, block) in blocks.iter().enumerate() {
            let bytes = if i % 2 == 0 {
                json_block(block)
            } else {
                rx.recv().map_err(|_| std::io::Error::other("the thread making JSON stopped"))?
            };
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&bytes?)?;
        }
        Ok::<_, std::io::Error>(())
    })?;
    out.write_all(b"]\n")
}

fn json_block(rows: &[&Item]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(rows.len() * 1024);
    for (i, item) in rows.iter().enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        serde_json::to_writer(&mut bytes, &AlertOut::new(item))?;
    }
    Ok(bytes)
}

fn print_table(out: &mut impl Write, items: &[&Item], now: DateTime<Utc>) -> std::io::Result<()> {
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
