//! The `/` filter: free text and matchers such as `severity>=high source=prod service=~api.*`.
//!
//! Terms are ANDed. A bare word matches what the list shows (title, source, owner) or the
//! host or service, case-insensitively; `key=…` or a label matcher reaches the rest. `field=value`, `!=`, `=~regex`, `!~regex`; severity also takes `>=`,
//! `>`, `<=`, `<`. Fields: severity, source, service, host, status, owner, key, title; any
//! other name is a label (`alertname=DiskFilling`, `env!=dev`). Values may be "quoted".

use crate::model::{Alert, Item, Severity};
use regex::Regex;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    text: String,
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    Text(String),
    Field { field: Field, op: Op },
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Severity,
    Source,
    Service,
    Host,
    Status,
    Owner,
    Key,
    Title,
    Label(String),
}

#[derive(Debug, Clone)]
enum Op {
    Eq(String),
    Ne(String),
    Re(Regex),
    NotRe(Regex),
    Cmp(std::cmp::Ordering, bool, Severity), // (direction, or-equal, value)
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for token in tokenize(text)? {
            terms.push(parse_term(&token)?);
        }
        Ok(Filter { text: text.trim().to_owned(), terms })
    }

    /// The command line's words (`klaxon list severity>=high alertname="Disk full"`), each one
    /// term even when the shell left spaces in it.
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> Result<Filter, String> {
        let quoted: Vec<String> = words
            .iter()
            .map(|w| w.as_ref())
            .map(
                |w| if w.contains(char::is_whitespace) && !w.contains('"') { format!("\"{w}\"") } else { w.to_owned() },
            )
            .collect();
        Filter::parse(&quoted.join(" ")).map_err(|e| crate::sanitize::sanitize_line(&e))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches<A: std::ops::Deref<Target = Alert>>(&self, item: &Item<A>) -> bool {
        let status = if item.is_acked() { "acknowledged" } else { item.alert.status.name() };
        self.terms.iter().all(|t| term_matches(t, &item.alert, item.owner(), status))
    }

    /// The same on an alert alone (no owner): for runbook match rules.
    pub fn matches_alert(&self, alert: &Alert) -> bool {
        self.terms.iter().all(|t| term_matches(t, alert, None, alert.status.name()))
    }
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err("unclosed quote".into());
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    Ok(tokens)
}

fn parse_term(token: &str) -> Result<Term, String> {
    // Longest operators first so `>=` is not read as `>`.
    const OPS: [&str; 8] = ["!=", "=~", "!~", ">=", "<=", "=", ">", "<"];
    let found =
        token.char_indices().find_map(|(i, _)| OPS.iter().find(|op| token[i..].starts_with(**op)).map(|op| (i, *op)));
    let Some((at, op)) = found.filter(|(at, _)| *at > 0) else {
        return Ok(Term::Text(token.to_lowercase()));
    };
    let (name, value) = (&token[..at], &token[at + op.len()..]);
    // Half-typed (`service=`): an error, so the list keeps the last complete filter.
    if value.is_empty() {
        return Err(format!("{token:?} needs a value"));
    }
    let field = match name.to_ascii_lowercase().as_str() {
        "severity" | "sev" => Field::Severity,
        "source" => Field::Source,
        "service" => Field::Service,
        "host" => Field::Host,
        "status" => Field::Status,
        "owner" => Field::Owner,
        "key" => Field::Key,
        "title" => Field::Title,
        _ => Field::Label(name.to_owned()),
    };
    // Anchored (as in Prometheus) and case-insensitive; an error names the user's own text,
    // not this wrapper.
    let regex = |v: &str| {
        Regex::new(&format!("(?i)^(?:{v})$")).map_err(|e| {
            let why = Regex::new(v).err().unwrap_or(e).to_string();
            let why = why.lines().last().unwrap_or_default().trim_start_matches("error: ").to_owned();
            format!("bad pattern {v:?} in {token:?}: {why}")
        })
    };
    let op = match op {
        "=" | "!=" if field == Field::Severity => {
            let sev: Severity = value.parse().map_err(|e: crate::model::UnknownSeverity| e.to_string())?;
            let eq = Op::Cmp(std::cmp::Ordering::Equal, true, sev);
            if op == "=" { eq } else { Op::NotRe(regex(sev.name())?) }
        }
        "=" => Op::Eq(value.to_lowercase()),
        "!=" => Op::Ne(value.to_lowercase()),
        "=~" => Op::Re(regex(value)?),
        "!~" => Op::NotRe(regex(value)?),
        cmp => {
            if field != Field::Severity {
                return Err(format!("{cmp} compares severities only: {token:?}"));
            }
            let sev: Severity = value.parse().map_err(|e: crate::model::UnknownSeverity| e.to_string())?;
            match cmp {
                ">=" => Op::Cmp(std::cmp::Ordering::Greater, true, sev),
                ">" => Op::Cmp(std::cmp::Ordering::Greater, false, sev),
                "<=" => Op::Cmp(std::cmp::Ordering::Less, true, sev),
                _ => Op::Cmp(std::cmp::Ordering::Less, false, sev),
            }
        }
    };
    Ok(Term::Field { field, op })
}

