//! The systemd journal through `journalctl -o json`, run directly (never through a shell).
//! The query is journal matches and unit/identifier options, each word filled on its own so
//! a label value can never become another argument:
//! `-u {{ labels.unit }}`, `-t {{ labels.identifier }}`, `_HOSTNAME={{ host }}`, `+`.

use super::{FetchFuture, KindConfig, LogConfig, LogSource, LogTail, Plan};
use crate::config::{At, Problems};
use crate::model::{Level, LogLine, field_value};
use crate::sanitize::sanitize_line;
use crate::sources::SourceError;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::AsyncReadExt;

/// `kind = "journald"`: `journalctl -o json`, run directly (never through a shell).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JournaldConfig {
    /// The program; default `journalctl` from PATH.
    #[serde(default = "default_journalctl")]
    pub journalctl: PathBuf,
    /// Read the journal files in this directory instead of the system journal.
    pub directory: Option<PathBuf>,
}

fn default_journalctl() -> PathBuf {
    PathBuf::from("journalctl")
}

impl KindConfig for JournaldConfig {
    /// serde has checked all there is; queries are checked by [`check_query`].
    fn validate(&self, _: &LogConfig, _: At<'_>, _: &mut Problems) {}

    fn check_query(&self, query: &str) -> Result<(), String> {
        check_query(query)
    }

    fn build(&self, log: &LogConfig, _: Option<&Path>) -> Result<Arc<dyn super::LogSource>, SourceError> {
        Ok(Arc::new(JournaldSource::new(log, self)))
    }
}

/// With no `query`: the unit named by the alert, else its service.
pub const DEFAULT_QUERY: &str = "-u {{ labels.unit | labels.systemd_unit | service }}";

pub struct JournaldSource {
    name: String,
    program: PathBuf,
    directory: Option<PathBuf>,
    max_bytes: u64,
}

impl JournaldSource {
    pub fn new(cfg: &LogConfig, j: &JournaldConfig) -> Self {
        JournaldSource {
            name: cfg.name.clone(),
            program: j.journalctl.clone(),
            directory: j.directory.clone(),
            max_bytes: cfg.max_bytes,
        }
    }
}

/// The query's words as journalctl arguments: options glued to their values.
pub fn check_query(query: &str) -> Result<(), String> {
    // Each slot stands for one word.
    let mut shape = String::new();
    let mut rest = query;
    while let Some((before, after)) = rest.split_once("{{") {
        shape.push_str(before);
        shape.push('v');
        rest = after.split_once("}}").map_or("", |(_, a)| a);
    }
    shape.push_str(rest);
    to_args(shape.split_whitespace().map(str::to_owned).collect()).map(|_| ())
}

fn to_args(words: Vec<String>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let glued = |opt: &str, value: Option<String>| match value {
            Some(v) if !v.is_empty() => Ok(format!("--{opt}={v}")),
            _ => Err(format!("{w} needs a value")),
        };
        match w.as_str() {
            "+" => out.push(w),
            "-u" | "--unit" => out.push(glued("unit", words.next())?),
            "-t" | "--identifier" => out.push(glued("identifier", words.next())?),
            "-p" | "--priority" => out.push(glued("priority", words.next())?),
            _ if w.starts_with("--unit=") || w.starts_with("--identifier=") || w.starts_with("--priority=") => {
                out.push(w)
            }
            _ => match w.split_once('=') {
                Some((field, _))
                    if !field.is_empty()
                        && field.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
                {
                    out.push(w)
                }
                _ => {
                    return Err(format!(
                        "a journald query is journal matches (FIELD=value, +) and -u UNIT, -t IDENTIFIER, \
                         -p PRIORITY; not {w:?}"
                    ));
                }
            },
        }
    }
    // Options first, then the matches, where `+` (OR) stands only between two of them.
    let (mut args, matches): (Vec<String>, Vec<String>) = out.into_iter().partition(|a| a.starts_with("--"));
    let ors: Vec<usize> = matches.iter().enumerate().filter(|(_, m)| *m == "+").map(|(i, _)| i).collect();
    if ors.iter().any(|i| *i == 0 || *i == matches.len() - 1 || ors.contains(&(i + 1))) {
        return Err("`+` stands between two journal matches (FIELD=value + FIELD=value)".into());
    }
    args.extend(matches);
    Ok(args)
}

