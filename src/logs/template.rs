//! Query templates filled from an alert: `{{ labels.instance }}`, `{{ host }}`, and
//! alternatives `{{ labels.unit | service }}` (the first the alert has).

use crate::model::Alert;

/// The names a template may use, besides `labels.<name>` and `annotations.<name>`.
const FIELDS: &[&str] = &["host", "service", "key", "id", "source", "alertname", "severity", "title"];

/// Checks the syntax and the names, for config validation.
pub fn check(template: &str) -> Result<(), String> {
    for part in parts(template)? {
        if let Part::Slot(alts) = part {
            for alt in alts {
                let known = FIELDS.contains(&alt)
                    || alt.strip_prefix("labels.").or_else(|| alt.strip_prefix("annotations.")).is_some_and(|n| {
                        !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                    });
                if !known {
                    return Err(format!(
                        "{{{{ {alt} }}}} is not something an alert has: use labels.<name>, annotations.<name>, {}",
                        FIELDS.join(", ")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Fills `template` from `alert`, passing each value through `escape` (a LogQL string, a
/// path segment …). Err names what the alert lacks.
pub fn fill(template: &str, alert: &Alert, escape: &dyn Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    for part in parts(template)? {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Slot(alts) => {
                let value = alts.iter().find_map(|a| lookup(alert, a).filter(|v| !v.is_empty())).ok_or_else(|| {
                    if alts.len() == 1 {
                        format!("the alert has no {}", alts[0])
                    } else {
                        format!("the alert has none of {}", alts.join(", "))
                    }
                })?;
                out.push_str(&escape(&value)?);
            }
        }
    }
    Ok(out)
}

fn lookup(alert: &Alert, path: &str) -> Option<String> {
    if let Some(name) = path.strip_prefix("labels.") {
        return alert.labels.get(name).map(str::to_owned);
    }
    if let Some(name) = path.strip_prefix("annotations.") {
        return alert.annotations.get(name).map(str::to_owned);
    }
    match path {
        "host" => alert.host.clone(),
        "service" => alert.service.clone(),
        "key" => Some(alert.key.to_string()),
        "id" => Some(alert.key.id().to_owned()),
        "source" => Some(alert.source().to_owned()),
        "alertname" => alert.labels.get("alertname").map(str::to_owned),
        "severity" => Some(alert.severity.name().to_owned()),
        "title" => Some(alert.title.clone()),
        _ => None,
    }
}

enum Part<'a> {
    Text(&'a str),
    Slot(Vec<&'a str>),
}

fn parts(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Part::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| format!("unclosed {{{{ in {template:?}"))?;
        let inner = &after[..close];
        if inner.contains("{{") {
            return Err(format!("unclosed {{{{ in {template:?}"));
        }
        let alts: Vec<&str> = inner.split('|').map(str::trim).collect();
        if alts.iter().any(|a| a.is_empty()) {
            return Err(format!("an empty {{{{ }}}} in {template:?}"));
        }
        out.push(Part::Slot(alts));
        rest = &after[close + 2..];
    }
    if rest.contains("}}") {
        return Err(format!("a }}}} without {{{{ in {template:?}"));
    }
    if !rest.is_empty() {
        out.push(Part::Text(rest));
    }
    Ok(out)
}

/// A value inside a double-quoted LogQL string.
pub fn logql_string(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A value as one double-quoted phrase, for the query languages of the search backends
/// (Lucene's query_string and Graylog's, SPL, Sumo Logic's): `\` and `"` escaped, line
/// breaks and other control characters made spaces, so whatever the value holds it stays
/// inside its quotes and cannot add a term, an operator or a pipe.
pub fn quoted_phrase(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// [`quoted_phrase`] for languages where `*` inside quotes is still a wildcard and no
/// escape makes it literal (SPL, Sumo Logic): such a value is refused, as it could only widen.
pub fn quoted_literal(value: &str) -> Result<String, String> {
    if value.contains('*') {
        return Err(format!("{value:?} holds a `*`, which this query language reads as a wildcard"));
    }
    quoted_phrase(value)
}

/// For the languages whose values arrive already quoted: a slot written inside quotes would
/// be quoted twice (and end the author's quotes), so it is refused at config time.
pub fn check_unquoted_slots(query: &str) -> Result<(), String> {
    if query.contains("\"{{") || query.contains("'{{") {
        return Err(format!(
            "values are filled in as quoted phrases: write field:{{{{ labels.x }}}} without quotes around the slot, in {query:?}"
        ));
    }
    Ok(())
}

/// A value that becomes part of a file name: never a directory step.
pub fn path_segment(value: &str) -> Result<String, String> {
    if value.contains(['/', '\0']) || value == "." || value == ".." {
        return Err(format!("{value:?} cannot be part of a file path"));
    }
    Ok(value.to_owned())
}

pub fn verbatim(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, Severity};

    fn alert() -> Alert {
        let mut a = Alert::test("prod", "4f3a", Severity::High, chrono::Utc::now());
        a.labels.insert("instance", "db-1:9100");
        a.labels.insert("alertname", "HighLatency");
        a.labels.insert("job", r#"we"ird\job"#);
        a.annotations.insert("summary", "slow");
        a.host = Some("db-1".into());
        a
    }

    #[test]
    fn fills_labels_fields_and_alternatives() {
        let a = alert();
        let f = |t: &str| fill(t, &a, &verbatim);
        assert_eq!(f(r#"{instance="{{ labels.instance }}"}"#).unwrap(), r#"{instance="db-1:9100"}"#);
        assert_eq!(f("{{host}}/{{ alertname }}/{{ key }}/{{id}}").unwrap(), "db-1/HighLatency/prod/4f3a/4f3a");
        assert_eq!(f("{{ labels.unit | service | host }}").unwrap(), "db-1");
        assert_eq!(f("{{ annotations.summary }}").unwrap(), "slow");
        assert_eq!(f("no slots").unwrap(), "no slots");
    }

    #[test]
    fn missing_values_say_what_is_missing() {
        let a = alert();
        assert_eq!(fill("-u {{ labels.unit }}", &a, &verbatim).unwrap_err(), "the alert has no labels.unit");
        assert_eq!(
            fill("{{ labels.unit | service }}", &a, &verbatim).unwrap_err(),
            "the alert has none of labels.unit, service"
        );
    }

    #[test]
    fn values_are_escaped_for_their_place() {
        let a = alert();
        assert_eq!(fill(r#"{job="{{ labels.job }}"}"#, &a, &logql_string).unwrap(), r#"{job="we\"ird\\job"}"#);
        let mut a = a;
        a.labels.insert("job", "../../etc/shadow");
        assert!(fill("/var/log/{{ labels.job }}.log", &a, &path_segment).unwrap_err().contains("file path"));
    }

    #[test]
    fn check_catches_syntax_and_unknown_names() {
        assert!(check("{{ labels.x }} and {{ host | service }}").is_ok());
        assert!(check("{{ labels.x ").unwrap_err().contains("unclosed"));
        assert!(check("x }}").is_err());
        assert!(check("{{ }}").unwrap_err().contains("empty"));
        assert!(check("{{ hostname }}").unwrap_err().contains("labels.<name>"));
        assert!(check("{{ labels. }}").is_err());
    }
}
