//! The alertmanager source against Debian's real Alertmanager (and Prometheus), started by
//! the tests on free loopback ports.

use crate::common;

use common::servers::{self, active_silences, eventually, post_alerts};
use common::{Sandbox, json};
use serde_json::{Value, json};
use std::time::Duration;

fn config(sb: &Sandbox, body: &str) -> std::path::PathBuf {
    sb.write("klaxon.toml", &format!("[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\ntimeout = \"5s\"\n{body}"))
}

fn list(sb: &Sandbox, config: &std::path::Path) -> (Vec<Value>, std::process::Output) {
    let out = sb.klaxon().args(["list", "--format", "json", "--config"]).arg(config).output().unwrap();
    let alerts =
        serde_json::from_slice::<Value>(&out.stdout).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default();
    (alerts, out)
}

fn test_alert(name: &str, severity: &str) -> Value {
    json!({
        "labels": {"alertname": name, "severity": severity, "instance": "db-1:9100", "job": "node"},
        "annotations": {"summary": "disk 93% full", "runbook_url": "disk-filling"},
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=disk"
    })
}

#[test]
fn a_prometheus_rule_alert_reaches_klaxon_list_with_its_severity() {
    let Some(am) = servers::alertmanager(None) else { return };
    let rules = "groups:\n  - name: klaxon\n    interval: 1s\n    rules:\n      - alert: KlaxonDiskFull\n        expr: vector(1)\n        labels:\n          severity: critical\n          service: db\n        annotations:\n          summary: disk full on db-1\n          runbook_url: disk-filling\n";
    let Some(_prom) = servers::prometheus(&am, rules) else { return };
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\n", am.url));
    let mut found = None;
    let arrived = eventually(Duration::from_secs(90), || {
        let (alerts, _) = list(&sb, &cfg);
        found = alerts.into_iter().find(|a| a["labels"]["alertname"] == "KlaxonDiskFull");
        found.is_some()
    });
    assert!(arrived, "the rule's alert never reached klaxon list");
    let a = found.unwrap();
    assert_eq!(a["severity"], "disaster", "critical maps to Disaster: {a}");
    assert_eq!(a["title"], "KlaxonDiskFull: disk full on db-1");
    assert_eq!(a["status"], "firing");
    assert_eq!(a["service"], "db");
    assert_eq!(a["runbook"], "disk-filling");
    assert!(a["key"].as_str().unwrap().starts_with("prod/"));
}

#[test]
fn ack_with_ack_silence_makes_exactly_one_silence_notes_update_it_and_unack_expires_it() {
    let Some(am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("DiskFilling", "warning")]));
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\nack_silence = \"30m\"\n", am.url));
    let (alerts, out) = list(&sb, &cfg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = alerts[0]["key"].as_str().unwrap().to_owned();
    assert_eq!(alerts[0]["severity"], "warning");

    let out = sb.klaxon().args(["ack", &key, "--note", "on it", "--config"]).arg(&cfg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("sent") && stderr.contains("silence"), "{stderr}");
    let active = active_silences(&am);
    assert_eq!(active.len(), 1, "{active:#?}");
    let s = &active[0];
    assert_eq!(s["createdBy"], "tester");
    assert!(s["comment"].as_str().unwrap().starts_with("ACK! on it [klaxon op "), "{s}");
    let matchers: Vec<(String, String)> = s["matchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().into(), m["value"].as_str().unwrap().into()))
        .collect();
    assert!(matchers.contains(&("alertname".into(), "DiskFilling".into())) && matchers.len() == 4, "{matchers:?}");

    // amtool sees it too, as karma and kthxbye users would.
    if let Some(amtool) = common::require("/usr/bin/amtool", "prometheus-alertmanager") {
        let out = std::process::Command::new(amtool)
            .args(["silence", "query", "-o", "json", &format!("--alertmanager.url={}", am.url)])
            .output()
            .unwrap();
        let seen: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["id"], s["id"]);
    }

    // Draining again, or any command (they all drain first), makes no second silence.
    sb.klaxon().args(["sync", "--config"]).arg(&cfg).assert().success();
    let (alerts, _) = list(&sb, &cfg);
    assert_eq!(active_silences(&am).len(), 1);
    // The acked alert is still listed (not hidden as silenced), owned, with the silence as the source's ack.
    let a = alerts.iter().find(|a| a["key"] == key.as_str()).expect("still listed");
    assert_eq!((a["status"].as_str(), a["owner"].as_str()), (Some("acknowledged"), Some("tester")));

    // A note goes onto the silence's comment.
    sb.klaxon().args(["note", &key, "db restarted", "--config"]).arg(&cfg).assert().success();
    let active = active_silences(&am);
    assert_eq!(active.len(), 1, "updating leaves one silence in force: {active:#?}");
    let comment = active[0]["comment"].as_str().unwrap();
    assert!(
        comment.starts_with("ACK! on it [klaxon op ") && comment.contains("— tester: db restarted [klaxon op "),
        "{comment}"
    );

    // Unack expires it.
    sb.klaxon().args(["unack", &key, "--config"]).arg(&cfg).assert().success();
    assert!(active_silences(&am).is_empty(), "the silence is expired");
    let (alerts, _) = list(&sb, &cfg);
    let a = alerts.iter().find(|a| a["key"] == key.as_str()).unwrap();
    assert_eq!((a["status"].as_str(), a["owner"].as_str()), (Some("firing"), None));
}

