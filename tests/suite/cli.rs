//! The headless commands against the embedded default, as a person on a fresh machine runs them.

use crate::common;

use common::{Sandbox, json};
use klaxon::model::{AlertKey, EntryKind};
use klaxon::store::{SqliteStore, Store};
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

const SEVERITIES: [&str; 5] = ["information", "warning", "average", "high", "disaster"];

fn rank_of(severity: &str) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).expect("known severity name")
}

#[test]
fn list_json_on_the_embedded_default_prints_ranked_demo_alerts() {
    let sb = Sandbox::new();
    let out = sb.klaxon().args(["list", "--format", "json"]).assert().success().get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("embedded default"), "says it runs the embedded default: {stderr}");
    let alerts = json(&out.stdout);
    let alerts = alerts.as_array().expect("an array");
    let demo: Vec<_> = alerts.iter().filter(|a| a["source"] == "demo").collect();
    assert!(demo.len() >= 3, "several demo alerts fire at once: {alerts:#?}");
    for a in alerts {
        for field in ["key", "source", "title", "severity", "status", "started_at", "labels", "annotations"] {
            assert!(!a[field].is_null(), "{field} missing in {a}");
        }
        assert!(a.get("owner").is_some() && a.get("runbook").is_some(), "owner and runbook keys present: {a}");
        chrono::DateTime::parse_from_rfc3339(a["started_at"].as_str().unwrap()).expect("RFC 3339");
    }
    assert!(demo.iter().all(|a| a["runbook"].is_string()), "demo alerts link runbooks");
    // Nothing is acknowledged yet, so the order is severity, then newest.
    let keys: Vec<(usize, String)> = alerts
        .iter()
        .map(|a| (rank_of(a["severity"].as_str().unwrap()), a["started_at"].as_str().unwrap().to_owned()))
        .collect();
    for pair in keys.windows(2) {
        assert!(pair[0].0 > pair[1].0 || (pair[0].0 == pair[1].0 && pair[0].1 >= pair[1].1), "ranked: {keys:?}");
    }
}

#[test]
fn ack_with_a_note_then_timeline_shows_actor_and_time() {
    let sb = Sandbox::new();
    let list = json(
        &sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).assert().success().get_output().stdout,
    );
    let key = list[0]["key"].as_str().unwrap().to_owned();
    let prefix = &key[..key.len() - 4];
    let ack = sb.klaxon().args(["ack", prefix, "--note", "on it, checking the auth logs"]).assert().success();
    assert!(String::from_utf8_lossy(&ack.get_output().stdout).contains(&format!("acknowledged {key} as tester")));

    let tl = sb.klaxon().args(["timeline", &key]).assert().success().get_output().stdout.clone();
    let tl = String::from_utf8(tl).unwrap();
    let line = tl.lines().find(|l| l.contains("acknowledged")).unwrap_or_else(|| panic!("no ack in:\n{tl}"));
    assert!(line.contains("**tester** acknowledged: on it, checking the auth logs"), "{line}");
    let stamp = line.trim_start_matches("- ").split(' ').next().unwrap();
    chrono::DateTime::parse_from_rfc3339(stamp).expect("the entry's time");

    // The ranked list now shows the owner, and the acknowledged alert sinks below the unowned.
    let list = json(
        &sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).assert().success().get_output().stdout,
    );
    let acked = list.as_array().unwrap().iter().find(|a| a["key"] == key.as_str()).unwrap();
    assert_eq!((acked["owner"].as_str(), acked["status"].as_str()), (Some("tester"), Some("acknowledged")));
    assert_eq!(list.as_array().unwrap().last().unwrap()["key"], key.as_str());
}

#[test]
fn list_with_a_store_it_cannot_record_in_still_lists_and_says_so() {
    let sb = Sandbox::new();
    let listed = |sb: &Sandbox| sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).output().unwrap();
    let first = listed(&sb);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    // The table the poll is compared with (read ahead while the source answers) is gone.
    let db = rusqlite::Connection::open(sb.default_db()).unwrap();
    db.execute_batch("ALTER TABLE alerts RENAME TO alerts_elsewhere").unwrap();
    drop(db);

    let out = listed(&sb);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "what the source says is still listed: {stderr}");
    let alerts = json(&out.stdout);
    let alerts = alerts.as_array().unwrap();
    assert!(!alerts.is_empty() && alerts.iter().all(|a| a["source"] == "demo"), "{alerts:#?}");
    assert!(stderr.contains("no such table: alerts") && stderr.contains("(source demo not recorded)"), "{stderr}");
    assert!(stderr.contains("(owners not shown)"), "{stderr}");
}

