//! Fitting text into cells: display width, not bytes or chars.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` cut to at most `width` cells, with `…` where it was cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` fitted and padded with spaces to exactly `width` cells.
pub fn pad(s: &str, width: usize) -> String {
    let mut out = fit(s, width);
    let w = out.width();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` in rows of at most `width` cells, broken after a space where one is near the end
/// of the row (a word longer than a row is split where the row ends).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width && !row.is_empty() {
            // Carry the word being cut over to the next row, when the row has a space.
            let carry = match row.rfind(' ') {
                Some(i) if i + 1 < row.len() => row.split_off(i + 1),
                _ => String::new(),
            };
            rows.push(std::mem::take(&mut row));
            used = carry.width();
            row = carry;
        }
        row.push(c);
        used += w;
    }
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_display_width() {
        assert_eq!(fit("hello", 10), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("日本語", 4), "日… ");
        assert_eq!(fit("x", 0), "");
    }

    #[test]
    fn wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("one two three", 8), ["one two ", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("日本語テキスト", 6), ["日本語", "テキス", "ト"]);
        assert_eq!(wrap("", 5), [""]);
        for row in wrap("a few words that wrap over some rows of text", 7) {
            assert!(width(&row) <= 7, "{row:?}");
        }
    }
}
