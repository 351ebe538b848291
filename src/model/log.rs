//! Log lines as every log source reports them, and the bounded buffer the pane keeps them in.

use super::Fields;
use crate::sanitize::sanitize_line;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// How loud a line is. Lines without a recognisable level have none (and pass every filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub const ALL: [Level; 6] = [Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Fatal];

    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Five columns, upper case: what the pane and `klaxon logs` print.
    pub fn tag(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO ",
            Level::Warn => "WARN ",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }

    /// Level words of common loggers (case-insensitive), syslog priorities 0-7 and
    /// pino/bunyan numbers 10-60.
    pub fn parse(raw: &str) -> Option<Level> {
        let word = raw.trim().to_ascii_lowercase();
        if let Ok(n) = word.parse::<i64>() {
            return Level::from_number(n);
        }
        Some(match word.as_str() {
            "trace" | "trc" | "verbose" => Level::Trace,
            "debug" | "dbg" | "debg" => Level::Debug,
            "info" | "inf" | "information" | "informational" | "notice" => Level::Info,
            "warn" | "wrn" | "warning" => Level::Warn,
            "error" | "err" | "eror" => Level::Error,
            "fatal" | "crit" | "critical" | "alert" | "emerg" | "emergency" | "panic" | "dpanic" => Level::Fatal,
            _ => return None,
        })
    }

    /// Syslog priorities (0 emerg … 7 debug) and pino/bunyan levels (10 trace … 60 fatal).
    pub fn from_number(n: i64) -> Option<Level> {
        Some(match n {
            0..=2 => Level::Fatal,
            3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            7 => Level::Debug,
            10 => Level::Trace,
            20 => Level::Debug,
            30 => Level::Info,
            40 => Level::Warn,
            50 => Level::Error,
            60 => Level::Fatal,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One log line: its time, level and message, the structured fields it carried (nested
/// objects flattened to dotted keys) and the labels of the stream it came from. Every
/// string in it has crossed [`crate::sanitize`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// The log source's configured name.
    pub source: String,
    pub at: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    pub message: String,
    pub fields: Fields,
    pub labels: Fields,
}

/// Longest message and field value kept, in bytes; the rest is cut with "…".
pub const MAX_TEXT: usize = 4096;
/// Most fields kept from one structured line.
pub const MAX_FIELDS: usize = 64;

const MESSAGE_KEYS: &[&str] = &["msg", "message", "MESSAGE", "log", "text", "body"];
const LEVEL_KEYS: &[&str] = &["level", "lvl", "severity", "levelname", "log.level", "loglevel", "PRIORITY"];
const TIME_KEYS: &[&str] = &["ts", "time", "timestamp", "@timestamp", "t", "datetime", "date"];

impl LogLine {
    /// A line of text from a file, a journal message or a Loki stream: a JSON object is read
    /// as a structured line, anything else as plain text with a leading timestamp and level
    /// word picked out when there are. Never fails; always sanitized.
    pub fn parse(source: &str, raw: &str) -> LogLine {
        let raw = raw.trim_end_matches(['\n', '\r']);
        let trimmed = raw.trim_start();
        if trimmed.starts_with('{')
            && let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(trimmed)
        {
            return LogLine::structured(source, obj);
        }
        LogLine::plain(source, raw)
    }

    fn structured(source: &str, obj: serde_json::Map<String, serde_json::Value>) -> LogLine {
        LogLine::from_document(source, obj, &Keys::default())
    }

    /// A document a search backend returned (an Elasticsearch `_source`, a Splunk result):
    /// nested objects flattened to dotted keys, the message, level and time taken from the
    /// backend's configured `keys` first, then from the usual names. Never fails; sanitized.
    pub fn from_document(source: &str, obj: serde_json::Map<String, serde_json::Value>, keys: &Keys<'_>) -> LogLine {
        let mut flat = BTreeMap::new();
        flatten("", &serde_json::Value::Object(obj), &mut flat);
        let message = keys.message.iter().copied().chain(MESSAGE_KEYS.iter().copied()).find_map(|k| flat.remove(k));
        let message = message.unwrap_or_default();
        let level = keys
            .level
            .iter()
            .copied()
            .chain(LEVEL_KEYS.iter().copied())
            .find_map(|k| flat.get(k).and_then(|v| Level::parse(v)).map(|l| (k, l)))
            .map(|(k, l)| {
                flat.remove(k);
                l
            });
        let at = keys
            .time
            .iter()
            .copied()
            .chain(TIME_KEYS.iter().copied())
            .find_map(|k| flat.get(k).and_then(|v| parse_time(v)).map(|t| (k, t)))
            .map(|(k, t)| {
                flat.remove(k);
                t
            });
        let fields = flat
            .into_iter()
            .take(MAX_FIELDS)
            .map(|(k, v)| (cut(&sanitize_line(&k), 200), cut(&sanitize_line(&v), MAX_TEXT)))
            .collect();
        LogLine {
            source: source.to_owned(),
            at,
            level,
            message: cut(&sanitize_line(&message), MAX_TEXT),
            fields,
            labels: Fields::new(),
        }
    }

    fn plain(source: &str, raw: &str) -> LogLine {
        let clean = cut(&sanitize_line(raw), MAX_TEXT);
        let mut rest = clean.as_str();
        let mut at = None;
        // "2026-11-21T03:10:00Z …" or "2026-11-21 03:10:00.123 …"
        if let Some((first, after)) = rest.split_once(' ') {
            if let Some(t) = parse_time(first) {
                at = Some(t);
                rest = after;
            } else if let Some((second, after2)) = after.split_once(' ')
                && let Some(t) = parse_time(&format!("{first}T{second}"))
            {
                at = Some(t);
                rest = after2;
            }
        }
        let mut level = None;
        // A level word among the first three words: "ERROR", "[warn]", "level=info", "W:".
        for (i, word) in rest.split_whitespace().take(3).enumerate() {
            let w = word.trim_start_matches("level=").trim_matches(|c: char| "[]():<>|".contains(c));
            if let Some(l) = Level::parse(w).filter(|_| w.parse::<i64>().is_err()) {
                level = Some(l);
                // A bare level word first says nothing the level column does not.
                if i == 0 && w == word {
                    rest = rest.trim_start()[word.len()..].trim_start();
                }
                break;
            }
        }
        LogLine {
            source: source.to_owned(),
            at,
            level,
            message: rest.trim_start().to_owned(),
            fields: Fields::new(),
            labels: Fields::new(),
        }
    }

    /// The request, trace or correlation id this line carries, as (field, value).
    pub fn correlation(&self) -> Option<(&str, &str)> {
        let id_like = |k: &str| {
            let last = k.rsplit('.').next().unwrap_or(k);
            let norm: String = last.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
            matches!(
                norm.as_str(),
                "traceid" | "requestid" | "reqid" | "correlationid" | "xrequestid" | "xcorrelationid" | "rid"
            )
        };
        // Trace ids first: they span services; then request and correlation ids.
        let rank = |k: &str| if k.to_ascii_lowercase().contains("trace") { 0 } else { 1 };
        self.fields
            .iter()
            .chain(self.labels.iter())
            .filter(|(k, v)| id_like(k) && !v.is_empty())
            .min_by_key(|(k, _)| rank(k))
    }

    /// Whether this line carries `value` in a field (or label) named `field`.
    pub fn has_field(&self, field: &str, value: &str) -> bool {
        self.fields.get(field).or_else(|| self.labels.get(field)) == Some(value)
    }

    /// `2026-11-21T03:10:00.123Z ERROR message key=value …`: one line of `klaxon logs`.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.message.len() + 48);
        match self.at {
            Some(t) => out.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => out.push_str("-                       "),
        }
        out.push(' ');
        out.push_str(self.level.map_or("-    ", Level::tag));
        out.push(' ');
        out.push_str(&self.message);
        for (k, v) in &self.fields {
            out.push(' ');
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }
}

/// Where a backend keeps a document's message, level and time (dotted paths), when they
/// are not among the usual names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keys<'a> {
    pub message: Option<&'a str>,
    pub level: Option<&'a str>,
    pub time: Option<&'a str>,
}

/// Nested objects become dotted keys (`ctx.user.id`); arrays stay compact JSON.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    use serde_json::Value;
    match value {
        Value::Object(obj) => {
            for (k, v) in obj {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => _ = out.insert(prefix.to_owned(), s.clone()),
        Value::Null => _ = out.insert(prefix.to_owned(), "null".into()),
        other => _ = out.insert(prefix.to_owned(), other.to_string()),
    }
}

/// RFC 3339 (with or without zone: then UTC), or epoch seconds, milliseconds, microseconds or
/// nanoseconds told apart by magnitude.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    if raw.as_bytes()[0].is_ascii_digit() && raw.contains('-') {
        let t = raw.replace(' ', "T");
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&t, fmt) {
                return Some(t.and_utc());
            }
        }
        return None;
    }
    // Whole numbers exactly: through f64, milliseconds since 1970 lose their last digits.
    if let Ok(n) = raw.parse::<i64>() {
        let scale = match n {
            ..=0 => return None,
            1..100_000_000_000 => 1_000_000_000,
            100_000_000_000..100_000_000_000_000 => 1_000_000,
            100_000_000_000_000..100_000_000_000_000_000 => 1_000,
            _ => 1,
        };
        return n.checked_mul(scale).map(|nanos| Utc.timestamp_nanos(nanos));
    }
    let n: f64 = raw.parse().ok().filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let nanos = if n < 1e11 {
        n * 1e9
    } else if n < 1e14 {
        n * 1e6
    } else if n < 1e17 {
        n * 1e3
    } else {
        n
    };
    (nanos < 9.2e18).then(|| Utc.timestamp_nanos(nanos as i64))
}

