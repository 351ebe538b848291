//! A log file on this host, plain text or JSON lines, tailed across rotations.
//!
//! Tailing polls (`stat` every 250 ms at most) rather than using inotify: one open file per
//! followed source, no extra crate, and it sees both kinds of rotation the same way: a new
//! file at the path (logrotate's rename + create: the old file is read to its end first,
//! then the new one from its start) and a file cut short in place (copytruncate: read again
//! from the start).

use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan};
use crate::config::{At, Problems};
use crate::model::LogLine;
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `kind = "file"`: a log file on this host, plain text or JSON lines, tailed across rotations.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The file; may be a template (`/var/log/{{ labels.job }}.log`). Relative to the config.
    pub path: String,
}

impl KindConfig for FileConfig {
    fn validate(&self, _: &LogConfig, at: At<'_>, problems: &mut Problems) {
        if let Err(e) = super::template::check(&self.path) {
            problems.push((at("path"), e));
        }
    }

    fn own_path(&self) -> Option<&str> {
        Some(&self.path)
    }

    fn build(&self, log: &LogConfig, base: Option<&Path>) -> Result<Arc<dyn LogSource>, SourceError> {
        Ok(Arc::new(FileSource::new(log, base)))
    }
}

pub struct FileSource {
    name: String,
    base: Option<PathBuf>,
    max_bytes: u64,
}

impl FileSource {
    pub fn new(cfg: &LogConfig, base: Option<&Path>) -> Self {
        FileSource { name: cfg.name.clone(), base: base.map(Path::to_path_buf), max_bytes: cfg.max_bytes }
    }
}

impl LogSource for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll_every(&self) -> Option<Duration> {
        Some(Duration::from_millis(250))
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        let path = crate::config::paths::expand_tilde(Path::new(plan.path.as_deref().unwrap_or_default()));
        let path = match &self.base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path,
        };
        let (name, max_bytes) = (self.name.clone(), self.max_bytes);
        Box::new(FileTail::new(Box::new(move || {
            Tailer::new(&name, path.clone(), plan.query.clone(), plan.since, plan.limit, max_bytes)
        })))
    }
}

/// A tailer back from its blocking thread, with what its poll read.
type Polled = (Tailer, Result<Vec<LogLine>, String>);

/// The tailer runs on a blocking thread. A caller that stops waiting (its timeout) drops
/// only its wait: the read goes on, and the next call waits for it and takes its lines, so
/// one slow read never ends the follow.
struct FileTail {
    tailer: Option<Tailer>,
    reading: Option<tokio::task::JoinHandle<Polled>>,
    /// A new tailer, should a read's thread die with the old one.
    fresh: Box<dyn Fn() -> Tailer + Send>,
}

impl FileTail {
    fn new(fresh: Box<dyn Fn() -> Tailer + Send>) -> Self {
        FileTail { tailer: Some(fresh()), reading: None, fresh }
    }
}

impl LogTail for FileTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(async move {
            let reading = match &mut self.reading {
                Some(reading) => reading,
                None => {
                    let mut tailer = self.tailer.take().unwrap_or_else(|| (self.fresh)());
                    self.reading.insert(tokio::task::spawn_blocking(move || {
                        let r = tailer.poll();
                        (tailer, r)
                    }))
                }
            };
            let joined = reading.await;
            self.reading = None;
            let (tailer, result) = joined.map_err(|e| SourceError::new(format!("file read task: {e}")))?;
            self.tailer = Some(tailer);
            result.map_err(SourceError::new)
        })
    }
}

struct Open {
    file: File,
    ino: u64,
    dev: u64,
    offset: u64,
}

/// Reads a file's window once, then what is appended, following rotations.
pub struct Tailer {
    source: String,
    path: PathBuf,
    contains: Option<String>,
    since: DateTime<Utc>,
    limit: usize,
    max_bytes: u64,
    open: Option<Open>,
    /// The end of the file when it did not end in a newline yet.
    partial: Vec<u8>,
    started: bool,
}

/// A line longer than this without a newline is shown as it is.
const MAX_PARTIAL: usize = 1024 * 1024;

impl Tailer {
    pub fn new(
        source: &str,
        path: PathBuf,
        contains: Option<String>,
        since: DateTime<Utc>,
        limit: usize,
        max_bytes: u64,
    ) -> Self {
        Tailer {
            source: source.to_owned(),
            path,
            contains: contains.filter(|c| !c.is_empty()),
            since,
            limit,
            max_bytes,
            open: None,
            partial: Vec::new(),
            started: false,
        }
    }

