//! Shared by the integration tests: a private home for each test, and finding the real
//! servers and plugins they run against.
#![allow(dead_code)]

pub mod alerts;
pub mod datadog_mock;
pub mod fault_proxy;
pub mod fuzz;
pub mod grafana_oncall_mock;
pub mod graphite;
pub mod icinga2;
pub mod nagios;
pub mod opsgenie_mock;
pub mod pagerduty_mock;
pub mod postgres;
pub mod servers;
pub mod tls_bridge;
pub mod vendor_mock;
pub mod zabbix;
pub mod zabbix_mock;

use std::path::{Path, PathBuf};

/// A temp HOME with its own XDG dirs, so a test never touches the user's config or data.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The SQLite file klaxon uses when the config names none.
    pub fn default_db(&self) -> PathBuf {
        self.path("data/klaxon/klaxon.db")
    }

    pub fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.dir.path().to_path_buf()),
            ("XDG_CONFIG_HOME", self.path("config")),
            ("XDG_DATA_HOME", self.path("data")),
            ("XDG_CACHE_HOME", self.path("cache")),
            ("USER", PathBuf::from("tester")),
        ]
    }

    /// `klaxon ARGS` in this sandbox.
    pub fn klaxon(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("klaxon").expect("klaxon binary");
        cmd.env_remove("KLAXON_CONFIG").env_remove("NO_COLOR");
        for (k, v) in self.envs() {
            cmd.env(k, v);
        }
        cmd
    }

    /// The same as a std Command, for tests that signal the process.
    pub fn klaxon_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_klaxon"));
        cmd.env_remove("KLAXON_CONFIG");
        for (k, v) in self.envs() {
            cmd.env(k, v);
        }
        cmd
    }

    /// `klaxon --config CONFIG ARGS` in this sandbox, run to its end.
    pub fn run(&self, config: &Path, args: &[&str]) -> std::process::Output {
        self.klaxon().arg("--config").arg(config).args(args).output().unwrap()
    }

    /// What `klaxon list --format json` lists with `config` (which must succeed).
    pub fn listed(&self, config: &Path) -> Vec<serde_json::Value> {
        let out = self.run(config, &["list", "--format", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out.stdout).as_array().unwrap().clone()
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The path of a program a test needs from a Debian package. Missing: the test is skipped
/// with a message naming the package, unless KLAXON_REQUIRE_SERVERS=1 (CI), where it fails.
pub fn require(program: &str, package: &str) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.exists() {
        return Some(path.to_path_buf());
    }
    let msg = format!("{program} not found: install the Debian package `{package}`");
    if std::env::var("KLAXON_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
        panic!("{msg} (KLAXON_REQUIRE_SERVERS=1)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// The alert listed under `key` (panics naming what was listed instead).
pub fn listed_as<'a>(alerts: &'a [serde_json::Value], key: &str) -> &'a serde_json::Value {
    alerts.iter().find(|a| a["key"] == key).unwrap_or_else(|| panic!("{key} not listed: {alerts:#?}"))
}

/// The key of the demo alert that fires through the whole scenario (CertificateExpiry):
/// the others start and end on the demo's minutes, so a test that waits between listing
/// and acting (a hung or stopped server) could find its alert over and be told so.
pub fn steady_demo_key(alerts: &serde_json::Value) -> String {
    let all = alerts.as_array().map(Vec::as_slice).unwrap_or_default();
    let steady = all.iter().find(|a| a["labels"]["alertname"] == "CertificateExpiry");
    let steady = steady.unwrap_or_else(|| panic!("the demo's steady alert is not listed: {alerts:#}"));
    steady["key"].as_str().expect("a key").to_owned()
}

pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// Asserts no control or bidi character reached any cell of a drawn screen.
pub fn assert_clean_cells(buffer: &ratatui::buffer::Buffer) {
    for cell in buffer.content() {
        let sym = cell.symbol();
        let bad = |c: char| {
            c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
        };
        assert!(!sym.chars().any(bad), "control or bidi character in a cell: {sym:?}");
    }
}

/// `klaxon --config CONFIG ARGS` in `sb`: (exit code, stdout, stderr), none of `secrets` in them.
pub fn run(sb: &Sandbox, config: &std::path::Path, args: &[&str], secrets: &[&str]) -> (Option<i32>, String, String) {
    let out = sb.klaxon().arg("--config").arg(config).args(args).output().unwrap();
    let (o, e) = (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(!secrets.iter().any(|s| o.contains(s) || e.contains(s)), "a secret was printed: {o} {e}");
    (out.status.code(), o, e)
}
