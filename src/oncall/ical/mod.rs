//! iCalendar on-call feeds (RFC 5545) as calendar servers write them: PagerDuty, Opsgenie
//! and Grafana OnCall exports, Google Calendar, Outlook/Exchange, Nextcloud and Thunderbird.
//! `content` reads the lines into components, `value` the values, `zone` the `TZID`s
//! (IANA, Windows, vendor-prefixed, or the feed's own `VTIMEZONE`), `recur` the `RRULE`s;
//! this file turns events into shifts: `RDATE` (dates, date-times, periods), `EXDATE`,
//! `RECURRENCE-ID` (with `RANGE=THISANDFUTURE`), `DURATION`, `STATUS:CANCELLED`, `TRANSP`.
//!
//! Never a panic and never an unbounded walk: a broken event or value is skipped and counted
//! (with its line) in [`Parsed`], the rest of the feed still counts.

mod content;
mod feed;
mod recur;
#[cfg(test)]
mod shapes;
mod value;
mod zone;

use crate::model::Shift;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use content::{Component, Prop};
use recur::Rule;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use value::{Period, Span, Stamp};
use zone::Zone;

pub use feed::IcalConfig;

/// Reasons kept per feed (all are counted).
pub const MAX_NOTES: usize = 10;
/// Recurrence steps one feed may take: a few seconds of work at most.
pub const BUDGET: usize = 1_000_000;
/// Shifts one feed may give for one window.
pub const MAX_SHIFTS: usize = 20_000;

/// The feed's shifts in `[from, to)` and what was skipped on the way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub shifts: Vec<Shift>,
    /// Events, values and lines skipped as unreadable.
    pub skipped: usize,
    /// The first few reasons, each naming its line (sanitized).
    pub notes: Vec<String>,
}

impl Parsed {
    fn warn(&mut self, note: String) {
        self.skipped += 1;
        if self.notes.len() < MAX_NOTES {
            let short: String = note.chars().take(240).collect();
            self.notes.push(crate::sanitize::sanitize_line(&short));
        }
    }
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

/// Feed text quoted in a note: short.
fn quote(s: &str) -> String {
    let short: String = s.trim().chars().take(60).collect();
    format!("{short:?}")
}

/// A DATE or DATE-TIME read in its zone: `local` is the wall-clock time there.
#[derive(Debug, Clone)]
struct Moment {
    local: NaiveDateTime,
    zone: Zone,
    date: bool,
}

impl Moment {
    fn utc(&self) -> Result<DateTime<Utc>, String> {
        self.zone.to_utc(self.local).ok_or_else(|| format!("{} is out of range", self.local))
    }
}

/// How long each instance lasts: `DTEND` gives wall-clock length in the start's zone (as
/// calendars show it: 09:00 to 09:00 stays so across DST); `DURATION` gives nominal days and
/// exact seconds (RFC 5545 §3.3.6).
#[derive(Debug, Clone, Copy)]
enum Length {
    Wall(Duration),
    Exact(Span),
}

impl Length {
    fn end(self, zone: &Zone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Length::Wall(d) => zone.to_utc(local.checked_add_signed(d)?),
            Length::Exact(s) => zone
                .to_utc(local.checked_add_signed(Duration::try_days(s.days)?)?)?
                .checked_add_signed(Duration::try_seconds(s.seconds)?),
        }
    }

    /// At least as long as any instance (for how far before a window to look).
    fn reach(self) -> Duration {
        match self {
            Length::Wall(d) => d.abs(),
            // Both parts are at most a hundred years (value::span): no overflow.
            Length::Exact(s) => Duration::days(s.days.abs() + 2) + Duration::seconds(s.seconds.abs()),
        }
    }
}

/// `RECURRENCE-ID`: which instance of its series an event replaces.
#[derive(Debug, Clone)]
struct Rid {
    at: DateTime<Utc>,
    date: Option<NaiveDate>,
    /// `RANGE=THISANDFUTURE`: the later instances change the same way.
    future: bool,
}

#[derive(Debug)]
struct Event<'a> {
    c: &'a Component,
    uid: Option<String>,
    person: Option<String>,
    start: Moment,
    length: Length,
    rid: Option<Rid>,
    /// `STATUS:CANCELLED` or `TRANSP:TRANSPARENT`: nobody is on call for it.
    off: bool,
    sequence: i64,
}

