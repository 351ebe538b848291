//! Polling 10,000 Zabbix problems from a mock API (pages of 1,000, numbers as strings as
//! Zabbix sends them): the requests, decoding and mapping to alerts, sanitizing included.
//!
//! cargo bench --bench zabbix_poll

#[path = "../tests/suite/common/zabbix_mock.rs"]
mod zabbix_mock;

use criterion::{Criterion, criterion_group, criterion_main};
use std::os::unix::fs::PermissionsExt;
use zabbix_mock::{Behaviour, MockZabbix};

fn poll(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let z = rt.block_on(MockZabbix::start(Behaviour { problems: 10_000, ..Behaviour::default() }));
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!(
        "[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{}\"\ntoken_file = \"{}\"\nmax_bytes = 100000000\n",
        z.server.uri(),
        token.display()
    );
    let cfg = klaxon::settings::parse(&text, "bench.toml").unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    assert_eq!(rt.block_on(source.poll()).unwrap().len(), 10_000);
    // The mock's own share: the same requests answered, read and thrown away.
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api_jsonrpc.php", z.server.uri());
    let requests: Vec<String> = z.seen().iter().map(|s| s.body.to_string()).collect();
    let mut g = c.benchmark_group("zabbix");
    g.sample_size(20);
    g.bench_function("poll 10,000 problems from the mock (10 pages, trigger.get, user.get)", |b| {
        b.iter(|| rt.block_on(source.poll()).unwrap().len())
    });
    g.bench_function("the mock alone: the same requests, answers read and dropped", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut bytes = 0;
                for body in &requests {
                    let resp = client.post(&endpoint).body(body.clone()).send().await.unwrap();
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
