//! klaxon under faults: a proxy (tests/suite/common/fault_proxy.rs) between klaxon and the real
//! Alertmanager, the real PostgreSQL and the Zabbix mock hangs, resets, cuts answers short
//! or processes a request and loses its answer. Each test asserts what a person sees: the
//! source failing with its name (`klaxon list`, `klaxon doctor`, exit codes, stderr, the
//! poller's health), the other sources unaffected, recovery once the proxy passes again,
//! and no action lost or done twice.

use crate::common;

use common::fault_proxy::{Fault, FaultProxy};
use common::servers::{self, active_silences, eventually, post_alerts};
use common::zabbix_mock::{Behaviour, MockZabbix};
use common::{Sandbox, json};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What one klaxon run showed.
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// No single command may take longer than this: one that does is reported as hung.
const HUNG: Duration = Duration::from_secs(90);

/// `klaxon ARGS --config CONFIG` with `env`, killed (and the test failed) if it hangs.
fn klaxon(sb: &Sandbox, config: &Path, env: &[(&str, &str)], args: &[&str]) -> Ran {
    let (out, err) = (sb.path("out.txt"), sb.path("err.txt"));
    let mut cmd = sb.klaxon_std();
    cmd.args(args).arg("--config").arg(config).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("klaxon starts");
    let deadline = Instant::now() + HUNG;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`klaxon {}` hung (killed after {HUNG:?}); stderr so far: {}",
                args.join(" "),
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ran {
        code: status.code(),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
    }
}

fn alerts_of(ran: &Ran) -> Vec<Value> {
    serde_json::from_str::<Value>(&ran.stdout).ok().and_then(|v| v.as_array().cloned()).unwrap_or_default()
}

fn from_source<'a>(alerts: &'a [Value], source: &str) -> Vec<&'a Value> {
    alerts.iter().filter(|a| a["source"] == source).collect()
}

/// A fault and the words the failure must be said in (any of them).
fn faults(timeout: &str) -> Vec<(Fault, Vec<String>)> {
    let no_answer = vec![format!("no answer within {timeout}"), "timed out".to_string()];
    let broken = ["cannot connect", "request failed", "broken response", "timed out", "connection", "closed"]
        .map(str::to_string)
        .to_vec();
    vec![
        (Fault::Hang, no_answer.clone()),
        (Fault::Latency(Duration::from_secs(5)), no_answer),
        (Fault::Reset, broken.clone()),
        (Fault::Truncate(40), broken.clone()),
        (Fault::Truncate(200), broken.clone()),
        (Fault::DropResponse { when: vec![] }, broken),
    ]
}

/// With `fault` in front of source `name` (of `kind`), a second source `other` keeps
/// answering: `klaxon list` exits 1 naming the source and why, still prints the other's
/// alerts (and the failing one's last snapshot); `klaxon doctor` says FAILING for it alone;
/// back on pass, both are listed again and nothing is said to have failed.
fn fails_alone_and_recovers(
    sb: &Sandbox,
    config: &Path,
    env: &[(&str, &str)],
    proxy: &FaultProxy,
    (name, kind): (&str, &str),
    other: &str,
    (fault, words): (Fault, Vec<String>),
) {
    proxy.set(Fault::Pass);
    let before = klaxon(sb, config, env, &["list", "--format", "json"]);
    assert_eq!(before.code, Some(0), "on pass: {before:?}");
    let alerts = alerts_of(&before);
    assert!(!from_source(&alerts, name).is_empty() && !from_source(&alerts, other).is_empty(), "{alerts:?}");

    proxy.set(fault.clone());
    let ran = klaxon(sb, config, env, &["list", "--format", "json"]);
    assert_eq!(ran.code, Some(1), "{fault:?}: a failing source fails the list: {ran:?}");
    let said = ran
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("klaxon: source {name} failed: ")))
        .unwrap_or_else(|| panic!("{fault:?}: stderr does not name the failing source {name}: {}", ran.stderr));
    assert!(
        words.iter().any(|w| said.contains(w.as_str())),
        "{fault:?}: says why in words a person knows {words:?}: {said}"
    );
    assert!(said.contains("showing its snapshot from"), "{fault:?}: says the alerts shown are old: {said}");
    assert!(
        !ran.stderr.contains(&format!("source {other} failed")),
        "{fault:?}: {other} is unaffected: {}",
        ran.stderr
    );
    let alerts = alerts_of(&ran);
    assert_eq!(
        from_source(&alerts, other).len(),
        from_source(&alerts_of(&before), other).len(),
        "{fault:?}: {other}'s alerts are all still listed"
    );
    assert!(!from_source(&alerts, name).is_empty(), "{fault:?}: {name}'s last snapshot is shown: {alerts:?}");

    let doctor = klaxon(sb, config, env, &["doctor"]);
    assert_eq!(doctor.code, Some(1), "{fault:?}: {doctor:?}");
    let line = doctor
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("source   {name} ({kind}): ")))
        .unwrap_or_else(|| panic!("doctor has no line for {name}: {}", doctor.stdout));
    assert!(line.contains("FAILING") && words.iter().any(|w| line.contains(w.as_str())), "{fault:?}: {line}");
    eprintln!("{fault:?}:\n  list:   {said}\n  doctor: {line}");
    assert!(
        doctor.stdout.lines().any(|l| l.starts_with(&format!("source   {other} (")) && l.contains(": ok")),
        "{}",
        doctor.stdout
    );

    proxy.set(Fault::Pass);
    let after = klaxon(sb, config, env, &["list", "--format", "json"]);
    assert_eq!(after.code, Some(0), "{fault:?}: recovered once the proxy passes: {after:?}");
    assert!(!after.stderr.contains("failed"), "{}", after.stderr);
    assert!(!from_source(&alerts_of(&after), name).is_empty());
}

