//! The runbook library: the bundled runbooks and the user's folders of Markdown, each file a
//! runbook whose front matter (optional) may say which alerts it is for.

use super::front;
use crate::model::filter::Filter;
use crate::model::{Alert, Severity};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use regex::Regex;
use std::collections::HashMap;
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
            // A file name can hold anything but `/` and NUL, escape sequences included.
            Origin::File(p) => crate::sanitize::sanitize_line(&p.display().to_string()),
            Origin::Remote { url, fetched_at, from_cache: true } => {
                format!("{url}, cached at {} (could not reach it now)", fetched_at.format("%Y-%m-%d %H:%M UTC"))
            }
            Origin::Remote { url, fetched_at, .. } => format!("{url}, read at {}", fetched_at.format("%H:%M UTC")),
        }
    }
}

/// A runbook, cheap to clone (the browser keeps the ones it came from) and to send.
#[derive(Debug, Clone)]
pub struct Runbook(std::sync::Arc<Contents>);

impl std::ops::Deref for Runbook {
    type Target = Contents;
    fn deref(&self) -> &Contents {
        &self.0
    }
}

#[derive(Debug)]
pub struct Contents {
    /// The path under its folder without `.md` (`kubernetes/KubePodCrashLooping`; an index page
    /// is its folder's): what `runbook_url = "disk-filling"` names.
    pub name: String,
    pub title: String,
    pub tags: Vec<String>,
    pub body: String,
    pub origin: Origin,
    /// Links as the rendering numbers them: `[n]` is `links[n - 1]`, what the digit keys follow.
    pub links: Vec<(String, String)>,
    /// (alt text, url) of each image.
    pub images: Vec<(String, String)>,
    /// The text of each code block, what `y` copies.
    pub code_blocks: Vec<String>,
    /// Other paths its site serves it at (Hugo's `aliases`).
    pub aliases: Vec<String>,
    /// The file name without `.md` (the folder's name for an index page): linking by alertname.
    pub stem: String,
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

/// A glob (`disk:*`, `NodeFilesystem*`) as an anchored regex.
fn glob(pattern: &str) -> Result<Regex, String> {
    let re = regex::escape(pattern).replace(r"\*", ".*").replace(r"\?", ".");
    Regex::new(&format!("^{re}$")).map_err(|e| format!("bad alertname glob {pattern:?}: {e}"))
}

/// An alertname, stem or title compared for linking by name: lower case, without `-`, `_` and
/// spaces (`KubePodCrashLooping`, `kube-pod-crash-looping` and "Kube Pod Crash Looping" meet).
pub fn name_key(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
}

/// Hugo's `[text]({{< ref "./Other.md" >}})` as the plain link it stands for.
fn hugo_refs(body: &str) -> std::borrow::Cow<'_, str> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    if !body.contains("{{") {
        return body.into();
    }
    let re = RE.get_or_init(|| {
        Regex::new(r#"\]\(\s*\{\{[<%]\s*(?:rel)?ref\s+"([^"\n]*)"\s*[>%]\}\}\s*\)"#).expect("a valid pattern")
    });
    re.replace_all(body, "](<$1>)")
}

