//! `klaxon logs KEY`: what the log pane would show beside an alert, as text or JSON lines.

use crate::common;

use common::Sandbox;

fn config(sb: &Sandbox, extra: &str) -> std::path::PathBuf {
    sb.write(
        "app.log",
        concat!(
            "2020-01-01T00:00:00Z INFO long before any alert\n",
            "{\"level\":\"warn\",\"msg\":\"slow query\",\"request_id\":\"r-1\",\"ctx\":{\"ms\":812}}\n",
            "{\"level\":\"error\",\"msg\":\"\\u001b]0;pwned\\u0007evil \\u202eexe\",\"request_id\":\"r-1\"}\n",
        ),
    );
    sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n\n\
             [[logs]]\nname = \"app\"\nkind = \"file\"\npath = \"app.log\"\nbefore = \"1h\"\n{extra}"
        ),
    )
}

fn first_key(sb: &Sandbox, cfg: &std::path::Path) -> String {
    let out = sb.klaxon().args(["list", "--format", "json", "--config"]).arg(cfg).output().unwrap();
    common::json(&out.stdout)[0]["key"].as_str().unwrap().to_owned()
}

#[test]
fn prints_the_window_as_text_and_json_sanitized() {
    let sb = Sandbox::new();
    let cfg = config(&sb, "");
    let key = first_key(&sb, &cfg);
    let out = sb.klaxon().args(["logs", &key, "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "the 2020 line is outside the window: {stdout}");
    assert!(lines[0].ends_with("WARN  slow query ctx.ms=812 request_id=r-1"), "{stdout}");
    assert!(lines[1].contains("ERROR ]0;pwnedevil exe request_id=r-1"), "{stdout}");
    assert!(!stdout.contains('\x1b') && !stdout.contains('\u{202e}') && !stdout.contains('\x07'));

    let out = sb.klaxon().args(["logs", &key, "--format", "json", "--config"]).arg(&cfg).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["source"], "app");
    assert_eq!(first["level"], "warn");
    assert_eq!(first["message"], "slow query");
    assert_eq!(first["fields"]["ctx.ms"], "812");
    assert_eq!(first["at"], serde_json::Value::Null);
}

#[test]
fn a_failing_source_is_named_and_the_others_still_print() {
    let sb = Sandbox::new();
    let port = common::servers::free_port();
    let cfg = config(
        &sb,
        &format!(
            "\n[[logs]]\nname = \"loki\"\nkind = \"loki\"\nurl = \"http://127.0.0.1:{port}\"\nquery = '{{job=\"x\"}}'\ntimeout = \"2s\"\n"
        ),
    );
    let key = first_key(&sb, &cfg);
    let out = sb.klaxon().args(["logs", &key, "--config"]).arg(&cfg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("klaxon: logs loki: failed: cannot connect"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    // Only the file: fine. An unknown source name: a usage error.
    let ok = sb.klaxon().args(["logs", &key, "--source", "app", "--config"]).arg(&cfg).output().unwrap();
    assert!(ok.status.success());
    let bad = sb.klaxon().args(["logs", &key, "--source", "nope", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("configured: app, loki"));
}
