//! The Datadog source against a mock of Datadog's Monitors and Downtimes APIs (a SaaS: it
//! cannot run here). Every shape comes from Datadog's API reference, as cited in
//! `common/datadog_mock.rs`.

use crate::common;

use common::datadog_mock::{API_KEY, APP_KEY, MockDatadog, monitor};
use common::fault_proxy::{Fault, FaultProxy};
use common::vendor_mock::writes;
use common::{Sandbox, json};
use wiremock::ResponseTemplate;

fn secret(dir: &std::path::Path, name: &str, value: &str) -> std::path::PathBuf {
    common::vendor_mock::secret_file(dir, name, value)
}

fn keys(dir: &std::path::Path, api: &str) -> String {
    format!(
        "api_key_file = \"{}\"\napp_key_file = \"{}\"\n",
        secret(dir, "dd.api", api).display(),
        secret(dir, "dd.app", APP_KEY).display()
    )
}

fn source(url: &str, dir: &tempfile::TempDir, api: &str, extra: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let text =
        format!("[[sources]]\nname = \"dd\"\nkind = \"datadog\"\nurl = \"{url}\"\n{}{extra}", keys(dir.path(), api));
    common::vendor_mock::source(text.trim_start_matches("[[sources]]\n"))
}

// Get all monitor details: group_states, monitor_tags, with_downtimes, id_offset after the
// last id until an empty page; one alert per group in Alert, Warn or No Data.
#[tokio::test]
async fn monitors_page_by_id_offset_one_alert_per_group_priority_then_state() {
    let dd = MockDatadog::start(vec![
        monitor(11, Some(1), "Alert", &[("host:db-1,env:prod", "Alert"), ("host:db-2,env:prod", "OK")]),
        monitor(12, None, "Warn", &[("host:web-1", "Warn"), ("host:web-2", "No Data")]),
        monitor(13, Some(4), "Alert", &[]),
        monitor(14, None, "OK", &[]),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dd.server.uri(), &dir, API_KEY, "page_size = 2\nmonitor_tags = [\"service:checkout\"]");
    let alerts = src.poll().await.expect("poll");
    let mut keys: Vec<&str> = alerts.iter().map(|a| a.key.id()).collect();
    keys.sort();
    assert_eq!(keys, ["11:host:db-1,env:prod", "12:host:web-1", "12:host:web-2", "13"]);
    let reqs = dd.requests().await;
    let offsets: Vec<String> = reqs.iter().map(|r| common::vendor_mock::query(r, "id_offset").unwrap()).collect();
    assert_eq!(offsets, ["0", "12", "14"], "after the last id seen, until an empty page");
    for r in &reqs {
        assert_eq!(r.url.path(), "/api/v1/monitor");
        for (k, v) in [
            ("group_states", "alert,warn,no data"),
            ("with_downtimes", "true"),
            ("page_size", "2"),
            ("monitor_tags", "service:checkout"),
        ] {
            assert_eq!(common::vendor_mock::query(r, k).as_deref(), Some(v), "{k}");
        }
        assert_eq!(
            (r.headers["DD-API-KEY"].to_str().unwrap(), r.headers["DD-APPLICATION-KEY"].to_str().unwrap()),
            (API_KEY, APP_KEY)
        );
    }
    let by = |id: &str| alerts.iter().find(|a| a.key.id() == id).unwrap();
    assert_eq!(by("11:host:db-1,env:prod").severity.name(), "disaster", "priority 1");
    assert_eq!(by("13").severity.name(), "warning", "priority 4");
    assert_eq!(by("12:host:web-1").severity.name(), "warning", "no priority: Warn");
    assert_eq!(by("12:host:web-2").severity.name(), "average", "no priority: No Data");
    let a = by("11:host:db-1,env:prod");
    assert_eq!((&a.labels["host"], &a.labels["env"], &a.labels["team"]), ("db-1", "prod", "db"));
    assert_eq!(a.title, "Monitor 11 (host:db-1,env:prod)");
}

#[tokio::test]
async fn rate_limits_5xx_400_and_a_refused_key() {
    let dd = MockDatadog::start(vec![monitor(1, Some(2), "Alert", &[])]).await;
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dd.server.uri(), &dir, API_KEY, "");
    // Datadog: 429 with X-RateLimit-Reset; `Retry-After` is honoured where given.
    dd.fail_next("GET", "/api/v1/monitor", ResponseTemplate::new(429).insert_header("Retry-After", "1"));
    assert_eq!(src.poll().await.expect("after the wait").len(), 1);
    dd.fail_next("GET", "/api/v1/monitor", ResponseTemplate::new(503));
    assert_eq!(src.poll().await.expect("after the 503").len(), 1);
    dd.fail_next(
        "GET",
        "/api/v1/monitor",
        ResponseTemplate::new(400).set_body_json(serde_json::json!({"errors": ["Invalid group_states"]})),
    );
    let err = src.poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 400") && err.contains("Invalid group_states"), "{err}");
    let n = dd.requests().await.len();
    assert_eq!(n, 2 + 2 + 2 + 1, "a 400 is not asked again (each good poll ends on an empty page)");
    let expired = "dd-expired-0000";
    let err = source(&dd.server.uri(), &dir, expired, "").poll().await.unwrap_err().to_string();
    assert!(err.contains("HTTP 403") && err.contains("the API key was refused") && !err.contains(expired), "{err}");
}

