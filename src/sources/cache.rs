//! The last snapshot of every source, on disk, so the console opens at once with data
//! marked stale instead of an empty screen.

use crate::model::Alert;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// How many alerts the head of a cache file holds: the first screens of the list, with
/// room for those the store says someone owns (they rank lower once it has answered).
pub const HEAD_ALERTS: usize = 500;

/// A head line longer than this is not read as a head (the full read still tries the file).
const HEAD_MAX_BYTES: u64 = 8 << 20;

/// A temp file not written for this long is no save under way (one takes seconds at most).
const ABANDONED: std::time::Duration = std::time::Duration::from_secs(600);

/// A file is two lines of JSON: the head (`taken_at`, `total`, the first [`HEAD_ALERTS`]
/// alerts in rank order), then the whole snapshot (`taken_at`, `alerts`). The console draws
/// from the head at once and reads the rest behind it. A file of one line (written before
/// heads) is a whole snapshot without a head.
#[derive(Debug, Clone)]
pub struct SnapshotCache {
    dir: PathBuf,
}

/// The first alerts of a cached snapshot, in rank order, and how many it has in all.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Head {
    pub taken_at: DateTime<Utc>,
    pub total: usize,
    pub alerts: Vec<Alert>,
}

#[derive(Deserialize)]
struct Snapshot {
    taken_at: DateTime<Utc>,
    alerts: Vec<Alert>,
}

impl SnapshotCache {
    pub fn new(dir: &Path) -> Self {
        SnapshotCache { dir: dir.to_path_buf() }
    }

    fn file(&self, source: &str) -> PathBuf {
        self.dir.join(format!("{source}.json"))
    }

    /// The head of the cached snapshot, reading only its first line; None when there is no
    /// readable head (no file, a damaged one, one from before heads): [`Self::load`] decides.
    pub fn load_head(&self, source: &str) -> Option<Head> {
        let file = std::fs::File::open(self.file(source)).ok()?;
        let mut line = Vec::new();
        std::io::BufReader::new(file).take(HEAD_MAX_BYTES).read_until(b'\n', &mut line).ok()?;
        if line.last() != Some(&b'\n') {
            return None;
        }
        let head: Head = serde_json::from_slice(&line).ok()?;
        let alerts = clean(source, head.alerts);
        // A head that claims fewer alerts than it holds is not believed.
        (alerts.len() <= head.total).then_some(Head { alerts, ..head })
    }

    /// The cached snapshot, if there is a readable one. A damaged file is ignored: the
    /// next poll replaces it.
    pub fn load(&self, source: &str) -> Option<(DateTime<Utc>, Vec<Alert>)> {
        let bytes = std::fs::read(self.file(source)).ok()?;
        // The whole snapshot is the last line; JSON written by serde has no raw newline inside.
        let whole = match bytes.iter().position(|b| *b == b'\n') {
            Some(end) => &bytes[end + 1..],
            None => &bytes[..],
        };
        let snap: Snapshot = serde_json::from_slice(whole).ok()?;
        Some((snap.taken_at, clean(source, snap.alerts)))
    }

    /// Whether the source's cached snapshot was written less than `age` ago.
    pub fn younger_than(&self, source: &str, age: std::time::Duration) -> bool {
        let written = std::fs::metadata(self.file(source)).and_then(|m| m.modified());
        written.is_ok_and(|at| at.elapsed().is_ok_and(|since| since < age))
    }

    /// Writes a temp file, then renames it into place, so a reader never sees half a
    /// snapshot (at worst, for an instant, none). No fsync: this is a cache; after a power
    /// cut it is at worst empty or cut short, read as unreadable, and ignored.
    pub fn save(&self, source: &str, taken_at: DateTime<Utc>, alerts: &[Alert]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        // Each process its own: two `klaxon list` at once must not write into one file.
        let tmp = self.dir.join(format!(".{source}.json.{}.tmp", std::process::id()));
        let saved = Self::write(&tmp, taken_at, alerts).and_then(|()| self.put_in_place(&tmp, source));
        match saved {
            // A full disk, or a file in the way, leaves no half-written file behind.
            Err(_) => _ = std::fs::remove_file(&tmp),
            Ok(()) => self.sweep(source),
        }
        saved
    }

