//! Silences, vendor-neutral: matchers in amtool's forms (`name=value`, `!=`, `=~`, `!~`,
//! values optionally "quoted"), how long (`2h`, `until 18:00`), and the entry text that
//! carries a silence action through the outbox (`add {…} until … : comment`, `extend ID
//! until …`, `expire ID`), written and read back by the same code.

use super::Fields;
use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone, Utc};
use regex::Regex;
use std::fmt;

/// The id under which a source's silence actions are kept in the timeline
/// (`prod/silences`): a silence belongs to no one alert.
pub const TIMELINE_ID: &str = "silences";

/// One matcher, as Alertmanager stores it: equal or not, a literal or an anchored regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    pub is_equal: bool,
}

/// The operators, longest first so `!=` is not read as `=`.
const OPS: [(&str, bool, bool); 4] =
    [("!=", false, false), ("=~", true, true), ("!~", true, false), ("=", false, true)];

impl Matcher {
    /// `name=value`, `name!="value"`, `name=~regex`, `name!~regex`; a bare word is
    /// `alertname=word`, as amtool reads it. Label names are Prometheus's.
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let text = text.trim();
        let found = text.char_indices().find_map(|(i, _)| {
            OPS.iter().find(|(op, ..)| text[i..].starts_with(op)).map(|(op, re, eq)| (i, op.len(), *re, *eq))
        });
        let (name, value, is_regex, is_equal) = match found {
            Some((at, len, re, eq)) => (text[..at].trim(), text[at + len..].trim(), re, eq),
            None if !text.is_empty() => ("alertname", text, false, true),
            None => return Err("an empty matcher".into()),
        };
        if !is_label_name(name) {
            return Err(format!("{:?} is not a label name (letters, digits and _, not first a digit)", shown(name)));
        }
        let value = unquote(value).ok_or_else(|| format!("unclosed quote in {:?}", shown(text)))?;
        let m = Matcher { name: name.to_owned(), value, is_regex, is_equal };
        m.regex()?;
        Ok(m)
    }

    /// The regex Alertmanager applies: anchored, case-sensitive.
    fn regex(&self) -> Result<Option<Regex>, String> {
        if !self.is_regex {
            return Ok(None);
        }
        Regex::new(&format!("^(?:{})$", self.value)).map(Some).map_err(|e| {
            let why = e.to_string();
            let why = why.lines().last().unwrap_or_default().trim_start_matches("error: ").to_owned();
            format!("bad regex {:?} for {}: {}", shown(&self.value), self.name, shown(&why))
        })
    }

    /// Whether the labels satisfy it (a missing label is the empty string, as in Alertmanager).
    pub fn matches(&self, labels: &Fields) -> bool {
        let v = labels.get(&self.name).unwrap_or("");
        let hit = match self.regex() {
            Ok(Some(re)) => re.is_match(v),
            Ok(None) => v == self.value,
            Err(_) => false,
        };
        hit == self.is_equal
    }

    /// Whether it matches a missing label: Alertmanager wants at least one that does not.
    pub fn matches_empty(&self) -> bool {
        self.matches(&Fields::new())
    }

    pub fn op(&self) -> &'static str {
        match (self.is_regex, self.is_equal) {
            (false, true) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (true, false) => "!~",
        }
    }
}

impl fmt::Display for Matcher {
    /// `name="value"`, quotes and backslashes escaped: what [`Matcher::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.replace('\\', "\\\\").replace('"', "\\\"");
        write!(f, "{}{}\"{value}\"", self.name, self.op())
    }
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value with its quotes off (`"a \"b\""` → `a "b"`); None for an unclosed quote.
fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else { return Some(v.to_owned()) };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return chars.as_str().is_empty().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// Text quoted into a message: one clean line.
fn shown(s: &str) -> String {
    crate::sanitize::sanitize_line(s)
}

