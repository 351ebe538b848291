//! The PagerDuty source against a mock of PagerDuty's REST API v2 (a SaaS: it cannot run
//! here). Every shape comes from PagerDuty's reference, as cited in
//! `common/pagerduty_mock.rs`; the exact requests klaxon sends are checked here.

use crate::common;

use common::fault_proxy::{Fault, FaultProxy};
use common::pagerduty_mock::{KEY, MockPagerDuty, incident};
use common::vendor_mock::writes;
use common::{Sandbox, json};
use wiremock::ResponseTemplate;

/// The key in a 0600 file, as a person keeps it.
fn key_file(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    common::vendor_mock::secret_file(dir, "pd.key", key)
}

fn source(url: &str, dir: &tempfile::TempDir, key: &str, extra: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let key = key_file(dir.path(), key).display().to_string();
    common::vendor_mock::source(&format!(
        "name = \"pd\"\nkind = \"pagerduty\"\nurl = \"{url}\"\ntoken_file = \"{key}\"\nfrom = \"tester@example.com\"\n{extra}"
    ))
}

fn op(kind: klaxon::model::EntryKind, id: &str, text: &str, level: Option<i64>) -> klaxon::model::MirrorOp {
    common::vendor_mock::op(kind, "pd", id, text, level)
}

// "List incidents": statuses[], service_ids[], team_ids[], urgencies[], limit ≤ 100 and
// offset, paged until `more` is false; `date_range=all` so incidents older than the default
// month are not left out.
#[tokio::test]
async fn open_incidents_page_to_the_last_page_with_the_documented_query_and_headers() {
    let mut all: Vec<_> = (0..130).map(|n| incident(&format!("PINC{n:03}"), n, "low", None, "triggered")).collect();
    all[0] = incident("PHOT", 1000, "high", Some("P1"), "acknowledged");
    all[1] = incident("PMID", 1001, "high", None, "triggered");
    all.push(incident("PDONE", 1002, "high", None, "resolved"));
    let pd = MockPagerDuty::start(all).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        &pd.server.uri(),
        &dir,
        KEY,
        "page_size = 100\nservices = [\"PSVC1\"]\nteams = [\"PTEAM\"]\nurgencies = [\"high\", \"low\"]",
    );
    let alerts = src.poll().await.expect("poll");
    assert_eq!(alerts.len(), 130, "every open incident once, the resolved one not");
    let reqs = pd.requests().await;
    assert_eq!(reqs.len(), 2, "two pages");
    for (r, offset) in reqs.iter().zip(["0", "100"]) {
        assert_eq!(r.url.path(), "/incidents");
        let q: Vec<(String, String)> = r.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let has = |k: &str, v: &str| q.iter().any(|(a, b)| a == k && b == v);
        for (k, v) in [
            ("statuses[]", "triggered"),
            ("statuses[]", "acknowledged"),
            ("service_ids[]", "PSVC1"),
            ("team_ids[]", "PTEAM"),
            ("urgencies[]", "high"),
            ("urgencies[]", "low"),
            ("date_range", "all"),
            ("limit", "100"),
            ("offset", offset),
        ] {
            assert!(has(k, v), "{k}={v} in {q:?}");
        }
        assert_eq!(r.headers["Authorization"], format!("Token token={KEY}").as_str());
        assert_eq!(r.headers["Accept"], "application/vnd.pagerduty+json;version=2");
        assert!(r.headers.get("From").is_none(), "From goes on writes only");
    }
    let by = |id: &str| alerts.iter().find(|a| a.key.id() == id).unwrap();
    // Priority P1 → Disaster; without a priority, urgency high → High, low → Warning.
    assert_eq!((by("PHOT").severity.name(), by("PHOT").status.name()), ("disaster", "acknowledged"));
    assert_eq!(by("PHOT").source_acks[0].by, "Bob Ops", "the acknowledger owns it");
    assert_eq!(by("PMID").severity.name(), "high");
    assert_eq!(by("PINC005").severity.name(), "warning");
    assert_eq!(&by("PMID").labels["assignees"], "Alice Ops");
    assert_eq!(by("PMID").service.as_deref(), Some("checkout"));
    assert_eq!(by("PMID").links[0].url, "https://acme.pagerduty.com/incidents/PMID");
}

