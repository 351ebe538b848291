//! Generators for the property tests: odd text, odd JSON values, and damage done to
//! well-shaped payloads (a field of the wrong type, a missing key, a cut or flipped byte).
//! Built on quickcheck's `Gen`, so a failing case is reported with its input.

use quickcheck::{Arbitrary, Gen};
use serde_json::{Map, Value, json};

/// A number in `0..n` (n > 0).
pub fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n.max(1)
}

/// True `pct` times in a hundred.
pub fn chance(g: &mut Gen, pct: usize) -> bool {
    below(g, 100) < pct
}

pub fn pick<T: Clone>(g: &mut Gen, from: &[T]) -> T {
    g.choose(from).expect("a non-empty choice").clone()
}

/// Text as sources and logs send it, from the plain to the hostile: words, Unicode of every
/// width, controls and escape sequences, bidi overrides, numbers and dates in strings, and
/// now and then something very long.
pub fn odd_text(g: &mut Gen) -> String {
    match below(g, 14) {
        0 => String::new(),
        1 => pick(g, &["db-1", "api", "HighErrorRate", "disk 93% full", "critical", "warning", "ACK! on it"]).into(),
        2 => pick(g, klaxon::sanitize::HOSTILE_SAMPLES).into(),
        3 => String::arbitrary(g),
        4 => pick(g, &["0", "-1", "9223372036854775808", "1e400", "NaN", "1.5", " 7 ", "0x1f", "+3", "٣"]).into(),
        5 => pick(
            g,
            &[
                "2026-11-21T03:14:00Z",
                "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999999+14:00",
                "2026-02-30T00:00:00Z",
                "1763694600",
                "yesterday",
            ],
        )
        .into(),
        6 => pick(g, &["認証サービス", "🚨🔥", "e\u{301}", "\u{200d}", "\u{feff}bom", "ｗｉｄｅ", "\u{fffd}"]).into(),
        7 => {
            let unit = odd_text_short(g);
            unit.repeat(1 + below(g, 3000))
        }
        8 => format!("{}\r\n{}\n\n{}", odd_text_short(g), odd_text_short(g), odd_text_short(g)),
        9 => (0..below(g, 12)).map(|_| char::from_u32(below(g, 0x250) as u32).unwrap_or('?')).collect(),
        10 => (0..below(g, 12)).map(|_| char::arbitrary(g)).collect(),
        11 => format!("[klaxon op {}]", odd_text_short(g)),
        12 => pick(g, &["{", "}", "[", "\"", "\\", "|", "{{ labels.x }}", "`", "<b>", "&amp;", "%s%n"]).into(),
        _ => format!("{} {}", odd_text_short(g), odd_text_short(g)),
    }
}

fn odd_text_short(g: &mut Gen) -> String {
    match below(g, 4) {
        0 => pick(g, klaxon::sanitize::HOSTILE_SAMPLES).into(),
        1 => pick(g, &["x", "word", "ü", "日本", "\t", "\u{202e}", "\x1b[31m", "é"]).into(),
        _ => String::arbitrary(g).chars().take(16).collect(),
    }
}

/// A JSON number of the awkward kind: extremes, fractions, negative zero.
pub fn odd_number(g: &mut Gen) -> Value {
    match below(g, 8) {
        0 => json!(i64::MIN),
        1 => json!(u64::MAX),
        2 => json!(1e308),
        3 => json!(-0.0),
        4 => json!(0.5),
        5 => json!(-1),
        6 => json!(i64::arbitrary(g)),
        _ => json!(u32::arbitrary(g)),
    }
}

/// Any JSON value, nested at most `depth` deep.
pub fn odd_value(g: &mut Gen, depth: usize) -> Value {
    let kinds = if depth == 0 { 4 } else { 6 };
    match below(g, kinds) {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(g)),
        2 => odd_number(g),
        3 => Value::String(odd_text(g)),
        4 => Value::Array((0..below(g, 4)).map(|_| odd_value(g, depth - 1)).collect()),
        _ => Value::Object((0..below(g, 4)).map(|_| (odd_text(g), odd_value(g, depth - 1))).collect()),
    }
}

/// Damages a well-shaped value in place: each node is, at `pct` percent, replaced by any
/// value; an object may lose a key or gain one.
pub fn mutate(g: &mut Gen, v: &mut Value, pct: usize) {
    if chance(g, pct) {
        *v = odd_value(g, 2);
        return;
    }
    match v {
        Value::Object(map) => {
            if !map.is_empty() && chance(g, pct) {
                let key = map.keys().nth(below(g, map.len())).cloned().expect("a key");
                map.remove(&key);
            }
            if chance(g, pct) {
                map.insert(odd_text(g), odd_value(g, 1));
            }
            for (_, child) in map.iter_mut() {
                mutate(g, child, pct);
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                mutate(g, child, pct);
            }
        }
        _ => {}
    }
}

/// A payload as bytes: serialized, and now and then cut short or with a byte changed.
pub fn damaged_bytes(g: &mut Gen, v: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(v).expect("serializable");
    if chance(g, 8) && !bytes.is_empty() {
        bytes.truncate(below(g, bytes.len()));
    }
    if chance(g, 8) && !bytes.is_empty() {
        let i = below(g, bytes.len());
        bytes[i] = u8::arbitrary(g);
    }
    bytes
}

/// A time as an API writes it (RFC 3339), sometimes at the ends of the calendar.
pub fn rfc3339(g: &mut Gen) -> String {
    let secs = match below(g, 5) {
        0 => -62_135_596_800, // 0001-01-01
        1 => 253_402_300_799, // 9999-12-31
        _ => 1_700_000_000 + i64::from(u32::arbitrary(g) % 100_000_000),
    };
    chrono::DateTime::from_timestamp(secs, u32::arbitrary(g) % 1_000_000_000)
        .expect("in range")
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A map of `n` odd keys to odd strings, with some keys a source gives meaning to.
pub fn odd_labels(g: &mut Gen, meaningful: &[&str]) -> Value {
    let mut map = Map::new();
    for _ in 0..below(g, 5) {
        let key = if chance(g, 60) { pick(g, meaningful).to_owned() } else { odd_text(g) };
        map.insert(key, Value::String(odd_text(g)));
    }
    Value::Object(map)
}

/// Shows bytes as text in a failure report.
pub fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 2000 {
        format!("{}… ({} bytes)", &text[..text.floor_char_boundary(2000)], bytes.len())
    } else {
        text.into_owned()
    }
}
