//! Feeds in the shapes calendar servers export, written for these tests (each says whose
//! shape it imitates), and who is on call on both sides of a DST change.

use super::parse;
use crate::model::OnCall;
use chrono::{DateTime, Utc};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Who the feed puts on call at `at` (floating times read in `zone`), and what it skipped.
fn who(feed: &str, zone: &str, at: &str) -> (Option<String>, usize) {
    let at = utc(at);
    let p = parse(feed, zone.parse().unwrap(), at - chrono::Duration::days(2), at + chrono::Duration::days(62));
    (OnCall::from_shifts("s", 1, &p.shifts, at).person_now().map(str::to_owned), p.skipped)
}

fn on(feed: &str, at: &str) -> Option<String> {
    let (person, skipped) = who(feed, "UTC", at);
    assert_eq!(skipped, 0, "nothing in these feeds is broken");
    person
}

/// Outlook/Exchange: a Windows TZID, quoted, defined by a VTIMEZONE with the 1601 rules
/// Exchange writes, and X-MICROSOFT properties. Weekly handoff at 09:00 Berlin time.
const EXCHANGE: &str = "BEGIN:VCALENDAR\r
METHOD:PUBLISH\r
PRODID:Microsoft Exchange Server 2010\r
VERSION:2.0\r
X-WR-CALNAME:Ops rota\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
ORGANIZER;CN=Ops Lead:mailto:lead@example.com\r
RRULE:FREQ=WEEKLY;UNTIL=20270101T080000Z;INTERVAL=2;BYDAY=MO;WKST=MO\r
SUMMARY:On call: Anna\r
DTSTART;TZID=\"W. Europe Standard Time\":20260316T090000\r
DTEND;TZID=\"W. Europe Standard Time\":20260323T090000\r
UID:040000008200E00074C5B7101A82E00800000000A1\r
CLASS:PUBLIC\r
PRIORITY:5\r
TRANSP:OPAQUE\r
STATUS:CONFIRMED\r
X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r
X-MICROSOFT-CDO-IMPORTANCE:1\r
END:VEVENT\r
BEGIN:VEVENT\r
RRULE:FREQ=WEEKLY;UNTIL=20270101T080000Z;INTERVAL=2;BYDAY=MO;WKST=MO\r
SUMMARY:On call: Ben\r
DTSTART;TZID=\"W. Europe Standard Time\":20260323T090000\r
DTEND;TZID=\"W. Europe Standard Time\":20260330T090000\r
UID:040000008200E00074C5B7101A82E00800000000B2\r
X-MICROSOFT-CDO-BUSYSTATUS:FREE\r
END:VEVENT\r
END:VCALENDAR\r
";

#[test]
fn exchange_windows_tzid_across_the_spring_change() {
    // Ben's week starts 23 March 09:00 CET (08:00 UTC) and ends 30 March 09:00 CEST (07:00 UTC).
    assert_eq!(on(EXCHANGE, "2026-03-23T07:59:00Z").as_deref(), Some("On call: Anna"));
    assert_eq!(on(EXCHANGE, "2026-03-23T08:00:00Z").as_deref(), Some("On call: Ben"));
    assert_eq!(on(EXCHANGE, "2026-03-30T06:59:00Z").as_deref(), Some("On call: Ben"));
    assert_eq!(on(EXCHANGE, "2026-03-30T07:00:00Z").as_deref(), Some("On call: Anna"));
    // And back in autumn: 26 October 09:00 CET is 08:00 UTC again.
    assert_eq!(on(EXCHANGE, "2026-10-26T07:59:00Z").as_deref(), Some("On call: Ben"));
    assert_eq!(on(EXCHANGE, "2026-10-26T08:00:00Z").as_deref(), Some("On call: Anna"));
}

/// The same rota without the VTIMEZONE (Exchange web-service exports often leave it out):
/// the Windows name alone is enough, through CLDR's table.
#[test]
fn a_windows_name_without_its_vtimezone() {
    let start = EXCHANGE.find("BEGIN:VTIMEZONE").unwrap();
    let end = EXCHANGE.find("END:VTIMEZONE\r\n").unwrap() + "END:VTIMEZONE\r\n".len();
    let bare = format!("{}{}", &EXCHANGE[..start], &EXCHANGE[end..]);
    assert_eq!(on(&bare, "2026-03-30T06:59:00Z").as_deref(), Some("On call: Ben"));
    assert_eq!(on(&bare, "2026-03-30T07:00:00Z").as_deref(), Some("On call: Anna"));
}

