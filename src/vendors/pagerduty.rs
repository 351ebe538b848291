//! PagerDuty's REST API v2: `Authorization: Token token=<key>` and the versioned `Accept`
//! on every request (developer.pagerduty.com, "Authentication" and "Versioning"); the
//! schedule ([`crate::oncall::pagerduty`]) and the alert source
//! ([`crate::sources::pagerduty`]) both ask through this client.

use super::VendorClient;
use crate::config::Secret;
use crate::http::Limits;
use crate::sources::SourceError;
use std::path::Path;

pub const DEFAULT_URL: &str = "https://api.pagerduty.com";

pub fn client(
    url: Option<&str>,
    key: &Secret,
    limits: Limits,
    ca_file: Option<&Path>,
) -> Result<VendorClient, SourceError> {
    let headers = vec![
        ("Authorization", Secret::derived(format!("Token token={}", key.expose()))),
        ("Accept", Secret::from_config("application/vnd.pagerduty+json;version=2")),
    ];
    VendorClient::new("pagerduty", url, Some(DEFAULT_URL), headers, limits, ca_file)
}
