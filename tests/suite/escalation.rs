//! Escalation pages people: the entry names who was paged and is written first; the page
//! goes through the outbox to a Mattermost/Slack-compatible webhook, retried while the
//! receiver is down or failing, and never lost. Automatic escalation writes one entry and
//! one page per alert and level, however many consoles decide it.

use crate::common;

use common::Sandbox;
use common::servers::free_port;
use klaxon::escalation::{AUTO_ACTOR, PAGER, auto_op_id};
use klaxon::model::{AlertKey, EntryKind, NewEntry};
use klaxon::store::{SqliteStore, Store};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HOOK: &str = "/hooks/x7k2hunter2";

fn config(sb: &Sandbox) -> std::path::PathBuf {
    sb.write(
        "klaxon.toml",
        "[identity]\nname = \"tester\"\n[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n\
         [[schedules]]\nname = \"primary\"\nkind = \"rotation\"\nlevel = 1\nparticipants = [\"tester\"]\nstart = \"2026-01-05\"\nshift = \"7d\"\n\n\
         [[schedules]]\nname = \"secondary\"\nkind = \"rotation\"\nlevel = 2\nparticipants = [\"bob\"]\nstart = \"2026-01-05\"\nshift = \"1d\"\n\n\
         [escalation]\nwebhook_url_env = \"KLAXON_TEST_WEBHOOK\"\n",
    )
}

fn klaxon(sb: &Sandbox, port: u16, args: &[&str]) -> std::process::Output {
    let cfg = config(sb);
    let mut cmd = sb.klaxon();
    cmd.env("KLAXON_TEST_WEBHOOK", format!("http://127.0.0.1:{port}{HOOK}"));
    cmd.args(args).arg("--config").arg(cfg).output().unwrap()
}

/// What waits in the outbox, read as a console with no targets would: it leases nothing, so
/// the `klaxon sync` that follows is not kept off it.
fn outbox(sb: &Sandbox) -> Vec<(String, String)> {
    let c = rusqlite_like(sb);
    let none = std::collections::HashSet::new();
    c.pending_mirrors(false, Some(&none)).unwrap().into_iter().map(|p| (p.op.text, p.target)).collect()
}

fn rusqlite_like(sb: &Sandbox) -> SqliteStore {
    SqliteStore::open(&sb.path("k.db")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_to_a_dead_webhook_is_recorded_retried_and_delivered_once_it_is_back() {
    let sb = Arc::new(Sandbox::new());
    let port = free_port(); // nothing listens here yet: the receiver is down
    let run = |args: &'static [&'static str]| {
        let sb = sb.clone();
        tokio::task::spawn_blocking(move || klaxon(&sb, port, args))
    };
    let listed = run(&["list", "--format", "json"]).await.unwrap();
    let alerts = common::json(&listed.stdout);
    let key = alerts[0]["key"].as_str().expect("the demo fires something").to_owned();
    let key: &'static str = Box::leak(key.into_boxed_str());
    let what = match alerts[0]["labels"]["alertname"].as_str() {
        Some(name) => format!("{key} ({name})"),
        None => key.to_owned(),
    };

    // Level 1 pages tester, level 2 bob: both recorded even though nothing answers.
    let first = run(Box::leak(Box::new(["escalate", key]))).await.unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("to level 1 (stored): on call: tester (primary); page queued for webhook")
    );
    let first_err = String::from_utf8_lossy(&first.stderr);
    assert!(first_err.contains("not sent yet") && first_err.contains("cannot connect"), "{first_err}");
    assert!(!first_err.contains("hunter2"), "the webhook URL is a secret: {first_err}");
    let out = run(Box::leak(Box::new(["escalate", key, "--note", "db down"]))).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("to level 2 (stored): on call: bob (secondary); page queued for webhook — db down"),
        "{stdout}"
    );
    // The second waits behind the first (its retry is not due yet): order holds.
    assert!(stderr.contains("2 action(s) queued"), "{stderr}");
    let store = rusqlite_like(&sb);
    let k = AlertKey::parse(key).unwrap();
    let escalations: Vec<_> =
        store.timeline(&k).unwrap().into_iter().filter(|e| e.kind == EntryKind::Escalated).collect();
    assert_eq!(escalations.len(), 2);
    assert_eq!((escalations[1].level, escalations[1].actor.as_str()), (Some(2), "tester"));
    assert_eq!(outbox(&sb).len(), 2, "both pages wait in the outbox");
    assert!(outbox(&sb).iter().all(|(_, target)| target == PAGER));

    // The receiver comes back failing: still queued, retried.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("down for maintenance"))
        .up_to_n_times(1)
        .expect(1)
        .named("a failing receiver")
        .mount(&server)
        .await;
    let out = run(&["sync"]).await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 500"));
    assert_eq!(outbox(&sb).len(), 2, "a 500 is not done");

    // Then it takes pages: in order, each exactly once, with the text a channel shows.
    Mock::given(method("POST"))
        .and(path(HOOK))
        .and(header("Content-Type", "application/json"))
        .and(body_partial_json(
            serde_json::json!({"text": format!(":rotating_light: tester escalated {what}: on call: tester (primary)")}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .named("level 1")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(HOOK))
        .and(body_partial_json(serde_json::json!({"text": format!(":rotating_light: tester escalated {what}: on call: bob (secondary) — db down")})))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .named("level 2")
        .mount(&server)
        .await;
    let out = run(&["sync"]).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(outbox(&sb).is_empty());
    let bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .skip(1)
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(bodies[0].contains("on call: tester") && bodies[1].contains("on call: bob"), "in order: {bodies:?}");
    // Nothing more goes out on later syncs.
    run(&["sync"]).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn automatic_escalation_from_two_consoles_is_one_entry_and_one_page() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let key = AlertKey::new("prod", "d1");
    let started = chrono::Utc::now() - chrono::Duration::minutes(20);
    // Two consoles on one store decide the same escalation at once.
    for _ in 0..2 {
        let store = SqliteStore::open(&db).unwrap();
        let mut entry =
            NewEntry::new(key.clone(), EntryKind::Escalated, AUTO_ACTOR, "paged bob (secondary)").with_level(1);
        entry.op_id = auto_op_id(&key, started, 1);
        store.append_mirrored(&entry, PAGER, &klaxon::model::Fields::new()).unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).unwrap());
    assert_eq!(store.timeline(&key).unwrap().len(), 1);
    let secret = klaxon::config::Secret::from_config(&format!("{}/hook", server.uri()));
    let pager = klaxon::pagers::webhook::WebhookPager::new(secret, Duration::from_secs(5)).unwrap();
    let pagers: Vec<Arc<dyn klaxon::pagers::Pager>> = vec![Arc::new(pager)];
    let targets = klaxon::sync::Targets { sources: &[], pagers: &pagers };
    for _ in 0..2 {
        let report = klaxon::sync::drain(store.clone(), &targets, true).await;
        assert!(report.failed.is_empty(), "{report:?}");
    }
    // A third console deciding it later writes nothing new either.
    let mut again = NewEntry::new(key.clone(), EntryKind::Escalated, AUTO_ACTOR, "paged bob (secondary)").with_level(1);
    again.op_id = auto_op_id(&key, started, 1);
    store.append_mirrored(&again, PAGER, &klaxon::model::Fields::new()).unwrap();
    klaxon::sync::drain(store.clone(), &targets, true).await;
    assert_eq!(store.timeline(&key).unwrap().len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "one page");
}

