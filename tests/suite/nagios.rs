//! The Nagios source against a real Nagios Core 4.4 (Debian's `nagios4`, started by the test
//! in a temp dir, see common/nagios.rs): passive results the test submits through the
//! command FIFO reach `klaxon list` through status.dat; ack, note and unack are written to
//! the FIFO once each and read back from status.dat, also when the read-back ran out of
//! time; a comment with `;` and a line break arrives as one comment; a downtime shows as
//! suppressed; a Nagios that is not reading its FIFO is said at once, never waited on.

use crate::common;

use common::nagios::Nagios;
use common::{Sandbox, listed_as};
use serde_json::Value;
use std::path::PathBuf;

fn write_config(sb: &Sandbox, n: &Nagios, extra: &str) -> PathBuf {
    sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"nag\"\nkind = \"nagios\"\nstatus_file = \"{}\"\n\
             command_file = \"{}\"\n{extra}\n",
            n.status_file.display(),
            n.command_file.display()
        ),
    )
}

#[test]
fn real_nagios_problems_are_listed_acknowledged_once_commented_unacknowledged_and_downtimes_suppressed() {
    let Some(n) = Nagios::start(1) else { return };
    n.set_state("db1!disk", 2, "DISK CRITICAL - /var 98% used");
    n.set_state("db1!load", 1, "LOAD WARNING - 7.2");
    n.set_state("web1", 1, "PING CRITICAL - 100% packet loss");

    let sb = Sandbox::new();
    let config = write_config(&sb, &n, "");
    let alerts = sb.listed(&config);
    assert_eq!(alerts.len(), 3, "{alerts:#?}");
    let disk = listed_as(&alerts, "nag/db1!disk");
    assert_eq!(disk["severity"], "high", "CRITICAL is High by default");
    assert_eq!(disk["status"], "firing");
    assert_eq!(disk["host"], "db1 (klaxon test)", "the alias, from objects.cache");
    assert_eq!(disk["title"], "db1 (klaxon test): Disk /var CRITICAL");
    assert_eq!(disk["annotations"]["output"], "DISK CRITICAL - /var 98% used");
    assert_eq!(disk["annotations"]["notes"], "Clean /var/log first");
    assert_eq!(disk["runbook"], "https://runbooks.example/disk", "notes_url is the runbook");
    assert_eq!(listed_as(&alerts, "nag/db1!load")["severity"], "warning");
    let web1 = listed_as(&alerts, "nag/web1");
    assert_eq!((web1["severity"].as_str(), web1["title"].as_str()), (Some("high"), Some("web1 DOWN")));

    // Ack with a note holding `;` and a line break: one acknowledgement, one comment, whole.
    let out = sb.run(&config, &["ack", "nag/db1!disk", "--note", "cleaning; then\nrotate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(n.status("db1!disk").unwrap()["problem_has_been_acknowledged"], "1");
    let comments = n.comments("db1!disk");
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert_eq!(comments[0]["author"], "tester");
    assert_eq!(comments[0]["entry_type"], "4", "an acknowledgement's comment");
    assert!(
        comments[0]["comment_data"].starts_with("cleaning; then rotate — acknowledged (via klaxon) [klaxon op "),
        "{comments:#?}"
    );
    assert!(!n.log().contains("Unknown command"), "no second command was made of the note:\n{}", n.log());
    // Syncing again writes nothing more; the list shows it acknowledged.
    assert!(sb.run(&config, &["sync"]).status.success());
    assert_eq!(n.comments("db1!disk").len(), 1);
    assert_eq!(listed_as(&sb.listed(&config), "nag/db1!disk")["status"], "acknowledged");

    // A note is a comment; an operator's comment in Nagios shows in klaxon's timeline, once.
    assert!(sb.run(&config, &["note", "nag/db1!disk", "it is logrotate"]).status.success());
    n.submit(&["ADD_SVC_COMMENT;db1;disk;1;bob;DBA here; moving logs".to_string()]);
    n.wait("bob's comment", |n| n.comments("db1!disk").iter().any(|c| c["author"] == "bob"));
    for _ in 0..2 {
        assert!(sb.run(&config, &["list"]).status.success());
    }
    let timeline = String::from_utf8_lossy(&sb.run(&config, &["timeline", "nag/db1!disk", "--format", "json"]).stdout)
        .into_owned();
    assert_eq!(timeline.matches("DBA here; moving logs").count(), 1, "{timeline}");

    // Unack: Nagios's acknowledgement is gone, and a comment says who removed it.
    let out = sb.run(&config, &["unack", "nag/db1!disk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(n.status("db1!disk").unwrap()["problem_has_been_acknowledged"], "0");
    let ours: Vec<String> = n
        .comments("db1!disk")
        .into_iter()
        .map(|c| c["comment_data"].clone())
        .filter(|t| t.contains("[klaxon op "))
        .collect();
    assert_eq!(ours.len(), 2, "the note and the removal (the ack's comment goes with the ack): {ours:?}");
    assert!(ours.iter().any(|t| t.starts_with("acknowledgement removed (via klaxon)")), "{ours:?}");
    assert_eq!(listed_as(&sb.listed(&config), "nag/db1!disk")["status"], "firing");

    // Severity and close do not exist in Nagios: refused, saying so.
    let out = sb.run(&config, &["severity", "nag/db1!disk", "disaster"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot severity set"), "{out:?}");

    // A downtime: the problem shows as suppressed, saying whose and why.
    let now = chrono::Utc::now().timestamp();
    n.submit(&[format!("SCHEDULE_SVC_DOWNTIME;db1;load;{now};{};1;0;3600;carol;kernel update", now + 3600)]);
    n.wait("the downtime", |n| n.status("db1!load").is_some_and(|s| s["scheduled_downtime_depth"] == "1"));
    let load = listed_as(&sb.listed(&config), "nag/db1!load").clone();
    assert_eq!(load["status"], "suppressed", "{load:#}");
    let json = load.to_string();
    assert!(json.contains("in downtime until") && json.contains("by carol: kernel update"), "{load:#}");

    // With handled = false, acknowledged and downtimed problems are left out.
    let hide = Sandbox::new();
    let hide_config = write_config(&hide, &n, "handled = false\nhosts = false");
    let keys: Vec<Value> = hide.listed(&hide_config).iter().map(|a| a["key"].clone()).collect();
    assert_eq!(keys, ["nag/db1!disk"]);
}

#[test]
fn a_nagios_ack_not_yet_in_the_status_file_is_confirmed_later_and_made_once() {
    // The status file is rewritten every 6 s, the source's timeout is 2 s: the read-back
    // runs out before Nagios shows the ack, as when an answer is lost.
    let Some(mut n) = Nagios::start(6) else { return };
    n.set_state("db1!disk", 2, "DISK CRITICAL");
    let sb = Sandbox::new();
    let config = write_config(&sb, &n, "timeout = \"2s\"");
    assert_eq!(listed_as(&sb.listed(&config), "nag/db1!disk")["status"], "firing");

    let out = sb.run(&config, &["ack", "nag/db1!disk", "--note", "on it"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the ack itself is recorded: {stderr}");
    assert!(stderr.contains("not sent yet") && stderr.contains("not in the status file yet"), "{stderr}");
    n.wait("Nagios shows the ack", |n| n.status("db1!disk").unwrap()["problem_has_been_acknowledged"] == "1");

    for _ in 0..2 {
        let out = sb.run(&config, &["sync"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let comments = n.comments("db1!disk");
    assert_eq!(comments.len(), 1, "one acknowledgement after the retry: {comments:#?}");
    let timeline = common::json(&sb.run(&config, &["timeline", "nag/db1!disk", "--format", "json"]).stdout);
    let entries = timeline["entries"].as_array().unwrap();
    assert_eq!(entries.iter().filter(|e| e["kind"] == "acked").count(), 1, "{timeline}");

    // Nagios dies: the FIFO stays with nobody reading it. The note is kept, not hung on.
    n.crash();
    let out = sb.run(&config, &["note", "nag/db1!disk", "still on it"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the note itself is recorded: {stderr}");
    assert!(stderr.contains("not sent yet") && stderr.contains("Nagios is not reading its command file"), "{stderr}");
}
