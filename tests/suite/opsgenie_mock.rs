//! The Opsgenie source against a mock of Opsgenie's Alert API v2 (a SaaS, end of support
//! 2027: it cannot run here). Every shape comes from Opsgenie's own OpenAPI file, as cited in
//! `common/opsgenie_mock.rs`; the exact requests klaxon sends are checked here.

use crate::common;

use common::fault_proxy::{Fault, FaultProxy};
use common::opsgenie_mock::{KEY, MockOpsgenie, alert};
use common::vendor_mock::writes;
use common::{Sandbox, json};
use serde_json::Value;
use wiremock::ResponseTemplate;

fn key_file(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    common::vendor_mock::secret_file(dir, "og.key", key)
}

fn source(url: &str, dir: &tempfile::TempDir, key: &str, extra: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let key = key_file(dir.path(), key);
    let text = format!(
        "[[sources]]\nname = \"og\"\nkind = \"opsgenie\"\nurl = \"{url}\"\ntoken_file = \"{}\"\nescalation = \"ops-escalation\"\n{extra}",
        key.display()
    );
    common::vendor_mock::source(text.trim_start_matches("[[sources]]\n"))
}

fn op(kind: klaxon::model::EntryKind, id: &str, text: &str) -> klaxon::model::MirrorOp {
    common::vendor_mock::op(kind, "og", id, text, Some(1))
}

// listAlerts: `query=status:open` (and the configured query), `limit`, `offset`, `sort`,
// `order`, paged while `paging.next` is given.
#[tokio::test]
async fn open_alerts_page_by_offset_with_the_documented_query_and_key() {
    let mut all: Vec<Value> = (0..120).map(|n| alert(&format!("a{n:03}"), "P3", &[], false)).collect();
    all[0] = alert("hot", "P1", &["env:prod", "db"], true);
    all[1] = alert("info", "P5", &[], false);
    let mut closed = alert("gone", "P1", &[], false);
    closed["status"] = "closed".into();
    all.push(closed);
    let og = MockOpsgenie::start(all).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&og.server.uri(), &dir, KEY, "query = \"tag:prod\"");
    let alerts = src.poll().await.expect("poll");
    assert_eq!(alerts.len(), 120, "every open alert once, the closed one not");
    let reqs = og.requests().await;
    assert_eq!(reqs.len(), 2);
    for (r, offset) in reqs.iter().zip(["0", "100"]) {
        assert_eq!(r.url.path(), "/v2/alerts");
        let q: Vec<(String, String)> = r.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        for (k, v) in [
            ("query", "status:open AND (tag:prod)"),
            ("limit", "100"),
            ("offset", offset),
            ("sort", "createdAt"),
            ("order", "desc"),
        ] {
            assert!(q.iter().any(|(a, b)| a == k && b == v), "{k}={v} in {q:?}");
        }
        assert_eq!(r.headers["Authorization"], format!("GenieKey {KEY}").as_str());
    }
    let by = |id: &str| alerts.iter().find(|a| a.key.id() == id).unwrap();
    assert_eq!((by("hot").severity.name(), by("hot").status.name()), ("disaster", "acknowledged"));
    assert_eq!(&by("hot").labels["env"], "prod", "tags are labels");
    assert!(by("hot").labels.contains_key("db"));
    assert_eq!(by("hot").source_acks[0].by, "bob@example.com", "who acknowledged owns it");
    assert_eq!(by("info").severity.name(), "information");
    assert_eq!(by("a050").severity.name(), "average");
}