/// `klaxon escalate` on the first demo alert, with level 1 a Grafana OnCall schedule served
/// by `server`: the sandbox, the alert's key and the command's output.
async fn escalated_through_grafana_oncall(server: &MockServer) -> (Arc<Sandbox>, String, std::process::Output) {
    let sb = Arc::new(Sandbox::new());
    let token = sb.write("goc.token", "goc-hunter2\n");
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cfg = sb.write(
        "klaxon.toml",
        &format!(
            "[identity]\nname = \"tester\"\n[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n\
             [[schedules]]\nname = \"dba\"\nkind = \"grafana-oncall\"\nlevel = 1\nurl = \"{}\"\nschedule = \"dba\"\ntoken_file = \"{}\"\n",
            server.uri(),
            token.display()
        ),
    );
    let sb2 = sb.clone();
    let (key, out) = tokio::task::spawn_blocking(move || {
        let listed = sb2.klaxon().args(["list", "--format", "json", "--config"]).arg(&cfg).output().unwrap();
        let key = common::json(&listed.stdout)[0]["key"].as_str().unwrap().to_owned();
        let out =
            sb2.klaxon().args(["escalate", &key, "--note", "replica is gone", "--config"]).arg(&cfg).output().unwrap();
        (key, out)
    })
    .await
    .unwrap();
    (sb, key, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn escalating_to_a_grafana_oncall_level_pages_through_its_own_escalation() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/schedules/"))
        .and(header("Authorization", "goc-hunter2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "count": 1, "next": null, "previous": null,
            "results": [{"id": "S3Z477AHDXTMF", "name": "dba", "type": "calendar", "on_call_now": ["U4DNY931HHJS5"]}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/U4DNY931HHJS5/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "U4DNY931HHJS5", "username": "carol"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/escalation/"))
        .and(header("Authorization", "goc-hunter2"))
        .and(header("Content-Type", "application/json"))
        .and(body_partial_json(serde_json::json!({
            "message": "to Grafana OnCall (dba): on call: carol (dba) — replica is gone",
            "users": [{"id": "U4DNY931HHJS5", "important": true}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "IZHCC4GTNPZ93"})))
        .expect(1)
        .mount(&server)
        .await;
    let (sb, key, out) = escalated_through_grafana_oncall(&server).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("paged through Grafana OnCall schedule dba"), "{stderr}");
    let store = rusqlite_like(&sb);
    let kinds: Vec<_> = store
        .timeline(&AlertKey::parse(&key).unwrap())
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != EntryKind::Seen)
        .map(|e| (e.kind, e.text))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                EntryKind::Escalated,
                "on call: carol (dba); page queued for Grafana OnCall (dba) — replica is gone".to_string()
            ),
            (EntryKind::Notified, "to Grafana OnCall (dba): on call: carol (dba) — replica is gone".to_string()),
        ]
    );
    assert!(outbox(&sb).is_empty(), "confirmed by a 2xx");
}

