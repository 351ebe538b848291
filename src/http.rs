//! Bounded HTTP for every integration (sources, schedules, logs, pagers, runbook sites):
//! connect, read and total timeouts on every client, a cap on every body, and a typed error
//! whose words never echo a credential (what a server sends back is cleaned of every known
//! secret before it is cut short or shown). Code decides on the variant, never on the words.

use std::path::Path;
use std::time::Duration;

/// Why a request failed. Its text is what people read (after the integration's name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The server answered, but not 2xx; `said` is the start of its body, secrets taken out
    /// (the words are cleaned for a screen where they become a `SourceError`).
    #[error("HTTP {}: {said}", status_line(*.code))]
    Status { code: u16, said: String },
    /// The body is over the `max_bytes` cap.
    #[error("response larger than the {0}-byte cap (max_bytes)")]
    TooLarge(u64),
    /// The body broke off or could not be decoded.
    #[error("broken response: {0}")]
    Decode(String),
    /// The request failed some other way (a redirect loop, a bad header).
    #[error("request failed: {0}")]
    Request(String),
    /// The client could not be set up (a CA file that does not read).
    #[error("{0}")]
    Setup(String),
}

/// "503 Service Unavailable", as reqwest writes a status.
fn status_line(code: u16) -> String {
    reqwest::StatusCode::from_u16(code).map_or_else(|_| code.to_string(), |s| s.to_string())
}

impl HttpError {
    /// The words for a screen, a log or a file: every known secret out, control characters
    /// cleaned (what `SourceError` holds).
    pub fn clean(&self) -> String {
        crate::sanitize::sanitize_line(&crate::config::redact(&self.to_string()))
    }

    /// The HTTP status, when the server answered with one that is not 2xx.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    /// Longest wait for the next bytes of a response.
    pub read: Duration,
    /// Whole request, first byte to last.
    pub total: Duration,
    pub max_bytes: u64,
}

impl Limits {
    /// From a source's total timeout and size cap: connecting may take a third of it at
    /// most (and never over 5 s), a silence on the wire half.
    pub fn for_source(total: Duration, max_bytes: u64) -> Limits {
        Limits { connect: (total / 3).min(Duration::from_secs(5)), read: total / 2, total, max_bytes }
    }
}

/// A client with `limits` applied; `extra_ca` adds a PEM file of trusted CAs.
pub fn client(limits: Limits, extra_ca: Option<&Path>) -> Result<reqwest::Client, HttpError> {
    client_with_identity(limits, extra_ca, None)
}

/// The same, presenting a client certificate: `identity` is PEM holding the certificate
/// (chain) and its private key (read by the caller, who checks the key file is private).
pub fn client_with_identity(
    limits: Limits,
    extra_ca: Option<&Path>,
    identity: Option<&[u8]>,
) -> Result<reqwest::Client, HttpError> {
    // The system's CAs are read at the first handshake, not here (`crate::tls`).
    let tls = crate::tls::client_config(extra_ca, identity).map_err(HttpError::Setup)?;
    let builder = reqwest::Client::builder()
        .connect_timeout(limits.connect)
        .read_timeout(limits.read)
        .timeout(limits.total)
        .user_agent(concat!("klaxon/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls);
    builder.build().map_err(|e| HttpError::Setup(format!("cannot build HTTP client: {e}")))
}

/// Sends `req` and reads at most `max_bytes` of a 2xx body. Anything else is an error
/// naming the status and the start of what the server said.
pub async fn fetch(req: reqwest::RequestBuilder, max_bytes: u64) -> Result<Vec<u8>, HttpError> {
    let mut resp = open(req, max_bytes).await?;
    read_body(&mut resp, max_bytes).await
}

/// Sends `req` and reads at most `max_bytes` of the body whatever the status, for APIs
/// whose error answers say why in a shape of their own (Prometheus's `{"error": …}`).
pub async fn fetch_any(req: reqwest::RequestBuilder, max_bytes: u64) -> Result<(u16, Vec<u8>), HttpError> {
    let mut resp = admitted(req.send().await.map_err(describe)?, max_bytes)?;
    let body = read_body(&mut resp, max_bytes).await?;
    Ok((resp.status().as_u16(), body))
}

/// Sends `req` and hands back a 2xx answer unread, for a body read as it arrives (with
/// [`next_chunk`], counting against the cap itself). Anything else is the error [`fetch`] gives.
pub async fn open(req: reqwest::RequestBuilder, max_bytes: u64) -> Result<reqwest::Response, HttpError> {
    let (client, req) = req.build_split();
    let req = req.map_err(describe)?;
    let write = !matches!(*req.method(), reqwest::Method::GET | reqwest::Method::HEAD);
    let asked = req.url().clone();
    let resp = client.execute(req).await.map_err(describe)?;
    // The client follows redirects, and a 301, 302 or 303 turns a POST into a GET: a 2xx
    // after one says nothing of the write (a webhook behind a login page answered 200). A
    // write that was redirected is not done; the addresses are left out (a webhook's is a
    // secret).
    if write && resp.url() != &asked {
        return Err(HttpError::Request(
            "the server redirected the write to another address; it is not taken as done (configure the address it redirects to)".into(),
        ));
    }
    succeeded(admitted(resp, max_bytes)?, max_bytes).await
}

/// How a rate-limited or failing API is asked again within one call (vendor SaaS APIs).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Sends in all, the first included.
    pub tries: u32,
    /// What the backoff after a 5xx or a lost connection doubles from.
    pub base: Duration,
    /// A 429 asking for a longer wait than this fails the call at once, saying how long.
    pub longest_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { tries: 3, base: Duration::from_millis(500), longest_wait: Duration::from_secs(30) }
    }
}

