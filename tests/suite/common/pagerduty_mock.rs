//! A PagerDuty REST API v2 mock with state, built from PagerDuty's documented shapes
//! (developer.pagerduty.com/api-reference): "List incidents" (9d0b4b12e36f9: `statuses[]`,
//! `service_ids[]`, `team_ids[]`, `urgencies[]`, `date_range`, `limit`/`offset`, answer
//! `{incidents, limit, offset, more, total}`), "Get an incident", "Update an incident"
//! (8a0e1aa2ec666: `PUT /incidents/{id}` `{"incident":{"type":"incident_reference", status |
//! escalation_level | assignments: [{assignee: {id, type: "user_reference"}}]}}`, `From`
//! required; the assignments given replace the incident's), "List users" (c96e889522dd6:
//! `query` matches a part of the name or email, answer `{users: [{id, type, name, email}],
//! limit, offset, more}`), "List notes"/"Create a note"
//! (`{"note":{"content"}}` → 201 `{"note":{id,user,content,created_at}}`), "List log entries
//! for an incident" (`escalate_log_entry`), "List on-calls"; errors
//! `{"error":{"message","code"}}` ("Errors", developer.pagerduty.com/docs/errors); 429 with
//! `ratelimit-reset` (support.pagerduty.com/docs/rest-api-rate-limits).

use super::vendor_mock::{Faults, Served, query};
use chrono::Utc;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wiremock::{Request, Respond, ResponseTemplate};

pub const KEY: &str = "pd-s3cr3t-key";

/// The account's users: (id, name, email). `erin@example.com.au` also holds
/// "erin@example.com", as `query` matches parts: only the exact email is Erin.
const USERS: [(&str, &str, &str); 4] = [
    ("PU1", "Alice Ops", "alice@example.com"),
    ("PU2", "Bob Ops", "bob@example.com"),
    ("PU8", "Erin Elsewhere", "erin@example.com.au"),
    ("PU7", "Erin Ops", "erin@example.com"),
];

#[derive(Default)]
struct State {
    incidents: Vec<Value>,
    notes: std::collections::HashMap<String, Vec<Value>>,
    log: std::collections::HashMap<String, Vec<Value>>,
    next_note: u32,
}

pub struct MockPagerDuty {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl std::ops::Deref for MockPagerDuty {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// One incident as "List incidents" answers it.
pub fn incident(id: &str, n: u64, urgency: &str, priority: Option<&str>, status: &str) -> Value {
    json!({
        "id": id, "type": "incident", "incident_number": n,
        "title": format!("Incident {id}"), "summary": format!("[#{n}] Incident {id}"),
        "status": status, "urgency": urgency,
        "created_at": "2026-11-21T03:00:00Z", "updated_at": "2026-11-21T03:00:00Z",
        "last_status_change_at": "2026-11-21T03:00:00Z",
        "incident_key": format!("key-{id}"), "html_url": format!("https://acme.pagerduty.com/incidents/{id}"),
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "checkout"},
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference", "summary": "Checkout EP"},
        "priority": priority.map(|p| json!({"id": format!("PRI{p}"), "type": "priority", "summary": p})),
        "assignments": [{"at": "2026-11-21T03:00:00Z", "assignee": {"id": "PU1", "type": "user_reference", "summary": "Alice Ops"}}],
        "acknowledgements": if status == "acknowledged" {
            json!([{"at": "2026-11-21T03:05:00Z", "acknowledger": {"id": "PU2", "type": "user_reference", "summary": "Bob Ops"}}])
        } else { json!([]) },
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0}
    })
}

fn error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"error": {"message": message, "code": code, "errors": []}}))
}

impl MockPagerDuty {
    pub async fn start(incidents: Vec<Value>) -> MockPagerDuty {
        let state = Arc::new(Mutex::new(State { incidents, ..State::default() }));
        let served = Served::start(|faults| Api(state.clone(), faults)).await;
        MockPagerDuty { served, state }
    }

    pub fn notes(&self, id: &str) -> Vec<Value> {
        self.state.lock().unwrap().notes.get(id).cloned().unwrap_or_default()
    }

    /// The ids of the users the incident is assigned to.
    pub fn assignees(&self, id: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let i = s.incidents.iter().find(|i| i["id"] == id).cloned().unwrap_or_default();
        let ids = i["assignments"].as_array().cloned().unwrap_or_default();
        ids.iter().filter_map(|a| a["assignee"]["id"].as_str().map(str::to_owned)).collect()
    }

    pub fn status(&self, id: &str) -> String {
        let s = self.state.lock().unwrap();
        s.incidents.iter().find(|i| i["id"] == id).map(|i| i["status"].as_str().unwrap().to_owned()).unwrap_or_default()
    }
}

