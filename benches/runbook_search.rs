//! Searching 1,000 runbooks: `cargo bench --bench runbook_search`. Figures in the README.

use criterion::{Criterion, criterion_group, criterion_main};
use klaxon::runbooks::Library;
use std::hint::black_box;

/// 1,000 runbooks of about the bundled ones' size: the bundled texts under new names and
/// titles, written to a temp dir and loaded as a user's directory would be.
fn library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    let services = ["api", "checkout", "payments", "search", "auth", "queue", "db", "cache", "web", "batch"];
    for i in 0..1000 {
        let (name, text) = klaxon::runbooks::index::BUNDLED[i % klaxon::runbooks::index::BUNDLED.len()];
        let service = services[i % services.len()];
        let body = text.split_once("\n+++\n").map_or(text, |(_, b)| b);
        let doc = format!(
            "+++\ntitle = \"{service} {name} {i}\"\ntags = [\"{service}\", \"team-{}\"]\nalertnames = [\"{name}*\"]\n+++\n{body}",
            i % 17
        );
        std::fs::write(dir.path().join(format!("{service}-{name}-{i}.md")), doc).unwrap();
    }
    let (lib, problems) = Library::load(&[dir.path().to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(lib.all().len(), 1000 + klaxon::runbooks::index::BUNDLED.len());
    (dir, lib)
}

fn bench(c: &mut Criterion) {
    let (_dir, lib) = library();
    let mut g = c.benchmark_group("search 1,011 runbooks");
    for query in ["payments replication", "certexp", "openssl s_client", "zzqqxx"] {
        g.bench_function(format!("query {query:?}"), |b| b.iter(|| black_box(lib.search(query, 20).len())));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
