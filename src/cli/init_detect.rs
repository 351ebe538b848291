//! What `klaxon init` finds out by itself: an Alertmanager, a Zabbix frontend or an Icinga 2
//! API on this machine's usual loopback ports, offered commented in the starter config. Each
//! probe is one short request that sends no credentials; a port that does not answer as that
//! server would is not offered.

use crate::sanitize::sanitize_line;
use std::net::SocketAddr;
use std::time::Duration;

/// Where to look: the servers' usual ports on loopback, or others (tests use free ports).
#[derive(Debug, Clone, Copy)]
pub struct Probes {
    pub alertmanager: SocketAddr,
    pub zabbix: SocketAddr,
    pub icinga2: SocketAddr,
    /// For each whole probe: a local server answers in milliseconds.
    pub timeout: Duration,
}

impl Default for Probes {
    fn default() -> Self {
        let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
        Probes {
            alertmanager: local(9093),
            zabbix: local(80),
            icinga2: local(5665),
            timeout: Duration::from_millis(700),
        }
    }
}

/// A server that answered, as it goes into the starter config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The source's `kind`.
    pub kind: &'static str,
    pub url: String,
    /// What it said about itself (its version), cleaned for printing.
    pub about: String,
}

/// Probes all three at once; what answered, in that order.
pub async fn detect(probes: &Probes) -> Vec<Found> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let build = |insecure: bool| {
        reqwest::Client::builder()
            .timeout(probes.timeout)
            .connect_timeout(probes.timeout)
            .no_proxy()
            // Only Icinga's probe: its API has a CA of its own, and nothing secret is sent.
            .danger_accept_invalid_certs(insecure)
            .build()
            .ok()
    };
    let (Some(plain), Some(insecure)) = (build(false), build(true)) else { return Vec::new() };
    let (am, zbx, ici) = tokio::join!(
        alertmanager(&plain, probes.alertmanager),
        zabbix(&plain, probes.zabbix),
        icinga2(&insecure, probes.icinga2)
    );
    [am, zbx, ici].into_iter().flatten().collect()
}

/// Each answer looked at is small; a larger one is not the server looked for.
const MAX_BYTES: u64 = 64 * 1024;

/// Alertmanager API v2's `/api/v2/status` names its version.
async fn alertmanager(client: &reqwest::Client, addr: SocketAddr) -> Option<Found> {
    let url = format!("http://{addr}");
    let body = crate::http::fetch(client.get(format!("{url}/api/v2/status")), MAX_BYTES).await.ok()?;
    let body: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let version = body.pointer("/versionInfo/version")?.as_str()?;
    Some(Found { kind: "alertmanager", url, about: format!("Alertmanager {}", sanitize_line(version)) })
}

/// Zabbix's JSON-RPC `apiinfo.version` needs no login; the frontend is under /zabbix on
/// Debian's package, at the root on others.
async fn zabbix(client: &reqwest::Client, addr: SocketAddr) -> Option<Found> {
    let call = serde_json::json!({"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1});
    for prefix in ["/zabbix", ""] {
        let url = format!("http://{addr}{prefix}");
        let req = client.post(format!("{url}/api_jsonrpc.php")).header("Content-Type", "application/json-rpc");
        let body = match crate::http::fetch(req.body(call.to_string()), MAX_BYTES).await {
            Ok(body) => serde_json::from_slice::<serde_json::Value>(&body).ok(),
            Err(crate::http::HttpError::Status { .. }) => None,
            // Nothing listens, or it does not speak HTTP: no other path will answer.
            Err(_) => return None,
        };
        if let Some(version) = body.as_ref().and_then(|b| b.get("result")).and_then(|v| v.as_str()) {
            return Some(Found { kind: "zabbix", url, about: format!("Zabbix API {}", sanitize_line(version)) });
        }
    }
    None
}

/// Icinga 2's API answers `/v1` without credentials with 401 and its realm.
async fn icinga2(client: &reqwest::Client, addr: SocketAddr) -> Option<Found> {
    let url = format!("https://{addr}");
    let resp = client.get(format!("{url}/v1")).send().await.ok()?;
    let realm = resp.headers().get("www-authenticate")?.to_str().ok()?;
    realm.contains("Icinga").then(|| Found { kind: "icinga2", url, about: "Icinga 2 API".into() })
}

/// The starter config with what was found offered, commented, after its own sources.
pub fn starter(found: &[Found]) -> String {
    let base = crate::settings::DEFAULT_TOML;
    if found.is_empty() {
        return base.to_owned();
    }
    let mut offer =
        String::from("# Found on this machine by `klaxon init` (uncomment to use; give the login it needs):\n");
    for f in found {
        offer.push_str(&format!(
            "#\n# {} at {}\n# [[sources]]\n# name = \"local-{}\"\n# kind = \"{}\"\n# url = \"{}\"\n",
            f.about, f.url, f.kind, f.kind, f.url
        ));
        if f.kind == "zabbix" {
            offer.push_str("# token_env = \"ZABBIX_TOKEN\"    # or username + password_env / password_file\n");
        }
        if f.kind == "icinga2" {
            offer.push_str("# ca_file = \"/var/lib/icinga2/certs/ca.crt\"\n# username = \"klaxon\"             # an ApiUser\n# password_file = \"~/.config/klaxon/icinga.pass\"\n");
        }
    }
    offer.push('\n');
    match base.find(SOURCES_END) {
        Some(at) => format!("{}{offer}{}", &base[..at], &base[at..]),
        None => format!("{base}\n{offer}"),
    }
}

/// The line the starter config's schedules begin with: found sources go just before it.
const SOURCES_END: &str = "# Who holds the pager";
