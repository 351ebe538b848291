//! RFC 3339 timestamps in serde, the text chrono's own impls write and the values they read,
//! made cheaper where a list writes and reads 100,000 of them: chrono writes through a
//! `Display` that hands serde_json one character at a time (each checked for escaping), and
//! reads with its relaxed parser. Here the text is made whole, then written once, and the
//! strict RFC 3339 parser is tried first (the relaxed one decides anything it refuses, so
//! what reads and its errors are chrono's). Use with `#[serde(with = "timestamp")]`.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserializer, Serializer, de};

/// What `DateTime<Utc>`'s own `Serialize` writes, e.g. `2026-12-03T10:00:00.064Z`.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&text(t))
}

pub fn text(t: &DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(32);
    write(&mut out, t);
    // ASCII digits, or chrono's own text: always UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// [`text`] at the end of `out`, digit by digit: chrono's formatting machinery, and a
/// `String` for each, were a tenth of writing 50,000 alerts. Years outside 0000–9999 and
/// leap seconds, which chrono writes in forms of their own, are left to chrono.
pub fn write(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return out.extend_from_slice(t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes());
    }
    let two = |out: &mut Vec<u8>, n: u32| out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
    let year = year as u32;
    two(out, year / 100);
    two(out, year % 100);
    for (sep, n) in [(b'-', t.month()), (b'-', t.day()), (b'T', t.hour()), (b':', t.minute()), (b':', t.second())] {
        out.push(sep);
        two(out, n);
    }
    // AutoSi: the fraction in as many groups of three digits as it needs, none when whole.
    let digits = match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    if digits > 0 {
        let mut fraction = [0u8; 9];
        let mut n = nanos;
        for d in fraction.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.push(b'.');
        out.extend_from_slice(&fraction[..digits]);
    }
    out.push(b'Z');
}

/// What `DateTime<Utc>`'s own `Deserialize` reads, with its errors.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(Rfc3339)
}

/// The same for an optional timestamp (`null` or absent is None, with `#[serde(default)]`).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&text(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        d.deserialize_option(MaybeRfc3339)
    }
}

struct Rfc3339;

impl<'de> de::Visitor<'de> for Rfc3339 {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = DateTime::parse_from_rfc3339(v).or_else(|_| v.parse::<DateTime<FixedOffset>>());
        t.map(|t| t.with_timezone(&Utc)).map_err(E::custom)
    }
}

struct MaybeRfc3339;

impl<'de> de::Visitor<'de> for MaybeRfc3339 {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Ours {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(default, with = "super::option")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Chronos {
        at: DateTime<Utc>,
        #[serde(default)]
        maybe: Option<DateTime<Utc>>,
    }

    /// Any instant chrono can write, at whole seconds, milli-, micro- or nanoseconds (each
    /// of AutoSi's widths): the same bytes as chrono's own, and read back to the same value.
    fn same_as_chronos(secs: i64, nanos: u32, width: u8, some: bool) -> bool {
        let nanos = match width % 4 {
            0 => 0,
            1 => nanos % 1000 * 1_000_000,
            2 => nanos % 1_000_000 * 1000,
            _ => nanos % 1_000_000_000,
        };
        // Years 0001–9999 and a little outside, where chrono writes a sign.
        let secs = secs.rem_euclid(330_000_000_000) - 70_000_000_000;
        let Some(at) = DateTime::from_timestamp(secs, nanos) else { return true };
        let maybe = some.then_some(at);
        let ours = serde_json::to_string(&Ours { at, maybe }).unwrap();
        let theirs = serde_json::to_string(&Chronos { at, maybe }).unwrap();
        let back: Ours = serde_json::from_str(&theirs).unwrap();
        ours == theirs && back == Ours { at, maybe }
    }

    quickcheck! {
        fn writes_and_reads_as_chrono_does(secs: i64, nanos: u32, width: u8, some: bool) -> bool {
            same_as_chronos(secs, nanos, width, some)
        }

        /// Any text: read to the same value as chrono reads it, or refused with its words.
        fn reads_any_text_as_chrono_does(text: String) -> bool {
            let json = serde_json::json!({"at": text}).to_string();
            let ours = serde_json::from_str::<Ours>(&json).map(|o| o.at).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Chronos>(&json).map(|c| c.at).map_err(|e| e.to_string());
            ours == theirs
        }
    }

    /// The shapes the wild sends: Alertmanager's (milliseconds, `Z`), Go's nanoseconds,
    /// offsets, a lower-case `t` and `z`, a space for the `T` (chrono's relaxed reading),
    /// and what neither reads.
    #[test]
    fn real_shapes_read_as_chrono_reads_them() {
        for text in [
            "2026-12-03T21:41:08.064Z",
            "2026-12-03T21:41:08.064123456Z",
            "2026-12-03T21:41:08+02:00",
            "2026-12-03t21:41:08z",
            "2026-12-03 21:41:08Z",
            "2026-12-03T21:41:08",
            "0001-01-01T00:00:00Z",
            "not a time",
            "",
        ] {
            let json = serde_json::json!({"at": text, "maybe": text}).to_string();
            let ours = serde_json::from_str::<Ours>(&json).map(|o| (o.at, o.maybe)).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<Chronos>(&json).map(|c| (c.at, c.maybe)).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text:?}");
        }
        let null: Ours = serde_json::from_str(r#"{"at": "2026-12-03T21:41:08Z", "maybe": null}"#).unwrap();
        assert_eq!(null.maybe, None);
        let absent: Ours = serde_json::from_str(r#"{"at": "2026-12-03T21:41:08Z"}"#).unwrap();
        assert_eq!(absent.maybe, None);
    }
}
