//! Real servers from Debian's packages, started by the tests on free loopback ports in
//! temp dirs, stopped when dropped.

use super::require;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP/1.1 request (the tests need no client library): (status, body).
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    try_http(method, url, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

/// The same, with the connection's failures as Err (for servers still starting).
pub fn try_http(method: &str, url: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    // One write: PHP's built-in server misreads a request that arrives in pieces.
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// Waits (bounded) until `check` is true; returns false at the deadline.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

pub struct Server {
    child: Child,
    pub url: String,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's prometheus-alertmanager with a route to nowhere; on `port` if given.
pub fn alertmanager(port: Option<u16>) -> Option<Server> {
    alertmanager_with(port, &[], false)
}

/// The same with extra flags; `tls` when those flags make it serve HTTPS (readiness is then
/// checked by the port alone).
pub fn alertmanager_with(port: Option<u16>, extra: &[&str], tls: bool) -> Option<Server> {
    let bin = require("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager")?;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("am.yml");
    std::fs::write(&config, "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n").unwrap();
    let port = port.unwrap_or_else(free_port);
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url: url.clone(), port, _dir: dir };
    let ready = eventually(Duration::from_secs(20), || {
        // A server still starting may accept and then reset: that is "not ready yet".
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && (tls || try_http("GET", &format!("{url}/-/ready"), None).is_ok_and(|(status, _)| status == 200))
    });
    assert!(ready, "alertmanager on {url} did not get ready");
    Some(server)
}

/// Debian's prometheus evaluating `rules` every second and sending to `alertmanager`.
pub fn prometheus(alertmanager: &Server, rules: &str) -> Option<Server> {
    let bin = require("/usr/bin/prometheus", "prometheus")?;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), rules).unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{}']\nrule_files:\n  - {}\n",
            alertmanager.port,
            dir.path().join("rules.yml").display()
        ),
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // Without it an alert firing on the first evaluation reaches Alertmanager ~1 min late.
        .arg("--rules.alert.resend-delay=1s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let url = format!("http://127.0.0.1:{port}");
    Some(Server { child, url, port, _dir: dir })
}

/// Debian's prometheus serving only the samples of `openmetrics` (OpenMetrics text ending
/// in `# EOF`), backfilled with `promtool tsdb create-blocks-from openmetrics` into its data
/// dir before it starts; it scrapes nothing. Retention is long enough to keep weeks.
pub fn prometheus_backfilled(openmetrics: &str) -> Option<Server> {
    let bin = require("/usr/bin/prometheus", "prometheus")?;
    let promtool = require("/usr/bin/promtool", "prometheus")?;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("backfill.om");
    std::fs::write(&input, openmetrics).unwrap();
    let tsdb = dir.path().join("tsdb");
    let out = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        .arg(&input)
        .arg(&tsdb)
        .output()
        .expect("run promtool");
    assert!(out.status.success(), "promtool backfill: {}", String::from_utf8_lossy(&out.stderr));
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg("--storage.tsdb.retention.time=60d")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url: url.clone(), port, _dir: dir };
    let ready = eventually(Duration::from_secs(60), || {
        try_http("GET", &format!("{url}/-/ready"), None).is_ok_and(|(status, _)| status == 200)
    });
    assert!(ready, "prometheus on {url} did not get ready");
    Some(server)
}

/// Posts alerts the way Prometheus does.
pub fn post_alerts(am: &Server, alerts: &serde_json::Value) {
    let (status, body) = http("POST", &format!("{}/api/v2/alerts", am.url), Some(&alerts.to_string()));
    assert_eq!(status, 200, "posting alerts: {body}");
}

pub fn silences(am: &Server) -> Vec<serde_json::Value> {
    let (status, body) = http("GET", &format!("{}/api/v2/silences", am.url), None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
}

pub fn active_silences(am: &Server) -> Vec<serde_json::Value> {
    silences(am).into_iter().filter(|s| s["status"]["state"] == "active").collect()
}

/// A CA (ca.pem, ca.key) and a server certificate for 127.0.0.1 (server.pem, server.key) in
/// `dir`, made with openssl.
pub fn make_tls(dir: &std::path::Path) -> Option<()> {
    let openssl = require("/usr/bin/openssl", "openssl")?;
    let run = |args: &[&str]| {
        let ok = std::process::Command::new(&openssl).current_dir(dir).args(args).output().unwrap();
        assert!(ok.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=klaxon test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    Some(())
}