/// Outside text as a field's value: one clean line, cut at [`MAX_TEXT`].
pub fn field_value(raw: &str) -> String {
    cut(&sanitize_line(raw), MAX_TEXT)
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The newest `capacity` lines, oldest first, each with an id that stays its own while it
/// is kept (the pane's cursor follows ids, not positions). Lines arriving in time order are
/// appended in O(1); a late one is put in its place.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<(u64, LogLine)>,
    capacity: usize,
    next_id: u64,
    /// Lines pushed out by newer ones since the buffer was cleared.
    pub dropped: u64,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LogBuffer { lines: VecDeque::with_capacity(capacity.min(4096)), capacity, next_id: 0, dropped: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.dropped = 0;
    }

    pub fn push(&mut self, line: LogLine) {
        let id = self.next_id;
        self.next_id += 1;
        let in_order = match (self.lines.back(), line.at) {
            (None, _) | (_, None) => true,
            (Some((_, last)), Some(at)) => last.at.is_none_or(|l| l <= at),
        };
        if in_order {
            self.lines.push_back((id, line));
        } else {
            let at = line.at;
            let pos = self.lines.partition_point(|(_, l)| l.at.is_none_or(|t| Some(t) <= at));
            self.lines.insert(pos, (id, line));
        }
        while self.lines.len() > self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for l in lines {
            self.push(l);
        }
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &LogLine)> + ExactSizeIterator {
        self.lines.iter().map(|(id, l)| (*id, l))
    }

    pub fn get(&self, index: usize) -> Option<(u64, &LogLine)> {
        self.lines.get(index).map(|(id, l)| (*id, l))
    }

    pub fn position(&self, id: u64) -> Option<usize> {
        // Ids grow with arrival; late lines break monotony, so search linearly from the back.
        self.lines.iter().rposition(|(i, _)| *i == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_level_time_and_nested_context() {
        let l = LogLine::parse(
            "app",
            r#"{"ts":"2026-11-21T03:10:00.5Z","level":"ERROR","msg":"payment failed","ctx":{"user":{"id":42},"request_id":"r-9"},"tags":["a","b"],"ok":false}"#,
        );
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(
            l.at,
            Some(Utc.with_ymd_and_hms(2026, 11, 21, 3, 10, 0).unwrap() + chrono::Duration::milliseconds(500))
        );
        assert_eq!(l.message, "payment failed");
        assert_eq!(&l.fields["ctx.user.id"], "42");
        assert_eq!(&l.fields["tags"], r#"["a","b"]"#);
        assert_eq!(&l.fields["ok"], "false");
        assert!(!l.fields.contains_key("level") && !l.fields.contains_key("ts") && !l.fields.contains_key("msg"));
        assert_eq!(l.correlation(), Some(("ctx.request_id", "r-9")));
    }

    #[test]
    fn json_lines_without_level_or_time_keep_everything_as_fields() {
        let l = LogLine::parse("app", r#"{"message":"hello","component":"db","level":"loud"}"#);
        assert_eq!((l.level, l.at), (None, None));
        assert_eq!(l.message, "hello");
        assert_eq!(&l.fields["level"], "loud", "an unknown level word stays a field");
        let l = LogLine::parse("app", r#"{"event":"started","pid":7}"#);
        assert_eq!(l.message, "");
        assert_eq!(l.fields.len(), 2);
        // Numbers: pino levels, epoch milliseconds.
        let l = LogLine::parse("app", r#"{"level":50,"time":1763694600000,"msg":"x"}"#);
        assert_eq!(l.level, Some(Level::Error));
        assert_eq!(l.at.unwrap().timestamp(), 1_763_694_600);
    }

    #[test]
    fn broken_json_and_plain_text_are_plain_lines() {
        let l = LogLine::parse("f", "{\"msg\": \"unterminated");
        assert_eq!((l.level, l.message.as_str()), (None, "{\"msg\": \"unterminated"));
        let l = LogLine::parse("f", "2026-11-21T03:10:00Z [WARN] disk at 91%");
        assert_eq!(l.level, Some(Level::Warn));
        assert_eq!(l.at.unwrap().timestamp(), Utc.with_ymd_and_hms(2026, 11, 21, 3, 10, 0).unwrap().timestamp());
        assert_eq!(l.message, "[WARN] disk at 91%");
        let l = LogLine::parse("f", "2026-11-21 03:10:00.250 level=error msg=boom");
        assert_eq!(l.level, Some(Level::Error));
        assert!(l.at.is_some());
        let l = LogLine::parse("f", "just words, 3 of them, no level");
        assert_eq!((l.level, l.at), (None, None));
    }

    #[test]
    fn hostile_text_is_cleaned_in_messages_keys_and_values() {
        for s in crate::sanitize::HOSTILE_SAMPLES {
            let plain = LogLine::parse("f", s);
            assert!(crate::sanitize::is_clean(&plain.message), "{s:?}");
            let json = serde_json::json!({ "msg": s, *s: s }).to_string();
            let l = LogLine::parse("f", &json);
            assert!(crate::sanitize::is_clean(&l.message) && !l.message.contains('\n'));
            for (k, v) in &l.fields {
                assert!(crate::sanitize::is_clean(k) && crate::sanitize::is_clean(v), "{k:?}={v:?}");
            }
        }
    }

    #[test]
    fn huge_lines_are_cut() {
        let l = LogLine::parse("f", &"é".repeat(10_000));
        assert!(l.message.len() <= MAX_TEXT + 3 && l.message.ends_with('…'));
    }

    fn at(s: i64, msg: &str) -> LogLine {
        let mut l = LogLine::parse("t", msg);
        l.at = Some(Utc.timestamp_opt(s, 0).unwrap());
        l
    }

    #[test]
    fn the_buffer_keeps_the_newest_lines_in_time_order() {
        let mut b = LogBuffer::new(3);
        b.extend([at(1, "a"), at(3, "c"), at(2, "b")]);
        let msgs: Vec<_> = b.iter().map(|(_, l)| l.message.as_str()).collect();
        assert_eq!(msgs, ["a", "b", "c"]);
        b.push(at(4, "d"));
        let msgs: Vec<_> = b.iter().map(|(_, l)| l.message.as_str()).collect();
        assert_eq!(msgs, ["b", "c", "d"]);
        assert_eq!((b.len(), b.dropped), (3, 1));
        let (id, _) = b.get(2).unwrap();
        assert_eq!(b.position(id), Some(2));
    }

    #[test]
    fn levels_parse_words_and_numbers() {
        assert_eq!(Level::parse("WARNING"), Some(Level::Warn));
        assert_eq!(Level::parse("3"), Some(Level::Error));
        assert_eq!(Level::parse("crit"), Some(Level::Fatal));
        assert_eq!(Level::parse("purple"), None);
    }
}
