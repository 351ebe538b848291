//! What installing klaxon brings besides the binary: `--version` with the commit, the JSON
//! Schema of klaxon.toml (checked against the starter config, the README's documented
//! configs and tests/invalid_configs/), the manual pages, and `klaxon init`'s detection of
//! local servers (against a real Alertmanager). The Debian package itself is built and
//! installed into a clean root by .ci/run (packaging/check-deb).

use crate::common::{Sandbox, servers};
use std::path::Path;

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&klaxon::cli::config_schema::schema()).expect("the schema is a valid draft-7 schema")
}

fn as_json(toml_text: &str) -> Option<serde_json::Value> {
    toml::from_str(toml_text).ok()
}

/// Config texts the README documents (its ```toml blocks), each also with its commented
/// `key = value` lines and `[tables]` uncommented (the options it documents).
fn documented_configs() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut out = vec![("starter config".to_owned(), klaxon::settings::DEFAULT_TOML.to_owned())];
    for (i, block) in readme.split("```toml\n").skip(1).enumerate() {
        let block = block.split("```").next().unwrap();
        out.push((format!("README toml block {i}"), block.to_owned()));
    }
    let uncommented: Vec<_> =
        out.iter().map(|(name, text)| (format!("{name}, uncommented"), uncomment(text))).collect();
    out.extend(uncommented);
    out
}

fn uncomment(text: &str) -> String {
    let option = regex::Regex::new(r"^# ?((\[|[a-z_]+ = ).*)$").unwrap();
    text.lines().map(|l| option.captures(l).map_or(l.to_owned(), |c| c[1].to_owned()) + "\n").collect()
}

#[test]
fn the_schema_accepts_the_starter_config_and_every_documented_config_klaxon_accepts() {
    let v = validator();
    let mut checked = Vec::new();
    for (name, text) in documented_configs() {
        // What klaxon reads (its serde structure: keys, types, kinds, value forms) the schema
        // accepts. Validation beyond (secrets present, alternatives not both set) is not the
        // schema's, and an uncommented block may set two alternatives at once.
        if toml::from_str::<klaxon::settings::Config>(&text).is_err() {
            continue;
        }
        let json = as_json(&text).unwrap_or_else(|| panic!("{name}: klaxon read it, toml must too"));
        let errors: Vec<String> = v.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "the schema rejects {name}, which klaxon accepts:\n{}\n{text}", errors.join("\n"));
        checked.push(name);
    }
    assert!(checked.contains(&"starter config".to_owned()), "{checked:?}");
    // Every README block reads on its own: each must have been checked, with its options.
    assert!(checked.len() >= 38, "only {} documented configs were valid: {checked:?}", checked.len());
}

/// Each fixture of tests/invalid_configs/: is its mistake one of structure (a key, a type,
/// a value's form: the schema sees it) or of meaning (ranges, relations between keys, files,
/// environment: only `klaxon check-config` can tell)?
const FIXTURES: &[(&str, bool)] = &[
    ("alertmanager_password_in_url.toml", false),
    ("bad_duration.toml", true),
    ("bad_severity.toml", true),
    ("command_key_typo.toml", true),
    ("duplicate_source.toml", false),
    ("escalation_inline_webhook.toml", true),
    // Graphite: a `from` Graphite cannot read, thresholds the wrong way round, a template
    // placeholder that names nothing: right forms, wrong meanings.
    ("graphite_absolute_from.toml", false),
    ("graphite_inverted_thresholds.toml", false),
    ("graphite_unknown_placeholder.toml", false),
    ("ical_bad_time_zone.toml", false),
    ("ical_inline_token_url.toml", false),
    ("icinga2_cert_without_key.toml", false),
    ("inline_secret.toml", true),
    ("inverted_thresholds.toml", false),
    ("logs_bad_template.toml", false),
    ("logs_inline_token.toml", true),
    ("logs_journald_query.toml", false),
    ("logs_key_typo.toml", true),
    ("logs_loki_needs_query.toml", false),
    ("loki_password_in_url.toml", false),
    ("nagios_write_back_without_command_file.toml", false),
    ("postgres_url_env_unset.toml", false),
    ("postgres_without_url.toml", false),
    ("rotation_bad_handoff.toml", false),
    ("rotation_bad_time_zone.toml", false),
    ("rotation_no_participants.toml", false),
    ("rotation_override_backwards.toml", false),
    // Durations of the right form but out of range: a range, not a structure.
    ("rotation_shift_a_million_years.toml", false),
    ("rotation_shift_overflows.toml", false),
    ("rotation_shift_u64_max.toml", false),
    ("runbook_mirror_not_a_url.toml", false),
    ("schedule_bad_level.toml", false),
    ("schedule_inline_token.toml", true),
    ("schedule_key_typo.toml", true),
    ("schedule_user_in_url.toml", false),
    ("source_interval_u64_max.toml", false),
    ("source_key_typo.toml", true),
    ("sqlite_with_url.toml", false),
    // Not TOML at all: no schema applies; klaxon reports the line (config_errors).
    ("syntax_error.toml", false),
    ("unknown_backend.toml", true),
    ("unknown_keymap.toml", false),
    ("unknown_kind.toml", true),
    ("unknown_section.toml", true),
    ("unknown_theme.toml", false),
    ("wrong_type.toml", true),
    ("zabbix_page_size.toml", false),
    ("zabbix_password_in_url.toml", false),
    ("zabbix_without_auth.toml", false),
];