/// A row is acted on once it is read (`klaxon list | head -1 | … klaxon ack`): it must not be
/// read before the poll's record is committed, or the record could undo the ack (an alert that
/// fires again is written `seen`, which starts its ownership anew). Here another connection
/// holds the write lock while `list` polls: nothing is printed until it lets go.
#[test]
fn list_prints_only_once_the_poll_is_recorded() {
    let sb = Sandbox::new();
    sb.klaxon().args(["list", "--source", "demo"]).assert().success();
    let db = rusqlite::Connection::open(sb.default_db()).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();

    let mut child = sb
        .klaxon_std()
        .args(["list", "--format", "json", "--source", "demo"])
        .env("KLAXON_PHASES", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (polled_tx, polled) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let said = std::thread::spawn(move || {
        let mut all = String::new();
        for line in stderr.lines().map_while(Result::ok) {
            if line.ends_with("list: polled") {
                let _ = polled_tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let (first_tx, first_byte) = std::sync::mpsc::channel();
    let mut stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        if stdout.read(&mut byte).unwrap_or(0) == 1 {
            let _ = first_tx.send(());
            out.push(byte[0]);
            stdout.read_to_end(&mut out).unwrap();
        }
        out
    });
    polled.recv_timeout(Duration::from_secs(30)).expect("the demo source is polled while the lock is held");
    // The poll is done and its record waits for the lock (SQLite waits up to 10 s): a second
    // is ample for a list that did not wait to be printed.
    assert!(
        first_byte.recv_timeout(Duration::from_secs(1)).is_err(),
        "the list was printed before the poll was recorded"
    );
    db.execute_batch("COMMIT").unwrap();
    let status = child.wait().unwrap();
    let stderr = said.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("not recorded"), "the record went in once the lock was free: {stderr}");
    let alerts = json(&printed.join().unwrap());
    assert!(alerts.as_array().is_some_and(|a| !a.is_empty()), "then the list is printed: {alerts}");
}

/// `klaxon sync` with an outbox it cannot read does not say all is sent: it names the
/// trouble and fails.
#[test]
fn sync_with_an_outbox_it_cannot_read_fails() {
    let sb = Sandbox::new();
    sb.klaxon().args(["list", "--source", "demo"]).assert().success();
    let db = rusqlite::Connection::open(sb.default_db()).unwrap();
    db.execute_batch("ALTER TABLE outbox RENAME TO outbox_elsewhere").unwrap();
    drop(db);
    let out = sb.klaxon().arg("sync").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the outbox could not be read: ") && stderr.contains("no such table: outbox"), "{stderr}");
}

#[test]
fn list_with_a_cache_it_cannot_write_still_lists_and_says_so() {
    let sb = Sandbox::new();
    sb.klaxon().args(["list", "--source", "demo"]).assert().success();
    // The snapshot cache's directory is a file now: no snapshot can be written there (even as root).
    let snapshots = sb.path("cache/klaxon/snapshots");
    std::fs::remove_dir_all(&snapshots).unwrap();
    std::fs::write(&snapshots, "not a directory").unwrap();
    for args in [&["list", "--format", "json", "--source", "demo"][..], &["list", "--source", "demo"]] {
        let out = sb.klaxon().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "the poll stands: {stderr}");
        assert!(stderr.contains("klaxon: could not write the snapshot cache of demo:"), "{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("demo/"), "the alerts are listed");
    }
}

#[test]
fn note_unack_and_escalate_reach_the_timeline_in_order() {
    let sb = Sandbox::new();
    let list = json(
        &sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).assert().success().get_output().stdout,
    );
    let key = list[0]["key"].as_str().unwrap().to_owned();
    sb.klaxon().args(["ack", &key]).assert().success();
    sb.klaxon().args(["note", &key, "rolled back \x1b[2Jdeploy"]).assert().success();
    sb.klaxon()
        .args(["escalate", &key, "--note", "need the db team"])
        .assert()
        .success()
        .stdout(predicates::str::contains("level 1"));
    sb.klaxon().args(["escalate", &key]).assert().success().stdout(predicates::str::contains("level 2"));
    sb.klaxon().args(["unack", &key]).assert().success();
    let tl = json(&sb.klaxon().args(["timeline", &key, "--format", "json"]).assert().success().get_output().stdout);
    let kinds: Vec<_> =
        tl["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["seen", "acked", "note", "escalated", "escalated", "unacked"]);
    let note = &tl["entries"][2];
    assert_eq!(note["text"], "rolled back [2Jdeploy", "the escape character is gone");
    assert_eq!(tl["entries"][4]["level"], 2);
    sb.klaxon().args(["note", &key, "  "]).assert().code(2);
}

#[test]
fn an_ack_survives_kill_9_right_after_it_returns() {
    let sb = Sandbox::new();
    let list = json(
        &sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).assert().success().get_output().stdout,
    );
    let key = list[0]["key"].as_str().unwrap().to_owned();
    let mut child = sb
        .klaxon_std()
        .args(["ack", &key, "--note", "mine"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("acknowledged"), "{line}");
    // SIGKILL at once: no destructor, no checkpoint, no clean close.
    let _ = child.kill();
    let _ = child.wait();
    let store = SqliteStore::open(&sb.default_db()).unwrap();
    let tl = store.timeline(&AlertKey::parse(&key).unwrap()).unwrap();
    let ack = tl.iter().find(|e| e.kind == EntryKind::Acked).expect("the ack is in the store");
    assert_eq!((ack.actor.as_str(), ack.text.as_str()), ("tester", "mine"));
}

#[test]
fn unknown_and_ambiguous_keys_are_usage_errors() {
    let sb = Sandbox::new();
    sb.klaxon().args(["ack", "demo/doesnotexist"]).assert().code(2).stderr(predicates::str::contains("no alert"));
    sb.klaxon().args(["ack", "nosuchsource/1"]).assert().code(2).stderr(predicates::str::contains("no source named"));
    sb.klaxon().args(["ack", "noslash"]).assert().code(2);
    sb.klaxon().args(["list", "--min-severity", "urgent"]).assert().code(2);
}

#[test]
fn min_severity_and_source_filter_the_list() {
    let sb = Sandbox::new();
    let all = json(
        &sb.klaxon().args(["list", "--format", "json", "--source", "demo"]).assert().success().get_output().stdout,
    );
    let high = json(
        &sb.klaxon()
            .args(["list", "--format", "json", "--source", "demo", "--min-severity", "high"])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let want: Vec<_> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| rank_of(a["severity"].as_str().unwrap()) >= 3)
        .map(|a| &a["key"])
        .collect();
    let got: Vec<_> = high.as_array().unwrap().iter().map(|a| &a["key"]).collect();
    assert_eq!(got, want);
    sb.klaxon().args(["list", "--source", "nope"]).assert().code(2);
}

#[test]
fn init_writes_a_starter_config_that_klaxon_then_uses() {
    let sb = Sandbox::new();
    let printed = sb.klaxon().arg("init").assert().success().get_output().stdout.clone();
    let file = sb.write("starter.toml", std::str::from_utf8(&printed).unwrap());
    sb.klaxon().args(["check-config", "--config"]).arg(&file).assert().success();

    sb.klaxon().args(["init", "--write"]).assert().success();
    let written = sb.path("config/klaxon/klaxon.toml");
    assert_eq!(std::fs::read(&written).unwrap(), printed);
    sb.klaxon().args(["init", "--write"]).assert().code(2).stderr(predicates::str::contains("--force"));
    let out = sb.klaxon().arg("check-config").assert().success().get_output().clone();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&written.display().to_string()));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("embedded default"));
}

