//! Grafana's and Mimir's Alertmanager paths and headers, against a mock server: these cannot
//! run here, and differ from plain Alertmanager only in where the API sits and how it is
//! authenticated.

use crate::common;

use common::Sandbox;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn alert_json(name: &str) -> serde_json::Value {
    json!([{
        "labels": {"alertname": name, "severity": "critical"},
        "annotations": {"summary": "from the mock"},
        "fingerprint": "0123456789abcdef",
        "startsAt": "2026-11-21T03:00:00Z",
        "updatedAt": "2026-11-21T03:00:00Z",
        "endsAt": "2026-11-21T04:00:00Z",
        "generatorURL": "",
        "receivers": [{"name": "null"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
    }])
}

fn list(sb: &Sandbox, body: &str, env: &[(&str, &str)]) -> std::process::Output {
    let cfg = sb.write(
        "klaxon.toml",
        &format!("[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\n{body}"),
    );
    let mut cmd = sb.klaxon();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["list", "--format", "json", "--config"]).arg(cfg).output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn mimir_prefix_and_tenant_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/alertmanager/api/v2/alerts"))
        .and(header("X-Scope-OrgID", "team-a"))
        .and(query_param("active", "true"))
        .and(query_param("filter", "team=\"ops\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(alert_json("MimirAlert")))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let body = format!(
        "url = \"{}\"\npath_prefix = \"/alertmanager\"\ntenant = \"team-a\"\nfilters = ['team=\"ops\"']\n",
        server.uri()
    );
    let out = tokio::task::spawn_blocking(move || list(&sb, &body, &[])).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(alerts[0]["title"], "MimirAlert: from the mock");
    assert_eq!(alerts[0]["key"], "prod/0123456789abcdef");
}

#[tokio::test(flavor = "multi_thread")]
async fn grafana_path_with_a_bearer_token_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/alertmanager/grafana/api/v2/alerts"))
        .and(header("Authorization", "Bearer glsa_secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(alert_json("GrafanaAlert")))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let body = format!(
        "url = \"{}\"\npath_prefix = \"/api/alertmanager/grafana\"\ntoken_env = \"GRAFANA_TOKEN\"\n",
        server.uri()
    );
    let out = tokio::task::spawn_blocking(move || list(&sb, &body, &[("GRAFANA_TOKEN", "glsa_secret")])).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("GrafanaAlert"));
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_from_a_private_file_and_errors_never_show_the_secret() {
    let server = MockServer::start().await;
    // "admin:hunter2" in base64.
    Mock::given(method("GET"))
        .and(path("/api/v2/alerts"))
        .and(header("Authorization", "Basic YWRtaW46aHVudGVyMg=="))
        .respond_with(ResponseTemplate::new(200).set_body_json(alert_json("BasicAlert")))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let pass = sb.write("am.pass", "hunter2\n");
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let body = format!("url = \"{}\"\nusername = \"admin\"\npassword_file = \"{}\"\n", server.uri(), pass.display());
    let (ok, wrong) = tokio::task::spawn_blocking(move || {
        let ok = list(&sb, &body, &[]);
        std::fs::write(&pass, "wrong\n").unwrap();
        (ok, list(&sb, &body, &[]))
    })
    .await
    .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("BasicAlert"));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr.contains("HTTP 404"), "the mock answers other credentials with 404: {stderr}");
    assert!(!stderr.contains("hunter2") && !stderr.contains("wrong"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lying_or_oversized_answer_fails_the_source_with_a_reason() {
    let server = MockServer::start().await;
    Mock::given(path("/lying/api/v2/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .mount(&server)
        .await;
    Mock::given(path("/huge/api/v2/alerts"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("[{}]", "1,".repeat(100_000) + "1")))
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let uri = server.uri();
    let (lying, huge) = tokio::task::spawn_blocking(move || {
        (
            list(&sb, &format!("url = \"{uri}\"\npath_prefix = \"/lying\"\n"), &[]),
            list(&sb, &format!("url = \"{uri}\"\npath_prefix = \"/huge\"\nmax_bytes = 65536\n"), &[]),
        )
    })
    .await
    .unwrap();
    assert_eq!(lying.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&lying.stderr).contains("not an Alertmanager API v2 answer"),
        "{}",
        String::from_utf8_lossy(&lying.stderr)
    );
    assert_eq!(huge.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&huge.stderr).contains("65536-byte cap"),
        "{}",
        String::from_utf8_lossy(&huge.stderr)
    );
}
