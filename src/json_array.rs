//! A top-level JSON array decoded element by element as its bytes arrive, so a large answer
//! is parsed while the rest is still on the wire and never held whole. Each element is
//! framed (strings and nesting followed byte by byte) and handed to `serde_json::from_slice`.
//! Anything that does not start with `[` is kept and decoded whole at the end, so a server's
//! error object gets serde's own words; an element's error counts lines from its start.
//!
//! Alertmanager sends nothing until its whole answer is ready and then all of it at once, so
//! decoding is what the last byte waits for: framed elements go in batches, every other batch
//! to a second thread, and the two halves are put back in order at the end. An answer smaller
//! than one batch never starts the thread.

use serde::de::{DeserializeOwned, Error as _};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// How many bytes of framed elements make a batch: large enough that handing one to the other
/// thread costs nothing beside decoding it.
const BATCH_BYTES: usize = 256 << 10;

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
    /// Framed elements not decoded yet: their bytes, one after another, and where each ends.
    batch: Vec<u8>,
    ends: Vec<usize>,
    batch_bytes: usize,
    /// The batches so far, in order: decoded here, or handed to the other thread.
    parts: Vec<Part<T>>,
    worker: Option<Worker<T>>,
}

enum Part<T> {
    Here(Vec<T>),
    There,
}

/// The second thread: decodes the batches it is sent, in order, until the sender goes.
struct Worker<T> {
    tx: mpsc::Sender<(Vec<u8>, Vec<usize>)>,
    done: JoinHandle<Vec<Result<Vec<T>, serde_json::Error>>>,
}

impl<T: DeserializeOwned + Send + 'static> Default for ArrayStream<T> {
    fn default() -> Self {
        Self::with_batch(BATCH_BYTES)
    }
}

impl<T: DeserializeOwned + Send + 'static> ArrayStream<T> {
    /// With batches of `bytes` (the default is [`BATCH_BYTES`]): the tests make them tiny so
    /// that small answers cross to the second thread too.
    pub fn with_batch(bytes: usize) -> Self {
        ArrayStream {
            state: State::Start,
            pending: Vec::new(),
            batch: Vec::new(),
            ends: Vec::new(),
            batch_bytes: bytes.max(1),
            parts: Vec::new(),
            worker: None,
        }
    }

    /// Takes the next bytes; an element that is complete now is decoded now.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), serde_json::Error> {
        let mut start = 0; // where the current element's bytes begin in `chunk`
        for (i, &b) in chunk.iter().enumerate() {
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
                State::Done => {
                    let e = serde_json::Error::custom("trailing characters after the array");
                    self.flush(false)?;
                    return Err(self.first_error(e));
                }
                State::Elements { in_string: true, escaped, .. } if *escaped => *escaped = false,
                State::Elements { in_string: true, escaped, .. } if b == b'\\' => *escaped = true,
                State::Elements { in_string, .. } if *in_string => *in_string = b != b'"',
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
        }
        if let State::Elements { .. } = self.state {
            self.pending.extend_from_slice(&chunk[start..]);
        }
        Ok(())
    }

    /// The elements, once the body has ended.
    pub fn finish(mut self) -> Result<Vec<T>, serde_json::Error> {
        match self.state {
            State::Done => {
                self.flush(false)?;
                let results = self.join();
                let mut results = results.into_iter();
                let mut items = Vec::new();
                for part in self.parts {
                    match part {
                        Part::Here(v) => items.extend(v),
                        Part::There => match results.next() {
                            Some(v) => items.extend(v?),
                            None => return Err(serde_json::Error::custom("the decoding thread stopped")),
                        },
                    }
                }
                Ok(items)
            }
            State::Start | State::Whole => serde_json::from_slice(&self.pending),
            State::Elements { .. } => Err(self.first_error(serde_json::Error::custom("EOF while parsing a list"))),
        }
    }

    /// Decodes the batch so far, here or (`share`, every other one) on the second thread.
    fn flush(&mut self, share: bool) -> Result<(), serde_json::Error> {
        if self.ends.is_empty() {
            return Ok(());
        }
        let (bytes, ends) = (std::mem::take(&mut self.batch), std::mem::take(&mut self.ends));
        let shared = self.parts.iter().filter(|p| matches!(p, Part::There)).count();
        // Without a thread (none could be started) everything is decoded here.
        if share && shared * 2 < self.parts.len() + 1 && self.worker().is_some() {
            if let Some(w) = &self.worker
                && w.tx.send((bytes, ends)).is_ok()
            {
                self.parts.push(Part::There);
                return Ok(());
            }
            // It stops at the first element it cannot decode: that is the error to report.
            return Err(self.first_error(serde_json::Error::custom("the decoding thread stopped")));
        }
        match decode(&bytes, &ends) {
            Ok(v) => {
                self.parts.push(Part::Here(v));
                Ok(())
            }
            Err(e) => Err(self.first_error(e)),
        }
    }

    fn worker(&mut self) -> Option<&Worker<T>> {
        if self.worker.is_none() {
            let (tx, rx) = mpsc::channel::<(Vec<u8>, Vec<usize>)>();
            let done = std::thread::Builder::new()
                .name("json-decode".into())
                .spawn(move || {
                    let mut out = Vec::new();
                    for (bytes, ends) in rx {
                        let r = decode(&bytes, &ends);
                        let failed = r.is_err();
                        out.push(r);
                        if failed {
                            break;
                        }
                    }
                    out
                })
                .ok()?;
            self.worker = Some(Worker { tx, done });
        }
        self.worker.as_ref()
    }

    /// What the second thread decoded, in the order it was sent.
    fn join(&mut self) -> Vec<Result<Vec<T>, serde_json::Error>> {
        match self.worker.take() {
            Some(Worker { tx, done }) => {
                drop(tx);
                done.join().unwrap_or_default()
            }
            None => Vec::new(),
        }
    }

    /// The error to report when `later` was found: an earlier batch's, if one failed on the
    /// second thread, else `later` (so the message names the first bad element, as a
    /// decoder reading in order would).
    fn first_error(&mut self, later: serde_json::Error) -> serde_json::Error {
        self.join().into_iter().find_map(Result::err).unwrap_or(later)
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
            if last && !comma && self.parts.is_empty() && self.ends.is_empty() {
                return Ok(());
            }
            let e = serde_json::Error::custom(if comma { "trailing comma" } else { "expected value" });
            self.flush(false)?;
            return Err(self.first_error(e));
        }
        self.batch.extend_from_slice(bytes);
        self.ends.push(self.batch.len());
        self.pending.clear();
        if self.batch.len() >= self.batch_bytes {
            self.flush(true)?;
        }
        Ok(())
    }
}

