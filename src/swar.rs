//! Eight bytes at a time in a `u64` ("SIMD within a register"): whether a word holds a byte
//! below a bound, or a given byte, without looking at each. The answers are exact as yes or
//! no for the whole word (not byte by byte: a borrow can mark bytes after a true one).

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGHS: u64 = ONES * 0x80;

/// Some byte of `w` is below `n` (at most 0x80).
pub fn has_below(w: u64, n: u8) -> bool {
    debug_assert!(n <= 0x80);
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0
}

/// Some byte of `w` is `b`.
pub fn has_byte(w: u64, b: u8) -> bool {
    has_below(w ^ (ONES * u64::from(b)), 1)
}

/// Some byte of `w` is 0x80 or above (not ASCII).
pub fn has_high(w: u64) -> bool {
    w & HIGHS != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    quickcheck::quickcheck! {
        fn answers_as_a_byte_by_byte_look_does(bytes: Vec<u8>, n: u8, b: u8) -> bool {
            let n = n % 0x81;
            bytes.chunks(8).all(|c| {
                let mut word = [0xffu8; 8];
                word[..c.len()].copy_from_slice(c);
                let w = u64::from_le_bytes(word);
                has_below(w, n) == word.iter().any(|&x| x < n)
                    && has_byte(w, b) == word.contains(&b)
                    && has_high(w) == word.iter().any(|&x| x >= 0x80)
            })
        }
    }
}
