//! The command line: clap definitions and the headless commands, sharing config, store
//! and sources with the console.

mod act;
mod bulk;
pub mod config_schema;
mod doctor;
mod history;
pub mod incident;
pub mod init_detect;
mod list;
mod logs;
pub mod manual;
pub mod oncall;
mod poll;
mod report;
mod runbook;
mod silence;
mod slo;
mod timeline;
mod watch;

pub use crate::session::Session;

use crate::config::{self, ConfigError};
use crate::model::Severity;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `klaxon --version`: the release and the commit it was built from (build.rs).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("KLAXON_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(name = "klaxon", version = VERSION, about = "A terminal on-call console", propagate_version = true)]
pub struct Cli {
    /// Config file (default: $KLAXON_CONFIG, else ~/.config/klaxon/klaxon.toml, else the embedded default)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll every source once and print the alerts, ranked as the console ranks them
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only alerts at or above this severity
        #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
        min_severity: Option<Severity>,
        /// Only this source's alerts
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Only alerts every MATCHER matches: the console's filter (severity>=high service=~api.*)
        /// and amtool's forms (alertname=Foo, env!=dev)
        matchers: Vec<String>,
    },
    /// Alerts that have resolved, from the store, newest first (`klaxon timeline KEY` for each)
    History {
        /// How far back: a duration ago ("24h"), a date (UTC) or RFC 3339
        #[arg(long, default_value = "24h", value_name = "TIME")]
        since: String,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Only alerts every MATCHER matches (as `list`)
        matchers: Vec<String>,
    },
    /// Alertmanager silences: add, list, expire, extend (as amtool silence)
    Silence {
        #[command(subcommand)]
        command: silence::SilenceCommand,
    },
    /// Acknowledge alerts: you own them (several: each its own entry, one confirmation line)
    Ack {
        /// <source>/<id>; a unique prefix of the id is enough
        #[arg(required = true)]
        keys: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        /// Act even though the alert has resolved
        #[arg(long)]
        force: bool,
    },
    /// Give an alert back: nobody owns it
    Unack { key: String },
    /// Add a note to an alert's timeline
    Note {
        key: String,
        text: String,
        /// Act even though the alert has resolved
        #[arg(long)]
        force: bool,
    },
    /// Escalate an alert to the next level
    Escalate {
        key: String,
        #[arg(long)]
        note: Option<String>,
        /// Act even though the alert has resolved
        #[arg(long)]
        force: bool,
    },
    /// Set an alert's severity at its source (Zabbix)
    Severity {
        key: String,
        /// information, warning, average, high or disaster
        severity: crate::model::Severity,
        #[arg(long)]
        note: Option<String>,
    },
    /// Close an alert at its source (Zabbix, where the trigger allows manual close)
    Close {
        key: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reassign an alert at its source to someone else (PagerDuty)
    Reassign {
        key: String,
        /// Whom to: a [[people]] name (their email alias is used) or an email
        #[arg(long)]
        to: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// An alert's timeline, ready for a retrospective
    Timeline {
        key: String,
        #[arg(long, value_enum, default_value_t = TimelineFormat::Markdown)]
        format: TimelineFormat,
    },
    /// Who is on call per schedule and level, until when, and who is next
    Oncall {
        /// The moment to ask about: RFC 3339, or a date (2026-12-25) or local time
        /// (2026-12-25T09:00) in each schedule's time_zone (default: now)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t = OnCallFormat::Table)]
        format: OnCallFormat,
    },
    /// The log lines the console shows beside an alert, from before it started until now
    Logs {
        /// <source>/<id>; a unique prefix of the id is enough
        key: String,
        #[arg(long, value_enum, default_value_t = LogsFormat::Text)]
        format: LogsFormat,
        /// Only this log source's lines
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// Run the engine without the screen: print each new, changed or resolved alert
    Watch {
        #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
        format: WatchFormat,
        /// Only print alerts every MATCHER matches (as `list`)
        matchers: Vec<String>,
    },
    /// Validate the config and say what it sets up
    CheckConfig,
    /// Reach every source, the store, the notification channels and the runbooks; say how each is
    Doctor,
    /// Print a commented starter config (with --write, put it where klaxon looks)
    Init {
        #[arg(long)]
        write: bool,
        /// With --write, replace an existing file
        #[arg(long, requires = "write")]
        force: bool,
        /// Do not look for an Alertmanager, Zabbix or Icinga 2 on this machine
        #[arg(long)]
        no_detect: bool,
    },
    /// Send queued actions (acks, notes mirrored to sources) now
    Sync,
    /// Browse runbooks offline: list, show, search
    Runbook {
        #[command(subcommand)]
        command: RunbookCommand,
    },
    /// Reports from the store's timeline: summary (trends), noise (alert hygiene), oncall (the audit)
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Service level objectives from Prometheus: SLI, error budget left, burn rates, verdict
    Slo {
        /// Only this SLO
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = SloFormat::Table)]
        format: SloFormat,
    },
    /// Declared incidents: many alerts, one response (roles, status updates, postmortem)
    Incident {
        #[command(subcommand)]
        command: incident::IncidentCommand,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
    /// About the config file itself: `klaxon config schema` prints its JSON Schema
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the manual pages klaxon.1 and klaxon.toml.5 into DIR (for packaging)
    #[command(hide = true)]
    Manual { dir: PathBuf },
    /// The JSON Schema of klaxon.toml, for editors (save it where the config's `#:schema` points)
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Every runbook: name, title, the file it comes from
    List,
    /// Render one: a runbook name or an alertname, a Markdown file, or an http(s) URL (a mirror's
    /// checkout when it is under one, else read and kept for offline use)
    Show {
        name: String,
        /// Width to render at (default: the terminal's, else 100)
        #[arg(long)]
        width: Option<u16>,
    },
    /// Search titles, tags and text
    Search { query: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnCallFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogsFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SloFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    Text,
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse().map_err(|e: crate::model::UnknownSeverity| e.to_string())
}

/// What went wrong, and so which exit code: 2 for usage and config, 1 for the rest.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Usage(_) => 2,
            CliError::Failure(_) => 1,
        }
    }
}

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Config(e) => CliError::Config(e),
            crate::Error::Invalid(m) => CliError::Usage(m),
            crate::Error::Failed(m) => CliError::Failure(m),
        }
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        CliError::Failure(e.to_string())
    }
}

