//! The Grafana OnCall source against a mock of its public API (the OSS project is archived and
//! Grafana Cloud IRM cannot run here). Every shape comes from Grafana OnCall's own API
//! reference, as cited in `common/grafana_oncall_mock.rs`.

use crate::common;

use common::fault_proxy::{Fault, FaultProxy};
use common::grafana_oncall_mock::{MockGrafanaOncall, TOKEN, group};
use common::vendor_mock::writes;
use common::{Sandbox, json};
use wiremock::ResponseTemplate;

fn key_file(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    common::vendor_mock::secret_file(dir, "goc.token", key)
}

fn source(url: &str, dir: &tempfile::TempDir, key: &str, extra: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let key = key_file(dir.path(), key);
    let text = format!(
        "[[sources]]\nname = \"goc\"\nkind = \"grafana-oncall\"\nurl = \"{url}\"\ntoken_file = \"{}\"\n{extra}",
        key.display()
    );
    common::vendor_mock::source(text.trim_start_matches("[[sources]]\n"))
}

// List alert groups: one sweep per state (`new` is firing), `integration_id`, `next` to the
// last page; the group's labels as labels.
#[tokio::test]
async fn groups_per_state_to_the_last_page_with_labels_and_the_raw_token() {
    let og = MockGrafanaOncall::start(vec![
        group("IFIRE1", "firing", &[("severity", "critical"), ("team", "db")]),
        group("IFIRE2", "firing", &[]),
        group("IFIRE3", "firing", &[("severity", "warning")]),
        group("IACK", "acknowledged", &[("severity", "critical")]),
        group("ISIL", "silenced", &[]),
        group("IDONE", "resolved", &[]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&og.server.uri(), &dir, TOKEN, "integrations = [\"CFRPV98RPR1U8\"]");
    let alerts = src.poll().await.expect("poll");
    let mut ids: Vec<&str> = alerts.iter().map(|a| a.key.id()).collect();
    ids.sort();
    assert_eq!(ids, ["IACK", "IFIRE1", "IFIRE2", "IFIRE3", "ISIL"], "every open group once, the resolved not");
    let reqs = og.requests().await;
    let asked: Vec<String> = reqs.iter().map(|r| format!("{}?{}", r.url.path(), r.url.query().unwrap_or(""))).collect();
    assert_eq!(
        asked,
        [
            "/api/v1/alert_groups/?state=new&integration_id=CFRPV98RPR1U8",
            "/api/v1/alert_groups/?state=new&integration_id=CFRPV98RPR1U8&page=2",
            "/api/v1/alert_groups/?state=acknowledged&integration_id=CFRPV98RPR1U8",
            "/api/v1/alert_groups/?state=silenced&integration_id=CFRPV98RPR1U8",
        ]
    );
    assert!(reqs.iter().all(|r| r.headers["Authorization"] == TOKEN), "the token as it is, no Bearer");
    let by = |id: &str| alerts.iter().find(|a| a.key.id() == id).unwrap();
    assert_eq!((by("IFIRE1").severity.name(), &by("IFIRE1").labels["team"]), ("disaster", "db"));
    assert_eq!(by("IFIRE3").severity.name(), "warning");
    assert!(by("IFIRE2").guessed.severity.is_some(), "no severity label: the default, marked");
    assert_eq!((by("IACK").status.name(), by("IACK").source_acks[0].by.as_str()), ("acknowledged", "UCGEIXI1MR1NZ"));
    assert_eq!(by("ISIL").status.name(), "suppressed");
    assert!(by("IACK").links[0].url.ends_with("/alert-groups/IACK"));
}

#[tokio::test]
async fn rate_limits_5xx_400_and_an_expired_token() {
    let og = MockGrafanaOncall::start(vec![group("I1", "firing", &[])]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&og.server.uri(), &dir, TOKEN, "states = [\"firing\"]");
    // Grafana OnCall's API answers 429 when throttled (Django REST framework's `Retry-After`).
    og.fail_next("GET", "/api/v1/alert_groups/", ResponseTemplate::new(429).insert_header("Retry-After", "1"));
    assert_eq!(src.poll().await.expect("after the wait").len(), 1);
    og.fail_next("GET", "/api/v1/alert_groups/", ResponseTemplate::new(500));
    assert_eq!(src.poll().await.expect("after the 500").len(), 1);
    assert_eq!(og.requests().await.len(), 4);
    og.fail_next(
        "GET",
        "/api/v1/alert_groups/",
        ResponseTemplate::new(400).set_body_json(serde_json::json!({"state": ["Invalid state"]})),
    );
    let err = src.poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 400") && err.contains("Invalid state"), "{err}");
    assert_eq!(og.requests().await.len(), 5, "a 400 is not asked again");
    let expired = "goc-expired-0000";
    let err = source(&og.server.uri(), &dir, expired, "").poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 401") && err.contains("the API key was refused") && !err.contains(expired), "{err}");
}

fn e2e_config(sb: &Sandbox, url: &str) -> std::path::PathBuf {
    let key = key_file(sb.dir.path(), TOKEN);
    sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"goc\"\nkind = \"grafana-oncall\"\nurl = \"{url}\"\ntoken_file = \"{}\"\n",
            key.display()
        ),
    )
}