// ------------------------------------------------------------------ Alertmanager

fn am_alert(name: &str) -> Value {
    json!({"labels": {"alertname": name, "severity": "warning", "instance": "db-1:9100"},
           "annotations": {"summary": "disk 93% full"}})
}

/// A real Alertmanager with one alert, a proxy in front, and a config with it as `prod`
/// (timeout 2s) beside the demo source.
fn am_setup(extra: &str) -> Option<(servers::Server, FaultProxy, Sandbox, PathBuf)> {
    let am = servers::alertmanager(None)?;
    post_alerts(&am, &json!([am_alert("DiskFilling")]));
    let proxy = FaultProxy::start(am.port);
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"{}\"\ntimeout = \"2s\"\n{extra}\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
            proxy.url
        ),
    );
    Some((am, proxy, sb, config))
}

fn alertmanager_fault(i: usize) {
    let Some((_am, proxy, sb, config)) = am_setup("") else { return };
    fails_alone_and_recovers(&sb, &config, &[], &proxy, ("prod", "alertmanager"), "demo", faults("2s").swap_remove(i));
}

#[test]
fn alertmanager_hanging_fails_alone_and_recovers() {
    alertmanager_fault(0);
}

#[test]
fn alertmanager_slower_than_its_timeout_fails_alone_and_recovers() {
    alertmanager_fault(1);
}

#[test]
fn alertmanager_resetting_fails_alone_and_recovers() {
    alertmanager_fault(2);
}

#[test]
fn alertmanager_cut_short_fails_alone_and_recovers() {
    alertmanager_fault(3);
}

#[test]
fn alertmanager_cut_inside_the_body_fails_alone_and_recovers() {
    alertmanager_fault(4);
}

#[test]
fn alertmanager_losing_its_answers_fails_alone_and_recovers() {
    alertmanager_fault(5);
}

#[test]
fn alertmanager_slow_but_within_its_timeout_is_simply_listed() {
    let Some((_am, proxy, sb, config)) = am_setup("") else { return };
    proxy.set(Fault::Latency(Duration::from_millis(300)));
    let ran = klaxon(&sb, &config, &[], &["list", "--format", "json"]);
    assert_eq!(ran.code, Some(0), "{ran:?}");
    assert_eq!(from_source(&alerts_of(&ran), "prod").len(), 1);
}

