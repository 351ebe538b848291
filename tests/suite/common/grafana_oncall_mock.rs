//! A Grafana OnCall public API mock with state, built from Grafana OnCall's own API reference
//! (github.com/grafana/oncall, docs/sources/oncall-api-reference/alertgroups.md and
//! resolution_notes.md; grafana.com/docs/oncall/latest/oncall-api-reference/alertgroups/):
//! `GET /api/v1/alert_groups/` filtered by `state` (new, acknowledged, resolved, silenced) and
//! `integration_id`, paged `{count, next, previous, results}`; a group `{id, integration_id,
//! alerts_count, state: "firing"|"acknowledged"|"resolved"|"silenced", created_at,
//! acknowledged_at, acknowledged_by, title, permalinks{web,…}, labels[{key{id,name},
//! value{id,name}}]}`; `POST /api/v1/alert_groups/<id>/acknowledge|unacknowledge|resolve`;
//! `POST /api/v1/alert_groups/<id>/silence {"delay": seconds}` (-1: until unsilenced) and
//! `…/unsilence` ("Silence an alert group", added to the public API by grafana/oncall#5031);
//! `POST /api/v1/resolution_notes/ {alert_group_id, text}` and its list by `alert_group_id`.
//! Auth: the token as the whole `Authorization` header.

