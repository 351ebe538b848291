//! What happens when klaxon panics. A crash report (plain text, 0600, no colour) goes to
//! the data directory; stderr gets one plain line saying where. A panic in a background
//! task (a source, a schedule, a log follow) is contained where that task is polled
//! ([`contain`]): the task reports a failure and the console goes on. Only a panic of the
//! main thread, which owns the terminal, restores the terminal and ends the program.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};

thread_local! {
    /// The report the last panic on this thread was written to, for [`contain`] to name.
    static LAST_REPORT: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Installs the hook. `restore` puts the terminal back (it is a no-op outside the console)
/// and runs only for a panic of the main thread.
pub fn install(dir: PathBuf, restore: fn()) {
    let (formatter, _) = color_eyre::config::HookBuilder::blank().display_env_section(false).into_hooks();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed").to_owned();
        let report = format!(
            "klaxon {} crashed in thread {name}\n{}\n\nBacktrace:\n{}\n",
            env!("CARGO_PKG_VERSION"),
            formatter.panic_report(info),
            std::backtrace::Backtrace::force_capture()
        );
        let written = write_report(&dir, &crate::sanitize::sanitize(&report));
        let place = match &written {
            Ok(path) => format!("crash report: {}", path.display()),
            Err(e) => format!("no crash report ({e})"),
        };
        LAST_REPORT.with(|r| *r.borrow_mut() = written.ok());
        if name == "main" {
            restore();
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            eprintln!("klaxon: crashed{at}: {} ({place})", message(info.payload()));
        }
    }));
}

/// The panic's message, one line.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    crate::sanitize::sanitize_line(&text)
}

/// Runs a background task's step (making its future, then polling it); a panic in either
/// becomes an error naming the crash report, so one broken feed or source fails alone.
pub async fn contain<T, F: std::future::Future<Output = T>>(step: impl FnOnce() -> F) -> Result<T, String> {
    use futures_util::FutureExt;
    use std::panic::AssertUnwindSafe;
    let describe = |payload: Box<dyn std::any::Any + Send>| {
        let report = LAST_REPORT.with(|r| r.borrow_mut().take());
        let place = report.map(|p| format!(" (crash report: {})", p.display())).unwrap_or_default();
        format!("klaxon crashed on this: {}{place}", message(payload.as_ref()))
    };
    let future = std::panic::catch_unwind(AssertUnwindSafe(step)).map_err(describe)?;
    AssertUnwindSafe(future).catch_unwind().await.map_err(describe)
}

fn write_report(dir: &Path, text: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let path = dir.join(format!("crash-{stamp}-{}.txt", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
    file.write_all(text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_contained_panic_is_an_error_with_its_message() {
        let got = contain(|| async { panic!("DURATION out of range") }).await;
        assert_eq!(got.unwrap_err(), "klaxon crashed on this: DURATION out of range");
        let made: fn() -> std::future::Ready<()> = || panic!("while making the future");
        let got = contain(made).await;
        assert_eq!(got.unwrap_err(), "klaxon crashed on this: while making the future");
        assert_eq!(contain(|| async { 7 }).await, Ok(7));
    }
}
