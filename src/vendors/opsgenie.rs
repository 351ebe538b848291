//! Opsgenie's REST API: `Authorization: GenieKey <key>` (docs.opsgenie.com, "Authentication");
//! the schedule ([`crate::oncall::opsgenie`]) and the alert source ask through this client.

use super::VendorClient;
use crate::config::Secret;
use crate::http::Limits;
use crate::sources::SourceError;
use std::path::Path;

/// The US API; the EU one is `https://api.eu.opsgenie.com`.
pub const DEFAULT_URL: &str = "https://api.opsgenie.com";

pub fn client(
    url: Option<&str>,
    key: &Secret,
    limits: Limits,
    ca_file: Option<&Path>,
) -> Result<VendorClient, SourceError> {
    let headers = vec![("Authorization", Secret::derived(format!("GenieKey {}", key.expose())))];
    VendorClient::new("opsgenie", url, Some(DEFAULT_URL), headers, limits, ca_file)
}
