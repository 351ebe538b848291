//! Loading and searching a large runbook repository: `cargo bench --bench runbook_search`.
//! Figures in the README.

use criterion::{Criterion, criterion_group, criterion_main};
use klaxon::runbooks::Library;
use klaxon::runbooks::index::BUNDLED;
use std::hint::black_box;
use std::time::Duration;

const FILES: usize = 5000;

/// 5,000 runbooks of about the bundled ones' size, laid out as a Hugo repository is: 50
/// component folders with an `_index.md` each, YAML front matter on most files, TOML on some,
/// none on the rest.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let services = ["api", "checkout", "payments", "search", "auth", "queue", "db", "cache", "web", "batch"];
    for c in 0..50 {
        let folder = dir.path().join(format!("component-{c}"));
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("_index.md"), format!("---\ntitle: component {c}\nweight: 10\n---\n")).unwrap();
    }
    for i in 0..FILES - 50 {
        let (name, text) = BUNDLED[i % BUNDLED.len()];
        let service = services[i % services.len()];
        let body = text.split_once("\n+++\n").map_or(text, |(_, b)| b);
        let front = match i % 10 {
            0..=6 => format!("---\ntitle: {service} {name} {i}\nweight: 20\ntags: [{service}, team-{}]\n---\n", i % 17),
            7 | 8 => format!("+++\ntitle = \"{service} {name} {i}\"\nalertnames = [\"{name}*\"]\n+++\n"),
            _ => String::new(),
        };
        let path = dir.path().join(format!("component-{}/{service}-{name}-{i}.md", i % 50));
        std::fs::write(path, format!("{front}{body}")).unwrap();
    }
    dir
}

fn load(dir: &std::path::Path) -> Library {
    let (lib, problems) = Library::load(&[dir.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(lib.all().len(), FILES + BUNDLED.len());
    lib
}

fn bench(c: &mut Criterion) {
    let dir = repository();
    let mut g = c.benchmark_group("5,000 runbook files");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("load and index", |b| b.iter(|| black_box(load(dir.path()).all().len())));
    g.finish();

    let lib = load(dir.path());
    let mut g = c.benchmark_group("search 5,011 runbooks");
    g.sample_size(20);
    for query in ["payments replication", "certexp", "openssl s_client", "zzqqxx"] {
        g.bench_function(format!("query {query:?}"), |b| b.iter(|| black_box(lib.search(query, 20).len())));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
