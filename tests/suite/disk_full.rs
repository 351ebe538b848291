//! Writes on a nearly full disk: every ack and note either is in the store afterwards (as
//! `kill -9` would leave the files) or fails loudly. Never "done" and gone.
//!
//! The store lives on a small tmpfs mounted for the test, which needs root (CI runs as
//! root); elsewhere the test is skipped with a message saying why.

use crate::common;

use common::Sandbox;
use klaxon::model::{AlertKey, EntryKind, NewEntry};
use klaxon::store::{SqliteStore, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `kib` KiB at a temp dir, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(kib: u64) -> Option<Tmpfs> {
        let skip = |why: String| {
            if std::env::var("KLAXON_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
                panic!("{why} (KLAXON_REQUIRE_SERVERS=1)");
            }
            eprintln!("SKIPPED: {why}");
            None
        };
        if !rustix::process::getuid().is_root() {
            return skip("the disk-full test mounts a small tmpfs, which needs root".into());
        }
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k,mode=0700"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => skip(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
            Err(e) => skip(format!("cannot run mount: {e}")),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the disk with one file; `leave` sets how many bytes stay free.
struct Filler {
    path: PathBuf,
    full: u64,
}

impl Filler {
    fn fill(dir: &Path) -> Filler {
        let path = dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0x5au8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        let full = std::fs::metadata(&path).unwrap().len() / 4096 * 4096;
        Filler { path, full }
    }

    fn leave(&self, free: u64) {
        let f = std::fs::OpenOptions::new().write(true).open(&self.path).unwrap();
        f.set_len(self.full.saturating_sub(free)).unwrap();
    }
}

/// What `kill -9` leaves: copies of the files as they are now, opened elsewhere.
fn recovered(db: &Path) -> Vec<String> {
    let crash = tempfile::tempdir().unwrap();
    let name = db.file_name().unwrap().to_str().unwrap();
    for suffix in ["", "-wal"] {
        let from = db.with_file_name(format!("{name}{suffix}"));
        if from.exists() {
            std::fs::copy(&from, crash.path().join(format!("{name}{suffix}"))).unwrap();
        }
    }
    let store = SqliteStore::open(&crash.path().join(name)).unwrap();
    store.entries_after(0, 100_000).unwrap().into_iter().map(|e| e.text).collect()
}

#[test]
fn a_store_write_on_a_full_disk_is_durable_or_an_error() {
    let Some(fs) = Tmpfs::mount(1024) else { return };
    let db = fs.path().join("k.db");
    let store = SqliteStore::open(&db).unwrap();
    let key = AlertKey::new("demo", "a");
    let filler = Filler::fill(fs.path());
    let (mut stored, mut refused) = (Vec::new(), 0);
    // From no room at all to 64 KiB, a page at a time, twice round.
    for round in 0..2 {
        for free in (0..=64u64).step_by(4) {
            filler.leave(free * 1024);
            let text = format!("round {round} with {free} KiB free");
            let kind = if free % 8 == 0 { EntryKind::Acked } else { EntryKind::Note };
            match store.append(&NewEntry::new(key.clone(), kind, "tester", &text)) {
                Ok(_) => stored.push(text),
                Err(e) => {
                    refused += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
    let on_disk = recovered(&db);
    for text in &stored {
        assert!(on_disk.contains(text), "append said {text:?} was written, but it is not on disk: {on_disk:?}");
    }
    assert!(refused > 0, "the disk never filled up: the test tested nothing");
    assert!(!stored.is_empty(), "nothing was written even with 64 KiB free");
    drop(store);
}

#[test]
fn ack_and_note_on_a_full_disk_say_done_only_when_stored() {
    let Some(fs) = Tmpfs::mount(1024) else { return };
    let sb = Sandbox::new();
    let db = fs.path().join("k.db");
    let cfg = sb.write(
        "klaxon.toml",
        &format!("[store]\npath = \"{}\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\n", db.display()),
    );
    let out = sb.klaxon().args(["list", "--format", "json", "--config"]).arg(&cfg).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let alerts = common::json(&out.stdout);
    let key = common::steady_demo_key(&alerts);

    let filler = Filler::fill(fs.path());
    let mut claimed = Vec::new();
    let mut refused = 0;
    // Up to 128 KiB: an ack also updates its incident's row and indexes (reports), a dozen
    // pages in the write-ahead log.
    for free in (0..=128u64).step_by(8) {
        filler.leave(free * 1024);
        let text = format!("note with {free} KiB free");
        let out = if free % 16 == 0 {
            sb.klaxon().args(["ack", &key, "--note", &text, "--config"]).arg(&cfg).output().unwrap()
        } else {
            sb.klaxon().args(["note", &key, &text, "--config"]).arg(&cfg).output().unwrap()
        };
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            assert!(stdout.contains(&key), "success says what it did: {stdout}");
            claimed.push(text);
        } else {
            refused += 1;
            assert!(stdout.is_empty(), "a failed write claims nothing on stdout: {stdout}");
            assert!(stderr.contains("klaxon"), "a failed write says why: {stderr}");
        }
    }
    let on_disk = recovered(&db);
    for text in &claimed {
        assert!(on_disk.contains(text), "klaxon said {text:?} was recorded, but the store lacks it: {on_disk:?}");
    }
    assert!(refused > 0, "the disk never filled up: the test tested nothing");
    assert!(!claimed.is_empty(), "nothing was recorded even with 128 KiB free");
}

/// A source that confirms every action it is sent.
struct Confirming;

impl klaxon::sources::AlertSource for Confirming {
    fn name(&self) -> &str {
        "prod"
    }

    fn poll(&self) -> klaxon::sources::PollFuture<'_> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn mirrors(&self, _kind: EntryKind) -> bool {
        true
    }

    fn mirror<'a>(&'a self, _op: &'a klaxon::model::MirrorOp) -> klaxon::sources::MirrorFuture<'a> {
        let done = klaxon::model::MirrorDone {
            remote_id: Some("silence-1".into()),
            prior: klaxon::model::PriorUpdate::Keep,
            summary: "silence silence-1".into(),
        };
        Box::pin(async move { Ok(done) })
    }
}

struct OnlyConfirming(std::sync::Arc<dyn klaxon::sources::AlertSource>);

impl klaxon::sync::Sources for OnlyConfirming {
    fn source(&self, _name: &str) -> Option<(std::sync::Arc<dyn klaxon::sources::AlertSource>, std::time::Duration)> {
        Some((self.0.clone(), std::time::Duration::from_secs(5)))
    }
}

#[tokio::test]
async fn an_action_sent_but_not_recorded_as_sent_says_so() {
    let Some(fs) = Tmpfs::mount(1024) else { return };
    let db = fs.path().join("k.db");
    let store = std::sync::Arc::new(SqliteStore::open(&db).unwrap());
    let ack = NewEntry::new(AlertKey::new("prod", "a"), EntryKind::Acked, "tester", "mine");
    store.append_mirrored(&ack, "prod", &[("alertname".to_string(), "X".to_string())].into()).unwrap();
    let _filler = Filler::fill(fs.path());
    let report = klaxon::sync::drain(store.clone(), &OnlyConfirming(std::sync::Arc::new(Confirming)), true).await;
    assert_eq!(report.done.len(), 1, "{report:?}");
    assert!(
        report.done[0].contains("not recorded as sent, so it goes again"),
        "a send the store could not record is said, since it will go again: {report:?}"
    );
}
