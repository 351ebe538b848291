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

/// A vendor mock's server and its scripted failures; each mock derefs to it.
pub struct Served {
    pub server: wiremock::MockServer,
    pub faults: std::sync::Arc<Faults>,
}

impl Served {
    /// A server on a free port answering everything with what `api` makes of the faults.
    pub async fn start<R: wiremock::Respond + 'static>(api: impl FnOnce(std::sync::Arc<Faults>) -> R) -> Served {
        let server = wiremock::MockServer::start().await;
        let faults = std::sync::Arc::new(Faults::default());
        wiremock::Mock::given(wiremock::matchers::any()).respond_with(api(faults.clone())).mount(&server).await;
        Served { server, faults }
    }

    /// The next `method` request under `path` gets `answer` instead.
    pub fn fail_next(&self, method: &str, path: &str, answer: ResponseTemplate) {
        self.faults.push(method, path, answer);
    }

    /// Every request received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}

/// A secret in a 0600 file in `dir`, as a person keeps it.
pub fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("{value}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The source one `[[sources]]` table describes, built as klaxon builds it.
pub fn source(table: &str) -> Box<dyn klaxon::sources::AlertSource> {
    let cfg = klaxon::settings::parse(&format!("[[sources]]\n{table}"), "k.toml").expect("config");
    klaxon::sources::build(&cfg.sources[0]).expect("source")
}

/// An outbox action of `kind` by alice on `<source>/<id>`, op id "op-<kind>".
pub fn op(
    kind: klaxon::model::EntryKind,
    source: &str,
    id: &str,
    text: &str,
    level: Option<i64>,
) -> klaxon::model::MirrorOp {
    klaxon::model::MirrorOp {
        op_id: format!("op-{}", kind.name()),
        alert_key: klaxon::model::AlertKey::new(source, id),
        kind,
        actor: "alice".into(),
        text: text.into(),
        level,
        labels: Default::default(),
        created_at: chrono::Utc::now(),
        attempts: 0,
        prior: None,
    }
}