#[test]
fn an_ack_whose_silence_was_made_but_whose_answer_was_lost_leaves_one_silence_after_sync() {
    let Some((am, proxy, sb, config)) = am_setup("ack_silence = \"15m\"") else { return };
    let listed = klaxon(&sb, &config, &[], &["list", "--format", "json"]);
    let key = from_source(&alerts_of(&listed), "prod")[0]["key"].as_str().unwrap().to_owned();

    // Alertmanager makes the silence; its answer (the silence's id) never arrives.
    proxy.set(Fault::drop_response_to(&["POST /api/v2/silences"]));
    let ack = klaxon(&sb, &config, &[], &["ack", &key, "--note", "on it"]);
    assert_eq!(ack.code, Some(0), "the ack itself is recorded: {ack:?}");
    assert!(
        ack.stderr.contains("not sent yet") && ack.stderr.contains("queued"),
        "says it is not confirmed: {}",
        ack.stderr
    );
    assert!(proxy.dropped() >= 1, "the proxy lost an answer");
    assert_eq!(active_silences(&am).len(), 1, "Alertmanager did make the silence");
    let doctor = klaxon(&sb, &config, &[], &["doctor"]);
    assert!(doctor.stdout.contains("1 action(s) not yet sent"), "doctor says what waits: {}", doctor.stdout);

    proxy.set(Fault::Pass);
    let sync = klaxon(&sb, &config, &[], &["sync"]);
    assert_eq!(sync.code, Some(0), "{sync:?}");
    assert!(sync.stderr.contains("sent"), "{}", sync.stderr);
    klaxon(&sb, &config, &[], &["sync"]);
    let silences = active_silences(&am);
    assert_eq!(silences.len(), 1, "the retry found the silence it had made: {silences:#?}");
    assert!(silences[0]["comment"].as_str().unwrap().starts_with("ACK! on it [klaxon op "));
    let timeline = klaxon(&sb, &config, &[], &["timeline", &key, "--format", "json"]);
    let entries = json(timeline.stdout.as_bytes());
    let acks = entries["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "acked").count();
    assert_eq!(acks, 1, "one ack in the timeline: {entries}");
    let doctor = klaxon(&sb, &config, &[], &["doctor"]);
    assert!(!doctor.stdout.contains("not yet sent"), "nothing waits: {}", doctor.stdout);
}

/// An ack while Alertmanager hangs or resets: recorded at once, the silence queued (not
/// hanging the command), and made once after the proxy passes.
fn ack_while_alertmanager_fails(fault: Fault) {
    let Some((am, proxy, sb, config)) = am_setup("ack_silence = \"15m\"") else { return };
    let listed = klaxon(&sb, &config, &[], &["list", "--format", "json"]);
    let key = from_source(&alerts_of(&listed), "prod")[0]["key"].as_str().unwrap().to_owned();
    proxy.set(fault.clone());
    let ack = klaxon(&sb, &config, &[], &["ack", &key]);
    assert_eq!(ack.code, Some(0), "{fault:?}: {ack:?}");
    assert!(ack.stderr.contains("not sent yet") && ack.stderr.contains("queued"), "{fault:?}: {}", ack.stderr);
    assert!(active_silences(&am).is_empty(), "{fault:?}: nothing reached Alertmanager");
    proxy.set(Fault::Pass);
    assert_eq!(klaxon(&sb, &config, &[], &["sync"]).code, Some(0));
    klaxon(&sb, &config, &[], &["sync"]);
    assert_eq!(active_silences(&am).len(), 1, "{fault:?}: made once");
}

#[test]
fn an_ack_while_alertmanager_hangs_is_kept_and_made_once_after() {
    ack_while_alertmanager_fails(Fault::Hang);
}

#[test]
fn an_ack_while_alertmanager_resets_is_kept_and_made_once_after() {
    ack_while_alertmanager_fails(Fault::Reset);
}

// ------------------------------------------------------------------ Zabbix (mock)

/// The Zabbix mock (a tokio runtime keeps it serving), a proxy in front, and a config with
/// it as `zbx` (write-back on, timeout 2s) beside the demo source.
fn zabbix_setup() -> (tokio::runtime::Runtime, MockZabbix, FaultProxy, Sandbox, PathBuf) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockZabbix::start(Behaviour::default()));
    let port = mock.server.address().port();
    let proxy = FaultProxy::start(port);
    let sb = Sandbox::new();
    let secret = sb.write("zabbix.token", "s3cr3t-t0ken\n");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{}\"\ntoken_file = \"{}\"\ntimeout = \"2s\"\nwrite_back = true\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
            proxy.url,
            secret.display()
        ),
    );
    (rt, mock, proxy, sb, config)
}

fn zabbix_fault(i: usize) {
    let (_rt, _mock, proxy, sb, config) = zabbix_setup();
    fails_alone_and_recovers(&sb, &config, &[], &proxy, ("zbx", "zabbix"), "demo", faults("2s").swap_remove(i));
}

#[test]
fn zabbix_hanging_fails_alone_and_recovers() {
    zabbix_fault(0);
}

