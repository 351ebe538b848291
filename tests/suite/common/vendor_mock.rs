//! What the incident-platform mocks share (PagerDuty, Opsgenie, Grafana OnCall, Datadog):
//! scripted failures answered instead of the real thing, and the writes a test counts.

use std::collections::VecDeque;
use std::sync::Mutex;
use wiremock::{Request, ResponseTemplate};

/// Answers given instead of the real one, first match first: (method, path prefix, answer).
#[derive(Default)]
pub struct Faults(Mutex<VecDeque<(String, String, ResponseTemplate)>>);

impl Faults {
    /// The next `method` request under `path` gets `answer` instead.
    pub fn push(&self, method: &str, path: &str, answer: ResponseTemplate) {
        self.0.lock().unwrap().push_back((method.into(), path.into(), answer));
    }

    /// The scripted answer for `req`, if one is due.
    pub fn take(&self, req: &Request) -> Option<ResponseTemplate> {
        let mut q = self.0.lock().unwrap();
        let (method, path) = (req.method.as_str(), req.url.path());
        let i = q.iter().position(|(m, p, _)| m == method && path.starts_with(p.as_str()))?;
        q.remove(i).map(|f| f.2)
    }
}

/// The writes among `requests` as "METHOD path body", for counting.
pub fn writes(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| format!("{} {} {}", r.method, r.url.path(), String::from_utf8_lossy(&r.body)))
        .collect()
}

/// A query parameter's first value.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
