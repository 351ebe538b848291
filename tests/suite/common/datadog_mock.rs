//! A Datadog mock with state, built from Datadog's API reference (docs.datadoghq.com/api/latest):
//! Monitors "Get all monitor details" (`GET /api/v1/monitor`: `group_states`, `monitor_tags`,
//! `with_downtimes`, `id_offset`, `page_size`; a bare array of monitors `{id, name, message,
//! query, type, tags[], priority, overall_state, overall_state_modified, state{groups{<name>
//! {status, last_triggered_ts, last_nodata_ts}}}, matching_downtimes[]}`), and Downtimes v2:
//! "Schedule a downtime" (`POST /api/v2/downtime {"data":{"type":"downtime","attributes":{scope,
//! monitor_identifier{monitor_id}, message, schedule{end}}}}`), "Get all downtimes"
//! (`current_only`), "Get a downtime", "Cancel a downtime" (`DELETE`, 204). Auth: `DD-API-KEY`
//! and `DD-APPLICATION-KEY`; a bad key is 403 `{"errors":["Forbidden"]}`.

use super::vendor_mock::{Faults, Served, query};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wiremock::{Request, Respond, ResponseTemplate};

pub const API_KEY: &str = "dd-api-s3cr3t";
pub const APP_KEY: &str = "dd-app-s3cr3t";

#[derive(Default)]
struct State {
    monitors: Vec<Value>,
    downtimes: Vec<Value>,
}

pub struct MockDatadog {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl std::ops::Deref for MockDatadog {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

/// A monitor; `groups`: (group name, status).
pub fn monitor(id: u64, priority: Option<u8>, overall: &str, groups: &[(&str, &str)]) -> Value {
    let groups: serde_json::Map<String, Value> = groups
        .iter()
        .map(|(g, s)| {
            (
                g.to_string(),
                json!({"status": s, "last_triggered_ts": 1795230000, "last_nodata_ts": 1795230100, "name": g}),
            )
        })
        .collect();
    json!({
        "id": id, "name": format!("Monitor {id}"), "message": "Disk is filling @pagerduty", "type": "metric alert",
        "query": "avg(last_5m):avg:system.disk.in_use{*} by {host} > 0.9", "tags": ["service:checkout", "team:db"],
        "priority": priority, "overall_state": overall, "overall_state_modified": "2026-11-21T03:00:00+00:00",
        "state": {"groups": groups}, "matching_downtimes": []
    })
}

impl MockDatadog {
    pub async fn start(monitors: Vec<Value>) -> MockDatadog {
        let state = Arc::new(Mutex::new(State { monitors, downtimes: Vec::new() }));
        let served = Served::start(|faults| Api(state.clone(), faults)).await;
        MockDatadog { served, state }
    }

    pub fn downtimes(&self) -> Vec<Value> {
        self.state.lock().unwrap().downtimes.clone()
    }
}

struct Api(Arc<Mutex<State>>, Arc<Faults>);

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let header = |n: &str| req.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if header("DD-API-KEY").as_deref() != Some(API_KEY) || header("DD-APPLICATION-KEY").as_deref() != Some(APP_KEY)
        {
            return ResponseTemplate::new(403).set_body_json(json!({"errors": ["Forbidden"]}));
        }
        if let Some(answer) = self.1.take(req) {
            return answer;
        }
        let mut s = self.0.lock().unwrap();
        let path = req.url.path().to_owned();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["api", "v1", "monitor"]) => {
                let after: u64 = query(req, "id_offset").and_then(|o| o.parse().ok()).unwrap_or(0);
                let size: usize = query(req, "page_size").and_then(|o| o.parse().ok()).unwrap_or(usize::MAX);
                let mut page: Vec<Value> =
                    s.monitors.iter().filter(|m| m["id"].as_u64().unwrap() > after).cloned().collect();
                page.sort_by_key(|m| m["id"].as_u64());
                page.truncate(size);
                ResponseTemplate::new(200).set_body_json(page)
            }
            ("GET", ["api", "v2", "downtime"]) => {
                let current: Vec<&Value> =
                    s.downtimes.iter().filter(|d| d["attributes"]["status"] != "canceled").collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"data": current, "meta": {"page": {"total_filtered_count": current.len()}}}))
            }
            ("POST", ["api", "v2", "downtime"]) => {
                let a = &body["data"]["attributes"];
                if body["data"]["type"] != "downtime" || !a["scope"].is_string() || !a["monitor_identifier"].is_object()
                {
                    return ResponseTemplate::new(400).set_body_json(json!({"errors": ["Invalid downtime"]}));
                }
                let mut attributes = a.clone();
                attributes["status"] = json!("active");
                let d = json!({"id": format!("00000000-0000-4000-8000-00000000000{}", s.downtimes.len() + 1), "type": "downtime", "attributes": attributes});
                s.downtimes.push(d.clone());
                ResponseTemplate::new(200).set_body_json(json!({"data": d}))
            }
            ("GET", ["api", "v2", "downtime", id]) => match s.downtimes.iter().find(|d| d["id"] == *id) {
                Some(d) => ResponseTemplate::new(200).set_body_json(json!({"data": d})),
                None => ResponseTemplate::new(404).set_body_json(json!({"errors": ["Downtime not found"]})),
            },
            ("DELETE", ["api", "v2", "downtime", id]) => match s.downtimes.iter_mut().find(|d| d["id"] == *id) {
                Some(d) => {
                    d["attributes"]["status"] = json!("canceled");
                    ResponseTemplate::new(204)
                }
                None => ResponseTemplate::new(404).set_body_json(json!({"errors": ["Downtime not found"]})),
            },
            _ => ResponseTemplate::new(404).set_body_json(json!({"errors": ["Not found"]})),
        }
    }
}
