//! `klaxon slo [NAME]`: every SLO's figures, computed now from Prometheus, worst first.

use super::{CliError, Session, SloFormat};
use crate::slo::burn::WINDOWS;
use crate::slo::track::{self, Status};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// One SLO in `--format json`: the shape, plus the budget in events and the error
/// of an SLO that could not be computed (then every figure is null).
#[derive(Serialize)]
struct SloOut<'a> {
    name: &'a str,
    /// A fraction: 99.9% is 0.999.
    objective: f64,
    /// As PromQL writes it: "28d".
    window: String,
    sli: Option<f64>,
    /// The share of the budget left, 0..1.
    budget_remaining: Option<f64>,
    /// Errors the window still allows (negative once overspent).
    budget_remaining_events: Option<f64>,
    burn_rates: BTreeMap<&'static str, Option<f64>>,
    verdict: &'static str,
    exhausted_at: Option<String>,
    error: Option<&'a str>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl<'a> SloOut<'a> {
    fn new(s: &'a Status) -> Self {
        // Figures from a failed round are not shown as current: a CLI run has one round.
        let f = s.figures.as_ref().filter(|_| s.error().is_none());
        let rates = WINDOWS.iter().enumerate().map(|(i, (w, _))| (*w, f.and_then(|f| f.rates[i]))).collect();
        SloOut {
            name: &s.slo.name,
            objective: s.slo.objective,
            window: crate::slo::burn::promql_duration(s.slo.window),
            sli: f.and_then(|f| f.sli),
            budget_remaining: f.and_then(|f| f.budget).map(|b| b.fraction()),
            budget_remaining_events: f.and_then(|f| f.budget).map(|b| b.remaining),
            burn_rates: rates,
            verdict: f.map_or("unknown", |f| f.verdict.as_str()),
            exhausted_at: f.and_then(|f| f.exhausted_at).map(rfc3339),
            error: s.error(),
        }
    }
}

pub async fn run(session: &Session, name: Option<&str>, format: SloFormat) -> Result<(), CliError> {
    let mut slos = crate::slo::files::all(&session.loaded)?;
    if slos.is_empty() {
        return Err(CliError::Usage("no SLO is configured: add [[slos]] or slo_files to klaxon.toml".into()));
    }
    if let Some(name) = name {
        if !slos.iter().any(|s| s.name == name) {
            let names: Vec<_> = slos.iter().map(|s| s.name.as_str()).collect();
            return Err(CliError::Usage(format!("no SLO named {name:?} (configured: {})", names.join(", "))));
        }
        slos.retain(|s| s.name == name);
    }
    let mut statuses = track::once(slos, Utc::now()).await;
    track::worst_first(&mut statuses);
    let mut out = std::io::stdout().lock();
    let written = match format {
        SloFormat::Json => {
            let rows: Vec<SloOut> = statuses.iter().map(SloOut::new).collect();
            serde_json::to_writer(&mut out, &rows).map_err(std::io::Error::from).and_then(|_| writeln!(out))
        }
        SloFormat::Table => out.write_all(table(&statuses).as_bytes()),
    };
    if let Err(e) = written.and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(CliError::Failure(format!("cannot write: {e}")));
    }
    let failed: Vec<_> = statuses.iter().filter_map(|s| s.error().map(|e| (&s.slo.name, e))).collect();
    for (name, e) in &failed {
        eprintln!("klaxon: slo {name}: {e}");
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(CliError::Failure(format!("{n} SLO(s) could not be computed"))),
    }
}

fn percent(f: Option<f64>, digits: usize) -> String {
    f.map_or("-".into(), |f| format!("{:.digits$}%", f * 100.0))
}

/// The table: one line per SLO, burn rates per window, and the reason beside a failed one.
fn table(statuses: &[Status]) -> String {
    let mut rows = vec![
        [
            "SLO",
            "OBJECTIVE",
            "WINDOW",
            "SLI",
            "BUDGET LEFT",
            "5m",
            "30m",
            "1h",
            "6h",
            "1d",
            "3d",
            "VERDICT",
            "EXHAUSTED AT",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut errors = Vec::new();
    for s in statuses {
        let out = SloOut::new(s);
        let mut row = vec![
            out.name.to_owned(),
            format!("{}%", s.slo.objective * 100.0),
            out.window.clone(),
            percent(out.sli, 3),
            match (out.budget_remaining, out.budget_remaining_events) {
                (Some(f), Some(n)) => format!("{} ({n:.0})", percent(Some(f), 1)),
                _ => "-".into(),
            },
        ];
        // In the windows' order (the map's is alphabetical).
        let rates: Vec<String> =
            WINDOWS.iter().map(|(w, _)| out.burn_rates[w].map_or("-".into(), |r| format!("{r:.2}x"))).collect();
        row.extend(rates);
        row.push(out.verdict.to_uppercase());
        row.push(out.exhausted_at.clone().unwrap_or_else(|| "-".into()));
        rows.push(row);
        if let Some(e) = out.error {
            errors.push(format!("  {}: {e}\n", out.name));
        }
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut text = String::new();
    for r in &rows {
        let cells: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    if !errors.is_empty() {
        text.push_str("not computed:\n");
        text.extend(errors);
    }
    text
}
