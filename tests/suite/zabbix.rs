//! The Zabbix source against a real Zabbix 6.0 (server, PostgreSQL and the PHP frontend
//! from Debian's packages, started by the test): a trigger fired over the trapper protocol
//! reaches `klaxon list`; ack, note, escalate, severity and close are written back through
//! event.acknowledge once each; what someone does in Zabbix shows in klaxon's timeline.

use crate::common;

use common::Sandbox;
use common::servers::eventually;
use common::zabbix::Zabbix;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

/// A host with a trapper item and two triggers on it: one people may close, one not.
fn fire(z: &Zabbix) -> (String, String) {
    let host =
        z.api("host.create", json!({"host": "klaxon-db1", "name": "db1 (klaxon test)", "groups": [{"groupid": "2"}]}));
    let hostid = host["hostids"][0].as_str().unwrap().to_owned();
    z.api(
        "item.create",
        json!({"hostid": hostid, "name": "replication", "key_": "klaxon.repl", "type": 2, "value_type": 3}),
    );
    let closable = z.api(
        "trigger.create",
        json!({
            "description": "Replication broken on {HOST.NAME}",
            "expression": "last(/klaxon-db1/klaxon.repl)>0",
            "priority": 4,
            "manual_close": 1,
            "url": "https://runbooks.example/replication",
            "opdata": "lag {ITEM.LASTVALUE}",
            "tags": [{"tag": "service", "value": "db"}]
        }),
    );
    let fixed = z.api(
        "trigger.create",
        json!({"description": "Replication lag on {HOST.NAME}", "expression": "last(/klaxon-db1/klaxon.repl)>1", "priority": 2}),
    );
    // The server loads new items within its cache update frequency (1 s here).
    let sent =
        eventually(Duration::from_secs(30), || z.send("klaxon-db1", "klaxon.repl", "5").starts_with("processed: 1"));
    assert!(sent, "the trapper value was taken:\n{}", z.server_log());
    (closable["triggerids"][0].as_str().unwrap().to_owned(), fixed["triggerids"][0].as_str().unwrap().to_owned())
}

fn problem(z: &Zabbix, eventid: &str) -> Option<Value> {
    let found = z.api(
        "problem.get",
        json!({"eventids": [eventid], "output": "extend", "selectAcknowledges": "extend", "recent": false}),
    );
    found.as_array().and_then(|a| a.first().cloned())
}