#[test]
fn the_schema_rejects_every_structural_mistake_in_invalid_configs() {
    let v = validator();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    let listed: Vec<String> = FIXTURES.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(files, listed, "a new fixture: say above whether the schema can see its mistake");
    for (file, structural) in FIXTURES {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        match as_json(&text) {
            None => assert!(!structural, "{file} is not TOML"),
            Some(json) if *structural => assert!(!v.is_valid(&json), "the schema accepts {file}"),
            // The schema is no stricter than klaxon's reading: these read, and fail later.
            Some(json) => {
                let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{file} is a mistake of meaning, yet the schema rejects it: {errors:?}");
            }
        }
    }
    assert!(FIXTURES.iter().filter(|(_, s)| *s).count() >= 14);
}

#[test]
fn config_schema_prints_the_schema_and_init_write_puts_it_beside_the_config() {
    let sb = Sandbox::new();
    let out = sb.klaxon().args(["config", "schema"]).assert().success().get_output().stdout.clone();
    let printed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(printed, klaxon::cli::config_schema::schema());
    assert_eq!(printed["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(klaxon::settings::DEFAULT_TOML.starts_with("#:schema ./klaxon.schema.json\n"));
    sb.klaxon().args(["init", "--write", "--no-detect"]).assert().success();
    let beside = std::fs::read(sb.path("config/klaxon/klaxon.schema.json")).unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&beside).unwrap(), printed);
}

#[test]
fn version_names_the_release_and_the_commit() {
    let out = Sandbox::new().klaxon().arg("--version").assert().success().get_output().stdout.clone();
    let line = String::from_utf8(out).unwrap();
    let shape = regex::Regex::new(r"^klaxon \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-modified)?|unknown)\)\n$").unwrap();
    assert!(shape.is_match(&line), "{line:?}");
    // In this checkout git knows the commit.
    assert!(!line.contains("unknown"), "{line:?}");
}

#[test]
fn the_manual_has_a_section_per_command_and_every_config_key() {
    let page = String::from_utf8(klaxon::cli::manual::klaxon_1()).unwrap();
    use clap::CommandFactory;
    for sub in klaxon::cli::Cli::command().get_subcommands().filter(|s| !s.is_hide_set()) {
        let heading = format!(".SH \"KLAXON {}\"", sub.get_name().to_uppercase());
        assert!(page.contains(&heading), "klaxon.1 has no {heading}");
    }
    assert!(page.contains(".SH \"KLAXON RUNBOOK SEARCH\"") && page.contains(".SH \"KLAXON CONFIG SCHEMA\""));
    assert!(!page.contains("KLAXON CONFIG MANUAL"), "hidden commands stay out");
    let five = klaxon::cli::manual::klaxon_toml_5();
    for heading in
        [".SS [[sources]] kind = \"zabbix\"", ".SS [[logs]] kind = \"loki\"", ".SS [notify]", ".SS slo_files"]
    {
        assert!(five.contains(&heading.replace('-', "\\-")), "klaxon.toml.5 has no {heading}");
    }
    assert!(five.contains("\\fBstorm_window\\fR (duration, default \"10s\")"), "durations read as written");
}

#[test]
fn init_offers_a_local_alertmanager_commented_and_nothing_where_nothing_answers() {
    let Some(am) = servers::alertmanager(None) else { return };
    let nothing = |_| std::net::SocketAddr::from(([127, 0, 0, 1], servers::free_port()));
    let probes = klaxon::cli::init_detect::Probes {
        alertmanager: ([127, 0, 0, 1], am.port).into(),
        zabbix: nothing(()),
        icinga2: nothing(()),
        timeout: std::time::Duration::from_secs(2),
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let found = rt.block_on(klaxon::cli::init_detect::detect(&probes));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].kind, found[0].url.as_str()), ("alertmanager", am.url.as_str()));
    assert!(found[0].about.starts_with("Alertmanager 0."), "{found:?}");

    let starter = klaxon::cli::init_detect::starter(&found);
    // Offered, not switched on: the starter config still sets up what it always did.
    let as_is = klaxon::settings::parse(&starter, "starter").unwrap();
    assert_eq!(as_is.sources.len(), 2);
    assert!(starter.contains(&format!("# url = \"{}\"", am.url)));
    // Uncommented, it is a working alertmanager source.
    let lines = starter.lines().skip_while(|l| !l.starts_with("# Found on this machine"));
    let offer: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
    let on = format!("{}\n{}", klaxon::settings::DEFAULT_TOML, uncomment(&offer.join("\n")));
    let with = klaxon::settings::parse(&on, "uncommented").unwrap();
    assert!(with.sources.iter().any(|s| s.name == "local-alertmanager" && s.kind.name() == "alertmanager"));
    assert!(validator().is_valid(&as_json(&on).unwrap()));
}
