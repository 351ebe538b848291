//! Which runbook belongs to an alert: its own `runbook_url` first (a local path, a runbook
//! name, or an http(s) URL read through the offline cache), else the best-fitting rules.
//! Every candidate is listed, so a person can pick another.

use super::index::{Library, Runbook};
use crate::model::Alert;
use std::path::PathBuf;

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
    /// Other runbooks whose rules fit, by name.
    pub others: Vec<String>,
    /// Why the alert's own reference was not used, when it was not.
    pub note: Option<String>,
}

pub fn resolve(lib: &Library, alert: &Alert) -> Resolution {
    let matching: Vec<String> = lib.matching(alert).iter().map(|r| r.name.clone()).collect();
    let by_rules = |note: Option<String>| {
        let mut names = matching.clone().into_iter();
        let chosen = names.next().and_then(|n| lib.get(&n).cloned());
        Resolution { chosen, external: None, others: names.collect(), note }
    };
    let own = alert.link("runbook").or_else(|| alert.annotations.get("runbook_url").map(String::as_str));
    let Some(own) = own.filter(|s| !s.trim().is_empty()) else { return by_rules(None) };
    let others = |skip: &str| matching.iter().filter(|n| *n != skip).cloned().collect();
    match Reference::parse(own) {
        Reference::Name(name) => match lib.get(&name) {
            Some(rb) => Resolution { chosen: Some(rb.clone()), external: None, others: others(&name), note: None },
            None => by_rules(Some(format!("the alert names runbook {name:?}, which is not in the library"))),
        },
        external => Resolution { chosen: None, external: Some(external), others: matching.clone(), note: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, Severity};

    fn alert(name: &str, runbook: Option<&str>) -> Alert {
        let mut a = Alert::test("s", "1", Severity::High, chrono::Utc::now());
        a.labels.insert("alertname".into(), name.into());
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
}
