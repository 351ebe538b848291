//! Property-based tests of the iCalendar reader over generated and mutated feeds: it never
//! panics, its output stays bounded (shifts, notes), every shift it gives is a real stretch,
//! and a good event after any amount of junk is either read or its loss is counted.
//!
//! The feeds are built from the pieces calendar servers write (VTIMEZONE rules, RRULE parts,
//! RDATE periods, alarms, RECURRENCE-ID ranges) with hostile values mixed in (year 0 and
//! 9999, 13th months, 64-bit durations and counts, unknown zones), then mutated (lines
//! dropped, doubled, swapped, bytes inserted, the feed cut short).
//!
//! `cargo test --test suite ical_props::` runs a few thousand cases; the benchmark-style run,
//! `cargo test --release --test suite ical_props:: -- --ignored`, runs 100,000 and prints the
//! slowest case's time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use klaxon::oncall::ical::{self, MAX_NOTES, MAX_SHIFTS};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

fn pick<'a>(g: &mut Gen, from: &[&'a str]) -> &'a str {
    g.choose(from).copied().unwrap_or_default()
}

fn num(g: &mut Gen, max: u64) -> u64 {
    u64::arbitrary(g) % (max + 1)
}

fn date(g: &mut Gen) -> String {
    let year = pick(g, &["0000", "0001", "1601", "1969", "1970", "1997", "2025", "2026", "2026", "2027", "9999"]);
    let (m, d) = if num(g, 9) == 0 { (num(g, 99), num(g, 99)) } else { (1 + num(g, 11), 1 + num(g, 27)) };
    format!("{year}{m:02}{d:02}")
}

fn date_time(g: &mut Gen) -> String {
    let (h, mi, s) =
        if num(g, 9) == 0 { (num(g, 99), num(g, 99), num(g, 99)) } else { (num(g, 23), num(g, 59), num(g, 60)) };
    let z = if bool::arbitrary(g) { "Z" } else { "" };
    format!("{}T{h:02}{mi:02}{s:02}{z}", date(g))
}

fn stamp(g: &mut Gen) -> String {
    match num(g, 5) {
        0 => date(g),
        1 => pick(g, &["", "tomorrow", "2026-03-29", "20260329T", "20260329T0900", "２０２６０３２９"]).to_owned(),
        _ => date_time(g),
    }
}

fn count(g: &mut Gen) -> String {
    pick(
        g,
        &["0", "1", "2", "7", "52", "65535", "65536", "4294967295", "4294967296", "99999999999999999999", "-1", "x"],
    )
    .to_owned()
}

fn duration(g: &mut Gen) -> String {
    let sign = pick(g, &["", "", "", "-", "+"]);
    let body = match num(g, 6) {
        0 => format!("{}W", count(g)),
        1 => format!("{}D", count(g)),
        2 => format!("T{}H", count(g)),
        3 => format!("{}DT{}H{}M{}S", count(g), count(g), count(g), count(g)),
        4 => format!("T{}M", count(g)),
        5 => pick(g, &["", "T", "1D", "DT", "1W2D", "T1H1D"]).to_owned(),
        _ => format!("{}W{}D", count(g), count(g)),
    };
    format!("{sign}P{body}")
}

