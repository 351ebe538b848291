//! The Icinga 2 source against a real Icinga 2.13 (Debian's `icinga2`, started by the test
//! in a temp dir with its own CA, see common/icinga2.rs): problems whose state the test
//! sets reach `klaxon list`; ack, note and unack are written back once each and read back
//! from Icinga's own object state and comments, also when an answer is lost on the way;
//! a downtime shows as suppressed; a client certificate logs in as well as a password.

use crate::common;

use common::fault_proxy::{Fault, FaultProxy};
use common::icinga2::{Icinga, PASSWORD};
use common::tls_bridge::TlsBridge;
use common::{Sandbox, listed_as};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A config with the Icinga API as `ici` (password in a 0600 file) beside `extra` keys.
fn write_config(sb: &Sandbox, url: &str, ca: Option<&std::path::Path>, extra: &str) -> PathBuf {
    let password = sb.write("icinga.pass", &format!("{PASSWORD}\n"));
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ca = ca.map(|c| format!("ca_file = \"{}\"\n", c.display())).unwrap_or_default();
    sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"ici\"\nkind = \"icinga2\"\nurl = \"{url}\"\n{ca}\
             username = \"klaxon\"\npassword_file = \"{}\"\ntimeout = \"5s\"\n{extra}\n",
            password.display()
        ),
    )
}

fn ours(comments: &[Value]) -> Vec<&Value> {
    comments.iter().filter(|c| c["text"].as_str().unwrap_or("").contains("[klaxon op ")).collect()
}

