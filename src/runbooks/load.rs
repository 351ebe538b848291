//! Reading runbook folders as teams keep them: every Markdown file under the folder, however
//! deep (`_index.md`/`index.md` are their folder's page), hidden folders and other files left
//! alone, each symlinked folder or file read once. What cannot be read is said, never dropped
//! silently.

use super::index::{Origin, Runbook};
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// A file larger than this is not a runbook.
pub const MAX_BYTES: u64 = 1 << 20;
/// Deeper than this is a mistake (or a loop the device/inode check cannot see, as on some FUSE).
const MAX_DEPTH: usize = 32;
/// More files than this under the folders: the rest are left out, and that is said.
const MAX_FILES: usize = 100_000;

/// A Markdown file found under a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// Its path under the folder, without `.md`; an index page's is its folder's.
    pub name: String,
    /// Its name without `.md`; an index page's is its folder's name.
    pub stem: String,
}

/// `path` made absolute without resolving links (so it reads as the person wrote it).
pub fn absolute(path: &Path) -> PathBuf {
    let path = crate::config::paths::expand_tilde(path);
    normalize(&std::path::absolute(&path).unwrap_or(path))
}

/// `.` and `..` taken out of a path by its text alone.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|x| x.eq_ignore_ascii_case("md") || x.eq_ignore_ascii_case("markdown"))
}

/// Every Markdown file under each root (a root may be one file), in order, each read once.
pub fn find(roots: &[PathBuf], problems: &mut Vec<String>) -> Vec<Found> {
    let mut seen_dirs = HashSet::new();
    let mut seen_files = HashSet::new();
    let mut found = Vec::new();
    for root in roots {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                problems.push(format!("runbook folder {} cannot be read: {e}", root.display()));
                continue;
            }
        };
        let folder = root
            .file_name()
            .map_or_else(|| "runbooks".into(), |n| crate::sanitize::sanitize_line(&n.to_string_lossy()));
        if meta.is_file() {
            if seen_files.insert((meta.dev(), meta.ino())) {
                let stem =
                    root.file_stem().map_or(folder.clone(), |s| crate::sanitize::sanitize_line(&s.to_string_lossy()));
                found.push(Found { path: root.clone(), name: stem.clone(), stem });
            }
            continue;
        }
        if !seen_dirs.insert((meta.dev(), meta.ino())) {
            continue; // the same folder configured twice (a mirror's path is often also in `paths`)
        }
        // Depth-first by name, so the order (and the problems) are the same every time.
        let mut stack = vec![(root.clone(), String::new(), 0usize)];
        while let Some((dir, under, depth)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("{}: cannot be read: {e}", dir.display()));
                    continue;
                }
            };
            let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
            entries.sort_by_key(|e| e.file_name());
            let mut subdirs = Vec::new();
            for entry in entries {
                // Names are shown: a file name can hold escape sequences.
                let file_name = crate::sanitize::sanitize_line(&entry.file_name().to_string_lossy());
                if file_name.starts_with('.') {
                    continue; // .git, .github, editors' files: not runbooks
                }
                let path = entry.path();
                let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
                // Follows a symlink; a broken one is worth a word only when it looks like a runbook.
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        if is_link && is_markdown(&path) {
                            problems.push(format!("{}: a link to nothing ({e}), skipped", path.display()));
                        }
                        continue;
                    }
                };
                let rel = if under.is_empty() { file_name.clone() } else { format!("{under}/{file_name}") };
                if meta.is_dir() {
                    if depth + 1 >= MAX_DEPTH {
                        problems.push(format!("{}: deeper than {MAX_DEPTH} folders, skipped", path.display()));
                    } else if seen_dirs.insert((meta.dev(), meta.ino())) {
                        subdirs.push((path, rel, depth + 1));
                    } else if is_link {
                        problems.push(format!("{}: links to a folder already read, read once", path.display()));
                    }
                    continue;
                }
                if !meta.is_file() || !is_markdown(&path) || !seen_files.insert((meta.dev(), meta.ino())) {
                    continue;
                }
                if found.len() >= MAX_FILES {
                    problems.push(format!(
                        "more than {MAX_FILES} Markdown files: {} and later ones skipped",
                        path.display()
                    ));
                    return found;
                }
                let stem =
                    Path::new(&file_name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                let rel = rel[..rel.len() - Path::new(&file_name).extension().map_or(0, |x| x.len() + 1)].to_owned();
                found.push(if stem == "_index" || stem == "index" {
                    // The folder's own page: named and linked as the folder.
                    let folder_name = if under.is_empty() { folder.clone() } else { under.clone() };
                    let stem = folder_name.rsplit('/').next().unwrap_or(&folder_name).to_owned();
                    Found { path, name: folder_name, stem }
                } else {
                    Found { path, name: rel, stem }
                });
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }
    found
}

