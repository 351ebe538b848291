//! `klaxon watch`: the engine without the screen ([`crate::engine::Headless`]). Polls every
//! source on its schedule, records the lifecycle in the store, notifies and escalates like
//! the console, and prints one line per new, changed or resolved alert.

use super::{CliError, Session, WatchFormat};
use crate::engine::{self, Said};
use crate::model::{Alert, Entry, EntryKind};
use chrono::SecondsFormat;
use serde_json::json;
use std::io::Write;
use tokio::sync::watch;

pub async fn run(session: Session, format: WatchFormat, matchers: &[String]) -> Result<(), CliError> {
    let filter = crate::model::filter::Filter::from_words(matchers).map_err(CliError::Usage)?;
    let mut stop = std::pin::pin!(shutdown_signal());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut events = engine::start(&session.sources, &session.cache, session.store.clone(), stop_rx);
    // The same notifications as the console: run this as a service, open the console when paged.
    let notify = crate::notify::spawn(&session.loaded.config.notify, |e| eprintln!("klaxon: {e}"));
    let mut headless = engine::Headless::new(&session, notify);
    loop {
        let event = tokio::select! {
            e = events.recv() => match e { Some(e) => e, None => break },
            _ = &mut stop => break,
        };
        for said in headless.on(event).await {
            match said {
                // A resolved alert no longer at hand is printed only when nothing is filtered.
                Said::Lifecycle { entry, alert } => {
                    if alert.as_deref().map_or(filter.is_empty(), |a| filter.matches_alert(a)) {
                        print_event(format, &entry, alert.as_deref())
                    }
                }
                // stdout's events stay new/changed/resolved; what klaxon did goes to stderr.
                Said::Note(line) => eprintln!("klaxon: {line}"),
                Said::Sent(report) => _ = super::print_report(&report),
            }
        }
    }
    let _ = stop_tx.send(true);
    Ok(())
}

fn print_event(format: WatchFormat, e: &Entry, alert: Option<&Alert>) {
    let event = match e.kind {
        EntryKind::Seen => "new",
        EntryKind::SeverityChanged => "changed",
        EntryKind::Resolved => "resolved",
        _ => return,
    };
    let at = e.at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let line = match format {
        WatchFormat::Json => json!({
            "event": event,
            "at": at,
            "key": e.alert_key,
            "severity": alert.map(|a| a.severity),
            "title": alert.map(|a| a.title.as_str()),
            "text": e.text,
            "labels": alert.map(|a| &a.labels),
        })
        .to_string(),
        WatchFormat::Text => format!(
            "{at} {event:<8} {:<11} {} {}",
            alert.map_or("-", |a| a.severity.name()),
            e.alert_key,
            alert.map_or("", |a| a.title.as_str())
        ),
    };
    let mut out = std::io::stdout().lock();
    // A closed pipe (watch | head) ends quietly at the next write.
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// SIGINT, SIGTERM or SIGHUP. The handlers are installed when this is called, not when the
/// future is first polled: a SIGTERM that arrives while the first snapshot is being handled
/// must stop watch cleanly, not kill it by the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    let mut hup = signal(SignalKind::hangup()).ok();
    async move {
        tokio::select! {
            _ = wait(int.as_mut()) => {}
            _ = wait(term.as_mut()) => {}
            _ = wait(hup.as_mut()) => {}
        }
    }
}

/// One signal's next arrival; never, when its handler could not be installed.
async fn wait(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => _ = s.recv().await,
        None => std::future::pending().await,
    }
}