#[tokio::test]
async fn rate_limits_5xx_a_refused_request_and_an_expired_key() {
    let og = MockOpsgenie::start(vec![alert("a1", "P2", &[], false)]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&og.server.uri(), &dir, KEY, "");
    // Opsgenie: 429 when the domain's rate limit is reached; `Retry-After` is honoured.
    og.fail_next("GET", "/v2/alerts", ResponseTemplate::new(429).insert_header("Retry-After", "1"));
    assert_eq!(src.poll().await.expect("after the wait").len(), 1);
    og.fail_next("GET", "/v2/alerts", ResponseTemplate::new(502));
    assert_eq!(src.poll().await.expect("after the 502").len(), 1);
    assert_eq!(og.requests().await.len(), 4);
    og.fail_next(
        "GET",
        "/v2/alerts",
        ResponseTemplate::new(400).set_body_json(serde_json::json!({"message": "Invalid query", "took": 0.0})),
    );
    let err = src.poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 400") && err.contains("Invalid query"), "{err}");
    assert_eq!(og.requests().await.len(), 5, "a 400 is not asked again");
    let expired = "og-expired-0000";
    let err = source(&og.server.uri(), &dir, expired, "").poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 401") && err.contains("the API key was refused"), "{err}");
    assert!(!err.contains(expired), "{err}");
}

// acknowledgeAlert / addNote / escalateAlert / closeAlert: 202 and a request id, done when
// getRequestStatus says isSuccess and the marked note is on the alert.
#[tokio::test]
async fn each_action_posts_its_documented_body_and_is_done_when_its_request_succeeded() {
    use klaxon::model::EntryKind;
    let og = MockOpsgenie::start(vec![alert("a1", "P2", &[], false)]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&og.server.uri(), &dir, KEY, "");
    let done = src.mirror(&op(EntryKind::Acked, "a1", "on it")).await.expect("ack");
    assert_eq!(done.summary, "acknowledged in Opsgenie (alert a1)");
    let reqs = og.requests().await;
    let post = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
    assert_eq!(post.url.path(), "/v2/alerts/a1/acknowledge");
    assert_eq!(post.url.query(), Some("identifierType=id"));
    assert_eq!(
        serde_json::from_slice::<Value>(&post.body).unwrap(),
        serde_json::json!({"user": "alice", "source": "klaxon", "note": "on it — acknowledged (alice via klaxon) [klaxon op op-acked]"})
    );
    let statuses = reqs.iter().filter(|r| r.url.path().starts_with("/v2/alerts/requests/")).count();
    assert_eq!(statuses, 2, "asked until processed (the first ask finds it not yet done)");
    assert_eq!(og.alert("a1")["acknowledged"], true);
    let before = writes(&og.requests().await).len();
    let again = src.mirror(&op(EntryKind::Acked, "a1", "on it")).await.unwrap();
    assert_eq!(again.summary, "acknowledged already in Opsgenie (alert a1)");
    assert_eq!(writes(&og.requests().await).len(), before, "a retry finds its mark and sends nothing");

    src.mirror(&op(EntryKind::Note, "a1", "db restarted")).await.expect("note");
    src.mirror(&op(EntryKind::Escalated, "a1", "on call: erin (og-ops) — need the DBA")).await.expect("escalate");
    src.mirror(&op(EntryKind::Closed, "a1", "")).await.expect("close");
    let w = writes(&og.requests().await);
    assert!(w.iter().any(|r| r.starts_with("POST /v2/alerts/a1/notes ")), "{w:#?}");
    assert!(
        w.iter().any(|r| r.starts_with("POST /v2/alerts/a1/escalate ")
            && r.contains(r#""escalation":{"name":"ops-escalation"}"#)),
        "{w:#?}"
    );
    assert!(w.iter().any(|r| r.starts_with("POST /v2/alerts/a1/close ")), "{w:#?}");
    assert_eq!(og.alert("a1")["status"], "closed");
    assert_eq!(
        og.notes("a1"),
        [
            "on it — acknowledged (alice via klaxon) [klaxon op op-acked]",
            "db restarted (alice via klaxon) [klaxon op op-note]",
            "need the DBA — escalated to ops-escalation (alice via klaxon) [klaxon op op-escalated]",
            "closed (alice via klaxon) [klaxon op op-closed]",
        ]
    );
    // A request Opsgenie could not do is reported, not taken as done.
    og.fail_next(
        "GET",
        "/v2/alerts/requests/",
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"data": {"isSuccess": false, "status": "Alert is already closed"}})),
    );
    og.fail_next(
        "GET",
        "/v2/alerts/requests/",
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"data": {"isSuccess": false, "status": "Alert is already closed"}})),
    );
    let err = src.mirror(&op(EntryKind::Unacked, "a1", "")).await.unwrap_err().to_string();
    assert!(err.contains("Opsgenie did not do it: Alert is already closed"), "{err}");
}