impl LogSource for JournaldSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Values are single words: a space would split one argument into two.
    fn escape(&self, value: &str) -> Result<String, String> {
        if value.chars().any(char::is_whitespace) {
            return Err(format!("{value:?} has spaces: it cannot be a journal match"));
        }
        Ok(value.to_owned())
    }

    fn default_query(&self) -> Option<&str> {
        Some(DEFAULT_QUERY)
    }

    fn tail(&self, plan: Plan) -> Box<dyn LogTail> {
        Box::new(JournalTail {
            name: self.name.clone(),
            program: self.program.clone(),
            directory: self.directory.clone(),
            query: plan.query.clone(),
            since: plan.since,
            limit: plan.limit,
            max_bytes: self.max_bytes,
            cursor: None,
            until: None,
        })
    }
}

struct JournalTail {
    name: String,
    program: PathBuf,
    directory: Option<PathBuf>,
    query: Option<String>,
    since: DateTime<Utc>,
    limit: usize,
    max_bytes: u64,
    /// Where the last read ended: the next starts after it.
    cursor: Option<String>,
    until: Option<DateTime<Utc>>,
}

impl JournalTail {
    fn args(&self, now: DateTime<Utc>) -> Result<Vec<String>, SourceError> {
        let mut args: Vec<String> = ["-o", "json", "--no-pager", "-q", "--utc"].iter().map(|s| s.to_string()).collect();
        if let Some(dir) = &self.directory {
            args.push(format!("--directory={}", dir.display()));
        }
        match (&self.cursor, self.until) {
            (Some(c), _) => args.push(format!("--after-cursor={c}")),
            (None, Some(until)) => args.push(format!("--since=@{}", until.timestamp())),
            (None, None) => args.push(format!("--since=@{}", self.since.timestamp())),
        }
        args.push(format!("--until=@{}", now.timestamp() + 1));
        args.push(format!("--lines={}", self.limit));
        let query = self.query.as_deref().unwrap_or_default();
        args.extend(to_args(query.split_whitespace().map(str::to_owned).collect()).map_err(SourceError::new)?);
        Ok(args)
    }
}

impl LogTail for JournalTail {
    fn next(&mut self) -> FetchFuture<'_> {
        Box::pin(async move {
            let now = Utc::now();
            let args = self.args(now)?;
            let out = run(&self.program, &args, self.max_bytes).await?;
            let mut lines = Vec::new();
            for raw in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                if let Some((line, cursor)) = parse_entry(&self.name, raw) {
                    if cursor.is_some() {
                        self.cursor = cursor;
                    }
                    lines.push(line);
                }
            }
            self.until = Some(now);
            Ok(lines)
        })
    }
}

/// Runs journalctl with its output capped at `max_bytes`; a failure says what it said.
async fn run(program: &PathBuf, args: &[String], max_bytes: u64) -> Result<Vec<u8>, SourceError> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SourceError::new(format!("cannot run {}: {e}", program.display())))?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut out_capped = (&mut stdout).take(max_bytes + 1);
    let mut err_capped = (&mut stderr).take(4096);
    let (read_out, _) = tokio::join!(out_capped.read_to_end(&mut out), err_capped.read_to_end(&mut err));
    read_out.map_err(|e| SourceError::new(format!("reading journalctl: {e}")))?;
    if out.len() as u64 > max_bytes {
        let _ = child.kill().await;
        return Err(SourceError::new(format!("journalctl printed more than the {max_bytes}-byte cap (max_bytes)")));
    }
    let status = child.wait().await.map_err(|e| SourceError::new(format!("journalctl: {e}")))?;
    if !status.success() {
        let said = String::from_utf8_lossy(&err);
        let said = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(SourceError::new(format!("journalctl failed ({status}): {said}")));
    }
    Ok(out)
}

/// Journal fields that are the entry's stream rather than its content.
const LABELS: &[&str] = &["_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER", "_HOSTNAME", "_PID", "_COMM"];

