//! Paging through a Mattermost/Slack-compatible incoming webhook: `POST {"text": …}`.
//! It is the outbox's [`PAGER`](crate::escalation::PAGER) target, for every escalation level:
//! the escalation entry is stored first, the page is sent by `sync::drain` and retried with
//! backoff until the receiver answers 2xx. Chat webhooks have no idempotency key, so a page whose answer
//! was lost may be posted twice: at least once, never lost.

use crate::config::Secret;
use crate::http::{self, Limits};
use crate::model::{MirrorDone, MirrorOp, PriorUpdate};
use crate::sources::{MirrorFuture, SourceError};
use std::time::Duration;

pub struct WebhookPager {
    /// A secret: the URL is the credential.
    url: Secret,
    client: reqwest::Client,
    timeout: Duration,
}

impl WebhookPager {
    pub fn new(url: Secret, timeout: Duration) -> Result<Self, SourceError> {
        Ok(WebhookPager { url, client: http::client(Limits::for_source(timeout, 64 * 1024), None)?, timeout })
    }
}

impl super::Pager for WebhookPager {
    fn target(&self) -> &str {
        crate::escalation::PAGER
    }

    fn label(&self) -> String {
        "webhook".into()
    }

    fn level(&self) -> Option<i64> {
        None
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn page<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            let body = serde_json::json!({ "text": crate::escalation::message(op) }).to_string();
            let req = self.client.post(self.url.expose()).header("Content-Type", "application/json").body(body);
            http::fetch(req, 64 * 1024).await?;
            Ok(MirrorDone { remote_id: None, prior: PriorUpdate::Keep, summary: "page posted to the webhook".into() })
        })
    }
}