/// Runs one command; the console when there is none.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let open = |config: Option<&std::path::Path>| -> Result<Session, CliError> {
        let session = Session::open(config)?;
        if session.loaded.origin == config::Origin::Embedded {
            eprintln!(
                "klaxon: no config file; running the embedded default (demo source, local checks, {})",
                session.store.describe()
            );
        }
        Ok(session)
    };
    let Some(command) = cli.command else {
        return Ok(crate::runtime::run(open(cli.config.as_deref())?).await?);
    };
    match command {
        Command::Init { write, force, no_detect } => {
            let found = if no_detect { Vec::new() } else { init_detect::detect(&Default::default()).await };
            init(cli.config.as_deref(), write, force, &init_detect::starter(&found))
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "klaxon", &mut std::io::stdout());
            Ok(())
        }
        Command::Config { command: ConfigCommand::Schema } => {
            config_schema::print();
            Ok(())
        }
        Command::Config { command: ConfigCommand::Manual { dir } } => manual::write(&dir),
        command => {
            let session = open(cli.config.as_deref())?;
            crate::phase::mark("session open");
            // Every command sends what earlier ones queued first (check-config only reads).
            if !matches!(
                command,
                Command::Sync
                    | Command::CheckConfig
                    | Command::Doctor
                    | Command::Oncall { .. }
                    | Command::Report { .. }
                    | Command::Slo { .. }
            ) {
                sync(&session, false).await;
            }
            crate::phase::mark("outbox drained");
            run_with(session, command).await
        }
    }
}

