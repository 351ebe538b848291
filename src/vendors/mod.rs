//! The incident platforms klaxon talks to for more than one thing (PagerDuty, Opsgenie,
//! Grafana OnCall: schedules, incidents and pages; Datadog: monitors). Per vendor, one file
//! says where its API is and how it is authenticated; [`VendorClient`] is the one way all
//! of them are asked — auth headers on every request, the size cap, rate limits (429 with
//! `Retry-After`/`ratelimit-reset`) and 5xx retried with backoff — used alike by the
//! vendor's schedule (`oncall/`), alert source (`sources/`) and pager (`pagers/`).

pub mod datadog;
pub mod grafana_oncall;
pub mod opsgenie;
pub mod pagerduty;

use crate::config::Secret;
use crate::http::{self, Limits, Retry};
use crate::sources::SourceError;
use reqwest::Method;
use serde_json::Value;
use std::path::Path;

/// One vendor API: its base URL, the headers every request carries (credentials among
/// them, kept as secrets so no error or log can show them), and the retry rules.
pub struct VendorClient {
    pub base: String,
    client: reqwest::Client,
    headers: Vec<(&'static str, Secret)>,
    max_bytes: u64,
    retry: Retry,
}

impl VendorClient {
    /// `url`: the configured API base, else `default_url` (the vendor's SaaS); `vendor`
    /// names it in the error when there is neither.
    pub fn new(
        vendor: &str,
        url: Option<&str>,
        default_url: Option<&str>,
        headers: Vec<(&'static str, Secret)>,
        limits: Limits,
        ca_file: Option<&Path>,
    ) -> Result<VendorClient, SourceError> {
        let base = url.or(default_url).ok_or_else(|| SourceError::new(format!("{vendor} needs the API url")))?;
        Ok(VendorClient {
            base: base.trim_end_matches('/').to_owned(),
            client: http::client(limits, ca_file)?,
            headers,
            max_bytes: limits.max_bytes,
            retry: Retry::default(),
        })
    }

    /// Retries wait from `base` (tests keep it short).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// `path` under the base, or a whole URL the API gave (a `next` page link): its path and
    /// query, asked of the configured server — a proxy or another name in front of the API
    /// changes the host it writes, and the key never goes to a host the config did not name.
    fn url(&self, path: &str) -> Result<String, SourceError> {
        if !(path.starts_with("http://") || path.starts_with("https://")) {
            return Ok(format!("{}{path}", self.base));
        }
        let (next, base) = (reqwest::Url::parse(path), reqwest::Url::parse(&self.base));
        let (Ok(next), Ok(base)) = (next, base) else {
            return Err(SourceError::new("the API gave a next page that is not a URL"));
        };
        if !next.path().starts_with(base.path().trim_end_matches('/')) {
            return Err(SourceError::new("the API gave a next page outside its own API"));
        }
        let origin = base.origin().ascii_serialization();
        Ok(match next.query() {
            Some(q) => format!("{origin}{}?{q}", next.path()),
            None => format!("{origin}{}", next.path()),
        })
    }

    /// A request to `url` with the vendor's headers.
    fn request(&self, method: &Method, url: &str) -> reqwest::RequestBuilder {
        self.headers.iter().fold(self.client.request(method.clone(), url), |r, (n, v)| r.header(*n, v.expose()))
    }

    /// One call: the vendor's headers, then `extra` (PagerDuty's `From`), a JSON body when
    /// given; answered with the body of a 2xx, else an error naming the call (a refused key
    /// said so, without the key: the header is never in an error and what the server echoed
    /// is redacted). Any call is sent again after a 429 (it was not done) or a connection
    /// that never opened; only a GET after a 5xx or a lost answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        extra: &[(&'static str, String)],
    ) -> Result<Vec<u8>, SourceError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let url = self.url(path)?;
        let body = body.map(Value::to_string);
        let make = || {
            let req = extra.iter().fold(self.request(&method, &url).query(query), |r, (n, v)| r.header(*n, v));
            match &body {
                Some(b) => req.header("Content-Type", "application/json").body(b.clone()),
                None => req,
            }
        };
        // Only a read is sent again after a 5xx or a lost answer: a write may have been done,
        // and the outbox retries it after looking (a retry here would write twice).
        let replay = method == Method::GET;
        http::fetch_retrying(make, self.max_bytes, self.retry, replay).await.map_err(|e| Self::said(&what, &e))
    }

    /// What a failed call says: which call, and a refused key as such.
    fn said(what: &str, e: &http::HttpError) -> SourceError {
        match e.status() {
            Some(401 | 403) => SourceError::new(format!(
                "{} ({what}: the API key was refused; check it, or whether it expired)",
                e.clean()
            )),
            _ => SourceError::new(format!("{} ({what})", e.clean())),
        }
    }

    /// [`send`](Self::send) with no extra headers, the answer decoded.
    pub async fn json<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        extra: &[(&'static str, String)],
    ) -> Result<T, SourceError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let bytes = self.send(method, path, &[], body, extra).await?;
        serde_json::from_slice(&bytes).map_err(|e| SourceError::new(format!("{what}: unexpected answer ({e})")))
    }

    /// A GET decoded; None when the thing is not there (404).
    pub async fn get_opt<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, SourceError> {
        let url = self.url(path)?;
        let make = || self.request(&Method::GET, &url);
        match http::fetch_retrying(make, self.max_bytes, self.retry, true).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SourceError::new(format!("GET {path}: unexpected answer ({e})"))),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(Self::said(&format!("GET {path}"), &e)),
        }
    }

    /// A GET decoded.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, SourceError> {
        let bytes = self.send(Method::GET, path, query, None, &[]).await?;
        serde_json::from_slice(&bytes).map_err(|e| SourceError::new(format!("GET {path}: unexpected answer ({e})")))
    }
}

/// One URL path segment, percent-escaped: an id or name from outside stays one segment.
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
