//! Secrets stay secret when servers misbehave: every HTTP integration talks to one mock that
//! answers errors by echoing the whole request back (headers, path, body), as a proxy's or
//! framework's error page may. No canary token reaches stdout, stderr, any file under the
//! sandbox's HOME (data, cache and state dirs, the store) or the outbox's `last_error`.

use crate::common;

use common::Sandbox;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

/// Answers every request on its own thread until the test ends.
fn serve_echo() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = answer(conn);
            });
        }
    });
    port
}

fn answer(conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        request.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    request.push_str(&String::from_utf8_lossy(&body));
    let first = request.lines().next().unwrap_or("").to_owned();
    let echo = format!("you sent:\n{request}");
    let (status, content) = if first.starts_with("GET") && first.contains("/api/v2/alerts") {
        let alert = json!([{
            "labels": {"alertname": "DiskFilling", "severity": "critical", "instance": "db-1"},
            "annotations": {"summary": "disk full"},
            "fingerprint": "a1b2c3d4e5f60718",
            "startsAt": "2026-11-21T03:00:00Z",
            "updatedAt": "2026-11-21T03:00:00Z",
            "generatorURL": "",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
        }]);
        ("200 OK", alert.to_string())
    } else if first.contains("api_jsonrpc.php") && request.contains("apiinfo.version") {
        ("200 OK", json!({"jsonrpc": "2.0", "result": "6.0.0", "id": 1}).to_string())
    } else if first.contains("api_jsonrpc.php") {
        let error = json!({"code": -32602, "message": "Invalid params.", "data": echo});
        ("200 OK", json!({"jsonrpc": "2.0", "error": error, "id": 1}).to_string())
    } else if first.contains(".ics") {
        ("404 Not Found", format!("<h1>Not Found</h1><p>{first}</p>"))
    } else {
        ("500 Internal Server Error", echo)
    };
    let mut conn = conn;
    write!(conn, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{content}", content.len())?;
    conn.flush()
}

/// Each secret a distinct canary; URLs carry theirs in the path.
fn canaries(port: u16) -> Vec<(&'static str, String, String)> {
    let c = |name: &str| format!("kx{name}{:016x}{:08x}", fastrand::u64(..), fastrand::u32(..));
    let (ical, hook) = (c("ical"), c("hook"));
    vec![
        ("KX_AM_TOKEN", c("am"), String::new()),
        ("KX_ZBX_TOKEN", c("zbx"), String::new()),
        ("KX_ZBX_PASSWORD", c("zbxpw"), String::new()),
        ("KX_LOKI_TOKEN", c("loki"), String::new()),
        ("KX_PD_TOKEN", c("pd"), String::new()),
        ("KX_OG_TOKEN", c("og"), String::new()),
        ("KX_GOC_TOKEN", c("goc"), String::new()),
        ("KX_ICAL_URL", ical.clone(), format!("http://127.0.0.1:{port}/private-{ical}/basic.ics")),
        ("KX_WEBHOOK_URL", hook.clone(), format!("http://127.0.0.1:{port}/hooks/{hook}")),
    ]
}

fn config(port: u16) -> String {
    let base = format!("http://127.0.0.1:{port}");
    format!(
        r#"[store]
path = "k.db"

[[sources]]
name = "prod"
kind = "alertmanager"
url = "{base}"
token_env = "KX_AM_TOKEN"
ack_silence = "15m"
timeout = "3s"

[[sources]]
name = "zbx"
kind = "zabbix"
url = "{base}/zabbix"
token_env = "KX_ZBX_TOKEN"
timeout = "3s"

[[sources]]
name = "zbxlogin"
kind = "zabbix"
url = "{base}/zabbix"
username = "klaxon"
password_env = "KX_ZBX_PASSWORD"
timeout = "3s"

[[schedules]]
name = "pd"
kind = "pagerduty"
url = "{base}"
schedule = "PSCHED1"
token_env = "KX_PD_TOKEN"
timeout = "3s"

[[schedules]]
name = "og"
kind = "opsgenie"
url = "{base}"
schedule = "ops"
token_env = "KX_OG_TOKEN"
timeout = "3s"

[[schedules]]
name = "goc"
kind = "grafana-oncall"
url = "{base}"
schedule = "SCHED1"
token_env = "KX_GOC_TOKEN"
timeout = "3s"

[[schedules]]
name = "feed"
kind = "ical"
level = 2
url_env = "KX_ICAL_URL"
timeout = "3s"

[escalation]
webhook_url_env = "KX_WEBHOOK_URL"

[[logs]]
name = "loki"
kind = "loki"
url = "{base}"
query = '{{job="x"}}'
token_env = "KX_LOKI_TOKEN"
timeout = "3s"
"#
    )
}

/// Whether `text` holds any 10 characters in a row of `canary`: half a token is a leak too.
fn leaks(text: &[u8], canary: &str) -> bool {
    canary.as_bytes().windows(10).any(|piece| text.windows(10).any(|w| w == piece))
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn canaries_echoed_by_every_integration_never_leave_the_process() {
    let port = serve_echo();
    let secrets = canaries(port);
    let sb = Sandbox::new();
    let cfg = sb.write("klaxon.toml", &config(port));
    let run = |args: &[&str]| {
        let mut cmd = sb.klaxon();
        cmd.args(args).arg("--config").arg(&cfg).timeout(Duration::from_secs(60));
        for (var, canary, url) in &secrets {
            cmd.env(var, if url.is_empty() { canary } else { url });
        }
        let out = cmd.output().unwrap();
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let mut seen = Vec::new();
    let (list, err) = run(&["list", "--format", "json"]);
    assert!(err.contains("Invalid params"), "the Zabbix mock's error is reported: {err}");
    let key = common::json(list.as_bytes())[0]["key"].as_str().expect("the alertmanager alert").to_owned();
    seen.push(("list".to_string(), list, err));
    for args in [
        vec!["doctor"],
        vec!["oncall", "--format", "json"],
        vec!["ack", &key, "--note", "on it"],
        vec!["escalate", &key, "--note", "need help"],
        vec!["sync"],
        vec!["logs", &key],
        vec!["watch", "--format", "json"],
    ] {
        let (out, err) = if args[0] == "watch" {
            let mut cmd = sb.klaxon_std();
            cmd.args(&args).arg("--config").arg(&cfg);
            for (var, canary, url) in &secrets {
                cmd.env(var, if url.is_empty() { canary } else { url });
            }
            let child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
            std::thread::sleep(Duration::from_secs(4));
            let _ =
                rustix::process::kill_process(rustix::process::Pid::from_child(&child), rustix::process::Signal::TERM);
            let out = child.wait_with_output().unwrap();
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
        } else {
            run(&args)
        };
        seen.push((args.join(" "), out, err));
    }
    let all_err: String = seen.iter().map(|(_, _, e)| e.as_str()).collect();
    for needle in ["HTTP 500", "HTTP 404"] {
        assert!(all_err.contains(needle), "the mock's errors reach the user ({needle}): {all_err}");
    }
    for (what, out, err) in &seen {
        for (var, canary, _) in &secrets {
            assert!(!leaks(out.as_bytes(), canary), "`klaxon {what}` printed {var} on stdout: {out}");
            assert!(!leaks(err.as_bytes(), canary), "`klaxon {what}` printed {var} on stderr: {err}");
        }
    }

    let db = rusqlite::Connection::open(sb.path("k.db")).unwrap();
    let errors: Vec<String> = db
        .prepare("SELECT last_error FROM outbox WHERE last_error IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(errors.len() >= 2, "the silence and the page both failed and said why: {errors:?}");
    for e in &errors {
        for (var, canary, _) in &secrets {
            assert!(!leaks(e.as_bytes(), canary), "outbox last_error holds {var}: {e}");
        }
    }

    let mut files = Vec::new();
    files_under(sb.dir.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("k.db")), "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for (var, canary, _) in &secrets {
            assert!(!leaks(&bytes, canary), "{} holds {var}", f.display());
        }
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[test]
fn a_new_store_spool_and_drafts_are_private() {
    use klaxon::model::{AlertKey, EntryKind, NewEntry};
    use klaxon::store::{Drafts, PgStore, SqliteStore, Store};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/klaxon/k.db");
    let store = SqliteStore::open(&db).unwrap();
    store.append(&NewEntry::new(AlertKey::new("s", "a"), EntryKind::Note, "tester", "private")).unwrap();
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    for f in ["k.db", "k.db-wal", "k.db-shm"] {
        assert_eq!(mode(&db.with_file_name(f)), 0o600, "{f}");
    }
    let spool = dir.path().join("spool/outbox.db");
    let _pg = PgStore::open("host=127.0.0.1 port=1 user=nobody", None, &spool).unwrap();
    assert_eq!((mode(spool.parent().unwrap()), mode(&spool)), (0o700, 0o600));
    let drafts_dir = dir.path().join("drafts");
    let key = AlertKey::new("s", "a");
    Drafts::new(&drafts_dir).save(&key, "half a thought").unwrap();
    assert_eq!(mode(&drafts_dir), 0o700);
    for f in std::fs::read_dir(&drafts_dir).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
}

#[test]
fn a_password_in_a_url_is_refused_saying_where_it_goes() {
    let sb = Sandbox::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs/alertmanager_password_in_url.toml");
    let out = sb.klaxon().args(["check-config", "--config"]).arg(&fixture).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("user or password") && stderr.contains("password_env"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn the_console_shows_what_failed_without_the_canaries() {
    let Some(tmux) = common::require("/usr/bin/tmux", "tmux") else { return };
    let port = serve_echo();
    let secrets = canaries(port);
    let sb = Sandbox::new();
    let cfg = sb.write("klaxon.toml", &config(port));
    let mut env: Vec<String> = sb.envs().iter().map(|(k, v)| format!("export {k}='{}'", v.display())).collect();
    env.extend(secrets.iter().map(|(var, c, url)| format!("export {var}='{}'", if url.is_empty() { c } else { url })));
    let script = sb.write(
        "run.sh",
        &format!(
            "{}\nexec {} --config {} 2>{}\n",
            env.join("\n"),
            env!("CARGO_BIN_EXE_klaxon"),
            cfg.display(),
            sb.path("stderr.log").display()
        ),
    );
    let socket = format!("klaxon-secrets-{}", std::process::id());
    let tmux_run = |args: &[&str]| {
        let out = std::process::Command::new(&tmux).args(["-L", &socket]).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tmux_run(&["-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50", "-e", "TERM=xterm-256color"]);
    tmux_run(&["send-keys", &format!("sh {}", script.display()), "Enter"]);
    let mut screens = String::new();
    let mut acked = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(300));
        let screen = tmux_run(&["capture-pane", "-p"]);
        screens.push_str(&screen);
        if !acked && screen.contains("DiskFilling") {
            // The alertmanager alert is on top (Disaster): acking it sends a silence that fails.
            tmux_run(&["send-keys", "a"]);
            acked = true;
        }
        if screen.contains("HTTP 500") {
            break;
        }
    }
    tmux_run(&["kill-server"]);
    assert!(screens.contains("HTTP 500"), "the failed silence shows in the status bar:\n{screens}");
    let stderr = std::fs::read_to_string(sb.path("stderr.log")).unwrap_or_default();
    for (var, canary, _) in &secrets {
        assert!(!leaks(screens.as_bytes(), canary), "the console showed {var}:\n{screens}");
        assert!(!leaks(stderr.as_bytes(), canary), "the console wrote {var} to stderr: {stderr}");
    }
}
