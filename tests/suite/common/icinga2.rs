//! A real Icinga 2 (Debian's `icinga2`), started by the test in a temp dir as a daemon of
//! the current user: its own CA and certificate (`icinga2 pki`), the API on a free
//! loopback port, an ApiUser with a password and one with a client certificate, and
//! hosts and services whose checks never run (`check_command = "dummy"`, no checker): the
//! test sets their state through `process-check-result`.

use super::require;
use super::servers::{eventually, free_port};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "icinga-test-pw-4b1d";
/// The CN an ApiUser is bound to (`client_cn`): its certificate is `client_cert()`.
pub const CLIENT_CN: &str = "klaxon-client";

/// The objects every test has: db1 with disk and load, and web1, in groups.
const OBJECTS: &str = r#"
object HostGroup "linux" {}
object ServiceGroup "storage" {}
template Host "passive-host" {
  check_command = "dummy"
  enable_active_checks = false
  max_check_attempts = 1
}
template Service "passive-service" {
  check_command = "dummy"
  enable_active_checks = false
  max_check_attempts = 1
}
object Host "db1" {
  import "passive-host"
  display_name = "db1 (klaxon test)"
  groups = [ "linux" ]
}
object Service "disk" {
  import "passive-service"
  host_name = "db1"
  display_name = "Disk /var"
  groups = [ "storage" ]
  notes = "Clean /var/log first"
  notes_url = "https://runbooks.example/disk"
  action_url = "https://grafana.example/d/disk"
}
object Service "load" {
  import "passive-service"
  host_name = "db1"
}
object Host "web1" {
  import "passive-host"
}
"#;