struct Feed {
    floating: Zone,
    /// What each `TZID` seen so far means (None: nothing known).
    names: std::cell::RefCell<HashMap<String, Option<Tz>>>,
    /// Zones the feed defines (`VTIMEZONE`) under names that mean nothing known.
    custom: HashMap<String, Zone>,
    budget: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Feed {
    fn zone(&self, p: &Prop) -> Result<Zone, String> {
        let Some(id) = p.param("TZID") else { return Ok(self.floating.clone()) };
        let known = *self.names.borrow_mut().entry(id.to_owned()).or_insert_with(|| zone::known(id));
        if let Some(tz) = known {
            return Ok(Zone::Iana(tz));
        }
        self.custom.get(id.trim()).cloned().ok_or_else(|| format!("unknown TZID {}", quote(id)))
    }

    /// One DATE or DATE-TIME value `v` of property `p` (`Z` is UTC, `TZID` its zone, else
    /// floating; a date is a day in the floating zone).
    fn moment(&self, p: &Prop, v: &str) -> Result<Moment, String> {
        self.place(p, value::stamp(v).map_err(|e| format!("{}: {e}", p.name))?)
    }

    /// A stamp read with property `p`'s `TZID`.
    fn place(&self, p: &Prop, s: Stamp) -> Result<Moment, String> {
        Ok(match s {
            Stamp::Date(_) => Moment { local: s.naive(), zone: self.floating.clone(), date: true },
            Stamp::Utc(n) => Moment { local: n, zone: Zone::UTC, date: false },
            Stamp::Local(n) => Moment { local: n, zone: self.zone(p)?, date: false },
        })
    }

    fn spend(&mut self) -> Result<(), String> {
        self.budget = self.budget.checked_sub(1).ok_or("the feed has too many instances to expand")?;
        Ok(())
    }
}

fn read_event<'a>(feed: &Feed, c: &'a Component) -> Result<Event<'a>, String> {
    let summary = c.get("SUMMARY").map(|p| content::unescape(&p.value));
    let attendee = c.get("ATTENDEE").map(|p| (p.value.as_str(), p.param("CN")));
    let sp = c.get("DTSTART").ok_or("no DTSTART")?;
    let start = feed.moment(sp, &sp.value)?;
    let start_at = start.utc()?;
    let length = match (c.get("DTEND"), c.get("DURATION")) {
        (Some(p), _) => {
            let end = feed.moment(p, &p.value)?.utc()?;
            Length::Wall(start.zone.to_local(end) - start.local)
        }
        (None, Some(p)) => Length::Exact(value::span(&p.value)?),
        (None, None) if start.date => Length::Exact(Span { days: 1, seconds: 0 }),
        (None, None) => Length::Exact(Span::default()),
    };
    let end = length.end(&start.zone, start.local).ok_or("its end is out of range")?;
    if end < start_at {
        return Err("it ends before it starts".into());
    }
    let rid = match c.get("RECURRENCE-ID") {
        Some(p) => {
            let m = feed.moment(p, &p.value)?;
            let future = p.param("RANGE").is_some_and(|r| r.trim().eq_ignore_ascii_case("THISANDFUTURE"));
            Some(Rid { at: m.utc()?, date: m.date.then(|| m.local.date()), future })
        }
        None => None,
    };
    let is = |name: &str, what: &str| c.get(name).is_some_and(|p| p.value.trim().eq_ignore_ascii_case(what));
    Ok(Event {
        c,
        uid: c.get("UID").map(|p| p.value.trim().to_owned()),
        person: person(summary.as_deref(), attendee),
        start,
        length,
        rid,
        off: is("STATUS", "CANCELLED") || is("TRANSP", "TRANSPARENT"),
        sequence: c.get("SEQUENCE").and_then(|p| p.value.trim().parse().ok()).unwrap_or(0),
    })
}

fn label(c: &Component) -> String {
    match c.get("UID") {
        Some(u) => format!("line {}: event {}", c.line, quote(&u.value)),
        None => format!("line {}: event", c.line),
    }
}