/// [`fetch`], asked again as `retry` allows: a 429 after the wait its `Retry-After` (seconds
/// or a date) or `ratelimit-reset` (seconds) names, a 5xx or a lost connection after a
/// backoff, but only when `replay` says sending it twice does no harm (a GET, an
/// idempotent PUT). A 4xx other than 429 is never asked again: it would only fail again.
pub async fn fetch_retrying(
    make: impl Fn() -> reqwest::RequestBuilder,
    max_bytes: u64,
    retry: Retry,
    replay: bool,
) -> Result<Vec<u8>, HttpError> {
    let mut attempt = 1;
    loop {
        let last = attempt >= retry.tries.max(1);
        let wait = match make().send().await {
            // A request that never reached the server may always go again.
            Err(e) if !last && (replay || e.is_connect()) => {
                crate::periodic::backoff(retry.base, attempt, fastrand::f64())
            }
            Err(e) => return Err(describe(e)),
            Ok(resp) if resp.status().as_u16() == 429 && !last => match rate_limit_wait(resp.headers()) {
                Some(w) if w > retry.longest_wait => {
                    return Err(HttpError::Status {
                        code: 429,
                        said: format!("rate limited: the server asks to wait {}s", w.as_secs()),
                    });
                }
                Some(w) => w,
                None => crate::periodic::backoff(retry.base, attempt, fastrand::f64()),
            },
            Ok(resp) if resp.status().is_server_error() && replay && !last => {
                crate::periodic::backoff(retry.base, attempt, fastrand::f64())
            }
            Ok(resp) => {
                let mut resp = succeeded(admitted(resp, max_bytes)?, max_bytes).await?;
                return read_body(&mut resp, max_bytes).await;
            }
        };
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// How long a 429 asks to wait: `Retry-After` (seconds, or an HTTP date), else the
/// `ratelimit-reset` seconds PagerDuty and others send.
pub fn rate_limit_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some((at.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().unwrap_or_default());
        }
    }
    text("ratelimit-reset")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| (0.0..1e9).contains(s))
        .map(Duration::from_secs_f64)
}

/// An answer that announces more than `max_bytes` is refused before it is read.
fn admitted(resp: reqwest::Response, max_bytes: u64) -> Result<reqwest::Response, HttpError> {
    if resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(HttpError::TooLarge(max_bytes));
    }
    Ok(resp)
}

/// A 2xx answer, unread; anything else is an error naming the status and the start of
/// what the server said.
async fn succeeded(mut resp: reqwest::Response, max_bytes: u64) -> Result<reqwest::Response, HttpError> {
    let status = resp.status();
    if !status.is_success() {
        let body = read_body(&mut resp, max_bytes).await?;
        // Secrets out first, then cut: cutting first could leave half a token behind.
        let said = crate::config::redact(&String::from_utf8_lossy(&body));
        let said: String = said.chars().take(200).collect();
        return Err(HttpError::Status { code: status.as_u16(), said });
    }
    Ok(resp)
}

/// The next piece of a body [`open`] handed back; None at its end.
pub async fn next_chunk(resp: &mut reqwest::Response) -> Result<Option<Vec<u8>>, HttpError> {
    Ok(resp.chunk().await.map_err(describe)?.map(|b| b.to_vec()))
}

/// The rest of a body [`open`] handed back, at most `max_bytes` of it (for answers whose
/// headers matter too).
pub async fn read_body(resp: &mut reqwest::Response, max_bytes: u64) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    each_chunk(resp, max_bytes, |chunk| {
        body.extend_from_slice(chunk);
        true
    })
    .await?;
    Ok(body)
}