fn klaxon(sb: &Sandbox, config: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    common::run(sb, config, args, &[TOKEN])
}

// Through the CLI: list, ack with a note, unack, note, escalate (klaxon's chain: the group
// is not written), resolve; the first answer to each write is lost on the way back.
#[test]
fn list_ack_unack_note_escalate_resolve_through_the_cli_each_sent_once_though_its_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let og = rt.block_on(MockGrafanaOncall::start(vec![group("IXYZ", "firing", &[("severity", "critical")])]));
    let proxy = FaultProxy::start(og.server.address().port());
    let sb = Sandbox::new();
    let config = e2e_config(&sb, &proxy.url);
    let key = "goc/IXYZ";
    let (code, out, err) = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(out.as_bytes())[0]["key"], key);

    let steps: [(&str, Vec<&str>); 5] = [
        ("POST /api/v1/alert_groups/IXYZ/acknowledge", vec!["ack", key, "--note", "looking"]),
        ("POST /api/v1/alert_groups/IXYZ/unacknowledge", vec!["unack", key]),
        ("POST /api/v1/resolution_notes/", vec!["note", key, "pool size raised"]),
        ("", vec!["escalate", key]),
        ("POST /api/v1/alert_groups/IXYZ/resolve", vec!["close", key, "--note", "fixed"]),
    ];
    let mut dropped = 0;
    for (write, args) in steps {
        if !write.is_empty() {
            proxy.set(Fault::drop_response_to(&[write]));
        }
        let (code, _, err) = klaxon(&sb, &config, &args);
        // A close is the source's to do: not taken (its answer lost), it is not said done.
        let done = if args[0] == "close" { Some(1) } else { Some(0) };
        assert_eq!(code, done, "{args:?}: {err}");
        if !write.is_empty() {
            dropped += 1;
            assert_eq!(proxy.dropped(), dropped, "{write}: its answer was lost");
            assert!(err.contains("not sent yet"), "{args:?}: {err}");
        }
        proxy.set(Fault::Pass);
        let (code, _, err) = klaxon(&sb, &config, &["sync"]);
        assert_eq!(code, Some(0), "{err}");
    }
    let w = writes(&rt.block_on(og.requests()));
    let count = |p: &str| w.iter().filter(|r| r.starts_with(p)).count();
    assert_eq!(count("POST /api/v1/alert_groups/IXYZ/acknowledge "), 1, "{w:#?}");
    assert_eq!(count("POST /api/v1/alert_groups/IXYZ/unacknowledge "), 1, "{w:#?}");
    assert_eq!(count("POST /api/v1/alert_groups/IXYZ/resolve "), 1, "{w:#?}");
    assert_eq!(count("POST /api/v1/resolution_notes/ "), 3, "ack's, the note and resolve's words: {w:#?}");
    assert_eq!(w.len(), 6, "the escalation wrote nothing to the group: {w:#?}");
    let notes = og.notes();
    assert!(notes[0].starts_with("looking — acknowledged (tester via klaxon) [klaxon op "), "{notes:?}");
    assert!(notes[1].starts_with("pool size raised (tester via klaxon) [klaxon op "), "{notes:?}");
    assert_eq!(og.state_of("IXYZ"), "resolved");
}