/// A batch's elements, each decoded on its own (an error counts lines from its start).
fn decode<T: DeserializeOwned>(bytes: &[u8], ends: &[usize]) -> Result<Vec<T>, serde_json::Error> {
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let item = serde_json::from_slice(&bytes[start..end]);
            start = end;
            item
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// `n` elements of about 40 bytes, the `bad` ones not JSON.
    fn answer(n: usize, bad: &[usize]) -> Vec<u8> {
        let items: Vec<String> = (0..n)
            .map(|i| {
                if bad.contains(&i) {
                    format!("{{\"i\": {i}, oops}}")
                } else {
                    json!({"i": i, "name": format!("alert {i}")}).to_string()
                }
            })
            .collect();
        format!("[{}]", items.join(",\n")).into_bytes()
    }

    fn streamed(bytes: &[u8], batch: usize) -> Result<Vec<Value>, serde_json::Error> {
        let mut array = ArrayStream::<Value>::with_batch(batch);
        bytes.chunks(100).try_for_each(|c| array.feed(c))?;
        array.finish()
    }

    #[test]
    fn batches_decoded_on_two_threads_come_back_whole_and_in_order() {
        let bytes = answer(5000, &[]);
        let got = streamed(&bytes, 500).unwrap();
        assert_eq!(got, serde_json::from_slice::<Vec<Value>>(&bytes).unwrap());
        assert_eq!(got.len(), 5000);
    }

    #[test]
    fn the_first_bad_element_is_the_one_named_whichever_thread_found_it() {
        // Element 3 falls in the first batch, which the second thread decodes, 4000 in a later
        // one: the error is the first one's, as a reader in order would say (lines count from
        // the element's start, the newline before it included).
        for batch in [500, 1000, 3000] {
            let bytes = answer(5000, &[3, 4000]);
            let whole = serde_json::from_slice::<Vec<Value>>(&bytes).unwrap_err();
            let got = streamed(&bytes, batch).unwrap_err();
            assert_eq!(got.to_string(), "key must be a string at line 2 column 10", "batch {batch}");
            assert!(whole.to_string().starts_with("key must be a string"), "{whole}");
        }
        let got = streamed(&answer(5000, &[4000]), 500).unwrap_err();
        assert_eq!(got.to_string(), "key must be a string at line 2 column 13");
    }
}