#[test]
fn acking_twice_keeps_one_silence_and_unack_expires_every_one_klaxon_made() {
    let Some(am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("CpuHot", "critical")]));
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\nack_silence = \"30m\"\n", am.url));
    let (alerts, _) = list(&sb, &cfg);
    let key = alerts[0]["key"].as_str().unwrap().to_owned();
    let ack = |user: &str, note: &str| {
        let out = sb.klaxon().env("USER", user).args(["ack", &key, "--note", note, "--config"]).arg(&cfg).output();
        let out = out.unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    ack("tester", "on it");
    let first = active_silences(&am);
    assert_eq!(first.len(), 1, "{first:#?}");
    std::thread::sleep(Duration::from_millis(1100));
    ack("tester", "still on it");
    let again = active_silences(&am);
    assert_eq!(again.len(), 1, "the owner's second ack reuses the silence: {again:#?}");
    assert!(again[0]["endsAt"].as_str() > first[0]["endsAt"].as_str(), "and extends it: {again:#?}");
    // Someone else's ack is theirs, with a silence of its own.
    ack("bob", "looking too");
    assert_eq!(active_silences(&am).len(), 2);

    sb.klaxon().args(["unack", &key, "--config"]).arg(&cfg).assert().success();
    let left = active_silences(&am);
    assert!(left.is_empty(), "unack expires every silence klaxon made for the alert: {left:#?}");
    let (alerts, _) = list(&sb, &cfg);
    let a = alerts.iter().find(|a| a["key"] == key.as_str()).expect("listed again");
    assert_eq!(a["status"], "firing", "no longer hidden: {a}");
}

#[test]
fn an_ack_while_alertmanager_is_down_is_kept_and_sent_once_it_is_back() {
    let Some(mut am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("ReplicationLag", "major")]));
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\nack_silence = \"15m\"\n", am.url));
    let (alerts, _) = list(&sb, &cfg);
    let key = alerts[0]["key"].as_str().unwrap().to_owned();
    let port = am.port;
    am.stop();

    let out = sb.klaxon().args(["ack", &key, "--config"]).arg(&cfg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the ack itself is recorded: {stderr}");
    assert!(stderr.contains("not sent yet") && stderr.contains("queued"), "{stderr}");
    let tl =
        json(&sb.klaxon().args(["timeline", &key, "--format", "json", "--config"]).arg(&cfg).output().unwrap().stdout);
    assert!(tl["entries"].as_array().unwrap().iter().any(|e| e["kind"] == "acked"));
    let (_, out) = list(&sb, &cfg);
    assert_eq!(out.status.code(), Some(1), "a dead source fails the list");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));

    let Some(am) = servers::alertmanager(Some(port)) else { return };
    post_alerts(&am, &json!([test_alert("ReplicationLag", "major")]));
    sb.klaxon().args(["sync", "--config"]).arg(&cfg).assert().success();
    sb.klaxon().args(["sync", "--config"]).arg(&cfg).assert().success();
    assert_eq!(active_silences(&am).len(), 1, "sent once, however often it is drained");
}

#[test]
fn a_retried_ack_whose_answer_was_lost_does_not_make_a_second_silence() {
    use klaxon::model::EntryKind;
    let Some(am) = servers::alertmanager(None) else { return };
    let sb = Sandbox::new();
    let cfg_path = config(&sb, &format!("url = \"{}\"\nack_silence = \"15m\"\n", am.url));
    let cfg = klaxon::settings::parse(&std::fs::read_to_string(&cfg_path).unwrap(), "k.toml").unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    let op = mirror_op(EntryKind::Acked, "mine", None);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let first = rt.block_on(source.mirror(&op)).unwrap();
    // The same op again, as after a crash between the POST and recording it as done.
    let again = rt.block_on(source.mirror(&op)).unwrap();
    assert_eq!(first.remote_id, again.remote_id);
    assert_eq!(active_silences(&am).len(), 1);
}

