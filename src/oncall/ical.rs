//! iCalendar on-call feeds (RFC 5545): PagerDuty, Opsgenie and Grafana OnCall exports and
//! hand-made calendars. The content lines (folding, parameters, escapes) are read here;
//! recurrence (`RRULE`, `EXDATE`, `TZID` across DST) is expanded by the `rrule` crate.
//! A broken event is skipped and counted, never a panic.

use super::rotation::{local_to_utc, parse_tz};
use crate::model::Shift;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// One property: `NAME;PARAM=value:VALUE`.
#[derive(Debug, Clone, PartialEq)]
struct Prop {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The feed's shifts in `[from, to)` and how many events could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub shifts: Vec<Shift>,
    pub skipped: usize,
}

/// Unfolds lines (a line starting with a space or tab continues the previous one).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match raw.strip_prefix([' ', '\t']) {
            Some(rest) if !lines.is_empty() => lines.last_mut().unwrap().push_str(rest),
            _ if raw.is_empty() => {}
            _ => lines.push(raw.to_owned()),
        }
    }
    lines
}

/// Splits a content line, honouring quoted parameter values (`CN="Doe, Jane"`).
fn prop(line: &str) -> Option<Prop> {
    let mut in_quote = false;
    let mut split = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ':' if !in_quote => {
                split = Some(i);
                break;
            }
            _ => {}
        }
    }
    let (head, value) = line.split_at(split?);
    let mut parts = Vec::new();
    let (mut cur, mut in_quote) = (String::new(), false);
    for c in head.chars() {
        match c {
            '"' => in_quote = !in_quote,
            ';' if !in_quote => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let name = parts.remove(0).to_ascii_uppercase();
    let params =
        parts.into_iter().filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))).collect();
    Some(Prop { name, params, value: value[1..].to_owned() })
}

/// TEXT escapes: `\n`, `\,`, `\;`, `\\`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A DATE-TIME or DATE value as (UTC instant, the zone it was written in).
fn when(p: &Prop, floating: Tz) -> Result<(DateTime<Utc>, Tz), String> {
    let v = p.value.trim();
    let tz = match p.param("TZID") {
        Some(id) => parse_tz(id.trim_start_matches('/')).map_err(|_| format!("unknown TZID {id:?}"))?,
        None if v.ends_with('Z') => chrono_tz::UTC,
        None => floating,
    };
    if let Ok(n) = NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S") {
        return Ok((local_to_utc(tz, n), tz));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y%m%d") {
        return Ok((local_to_utc(tz, d.and_hms_opt(0, 0, 0).unwrap_or_default()), tz));
    }
    Err(format!("{} {v:?} is not a date or date-time", p.name))
}

/// The person: PagerDuty `On Call - <Name> - <Schedule>`, imports `[L1] <user>`, Grafana
/// OnCall and Opsgenie `<user>`; else the attendee's CN or address.
pub fn person(summary: Option<&str>, attendee: Option<(&str, Option<&str>)>) -> Option<String> {
    if let Some(s) = summary.map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(rest) = s.strip_prefix("On Call - ") {
            let name = rest.rsplit_once(" - ").map_or(rest, |(n, _)| n);
            return Some(name.trim().to_owned());
        }
        if s.starts_with('[')
            && let Some((_, user)) = s.split_once(']')
            && !user.trim().is_empty()
        {
            return Some(user.trim().to_owned());
        }
        return Some(s.to_owned());
    }
    let (addr, cn) = attendee?;
    if let Some(cn) = cn.filter(|c| !c.trim().is_empty()) {
        return Some(cn.trim().to_owned());
    }
    let addr = addr.trim();
    let addr = addr.strip_prefix("mailto:").or_else(|| addr.strip_prefix("MAILTO:")).unwrap_or(addr);
    (!addr.is_empty()).then(|| addr.to_owned())
}

