//! The `checks` source with Debian's real monitoring-plugins and this host's real
//! disks, load and memory.

use crate::common;

use common::{Sandbox, json, require};
use serde_json::Value;

const PLUGINS: &str = "/usr/lib/nagios/plugins";

fn list(sb: &Sandbox, config: &str) -> (Vec<Value>, std::process::Output) {
    let path = sb.write("klaxon.toml", config);
    let out = sb.klaxon().args(["list", "--format", "json", "--config"]).arg(path).output().unwrap();
    let alerts = json(&out.stdout).as_array().unwrap().clone();
    (alerts, out)
}

fn find<'a>(alerts: &'a [Value], key: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["key"] == key)
}

#[test]
fn nagios_plugins_map_exit_codes_to_severities() {
    let Some(dummy) = require(&format!("{PLUGINS}/check_dummy"), "monitoring-plugins") else { return };
    let Some(tcp) = require(&format!("{PLUGINS}/check_tcp"), "monitoring-plugins") else { return };
    let dummy = dummy.display();
    let sb = Sandbox::new();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = format!(
        r#"[store]
path = "k.db"

[[sources]]
name = "local"
kind = "checks"
host = false

[[sources.commands]]
name = "ok"
argv = ["{dummy}", "0", "all good"]

[[sources.commands]]
name = "warn"
argv = ["{dummy}", "1", "queue at 80% | depth=800;700;900"]

[[sources.commands]]
name = "crit"
argv = ["{dummy}", "2", "database down"]
critical = "disaster"

[[sources.commands]]
name = "unknown"
argv = ["{dummy}", "3", "cannot tell"]

[[sources.commands]]
name = "tcp"
argv = ["{tcp}", "-H", "127.0.0.1", "-p", "{port}"]

[[sources.commands]]
name = "shell"
argv = ["{dummy}", "2", "$(touch pwned); `id`"]
"#,
        tcp = tcp.display()
    );
    let (alerts, out) = list(&sb, &config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(find(&alerts, "local/ok").is_none(), "a passing check is no alert");
    let warn = find(&alerts, "local/warn").unwrap();
    assert_eq!(warn["severity"], "warning");
    assert!(warn["title"].as_str().unwrap().ends_with("WARNING: queue at 80%"), "{warn}");
    assert_eq!(warn["annotations"]["perfdata"], "depth=800;700;900");
    assert_eq!(find(&alerts, "local/crit").unwrap()["severity"], "disaster", "per-check mapping");
    assert_eq!(find(&alerts, "local/unknown").unwrap()["severity"], "average", "unknown maps to average");
    let tcp = find(&alerts, "local/tcp").unwrap();
    assert_eq!(tcp["severity"], "high");
    assert!(tcp["title"].as_str().unwrap().contains("Connection refused"), "{tcp}");
    // argv goes straight to the program: no shell ever expands it.
    let shell = find(&alerts, "local/shell").unwrap();
    assert!(shell["title"].as_str().unwrap().contains("$(touch pwned); `id`"), "{shell}");
    assert!(!sb.path("pwned").exists() && !std::path::Path::new("pwned").exists());
    // Ranked: disaster, high, average, warning.
    let order: Vec<_> = alerts.iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert_eq!(order[0], "local/crit");
    assert_eq!(order.last(), Some(&"local/warn"));
}

#[test]
fn hung_missing_and_hostile_commands_become_unknown_alerts() {
    let sb = Sandbox::new();
    let hostile = sb.write("hostile.sh", "#!/bin/sh\nprintf 'CRITICAL: \\033]0;owned\\007\\033[2Jgone\\n'\nexit 2\n");
    std::fs::set_permissions(&hostile, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = format!(
        r#"[store]
path = "k.db"

[[sources]]
name = "local"
kind = "checks"
host = false

[[sources.commands]]
name = "hung"
argv = ["/bin/sleep", "30"]
timeout = "1s"
unknown = "high"

[[sources.commands]]
name = "missing"
argv = ["/nonexistent/check_nothing"]

[[sources.commands]]
name = "hostile"
argv = ["{}"]
"#,
        hostile.display()
    );
    let started = std::time::Instant::now();
    let (alerts, out) = list(&sb, &config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(25), "the hung command was killed at its timeout");
    let hung = find(&alerts, "local/hung").unwrap();
    assert_eq!(hung["severity"], "high");
    assert!(hung["title"].as_str().unwrap().contains("gave no result within 1s"), "{hung}");
    let missing = find(&alerts, "local/missing").unwrap();
    assert_eq!(missing["severity"], "average");
    assert!(missing["title"].as_str().unwrap().contains("cannot run check_nothing"), "{missing}");
    let title = find(&alerts, "local/hostile").unwrap()["title"].as_str().unwrap().to_owned();
    assert!(title.ends_with("CRITICAL: ]0;owned[2Jgone"), "{title:?}");
    assert!(!title.chars().any(|c| c.is_control()), "no control character survives: {title:?}");
}

#[test]
fn host_checks_report_real_disks_load_and_memory() {
    let sb = Sandbox::new();
    // Thresholds at zero: every real measurement is over them.
    let config = r#"[store]
path = "k.db"

[[sources]]
name = "local"
kind = "checks"
disk = { warning = 0.0, high = 0.0 }
load = { warning = 0.0, high = 1000.0 }
memory = { warning = 0.0, high = 0.0 }
"#;
    let (alerts, out) = list(&sb, config);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = find(&alerts, "local/disk:/").unwrap_or_else(|| panic!("the root filesystem: {alerts:#?}"));
    assert_eq!(root["severity"], "high");
    assert_eq!(root["runbook"], "disk-filling");
    assert_eq!(root["labels"]["mount"], "/");
    assert!(root["title"].as_str().unwrap().contains("% of / used"), "{root}");
    assert_eq!(find(&alerts, "local/load").unwrap()["severity"], "warning");
    assert_eq!(find(&alerts, "local/memory").unwrap()["severity"], "high");

    // With the shipped thresholds a healthy host raises no load alert at all.
    let quiet = "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"local\"\nkind = \"checks\"\nload = { warning = 1000.0, high = 2000.0 }\n";
    let (alerts, _) = list(&sb, quiet);
    assert!(find(&alerts, "local/load").is_none());
    // …and the earlier load alert is now resolved in the timeline.
    let tl = sb
        .klaxon()
        .args(["timeline", "local/load", "--format", "json", "--config"])
        .arg(sb.path("klaxon.toml"))
        .output()
        .unwrap();
    let tl = json(&tl.stdout);
    let kinds: Vec<_> =
        tl["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["seen", "resolved"]);
}