/// Thunderbird/Lightning: a globally unique `/mozilla.org/…` TZID, X-LIC-LOCATION, an
/// alarm inside each event (whose DESCRIPTION, SUMMARY and DURATION are the alarm's own).
const LIGHTNING: &str = "BEGIN:VCALENDAR
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:/mozilla.org/20070129_1/America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
CREATED:20260201T120000Z
LAST-MODIFIED:20260201T120000Z
DTSTAMP:20260201T120000Z
UID:6a0c3c5e-1b7d-4c8e-9f41-lightning-1
ATTENDEE;CN=Carla Diaz;PARTSTAT=ACCEPTED:mailto:carla@example.com
DTSTART;TZID=/mozilla.org/20070129_1/America/New_York:20260305T180000
RRULE:FREQ=DAILY;COUNT=6
X-MOZ-GENERATION:1
BEGIN:VALARM
ACTION:EMAIL
SUMMARY:Reminder: the pager is yours
DESCRIPTION:Take the pager
ATTENDEE:mailto:carla@example.com
TRIGGER;VALUE=DURATION:-PT15M
DURATION:PT5M
REPEAT:2
END:VALARM
DTEND;TZID=/mozilla.org/20070129_1/America/New_York:20260306T060000
END:VEVENT
END:VCALENDAR
";

#[test]
fn lightning_export_with_an_alarm_in_new_york_across_the_spring_change() {
    // Nights 18:00–06:00 New York; the clocks go forward on 8 March. The person is the
    // attendee (the alarm's SUMMARY is not the event's) and each night is 12 wall-clock
    // hours (not the alarm's 5-minute DURATION).
    let night = |at| on(LIGHTNING, at);
    assert_eq!(night("2026-03-07T23:01:00Z").as_deref(), Some("Carla Diaz"), "18:01 EST");
    assert_eq!(night("2026-03-08T09:59:00Z").as_deref(), Some("Carla Diaz"), "05:59 EDT, 11 h later");
    assert_eq!(night("2026-03-08T10:00:00Z"), None, "06:00 EDT");
    assert_eq!(night("2026-03-08T22:00:00Z").as_deref(), Some("Carla Diaz"), "18:00 EDT");
    assert_eq!(night("2026-03-08T21:59:00Z"), None, "17:59 EDT");
}

/// A feed's own zone under a name nothing knows, with its own rules: +03:00, +04:00 from the
/// second Sunday of April 02:00 to the first Sunday of October 03:00 (the shape Nextcloud and
/// Google write for a zone they got from an import).
const CUSTOM: &str = "BEGIN:VCALENDAR
PRODID:-//Nextcloud calendar v4.7.0
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Ops Standard Time
BEGIN:STANDARD
DTSTART:20001001T030000
TZOFFSETFROM:+0400
TZOFFSETTO:+0300
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20000409T020000
TZOFFSETFROM:+0300
TZOFFSETTO:+0400
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=2SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:custom-1
SUMMARY:dora
DTSTART;TZID=Ops Standard Time:20260406T080000
DURATION:P1D
RRULE:FREQ=DAILY;INTERVAL=2
END:VEVENT
BEGIN:VEVENT
UID:custom-2
SUMMARY:emil
DTSTART;TZID=Ops Standard Time:20260407T080000
DURATION:P1D
RRULE:FREQ=DAILY;INTERVAL=2
END:VEVENT
END:VCALENDAR
";

#[test]
fn a_custom_vtimezone_with_its_own_dst_rules() {
    // 2026: DST starts 12 April. 08:00 is 05:00 UTC before, 04:00 UTC after.
    assert_eq!(on(CUSTOM, "2026-04-10T04:59:00Z").as_deref(), Some("emil"));
    assert_eq!(on(CUSTOM, "2026-04-10T05:00:00Z").as_deref(), Some("dora"));
    // P1D is a calendar day: the one across the change is 23 h.
    assert_eq!(on(CUSTOM, "2026-04-12T03:59:00Z").as_deref(), Some("emil"), "07:59 +04:00: emil's day was 23 h");
    assert_eq!(on(CUSTOM, "2026-04-12T04:00:00Z").as_deref(), Some("dora"), "08:00 +04:00");
    assert_eq!(on(CUSTOM, "2026-04-13T03:59:00Z").as_deref(), Some("dora"));
    assert_eq!(on(CUSTOM, "2026-04-13T04:00:00Z").as_deref(), Some("emil"));
    // October's first Sunday is the 4th: emil's day from 08:00 +04:00 lasts 25 h.
    assert_eq!(on(CUSTOM, "2026-10-05T04:30:00Z").as_deref(), Some("emil"), "07:30 +03:00");
    assert_eq!(on(CUSTOM, "2026-10-05T05:00:00Z").as_deref(), Some("dora"), "08:00 +03:00");
}

/// RDATE with PERIOD values (RFC 5545 §3.8.5.2) beside dates, in Berlin, across the autumn
/// change: each period has its own end; the others take the event's length.
const PERIODS: &str = "BEGIN:VCALENDAR
PRODID:-//hand made//EN
BEGIN:VEVENT
UID:periods-1
SUMMARY:[L1] finn
DTSTART;TZID=Europe/Berlin:20261017T200000
DTEND;TZID=Europe/Berlin:20261018T080000
RDATE;TZID=Europe/Berlin;VALUE=PERIOD:20261024T200000/PT12H,20261030T200000/20261031T100000
RDATE;TZID=Europe/Berlin:20261107T200000
END:VEVENT
END:VCALENDAR
";

