//! `[[people]]`: one person across systems. The same engineer is `alice` in klaxon,
//! `alice@example.com` in PagerDuty and `aschmidt` in Zabbix; an entry joins those names,
//! and says where and when the person works, so reports can tell a page at 04:00 their
//! time from one at lunch.
//!
//! ```toml
//! [[people]]
//! name = "alice"
//! aliases = ["alice@example.com", "aschmidt"]
//! time_zone = "Europe/Berlin"
//! working_hours = "09:00-17:00"
//! working_days = ["mon", "tue", "wed", "thu", "fri"]
//! ```

use crate::config::{KeyPath, KeySeg};
use chrono::{NaiveTime, Timelike, Weekday};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonConfig {
    /// The name reports use.
    pub name: String,
    /// Other names the person goes by: in other systems, schedules, or on other hosts.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// An IANA zone, e.g. "Europe/Berlin".
    #[serde(default = "default_zone")]
    pub time_zone: String,
    /// Local working hours, "09:00-17:00"; pages and acks outside them count as after hours.
    #[serde(default = "default_hours")]
    pub working_hours: String,
    /// Working days: "mon" … "sun".
    #[serde(default = "default_days")]
    pub working_days: Vec<String>,
}

fn default_zone() -> String {
    "UTC".into()
}
fn default_hours() -> String {
    "09:00-17:00".into()
}
fn default_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec()
}

/// A person's working time, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub name: String,
    pub aliases: Vec<String>,
    pub tz: chrono_tz::Tz,
    /// Minutes of the local day: work runs from `start_min` until `end_min`.
    pub start_min: u32,
    pub end_min: u32,
    pub days: Vec<Weekday>,
}

impl Person {
    /// Someone without a `[[people]]` entry: UTC, 09:00–17:00, Monday to Friday.
    pub fn default_named(name: &str) -> Person {
        use Weekday::*;
        Person {
            name: name.to_owned(),
            aliases: Vec::new(),
            tz: chrono_tz::UTC,
            start_min: 9 * 60,
            end_min: 17 * 60,
            days: vec![Mon, Tue, Wed, Thu, Fri],
        }
    }

    /// Checks one entry; an error names the field at fault.
    pub fn new(cfg: &PersonConfig) -> Result<Person, (&'static str, String)> {
        if cfg.name.trim().is_empty() {
            return Err(("name", "a person needs a name".into()));
        }
        if let Some(a) = cfg.aliases.iter().find(|a| a.trim().is_empty()) {
            return Err(("aliases", format!("alias {a:?} is empty")));
        }
        let tz = crate::oncall::rotation::parse_tz(&cfg.time_zone).map_err(|e| ("time_zone", e))?;
        let (start_min, end_min) = hours(&cfg.working_hours).ok_or_else(|| {
            (
                "working_hours",
                format!("{:?} is not working hours like \"09:00-17:00\" (start before end)", cfg.working_hours),
            )
        })?;
        let mut days = Vec::new();
        for d in &cfg.working_days {
            let day = d
                .trim()
                .parse::<Weekday>()
                .map_err(|_| ("working_days", format!("{d:?} is not a day like \"mon\" or \"saturday\"")))?;
            if !days.contains(&day) {
                days.push(day);
            }
        }
        Ok(Person {
            name: crate::sanitize::sanitize_line(cfg.name.trim()),
            aliases: cfg.aliases.iter().map(|a| crate::sanitize::sanitize_line(a.trim())).collect(),
            tz,
            start_min,
            end_min,
            days,
        })
    }

    /// Every name the person goes by, their own first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// "09:00-17:00" as minutes of the day; the start before the end.
fn hours(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").ok().map(|t| t.hour() * 60 + t.minute());
    let (a, b) = (t(a)?, if b.trim() == "24:00" { Some(1440) } else { t(b) }?);
    (a < b).then_some((a, b))
}

/// Everyone in `[[people]]`, and who each name belongs to.
#[derive(Debug, Clone, Default)]
pub struct People {
    pub people: Vec<Person>,
    by_name: HashMap<String, usize>,
}

impl People {
    /// From a config that passed [`validate`]; entries that do not check are left out.
    pub fn new(cfgs: &[PersonConfig]) -> People {
        let mut p = People::default();
        for cfg in cfgs {
            if let Ok(person) = Person::new(cfg) {
                let i = p.people.len();
                for n in person.names() {
                    p.by_name.entry(n.to_lowercase()).or_insert(i);
                }
                p.people.push(person);
            }
        }
        p
    }

