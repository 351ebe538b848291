//! `TZID`s as calendar servers write them: IANA names (any case), Windows names from
//! Exchange/Outlook (`W. Europe Standard Time`, through CLDR's windowsZones table as the
//! `windows-timezones` crate carries it), globally unique vendor-prefixed names
//! (`/mozilla.org/20070129_1/America/New_York`, `/freeassociation.sourceforge.net/Tzfile/Europe/Berlin`)
//! reduced to their IANA tail, and, when none of these is known, the feed's own `VTIMEZONE`
//! evaluated from its `STANDARD`/`DAYLIGHT` rules.

use super::content::Component;
use super::recur::Rule;
use super::value;
use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    Iana(Tz),
    Custom(Arc<Custom>),
}

/// A zone defined by a `VTIMEZONE`: every change of offset, as (UTC seconds, offset after it).
#[derive(Debug, PartialEq)]
pub struct Custom {
    changes: Vec<(i64, i32)>,
    /// The offset before the first change.
    before: i32,
    /// Every offset the zone uses, each once.
    offsets: Vec<i32>,
}

impl Custom {
    fn offset_at(&self, utc: i64) -> i32 {
        match self.changes.partition_point(|(t, _)| *t <= utc) {
            0 => self.before,
            i => self.changes[i - 1].1,
        }
    }
}

impl Zone {
    pub const UTC: Zone = Zone::Iana(chrono_tz::UTC);

    /// A wall-clock time here as an instant (RFC 5545 §3.3.5): the earlier of two in a
    /// repeated hour; in a skipped hour, read with the offset from before the change.
    pub fn to_utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => Some(t.to_utc()),
                chrono::LocalResult::Ambiguous(a, b) => Some(a.to_utc().min(b.to_utc())),
                chrono::LocalResult::None => {
                    let before = tz.offset_from_utc_datetime(&local.checked_sub_signed(Duration::days(1))?).fix();
                    Some(local.checked_sub_signed(Duration::seconds(before.local_minus_utc().into()))?.and_utc())
                }
            },
            Zone::Custom(c) => {
                let secs = local.and_utc().timestamp();
                let fits =
                    c.offsets.iter().map(|o| secs - i64::from(*o)).filter(|t| i64::from(c.offset_at(*t)) == secs - t);
                let utc = match fits.min() {
                    Some(t) => t,
                    None => {
                        let widest = c.offsets.iter().copied().max().unwrap_or(0);
                        secs - i64::from(c.offset_at(secs - i64::from(widest) - 1))
                    }
                };
                DateTime::from_timestamp(utc, 0)
            }
        }
    }

    pub fn to_local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => t.with_timezone(tz).naive_local(),
            Zone::Custom(c) => {
                let naive = t.naive_utc();
                naive.checked_add_signed(Duration::seconds(c.offset_at(t.timestamp()).into())).unwrap_or(naive)
            }
        }
    }
}

/// A name that means a zone without looking at the feed: IANA (any case), Windows, or an
/// IANA name behind a vendor's prefix.
pub fn known(tzid: &str) -> Option<Tz> {
    let id = tzid.trim().trim_matches('"').trim();
    // The longest real name is ~30 characters and vendor prefixes are short: a long one is
    // no zone (and splitting it into every tail would be quadratic).
    if id.is_empty() || id.len() > 200 {
        return None;
    }
    if let Some(tz) = iana(id) {
        return Some(tz);
    }
    if let Ok(w) = id.parse::<windows_timezones::WindowsTimezone>() {
        return w.tzdb_id().parse().ok();
    }
    // `/mozilla.org/20070129_1/America/New_York`: the longest tail that is an IANA name.
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    (0..parts.len()).find_map(|i| {
        let tail = parts[i..].join("/");
        iana(&tail)
    })
}

/// An IANA name in any case (`Europe/lisbon` is seen in exports).
fn iana(id: &str) -> Option<Tz> {
    id.parse::<Tz>()
        .ok()
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().find(|tz| tz.name().eq_ignore_ascii_case(id)).copied())
}

