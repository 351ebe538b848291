//! The one border every piece of outside text crosses before it reaches state or the terminal.
//!
//! Alert titles, labels, log lines, runbooks and remote error messages can carry escape
//! sequences that would move the cursor, retitle the terminal or reorder text (bidi
//! overrides, "Trojan Source"). `sanitize` removes them once, where data enters.

/// Cleans untrusted text for display.
///
/// - `\r\n` and lone `\r` become `\n`; `\n` is the only control character kept;
/// - a tab becomes one space (widths stay predictable);
/// - every other C0 control, ESC, DEL and every C1 control is dropped;
/// - bidi embeddings, overrides, isolates and marks are dropped;
/// - U+2028/U+2029 (line/paragraph separators) become `\n`.
///
/// It is idempotent: `sanitize(&sanitize(s)) == sanitize(s)`.
pub fn sanitize(input: &str) -> String {
    // Fast path: most text from sources is already clean.
    if is_clean(input) {
        return input.to_owned();
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push(' '),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// `sanitize`, then every line break folded into a single space: for titles and other
/// one-line fields.
pub fn sanitize_line(input: &str) -> String {
    let clean = sanitize(input);
    if !clean.contains('\n') {
        return clean;
    }
    clean.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

fn needs_work(c: char) -> bool {
    c == '\r' || c == '\t' || c == '\u{2028}' || c == '\u{2029}' || is_dropped(c)
}

fn is_dropped(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' // C0 except \t and \n (handled above)
        | '\u{7f}'..='\u{9f}'                  // DEL and C1 (includes CSI U+009B)
        | '\u{200e}' | '\u{200f}' | '\u{061c}' // LRM, RLM, ALM
        | '\u{202a}'..='\u{202e}'              // LRE, RLE, PDF, LRO, RLO
        | '\u{2066}'..='\u{2069}'              // LRI, RLI, FSI, PDI
    )
}

/// True when `s` holds nothing `sanitize` would change: what tests assert of every cell.
pub fn is_clean(s: &str) -> bool {
    // Most text is printable ASCII: checked 16 bytes at a time, each block without an early
    // exit, which the compiler vectorizes (a byte-by-byte `all` it does not).
    let printable = |b: u8| (0x20..0x7f).contains(&b) | (b == b'\n');
    let (blocks, rest) = s.as_bytes().as_chunks::<16>();
    if blocks.iter().all(|block| block.iter().fold(true, |ok, &b| ok & printable(b)))
        && rest.iter().all(|&b| printable(b))
    {
        return true;
    }
    !s.chars().any(|c| c != '\n' && needs_work(c))
}

/// True when every byte of `s` is printable ASCII (space to `~`): clean as one line and as
/// many, which nearly every label of a storm is. Eight bytes at a time: a label is mostly
/// shorter than `is_clean`'s blocks, and this answers both of its questions in one pass.
pub fn is_printable_ascii(s: &str) -> bool {
    use crate::swar::{has_below, has_byte, has_high};
    let printable = |w: &[u8; 8]| {
        let w = u64::from_le_bytes(*w);
        !(has_high(w) | has_below(w, 0x20) | has_byte(w, 0x7f))
    };
    let bytes = s.as_bytes();
    match bytes.last_chunk::<8>() {
        // The last word overlaps the whole ones before it.
        Some(last) => bytes.as_chunks::<8>().0.iter().all(printable) && printable(last),
        None => {
            let mut padded = [b' '; 8];
            padded[..bytes.len()].copy_from_slice(bytes);
            printable(&padded)
        }
    }
}

/// Strings seen in terminal-injection write-ups and CVEs of terminal tools.
pub const HOSTILE_SAMPLES: &[&str] = &[
    "\x1b[2J\x1b[Hcleared",
    "\x1b]0;pwned\x07title",
    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
    "\x1b]52;c;ZXZpbA==\x07clipboard",
    "\u{9b}31mred via C1 CSI",
    "\x1bP+q544e\x1b\\dcs",
    "bell\x07\x07",
    "back\x08\x08\x08space",
    "nul\0byte",
    "del\x7f",
    "carriage\rreturn",
    "admin\u{202e}gnp.exe",
    "isolate\u{2066}x\u{2069}",
    "tab\there",
    "line\u{2028}sep",
];

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn hostile_corpus_comes_out_clean() {
        for s in HOSTILE_SAMPLES {
            let clean = sanitize(s);
            assert!(is_clean(&clean), "{s:?} -> {clean:?}");
            assert!(!clean.contains('\x1b') && !clean.contains('\u{9b}'), "{clean:?}");
        }
        assert_eq!(sanitize("\x1b[2J\x1b[Hcleared"), "[2J[Hcleared");
        assert_eq!(sanitize("admin\u{202e}gnp.exe"), "admingnp.exe");
        assert_eq!(sanitize("a\r\nb\rc"), "a\nb\nc");
        assert_eq!(sanitize("tab\there"), "tab here");
    }

    #[test]
    fn clean_text_is_untouched() {
        for s in ["plain", "Ünïcödé — 日本語 🚨", "multi\nline", ""] {
            assert_eq!(sanitize(s), s);
        }
    }

    #[test]
    fn one_line_fields_fold_breaks() {
        assert_eq!(sanitize_line("disk\r\n  full\n\non /var"), "disk full on /var");
    }

    #[test]
    fn one_control_character_anywhere_in_a_long_line_is_seen() {
        for len in 1..48 {
            for at in 0..len {
                let mut line = vec![b'a'; len];
                for bad in [0x1b, 0x7f, 0x00, b'\r', b'\t'] {
                    line[at] = bad;
                    let text = String::from_utf8(line.clone()).unwrap();
                    assert!(!is_clean(&text), "{text:?}");
                }
                line[at] = b'\n';
                assert!(is_clean(&String::from_utf8(line).unwrap()));
            }
        }
    }

    quickcheck! {
        fn prop_idempotent(s: String) -> bool {
            let once = sanitize(&s);
            sanitize(&once) == once
        }
        fn prop_output_is_clean(s: String) -> bool {
            is_clean(&sanitize(&s)) && is_clean(&sanitize_line(&s)) && !sanitize_line(&s).contains('\n')
        }
        /// The block scan says what a look at each character says: the fast path of
        /// `sanitize` and every cell test rest on it.
        fn prop_is_clean_is_exact(s: String, pad: u8) -> bool {
            let long = format!("{}{s}", "a".repeat(usize::from(pad % 40)));
            [&s, &long].iter().all(|t| is_clean(t) != t.chars().any(|c| c != '\n' && needs_work(c)))
        }
        /// Printable ASCII, word by word, is what a look at each byte says it is; such text
        /// needs no work as one line or as many.
        fn prop_is_printable_ascii_is_exact(bytes: Vec<u8>, pad: u8) -> bool {
            let ascii: String = bytes.iter().map(|&b| char::from(b & 0x7f)).collect();
            let long = format!("{}{ascii}", "a".repeat(usize::from(pad % 20)));
            [&ascii, &long].iter().all(|t| {
                let each = t.bytes().all(|b| (0x20..0x7f).contains(&b));
                is_printable_ascii(t) == each && (!each || (is_clean(t) && !t.contains('\n')))
            }) && !is_printable_ascii("caf\u{e9}")
        }
        fn prop_printable_text_survives(s: String) -> bool {
            let printable: String = s.chars().filter(|c| !needs_work(*c)).collect();
            sanitize(&printable) == printable
        }
    }
}
