//! The log pane's buffer: lines ingested per second (already parsed, and parsed from JSON
//! text as a source hands them over), and the memory a full buffer holds.
//! `cargo bench --bench log_buffer`; figures in README "Performance".

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use klaxon::model::{LogBuffer, LogLine};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Counts live heap bytes, to measure what a full buffer holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const CAPACITY: usize = 10_000;
const N: usize = 100_000;

/// Typical service lines: JSON with a level, a time, a request id and a small nested context.
fn raw_lines(n: usize) -> Vec<String> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
    let levels = ["debug", "info", "info", "info", "warn", "error"];
    (0..n)
        .map(|i| {
            let at = (t0 + Duration::milliseconds(i as i64 * 37)).to_rfc3339();
            format!(
                r#"{{"ts":"{at}","level":"{}","msg":"GET /api/orders/{i} answered in {} ms","request_id":"req-{:08x}","ctx":{{"user":{},"region":"eu-west-1"}}}}"#,
                levels[i % levels.len()],
                i % 900,
                i * 7919,
                i % 5000
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let raw = raw_lines(N);
    let parsed: Vec<LogLine> = raw.iter().map(|r| LogLine::parse("app", r)).collect();

    let before = LIVE.load(Ordering::Relaxed);
    let mut full = LogBuffer::new(CAPACITY);
    full.extend(parsed.iter().take(CAPACITY).cloned());
    let held = LIVE.load(Ordering::Relaxed) - before;
    eprintln!(
        "memory: a full {CAPACITY}-line buffer holds {:.2} MiB ({} bytes/line), typical JSON lines of ~{} bytes",
        held as f64 / (1024.0 * 1024.0),
        held / CAPACITY as isize,
        raw.iter().map(String::len).sum::<usize>() / raw.len()
    );
    drop(full);

    let mut g = c.benchmark_group("log buffer");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("push 100k parsed lines into a 10k ring", |b| {
        b.iter_batched(
            || parsed.clone(),
            |lines| {
                let mut buf = LogBuffer::new(CAPACITY);
                buf.extend(lines);
                buf
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("parse 100k JSON lines and push them", |b| {
        b.iter(|| {
            let mut buf = LogBuffer::new(CAPACITY);
            buf.extend(raw.iter().map(|r| LogLine::parse("app", r)));
            buf
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
