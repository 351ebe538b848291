//! Where a command's wall time goes: with `KLAXON_PHASES=1` in the environment, each
//! [`mark`] prints the milliseconds since the process started to stderr (the benches read
//! them beside curl's timings). Off, a mark costs one relaxed load.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

/// Starts the clock (first thing in `main`); marks before it count from the first mark.
pub fn start() {
    START.get_or_init(|| std::env::var_os("KLAXON_PHASES").map(|_| Instant::now()));
}

/// Whether timing is on: for a mark whose text costs something to make.
pub fn on() -> bool {
    matches!(START.get(), Some(Some(_)))
}

/// `phase <ms> <what>` on stderr when timing is on.
pub fn mark(what: &str) {
    if let Some(Some(t0)) = START.get() {
        eprintln!("phase {:9.3} {what}", t0.elapsed().as_secs_f64() * 1000.0);
    }
}
