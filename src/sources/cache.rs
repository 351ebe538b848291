//! The last snapshot of every source, on disk, so the console opens at once with data
//! marked stale instead of an empty screen.

use crate::model::{Alert, AlertKey, EntryKind, Fields, Guessed, Link, Severity, SourceAck, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// How many alerts the head of a cache file holds: the first screens of the list, with
/// room for those the store says someone owns (they rank lower once it has answered).
pub const HEAD_ALERTS: usize = 500;

/// A head longer than this is not read as a head (a damaged length, or alerts of huge
/// text: then fewer go in the head); the whole is read all the same.
const HEAD_MAX_BYTES: u64 = 8 << 20;

/// A temp file not written for this long is no save under way (one takes seconds at most).
const ABANDONED: std::time::Duration = std::time::Duration::from_secs(600);

/// The first bytes of a cache file in this format; a file without them is not read.
const MAGIC: &[u8; 8] = b"klxsnap1";

/// A file is [`MAGIC`], the head's length (8 bytes, little-endian), the head (`taken_at`,
/// `total`, the first [`HEAD_ALERTS`] alerts in rank order), the number of alerts (8
/// bytes) and each alert; head and alerts in postcard. The console draws from the head at
/// once and reads the rest behind it. A file cut short shows its head at most; one that
/// does not decode is not read. There is no checksum: bytes changed in place can read as
/// other values, as the JSON file's could.
///
/// Binary because the file is rewritten by every poll that refreshes it, `klaxon list`'s
/// included: as JSON, 50,000 alerts were 28.7 MB and took a core 64 ms to write, longer
/// than the list took to print.
#[derive(Debug, Clone)]
pub struct SnapshotCache {
    dir: PathBuf,
}

/// The first alerts of a cached snapshot, in rank order, and how many it has in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub taken_at: DateTime<Utc>,
    pub total: usize,
    pub alerts: Vec<Alert>,
}

/// A time as whole seconds and nanoseconds since the epoch.
type Time = (i64, u32);

