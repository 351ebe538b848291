//! Polling 10,000 open PagerDuty incidents from the PagerDuty mock (pages of 100, as
//! PagerDuty serves them): the requests through the vendor client, decoding and mapping to
//! alerts, sanitizing included; and the mock alone answering the same requests.
//!
//! cargo bench --bench pagerduty_poll

// The mock's `super::vendor_mock` is this file's `vendor_mock`.
#[allow(dead_code)]
#[path = "../tests/suite/common/pagerduty_mock.rs"]
mod pagerduty_mock;
#[allow(dead_code)]
#[path = "../tests/suite/common/vendor_mock.rs"]
mod vendor_mock;

use criterion::{Criterion, criterion_group, criterion_main};
use pagerduty_mock::{KEY, MockPagerDuty, incident};

fn poll(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let incidents = (0..10_000)
        .map(|n| incident(&format!("P{n:06}"), n, if n % 3 == 0 { "low" } else { "high" }, None, "triggered"));
    let pd = rt.block_on(MockPagerDuty::start(incidents.collect()));
    let dir = tempfile::tempdir().unwrap();
    let key = vendor_mock::secret_file(dir.path(), "pd.key", KEY);
    let source = vendor_mock::source(&format!(
        "name = \"pd\"\nkind = \"pagerduty\"\nurl = \"{}\"\ntoken_file = \"{}\"\nwrite_back = false\nmax_bytes = 100000000\ntimeout = \"120s\"\n",
        pd.server.uri(),
        key.display()
    ));
    assert_eq!(rt.block_on(source.poll()).unwrap().len(), 10_000);
    // The recorded URLs name no port: the same paths and queries, asked of the mock.
    let urls: Vec<String> = rt
        .block_on(pd.requests())
        .iter()
        .map(|r| format!("{}{}?{}", pd.server.uri(), r.url.path(), r.url.query().unwrap_or("")))
        .collect();
    let client = reqwest::Client::new();
    let mut g = c.benchmark_group("pagerduty");
    g.sample_size(10);
    g.bench_function("poll 10,000 open incidents from the mock (100 pages)", |b| {
        b.iter(|| rt.block_on(source.poll()).unwrap().len())
    });
    g.bench_function("the mock alone: the same 100 requests, answers read and dropped", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut bytes = 0;
                for url in &urls {
                    let resp = client
                        .get(url)
                        .header("Authorization", format!("Token token={KEY}"))
                        .header("Accept", "application/vnd.pagerduty+json;version=2")
                        .send()
                        .await
                        .unwrap();
                    bytes += resp.bytes().await.unwrap().len();
                }
                bytes
            })
        })
    });
    g.finish();
}

criterion_group!(benches, poll);
criterion_main!(benches);