#[tokio::test]
async fn the_severity_mapping_is_configurable() {
    let pd = MockPagerDuty::start(vec![
        incident("PA", 1, "high", Some("P3"), "triggered"),
        incident("PB", 2, "low", None, "triggered"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&pd.server.uri(), &dir, KEY, "severity_map = { P3 = \"disaster\", low = \"information\" }");
    let alerts = src.poll().await.unwrap();
    let sev = |id: &str| alerts.iter().find(|a| a.key.id() == id).unwrap().severity.name();
    assert_eq!((sev("PA"), sev("PB")), ("disaster", "information"));
}

// 429 with `Retry-After` or `ratelimit-reset` (support.pagerduty.com/docs/rest-api-rate-limits)
// is waited out and asked again; a 5xx on a read is retried; a 400 is not, and is reported.
#[tokio::test]
async fn rate_limits_are_waited_out_5xx_retried_and_400_reported_once() {
    let pd = MockPagerDuty::start(vec![incident("PA", 1, "high", None, "triggered")]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&pd.server.uri(), &dir, KEY, "");
    pd.fail_next("GET", "/incidents", ResponseTemplate::new(429).insert_header("Retry-After", "1"));
    assert_eq!(src.poll().await.expect("after the wait").len(), 1);
    pd.fail_next(
        "GET",
        "/incidents",
        ResponseTemplate::new(429).insert_header("ratelimit-reset", "1").insert_header("ratelimit-remaining", "0"),
    );
    assert_eq!(src.poll().await.expect("after the reset").len(), 1);
    pd.fail_next("GET", "/incidents", ResponseTemplate::new(503).set_body_string("upstream busy"));
    assert_eq!(src.poll().await.expect("after the 503").len(), 1);
    assert_eq!(pd.requests().await.len(), 6, "each failed read asked once more");
    pd.fail_next(
        "GET",
        "/incidents",
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Urgencies is invalid"]}})),
    );
    let err = src.poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 400") && err.contains("Urgencies is invalid"), "{err}");
    assert_eq!(pd.requests().await.len(), 7, "a 400 is not asked again");
    // A rate limit that asks for longer than klaxon waits fails the call at once, saying so.
    pd.fail_next("GET", "/incidents", ResponseTemplate::new(429).insert_header("Retry-After", "3600"));
    let err = src.poll().await.unwrap_err().to_string();
    assert!(err.contains("rate limited: the server asks to wait 3600s"), "{err}");
}

#[tokio::test]
async fn an_expired_key_is_reported_without_echoing_it() {
    let pd = MockPagerDuty::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let expired = "pd-expired-key-0000";
    let err = source(&pd.server.uri(), &dir, expired, "").poll().await.unwrap_err().to_string();
    assert!(err.contains("the API key was refused") && err.contains("HTTP 401"), "{err}");
    assert!(!err.contains(expired), "{err}");
    let sent = &pd.requests().await[0];
    assert_eq!(sent.headers["Authorization"], format!("Token token={expired}").as_str(), "it was sent, only there");
}

// "Update an incident" with `From`, "Create a note", read back with "Get an incident" and
// "List notes"; "escalation_level" confirmed by an `escalate_log_entry`.
#[tokio::test]
async fn each_write_back_sends_the_documented_body_with_from_and_is_read_back() {
    use klaxon::model::EntryKind;
    let pd = MockPagerDuty::start(vec![incident("PA", 1, "high", None, "triggered")]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&pd.server.uri(), &dir, KEY, "");
    let done = src.mirror(&op(EntryKind::Acked, "PA", "on it", None)).await.expect("ack");
    assert_eq!(done.summary, "acknowledged in PagerDuty (incident PA)");
    let reqs = pd.requests().await;
    let put = reqs.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    assert_eq!(put.url.path(), "/incidents/PA");
    assert_eq!(put.headers["From"], "tester@example.com");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&put.body).unwrap(),
        serde_json::json!({"incident": {"type": "incident_reference", "status": "acknowledged"}})
    );
    let post = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
    assert_eq!(post.url.path(), "/incidents/PA/notes");
    assert_eq!(post.headers["From"], "tester@example.com");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&post.body).unwrap(),
        serde_json::json!({"note": {"content": "on it — acknowledged (alice via klaxon) [klaxon op op-acked]"}})
    );
    assert_eq!(pd.status("PA"), "acknowledged");
    // Done again (a retry): found, nothing more written.
    let before = writes(&pd.requests().await).len();
    let again = src.mirror(&op(EntryKind::Acked, "PA", "on it", None)).await.unwrap();
    assert_eq!(again.summary, "acknowledged already in PagerDuty (incident PA)");
    assert_eq!(writes(&pd.requests().await).len(), before);

    src.mirror(&op(EntryKind::Note, "PA", "db restarted", None)).await.expect("note");
    src.mirror(&op(EntryKind::Escalated, "PA", "on call: Dana Lead (pd-leads) — need the DBA", Some(2)))
        .await
        .expect("escalate");
    let done = src.mirror(&op(EntryKind::Closed, "PA", "", None)).await.expect("resolve");
    assert_eq!(done.summary, "resolved in PagerDuty (incident PA)");
    let w = writes(&pd.requests().await);
    assert!(
        w.contains(&r#"PUT /incidents/PA {"incident":{"escalation_level":2,"type":"incident_reference"}}"#.to_string()),
        "{w:#?}"
    );
    assert!(
        w.contains(&r#"PUT /incidents/PA {"incident":{"status":"resolved","type":"incident_reference"}}"#.to_string()),
        "{w:#?}"
    );
    let notes: Vec<String> = pd.notes("PA").iter().map(|n| n["content"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        notes,
        [
            "on it — acknowledged (alice via klaxon) [klaxon op op-acked]",
            "db restarted (alice via klaxon) [klaxon op op-note]",
            "need the DBA — escalated to level 2 (alice via klaxon) [klaxon op op-escalated]",
        ]
    );
    // Without `From`, PagerDuty refuses a write; the config asks for it up front.
    let key = key_file(dir.path(), KEY);
    let text = format!("[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\ntoken_file = \"{}\"\n", key.display());
    let err = klaxon::settings::parse(&text, "k.toml").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("from") && err.contains("write_back needs `from`"), "{err}");
}

/// A config with the PagerDuty source, a rotation answering for level 1 and a PagerDuty
/// schedule for level 2 (on the same mock, through the proxy).
fn e2e_config(sb: &Sandbox, url: &str) -> std::path::PathBuf {
    let key = key_file(sb.dir.path(), KEY);
    sb.write(
        "klaxon.toml",
        &format!(
            r#"[store]
path = "k.db"

[[sources]]
name = "pd"
kind = "pagerduty"
url = "{url}"
token_file = "{key}"
from = "tester@example.com"

[[schedules]]
name = "first-line"
kind = "rotation"
level = 1
participants = ["carol"]
start = "2026-01-05"
shift = "7d"

[[schedules]]
name = "pd-leads"
kind = "pagerduty"
level = 2
url = "{url}"
schedule = "PSCHED1"
token_file = "{key}"
"#,
            key = key.display()
        ),
    )
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn klaxon(sb: &Sandbox, config: &std::path::Path, args: &[&str]) -> Run {
    let (code, stdout, stderr) = common::run(sb, config, args, &[KEY]);
    Run { code, stdout, stderr }
}

// Through the CLI: list, ack with a note, escalate (level 1 is a rotation: PagerDuty is not
// asked; level 2 is a PagerDuty schedule: the incident escalates there), resolve. The first
// answer to each write is lost on the way back; after `klaxon sync` the mock has each write
// exactly once.
#[test]
fn list_ack_escalate_resolve_through_the_cli_each_written_once_though_its_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pd = rt.block_on(MockPagerDuty::start(vec![incident("PXYZ123", 42, "high", Some("P2"), "triggered")]));
    let proxy = FaultProxy::start(pd.server.address().port());
    let sb = Sandbox::new();
    let config = e2e_config(&sb, &proxy.url);
    let key = "pd/PXYZ123";

    let list = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let alerts = json(list.stdout.as_bytes());
    assert_eq!(alerts[0]["key"], key);
    assert_eq!((alerts[0]["severity"].as_str(), alerts[0]["status"].as_str()), (Some("high"), Some("firing")));

    let sync = |what: &str| {
        let s = klaxon(&sb, &config, &["sync"]);
        assert_eq!(s.code, Some(0), "{what}: {}", s.stderr);
        klaxon(&sb, &config, &["sync"]);
    };
    proxy.set(Fault::drop_response_to(&["PUT /incidents/PXYZ123"]));
    let ack = klaxon(&sb, &config, &["ack", key, "--note", "looking at the db"]);
    assert_eq!(ack.code, Some(0), "the ack is recorded: {}", ack.stderr);
    assert!(ack.stderr.contains("not sent yet"), "{}", ack.stderr);
    assert_eq!(proxy.dropped(), 1);
    proxy.set(Fault::Pass);
    sync("ack");

    let esc1 = klaxon(&sb, &config, &["escalate", key]);
    assert_eq!(esc1.code, Some(0), "{}", esc1.stderr);
    proxy.set(Fault::drop_response_to(&["POST /incidents/PXYZ123/notes"]));
    let esc2 = klaxon(&sb, &config, &["escalate", key, "--note", "need a lead"]);
    // PagerDuty is the only one asked to page at level 2, and its answer was lost: stored,
    // not known to have reached anyone, and a failure.
    assert_eq!(esc2.code, Some(1), "{}", esc2.stderr);
    assert!(
        esc2.stderr.contains("the escalation of pd/PXYZ123 is recorded but not confirmed by pd: it is tried again"),
        "{}",
        esc2.stderr
    );
    assert!(esc2.stdout.contains("level 2") && esc2.stdout.contains("Dana Lead (pd-leads)"), "{}", esc2.stdout);
    // No pager is configured, but PagerDuty's own escalation pages at level 2; at level 1 (a
    // rotation's) nothing pages.
    assert!(
        esc2.stdout.contains("no pager here: pd is asked to escalate it (its own rules decide who is paged)"),
        "{}",
        esc2.stdout
    );
    assert!(esc1.stdout.contains("nobody was paged: no pager is configured"), "{}", esc1.stdout);
    assert_eq!(proxy.dropped(), 2);
    proxy.set(Fault::Pass);
    sync("escalate");

    proxy.set(Fault::drop_response_to(&["PUT /incidents/PXYZ123"]));
    // Its answer lost, the close is not known to be done: stored, said so, and a failure.
    let close = klaxon(&sb, &config, &["close", key, "--note", "fixed the pool size"]);
    assert_eq!(close.code, Some(1), "{}", close.stderr);
    assert!(!close.stdout.contains("closed"), "not said closed: {}", close.stdout);
    assert!(close.stderr.contains("the close of pd/PXYZ123 is recorded but not confirmed by pd"), "{}", close.stderr);
    assert_eq!(proxy.dropped(), 3);
    proxy.set(Fault::Pass);
    sync("resolve");

    let w = writes(&rt.block_on(pd.requests()));
    let count = |needle: &str| w.iter().filter(|r| r.contains(needle)).count();
    assert_eq!(count(r#""status":"acknowledged""#), 1, "{w:#?}");
    assert_eq!(count("looking at the db — acknowledged (tester via klaxon) [klaxon op "), 1, "{w:#?}");
    assert_eq!(count(r#""escalation_level":1"#), 0, "level 1 is no PagerDuty schedule's: {w:#?}");
    assert_eq!(count(r#""escalation_level":2"#), 1, "{w:#?}");
    assert_eq!(count("escalated to level 2 (tester via klaxon) [klaxon op "), 1, "{w:#?}");
    assert_eq!(count(r#""status":"resolved""#), 1, "{w:#?}");
    assert_eq!(count("fixed the pool size — resolved (tester via klaxon) [klaxon op "), 1, "{w:#?}");
    assert_eq!(w.len(), 6, "nothing else written: {w:#?}");
    assert_eq!(pd.status("PXYZ123"), "resolved");

    let list = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(json(list.stdout.as_bytes()).as_array().map(Vec::len), Some(0), "resolved: gone from the list");
    let timeline = klaxon(&sb, &config, &["timeline", key, "--format", "json"]);
    let entries = json(timeline.stdout.as_bytes())["entries"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["kind"].as_str()).collect();
    for k in ["acked", "escalated", "closed"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let store = std::fs::read(sb.path("k.db")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&store).contains(KEY), "the key is not in the store");
}

// "Update an incident" with `assignments` (8a0e1aa2ec666), the user found by "List users"
// (c96e889522dd6, `query`): only the exact email counts, a user already assigned is not
// asked again, and the assignment is read back.
#[tokio::test]
async fn reassign_finds_the_user_by_email_sends_the_documented_assignments_and_reads_them_back() {
    use klaxon::model::EntryKind;
    let pd = MockPagerDuty::start(vec![incident("PA", 1, "high", None, "acknowledged")]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&pd.server.uri(), &dir, KEY, "");
    assert!(src.mirrors(EntryKind::Reassigned));
    let reassign = op(EntryKind::Reassigned, "PA", "to Erin Ops <erin@example.com>: db is hers", None);
    let done = src.mirror(&reassign).await.expect("reassign");
    assert_eq!(done.summary, "reassigned to Erin Ops in PagerDuty (incident PA)");
    let reqs = pd.requests().await;
    let users = reqs.iter().find(|r| r.url.path() == "/users").expect("users asked");
    assert_eq!(common::vendor_mock::query(users, "query").as_deref(), Some("erin@example.com"));
    let put = reqs.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    assert_eq!(put.headers["From"], "tester@example.com");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&put.body).unwrap(),
        serde_json::json!({"incident": {"type": "incident_reference",
            "assignments": [{"assignee": {"id": "PU7", "type": "user_reference"}}]}}),
        "PU7, not PU8 (erin@example.com.au)"
    );
    assert_eq!(pd.assignees("PA"), ["PU7"]);
    let notes: Vec<String> = pd.notes("PA").iter().map(|n| n["content"].as_str().unwrap().to_owned()).collect();
    assert_eq!(notes, ["db is hers — reassigned to Erin Ops (alice via klaxon) [klaxon op op-reassigned]"]);
    // A retry finds Erin assigned and the note there: nothing more is written.
    let before = writes(&pd.requests().await).len();
    let again = src.mirror(&reassign).await.unwrap();
    assert_eq!(again.summary, "reassigned to Erin Ops already in PagerDuty (incident PA)");
    assert_eq!(writes(&pd.requests().await).len(), before);
    // Nobody in PagerDuty has the email: said, nothing written.
    let nobody = op(EntryKind::Reassigned, "PA", "to zed@example.com", None);
    let err = src.mirror(&nobody).await.unwrap_err().to_string();
    assert!(err.contains("no PagerDuty user has the email zed@example.com"), "{err}");
    assert_eq!(writes(&pd.requests().await).len(), before);
}

// Through the CLI: `klaxon reassign KEY --to erin` finds Erin's email in [[people]]; the first
// answer to the PUT is lost, and after `klaxon sync` the mock has one PUT. A source that
// cannot reassign, and a name without an email, are refused before anything is stored.
#[test]
fn reassign_through_the_cli_is_sent_once_though_its_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pd = rt.block_on(MockPagerDuty::start(vec![incident("PXYZ123", 42, "high", Some("P2"), "triggered")]));
    let proxy = FaultProxy::start(pd.server.address().port());
    let sb = Sandbox::new();
    // The CLI test's config, and a second PagerDuty source that does not write back.
    let config = e2e_config(&sb, &proxy.url);
    let key_path = key_file(sb.dir.path(), KEY);
    let text = std::fs::read_to_string(&config).unwrap()
        + &format!(
            "\n[[sources]]\nname = \"pd-read\"\nkind = \"pagerduty\"\nurl = \"{}\"\ntoken_file = \"{}\"\nwrite_back = false\n",
            proxy.url,
            key_path.display()
        )
        + "\n[[people]]\nname = \"erin\"\naliases = [\"Erin Ops\", \"erin@example.com\"]\n\n[[people]]\nname = \"zed\"\n";
    let config = sb.write("klaxon.toml", &text);
    let timeline_kinds = |key: &str| {
        let t = klaxon(&sb, &config, &["timeline", key, "--format", "json"]);
        let entries = json(t.stdout.as_bytes())["entries"].as_array().cloned().unwrap_or_default();
        entries.iter().filter_map(|e| e["kind"].as_str().map(str::to_owned)).collect::<Vec<_>>()
    };

    let refused = klaxon(&sb, &config, &["reassign", "pd-read/PXYZ123", "--to", "erin"]);
    assert_ne!(refused.code, Some(0));
    assert!(refused.stderr.contains("source pd-read cannot reassign"), "{}", refused.stderr);
    let no_email = klaxon(&sb, &config, &["reassign", "pd/PXYZ123", "--to", "zed"]);
    assert_ne!(no_email.code, Some(0));
    assert!(no_email.stderr.contains("cannot reassign to zed: no email"), "{}", no_email.stderr);
    assert!(!timeline_kinds("pd/PXYZ123").contains(&"reassigned".to_string()), "nothing stored");
    assert!(writes(&rt.block_on(pd.requests())).is_empty());

    proxy.set(Fault::drop_response_to(&["PUT /incidents/PXYZ123"]));
    let run = klaxon(&sb, &config, &["reassign", "pd/PXYZ123", "--to", "erin", "--note", "db is hers"]);
    // Stored, but not known to be done at PagerDuty: said, and a failure until it is.
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stdout.contains("reassigned"), "not said done: {}", run.stdout);
    assert!(run.stderr.contains("not sent yet"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the reassignment of pd/PXYZ123 is recorded but not confirmed by pd"),
        "{}",
        run.stderr
    );
    assert_eq!(proxy.dropped(), 1);
    proxy.set(Fault::Pass);
    let sync = klaxon(&sb, &config, &["sync"]);
    assert_eq!(sync.code, Some(0), "{}", sync.stderr);
    assert!(sync.stderr.contains("reassigned to erin already in PagerDuty"), "{}", sync.stderr);
    klaxon(&sb, &config, &["sync"]);

    let w = writes(&rt.block_on(pd.requests()));
    let puts: Vec<&String> = w.iter().filter(|r| r.starts_with("PUT ")).collect();
    assert_eq!(
        puts,
        [
            r#"PUT /incidents/PXYZ123 {"incident":{"assignments":[{"assignee":{"id":"PU7","type":"user_reference"}}],"type":"incident_reference"}}"#
        ],
        "{w:#?}"
    );
    assert_eq!(w.iter().filter(|r| r.contains("db is hers — reassigned to erin (tester via klaxon)")).count(), 1);
    assert_eq!(w.len(), 2, "one PUT, one note: {w:#?}");
    assert_eq!(pd.assignees("PXYZ123"), ["PU7"]);
    assert!(timeline_kinds("pd/PXYZ123").contains(&"reassigned".to_string()));

    // Taken at once, it is said done.
    let again = klaxon(&sb, &config, &["reassign", "pd/PXYZ123", "--to", "erin"]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(again.stdout.contains("reassigned pd/PXYZ123 to erin (stored)"), "{}", again.stdout);
}