/// Alertmanager answers 404 for a silence it does not know (`GET /silence/{id}`): a note on an
/// acknowledgement whose silence is gone says so and clears it, while any other failure stays an
/// error to retry. The source tells the two apart by the HTTP status, not by the words.
#[test]
fn a_note_on_a_silence_alertmanager_no_longer_knows_clears_it() {
    use klaxon::model::{EntryKind, PriorUpdate};
    let Some(am) = servers::alertmanager(None) else { return };
    let sb = Sandbox::new();
    let cfg_path = config(&sb, &format!("url = \"{}\"\nack_silence = \"15m\"\n", am.url));
    let cfg = klaxon::settings::parse(&std::fs::read_to_string(&cfg_path).unwrap(), "k.toml").unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    let prior = Some(("an-earlier-op".into(), "0b6a7f3e-5c1d-4e2f-9a8b-7c6d5e4f3a2b".into()));
    let op = mirror_op(EntryKind::Note, "still looking", prior);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let done = rt.block_on(source.mirror(&op)).unwrap();
    assert_eq!((done.prior, done.summary.as_str()), (PriorUpdate::Clear, "the silence has ended"));
    assert!(active_silences(&am).is_empty(), "nothing was made for it");
}

#[test]
fn silenced_and_inhibited_alerts_are_hidden_or_shown_suppressed_with_who_and_why() {
    let Some(am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("Quiet", "warning"), test_alert("Loud", "critical")]));
    let now = chrono::Utc::now();
    let silence = json!({
        "matchers": [{"name": "alertname", "value": "Quiet", "isRegex": false, "isEqual": true}],
        "startsAt": now.to_rfc3339(), "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "carol", "comment": "maintenance window"
    });
    let (status, _) = servers::http("POST", &format!("{}/api/v2/silences", am.url), Some(&silence.to_string()));
    assert_eq!(status, 200);
    let sb = Sandbox::new();
    let hidden = config(&sb, &format!("url = \"{}\"\n", am.url));
    let (alerts, _) = list(&sb, &hidden);
    let names: Vec<_> = alerts.iter().map(|a| a["labels"]["alertname"].as_str().unwrap()).collect();
    assert_eq!(names, ["Loud"], "silenced alerts are not shown by default");
    let shown = config(&sb, &format!("url = \"{}\"\nsilenced = true\n", am.url));
    let (alerts, _) = list(&sb, &shown);
    let quiet = alerts.iter().find(|a| a["labels"]["alertname"] == "Quiet").expect("shown when asked");
    assert_eq!(quiet["status"], "suppressed");
    assert_eq!(quiet["suppression"], "silenced by carol: maintenance window");
    assert_eq!(alerts.last().unwrap()["labels"]["alertname"], "Quiet", "suppressed ranks below what needs a person");
}

#[test]
fn an_ha_pair_with_one_dead_peer_still_answers() {
    let Some(am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("DiskFilling", "warning")]));
    let sb = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}", servers::free_port());
    let cfg = config(&sb, &format!("urls = [\"{dead}\", \"{}\"]\n", am.url));
    let (alerts, out) = list(&sb, &cfg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(alerts.len(), 1);
    let cfg = config(&sb, &format!("urls = [\"{dead}\", \"{dead}\"]\n"));
    let (_, out) = list(&sb, &cfg);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("all 2 peers failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn hostile_label_values_come_out_clean_in_json_and_on_screen() {
    let Some(am) = servers::alertmanager(None) else { return };
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2Jgone\u{202e}txt.exe";
    post_alerts(
        &am,
        &json!([{
            "labels": {"alertname": format!("Evil{evil}"), "severity": "critical", "team": evil},
            "annotations": {"summary": evil, "description": format!("line one\r\n{evil}")}
        }]),
    );
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\n", am.url));
    let (alerts, out) = list(&sb, &cfg);
    assert!(out.status.success());
    let text = serde_json::to_string(&alerts).unwrap();
    for bad in ["\\u001b", "\\u0007", "\u{202e}", "\\r"] {
        assert!(!text.contains(bad), "{bad} survived: {text}");
    }
    assert_eq!(alerts[0]["labels"]["team"], "]0;pwned[2Jgonetxt.exe");

    // And on screen: the console draws what the source produced, cell by cell.
    let config = klaxon::settings::parse(&std::fs::read_to_string(&cfg).unwrap(), "k.toml").unwrap();
    let source = klaxon::sources::build(&config.sources[0]).unwrap();
    // Through the border every poll crosses: the sources themselves leave the text as it came.
    let poll = klaxon::sources::poller::poll_once(source.as_ref(), std::time::Duration::from_secs(10));
    let polled = tokio::runtime::Runtime::new().unwrap().block_on(poll).unwrap();
    let mut state = common::alerts::state_with(120, 40, vec![("prod".into(), polled)]);
    state.focus = klaxon::app::state::Pane::Detail;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| klaxon::ui::view(&state, &klaxon::config::theme::Theme::default(), f)).unwrap();
    common::assert_clean_cells(terminal.backend().buffer());
    assert!(terminal.backend().to_string().contains("]0;pwned[2Jgonetxt.exe"));
}

