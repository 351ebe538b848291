//! The runbook library: the bundled runbooks and the user's directories, each a Markdown
//! file with TOML front matter saying which alerts it is for.

use crate::model::filter::Filter;
use crate::model::{Alert, Severity};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use regex::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The runbooks shipped in `runbooks/`, embedded (a test checks none is missing).
pub const BUNDLED: &[(&str, &str)] = &[
    ("auth-failures", include_str!("../../runbooks/auth-failures.md")),
    ("certificate-expiry", include_str!("../../runbooks/certificate-expiry.md")),
    ("deploy-in-progress", include_str!("../../runbooks/deploy-in-progress.md")),
    ("disk-filling", include_str!("../../runbooks/disk-filling.md")),
    ("error-rate-slo-burn", include_str!("../../runbooks/error-rate-slo-burn.md")),
    ("high-load", include_str!("../../runbooks/high-load.md")),
    ("instance-down", include_str!("../../runbooks/instance-down.md")),
    ("latency-slo-burn", include_str!("../../runbooks/latency-slo-burn.md")),
    ("memory-pressure", include_str!("../../runbooks/memory-pressure.md")),
    ("queue-backlog", include_str!("../../runbooks/queue-backlog.md")),
    ("replication-lag", include_str!("../../runbooks/replication-lag.md")),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Bundled,
    File(PathBuf),
    /// Fetched from a URL; `from_cache` when the URL could not be reached just now.
    Remote {
        url: String,
        fetched_at: chrono::DateTime<chrono::Utc>,
        from_cache: bool,
    },
}

