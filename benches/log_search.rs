//! The search-backend log sources' answer parsers: documents turned into sanitized lines
//! per second, for a full page of each backend's documented answer shape.
//! `cargo bench --bench log_search`; figures in README "Performance".

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use klaxon::logs::{elasticsearch, splunk, sumologic};
use klaxon::model::Keys;
use serde_json::{Value, json};

const N: usize = 10_000;

fn at(i: usize) -> String {
    let t = chrono::DateTime::from_timestamp_millis(1_763_694_000_000 + i as i64 * 37).unwrap();
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One `_search` page of N ECS documents.
fn es_answer() -> Vec<u8> {
    let hits: Vec<Value> = (0..N)
        .map(|i| {
            let level = ["info", "warn", "error"][i % 3];
            json!({"_index": ".ds-logs-app-000001", "_id": format!("id-{i:08}"), "sort": [1_763_694_000_000_i64 + i as i64, i],
                   "_source": {"@timestamp": at(i), "message": format!("GET /api/orders/{i} answered in {} ms", i % 900),
                               "log": {"level": level}, "trace": {"id": format!("{:016x}", i * 7919)},
                               "service": {"name": "orders"}, "host": {"name": "web-1"}}})
        })
        .collect();
    serde_json::to_vec(&json!({"timed_out": false, "_shards": {"total": 1, "failed": 0}, "hits": {"hits": hits}}))
        .unwrap()
}

/// N lines of Splunk's export stream.
fn splunk_stream() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| {
            serde_json::to_vec(&json!({"preview": false, "offset": i, "result": {
                "_bkt": "app~12~6F1A", "_cd": format!("12:{i}"), "_time": at(i), "host": "web-1", "source": "/var/log/app.log",
                "sourcetype": "app:log", "index": "app",
                "_raw": format!("{} INFO GET /api/orders/{i} answered in {} ms", at(i), i % 900)}}))
            .unwrap()
        })
        .collect()
}

/// One page of N Sumo Logic messages.
fn sumo_page() -> Vec<u8> {
    let msgs: Vec<Value> = (0..N)
        .map(|i| {
            json!({"map": {"_messageid": format!("-92233720368547{i:05}"), "_messagetime": (1_763_694_000_000_i64 + i as i64).to_string(),
                           "_raw": format!("{{\"level\":\"info\",\"msg\":\"GET /api/orders/{i}\"}}"), "_sourcehost": "web-1",
                           "_sourcename": "/var/log/app.log", "_sourcecategory": "prod/web"}})
        })
        .collect();
    serde_json::to_vec(&json!({"fields": [], "messages": msgs})).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("log_search");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    let keys = Keys { message: Some("message"), level: Some("log.level"), time: Some("@timestamp") };
    let es = es_answer();
    g.bench_function("elasticsearch: parse a 10,000-hit _search answer", |b| {
        b.iter(|| elasticsearch::parse_search("es", "Elasticsearch", &es, &keys, "trace.id").unwrap().hits.len())
    });
    let lines = splunk_stream();
    g.bench_function("splunk: parse 10,000 export stream lines", |b| {
        b.iter(|| lines.iter().filter_map(|l| splunk::parse_line("splunk", l, "log_level", &[]).unwrap()).count())
    });
    let sumo = sumo_page();
    g.bench_function("sumo logic: parse a 10,000-message page", |b| {
        b.iter(|| sumologic::parse_messages("sumo", &sumo, "level", &[]).unwrap().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