#[test]
fn zabbix_slower_than_its_timeout_fails_alone_and_recovers() {
    zabbix_fault(1);
}

#[test]
fn zabbix_resetting_fails_alone_and_recovers() {
    zabbix_fault(2);
}

#[test]
fn zabbix_cut_short_fails_alone_and_recovers() {
    zabbix_fault(3);
}

#[test]
fn zabbix_cut_inside_the_body_fails_alone_and_recovers() {
    zabbix_fault(4);
}

#[test]
fn zabbix_losing_its_answers_fails_alone_and_recovers() {
    zabbix_fault(5);
}

#[test]
fn a_zabbix_acknowledge_whose_answer_was_lost_is_made_once() {
    let (_rt, mock, proxy, sb, config) = zabbix_setup();
    let key = "zbx/1";
    let listed = klaxon(&sb, &config, &[], &["list", "--format", "json"]);
    assert!(alerts_of(&listed).iter().any(|a| a["key"] == key), "{listed:?}");

    proxy.set(Fault::drop_response_to(&["event.acknowledge"]));
    let ack = klaxon(&sb, &config, &[], &["ack", key, "--note", "on it"]);
    assert_eq!(ack.code, Some(0), "the ack itself is recorded: {ack:?}");
    assert!(ack.stderr.contains("not sent yet"), "says it is not confirmed: {}", ack.stderr);
    assert_eq!(mock.acks_on("1").len(), 1, "Zabbix did take the acknowledge");

    proxy.set(Fault::Pass);
    let sync = klaxon(&sb, &config, &[], &["sync"]);
    assert_eq!(sync.code, Some(0), "{sync:?}");
    klaxon(&sb, &config, &[], &["sync"]);
    let acks = mock.acks_on("1");
    assert_eq!(acks.len(), 1, "one acknowledge in Zabbix after the retry: {acks:#?}");
    assert!(
        acks[0]["message"].as_str().unwrap().starts_with("on it — acknowledged (tester via klaxon) [klaxon op "),
        "{acks:?}"
    );
    let timeline = json(klaxon(&sb, &config, &[], &["timeline", key, "--format", "json"]).stdout.as_bytes());
    let entries = timeline["entries"].as_array().unwrap();
    assert_eq!(entries.iter().filter(|e| e["kind"] == "acked").count(), 1, "{timeline}");
}

// ------------------------------------------------------------------ PostgreSQL

/// A real PostgreSQL, a proxy in front of it, and a config with the team store on the
/// proxy and the demo source; the key of a demo alert.
fn pg_setup() -> Option<(common::postgres::Postgres, FaultProxy, Sandbox, PathBuf, String, String)> {
    let pg = common::postgres::Postgres::start()?;
    let proxy = FaultProxy::start(pg.port);
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        "[identity]\nname = \"alice\"\n\n[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n",
    );
    let url = format!("postgresql://postgres@127.0.0.1:{}/klaxon?sslmode=disable", proxy.port);
    let listed = klaxon(&sb, &config, &[("KLAXON_DATABASE_URL", &url)], &["list", "--format", "json"]);
    assert_eq!(listed.code, Some(0), "{listed:?}");
    let key = common::steady_demo_key(&Value::from(alerts_of(&listed)));
    Some((pg, proxy, sb, config, url, key))
}

