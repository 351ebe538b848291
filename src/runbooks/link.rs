//! Which runbook belongs to an alert: its own `runbook_url` first (a runbook name, a local path,
//! or an http(s) URL: a mirror's local copy when there is one, else read through the offline
//! cache), else the best-fitting rules, else the runbook named like the alert. Every candidate
//! is listed, so a person can pick another. And where a link inside a runbook leads.

use super::index::{Library, Mirrored, Runbook, alertname, percent_decode};
use super::load::normalize;
use crate::model::Alert;
use std::path::{Path, PathBuf};

/// What a `runbook_url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Name(String),
    Path(PathBuf),
    Url(String),
}

impl Reference {
    pub fn parse(s: &str) -> Reference {
        let s = s.trim();
        if s.starts_with("http://") || s.starts_with("https://") {
            Reference::Url(s.to_owned())
        } else if s.starts_with('/') || s.starts_with("~/") || s.starts_with("./") || s.ends_with(".md") {
            Reference::Path(crate::config::paths::expand_tilde(std::path::Path::new(s)))
        } else {
            Reference::Name(s.to_owned())
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resolution {
    /// The runbook to show, when the library has it.
    pub chosen: Option<Runbook>,
    /// A path or URL still to be read (by the runtime or the CLI: this is I/O).
    pub external: Option<Reference>,
    /// Other runbooks whose rules fit or that are named like the alert, by name.
    pub others: Vec<String>,
    /// Why the alert's own reference was not used as written, when it was not.
    pub note: Option<String>,
    /// The heading the alert's own reference points at (its `#fragment`).
    pub anchor: Option<String>,
}

pub fn resolve(lib: &Library, alert: &Alert) -> Resolution {
    // Rules first, then the runbooks named like the alert (when nothing else links it).
    let mut candidates: Vec<&Runbook> = lib.matching(alert);
    for rb in lib.by_alertname(alertname(alert)) {
        if !candidates.iter().any(|c| c.name == rb.name) {
            candidates.push(rb);
        }
    }
    let others = |skip: Option<&str>| {
        candidates.iter().filter(|r| Some(r.name.as_str()) != skip).map(|r| r.name.clone()).collect()
    };
    let chosen = |rb: &Runbook, note: Option<String>| Resolution {
        chosen: Some(rb.clone()),
        external: None,
        others: others(Some(&rb.name)),
        note,
        anchor: None,
    };
    let fallback = |note: Option<String>| match candidates.first() {
        Some(rb) => chosen(rb, note),
        None => Resolution { chosen: None, external: None, others: Vec::new(), note, anchor: None },
    };
    let external = |r: Reference, note: Option<String>| Resolution {
        chosen: None,
        external: Some(r),
        others: others(None),
        note,
        anchor: None,
    };
    let own = alert.link("runbook").or_else(|| alert.annotations.get("runbook_url"));
    let Some(own) = own.filter(|s| !s.trim().is_empty()) else { return fallback(None) };
    // `runbook.md#alert-name-kubepodcrashlooping`: the file, opened at that heading.
    let (own, anchor) = match own.split_once('#') {
        Some((own, anchor)) => (own, Some(anchor.to_owned()).filter(|a| !a.is_empty())),
        None => (own, None),
    };
    let mut resolution = by_reference(lib, own, chosen, fallback, external);
    if resolution.note.is_none() {
        resolution.anchor = anchor;
    }
    resolution
}

fn by_reference(
    lib: &Library,
    own: &str,
    chosen: impl Fn(&Runbook, Option<String>) -> Resolution,
    fallback: impl Fn(Option<String>) -> Resolution,
    external: impl Fn(Reference, Option<String>) -> Resolution,
) -> Resolution {
    match Reference::parse(own) {
        Reference::Name(name) => match lib.find(&name) {
            Some(rb) => chosen(rb, None),
            None => fallback(Some(format!("the alert names runbook {name:?}, which is not in the library"))),
        },
        Reference::Url(url) => match lib.mirrored(&url) {
            Mirrored::Found(rb) => chosen(rb, None),
            Mirrored::Missing(m) => external(
                Reference::Url(url.clone()),
                Some(format!("{url} has no file under the mirror {}; reading it from the network", m.path.display())),
            ),
            Mirrored::No => external(Reference::Url(url), None),
        },
        Reference::Path(path) => match lib.at_path(&super::load::absolute(&path)) {
            Some(rb) => chosen(rb, None),
            None => external(Reference::Path(path), None),
        },
    }
}

/// Where following a link in a runbook leads.
#[derive(Debug, Clone)]
pub enum Follow<'a> {
    /// A runbook of the library (a relative link, a name, a mirrored URL).
    Open(&'a Runbook),
    /// A file or URL to read (the runtime's I/O).
    Load(Reference),
    /// A heading of the same runbook (`#diagnosis`).
    Within(String),
    /// Nothing to open; why, for the status bar.
    Nothing(String),
}

/// Where the link `url` in `from` leads: relative links start from `from`'s own folder (or its
/// URL), as they do on the site it was written for.
pub fn follow<'a>(lib: &'a Library, from: &Runbook, url: &str) -> Follow<'a> {
    let url = url.trim();
    if url.is_empty() {
        return Follow::Nothing("the link is empty".into());
    }
    if let Some(anchor) = url.strip_prefix('#') {
        return Follow::Within(anchor.to_owned());
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return match lib.mirrored(url) {
            Mirrored::Found(rb) => Follow::Open(rb),
            _ => Follow::Load(Reference::Url(url.to_owned())),
        };
    }
    let path_part = lower.strip_prefix("file://").map(|_| &url[7..]);
    if path_part.is_none() && has_scheme(url) {
        return Follow::Nothing(format!("{url} is not a runbook"));
    }
    let written = path_part.unwrap_or(url);
    let target = percent_decode(written.split(['#', '?']).next().unwrap_or(written));
    if target.is_empty() {
        return Follow::Within(url.split_once('#').map_or("", |(_, a)| a).to_owned());
    }
    // A remote runbook's links are relative to its URL.
    if let super::index::Origin::Remote { url: base, .. } = &from.origin {
        let joined = join_url(base, written);
        return match lib.mirrored(&joined) {
            Mirrored::Found(rb) => Follow::Open(rb),
            _ => Follow::Load(Reference::Url(joined)),
        };
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(folder) = from.folder() {
        if target.starts_with('/') {
            // Site-absolute (`/runbooks/etcd/`): under the mirror this runbook's checkout is of.
            if let Some(m) = lib.mirrors().iter().find(|m| from.folder().is_some_and(|f| f.starts_with(&m.path))) {
                let site = super::index::url_origin(&m.url);
                if let Mirrored::Found(rb) = lib.mirrored(&format!("{site}{written}")) {
                    return Follow::Open(rb);
                }
            }
            candidates.push(PathBuf::from(&target));
        } else {
            // As the file's folder sees it, then as its published page (`../other/` from
            // `/kubernetes/kubepodcrashlooping/` is a sibling).
            candidates.push(normalize(&folder.join(&target)));
            candidates.push(normalize(&folder.join(&from.stem).join(&target)));
        }
    } else if target.starts_with('/') {
        candidates.push(PathBuf::from(&target));
    }
    if let Some(rb) = candidates.iter().find_map(|p| lib.at_path(p)) {
        return Follow::Open(rb);
    }
    if let Some(rb) = lib.find(target.trim_end_matches('/').trim_end_matches(".md")) {
        return Follow::Open(rb);
    }
    let Some(path) = candidates.into_iter().next() else {
        return Follow::Nothing(format!("no runbook named {target:?}"));
    };
    match Path::new(&target).extension().map(|x| x.to_ascii_lowercase()) {
        Some(x) if x == "md" || x == "markdown" => Follow::Load(Reference::Path(path)),
        Some(_) => Follow::Nothing(format!("{} is not a runbook", path.display())),
        None => Follow::Load(Reference::Path(path.with_extension("md"))),
    }
}

/// `mailto:`, `tel:`, `javascript:`… (a Windows drive letter is not one).
fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    })
}

