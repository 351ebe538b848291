//! The one scale klaxon ranks by, Zabbix's five levels.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Information,
    Warning,
    Average,
    High,
    Disaster,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Information, Severity::Warning, Severity::Average, Severity::High, Severity::Disaster];

    /// Lower-case name, as written in config and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Information => "information",
            Severity::Warning => "warning",
            Severity::Average => "average",
            Severity::High => "high",
            Severity::Disaster => "disaster",
        }
    }

    /// Short tag readable without colour ("DIS", "HIGH", …).
    pub fn tag(self) -> &'static str {
        match self {
            Severity::Information => "INFO",
            Severity::Warning => "WARN",
            Severity::Average => "AVG",
            Severity::High => "HIGH",
            Severity::Disaster => "DIS",
        }
    }

    /// One step up the scale (escalation by severity), saturating at Disaster.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Information => Severity::Warning,
            Severity::Warning => Severity::Average,
            Severity::Average => Severity::High,
            Severity::High | Severity::Disaster => Severity::Disaster,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown severity {0:?}: expected information, warning, average, high, disaster, 0-5, or a common label such as critical"
)]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Accepts the five names, Zabbix numbers (0 "not classified" and 1 → Information … 5 →
    /// Disaster) and the labels other tools use, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().to_ascii_lowercase();
        WORDS.iter().find(|(w, _)| *w == word).map(|&(_, sev)| sev).ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

/// Every word [`Severity::from_str`] reads (lower case), and so what the config schema accepts.
const WORDS: [(&str, Severity); 34] = {
    use Severity::*;
    [
        ("0", Information),
        ("1", Information),
        ("information", Information),
        ("informational", Information),
        ("info", Information),
        ("not classified", Information),
        ("none", Information),
        ("low", Information),
        ("ok", Information),
        ("notice", Information),
        ("debug", Information),
        ("2", Warning),
        ("warning", Warning),
        ("warn", Warning),
        ("3", Average),
        ("average", Average),
        ("minor", Average),
        ("moderate", Average),
        ("medium", Average),
        ("unknown", Average),
        ("4", High),
        ("high", High),
        ("major", High),
        ("error", High),
        ("err", High),
        ("severe", High),
        ("5", Disaster),
        ("disaster", Disaster),
        ("critical", Disaster),
        ("crit", Disaster),
        ("page", Disaster),
        ("fatal", Disaster),
        ("emergency", Disaster),
        ("alert", Disaster),
    ]
};

/// In klaxon.toml's schema: the five names to complete, and any word [`WORDS`] holds, in any
/// case, to accept.
impl schemars::JsonSchema for Severity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Severity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let any_case =
            |w: &str| -> String {
                w.chars()
                    .map(|c| {
                        if c.is_ascii_alphabetic() {
                            format!("[{}{}]", c, c.to_ascii_uppercase())
                        } else {
                            c.to_string()
                        }
                    })
                    .collect()
            };
        let words: Vec<String> = WORDS.iter().map(|(w, _)| any_case(w)).collect();
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
        schemars::json_schema!({
            "description": "information, warning, average, high or disaster (also 0-5 and common labels such as critical)",
            "anyOf": [
                { "enum": names },
                { "type": "string", "pattern": format!(r"^\s*({})\s*$", words.join("|")) },
            ],
        })
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// A source's own words for severity, checked before the built-in parsing
/// (e.g. `{ "p1" = "disaster", "sev3" = "average" }`). Keys match case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct SeverityMap(BTreeMap<String, Severity>);

impl SeverityMap {
    pub fn new(pairs: impl IntoIterator<Item = (String, Severity)>) -> Self {
        SeverityMap(pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect())
    }

    /// The source's mapping first, then the built-in parsing, else `fallback`.
    pub fn map(&self, raw: &str, fallback: Severity) -> Severity {
        self.known(raw).unwrap_or(fallback)
    }

    /// The source's own mapping alone, without the built-in parsing (a vendor's table of
    /// its own words comes between the two).
    pub fn own(&self, raw: &str) -> Option<Severity> {
        let raw = raw.trim();
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(raw)).map(|(_, v)| *v)
    }

    /// The source's mapping first, then the built-in parsing; None for a word neither knows.
    pub fn known(&self, raw: &str) -> Option<Severity> {
        let raw = raw.trim();
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(raw)).map(|(_, v)| *v).or_else(|| raw.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_information_to_disaster() {
        assert!(Severity::Information < Severity::Warning);
        assert!(Severity::Warning < Severity::Average);
        assert!(Severity::Average < Severity::High);
        assert!(Severity::High < Severity::Disaster);
        assert_eq!(Severity::ALL.iter().max(), Some(&Severity::Disaster));
    }

    #[test]
    fn parses_names_zabbix_numbers_and_common_labels() {
        let cases = [
            ("Disaster", Severity::Disaster),
            ("0", Severity::Information),
            ("1", Severity::Information),
            ("2", Severity::Warning),
            ("3", Severity::Average),
            ("4", Severity::High),
            ("5", Severity::Disaster),
            ("info", Severity::Information),
            ("WARNING", Severity::Warning),
            ("minor", Severity::Average),
            ("major", Severity::High),
            ("error", Severity::High),
            ("critical", Severity::Disaster),
            ("page", Severity::Disaster),
            (" high ", Severity::High),
        ];
        for (raw, want) in cases {
            assert_eq!(raw.parse::<Severity>(), Ok(want), "{raw}");
        }
        assert!("6".parse::<Severity>().is_err());
        assert!("".parse::<Severity>().is_err());
    }

    #[test]
    fn source_mapping_overrides_builtin() {
        let map = SeverityMap::new([("P1".to_string(), Severity::Disaster), ("critical".to_string(), Severity::High)]);
        assert_eq!(map.map("p1", Severity::Average), Severity::Disaster);
        assert_eq!(map.map("critical", Severity::Average), Severity::High);
        assert_eq!(map.map("warning", Severity::Average), Severity::Warning);
        assert_eq!(map.map("???", Severity::Average), Severity::Average);
    }

    #[test]
    fn raised_steps_up_and_saturates() {
        assert_eq!(Severity::Average.raised(), Severity::High);
        assert_eq!(Severity::Disaster.raised(), Severity::Disaster);
    }
}
