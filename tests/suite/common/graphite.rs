//! Debian's real Graphite: carbon-cache (graphite-carbon) receiving the plaintext protocol and
//! graphite-web's Django app (graphite-web) serving the render API, both on free loopback
//! ports over one whisper directory in a temp dir, both stopped when dropped.

use super::require;
use super::servers::{eventually, free_port, try_http};
use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Seconds per point of every series (storage-schemas.conf).
pub const STEP: i64 = 10;

pub struct Graphite {
    carbon: Child,
    web: Child,
    /// graphite-web, e.g. "http://127.0.0.1:40123".
    pub url: String,
    line_port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Graphite {
    fn drop(&mut self) {
        for child in [&mut self.carbon, &mut self.web] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Graphite {
    /// Writes `(path, value, unix time)` points over carbon's plaintext protocol.
    pub fn send(&self, points: &[(&str, f64, i64)]) {
        let text: String = points.iter().map(|(p, v, t)| format!("{p} {v} {t}\n")).collect();
        let mut s = TcpStream::connect(("127.0.0.1", self.line_port)).expect("carbon's line receiver");
        s.write_all(text.as_bytes()).unwrap();
    }

    /// The render API's JSON for `target` over the last `from`.
    pub fn render(&self, target: &str, from: &str) -> String {
        let url = format!("{}/render?target={target}&from={from}&until=now&format=json", self.url);
        try_http("GET", &url, None).map(|(_, body)| body).unwrap_or_default()
    }
}

/// Starts both; None (skipped) when a package is missing, unless KLAXON_REQUIRE_SERVERS=1.
pub fn start() -> Option<Graphite> {
    let carbon_bin = require("/usr/bin/carbon-cache", "graphite-carbon")?;
    require("/usr/lib/python3/dist-packages/graphite/settings.py", "graphite-web")?;
    // Debian's interpreter: graphite-web and Django are in its dist-packages only.
    let python = require("/usr/bin/python3", "python3")?;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["whisper", "log", "conf"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let (line_port, pickle_port, query_port, web_port) = (free_port(), free_port(), free_port(), free_port());
    let d = root.display();
    std::fs::write(
        root.join("conf/carbon.conf"),
        format!(
            "[cache]\nSTORAGE_DIR = {d}/\nLOCAL_DATA_DIR = {d}/whisper/\nCONF_DIR = {d}/conf/\nLOG_DIR = {d}/log/\n\
             PID_DIR = {d}/\nDATABASE = whisper\nENABLE_LOGROTATION = False\nUSER =\nMAX_CACHE_SIZE = inf\n\
             MAX_UPDATES_PER_SECOND = 10000\nMAX_CREATES_PER_MINUTE = inf\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {line_port}\nENABLE_UDP_LISTENER = False\n\
             PICKLE_RECEIVER_INTERFACE = 127.0.0.1\nPICKLE_RECEIVER_PORT = {pickle_port}\n\
             CACHE_QUERY_INTERFACE = 127.0.0.1\nCACHE_QUERY_PORT = {query_port}\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("conf/storage-schemas.conf"), format!("[all]\npattern = .*\nretentions = {STEP}s:1d\n"))
        .unwrap();
    // graphite-web reads the module GRAPHITE_SETTINGS_MODULE names; CARBONLINK_HOSTS lets it
    // see points carbon holds in its cache but has not written to whisper yet.
    std::fs::write(
        root.join("conf/klaxon_graphite_settings.py"),
        format!(
            "SECRET_KEY = 'klaxon-test'\nSTORAGE_DIR = '{d}/'\nWHISPER_DIR = '{d}/whisper/'\nLOG_DIR = '{d}/log/'\n\
             INDEX_FILE = '{d}/index'\nCARBONLINK_HOSTS = ['127.0.0.1:{query_port}']\n\
             DATABASES = {{'default': {{'NAME': '{d}/graphite.db', 'ENGINE': 'django.db.backends.sqlite3'}}}}\n"
        ),
    )
    .unwrap();
    // graphite-web's own WSGI application under python3's wsgiref server.
    std::fs::write(
        root.join("conf/serve.py"),
        "import os, sys\nfrom wsgiref.simple_server import make_server, WSGIRequestHandler\n\
         os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')\n\
         from django.core.wsgi import get_wsgi_application\n\
         class Quiet(WSGIRequestHandler):\n    def log_message(self, *a): pass\n\
         make_server('127.0.0.1', int(sys.argv[1]), get_wsgi_application(), handler_class=Quiet).serve_forever()\n",
    )
    .unwrap();
    let carbon = Command::new(carbon_bin)
        .arg(format!("--config={d}/conf/carbon.conf"))
        .args(["--nodaemon", "start"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start carbon-cache");
    let web = Command::new(python)
        .arg(root.join("conf/serve.py"))
        .arg(web_port.to_string())
        .env("PYTHONPATH", root.join("conf"))
        .env("GRAPHITE_SETTINGS_MODULE", "klaxon_graphite_settings")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start graphite-web");
    let url = format!("http://127.0.0.1:{web_port}");
    let g = Graphite { carbon, web, url: url.clone(), line_port, _dir: dir };
    let ready = eventually(Duration::from_secs(60), || {
        TcpStream::connect(("127.0.0.1", line_port)).is_ok()
            && try_http("GET", &format!("{url}/render?target=none&format=json"), None)
                .is_ok_and(|(status, body)| status == 200 && body.trim() == "[]")
    });
    assert!(ready, "carbon-cache (port {line_port}) and graphite-web ({url}) did not get ready");
    Some(g)
}
