//! The search-backend log sources (Elasticsearch/OpenSearch, Graylog, Splunk, Sumo Logic)
//! against wiremock servers that answer with the shapes each vendor documents (none of them
//! runs here: Debian ships none). Each mock names the documentation page its shape is from.
//! Per backend: the exact request, paging to the end with the right cursor, following
//! without repeating or skipping lines that share a timestamp, a hostile label value kept
//! inside its quotes, and an error that names the failure but never the secret.

use crate::common;

use common::Sandbox;
use common::alerts::{alert, t0};
use klaxon::logs::{Configured, Outcome};
use klaxon::model::{Alert, Level, LogLine, Severity};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn configured(toml: &str) -> Configured {
    let cfg = klaxon::settings::parse(toml, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    klaxon::logs::build(&cfg.logs[0], None).unwrap()
}

fn config_error(toml: &str) -> String {
    match klaxon::settings::parse(toml, "t.toml") {
        Ok(_) => panic!("accepted: {toml}"),
        Err(e) => e.to_string(),
    }
}

/// `prod/d1`, an InstanceDown on db that started 50 minutes before t0.
fn db_alert() -> Alert {
    let mut a = alert("prod", "d1", Severity::Disaster, 50, "InstanceDown", "db");
    a.labels.insert("instance", "db-1:9100");
    a
}

/// The alert with an instance label written to break out of any query it lands in.
fn hostile_alert() -> Alert {
    let mut a = db_alert();
    a.labels.insert("instance", "x\" OR * OR \"y\\\" | delete\nindex=*");
    a
}

fn ms(minutes_after_start: i64) -> i64 {
    (db_alert().started_at + chrono::Duration::minutes(minutes_after_start)).timestamp_millis()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn secret_file(dir: &Path, name: &str, value: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{value}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

fn messages(lines: &[LogLine]) -> Vec<&str> {
    lines.iter().map(|l| l.message.as_str()).collect()
}

fn body_json(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// Reads a double-quoted phrase at the start of `s` as the query parsers of Lucene, SPL and
/// Sumo Logic do (`\` escapes the next character, `"` ends it): the value and what follows.
fn read_phrase(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '"' => return Some((value, &s[i + 2..])),
            c => value.push(c),
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Elasticsearch / OpenSearch
//
// Shapes from the Elasticsearch API reference:
// - open a point in time, `POST /{index}/_pit?keep_alive=` → `{"id"}`:
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-open-point-in-time
// - search, `POST /_search` with `pit`, `sort`, `search_after`, `_source` → `{"pit_id",
//   "timed_out", "_shards", "hits": {"hits": [{"_index","_id","_source","sort"}]}}`:
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-search and
//   https://www.elastic.co/guide/en/elasticsearch/reference/current/paginate-search-results.html
//   (search_after with a PIT and the `_shard_doc` tiebreaker)
// - close it, `DELETE /_pit` with `{"id"}`:
//   https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-close-point-in-time
// - OpenSearch: `POST /{index}/_search/point_in_time?keep_alive=` → `{"pit_id", "_shards",
//   "creation_time"}`, `DELETE /_search/point_in_time` with `{"pit_id": [..]}`:
//   https://docs.opensearch.org/docs/latest/api-reference/search-apis/point-in-time-api/
// ---------------------------------------------------------------------------------------

fn es_toml(url: &str, key_file: &Path, extra: &str) -> String {
    format!(
        "[[logs]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"{url}/\"\nindex = \"logs-*\"\n\
         api_key_file = \"{}\"\nquery = 'host.name:{{{{ labels.instance }}}} AND NOT log.level:debug'\n\
         fields = [\"service.name\"]\nbefore = \"10m\"\nlimit = 5\npage = 2\n{extra}",
        key_file.display()
    )
}

/// One hit as Elasticsearch returns it: ECS fields nested in `_source`.
fn es_hit(id: &str, ms: i64, shard_doc: i64, msg: &str) -> Value {
    json!({
        "_index": ".ds-logs-app-2026.11.21-000001", "_id": id, "_score": null,
        "_source": {"@timestamp": rfc3339(ms), "message": msg, "log": {"level": "warn"},
                    "trace": {"id": format!("tr-{id}")}, "service": {"name": "db"}},
        "sort": [ms, shard_doc]
    })
}

fn es_answer(pit_id: Option<&str>, hits: Vec<Value>) -> Value {
    let mut v = json!({
        "took": 3, "timed_out": false,
        "_shards": {"total": 2, "successful": 2, "skipped": 0, "failed": 0},
        "hits": {"max_score": null, "hits": hits}
    });
    if let Some(id) = pit_id {
        v["pit_id"] = json!(id);
    }
    v
}

#[tokio::test]
async fn elasticsearch_pages_the_window_in_a_point_in_time_then_follows_without_repeats_or_gaps() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = secret_file(dir.path(), "es.key", "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
    let auth = "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
    Mock::given(method("POST"))
        .and(path("/logs-*/_pit"))
        .and(query_param("keep_alive", "1m"))
        .and(header("Authorization", auth))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "pit-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let since = ms(-10);
    // Page 1: the whole request, checked key by key.
    Mock::given(method("POST"))
        .and(path("/_search"))
        .and(header("Authorization", auth))
        .and(header("Content-Type", "application/json"))
        .and(move |r: &Request| {
            let b = body_json(r);
            let filter = &b["query"]["bool"]["filter"];
            b["size"] == 2
                && b.get("search_after").is_none()
                && b["pit"] == json!({"id": "pit-1", "keep_alive": "1m"})
                && b["sort"] == json!([{"@timestamp": {"order": "desc"}}, {"_shard_doc": {"order": "desc"}}])
                && b["_source"] == json!(["@timestamp", "message", "log.level", "trace.id", "service.name"])
                && filter[0]["range"]["@timestamp"]["gte"] == since
                && filter[0]["range"]["@timestamp"]["format"] == "epoch_millis"
                && filter[0]["range"]["@timestamp"]["lte"].as_i64().is_some_and(|lte| lte > since)
                && filter[1]["query_string"]["query"] == "host.name:\"db-1:9100\" AND NOT log.level:debug"
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(es_answer(
            Some("pit-2"),
            vec![es_hit("e5", ms(5), 50, "five"), es_hit("e4", ms(4), 40, "four")],
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Page 2: after page 1's last sort values, with the PIT id the server handed back.
    Mock::given(method("POST"))
        .and(path("/_search"))
        .and(body_partial_json(json!({"size": 2, "pit": {"id": "pit-2"}, "search_after": [ms(4), 40]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(es_answer(
            Some("pit-2"),
            vec![es_hit("e3", ms(3), 30, "three"), es_hit("e2", ms(2), 20, "two")],
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Page 3: what is left of the limit.
    Mock::given(method("POST"))
        .and(path("/_search"))
        .and(body_partial_json(json!({"size": 1, "search_after": [ms(2), 20]})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(es_answer(Some("pit-2"), vec![es_hit("e1", ms(1), 10, "one")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/_pit"))
        .and(body_partial_json(json!({"id": "pit-2"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"succeeded": true, "num_freed": 2})))
        .expect(1)
        .mount(&server)
        .await;
    // Follow 1: at or after the newest time seen, oldest first, on the index (no PIT). "five"
    // comes back (same time) and is dropped; "five-b" shares its millisecond and is new.
    Mock::given(method("POST"))
        .and(path("/logs-*/_search"))
        .and(move |r: &Request| {
            let b = body_json(r);
            b["query"]["bool"]["filter"][0]["range"]["@timestamp"] == json!({"gte": ms(5), "format": "epoch_millis"})
                && b["sort"] == json!([{"@timestamp": {"order": "asc"}}])
                && b["size"] == 3
                && b.get("pit").is_none()
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(es_answer(
            None,
            vec![es_hit("e5", ms(5), 0, "five"), es_hit("e5b", ms(5), 0, "five-b"), es_hit("e6", ms(6), 0, "six")],
        )))
        .expect(1)
        .mount(&server)
        .await;
    // Follow 2: from "six"'s time; "six" again (dropped) and "six-b" beside it.
    Mock::given(method("POST"))
        .and(path("/logs-*/_search"))
        .and(move |r: &Request| body_json(r)["query"]["bool"]["filter"][0]["range"]["@timestamp"]["gte"] == ms(6))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(es_answer(None, vec![es_hit("e6", ms(6), 0, "six"), es_hit("e6b", ms(6), 0, "six-b")])),
        )
        .expect(1)
        .mount(&server)
        .await;

    let src = configured(&es_toml(&server.uri(), &key, ""));
    let mut tail = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    let lines = tail.next().await.unwrap();
    assert_eq!(messages(&lines), ["one", "two", "three", "four", "five"], "oldest first, five lines in three pages");
    assert_eq!(lines[0].level, Some(Level::Warn), "log.level");
    assert_eq!(lines[0].at.unwrap().timestamp_millis(), ms(1), "@timestamp");
    assert_eq!(lines[0].correlation(), Some(("trace_id", "tr-e1")), "trace.id is what the pane correlates by");
    assert_eq!(lines[0].fields.get("service.name"), Some("db"));
    assert_eq!(messages(&tail.next().await.unwrap()), ["five-b", "six"]);
    assert_eq!(messages(&tail.next().await.unwrap()), ["six-b"]);
}

#[tokio::test]
async fn opensearch_uses_its_own_point_in_time_api() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let pw = secret_file(dir.path(), "os.pw", "admin-pw");
    Mock::given(method("POST"))
        .and(path("/logs-*/_search/point_in_time"))
        .and(query_param("keep_alive", "1m"))
        .and(header("Authorization", "Basic cmVhZGVyOmFkbWluLXB3")) // reader:admin-pw
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "pit_id": "os-pit", "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "creation_time": 1658146050064_i64
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/_search"))
        .and(body_partial_json(json!({"pit": {"id": "os-pit"}})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(es_answer(Some("os-pit"), vec![es_hit("o1", ms(1), 1, "hello")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/_search/point_in_time"))
        .and(body_partial_json(json!({"pit_id": ["os-pit"]})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"pits": [{"pit_id": "os-pit", "successful": true}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let toml = format!(
        "[[logs]]\nname = \"os\"\nkind = \"elasticsearch\"\nflavor = \"opensearch\"\nurl = \"{}\"\nindex = \"logs-*\"\n\
         username = \"reader\"\npassword_file = \"{}\"\n",
        server.uri(),
        pw.display()
    );
    let lines = configured(&toml).fetch_once(&db_alert(), t0()).await.unwrap();
    assert_eq!(messages(&lines), ["hello"]);
}

#[tokio::test]
async fn elasticsearch_keeps_a_hostile_label_value_in_one_phrase() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = secret_file(dir.path(), "es.key", "hostile-test-api-key");
    Mock::given(path("/logs-*/_pit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(path("/_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(es_answer(None, vec![])))
        .expect(1)
        .mount(&server)
        .await;
    let src = configured(&es_toml(&server.uri(), &key, ""));
    assert!(src.fetch_once(&hostile_alert(), t0()).await.unwrap().is_empty());
    let searches: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/_search")
        .map(body_json)
        .collect();
    let q = searches[0]["query"]["bool"]["filter"][1]["query_string"]["query"].as_str().unwrap().to_owned();
    // query_string's syntax: a quoted phrase ends at the first unescaped quote.
    // https://www.elastic.co/docs/reference/query-languages/query-dsl/query-dsl-query-string-query#_reserved_characters
    let (value, rest) = read_phrase(q.strip_prefix("host.name:").unwrap()).unwrap();
    assert_eq!(value, "x\" OR * OR \"y\\\" | delete index=*", "the whole value, one phrase, newline made a space");
    assert_eq!(rest, " AND NOT log.level:debug", "the author's query goes on unchanged");

    // A slot written inside quotes would be quoted twice: refused at config time.
    let err = config_error(
        &es_toml("http://127.0.0.1:1", &key, "")
            .replace("host.name:{{ labels.instance }}", "host.name:\"{{ labels.instance }}\""),
    );
    assert!(err.contains("without quotes around the slot"), "{err}");
}

#[tokio::test]
async fn elasticsearch_errors_name_the_failure_not_the_key() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = secret_file(dir.path(), "es.key", "c2VjcmV0LWFwaS1rZXk=");
    // The error shape of the API reference (error.root_cause/type/reason), echoing the key.
    Mock::given(path("/logs-*/_pit"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"type": "security_exception",
                      "reason": "unable to authenticate with provided credentials ApiKey c2VjcmV0LWFwaS1rZXk="},
            "status": 401
        })))
        .mount(&server)
        .await;
    let src = configured(&es_toml(&server.uri(), &key, ""));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("401") && why.contains("security_exception"), "{why}");
    assert!(!why.contains("c2VjcmV0LWFwaS1rZXk="), "{why}");

    // A search some shards could not answer is not shown as the whole window.
    let partial = MockServer::start().await;
    Mock::given(path("/logs-*/_pit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p"})))
        .mount(&partial)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&partial).await;
    let mut half = es_answer(None, vec![es_hit("e1", ms(1), 1, "one")]);
    half["_shards"]["failed"] = json!(1);
    Mock::given(path("/_search")).respond_with(ResponseTemplate::new(200).set_body_json(half)).mount(&partial).await;
    let src = configured(&es_toml(&partial.uri(), &key, ""));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("1 of 2 shards failed"), "{why}");
}

#[test]
fn elasticsearch_config_problems_name_the_key() {
    let base = "[[logs]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://es:9200\"\n";
    assert!(config_error(&format!("{base}index = \"logs/../x\"\n")).contains("index"));
    assert!(config_error(&format!("{base}index = \"logs-*\"\npage = 0\n")).contains("page must be 1 to 10000"));
    let both = format!("{base}index = \"l\"\napi_key_env = \"A\"\ntoken_env = \"B\"\n");
    assert!(config_error(&both).contains("api_key_env"), "{}", config_error(&both));
    let inline = "[[logs]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"https://u:p@es:9200\"\nindex = \"l\"\n";
    let err = config_error(inline);
    assert!(err.contains("url") && err.contains("api_key_env") && !err.contains("u:p"), "{err}");
}

/// `klaxon logs KEY --source es`: the demo alert's window from the mock, printed.
#[tokio::test(flavor = "multi_thread")]
async fn klaxon_logs_reads_elasticsearch() {
    let server = MockServer::start().await;
    Mock::given(path("/logs-*/_pit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "p"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(path("/_search"))
        .and(header("Authorization", "Bearer es-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(es_answer(
            None,
            vec![
                es_hit("e2", 1_763_694_001_000, 2, "replica lag \u{1b}[31mhigh"),
                es_hit("e1", 1_763_694_000_000, 1, "checkpoint"),
            ],
        )))
        .mount(&server)
        .await;
    let extra = format!(
        "[[logs]]\nname = \"es\"\nkind = \"elasticsearch\"\nurl = \"{}\"\nindex = \"logs-*\"\ntoken_file = \"SECRETS/es.token\"\n\
         query = 'host.name:{{{{ labels.instance }}}}'\n",
        server.uri()
    );
    let out = tokio::task::spawn_blocking(move || cli_logs(&extra, &[("es.token", "es-token")], "es")).await.unwrap();
    assert_eq!(
        out,
        [
            "2025-11-21T03:00:00.000Z WARN  checkpoint service.name=db trace_id=tr-e1",
            "2025-11-21T03:00:01.000Z WARN  replica lag [31mhigh service.name=db trace_id=tr-e2",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Graylog
//
// - `GET /api/search/universal/absolute` with `query` (Lucene syntax), `from`/`to`
//   (`yyyy-MM-ddTHH:mm:ss.SSSZ`), `limit`, `offset`, `filter` (`streams:<id>`), `fields`,
//   `sort` (`field:asc|desc`), `decorate` → `{"messages": [{"message": {…, "_id",
//   "timestamp"}, "index"}], "total_results", …}`: the REST API browser's entry for
//   /search/universal/absolute (https://go2docs.graylog.org/current/setting_up_graylog/rest_api.htm,
//   `<graylog>/api/api-browser`).
// - Access tokens: basic auth, the token as the user and the word `token` as the password:
//   https://go2docs.graylog.org/current/setting_up_graylog/rest_api_access_tokens.htm
// - `X-Requested-By` only on non-GET requests (klaxon sends none): the REST API page above.
// ---------------------------------------------------------------------------------------

const GL_TOKEN: &str = "ccg6i59gk1db4jeqed2di1qetlh5g21423j93esom4q8lelbj42";

fn gl_toml(url: &str, token_file: &Path) -> String {
    format!(
        "[[logs]]\nname = \"graylog\"\nkind = \"graylog\"\nurl = \"{url}\"\ntoken_file = \"{}\"\n\
         stream = \"620f890b70fb980467aca611\"\nquery = 'source:{{{{ labels.instance }}}} AND level:<=4'\n\
         fields = [\"facility\"]\nbefore = \"10m\"\nlimit = 5\npage = 2\n",
        token_file.display()
    )
}

fn gl_message(id: &str, ms: i64, msg: &str) -> Value {
    json!({
        "highlight_ranges": {}, "index": "graylog_0", "decoration_stats": null,
        "message": {"_id": id, "timestamp": rfc3339(ms), "message": msg, "source": "db-1",
                    "level": 3, "facility": "postgres", "trace_id": format!("tr-{id}"),
                    "streams": ["620f890b70fb980467aca611"]}
    })
}

fn gl_answer(messages: Vec<Value>) -> Value {
    json!({"query": "…", "built_query": "…", "used_indices": [], "messages": messages,
           "fields": ["message", "source"], "time": 4, "total_results": 99,
           "from": "2026-11-21T02:14:00.000Z", "to": "2026-11-21T03:14:00.000Z"})
}

#[tokio::test]
async fn graylog_pages_by_offset_then_follows_without_repeats_or_gaps() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "gl.token", GL_TOKEN);
    let since = rfc3339(ms(-10));
    let base = || {
        Mock::given(method("GET"))
            .and(path("/api/search/universal/absolute"))
            .and(header("Authorization", format!("Basic {}", b64(&format!("{GL_TOKEN}:token"))).as_str()))
            .and(header("Accept", "application/json"))
            .and(query_param("query", "source:\"db-1:9100\" AND level:<=4"))
            .and(query_param("filter", "streams:620f890b70fb980467aca611"))
            .and(query_param("fields", "timestamp,source,message,level,trace_id,facility"))
            .and(query_param("decorate", "false"))
    };
    // The window: newest first, pages by offset, the same `to` on every page.
    let to = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let same_to = |to: std::sync::Arc<std::sync::Mutex<Option<String>>>| {
        move |r: &Request| {
            let this = r.url.query_pairs().find(|(k, _)| k == "to").map(|(_, v)| v.into_owned());
            let mut first = to.lock().unwrap();
            first.get_or_insert(this.clone().unwrap_or_default()).clone() == this.unwrap_or_default()
        }
    };
    for (offset, limit, msgs) in [
        ("0", "2", vec![gl_message("g5", ms(5), "five"), gl_message("g4", ms(4), "four")]),
        ("2", "2", vec![gl_message("g3", ms(3), "three"), gl_message("g2", ms(2), "two")]),
        ("4", "1", vec![gl_message("g1", ms(1), "one")]),
    ] {
        base()
            .and(query_param("sort", "timestamp:desc"))
            .and(query_param("from", since.as_str()))
            .and(query_param("offset", offset))
            .and(query_param("limit", limit))
            .and(same_to(to.clone()))
            .respond_with(ResponseTemplate::new(200).set_body_json(gl_answer(msgs)))
            .expect(1)
            .mount(&server)
            .await;
    }
    // Follow: from the newest time seen (inclusive), oldest first, room for the one seen there.
    base()
        .and(query_param("sort", "timestamp:asc"))
        .and(query_param("from", rfc3339(ms(5)).as_str()))
        .and(query_param("limit", "3"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gl_answer(vec![
            gl_message("g5", ms(5), "five"),
            gl_message("g5b", ms(5), "five-b"),
            gl_message("g6", ms(6), "six"),
        ])))
        .expect(1)
        .mount(&server)
        .await;
    base()
        .and(query_param("sort", "timestamp:asc"))
        .and(query_param("from", rfc3339(ms(6)).as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(gl_answer(vec![gl_message("g6", ms(6), "six"), gl_message("g6b", ms(6), "six-b")])),
        )
        .expect(1)
        .mount(&server)
        .await;

    let src = configured(&gl_toml(&server.uri(), &token));
    let mut tail = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    let lines = tail.next().await.unwrap();
    assert_eq!(messages(&lines), ["one", "two", "three", "four", "five"]);
    assert_eq!(lines[0].level, Some(Level::Error), "syslog level 3");
    assert_eq!(lines[0].at.unwrap().timestamp_millis(), ms(1));
    assert_eq!(lines[0].correlation(), Some(("trace_id", "tr-g1")));
    assert_eq!(lines[0].fields.get("facility"), Some("postgres"));
    assert_eq!(lines[0].fields.get("_id"), None, "an id is not something the line says");
    assert_eq!(messages(&tail.next().await.unwrap()), ["five-b", "six"]);
    assert_eq!(messages(&tail.next().await.unwrap()), ["six-b"]);
}

#[tokio::test]
async fn graylog_escapes_hostile_values_and_never_shows_the_token() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "gl.token", GL_TOKEN);
    Mock::given(path("/api/search/universal/absolute"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gl_answer(vec![])))
        .expect(1)
        .mount(&server)
        .await;
    let src = configured(&gl_toml(&server.uri(), &token));
    assert!(src.fetch_once(&hostile_alert(), t0()).await.unwrap().is_empty());
    let req = &server.received_requests().await.unwrap()[0];
    let q = req.url.query_pairs().find(|(k, _)| k == "query").unwrap().1.into_owned();
    let (value, rest) = read_phrase(q.strip_prefix("source:").unwrap()).unwrap();
    assert_eq!(value, "x\" OR * OR \"y\\\" | delete index=*");
    assert_eq!(rest, " AND level:<=4");

    // Graylog's error body (a `message` and `type`), echoing the credentials it was sent.
    let failing = MockServer::start().await;
    Mock::given(path("/api/search/universal/absolute"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "ApiError",
            "message": format!("Unable to perform search query: user {GL_TOKEN} / {}", b64(&format!("{GL_TOKEN}:token")))
        })))
        .mount(&failing)
        .await;
    let src = configured(&gl_toml(&failing.uri(), &token));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("400") && why.contains("Unable to perform search query"), "{why}");
    assert!(!why.contains(GL_TOKEN) && !why.contains(&b64(&format!("{GL_TOKEN}:token"))), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn klaxon_logs_reads_graylog() {
    let server = MockServer::start().await;
    Mock::given(path("/api/search/universal/absolute"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gl_answer(vec![
            gl_message("g2", 1_763_694_001_000, "upstream timed out"),
            gl_message("g1", 1_763_694_000_000, "GET /health 200"),
        ])))
        .mount(&server)
        .await;
    let extra = format!(
        "[[logs]]\nname = \"graylog\"\nkind = \"graylog\"\nurl = \"{}\"\ntoken_file = \"SECRETS/gl.token\"\n\
         query = 'source:{{{{ labels.instance }}}}'\n",
        server.uri()
    );
    let out =
        tokio::task::spawn_blocking(move || cli_logs(&extra, &[("gl.token", GL_TOKEN)], "graylog")).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    let q = req.url.query_pairs().find(|(k, _)| k == "query").unwrap().1.into_owned();
    assert!(
        read_phrase(q.strip_prefix("source:").unwrap()).is_some_and(|(v, rest)| !v.is_empty() && rest.is_empty()),
        "{q}"
    );
    assert_eq!(
        out,
        [
            "2025-11-21T03:00:00.000Z ERROR GET /health 200 facility=postgres source=db-1 streams=[\"620f890b70fb980467aca611\"] trace_id=tr-g1",
            "2025-11-21T03:00:01.000Z ERROR upstream timed out facility=postgres source=db-1 streams=[\"620f890b70fb980467aca611\"] trace_id=tr-g2",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Splunk
//
// - `POST /services/search/jobs/export` (management port 8089), a form with `search`,
//   `output_mode=json`, `earliest_time`/`latest_time` (epoch seconds allowed); the answer
//   streams one JSON object per line, `{"preview":false,"offset":N,"result":{"_raw","_time",
//   "_bkt","_cd","host","source","sourcetype","index",…}}`, and search messages as
//   `{"messages":[{"type":"ERROR","text":…}]}`: Splunk REST API Reference, search endpoints,
//   search/jobs/export (https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTsearch#search.2Fjobs.2Fexport)
//   and "JSON and other response formats" (https://docs.splunk.com/Documentation/Splunk/latest/RESTAPI/RESTatom).
// - `Authorization: Bearer <token>` with an authentication token:
//   https://docs.splunk.com/Documentation/Splunk/latest/Security/UseAuthTokens
// - Quoting and backslashes in SPL, `*` a wildcard even inside quotes and not escapable:
//   https://help.splunk.com/splunk-enterprise/search/search-manual/9.4/search-primer/backslashes
// ---------------------------------------------------------------------------------------

fn sp_toml(url: &str, token_file: &Path) -> String {
    format!(
        "[[logs]]\nname = \"splunk\"\nkind = \"splunk\"\nurl = \"{url}\"\ntoken_file = \"{}\"\n\
         query = 'index=app host={{{{ labels.instance }}}} NOT debug'\nfields = [\"trace_id\"]\n\
         before = \"10m\"\nlimit = 5\npage = 2\n",
        token_file.display()
    )
}

fn sp_result(cd: &str, ms: i64, raw: &str) -> String {
    json!({"preview": false, "offset": 0, "result": {
        "_bkt": "app~12~6F1A", "_cd": cd, "_raw": raw, "_serial": "0", "_si": ["idx1", "app"],
        "_sourcetype": "app:log", "_time": rfc3339(ms), "host": "db-1", "index": "app",
        "linecount": "1", "source": "/var/log/app.log", "sourcetype": "app:log", "splunk_server": "idx1",
        "trace_id": format!("tr-{cd}"), "log_level": "WARN"
    }})
    .to_string()
}

fn form(r: &Request) -> std::collections::HashMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://x/?{}", String::from_utf8_lossy(&r.body))).unwrap();
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn epoch(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

#[tokio::test]
async fn splunk_streams_the_window_bounded_then_follows_without_repeats_or_gaps() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "sp.token", "eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ");
    let since = epoch(ms(-10));
    let base = || {
        Mock::given(method("POST"))
            .and(path("/services/search/jobs/export"))
            .and(header("Authorization", "Bearer eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ"))
            .and(header("Content-Type", "application/x-www-form-urlencoded"))
    };
    // The window: newest first as Splunk streams it, a preview line to skip, and (a server
    // that ignored `head`) more than the limit: the read stops at five.
    let stream: Vec<String> =
        std::iter::once(json!({"preview": true, "offset": 0, "result": {"_raw": "partial"}}).to_string())
            .chain((1..=7).rev().map(|m| sp_result(&format!("0:{m}"), ms(m - 2), &format!("line {m}"))))
            .collect();
    base()
        .and(move |r: &Request| {
            let f = form(r);
            f["search"] == "search index=app host=\"db-1:9100\" NOT debug | head 5"
                && f["output_mode"] == "json"
                && f["earliest_time"] == since
                && f["latest_time"].parse::<f64>().is_ok()
        })
        .respond_with(ResponseTemplate::new(200).set_body_string(stream.join("\n") + "\n"))
        .expect(1)
        .mount(&server)
        .await;
    // Follow: oldest first from the newest time seen, room for the one seen there.
    base()
        .and(move |r: &Request| {
            let f = form(r);
            f["search"] == "search index=app host=\"db-1:9100\" NOT debug | reverse | head 3"
                && f["earliest_time"] == epoch(ms(5))
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                [
                    sp_result("0:7", ms(5), "line 7"),
                    sp_result("0:8", ms(5), "line 8"),
                    sp_result("0:9", ms(6), "line 9"),
                ]
                .join("\n"),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    base()
        .and(move |r: &Request| form(r)["earliest_time"] == epoch(ms(6)))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string([sp_result("0:9", ms(6), "line 9"), sp_result("0:10", ms(6), "line 10")].join("\n")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let src = configured(&sp_toml(&server.uri(), &token));
    let mut tail = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    let lines = tail.next().await.unwrap();
    assert_eq!(messages(&lines), ["line 3", "line 4", "line 5", "line 6", "line 7"], "the newest five, oldest first");
    assert_eq!(lines[0].at.unwrap().timestamp_millis(), ms(1), "_time");
    assert_eq!(lines[0].level, Some(Level::Warn), "log_level");
    assert_eq!(lines[0].correlation(), Some(("trace_id", "tr-0:3")));
    assert_eq!(lines[0].fields.get("sourcetype"), Some("app:log"));
    assert_eq!(lines[0].fields.get("splunk_server"), None, "Splunk's own fields stay out");
    assert_eq!(messages(&tail.next().await.unwrap()), ["line 8", "line 9"]);
    assert_eq!(messages(&tail.next().await.unwrap()), ["line 10"]);
}

#[tokio::test]
async fn splunk_quotes_values_refuses_wildcards_and_hides_the_token() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let token = secret_file(dir.path(), "sp.token", "sp-secret-token-123");
    Mock::given(path("/services/search/jobs/export"))
        .respond_with(ResponseTemplate::new(200).set_body_string(""))
        .expect(1)
        .mount(&server)
        .await;
    let src = configured(&sp_toml(&server.uri(), &token));
    // A value with `*` could only widen an SPL search: skipped, saying why.
    let Err(Outcome::Skipped(why)) = src.fetch_once(&hostile_alert(), t0()).await else { panic!() };
    assert!(why.contains("wildcard"), "{why}");
    let mut quotes = db_alert();
    quotes.labels.insert("instance", "x\" OR host=\"y\\\" | delete\n");
    assert!(src.fetch_once(&quotes, t0()).await.unwrap().is_empty());
    let search = form(&server.received_requests().await.unwrap()[0])["search"].clone();
    let (value, rest) = read_phrase(search.strip_prefix("search index=app host=").unwrap()).unwrap();
    assert_eq!(value, "x\" OR host=\"y\\\" | delete ");
    assert_eq!(rest, " NOT debug | head 5");

    // An error status echoing the token, and an error inside a 200 stream.
    let failing = MockServer::start().await;
    Mock::given(path("/services/search/jobs/export"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"messages":[{"type":"WARN","text":"call not properly authenticated (Bearer sp-secret-token-123)"}]}"#,
        ))
        .mount(&failing)
        .await;
    let src = configured(&sp_toml(&failing.uri(), &token));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("401") && why.contains("not properly authenticated"), "{why}");
    assert!(!why.contains("sp-secret-token-123"), "{why}");
    let bad_spl = MockServer::start().await;
    Mock::given(path("/services/search/jobs/export"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"messages":[{"type":"FATAL","text":"Error in 'search' command: Unable to parse the search"}]}"#,
        ))
        .mount(&bad_spl)
        .await;
    let src = configured(&sp_toml(&bad_spl.uri(), &token));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert_eq!(why, "Splunk says FATAL: Error in 'search' command: Unable to parse the search");
}

#[tokio::test(flavor = "multi_thread")]
async fn klaxon_logs_reads_splunk() {
    let server = MockServer::start().await;
    Mock::given(path("/services/search/jobs/export"))
        .and(header("Authorization", "Bearer sp-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(
                [
                    sp_result("0:2", 1_763_694_001_000, r#"{"msg":"retrying","level":"error"}"#),
                    sp_result("0:1", 1_763_694_000_000, "2025-11-21T03:00:00Z INFO started"),
                ]
                .join("\n"),
            ),
        )
        .mount(&server)
        .await;
    let extra = format!(
        "[[logs]]\nname = \"splunk\"\nkind = \"splunk\"\nurl = \"{}\"\ntoken_file = \"SECRETS/sp.token\"\n\
         query = 'index=app host={{{{ labels.instance }}}}'\n",
        server.uri()
    );
    let out =
        tokio::task::spawn_blocking(move || cli_logs(&extra, &[("sp.token", "sp-token")], "splunk")).await.unwrap();
    assert_eq!(
        out,
        [
            "2025-11-21T03:00:00.000Z INFO  started host=db-1 index=app source=/var/log/app.log sourcetype=app:log",
            "2025-11-21T03:00:01.000Z ERROR retrying host=db-1 index=app source=/var/log/app.log sourcetype=app:log",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Sumo Logic
//
// The Search Job API (https://help.sumologic.com/docs/api/search-job/, source:
// SumoLogic/sumologic-documentation docs/api/search-job.md): `POST /api/v1/search/jobs` with
// `{query, from, to, timeZone}` (from/to may be epoch ms) → 202 `{"id", "link"}`; the client
// must send back the cookies the API sets; `GET /api/v1/search/jobs/{id}` → `{"state",
// "messageCount", "pendingErrors", "pendingWarnings", "histogramBuckets", "recordCount"}`
// until `DONE GATHERING RESULTS`; `GET …/{id}/messages?offset&limit` → `{"fields": [...],
// "messages": [{"map": {"_messageid", "_messagetime", "_raw", "_sourcehost", …}}]}` ordered
// newest first; `DELETE …/{id}`; errors `{"status", "id", "code", "message"}`; basic auth
// with the access id and key; the regional endpoints `api.<deployment>.sumologic.com`.
// ---------------------------------------------------------------------------------------

const SUMO_ID: &str = "suABCDEFGH1234";
const SUMO_KEY: &str = "sumo-access-key-0123456789abcdef";

fn sumo_toml(url: &str, dir: &Path, extra: &str) -> String {
    let id = secret_file(dir, "sumo.id", SUMO_ID);
    let key = secret_file(dir, "sumo.key", SUMO_KEY);
    format!(
        "[[logs]]\nname = \"sumo\"\nkind = \"sumologic\"\nurl = \"{url}\"\naccess_id_file = \"{}\"\n\
         access_key_file = \"{}\"\nquery = '_sourceCategory=prod/db _sourceHost={{{{ labels.instance }}}}'\n\
         before = \"10m\"\nlimit = 5\npage = 2\n{extra}",
        id.display(),
        key.display()
    )
}

fn sumo_msg(id: &str, ms: i64, raw: &str) -> Value {
    json!({"map": {"_messageid": id, "_messagetime": ms.to_string(), "_receipttime": (ms + 500).to_string(),
                   "_raw": raw, "_sourcehost": "db-1", "_sourcename": "/var/log/db.log",
                   "_sourcecategory": "prod/db", "_collector": "db-1", "_size": "42", "_messagecount": "7"}})
}

fn sumo_page(msgs: Vec<Value>) -> Value {
    json!({"fields": [{"name": "_messageid", "fieldType": "long", "keyField": false},
                      {"name": "_raw", "fieldType": "string", "keyField": false}],
           "messages": msgs})
}

fn sumo_status(state: &str, count: usize, errors: Vec<&str>) -> Value {
    json!({"state": state, "messageCount": count, "histogramBuckets": [], "pendingErrors": errors,
           "pendingWarnings": [], "recordCount": 0})
}

/// A job at `id` whose create request has `from` = `from_ms`, answering `status` then `pages`
/// (offset, limit, messages), expecting one DELETE.
async fn mount_sumo_job(
    server: &MockServer,
    id: &str,
    from_ms: i64,
    statuses: Vec<Value>,
    pages: Vec<(usize, usize, Vec<Value>)>,
) {
    let auth = format!("Basic {}", b64(&format!("{SUMO_ID}:{SUMO_KEY}")));
    let query = "_sourceCategory=prod/db _sourceHost=\"db-1:9100\"";
    Mock::given(method("POST"))
        .and(path("/api/v1/search/jobs"))
        .and(header("Authorization", auth.as_str()))
        .and(header("Content-Type", "application/json"))
        .and(header("Accept", "application/json"))
        .and(body_partial_json(json!({"query": query, "from": from_ms.to_string(), "timeZone": "UTC"})))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Set-Cookie", format!("JSESSIONID=node-{id}; Path=/api; Secure; HttpOnly").as_str())
                .insert_header("Location", format!("{}/api/v1/search/jobs/{id}", server.uri()).as_str())
                .set_body_json(json!({"id": id, "link": {"rel": "self", "href": format!("{}/api/v1/search/jobs/{id}", server.uri())}})),
        )
        .expect(1)
        .mount(server)
        .await;
    let job = format!("/api/v1/search/jobs/{id}");
    let cookie = format!("JSESSIONID=node-{id}");
    let n = statuses.len();
    for (i, status) in statuses.into_iter().enumerate() {
        let m = Mock::given(method("GET")).and(path(job.as_str())).and(header("Cookie", cookie.as_str()));
        let m = m.respond_with(ResponseTemplate::new(200).set_body_json(status));
        // Every status but the last answers once, in order.
        if i + 1 < n {
            m.up_to_n_times(1).with_priority(1).mount(server).await
        } else {
            m.with_priority(2).mount(server).await
        }
    }
    for (offset, limit, msgs) in pages {
        Mock::given(method("GET"))
            .and(path(format!("{job}/messages").as_str()))
            .and(header("Cookie", cookie.as_str()))
            .and(query_param("offset", offset.to_string().as_str()))
            .and(query_param("limit", limit.to_string().as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(sumo_page(msgs)))
            .expect(1)
            .mount(server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(job.as_str()))
        .and(header("Cookie", cookie.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": id})))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn sumologic_runs_a_job_pages_its_messages_deletes_it_then_follows() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The window: seven found, the newest five read in pages of two, newest first.
    mount_sumo_job(
        &server,
        "37589506F194FC80",
        ms(-10),
        vec![sumo_status("GATHERING RESULTS", 3, vec![]), sumo_status("DONE GATHERING RESULTS", 7, vec![])],
        vec![
            (0, 2, vec![sumo_msg("-97", ms(5), "m7"), sumo_msg("-96", ms(4), "m6")]),
            (2, 2, vec![sumo_msg("-95", ms(3), "m5"), sumo_msg("-94", ms(2), "m4")]),
            (4, 1, vec![sumo_msg("-93", ms(1), "2026-11-21T02:25:00Z ERROR m3")]),
        ],
    )
    .await;
    // Follow: a job from m7's time on; the oldest three (one seen, room for a page of two),
    // m7 again (dropped) and m8 sharing its millisecond.
    mount_sumo_job(
        &server,
        "4A1B",
        ms(5),
        vec![sumo_status("DONE GATHERING RESULTS", 3, vec![])],
        vec![
            (0, 2, vec![sumo_msg("-99", ms(6), "m9"), sumo_msg("-98", ms(5), "m8")]),
            (2, 1, vec![sumo_msg("-97", ms(5), "m7")]),
        ],
    )
    .await;
    let src = configured(&sumo_toml(&server.uri(), dir.path(), ""));
    let mut tail = src.source.tail(src.plan(&db_alert(), t0()).unwrap());
    let lines = tail.next().await.unwrap();
    assert_eq!(messages(&lines), ["m3", "m4", "m5", "m6", "m7"]);
    assert_eq!(lines[0].level, Some(Level::Error), "from _raw");
    assert_eq!(lines[0].at.unwrap().timestamp_millis(), ms(1), "_messagetime rules");
    assert_eq!(lines[0].fields.get("_sourcecategory"), Some("prod/db"));
    assert_eq!(lines[0].fields.get("_receipttime"), None);
    assert_eq!(messages(&tail.next().await.unwrap()), ["m8", "m9"]);
}

#[tokio::test]
async fn sumologic_deletes_the_job_on_error_and_on_timeout_and_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    // A query Sumo cannot run: its pending error, and the job deleted all the same.
    let server = MockServer::start().await;
    mount_sumo_job(
        &server,
        "BAD1",
        ms(-10),
        vec![sumo_status("GATHERING RESULTS", 0, vec!["Unable to parse query: unexpected '|'"])],
        vec![],
    )
    .await;
    let src = configured(&sumo_toml(&server.uri(), dir.path(), ""));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert_eq!(why, "Sumo Logic: Unable to parse query: unexpected '|'");

    // A job that never finishes: the read times out, and the job is still deleted.
    let slow = MockServer::start().await;
    mount_sumo_job(&slow, "SLOW1", ms(-10), vec![sumo_status("GATHERING RESULTS", 0, vec![])], vec![]).await;
    let src = configured(&sumo_toml(&slow.uri(), dir.path(), "timeout = \"1s\"\n"));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("no answer within 1s"), "{why}");
    for _ in 0..100 {
        let reqs = slow.received_requests().await.unwrap();
        if reqs.iter().any(|r| r.method.as_str() == "DELETE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    slow.verify().await;

    // The documented error shape, echoing the credentials: shown without them.
    let denied = MockServer::start().await;
    Mock::given(path("/api/v1/search/jobs"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": 401, "id": "IUUQI-DGH5I-TJ045", "code": "unauthorized",
            "message": format!("Credential could not be verified: {SUMO_ID}:{SUMO_KEY} / {}", b64(&format!("{SUMO_ID}:{SUMO_KEY}")))
        })))
        .mount(&denied)
        .await;
    let src = configured(&sumo_toml(&denied.uri(), dir.path(), ""));
    let Err(Outcome::Failed(why)) = src.fetch_once(&db_alert(), t0()).await else { panic!() };
    assert!(why.contains("401") && why.contains("Credential could not be verified"), "{why}");
    assert!(
        !why.contains(SUMO_KEY) && !why.contains(SUMO_ID) && !why.contains(&b64(&format!("{SUMO_ID}:{SUMO_KEY}"))),
        "{why}"
    );
}

#[tokio::test]
async fn sumologic_quotes_values_and_refuses_wildcards() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v1/search/jobs"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "Q1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/search/jobs/Q1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sumo_status("DONE GATHERING RESULTS", 0, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&server).await;
    let src = configured(&sumo_toml(&server.uri(), dir.path(), ""));
    let Err(Outcome::Skipped(why)) = src.fetch_once(&hostile_alert(), t0()).await else { panic!() };
    assert!(why.contains("wildcard"), "{why}");
    let mut quotes = db_alert();
    quotes.labels.insert("instance", "x\" or _sourceHost=\"y\\\" | count\n");
    assert!(src.fetch_once(&quotes, t0()).await.unwrap().is_empty());
    let create = server.received_requests().await.unwrap().into_iter().find(|r| r.method.as_str() == "POST").unwrap();
    let q = body_json(&create)["query"].as_str().unwrap().to_owned();
    let (value, rest) = read_phrase(q.strip_prefix("_sourceCategory=prod/db _sourceHost=").unwrap()).unwrap();
    assert_eq!(value, "x\" or _sourceHost=\"y\\\" | count ");
    assert_eq!(rest, "");
}

#[test]
fn sumologic_config_names_the_region_or_url() {
    let dir = tempfile::tempdir().unwrap();
    let toml = sumo_toml("https://api.eu.sumologic.com", dir.path(), "");
    assert!(klaxon::settings::parse(&toml, "t.toml").is_ok());
    let regional = toml.replace("url = \"https://api.eu.sumologic.com\"", "region = \"moon\"");
    assert!(config_error(&regional).contains("not a Sumo Logic deployment"), "{}", config_error(&regional));
    let both = toml.replace("url =", "region = \"eu\"\nurl =");
    assert!(config_error(&both).contains("not both"));
    let no_key = toml.replace("access_key_file", "#");
    assert!(config_error(&no_key).contains("access id and key"), "{}", config_error(&no_key));
}

#[tokio::test(flavor = "multi_thread")]
async fn klaxon_logs_reads_sumologic() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/search/jobs"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "CLI1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/search/jobs/CLI1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sumo_status("DONE GATHERING RESULTS", 2, vec![])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/search/jobs/CLI1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(sumo_page(vec![
            sumo_msg("-2", 1_763_694_001_000, "WARN pool exhausted"),
            sumo_msg("-1", 1_763_694_000_000, "{\"msg\":\"connected\",\"level\":\"info\"}"),
        ])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&server).await;
    let extra = format!(
        "[[logs]]\nname = \"sumo\"\nkind = \"sumologic\"\nurl = \"{}\"\naccess_id_file = \"SECRETS/sumo.id\"\n\
         access_key_file = \"SECRETS/sumo.key\"\nquery = '_sourceHost={{{{ labels.instance }}}}'\n",
        server.uri()
    );
    let out =
        tokio::task::spawn_blocking(move || cli_logs(&extra, &[("sumo.id", SUMO_ID), ("sumo.key", SUMO_KEY)], "sumo"))
            .await
            .unwrap();
    assert_eq!(
        out,
        [
            "2025-11-21T03:00:00.000Z INFO  connected _sourcecategory=prod/db _sourcehost=db-1 _sourcename=/var/log/db.log",
            "2025-11-21T03:00:01.000Z WARN  pool exhausted _sourcecategory=prod/db _sourcehost=db-1 _sourcename=/var/log/db.log",
        ]
    );
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Runs `klaxon logs <first demo alert> --source <source>` with `[[logs]]` entries `extra`
/// and 0600 `secrets` beside the config (`SECRETS/` in `extra` is their directory); the
/// printed lines.
fn cli_logs(extra: &str, secrets: &[(&str, &str)], source: &str) -> Vec<String> {
    let sb = Sandbox::new();
    for (name, value) in secrets {
        secret_file(&sb.path(""), name, value);
    }
    let cfg = sb.write(
        "klaxon.toml",
        &format!("[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n{extra}")
            .replace("SECRETS/", &format!("{}/", sb.path("").display())),
    );
    let out = sb.klaxon().args(["list", "--format", "json", "--config"]).arg(&cfg).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = common::json(&out.stdout)[0]["key"].as_str().unwrap().to_owned();
    let out = sb.klaxon().args(["logs", &key, "--source", source, "--config"]).arg(&cfg).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

/// Property tests of the quoting every backend's values go through.
mod escaping {
    use super::read_phrase;
    use klaxon::logs::template::{quoted_literal, quoted_phrase};
    use quickcheck::{QuickCheck, TestResult};

    /// Whatever a label holds (with a tail of query syntax to tempt it), its quoted form
    /// reads back as exactly one phrase holding the value (control characters as spaces),
    /// and the author's text after the slot is untouched.
    #[test]
    fn a_quoted_value_is_always_one_phrase() {
        fn prop(value: String, tail: u8) -> TestResult {
            let hostile = ["", "\\", "\"", "\" OR *", " | delete", "\n", "\\\""][usize::from(tail) % 7];
            let value = format!("{value}{hostile}");
            let filled = format!("{} AND level:error", quoted_phrase(&value).unwrap());
            let Some((read, rest)) = read_phrase(&filled) else { return TestResult::error(filled) };
            let want: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            TestResult::from_bool(read == want && rest == " AND level:error")
        }
        QuickCheck::new().tests(3000).quickcheck(prop as fn(String, u8) -> TestResult);
    }

    /// Where `*` stays a wildcard inside quotes (SPL, Sumo), a value holding one is refused;
    /// any other is one phrase.
    #[test]
    fn a_literal_has_no_wildcard() {
        fn prop(value: String, star: bool) -> TestResult {
            let value = if star { format!("{value}*") } else { value };
            match quoted_literal(&value) {
                Err(_) => TestResult::from_bool(value.contains('*')),
                Ok(q) => TestResult::from_bool(!q.contains('*') && read_phrase(&q).is_some_and(|(_, r)| r.is_empty())),
            }
        }
        QuickCheck::new().tests(3000).quickcheck(prop as fn(String, bool) -> TestResult);
    }
}