use super::vendor_mock::{Faults, Served, query};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wiremock::{Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "goc-s3cr3t-token";

#[derive(Default)]
struct State {
    groups: Vec<Value>,
    notes: Vec<Value>,
    base: String,
}

pub struct MockGrafanaOncall {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl std::ops::Deref for MockGrafanaOncall {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

pub fn group(id: &str, state: &str, labels: &[(&str, &str)]) -> Value {
    let labels: Vec<Value> =
        labels.iter().map(|(k, v)| json!({"key": {"id": k, "name": k}, "value": {"id": v, "name": v}})).collect();
    json!({
        "id": id, "integration_id": "CFRPV98RPR1U8", "route_id": "RIYGUJXCPFHXY", "alerts_count": 3,
        "state": state, "created_at": "2026-11-21T03:00:00.000000Z", "resolved_at": null,
        "acknowledged_at": if state == "acknowledged" { json!("2026-11-21T03:05:00.000000Z") } else { Value::Null },
        "acknowledged_by": if state == "acknowledged" { json!("UCGEIXI1MR1NZ") } else { Value::Null },
        "resolved_by": null, "title": format!("Group {id}"),
        "permalinks": {"slack": null, "telegram": null, "web": format!("https://grafana.example.com/a/grafana-oncall-app/alert-groups/{id}")},
        "silenced_at": null, "labels": labels
    })
}

impl MockGrafanaOncall {
    pub async fn start(groups: Vec<Value>) -> MockGrafanaOncall {
        let state = Arc::new(Mutex::new(State { groups, notes: Vec::new(), base: String::new() }));
        let served = Served::start(|faults| Api(state.clone(), faults)).await;
        state.lock().unwrap().base = served.server.uri();
        MockGrafanaOncall { served, state }
    }

    pub fn state_of(&self, id: &str) -> String {
        let s = self.state.lock().unwrap();
        s.groups.iter().find(|g| g["id"] == id).map(|g| g["state"].as_str().unwrap().to_owned()).unwrap_or_default()
    }

    pub fn notes(&self) -> Vec<String> {
        self.state.lock().unwrap().notes.iter().map(|n| n["text"].as_str().unwrap().to_owned()).collect()
    }
}

struct Api(Arc<Mutex<State>>, Arc<Faults>);

const PAGE: usize = 2;

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req.headers.get("Authorization").and_then(|v| v.to_str().ok()) != Some(TOKEN) {
            return ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid token."}));
        }
        if let Some(answer) = self.1.take(req) {
            return answer;
        }
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().to_owned();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let page_of = |all: Vec<Value>, base: &str, path: &str| {
            let page: usize = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let results: Vec<Value> = all.iter().skip((page - 1) * PAGE).take(PAGE).cloned().collect();
            let next = (page * PAGE < all.len()).then(|| {
                let mut url = req.url.clone();
                url.query_pairs_mut().clear();
                for (k, v) in req.url.query_pairs().filter(|(k, _)| k != "page") {
                    url.query_pairs_mut().append_pair(&k, &v);
                }
                url.query_pairs_mut().append_pair("page", &(page + 1).to_string());
                format!("{base}{path}?{}", url.query().unwrap_or(""))
            });
            json!({"count": all.len(), "next": next, "previous": null, "results": results, "current_page_number": page, "page_size": PAGE})
        };
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["api", "v1", "alert_groups"]) => {
                let want = query(req, "state").map(|s| if s == "new" { "firing".to_owned() } else { s });
                let all: Vec<Value> = s
                    .groups
                    .iter()
                    .filter(|g| want.as_deref().is_none_or(|w| g["state"] == w))
                    .filter(|g| query(req, "integration_id").is_none_or(|i| g["integration_id"] == i.as_str()))
                    .cloned()
                    .collect();
                ResponseTemplate::new(200).set_body_json(page_of(all, &s.base, &path))
            }
            ("GET", ["api", "v1", "alert_groups", id]) => match s.groups.iter().find(|g| g["id"] == *id) {
                Some(g) => ResponseTemplate::new(200).set_body_json(g),
                None => ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})),
            },
            ("POST", ["api", "v1", "alert_groups", id, action]) => {
                let Some(g) = s.groups.iter_mut().find(|g| g["id"] == *id) else {
                    return ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."}));
                };
                let (from_ok, to) = match *action {
                    "acknowledge" => (g["state"] != "acknowledged", "acknowledged"),
                    "unacknowledge" => (g["state"] == "acknowledged", "firing"),
                    "resolve" => (g["state"] != "resolved", "resolved"),
                    "silence" => match body["delay"].as_i64() {
                        Some(d) if d > 0 || d == -1 => (g["state"] != "resolved", "silenced"),
                        _ => {
                            return ResponseTemplate::new(400)
                                .set_body_json(json!({"delay": ["A valid integer is required."]}));
                        }
                    },
                    "unsilence" => (g["state"] == "silenced", "firing"),
                    _ => return ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})),
                };
                if !from_ok {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"detail": format!("Can't {action} this alert group")}));
                }
                g["state"] = json!(to);
                g["silenced_at"] = if to == "silenced" { json!("2026-11-21T03:06:00.000000Z") } else { Value::Null };
                if to == "silenced" {
                    g["silence_delay"] = body["delay"].clone();
                }
                if to == "acknowledged" {
                    g["acknowledged_by"] = json!("UTESTER");
                }
                ResponseTemplate::new(200)
            }
            ("GET", ["api", "v1", "resolution_notes"]) => {
                let group = query(req, "alert_group_id");
                let all: Vec<Value> = s
                    .notes
                    .iter()
                    .filter(|n| group.as_deref().is_none_or(|g| n["alert_group_id"] == g))
                    .cloned()
                    .collect();
                ResponseTemplate::new(200).set_body_json(page_of(all, &s.base, &path))
            }
            ("POST", ["api", "v1", "resolution_notes"]) => {
                let (Some(group), Some(text)) = (body["alert_group_id"].as_str(), body["text"].as_str()) else {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"alert_group_id": ["This field is required."]}));
                };
                let note = json!({"id": format!("M{}", s.notes.len() + 1), "alert_group_id": group, "author": "UTESTER",
                                  "source": "api", "created_at": chrono::Utc::now().to_rfc3339(), "text": text});
                s.notes.push(note.clone());
                ResponseTemplate::new(201).set_body_json(note)
            }
            _ => ResponseTemplate::new(404).set_body_json(json!({"detail": "Not found."})),
        }
    }
}