impl Origin {
    /// Where it comes from, as the list and the pane say it ("cached at …" when offline).
    pub fn describe(&self) -> String {
        match self {
            Origin::Bundled => "bundled".into(),
            Origin::File(p) => p.display().to_string(),
            Origin::Remote { url, fetched_at, from_cache: true } => {
                format!("{url}, cached at {} (could not reach it now)", fetched_at.format("%Y-%m-%d %H:%M UTC"))
            }
            Origin::Remote { url, fetched_at, .. } => format!("{url}, read at {}", fetched_at.format("%H:%M UTC")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Runbook {
    /// The file name without `.md`: what `runbook_url = "disk-filling"` names.
    pub name: String,
    pub title: String,
    pub tags: Vec<String>,
    pub body: String,
    pub origin: Origin,
    rules: Rules,
    /// Lower-cased title, tags and name; lower-cased body: searched without allocating.
    head_lc: String,
    body_lc: String,
}

#[derive(Debug, Clone, Default)]
struct Rules {
    alertnames: Vec<Regex>,
    labels: Vec<Filter>,
    min_severity: Option<Severity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    /// Globs: `*` any run of characters, `?` one.
    #[serde(default)]
    alertnames: Vec<String>,
    /// Matchers as in the console's filter: `service=~db.*`, `env=prod`.
    #[serde(default)]
    labels: Vec<String>,
    min_severity: Option<Severity>,
}

/// A glob (`disk:*`, `NodeFilesystem*`) as an anchored regex.
fn glob(pattern: &str) -> Result<Regex, String> {
    let re = regex::escape(pattern).replace(r"\*", ".*").replace(r"\?", ".");
    Regex::new(&format!("^{re}$")).map_err(|e| format!("bad alertname glob {pattern:?}: {e}"))
}

impl Runbook {
    /// Parses `+++` TOML front matter and the Markdown body. Errors name the line.
    pub fn parse(name: &str, text: &str, origin: Origin) -> Result<Runbook, String> {
        let text = crate::sanitize::sanitize(text);
        let rest = text.strip_prefix("+++\n").ok_or("the file must start with +++ front matter (title = \"…\")")?;
        let end = rest.find("\n+++").ok_or("the front matter has no closing +++")?;
        let (front, body) = (&rest[..end], rest[end + 4..].trim_start_matches('\n'));
        let fm: FrontMatter = toml::from_str(front).map_err(|e| {
            let line = e.span().map_or(0, |s| front[..s.start.min(front.len())].matches('\n').count() + 2);
            format!("line {line}: {}", e.message())
        })?;
        let rules = Rules {
            alertnames: fm.alertnames.iter().map(|g| glob(g)).collect::<Result<_, _>>()?,
            labels: fm.labels.iter().map(|m| Filter::parse(m)).collect::<Result<_, _>>()?,
            min_severity: fm.min_severity,
        };
        let head_lc = format!("{} {} {}", fm.title, fm.tags.join(" "), name).to_lowercase();
        Ok(Runbook {
            name: name.to_owned(),
            title: fm.title,
            tags: fm.tags,
            body_lc: body.to_lowercase(),
            body: body.to_owned(),
            origin,
            rules,
            head_lc,
        })
    }

    /// A document that may lack front matter (a wiki page behind a `runbook_url`): its
    /// title is its first heading, else `name`.
    pub fn from_document(name: &str, text: &str, origin: Origin) -> Runbook {
        if let Ok(rb) = Runbook::parse(name, text, origin.clone()) {
            return rb;
        }
        let body = crate::sanitize::sanitize(text);
        let title = body
            .lines()
            .find_map(|l| l.trim().strip_prefix('#').map(|h| h.trim_start_matches('#').trim().to_owned()))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| name.to_owned());
        Runbook {
            name: name.to_owned(),
            head_lc: title.to_lowercase(),
            title,
            tags: Vec::new(),
            body_lc: body.to_lowercase(),
            body,
            origin,
            rules: Rules::default(),
        }
    }

    /// How well this runbook's rules fit the alert: None when they do not. More specific
    /// rules score higher: an exact alertname beats a glob, each label matcher adds.
    pub fn fit(&self, alert: &Alert) -> Option<u32> {
        let r = &self.rules;
        if r.alertnames.is_empty() && r.labels.is_empty() {
            return None;
        }
        let mut score = 0;
        if !r.alertnames.is_empty() {
            let name = alert.labels.get("alertname").map_or(alert.title.as_str(), String::as_str);
            let hit = r.alertnames.iter().find(|re| re.is_match(name))?;
            score += if hit.as_str().contains(".*") || hit.as_str().contains('.') { 2 } else { 4 };
        }
        if !r.labels.iter().all(|f| f.matches_alert(alert)) {
            return None;
        }
        score += 3 * r.labels.len() as u32;
        if r.min_severity.is_some_and(|min| alert.severity < min) {
            return None;
        }
        Some(score)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Library {
    runbooks: Vec<Runbook>,
}

/// A search hit: the runbook, its score, and the first body line holding the query.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub runbook: &'a Runbook,
    pub score: u32,
    pub snippet: Option<String>,
}

impl Library {
    /// The bundled runbooks, then every `*.md` in `dirs` (a user's runbook replaces a bundled
    /// one of the same name). Files that do not parse are reported and left out.
    pub fn load(dirs: &[PathBuf]) -> (Library, Vec<String>) {
        let mut lib = Library::default();
        let mut problems = Vec::new();
        for (name, text) in BUNDLED {
            match Runbook::parse(name, text, Origin::Bundled) {
                Ok(rb) => lib.insert(rb),
                Err(e) => problems.push(format!("bundled runbook {name}: {e}")),
            }
        }
        for dir in dirs {
            let dir = crate::config::paths::expand_tilde(dir);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                problems.push(format!("runbook directory {} cannot be read", dir.display()));
                continue;
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect();
            files.sort();
            for path in files {
                match Self::load_file(&path) {
                    Ok(rb) => lib.insert(rb),
                    Err(e) => problems.push(e),
                }
            }
        }
        lib.runbooks.sort_by(|a, b| a.name.cmp(&b.name));
        (lib, problems)
    }

    /// One Markdown file as a runbook (also for `runbook_url` naming a local path).
    pub fn load_file(path: &Path) -> Result<Runbook, String> {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > 1 << 20 {
            return Err(format!("{}: larger than 1 MiB, not a runbook", path.display()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Runbook::parse(&name, &text, Origin::File(path.to_path_buf())).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn insert(&mut self, rb: Runbook) {
        self.runbooks.retain(|r| r.name != rb.name);
        self.runbooks.push(rb);
    }

    pub fn all(&self) -> &[Runbook] {
        &self.runbooks
    }

    pub fn get(&self, name: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.name == name)
    }

    /// Runbooks whose rules fit the alert, best first.
    pub fn matching(&self, alert: &Alert) -> Vec<&Runbook> {
        let mut fits: Vec<(u32, &Runbook)> =
            self.runbooks.iter().filter_map(|r| r.fit(alert).map(|s| (s, r))).collect();
        fits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        fits.into_iter().map(|(_, r)| r).collect()
    }

    /// Fuzzy over title, tags and name; every word of the query in the body counts too,
    /// lower. Best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return self.runbooks.iter().take(limit).map(|r| Hit { runbook: r, score: 0, snippet: None }).collect();
        }
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut buf = Vec::new();
        let mut hits: Vec<Hit> = self
            .runbooks
            .iter()
            .filter_map(|r| {
                let head = pattern.score(Utf32Str::new(&r.head_lc, &mut buf), &mut matcher).map(|s| s * 4);
                let in_body = words.iter().all(|w| r.body_lc.contains(w.as_str()));
                let body = in_body.then(|| 50 * words.len() as u32);
                let score = head.max(body)?;
                let snippet = in_body.then(|| snippet(&r.body, &words[0])).flatten();
                Some(Hit { runbook: r, score, snippet })
            })
            .collect();
        hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.runbook.name.cmp(&b.runbook.name)));
        hits.truncate(limit);
        hits
    }
}

fn snippet(body: &str, word: &str) -> Option<String> {
    body.lines().find(|l| l.to_lowercase().contains(word)).map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, sev: Severity, labels: &[(&str, &str)]) -> Alert {
        let mut a = Alert::test("s", "1", sev, chrono::Utc::now());
        a.labels.insert("alertname".into(), name.into());
        for (k, v) in labels {
            a.labels.insert(k.to_string(), v.to_string());
        }
        // As sources do: the service label is the alert's service.
        a.service = a.labels.get("service").cloned();
        a
    }

    #[test]
    fn every_bundled_file_is_embedded_and_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().path().file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, embedded, "add new runbooks to BUNDLED");
        let (lib, problems) = Library::load(&[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lib.all().len(), BUNDLED.len());
    }

    #[test]
    fn rules_match_globs_labels_and_severity_most_specific_first() {
        let (lib, _) = Library::load(&[]);
        let names = |a: &Alert| lib.matching(a).iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&alert("disk:/var", Severity::High, &[])), ["disk-filling"]);
        assert_eq!(names(&alert("NodeFilesystemAlmostFull", Severity::Warning, &[])), ["disk-filling"]);
        assert_eq!(names(&alert("DeployInProgress", Severity::Information, &[])), ["deploy-in-progress"]);
        assert!(names(&alert("DiskFilling", Severity::Information, &[])).is_empty(), "below min_severity");
        assert!(names(&alert("SomethingElse", Severity::Disaster, &[])).is_empty());
        let specific = Runbook::parse(
            "db-disk",
            "+++\ntitle = \"DB disk\"\nalertnames = [\"DiskFilling\"]\nlabels = [\"service=~db.*\"]\n+++\nbody",
            Origin::Bundled,
        )
        .unwrap();
        let mut more = lib.clone();
        more.insert(specific);
        let names = |a: &Alert| more.matching(a).iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&alert("DiskFilling", Severity::High, &[("service", "db")])), ["db-disk", "disk-filling"]);
        assert_eq!(names(&alert("DiskFilling", Severity::High, &[("service", "web")])), ["disk-filling"]);
    }

    #[test]
    fn front_matter_mistakes_are_explained() {
        let e = Runbook::parse("x", "no front matter", Origin::Bundled).unwrap_err();
        assert!(e.contains("+++"), "{e}");
        let e = Runbook::parse("x", "+++\ntitle = \"t\"\nalertnamez = []\n+++\n", Origin::Bundled).unwrap_err();
        assert!(e.starts_with("line 3:") && e.contains("alertnamez"), "{e}");
        let e =
            Runbook::parse("x", "+++\ntitle = \"t\"\nlabels = [\"service=~(\"]\n+++\n", Origin::Bundled).unwrap_err();
        assert!(e.contains("bad pattern"), "{e}");
    }

    #[test]
    fn user_runbooks_replace_bundled_ones_and_bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("disk-filling.md"),
            "+++\ntitle = \"Our disk runbook\"\nalertnames = [\"Disk*\"]\n+++\n# Ours",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.md"), "+++\ntitle = 3\n+++\n").unwrap();
        let (lib, problems) = Library::load(&[dir.path().to_path_buf()]);
        assert_eq!(lib.get("disk-filling").unwrap().title, "Our disk runbook");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("broken.md") && problems[0].contains("line 2"), "{problems:?}");
    }

    #[test]
    fn search_by_title_fuzzily_and_by_body_words() {
        let (lib, _) = Library::load(&[]);
        assert_eq!(lib.search("replica lag", 3)[0].runbook.name, "replication-lag");
        assert_eq!(lib.search("certexp", 3)[0].runbook.name, "certificate-expiry");
        let hits = lib.search("openssl s_client", 5);
        assert_eq!(hits[0].runbook.name, "certificate-expiry");
        assert!(hits[0].snippet.as_deref().is_some_and(|s| s.contains("openssl")), "{:?}", hits[0].snippet);
        assert!(lib.search("zzqqxx", 5).is_empty());
    }
}