/// With `fault` between klaxon and PostgreSQL, `klaxon ack` still records the ack (here,
/// until the database is back) and says so; after pass, `klaxon sync` leaves exactly one
/// entry in PostgreSQL, and nothing waiting.
fn postgres_fault(fault: Fault) {
    let Some((pg, proxy, sb, config, url, key)) = pg_setup() else { return };
    let env = [("KLAXON_DATABASE_URL", url.as_str())];
    proxy.set(fault.clone());
    let ack = klaxon(&sb, &config, &env, &["ack", &key, "--note", "through the fault"]);
    assert_eq!(ack.code, Some(0), "{fault:?}: an ack is kept, not refused: {ack:?}");
    let stored_at_once = pg.psql(&format!("SELECT count(*) FROM entries WHERE alert_key = '{key}' AND kind = 'acked'"));
    eprintln!("{fault:?}: {} stored at once; ack said: {}", stored_at_once.trim(), ack.stderr.trim());
    if stored_at_once.trim() == "0" {
        assert!(ack.stderr.contains("kept on this host"), "{fault:?}: says where the ack is: {}", ack.stderr);
    }
    let doctor = klaxon(&sb, &config, &env, &["doctor"]);
    eprintln!("{fault:?}: doctor says:\n{}", doctor.stdout);
    assert_eq!(doctor.code, Some(1), "{fault:?}: {doctor:?}");
    assert!(
        doctor.stdout.lines().any(|l| l.starts_with("store ") && !l.contains("store    ok"))
            || doctor.stdout.contains("kept here"),
        "{fault:?}: doctor names the store: {}",
        doctor.stdout
    );

    proxy.set(Fault::Pass);
    let sync = klaxon(&sb, &config, &env, &["sync"]);
    assert_eq!(sync.code, Some(0), "{fault:?}: {sync:?}");
    klaxon(&sb, &config, &env, &["sync"]);
    let acks = pg.psql(&format!("SELECT actor, text FROM entries WHERE alert_key = '{key}' AND kind = 'acked'"));
    assert_eq!(acks.trim(), "alice|through the fault", "{fault:?}: stored once");
    let doctor = klaxon(&sb, &config, &env, &["doctor"]);
    assert!(!doctor.stdout.contains("kept here"), "{fault:?}: nothing waits: {}", doctor.stdout);
}

#[test]
fn postgres_resetting_keeps_the_ack_and_stores_it_once() {
    postgres_fault(Fault::Reset);
}

#[test]
fn postgres_hanging_keeps_the_ack_and_stores_it_once() {
    postgres_fault(Fault::Hang);
}

#[test]
fn postgres_cut_short_keeps_the_ack_and_stores_it_once() {
    postgres_fault(Fault::Truncate(40));
}

#[test]
fn postgres_losing_the_answer_to_the_insert_stores_the_ack_once() {
    postgres_fault(Fault::drop_response_to(&["INSERT INTO entries"]));
}

#[test]
fn postgres_losing_the_answer_to_the_commit_stores_the_ack_once() {
    // The entry is committed; the client hears nothing and keeps it to replay.
    postgres_fault(Fault::drop_response_to(&["INSERT INTO entries", "COMMIT"]));
}

// ------------------------------------------------------------------ the poller's health

use klaxon::model::Health;
use klaxon::sources::poller::{self, Schedule, SourceEvent};

/// What the console learns from the pollers, as it arrives.
struct Watched {
    events: Vec<(Instant, SourceEvent)>,
}

impl Watched {
    fn health(&self, source: &str) -> Option<&Health> {
        self.events.iter().rev().find_map(|(_, e)| match e {
            SourceEvent::Health { source: s, health, .. } if s == source => Some(health),
            _ => None,
        })
    }

    fn fresh_snapshots_since(&self, source: &str, since: Instant) -> usize {
        self.events
            .iter()
            .filter(|(at, e)| {
                *at >= since && matches!(e, SourceEvent::Snapshot { source: s, from_cache: false, .. } if s == source)
            })
            .count()
    }
}

/// The console's screen (120×40) after these events, as the runtime feeds them to `update`.
fn screen(seen: &Watched) -> String {
    use klaxon::app::{self, Msg};
    let keymap = klaxon::app::Keymap::builtin_default();
    let mut state = klaxon::app::State::new("tester", keymap, chrono::Utc::now(), 17);
    app::update(&mut state, Msg::Resize { width: 120, height: 40 });
    for (_, e) in &seen.events {
        let msg = match e.clone() {
            SourceEvent::Snapshot { source, alerts, from_cache, .. } => {
                Msg::Snapshot { source, alerts: std::sync::Arc::unwrap_or_clone(alerts), fresh: !from_cache }
            }
            SourceEvent::Health { source, health, next } => Msg::Health { source, health, next },
            SourceEvent::Silences { source, silences } => Msg::Silences { source, silences },
            SourceEvent::CacheFailed { source, error } => {
                Msg::EffectFailed(klaxon::engine::cache_failed(&source, &error))
            }
            SourceEvent::CachedHead { source, head } => {
                Msg::CachedHead { source, alerts: head.alerts, total: head.total }
            }
        };
        app::update(&mut state, msg);
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| klaxon::ui::view(&state, &klaxon::config::theme::Theme::default(), f)).unwrap();
    terminal.backend().to_string()
}

/// Receives events until `done` holds (true) or `limit` passes (false).
async fn watch_until(
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    seen: &mut Watched,
    limit: Duration,
    done: impl Fn(&Watched) -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => seen.events.push((Instant::now(), e)),
            _ => return false,
        }
    }
    true
}

