//! JSON written by hand where serde's per-value machinery is most of the cost: `klaxon list
//! --format json` writes 50,000 alerts of twenty-odd strings each, and serde_json looks up
//! every byte of every string in its escape table. Here a string's clean 16-byte blocks are
//! copied whole. The bytes are serde_json's (quickcheck properties hold the two side by side).

/// Whether JSON needs `b` escaped: `"`, `\` and the control characters below space.
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// `s` as a JSON string, as serde_json writes it: `"`, `\` and control characters escaped
/// (`\n`, `\t` … where JSON has a short form, `\u00XX` in lower-case hex where it has
/// none), everything else as it is.
pub fn string(out: &mut Vec<u8>, s: &str) {
    let mut rest = s.as_bytes();
    out.reserve(rest.len() + 2);
    out.push(b'"');
    loop {
        let clean = clean_prefix(rest);
        out.extend_from_slice(&rest[..clean]);
        let Some(&b) = rest.get(clean) else { break };
        escape(out, b);
        rest = &rest[clean + 1..];
    }
    out.push(b'"');
}

/// How many bytes at the start of `bytes` need no escaping: whole 16-byte blocks first,
/// each checked without an early exit (which the compiler vectorizes), then what is left
/// (most labels are shorter than a block) as two overlapping words, byte by byte only when
/// something in it needs escaping.
fn clean_prefix(bytes: &[u8]) -> usize {
    let (blocks, rest) = bytes.as_chunks::<16>();
    let blocks = blocks.iter().take_while(|block| !block.iter().fold(false, |any, &b| any | needs_escape(b))).count();
    let at = blocks * 16;
    if at == bytes.len() - rest.len() && clean_tail(rest) {
        return bytes.len();
    }
    at + bytes[at..].iter().position(|&b| needs_escape(b)).unwrap_or(bytes.len() - at)
}

/// Whether none of the (at most 15) bytes needs escaping, eight at a time.
fn clean_tail(rest: &[u8]) -> bool {
    match (rest.first_chunk::<8>(), rest.last_chunk::<8>()) {
        (Some(first), Some(last)) => clean_word(u64::from_le_bytes(*first)) && clean_word(u64::from_le_bytes(*last)),
        _ => {
            let mut padded = [b' '; 8];
            padded[..rest.len()].copy_from_slice(rest);
            clean_word(u64::from_le_bytes(padded))
        }
    }
}

/// Whether no byte of `w` needs escaping.
fn clean_word(w: u64) -> bool {
    use crate::swar::{has_below, has_byte};
    !(has_below(w, 0x20) | has_byte(w, b'"') | has_byte(w, b'\\'))
}

fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => return out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// A JSON object written member by member, in the order given (serde's derive writes a
/// struct's fields in their declared order).
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Starts the member `name` (one of ours, written as it is) and hands back the buffer
    /// for its value.
    pub fn member(&mut self, name: &str) -> &mut Vec<u8> {
        debug_assert!(!name.bytes().any(needs_escape), "{name:?} is written unescaped");
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub fn string(&mut self, name: &str, value: &str) -> &mut Self {
        string(self.member(name), value);
        self
    }

    /// A string member whose text `write` puts in place, none of it needing escaping (a
    /// timestamp, a number's digits).
    pub fn plain(&mut self, name: &str, write: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        let out = self.member(name);
        out.push(b'"');
        let start = out.len();
        write(out);
        debug_assert!(!out[start..].iter().any(|&b| needs_escape(b)), "{name} needs escaping");
        out.push(b'"');
        self
    }

    pub fn optional(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        optional(self.member(name), value);
        self
    }

    pub fn object<'p>(&mut self, name: &str, pairs: impl Iterator<Item = (&'p str, &'p str)>) -> &mut Self {
        object(self.member(name), pairs);
        self
    }

    pub fn end(self) {
        self.out.push(b'}');
    }
}

/// `null`, or the string.
pub fn optional(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// An object of strings, its pairs in the order given.
pub fn object<'a>(out: &mut Vec<u8>, pairs: impl Iterator<Item = (&'a str, &'a str)>) {
    out.push(b'{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, k);
        out.push(b':');
        string(out, v);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn serde(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    fn ours(s: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_that_needs_escaping_is_escaped_as_serde_does() {
        for c in (0u8..0x80).map(char::from).chain(['é', '\u{2028}', '\u{202e}', '😀']) {
            // Alone, at a block's edges and deep inside a long clean run.
            for s in
                [c.to_string(), format!("{}{c}", "a".repeat(15)), format!("{}{c}{}", "b".repeat(40), "c".repeat(17))]
            {
                assert_eq!(ours(&s), serde(&s), "{c:?} in {s:?}");
            }
        }
        assert_eq!(ours(""), "\"\"");
    }

    /// Each byte at every place in strings of every length up to two blocks and a tail:
    /// where the blocks, the overlapping words and the padding meet.
    #[test]
    fn every_byte_at_every_place_is_escaped_as_serde_does() {
        for c in (0u8..0x80).map(char::from).chain(['\u{80}', 'é', '\u{ff}']) {
            for len in 1..40 {
                for at in 0..len {
                    let s: String = (0..len).map(|i| if i == at { c } else { 'm' }).collect();
                    assert_eq!(ours(&s), serde(&s), "{c:?} at {at} of {len}");
                }
            }
        }
    }

    quickcheck! {
        fn strings_are_serdes_bytes(s: String) -> bool {
            ours(&s) == serde(&s)
        }

        /// Mostly clean text with the odd quote, backslash or control character, the shape
        /// of real labels: the blocks and the single bytes between them meet everywhere.
        fn long_mostly_clean_strings_are_serdes_bytes(parts: Vec<(String, u8)>) -> bool {
            let s: String = parts
                .iter()
                .map(|(text, b)| format!("{text}{}", char::from([b'"', b'\\', b'\n', 0x1b, b'x'][(*b % 5) as usize])))
                .collect();
            ours(&s) == serde(&s)
        }

        fn objects_are_serdes_maps(pairs: Vec<(String, String)>, absent: Option<String>) -> bool {
            let mut out = Vec::new();
            object(&mut out, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            out.push(b',');
            optional(&mut out, absent.as_deref());
            let mut want = b"{".to_vec();
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 { want.push(b','); }
                want.extend(serde_json::to_vec(k).unwrap());
                want.push(b':');
                want.extend(serde_json::to_vec(v).unwrap());
            }
            want.push(b'}');
            want.push(b',');
            want.extend(serde_json::to_vec(&absent).unwrap());
            out == want
        }
    }
}