    fn put_in_place(&self, tmp: &Path, source: &str) -> std::io::Result<()> {
        // The old file is removed first, not renamed over: renaming over a file makes ext4
        // (`auto_da_alloc`) write the new one out before `rename` returns — 6 ms at 10,000
        // alerts and 21 ms at 50,000 here, on the path of every `list` that writes it.
        let file = self.file(source);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::rename(tmp, file)
    }

    /// Removes the source's temp files that no save is writing any more: a process killed
    /// or crashed while saving leaves its own behind, and the next ones are named anew.
    fn sweep(&self, source: &str) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        let prefix = format!(".{source}.json.");
        for entry in entries.flatten() {
            let name = entry.file_name();
            let ours = name.to_str().is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tmp"));
            let modified = entry.metadata().and_then(|m| m.modified());
            if ours && modified.is_ok_and(|at| at.elapsed().is_ok_and(|age| age > ABANDONED)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// The snapshot's file as [`SnapshotCache::load`] reads it: the head, then the whole.
    fn write(tmp: &Path, taken_at: DateTime<Utc>, alerts: &[Alert]) -> std::io::Result<()> {
        let all: Vec<&Alert> = alerts.iter().collect();
        let top = crate::model::top_ranked(&all, HEAD_ALERTS);
        let mut file = std::fs::File::create(tmp)?;
        // The shapes `Head` and `Snapshot` read, each alert written by `Alert::write_json`;
        // written out a block at a time.
        let taken_at = crate::model::timestamp::text(&taken_at);
        let mut block = format!("{{\"taken_at\":\"{taken_at}\",\"total\":{},\"alerts\":[", all.len()).into_bytes();
        for (i, alert) in top.iter().enumerate() {
            if i > 0 {
                block.push(b',');
            }
            alert.write_json(&mut block)?;
        }
        block.extend_from_slice(format!("]}}\n{{\"taken_at\":\"{taken_at}\",\"alerts\":[").as_bytes());
        for (i, alert) in alerts.iter().enumerate() {
            if i > 0 {
                block.push(b',');
            }
            alert.write_json(&mut block)?;
            if block.len() >= 1 << 18 {
                file.write_all(&block)?;
                block.clear();
            }
        }
        block.extend_from_slice(b"]}");
        file.write_all(&block)?;
        Ok(())
    }
}

/// The file is ours, but it sits on disk: clean what is read back like anything else, and
/// keep only the source's own alerts.
fn clean(source: &str, alerts: Vec<Alert>) -> Vec<Alert> {
    alerts.into_iter().map(Alert::sanitized).filter(|a| a.source() == source).collect()
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
        let head = cache.load_head("s").unwrap();
        assert_eq!((head.taken_at, head.total, head.alerts[0].title.as_str()), (now, 1, "t[2J"));
        std::fs::write(dir.path().join("s.json"), b"{not json").unwrap();
        assert!(cache.load("s").is_none());
        assert!(cache.load_head("s").is_none());
        // Saved again over it: the new snapshot replaces the file, and no temp file is left.
        let later = now + chrono::Duration::seconds(5);
        cache.save("s", later, &[Alert::test("s", "2", Severity::Warning, later)]).unwrap();
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!((at, alerts.len(), alerts[0].key.as_str()), (later, 1, "s/2"));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["s.json"]);
    }

    /// Alerts of every severity, status and age, in no order; some owned at the source.
    fn many(n: usize) -> Vec<Alert> {
        use crate::model::Status;
        let t0 = Utc::now() - chrono::Duration::days(1);
        (0..n)
            .map(|i| {
                let sev = Severity::ALL[(i * 7) % Severity::ALL.len()];
                let at = t0 + chrono::Duration::seconds(((i * 7919) % 5000) as i64);
                let mut a = Alert::test("s", &format!("a{i}"), sev, at);
                a.status =
                    [Status::Firing, Status::Firing, Status::Acknowledged, Status::Suppressed, Status::Resolved][i % 5];
                a
            })
            .collect()
    }

    fn first_screen(board: &crate::model::Board, rows: usize) -> Vec<String> {
        board.ranked().iter().take(rows).map(|i| i.alert.key.to_string()).collect()
    }

