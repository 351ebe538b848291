//! Where a command's wall time goes: with `KLAXON_PHASES=1` in the environment, each
//! [`mark`] prints the milliseconds since the process started to stderr (the benches read
//! them beside curl's timings). `KLAXON_PHASES=rss` also says how much memory the process
//! has touched so far (resident, and the peak). Off, a mark costs one relaxed load.

use std::sync::OnceLock;
use std::time::Instant;

/// When the clock started, and whether memory is reported too; None when timing is off.
static START: OnceLock<Option<(Instant, bool)>> = OnceLock::new();

/// Starts the clock (first thing in `main`); marks before it count from the first mark.
pub fn start() {
    START.get_or_init(|| std::env::var_os("KLAXON_PHASES").map(|v| (Instant::now(), v == "rss")));
}

/// Whether timing is on: for a mark whose text costs something to make.
pub fn on() -> bool {
    matches!(START.get(), Some(Some(_)))
}

/// `phase <ms> <what>` on stderr when timing is on.
pub fn mark(what: &str) {
    if let Some(Some((t0, rss))) = START.get() {
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        match rss {
            true => eprintln!("phase {ms:9.3} {what} · {}", resident()),
            false => eprintln!("phase {ms:9.3} {what}"),
        }
    }
}

/// `VmRSS` and `VmHWM` of /proc/self/status, e.g. "rss 41 MiB, peak 58 MiB".
fn resident() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |field: &str| {
        let line = status.lines().find(|l| l.starts_with(field))?;
        line[field.len()..].trim().trim_end_matches("kB").trim().parse::<f64>().ok()
    };
    match (kib("VmRSS:"), kib("VmHWM:")) {
        (Some(now), Some(peak)) => format!("rss {:.1} MiB, peak {:.1} MiB", now / 1024.0, peak / 1024.0),
        _ => "rss unknown".into(),
    }
}