/// Reads a feed and expands it into shifts overlapping `[from, to)`. An event with a
/// `RECURRENCE-ID` replaces that one instance of its series (same `UID`).
pub fn parse(text: &str, floating: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Parsed {
    let mut out = Parsed { shifts: Vec::new(), skipped: 0 };
    let mut events: Vec<Vec<Prop>> = Vec::new();
    let mut event: Option<Vec<Prop>> = None;
    for line in unfold(text) {
        let Some(p) = prop(&line) else { continue };
        match (p.name.as_str(), p.value.trim().to_ascii_uppercase().as_str()) {
            ("BEGIN", "VEVENT") => event = Some(Vec::new()),
            ("END", "VEVENT") => events.extend(event.take()),
            _ => {
                if let Some(props) = event.as_mut()
                    && props.len() < 1000
                {
                    props.push(p);
                }
            }
        }
    }
    let uid = |e: &[Prop]| e.iter().find(|p| p.name == "UID").map(|p| p.value.clone());
    let mut moved: Vec<(String, DateTime<Utc>)> = Vec::new();
    for e in &events {
        if let (Some(uid), Some(rid)) = (uid(e), e.iter().find(|p| p.name == "RECURRENCE-ID")) {
            match when(rid, floating) {
                Ok((at, _)) => moved.push((uid, at)),
                Err(_) => out.skipped += 1,
            }
        }
    }
    for e in &events {
        let replaced: Vec<DateTime<Utc>> = match uid(e) {
            Some(u) if !e.iter().any(|p| p.name == "RECURRENCE-ID") => {
                moved.iter().filter(|(m, _)| *m == u).map(|(_, at)| *at).collect()
            }
            _ => Vec::new(),
        };
        match expand(e, floating, from, to, &replaced) {
            Ok(mut shifts) => out.shifts.append(&mut shifts),
            Err(_) => out.skipped += 1,
        }
    }
    out
}

fn expand(
    props: &[Prop],
    floating: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    replaced: &[DateTime<Utc>],
) -> Result<Vec<Shift>, String> {
    let get = |name: &str| props.iter().find(|p| p.name == name);
    if get("STATUS").is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED")) {
        return Ok(Vec::new());
    }
    let summary = get("SUMMARY").map(|p| unescape(&p.value));
    let attendee = get("ATTENDEE").map(|p| (p.value.as_str(), p.param("CN")));
    let person = person(summary.as_deref(), attendee).ok_or("an event names nobody")?;
    let start_prop = get("DTSTART").ok_or("an event has no DTSTART")?;
    let (start, tz) = when(start_prop, floating)?;
    // With a zone, DTEND's length is wall-clock time ("09:00 Monday to 09:00 Monday"), as
    // calendars show it: each instance ends at its own local time, across DST changes too.
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let (end, wall) = match (get("DTEND"), get("DURATION")) {
        (Some(p), _) => {
            let end = when(p, floating)?.0;
            (end, local(end) - local(start))
        }
        (None, Some(d)) => {
            let d = duration(&d.value)?;
            (start + d, d)
        }
        (None, None) => return Err("an event has no DTEND".into()),
    };
    let length = end - start;
    if length <= Duration::zero() {
        return Err("an event ends before it starts".into());
    }
    let Some(rule) = get("RRULE") else {
        let shift = Shift::new(&person, start, end);
        return Ok(if shift.end > from && shift.start < to { vec![shift] } else { vec![] });
    };
    // On-call shifts are hours long at least; a rule by the second or minute would make
    // the expansion walk millions of instances from its start.
    let upper = rule.value.to_ascii_uppercase();
    if ["FREQ=SECONDLY", "FREQ=MINUTELY", "BYSECOND", "BYMINUTE"].iter().any(|w| upper.contains(w)) {
        return Err("RRULE by the second or minute is not an on-call rotation".into());
    }
    // The expansion walks from DTSTART: bound how far that is.
    let hourly = upper.contains("FREQ=HOURLY");
    if start.year() < 1970 || (hourly && from - start > Duration::days(3660)) {
        return Err("RRULE starts too long before now".into());
    }
    let rtz = rrule::Tz::Tz(tz);
    let dtstart = start.with_timezone(&rtz);
    let parsed: rrule::RRule<rrule::Unvalidated> = rule.value.parse().map_err(|e| format!("RRULE: {e}"))?;
    let mut set = rrule::RRuleSet::new(dtstart).rrule(parsed.validate(dtstart).map_err(|e| format!("RRULE: {e}"))?);
    for ex in props.iter().filter(|p| p.name == "EXDATE") {
        for v in ex.value.split(',') {
            let one = Prop { value: v.to_owned(), ..ex.clone() };
            set = set.exdate(when(&one, floating)?.0.with_timezone(&rtz));
        }
    }
    for at in replaced {
        set = set.exdate(at.with_timezone(&rtz));
    }
    let result =
        set.after((from - length - Duration::hours(2)).with_timezone(&rtz)).before(to.with_timezone(&rtz)).all(2000);
    Ok(result
        .dates
        .into_iter()
        .map(|d| Shift::new(&person, d.with_timezone(&Utc), local_to_utc(tz, d.naive_local() + wall)))
        .filter(|s| s.end > from && s.start < to)
        .collect())
}

