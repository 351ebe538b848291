//! Grafana OnCall's public API (`/api/v1/`): the token as the whole `Authorization` header,
//! no "Bearer" (grafana.com/docs/oncall, "API reference: authentication"). No SaaS default:
//! the URL is each stack's. The schedule, the pager and the alert source ask through this.

use super::VendorClient;
use crate::config::Secret;
use crate::http::Limits;
use crate::sources::SourceError;
use std::path::Path;

pub fn client(
    url: Option<&str>,
    token: &Secret,
    limits: Limits,
    ca_file: Option<&Path>,
) -> Result<VendorClient, SourceError> {
    VendorClient::new("grafana-oncall", url, None, vec![("Authorization", token.clone())], limits, ca_file)
}
