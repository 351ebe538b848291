//! Fixed alerts and a console state built from them, for update and render tests.

use chrono::{DateTime, TimeZone, Utc};
use klaxon::app::Keymap;
use klaxon::app::{self, Key, KeyCode, Msg, State};
use klaxon::model::{Alert, AlertKey, Health, Link, Severity, Status};

/// The seed of every test console's op ids: a console made with it writes the entries that
/// [`OpIds::seeded(SEED)`](klaxon::model::OpIds) predicts.
pub const SEED: u64 = 17;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 3, 14, 0).unwrap()
}

pub fn alert(source: &str, id: &str, sev: Severity, minutes_ago: i64, alertname: &str, service: &str) -> Alert {
    let at = t0() - chrono::Duration::minutes(minutes_ago);
    Alert {
        key: AlertKey::new(source, id),
        title: format!("{alertname}: trouble on {service}-{id}"),
        severity: sev,
        status: Status::Firing,
        started_at: at,
        updated_at: at,
        labels: [
            ("alertname".to_string(), alertname.to_string()),
            ("service".to_string(), service.to_string()),
            ("severity".to_string(), sev.name().to_string()),
        ]
        .into(),
        annotations: [("summary".to_string(), format!("{alertname} on {service}"))].into(),
        host: Some(format!("{service}-{id}")),
        service: Some(service.to_string()),
        links: vec![Link { kind: "runbook".into(), url: "disk-filling".into() }],
        source_acks: vec![],
        suppression: None,
        guessed: Default::default(),
    }
}

/// Six alerts over two sources; ranked: d1 (Disaster), h2 (High, newer), h1, a1, w1, i1.
pub fn sample() -> Vec<(String, Vec<Alert>)> {
    vec![
        (
            "prod".into(),
            vec![
                alert("prod", "h1", Severity::High, 30, "HighErrorRate", "api"),
                alert("prod", "d1", Severity::Disaster, 50, "InstanceDown", "db"),
                alert("prod", "w1", Severity::Warning, 5, "DiskFilling", "db"),
                alert("prod", "h2", Severity::High, 10, "HighErrorRate", "web"),
            ],
        ),
        (
            "local".into(),
            vec![
                alert("local", "a1", Severity::Average, 120, "load", "host"),
                alert("local", "i1", Severity::Information, 1, "DeployInProgress", "web"),
            ],
        ),
    ]
}

pub fn state_with(width: u16, height: u16, snapshots: Vec<(String, Vec<Alert>)>) -> State {
    let mut state = State::new("alice", Keymap::builtin_default(), t0(), SEED);
    app::update(&mut state, Msg::Resize { width, height });
    for (source, alerts) in snapshots {
        app::update(&mut state, Msg::Health { source: source.clone(), health: Health::Ok { at: t0() }, next: None });
        app::update(&mut state, Msg::Snapshot { source, alerts, fresh: true });
    }
    state
}

pub fn key(s: &str) -> Msg {
    Msg::Key(s.parse::<Key>().unwrap())
}

/// Sends each character of `text` as a key press.
pub fn typed(state: &mut State, text: &str) -> Vec<klaxon::app::Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        let k = if c == '\n' { Key::plain(KeyCode::Enter) } else { Key::ch(c) };
        fx.extend(app::update(state, Msg::Key(k)));
    }
    fx
}

pub fn selected_id(state: &State) -> String {
    state.selected_item().map(|i| i.alert.key.id().to_owned()).unwrap_or_default()
}

pub fn visible_ids(state: &State) -> Vec<String> {
    state
        .list
        .rows
        .iter()
        .map(|r| match r {
            klaxon::app::state::Row::Alert(i) => state.list.board.ranked()[*i].alert.key.id().to_owned(),
            klaxon::app::state::Row::Group { name, count, .. } => format!("[{name} {count}]"),
        })
        .collect()
}