impl Runbook {
    /// A runbook from a file's text: front matter (TOML, YAML or none) and Markdown body. It
    /// always loads; what is wrong with it comes back as "line N: …" problems.
    pub fn read(name: &str, stem: &str, text: &str, origin: Origin) -> (Runbook, Vec<String>) {
        let text = super::markdown::prepare(text);
        let (split, cut) = front::split(&text);
        let mut problems: Vec<front::Problem> = cut.into_iter().collect();
        let fields = match split.front {
            Some((format, front)) => {
                let (fields, p) = front::parse(format, front);
                problems.extend(p);
                fields
            }
            None => front::Fields::default(),
        };
        let body = hugo_refs(split.body).into_owned();
        let mut say = |line: usize, message: String| problems.push(front::Problem { line, message });
        let mut alertnames = Vec::new();
        for g in &fields.alertnames {
            match glob(g) {
                Ok(re) => alertnames.push(re),
                Err(e) => say(1, e),
            }
        }
        let mut labels = Vec::new();
        for m in &fields.labels {
            match Filter::parse(m) {
                Ok(f) => labels.push(f),
                Err(e) => say(1, format!("labels: {e}")),
            }
        }
        let rules = Rules { alertnames, labels, min_severity: fields.min_severity };
        let title = fields
            .title
            .map(|t| crate::sanitize::sanitize_line(&t).trim().to_owned())
            .filter(|t| !t.is_empty())
            .or_else(|| front::first_heading(&body))
            .unwrap_or_else(|| stem.to_owned());
        let tags: Vec<String> = fields.tags.iter().map(|t| crate::sanitize::sanitize_line(t)).collect();
        let parts = super::parts::extract_prepared(&body);
        let head_lc = format!("{title} {} {name}", tags.join(" ")).to_lowercase();
        let rb = Runbook(std::sync::Arc::new(Contents {
            name: name.to_owned(),
            title,
            tags,
            body_lc: body.to_lowercase(),
            body,
            origin,
            links: parts.links,
            images: parts.images,
            code_blocks: parts.code_blocks,
            aliases: fields.aliases,
            stem: stem.to_owned(),
            rules,
            head_lc,
        }));
        (rb, problems.into_iter().map(|p| format!("line {}: {}", p.line, p.message)).collect())
    }

    /// `read`, strict: any problem is an error (the bundled runbooks, tests).
    pub fn parse(name: &str, text: &str, origin: Origin) -> Result<Runbook, String> {
        let (rb, problems) = Runbook::read(name, name, text, origin);
        match problems.is_empty() {
            true => Ok(rb),
            false => Err(problems.join("; ")),
        }
    }

    /// A document read for a reference (a wiki page, a file): whatever is wrong with its front
    /// matter, it is shown.
    pub fn from_document(name: &str, text: &str, origin: Origin) -> Runbook {
        let stem = name.rsplit('/').next().unwrap_or(name);
        Runbook::read(name, stem.strip_suffix(".md").unwrap_or(stem), text, origin).0
    }