#[test]
fn completions_are_generated() {
    let sb = Sandbox::new();
    sb.klaxon().args(["completions", "bash"]).assert().success().stdout(predicates::str::contains("_klaxon"));
    sb.klaxon().args(["completions", "zsh"]).assert().success().stdout(predicates::str::contains("#compdef klaxon"));
}

/// `klaxon watch --format json` on the demo source (polled every second, the store beside the
/// config as watch.db), the first line it prints, and the rest of its output (held open: it
/// would fail to write to a closed pipe).
fn watch_demo(sb: &Sandbox, stderr: Stdio) -> (std::process::Child, serde_json::Value, WatchLines) {
    let config = sb.write(
        "watch.toml",
        "[store]\npath = \"watch.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\ninterval = \"1s\"\n",
    );
    let mut child = sb
        .klaxon_std()
        .args(["watch", "--format", "json", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    (child, first, lines)
}

type WatchLines = std::io::Lines<BufReader<std::process::ChildStdout>>;

#[test]
fn watch_prints_new_alerts_as_json_lines_and_stops_on_sigterm() {
    let sb = Sandbox::new();
    let (mut child, first, _rest) = watch_demo(&sb, Stdio::null());
    assert_eq!(first["event"], "new");
    assert!(first["key"].as_str().unwrap().starts_with("demo/"));
    assert!(SEVERITIES.contains(&first["severity"].as_str().unwrap()));
    rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "watch exits cleanly on SIGTERM: {status:?}");
    // What watch saw is in the store beside the config.
    let store = SqliteStore::open(&sb.path("watch.db")).unwrap();
    assert!(!store.known_alerts(Some("demo"), false).unwrap().is_empty());
}

#[test]
fn watch_says_once_that_the_snapshot_cache_cannot_be_written() {
    let sb = Sandbox::new();
    // The snapshot cache's directory is a file: no snapshot can be written there (even as root).
    std::fs::create_dir_all(sb.path("cache/klaxon")).unwrap();
    std::fs::write(sb.path("cache/klaxon/snapshots"), "not a directory").unwrap();
    let (mut child, first, _rest) = watch_demo(&sb, Stdio::piped());
    assert_eq!(first["event"], "new", "the poll stands");
    // A few more polls (one a second), then stop.
    std::thread::sleep(Duration::from_millis(3500));
    rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::TERM).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(child.wait().unwrap().success());
    let said: Vec<&str> = err.lines().filter(|l| l.contains("could not write the snapshot cache of demo")).collect();
    assert_eq!(said.len(), 1, "said once, not at every poll: {err}");
    assert!(said[0].starts_with("klaxon: could not write the snapshot cache of demo: "), "{err}");
}

