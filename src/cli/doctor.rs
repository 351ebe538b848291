//! `klaxon doctor`: is every part reachable? One line each, and exit 1 when something is not.

use super::{CliError, Session};
use crate::config::Origin;
use crate::sources::poller;
use std::time::Instant;

pub async fn run(session: &Session) -> Result<(), CliError> {
    let mut problems = 0;
    match &session.loaded.origin {
        Origin::File(p) => println!("config   ok: {}", p.display()),
        Origin::Embedded => println!("config   ok: the embedded default (no config file)"),
    }
    let store = session.store.clone();
    // What waits on this host is counted apart: it matters most when the store is away.
    let (queued, counts) = tokio::task::spawn_blocking(move || {
        let counts = (|| -> crate::store::Result<(usize, usize, i64)> {
            Ok((store.known_alerts(None, false)?.len(), store.unsent()?, store.last_entry_id()?))
        })();
        (store.queued(), counts)
    })
    .await
    .map_err(|e| CliError::Failure(e.to_string()))?;
    match counts {
        Ok((open, unsent, entries)) => {
            println!("store    ok: {} ({entries} entries, {open} open alerts)", session.store.describe());
            if unsent > 0 {
                problems += 1;
                println!("outbox   {unsent} action(s) not yet sent to their source: `klaxon sync` sends them");
            }
        }
        Err(e) => {
            problems += 1;
            println!("store    FAILING: {e}");
        }
    }
    match queued {
        Ok(0) => {}
        Ok(queued) => {
            problems += 1;
            println!("outbox   {queued} action(s) kept here for the store: `klaxon sync` sends them");
        }
        Err(e) => {
            problems += 1;
            println!("outbox   cannot count the actions kept here: {e}");
        }
    }
    for (cfg, source) in &session.sources {
        let started = Instant::now();
        let result = poller::poll_once(source.as_ref(), cfg.timeout).await;
        let took = started.elapsed();
        match result {
            Ok(alerts) => {
                println!("source   {} ({}): ok in {took:.1?}, {} alerts", cfg.name, cfg.kind.name(), alerts.len())
            }
            Err(e) => {
                problems += 1;
                println!("source   {} ({}): FAILING after {took:.1?}: {e}", cfg.name, cfg.kind.name());
            }
        }
    }
    for row in super::oncall::ask_all(session, chrono::Utc::now()).await {
        match &row.error {
            None if row.warnings > 0 => println!(
                "schedule {} (level {}): ok, {} on call; {}",
                row.schedule,
                row.level,
                row.now.as_deref().unwrap_or("nobody"),
                super::oncall::skipped(&row)
            ),
            None => println!(
                "schedule {} (level {}): ok, {} on call",
                row.schedule,
                row.level,
                row.now.as_deref().unwrap_or("nobody")
            ),
            Some(e) => {
                problems += 1;
                println!("schedule {} (level {}): FAILING: {e}", row.schedule, row.level);
            }
        }
    }
    for line in session.escalation_chain() {
        println!("{line}");
    }
    let notify = &session.loaded.config.notify;
    if notify.desktop {
        match tokio::task::spawn_blocking(notify_rust::get_server_information).await {
            Ok(Ok(info)) => println!("desktop  ok: {} {} ({})", info.name, info.version, info.vendor),
            // Over SSH there is often no desktop: worth saying, not a failure of klaxon's.
            Ok(Err(e)) => println!("desktop  not reachable (terminal notifications still work): {e}"),
            Err(e) => println!("desktop  not reachable: {e}"),
        }
    }
    let terminal = crate::notify::terminal::TerminalNotifier::new(notify.terminal, &|k| std::env::var(k).ok());
    println!("terminal notifications by {}", format!("{:?}", terminal.mode()).to_lowercase());
    let (lib, runbook_problems) = session.runbooks();
    println!("runbooks {} loaded", lib.all().len());
    for p in &runbook_problems {
        problems += 1;
        println!("runbooks {p}");
    }
    match problems {
        0 => Ok(()),
        n => Err(CliError::Failure(format!("{n} problem(s) found"))),
    }
}