    /// The folder a relative link in it starts from, when it is a local file.
    pub fn folder(&self) -> Option<&Path> {
        match &self.origin {
            Origin::File(p) => p.parent(),
            _ => None,
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
            let hit = r.alertnames.iter().find(|re| re.is_match(alertname(alert)))?;
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

/// The alert's `alertname` label, else its title.
pub fn alertname(alert: &Alert) -> &str {
    alert.labels.get("alertname").unwrap_or(&alert.title)
}

/// A runbook site kept on disk: a URL under `url` opens the file under `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub url: String,
    pub path: PathBuf,
}

/// A path as the library looks it up: lower case, without `.md`/`.html`, a trailing `/`, or an
/// index page's name (`kubernetes/_index.md` is `kubernetes`).
pub fn path_key(path: &str) -> String {
    let mut key = path.trim_end_matches('/').to_lowercase();
    for ext in [".md", ".markdown", ".html", ".htm"] {
        if let Some(k) = key.strip_suffix(ext) {
            key.truncate(k.len());
            break;
        }
    }
    for index in ["/_index", "/index"] {
        if let Some(k) = key.strip_suffix(index) {
            key.truncate(k.len());
            break;
        }
    }
    key
}

#[derive(Debug, Clone, Default)]
pub struct Library {
    runbooks: Vec<Runbook>,
    by_name: HashMap<String, usize>,
    /// `name_key` of each stem and title: linking by alertname.
    by_key: HashMap<String, Vec<usize>>,
    /// `path_key` of each file: relative links and mirrors.
    by_path: HashMap<String, usize>,
    mirrors: Vec<Mirror>,
    /// `scheme://host/alias` of each alias of a runbook under a mirror.
    by_alias: HashMap<String, usize>,
}

/// A search hit: the runbook, its score, and the first body line holding the query.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub runbook: &'a Runbook,
    pub score: u32,
    pub snippet: Option<String>,
}

/// What a mirror makes of a URL.
#[derive(Debug, Clone, Copy)]
pub enum Mirrored<'a> {
    /// No mirror's `url` is a prefix of it.
    No,
    Found(&'a Runbook),
    /// Under a mirror, but its checkout has no such file.
    Missing(&'a Mirror),
}

impl Library {
    /// The bundled runbooks, then every Markdown file under `dirs`.
    pub fn load(dirs: &[PathBuf]) -> (Library, Vec<String>) {
        Library::load_with(dirs, &[])
    }

    /// The bundled runbooks, then every Markdown file under `dirs` and the mirrors' folders
    /// (a user's runbook replaces a bundled one of the same name). What cannot be read is
    /// reported and left out; a front matter that does not parse is reported and the runbook kept.
    pub fn load_with(dirs: &[PathBuf], mirrors: &[Mirror]) -> (Library, Vec<String>) {
        let mut runbooks = Vec::with_capacity(BUNDLED.len());
        let mut problems = Vec::new();
        for (name, text) in BUNDLED {
            match Runbook::parse(name, text, Origin::Bundled) {
                Ok(rb) => runbooks.push(rb),
                Err(e) => problems.push(format!("bundled runbook {name}: {e}")),
            }
        }
        let mirrors: Vec<Mirror> =
            mirrors.iter().map(|m| Mirror { url: m.url.clone(), path: super::load::absolute(&m.path) }).collect();
        let roots: Vec<PathBuf> =
            dirs.iter().map(|d| super::load::absolute(d)).chain(mirrors.iter().map(|m| m.path.clone())).collect();
        runbooks.extend(super::load::load_all(&roots, &mut problems));
        let lib = Library::build(runbooks, mirrors, &mut problems);
        // They name files, whose names can hold escape sequences, and reach the terminal.
        (lib, problems.iter().map(|p| crate::sanitize::sanitize_line(p)).collect())
    }

    /// Indexes `runbooks`; a later one replaces an earlier one of the same name (said, unless
    /// it replaces a bundled one, which is what a user's runbook of that name is for).
    fn build(runbooks: Vec<Runbook>, mirrors: Vec<Mirror>, problems: &mut Vec<String>) -> Library {
        let mut by_name: HashMap<String, usize> = HashMap::with_capacity(runbooks.len());
        let mut kept: Vec<Option<Runbook>> = Vec::with_capacity(runbooks.len());
        for rb in runbooks {
            if let Some(&i) = by_name.get(&rb.name) {
                let old = kept[i].take().expect("indexed");
                if old.origin != Origin::Bundled {
                    problems.push(format!(
                        "{}: named {:?} like {}, which it replaces",
                        rb.origin.describe(),
                        rb.name,
                        old.origin.describe()
                    ));
                }
                kept[i] = Some(rb);
            } else {
                by_name.insert(rb.name.clone(), kept.len());
                kept.push(Some(rb));
            }
        }
        let mut runbooks: Vec<Runbook> = kept.into_iter().flatten().collect();
        runbooks.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lib = Library { mirrors, ..Library::default() };
        for (i, rb) in runbooks.iter().enumerate() {
            lib.by_name.insert(rb.name.clone(), i);
            let (stem, title) = (name_key(&rb.stem), name_key(&rb.title));
            lib.by_key.entry(stem.clone()).or_default().push(i);
            if title != stem {
                lib.by_key.entry(title).or_default().push(i);
            }
            let Origin::File(path) = &rb.origin else { continue };
            lib.by_path.insert(path_key(&path.to_string_lossy()), i);
            if let Some(m) = lib.mirrors.iter().find(|m| path.starts_with(&m.path)) {
                let origin = url_origin(&m.url).to_ascii_lowercase();
                for alias in &rb.aliases {
                    let alias = format!("/{}", alias.trim_start_matches('/'));
                    lib.by_alias.insert(format!("{origin}{}", path_key(&alias)), i);
                }
            }
        }
        lib.runbooks = runbooks;
        lib
    }

    pub fn all(&self) -> &[Runbook] {
        &self.runbooks
    }

    pub fn get(&self, name: &str) -> Option<&Runbook> {
        self.by_name.get(name).map(|&i| &self.runbooks[i])
    }

    /// A runbook by name, else by a name that is a stem or title ignoring case and `-`/`_`/spaces.
    pub fn find(&self, name: &str) -> Option<&Runbook> {
        self.get(name).or_else(|| self.by_alertname(name).into_iter().next())
    }

    /// The runbooks whose file stem or title is `alertname` (ignoring case, `-`, `_` and
    /// spaces): those whose stem is first, then by name.
    pub fn by_alertname(&self, alertname: &str) -> Vec<&Runbook> {
        let key = name_key(alertname);
        let mut hits: Vec<&Runbook> = self.by_key.get(&key).into_iter().flatten().map(|&i| &self.runbooks[i]).collect();
        hits.sort_by_key(|r| name_key(&r.stem) != key);
        hits
    }

    /// The runbook loaded from `path` (compared as [`path_key`] does).
    pub fn at_path(&self, path: &Path) -> Option<&Runbook> {
        self.by_path.get(&path_key(&path.to_string_lossy())).map(|&i| &self.runbooks[i])
    }

    pub fn mirrors(&self) -> &[Mirror] {
        &self.mirrors
    }

    /// The local copy of a URL under a mirror: the file whose path under the mirror's folder is
    /// the rest of the URL, ignoring case, `.md`, a trailing `/`, `index.md`, query and fragment.
    pub fn mirrored(&self, url: &str) -> Mirrored<'_> {
        // ASCII lower case keeps byte offsets, so the cut below falls where it did in `lc`.
        let url = url.split(['#', '?']).next().unwrap_or(url);
        let lc = url.to_ascii_lowercase();
        let origin = url_origin(&lc);
        if let Some(&i) = self.by_alias.get(&format!("{origin}{}", path_key(&lc[origin.len()..]))) {
            return Mirrored::Found(&self.runbooks[i]);
        }
        for m in &self.mirrors {
            let prefix = m.url.trim_end_matches('/').to_ascii_lowercase();
            let Some(rest) = lc.strip_prefix(&prefix) else { continue };
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            let rest = percent_decode(&url[prefix.len()..]);
            let path = super::load::normalize(&m.path.join(rest.trim_start_matches('/')));
            if !path.starts_with(&m.path) {
                continue; // `..` out of the checkout
            }
            return match self.at_path(&path) {
                Some(rb) => Mirrored::Found(rb),
                None => Mirrored::Missing(m),
            };
        }
        Mirrored::No
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

/// `scheme://host[:port]` of a URL (the whole of it when it has no path).
pub fn url_origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    url[after..].find('/').map_or(url, |i| &url[..after + i])
}

/// `%20` and the like decoded; a malformed escape is kept as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn snippet(body: &str, word: &str) -> Option<String> {
    body.lines().find(|l| l.to_lowercase().contains(word)).map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, sev: Severity, labels: &[(&str, &str)]) -> Alert {
        let mut a = Alert::test("s", "1", sev, chrono::Utc::now());
        a.labels.insert("alertname", name);
        for (k, v) in labels {
            a.labels.insert(k.to_string(), v.to_string());
        }
        // As sources do: the service label is the alert's service.
        a.service = a.labels.get("service").map(str::to_owned);
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
        let more = Library::build(lib.all().iter().cloned().chain([specific]).collect(), Vec::new(), &mut Vec::new());
        let names = |a: &Alert| more.matching(a).iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&alert("DiskFilling", Severity::High, &[("service", "db")])), ["db-disk", "disk-filling"]);
        assert_eq!(names(&alert("DiskFilling", Severity::High, &[("service", "web")])), ["disk-filling"]);
    }

    #[test]
    fn front_matter_is_optional_and_its_mistakes_are_explained() {
        // No front matter: the first heading is the title, else the stem.
        let (rb, p) = Runbook::read("x", "x", "intro\n\n# Disk full\n\n[a](b)", Origin::Bundled);
        assert_eq!((rb.title.as_str(), p.len(), rb.links.len()), ("Disk full", 0, 1));
        assert_eq!(Runbook::read("db/x", "x", "no heading", Origin::Bundled).0.title, "x");
        // A typo of a klaxon key is said; other tools' keys are not.
        let e =
            Runbook::parse("x", "+++\ntitle = \"t\"\nalertnamez = []\nweight = 3\n+++\n", Origin::Bundled).unwrap_err();
        assert!(e.starts_with("line 3:") && e.contains("alertnamez") && !e.contains("weight"), "{e}");
        let e =
            Runbook::parse("x", "+++\ntitle = \"t\"\nlabels = [\"service=~(\"]\n+++\n", Origin::Bundled).unwrap_err();
        assert!(e.contains("bad pattern"), "{e}");
        // Front matter that does not parse: the line is named, the body still there.
        let (rb, p) = Runbook::read("x", "x", "---\ntitle: [unclosed\n---\n# Still here\n", Origin::Bundled);
        assert_eq!(rb.title, "Still here");
        assert!(p.len() == 1 && p[0].starts_with("line ") && p[0].contains("YAML"), "{p:?}");
    }

    #[test]
    fn user_runbooks_replace_bundled_ones_and_bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("disk-filling.md"),
            "+++\ntitle = \"Our disk runbook\"\nalertnames = [\"Disk*\"]\n+++\n# Ours",
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.md"), "+++\ntitle = [3\n+++\n# Broken but shown\n").unwrap();
        let (lib, problems) = Library::load(&[dir.path().to_path_buf()]);
        assert_eq!(lib.get("disk-filling").unwrap().title, "Our disk runbook");
        assert_eq!(lib.get("broken").unwrap().title, "Broken but shown");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("broken.md:") && problems[0].contains("TOML"), "{problems:?}");
    }

    #[test]
    fn linking_by_alertname_ignores_case_dashes_underscores_and_spaces() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("node")).unwrap();
        std::fs::write(dir.path().join("node/node-clock-skew.md"), "# Clock").unwrap();
        std::fs::write(dir.path().join("titled.md"), "---\ntitle: Kube Pod Crash Looping\n---\n").unwrap();
        let (lib, problems) = Library::load(&[dir.path().to_path_buf()]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lib.by_alertname("NodeClockSkew")[0].name, "node/node-clock-skew");
        assert_eq!(lib.by_alertname("node_clock_skew")[0].name, "node/node-clock-skew");
        assert_eq!(lib.by_alertname("KubePodCrashLooping")[0].name, "titled");
        assert!(lib.by_alertname("NodeClock").is_empty());
        assert_eq!(lib.find("nodeclockskew").unwrap().name, "node/node-clock-skew");
    }

    #[test]
    fn paths_and_urls_are_keyed_without_case_extension_or_index() {
        assert_eq!(path_key("/a/Kube/X.md"), "/a/kube/x");
        assert_eq!(path_key("/a/kube/x/"), "/a/kube/x");
        assert_eq!(path_key("/a/kube/_index.md"), "/a/kube");
        assert_eq!(path_key("/a/kube/index.html"), "/a/kube");
        assert_eq!(url_origin("https://h.example:8443/a/b"), "https://h.example:8443");
        assert_eq!(url_origin("https://h.example"), "https://h.example");
        assert_eq!(percent_decode("a%20b%2Fc%zz%"), "a b/c%zz%");
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
