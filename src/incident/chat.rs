//! Status updates to a chat: a Mattermost/Slack-compatible incoming webhook, `POST
//! {"text": …}` with the update's text exactly as written. It is an outbox target
//! (`@chat:<name>`), so the update is durable before it is posted and retried until the
//! chat takes it.
//!
//! Exactly once: a chat webhook has no idempotency key and cannot be asked what it got. So
//! an update is posted again only when it certainly did not arrive: the connection was
//! never made, or the chat answered with an error. Once the request has gone out and the
//! answer is lost (reset, timeout), it counts as posted and says so ("answer lost"): a
//! second post would be the duplicate people see in the channel.

use crate::config::Secret;
use crate::http::{self, Limits};
use crate::model::{MirrorDone, MirrorOp, PriorUpdate};
use crate::sources::{MirrorFuture, SourceError};
use std::time::Duration;

pub const TARGET_PREFIX: &str = "@chat:";

pub struct ChatPager {
    target: String,
    name: String,
    /// A secret: the URL is the credential.
    url: Secret,
    client: reqwest::Client,
    timeout: Duration,
}

impl ChatPager {
    pub fn new(name: &str, url: Secret, timeout: Duration) -> Result<Self, SourceError> {
        let client = http::client(Limits::for_source(timeout, 64 * 1024), None)?;
        Ok(ChatPager { target: format!("{TARGET_PREFIX}{name}"), name: name.to_owned(), url, client, timeout })
    }
}

/// The text of a status update entry ([`super::Event::Update`]); None for any other.
pub fn update_text(op: &MirrorOp) -> Option<String> {
    match serde_json::from_str(&op.text).ok()? {
        super::Event::Update { text, .. } => Some(text),
        _ => None,
    }
}

impl crate::pagers::Pager for ChatPager {
    fn target(&self) -> &str {
        &self.target
    }

    fn label(&self) -> String {
        format!("chat {}", self.name)
    }

    /// Not part of the escalation chain ([`crate::pagers::chain`] leaves chats out).
    fn level(&self) -> Option<i64> {
        None
    }

    /// A little longer than the client's own timeout, so that one (an answer lost after the
    /// request went) is what ends a slow post.
    fn timeout(&self) -> Duration {
        self.timeout + Duration::from_secs(2)
    }

    fn page<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        Box::pin(async move {
            let text =
                update_text(op).ok_or_else(|| SourceError::new(format!("{} is not a status update", op.op_id)))?;
            let body = serde_json::json!({ "text": text }).to_string();
            let req = self.client.post(self.url.expose()).header("Content-Type", "application/json").body(body);
            match req.send().await {
                // Never connected: nothing was posted, so it may go again.
                Err(e) if e.is_connect() => Err(http::describe(e).into()),
                Err(e) => Ok(MirrorDone {
                    remote_id: Some("answer-lost".into()),
                    prior: PriorUpdate::Keep,
                    summary: format!(
                        "update sent to chat {}; its answer was lost ({}), so it is not posted twice",
                        self.name,
                        SourceError::from(http::describe(e))
                    ),
                }),
                Ok(resp) => {
                    http::accepted(resp, 64 * 1024).await?;
                    Ok(MirrorDone {
                        remote_id: None,
                        prior: PriorUpdate::Keep,
                        summary: format!("update posted to chat {}", self.name),
                    })
                }
            }
        })
    }
}