#[test]
fn doctor_reaches_every_part_and_fails_when_one_is_down() {
    let sb = Sandbox::new();
    let out = sb.klaxon().arg("doctor").env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("config   ok: the embedded default"), "{text}");
    assert!(text.contains("store    ok: sqlite at"), "{text}");
    assert!(text.contains("source   demo (demo): ok in"), "{text}");
    assert!(text.contains("source   local (checks): ok in"), "{text}");
    assert!(text.contains("desktop  not reachable"), "{text}");
    assert!(text.contains("runbooks 11 loaded"), "{text}");

    let dead = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let config = sb.write(
        "k.toml",
        &format!("[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"{dead}\"\ntimeout = \"2s\"\n"),
    );
    let out = sb.klaxon().args(["doctor", "--config"]).arg(&config).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("source   prod (alertmanager): FAILING after") && text.contains("cannot connect"), "{text}");
}

/// `list` refreshes a source's cached snapshot (what the console starts from, and what a
/// later `list` shows when the source fails) as the console does, once a poll interval:
/// run again within the interval it leaves the file alone, after it writes it anew. A
/// source that does not know when its alerts started (a failing local check) is written
/// every time: its first sightings are carried from there.
#[test]
fn list_refreshes_the_snapshot_cache_once_a_poll_interval() {
    let sb = Sandbox::new();
    let config = |every: &str| {
        sb.write(
            "config/klaxon/klaxon.toml",
            &format!(
                "[[sources]]\nname = \"demo\"\nkind = \"demo\"\ninterval = \"{every}\"\n\n\
                 [[sources]]\nname = \"local\"\nkind = \"checks\"\nhost = false\ninterval = \"{every}\"\n\n\
                 [[sources.commands]]\nname = \"down\"\nargv = [\"sh\", \"-c\", \"echo CRITICAL down; exit 2\"]\n"
            ),
        )
    };
    let at = |source: &str| {
        let cached = sb.path(&format!("cache/klaxon/snapshots/{source}.snapshot"));
        std::fs::metadata(&cached).and_then(|m| m.modified()).unwrap_or_else(|e| panic!("{source}'s snapshot: {e}"))
    };
    config("1h");
    let listed = sb.klaxon().args(["list", "--format", "json"]).output().unwrap();
    let alerts = json(&listed.stdout);
    assert!(alerts.as_array().unwrap().iter().any(|a| a["source"] == "local"), "the failing check is listed: {alerts}");
    let (first, local) = (at("demo"), at("local"));
    sb.klaxon().args(["list", "--format", "json"]).output().unwrap();
    assert_eq!(at("demo"), first, "within the interval the snapshot is left as it is");
    assert!(at("local") > local, "a check's snapshot carries its first sighting: written every time");

    config("1s");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sb.klaxon().args(["list", "--format", "json"]).assert().success();
    assert!(at("demo") > first, "a snapshot older than the interval is written anew");
}