    /// The first call: the lines since the window's start (the last `limit` of them, from
    /// the last `max_bytes` of the file). Later calls: the complete lines written since.
    pub fn poll(&mut self) -> Result<Vec<LogLine>, String> {
        let shown = self.path.display().to_string();
        let mut bytes = Vec::new();
        match self.open.take() {
            None => {
                let file = File::open(&self.path).map_err(|e| format!("cannot open {shown}: {e}"))?;
                let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
                let mut open = Open { file, ino: meta.ino(), dev: meta.dev(), offset: 0 };
                if !self.started {
                    // Start far enough back for the window, never further than max_bytes.
                    let start = meta.len().saturating_sub(self.max_bytes);
                    open.offset = start;
                    read_from(&mut open, &mut bytes, self.max_bytes).map_err(|e| format!("{shown}: {e}"))?;
                    if start > 0 {
                        // The first line was cut: drop it.
                        let cut = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
                        bytes.drain(..cut);
                    }
                } else {
                    read_from(&mut open, &mut bytes, self.max_bytes).map_err(|e| format!("{shown}: {e}"))?;
                }
                self.open = Some(open);
            }
            Some(mut open) => {
                // What was appended to the file we hold, to its end, even if renamed away.
                read_from(&mut open, &mut bytes, self.max_bytes).map_err(|e| format!("{shown}: {e}"))?;
                match std::fs::metadata(&self.path) {
                    Ok(meta) if meta.ino() != open.ino || meta.dev() != open.dev => {
                        // Rotated: a new file at the path. Read it from its start next.
                        self.finish_partial(&mut bytes);
                        self.started = true;
                        let lines = self.lines(bytes);
                        return Ok(lines);
                    }
                    Ok(meta) if meta.len() < open.offset => {
                        // Truncated in place (copytruncate): start over.
                        self.partial.clear();
                        open.offset = 0;
                        read_from(&mut open, &mut bytes, self.max_bytes).map_err(|e| format!("{shown}: {e}"))?;
                        self.open = Some(open);
                    }
                    Ok(_) => self.open = Some(open),
                    // Gone for now (between rename and create): keep the old one.
                    Err(_) => self.open = Some(open),
                }
            }
        }
        let first = !self.started;
        self.started = true;
        let mut lines = self.lines(bytes);
        if first {
            lines.retain(|l| l.at.is_none_or(|t| t >= self.since));
            if lines.len() > self.limit {
                lines.drain(..lines.len() - self.limit);
            }
        }
        Ok(lines)
    }

    fn finish_partial(&mut self, bytes: &mut Vec<u8>) {
        // The old file's unfinished last line is finished: nothing more comes to it.
        let pending = !bytes.is_empty() || !self.partial.is_empty();
        if pending && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
    }

    /// Complete lines of `partial` + `bytes`; an unfinished last line waits for the rest.
    fn lines(&mut self, bytes: Vec<u8>) -> Vec<LogLine> {
        let mut all = std::mem::take(&mut self.partial);
        all.extend_from_slice(&bytes);
        let complete = all.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.partial = all.split_off(complete);
        if self.partial.len() > MAX_PARTIAL {
            all.append(&mut self.partial);
            all.push(b'\n');
        }
        all.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| LogLine::parse(&self.source, &String::from_utf8_lossy(l)))
            .filter(|l| {
                self.contains
                    .as_ref()
                    .is_none_or(|c| l.message.contains(c.as_str()) || l.fields.values().any(|v| v.contains(c.as_str())))
            })
            .collect()
    }
}

fn read_from(open: &mut Open, out: &mut Vec<u8>, max: u64) -> std::io::Result<()> {
    open.file.seek(SeekFrom::Start(open.offset))?;
    let n = (&mut open.file).take(max.saturating_sub(out.len() as u64)).read_to_end(out)?;
    open.offset += n as u64;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn messages(lines: &[LogLine]) -> Vec<&str> {
        lines.iter().map(|l| l.message.as_str()).collect()
    }

    fn append(path: &Path, text: &str) {
        std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    }

    fn tailer(path: &Path, limit: usize) -> Tailer {
        let since = DateTime::parse_from_rfc3339("2026-11-21T03:00:00Z").unwrap().with_timezone(&Utc);
        Tailer::new("app", path.to_path_buf(), None, since, limit, 1 << 20)
    }

    #[test]
    fn the_window_then_appended_lines_and_partial_lines_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        append(&path, "2026-11-21T02:00:00Z INFO too old\n2026-11-21T03:05:00Z INFO in window\nno time\n");
        let mut t = tailer(&path, 100);
        assert_eq!(messages(&t.poll().unwrap()), ["in window", "no time"]);
        assert!(t.poll().unwrap().is_empty());
        append(&path, "{\"msg\":\"json line\",\"level\":\"error\"}\nhalf a ");
        assert_eq!(messages(&t.poll().unwrap()), ["json line"]);
        append(&path, "line\n");
        assert_eq!(messages(&t.poll().unwrap()), ["half a line"]);
    }

    #[tokio::test]
    async fn a_read_that_timed_out_does_not_break_the_follow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        // A FIFO: opening it blocks until a writer comes, as a read on a dead NFS mount would.
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let p = path.clone();
        let mut tail: Box<dyn LogTail> = Box::new(FileTail::new(Box::new(move || tailer(&p, 100))));
        let wait = std::time::Duration::from_millis(200);
        assert!(tokio::time::timeout(wait, tail.next()).await.is_err(), "the first read is stuck");
        // The stuck read ends (a writer comes and goes), and a log file takes the FIFO's place.
        drop(std::fs::OpenOptions::new().write(true).open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        append(&path, "line one\n");
        let mut got = Vec::new();
        for _ in 0..4 {
            if let Ok(Ok(lines)) = tokio::time::timeout(std::time::Duration::from_secs(5), tail.next()).await {
                got.extend(lines.into_iter().map(|l| l.message));
            }
            if !got.is_empty() {
                break;
            }
        }
        assert_eq!(got, ["line one"], "the follow goes on after a timeout");
        append(&path, "line two\n");
        assert_eq!(messages(&tail.next().await.unwrap()), ["line two"]);
    }

    #[test]
    fn the_limit_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        append(&path, &(1..=10).map(|i| format!("line {i}\n")).collect::<String>());
        assert_eq!(messages(&tailer(&path, 3).poll().unwrap()), ["line 8", "line 9", "line 10"]);
    }
}
