//! Remote runbooks (`runbook_url = "https://…"`) read once and kept on disk, so they are
//! there when the wiki is down or the laptop is on a train. Never executed: only shown.

use super::index::{Library, Mirrored, Origin, Runbook};
use super::link::Reference;
use crate::http::{self, Limits};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use std::time::Duration;

/// A runbook page larger than this is not a runbook.
const MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone)]
pub struct RemoteCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    url: String,
    fetched_at: DateTime<Utc>,
}

impl RemoteCache {
    pub fn new(dir: &Path) -> Self {
        RemoteCache { dir: dir.to_path_buf() }
    }

    fn stem(&self, url: &str) -> PathBuf {
        // FNV-1a: stable across versions, fine for naming files.
        let h = url.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        self.dir.join(format!("{h:016x}"))
    }

    /// The cached copy of `url`, if there is one.
    pub fn cached(&self, url: &str) -> Option<Runbook> {
        let stem = self.stem(url);
        let meta: Meta = serde_json::from_slice(&std::fs::read(stem.with_extension("json")).ok()?).ok()?;
        if meta.url != url {
            return None;
        }
        let text = std::fs::read_to_string(stem.with_extension("md")).ok()?;
        Some(Runbook::from_document(
            url,
            &text,
            Origin::Remote { url: meta.url, fetched_at: meta.fetched_at, from_cache: true },
        ))
    }

    fn store(&self, url: &str, text: &str, at: DateTime<Utc>) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let stem = self.stem(url);
        std::fs::write(stem.with_extension("md"), text)?;
        std::fs::write(stem.with_extension("json"), serde_json::to_vec(&Meta { url: url.to_owned(), fetched_at: at })?)
    }

    /// Reads `url` (bounded), keeps a copy; when it cannot be reached, the copy is used.
    pub async fn fetch(&self, url: &str) -> Result<Runbook, String> {
        let fetched = async {
            let client = http::client(Limits::for_source(Duration::from_secs(10), MAX_BYTES), None)?;
            http::fetch(client.get(url).header("Accept", "text/markdown, text/plain;q=0.9, */*;q=0.5"), MAX_BYTES).await
        }
        .await;
        match fetched {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let at = Utc::now();
                let _ = self.store(url, &text, at);
                Ok(Runbook::from_document(
                    url,
                    &text,
                    Origin::Remote { url: url.to_owned(), fetched_at: at, from_cache: false },
                ))
            }
            Err(e) => {
                let e = e.clean();
                self.cached(url).ok_or_else(|| format!("cannot read {url}: {e}; no copy is cached"))
            }
        }
    }
}

/// Reads what a reference names: a library name, a local file, or a URL (a mirror's local
/// copy when there is one, without touching the network; else through the cache).
pub async fn load(lib: &Library, cache: &RemoteCache, reference: &Reference) -> Result<Runbook, String> {
    match reference {
        Reference::Name(name) => lib.find(name).cloned().ok_or_else(|| format!("no runbook named {name:?}")),
        Reference::Path(path) => {
            let path = super::load::absolute(path);
            if let Some(rb) = lib.at_path(&path) {
                return Ok(rb.clone());
            }
            tokio::task::spawn_blocking(move || {
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let found = super::load::Found { name: path.display().to_string(), stem, path };
                super::load::read(&found).map(|(rb, _)| rb)
            })
            .await
            .map_err(|e| e.to_string())?
        }
        Reference::Url(url) => match lib.mirrored(url) {
            Mirrored::Found(rb) => Ok(rb.clone()),
            _ => cache.fetch(url).await,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves `body` to one request, then goes away.
    async fn serve_once(body: &'static str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/markdown\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
        });
        format!("http://{addr}/runbooks/db")
    }

    #[tokio::test]
    async fn a_remote_runbook_is_read_kept_and_shown_from_the_cache_when_the_server_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RemoteCache::new(dir.path());
        let url = serve_once("# Database failover\n\n1. Check \x1b[31mreplication\n").await;
        let rb = cache.fetch(&url).await.unwrap();
        assert_eq!(rb.title, "Database failover");
        assert!(rb.body.contains("Check [31mreplication"), "sanitized: {:?}", rb.body);
        assert!(matches!(rb.origin, Origin::Remote { from_cache: false, .. }));
        // The one-shot server is gone now: the copy is shown, marked as cached.
        let again = cache.fetch(&url).await.unwrap();
        assert_eq!(again.title, "Database failover");
        let Origin::Remote { from_cache, fetched_at, .. } = again.origin else { panic!() };
        assert!(from_cache && fetched_at <= Utc::now());
        // A URL never read, with nothing cached: a clear error.
        let err = cache.fetch("http://127.0.0.1:1/none").await.unwrap_err();
        assert!(err.contains("no copy is cached"), "{err}");
    }
}
