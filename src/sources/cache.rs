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

/// The same shape, written from borrows: a large snapshot is not copied to be saved.
#[derive(Serialize)]
#[serde(bound(serialize = "I::Item: Serialize"))]
struct SnapshotRef<I: Iterator + Clone> {
    taken_at: DateTime<Utc>,
    alerts: Each<I>,
}

/// A sequence serialized straight from an iterator.
struct Each<I>(I);

impl<I: Iterator + Clone> Serialize for Each<I>
where
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
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
        self.save_each(source, taken_at, alerts.iter())
    }

    /// [`Self::save`] from wherever the alerts are held (the ranked board, for `list`).
    pub fn save_each<'a>(
        &self,
        source: &str,
        taken_at: DateTime<Utc>,
        alerts: impl Iterator<Item = &'a Alert> + Clone,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{source}.json.tmp"));
        let snap = SnapshotRef { taken_at, alerts: Each(alerts) };
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut file, &snap)?;
        file.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, self.file(source))
    }
}

/// Keeps the ages of alerts whose source does not know when their problem started (a
/// local check knows only that it fails now): such an alert still in `previous`, the
/// last snapshot (from this run or the disk cache), keeps the start it had there.
pub fn carry_starts(previous: &[Alert], alerts: &mut [Alert]) {
    if !alerts.iter().any(|a| a.guessed.started_at) {
        return;
    }
    let before: std::collections::HashMap<&crate::model::AlertKey, DateTime<Utc>> =
        previous.iter().map(|a| (&a.key, a.started_at)).collect();
    for a in alerts.iter_mut().filter(|a| a.guessed.started_at) {
        if let Some(t) = before.get(&a.key) {
            a.started_at = a.started_at.min(*t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guessed_start_survives_a_restart_and_a_known_one_is_kept() {
        use crate::model::Severity;
        let t0 = Utc::now() - chrono::Duration::hours(3);
        let now = Utc::now();
        let mut old = Alert::test("local", "disk", Severity::High, t0);
        old.guessed.started_at = true;
        let mut again = Alert::test("local", "disk", Severity::High, now);
        again.guessed.started_at = true;
        let own = Alert::test("local", "own", Severity::High, now);
        let new = Alert { guessed: again.guessed.clone(), ..Alert::test("local", "new", Severity::High, now) };
        let mut alerts = vec![again, own.clone(), new];
        carry_starts(&[old, Alert::test("local", "own", Severity::High, t0)], &mut alerts);
        assert_eq!(alerts[0].started_at, t0, "the first sighting's time, not the restart's");
        assert_eq!(alerts[1].started_at, now, "the source's own start time wins");
        assert_eq!(alerts[2].started_at, now, "a new problem starts now");
    }
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