#[test]
fn rdate_periods_across_the_autumn_change() {
    // 24 October 20:00 CEST (18:00 UTC) + 12 exact hours = 06:00 UTC, 07:00 CET.
    assert_eq!(on(PERIODS, "2026-10-24T17:59:00Z"), None);
    assert_eq!(on(PERIODS, "2026-10-25T05:59:00Z").as_deref(), Some("finn"));
    assert_eq!(on(PERIODS, "2026-10-25T06:00:00Z"), None);
    // The second period ends at its own 10:00 CET.
    assert_eq!(on(PERIODS, "2026-10-31T08:59:00Z").as_deref(), Some("finn"));
    assert_eq!(on(PERIODS, "2026-10-31T09:00:00Z"), None);
    // A plain RDATE takes DTEND's wall-clock length: 20:00 to 08:00 CET.
    assert_eq!(on(PERIODS, "2026-11-08T06:59:00Z").as_deref(), Some("finn"));
    assert_eq!(on(PERIODS, "2026-11-08T07:00:00Z"), None);
}

/// Google Calendar: all-day on-call weeks (DATE values), a series changed from one week on
/// (RANGE=THISANDFUTURE, as Outlook and Exchange write it), a cancelled instance, an EXDATE
/// list, and a transparent note that puts nobody on call. Floating dates are read in the
/// schedule's zone.
const GOOGLE: &str = "BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
X-WR-TIMEZONE:America/New_York
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261026
DTEND;VALUE=DATE:20261102
RRULE:FREQ=WEEKLY
EXDATE;VALUE=DATE:20261116,20261123
UID:g-1@google.com
SUMMARY:gus
SEQUENCE:0
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261102
DTEND;VALUE=DATE:20261109
RECURRENCE-ID;VALUE=DATE:20261102
UID:g-1@google.com
SUMMARY:gus
STATUS:CANCELLED
SEQUENCE:1
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261208
DTEND;VALUE=DATE:20261214
RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20261207
UID:g-1@google.com
SUMMARY:hana
SEQUENCE:2
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20261027
DTEND;VALUE=DATE:20261028
UID:g-2@google.com
SUMMARY:Team offsite (note)
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
";

#[test]
fn google_all_day_weeks_with_exceptions_in_new_york() {
    let at = |t| who(GOOGLE, "America/New_York", t);
    // Midnight New York is 04:00 UTC before 1 November, 05:00 UTC after.
    assert_eq!(at("2026-10-26T03:59:00Z"), (None, 0));
    assert_eq!(at("2026-10-26T04:00:00Z"), (Some("gus".into()), 0), "the note beside it is free time");
    assert_eq!(at("2026-11-02T04:59:00Z"), (Some("gus".into()), 0), "23:59 EST on 1 November");
    assert_eq!(at("2026-11-02T05:00:00Z"), (None, 0), "the week of 2 November is cancelled");
    assert_eq!(at("2026-11-09T05:00:00Z"), (Some("gus".into()), 0));
    assert_eq!(at("2026-11-17T12:00:00Z"), (None, 0), "EXDATE");
    assert_eq!(at("2026-11-24T12:00:00Z"), (None, 0), "EXDATE, second in the list");
    // From 7 December on, each week moves a day later, is six days long, and is hana's.
    assert_eq!(at("2026-12-07T12:00:00Z"), (None, 0));
    assert_eq!(at("2026-12-08T12:00:00Z"), (Some("hana".into()), 0));
    assert_eq!(at("2026-12-14T12:00:00Z"), (None, 0), "six days");
    assert_eq!(at("2026-12-15T12:00:00Z"), (Some("hana".into()), 0), "the next week too");
}

#[test]
fn bad_events_are_skipped_and_counted_the_rest_still_counts() {
    let feed = "BEGIN:VCALENDAR
BEGIN:VEVENT
UID:ok
SUMMARY:ivy
DTSTART:20261101T000000Z
DURATION:P7D
EXDATE:20261108T000000Z,not-a-date
END:VEVENT
BEGIN:VEVENT
UID:huge
SUMMARY:x
DTSTART:20261101T000000Z
DURATION:P9999999999999W
END:VEVENT
BEGIN:VEVENT
UID:mars
SUMMARY:y
DTSTART;TZID=Mars/Olympus_Mons:20261101T000000
DURATION:PT1H
END:VEVENT
BEGIN:VEVENT
UID:backwards
SUMMARY:z
DTSTART:20261101T000000Z
DTEND:20261031T000000Z
END:VEVENT
END:VCALENDAR
";
    let at = utc("2026-11-03T00:00:00Z");
    let p = parse(feed, chrono_tz::UTC, at - chrono::Duration::days(2), at + chrono::Duration::days(62));
    assert_eq!(p.shifts.len(), 1, "{:?}", p.shifts);
    assert_eq!(p.skipped, 4, "{:?}", p.notes);
    assert_eq!(
        p.notes,
        [
            "line 9: event \"huge\": DURATION \"P9999999999999W\" is out of range; skipped",
            "line 15: event \"mars\": unknown TZID \"Mars/Olympus_Mons\"; skipped",
            "line 21: event \"backwards\": it ends before it starts; skipped",
            "line 7: EXDATE: \"not-a-date\" is not a date or date-time; that exclusion skipped",
        ]
    );
}