#[test]
fn a_real_zabbix_problem_is_listed_acknowledged_once_escalated_and_closed() {
    let Some(z) = Zabbix::start() else { return };
    let (closable, fixed) = fire(&z);

    let sb = Sandbox::new();
    let password = sb.write("zabbix.pass", "zabbix\n");
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = sb.write(
        "klaxon.toml",
        &format!(
            "[identity]\nname = \"alice\"\n\n[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{}\"\n\
             username = \"Admin\"\npassword_file = \"{}\"\ngroups = [\"Linux servers\"]\n",
            z.url,
            password.display()
        ),
    );
    let klaxon = |args: &[&str]| sb.klaxon().arg("--config").arg(&config).args(args).output().unwrap();

    // The problems reach `klaxon list`, Zabbix's severities one to one, with host and links.
    let mut alerts = Value::Null;
    let listed = eventually(Duration::from_secs(30), || {
        // A trigger the server had not loaded yet when a value came fires on the next one.
        z.send("klaxon-db1", "klaxon.repl", "5");
        let out = klaxon(&["list", "--format", "json"]);
        alerts = common::json(&out.stdout);
        alerts.as_array().is_some_and(|a| a.len() == 2)
    });
    assert!(listed, "two problems listed: {alerts}\n{}", z.server_log());
    let find = |trigger: &str| {
        alerts.as_array().unwrap().iter().find(|a| a["labels"]["triggerid"] == trigger).cloned().expect("listed")
    };
    let broken = find(&closable);
    assert_eq!(broken["severity"], "high");
    assert_eq!(broken["host"], "db1 (klaxon test)");
    assert_eq!(broken["title"], "Replication broken on db1 (klaxon test)");
    assert_eq!(broken["labels"]["service"], "db");
    assert_eq!(broken["annotations"]["opdata"], "lag 5");
    assert_eq!(find(&fixed)["severity"], "warning");
    let key = broken["key"].as_str().unwrap().to_owned();
    let eventid = key.split_once('/').unwrap().1.to_owned();

    // Ack with a note: one acknowledge in Zabbix, carrying the note.
    let out = klaxon(&["ack", &key, "--note", "looking at replication"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let p = problem(&z, &eventid).expect("still a problem");
    assert_eq!(p["acknowledged"], "1");
    let acks = p["acknowledges"].as_array().unwrap();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert!(acks[0]["message"].as_str().unwrap().contains("looking at replication"));
    assert_eq!(acks[0]["action"], "6", "acknowledge + message");
    // Syncing again (a retry after a lost answer) posts nothing more.
    assert!(klaxon(&["sync"]).status.success());
    assert_eq!(problem(&z, &eventid).unwrap()["acknowledges"].as_array().unwrap().len(), 1);

    // Someone acts in Zabbix's own UI: it shows in klaxon's timeline, once however often polled.
    z.api("event.acknowledge", json!({"eventids": [eventid], "action": 4, "message": "DBA here, failing over"}));
    for _ in 0..2 {
        assert!(klaxon(&["list"]).status.success());
    }
    let out = klaxon(&["timeline", &key, "--format", "json"]);
    let timeline = String::from_utf8_lossy(&out.stdout);
    assert_eq!(timeline.matches("DBA here, failing over").count(), 1, "{timeline}");
    assert!(timeline.contains("\"actor\": \"Admin\""), "{timeline}");

    // Escalate: one severity step up, and why.
    assert!(klaxon(&["escalate", &key, "--note", "primary is down too"]).status.success());
    assert_eq!(problem(&z, &eventid).unwrap()["severity"], "5");
    // Set the severity by hand.
    assert!(klaxon(&["severity", &key, "average"]).status.success());
    assert_eq!(problem(&z, &eventid).unwrap()["severity"], "3");

    // A trigger that does not allow manual close: said, and the action stays queued.
    let other = find(&fixed)["key"].as_str().unwrap().to_owned();
    let out = klaxon(&["close", &other]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not sent yet") && stderr.to_lowercase().contains("clos"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "not closed is a failure: {stderr}");
    assert!(stderr.contains("is recorded but not confirmed by"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("closed"), "not said closed");
    // One that does: the problem ends.
    let out = klaxon(&["close", &key, "--note", "replica rebuilt"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        eventually(Duration::from_secs(20), || problem(&z, &eventid).is_none()),
        "the problem closed: {:?}",
        problem(&z, &eventid)
    );
    let ours = z.api("event.get", json!({"eventids": [eventid], "select_acknowledges": "extend"}))[0]["acknowledges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["message"].as_str().unwrap_or("").contains("[klaxon op "))
        .count();
    assert_eq!(ours, 4, "ack, escalate, severity, close: each written once");
}

#[test]
fn an_api_token_on_zabbix_6_0_goes_in_the_body() {
    let Some(z) = Zabbix::start() else { return };
    let token = z.api("token.create", json!({"name": "klaxon", "userid": "1"}));
    let id = token["tokenids"][0].as_str().unwrap().to_owned();
    let secret = z.api("token.generate", json!([id]))[0]["token"].as_str().unwrap().to_owned();
    let sb = Sandbox::new();
    let config = sb.write(
        "klaxon.toml",
        &format!("[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{}/\"\ntoken_env = \"ZBX_TOKEN\"\n", z.url),
    );
    let out = sb.klaxon().env("ZBX_TOKEN", &secret).arg("--config").arg(&config).arg("doctor").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("source   zbx (zabbix): ok"), "{stdout}");
    assert!(!stdout.contains(&secret) && !String::from_utf8_lossy(&out.stderr).contains(&secret));
    // A wrong token is refused by Zabbix, said plainly, never echoed.
    let out = sb.klaxon().env("ZBX_TOKEN", "0".repeat(64)).arg("--config").arg(&config).arg("doctor").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("zbx (zabbix): FAILING"), "{stdout}");
    assert!(!stdout.contains(&"0".repeat(64)), "{stdout}");
}

/// The source's config for `user` (password `pass`) in `sb`.
fn zabbix_config(sb: &Sandbox, z: &Zabbix, user: &str, pass: &str) -> std::path::PathBuf {
    let password = sb.write(&format!("{user}.pass"), &format!("{pass}\n"));
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    sb.write(
        &format!("{user}.toml"),
        &format!(
            "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"{}\"\n\
             username = \"{user}\"\npassword_file = \"{}\"\ngroups = [\"Linux servers\"]\n",
            z.url,
            password.display()
        ),
    )
}

/// The silences the source gives the console with each poll (`AlertSource::silences`).
fn silences_of(sb: &Sandbox, cfg: &std::path::Path) -> Result<klaxon::model::Silences, String> {
    let dirs =
        klaxon::config::paths::Dirs { config: sb.path("config"), data: sb.path("data"), cache: sb.path("cache") };
    let session = klaxon::session::Session::open_in(Some(cfg), dirs).unwrap();
    let (_, source) = session.sources.iter().find(|(c, _)| c.name == "zbx").unwrap();
    let asked = source.silences().expect("a Zabbix source gives its maintenance");
    tokio::runtime::Runtime::new().unwrap().block_on(asked).map_err(|e| e.to_string())
}

/// A maintenance made in the real Zabbix 6.0 (by Admin, through its API) is read by the
/// source as a read-only silence and listed in the console's silences view, where expire
/// is refused with the reason; a user whose role denies `maintenance.get` still gets the
/// problems listed, and the view names why that source's maintenance is missing.
#[test]
fn a_zabbix_maintenance_is_shown_read_only_and_a_denied_one_does_not_fail_the_poll() {
    use klaxon::app::{self, Msg, State};
    let Some(z) = Zabbix::start() else { return };
    fire(&z);
    let host = z.api("host.get", json!({"filter": {"host": ["klaxon-db1"]}, "output": ["hostid"]}));
    let hostid = host[0]["hostid"].as_str().unwrap().to_owned();
    // Zabbix keeps whole minutes: start an hour ago, end in three.
    let now = chrono::Utc::now().timestamp();
    let since = now - now % 60 - 3600;
    let till = since + 4 * 3600;
    let made = z.api(
        "maintenance.create",
        json!({
            "name": "DB patching", "description": "kernel 6.1 on the database hosts",
            "active_since": since, "active_till": till, "hostids": [hostid], "groupids": ["2"],
            "timeperiods": [{"timeperiod_type": 0, "start_date": since, "period": 7200}]
        }),
    );
    let id = made["maintenanceids"][0].as_str().unwrap().to_owned();

    let sb = Sandbox::new();
    let admin = zabbix_config(&sb, &z, "Admin", "zabbix");
    let got = silences_of(&sb, &admin).unwrap_or_else(|e| panic!("{e}\n{}", z.web_log()));
    assert_eq!(got.list.len(), 1, "{got:#?}");
    let m = &got.list[0];
    let scope = m.maintenance.as_ref().expect("marked as a maintenance");
    assert_eq!((m.id.as_str(), m.state.as_str(), scope.name.as_str()), (id.as_str(), "active", "DB patching"));
    assert_eq!(scope.hosts, ["db1 (klaxon test)"]);
    assert_eq!(scope.groups, ["Linux servers"]);
    assert_eq!(m.comment, "kernel 6.1 on the database hosts");
    assert_eq!((m.starts_at.timestamp(), m.ends_at.timestamp()), (since, till));
    assert_eq!(m.read_only(), Some("Zabbix maintenance is managed in Zabbix"));

    // In the console's view: listed read-only; expire is refused with the reason.
    let mut state = State::new("alice", klaxon::app::Keymap::builtin_default(), chrono::Utc::now(), 7);
    app::update(&mut state, Msg::Resize { width: 120, height: 40 });
    app::update(&mut state, Msg::Silences { source: "zbx".into(), silences: Ok(got) });
    app::update(&mut state, Msg::Key("X".parse().unwrap()));
    let screen = {
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        t.draw(|f| klaxon::ui::view(&state, &klaxon::config::theme::Theme::default(), f)).unwrap();
        t.backend().to_string()
    };
    assert!(screen.contains("read-only \"DB patching\" hosts: db1 (klaxon test)"), "{screen}");
    assert!(screen.contains("\"DB patching\" hosts: db1 (klaxon test) · groups: Linux servers"), "{screen}");
    assert!(app::update(&mut state, Msg::Key("x".parse().unwrap())).is_empty(), "nothing stored");
    let said = state.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(said.ends_with("Zabbix maintenance is managed in Zabbix"), "{said}");

    // A user whose role denies maintenance.get (6.0 role API rules: mode 0 is a deny list).
    let role = z.api(
        "role.create",
        json!({"name": "no maintenance", "type": 1, "rules": {"api.access": 1, "api.mode": 0, "api": ["maintenance.get"]}}),
    );
    let group = z.api("usergroup.create", json!({"name": "readers", "rights": [{"permission": 2, "id": "2"}]}));
    z.api(
        "user.create",
        json!({"username": "viewer", "passwd": "v1ewer-Pass", "roleid": role["roleids"][0],
               "usrgrps": [{"usrgrpid": group["usrgrpids"][0]}]}),
    );
    let viewer = zabbix_config(&sb, &z, "viewer", "v1ewer-Pass");
    let why = silences_of(&sb, &viewer).expect_err("maintenance.get is denied");
    assert!(why.contains("maintenance.get"), "{why}");
    let mut said = String::new();
    let listed = eventually(Duration::from_secs(30), || {
        // A trigger the server had not loaded yet when a value came fires on the next one.
        z.send("klaxon-db1", "klaxon.repl", "5");
        let out = sb.klaxon().arg("--config").arg(&viewer).args(["list", "--format", "json"]).output().unwrap();
        said = String::from_utf8_lossy(&out.stderr).into_owned();
        out.status.success() && common::json(&out.stdout).as_array().is_some_and(|a| !a.is_empty())
    });
    assert!(listed, "the viewer's poll of problems does not fail on the denied maintenance: {said}");
}
