//! Values (RFC 5545 §3.3): DATE, DATE-TIME, DURATION, PERIOD and UTC-OFFSET. Every number is
//! range-checked and every sum is checked, so a hostile value is an error, never a panic.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A DATE or DATE-TIME as written: the zone is applied later by whoever knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Date(NaiveDate),
    /// No `Z`: local time in the property's `TZID`, or floating without one.
    Local(NaiveDateTime),
    Utc(NaiveDateTime),
}

impl Stamp {
    pub fn naive(self) -> NaiveDateTime {
        match self {
            Stamp::Date(d) => d.and_time(NaiveTime::MIN),
            Stamp::Local(n) | Stamp::Utc(n) => n,
        }
    }
}

/// The ASCII digits at `range` of `s` (None when they are not all digits or not there: no
/// slicing inside a multi-byte character).
fn digits(s: &str, range: std::ops::Range<usize>) -> Option<u32> {
    let s = s.get(range)?;
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `19970714`, `19970714T133000`, `19970714T173000Z` (and `VALUE=DATE` is the first form).
pub fn stamp(v: &str) -> Result<Stamp, String> {
    let v = v.trim();
    let bad = || format!("{v:?} is not a date or date-time");
    let date = |s: &str| -> Option<NaiveDate> {
        if s.len() != 8 {
            return None;
        }
        NaiveDate::from_ymd_opt(digits(s, 0..4)? as i32, digits(s, 4..6)?, digits(s, 6..8)?)
    };
    let Some((d, t)) = v.split_once(['T', 't']) else {
        return date(v).map(Stamp::Date).ok_or_else(bad);
    };
    let d = date(d).ok_or_else(bad)?;
    let (t, utc) = match t.strip_suffix(['Z', 'z']) {
        Some(t) => (t, true),
        None => (t, false),
    };
    if t.len() != 6 {
        return Err(bad());
    }
    // A leap second (60) is read as 59: chrono would take it only as a fraction.
    let (h, m, s) =
        (digits(t, 0..2).ok_or_else(bad)?, digits(t, 2..4).ok_or_else(bad)?, digits(t, 4..6).ok_or_else(bad)?);
    let time = NaiveTime::from_hms_opt(h, m, s.min(59)).ok_or_else(bad)?;
    let n = d.and_time(time);
    Ok(if utc { Stamp::Utc(n) } else { Stamp::Local(n) })
}

/// A DURATION: nominal days (whole days of the calendar, which follow the wall clock across a
/// DST change) and exact seconds, as RFC 5545 §3.3.6 tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub days: i64,
    pub seconds: i64,
}

/// A hundred years: longer is no on-call shift, and keeps every later sum in range.
const MAX_DAYS: i64 = 36_525;

/// `P1W`, `P1D`, `PT12H`, `P1DT2H30M`, `-PT15M`, `+P2D`; weeks and days may share a value
/// (`P1W2D`), as several servers write them.
pub fn span(v: &str) -> Result<Span, String> {
    let raw = v.trim();
    let bad = |why: &str| format!("DURATION {raw:?} {why}");
    let (negative, body) = match raw.as_bytes().first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        _ => (false, raw),
    };
    let body = body.strip_prefix(['P', 'p']).ok_or_else(|| bad("does not start with P"))?;
    let (mut days, mut seconds, mut in_time, mut any, mut timed) = (0i64, 0i64, false, false, false);
    let mut num = String::new();
    for c in body.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && num.is_empty() => in_time = true,
            '0'..='9' if num.len() < 12 => num.push(c),
            '0'..='9' => return Err(bad("is out of range")),
            unit => {
                let n: i64 = std::mem::take(&mut num).parse().map_err(|_| bad("is not understood"))?;
                let (to_days, per) = match (unit, in_time) {
                    ('W', false) => (true, 7),
                    ('D', false) => (true, 1),
                    ('H', true) => (false, 3600),
                    ('M', true) => (false, 60),
                    ('S', true) => (false, 1),
                    _ => return Err(bad("is not understood")),
                };
                let add = n.checked_mul(per).ok_or_else(|| bad("is out of range"))?;
                timed |= !to_days;
                let total = if to_days { &mut days } else { &mut seconds };
                *total = total.checked_add(add).ok_or_else(|| bad("is out of range"))?;
                any = true;
            }
        }
    }
    if !num.is_empty() || !any || (in_time && !timed) {
        return Err(bad("is not understood"));
    }
    if days > MAX_DAYS || seconds / 86_400 > MAX_DAYS {
        return Err(bad("is out of range (over a hundred years)"));
    }
    Ok(if negative { Span { days: -days, seconds: -seconds } } else { Span { days, seconds } })
}