/// The console's view of a source behind each fault: the poller marks it failing with the
/// error, while the demo source beside it goes on being polled and healthy; once the proxy
/// passes, the source is healthy again with a fresh snapshot.
#[test]
fn the_poller_marks_a_source_failing_under_each_fault_and_healthy_again_after() {
    let Some((_am, proxy, _sb, config)) = am_setup("interval = \"1s\"") else { return };
    let cfg = klaxon::settings::parse(&std::fs::read_to_string(&config).unwrap(), "k.toml").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cache_dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        for src in &cfg.sources {
            let source: std::sync::Arc<dyn klaxon::sources::AlertSource> = klaxon::sources::build(src).unwrap().into();
            let schedule = Schedule { interval: Duration::from_secs(1), timeout: src.timeout };
            let cache = klaxon::sources::cache::SnapshotCache::new(cache_dir.path());
            poller::spawn(source, schedule, cache, tx.clone(), stop_rx.clone());
        }
        let mut seen = Watched { events: Vec::new() };
        let both_ok =
            |w: &Watched| w.health("prod").is_some_and(Health::is_ok) && w.health("demo").is_some_and(Health::is_ok);
        assert!(watch_until(&mut rx, &mut seen, Duration::from_secs(30), both_ok).await, "both healthy at first");

        for (fault, words) in faults("2s") {
            let began = Instant::now();
            proxy.set(fault.clone());
            let failing = |w: &Watched| matches!(w.health("prod"), Some(Health::Failing { .. }));
            assert!(
                watch_until(&mut rx, &mut seen, Duration::from_secs(60), failing).await,
                "{fault:?}: prod never marked failing: {:?}",
                seen.health("prod")
            );
            let Some(Health::Failing { error, data_from, .. }) = seen.health("prod").cloned() else { unreachable!() };
            assert!(words.iter().any(|w| error.contains(w.as_str())), "{fault:?}: {error}");
            assert!(klaxon::sanitize::is_clean(&error) && data_from.is_some(), "{fault:?}: {error} {data_from:?}");
            // The demo source beside it is polled on and stays healthy meanwhile.
            let demo_on = |w: &Watched| w.fresh_snapshots_since("demo", began) >= 1;
            assert!(watch_until(&mut rx, &mut seen, Duration::from_secs(30), demo_on).await, "{fault:?}: demo stalled");
            assert!(seen.health("demo").is_some_and(Health::is_ok), "{fault:?}: {:?}", seen.health("demo"));
            // On screen: the header marks prod failing and demo fine; prod's last alerts stay.
            let shown = screen(&seen);
            let header = shown.lines().next().unwrap_or_default();
            assert!(header.contains("prod ✖ failing") && header.contains("demo ●"), "{fault:?}: {header}");
            assert!(shown.contains("DiskFilling"), "{fault:?}: prod's last snapshot is still shown: {shown}");

            let passed = Instant::now();
            proxy.set(Fault::Pass);
            let back = |w: &Watched| {
                w.health("prod").is_some_and(Health::is_ok) && w.fresh_snapshots_since("prod", passed) >= 1
            };
            assert!(
                watch_until(&mut rx, &mut seen, Duration::from_secs(120), back).await,
                "{fault:?}: prod did not recover: {:?}",
                seen.health("prod")
            );
            let header = screen(&seen).lines().next().unwrap_or_default().to_owned();
            assert!(header.contains("prod ●") && !header.contains("failing"), "{fault:?}: {header}");
        }
    });
}

/// Why a source fails is something a person at the console needs (doctor and list print
/// it); the console should show it too, not only "✖ failing".
#[test]
fn the_console_says_why_a_source_fails() {
    let now = chrono::Utc::now();
    let health = Health::Ok { at: now }.failed(now, "cannot connect: connection refused".into());
    let seen =
        Watched { events: vec![(Instant::now(), SourceEvent::Health { source: "prod".into(), health, next: None })] };
    let shown = screen(&seen);
    assert!(shown.contains("connection refused"), "{shown}");
}