/// A line of matchers split into words at spaces outside quotes, quotes kept
/// (`a="x y" b=~z` → `a="x y"`, `b=~z`).
pub fn split_words(line: &str) -> Vec<String> {
    let (mut words, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c.is_whitespace() && !quoted {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Reads matchers given one by one (the command line's words), refusing a set Alertmanager
/// would refuse: none, or all of them matching an absent label.
pub fn parse_matchers<S: AsRef<str>>(words: &[S]) -> Result<Vec<Matcher>, String> {
    let matchers = words.iter().map(|w| Matcher::parse(w.as_ref())).collect::<Result<Vec<_>, _>>()?;
    check_matchers(&matchers)?;
    Ok(matchers)
}

/// Why Alertmanager would refuse these matchers, if it would.
pub fn check_matchers(matchers: &[Matcher]) -> Result<(), String> {
    if matchers.is_empty() {
        return Err("a silence needs at least one matcher".into());
    }
    if matchers.iter().all(Matcher::matches_empty) {
        return Err("at least one matcher must not match the empty string (e.g. alertname=\"…\")".into());
    }
    Ok(())
}

/// Whether every matcher holds for the labels.
pub fn matches_all(matchers: &[Matcher], labels: &Fields) -> bool {
    matchers.iter().all(|m| m.matches(labels))
}

/// The end of a silence from `2h` (from now) or `until 18:00` (today, in `tz`) or `until`
/// an RFC 3339 time; refused when it is not in the future.
pub fn parse_end(text: &str, now: DateTime<Utc>, tz: FixedOffset) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let end = match text.strip_prefix("until") {
        Some(at) => {
            let at = at.trim();
            if let Ok(t) = DateTime::parse_from_rfc3339(at) {
                t.with_timezone(&Utc)
            } else {
                let time = NaiveTime::parse_from_str(at, "%H:%M")
                    .map_err(|_| format!("{:?}: say until HH:MM (today) or until an RFC 3339 time", shown(at)))?;
                let day = now.with_timezone(&tz).date_naive();
                let local = tz
                    .from_local_datetime(&day.and_time(time))
                    .single()
                    .ok_or_else(|| format!("{at} does not exist today"))?;
                local.with_timezone(&Utc)
            }
        }
        None => {
            let d = humantime::parse_duration(text).map_err(|e| {
                format!("{:?} is not a duration like 2h or 30m: {}", shown(text), shown(&e.to_string()))
            })?;
            chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| format!("{:?} is too long", shown(text)))?
        }
    };
    if end <= now {
        return Err(format!("{} is in the past: a silence must end later than now", end.format("%F %H:%M UTC")));
    }
    Ok(end)
}

/// A silence action as it travels in an entry's text through the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SilenceOp {
    Add { matchers: Vec<Matcher>, ends_at: DateTime<Utc>, comment: String },
    Extend { id: String, ends_at: DateTime<Utc> },
    Expire { id: String },
}

impl SilenceOp {
    /// The entry text: `add {a="b", c=~"d"} until 2026-12-02T18:00:00Z: comment`,
    /// `extend ID until …`, `expire ID`.
    pub fn text(&self) -> String {
        let at = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        match self {
            SilenceOp::Add { matchers, ends_at, comment } => {
                let list: Vec<String> = matchers.iter().map(ToString::to_string).collect();
                let comment = comment.split_whitespace().collect::<Vec<_>>().join(" ");
                format!("add {{{}}} until {}: {comment}", list.join(", "), at(ends_at))
            }
            SilenceOp::Extend { id, ends_at } => format!("extend {id} until {}", at(ends_at)),
            SilenceOp::Expire { id } => format!("expire {id}"),
        }
    }

    /// [`SilenceOp::text`] read back.
    pub fn parse(text: &str) -> Result<SilenceOp, String> {
        let bad = || format!("not a silence action: {:?}", shown(text));
        let time = |s: &str| DateTime::parse_from_rfc3339(s.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| bad());
        if let Some(id) = text.strip_prefix("expire ") {
            return Ok(SilenceOp::Expire { id: id.trim().to_owned() });
        }
        if let Some(rest) = text.strip_prefix("extend ") {
            let (id, end) = rest.split_once(" until ").ok_or_else(bad)?;
            return Ok(SilenceOp::Extend { id: id.trim().to_owned(), ends_at: time(end)? });
        }
        let rest = text.strip_prefix("add {").ok_or_else(bad)?;
        let (words, rest) = split_list(rest).ok_or_else(bad)?;
        let rest = rest.strip_prefix(" until ").ok_or_else(bad)?;
        let (end, comment) = rest.split_once(": ").map_or((rest.trim_end_matches(':'), ""), |(e, c)| (e, c));
        Ok(SilenceOp::Add { matchers: parse_matchers(&words)?, ends_at: time(end)?, comment: comment.to_owned() })
    }
}

/// The matchers of `a="x", b=~"y"}rest` as words, and what follows the closing brace.
fn split_list(s: &str) -> Option<(Vec<String>, &str)> {
    let (mut words, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c == ',' || c == '}') {
            if !cur.trim().is_empty() {
                words.push(cur.trim().to_owned());
            }
            cur.clear();
            if c == '}' {
                return Some((words, &s[i + 1..]));
            }
            continue;
        }
        cur.push(c);
    }
    None
}

/// A silence as its source shows it, cleaned at the border.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    /// The source (an Alertmanager's configured name).
    pub source: String,
    pub id: String,
    /// "active", "pending" or "expired".
    pub state: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    /// How many alerts it silences now (the source's own count).
    pub matched: usize,
    /// A Zabbix maintenance shown beside the silences: read-only (klaxon does not change it),
    /// its scope hosts and host groups rather than matchers, its state `active`,
    /// `approaching` or `expired` (Zabbix's own words). None for an Alertmanager silence.
    pub maintenance: Option<Maintenance>,
}

/// What a Zabbix maintenance has that a silence has not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Maintenance {
    pub name: String,
    /// Visible host names.
    pub hosts: Vec<String>,
    pub groups: Vec<String>,
}

impl Silence {
    /// The matchers, or a maintenance's name and scope (what the list shows and filters on).
    pub fn matchers_text(&self) -> String {
        if let Some(m) = &self.maintenance {
            let mut scope = Vec::new();
            if !m.hosts.is_empty() {
                scope.push(format!("hosts: {}", m.hosts.join(", ")));
            }
            if !m.groups.is_empty() {
                scope.push(format!("groups: {}", m.groups.join(", ")));
            }
            return format!("\"{}\" {}", m.name, scope.join(" · "));
        }
        let list: Vec<String> = self.matchers.iter().map(ToString::to_string).collect();
        format!("{{{}}}", list.join(", "))
    }

    /// Why klaxon does not change it (expire, extend), if it does not.
    pub fn read_only(&self) -> Option<&'static str> {
        self.maintenance.as_ref().map(|_| "Zabbix maintenance is managed in Zabbix")
    }
}

/// What a source says of its silences: the silences, and the alerts its poll hides as
/// silenced or inhibited (each marked suppressed, with who and why), for the console to
/// count and show on request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Silences {
    pub list: Vec<Silence>,
    pub hidden: Vec<super::Alert>,
}