fn term_matches(term: &Term, a: &Alert, owner: Option<&str>, status: &str) -> bool {
    match term {
        // What the list shows (title, source, owner) and where the alert is (host, service):
        // not the key's hash, where any short word would match by chance.
        Term::Text(t) => {
            let hit = |s: &str| s.to_lowercase().contains(t.as_str());
            hit(&a.title)
                || hit(a.source())
                || owner.is_some_and(hit)
                || a.host.as_deref().is_some_and(hit)
                || a.service.as_deref().is_some_and(hit)
        }
        Term::Field { field: Field::Severity, op: Op::Cmp(dir, or_eq, sev) } => {
            let ord = a.severity.cmp(sev);
            ord == *dir || (*or_eq && ord.is_eq())
        }
        Term::Field { field, op } => {
            let value: Option<String> = match field {
                Field::Severity => Some(a.severity.name().to_owned()),
                Field::Source => Some(a.source().to_owned()),
                Field::Service => a.service.clone(),
                Field::Host => a.host.clone(),
                Field::Status => Some(status.to_owned()),
                Field::Owner => owner.map(str::to_owned),
                Field::Key => Some(a.key.as_str().to_owned()),
                Field::Title => Some(a.title.clone()),
                Field::Label(name) => a.labels.get(name).map(str::to_owned),
            };
            let value = value.unwrap_or_default();
            match op {
                Op::Eq(v) => value.to_lowercase() == *v,
                Op::Ne(v) => value.to_lowercase() != *v,
                Op::Re(re) => re.is_match(&value),
                Op::NotRe(re) => !re.is_match(&value),
                Op::Cmp(..) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ownership;

    fn item(source: &str, sev: Severity, service: &str, alertname: &str, owner: Option<&str>) -> Item {
        let alert = Alert {
            title: format!("{alertname} is burning"),
            labels: [("alertname".to_string(), alertname.to_string()), ("env".to_string(), "prod".to_string())].into(),
            host: Some("web-1".into()),
            service: Some(service.into()),
            ..Alert::test(source, alertname, sev, chrono::Utc::now())
        };
        Item::new(alert, Ownership { owner: owner.map(Into::into), ..Default::default() })
    }

    fn hits(f: &str, items: &[Item]) -> Vec<String> {
        let f = Filter::parse(f).unwrap();
        items.iter().filter(|i| f.matches(i)).map(|i| i.alert.key.to_string()).collect()
    }

    #[test]
    fn matchers_from_the_issue() {
        let items = [
            item("prod", Severity::Disaster, "api-gw", "A", None),
            item("prod", Severity::Warning, "api", "B", None),
            item("stage", Severity::High, "api", "C", Some("bob")),
            item("prod", Severity::High, "db", "D", None),
        ];
        assert_eq!(hits("severity>=high source=prod service=~api.*", &items), ["prod/A"]);
        assert_eq!(hits("severity<high", &items), ["prod/B"]);
        assert_eq!(hits("sev=high", &items), ["stage/C", "prod/D"]);
        assert_eq!(hits("severity!=high", &items), ["prod/A", "prod/B"]);
        assert_eq!(hits("owner=bob", &items), ["stage/C"]);
        assert_eq!(hits("status=acknowledged", &items), ["stage/C"]);
        assert_eq!(hits("alertname!~[AB]", &items), ["stage/C", "prod/D"]);
        assert_eq!(hits("BURNING service=db", &items), ["prod/D"]);
        assert_eq!(hits("env=prod", &items).len(), 4);
        assert_eq!(hits("", &items).len(), 4);
        assert_eq!(hits("title=\"c is burning\"", &items), ["stage/C"]);
    }

    #[test]
    fn bare_words_match_what_the_list_shows_not_the_key_hash() {
        let mut a = crate::model::Alert::test("prod", "4fa1c0de", Severity::High, chrono::Utc::now());
        a.title = "DiskFull on db-1".into();
        let item = Item::new(a, Ownership { owner: Some("carol".into()), ..Default::default() });
        for word in ["diskfull", "prod", "carol"] {
            assert!(Filter::parse(word).unwrap().matches(&item), "{word}");
        }
        assert!(!Filter::parse("fa1").unwrap().matches(&item), "the hash is not shown");
        assert!(Filter::parse("key=~prod/4fa1.*").unwrap().matches(&item), "a matcher reaches it");
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(Filter::parse("severity>=urgent").unwrap_err().contains("unknown severity"));
        assert!(Filter::parse("service>api").unwrap_err().contains("severities only"));
        let e = Filter::parse("service=~api(").unwrap_err();
        assert_eq!(e, "bad pattern \"api(\" in \"service=~api(\": unclosed group");
        assert!(!e.contains("(?i)"), "not the internal wrapper");
        assert!(Filter::parse("title=\"open").unwrap_err().contains("unclosed"));
    }
}
