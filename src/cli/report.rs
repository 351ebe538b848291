//! `klaxon report summary|noise|oncall`: what the store's timeline adds up to, as a table,
//! JSON, CSV or Markdown. The database aggregates; see [`crate::report`].

use super::{CliError, Session};
use crate::model::Severity;
use crate::people::People;
use crate::report::{self, ReportQuery, format::Format};
use std::io::Write;

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Trends for the lead: alerts and pages per week, by severity, source and service; MTTA
    /// and MTTR (median, p90); escalations; the change against the previous period
    Summary {
        #[command(flatten)]
        args: ReportArgs,
    },
    /// Alert hygiene: per alert, how often it resolved by itself, flapped, was never
    /// acknowledged or fired at night; noisiest first, with a suggestion
    Noise {
        #[command(flatten)]
        args: ReportArgs,
        /// Firing again within this of resolving is a flap
        #[arg(long, default_value = "15m", value_name = "DURATION")]
        flap: String,
        /// The zone night (22:00-07:00) and weekend are read in (default: [reports]
        /// time_zone, else UTC)
        #[arg(long, value_name = "ZONE")]
        time_zone: Option<String>,
    },
    /// The on-call audit: per person, hours on call per level, pages, pages and acks outside
    /// working hours, night interruptions, acks, notes, escalations (CSV for payroll)
    Oncall {
        #[command(flatten)]
        args: ReportArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Start of the period: a duration ago ("30d"), a date (2026-03-01, UTC) or RFC 3339
    #[arg(long, default_value = "30d", value_name = "TIME")]
    since: String,
    /// End of the period: "now", a duration ago, a date or RFC 3339
    #[arg(long, default_value = "now", value_name = "TIME")]
    until: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Incidents at or above this severity count as pages (default: [notify] min_severity)
    #[arg(long, value_name = "SEVERITY", value_parser = super::parse_severity)]
    page_severity: Option<Severity>,
    /// Only alerts matching all of these: source=, service=, name= (alertname=), key=
    /// (each also with !=), severity=, !=, >=, >, <=, <
    #[arg(value_name = "MATCHER")]
    matchers: Vec<String>,
}

impl ReportArgs {
    fn query(&self, session: &Session) -> Result<ReportQuery, CliError> {
        let (since, until) = report::period(&self.since, &self.until, chrono::Utc::now()).map_err(CliError::Usage)?;
        let matchers = report::parse_matchers(&self.matchers).map_err(CliError::Usage)?;
        let page_severity = self.page_severity.unwrap_or(session.loaded.config.notify.min_severity);
        Ok(ReportQuery { since, until, page_severity, matchers })
    }
}

pub async fn run(session: &Session, command: ReportCommand) -> Result<(), CliError> {
    let out = match command {
        ReportCommand::Summary { args } => {
            let q = args.query(session)?;
            report::format::render(&report::summary::summary(session.store.as_ref(), &q)?, args.format)
        }
        ReportCommand::Noise { args, flap, time_zone } => {
            let q = args.query(session)?;
            let flap = humantime::parse_duration(flap.trim())
                .map_err(|e| CliError::Usage(format!("--flap {flap:?}: {e}; write it like \"15m\"")))?;
            let tz = match time_zone {
                Some(z) => {
                    crate::oncall::rotation::parse_tz(&z).map_err(|e| CliError::Usage(format!("--time-zone: {e}")))?
                }
                None => session.loaded.config.reports.zone(),
            };
            let flap_s = i64::try_from(flap.as_secs()).unwrap_or(i64::MAX);
            report::format::render(&report::noise::noise(session.store.as_ref(), &q, flap_s, tz)?, args.format)
        }
        ReportCommand::Oncall { args } => {
            let q = args.query(session)?;
            let people = People::new(&session.loaded.config.people);
            let (shifts, skipped) = report::oncall::gather_shifts(&session.schedules, q.since, q.until).await;
            for s in &skipped {
                eprintln!("klaxon: schedule {s}: its hours on call are not in this report");
            }
            let r = report::oncall::oncall(session.store.as_ref(), &q, &people, &shifts, skipped)?;
            report::format::render(&r, args.format)
        }
    };
    std::io::stdout().lock().write_all(out.as_bytes()).map_err(|e| CliError::Failure(format!("cannot write: {e}")))
}
