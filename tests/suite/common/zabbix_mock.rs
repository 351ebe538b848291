#![allow(dead_code)]
//! A Zabbix JSON-RPC API that cannot lie about what it was asked: built from the documented
//! shapes (source-apis.md §2) for what a real 6.0 cannot show here (7.x's Bearer header,
//! sessions ending, thousands of problems). Every request is kept for the test to check.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::method, matchers::path};

/// How the mock behaves.
#[derive(Clone)]
pub struct Behaviour {
    pub version: &'static str,
    /// Problems with eventids 1..=problems.
    pub problems: usize,
    /// Answer this many authenticated calls with "Session terminated" first.
    pub expire_sessions: usize,
    /// Ignore eventid_till (a server that lies about paging).
    pub ignore_cursor: bool,
    /// Answer problem.get with this error object instead.
    pub problem_error: Option<Value>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour { version: "7.0.5", problems: 3, expire_sessions: 0, ignore_cursor: false, problem_error: None }
    }
}

/// One request as received: the JSON-RPC body and the Authorization header.
#[derive(Debug, Clone)]
pub struct Seen {
    pub body: Value,
    pub authorization: Option<String>,
}

impl Seen {
    pub fn method(&self) -> &str {
        self.body["method"].as_str().unwrap_or("")
    }
}

pub struct MockZabbix {
    pub server: MockServer,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Acknowledges made through `event.acknowledge`: (eventid, the acknowledge object).
    pub acks: Arc<Mutex<Vec<(String, Value)>>>,
}

impl MockZabbix {
    pub async fn start(b: Behaviour) -> MockZabbix {
        let server = MockServer::start().await;
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let state = Arc::new(Mutex::new((b, 0usize)));
        let log = seen.clone();
        let acks: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let made = acks.clone();
        Mock::given(method("POST"))
            .and(path("/api_jsonrpc.php"))
            .respond_with(move |req: &Request| {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let authorization = req.headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                log.lock().unwrap().push(Seen { body: body.clone(), authorization: authorization.clone() });
                let mut st = state.lock().unwrap();
                let (b, logins) = &mut *st;
                let id = body["id"].clone();
                let ok = |result: Value| ResponseTemplate::new(200).set_body_json(json!({"jsonrpc": "2.0", "result": result, "id": id}));
                let err = |e: Value| ResponseTemplate::new(200).set_body_json(json!({"jsonrpc": "2.0", "error": e, "id": id}));
                let m = body["method"].as_str().unwrap_or("");
                match m {
                    "apiinfo.version" => return ok(json!(b.version)),
                    "user.login" => {
                        *logins += 1;
                        return ok(json!(format!("session-{logins}")));
                    }
                    _ => {}
                }
                if b.expire_sessions > 0 {
                    b.expire_sessions -= 1;
                    return err(json!({"code": -32602, "message": "Invalid params.", "data": "Session terminated, re-login, please."}));
                }
                match m {
                    "problem.get" => {
                        if let Some(e) = &b.problem_error {
                            return err(e.clone());
                        }
                        let limit = body["params"]["limit"].as_u64().unwrap_or(u64::MAX) as usize;
                        let till = body["params"]["eventid_till"].as_str().and_then(|t| t.parse::<usize>().ok());
                        let top = if b.ignore_cursor { b.problems } else { till.unwrap_or(b.problems).min(b.problems) };
                        let made = made.lock().unwrap();
                        let with_acks = |n: usize| {
                            let mut p = problem(n);
                            let id = n.to_string();
                            for (_, a) in made.iter().filter(|(e, _)| *e == id) {
                                p["acknowledges"].as_array_mut().unwrap().push(a.clone());
                                p["acknowledged"] = json!("1");
                            }
                            p
                        };
                        ok(Value::Array((1..=top).rev().take(limit).map(with_acks).collect()))
                    }
                    // What a write-back needs (source-apis.md §2): acting on an event, and
                    // reading the event back.
                    "event.acknowledge" => {
                        let mut made = made.lock().unwrap();
                        let p = &body["params"];
                        let ids: Vec<String> = p["eventids"].as_array().cloned().unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
                        for id in &ids {
                            let ack = json!({"acknowledgeid": (made.len() + 1000).to_string(), "userid": "1", "clock": "1795000500",
                                             "message": p["message"].as_str().unwrap_or(""), "action": p["action"].to_string(),
                                             "old_severity": "0", "new_severity": p.get("severity").map_or("0".to_string(), |s| s.to_string())});
                            made.push((id.clone(), ack));
                        }
                        ok(json!({"eventids": ids}))
                    }
                    "event.get" => {
                        let made = made.lock().unwrap();
                        let ids = body["params"]["eventids"].as_array().cloned().unwrap_or_default();
                        let events: Vec<Value> = ids
                            .iter()
                            .filter_map(|v| v.as_str())
                            .map(|id| {
                                let acks: Vec<Value> = made.iter().filter(|(e, _)| e == id).map(|(_, a)| a.clone()).collect();
                                json!({"eventid": id, "severity": "3", "r_eventid": "0", "acknowledges": acks})
                            })
                            .collect();
                        ok(Value::Array(events))
                    }
                    "trigger.get" => {
                        let ids = body["params"]["triggerids"].as_array().cloned().unwrap_or_default();
                        ok(Value::Array(ids.iter().map(|t| trigger(t.as_str().unwrap_or("0"))).collect()))
                    }
                    "user.get" => ok(json!([{"userid": "1", "username": "Admin"}])),
                    other => err(json!({"code": -32601, "message": "Method not found.", "data": format!("Incorrect API \"{other}\".")})),
                }
            })
            .mount(&server)
            .await;
        MockZabbix { server, seen, acks }
    }

    /// The acknowledges made on event `eventid` through the API.
    pub fn acks_on(&self, eventid: &str) -> Vec<Value> {
        self.acks.lock().unwrap().iter().filter(|(e, _)| e == eventid).map(|(_, a)| a.clone()).collect()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Problem `n`, shaped as 6.0 and 7.0 send it (numbers as strings).
pub fn problem(n: usize) -> Value {
    json!({
        "eventid": n.to_string(), "source": "0", "object": "0", "objectid": (10_000 + n % 500).to_string(),
        "clock": (1_795_000_000 + n).to_string(), "ns": "0", "r_eventid": "0", "r_clock": "0", "r_ns": "0",
        "correlationid": "0", "userid": "0", "name": format!("High CPU on web-{n}"),
        "acknowledged": if n.is_multiple_of(10) { "1" } else { "0" }, "severity": (n % 6).to_string(), "suppressed": "0",
        "opdata": format!("load {}", n % 17), "urls": [],
        "tags": [{"tag": "service", "value": "web"}, {"tag": "env", "value": "prod"}],
        "acknowledges": if n.is_multiple_of(10) {
            json!([{"acknowledgeid": n.to_string(), "userid": "1", "clock": (1_795_000_100 + n).to_string(),
                    "message": "looking", "action": "6", "old_severity": "0", "new_severity": "0"}])
        } else { json!([]) },
        "suppression_data": []
    })
}

fn trigger(id: &str) -> Value {
    json!({"triggerid": id, "url": "", "hosts": [{"hostid": "1", "host": format!("web-{id}"), "name": format!("Web {id}")}]})
}