fn klaxon(sb: &Sandbox, config: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    common::run(sb, config, args, &[API_KEY, APP_KEY])
}

// Through the CLI with `ack_mute`: list, ack with a note (a downtime on the group, its first
// answer lost: one downtime after sync), unack (cancelled), escalate (klaxon's chain only),
// and close refused: Datadog monitors resolve themselves.
#[test]
fn list_ack_unack_escalate_through_the_cli_one_downtime_though_its_first_answer_was_lost() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dd = rt.block_on(MockDatadog::start(vec![monitor(77, Some(2), "Alert", &[("host:db-1,env:prod", "Alert")])]));
    let proxy = FaultProxy::start(dd.server.address().port());
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"dd\"\nkind = \"datadog\"\nurl = \"{}\"\n{}ack_mute = \"2h\"\n",
            proxy.url,
            keys(sb.dir.path(), API_KEY)
        ),
    );
    let key = "dd/77:host:db-1,env:prod";
    let (code, out, err) = klaxon(&sb, &config, &["list", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (json(out.as_bytes())[0]["key"].as_str(), json(out.as_bytes())[0]["severity"].as_str()),
        (Some(key), Some("high"))
    );

    proxy.set(Fault::drop_response_to(&["POST /api/v2/downtime"]));
    let (code, _, err) = klaxon(&sb, &config, &["ack", key, "--note", "disk cleanup running"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("not sent yet"), "{err}");
    assert_eq!(proxy.dropped(), 1);
    proxy.set(Fault::Pass);
    assert_eq!(klaxon(&sb, &config, &["sync"]).0, Some(0));
    klaxon(&sb, &config, &["sync"]);
    let downtimes = dd.downtimes();
    assert_eq!(downtimes.len(), 1, "one downtime though the first answer was lost: {downtimes:#?}");
    let a = &downtimes[0]["attributes"];
    assert_eq!(
        (a["scope"].as_str(), a["monitor_identifier"]["monitor_id"].as_u64()),
        (Some("host:db-1 AND env:prod"), Some(77))
    );
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .starts_with("disk cleanup running — acknowledged (tester via klaxon) [klaxon op ")
    );
    assert!(a["schedule"]["end"].is_string());

    let (code, _, err) = klaxon(&sb, &config, &["unack", key]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(dd.downtimes()[0]["attributes"]["status"], "canceled");
    let (code, _, err) = klaxon(&sb, &config, &["escalate", key]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = klaxon(&sb, &config, &["close", key]);
    assert_ne!(code, Some(0), "Datadog has no close: refused before anything is written");
    assert!(err.contains("cannot close"), "{err}");
    let w = writes(&rt.block_on(dd.requests()));
    assert_eq!(w.iter().filter(|r| r.starts_with("POST /api/v2/downtime ")).count(), 1, "{w:#?}");
    assert_eq!(w.iter().filter(|r| r.starts_with("DELETE /api/v2/downtime/")).count(), 1, "{w:#?}");
    assert_eq!(w.len(), 2, "escalate wrote nothing to Datadog: {w:#?}");
}