/// One file as a runbook, with the problems in it ("path:line: …").
pub fn read(found: &Found) -> Result<(Runbook, Vec<String>), String> {
    let path = &found.path;
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| at(&e))?;
    if meta.len() > MAX_BYTES {
        return Err(at(&format!("{} KiB, larger than {} KiB: skipped", meta.len() / 1024, MAX_BYTES / 1024)));
    }
    let bytes = std::fs::read(path).map_err(|e| at(&e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(at(&"grew past the size limit while being read: skipped"));
    }
    if binary(&bytes) {
        return Err(at(&"binary, not Markdown text: skipped"));
    }
    let mut problems = Vec::new();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push(at(&"not UTF-8: the bytes that are not show as \u{fffd}"));
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let (rb, front) = Runbook::read(&found.name, &found.stem, &text, Origin::File(path.clone()));
    problems.extend(front.into_iter().map(|p| format!("{}:{}", path.display(), p.trim_start_matches("line "))));
    Ok((rb, problems))
}

/// An image or an archive named `.md`: NUL bytes (no editor writes them) in bytes that are not
/// UTF-8 or are a tenth control characters. A text with a stray NUL is text, shown sanitized.
fn binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if !head.contains(&0) {
        return false;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
    std::str::from_utf8(bytes).is_err() || controls * 10 > head.len()
}

/// Every runbook under the roots. Reading and parsing run on every core: thousands of files
/// load in a fraction of a second.
pub fn load_all(roots: &[PathBuf], problems: &mut Vec<String>) -> Vec<Runbook> {
    let found = find(roots, problems);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = found.len().div_ceil(threads).max(64);
    type Read = Result<(Runbook, Vec<String>), String>;
    let results: Vec<Vec<Read>> = std::thread::scope(|s| {
        let handles: Vec<_> = found.chunks(chunk).map(|c| s.spawn(move || c.iter().map(read).collect())).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| vec![Err("a runbook reader stopped; some files were not read".into())])
            })
            .collect()
    });
    let mut runbooks = Vec::with_capacity(found.len());
    for result in results.into_iter().flatten() {
        match result {
            Ok((rb, p)) => {
                runbooks.push(rb);
                problems.extend(p);
            }
            Err(e) => problems.push(e),
        }
    }
    runbooks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runbook-site")
    }

    #[test]
    fn every_markdown_file_under_the_folder_and_nothing_else() {
        let mut problems = Vec::new();
        let found = find(&[site()], &mut problems);
        let names: Vec<(&str, &str)> = found.iter().map(|f| (f.name.as_str(), f.stem.as_str())).collect();
        // Depth-first by name; index pages are their folder's; .github, config.yaml and the
        // image are not runbooks.
        assert_eq!(
            names,
            [
                ("README", "README"),
                ("archetypes/default", "default"),
                ("content", "content"),
                ("content/runbooks", "runbooks"),
                ("content/runbooks/database/PostgresDown", "PostgresDown"),
                ("content/runbooks/database/PostgresReplicationLagHigh", "PostgresReplicationLagHigh"),
                ("content/runbooks/database", "database"),
                ("content/runbooks/node/NodeDiskFull", "NodeDiskFull"),
                ("content/runbooks/node/NodeHighLoad", "NodeHighLoad"),
                ("content/runbooks/node", "node"),
                ("content/runbooks/node/node-clock-skew", "node-clock-skew"),
            ]
        );
        assert!(problems.is_empty(), "{problems:?}");
        // The whole repository: the Hugo archetype is a template, not YAML; said, and kept.
        let runbooks = load_all(&[site()], &mut problems);
        assert_eq!(runbooks.len(), names.len());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("archetypes/default.md:2: YAML front matter"), "{problems:?}");
    }

    #[test]
    fn links_are_followed_once_and_what_cannot_be_read_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rb");
        std::fs::create_dir_all(root.join("team/deep")).unwrap();
        std::fs::write(root.join("team/deep/a.md"), "# A").unwrap();
        std::fs::write(root.join("team/B.MD"), "# B").unwrap();
        // A loop back to the top, a second way to the same file, a link to nothing.
        std::os::unix::fs::symlink(&root, root.join("team/deep/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("team/B.MD"), root.join("b-again.md")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.md"), root.join("dangling.md")).unwrap();
        // A folder elsewhere, linked in: read (once).
        std::fs::create_dir_all(dir.path().join("shared")).unwrap();
        std::fs::write(dir.path().join("shared/c.md"), "# C").unwrap();
        std::os::unix::fs::symlink(dir.path().join("shared"), root.join("shared")).unwrap();
        // Too big, binary, not UTF-8.
        std::fs::write(root.join("huge.md"), "x".repeat(MAX_BYTES as usize + 1)).unwrap();
        std::fs::write(root.join("logo.md"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        std::fs::write(root.join("latin1.md"), b"# Caf\xe9\n").unwrap();
        let mut problems = Vec::new();
        let runbooks = load_all(&[root.clone(), root.clone()], &mut problems);
        let mut names: Vec<&str> = runbooks.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["b-again", "latin1", "shared/c", "team/deep/a"]);
        let said = problems.join("\n");
        assert_eq!(problems.len(), 5, "{said}");
        for (what, file) in [
            ("a link to nothing", "dangling.md"),
            ("larger than 1024 KiB: skipped", "huge.md"),
            ("binary, not Markdown text: skipped", "logo.md"),
            ("not UTF-8", "latin1.md"),
            ("links to a folder already read", "loop"),
        ] {
            assert!(problems.iter().any(|p| p.contains(what) && p.contains(file)), "{what} {file}: {said}");
        }
        assert_eq!(runbooks.iter().find(|r| r.name == "latin1").unwrap().title, "Caf\u{fffd}");
    }
}
