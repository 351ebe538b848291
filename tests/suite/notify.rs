//! Notifications on a private D-Bus session bus with python3-dbusmock's notification
//! daemon, which logs every Notify call with its urgency.

use crate::common;

use common::{Sandbox, require};
use klaxon::model::{AlertKey, Notice, Severity};
use klaxon::notify::{Batcher, Notifier};
use klaxon::notify::{NotifyConfig, TerminalNotify};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// dbus-daemon on a socket in a temp dir, and the mock notification daemon on it.
struct Bus {
    daemon: Child,
    mock: Child,
    dir: tempfile::TempDir,
    pub address: String,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.mock.kill();
        let _ = self.daemon.kill();
        let _ = (self.mock.wait(), self.daemon.wait());
    }
}

impl Bus {
    fn start() -> Option<Bus> {
        let dbus = require("/usr/bin/dbus-daemon", "dbus")?;
        require("/usr/lib/python3/dist-packages/dbusmock/templates/notification_daemon.py", "python3-dbusmock")?;
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", dir.path().join("bus").display());
        let daemon = Command::new(dbus)
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let log = dir.path().join("calls.log");
        let mock = Command::new("/usr/bin/python3")
            .args(["-m", "dbusmock", "--session", "-t", "notification_daemon", "-l"])
            .arg(&log)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bus = Bus { daemon, mock, dir, address };
        let up = common::servers::eventually(Duration::from_secs(20), || {
            Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.Notifications",
                    "/org/freedesktop/Notifications",
                ])
                .arg("org.freedesktop.Notifications.GetServerInformation")
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .output()
                .is_ok_and(|o| o.status.success())
        });
        assert!(up, "the mock notification daemon did not come up");
        Some(bus)
    }

    /// The Notify calls logged so far.
    fn notifies(&self) -> Vec<String> {
        notifies(&self.log())
    }

    fn log(&self) -> std::path::PathBuf {
        self.dir.path().join("calls.log")
    }
}

/// The Notify calls in the mock daemon's log.
fn notifies(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(" Notify "))
        .map(str::to_owned)
        .collect()
}

fn notice(id: &str, sev: Severity) -> Notice {
    Notice { key: AlertKey::new("prod", id), title: format!("alert {id}"), severity: sev, rose_from: None }
}

fn cfg() -> NotifyConfig {
    NotifyConfig { terminal: TerminalNotify::Off, ..NotifyConfig::default() }
}

/// Set in the child process that drives the library, to the mock daemon's log.
const CHILD_LOG: &str = "KLAXON_TEST_NOTIFY_CALLS_LOG";

// The library finds the bus through DBUS_SESSION_BUS_ADDRESS, process-wide state, and every
// integration test shares this process (and hands its environment to each klaxon another
// test starts). So the library half runs in a child: this test binary again, with only this
// test selected and the variable set there alone.
#[test]
fn notify_calls_carry_urgency_and_a_storm_is_one_call() {
    if let Ok(log) = std::env::var(CHILD_LOG) {
        return send_through_the_library(Path::new(&log));
    }
    let Some(bus) = Bus::start() else { return };
    let (_, module) = module_path!().split_once("::").expect("a module of the suite");
    let name = format!("{module}::notify_calls_carry_urgency_and_a_storm_is_one_call");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .env(CHILD_LOG, bus.log())
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&child.stdout), String::from_utf8_lossy(&child.stderr));
    assert!(child.status.success() && said.contains("test result: ok. 1 passed"), "the child run of {name}:\n{said}");
}

