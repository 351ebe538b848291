//! `klaxon incident open|list|show|join|leave|status|role|update|pin|close|timeline|postmortem`:
//! a declared incident from the command line ([`crate::incident`]). Every change is an entry,
//! durable first; `--format json` prints what the console folds from the same entries.

use super::poll::resolve_key;
use super::{CliError, Session};
use crate::incident::{self, Event, Incident, Status, act};
use crate::model::{AlertKey, Entry, Severity};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum IncidentCommand {
    /// Declare an incident around one or more alerts
    Open {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "high", value_parser = super::parse_severity)]
        severity: Severity,
        /// <source>/<id> of each alert it holds; a unique prefix of the id is enough
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Open incidents (with --all, closed ones too)
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One incident: status, roles, alerts, people
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add alerts to an incident
    Join { id: String, keys: Vec<String> },
    /// Take alerts out of an incident
    Leave { id: String, keys: Vec<String> },
    /// Set the status: investigating, identified, monitoring or resolved
    Status { id: String, status: Status },
    /// Take a role (commander, comms or any name), or hand it to someone with --to
    Role {
        id: String,
        role: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Post a status update to the configured chats, exactly as written, and keep it
    Update {
        id: String,
        text: String,
        /// The status it announces (default: the incident's current status)
        #[arg(long)]
        status: Option<Status>,
    },
    /// Pin a log line to the incident (for the postmortem)
    Pin {
        id: String,
        line: String,
        /// Where the line comes from (a log source, an alert)
        #[arg(long, default_value = "cli")]
        from: String,
    },
    /// Close the incident (its status becomes resolved)
    Close {
        id: String,
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// The incident's entries and those of its alerts, merged in order
    Timeline {
        id: String,
        #[arg(long, value_enum, default_value_t = super::TimelineFormat::Markdown)]
        format: super::TimelineFormat,
        /// Only these kinds (declared, role, update, acked, note, …); repeatable
        #[arg(long)]
        kind: Vec<String>,
        /// Only entries by this person; repeatable
        #[arg(long)]
        person: Vec<String>,
    },
    /// Write the postmortem draft (Markdown) to a file, or to stdout
    Postmortem {
        id: String,
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

pub async fn run(session: &Session, command: IncidentCommand) -> Result<(), CliError> {
    match command {
        IncidentCommand::Open { title, severity, keys } => open(session, &title, severity, &keys).await,
        IncidentCommand::List { all, format } => list(session, all, format),
        IncidentCommand::Show { id, format } => show(session, &id, format),
        IncidentCommand::Join { id, keys } => {
            let alerts = resolve_all(session, &keys).await?;
            write(session, &id, Event::Joined { alerts }, "added to").await
        }
        IncidentCommand::Leave { id, keys } => {
            let alerts = keys.iter().map(|k| k.trim().to_owned()).collect();
            write(session, &id, Event::Left { alerts }, "removed from").await
        }
        IncidentCommand::Status { id, status } => write(session, &id, Event::Status { status }, "status set on").await,
        IncidentCommand::Role { id, role, to } => {
            let person = to.unwrap_or_else(|| session.actor.clone()).trim().to_owned();
            write(session, &id, Event::Role { role: role.trim().to_lowercase(), person }, "role set on").await
        }
        IncidentCommand::Update { id, text, status } => {
            let inc = target(session, &id)?;
            let status = match status {
                Some(s) => s,
                None if inc.unchecked => {
                    return Err(CliError::Usage("give --status: the store is out of reach to say it".into()));
                }
                None => inc.status,
            };
            write(session, &id, Event::Update { status, text }, "update kept on").await
        }
        IncidentCommand::Pin { id, line, from } => {
            let line = crate::sanitize::sanitize_line(&line);
            write(session, &id, Event::Pinned { line, from }, "pinned to").await
        }
        IncidentCommand::Close { id, summary } => write(session, &id, Event::Closed { summary }, "closed").await,
        IncidentCommand::Timeline { id, format, kind, person } => timeline(session, &id, format, &kind, &person),
        IncidentCommand::Postmortem { id, output } => postmortem(session, &id, output.as_deref()).await,
    }
}

async fn resolve_all(session: &Session, keys: &[String]) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    for k in keys {
        let key = resolve_key(session, k).await?;
        if incident::is_incident(&key) {
            return Err(CliError::Usage(format!("{key} is an incident, not an alert")));
        }
        out.push(key.as_str().to_owned());
    }
    Ok(out)
}

async fn open(session: &Session, title: &str, severity: Severity, keys: &[String]) -> Result<(), CliError> {
    if title.trim().is_empty() {
        return Err(CliError::Usage("an incident needs a --title".into()));
    }
    let alerts: Vec<AlertKey> = resolve_all(session, keys).await?.iter().filter_map(|k| AlertKey::parse(k)).collect();
    let known = act::all(session.store.as_ref()).unwrap_or_default();
    let mut rng = fastrand::Rng::new();
    let id = std::iter::repeat_with(|| incident::new_id(&mut rng)).find(|id| known.iter().all(|i| &i.id != id));
    let id = id.unwrap_or_default();
    let entry =
        incident::declare(crate::model::new_op_id(), chrono::Utc::now(), &id, &session.actor, title, severity, &alerts);
    let (stored, sent) = crate::actions::record(session, &entry).await?;
    say_where(&stored, &sent);
    println!("declared incident {id}: {} ({severity}, {} alert(s))", title.trim(), alerts.len());
    Ok(())
}

/// The incident `input` names (an id or a unique prefix).
fn find(session: &Session, input: &str) -> Result<Incident, CliError> {
    let all = act::all(session.store.as_ref())?;
    incident::find(&all, input).cloned().map_err(CliError::Usage)
}

/// The incident to write to: as the store has it; while the store is out of reach, the whole
/// id as given, unchecked (what is written is kept on this host and replayed).
fn target(session: &Session, input: &str) -> Result<Incident, CliError> {
    match act::all(session.store.as_ref()) {
        Ok(all) => incident::find(&all, input).cloned().map_err(CliError::Usage),
        Err(e) => match Incident::unchecked(input.trim(), chrono::Utc::now()) {
            Some(inc) => {
                eprintln!("klaxon: {e}: writing to incident {} as given, unchecked", inc.id);
                Ok(inc)
            }
            None => Err(CliError::Failure(format!("{e} (give the whole 8-digit id to write while it is away)"))),
        },
    }
}

async fn write(session: &Session, id: &str, event: Event, done: &str) -> Result<(), CliError> {
    let inc = target(session, id)?;
    let (stored, sent) = act::record(session, &inc, &event).await.map_err(|e| match e {
        crate::Error::Invalid(m) => CliError::Usage(m),
        e => CliError::Failure(e.to_string()),
    })?;
    say_where(&stored, &sent);
    if matches!(event, Event::Update { .. }) && session.loaded.config.incidents.chat.is_empty() {
        eprintln!("klaxon: no [[incidents.chat]] is configured: the update is in the timeline only");
    }
    println!("{done} incident {}: {}", inc.id, event.describe(&session.actor));
    Ok(())
}

fn say_where(stored: &Entry, sent: &crate::sync::Report) {
    if stored.is_queued() {
        eprintln!("klaxon: the store is out of reach: kept on this host, sent when it is back (`klaxon sync`)");
    }
    super::print_report(sent);
}

#[derive(Serialize)]
struct IncidentOut<'a> {
    #[serde(flatten)]
    incident: &'a Incident,
    open: bool,
}

fn list(session: &Session, all: bool, format: Format) -> Result<(), CliError> {
    let incidents: Vec<Incident> =
        act::all(session.store.as_ref())?.into_iter().rev().filter(|i| all || i.is_open()).collect();
    match format {
        Format::Json => {
            let out: Vec<_> = incidents.iter().map(|i| IncidentOut { incident: i, open: i.is_open() }).collect();
            print_json(&out)
        }
        Format::Table => {
            if incidents.is_empty() {
                println!("no {}incidents", if all { "" } else { "open " });
            }
            for i in &incidents {
                let lead = i.roles.get(incident::COMMANDER).map_or("no commander", String::as_str);
                println!(
                    "{}  {:<13} {:<11} {:>2} alert(s)  {:<16} {}",
                    i.id,
                    i.status,
                    i.severity,
                    i.alerts.len(),
                    lead,
                    i.title
                );
            }
            Ok(())
        }
    }
}

fn show(session: &Session, id: &str, format: Format) -> Result<(), CliError> {
    let inc = find(session, id)?;
    match format {
        Format::Json => print_json(&IncidentOut { incident: &inc, open: inc.is_open() }),
        Format::Table => {
            println!("incident {}: {}", inc.id, inc.title);
            let state = inc.closed_at.map_or("open".to_string(), |t| format!("closed {}", stamp(t)));
            println!("status {}, severity {}, {state}", inc.status, inc.severity);
            println!("declared by {} at {}", inc.declared_by, stamp(inc.declared_at));
            for (role, who) in &inc.roles {
                println!("{role}: {who}");
            }
            println!("alerts: {}", inc.alerts.iter().cloned().collect::<Vec<_>>().join(", "));
            println!("people: {}", inc.people.join(", "));
            match inc.last_update_at {
                Some(t) => println!("last update {}", stamp(t)),
                None => println!("no status update yet"),
            }
            Ok(())
        }
    }
}

/// The incident's entries and its alerts' (while they were in it), merged.
pub fn lines(session: &Session, inc: &Incident) -> Result<Vec<incident::Line>, CliError> {
    let own = session.store.timeline(&incident::key(&inc.id))?;
    let mut alerts = Vec::new();
    for key in inc.membership.keys().filter_map(|k| AlertKey::parse(k)) {
        alerts.extend(session.store.timeline(&key)?);
    }
    Ok(incident::merge(inc, &own, &alerts))
}

#[derive(Serialize)]
struct TimelineOut<'a> {
    incident: &'a Incident,
    entries: &'a [incident::Line],
}