/// "Recovery within two intervals after the source is back", in tokio's virtual time (so no
/// wall clock is asserted): a source down for ten minutes, polled every 10 s, then back.
#[tokio::test(start_paused = true)]
async fn after_a_long_outage_a_source_is_healthy_within_two_intervals_of_coming_back() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    struct Switch(Arc<AtomicBool>);
    impl klaxon::sources::AlertSource for Switch {
        fn name(&self) -> &str {
            "prod"
        }
        fn poll(&self) -> klaxon::sources::PollFuture<'_> {
            let up = self.0.load(Ordering::SeqCst);
            Box::pin(async move {
                if up { Ok(vec![]) } else { Err(klaxon::sources::SourceError::new("connection refused")) }
            })
        }
    }
    let up = Arc::new(AtomicBool::new(true));
    let interval = Duration::from_secs(10);
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let schedule = Schedule { interval, timeout: Duration::from_secs(5) };
    let cache = klaxon::sources::cache::SnapshotCache::new(dir.path());
    poller::spawn(Arc::new(Switch(up.clone())), schedule, cache, tx, stop_rx);
    let health = |e: SourceEvent| match e {
        SourceEvent::Health { health, .. } => Some(health),
        _ => None,
    };
    while !rx.recv().await.and_then(health).is_some_and(|h| h.is_ok()) {}
    up.store(false, Ordering::SeqCst);
    let outage_ends = tokio::time::Instant::now() + Duration::from_secs(600);
    while tokio::time::Instant::now() < outage_ends {
        let _ = tokio::time::timeout_at(outage_ends, rx.recv()).await;
    }
    up.store(true, Ordering::SeqCst);
    let back = tokio::time::Instant::now();
    while !rx.recv().await.and_then(health).is_some_and(|h| h.is_ok()) {}
    let took = back.elapsed();
    assert!(took <= 2 * interval, "healthy {took:?} after the source came back (interval {interval:?})");
}

/// While the database is away, what waits on this host is what a person at `doctor` needs
/// to know: it is counted even though the store cannot be read.
#[test]
fn doctor_counts_the_actions_kept_here_while_postgres_is_away() {
    let Some((_pg, proxy, sb, config, url, key)) = pg_setup() else { return };
    let env = [("KLAXON_DATABASE_URL", url.as_str())];
    proxy.set(Fault::Reset);
    let ack = klaxon(&sb, &config, &env, &["ack", &key]);
    assert!(ack.stderr.contains("kept on this host"), "{ack:?}");
    let doctor = klaxon(&sb, &config, &env, &["doctor"]);
    assert!(doctor.stdout.contains("1 action(s) kept here"), "{}", doctor.stdout);
}

/// A silence asked for while PostgreSQL is away is kept on this host and waits for it: the
/// command says so (not "stored", not "goes again"), fails, and Alertmanager has nothing yet;
/// once the database is back, `klaxon sync` makes it, once.
#[test]
fn a_silence_while_postgres_is_away_is_said_kept_here_and_made_once_it_is_back() {
    let Some(am) = servers::alertmanager(None) else { return };
    let Some(pg) = common::postgres::Postgres::start() else { return };
    post_alerts(&am, &json!([{"labels": {"alertname": "DiskFilling", "instance": "db-1:9100"}}]));
    let proxy = FaultProxy::start(pg.port);
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[store]\nbackend = \"postgres\"\nurl_env = \"KLAXON_DATABASE_URL\"\n\n\
             [[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"{}\"\ntimeout = \"5s\"\n",
            am.url
        ),
    );
    let url = format!("postgresql://postgres@127.0.0.1:{}/klaxon?sslmode=disable", proxy.port);
    let env = [("KLAXON_DATABASE_URL", url.as_str())];
    assert_eq!(klaxon(&sb, &config, &env, &["list"]).code, Some(0), "the database is made");
    proxy.set(Fault::Reset);
    let add = klaxon(&sb, &config, &env, &["silence", "add", "alertname=DiskFilling", "--comment", "swap"]);
    assert_eq!(add.code, Some(1), "{add:?}");
    assert!(add.stderr.contains("kept on this host while the store is out of reach, not sent to prod yet"), "{add:?}");
    assert!(!add.stderr.contains("stored, but"), "{add:?}");
    assert!(active_silences(&am).is_empty(), "nothing sent while the store is away");
    proxy.set(Fault::Pass);
    let synced = eventually(Duration::from_secs(20), || {
        klaxon(&sb, &config, &env, &["sync"]);
        active_silences(&am).len() == 1
    });
    assert!(synced, "made once the store is back: {:?}", active_silences(&am));
    klaxon(&sb, &config, &env, &["sync"]);
    assert_eq!(active_silences(&am).len(), 1, "once");
}
