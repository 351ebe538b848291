//! A real Zabbix 6.0 from Debian's packages: zabbix-server-pgsql on a PostgreSQL the test
//! starts, its schema from /usr/share/zabbix-server-pgsql/, and zabbix-frontend-php (the
//! JSON-RPC API) served by PHP's built-in web server. All on free loopback ports in a temp
//! dir. Debian's frontend reads its config from a fixed path in /etc, so the test serves a
//! copy of the frontend pointed at its own config instead.

use super::postgres::Postgres;
use super::require;
use super::servers::{eventually, free_port, try_http};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SCHEMA: &str = "/usr/share/zabbix-server-pgsql";
const FRONTEND: &str = "/usr/share/zabbix";

pub struct Zabbix {
    pub pg: Postgres,
    server: Child,
    web: Child,
    /// The frontend, e.g. http://127.0.0.1:41234 (API at /api_jsonrpc.php).
    pub url: String,
    pub trapper_port: u16,
    dir: tempfile::TempDir,
    token: String,
}

impl Zabbix {
    pub fn start() -> Option<Zabbix> {
        let server = require("/usr/sbin/zabbix_server", "zabbix-server-pgsql")?;
        let php = require("/usr/bin/php", "php-cli")?;
        require(&format!("{FRONTEND}/api_jsonrpc.php"), "zabbix-frontend-php")?;
        let pg = Postgres::start()?;
        pg.psql_in("postgres", "CREATE DATABASE zabbix");
        for f in ["schema.sql.gz", "images.sql.gz", "data.sql.gz"] {
            pg.load_gz("zabbix", &Path::new(SCHEMA).join(f));
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        // zabbix_server takes a ListenPort from 1024 to 32767 only.
        let trapper_port = (0..1000)
            .map(|_| fastrand::u16(20000..32767))
            .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .expect("a free port below 32768");
        let conf = dir.path().join("zabbix_server.conf");
        std::fs::write(
            &conf,
            format!(
                "LogFile={d}/server.log\nLogType=file\nPidFile={d}/server.pid\nSocketDir={d}\n\
                 DBHost=127.0.0.1\nDBPort={}\nDBName=zabbix\nDBUser=postgres\n\
                 ListenIP=127.0.0.1\nListenPort={trapper_port}\nAllowRoot=1\nCacheUpdateFrequency=1\n\
                 StartPollers=1\nStartPollersUnreachable=1\nStartTrappers=2\nStartPingers=0\n\
                 StartDiscoverers=0\nStartHTTPPollers=0\nStartTimers=1\nStartEscalators=1\n\
                 StartAlerters=1\nStartPreprocessors=1\nStartLLDProcessors=1\nStartHistoryPollers=1\nTimeout=4\n",
                pg.port
            ),
        )
        .unwrap();
        let server = Command::new(server)
            .args(["-f", "-c"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.err")).unwrap())
            .spawn()
            .expect("zabbix_server starts");

        // The frontend, reading its config from this test's dir.
        let web_root = dir.path().join("web");
        let copied = Command::new("cp").arg("-r").arg(FRONTEND).arg(&web_root).status().unwrap();
        assert!(copied.success());
        let config_class = web_root.join("include/classes/core/CConfigFile.php");
        let php_conf = dir.path().join("zabbix.conf.php");
        let class = std::fs::read_to_string(&config_class).unwrap();
        let patched = class.replace("'/etc/zabbix/zabbix.conf.php'", &format!("'{}'", php_conf.display()));
        assert_ne!(class, patched, "the frontend's config path moved: update the test harness");
        std::fs::write(&config_class, patched).unwrap();
        std::fs::write(
            &php_conf,
            format!(
                "<?php\n$DB['TYPE'] = 'POSTGRESQL';\n$DB['SERVER'] = '127.0.0.1';\n$DB['PORT'] = '{}';\n\
                 $DB['DATABASE'] = 'zabbix';\n$DB['USER'] = 'postgres';\n$DB['PASSWORD'] = '';\n$DB['SCHEMA'] = '';\n\
                 $DB['ENCRYPTION'] = false;\n$DB['KEY_FILE'] = '';\n$DB['CERT_FILE'] = '';\n$DB['CA_FILE'] = '';\n\
                 $DB['VERIFY_HOST'] = false;\n$DB['CIPHER_LIST'] = '';\n$DB['VAULT_URL'] = '';\n\
                 $DB['VAULT_DB_PATH'] = '';\n$DB['VAULT_TOKEN'] = '';\n$DB['DOUBLE_IEEE754'] = true;\n\
                 $ZBX_SERVER = '127.0.0.1';\n$ZBX_SERVER_PORT = '{trapper_port}';\n$ZBX_SERVER_NAME = 'klaxon test';\n\
                 $IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;\n",
                pg.port
            ),
        )
        .unwrap();
        let web_port = free_port();
        let web = Command::new(php)
            .args(["-S", &format!("127.0.0.1:{web_port}"), "-t"])
            .arg(&web_root)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("php.log")).unwrap())
            .spawn()
            .expect("php -S starts");
        let mut z = Zabbix {
            pg,
            server,
            web,
            url: format!("http://127.0.0.1:{web_port}"),
            trapper_port,
            dir,
            token: String::new(),
        };
        let up = eventually(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", web_port)).is_ok()
                && z.rpc("apiinfo.version", json!({}), false).is_ok()
        });
        assert!(up, "the Zabbix frontend did not answer: {}", z.web_log());
        z.token = z
            .rpc("user.login", json!({"username": "Admin", "password": "zabbix"}), false)
            .unwrap_or_else(|e| panic!("Admin logs in: {e}\n{}", z.web_log()))
            .as_str()
            .unwrap()
            .to_owned();
        Some(z)
    }