fn timeline(
    session: &Session,
    id: &str,
    format: super::TimelineFormat,
    kinds: &[String],
    people: &[String],
) -> Result<(), CliError> {
    let inc = find(session, id)?;
    let lines = incident::filter(lines(session, &inc)?, kinds, people);
    match format {
        super::TimelineFormat::Json => print_json(&TimelineOut { incident: &inc, entries: &lines }),
        super::TimelineFormat::Markdown => {
            println!("# Incident {}: {}\n", inc.id, inc.title);
            print!("{}", incident::postmortem::timeline_markdown(&lines));
            Ok(())
        }
    }
}

async fn postmortem(session: &Session, id: &str, output: Option<&std::path::Path>) -> Result<(), CliError> {
    let inc = find(session, id)?;
    let lines = lines(session, &inc)?;
    let mut alerts = Vec::new();
    for key in inc.membership.keys().filter_map(|k| AlertKey::parse(k)) {
        if let Some(known) = session.store.known_alert(&key)? {
            alerts.push(known);
        }
    }
    let start = alerts.iter().map(|a| a.first_seen).min().unwrap_or(inc.declared_at).min(inc.declared_at);
    let oncall = super::oncall::ask_all(session, start).await;
    let oncall: Vec<incident::postmortem::OnCallAt> = oncall
        .into_iter()
        .map(|o| incident::postmortem::OnCallAt { level: o.level, schedule: o.schedule, person: o.now, error: o.error })
        .collect();
    let text = incident::postmortem::render(&incident::postmortem::Inputs {
        incident: &inc,
        lines: &lines,
        alerts: &alerts,
        oncall: &oncall,
    });
    match output {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| CliError::Failure(format!("cannot write {}: {e}", path.display())))?;
            println!("wrote the postmortem draft of incident {} to {}", inc.id, path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(value).map_err(|e| CliError::Failure(e.to_string()))?;
    println!("{json}");
    Ok(())
}

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