/// Reads a feed and expands it into shifts overlapping `[from, to)`. Floating times and
/// dates are read in `floating`.
pub fn parse(text: &str, floating: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Parsed {
    let mut out = Parsed::default();
    let (root, notes) = content::read(text);
    for n in notes {
        out.warn(n);
    }
    let mut feed = Feed {
        floating: Zone::Iana(floating),
        names: Default::default(),
        custom: HashMap::new(),
        budget: BUDGET,
        from,
        to,
    };
    let horizon = to.naive_utc().checked_add_signed(Duration::days(400)).unwrap_or(NaiveDateTime::MAX);
    for vtz in root.walk("VTIMEZONE") {
        let Some(id) = vtz.get("TZID").map(|p| p.value.trim().to_owned()) else {
            out.warn(format!("line {}: a VTIMEZONE without TZID, skipped", vtz.line));
            continue;
        };
        if zone::known(&id).is_some() || feed.custom.contains_key(&id) {
            continue;
        }
        match zone::custom(vtz, horizon, &mut feed.budget) {
            Ok(z) => drop(feed.custom.insert(id, Zone::Custom(Arc::new(z)))),
            Err(e) => out.warn(format!("line {}: VTIMEZONE {}: {e}; skipped", vtz.line, quote(&id))),
        }
    }
    let mut events = Vec::new();
    for c in root.walk("VEVENT") {
        match read_event(&feed, c) {
            Ok(e) => events.push(e),
            Err(e) => out.warn(format!("{}: {e}; skipped", label(c))),
        }
    }
    // A series' moved instances by UID; of two for the same instance, the higher SEQUENCE.
    let mut moved: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        if let (Some(uid), Some(_)) = (e.uid.as_deref(), &e.rid) {
            moved.entry(uid).or_default().push(i);
        }
    }
    let mut superseded = HashSet::new();
    for list in moved.values_mut() {
        list.sort_by_key(|&i| (events[i].rid.as_ref().map(|r| r.at), events[i].sequence, i));
        let mut kept: Vec<usize> = Vec::new();
        for &i in list.iter() {
            match kept.last_mut() {
                Some(last) if events[*last].rid.as_ref().map(|r| r.at) == events[i].rid.as_ref().map(|r| r.at) => {
                    superseded.insert(*last);
                    *last = i;
                }
                _ => kept.push(i),
            }
        }
        *list = kept;
    }
    let masters: HashMap<&str, &Event> =
        events.iter().filter(|e| e.rid.is_none()).filter_map(|e| Some((e.uid.as_deref()?, e))).collect();
    for (i, e) in events.iter().enumerate() {
        let result = match &e.rid {
            Some(_) if superseded.contains(&i) => Ok(Vec::new()),
            Some(_) => {
                let fallback = e.uid.as_deref().and_then(|u| masters.get(u)).and_then(|m| m.person.as_deref());
                single(&mut feed, e, fallback)
            }
            None => {
                let overrides: Vec<&Event> = match e.uid.as_deref().and_then(|u| moved.get(u)) {
                    Some(list) => list.iter().map(|&i| &events[i]).collect(),
                    None => Vec::new(),
                };
                series(&mut feed, e, &overrides, &mut out)
            }
        };
        match result {
            Ok(mut shifts) => out.shifts.append(&mut shifts),
            Err(why) => out.warn(format!("{}: {why}; skipped", label(e.c))),
        }
        if out.shifts.len() > MAX_SHIFTS {
            out.shifts.truncate(MAX_SHIFTS);
            out.warn(format!("more than {MAX_SHIFTS} shifts in the window: the rest of the feed is skipped"));
            break;
        }
    }
    out.shifts.sort_by(|a, b| a.start.cmp(&b.start).then(a.end.cmp(&b.end)));
    out
}

