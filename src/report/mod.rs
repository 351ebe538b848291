//! Reports: what the store's timeline adds up to. [`summary`] gives the lead trends (alerts
//! and pages per week, MTTA and MTTR, against the previous period), [`noise`] the team's
//! noisiest alerts with a suggested fix, [`oncall`] the audit of who was on call and woken
//! (a payroll CSV). The database aggregates ([`crate::store::report`]); these modules add
//! what only Rust knows (schedules, people, time zones) and shape the answer;
//! [`format`] prints it as a table, JSON, CSV or Markdown.

pub mod format;
pub mod noise;
pub mod oncall;
pub mod summary;

pub use crate::store::report::{MatchField, MatchOp, Matcher, OffsetFrom, ReportQuery};

use crate::config::KeyPath;
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// `[reports]`: what every report shares.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// The team's time zone: night (22:00–07:00) and weekend firings in the noise report and
    /// the Reports view. `klaxon report noise --time-zone` overrides it; default UTC.
    pub time_zone: Option<String>,
}

impl ReportsConfig {
    pub fn validate(&self, at: &dyn Fn(&str) -> KeyPath, problems: &mut Vec<(KeyPath, String)>) {
        if let Some(Err(e)) = self.time_zone.as_deref().map(crate::oncall::rotation::parse_tz) {
            problems.push((at("time_zone"), e));
        }
    }

    /// The team's zone (validated when the config loaded; UTC when unset).
    pub fn zone(&self) -> Tz {
        self.time_zone.as_deref().and_then(|z| crate::oncall::rotation::parse_tz(z).ok()).unwrap_or(chrono_tz::UTC)
    }
}

/// What the console's Reports view shows: the summary and the noisiest alerts, night and
/// weekend read in the team's zone.
pub fn view_data(
    store: &dyn crate::store::Store,
    q: &ReportQuery,
    zone: Tz,
) -> Result<(summary::Summary, noise::Noise), crate::store::StoreError> {
    Ok((summary::summary(store, q)?, noise::noise(store, q, 15 * 60, zone)?))
}

/// `--since`/`--until`: "now", a duration ago ("30d", "2w", "12h"), a date (midnight UTC)
/// or an RFC 3339 time.
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if t == "now" {
        return Ok(now);
    }
    if let Ok(i) = DateTime::parse_from_rfc3339(t) {
        return Ok(i.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)));
    }
    humantime::parse_duration(t)
        .ok()
        .and_then(|d| Duration::from_std(d).ok())
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(|| format!("{s:?} is not \"now\", a duration ago like \"30d\", a date like 2026-03-01 or RFC 3339"))
}

/// The period `--since … --until …`; the start must come before the end.
pub fn period(since: &str, until: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let s = parse_time(since, now).map_err(|e| format!("--since: {e}"))?;
    let u = parse_time(until, now).map_err(|e| format!("--until: {e}"))?;
    if s >= u {
        return Err(format!(
            "--since {since} ({}) is not before --until {until} ({}): the period would be empty",
            stamp(s),
            stamp(u)
        ));
    }
    Ok((s, u))
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Matchers like `service=api`, `source!=demo`, `severity>=high`, `alertname=DiskFull`.
pub fn parse_matchers(args: &[String]) -> Result<Vec<Matcher>, String> {
    args.iter().map(|a| parse_matcher(a)).collect()
}

fn parse_matcher(arg: &str) -> Result<Matcher, String> {
    let ops = [
        (">=", MatchOp::Ge),
        ("<=", MatchOp::Le),
        ("!=", MatchOp::Ne),
        ("=", MatchOp::Eq),
        (">", MatchOp::Gt),
        ("<", MatchOp::Lt),
    ];
    let found = arg
        .char_indices()
        .find_map(|(i, _)| ops.iter().find(|(o, _)| arg[i..].starts_with(o)).map(|(o, op)| (i, o.len(), *op)));
    let Some((i, len, op)) = found else {
        return Err(format!("{arg:?} is not a matcher like service=api, source!=demo or severity>=high"));
    };
    let (name, value) = (arg[..i].trim(), arg[i + len..].trim().trim_matches('"'));
    let field = MatchField::parse(name).ok_or_else(|| {
        format!("unknown matcher field {name:?} in {arg:?}: a report matches on {}", MatchField::NAMES)
    })?;
    if value.is_empty() {
        return Err(format!("{arg:?} has no value after {:?}", &arg[i..i + len]));
    }
    if field == MatchField::Severity {
        value.parse::<crate::model::Severity>().map_err(|e| format!("{arg:?}: {e}"))?;
    } else if !matches!(op, MatchOp::Eq | MatchOp::Ne) {
        return Err(format!("{arg:?}: only severity takes <, <=, > or >=; {name} takes = or !="));
    }
    Ok(Matcher { field, op, value: value.to_owned() })
}

/// The UTC offsets a zone has over `[since, until)`: the one in force a day before, then
/// each change (to the second).
pub fn offsets(tz: Tz, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<OffsetFrom> {
    let off = |t: DateTime<Utc>| i64::from(tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc());
    let start = since - Duration::days(1);
    let end = until + Duration::days(1);
    let mut out = vec![OffsetFrom { from: start, offset_s: off(start) }];
    let mut t = start;
    while t < end {
        let next = t + Duration::hours(1);
        let o = off(next);
        if o != out[out.len() - 1].offset_s {
            // The change lies in (t, next]: narrow it to the second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == o { hi = mid } else { lo = mid }
            }
            out.push(OffsetFrom { from: hi, offset_s: o });
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn since_after_until_names_both() {
        let e = period("2026-03-10", "2026-03-01", now()).unwrap_err();
        assert_eq!(
            e,
            "--since 2026-03-10 (2026-03-10T00:00:00Z) is not before --until 2026-03-01 (2026-03-01T00:00:00Z): \
             the period would be empty"
        );
        assert_eq!(period("30d", "now", now()).unwrap().0, Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap());
    }

    #[test]
    fn unknown_matcher_field_is_named() {
        let e = parse_matchers(&["team=db".into()]).unwrap_err();
        assert!(e.starts_with("unknown matcher field \"team\" in \"team=db\""), "{e}");
        let m = parse_matchers(&["severity>=high".into(), "alertname!=Disk".into()]).unwrap();
        assert_eq!(
            (m[0].field, m[0].op, m[1].field, m[1].op),
            (MatchField::Severity, MatchOp::Ge, MatchField::Name, MatchOp::Ne)
        );
        assert!(parse_matchers(&["service>=a".into()]).is_err());
    }

    #[test]
    fn offsets_find_the_dst_changes_to_the_second() {
        let since = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
        let until = Utc.with_ymd_and_hms(2026, 4, 5, 0, 0, 0).unwrap();
        let o = offsets(chrono_tz::Europe::Berlin, since, until);
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].offset_s, o[1].offset_s), (3600, 7200));
        assert_eq!(o[1].from, Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap());
    }
}