/// One `journalctl -o json` entry as a line, and its cursor.
pub fn parse_entry(source: &str, raw: &[u8]) -> Option<(LogLine, Option<String>)> {
    let serde_json::Value::Object(obj) = serde_json::from_slice(raw).ok()? else { return None };
    let text = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            // Binary or non-UTF-8 fields come as arrays of bytes.
            serde_json::Value::Array(bytes) => {
                let b: Vec<u8> = bytes.iter().filter_map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok())).collect();
                Some(String::from_utf8_lossy(&b).into_owned())
            }
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let message = obj.get("MESSAGE").and_then(text).unwrap_or_default();
    // A service that logs JSON: its fields, level and time count.
    let mut line = LogLine::parse(source, &message);
    if line.level.is_none() {
        line.level = obj.get("PRIORITY").and_then(text).and_then(|p| Level::parse(&p));
    }
    let realtime = obj.get("__REALTIME_TIMESTAMP").and_then(text).and_then(|t| t.parse::<i64>().ok());
    if let Some(us) = realtime {
        line.at = DateTime::from_timestamp_micros(us).or(line.at);
    }
    for (k, v) in &obj {
        let Some(v) = text(v) else { continue };
        if LABELS.contains(&k.as_str()) {
            line.labels.insert(sanitize_line(k), field_value(&v));
        } else if !k.starts_with('_')
            && !matches!(k.as_str(), "MESSAGE" | "PRIORITY" | "SYSLOG_FACILITY" | "SYSLOG_PID" | "SYSLOG_TIMESTAMP")
            && line.fields.len() < crate::model::MAX_FIELDS
        {
            line.fields.insert(sanitize_line(k), field_value(&v));
        }
    }
    let cursor = obj.get("__CURSOR").and_then(|c| c.as_str()).map(str::to_owned);
    Some((line, cursor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_glued_arguments() {
        let w = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(to_args(w("-u nginx.service")).unwrap(), ["--unit=nginx.service"]);
        assert_eq!(
            to_args(w("-t app _HOSTNAME=db-1 + _SYSTEMD_UNIT=x.service")).unwrap(),
            ["--identifier=app", "_HOSTNAME=db-1", "+", "_SYSTEMD_UNIT=x.service"]
        );
        // A value that looks like an option stays a value.
        assert_eq!(to_args(vec!["-u".into(), "--output=cat".into()]).unwrap(), ["--unit=--output=cat"]);
        assert!(to_args(w("--output=cat")).unwrap_err().contains("journal matches"));
        assert!(to_args(w("-u")).unwrap_err().contains("needs a value"));
        assert!(check_query("-u {{ labels.unit }}").is_ok());
        assert!(to_args(w("-u db + _PID=1")).unwrap_err().contains("between two journal matches"));
        assert!(to_args(w("_PID=1 + + _PID=2")).is_err());
    }

    #[test]
    fn entries_parse_with_priority_time_fields_and_binary_messages() {
        let raw = br#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1763694600123456","PRIORITY":"3","_SYSTEMD_UNIT":"api.service","SYSLOG_IDENTIFIER":"api","MESSAGE":"upstream timed out","REQUEST_ID":"r-1","_BOOT_ID":"x"}"#;
        let (l, cursor) = parse_entry("journal", raw).unwrap();
        assert_eq!(cursor.as_deref(), Some("s=1;i=2"));
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.at.unwrap().timestamp_micros(), 1_763_694_600_123_456);
        assert_eq!(l.message, "upstream timed out");
        assert_eq!(&l.labels["_SYSTEMD_UNIT"], "api.service");
        assert_eq!(&l.fields["REQUEST_ID"], "r-1");
        assert!(!l.fields.contains_key("_BOOT_ID"));
        assert_eq!(l.correlation(), Some(("REQUEST_ID", "r-1")));
        let raw = br#"{"MESSAGE":[104,105,27,91,50,74],"PRIORITY":"6"}"#;
        let (l, _) = parse_entry("journal", raw).unwrap();
        assert_eq!((l.message.as_str(), l.level), ("hi[2J", Some(Level::Info)));
        let raw = br#"{"MESSAGE":"{\"level\":\"warn\",\"msg\":\"slow\",\"trace_id\":\"t1\"}","PRIORITY":"6"}"#;
        let (l, _) = parse_entry("journal", raw).unwrap();
        assert_eq!((l.message.as_str(), l.level), ("slow", Some(Level::Warn)));
        assert!(parse_entry("journal", b"not json").is_none());
    }
}
