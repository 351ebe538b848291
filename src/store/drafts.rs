//! Note drafts on local disk, written as they are typed, so a quit, a crash or a dropped SSH
//! connection loses nothing. One file per alert, named by the key in hex (keys hold `/`).

use crate::model::AlertKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
}

impl Drafts {
    pub fn new(dir: &Path) -> Self {
        Drafts { dir: dir.to_path_buf() }
    }

    fn file(&self, key: &AlertKey) -> PathBuf {
        let hex: String = key.as_str().bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.txt"))
    }

    /// Replaces the draft atomically; an empty draft is removed.
    pub fn save(&self, key: &AlertKey, text: &str) -> std::io::Result<()> {
        if text.trim().is_empty() {
            return self.delete(key);
        }
        super::private::create_dir(&self.dir)?;
        let tmp = self.dir.join(".draft.tmp");
        // Made afresh, so one left by an older klaxon does not lend its mode.
        let _ = std::fs::remove_file(&tmp);
        let mut file = super::private::write_file(&tmp)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        // On disk before it replaces the last one: a full disk or a crash keeps the old draft.
        file.sync_all()?;
        std::fs::rename(tmp, self.file(key))
    }

    pub fn delete(&self, key: &AlertKey) -> std::io::Result<()> {
        match std::fs::remove_file(self.file(key)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Every draft left on disk; unreadable or foreign files are passed over.
    pub fn load_all(&self) -> HashMap<AlertKey, String> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else { return HashMap::new() };
        dir.filter_map(|e| {
            let path = e.ok()?.path();
            let hex = path.file_name()?.to_str()?.strip_suffix(".txt")?;
            let bytes: Option<Vec<u8>> =
                (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect();
            let key = AlertKey::parse(&String::from_utf8(bytes?).ok()?)?;
            let text = std::fs::read_to_string(&path).ok()?;
            Some((key, crate::sanitize::sanitize(&text)))
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_round_trip_and_empty_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::new(dir.path());
        let key = AlertKey::new("local", "disk:/var");
        drafts.save(&key, "checking du\nsecond line").unwrap();
        assert_eq!(drafts.load_all()[&key], "checking du\nsecond line");
        drafts.save(&key, "  ").unwrap();
        assert!(drafts.load_all().is_empty());
        drafts.delete(&key).unwrap();
        std::fs::write(dir.path().join("zz.txt"), "junk").unwrap();
        assert!(drafts.load_all().is_empty());
    }
}
