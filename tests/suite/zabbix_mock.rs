//! The Zabbix source against a mock of the API, for what a real Zabbix 6.0 cannot show
//! here: 7.x's Bearer header, a session that ends, error objects, and paging past one
//! `limit`. The exact requests are checked.

use crate::common;

use common::zabbix_mock::{Behaviour, MockZabbix};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

/// The source from a config as a person writes it; secrets in a 0600 file.
fn source(url: &str, auth: &str, dir: &tempfile::TempDir, extra: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cr3t-t0ken\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let auth = match auth {
        "token" => format!("token_file = \"{}\"", secret.display()),
        _ => format!("username = \"klaxon\"\npassword_file = \"{}\"", secret.display()),
    };
    let text = format!("[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{url}\"\n{auth}\n{extra}");
    let cfg = klaxon::settings::parse(&text, "k.toml").expect("config");
    klaxon::sources::build(&cfg.sources[0]).expect("source")
}

#[tokio::test]
async fn zabbix_7_gets_the_token_as_bearer_and_problems_page_by_eventid() {
    let z = MockZabbix::start(Behaviour { problems: 250, ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(
        &z.server.uri(),
        "token",
        &dir,
        "page_size = 100\nmin_severity = \"warning\"\ntags = [\"env=prod\", \"service\"]",
    );
    let alerts = src.poll().await.expect("poll");
    assert_eq!(alerts.len(), 250, "every problem, once");
    let seen = z.seen();
    let methods: Vec<&str> = seen.iter().map(|s| s.method()).collect();
    assert_eq!(methods, ["apiinfo.version", "problem.get", "problem.get", "problem.get", "trigger.get", "user.get"]);
    // apiinfo.version must go without credentials; everything else with the header, never the body.
    assert_eq!((seen[0].authorization.as_deref(), seen[0].body.get("auth")), (None, None));
    for s in &seen[1..] {
        assert_eq!(s.authorization.as_deref(), Some("Bearer s3cr3t-t0ken"), "{}", s.method());
        assert!(s.body.get("auth").is_none(), "{}", s.method());
    }
    // The cursor: newest first, each page below the last one's lowest eventid.
    let pages: Vec<_> = seen[1..4].iter().map(|s| s.body["params"]["eventid_till"].clone()).collect();
    assert_eq!(pages, [json!(null), json!("150"), json!("50")]);
    let p = &seen[1].body["params"];
    assert_eq!(
        (p["sortfield"].clone(), p["sortorder"].clone(), p["limit"].clone()),
        (json!(["eventid"]), json!("DESC"), json!(100))
    );
    assert_eq!(p["severities"], json!([2, 3, 4, 5]));
    assert_eq!(p["suppressed"], json!(false));
    assert_eq!(p["tags"], json!([{"tag": "env", "value": "prod", "operator": 1}, {"tag": "service", "operator": 4}]));
    // Mapped one to one: severity 5 is Disaster; host from the trigger; acks by name.
    let a = alerts.iter().find(|a| a.key.id() == "5").unwrap();
    assert_eq!((a.severity.name(), a.host.as_deref()), ("disaster", Some("Web 10005")));
    let acked = alerts.iter().find(|a| a.key.id() == "10").unwrap();
    assert_eq!(acked.status.name(), "acknowledged");
    assert_eq!((acked.source_acks[0].by.as_str(), acked.source_acks[0].text.as_str()), ("Admin", "looking"));
}

#[tokio::test]
async fn zabbix_6_0_gets_the_session_in_the_body_and_logs_in_again_when_it_ends() {
    let z = MockZabbix::start(Behaviour { version: "6.0.14", expire_sessions: 1, ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&z.server.uri(), "login", &dir, "");
    assert_eq!(src.poll().await.expect("poll after a new login").len(), 3);
    let seen = z.seen();
    let logins: Vec<_> = seen.iter().filter(|s| s.method() == "user.login").collect();
    assert_eq!(logins.len(), 2, "logged in, the session ended, logged in again");
    assert_eq!(logins[0].body["params"], json!({"username": "klaxon", "password": "s3cr3t-t0ken"}));
    let gets: Vec<_> = seen.iter().filter(|s| s.method() == "problem.get").collect();
    assert_eq!((gets[0].body["auth"].clone(), gets[1].body["auth"].clone()), (json!("session-1"), json!("session-2")));
    assert!(gets.iter().all(|s| s.authorization.is_none()), "6.0 takes no Bearer header");
    // The next poll keeps the session.
    src.poll().await.unwrap();
    assert_eq!(z.seen().iter().filter(|s| s.method() == "user.login").count(), 2);
}

#[tokio::test]
async fn errors_name_the_method_and_never_the_secret() {
    let refused = json!({"code": -32500, "message": "Application error.", "data": "No permissions to referred object or it does not exist!"});
    let z = MockZabbix::start(Behaviour { problem_error: Some(refused), ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let err = source(&z.server.uri(), "token", &dir, "").poll().await.unwrap_err().to_string();
    assert_eq!(err, "problem.get: Application error. No permissions to referred object or it does not exist!");
    // A session that keeps ending is said, not retried forever; the password is never in it.
    let z = MockZabbix::start(Behaviour { expire_sessions: 5, ..Behaviour::default() }).await;
    let err = source(&z.server.uri(), "login", &dir, "").poll().await.unwrap_err().to_string();
    assert!(err.contains("Session terminated"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    // A server that ignores the cursor would page forever: it is caught.
    let z = MockZabbix::start(Behaviour { problems: 20, ignore_cursor: true, ..Behaviour::default() }).await;
    let err = source(&z.server.uri(), "token", &dir, "page_size = 5").poll().await.unwrap_err().to_string();
    assert!(err.contains("ignored eventid_till"), "{err}");
}

#[tokio::test]
async fn an_answer_that_is_not_json_rpc_is_said() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("<html>login page</html>"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let err = source(&server.uri(), "token", &dir, "").poll().await.unwrap_err().to_string();
    assert!(err.starts_with("apiinfo.version: not a JSON-RPC answer"), "{err}");
}

// Zabbix carries every action a person takes but a reassignment (its problems have no
// assignee): `klaxon reassign` on a Zabbix alert is refused before anything is stored.
#[tokio::test]
async fn zabbix_takes_every_action_but_reassign() {
    use klaxon::model::EntryKind;
    let z = MockZabbix::start(Behaviour::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&z.server.uri(), "token", &dir, "");
    for kind in [EntryKind::Acked, EntryKind::Note, EntryKind::Escalated, EntryKind::SeveritySet, EntryKind::Closed] {
        assert!(src.mirrors(kind), "{kind}");
    }
    assert!(!src.mirrors(EntryKind::Reassigned));
}