    #[test]
    fn the_head_shows_the_first_screen_of_the_whole_snapshot_and_counts_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        cache.save("s", now, &many(3000)).unwrap();
        let head = cache.load_head("s").unwrap();
        assert_eq!((head.taken_at, head.total, head.alerts.len()), (now, 3000, HEAD_ALERTS));
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!((at, alerts.len()), (now, 3000));

        let mut from_head = crate::model::Board::default();
        from_head.apply_head("s", head.alerts, head.total);
        let mut whole = crate::model::Board::default();
        whole.apply_snapshot("s", alerts);
        assert_eq!(first_screen(&from_head, 100), first_screen(&whole, 100));
        assert_eq!((from_head.len(), from_head.unread(), from_head.total()), (HEAD_ALERTS, 3000 - HEAD_ALERTS, 3000));
        // The whole snapshot replaces the head: nothing is left unread or counted twice.
        let (_, alerts) = cache.load("s").unwrap();
        from_head.apply_snapshot("s", alerts);
        assert_eq!((from_head.len(), from_head.unread(), from_head.total()), (3000, 0, 3000));
        assert_eq!(first_screen(&from_head, 3000), first_screen(&whole, 3000));
    }

    #[test]
    fn a_damaged_head_falls_back_to_the_whole_and_a_damaged_whole_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        cache.save("s", now, &many(20)).unwrap();
        let file = dir.path().join("s.json");
        let text = std::fs::read_to_string(&file).unwrap();
        let (head, whole) = text.split_once('\n').unwrap();

        std::fs::write(&file, format!("{{\"taken_at\": 7}}\n{whole}")).unwrap();
        assert!(cache.load_head("s").is_none());
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
        // A file from before heads: one line, the whole snapshot.
        std::fs::write(&file, whole).unwrap();
        assert!(cache.load_head("s").is_none());
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
        // The whole cut short: the head may show, the whole is not read.
        std::fs::write(&file, format!("{head}\n{}", &whole[..whole.len() / 2])).unwrap();
        assert_eq!(cache.load_head("s").unwrap().total, 20);
        assert!(cache.load("s").is_none());
    }

    #[test]
    fn each_process_writes_its_own_temp_file_and_a_failed_save_keeps_the_last_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        // Another process's save under way: its temp file is not ours to write into.
        let theirs = dir.path().join(".s.json.1.tmp");
        std::fs::write(&theirs, "half of another process's snapshot").unwrap();
        cache.save("s", now, &many(20)).unwrap();
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "half of another process's snapshot");
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
        // This process's temp file cannot be written: the error is returned and the
        // snapshot saved before stays whole.
        std::fs::create_dir(dir.path().join(format!(".s.json.{}.tmp", std::process::id()))).unwrap();
        assert!(cache.save("s", now, &many(3)).is_err());
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
    }

    /// A save that fails after its temp file is written (the cache file cannot be replaced)
    /// removes it; one a dead process left long ago is removed by the next save, and one
    /// being written now is not.
    #[test]
    fn no_temp_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        let temps = || {
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            names.sort();
            names
        };
        // A directory where the cache file goes: written, not put in place.
        std::fs::create_dir_all(dir.path().join("s.json/inside")).unwrap();
        assert!(cache.save("s", now, &many(3)).is_err());
        assert_eq!(temps(), Vec::<String>::new());
        std::fs::remove_dir_all(dir.path().join("s.json")).unwrap();

        let dead = dir.path().join(".s.json.4242.tmp");
        std::fs::write(&dead, "left by a process killed while saving").unwrap();
        let long_ago = std::time::SystemTime::now() - ABANDONED * 2;
        std::fs::File::options().write(true).open(&dead).unwrap().set_modified(long_ago).unwrap();
        std::fs::write(dir.path().join(".s.json.4343.tmp"), "being written now").unwrap();
        std::fs::write(dir.path().join(".other.json.4242.tmp"), "another source's").unwrap();
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(".other.json.4242.tmp"))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        cache.save("s", now, &many(3)).unwrap();
        assert_eq!(temps(), [".other.json.4242.tmp", ".s.json.4343.tmp"]);
        assert_eq!(cache.load("s").unwrap().1.len(), 3);
    }
}