#[test]
fn tls_with_a_custom_ca_file() {
    let sb = Sandbox::new();
    let tls = sb.path("tls");
    std::fs::create_dir_all(&tls).unwrap();
    if common::servers::make_tls(&tls).is_none() {
        return;
    }
    let web = sb.write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
            tls.join("server.pem").display(),
            tls.join("server.key").display()
        ),
    );
    let Some(am) = servers::alertmanager_with(None, &[&format!("--web.config.file={}", web.display())], true) else {
        return;
    };
    let https = am.url.replace("http://", "https://");
    let trusted = config(&sb, &format!("url = \"{https}\"\nca_file = \"{}\"\n", tls.join("ca.pem").display()));
    let (alerts, out) = list(&sb, &trusted);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(alerts.is_empty());
    let untrusted = config(&sb, &format!("url = \"{https}\"\n"));
    let (_, out) = list(&sb, &untrusted);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "names the certificate problem: {stderr}");
}

/// An alert with no severity label, or a word no mapping knows, is not silently Average:
/// it takes the source's `default_severity` and says why (`severity_guessed`).
#[test]
fn a_missing_or_unknown_severity_takes_the_default_and_says_so() {
    let Some(am) = servers::alertmanager(None) else { return };
    let mut none = test_alert("NoSeverity", "x");
    none["labels"].as_object_mut().unwrap().remove("severity");
    post_alerts(&am, &json!([none, test_alert("OddWord", "p7"), test_alert("Known", "critical")]));
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\ndefault_severity = \"high\"\n", am.url));
    let (alerts, out) = list(&sb, &cfg);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_name = |n: &str| alerts.iter().find(|a| a["labels"]["alertname"] == n).cloned().unwrap();
    assert_eq!(by_name("NoSeverity")["severity"], "high");
    assert_eq!(by_name("NoSeverity")["severity_guessed"], "no severity label");
    assert_eq!(by_name("OddWord")["severity"], "high");
    assert_eq!(by_name("OddWord")["severity_guessed"], "severity=\"p7\" is not a severity klaxon knows");
    assert_eq!(by_name("Known")["severity"], "disaster");
    assert_eq!(by_name("Known")["severity_guessed"], Value::Null);
}

/// `klaxon ack|note|escalate` on an alert its source no longer reports says so and wants
/// `--force`; escalating with no pager says nobody was paged, and past the top level is refused.
#[test]
fn acting_on_a_resolved_alert_needs_force_and_escalation_says_who_was_paged() {
    let Some(am) = servers::alertmanager(None) else { return };
    post_alerts(&am, &json!([test_alert("Gone", "warning"), test_alert("Here", "warning")]));
    let sb = Sandbox::new();
    let cfg = config(&sb, &format!("url = \"{}\"\n", am.url));
    let (alerts, _) = list(&sb, &cfg);
    let key =
        |n: &str| alerts.iter().find(|a| a["labels"]["alertname"] == n).unwrap()["key"].as_str().unwrap().to_owned();
    let (gone, here) = (key("Gone"), key("Here"));

    let out = sb.klaxon().args(["escalate", &here, "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("to level 1 (stored): nobody was paged: no pager is configured"), "{stdout}");
    let out = sb.klaxon().args(["timeline", &here, "--format", "json", "--config"]).arg(&cfg).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("nobody was paged"), "the entry says it too");
    let out = sb.klaxon().args(["escalate", &here, "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already at level 1, the highest configured"));

    // The alert ends at the source.
    let mut ended = test_alert("Gone", "warning");
    ended["endsAt"] = json!("2020-01-01T00:00:00Z");
    post_alerts(&am, &json!([ended]));
    for args in [vec!["ack", &gone], vec!["note", &gone, "late"], vec!["escalate", &gone]] {
        let out = sb.klaxon().args(&args).arg("--config").arg(&cfg).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("no longer reports") && stderr.contains("--force"), "{args:?}: {stderr}");
    }
    let out = sb.klaxon().args(["note", &gone, "for the retro", "--force", "--config"]).arg(&cfg).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An action on `prod/abc` (alertname X) by "tester", as the outbox hands it to the source.
fn mirror_op(kind: klaxon::model::EntryKind, text: &str, prior: Option<(String, String)>) -> klaxon::model::MirrorOp {
    klaxon::model::MirrorOp {
        op_id: klaxon::model::new_op_id(),
        alert_key: klaxon::model::AlertKey::new("prod", "abc"),
        kind,
        actor: "tester".into(),
        text: text.into(),
        labels: [("alertname".to_string(), "X".to_string())].into(),
        created_at: chrono::Utc::now(),
        attempts: 0,
        level: None,
        prior,
    }
}
