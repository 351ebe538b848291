//! What people typed and what sources said stays with its owner: klaxon creates its store,
//! spool and drafts 0600 in directories it creates 0700. A file or directory that exists
//! already keeps its mode (a team may share a store on purpose, by group). Consoles
//! starting together set a new file up one at a time ([`while_locked`]).

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and any missing parents, each 0700.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates `path` empty and 0600 (with its directory) unless it exists. SQLite opens an
/// empty file as a new database, and makes its -wal and -shm files with the same mode.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Opens `path` for writing from empty, 0600 when it is created.
pub fn write_file(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

/// Runs `f` (open, WAL, schema) holding an exclusive lock on `path`'s directory, so
/// consoles that start together set a new store up one after the other: setting one up
/// concurrently met "database is locked" that SQLite's busy timeout does not wait out. A
/// directory that cannot be locked (not readable, a file system without flock) only loses
/// this ordering; the busy timeout still applies.
pub fn while_locked<T>(path: &Path, f: impl FnOnce() -> T) -> T {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let lock = std::fs::File::open(dir).ok();
    if let Some(l) = &lock {
        let _ = rustix::fs::flock(l, rustix::fs::FlockOperation::LockExclusive);
    }
    let result = f();
    // Closing the directory releases the lock.
    drop(lock);
    result
}
