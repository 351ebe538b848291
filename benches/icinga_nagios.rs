//! The Nagios family at size: a poll of 20,000 service problems from Icinga 2 (a mock serving
//! the answer shape Debian's Icinga 2.13 gave in tests/suite/icinga2.rs), and a 20,000-service
//! status.dat with the objects.cache beside it (the blocks Nagios 4.4 wrote in tests/suite/nagios.rs).
//! Each with its reference from the same run: the mock's answers fetched and dropped; the
//! files read and dropped.
//!
//! cargo bench --bench icinga_nagios

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::fmt::Write;
use std::os::unix::fs::PermissionsExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const N: usize = 20_000;

/// `/v1/objects/services` as Icinga answers it: every attribute klaxon asks for, the host joined.
fn services() -> Vec<u8> {
    let results: Vec<_> = (0..N)
        .map(|i| {
            let (host, svc) = (format!("host-{:05}", i / 10), format!("service-{}", i % 10));
            json!({
                "attrs": {
                    "acknowledgement": if i.is_multiple_of(7) { 1.0 } else { 0.0 }, "acknowledgement_expiry": 0,
                    "action_url": "", "display_name": svc, "downtime_depth": 0.0, "host_name": host,
                    "last_check_result": {
                        "active": true, "check_source": "icinga-master", "command": ["/usr/lib/nagios/plugins/check_disk", "-w", "10%"],
                        "execution_end": 1796214030.905205, "execution_start": 1796214030.8, "exit_status": 2.0,
                        "output": format!("DISK CRITICAL - free space: / 812 MB ({}% inode=97%);", i % 100),
                        "performance_data": ["/=19345MB;18420;20722;0;20722"], "previous_hard_state": 0.0,
                        "schedule_end": 1796214030.905205, "schedule_start": 1796214030.8, "state": 2.0, "ttl": 0.0,
                        "type": "CheckResult", "vars_after": {"attempt": 1.0, "reachable": true, "state": 2.0, "state_type": 1.0},
                        "vars_before": {"attempt": 1.0, "reachable": true, "state": 0.0, "state_type": 1.0}
                    },
                    "last_hard_state_change": 1796214000.1, "last_state_change": 1796214000.1,
                    "notes": "Clean /var/log first", "notes_url": format!("https://wiki.example/{svc}"),
                    "state": (1 + i % 3) as f64, "state_type": 1.0
                },
                "joins": {"host": {"display_name": host, "name": host}},
                "meta": {}, "name": format!("{host}!{svc}"), "type": "Service"
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "results": results })).unwrap()
}

/// A servicestatus block with every field Nagios 4.4 writes.
fn service_block(out: &mut String, i: usize) {
    let (host, svc) = (format!("host-{:05}", i / 10), format!("service-{}", i % 10));
    let _ = write!(
        out,
        "servicestatus {{\n\thost_name={host}\n\tservice_description={svc}\n\tmodified_attributes=0\n\tcheck_command=check_disk\n\
         \tcheck_period=24x7\n\tnotification_period=24x7\n\timportance=0\n\tcheck_interval=5.000000\n\tretry_interval=1.000000\n\
         \tevent_handler=\n\thas_been_checked=1\n\tshould_be_scheduled=1\n\tcheck_execution_time=0.012\n\tcheck_latency=0.761\n\
         \tcheck_type=0\n\tcurrent_state={}\n\tlast_hard_state={}\n\tlast_event_id=0\n\tcurrent_event_id=1\n\tcurrent_problem_id=1\n\
         \tlast_problem_id=0\n\tcurrent_attempt=1\n\tmax_attempts=3\n\tstate_type=1\n\tlast_state_change=1796214918\n\
         \tlast_hard_state_change=1796214918\n\tlast_time_ok=1796214000\n\tlast_time_warning=0\n\tlast_time_unknown=0\n\
         \tlast_time_critical=1796214918\n\tplugin_output=DISK CRITICAL - free space: / 812 MB ({}% inode=97%);\n\
         \tlong_plugin_output=\n\tperformance_data=/=19345MB;18420;20722;0;20722\n\tlast_check=1796214918\n\tnext_check=1796215218\n\
         \tcheck_options=0\n\tcurrent_notification_number=0\n\tcurrent_notification_id=0\n\tlast_notification=0\n\
         \tnext_notification=0\n\tno_more_notifications=0\n\tnotifications_enabled=1\n\tactive_checks_enabled=1\n\
         \tpassive_checks_enabled=1\n\tevent_handler_enabled=1\n\tproblem_has_been_acknowledged={}\n\tacknowledgement_type=0\n\
         \tflap_detection_enabled=1\n\tprocess_performance_data=1\n\tobsess=1\n\tlast_update=1796214921\n\tis_flapping=0\n\
         \tpercent_state_change=6.25\n\tscheduled_downtime_depth=0\n\t}}\n\n",
        1 + i % 3,
        1 + i % 3,
        i % 100,
        u8::from(i.is_multiple_of(7))
    );
}

fn status_dat() -> String {
    let mut out = String::from(
        "########################################\n#          NAGIOS STATUS FILE\n########################################\n\n\
         info {\n\tcreated=1796214921\n\tversion=4.4.6\n\t}\n\nprogramstatus {\n\tnagios_pid=5652\n\t}\n\n",
    );
    for h in 0..N / 10 {
        let _ = write!(
            out,
            "hoststatus {{\n\thost_name=host-{h:05}\n\thas_been_checked=1\n\tcurrent_state=0\n\tstate_type=1\n\
             \tplugin_output=PING OK\n\tproblem_has_been_acknowledged=0\n\tscheduled_downtime_depth=0\n\t}}\n\n"
        );
    }
    for i in 0..N {
        service_block(&mut out, i);
    }
    out
}

fn objects_cache() -> String {
    let mut out = String::from("# objects.cache\n\n");
    for h in 0..N / 10 {
        let _ =
            write!(out, "define host {{\n\thost_name\thost-{h:05}\n\talias\tHost {h}\n\taddress\t10.0.0.1\n\t}}\n\n");
    }
    for i in 0..N {
        let _ = write!(
            out,
            "define service {{\n\thost_name\thost-{:05}\n\tservice_description\tservice-{}\n\tnotes_url\thttps://wiki.example/s\n\t}}\n\n",
            i / 10,
            i % 10
        );
    }
    out
}

fn icinga(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = services();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        let answer = |b: Vec<u8>| ResponseTemplate::new(200).set_body_raw(b, "application/json");
        Mock::given(method("POST"))
            .and(path("/v1/objects/services"))
            .respond_with(answer(body.clone()))
            .mount(&server)
            .await;
        for empty in ["/v1/objects/hosts", "/v1/objects/comments", "/v1/objects/downtimes"] {
            Mock::given(method("POST"))
                .and(path(empty))
                .respond_with(answer(b"{\"results\":[]}".to_vec()))
                .mount(&server)
                .await;
        }
        server
    });
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "bench\n").unwrap();
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!(
        "[[sources]]\nname = \"ici\"\nkind = \"icinga2\"\nurl = \"{}\"\nusername = \"u\"\npassword_file = \"{}\"\nmax_bytes = 200000000\n",
        server.uri(),
        password.display()
    );
    let cfg = klaxon::settings::parse(&text, "bench.toml").unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    assert_eq!(rt.block_on(source.poll()).unwrap().len(), N);
    let klaxon::sources::SourceKind::Icinga2(ic) = &cfg.sources[0].kind else { unreachable!() };
    let direct = klaxon::sources::icinga2::Icinga2Source::new(&cfg.sources[0], ic).unwrap();
    let empty = br#"{"results":[]}"#;
    let client = reqwest::Client::new();
    let url = format!("{}/v1/objects/services", server.uri());
    let mut g = c.benchmark_group("icinga2");
    g.sample_size(10);
    g.bench_function(format!("poll {N} service problems from the mock (services, hosts, comments)"), |b| {
        b.iter(|| rt.block_on(source.poll()).unwrap().len())
    });
    g.bench_function(format!("decode and map {N} service problems (no network)"), |b| {
        b.iter(|| direct.decode(&body, empty, empty, empty).unwrap().len())
    });
    g.bench_function("the mock alone: the services answer fetched and dropped", |b| {
        b.iter(|| rt.block_on(async { client.post(&url).send().await.unwrap().bytes().await.unwrap().len() }))
    });
    g.finish();
    println!("icinga2 services answer: {} bytes", body.len());
}