// With `ack_silence`, through the CLI: an ack silences the group for that long (`silence`
// with `delay` in seconds) and an unack lifts it (`unsilence`); the first answer to each is
// lost, and the mock holds each exactly once after `klaxon sync`.
#[test]
fn ack_silence_mirrors_ack_and_unack_as_silence_and_unsilence_each_sent_once_though_the_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let og = rt.block_on(MockGrafanaOncall::start(vec![group("IXYZ", "firing", &[("severity", "critical")])]));
    let proxy = FaultProxy::start(og.server.address().port());
    let sb = Sandbox::new();
    let config = e2e_config(&sb, &proxy.url);
    let text = std::fs::read_to_string(&config).unwrap() + "ack_silence = \"2h\"\n";
    let config = sb.write("klaxon.toml", &text);
    let key = "goc/IXYZ";
    let steps: [(&str, &str, &str, Vec<&str>); 2] = [
        (
            "POST /api/v1/alert_groups/IXYZ/silence",
            "silenced",
            "silenced",
            vec!["ack", key, "--note", "deploy rolling back"],
        ),
        ("POST /api/v1/alert_groups/IXYZ/unsilence", "firing", "unsilenced", vec!["unack", key]),
    ];
    for (n, (write, state, said, args)) in steps.into_iter().enumerate() {
        proxy.set(Fault::drop_response_to(&[write]));
        let (code, _, err) = klaxon(&sb, &config, &args);
        // A close is the source's to do: not taken (its answer lost), it is not said done.
        let done = if args[0] == "close" { Some(1) } else { Some(0) };
        assert_eq!(code, done, "{args:?}: {err}");
        assert_eq!(proxy.dropped(), n + 1, "{write}: its answer was lost");
        assert!(err.contains("not sent yet"), "{args:?}: {err}");
        proxy.set(Fault::Pass);
        let (code, _, err) = klaxon(&sb, &config, &["sync"]);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains(&format!("sent goc/IXYZ: {said} ")), "{err}");
        assert_eq!(og.state_of("IXYZ"), state);
    }
    let w = writes(&rt.block_on(og.requests()));
    let count = |p: &str| w.iter().filter(|r| r.starts_with(p)).count();
    assert_eq!(count(r#"POST /api/v1/alert_groups/IXYZ/silence {"delay":7200}"#), 1, "{w:#?}");
    assert_eq!(count("POST /api/v1/alert_groups/IXYZ/unsilence "), 1, "{w:#?}");
    assert_eq!(count("POST /api/v1/alert_groups/IXYZ/acknowledge"), 0, "silenced, not acknowledged: {w:#?}");
    assert_eq!(count("POST /api/v1/resolution_notes/ "), 1, "the ack's words: {w:#?}");
    assert_eq!(w.len(), 3, "{w:#?}");
    assert!(og.notes()[0].starts_with("deploy rolling back — silenced (tester via klaxon) [klaxon op "));

    // Shorter than a minute, or without write_back, is refused naming the key.
    let bad = text.replace("ack_silence = \"2h\"", "ack_silence = \"10s\"");
    let err = klaxon::settings::parse(&bad, "k.toml").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("ack_silence is at least 1m"), "{err}");
}