/// Hands each piece of the rest of a body to `take` as it arrives, at most `max_bytes` in
/// all (the same error as [`read_body`] past it), until the end or until `take` says false.
pub async fn each_chunk(
    resp: &mut reqwest::Response,
    max_bytes: u64,
    mut take: impl FnMut(&[u8]) -> bool,
) -> Result<(), HttpError> {
    let mut read = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(describe)? {
        read += chunk.len() as u64;
        if read > max_bytes {
            return Err(HttpError::TooLarge(max_bytes));
        }
        if !take(&chunk) {
            break;
        }
    }
    Ok(())
}

/// A response already received: Ok for a 2xx (its body unread), else the error [`fetch`] gives.
pub async fn accepted(resp: reqwest::Response, max_bytes: u64) -> Result<(), HttpError> {
    succeeded(admitted(resp, max_bytes)?, max_bytes).await.map(drop)
}

/// reqwest's errors print the URL; strip any user:password from it.
pub fn describe(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpError::Timeout
    } else if e.is_connect() {
        HttpError::Connect
    } else if e.is_body() || e.is_decode() {
        HttpError::Decode
    } else {
        HttpError::Request
    };
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    kind(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-connection server on a free loopback port that answers with `reply`
    /// (or nothing at all, when `reply` is None).
    async fn serve(reply: Option<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            match reply {
                Some(bytes) => {
                    let _ = sock.write_all(&bytes).await;
                }
                None => std::future::pending::<()>().await,
            }
        });
        format!("http://{addr}/")
    }

    fn limits() -> Limits {
        Limits {
            connect: Duration::from_secs(2),
            read: Duration::from_millis(300),
            total: Duration::from_secs(2),
            max_bytes: 1000,
        }
    }

    #[tokio::test]
    async fn reads_a_body_within_the_cap() {
        let url = serve(Some(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec())).await;
        let c = client(limits(), None).unwrap();
        assert_eq!(fetch(c.get(url), 1000).await.unwrap(), b"hello");
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_cap_declared_or_not() {
        let big = format!("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{}", "x".repeat(5000));
        let c = client(limits(), None).unwrap();
        let err = fetch(c.get(serve(Some(big.into_bytes())).await), 1000).await.unwrap_err();
        assert!(err.to_string().contains("1000-byte cap"), "{err}");
        let chunked =
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n{}\r\n0\r\n\r\n", "y".repeat(2000));
        let err = fetch(c.get(serve(Some(chunked.into_bytes())).await), 1000).await.unwrap_err();
        assert!(err.to_string().contains("1000-byte cap"), "{err}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let c = client(limits(), None).unwrap();
        let err = fetch(c.get(serve(None).await), 1000).await.unwrap_err();
        assert!(err.to_string().starts_with("timed out"), "{err}");
    }

    #[tokio::test]
    async fn errors_name_status_and_hide_credentials() {
        let url = serve(Some(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".to_vec())).await;
        let c = client(limits(), None).unwrap();
        let err = fetch(c.get(url), 1000).await.unwrap_err();
        assert_eq!(err.to_string(), "HTTP 503 Service Unavailable: busy");
        assert_eq!(err.status(), Some(503));
        let dead = "http://user:hunter2@127.0.0.1:1/";
        let err = fetch(c.get(dead), 1000).await.unwrap_err();
        assert!(err.to_string().starts_with("cannot connect") && !err.to_string().contains("hunter2"), "{err}");
    }
}

/// How requests log in; the secrets are read once, when the source is built.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(crate::config::Secret),
    /// Elasticsearch's `Authorization: ApiKey <base64 id:key>`.
    ApiKey(crate::config::Secret),
    Basic {
        user: String,
        password: crate::config::Secret,
    },
}

impl Auth {
    /// A token as `Bearer`, a username with a password as basic auth.
    pub fn from_login(login: crate::config::Credentials) -> Auth {
        match login {
            crate::config::Credentials::Token(t) => Auth::Bearer(t),
            crate::config::Credentials::Password { username, password } => Auth::basic(username, password),
            crate::config::Credentials::None => Auth::None,
        }
    }

    /// Basic auth; what goes on the wire (base64 of both) is remembered as a secret too,
    /// since a server echoing the header echoes that.
    pub fn basic(user: String, password: crate::config::Secret) -> Auth {
        crate::config::Secret::remember_basic(&user, &password);
        Auth::Basic { user, password }
    }

    pub fn apply(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(token.expose()),
            Auth::ApiKey(key) => req.header(reqwest::header::AUTHORIZATION, format!("ApiKey {}", key.expose())),
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
        }
    }
}
