//! `klaxon logs KEY`: the log lines the console's log pane would show beside that alert.

use super::{CliError, LogsFormat, Session};
use crate::logs::Outcome;
use chrono::Utc;

pub async fn run(session: &Session, key: &str, format: LogsFormat, only: Option<&str>) -> Result<(), CliError> {
    let cfg = &session.loaded.config;
    if cfg.logs.is_empty() {
        return Err(CliError::Usage("no log source is configured: add a [[logs]] source to klaxon.toml".into()));
    }
    if let Some(name) = only
        && !cfg.logs.iter().any(|l| l.name == name)
    {
        let names: Vec<_> = cfg.logs.iter().map(|l| l.name.as_str()).collect();
        return Err(CliError::Usage(format!("no log source named {name:?} (configured: {})", names.join(", "))));
    }
    let key = super::poll::resolve_key(session, key).await?;
    let alert = session
        .store
        .known_alert(&key)?
        .map(|k| k.last)
        .ok_or_else(|| CliError::Failure(format!("{key} is not known yet: `klaxon list` polls its source")))?;
    let now = Utc::now();
    let built = crate::logs::build_all(&cfg.logs, session.config_dir().as_deref());
    let tasks: Vec<_> = built
        .into_iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name))
        .map(|(name, src)| {
            let alert = alert.clone();
            tokio::spawn(async move {
                let result = match src {
                    Ok(src) => src.fetch_once(&alert, now).await,
                    Err(e) => Err(Outcome::Failed(e)),
                };
                (name, result)
            })
        })
        .collect();
    let mut batches = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (name, result) = task.await.map_err(|e| CliError::Failure(format!("log task: {e}")))?;
        match result {
            Ok(lines) => batches.push(lines),
            Err(Outcome::Skipped(why)) => eprintln!("klaxon: logs {name}: skipped: {why}"),
            Err(Outcome::Failed(why)) => {
                failed += 1;
                eprintln!("klaxon: logs {name}: failed: {why}");
            }
        }
    }
    let capacity = cfg.logs.iter().map(|l| l.buffer).max().unwrap_or(1);
    let lines = crate::logs::merge(batches, capacity);
    let mut out = String::new();
    for line in &lines {
        match format {
            LogsFormat::Text => out.push_str(&line.to_text()),
            LogsFormat::Json => {
                out.push_str(&serde_json::to_string(line).map_err(|e| CliError::Failure(e.to_string()))?)
            }
        }
        out.push('\n');
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush());
    if failed > 0 {
        return Err(CliError::Failure(format!("{failed} log source(s) failed")));
    }
    Ok(())
}