/// A PERIOD: `start/end` or `start/duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Until(Stamp, Stamp),
    For(Stamp, Span),
}

pub fn period(v: &str) -> Result<Period, String> {
    let (a, b) = v.trim().split_once('/').ok_or_else(|| format!("{v:?} is not a period"))?;
    let start = stamp(a)?;
    let b = b.trim();
    if b.starts_with(['P', 'p', '+', '-']) {
        Ok(Period::For(start, span(b)?))
    } else {
        Ok(Period::Until(start, stamp(b)?))
    }
}

/// A UTC-OFFSET in seconds: `+0100`, `-0500`, `+053000`; less than a day either way.
pub fn offset(v: &str) -> Result<i32, String> {
    let v = v.trim();
    let bad = || format!("{v:?} is not a UTC offset like +0100");
    let (sign, rest) = match v.as_bytes().first() {
        Some(b'+') => (1, &v[1..]),
        Some(b'-') => (-1, &v[1..]),
        _ => return Err(bad()),
    };
    if rest.len() != 4 && rest.len() != 6 {
        return Err(bad());
    }
    let h = digits(rest, 0..2).ok_or_else(bad)?;
    let m = digits(rest, 2..4).ok_or_else(bad)?;
    let s = if rest.len() == 6 { digits(rest, 4..6).ok_or_else(bad)? } else { 0 };
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60 + s) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_form_the_rfc_allows() {
        let d = |v| span(v).unwrap();
        assert_eq!(d("P1W"), Span { days: 7, seconds: 0 });
        assert_eq!(d("P15DT5H0M20S"), Span { days: 15, seconds: 5 * 3600 + 20 });
        assert_eq!(d("PT12H"), Span { days: 0, seconds: 43_200 });
        assert_eq!(d("+PT30M"), Span { days: 0, seconds: 1800 });
        assert_eq!(d("-P1DT1S"), Span { days: -1, seconds: -1 });
        assert_eq!(d("P1W2D"), Span { days: 9, seconds: 0 });
        for bad in ["", "P", "PT", "1D", "P1H", "PT1D", "P1DT", "P99999999999999W", "P9999999W", "PT999999999999S"] {
            assert!(span(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stamps_periods_and_offsets() {
        let n = |s| NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(stamp("20261225").unwrap(), Stamp::Date(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()));
        assert_eq!(stamp("20261225T090000").unwrap(), Stamp::Local(n("20261225T090000")));
        assert_eq!(stamp("20261225T090000Z").unwrap(), Stamp::Utc(n("20261225T090000")));
        for bad in ["2026122", "20261325", "20261225T9", "20261225T250000", "+20261225", "２０２６１２２５"] {
            assert!(stamp(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            period("19970101T180000Z/PT5H30M").unwrap(),
            Period::For(Stamp::Utc(n("19970101T180000")), Span { days: 0, seconds: 19_800 })
        );
        assert_eq!(
            period("19970101T180000Z/19970102T070000Z").unwrap(),
            Period::Until(Stamp::Utc(n("19970101T180000")), Stamp::Utc(n("19970102T070000")))
        );
        assert_eq!(offset("+0100"), Ok(3600));
        assert_eq!(offset("-053000"), Ok(-19_800));
        assert!(offset("+2400").is_err() && offset("0100").is_err());
    }
}