/// Grafana OnCall's schedule has nobody on call when the page is sent: nobody is paged, so
/// the page is not done. It stays in the outbox (retried, shown as unsent) and the command
/// does not say it paged anyone. Shapes as in the test above (Grafana OnCall's public API docs).
#[tokio::test(flavor = "multi_thread")]
async fn a_grafana_oncall_page_with_nobody_on_call_is_not_done() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/schedules/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "count": 1, "next": null, "previous": null,
            "results": [{"id": "S3Z477AHDXTMF", "name": "dba", "type": "calendar", "on_call_now": []}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/escalation/"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let (sb, _, out) = escalated_through_grafana_oncall(&server).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("paged") || stderr.contains("not paged"), "{stderr}");
    assert!(stderr.contains("nobody on call on Grafana OnCall schedule dba"), "{stderr}");
    assert_eq!(outbox(&sb).len(), 1, "the page waits in the outbox: {stderr}");
}

/// A webhook that answers the page with a redirect to a login page (an SSO proxy in front
/// of it): the client follows it as a GET and gets a 200, which says nothing of the page. It
/// is not done, and the secret address is not in the words.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_redirected_to_a_login_page_is_not_done() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook/T0K3N"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/login?next=T0K3N"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/login"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>sign in</html>"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap());
    let key = AlertKey::new("prod", "d1");
    let entry = NewEntry::new(key.clone(), EntryKind::Escalated, "tester", "paged bob").with_level(1);
    store.append_mirrored(&entry, PAGER, &klaxon::model::Fields::new()).unwrap();
    let secret = klaxon::config::Secret::from_config(&format!("{}/hook/T0K3N", server.uri()));
    let pager = klaxon::pagers::webhook::WebhookPager::new(secret, Duration::from_secs(5)).unwrap();
    let pagers: Vec<Arc<dyn klaxon::pagers::Pager>> = vec![Arc::new(pager)];
    let targets = klaxon::sync::Targets { sources: &[], pagers: &pagers };
    let report = klaxon::sync::drain(store.clone(), &targets, true).await;
    assert!(report.done.is_empty(), "{report:?}");
    let said = report.failed.join("\n");
    assert!(said.contains("redirected"), "{said}");
    assert!(!said.contains("T0K3N"), "the webhook's address is a secret: {said}");
    assert_eq!(store.pending_mirrors(false, None).unwrap().len(), 1, "the page waits to be sent again");
}

/// A source that takes acks and counts them.
struct Counting(std::sync::atomic::AtomicUsize);

impl klaxon::sources::AlertSource for Counting {
    fn name(&self) -> &str {
        "demo"
    }
    fn poll(&self) -> klaxon::sources::PollFuture<'_> {
        Box::pin(async { Ok(vec![]) })
    }
    fn mirrors(&self, kind: EntryKind) -> bool {
        kind == EntryKind::Acked
    }
    fn mirror<'a>(&'a self, _op: &'a klaxon::model::MirrorOp) -> klaxon::sources::MirrorFuture<'a> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async {
            Ok(klaxon::model::MirrorDone {
                remote_id: None,
                prior: klaxon::model::PriorUpdate::Keep,
                summary: "acked".into(),
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_page_does_not_hold_back_the_same_alerts_ack_at_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap());
    let key = AlertKey::new("demo", "a1");
    let page = NewEntry::new(key.clone(), EntryKind::Escalated, "tester", "paged bob (secondary)").with_level(1);
    store.append_mirrored(&page, PAGER, &klaxon::model::Fields::new()).unwrap();
    let ack = NewEntry::new(key.clone(), EntryKind::Acked, "bob", "on it");
    store.append_mirrored(&ack, "demo", &klaxon::model::Fields::new()).unwrap();

    let cfg = klaxon::settings::parse("[[sources]]\nname = \"demo\"\nkind = \"demo\"\n", "t.toml").unwrap();
    let counting = Arc::new(Counting(Default::default()));
    let sources = vec![(cfg.sources[0].clone(), counting.clone() as Arc<dyn klaxon::sources::AlertSource>)];
    let dead = klaxon::config::Secret::from_config(&format!("http://127.0.0.1:{}/hook", free_port()));
    let pager = klaxon::pagers::webhook::WebhookPager::new(dead, Duration::from_secs(2)).unwrap();
    let pagers: Vec<Arc<dyn klaxon::pagers::Pager>> = vec![Arc::new(pager)];
    let report =
        klaxon::sync::drain(store.clone(), &klaxon::sync::Targets { sources: &sources, pagers: &pagers }, true).await;
    assert_eq!(counting.0.load(std::sync::atomic::Ordering::SeqCst), 1, "the ack went: {report:?}");
    assert_eq!(report.done.len(), 1);
    let pending = store.pending_mirrors(false, None).unwrap();
    assert_eq!(pending.len(), 1, "the page waits for the webhook");
    assert_eq!(pending[0].target, PAGER);
}