    /// The person a name (from any system) belongs to; names compare case-insensitively.
    pub fn find(&self, name: &str) -> Option<&Person> {
        self.by_name.get(&name.trim().to_lowercase()).map(|&i| &self.people[i])
    }

    /// The name reports use for `name`: its person's, else itself.
    pub fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        self.find(name).map_or(name, |p| p.name.as_str())
    }

    /// A schedule's answer with its people under the names reports use: the on-call header
    /// shows `alice`, not PagerDuty's `alice@example.com`.
    pub fn join(&self, mut oc: crate::model::OnCall) -> crate::model::OnCall {
        for shift in [oc.now.as_mut(), oc.next.as_mut()].into_iter().flatten() {
            if let Some(p) = self.find(&shift.person) {
                shift.person = p.name.clone();
            }
        }
        oc
    }

    /// Every known name (lower-cased) with its person's name.
    pub fn aliases(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> =
            self.by_name.iter().map(|(n, &i)| (n.clone(), self.people[i].name.clone())).collect();
        v.sort();
        v
    }
}

/// Checks `[[people]]`: each entry, and that no name (or alias) belongs to two people.
pub fn validate(people: &[PersonConfig], problems: &mut Vec<(KeyPath, String)>) {
    let mut owner: HashMap<String, (usize, String)> = HashMap::new();
    for (i, cfg) in people.iter().enumerate() {
        let at = |field: &str| KeyPath(vec![KeySeg::Key("people".into()), KeySeg::Index(i), KeySeg::Key(field.into())]);
        if let Err((field, e)) = Person::new(cfg) {
            problems.push((at(field), e));
            continue;
        }
        let names = std::iter::once(("name", &cfg.name)).chain(cfg.aliases.iter().map(|a| ("aliases", a)));
        for (field, n) in names {
            let k = n.trim().to_lowercase();
            match owner.get(&k) {
                Some((j, who)) if *j != i => problems.push((
                    at(field),
                    format!("{:?} is already a name of people[{j}] ({who}): one person per name", n.trim()),
                )),
                Some(_) => {}
                None => {
                    owner.insert(k, (i, cfg.name.trim().to_owned()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(name: &str, aliases: &[&str]) -> PersonConfig {
        PersonConfig {
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            time_zone: default_zone(),
            working_hours: default_hours(),
            working_days: default_days(),
        }
    }

    #[test]
    fn a_name_in_two_entries_is_named() {
        let mut problems = Vec::new();
        validate(&[cfg("alice", &["aschmidt"]), cfg("bob", &["ASchmidt"])], &mut problems);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0.to_string(), "people[1].aliases");
        assert_eq!(problems[0].1, "\"ASchmidt\" is already a name of people[0] (alice): one person per name");
    }

    #[test]
    fn aliases_join_names_case_insensitively() {
        let p = People::new(&[cfg("alice", &["alice@example.com", "aschmidt"])]);
        assert_eq!(p.canonical("Alice@Example.com"), "alice");
        assert_eq!(p.canonical("aschmidt"), "alice");
        assert_eq!(p.canonical("carol"), "carol");
    }

    #[test]
    fn the_on_call_answer_uses_the_people_names() {
        use crate::model::{OnCall, Shift};
        let t = |h: i64| chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::hours(h);
        let shifts = [Shift::new("ALICE@example.com", t(0), t(8)), Shift::new("bob@example.com", t(8), t(16))];
        let oc = People::new(&[cfg("alice", &["alice@example.com"])]).join(OnCall::from_shifts("p", 1, &shifts, t(1)));
        assert_eq!(oc.person_now(), Some("alice"));
        assert_eq!(oc.next.map(|s| s.person), Some("bob@example.com".into()), "nobody's alias: unchanged");
    }

    #[test]
    fn working_hours_are_checked() {
        let mut c = cfg("alice", &[]);
        c.working_hours = "17:00-09:00".into();
        assert_eq!(Person::new(&c).unwrap_err().0, "working_hours");
        c.working_hours = "08:30-24:00".into();
        assert_eq!((Person::new(&c).unwrap().start_min, Person::new(&c).unwrap().end_min), (510, 1440));
        c.working_days = vec!["funday".into()];
        assert_eq!(Person::new(&c).unwrap_err().0, "working_days");
    }
}