struct Api(Arc<Mutex<State>>, Arc<Faults>);

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth = req.headers.get("Authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Token token={KEY}")) {
            return error(401, 2006, "Unauthorized");
        }
        let accept = req.headers.get("Accept").and_then(|v| v.to_str().ok());
        if accept != Some("application/vnd.pagerduty+json;version=2") {
            return error(406, 2000, "Not Acceptable");
        }
        if let Some(answer) = self.1.take(req) {
            return answer;
        }
        let mut s = self.0.lock().unwrap();
        let (method, path) = (req.method.as_str().to_owned(), req.url.path().to_owned());
        let write = method != "GET";
        if write && req.headers.get("From").is_none() {
            return error(
                400,
                2001,
                "You must specify a user's email address in the \"From\" header to perform this action",
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let query = |name: &str| query(req, name);
        let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match (method.as_str(), parts.as_slice()) {
            ("GET", ["incidents"]) => {
                let limit: usize = query("limit").and_then(|l| l.parse().ok()).unwrap_or(25);
                let offset: usize = query("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                if limit > 100 || offset + limit > 10_000 {
                    return error(400, 2002, "Offset must be less than 10000");
                }
                let open: Vec<&Value> = s
                    .incidents
                    .iter()
                    .filter(|i| i["status"] == "triggered" || i["status"] == "acknowledged")
                    .collect();
                let page: Vec<&Value> = open.iter().skip(offset).take(limit).copied().collect();
                let more = offset + limit < open.len();
                ResponseTemplate::new(200).set_body_json(
                    json!({"incidents": page, "limit": limit, "offset": offset, "more": more, "total": null}),
                )
            }
            ("GET", ["oncalls"]) => ResponseTemplate::new(200).set_body_json(json!({"oncalls": [{
                "user": {"id": "PU9", "type": "user_reference", "summary": "Dana Lead"},
                "schedule": {"id": query("schedule_ids[]"), "type": "schedule_reference"},
                "escalation_level": 2, "start": null, "end": null
            }], "limit": 100, "offset": 0, "more": false})),
            ("GET", ["incidents", id]) => match s.incidents.iter().find(|i| i["id"] == *id) {
                Some(i) => ResponseTemplate::new(200).set_body_json(json!({"incident": i})),
                None => error(404, 2100, "Not Found"),
            },
            ("PUT", ["incidents", id]) => {
                let id = id.to_string();
                let Some(i) = s.incidents.iter_mut().find(|i| i["id"] == id.as_str()) else {
                    return error(404, 2100, "Not Found");
                };
                let change = &body["incident"];
                if change["type"] != "incident_reference" && change["type"] != "incident" {
                    return error(400, 2001, "Invalid Input Provided");
                }
                if let Some(st) = change["status"].as_str() {
                    i["status"] = json!(st);
                    if st == "acknowledged" {
                        i["acknowledgements"] = json!([{"at": now, "acknowledger": {"id": "PU3", "type": "user_reference", "summary": "Tester"}}]);
                    }
                }
                if let Some(given) = change["assignments"].as_array() {
                    let mut now_assigned = Vec::new();
                    for a in given {
                        let id = a["assignee"]["id"].as_str().unwrap_or_default();
                        let Some((_, name, _)) = USERS.iter().find(|u| u.0 == id) else {
                            return error(400, 2001, "Invalid Input Provided");
                        };
                        if a["assignee"]["type"] != "user_reference" {
                            return error(400, 2001, "Invalid Input Provided");
                        }
                        now_assigned.push(
                            json!({"at": now, "assignee": {"id": id, "type": "user_reference", "summary": name}}),
                        );
                    }
                    i["assignments"] = json!(now_assigned);
                }
                let escalated = change["escalation_level"].as_i64().is_some();
                let answer = json!({"incident": i.clone()});
                if escalated {
                    s.log.entry(id).or_default().push(json!({"type": "escalate_log_entry", "created_at": now}));
                }
                ResponseTemplate::new(200).set_body_json(answer)
            }
            ("GET", ["users"]) => {
                let q = query("query").unwrap_or_default().to_lowercase();
                let users: Vec<Value> = USERS
                    .iter()
                    .filter(|(_, name, email)| name.to_lowercase().contains(&q) || email.contains(&q))
                    .map(|(id, name, email)| json!({"id": id, "type": "user", "summary": name, "name": name, "email": email}))
                    .collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"users": users, "limit": 100, "offset": 0, "more": false}))
            }
            ("GET", ["incidents", id, "notes"]) => ResponseTemplate::new(200)
                .set_body_json(json!({"notes": s.notes.get(*id).cloned().unwrap_or_default()})),
            ("POST", ["incidents", id, "notes"]) => {
                let Some(content) = body["note"]["content"].as_str() else {
                    return error(400, 2001, "Invalid Input Provided");
                };
                s.next_note += 1;
                let note = json!({"id": format!("PN{}", s.next_note), "user": {"summary": "Tester"}, "content": content, "created_at": now});
                s.notes.entry(id.to_string()).or_default().push(note.clone());
                ResponseTemplate::new(201).set_body_json(json!({"note": note}))
            }
            ("GET", ["incidents", id, "log_entries"]) => {
                let since = query("since").and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
                let log: Vec<Value> = s
                    .log
                    .get(*id)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| {
                        let at = chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap();
                        since.is_none_or(|s| at >= s)
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"log_entries": log, "more": false}))
            }
            _ => error(404, 2100, "Not Found"),
        }
    }
}