    /// One API call; Err is Zabbix's error object.
    pub fn rpc(&self, method: &str, params: Value, auth: bool) -> Result<Value, Value> {
        let mut body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
        if auth {
            body["auth"] = json!(self.token);
        }
        let (status, text) = try_http("POST", &format!("{}/api_jsonrpc.php", self.url), Some(&body.to_string()))
            .map_err(|e| json!(e.to_string()))?;
        let answer: Value = serde_json::from_str(&text).map_err(|e| json!(format!("HTTP {status}: {e}: {text}")))?;
        match answer.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    /// An API call as Admin that must succeed.
    pub fn api(&self, method: &str, params: Value) -> Value {
        self.rpc(method, params, true).unwrap_or_else(|e| panic!("{method}: {e}\n{}", self.web_log()))
    }

    /// Sends one value over the trapper protocol (what zabbix_sender does); returns the
    /// server's answer, e.g. "processed: 1; failed: 0; …".
    pub fn send(&self, host: &str, key: &str, value: &str) -> String {
        let body = json!({"request": "sender data", "data": [{"host": host, "key": key, "value": value}]}).to_string();
        let mut packet = b"ZBXD\x01".to_vec();
        packet.extend_from_slice(&(body.len() as u64).to_le_bytes());
        packet.extend_from_slice(body.as_bytes());
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.trapper_port)) else { return String::new() };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&packet).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let json = answer.get(13..).unwrap_or_default();
        serde_json::from_slice::<Value>(json)
            .ok()
            .and_then(|v| v["info"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn web_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("php.log")).unwrap_or_default()
    }

    pub fn server_log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!("{}{}", read("server.err"), read("server.log"))
    }
}

impl Drop for Zabbix {
    fn drop(&mut self) {
        for child in [&mut self.server, &mut self.web] {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
        let _ = eventually(Duration::from_secs(10), || self.server.try_wait().is_ok_and(|s| s.is_some()));
        let _ = self.server.kill();
        let _ = self.web.kill();
        let _ = self.server.wait();
        let _ = self.web.wait();
    }
}