fn time(t: &DateTime<Utc>) -> Time {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

/// One alert as the file holds it: the model's fields in a fixed order (postcard writes no
/// names), borrowed to write and owned when read. Not the model's own serde shape, which
/// leaves out empty fields: a format without names could not tell which.
#[derive(Serialize, Deserialize)]
struct Stored<S, F, L> {
    key: S,
    title: S,
    severity: Severity,
    status: Status,
    started_at: Time,
    updated_at: Time,
    labels: F,
    annotations: F,
    host: Option<S>,
    service: Option<S>,
    links: L,
    source_acks: Vec<StoredAck<S>>,
    suppression: Option<S>,
    guessed_severity: Option<S>,
    guessed_start: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredAck<S> {
    by: S,
    at: Option<Time>,
    text: S,
    id: Option<S>,
    kind: EntryKind,
}

type Written<'a> = Stored<&'a str, &'a Fields, &'a [Link]>;
type Loaded = Stored<String, Fields, Vec<Link>>;

fn stored(a: &Alert) -> Written<'_> {
    let acks = a.source_acks.iter().map(|s| StoredAck {
        by: s.by.as_str(),
        at: s.at.as_ref().map(time),
        text: s.text.as_str(),
        id: s.id.as_deref(),
        kind: s.kind,
    });
    Stored {
        key: a.key.as_str(),
        title: &a.title,
        severity: a.severity,
        status: a.status,
        started_at: time(&a.started_at),
        updated_at: time(&a.updated_at),
        labels: &a.labels,
        annotations: &a.annotations,
        host: a.host.as_deref(),
        service: a.service.as_deref(),
        links: &a.links,
        source_acks: acks.collect(),
        suppression: a.suppression.as_deref(),
        guessed_severity: a.guessed.severity.as_deref(),
        guessed_start: a.guessed.started_at,
    }
}

impl Loaded {
    /// The alert, or None when its key or a time cannot be one (the file is damaged).
    fn alert(self) -> Option<Alert> {
        let key = AlertKey::parse(&self.key)?;
        let at = |(secs, nanos): Time| DateTime::from_timestamp(secs, nanos);
        let mut source_acks = Vec::with_capacity(self.source_acks.len());
        for s in self.source_acks {
            let at = match s.at {
                Some(t) => Some(at(t)?),
                None => None,
            };
            source_acks.push(SourceAck { by: s.by, at, text: s.text, id: s.id, kind: s.kind });
        }
        Some(Alert {
            key,
            title: self.title,
            severity: self.severity,
            status: self.status,
            started_at: at(self.started_at)?,
            updated_at: at(self.updated_at)?,
            labels: self.labels,
            annotations: self.annotations,
            host: self.host,
            service: self.service,
            links: self.links,
            source_acks,
            suppression: self.suppression,
            guessed: Guessed { severity: self.guessed_severity, started_at: self.guessed_start },
        })
    }
}

/// The head's length, if `start` is the start of a file in this format.
fn head_length(start: &[u8]) -> Option<u64> {
    let length = start.strip_prefix(MAGIC)?.get(..8)?;
    Some(u64::from_le_bytes(length.try_into().ok()?))
}

impl SnapshotCache {
    pub fn new(dir: &Path) -> Self {
        SnapshotCache { dir: dir.to_path_buf() }
    }

    fn file(&self, source: &str) -> PathBuf {
        self.dir.join(format!("{source}.snapshot"))
    }

    /// The head of the cached snapshot, reading only the start of the file; None when there
    /// is no readable head (no file, a damaged one).
    pub fn load_head(&self, source: &str) -> Option<Head> {
        let mut file = std::fs::File::open(self.file(source)).ok()?;
        let mut start = [0u8; MAGIC.len() + 8];
        file.read_exact(&mut start).ok()?;
        let mut head = Vec::new();
        file.take(head_length(&start).filter(|n| *n <= HEAD_MAX_BYTES)?).read_to_end(&mut head).ok()?;
        let (taken_at, total, alerts): (Time, u64, Vec<Loaded>) = postcard::from_bytes(&head).ok()?;
        let alerts = clean(source, alerts.into_iter().map(Loaded::alert).collect::<Option<_>>()?)?;
        let taken_at = DateTime::from_timestamp(taken_at.0, taken_at.1)?;
        let total = usize::try_from(total).ok()?;
        // A head that claims fewer alerts than it holds is not believed.
        (alerts.len() <= total).then_some(Head { taken_at, total, alerts })
    }

    /// The cached snapshot, if there is a readable one. A damaged file is ignored: the
    /// next poll replaces it.
    pub fn load(&self, source: &str) -> Option<(DateTime<Utc>, Vec<Alert>)> {
        let bytes = match std::fs::read(self.file(source)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return self.load_json(source),
            read => read.ok()?,
        };
        let at = MAGIC.len() + 8;
        let head = bytes.get(at..at.checked_add(usize::try_from(head_length(&bytes)?).ok()?)?)?;
        let ((secs, nanos), _): (Time, _) = postcard::take_from_bytes(head).ok()?;
        let rest = &bytes[at + head.len()..];
        let count = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
        let mut rest = &rest[8..];
        // Counted, not believed: no alert takes fewer than 16 bytes.
        let mut alerts = Vec::with_capacity(usize::try_from(count).ok()?.min(rest.len() / 16));
        for _ in 0..count {
            let (alert, more) = postcard::take_from_bytes::<Loaded>(rest).ok()?;
            alerts.push(alert.alert()?);
            rest = more;
        }
        // Bytes after the last alert: not a file this wrote.
        rest.is_empty().then_some(())?;
        Some((DateTime::from_timestamp(secs, nanos)?, clean(source, alerts)?))
    }

    /// The JSON file the cache was before this format (the whole snapshot on its last line),
    /// read while there is no file in this format yet: the first start after the upgrade
    /// keeps the snapshot, and the ages carried in it. The first save removes it.
    fn load_json(&self, source: &str) -> Option<(DateTime<Utc>, Vec<Alert>)> {
        #[derive(Deserialize)]
        struct Snapshot {
            taken_at: DateTime<Utc>,
            alerts: Vec<Alert>,
        }
        let bytes = std::fs::read(self.dir.join(format!("{source}.json"))).ok()?;
        // serde's JSON has no raw newline inside: the last line is the whole snapshot.
        let whole = bytes.rsplit(|b| *b == b'\n').next()?;
        let snap: Snapshot = serde_json::from_slice(whole).ok()?;
        Some((snap.taken_at, clean(source, snap.alerts)?))
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
        let tmp = self.dir.join(format!(".{source}.snapshot.{}.tmp", std::process::id()));
        let saved = Self::write(&tmp, taken_at, alerts).and_then(|()| self.put_in_place(&tmp, source));
        match saved {
            // A full disk, or a file in the way, leaves no half-written file behind.
            Err(_) => _ = std::fs::remove_file(&tmp),
            Ok(()) => {
                // The JSON file the cache was before this format: nothing reads it now.
                let _ = std::fs::remove_file(self.dir.join(format!("{source}.json")));
                self.sweep(source);
            }
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
        // The JSON format's temp files too (`.SOURCE.json.PID.tmp`).
        let prefixes = [format!(".{source}.snapshot."), format!(".{source}.json.")];
        for entry in entries.flatten() {
            let name = entry.file_name();
            let ours = name
                .to_str()
                .is_some_and(|n| prefixes.iter().any(|p| n.starts_with(p.as_str())) && n.ends_with(".tmp"));
            let modified = entry.metadata().and_then(|m| m.modified());
            if ours && modified.is_ok_and(|at| at.elapsed().is_ok_and(|age| age > ABANDONED)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// The snapshot's file as [`SnapshotCache::load`] reads it, written out a block at a time.
    fn write(tmp: &Path, taken_at: DateTime<Utc>, alerts: &[Alert]) -> std::io::Result<()> {
        let all: Vec<&Alert> = alerts.iter().collect();
        let top: Vec<Written> = crate::model::top_ranked(&all, HEAD_ALERTS).into_iter().map(stored).collect();
        // Alerts of huge text (a Graphite window in an annotation) may not fit: fewer go in.
        let mut n = top.len();
        let head = loop {
            let head =
                postcard::to_stdvec(&(time(&taken_at), all.len() as u64, &top[..n])).map_err(std::io::Error::other)?;
            if head.len() as u64 <= HEAD_MAX_BYTES || n == 0 {
                break head;
            }
            n /= 2;
        };
        let mut file = std::fs::File::create(tmp)?;
        let mut block = Vec::with_capacity(head.len() + (1 << 18) + 64);
        block.extend_from_slice(MAGIC);
        block.extend_from_slice(&(head.len() as u64).to_le_bytes());
        block.extend_from_slice(&head);
        block.extend_from_slice(&(alerts.len() as u64).to_le_bytes());
        for alert in alerts {
            block = postcard::to_extend(&stored(alert), block).map_err(std::io::Error::other)?;
            if block.len() >= 1 << 18 {
                file.write_all(&block)?;
                block.clear();
            }
        }
        file.write_all(&block)
    }
}

/// The file is ours, but it sits on disk: clean what is read back like anything else, and
/// keep only the source's own alerts. A key is an alert's identity, not text to rewrite: a
/// file holding one that would need cleaning is not read (None).
fn clean(source: &str, alerts: Vec<Alert>) -> Option<Vec<Alert>> {
    let line = |s: &str| crate::sanitize::is_clean(s) && !s.contains('\n');
    if !alerts.iter().all(|a| line(a.key.as_str())) {
        return None;
    }
    Some(alerts.into_iter().map(Alert::sanitized).filter(|a| a.source() == source).collect())
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
        // The JSON file of the format before: removed by the first save.
        std::fs::write(dir.path().join("s.json"), b"{}").unwrap();
        cache.save("s", now, &[alert]).unwrap();
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!(at, now);
        assert_eq!(alerts[0].title, "t[2J");
        let head = cache.load_head("s").unwrap();
        assert_eq!((head.taken_at, head.total, head.alerts[0].title.as_str()), (now, 1, "t[2J"));
        std::fs::write(dir.path().join("s.snapshot"), b"{not json").unwrap();
        assert!(cache.load("s").is_none());
        assert!(cache.load_head("s").is_none());
        // Saved again over it: the new snapshot replaces the file, and no temp file is left.
        let later = now + chrono::Duration::seconds(5);
        cache.save("s", later, &[Alert::test("s", "2", Severity::Warning, later)]).unwrap();
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!((at, alerts.len(), alerts[0].key.as_str()), (later, 1, "s/2"));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["s.snapshot"]);
    }

    /// Every field comes back as it was, those a source rarely fills included.
    #[test]
    fn every_field_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let at = DateTime::from_timestamp(1_800_000_000, 123_456_789).unwrap();
        let full = Alert {
            labels: [("alertname", "DiskFull"), ("team", "ops")].into(),
            annotations: [("summary", "disk is full")].into(),
            host: Some("db-1".into()),
            service: Some("postgres".into()),
            links: vec![Link { kind: "runbook".into(), url: "https://wiki/disk".into() }],
            source_acks: vec![
                SourceAck {
                    by: "alice".into(),
                    at: Some(at),
                    text: "looking".into(),
                    id: Some("n-1".into()),
                    kind: EntryKind::Acked,
                },
                SourceAck { by: "bob".into(), at: None, text: String::new(), id: None, kind: EntryKind::Escalated },
            ],
            suppression: Some("silenced by carol: maintenance".into()),
            guessed: Guessed { severity: Some("sev9".into()), started_at: true },
            status: Status::Suppressed,
            ..Alert::test("s", "full", Severity::Disaster, at)
        };
        let bare = Alert::test("s", "bare", Severity::Information, at - chrono::Duration::days(400));
        cache.save("s", at, &[full.clone(), bare.clone()]).unwrap();
        assert_eq!(cache.load("s").unwrap(), (at, vec![full.clone(), bare.clone()]));
        // The head in rank order: a suppressed alert after a firing one.
        assert_eq!(cache.load_head("s").unwrap().alerts, [bare, full]);
    }
    /// The JSON file of the format before is read while there is no file of this one (the
    /// first start after the upgrade), its carried ages with it, and removed by the first save.
    #[test]
    fn the_json_file_of_before_reads_until_the_first_save() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut check = Alert::test("s", "disk", Severity::High, t0);
        check.guessed.started_at = true;
        let alert = serde_json::to_string(&check).unwrap();
        // As the JSON writer left it: a head line, then the whole snapshot.
        let text = format!(
            "{{\"taken_at\":\"2027-01-15T08:00:00Z\",\"total\":1,\"alerts\":[{alert}]}}\n\
             {{\"taken_at\":\"2027-01-15T08:00:00Z\",\"alerts\":[{alert}]}}"
        );
        std::fs::write(dir.path().join("s.json"), text).unwrap();
        assert!(cache.load_head("s").is_none(), "no head: the whole is read");
        let (at, alerts) = cache.load("s").unwrap();
        assert_eq!((at, &alerts), (t0, &vec![check.clone()]));
        let later = t0 + chrono::Duration::minutes(1);
        let mut again = Alert::test("s", "disk", Severity::High, later);
        again.guessed.started_at = true;
        let mut polled = vec![again];
        carry_starts(&alerts, &mut polled);
        assert_eq!(polled[0].started_at, t0, "the age carried across the upgrade");
        cache.save("s", later, &polled).unwrap();
        assert!(!dir.path().join("s.json").exists());
        assert_eq!(cache.load("s").unwrap(), (later, polled));
        // A key that would need cleaning: the file is not read, in either format.
        std::fs::remove_file(dir.path().join("s.snapshot")).unwrap();
        let hostile = serde_json::to_string(&Alert::test("s", "a\x1b[2J", Severity::High, t0)).unwrap();
        std::fs::write(
            dir.path().join("s.json"),
            format!("{{\"taken_at\":\"2027-01-15T08:00:00Z\",\"alerts\":[{hostile}]}}"),
        )
        .unwrap();
        assert!(cache.load("s").is_none());
    }

    /// Alerts of huge text (a Graphite window kept in an annotation) that would make the head
    /// too long to read: fewer of them go in it, and the whole reads all the same.
    #[test]
    fn a_head_of_huge_alerts_holds_fewer_and_the_whole_reads() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        let window = "1.5,".repeat(5_000);
        let alerts: Vec<Alert> =
            many(600).into_iter().map(|a| Alert { annotations: [("window", window.as_str())].into(), ..a }).collect();
        cache.save("s", now, &alerts).unwrap();
        let head = cache.load_head("s").unwrap();
        assert!(head.alerts.len() < HEAD_ALERTS && !head.alerts.is_empty(), "{}", head.alerts.len());
        assert_eq!(head.total, 600);
        assert_eq!(cache.load("s").unwrap().1.len(), 600);
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
    fn a_file_cut_short_shows_its_head_at_most_and_a_damaged_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        cache.save("s", now, &many(20)).unwrap();
        let file = dir.path().join("s.snapshot");
        let bytes = std::fs::read(&file).unwrap();
        let whole_at = 16 + head_length(&bytes).unwrap() as usize;

        // Cut in the whole snapshot (a power cut): the head shows, the whole is not read.
        std::fs::write(&file, &bytes[..whole_at + (bytes.len() - whole_at) / 2]).unwrap();
        assert_eq!(cache.load_head("s").unwrap().total, 20);
        assert!(cache.load("s").is_none());
        // Cut in the head: nothing reads.
        std::fs::write(&file, &bytes[..whole_at - 5]).unwrap();
        assert!((cache.load_head("s").is_none(), cache.load("s").is_none()) == (true, true));
        // Bytes after the last alert, or another format's first bytes: not this file.
        std::fs::write(&file, [&bytes[..], b"x"].concat()).unwrap();
        assert!(cache.load("s").is_none());
        std::fs::write(&file, [b"klxsnap2", &bytes[8..]].concat()).unwrap();
        assert!((cache.load_head("s").is_none(), cache.load("s").is_none()) == (true, true));
        // A head length past what a head can be is not followed.
        let mut huge = bytes.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&file, huge).unwrap();
        assert!((cache.load_head("s").is_none(), cache.load("s").is_none()) == (true, true));
        // Whole again, it reads again.
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
    }

    #[test]
    fn each_process_writes_its_own_temp_file_and_a_failed_save_keeps_the_last_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path());
        let now = Utc::now();
        // Another process's save under way: its temp file is not ours to write into.
        let theirs = dir.path().join(".s.snapshot.1.tmp");
        std::fs::write(&theirs, "half of another process's snapshot").unwrap();
        cache.save("s", now, &many(20)).unwrap();
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "half of another process's snapshot");
        assert_eq!(cache.load("s").unwrap().1.len(), 20);
        // This process's temp file cannot be written: the error is returned and the
        // snapshot saved before stays whole.
        std::fs::create_dir(dir.path().join(format!(".s.snapshot.{}.tmp", std::process::id()))).unwrap();
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
        std::fs::create_dir_all(dir.path().join("s.snapshot/inside")).unwrap();
        assert!(cache.save("s", now, &many(3)).is_err());
        assert_eq!(temps(), Vec::<String>::new());
        std::fs::remove_dir_all(dir.path().join("s.snapshot")).unwrap();

        let dead = dir.path().join(".s.snapshot.4242.tmp");
        std::fs::write(&dead, "left by a process killed while saving").unwrap();
        let long_ago = std::time::SystemTime::now() - ABANDONED * 2;
        std::fs::File::options().write(true).open(&dead).unwrap().set_modified(long_ago).unwrap();
        std::fs::write(dir.path().join(".s.snapshot.4343.tmp"), "being written now").unwrap();
        // One the JSON format's writer left.
        let json_era = dir.path().join(".s.json.4141.tmp");
        std::fs::write(&json_era, "left by a JSON-era save").unwrap();
        std::fs::File::options().write(true).open(&json_era).unwrap().set_modified(long_ago).unwrap();
        std::fs::write(dir.path().join(".other.snapshot.4242.tmp"), "another source's").unwrap();
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(".other.snapshot.4242.tmp"))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        cache.save("s", now, &many(3)).unwrap();
        assert_eq!(temps(), [".other.snapshot.4242.tmp", ".s.snapshot.4343.tmp"]);
        assert_eq!(cache.load("s").unwrap().1.len(), 3);
    }
}