fn rrule(g: &mut Gen) -> String {
    let mut parts = vec![format!(
        "FREQ={}",
        pick(g, &["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "MINUTELY", "SECONDLY", "SOMETIMES"])
    )];
    for _ in 0..num(g, 4) {
        parts.push(match num(g, 11) {
            0 => format!("INTERVAL={}", count(g)),
            1 => format!("COUNT={}", count(g)),
            2 => format!("UNTIL={}", stamp(g)),
            3 => format!("BYDAY={}", pick(g, &["MO", "MO,WE,FR", "-1SU", "2SU", "53MO", "XX", "+1TU,-2TH"])),
            4 => format!("BYMONTHDAY={}", pick(g, &["1", "-1", "31", "0", "32", "15,30"])),
            5 => format!("BYMONTH={}", pick(g, &["1", "2", "12", "13", "0", "3,10"])),
            6 => format!("BYSETPOS={}", pick(g, &["1", "-1", "366", "-367", "0"])),
            7 => format!("BYHOUR={}", pick(g, &["0", "9", "23", "24", "0,12"])),
            8 => format!("BYWEEKNO={}", pick(g, &["1", "53", "-53", "54"])),
            9 => format!("BYYEARDAY={}", pick(g, &["1", "366", "-366", "367"])),
            10 => format!("WKST={}", pick(g, &["MO", "SU", "XX"])),
            _ => pick(g, &["BYMINUTE=0", "BYSECOND=0,30", "X-NAME=1", "", "BYEASTER=0"]).to_owned(),
        });
    }
    parts.join(";")
}

fn tzid(g: &mut Gen) -> String {
    pick(
        g,
        &[
            "Europe/Berlin",
            "america/new_york",
            "W. Europe Standard Time",
            "\"Pacific Standard Time\"",
            "/mozilla.org/20070129_1/America/New_York",
            "/freeassociation.sourceforge.net/Tzfile/Europe/Berlin",
            "Custom Zone",
            "Other Zone",
            "Mars/Olympus",
            "",
            "/",
        ],
    )
    .to_owned()
}

fn offset(g: &mut Gen) -> String {
    pick(g, &["+0100", "+0200", "-0500", "-0400", "+0530", "+1400", "+2400", "-9999", "0100", "+01", "+01000000"])
        .to_owned()
}

fn vtimezone(g: &mut Gen, lines: &mut Vec<String>) {
    lines.push("BEGIN:VTIMEZONE".into());
    lines.push(format!("TZID:{}", pick(g, &["Custom Zone", "Other Zone", "Europe/Berlin"])));
    for _ in 0..num(g, 3) {
        let kind = pick(g, &["STANDARD", "DAYLIGHT"]);
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", stamp(g)));
        lines.push(format!("TZOFFSETFROM:{}", offset(g)));
        lines.push(format!("TZOFFSETTO:{}", offset(g)));
        match num(g, 2) {
            0 => lines.push(format!("RRULE:{}", rrule(g))),
            1 => lines.push(format!("RDATE:{},{}", stamp(g), stamp(g))),
            _ => {}
        }
        lines.push(format!("END:{kind}"));
    }
    lines.push("END:VTIMEZONE".into());
}

fn with_zone(g: &mut Gen, name: &str, value: String) -> String {
    match num(g, 3) {
        0 => format!("{name};TZID={}:{value}", tzid(g)),
        1 => format!("{name};VALUE=DATE:{value}"),
        _ => format!("{name}:{value}"),
    }
}

fn vevent(g: &mut Gen, lines: &mut Vec<String>) {
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", pick(g, &["a", "a", "b", "c"])));
    if num(g, 5) > 0 {
        lines.push(format!("SUMMARY:{}", pick(g, &["On Call - Ann - Primary", "[L1] bo", "cy", "", "\\n\u{1b}[31m"])));
    }
    if num(g, 5) > 0 {
        let v = stamp(g);
        lines.push(with_zone(g, "DTSTART", v));
    }
    match num(g, 3) {
        0 => {
            let v = stamp(g);
            lines.push(with_zone(g, "DTEND", v))
        }
        1 => lines.push(format!("DURATION:{}", duration(g))),
        _ => {}
    }
    for _ in 0..num(g, 5) {
        lines.push(match num(g, 8) {
            0 | 1 => format!("RRULE:{}", rrule(g)),
            2 => {
                let v = format!("{},{}", stamp(g), stamp(g));
                with_zone(g, "EXDATE", v)
            }
            3 => {
                let v = format!("{},{}", stamp(g), stamp(g));
                with_zone(g, "RDATE", v)
            }
            4 => format!("RDATE;VALUE=PERIOD:{}/{},{}/{}", stamp(g), stamp(g), stamp(g), duration(g)),
            5 => format!("RECURRENCE-ID{}:{}", pick(g, &["", ";RANGE=THISANDFUTURE", ";VALUE=DATE"]), stamp(g)),
            6 => format!("STATUS:{}", pick(g, &["CANCELLED", "CONFIRMED", "TENTATIVE"])),
            7 => format!("TRANSP:{}", pick(g, &["TRANSPARENT", "OPAQUE"])),
            _ => format!("SEQUENCE:{}", count(g)),
        });
    }
    if bool::arbitrary(g) {
        lines.extend(
            ["BEGIN:VALARM", "TRIGGER:-PT15M", "ACTION:DISPLAY", "SUMMARY:alarm"]
                .map(String::from)
                .into_iter()
                .chain([format!("DURATION:{}", duration(g)), "END:VALARM".into()]),
        );
    }
    lines.push("END:VEVENT".into());
}

/// A generated feed, mutated.
#[derive(Debug, Clone)]
struct Feed(String);

impl Arbitrary for Feed {
    fn arbitrary(g: &mut Gen) -> Feed {
        let mut lines = vec!["BEGIN:VCALENDAR".to_owned(), "VERSION:2.0".to_owned()];
        for _ in 0..num(g, 2) {
            vtimezone(g, &mut lines);
        }
        for _ in 0..1 + num(g, 5) {
            vevent(g, &mut lines);
        }
        lines.push("END:VCALENDAR".into());
        for _ in 0..num(g, 4) {
            if lines.is_empty() {
                break;
            }
            let i = num(g, lines.len() as u64 - 1) as usize;
            match num(g, 6) {
                0 => drop(lines.remove(i)),
                1 => lines.insert(i, lines[i].clone()),
                2 => {
                    let j = num(g, lines.len() as u64 - 1) as usize;
                    lines.swap(i, j)
                }
                3 => {
                    let mut chars: Vec<char> = lines[i].chars().collect();
                    let at = num(g, chars.len() as u64) as usize;
                    chars.insert(
                        at,
                        *g.choose(&['\0', ':', ';', '"', ',', '/', 'é', '\u{202e}', ' ', 'T', 'Z']).unwrap_or(&'x'),
                    );
                    lines[i] = chars.into_iter().collect();
                }
                4 => lines.insert(i, " folded continuation".into()),
                5 => lines.truncate(i),
                _ => lines.insert(i, pick(g, &["BEGIN:VEVENT", "END:VEVENT", "BEGIN:X", "END:VCALENDAR"]).into()),
            }
        }
        let sep = if bool::arbitrary(g) { "\r\n" } else { "\n" };
        Feed(lines.join(sep))
    }
}

/// A good on-call event, appended after whatever came before.
const GOOD: &str = "\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:good\nSUMMARY:zed\nDTSTART:20260301T000000Z\nDTEND:20270301T000000Z\nEND:VEVENT\nEND:VCALENDAR\n";

fn at(hours: u16) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::hours(i64::from(hours % 8000))
}

fn bounded(feed: Feed, hours: u16) -> TestResult {
    let at = at(hours);
    let p = ical::parse(&feed.0, chrono_tz::Europe::Berlin, at - Duration::days(2), at + Duration::days(62));
    let sorted = p.shifts.windows(2).all(|w| w[0].start <= w[1].start);
    TestResult::from_bool(
        p.shifts.len() <= MAX_SHIFTS
            && p.notes.len() <= MAX_NOTES.min(p.skipped)
            && sorted
            && p.shifts.iter().all(|s| s.start < s.end && !s.person.chars().any(char::is_control)),
    )
}

fn good_event_is_read_or_its_loss_counted(feed: Feed, hours: u16) -> TestResult {
    let at = at(hours);
    let text = format!("{}{GOOD}", feed.0);
    let p = ical::parse(&text, chrono_tz::UTC, at - Duration::days(2), at + Duration::days(62));
    let zed = p.shifts.iter().any(|s| s.person == "zed" && s.covers(at));
    TestResult::from_bool(zed || p.skipped > 0)
}

fn run(cases: u64) {
    QuickCheck::new().tests(cases).max_tests(cases).quickcheck(bounded as fn(Feed, u16) -> TestResult);
    QuickCheck::new()
        .tests(cases / 4)
        .max_tests(cases / 4)
        .quickcheck(good_event_is_read_or_its_loss_counted as fn(Feed, u16) -> TestResult);
}

#[test]
fn generated_and_mutated_feeds_never_panic_and_stay_bounded() {
    run(2000);
}

/// Prints the count and the slowest case (a figure for the README, not an assertion).
#[test]
#[ignore = "benchmark-style: 100,000 cases: cargo test --release --test suite ical_props:: -- --ignored"]
fn a_hundred_thousand_feeds() {
    let started = std::time::Instant::now();
    run(100_000);
    let mut g = Gen::new(100);
    let mut slowest = std::time::Duration::ZERO;
    for i in 0..10_000u16 {
        let feed = Feed::arbitrary(&mut g);
        let t = std::time::Instant::now();
        let _ = bounded(feed, i);
        slowest = slowest.max(t.elapsed());
    }
    // Peak memory of the whole run (Linux), to say "bounded" with a number.
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "ical_props: 100,000 + 25,000 property cases passed in {:.1?}; slowest of 10,000 more feeds: {slowest:.1?}; peak memory {peak}",
        started.elapsed()
    );
}
