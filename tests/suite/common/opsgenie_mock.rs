//! An Opsgenie Alert API v2 mock with state, built from Opsgenie's own OpenAPI file
//! (github.com/opsgenie/opsgenie-python-sdk, `opsgenie-oas.yml`) and docs.opsgenie.com
//! "Alert API": `listAlerts` (`query`, `limit` ≤ 100, `offset`, `sort`, `order` → `{data[],
//! paging{next,first,last}, took, requestId}`), `getAlert` (`identifierType`),
//! `acknowledgeAlert` / `unAcknowledgeAlert` / `closeAlert` / `addNote` / `escalateAlert`
//! (POST, body `{user, source, note}`, escalate `{"escalation":{"name"}}`, each answered 202
//! `{result: "Request will be processed", took, requestId}` and done later),
//! `getRequestStatus` (`/v2/alerts/requests/{id}` → `data{isSuccess, status, alertId, …}`;
//! 404 until processed), `listNotes` (`data[{note, owner, createdAt, offset}]`, `paging.next`),
//! and "On-call API" `getOnCalls`. Auth `Authorization: GenieKey <key>`; a bad key is 401
//! `{"message":"Could not authenticate"}`.

use super::vendor_mock::{Faults, Served, query};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::{Request, Respond, ResponseTemplate};

pub const KEY: &str = "og-s3cr3t-key";

#[derive(Default)]
struct State {
    alerts: Vec<Value>,
    notes: HashMap<String, Vec<Value>>,
    /// Request id → (processed yet, what it did).
    requests: HashMap<String, (bool, Value)>,
    next: u32,
}

pub struct MockOpsgenie {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl std::ops::Deref for MockOpsgenie {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// An alert as "List alerts" and "Get alert" answer it.
pub fn alert(id: &str, priority: &str, tags: &[&str], acknowledged: bool) -> Value {
    json!({
        "id": id, "tinyId": "17", "alias": format!("alias-{id}"), "message": format!("Alert {id}"),
        "status": "open", "acknowledged": acknowledged, "isSeen": true, "tags": tags, "snoozed": false,
        "count": 3, "lastOccurredAt": "2026-11-21T03:10:00Z", "createdAt": "2026-11-21T03:00:00Z",
        "updatedAt": "2026-11-21T03:10:00Z", "source": "prometheus", "owner": "bob@example.com",
        "priority": priority, "responders": [], "integration": {"id": "i1", "name": "API", "type": "API"},
        "report": if acknowledged { json!({"ackTime": 60000, "acknowledgedBy": "bob@example.com"}) } else { json!({}) }
    })
}

fn accepted(rid: &str) -> ResponseTemplate {
    ResponseTemplate::new(202)
        .set_body_json(json!({"result": "Request will be processed", "took": 0.1, "requestId": rid}))
}

impl MockOpsgenie {
    pub async fn start(alerts: Vec<Value>) -> MockOpsgenie {
        let state = Arc::new(Mutex::new(State { alerts, ..State::default() }));
        let served = Served::start(|faults| Api(state.clone(), faults)).await;
        MockOpsgenie { served, state }
    }

    pub fn notes(&self, id: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.notes.get(id).map(|n| n.iter().map(|n| n["note"].as_str().unwrap().to_owned()).collect()).unwrap_or_default()
    }

