//! Datadog's API: `DD-API-KEY` and `DD-APPLICATION-KEY` on every request, one host per
//! site (docs.datadoghq.com/api, "Authentication").

use super::VendorClient;
use crate::config::Secret;
use crate::http::Limits;
use crate::sources::SourceError;
use std::path::Path;

/// US1; other sites: api.datadoghq.eu, api.us3.datadoghq.com, api.us5.datadoghq.com, api.ap1.datadoghq.com.
pub const DEFAULT_URL: &str = "https://api.datadoghq.com";

pub fn client(
    url: Option<&str>,
    api_key: &Secret,
    app_key: &Secret,
    limits: Limits,
    ca_file: Option<&Path>,
) -> Result<VendorClient, SourceError> {
    let headers = vec![("DD-API-KEY", api_key.clone()), ("DD-APPLICATION-KEY", app_key.clone())];
    VendorClient::new("datadog", url, Some(DEFAULT_URL), headers, limits, ca_file)
}