/// The zone a `VTIMEZONE` describes, with its changes worked out up to `horizon`. Rules are
/// expanded within `budget` steps (shared with the rest of the feed).
pub fn custom(vtz: &Component, horizon: NaiveDateTime, budget: &mut usize) -> Result<Custom, String> {
    // (UTC seconds of the change, offset before, offset after)
    let mut changes: Vec<(i64, i32, i32)> = Vec::new();
    for obs in vtz.children.iter().filter(|c| c.name == "STANDARD" || c.name == "DAYLIGHT") {
        let what = |p: &str| format!("{} at line {}: {p}", obs.name, obs.line);
        let from = value::offset(&obs.get("TZOFFSETFROM").ok_or_else(|| what("no TZOFFSETFROM"))?.value)?;
        let to = value::offset(&obs.get("TZOFFSETTO").ok_or_else(|| what("no TZOFFSETTO"))?.value)?;
        let start = value::stamp(&obs.get("DTSTART").ok_or_else(|| what("no DTSTART"))?.value)?.naive();
        let mut onsets = vec![start];
        for r in obs.all("RRULE") {
            let rule = Rule::parse(&r.value)?;
            let until = rule.until_local(|utc| utc + Duration::seconds(from.into()));
            let stop = until.map_or(horizon, |u| u.min(horizon));
            onsets.extend(rule.starts(start, start, start, stop, budget)?);
        }
        for r in obs.all("RDATE") {
            for v in r.value.split(',') {
                onsets.push(value::stamp(v)?.naive());
            }
        }
        for onset in onsets {
            let utc = onset.and_utc().timestamp() - i64::from(from);
            changes.push((utc, from, to));
        }
    }
    changes.sort_unstable();
    changes.dedup_by_key(|c| c.0);
    let before = changes.first().map(|c| c.1).ok_or("a VTIMEZONE with no STANDARD or DAYLIGHT")?;
    let mut offsets: Vec<i32> = changes.iter().flat_map(|c| [c.1, c.2]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    Ok(Custom { changes: changes.into_iter().map(|(t, _, to)| (t, to)).collect(), before, offsets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_servers_write_them() {
        let berlin = Some(chrono_tz::Europe::Berlin);
        assert_eq!(known("Europe/Berlin"), berlin);
        assert_eq!(known("europe/berlin"), berlin);
        assert_eq!(known("\"W. Europe Standard Time\""), berlin);
        assert_eq!(known("/freeassociation.sourceforge.net/Europe/Berlin"), berlin);
        assert_eq!(known("/freeassociation.sourceforge.net/Tzfile/Europe/Berlin"), berlin);
        assert_eq!(known("/mozilla.org/20070129_1/America/New_York"), Some(chrono_tz::America::New_York));
        assert_eq!(
            known("/softwarestudio.org/Olson_20011030_5/America/Argentina/Buenos_Aires"),
            Some(chrono_tz::America::Argentina::Buenos_Aires)
        );
        assert_eq!(known("/Europe/Stockholm"), Some(chrono_tz::Europe::Stockholm));
        assert_eq!(known("posix/Europe/Vaduz"), Some(chrono_tz::Europe::Vaduz));
        assert_eq!(known("Eastern Standard Time"), Some(chrono_tz::America::New_York));
        assert_eq!(known("Customized Time Zone"), None);
        assert_eq!(known("/Europe/CUSTOM"), None);
        assert_eq!(known(""), None);
        assert_eq!(known(&"/a".repeat(100_000)), None);
    }

    #[test]
    fn an_iana_gap_reads_with_the_offset_before_it() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        let n = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // 02:30 does not exist on 29 March 2026: read at +01:00, it is 01:30 UTC (03:30 CEST).
        assert_eq!(berlin.to_utc(n("2026-03-29 02:30")).unwrap().to_rfc3339(), "2026-03-29T01:30:00+00:00");
        // 02:30 happens twice on 25 October: the first (CEST).
        assert_eq!(berlin.to_utc(n("2026-10-25 02:30")).unwrap().to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }
}
