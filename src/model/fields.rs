//! Labels, annotations and a log line's fields: a few short strings by name, held as a
//! sorted list of pairs rather than a map. A storm holds tens of thousands of alerts with a
//! handful of labels each, and a map node alone is ~540 bytes: as a list an alert from
//! Alertmanager takes about half the memory, and decodes a quarter faster (README, issue 24).
//! Each text of up to 24 bytes is held inline (`CompactString`), as nearly every label name
//! and most values are: decoding a storm then allocates two strings per alert, not sixteen.

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(CompactString, CompactString)>);

impl Fields {
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.0[i].1.as_str())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` (replacing its value when it is there).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key: String = key.into();
        let value = CompactString::from(value.into());
        match self.find(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key.into(), value)),
        }
    }

    /// Takes `key` out, with its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1.into_string())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, v)| v.as_str())
    }

    /// Every key and value offered to `f` (with `true` for a key): what it returns replaces
    /// the text, None keeps it. For the sanitizing border: keys it rewrote are sorted again,
    /// and two that became one keep the later value, as rebuilding a map would.
    pub fn rewrite(&mut self, mut f: impl FnMut(&str, bool) -> Option<String>) {
        let mut moved = false;
        for (k, v) in &mut self.0 {
            if let Some(new) = f(k, true) {
                *k = new.into();
                moved = true;
            }
            if let Some(new) = f(v, false) {
                *v = new.into();
            }
        }
        if moved {
            self.settle();
        }
    }

    /// Sorted by key again, the last of a repeated key kept (as a map's insert would).
    fn settle(&mut self) {
        if self.0.is_sorted_by(|a, b| a.0 < b.0) {
            return;
        }
        // Stable: repeated keys stay in the order given, so after reversing, the last
        // given comes first and `dedup` keeps it.
        self.0.sort_by(|a, b| a.0.cmp(&b.0));
        self.0.reverse();
        self.0.dedup_by(|a, b| a.0 == b.0);
        self.0.reverse();
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = str;
    fn index(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("no field {key:?}"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let pairs = iter.into_iter().map(|(k, v)| (k.into().into(), v.into().into()));
        let mut f = Fields(pairs.collect());
        f.settle();
        f.0.shrink_to_fit();
        f
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for Fields {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<(CompactString, CompactString)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A JSON object of strings, read as a map of them reads: a repeated key's last value wins.
impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Fields, M::Error> {
                // Gathered in a buffer kept for the next map, then moved out in one allocation
                // of the right size: growing each list from nothing, and shrinking it after,
                // was 7% of decoding a storm.
                SCRATCH.with_borrow_mut(|pairs| {
                    pairs.clear();
                    while let Some(pair) = map.next_entry()? {
                        pairs.push(pair);
                    }
                    let mut f = Fields(Vec::with_capacity(pairs.len()));
                    f.0.append(pairs);
                    f.settle();
                    Ok(f)
                })
            }
        }
        d.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn fields_stay_sorted_and_replace_by_key() {
        let mut f: Fields = [("b", "2"), ("a", "1")].into_iter().collect();
        f.insert("c", "3");
        f.insert("a", "one");
        assert_eq!(f.iter().collect::<Vec<_>>(), [("a", "one"), ("b", "2"), ("c", "3")]);
        assert_eq!((f.get("b"), f.get("z"), f.len()), (Some("2"), None, 3));
        assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"a":"one","b":"2","c":"3"}"#);
    }

    /// Any object of strings, keys repeated and out of order included, reads and writes
    /// back as serde reads and writes a `BTreeMap` of it; anything else is refused by both.
    #[test]
    fn json_reads_and_writes_as_a_map_does() {
        fn same(pairs: Vec<(String, String)>, junk: u8) -> bool {
            let mut text = String::from("{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text += &format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap());
            }
            text.push('}');
            let map: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
            let fields: Fields = serde_json::from_str(&text).unwrap();
            let read = fields.iter().eq(map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let written = serde_json::to_string(&fields).unwrap() == serde_json::to_string(&map).unwrap();
            // Not an object of strings: refused by both.
            let bad = match junk % 3 {
                0 => r#"{"a":1}"#,
                1 => r#"["a"]"#,
                _ => r#"{"a":"b""#,
            };
            let refused = serde_json::from_str::<Fields>(bad).is_err()
                && serde_json::from_str::<BTreeMap<String, String>>(bad).is_err();
            read && written && refused
        }
        quickcheck::QuickCheck::new().tests(500).quickcheck(same as fn(Vec<(String, String)>, u8) -> bool);
        // Small key sets, so that repeats are common.
        let repeats =
            |pairs: Vec<(u8, String)>| same(pairs.into_iter().map(|(k, v)| ((k % 4).to_string(), v)).collect(), 0);
        quickcheck::QuickCheck::new().tests(500).quickcheck(repeats as fn(Vec<(u8, String)>) -> bool);
    }

    #[test]
    fn rewriting_a_key_keeps_the_order_and_the_last_value() {
        let mut f: Fields = [("b\u{7}", "x"), ("a", "1"), ("b", "2")].into();
        f.rewrite(|s, key| (key && s.contains('\u{7}')).then(|| s.replace('\u{7}', "")));
        assert_eq!(f.iter().collect::<Vec<_>>(), [("a", "1"), ("b", "x")]);
    }
}