/// In the child, where DBUS_SESSION_BUS_ADDRESS is the mock's bus: notifies through the
/// library and reads the calls back from the daemon's `log`.
fn send_through_the_library(log: &Path) {
    let mut notifier = Notifier::new(&cfg(), &|_| None);
    let mut batcher = Batcher::new(&cfg());
    let now = chrono::Utc::now();
    let out = batcher.push(now, vec![notice("d1", Severity::Disaster), notice("w1", Severity::Warning)]);
    assert!(notifier.send(&out).is_empty(), "sent without error");
    let calls = notifies(log);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(
        calls[0].contains("\"klaxon\"") && calls[0].contains("DIS alert d1") && calls[0].contains("{\"urgency\": 2}"),
        "{}",
        calls[0]
    );
    assert!(calls[1].contains("WARN alert w1") && calls[1].contains("{\"urgency\": 1}"), "{}", calls[1]);

    let mut storm: Vec<Notice> = (0..34).map(|i| notice(&format!("h{i}"), Severity::High)).collect();
    storm.extend((0..3).map(|i| notice(&format!("x{i}"), Severity::Disaster)));
    let out = batcher.push(now, storm);
    notifier.send(&out);
    let calls = notifies(log);
    assert_eq!(calls.len(), 3, "a storm is one call: {calls:#?}");
    assert!(calls[2].contains("37 new alerts, 3 disaster"), "{}", calls[2]);
}

#[test]
fn without_a_notification_server_watch_says_so_once_and_keeps_going() {
    let sb = Sandbox::new();
    let config = sb.write(
        "k.toml",
        "[store]\npath = \"k.db\"\n\n[notify]\nterminal = \"off\"\nmin_severity = \"information\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\ninterval = \"1s\"\n",
    );
    let mut watch = sb
        .klaxon_std()
        .args(["watch", "--config"])
        .arg(&config)
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", sb.path("no-bus").display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(watch.try_wait().unwrap().is_none(), "watch is still running");
    rustix::process::kill_process(rustix::process::Pid::from_child(&watch), rustix::process::Signal::TERM).unwrap();
    let out = watch.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("desktop notifications are not working").count(), 1, "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(" new "), "the events still print");
}

#[test]
fn watch_notifies_for_the_demo_alerts_but_not_for_one_already_acknowledged() {
    let Some(bus) = Bus::start() else { return };
    let sb = Sandbox::new();
    let config = sb.write(
        "k.toml",
        "[store]\npath = \"k.db\"\n\n[notify]\nterminal = \"off\"\nmin_severity = \"information\"\nstorm_threshold = 100\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\ninterval = \"1s\"\n",
    );
    // Someone acknowledged one alert before watch starts: straight into the store, so no
    // snapshot cache exists and watch sees every alert as news.
    let demo = klaxon::sources::demo::DemoSource::new(
        "demo",
        &klaxon::sources::demo::DemoConfig { seed: 0, cycle: Duration::from_secs(1800) },
        Default::default(),
    );
    let now = chrono::Utc::now();
    let alerts = demo.alerts_at(now);
    let store = klaxon::store::SqliteStore::open(&sb.path("k.db")).unwrap();
    use klaxon::store::Store;
    store.observe("demo", &alerts, now).unwrap();
    let acked = alerts[0].key.to_string();
    store
        .append(&klaxon::model::NewEntry::new(alerts[0].key.clone(), klaxon::model::EntryKind::Acked, "bob", ""))
        .unwrap();

    let mut watch = sb
        .klaxon_std()
        .args(["watch", "--config"])
        .arg(&config)
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let arrived = common::servers::eventually(Duration::from_secs(20), || bus.notifies().len() >= 2);
    std::thread::sleep(Duration::from_millis(1500));
    let _ = watch.kill();
    let _ = watch.wait();
    let calls = bus.notifies();
    assert!(arrived, "Notify calls for the unacknowledged demo alerts: {calls:#?}");
    assert!(calls.iter().all(|c| c.contains("\"klaxon\"")));
    assert!(!calls.iter().any(|c| c.contains(&acked)), "no call for the acknowledged {acked}: {calls:#?}");
    // Every other alert that was firing throughout (the scenario moves on at phase edges).
    let still: Vec<_> = demo.alerts_at(chrono::Utc::now()).into_iter().map(|a| a.key).collect();
    for a in alerts[1..].iter().filter(|a| still.contains(&a.key)) {
        let key = a.key.to_string();
        assert!(calls.iter().any(|c| c.contains(&key)), "{key} was notified: {calls:#?}");
    }
}