/// `P1D`, `PT12H`, `P1W`, `PT30M`.
fn duration(v: &str) -> Result<Duration, String> {
    let bad = || format!("DURATION {v:?} is not understood");
    let body = v.trim().strip_prefix('P').ok_or_else(bad)?;
    let (mut total, mut num, mut in_time) = (Duration::zero(), String::new(), false);
    for c in body.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => num.push(c),
            unit => {
                let n: i64 = std::mem::take(&mut num).parse().map_err(|_| bad())?;
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return Err(bad()),
                };
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OnCall;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn window(text: &str) -> Parsed {
        parse(text, chrono_tz::UTC, utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
    }

    #[test]
    fn folded_lines_parameters_and_escapes() {
        let feed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE-TIME:20260302T090000Z\r\nDTEND:20260303T090000Z\r\nSUMMARY:On Call - Jane\r\n  Doe - Primary\\, EU\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let p = window(feed);
        assert_eq!(p.shifts, [Shift::new("Jane Doe", utc("2026-03-02T09:00:00Z"), utc("2026-03-03T09:00:00Z"))]);
        let line = prop("ATTENDEE;CN=\"Doe; Jane: ops\";ROLE=REQ-PARTICIPANT:mailto:jane@example.com").unwrap();
        assert_eq!(line.param("cn"), Some("Doe; Jane: ops"));
        assert_eq!(line.value, "mailto:jane@example.com");
    }

    #[test]
    fn vendor_summaries_name_the_person() {
        assert_eq!(person(Some("On Call - Alice Smith - Primary Ops"), None).as_deref(), Some("Alice Smith"));
        assert_eq!(person(Some("[L2] bob"), None).as_deref(), Some("bob"));
        assert_eq!(person(Some("carol"), None).as_deref(), Some("carol"));
        assert_eq!(person(None, Some(("mailto:dave@example.com", None))).as_deref(), Some("dave@example.com"));
        assert_eq!(person(None, Some(("mailto:e@example.com", Some("Eve")))).as_deref(), Some("Eve"));
    }

    #[test]
    fn weekly_rrule_in_tzid_keeps_wall_clock_across_dst_with_exdate() {
        // Handoff 09:00 Europe/Berlin every Monday; the week of 2026-03-30 is excluded.
        let feed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Europe/Berlin:20260316T090000\nDTEND;TZID=Europe/Berlin:20260323T090000\nRRULE:FREQ=WEEKLY;INTERVAL=1\nEXDATE;TZID=Europe/Berlin:20260330T090000\nSUMMARY:[L1] alice\nEND:VEVENT\nEND:VCALENDAR\n";
        let p = parse(feed, chrono_tz::UTC, utc("2026-03-16T00:00:00Z"), utc("2026-04-14T00:00:00Z"));
        let starts: Vec<_> = p.shifts.iter().map(|s| s.start).collect();
        assert_eq!(
            starts,
            [
                utc("2026-03-16T08:00:00Z"),
                utc("2026-03-23T08:00:00Z"),
                utc("2026-04-06T07:00:00Z"),
                utc("2026-04-13T07:00:00Z")
            ]
        );
        // Each week ends at 09:00 local: the one across the change is 167 h, the others 168 h.
        assert_eq!(p.shifts[1].end, utc("2026-03-30T07:00:00Z"));
        assert_eq!(p.shifts[2].end - p.shifts[2].start, Duration::hours(168));
        let gap = OnCall::from_shifts("p", 1, &p.shifts, utc("2026-04-01T12:00:00Z"));
        assert_eq!(gap.now, None, "the excluded week has nobody");
    }

    #[test]
    fn new_york_daily_rrule_and_floating_times() {
        let feed = "BEGIN:VEVENT\nDTSTART;TZID=America/New_York:20261031T080000\nDURATION:PT12H\nRRULE:FREQ=DAILY;COUNT=3\nSUMMARY:ann\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20261101T200000\nDTEND:20261102T080000\nSUMMARY:ben\nEND:VEVENT\n";
        let ny: Tz = "America/New_York".parse().unwrap();
        let p = parse(feed, ny, utc("2026-10-30T00:00:00Z"), utc("2026-11-05T00:00:00Z"));
        let starts: Vec<_> = p.shifts.iter().map(|s| (s.person.as_str(), s.start)).collect();
        assert_eq!(
            starts,
            [
                ("ann", utc("2026-10-31T12:00:00Z")), // 08:00 EDT
                ("ann", utc("2026-11-01T13:00:00Z")), // 08:00 EST
                ("ann", utc("2026-11-02T13:00:00Z")),
                ("ben", utc("2026-11-02T01:00:00Z")), // floating 20:00 read in New York
            ]
        );
    }

    #[test]
    fn a_moved_instance_replaces_its_occurrence() {
        // Daily 09:00 UTC for ann; the 3 March instance is handed to ben from 12:00.
        let feed = "BEGIN:VEVENT\nUID:r1\nDTSTART:20260302T090000Z\nDTEND:20260303T090000Z\nRRULE:FREQ=DAILY;COUNT=3\nSUMMARY:ann\nEND:VEVENT\nBEGIN:VEVENT\nUID:r1\nRECURRENCE-ID:20260303T090000Z\nDTSTART:20260303T120000Z\nDTEND:20260304T090000Z\nSUMMARY:ben\nEND:VEVENT\n";
        let p = window(feed);
        let at = |t: &str| OnCall::from_shifts("p", 1, &p.shifts, utc(t)).person_now().map(str::to_owned);
        assert_eq!(at("2026-03-03T10:00:00Z"), None, "ann's 3 March instance is gone");
        assert_eq!(at("2026-03-03T13:00:00Z").as_deref(), Some("ben"));
        assert_eq!(at("2026-03-04T10:00:00Z").as_deref(), Some("ann"));
    }

    #[test]
    fn a_hostile_recurrence_is_bounded() {
        let started = std::time::Instant::now();
        let rules = [
            ("2000", "SECONDLY"),
            ("2000", "MINUTELY"),
            ("2000", "HOURLY;BYSECOND=1,2,3"),
            ("2000", "HOURLY"),
            ("0001", "DAILY"),
        ];
        for (year, freq) in rules {
            let feed = format!(
                "BEGIN:VEVENT\nDTSTART:{year}0101T000000Z\nDTEND:{year}0101T000001Z\nRRULE:FREQ={freq}\nSUMMARY:x\nEND:VEVENT\n"
            );
            let p = window(&feed);
            assert!(p.shifts.len() <= 2000, "{}", p.shifts.len());
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    }

    #[test]
    fn cancelled_and_broken_events_do_not_count() {
        let feed = "BEGIN:VEVENT\nDTSTART:20260302T090000Z\nDTEND:20260303T090000Z\nSUMMARY:gone\nSTATUS:CANCELLED\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART;TZID=Mars/Olympus:20260302T090000\nDTEND:20260303T090000Z\nSUMMARY:x\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:tomorrow\nSUMMARY:y\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20260302T090000Z\nDTEND:20260303T090000Z\nSUMMARY:kept\nRRULE:FREQ=SOMETIMES\nEND:VEVENT\n\u{0}garbage\n";
        let p = window(feed);
        assert!(p.shifts.is_empty(), "{:?}", p.shifts);
        assert_eq!(p.skipped, 3);
    }
}