fn nagios(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (status, objects) = (dir.path().join("status.dat"), dir.path().join("objects.cache"));
    let status_text = status_dat();
    std::fs::write(&status, &status_text).unwrap();
    std::fs::write(&objects, objects_cache()).unwrap();
    let text = format!(
        "[[sources]]\nname = \"nag\"\nkind = \"nagios\"\nstatus_file = \"{}\"\nwrite_back = false\nmax_bytes = 200000000\n",
        status.display()
    );
    let cfg = klaxon::settings::parse(&text, "bench.toml").unwrap();
    let klaxon::sources::SourceKind::Nagios(nc) = &cfg.sources[0].kind else { unreachable!() };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    assert_eq!(rt.block_on(source.poll()).unwrap().len(), N);
    let direct = klaxon::sources::nagios::NagiosSource::new(&cfg.sources[0], nc);
    let objects_bytes = std::fs::read(&objects).unwrap();
    let mut g = c.benchmark_group("nagios");
    g.sample_size(10);
    g.bench_function(format!("decode and map a {N}-service status.dat, all problems (no files)"), |b| {
        b.iter(|| direct.decode(status_text.as_bytes(), &objects_bytes).unwrap().len())
    });
    g.bench_function(format!("poll a {N}-service status.dat rewritten since the last poll"), |b| {
        b.iter_batched(
            || {
                // As Nagios does it: a new file renamed over the old one.
                let tmp = dir.path().join("status.tmp");
                std::fs::write(&tmp, &status_text).unwrap();
                std::fs::rename(&tmp, &status).unwrap();
            },
            |()| rt.block_on(source.poll()).unwrap().len(),
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function(format!("poll the same {N}-service status.dat unchanged"), |b| {
        b.iter(|| rt.block_on(source.poll()).unwrap().len())
    });
    g.bench_function("the files alone: status.dat and objects.cache read and dropped", |b| {
        b.iter(|| std::fs::read(&status).unwrap().len() + std::fs::read(&objects).unwrap().len())
    });
    g.finish();
    println!("status.dat: {} bytes, objects.cache: {} bytes", status_text.len(), objects_bytes.len());
}

criterion_group!(benches, icinga, nagios);
criterion_main!(benches);
