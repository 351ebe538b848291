//! A top-level JSON array decoded element by element as its bytes arrive, so a large answer
//! is parsed while the rest is still on the wire and never held whole. An element that starts
//! in the chunk at hand is decoded straight from it, serde finding where it ends; one that the
//! chunk cuts off, or that does not decode, is framed (strings and nesting followed byte by
//! byte) and handed to `serde_json::from_slice` whole, which also gives a bad element's error
//! in serde's words, its lines counted from the element's start. Anything that does not start
//! with `[` is kept and decoded whole at the end, so a server's error object gets serde's own
//! words.

use serde::de::{DeserializeOwned, Error as _};

/// JSON's whitespace (RFC 8259): not `u8::is_ascii_whitespace`, which also takes form feed.
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

enum State {
    /// Before the first byte that is not whitespace.
    Start,
    /// Not an array: every byte kept for one `from_slice` at the end.
    Whole,
    /// Inside the array, `depth` levels into the current element.
    Elements { depth: usize, in_string: bool, escaped: bool, after_comma: bool },
    /// After the closing `]`: only whitespace may follow.
    Done,
}

pub struct ArrayStream<T> {
    state: State,
    /// The current element's bytes carried over from earlier chunks.
    pending: Vec<u8>,
    items: Vec<T>,
    /// Elements decoded so far, [`ArrayStream::take`]n or not.
    count: usize,
    /// The current element did not decode straight from its chunk: it is framed.
    framing: bool,
}

impl<T: DeserializeOwned> Default for ArrayStream<T> {
    fn default() -> Self {
        ArrayStream { state: State::Start, pending: Vec::new(), items: Vec::new(), count: 0, framing: false }
    }
}

impl<T: DeserializeOwned> ArrayStream<T> {
    /// Takes the next bytes; an element that is complete now is decoded now.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), serde_json::Error> {
        let mut start = 0; // where the current element's bytes begin in `chunk`
        let mut i = 0;
        // UTF-8 checked once for the chunk (up to a character it cuts off or a bad byte), not
        // string by string: what is decoded straight is decoded from text.
        let text = match std::str::from_utf8(chunk) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&chunk[..e.valid_up_to()]).unwrap_or_default(),
        };
        while i < chunk.len() {
            let b = chunk[i];
            match &mut self.state {
                // Kept, so that an answer that is not an array is read back exactly as sent.
                State::Start if blank(b) => self.pending.push(b),
                State::Start if b == b'[' => {
                    self.pending.clear();
                    self.state = State::Elements { depth: 0, in_string: false, escaped: false, after_comma: false };
                    start = i + 1;
                }
                State::Start | State::Whole => {
                    self.state = State::Whole;
                    self.pending.extend_from_slice(&chunk[i..]);
                    return Ok(());
                }
                State::Done if blank(b) => {}
                State::Done => return Err(serde_json::Error::custom("trailing characters after the array")),
                State::Elements { in_string: true, escaped, .. } if *escaped => *escaped = false,
                // Most of an answer is string contents: skip to the next quote or backslash
                // at once rather than looking at every byte.
                State::Elements { in_string, escaped, .. } if *in_string => {
                    match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                        Some(k) => {
                            i += k;
                            if chunk[i] == b'\\' {
                                *escaped = true;
                            } else {
                                *in_string = false;
                            }
                        }
                        None => break,
                    }
                }
                // An element's first byte, the element begun in this chunk: decoded from here
                // if it can be, and the loop goes on after the comma or bracket that ends it.
                State::Elements { depth: 0, in_string: false, after_comma, .. }
                    if !self.framing && self.pending.is_empty() && !blank(b) && b != b',' && b != b']' =>
                {
                    let Some((item, end)) = text.get(start..).and_then(Self::straight) else {
                        self.framing = true;
                        continue; // this byte again, framed
                    };
                    self.items.push(item);
                    self.count += 1;
                    i = start + end;
                    if chunk[i] == b']' {
                        self.state = State::Done;
                    } else {
                        *after_comma = true;
                    }
                    start = i + 1;
                }
                State::Elements { in_string, .. } if b == b'"' => *in_string = true,
                State::Elements { depth, .. } if b == b'{' || b == b'[' => *depth += 1,
                State::Elements { depth, .. } if (b == b'}' || b == b']') && *depth > 0 => *depth -= 1,
                State::Elements { depth: 0, after_comma, .. } if b == b',' || b == b']' => {
                    let comma = std::mem::replace(after_comma, b == b',');
                    let last = b == b']';
                    if last {
                        self.state = State::Done;
                    }
                    self.element(&chunk[start..i], comma, last)?;
                    start = i + 1;
                }
                State::Elements { .. } => {}
            }
            i += 1;
        }
        if let State::Elements { .. } = self.state {
            self.pending.extend_from_slice(&chunk[start..]);
        }
        Ok(())
    }

    /// The elements decoded since the last take, for a reader that hands them on while the
    /// rest is still arriving. `spare`, a batch the reader is done with, holds the next ones:
    /// memory already written to, where a fresh allocation would fault in every page of it.
    pub fn take(&mut self, spare: Option<Vec<T>>) -> Vec<T> {
        let mut next = spare.unwrap_or_default();
        next.clear();
        // The next chunk likely holds as many: room for them at once, not grown to it.
        next.reserve(self.items.len());
        std::mem::replace(&mut self.items, next)
    }

    /// The elements not taken yet, once the body has ended.
    pub fn finish(self) -> Result<Vec<T>, serde_json::Error> {
        match self.state {
            State::Done => Ok(self.items),
            State::Start | State::Whole => serde_json::from_slice(&self.pending),
            State::Elements { .. } => Err(serde_json::Error::custom("EOF while parsing a list")),
        }
    }

    /// The element at the start of `text` (blanks may lead it), if it is whole there and a
    /// `,` or `]` follows it: the element, and where that comma or bracket is.
    fn straight(text: &str) -> Option<(T, usize)> {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<T>();
        let item = stream.next()?.ok()?;
        let after = stream.byte_offset();
        let end = after + text.as_bytes()[after..].iter().position(|&b| !blank(b))?;
        matches!(text.as_bytes()[end], b',' | b']').then_some((item, end))
    }

    /// Decodes the element that ends with `tail` (after what `pending` holds). `comma`: one
    /// came before it; `last`: the array closes after it (`[]` has no element at all).
    fn element(&mut self, tail: &[u8], comma: bool, last: bool) -> Result<(), serde_json::Error> {
        let bytes = if self.pending.is_empty() {
            tail
        } else {
            self.pending.extend_from_slice(tail);
            &self.pending[..]
        };
        if bytes.iter().all(|&b| blank(b)) {
            if last && !comma && self.count == 0 {
                return Ok(());
            }
            return Err(serde_json::Error::custom(if comma { "trailing comma" } else { "expected value" }));
        }
        self.items.push(serde_json::from_slice(bytes)?);
        self.count += 1;
        self.pending.clear();
        self.framing = false;
        Ok(())
    }
}