async fn run_with(session: Session, command: Command) -> Result<(), CliError> {
    match command {
        Command::List { format, min_severity, source, matchers } => {
            list::run(&session, format, min_severity, source.as_deref(), &matchers).await
        }
        Command::Silence { command } => silence::run(&session, command).await,
        Command::History { since, format, matchers } => history::run(&session, &since, &matchers, format).await,
        Command::Ack { keys, note, force } => match keys.as_slice() {
            [key] => act::ack(&session, key, note.as_deref(), force).await,
            _ => bulk::ack_all(&session, &keys, note.as_deref(), force).await,
        },
        Command::Unack { key } => act::unack(&session, &key).await,
        Command::Note { key, text, force } => act::note(&session, &key, &text, force).await,
        Command::Escalate { key, note, force } => act::escalate(&session, &key, note.as_deref(), force).await,
        Command::Severity { key, severity, note } => act::set_severity(&session, &key, severity, note.as_deref()).await,
        Command::Close { key, note } => act::close(&session, &key, note.as_deref()).await,
        Command::Reassign { key, to, note } => act::reassign(&session, &key, &to, note.as_deref()).await,
        Command::Timeline { key, format } => timeline::run(&session, &key, format).await,
        Command::Oncall { at, format } => oncall::run(&session, at.as_deref(), format).await,
        Command::Watch { format, matchers } => watch::run(session, format, &matchers).await,
        Command::Logs { key, format, source } => logs::run(&session, &key, format, source.as_deref()).await,
        Command::Runbook { command } => runbook::run(&session, command).await,
        Command::Report { command } => report::run(&session, command).await,
        Command::Slo { name, format } => slo::run(&session, name.as_deref(), format).await,
        Command::Incident { command } => incident::run(&session, command).await,
        Command::Sync => {
            let report = session.drain(true).await;
            match print_report(&report) {
                _ if report.unread => Err(CliError::Failure("the outbox could not be read".into())),
                0 => Ok(()),
                n => Err(CliError::Failure(format!("{n} action(s) could not be sent yet"))),
            }
        }
        Command::CheckConfig => describe(&session),
        Command::Doctor => doctor::run(&session).await,
        // Handled before a session is opened: they must work with a broken config.
        Command::Init { .. } | Command::Completions { .. } | Command::Config { .. } => Ok(()),
    }
}

/// Sends queued actions to their sources and says what happened on stderr. `force`
/// ignores the retry backoff. Returns how many still wait.
pub async fn sync(session: &Session, force: bool) -> usize {
    print_report(&session.drain(force).await)
}

/// What a drain of the outbox did, on stderr; returns how many actions still wait.
pub(crate) fn print_report(report: &crate::sync::Report) -> usize {
    for line in &report.done {
        eprintln!("klaxon: sent {line}");
    }
    for line in &report.failed {
        eprintln!("klaxon: not sent yet: {line}");
    }
    if report.unsent() > 0 {
        eprintln!("klaxon: {} action(s) queued; `klaxon sync` or the console sends them", report.unsent());
    }
    report.unsent()
}

/// `check-config`: what the config sets up.
pub fn describe(session: &Session) -> Result<(), CliError> {
    // SLO spec files are config too: one that does not read fails the check.
    let slos = crate::slo::files::all(&session.loaded)?;
    match &session.loaded.origin {
        config::Origin::File(p) => println!("config ok: {}", p.display()),
        config::Origin::Embedded => println!("config ok: the embedded default (no config file)"),
    }
    println!("actor: {}", session.actor);
    println!("store: {}", session.store.describe());
    for (cfg, _) in &session.sources {
        println!(
            "source {}: {} every {}, timeout {}",
            cfg.name,
            cfg.kind.name(),
            humantime::format_duration(cfg.interval),
            humantime::format_duration(cfg.timeout)
        );
    }
    for (cfg, _) in &session.schedules {
        println!(
            "schedule {}: {} for level {}, every {}",
            cfg.name,
            cfg.kind.name(),
            cfg.level,
            humantime::format_duration(cfg.interval)
        );
    }
    for line in session.escalation_chain() {
        println!("{line}");
    }
    for l in &session.loaded.config.logs {
        println!(
            "logs {}: {}, {} before an alert, up to {} lines",
            l.name,
            l.kind.name(),
            humantime::format_duration(l.before),
            l.limit
        );
    }
    for s in &slos {
        println!(
            "slo {}: {}% over {} from {}, every {}",
            s.name,
            s.objective * 100.0,
            crate::slo::burn::promql_duration(s.window),
            s.from,
            humantime::format_duration(s.interval)
        );
        if !s.not_used.is_empty() {
            println!("  not used: {}", s.not_used.join(", "));
        }
    }
    Ok(())
}

fn init(explicit: Option<&std::path::Path>, write: bool, force: bool, starter: &str) -> Result<(), CliError> {
    if !write {
        print!("{starter}");
        return Ok(());
    }
    let path = explicit.map(PathBuf::from).unwrap_or_else(|| config::paths::Dirs::platform().config_file());
    if path.exists() && !force {
        return Err(CliError::Usage(format!("{} exists; add --force to replace it", path.display())));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::Failure(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(&path, starter).map_err(|e| CliError::Failure(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("klaxon: wrote {}", path.display());
    config_schema::write_beside(&path)
}
