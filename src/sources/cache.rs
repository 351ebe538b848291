//! The last snapshot of every source, on disk, so the console opens at once with data
//! marked stale instead of an empty screen.

use crate::model::Alert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SnapshotCache {
    dir: PathBuf,
}

#[derive(Deserialize)]
struct Snapshot {
    taken_at: DateTime<Utc>,
    alerts: Vec<Alert>,
}

/// The same shape, written from a borrow: a large snapshot is not copied to be saved.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    taken_at: DateTime<Utc>,
    alerts: &'a [Alert],
}

impl SnapshotCache {
    pub fn new(dir: &Path) -> Self {
        SnapshotCache { dir: dir.to_path_buf() }
    }

    fn file(&self, source: &str) -> PathBuf {
        self.dir.join(format!("{source}.json"))
    }

    /// The cached snapshot, if there is a readable one. A damaged file is ignored: the
    /// next poll replaces it.
    pub fn load(&self, source: &str) -> Option<(DateTime<Utc>, Vec<Alert>)> {
        let bytes = std::fs::read(self.file(source)).ok()?;
        let snap: Snapshot = serde_json::from_slice(&bytes).ok()?;
        // The file is ours, but it sits on disk: clean it like anything else read back.
        let alerts = snap.alerts.into_iter().map(Alert::sanitized).filter(|a| a.source() == source).collect();
        Some((snap.taken_at, alerts))
    }

    /// Writes atomically (temp file, then rename) so a crash never leaves half a snapshot.
    /// No fsync: this is a cache; after a power cut it is at worst unreadable, and ignored.
    pub fn save(&self, source: &str, taken_at: DateTime<Utc>, alerts: &[Alert]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{source}.json.tmp"));
        let snap = SnapshotRef { taken_at, alerts };
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut file, &snap)?;
        file.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, self.file(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    #[test]
    fn round_trips_and_cleans() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        assert!(cache.load("s").is_none());
        let now = Utc::now();
        let alert = Alert { title: "t\x1b[2J".into(), ..Alert::test("s", "1", Severity::High, now) };
        cache.save("s", now, &[alert]).unwrap();
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!(at, now);
        assert_eq!(alerts[0].title, "t[2J");
        std::fs::write(dir.path().join("s.json"), b"{not json").unwrap();
        assert!(cache.load("s").is_none());
    }
}