fn shift(feed: &Feed, person: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Shift> {
    (end > start && end > feed.from && start < feed.to).then(|| Shift::new(person, start, end))
}

/// An event that replaces one instance of a series: just itself.
fn single(feed: &mut Feed, e: &Event, fallback: Option<&str>) -> Result<Vec<Shift>, String> {
    if e.off {
        return Ok(Vec::new());
    }
    let person = e.person.as_deref().or(fallback).ok_or("it names nobody (no SUMMARY or ATTENDEE)")?;
    let start = e.start.utc()?;
    let end = e.length.end(&e.start.zone, e.start.local).ok_or("its end is out of range")?;
    Ok(shift(feed, person, start, end).into_iter().collect())
}

/// One instance of a series: where it starts (wall clock in the series' zone) and, for an
/// `RDATE` period, where it ends.
type Start = (NaiveDateTime, Option<DateTime<Utc>>);

/// An event and its recurrences (`DTSTART` is always the first), less `EXDATE`s and moved
/// instances, with `THISANDFUTURE` changes applied.
fn series(feed: &mut Feed, e: &Event, overrides: &[&Event], out: &mut Parsed) -> Result<Vec<Shift>, String> {
    let person = e.person.as_deref();
    if e.off && overrides.iter().all(|o| !o.rid.as_ref().is_some_and(|r| r.future)) {
        return Ok(Vec::new());
    }
    let zone = e.start.zone.clone();
    let rules: Vec<Rule> = e.c.all("RRULE").map(|p| Rule::parse(&p.value)).collect::<Result<_, _>>()?;
    // THISANDFUTURE: later instances move by the same step and take its length and person.
    let mut futures: Vec<(&Rid, &Event, Duration)> = Vec::new();
    for o in overrides {
        if let Some(r) = o.rid.as_ref().filter(|r| r.future) {
            let step = zone.to_local(o.start.utc()?) - zone.to_local(r.at);
            futures.push((r, o, step));
        }
    }
    futures.sort_by_key(|f| f.0.at);
    let margin = futures
        .iter()
        .filter_map(|(_, o, step)| o.length.reach().checked_add(&step.abs()))
        .fold(e.length.reach(), Duration::max)
        .checked_add(&Duration::days(2))
        .ok_or("its length is out of range")?;
    // Instances that moved stand on their own (looked up per instance: sets, not scans).
    let moved_at: HashSet<DateTime<Utc>> =
        overrides.iter().filter_map(|o| o.rid.as_ref().filter(|r| r.date.is_none()).map(|r| r.at)).collect();
    let moved_days: HashSet<NaiveDate> = overrides.iter().filter_map(|o| o.rid.as_ref()?.date).collect();
    let lo = zone.to_local(feed.from).checked_sub_signed(margin).unwrap_or(NaiveDateTime::MIN);
    let hi = zone.to_local(feed.to).checked_add_signed(margin).unwrap_or(NaiveDateTime::MAX);

    let mut starts: Vec<Start> = vec![(e.start.local, None)];
    for rule in &rules {
        let stop = match rule.until_local(|u| zone.to_local(u.and_utc())) {
            Some(u) => u.checked_add_signed(Duration::days(1)).unwrap_or(u).min(hi),
            None => hi,
        };
        for n in rule.starts(e.start.local, lo, lo, stop, &mut feed.budget)? {
            if let Some(at) = zone.to_utc(n)
                && rule.within_until(n, at)
            {
                starts.push((n, None));
            }
        }
    }
    for p in e.c.all("RDATE") {
        let periods = p.param("VALUE").is_some_and(|v| v.trim().eq_ignore_ascii_case("PERIOD"));
        for v in p.value.split(',').filter(|v| !v.trim().is_empty()) {
            feed.spend()?;
            match rdate(feed, p, v, periods, &zone) {
                Ok(s) => starts.push(s),
                Err(why) => out.warn(format!("line {}: RDATE {}: {why}; that date skipped", p.line, quote(v))),
            }
        }
    }
    let (mut ex_at, mut ex_days) = (HashSet::new(), HashSet::new());
    for p in e.c.all("EXDATE") {
        for v in p.value.split(',').filter(|v| !v.trim().is_empty()) {
            feed.spend()?;
            match feed.moment(p, v).and_then(|m| Ok((m.date, m.local, m.utc()?))) {
                Ok((true, local, _)) => drop(ex_days.insert(local.date())),
                Ok((false, _, at)) => drop(ex_at.insert(at)),
                Err(why) => out.warn(format!("line {}: {why}; that exclusion skipped", p.line)),
            }
        }
    }
    starts.sort_by_key(|s| s.0);
    starts.dedup_by_key(|s| s.0);

    let mut shifts = Vec::new();
    for (local, period_end) in starts {
        feed.spend()?;
        let Some(at) = zone.to_utc(local) else { continue };
        if ex_at.contains(&at) || ex_days.contains(&local.date()) {
            continue;
        }
        if moved_at.contains(&at) || moved_days.contains(&local.date()) {
            continue;
        }
        let (mut local, mut length, mut who, mut off) = (local, e.length, person, e.off);
        // The latest THISANDFUTURE change before this instance applies.
        if let Some(i) = futures.partition_point(|(r, ..)| r.at < at).checked_sub(1)
            && let Some((_, o, step)) = futures.get(i)
        {
            local = local.checked_add_signed(*step).ok_or("a moved instance is out of range")?;
            (length, who, off) = (o.length, o.person.as_deref().or(person), o.off);
        }
        if off {
            continue;
        }
        let who = who.ok_or("it names nobody (no SUMMARY or ATTENDEE)")?;
        let (Some(start), Some(end)) = (zone.to_utc(local), period_end.or_else(|| length.end(&zone, local))) else {
            continue;
        };
        shifts.extend(shift(feed, who, start, end));
    }
    Ok(shifts)
}

/// One `RDATE` value: a date, a date-time or a period, as a start in the series' zone.
fn rdate(feed: &Feed, p: &Prop, v: &str, periods: bool, zone: &Zone) -> Result<Start, String> {
    if !periods && !v.contains('/') {
        let m = feed.moment(p, v)?;
        return Ok((zone.to_local(m.utc()?), None));
    }
    let (start, end) = match value::period(v)? {
        Period::Until(a, b) => (feed.place(p, a)?.utc()?, feed.place(p, b)?.utc()?),
        Period::For(a, span) => {
            let m = feed.place(p, a)?;
            (m.utc()?, Length::Exact(span).end(&m.zone, m.local).ok_or("its end is out of range")?)
        }
    };
    if end < start {
        return Err("the period ends before it starts".into());
    }
    Ok((zone.to_local(start), Some(end)))
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
                ("ben", utc("2026-11-02T01:00:00Z")), // floating 20:00 read in New York
                ("ann", utc("2026-11-02T13:00:00Z")),
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
        // (start year, rule, shifts in 2026 or None when the event is skipped as too many)
        let rules = [
            ("2000", "SECONDLY", None),
            ("2000", "MINUTELY", None),
            ("2000", "HOURLY;BYSECOND=1,2,3", None),
            ("2000", "HOURLY", Some(8760)),
            ("0001", "DAILY", Some(365)),
            ("2000", "DAILY;COUNT=4000000000", Some(365)),
            ("1990", "MINUTELY;COUNT=4000000000", None),
        ];
        for (year, freq, shifts) in rules {
            let feed = format!(
                "BEGIN:VEVENT\nDTSTART:{year}0101T000000Z\nDTEND:{year}0101T000001Z\nRRULE:FREQ={freq}\nSUMMARY:x\nEND:VEVENT\n"
            );
            let p = window(&feed);
            match shifts {
                Some(n) => assert_eq!((p.shifts.len(), p.skipped), (n, 0), "{freq}"),
                None => assert_eq!((p.shifts.len(), p.skipped), (0, 1), "{freq}: {:?}", p.notes),
            }
        }
    }

    #[test]
    fn cancelled_and_broken_events_do_not_count() {
        let feed = "BEGIN:VEVENT\nDTSTART:20260302T090000Z\nDTEND:20260303T090000Z\nSUMMARY:gone\nSTATUS:CANCELLED\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART;TZID=Mars/Olympus:20260302T090000\nDTEND:20260303T090000Z\nSUMMARY:x\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:tomorrow\nSUMMARY:y\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20260302T090000Z\nDTEND:20260303T090000Z\nSUMMARY:kept\nRRULE:FREQ=SOMETIMES\nEND:VEVENT\n\u{0}garbage\n";
        let p = window(feed);
        assert!(p.shifts.is_empty(), "{:?}", p.shifts);
        assert_eq!(p.skipped, 3);
    }
}