fn e2e_config(sb: &Sandbox, url: &str) -> std::path::PathBuf {
    let key = key_file(sb.dir.path(), KEY);
    sb.write(
        "klaxon.toml",
        &format!(
            r#"[store]
path = "k.db"

[[sources]]
name = "og"
kind = "opsgenie"
url = "{url}"
token_file = "{key}"
escalation = "ops-escalation"

[[schedules]]
name = "og-ops"
kind = "opsgenie"
level = 1
url = "{url}"
schedule = "ops"
token_file = "{key}"
"#,
            key = key.display()
        ),
    )
}

fn klaxon(sb: &Sandbox, config: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    common::run(sb, config, args, &[KEY])
}

// Through the CLI: list, ack with a note, escalate (level 1 is an Opsgenie schedule: the
// alert escalates there), close; the first answer to each write is lost on the way back.
#[test]
fn list_ack_escalate_close_through_the_cli_each_sent_once_though_its_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let og = rt.block_on(MockOpsgenie::start(vec![alert(
        "70b1c2d3-0000-4000-8000-000000000001",
        "P1",
        &["team:db"],
        false,
    )]));
    let proxy = FaultProxy::start(og.server.address().port());
    let sb = Sandbox::new();
    let config = e2e_config(&sb, &proxy.url);
    let id = "70b1c2d3-0000-4000-8000-000000000001";
    let key = format!("og/{id}");

    let (code, out, err) = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let alerts = json(out.as_bytes());
    assert_eq!((alerts[0]["key"].as_str(), alerts[0]["severity"].as_str()), (Some(key.as_str()), Some("disaster")));
    assert_eq!(alerts[0]["labels"]["team"], "db");

    let sync = || {
        let (code, _, err) = klaxon(&sb, &config, &["sync"]);
        assert_eq!(code, Some(0), "{err}");
        klaxon(&sb, &config, &["sync"]);
    };
    for (n, (action, args)) in [
        ("acknowledge", vec!["ack", key.as_str(), "--note", "looking"]),
        ("escalate", vec!["escalate", key.as_str(), "--note", "need a lead"]),
        ("close", vec!["close", key.as_str(), "--note", "fixed"]),
    ]
    .into_iter()
    .enumerate()
    {
        proxy.set(Fault::drop_response_to(&[&format!("POST /v2/alerts/{id}/{action}")]));
        let (code, out, err) = klaxon(&sb, &config, &args);
        // A close is the source's to do, and so is this escalation (no pager here: Opsgenie's
        // own escalation pages): not taken (its answer lost), neither is said done.
        assert_eq!(code, if action == "acknowledge" { Some(0) } else { Some(1) }, "{action}: {err}");
        if action != "acknowledge" {
            assert!(err.contains("is recorded but not confirmed by og"), "{action}: {err}");
        }
        assert!(err.contains("not sent yet"), "{action}: {out} {err}");
        assert_eq!(proxy.dropped(), n + 1, "{action}: its answer was lost");
        proxy.set(Fault::Pass);
        sync();
    }
    let w = writes(&rt.block_on(og.requests()));
    for action in ["acknowledge", "escalate", "close"] {
        let sent = w.iter().filter(|r| r.starts_with(&format!("POST /v2/alerts/{id}/{action} "))).count();
        assert_eq!(sent, 1, "{action} sent once: {w:#?}");
    }
    assert_eq!(w.len(), 3, "nothing else written: {w:#?}");
    let notes = og.notes(id);
    assert!(
        notes[1].starts_with("need a lead — escalated to ops-escalation (tester via klaxon) [klaxon op "),
        "{notes:?}"
    );
    assert_eq!(og.alert(id)["status"], "closed");
    let (_, out, _) = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(json(out.as_bytes()).as_array().map(Vec::len), Some(0), "closed: gone from the list");
}