    pub fn alert(&self, id: &str) -> Value {
        self.state.lock().unwrap().alerts.iter().find(|a| a["id"] == id).cloned().unwrap_or(Value::Null)
    }
}

struct Api(Arc<Mutex<State>>, Arc<Faults>);

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req.headers.get("Authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("GenieKey {KEY}")) {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Could not authenticate", "took": 0.0, "requestId": "r-denied"}));
        }
        if let Some(answer) = self.1.take(req) {
            return answer;
        }
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v2", "alerts"]) => {
                let limit: usize = query(req, "limit").and_then(|l| l.parse().ok()).unwrap_or(20);
                let offset: usize = query(req, "offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                if limit > 100 {
                    return ResponseTemplate::new(422).set_body_json(json!({"message": "limit must be at most 100"}));
                }
                let open: Vec<&Value> = s.alerts.iter().filter(|a| a["status"] == "open").collect();
                let page: Vec<&Value> = open.iter().skip(offset).take(limit).copied().collect();
                let mut paging = json!({"first": "…offset=0", "last": "…"});
                if offset + limit < open.len() {
                    paging["next"] = json!(format!("https://api.opsgenie.com/v2/alerts?offset={}", offset + limit));
                }
                ResponseTemplate::new(200).set_body_json(json!({"data": page, "paging": paging, "took": 0.2, "requestId": "r-list"}))
            }
            ("GET", ["v2", "alerts", "requests", rid]) => match s.requests.get_mut(*rid) {
                // The first ask finds it not yet processed, as Opsgenie's queue may.
                Some((seen @ false, _)) => {
                    *seen = true;
                    ResponseTemplate::new(404).set_body_json(json!({"message": "Request not found. It might not be processed, yet.", "took": 0.0}))
                }
                Some((true, data)) => ResponseTemplate::new(200).set_body_json(json!({"data": data, "took": 0.0, "requestId": "r-status"})),
                None => ResponseTemplate::new(404).set_body_json(json!({"message": "Request not found."})),
            },
            ("GET", ["v2", "alerts", id]) => match s.alerts.iter().find(|a| a["id"] == *id) {
                Some(a) => ResponseTemplate::new(200).set_body_json(json!({"data": a, "took": 0.0, "requestId": "r-get"})),
                None => ResponseTemplate::new(404).set_body_json(json!({"message": "Alert does not exist"})),
            },
            ("GET", ["v2", "alerts", id, "notes"]) => {
                let all = s.notes.get(*id).cloned().unwrap_or_default();
                let limit: usize = query(req, "limit").and_then(|l| l.parse().ok()).unwrap_or(100);
                let after: usize = query(req, "offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                let page: Vec<Value> = all.iter().filter(|n| n["offset"].as_str().unwrap().parse::<usize>().unwrap() > after).take(limit).cloned().collect();
                let more = page.last().is_some_and(|l| l != all.last().unwrap());
                let paging = if more { json!({"next": "…", "first": "…"}) } else { json!({"first": "…"}) };
                ResponseTemplate::new(200).set_body_json(json!({"data": page, "paging": paging, "took": 0.0, "requestId": "r-notes"}))
            }
            ("POST", ["v2", "alerts", id, action]) => {
                let id = id.to_string();
                if query(req, "identifierType").as_deref() != Some("id") {
                    return ResponseTemplate::new(422).set_body_json(json!({"message": "identifierType should be id here"}));
                }
                let Some(a) = s.alerts.iter_mut().find(|a| a["id"] == id.as_str()) else {
                    return ResponseTemplate::new(404).set_body_json(json!({"message": "Alert does not exist"}));
                };
                let status = match *action {
                    "acknowledge" => { a["acknowledged"] = json!(true); a["report"] = json!({"acknowledgedBy": body["user"]}); "Acked" }
                    "unacknowledge" => { a["acknowledged"] = json!(false); "UnAcked" }
                    "close" => { a["status"] = json!("closed"); "Closed" }
                    "notes" => "Note added",
                    "escalate" if body["escalation"]["name"].is_string() || body["escalation"]["id"].is_string() => "Escalated",
                    _ => return ResponseTemplate::new(422).set_body_json(json!({"message": "Invalid request"})),
                };
                s.next += 1;
                let n = s.next;
                if let Some(note) = body["note"].as_str() {
                    s.notes.entry(id.clone()).or_default().push(json!({"note": note, "owner": body["user"], "createdAt": now, "offset": format!("{n}")}));
                }
                let rid = format!("req-{n}");
                s.requests.insert(rid.clone(), (false, json!({"success": true, "action": action, "processedAt": now, "isSuccess": true, "status": status, "alertId": id})));
                accepted(&rid)
            }
            ("GET", ["v2", "schedules", _, "on-calls"]) => ResponseTemplate::new(200).set_body_json(json!({
                "data": {"_parent": {"id": "s1", "name": "ops", "enabled": true}, "onCallRecipients": ["erin@example.com"]},
                "took": 0.1, "requestId": "r-oncall"
            })),
            _ => ResponseTemplate::new(404).set_body_json(json!({"message": "Not found"})),
        }
    }
}