pub struct Icinga {
    child: Child,
    /// `https://localhost:<port>` (the certificate is for localhost).
    pub url: String,
    pub port: u16,
    /// Icinga's CA certificate, for `ca_file`.
    pub ca: PathBuf,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Drop for Icinga {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Kills a server started in a process group of its own, with every process it started:
/// Icinga's daemon forks a worker (and that a helper) that outlive a killed parent.
/// Returns when none of them is left (a reader of a FIFO holds it open until it is gone).
pub fn kill_group(child: &mut Child) {
    let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) else { return };
    if rustix::process::kill_process_group(pid, rustix::process::Signal::KILL).is_err() {
        return; // killed already
    }
    let _ = child.wait();
    super::servers::eventually(Duration::from_secs(10), || rustix::process::test_kill_process_group(pid).is_err());
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Icinga {
    pub fn start() -> Option<Icinga> {
        let bin = require("/usr/sbin/icinga2", "icinga2-bin")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["data/certs", "log", "cache", "spool", "run", "conf"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        // Every path Icinga writes to, in the temp dir; run as whoever runs the test.
        let defines: Vec<String> = [
            ("RunAsUser", id("-un")),
            ("RunAsGroup", id("-gn")),
            ("DataDir", d.join("data").display().to_string()),
            ("LogDir", d.join("log").display().to_string()),
            ("CacheDir", d.join("cache").display().to_string()),
            ("SpoolDir", d.join("spool").display().to_string()),
            ("InitRunDir", d.join("run").display().to_string()),
            ("PidPath", d.join("run/icinga2.pid").display().to_string()),
            ("ConfigDir", d.join("conf").display().to_string()),
            ("ZonesDir", d.join("conf/zones.d").display().to_string()),
            ("StatePath", d.join("data/icinga2.state").display().to_string()),
            ("ModAttrPath", d.join("data/modified-attributes.conf").display().to_string()),
            ("ObjectsPath", d.join("cache/icinga2.debug").display().to_string()),
            ("VarsPath", d.join("cache/icinga2.vars").display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| format!("-D{k}={v}"))
        .collect();
        let icinga = |args: &[&str]| {
            let out = Command::new(&bin).args(args).args(&defines).current_dir(d).output().expect("run icinga2");
            assert!(out.status.success(), "icinga2 {args:?}: {}", String::from_utf8_lossy(&out.stdout));
        };
        // Icinga's own PKI: a CA (in DataDir/ca), and the node's certificate signed by it.
        icinga(&["pki", "new-ca"]);
        let certs = d.join("data/certs");
        let (key, csr, crt) = (certs.join("localhost.key"), d.join("localhost.csr"), certs.join("localhost.crt"));
        icinga(&["pki", "new-cert", "--cn", "localhost", "--key", &s(&key), "--csr", &s(&csr)]);
        icinga(&["pki", "sign-csr", "--csr", &s(&csr), "--cert", &s(&crt)]);
        std::fs::copy(d.join("data/ca/ca.crt"), certs.join("ca.crt")).unwrap();
        let port = free_port();
        let config = d.join("conf/icinga2.conf");
        std::fs::write(
            &config,
            format!(
                r#"const NodeName = "localhost"
const ZoneName = "localhost"
include <itl>
object Endpoint NodeName {{}}
object Zone ZoneName {{ endpoints = [ NodeName ] }}
object ApiListener "api" {{
  bind_host = "127.0.0.1"
  bind_port = {port}
}}
object ApiUser "klaxon" {{
  password = "{PASSWORD}"
  permissions = [ "*" ]
}}
object ApiUser "klaxon-cert" {{
  client_cn = "{CLIENT_CN}"
  permissions = [ "objects/query/*", "actions/*" ]
}}
object FileLogger "main-log" {{
  path = LogDir + "/icinga2.log"
  severity = "information"
}}
{OBJECTS}"#
            ),
        )
        .unwrap();
        let child = Command::new(&bin)
            .arg("daemon")
            .arg("-c")
            .arg(&config)
            .args(&defines)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start icinga2");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let ca = d.join("data/ca/ca.crt");
        let limits = klaxon::http::Limits::for_source(Duration::from_secs(10), 64 << 20);
        let client = klaxon::http::client(limits, Some(&ca)).expect("client");
        let url = format!("https://localhost:{port}");
        let icinga = Icinga { child, url, port, ca, dir, rt, client };
        // Start-up takes seconds: ready when the API answers.
        let ready =
            eventually(Duration::from_secs(60), || icinga.try_api("GET", "/v1/status/IcingaApplication", None).is_ok());
        assert!(ready, "icinga2 did not get ready:\n{}", icinga.log());
        Some(icinga)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/icinga2.log")).unwrap_or_default()
    }

    fn try_api(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        let url = format!("{}{path}", self.url);
        let mut req = match method {
            "GET" => self.client.get(url),
            _ => self.client.post(url),
        }
        .basic_auth("klaxon", Some(PASSWORD))
        .header("Accept", "application/json");
        if method == "QUERY" {
            req = req.header("X-HTTP-Method-Override", "GET");
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b.to_string());
        }
        self.rt.block_on(async {
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let bytes = resp.bytes().await.map_err(|e| e.to_string())?;
            Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
        })
    }

    /// `POST` (or `QUERY`: a POST read as GET) to the API as the password ApiUser.
    pub fn api(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, answer) = self.try_api(method, path, Some(&body)).unwrap();
        assert_eq!(status, 200, "{method} {path} {body}: {answer}");
        answer
    }

    /// A passive check result: the state a real check would have set.
    pub fn set_state(&self, object: &str, exit: u8, output: &str) {
        let body = match object.split_once('!') {
            Some((h, s)) => json!({"type": "Service", "service": format!("{h}!{s}")}),
            None => json!({"type": "Host", "host": object}),
        };
        let mut body = body;
        body["exit_status"] = json!(exit);
        body["plugin_output"] = json!(output);
        self.api("POST", "/v1/actions/process-check-result", body);
    }

    /// The object's attributes as Icinga has them: `host!service` or `host`.
    pub fn object(&self, object: &str) -> Value {
        let (kind, body) = match object.split_once('!') {
            Some((h, s)) => {
                ("services", json!({"filter": "host.name == h && service.name == s", "filter_vars": {"h": h, "s": s}}))
            }
            None => ("hosts", json!({"filter": "host.name == h", "filter_vars": {"h": object}})),
        };
        self.api("QUERY", &format!("/v1/objects/{kind}"), body)["results"][0]["attrs"].clone()
    }

    /// The comments on `object` (`host!service` or `host`), oldest first.
    pub fn comments(&self, object: &str) -> Vec<Value> {
        let (host, service) = object.split_once('!').unwrap_or((object, ""));
        let found = self.api(
            "QUERY",
            "/v1/objects/comments",
            json!({"filter": "comment.host_name == h && comment.service_name == s", "filter_vars": {"h": host, "s": service}}),
        );
        let mut all: Vec<Value> = found["results"].as_array().unwrap().iter().map(|c| c["attrs"].clone()).collect();
        all.sort_by(|a, b| a["entry_time"].as_f64().partial_cmp(&b["entry_time"].as_f64()).unwrap());
        all
    }

    /// A certificate for [`CLIENT_CN`] signed by Icinga's CA: (cert, key), the key 0600.
    pub fn client_cert(&self) -> (PathBuf, PathBuf) {
        let d = self.dir.path();
        let (key, csr, crt) = (d.join("client.key"), d.join("client.csr"), d.join("client.crt"));
        let bin = Path::new("/usr/sbin/icinga2");
        let defines = [
            format!("-DRunAsUser={}", id("-un")),
            format!("-DRunAsGroup={}", id("-gn")),
            format!("-DDataDir={}", d.join("data").display()),
            format!("-DLogDir={}", d.join("log").display()),
            format!("-DCacheDir={}", d.join("cache").display()),
        ];
        for args in [
            vec!["pki", "new-cert", "--cn", CLIENT_CN, "--key", &s(&key), "--csr", &s(&csr)],
            vec!["pki", "sign-csr", "--csr", &s(&csr), "--cert", &s(&crt)],
        ] {
            let out = Command::new(bin).args(&args).args(&defines).output().unwrap();
            assert!(out.status.success(), "icinga2 {args:?}: {}", String::from_utf8_lossy(&out.stdout));
        }
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        (crt, key)
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}
