//! `klaxon silence add | list | expire | extend`: Alertmanager silences, in amtool's
//! meaning. Every change is an entry first (kind `silenced`, on `<source>/silences`), carried
//! by the outbox like an ack, and reported only as far as the source's read-back shows it.

use super::{CliError, Session};
use crate::model::silence::{self, Matcher, Silence, SilenceOp};
use crate::model::{AlertKey, EntryKind, NewEntry};
use chrono::{DateTime, Local, Utc};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Silence the alerts MATCHER... match (name=value, name!=value, name=~regex, name!~regex;
    /// a bare word is the alertname), as `amtool silence add`
    Add {
        #[arg(required = true)]
        matchers: Vec<String>,
        /// How long: 2h, 30m, 1d; or "until 18:00" (today, local time)
        #[arg(long, short = 'd', default_value = "1h")]
        duration: String,
        #[arg(long, short = 'c')]
        comment: String,
        /// The Alertmanager source (needed when there are several)
        #[arg(long)]
        source: Option<String>,
        /// Silence even when the matchers match every alert the source has
        #[arg(long)]
        yes: bool,
    },
    /// Active and pending silences (with --expired: expired ones), optionally only those
    /// with each MATCHER among theirs, as `amtool silence query`
    #[command(alias = "query")]
    List {
        matchers: Vec<String>,
        #[arg(long)]
        expired: bool,
        #[arg(long, value_enum, default_value_t = SilenceFormat::Table)]
        format: SilenceFormat,
        #[arg(long)]
        source: Option<String>,
    },
    /// Expire silences by id
    Expire {
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Make a silence end later (or sooner): --duration from now, as `amtool silence update`
    Extend {
        id: String,
        #[arg(long, short = 'd')]
        duration: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SilenceFormat {
    Table,
    Json,
}

pub async fn run(session: &Session, command: SilenceCommand) -> Result<(), CliError> {
    match command {
        SilenceCommand::Add { matchers, duration, comment, source, yes } => {
            add(session, &matchers, &duration, &comment, source.as_deref(), yes).await
        }
        SilenceCommand::List { matchers, expired, format, source } => {
            list(session, &matchers, expired, format, source.as_deref()).await
        }
        // Each id on its own: one that fails does not keep the others from being expired,
        // and each failure is said with its id.
        SilenceCommand::Expire { ids } => {
            let mut failed = Vec::new();
            for id in &ids {
                let expired = async {
                    let (source, _) = owner_of(session, id).await?;
                    act(session, &source, SilenceOp::Expire { id: id.clone() }).await
                };
                if let Err(e) = expired.await {
                    if ids.len() == 1 {
                        return Err(e);
                    }
                    eprintln!("klaxon: {id}: {e}");
                    failed.push(id.as_str());
                }
            }
            match failed.len() {
                0 => Ok(()),
                n => Err(CliError::Failure(format!(
                    "{n} of the {} silences not expired: {}",
                    ids.len(),
                    failed.join(", ")
                ))),
            }
        }
        SilenceCommand::Extend { id, duration } => {
            let ends_at = end(&duration)?;
            let (source, _) = owner_of(session, &id).await?;
            act(session, &source, SilenceOp::Extend { id, ends_at }).await
        }
    }
}

fn end(text: &str) -> Result<DateTime<Utc>, CliError> {
    let now = Utc::now();
    silence::parse_end(text, now, *now.with_timezone(&Local).offset()).map_err(CliError::Usage)
}

/// A configured source and what it is.
type Configured = (crate::sources::SourceConfig, std::sync::Arc<dyn crate::sources::AlertSource>);

/// The sources that have silences: the one named, else all of them.
fn silencing<'a>(session: &'a Session, name: Option<&str>) -> Result<Vec<&'a Configured>, CliError> {
    // Alertmanagers only: a Zabbix source's maintenance rides in the console's view, read-only.
    let all: Vec<_> =
        session.sources.iter().filter(|(_, s)| s.mirrors(EntryKind::Silenced) && s.silences().is_some()).collect();
    match name {
        Some(n) => match all.iter().find(|(c, _)| c.name == n) {
            Some(s) => Ok(vec![*s]),
            None => Err(CliError::Usage(format!("no Alertmanager source named {n:?}"))),
        },
        None if all.is_empty() => Err(CliError::Usage("no source has silences (an alertmanager source)".into())),
        None => Ok(all),
    }
}

async fn silences_of(session: &Session, name: Option<&str>) -> Result<Vec<Silence>, CliError> {
    let mut out = Vec::new();
    for (cfg, source) in silencing(session, name)? {
        let Some(asked) = source.silences() else { continue };
        match tokio::time::timeout(cfg.timeout, asked).await {
            Ok(Ok(s)) => out.extend(s.list),
            Ok(Err(e)) => return Err(CliError::Failure(format!("{}: {e}", cfg.name))),
            Err(_) => return Err(CliError::Failure(format!("{}: no answer within {:?}", cfg.name, cfg.timeout))),
        }
    }
    Ok(out)
}

/// The source holding silence `id`.
async fn owner_of(session: &Session, id: &str) -> Result<(String, Silence), CliError> {
    let found = silences_of(session, None).await?.into_iter().find(|s| s.id == id);
    found.map(|s| (s.source.clone(), s)).ok_or_else(|| CliError::Failure(format!("there is no silence {id:?}")))
}

async fn add(
    session: &Session,
    words: &[String],
    duration: &str,
    comment: &str,
    source: Option<&str>,
    yes: bool,
) -> Result<(), CliError> {
    let matchers = silence::parse_matchers(words).map_err(CliError::Usage)?;
    let ends_at = end(duration)?;
    let targets = silencing(session, source)?;
    let [(cfg, src)] = targets.as_slice() else {
        let names: Vec<&str> = targets.iter().map(|(c, _)| c.name.as_str()).collect();
        return Err(CliError::Usage(format!("which Alertmanager? --source {}", names.join(" or --source "))));
    };
    // What it would silence now: all of a source's alerts only when that is meant.
    if let Ok(alerts) = crate::sources::poller::poll_once(src.as_ref(), cfg.timeout).await {
        let hit = alerts.iter().filter(|a| silence::matches_all(&matchers, &a.labels)).count();
        if hit > 1 && hit == alerts.len() && !yes {
            return Err(CliError::Usage(format!(
                "these matchers match every alert {} has ({hit}); add --yes to silence them all",
                cfg.name
            )));
        }
        eprintln!("klaxon: matches {hit} of the {} alert(s) {} shows now", alerts.len(), cfg.name);
    }
    act(session, &cfg.name, SilenceOp::Add { matchers, ends_at, comment: comment.to_owned() }).await
}

/// Stores the action, lets the outbox carry it, and says what the source shows: the id
/// (on stdout, as amtool prints it) once read back, else that it waits.
async fn act(session: &Session, source: &str, op: SilenceOp) -> Result<(), CliError> {
    let entry =
        NewEntry::new(AlertKey::new(source, silence::TIMELINE_ID), EntryKind::Silenced, &session.actor, &op.text());
    let (stored, sent) = crate::actions::record(session, &entry).await?;
    // Kept on this host while the store (PostgreSQL) is away, it is not sent until it is back.
    if stored.is_queued() && sent.queued > 0 {
        super::print_report(&sent);
        return Err(CliError::Failure(format!(
            "kept on this host while the store is out of reach, not sent to {source} yet: `klaxon sync` sends it \
             when the store is back"
        )));
    }
    let mark = crate::sources::op_mark(&stored.op_id);
    let gone = |s: &Silence| s.state == "expired";
    // Stored (and maybe sent) by now: a listing that fails must not hide that.
    let now = match silences_of(session, Some(source)).await {
        Ok(now) => now,
        Err(e) => {
            super::print_report(&sent);
            return Err(CliError::Failure(format!(
                "stored, but whether {source} shows it is not known ({e}): `klaxon silence list` looks again"
            )));
        }
    };
    let shown = match &op {
        SilenceOp::Expire { id } => now.iter().find(|s| &s.id == id && gone(s)).map(|s| s.id.clone()),
        _ => now.iter().find(|s| s.comment.contains(&mark) && !gone(s)).map(|s| s.id.clone()),
    };
    match shown {
        Some(id) => {
            println!("{id}");
            Ok(())
        }
        None => {
            super::print_report(&sent);
            Err(CliError::Failure(format!(
                "stored, but {source} does not show it yet: it goes again at the next `klaxon sync`"
            )))
        }
    }
}

async fn list(
    session: &Session,
    words: &[String],
    expired: bool,
    format: SilenceFormat,
    source: Option<&str>,
) -> Result<(), CliError> {
    let wanted: Vec<Matcher> =
        words.iter().map(|w| Matcher::parse(w)).collect::<Result<_, _>>().map_err(CliError::Usage)?;
    let mut rows: Vec<Silence> = silences_of(session, source)
        .await?
        .into_iter()
        .filter(|s| (s.state == "expired") == expired && wanted.iter().all(|w| s.matchers.contains(w)))
        .collect();
    rows.sort_by(|a, b| a.ends_at.cmp(&b.ends_at).then_with(|| a.id.cmp(&b.id)));
    let mut out = std::io::stdout().lock();
    let written = match format {
        SilenceFormat::Json => {
            let rows: Vec<_> = rows.iter().map(to_json).collect();
            writeln!(out, "{}", serde_json::Value::Array(rows))
        }
        SilenceFormat::Table => table(&mut out, &rows),
    };
    written.map_err(|e| CliError::Failure(format!("cannot write the silences: {e}")))
}

/// Alertmanager's own shape (what `amtool silence query -o json` prints), with the source
/// and the matched count beside it.
fn to_json(s: &Silence) -> serde_json::Value {
    let at = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "source": s.source,
        "id": s.id,
        "status": {"state": s.state},
        "matchers": s.matchers.iter().map(|m| json!({
            "name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal,
        })).collect::<Vec<_>>(),
        "startsAt": at(&s.starts_at),
        "endsAt": at(&s.ends_at),
        "createdBy": s.created_by,
        "comment": crate::sources::without_marks(&s.comment),
        "matched": s.matched,
    })
}

fn table(out: &mut impl Write, rows: &[Silence]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no silences");
    }
    writeln!(
        out,
        "{:<36}  {:<8}  {:<17}  {:<12}  {:>7}  MATCHERS  COMMENT",
        "ID", "STATE", "ENDS (UTC)", "BY", "MATCHED"
    )?;
    for s in rows {
        writeln!(
            out,
            "{:<36}  {:<8}  {:<17}  {:<12}  {:>7}  {}  {}",
            s.id,
            s.state,
            s.ends_at.format("%F %H:%M"),
            s.created_by,
            s.matched,
            s.matchers_text(),
            crate::sources::without_marks(&s.comment)
        )?;
    }
    Ok(())
}