/// A relative link against the URL of the page it is on.
fn join_url(base: &str, link: &str) -> String {
    let origin = super::index::url_origin(base);
    let base_path = base[origin.len()..].split(['#', '?']).next().unwrap_or("");
    let path = if link.starts_with('/') {
        link.to_owned()
    } else {
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{link}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    format!("{origin}/{}", joined.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, Severity};

    fn alert(name: &str, runbook: Option<&str>) -> Alert {
        let mut a = Alert::test("s", "1", Severity::High, chrono::Utc::now());
        a.labels.insert("alertname", name);
        if let Some(r) = runbook {
            a.links.push(Link { kind: "runbook".into(), url: r.into() });
        }
        a
    }

    #[test]
    fn references_are_names_paths_or_urls() {
        assert_eq!(Reference::parse("disk-filling"), Reference::Name("disk-filling".into()));
        assert_eq!(Reference::parse("/srv/rb/db.md"), Reference::Path("/srv/rb/db.md".into()));
        assert_eq!(Reference::parse("notes/db.md"), Reference::Path("notes/db.md".into()));
        assert_eq!(
            Reference::parse("https://wiki.example.com/db"),
            Reference::Url("https://wiki.example.com/db".into())
        );
    }

    #[test]
    fn the_alerts_own_reference_comes_before_the_rules() {
        let (lib, _) = Library::load(&[]);
        // Rules alone.
        let r = resolve(&lib, &alert("DiskFilling", None));
        assert_eq!(r.chosen.unwrap().name, "disk-filling");
        // The alert names another runbook: it wins, the rule's pick is still listed.
        let r = resolve(&lib, &alert("DiskFilling", Some("high-load")));
        assert_eq!((r.chosen.unwrap().name.as_str(), r.others), ("high-load", vec!["disk-filling".to_string()]));
        // A URL or a path is read elsewhere; the rules' picks stay as alternatives.
        let r = resolve(&lib, &alert("DiskFilling", Some("https://wiki.example.com/disk")));
        assert!(r.chosen.is_none());
        assert_eq!(r.external, Some(Reference::Url("https://wiki.example.com/disk".into())));
        assert_eq!(r.others, ["disk-filling"]);
        // A name the library does not have: say so, fall back to the rules.
        let r = resolve(&lib, &alert("DiskFilling", Some("no-such-runbook")));
        assert_eq!(r.chosen.unwrap().name, "disk-filling");
        assert!(r.note.unwrap().contains("no-such-runbook"));
        // Nothing at all.
        let r = resolve(&lib, &alert("Unheard", None));
        assert!(r.chosen.is_none() && r.external.is_none() && r.others.is_empty());
    }

    fn site() -> (Library, PathBuf) {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runbook-site/content/runbooks");
        let mirror = super::super::Mirror { url: "https://runbooks.example.com/runbooks/".into(), path: root.clone() };
        let (lib, problems) = Library::load_with(&[], &[mirror]);
        assert!(problems.is_empty(), "{problems:?}");
        (lib, root)
    }

    #[test]
    fn a_url_under_a_mirror_is_its_local_file_however_the_site_spells_it() {
        let (lib, _) = site();
        let name = |url: &str| match lib.mirrored(url) {
            Mirrored::Found(rb) => rb.name.clone(),
            Mirrored::Missing(_) => "missing".into(),
            Mirrored::No => "no".into(),
        };
        for url in [
            "https://runbooks.example.com/runbooks/database/postgresreplicationlaghigh",
            "https://runbooks.example.com/runbooks/database/postgresreplicationlaghigh/",
            "HTTPS://Runbooks.Example.com/runbooks/database/PostgresReplicationLagHigh.md",
            "https://runbooks.example.com/runbooks/database/PostgresReplicationLagHigh/index.md#diagnosis",
            "https://runbooks.example.com/pglag/",
        ] {
            assert_eq!(name(url), "database/PostgresReplicationLagHigh", "{url}");
        }
        assert_eq!(name("https://runbooks.example.com/runbooks/node/"), "node");
        assert_eq!(name("https://runbooks.example.com/runbooks/node/_index.md"), "node");
        assert_eq!(name("https://runbooks.example.com/runbooks/node/NoSuchAlert"), "missing");
        assert_eq!(name("https://runbooks.example.com/runbooks/../../etc/passwd"), "no");
        assert_eq!(name("https://runbooks.example.com/runbookszzz/node"), "no");
        assert_eq!(name("https://elsewhere.example.com/runbooks/node"), "no");

        // An alert's runbook_url under the mirror: chosen at once, nothing to read.
        let mut a = alert(
            "PostgresReplicationLagHigh",
            Some("https://runbooks.example.com/runbooks/database/postgresreplicationlaghigh/"),
        );
        let r = resolve(&lib, &a);
        assert_eq!(
            (r.chosen.unwrap().name.as_str(), r.external, r.note),
            ("database/PostgresReplicationLagHigh", None, None)
        );
        // Not in the checkout: read from the network, and said why.
        a.links[0].url = "https://runbooks.example.com/runbooks/database/new-alert".into();
        let r = resolve(&lib, &a);
        assert!(r.external.is_some() && r.note.unwrap().contains("no file under the mirror"));
        // No runbook_url: the rules, else the runbook named like the alert.
        let r = resolve(&lib, &alert("node_clock_skew", None));
        assert_eq!(r.chosen.unwrap().name, "node/node-clock-skew");
        let r = resolve(&lib, &alert("Postgres Down", None));
        assert_eq!(r.chosen.unwrap().name, "database/PostgresDown");
    }

    #[test]
    fn links_inside_a_runbook_start_from_its_own_folder() {
        let (lib, root) = site();
        let from = lib.get("node/NodeDiskFull").unwrap();
        let to = |url: &str| match follow(&lib, from, url) {
            Follow::Open(rb) => format!("open {}", rb.name),
            Follow::Load(r) => format!("load {r:?}"),
            Follow::Within(anchor) => format!("within #{anchor}"),
            Follow::Nothing(why) => format!("nothing: {why}"),
        };
        assert_eq!(to("../database/PostgresReplicationLagHigh.md"), "open database/PostgresReplicationLagHigh");
        assert_eq!(to("./NodeHighLoad.md"), "open node/NodeHighLoad");
        assert_eq!(to("NodeHighLoad"), "open node/NodeHighLoad");
        // Written for the published page: `../x/` from `/runbooks/node/nodediskfull/`.
        assert_eq!(to("../nodehighload/"), "open node/NodeHighLoad");
        // Site-absolute, through the mirror this runbook's checkout is of.
        assert_eq!(to("/runbooks/database/"), "open database");
        assert_eq!(to("https://runbooks.example.com/runbooks/database/postgresdown"), "open database/PostgresDown");
        // A library name, a file outside the library, an image, other schemes, anchors.
        assert_eq!(to("disk-filling"), "open disk-filling");
        assert_eq!(to("notes/elsewhere.md"), format!("load Path({:?})", root.join("node/notes/elsewhere.md")));
        assert_eq!(
            to("../database/replication.png"),
            format!("nothing: {} is not a runbook", root.join("database/replication.png").display())
        );
        assert_eq!(to("mailto:dba@example.com"), "nothing: mailto:dba@example.com is not a runbook");
        assert_eq!(to("#diagnosis"), "within #diagnosis");
        assert_eq!(to("https://grafana.example.com/d/1"), "load Url(\"https://grafana.example.com/d/1\")");
        // Hugo's ref shortcode is the link it stands for.
        assert_eq!(from.links[1], ("load".to_string(), "./NodeHighLoad.md".to_string()));
    }

    #[test]
    fn a_remote_runbooks_links_are_relative_to_its_url() {
        assert_eq!(join_url("https://w.example/a/b/page", "other"), "https://w.example/a/b/other");
        assert_eq!(join_url("https://w.example/a/b/", "../c/d.md"), "https://w.example/a/c/d.md");
        assert_eq!(join_url("https://w.example/a/b", "/top"), "https://w.example/top");
    }
}