#[test]
fn real_icinga_problems_are_listed_acknowledged_once_commented_unacknowledged_and_downtimes_suppressed() {
    let Some(ici) = Icinga::start() else { return };
    ici.set_state("db1!disk", 2, "DISK CRITICAL - /var 98% used\n/var/log 40G");
    ici.set_state("db1!load", 1, "LOAD WARNING - 7.2");
    ici.set_state("web1", 1, "PING CRITICAL - 100% packet loss");

    let sb = Sandbox::new();
    let config = write_config(&sb, &ici.url, Some(&ici.ca), "host_groups = [\"linux\"]");
    let alerts = sb.listed(&config);
    // web1 is in no host group of the filter; db1's two services are.
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let disk = listed_as(&alerts, "ici/db1!disk");
    assert_eq!(disk["severity"], "high", "CRITICAL is High by default");
    assert_eq!(disk["status"], "firing");
    assert_eq!(disk["host"], "db1 (klaxon test)");
    assert_eq!(disk["title"], "db1 (klaxon test): Disk /var CRITICAL");
    assert_eq!(disk["annotations"]["output"], "DISK CRITICAL - /var 98% used\n/var/log 40G");
    assert_eq!(disk["annotations"]["notes"], "Clean /var/log first");
    assert_eq!(disk["labels"]["state_type"], "hard");
    assert_eq!(disk["runbook"], "https://runbooks.example/disk", "notes_url is the runbook");
    assert_eq!(listed_as(&alerts, "ici/db1!load")["severity"], "warning");

    // Without the group filter the host problem shows too, DOWN at High; a mapping changes it.
    let wide = Sandbox::new();
    let wide_config = write_config(&wide, &ici.url, Some(&ici.ca), "severities = { down = \"disaster\" }");
    let all = wide.listed(&wide_config);
    assert_eq!(all.len(), 3, "{all:#?}");
    let web1 = listed_as(&all, "ici/web1");
    assert_eq!((web1["severity"].as_str(), web1["title"].as_str()), (Some("disaster"), Some("web1 DOWN")));

    // Ack with a note: Icinga's own object is acknowledged, with one comment carrying it.
    let out = sb.run(&config, &["ack", "ici/db1!disk", "--note", "cleaning /var/log; then rotate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ici.object("db1!disk")["acknowledgement"].as_f64(), Some(2.0), "sticky (the default)");
    let comments = ici.comments("db1!disk");
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert_eq!(comments[0]["author"], "tester");
    assert_eq!(comments[0]["entry_type"].as_f64(), Some(4.0), "an acknowledgement's comment");
    assert!(comments[0]["text"].as_str().unwrap().starts_with("cleaning /var/log; then rotate — acknowledged"));
    // Syncing again writes nothing more; the list shows it acknowledged.
    assert!(sb.run(&config, &["sync"]).status.success());
    assert_eq!(ici.comments("db1!disk").len(), 1);
    assert_eq!(listed_as(&sb.listed(&config), "ici/db1!disk")["status"], "acknowledged");

    // A note is a comment; someone's comment in Icinga shows in klaxon's timeline, once.
    assert!(sb.run(&config, &["note", "ici/db1!disk", "it is logrotate"]).status.success());
    ici.api(
        "POST",
        "/v1/actions/add-comment",
        json!({"type": "Service", "service": "db1!disk", "author": "bob", "comment": "DBA here: moving logs"}),
    );
    for _ in 0..2 {
        assert!(sb.run(&config, &["list"]).status.success());
    }
    let timeline = String::from_utf8_lossy(&sb.run(&config, &["timeline", "ici/db1!disk", "--format", "json"]).stdout)
        .into_owned();
    assert_eq!(timeline.matches("DBA here: moving logs").count(), 1, "{timeline}");

    // Unack: Icinga's acknowledgement is gone, and a comment says who removed it.
    let out = sb.run(&config, &["unack", "ici/db1!disk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ici.object("db1!disk")["acknowledgement"].as_f64(), Some(0.0));
    let comments = ici.comments("db1!disk");
    let texts: Vec<&str> = ours(&comments).iter().map(|c| c["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 2, "the note and the removal (the ack's comment goes with the ack): {texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("acknowledgement removed (via klaxon)")), "{texts:?}");
    assert_eq!(listed_as(&sb.listed(&config), "ici/db1!disk")["status"], "firing");

    // Severity and close do not exist in Icinga: refused, saying so, nothing stored or sent.
    let out = sb.run(&config, &["close", "ici/db1!disk"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot close"), "{out:?}");

    // A downtime: the problem shows as suppressed, saying whose and why.
    let now = chrono::Utc::now().timestamp();
    ici.api(
        "POST",
        "/v1/actions/schedule-downtime",
        json!({"type": "Service", "service": "db1!load", "author": "carol", "comment": "kernel update",
               "start_time": now - 10, "end_time": now + 3600, "fixed": true}),
    );
    let load = listed_as(&sb.listed(&config), "ici/db1!load").clone();
    assert_eq!(load["status"], "suppressed", "{load:#}");
    let json = load.to_string();
    assert!(json.contains("in downtime until") && json.contains("by carol: kernel update"), "{load:#}");
}

#[test]
fn an_icinga_ack_whose_answer_was_lost_is_made_once() {
    let Some(ici) = Icinga::start() else { return };
    ici.set_state("db1!disk", 2, "DISK CRITICAL");
    // klaxon → fault proxy (plain HTTP, so it sees which request it is) → TLS bridge → Icinga,
    // as behind a TLS-terminating reverse proxy.
    let bridge = TlsBridge::start(ici.port, "localhost", &ici.ca);
    let proxy = FaultProxy::start(bridge.port);
    let sb = Sandbox::new();
    let config = write_config(&sb, &proxy.url, None, "");
    assert_eq!(listed_as(&sb.listed(&config), "ici/db1!disk")["status"], "firing");

    proxy.set(Fault::drop_response_to(&["POST /v1/actions/acknowledge-problem"]));
    let out = sb.run(&config, &["ack", "ici/db1!disk", "--note", "on it"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the ack itself is recorded: {stderr}");
    assert!(stderr.contains("not sent yet"), "says it is not confirmed: {stderr}");
    assert_eq!(proxy.dropped(), 1);
    assert_eq!(ici.object("db1!disk")["acknowledgement"].as_f64(), Some(2.0), "Icinga took it, sticky");

    proxy.set(Fault::Pass);
    for _ in 0..2 {
        let out = sb.run(&config, &["sync"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let comments = ici.comments("db1!disk");
    assert_eq!(comments.len(), 1, "one acknowledgement comment after the retry: {comments:#?}");
    assert!(comments[0]["text"].as_str().unwrap().starts_with("on it — acknowledged (via klaxon) [klaxon op "));
    let timeline = common::json(&sb.run(&config, &["timeline", "ici/db1!disk", "--format", "json"]).stdout);
    let entries = timeline["entries"].as_array().unwrap();
    assert_eq!(entries.iter().filter(|e| e["kind"] == "acked").count(), 1, "{timeline}");
}

#[test]
fn a_client_certificate_logs_in_and_a_wrong_password_is_said_never_echoed() {
    let Some(ici) = Icinga::start() else { return };
    ici.set_state("web1", 1, "PING CRITICAL");
    let (cert, key) = ici.client_cert();
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[[sources]]\nname = \"ici\"\nkind = \"icinga2\"\nurl = \"{}\"\nca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
            ici.url,
            ici.ca.display(),
            cert.display(),
            key.display()
        ),
    );
    let out = sb.run(&config, &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("source   ici (icinga2): ok"), "{stdout}");
    assert_eq!(listed_as(&sb.listed(&config), "ici/web1")["severity"], "high");

    let wrong = sb.write("wrong.pass", "not-the-password\n");
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = sb.write(
        "wrong.toml",
        &format!(
            "[[sources]]\nname = \"ici\"\nkind = \"icinga2\"\nurl = \"{}\"\nca_file = \"{}\"\nusername = \"klaxon\"\npassword_file = \"{}\"\n",
            ici.url,
            ici.ca.display(),
            wrong.display()
        ),
    );
    let out = sb.run(&config, &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ici (icinga2): FAILING") && stdout.contains("401"), "{stdout}");
    assert!(!stdout.contains("not-the-password"), "{stdout}");
}
