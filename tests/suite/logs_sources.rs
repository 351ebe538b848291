//! The three log sources as a person configures them: Loki against a mock server (exact
//! path, query parameters and headers, backward paging, then following), a file that
//! rotates under the tail, and journalctl (the real one where it can run, and a stand-in
//! that records the arguments it is given).

use crate::common;

use common::alerts::{alert, t0};
use klaxon::logs::{Configured, Outcome};
use klaxon::model::{Alert, Level, Severity};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn configured(toml: &str, base: Option<&Path>) -> Configured {
    let cfg = klaxon::settings::parse(toml, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    klaxon::logs::build(&cfg.logs[0], base).unwrap()
}

/// `prod/d1`, an InstanceDown on db that started 50 minutes before t0.
fn db_alert() -> Alert {
    let mut a = alert("prod", "d1", Severity::Disaster, 50, "InstanceDown", "db");
    a.labels.insert("instance", "db-1:9100");
    a
}

fn ns(minutes_after_start: i64) -> i128 {
    let t = db_alert().started_at + chrono::Duration::minutes(minutes_after_start);
    i128::from(t.timestamp_nanos_opt().unwrap())
}

fn streams(lines: &[(i128, &str)]) -> serde_json::Value {
    let values: Vec<_> = lines.iter().map(|(t, l)| json!([t.to_string(), l])).collect();
    json!({"status": "success", "data": {"resultType": "streams", "result": [
        {"stream": {"job": "db", "level": "warn"}, "values": values}
    ]}})
}

fn loki_toml(url: &str, token_file: &Path) -> String {
    format!(
        "[[logs]]\nname = \"loki\"\nkind = \"loki\"\nurl = \"{url}/\"\norg_id = \"team-a\"\ntoken_file = \"{}\"\n\
         query = '{{instance=\"{{{{ labels.instance }}}}\"}} |= \"error\"'\nbefore = \"10m\"\nlimit = 5\npage = 2\n",
        token_file.display()
    )
}

fn token_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("loki.token");
    std::fs::write(&p, "s3cret-token\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[tokio::test]
async fn loki_reads_the_window_backward_in_pages_then_follows_forward() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let since = ns(-10).to_string();
    let base = || {
        Mock::given(method("GET"))
            .and(path("/loki/api/v1/query_range"))
            .and(query_param("query", r#"{instance="db-1:9100"} |= "error""#))
            .and(header("X-Scope-OrgID", "team-a"))
            .and(header("Authorization", "Bearer s3cret-token"))
    };
    // Page 1 ends now; page 2 where page 1's oldest line was; page 3 asks for what is left.
    let (p2_end, p3_end) = (ns(4).to_string(), ns(2).to_string());
    base()
        .and(query_param("direction", "backward"))
        .and(query_param("start", since.as_str()))
        .and(query_param("limit", "2"))
        .and(move |r: &Request| {
            r.url.query_pairs().any(|(k, v)| k == "end" && v != ns(4).to_string() && v != ns(2).to_string())
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(streams(&[
            (ns(5), "five"),
            (ns(4), "{\"msg\":\"four\",\"level\":\"error\",\"trace_id\":\"t1\"}"),
        ])))
        .expect(1)
        .mount(&server)
        .await;
    base()
        .and(query_param("direction", "backward"))
        .and(query_param("end", p2_end.as_str()))
        .and(query_param("limit", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(streams(&[(ns(3), "three"), (ns(2), "two")])))
        .expect(1)
        .mount(&server)
        .await;
    base()
        .and(query_param("direction", "backward"))
        .and(query_param("end", p3_end.as_str()))
        .and(query_param("limit", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(streams(&[(ns(1), "one")])))
        .expect(1)
        .mount(&server)
        .await;
    let after = (ns(5) + 1).to_string();
    base()
        .and(query_param("direction", "forward"))
        .and(query_param("start", after.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(streams(&[(ns(6), "six")])))
        .expect(1)
        .mount(&server)
        .await;

    let src = configured(&loki_toml(&server.uri(), &token_file(dir.path())), None);
    let plan = src.plan(&db_alert(), t0()).unwrap();
    let mut tail = src.source.tail(plan);
    let lines = tail.next().await.unwrap();
    let msgs: Vec<_> = lines.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(msgs, ["one", "two", "three", "four", "five"], "oldest first, five lines in three pages");
    assert_eq!(lines[3].level, Some(Level::Error), "the line's own level");
    assert_eq!(lines[0].level, Some(Level::Warn), "else the stream's level label");
    assert_eq!(lines[3].correlation(), Some(("trace_id", "t1")));
    assert_eq!(lines[0].labels.get("job"), Some("db"));
    assert_eq!(lines[0].at.unwrap().timestamp_nanos_opt().unwrap() as i128, ns(1));
    let more = tail.next().await.unwrap();
    assert_eq!(more.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(), ["six"]);
}

#[tokio::test]
async fn loki_failures_say_why_and_never_show_the_token() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    Mock::given(path("/loki/api/v1/query_range"))
        .and(query_param("direction", "backward"))
        .respond_with(ResponseTemplate::new(429).set_body_string("too many outstanding requests"))
        .mount(&server)
        .await;
    let src = configured(&loki_toml(&server.uri(), &token_file(dir.path())), None);
    let err = src.fetch_once(&db_alert(), t0()).await.unwrap_err();
    let Outcome::Failed(why) = err else { panic!("{err:?}") };
    assert!(why.contains("429") && why.contains("too many outstanding requests"), "{why}");
    assert!(!why.contains("s3cret"), "{why}");

    let metric = MockServer::start().await;
    Mock::given(path("/loki/api/v1/query_range"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status":"success","data":{"resultType":"matrix","result":[]}})),
        )
        .mount(&metric)
        .await;
    let src = configured(&loki_toml(&metric.uri(), &token_file(dir.path())), None);
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("metric query"), "{why}");

    // An alert without the label the query needs is skipped, with the reason.
    let mut bare = db_alert();
    bare.labels.remove("instance");
    let Err(Outcome::Skipped(why)) = src.fetch_once(&bare, t0()).await else { panic!() };
    assert_eq!(why, "the alert has no labels.instance");
}

fn messages(lines: &[klaxon::model::LogLine]) -> Vec<&str> {
    lines.iter().map(|l| l.message.as_str()).collect()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_file_tail_follows_rename_rotation_and_copytruncate() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("db.log");
    append(
        &log,
        "{\"ts\":\"2026-11-21T02:00:00Z\",\"msg\":\"long before\"}\n{\"ts\":\"2026-11-21T02:20:00Z\",\"level\":\"warn\",\"msg\":\"in the window\"}\n",
    );
    // The path is a template, relative to the config's directory.
    let src = configured(
        "[[logs]]\nname = \"app\"\nkind = \"file\"\npath = \"{{ service }}.log\"\nbefore = \"10m\"\n",
        Some(dir.path()),
    );
    let mut tail = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    assert_eq!(messages(&tail.next().await.unwrap()), ["in the window"]);

    append(&log, "a1 written before rotation\n");
    std::fs::rename(&log, dir.path().join("db.log.1")).unwrap();
    append(&dir.path().join("db.log.1"), "a2 late write to the old file\n");
    append(&log, "b1 first line of the new file, long enough\n");
    assert_eq!(messages(&tail.next().await.unwrap()), ["a1 written before rotation", "a2 late write to the old file"]);
    assert_eq!(messages(&tail.next().await.unwrap()), ["b1 first line of the new file, long enough"]);
    assert!(tail.next().await.unwrap().is_empty());

    // copytruncate: the same file, cut to nothing and written again.
    std::fs::OpenOptions::new().write(true).truncate(true).open(&log).unwrap();
    append(&log, "c1 after truncate\n");
    assert_eq!(messages(&tail.next().await.unwrap()), ["c1 after truncate"]);

    // A missing file is an error naming it; the tail keeps trying.
    std::fs::remove_file(&log).unwrap();
    let mut gone = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    let err = gone.next().await.unwrap_err().to_string();
    assert!(err.contains("db.log") && err.contains("No such file"), "{err}");
    append(&log, "{\"ts\":\"2026-11-21T03:00:00Z\",\"msg\":\"back\"}\n");
    assert_eq!(messages(&gone.next().await.unwrap()), ["back"]);
}

#[tokio::test]
async fn journalctl_runs_with_the_units_matches_and_window_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let fake = dir.path().join("journalctl");
    let entries = [
        json!({"__CURSOR": "s=1;i=1", "__REALTIME_TIMESTAMP": "1763694000000000", "PRIORITY": "4", "_SYSTEMD_UNIT": "db.service", "MESSAGE": "checkpoint slow"}),
        json!({"__CURSOR": "s=1;i=2", "__REALTIME_TIMESTAMP": "1763694001000000", "PRIORITY": "3", "_SYSTEMD_UNIT": "db.service", "MESSAGE": "\u{1b}[31mconnection refused\u{202e}", "REQUEST_ID": "q-7"}),
    ];
    let printed: String = entries.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(dir.path().join("out"), printed).unwrap();
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> {0}/args\necho --- >> {0}/args\ncat {0}/out\n: > {0}/out\n",
            dir.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let toml = format!(
        "[[logs]]\nname = \"journal\"\nkind = \"journald\"\njournalctl = \"{}\"\ndirectory = \"/var/log/journal\"\nbefore = \"5m\"\nlimit = 200\n",
        fake.display()
    );
    let src = configured(&toml, None);
    let a = db_alert();
    let mut tail = src.source.tail(src.plan(&a, t0()).unwrap());
    let lines = tail.next().await.unwrap();
    assert_eq!(messages(&lines), ["checkpoint slow", "[31mconnection refused"]);
    assert_eq!(lines[1].level, Some(Level::Error));
    assert_eq!(lines[1].correlation(), Some(("REQUEST_ID", "q-7")));
    assert!(tail.next().await.unwrap().is_empty());
    let args = std::fs::read_to_string(&args_file).unwrap();
    let calls: Vec<Vec<&str>> = args.split("---\n").filter(|c| !c.is_empty()).map(|c| c.lines().collect()).collect();
    let since = format!("--since=@{}", (a.started_at - chrono::Duration::minutes(5)).timestamp());
    for want in ["-o", "json", "--no-pager", "--directory=/var/log/journal", since.as_str(), "--lines=200", "--unit=db"]
    {
        assert!(calls[0].contains(&want), "{want} missing from {:?}", calls[0]);
    }
    assert!(calls[1].contains(&"--after-cursor=s=1;i=2"), "the second read starts after the last: {:?}", calls[1]);
}

#[tokio::test]
async fn the_real_journalctl_accepts_the_arguments() {
    let Some(journalctl) = common::require("/usr/bin/journalctl", "systemd") else { return };
    let dir = tempfile::tempdir().unwrap();
    let toml = |d: &Path| {
        format!(
            "[[logs]]\nname = \"journal\"\nkind = \"journald\"\njournalctl = \"{}\"\ndirectory = \"{}\"\nquery = \"-u {{{{ service }}}} SYSLOG_IDENTIFIER={{{{ service }}}} + _SYSTEMD_UNIT={{{{ service }}}}.service\"\n",
            journalctl.display(),
            d.display()
        )
    };
    // An empty journal directory: no lines, and no complaint about any argument.
    let lines = configured(&toml(dir.path()), None).fetch_once(&db_alert(), t0()).await.unwrap();
    assert!(lines.is_empty());
    // A directory that does not exist: journalctl's own words.
    let err = configured(&toml(&dir.path().join("nope")), None).fetch_once(&db_alert(), t0()).await.unwrap_err();
    let Outcome::Failed(why) = err else { panic!("{err:?}") };
    assert!(why.starts_with("journalctl failed") && why.contains("nope"), "{why}");
}
