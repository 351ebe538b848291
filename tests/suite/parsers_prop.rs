//! Property-based tests for every parser of outside input: each source's payloads
//! (Alertmanager, Zabbix, Icinga 2, Nagios's status files, PagerDuty, Opsgenie,
//! Grafana OnCall, Datadog, Graphite render answers, plugin output, the demo), log lines
//! (file, journald, Loki, and the Elasticsearch, Graylog, Splunk and Sumo Logic answers), SLO
//! spec files and Prometheus answers, config durations and the config file itself, the
//! snapshot cache read back from disk, and runbook Markdown through the renderer.
//!
//! Inputs are well-shaped payloads damaged at random (`common::fuzz`): a field of another
//! type, a key missing or added, hostile text, a byte cut or changed. The property is always
//! "no panic", and where it means something an invariant a person would notice breaking:
//! what comes out is sanitized, errors name what failed, valid input is not dropped.
//!
//! `cargo test --test suite parsers_prop::` runs a few thousand cases; the long run totals over a
//! million: `cargo test --release --test suite parsers_prop::long_ -- --ignored --nocapture`.

use crate::common;

use common::fuzz::{
    below, chance, damaged_bytes, mutate, odd_labels, odd_number, odd_text, odd_value, pick, rfc3339, shown,
};
use klaxon::model::{Alert, LogLine};
use klaxon::sanitize::is_clean;
use klaxon::sources::poller::{border, poll_once};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use serde_json::{Value, json};
use std::fmt::Debug;
use std::time::Duration;

/// A property over generated inputs whose panics are reported with the input that caused
/// them (quickcheck's own report of a panic leaves the input out).
struct Prop<A>(fn(A) -> TestResult);

impl<A: Arbitrary + Debug> quickcheck::Testable for Prop<A> {
    fn result(&self, g: &mut Gen) -> TestResult {
        let input = A::arbitrary(g);
        let shown = format!("{input:?}");
        let prop = self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || prop(input))) {
            Ok(r) if r.is_failure() || r.is_error() => TestResult::error(format!("{r:?} on {shown}")),
            Ok(r) => r,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned());
                TestResult::error(format!("panicked ({}) on {shown}", msg.unwrap_or_default()))
            }
        }
    }
}

/// Runs `prop` on `cases` generated inputs; panics with the failing input, else returns how
/// many passed.
fn run<A: Arbitrary + Debug>(name: &str, cases: u64, prop: fn(A) -> TestResult) -> u64 {
    match QuickCheck::new().tests(cases).max_tests(cases * 4).rng(Gen::new(40)).quicktest(Prop(prop)) {
        Ok(n) => {
            eprintln!("{name}: {n} cases passed");
            n
        }
        Err(failed) => panic!("{name}: property failed: {failed:?}"),
    }
}

/// A named check inside a property: its failure says which.
fn holds(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

fn verdict(r: Result<(), String>) -> TestResult {
    match r {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(e),
    }
}

/// One-line text: clean and without a line break.
fn line_clean(s: &str) -> bool {
    is_clean(s) && !s.contains('\n')
}

/// Every text field of an alert as the sources promise it: sanitized, one-line fields on
/// one line, the key under the source's name.
fn alert_clean(a: &Alert, source: &str) -> Result<(), String> {
    let one_line = [a.key.as_str(), a.title.as_str()]
        .into_iter()
        .chain(a.labels.iter().flat_map(|(k, v)| [k, v]))
        .chain(a.host.as_deref())
        .chain(a.service.as_deref())
        .chain(a.suppression.as_deref())
        .chain(a.links.iter().flat_map(|l| [l.kind.as_str(), l.url.as_str()]))
        .chain(a.source_acks.iter().map(|s| s.by.as_str()));
    for s in one_line {
        holds(line_clean(s), || format!("not clean or not one line: {s:?} in {a:?}"))?;
    }
    let multi = a.annotations.iter().flat_map(|(k, v)| [k, v]).chain(a.source_acks.iter().map(|s| s.text.as_str()));
    for s in multi {
        holds(is_clean(s), || format!("not clean: {s:?} in {a:?}"))?;
    }
    holds(a.source() == source, || format!("key {} is not under {source}", a.key))
}

fn log_clean(l: &LogLine) -> Result<(), String> {
    holds(line_clean(&l.message), || format!("message {:?}", l.message))?;
    for (k, v) in l.fields.iter().chain(l.labels.iter()) {
        holds(line_clean(k) && line_clean(v), || format!("field {k:?} = {v:?}"))?;
        // Bounded like the message: the pane keeps thousands of lines.
        holds(v.len() <= klaxon::model::MAX_TEXT + '…'.len_utf8(), || {
            format!("field {k:?}: a {}-byte value kept whole", v.len())
        })?;
    }
    holds(l.fields.len() <= klaxon::model::MAX_FIELDS, || format!("{} fields", l.fields.len()))
}

/// Bytes shown as text when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", shown(&self.0))
    }
}

// ---------------------------------------------------------------- Alertmanager

/// An `/api/v2/alerts` answer and a `/api/v2/silences` answer, shaped as Alertmanager 0.25
/// sends them (the API's OpenAPI spec, and tests/suite/alertmanager.rs's real server), then damaged.
#[derive(Clone, Debug)]
struct AmAnswer {
    alerts: Bytes,
    silences: Bytes,
    /// Undamaged, with no silence: every distinct fingerprint must come out.
    intact: Option<usize>,
}

impl Arbitrary for AmAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let ids: Vec<String> = (0..3).map(|i| format!("silence-{i}")).collect();
        let alerts: Vec<Value> = (0..below(g, 6))
            .map(|_| {
                let silenced: Vec<&String> = ids.iter().filter(|_| chance(g, 20)).collect();
                json!({
                    "labels": odd_labels(g, &["alertname", "severity", "instance", "job", "service"]),
                    "annotations": odd_labels(g, &["summary", "description", "runbook_url", "runbook"]),
                    "fingerprint": if chance(g, 70) { format!("{:016x}", u64::arbitrary(g) % 8) } else { odd_text(g) },
                    "startsAt": rfc3339(g), "updatedAt": rfc3339(g), "endsAt": rfc3339(g),
                    "generatorURL": odd_text(g),
                    "receivers": [{"name": "null"}],
                    "status": {"state": pick(g, &["active", "suppressed", "unprocessed", "odd"]),
                               "silencedBy": silenced, "inhibitedBy": if chance(g, 10) { json!(["x"]) } else { json!([]) }},
                })
            })
            .collect();
        let silences: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({
                    "id": id, "status": {"state": pick(g, &["active", "expired", "pending"])},
                    "matchers": [{"name": "alertname", "value": odd_text(g), "isRegex": false, "isEqual": true}],
                    "startsAt": rfc3339(g), "endsAt": rfc3339(g), "updatedAt": rfc3339(g),
                    "createdBy": odd_text(g),
                    "comment": if chance(g, 50) { format!("ACK! {} [klaxon op {}]", odd_text(g), odd_text(g)) } else { odd_text(g) },
                })
            })
            .collect();
        let (mut a, mut s) = (Value::Array(alerts), Value::Array(silences));
        let damage = chance(g, 70);
        let unsilenced = a.as_array().unwrap().iter().all(|x| x["status"]["silencedBy"] == json!([]));
        let fingerprints: std::collections::HashSet<String> =
            a.as_array().unwrap().iter().map(|x| x["fingerprint"].as_str().unwrap().to_owned()).collect();
        if damage {
            mutate(g, &mut a, 4);
            mutate(g, &mut s, 4);
            return AmAnswer {
                alerts: Bytes(damaged_bytes(g, &a)),
                silences: Bytes(damaged_bytes(g, &s)),
                intact: None,
            };
        }
        let intact = unsilenced.then_some(fingerprints.len());
        AmAnswer {
            alerts: Bytes(serde_json::to_vec(&a).unwrap()),
            silences: Bytes(serde_json::to_vec(&s).unwrap()),
            intact,
        }
    }
}

fn alertmanager() -> klaxon::sources::alertmanager::AlertmanagerSource {
    let cfg = klaxon::settings::parse(
        "[[sources]]\nname = \"prod\"\nkind = \"alertmanager\"\nurl = \"http://127.0.0.1:9\"\n",
        "k.toml",
    )
    .unwrap();
    let klaxon::sources::SourceKind::Alertmanager(am) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::alertmanager::AlertmanagerSource::new(&cfg.sources[0], am).unwrap()
}

thread_local! {
    static AM: klaxon::sources::alertmanager::AlertmanagerSource = alertmanager();
}

fn prop_alertmanager(input: AmAnswer) -> TestResult {
    AM.with(|am| {
        // Not through `border`: the source sanitizes each alert itself, where it converts it
        // (`poll_clean`), and this is what shows it does.
        verdict(match am.decode(&input.alerts.0, &input.silences.0) {
            Ok(alerts) => (|| {
                for a in &alerts {
                    alert_clean(a, "prod")?;
                    holds(!a.key.id().contains('/'), || format!("a / in the id {}", a.key))?;
                }
                if let Some(n) = input.intact {
                    holds(alerts.len() == n, || format!("{n} distinct alerts in, {} out", alerts.len()))?;
                }
                Ok(())
            })(),
            Err(e) => {
                let e = e.to_string();
                holds(input.intact.is_none(), || format!("an intact answer refused: {e}"))
                    .and(holds(line_clean(&e) && (e.starts_with("alerts:") || e.starts_with("silences:")), || {
                        e.clone()
                    }))
            }
        })
    })
}

// ---------------------------------------------------------------- Zabbix

/// `problem.get`, `trigger.get` and `user.get` answers, whole JSON-RPC bodies as Zabbix 6.0
/// and 7.0 send them (numbers as strings; shapes from the API reference, as in
/// tests/suite/common/zabbix_mock.rs), then damaged; sometimes an error object instead.
#[derive(Clone, Debug)]
struct ZabbixAnswer {
    problems: Bytes,
    triggers: Bytes,
    users: Bytes,
    intact: Option<usize>,
}

fn num_or_string(g: &mut Gen, n: i64) -> Value {
    if chance(g, 70) { json!(n.to_string()) } else { json!(n) }
}

/// `num_or_string` of a number drawn from the same generator.
macro_rules! num {
    ($g:ident, $n:expr) => {{
        let n: i64 = $n;
        num_or_string($g, n)
    }};
}

impl Arbitrary for ZabbixAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = below(g, 5);
        let problems: Vec<Value> = (0..n)
            .map(|i| {
                let acks: Vec<Value> = (0..below(g, 3))
                    .map(|_| {
                        json!({"acknowledgeid": num!(g, i64::from(u16::arbitrary(g))), "userid": num!(g, (below(g, 3)) as i64),
                               "clock": num!(g, i64::from(u32::arbitrary(g))), "message": odd_text(g),
                               "action": num!(g, below(g, 64) as i64), "old_severity": "2", "new_severity": num!(g, below(g, 7) as i64)})
                    })
                    .collect();
                json!({
                    "eventid": num!(g, 100 + i as i64), "source": "0", "object": "0",
                    "objectid": num!(g, 10 + below(g, 3) as i64),
                    "clock": num!(g, if chance(g, 10) { i64::MAX } else { i64::from(u32::arbitrary(g)) }),
                    "ns": num!(g, if chance(g, 10) { -5 } else { below(g, 1_000_000_000) as i64 }),
                    "r_eventid": "0", "name": odd_text(g), "acknowledged": num!(g, below(g, 2) as i64),
                    "severity": num!(g, below(g, 8) as i64), "suppressed": num!(g, below(g, 2) as i64),
                    "opdata": odd_text(g),
                    "urls": [{"name": odd_text(g), "url": odd_text(g)}],
                    "tags": [{"tag": odd_text(g), "value": odd_text(g)}, {"tag": "service", "value": odd_text(g)}],
                    "acknowledges": acks,
                    "suppression_data": [{"maintenanceid": num!(g, below(g, 3) as i64), "suppress_until": num!(g, i64::from(u32::arbitrary(g)))}],
                })
            })
            .collect();
        let triggers: Vec<Value> = (10..13)
            .map(|t| json!({"triggerid": num!(g, t), "url": odd_text(g), "hosts": [{"hostid": "1", "host": odd_text(g), "name": odd_text(g)}]}))
            .collect();
        let users = json!([{"userid": "1", "username": odd_text(g)}, {"userid": "2", "alias": odd_text(g)}]);
        let envelope = |result: Value| json!({"jsonrpc": "2.0", "result": result, "id": 1});
        let (mut p, mut t, mut u) =
            (envelope(Value::Array(problems)), envelope(Value::Array(triggers)), envelope(users));
        if chance(g, 5) {
            p = json!({"jsonrpc": "2.0", "error": {"code": -32500, "message": odd_text(g), "data": odd_value(g, 1)}, "id": 1});
        }
        if chance(g, 70) || p.get("error").is_some() {
            for v in [&mut p, &mut t, &mut u] {
                mutate(g, v, 4);
            }
            return ZabbixAnswer {
                problems: Bytes(damaged_bytes(g, &p)),
                triggers: Bytes(damaged_bytes(g, &t)),
                users: Bytes(damaged_bytes(g, &u)),
                intact: None,
            };
        }
        let bytes = |v: &Value| Bytes(serde_json::to_vec(v).unwrap());
        ZabbixAnswer { problems: bytes(&p), triggers: bytes(&t), users: bytes(&u), intact: Some(n) }
    }
}

fn zabbix() -> klaxon::sources::zabbix::ZabbixSource {
    // The token from a 0600 file, read once here: an environment variable would be
    // process-wide state, and every integration test shares this process.
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "prop-token\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cfg = klaxon::settings::parse(
        &format!(
            "[[sources]]\nname = \"zbx\"\nkind = \"zabbix\"\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n",
            token.display()
        ),
        "k.toml",
    )
    .unwrap();
    let klaxon::sources::SourceKind::Zabbix(z) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::zabbix::ZabbixSource::new(&cfg.sources[0], z).unwrap()
}

thread_local! {
    static ZBX: klaxon::sources::zabbix::ZabbixSource = zabbix();
}

fn prop_zabbix(input: ZabbixAnswer) -> TestResult {
    ZBX.with(|z| {
        verdict(match z.decode(&input.problems.0, &input.triggers.0, &input.users.0).map(border) {
            Ok(alerts) => (|| {
                for a in &alerts {
                    alert_clean(a, "zbx")?;
                }
                if let Some(n) = input.intact {
                    holds(alerts.len() == n, || format!("{n} problems in, {} out", alerts.len()))?;
                }
                Ok(())
            })(),
            Err(e) => {
                let e = e.to_string();
                holds(input.intact.is_none(), || format!("an intact answer refused: {e}")).and(holds(
                    line_clean(&e) && (e.starts_with("problem.get") || e.starts_with("trigger.get")),
                    || e.clone(),
                ))
            }
        })
    })
}

// ---------------------------------------------------------------- checks: plugin output

/// Nagios plugin output (the monitoring-plugins guidelines: `TEXT | perf` then long text
/// whose perfdata follows a `|` on a later line), from pieces, sometimes odd.
#[derive(Clone, Debug)]
struct PluginText {
    text: String,
    perf: String,
    long: Vec<String>,
    raw: Option<String>,
}

fn no_breaks(s: String) -> String {
    s.replace(['\n', '\r', '|'], " ")
}

impl Arbitrary for PluginText {
    fn arbitrary(g: &mut Gen) -> Self {
        let raw = chance(g, 30).then(|| {
            (0..below(g, 5)).map(|_| odd_text(g)).collect::<Vec<_>>().join(pick(g, &["\n", "|", "\r\n", " | "]))
        });
        PluginText {
            text: no_breaks(odd_text(g)),
            perf: no_breaks(format!("{}={};{};{}", odd_text(g), u16::arbitrary(g), odd_text(g), i32::arbitrary(g))),
            long: (0..below(g, 4)).map(|_| no_breaks(odd_text(g))).collect(),
            raw,
        }
    }
}

fn prop_plugin_output(p: PluginText) -> TestResult {
    use klaxon::sources::checks::PluginOutput;
    let joined = match &p.raw {
        Some(raw) => raw.clone(),
        None => format!("{} | {}\n{}\n", p.text, p.perf, p.long.join("\n")),
    };
    let parsed = PluginOutput::parse(&joined);
    verdict((|| {
        holds(!parsed.text.contains('\n') && !parsed.perfdata.contains('\n'), || format!("{parsed:?}"))?;
        if p.raw.is_none() {
            // What went in comes out in its place.
            holds(parsed.text == p.text.trim(), || format!("text {:?} became {:?}", p.text, parsed.text))?;
            holds(parsed.perfdata == p.perf.trim(), || format!("perf {:?} became {:?}", p.perf, parsed.perfdata))?;
            let long: Vec<&str> = p.long.iter().map(|l| l.trim_end()).collect();
            let want = long.join("\n");
            holds(parsed.long_text == want.trim_end_matches('\n'), || {
                format!("long {want:?} became {:?}", parsed.long_text)
            })?;
        }
        Ok(())
    })())
}

/// A plugin's output and exit status through the real checks source: the command is
/// run (by `sh`, printing what it is given) and its alert built as in a poll.
#[derive(Clone, Debug)]
struct PluginRun {
    output: String,
    code: u8,
}

impl Arbitrary for PluginRun {
    fn arbitrary(g: &mut Gen) -> Self {
        let p = PluginText::arbitrary(g);
        let output = p.raw.unwrap_or_else(|| format!("{} | {}\n{}\n", p.text, p.perf, p.long.join("\n")));
        // argv cannot carry a NUL byte, nor one argument over 128 KiB (Linux's
        // MAX_ARG_STRLEN); up to 120 kB still passes the source's 64 KiB output cap.
        let output = output.replace('\0', " ");
        let output = output[..output.floor_char_boundary(120_000)].to_owned();
        PluginRun { output, code: pick(g, &[0, 1, 2, 3, 4, 255]) }
    }
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
}

fn prop_plugin_run(r: PluginRun) -> TestResult {
    let argv = ["/bin/sh", "-c", "printf '%s' \"$1\"; exit \"$2\"", "sh", &r.output, &r.code.to_string()];
    let argv: Vec<String> = argv.iter().map(|a| toml_string(a)).collect();
    let text = format!(
        "[[sources]]\nname = \"local\"\nkind = \"checks\"\nhost = false\n[[sources.commands]]\nname = \"plugin\"\nargv = [{}]\n",
        argv.join(", ")
    );
    let cfg = klaxon::settings::parse(&text, "k.toml").unwrap();
    let source = klaxon::sources::build(&cfg.sources[0]).unwrap();
    let polled = RUNTIME.with(|rt| rt.block_on(poll_once(source.as_ref(), Duration::from_secs(60))));
    verdict(match polled {
        Ok(alerts) => (|| {
            for a in &alerts {
                alert_clean(a, "local")?;
            }
            let want = usize::from(r.code != 0);
            holds(alerts.len() == want, || format!("exit {}: {} alerts", r.code, alerts.len()))
        })(),
        Err(e) => Err(format!("the poll failed: {e}")),
    })
}

/// Other host files the checks source reads: /proc/meminfo and /proc/self/mounts lines.
#[derive(Clone, Debug)]
struct ProcText(String);

impl Arbitrary for ProcText {
    fn arbitrary(g: &mut Gen) -> Self {
        let lines: Vec<String> = (0..below(g, 8))
            .map(|_| match below(g, 4) {
                0 => format!(
                    "{}: {} kB",
                    pick(g, &["MemTotal", "MemAvailable", "MemFree"]),
                    pick(g, &["0", "1", "18446744073709551615", "-3", "x", ""])
                ),
                1 => format!(
                    "{} {} {} rw 0 0",
                    odd_text(g),
                    pick(g, &["/", "/mnt/a\\040b", "/snap/x", "\\", "\\04", "/proc"]),
                    pick(g, &["ext4", "tmpfs", "xfs", ""])
                ),
                _ => odd_text(g),
            })
            .collect();
        ProcText(lines.join("\n"))
    }
}

fn prop_proc_files(p: ProcText) -> TestResult {
    use klaxon::sources::checks::{disk_mounts, memory_used_percent};
    let pct = memory_used_percent(&p.0);
    let _ = disk_mounts(&p.0, &[std::path::PathBuf::from("/skip")]);
    verdict(holds(pct.is_none_or(f64::is_finite), || format!("memory {pct:?}")))
}

// ---------------------------------------------------------------- demo

/// The demo's only input is its config (seed, cycle, severity map) and the clock.
#[derive(Clone, Debug)]
struct DemoCase {
    seed: u64,
    cycle: Duration,
    now: chrono::DateTime<chrono::Utc>,
    map: Vec<(String, String)>,
}

impl Arbitrary for DemoCase {
    fn arbitrary(g: &mut Gen) -> Self {
        let cycle = match below(g, 5) {
            0 => Duration::from_secs(u64::arbitrary(g)),
            1 => Duration::from_secs(below(g, 120) as u64),
            2 => Duration::from_millis(u64::arbitrary(g) % 10_000_000),
            _ => Duration::from_secs(60 * (1 + below(g, 120) as u64)),
        };
        let secs = match below(g, 4) {
            0 => i64::from(i32::arbitrary(g)) * 1000,
            1 => -62_135_596_800 + i64::from(u32::arbitrary(g)),
            _ => 1_700_000_000 + i64::from(u32::arbitrary(g) % 100_000_000),
        };
        DemoCase {
            seed: u64::arbitrary(g),
            cycle,
            now: chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            map: (0..below(g, 3))
                .map(|_| (pick(g, &["major", "critical", "info", "x"]).to_owned(), odd_text(g)))
                .collect(),
        }
    }
}

fn prop_demo(c: DemoCase) -> TestResult {
    let map = klaxon::model::SeverityMap::new(c.map.iter().filter_map(|(k, v)| Some((k.clone(), v.parse().ok()?))));
    let cfg = klaxon::sources::demo::DemoConfig { seed: c.seed, cycle: c.cycle };
    let demo = klaxon::sources::demo::DemoSource::new("demo", &cfg, map);
    let first = border(demo.alerts_at(c.now));
    let again = border(demo.alerts_at(c.now));
    verdict((|| {
        for a in &first {
            alert_clean(a, "demo")?;
        }
        holds(first == again, || "the scenario is not a function of the clock".into())
    })())
}

// ---------------------------------------------------------------- severities

fn prop_severity_words(s: String) -> TestResult {
    use klaxon::model::Severity;
    let parsed = s.parse::<Severity>();
    // A name parses back to itself.
    let ok = parsed.as_ref().map_or(true, |sev| sev.name().parse::<Severity>().as_ref() == Ok(sev));
    verdict(holds(ok, || format!("{s:?} → {parsed:?}")))
}

// ---------------------------------------------------------------- reassignments

/// A reassignment's parts: a name, an email and words, each sometimes odd.
#[derive(Clone, Debug)]
struct ReassignParts(String, String, String);

impl Arbitrary for ReassignParts {
    fn arbitrary(g: &mut Gen) -> Self {
        let name = if chance(g, 50) { pick(g, &["erin", "Erin Ops", "a:b", "x<y>"]).to_owned() } else { odd_text(g) };
        let email = if chance(g, 50) {
            pick(g, &["erin@example.com", "e@x", "no-at", "a b@c"]).to_owned()
        } else {
            odd_text(g)
        };
        ReassignParts(name, email, odd_text(g))
    }
}

// A reassignment's text reads back as what was written, whatever the note says; text of any
// other shape is no reassignment, and never a panic.
fn prop_reassign(ReassignParts(name, email, note): ReassignParts) -> TestResult {
    use klaxon::model::Reassign;
    let _ = Reassign::parse(&name);
    let _ = Reassign::parse(&format!("to {name}: {note}"));
    if Reassign::bad_name(&name).is_some() || Reassign::bad_email(&email).is_some() || name.trim() != name {
        return TestResult::discard();
    }
    let note = klaxon::sanitize::sanitize(note.trim());
    let r = Reassign { name, email, note };
    let back = Reassign::parse(&r.text());
    verdict(holds(back.as_ref() == Some(&r), || format!("{:?} → {back:?}", r.text())))
}

// ---------------------------------------------------------------- silence matchers

/// A silence's parts: matcher words (amtool's forms, sometimes odd), a comment, an end.
#[derive(Clone, Debug)]
struct SilenceParts(Vec<String>, String, String);

impl Arbitrary for SilenceParts {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = 1 + below(g, 3);
        let words = (0..n)
            .map(|_| {
                let name = if chance(g, 70) {
                    pick(g, &["alertname", "env", "instance", "_x1"]).to_owned()
                } else {
                    odd_text(g)
                };
                let op = pick(g, &["=", "!=", "=~", "!~", "", "==", "~"]);
                let value = if chance(g, 50) {
                    pick(g, &["Foo", "db-.*", "a b", "\"quoted \\\" one\"", "(", "}", ",", "x: y"]).to_owned()
                } else {
                    odd_text(g)
                };
                format!("{name}{op}{value}")
            })
            .collect();
        let end = pick(g, &["2h", "30m", "until 18:00", "until 2020-01-01T00:00:00Z", "-1h", "0s", "soon"]).to_owned();
        SilenceParts(words, odd_text(g), if chance(g, 20) { odd_text(g) } else { end })
    }
}

// Matchers either parse or are refused with a clean one-line reason; a silence action's
// entry text reads back as what was written, whatever the values and the comment hold; an
// end that is not later than now is refused.
fn prop_silence(SilenceParts(words, comment, end): SilenceParts) -> TestResult {
    use klaxon::model::silence::{self, SilenceOp};
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T15:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let tz = chrono::FixedOffset::east_opt(3600).unwrap();
    let ends = silence::parse_end(&end, now, tz);
    let r = (|| {
        if let Err(why) = &ends {
            holds(line_clean(why), || format!("end {end:?} refused uncleanly: {why:?}"))?;
        }
        holds(ends.as_ref().map_or(true, |t| *t > now), || format!("{end:?} → {ends:?} is not in the future"))?;
        let matchers = match silence::parse_matchers(&words) {
            Ok(m) => m,
            Err(why) => return holds(line_clean(&why), || format!("{words:?} refused uncleanly: {why:?}")),
        };
        let comment = comment.split_whitespace().collect::<Vec<_>>().join(" ");
        let op = SilenceOp::Add { matchers, ends_at: now + chrono::Duration::hours(2), comment };
        let back = SilenceOp::parse(&op.text());
        holds(back.as_ref() == Ok(&op), || format!("{:?} → {back:?}", op.text()))
    })();
    verdict(r)
}

// ---------------------------------------------------------------- incident entries

/// An incident entry's parts from anywhere: a status word, a title or update text, and the
/// raw text of an entry (what a newer or broken klaxon may have written).
#[derive(Clone, Debug)]
struct IncidentParts(String, String, String);

impl Arbitrary for IncidentParts {
    fn arbitrary(g: &mut Gen) -> Self {
        let word = if bool::arbitrary(g) {
            pick(g, &["Monitoring", " resolved", "identified\n"]).to_owned()
        } else {
            odd_text(g)
        };
        let raw = match below(g, 3) {
            0 => format!("{{\"event\":\"update\",\"status\":\"monitoring\",\"text\":{:?}}}", odd_text(g)),
            1 => format!("{{\"event\":{:?}}}", odd_text(g)),
            _ => odd_text(g),
        };
        IncidentParts(word, odd_text(g), raw)
    }
}

fn prop_incident(IncidentParts(word, text, raw): IncidentParts) -> TestResult {
    use klaxon::incident::{self, Event, Status};
    use klaxon::model::{Entry, EntryKind, Severity};
    let status = word.parse::<Status>();
    let clean = match &status {
        Err(m) => holds(klaxon::sanitize::is_clean(m), || format!("error echoes control characters: {m:?}")),
        Ok(_) => Ok(()),
    };
    let entry = |text: &str| Entry {
        id: 1,
        op_id: "op".into(),
        alert_key: incident::key("0badcafe"),
        kind: EntryKind::Incident,
        actor: "alice".into(),
        at: chrono::Utc::now(),
        // As the store holds it: NewEntry cleans the text as a whole.
        text: klaxon::sanitize::sanitize(text),
        level: None,
        db_user: None,
    };
    let update = Event::Update { status: status.unwrap_or(Status::Identified), text: text.clone() };
    let back = Event::parse(&entry(&update.text()));
    let update = update.clean();
    let round = holds(back.as_ref() == Some(&update), || format!("{update:?} → {back:?}"));
    // Whatever an entry holds, folding it never panics and never invents an incident.
    let declared = incident::declare("d".into(), chrono::Utc::now(), "0badcafe", "alice", &text, Severity::High, &[]);
    let first = entry(&declared.text);
    let folded = incident::fold(&[first, entry(&raw)]);
    let title = klaxon::sanitize::sanitize_line(&text).trim().to_owned();
    let one = holds(folded.len() == 1 && folded[0].title == title, || format!("{folded:?}"));
    verdict(clean.and(round).and(one))
}

// ---------------------------------------------------------------- log lines

/// A log line as files and journals hold them: structured JSON (with nested context, levels
/// and times under the keys loggers use), plain `TIME LEVEL text`, or anything at all.
#[derive(Clone, Debug)]
struct RawLine {
    text: String,
    /// For an intact structured line: the message, level word and time that went in.
    expect: Option<(String, String, chrono::DateTime<chrono::Utc>)>,
}

impl Arbitrary for RawLine {
    fn arbitrary(g: &mut Gen) -> Self {
        let level = pick(g, &["info", "warn", "error", "debug", "fatal", "30", "3", "INFO", "trace"]).to_owned();
        let msg = odd_text(g);
        let time = rfc3339(g);
        match below(g, 4) {
            0 => {
                let mut v = json!({"msg": msg, "level": level, "ts": time, "request_id": odd_text(g),
                                   "ctx": {"user": odd_text(g), "n": odd_value(g, 1)}});
                for _ in 0..below(g, 3) {
                    v[odd_text(g)] = odd_value(g, 2);
                }
                if chance(g, 60) {
                    mutate(g, &mut v, 6);
                    return RawLine { text: String::from_utf8_lossy(&damaged_bytes(g, &v)).into_owned(), expect: None };
                }
                let t = chrono::DateTime::parse_from_rfc3339(&time).unwrap().to_utc();
                RawLine { text: v.to_string(), expect: (msg.len() < 4000).then_some((msg, level, t)) }
            }
            1 => RawLine { text: format!("{time} {} {msg}", level.to_uppercase()), expect: None },
            2 => RawLine {
                text: format!(
                    "{} {level} {msg}",
                    pick(g, &["2026-11-21 03:10:00.123", "1763694600", "1763694600123", "-5", "9e99"])
                ),
                expect: None,
            },
            _ => RawLine { text: odd_text(g), expect: None },
        }
    }
}

fn prop_log_line(l: RawLine) -> TestResult {
    let line = LogLine::parse("app", &l.text);
    verdict((|| {
        log_clean(&line)?;
        holds(line.message.len() <= klaxon::model::MAX_TEXT + '…'.len_utf8(), || {
            format!("{} bytes", line.message.len())
        })?;
        if let Some((msg, level, at)) = &l.expect {
            let want = klaxon::sanitize::sanitize_line(msg);
            holds(line.message == want, || format!("message {msg:?} became {:?}", line.message))?;
            holds(line.level == klaxon::model::Level::parse(level), || {
                format!("level {level:?} became {:?}", line.level)
            })?;
            holds(line.at == Some(*at), || format!("time {at} became {:?}", line.at))?;
        }
        Ok(())
    })())
}

fn prop_times((t, raw): (i64, String)) -> TestResult {
    use klaxon::model::parse_time;
    let _ = parse_time(&raw);
    // Every time chrono can hold comes back from its RFC 3339 form, and epoch seconds too.
    let secs = t.rem_euclid(253_402_300_799 + 62_135_596_800) - 62_135_596_800;
    let at = chrono::DateTime::from_timestamp(secs, 0).unwrap();
    let back = parse_time(&at.to_rfc3339());
    // Epoch numbers become nanoseconds in an i64: up to 2262.
    let epoch = (secs > 0 && secs < 9_000_000_000).then(|| parse_time(&secs.to_string()));
    let millis =
        (100_000_000..9_000_000_000).contains(&secs).then(|| parse_time(&format!("{secs}{:03}", t.rem_euclid(1000))));
    let at_ms = at + chrono::Duration::milliseconds(t.rem_euclid(1000));
    verdict(
        holds(back == Some(at), || format!("{at} came back as {back:?}"))
            .and(holds(epoch.is_none_or(|e| e == Some(at)), || format!("epoch {secs} came back as {epoch:?}")))
            .and(holds(millis.is_none_or(|e| e == Some(at_ms)), || {
                format!("epoch ms of {at_ms} came back as {millis:?}")
            })),
    )
}

/// One `journalctl -o json` entry (systemd's JSON export format: strings, byte arrays for
/// binary fields, `__REALTIME_TIMESTAMP` in microseconds), then damaged.
#[derive(Clone, Debug)]
struct JournalEntry(Bytes);

impl Arbitrary for JournalEntry {
    fn arbitrary(g: &mut Gen) -> Self {
        let message = match below(g, 3) {
            0 => json!(odd_text(g)),
            1 => json!(odd_text(g).bytes().chain([0x1b, 0xff, 0x9b]).collect::<Vec<u8>>()),
            _ => json!(json!({"level": "warn", "msg": odd_text(g), "trace_id": odd_text(g)}).to_string()),
        };
        let mut v = json!({
            "__CURSOR": odd_text(g), "__REALTIME_TIMESTAMP": pick(g, &["1763694600123456", "-1", "99999999999999999999", "x"]),
            "PRIORITY": pick(g, &["0", "3", "6", "7", "9", "-1", "info"]), "MESSAGE": message,
            "_SYSTEMD_UNIT": odd_text(g), "SYSLOG_IDENTIFIER": odd_text(g), "_HOSTNAME": odd_text(g), "_PID": "42",
            "REQUEST_ID": odd_text(g), "_BOOT_ID": "b",
        });
        for _ in 0..below(g, 4) {
            v[odd_text(g)] = odd_value(g, 2);
        }
        if chance(g, 50) {
            mutate(g, &mut v, 5);
        }
        JournalEntry(Bytes(damaged_bytes(g, &v)))
    }
}

fn prop_journald(e: JournalEntry) -> TestResult {
    verdict(match klaxon::logs::journald::parse_entry("journal", &e.0.0) {
        Some((line, _cursor)) => log_clean(&line),
        None => Ok(()),
    })
}

/// A Loki `query_range` answer (Loki's HTTP API: `status`, `data.resultType`, streams of
/// `[ns, line]` values, Loki 3's structured metadata as a third element), then damaged.
#[derive(Clone, Debug)]
struct LokiAnswer(Bytes);

impl Arbitrary for LokiAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let streams: Vec<Value> = (0..below(g, 3))
            .map(|_| {
                let values: Vec<Value> = (0..below(g, 4))
                    .map(|_| {
                        let ns = pick(
                            g,
                            &["1763694600123456789", "0", "-1", "170141183460469231731687303715884105727", "x", "1e9"],
                        );
                        if chance(g, 30) {
                            json!([ns, odd_text(g), {"trace_id": odd_text(g), odd_text(g): odd_text(g)}])
                        } else {
                            json!([ns, odd_text(g)])
                        }
                    })
                    .collect();
                json!({"stream": odd_labels(g, &["app", "level", "detected_level", "severity"]), "values": values})
            })
            .collect();
        let mut v = json!({"status": pick(g, &["success", "error"]), "data": {"resultType": pick(g, &["streams", "matrix"]), "result": streams}, "error": odd_text(g)});
        if chance(g, 60) {
            mutate(g, &mut v, 5);
        }
        LokiAnswer(Bytes(damaged_bytes(g, &v)))
    }
}

fn prop_loki(a: LokiAnswer) -> TestResult {
    verdict(match klaxon::logs::loki::parse_response("loki", &a.0.0) {
        Ok(lines) => lines.iter().try_for_each(|(_, l)| log_clean(l)),
        Err(e) => holds(line_clean(&e.to_string()), || e.to_string()),
    })
}

// ---------------------------------------------------------------- search backends

/// Answers of the four search backends (the shapes tests/suite/logs_search.rs takes from
/// each vendor's documentation), with odd text and values in every field, then damaged.
#[derive(Clone, Debug)]
struct SearchAnswer {
    es: Bytes,
    graylog: Bytes,
    splunk: Bytes,
    sumo: Bytes,
}

fn odd_doc(g: &mut Gen, meaningful: &[&str]) -> Value {
    let mut doc = odd_labels(g, meaningful);
    if chance(g, 50) {
        doc["@timestamp"] = json!(rfc3339(g));
    }
    if chance(g, 30) {
        doc["log"] = json!({"level": odd_text(g), "nested": odd_value(g, 2)});
    }
    doc
}

impl Arbitrary for SearchAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let hits: Vec<Value> = (0..below(g, 4))
            .map(|_| {
                json!({"_index": odd_text(g), "_id": odd_text(g), "_source": odd_doc(g, &["message", "trace.id"]),
                       "sort": [odd_number(g), odd_value(g, 1)]})
            })
            .collect();
        let mut es = json!({"pit_id": odd_text(g), "timed_out": chance(g, 10),
                            "_shards": {"total": 2, "failed": pick(g, &[0, 0, 0, 1])}, "hits": {"hits": hits}});
        let messages: Vec<Value> = (0..below(g, 4))
            .map(|_| json!({"message": odd_doc(g, &["_id", "timestamp", "message", "level", "source"]), "index": odd_text(g)}))
            .collect();
        let mut graylog = json!({"messages": messages, "total_results": odd_number(g)});
        let splunk: Vec<u8> = (0..below(g, 4))
            .flat_map(|_| {
                let mut v = match below(g, 4) {
                    0 => json!({"messages": [{"type": pick(g, &["ERROR", "WARN", "FATAL", "INFO"]), "text": odd_text(g)}]}),
                    1 => json!({"preview": true, "result": odd_doc(g, &["_raw"])}),
                    _ => json!({"preview": false, "offset": odd_number(g), "result": odd_doc(g, &["_raw", "_time", "_bkt", "_cd", "host", "log_level"])}),
                };
                if chance(g, 40) {
                    mutate(g, &mut v, 5);
                }
                let mut line = damaged_bytes(g, &v);
                line.push(b'\n');
                line
            })
            .collect();
        let maps: Vec<Value> = (0..below(g, 4))
            .map(|_| json!({"map": odd_doc(g, &["_messageid", "_messagetime", "_raw", "_sourcehost", "level"])}))
            .collect();
        let mut sumo = json!({"fields": [{"name": "_raw", "fieldType": "string"}], "messages": maps});
        for v in [&mut es, &mut graylog, &mut sumo] {
            if chance(g, 60) {
                mutate(g, v, 5);
            }
        }
        SearchAnswer {
            es: Bytes(damaged_bytes(g, &es)),
            graylog: Bytes(damaged_bytes(g, &graylog)),
            splunk: Bytes(splunk),
            sumo: Bytes(damaged_bytes(g, &sumo)),
        }
    }
}

/// Every line clean and bounded, every error one clean line.
fn found_clean(r: Result<Vec<klaxon::logs::remote::Found>, klaxon::sources::SourceError>) -> Result<(), String> {
    match r {
        Ok(found) => found.iter().try_for_each(|f| log_clean(&f.line)),
        Err(e) => holds(line_clean(&e.to_string()), || e.to_string()),
    }
}

fn prop_search_answers(a: SearchAnswer) -> TestResult {
    use klaxon::logs::{elasticsearch, graylog, splunk, sumologic};
    let keys = klaxon::model::Keys { message: Some("message"), level: Some("log.level"), time: Some("@timestamp") };
    let fields = vec!["host".to_string(), "level".to_string()];
    verdict((|| {
        found_clean(
            elasticsearch::parse_search("es", "Elasticsearch", &a.es.0, &keys, "trace.id")
                .map(|p| p.hits.into_iter().map(|(f, _)| f).collect()),
        )?;
        found_clean(graylog::parse_search("graylog", &a.graylog.0, &keys, "trace_id"))?;
        let lines = a.splunk.0.split(|b| *b == b'\n').map(|l| splunk::parse_line("splunk", l, "log_level", &fields));
        found_clean(lines.filter_map(Result::transpose).collect())?;
        found_clean(sumologic::parse_messages("sumo", &a.sumo.0, "level", &fields))
    })())
}

// ---------------------------------------------------------------- config

/// A duration as people write them in klaxon.toml, or not quite.
#[derive(Clone, Debug)]
struct DurationText {
    text: String,
    /// When it is a well-formed duration of at least a second: its value.
    value: Option<Duration>,
}

impl Arbitrary for DurationText {
    fn arbitrary(g: &mut Gen) -> Self {
        match below(g, 3) {
            0 => {
                let d = Duration::from_secs(1 + u64::arbitrary(g) % 10_000_000);
                DurationText { text: humantime::format_duration(d).to_string(), value: Some(d) }
            }
            1 => {
                let n = pick(g, &["0", "1", "15", "1.5", "-1", "99999999999999999999", "1e3", "", "٣", "0x10"]);
                let unit =
                    pick(g, &["s", "m", "h", "d", "ms", "us", "ns", "w", "y", "years", "", " s", "sec", "µs", "mins"]);
                DurationText { text: format!("{n}{unit}{}", pick(g, &["", " 30s", "m", " ", "\t"])), value: None }
            }
            _ => DurationText { text: odd_text(g), value: None },
        }
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn prop_durations(d: DurationText) -> TestResult {
    let text = format!("[[sources]]\nname = \"d\"\nkind = \"demo\"\ninterval = {}\n", toml_string(&d.text));
    let parsed = klaxon::settings::parse(&text, "k.toml");
    verdict(match (&parsed, d.value) {
        (Ok(cfg), Some(v)) => {
            holds(cfg.sources[0].interval == v, || format!("{:?} read as {:?}", d.text, cfg.sources[0].interval))
        }
        (Ok(cfg), None) => {
            holds(cfg.sources[0].interval >= Duration::from_secs(1), || format!("{:?}", cfg.sources[0].interval))
        }
        (Err(e), Some(_)) => Err(format!("a valid duration {:?} refused: {e}", d.text)),
        (Err(e), None) => holds(
            e.file == "k.toml" && e.line == Some(4) && e.key.as_deref().is_some_and(|k| k.contains("interval")),
            || format!("the error does not name k.toml:4 `interval`: {e:?}"),
        ),
    })
}

/// klaxon.toml with every kind of section, each value sometimes replaced by a TOML value of
/// another type or an odd one (huge, negative, NaN, control characters), lines dropped or
/// doubled.
#[derive(Clone, Debug)]
struct ConfigText(String);

const CONFIG: &str = r#"[identity]
name = @
[ui]
theme = @
timezone = @
[store]
backend = @
path = @
[[sources]]
name = @
kind = "alertmanager"
url = @
interval = @
timeout = @
max_bytes = @
ack_silence = @
severity_map = { critical = @ }
[[sources]]
name = @
kind = "zabbix"
url = @
token_env = @
page_size = @
tags = [@, @]
min_severity = @
[[sources]]
name = @
kind = "checks"
disk = { warning = @, high = @ }
[[sources.commands]]
name = @
argv = [@, @]
[[sources]]
name = @
kind = "demo"
seed = @
cycle = @
[[schedules]]
name = @
kind = "rotation"
level = @
people = [@]
[[logs]]
name = @
kind = "loki"
url = @
query = @
limit = @
[notify]
min_severity = @
terminal = @
[escalation]
auto_after = @
"#;

fn toml_value(g: &mut Gen) -> String {
    match below(g, 12) {
        0 => toml_string(&odd_text(g)),
        1 => pick(
            g,
            &[
                "9223372036854775807",
                "-9223372036854775808",
                "0",
                "-1",
                "1_000",
                "0xff",
                "1e308",
                "nan",
                "-inf",
                "-0.0",
            ],
        )
        .into(),
        2 => pick(
            g,
            &["true", "false", "1979-05-27T07:32:00Z", "07:32:00", "[]", "{}", "[1, \"a\"]", "{ a = { b = 1 } }"],
        )
        .into(),
        3 => toml_string(pick(
            g,
            &["15s", "0s", "1000000000years", "5m", "-1s", "", "critical", "high", "UTC", "Mars/Olympus"],
        )),
        4 => pick(g, &["", "\"unterminated", "'''", "@", "= =", "[[", "\"\\u0000\"", "\"\\uD800\""]).into(),
        _ => toml_string(pick(
            g,
            &["prod", "alice", "http://127.0.0.1:9093", "critical", "sqlite", "default", "/bin/true", "15s"],
        )),
    }
}

impl Arbitrary for ConfigText {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut text = String::new();
        for piece in CONFIG.split('@') {
            if !text.is_empty() {
                text.push_str(&toml_value(g));
            }
            text.push_str(piece);
        }
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for _ in 0..below(g, 3) {
            let i = below(g, lines.len());
            if chance(g, 50) {
                lines.remove(i);
            } else {
                let l = lines[i].clone();
                lines.insert(below(g, lines.len()), l);
            }
        }
        ConfigText(lines.join("\n"))
    }
}

fn prop_config_file(c: ConfigText) -> TestResult {
    let lines = c.0.lines().count().max(1);
    verdict(match klaxon::settings::parse(&c.0, "k.toml") {
        Ok(cfg) => {
            // What parsed must also build without a panic (its errors are the user's to see).
            for s in &cfg.sources {
                if !matches!(s.kind, klaxon::sources::SourceKind::Checks(_)) {
                    let _ = klaxon::sources::build(s);
                }
            }
            let _ = klaxon::logs::build_all(&cfg.logs, None);
            Ok(())
        }
        Err(e) => holds(e.file == "k.toml" && e.line.is_none_or(|l| (1..=lines + 1).contains(&l)), || format!("{e:?}"))
            .and(holds(is_clean(&e.to_string()), || {
                format!("the error carries control characters: {:?}", e.to_string())
            })),
    })
}

// ---------------------------------------------------------------- snapshot cache

/// The snapshot cache file read back from disk: one the cache wrote of odd alerts (hostile
/// text, another source's keys, times at the ends of the calendar), then cut short, with
/// bytes changed, or any bytes at all. Left whole, what it must read: how many alerts are
/// the source's, or nothing when a key needs cleaning (a key is not cleaned but refused).
#[derive(Clone, Debug)]
struct CacheFile(Bytes, Option<Option<usize>>);

impl Arbitrary for CacheFile {
    fn arbitrary(g: &mut Gen) -> Self {
        let time = |g: &mut Gen| chrono::DateTime::parse_from_rfc3339(&rfc3339(g)).expect("RFC 3339").to_utc();
        let alerts: Vec<Alert> = (0..below(g, 4))
            .map(|_| {
                let (source, id) = (pick(g, &["prod", "other", "prod/x"]), odd_text(g) + "1");
                Alert {
                    key: klaxon::model::AlertKey::new(source, &id),
                    title: odd_text(g),
                    severity: klaxon::model::Severity::ALL[below(g, 5)],
                    status: klaxon::model::Status::Firing,
                    started_at: time(g),
                    updated_at: time(g),
                    labels: serde_json::from_value(odd_labels(g, &["alertname"])).expect("strings"),
                    annotations: serde_json::from_value(odd_labels(g, &["summary"])).expect("strings"),
                    host: Some(odd_text(g)),
                    service: None,
                    links: vec![klaxon::model::Link { kind: odd_text(g).into(), url: odd_text(g) }],
                    source_acks: vec![klaxon::model::SourceAck {
                        by: odd_text(g),
                        at: chance(g, 50).then(|| time(g)),
                        text: odd_text(g),
                        id: None,
                        kind: klaxon::model::EntryKind::Acked,
                    }],
                    suppression: Some(odd_text(g)),
                    guessed: Default::default(),
                }
            })
            .collect();
        let written = CACHE_DIR.with(|dir| {
            let cache = klaxon::sources::cache::SnapshotCache::new(&dir.path().join("written"));
            cache.save("prod", time(g), &alerts).expect("saved");
            std::fs::read(dir.path().join("written/prod.snapshot")).expect("written")
        });
        let mut bytes = written;
        let ours = alerts.iter().filter(|a| a.source() == "prod").count();
        let keys_clean = alerts.iter().all(|a| line_clean(a.key.as_str()));
        let mut whole = None;
        match below(g, 4) {
            0 => whole = Some(keys_clean.then_some(ours)),
            1 => bytes = Vec::<u8>::arbitrary(g),
            2 => bytes.truncate(below(g, bytes.len() + 1)),
            _ => {
                for _ in 0..1 + below(g, 4) {
                    let i = below(g, bytes.len());
                    bytes[i] = u8::arbitrary(g);
                }
            }
        }
        CacheFile(Bytes(bytes), whole)
    }
}

thread_local! {
    static CACHE_DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
}

fn prop_snapshot_cache(f: CacheFile) -> TestResult {
    CACHE_DIR.with(|dir| {
        std::fs::write(dir.path().join("prod.snapshot"), &f.0.0).unwrap();
        let cache = klaxon::sources::cache::SnapshotCache::new(dir.path());
        // Read or ignored, never a panic; what is read is clean, and a head holds no more
        // alerts than it counts.
        let head = match cache.load_head("prod") {
            Some(h) if h.alerts.len() > h.total => Err(format!("a head of {} counts {}", h.alerts.len(), h.total)),
            Some(h) => h.alerts.iter().try_for_each(|a| alert_clean(a, "prod")),
            None => Ok(()),
        };
        let read = cache.load("prod");
        // A file left as the cache wrote it reads back whole.
        let kept = match (f.1, &read) {
            (Some(Some(n)), Some((_, alerts))) => {
                holds(alerts.len() == n, || format!("{} of {n} alerts read", alerts.len()))
            }
            (Some(Some(n)), None) => Err(format!("a whole file of {n} alerts did not read")),
            (Some(None), Some(_)) => Err("a file with a key that needs cleaning was read".into()),
            (Some(None), None) | (None, _) => Ok(()),
        };
        verdict(head.and(kept).and(match read {
            Some((_, alerts)) => alerts.iter().try_for_each(|a| alert_clean(a, "prod")),
            None => Ok(()),
        }))
    })
}

// ---------------------------------------------------------------- runbook Markdown

/// Runbook Markdown from CommonMark's pieces (headings, nested lists and quotes, tables of
/// uneven rows, fences, links, HTML, tabs) mixed with odd and hostile text, at any width.
#[derive(Clone, Debug)]
struct Runbook {
    text: String,
    width: u16,
}

impl Arbitrary for Runbook {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut text = String::new();
        for _ in 0..below(g, 12) {
            let t = odd_text(g);
            let block = match below(g, 14) {
                0 => format!("{} {t}\n", "#".repeat(1 + below(g, 7))),
                1 => format!("{}- {t}\n", "  ".repeat(below(g, 6))),
                2 => format!("{}. {t}\n", u32::arbitrary(g)),
                3 => format!("{} {t}\n", ">".repeat(1 + below(g, 8))),
                4 => {
                    let cols = 1 + below(g, 6);
                    let row = |g: &mut Gen| {
                        (0..1 + below(g, 8))
                            .map(|_| odd_text(g).replace(['|', '\n'], " "))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    format!("| {} |\n|{}\n| {} |\n| {} |\n", row(g), "---|".repeat(cols), row(g), row(g))
                }
                5 => format!("```{}\n{t}\n{}\n```\n", pick(g, &["", "sh", "`", "~~~"]), "x".repeat(below(g, 400))),
                6 => format!(
                    "[{t}]({})",
                    pick(g, &["https://x", "other-runbook", "", "<>", "javascript:alert(1)", "file:///etc/passwd"])
                ),
                7 => format!("![{t}](img.png) <b>{t}</b> <!-- {t} -->\n"),
                8 => format!("\t{t}\n\t\t{t}\n"),
                9 => format!("*{t}* **{t}** ~~{t}~~ `{t}`\n"),
                10 => "---\n".into(),
                11 => format!("{t}  \n{t}\\\n"),
                12 => format!("{t}[^1]\n\n[^1]: {t}\n"),
                _ => format!("{t}\n\n"),
            };
            text.push_str(&block);
        }
        let width = match below(g, 4) {
            0 => u16::arbitrary(g),
            1 => below(g, 12) as u16,
            _ => 20 + below(g, 200) as u16,
        };
        Runbook { text, width }
    }
}

thread_local! {
    static THEME: klaxon::config::theme::Theme = klaxon::config::theme::Theme::default();
}

fn prop_markdown(r: Runbook) -> TestResult {
    use unicode_width::UnicodeWidthStr;
    let rendered = THEME.with(|theme| klaxon::runbooks::markdown::render(&r.text, r.width, theme));
    let room = usize::from(r.width).max(10);
    verdict(rendered.lines.iter().try_for_each(|line| {
        holds(line.width() <= room, || format!("a line {} wide at {room}: {line:?}", line.width()))?;
        line.spans.iter().try_for_each(|s| {
            holds(line_clean(&s.content) && s.content.width() <= room, || format!("span {:?}", s.content))
        })
    }))
}

// ---------------------------------------------------------------- SLOs

/// A Sloth, Pyrra or OpenSLO document (YAML is a superset of JSON, so the damaged JSON of
/// a well-shaped spec is a spec file as a person might break it), and whether it was left whole.
#[derive(Clone, Debug)]
struct SpecFile {
    text: String,
    whole: bool,
}

impl Arbitrary for SpecFile {
    fn arbitrary(g: &mut Gen) -> Self {
        let window = pick(g, &["28d", "2w", "7d", "1h"]);
        let mut v = match below(g, 3) {
            0 => json!({"version": "prometheus/v1", "service": "svc", "slos": [{"name": "avail",
                "objective": 99.9, "sli": {"events": {"error_query": "sum(rate(e[{{.window}}]))",
                "total_query": "sum(rate(t[{{.window}}]))"}}, "alerting": {"name": "A"}}]}),
            1 => json!({"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective",
                "metadata": {"name": "dns"}, "spec": {"target": "99.5", "window": window, "indicator":
                {"ratio": {"errors": {"metric": "dns_total{rcode=\"SERVFAIL\"}"}, "total": {"metric": "dns_total"}}}}}),
            _ => json!({"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "web"}, "spec": {
                "indicator": {"spec": {"ratioMetric": {"counter": true,
                "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": "http_total{code=~\"5..\"}"}}},
                "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "http_total"}}}}}},
                "timeWindow": [{"duration": window, "isRolling": true}], "objectives": [{"target": 0.99}]}}),
        };
        let whole = !chance(g, 70);
        if !whole {
            mutate(g, &mut v, 25);
            let text = String::from_utf8_lossy(&damaged_bytes(g, &v)).into_owned();
            return SpecFile { text, whole };
        }
        SpecFile { text: serde_json::to_string_pretty(&v).unwrap(), whole }
    }
}

fn prop_slo_spec(f: SpecFile) -> TestResult {
    let prom: klaxon::settings::Config =
        klaxon::settings::parse("[prometheus]\nurl = \"http://p:9090\"\n", "k.toml").unwrap();
    let read = klaxon::slo::files::read(&f.text, std::path::Path::new("s.yaml"), prom.prometheus.as_ref().unwrap());
    verdict(match read {
        Ok(slos) => slos.iter().try_for_each(|s| {
            holds(s.objective > 0.0 && s.objective < 1.0, || format!("objective {}", s.objective))?;
            holds(s.window >= Duration::from_secs(3600), || format!("window {:?}", s.window))?;
            holds(klaxon::slo::query_problem(&s.total).is_none(), || format!("total {:?} has no window", s.total))
        }),
        Err(e) if f.whole => Err(format!("a whole spec refused: {e}")),
        Err(e) => holds(e.file == "s.yaml" && e.line.is_some_and(|l| l >= 1) && line_clean(&e.to_string()), || {
            format!("the error does not name s.yaml and a line, or is not clean: {e:?}")
        }),
    })
}

/// A Prometheus answer (prometheus.io "HTTP API": vector, matrix, scalar, error), damaged.
#[derive(Clone, Debug)]
struct PromAnswer {
    status: u16,
    body: Vec<u8>,
}

impl Arbitrary for PromAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut v = match below(g, 4) {
            0 => {
                json!({"status": "success", "data": {"resultType": "vector", "result": [{"metric": odd_labels(g, &["job"]),
                "value": [1_700_000_000.5, pick(g, &["1.5", "NaN", "+Inf", "-1", "x"])]}]}})
            }
            1 => json!({"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {},
                "values": [[1_700_000_000, "2"], [1_700_000_060.25, "3"]]}]}}),
            2 => json!({"status": "success", "data": {"resultType": "scalar", "result": [1_700_000_000, "0.5"]}}),
            _ => json!({"status": "error", "errorType": "bad_data", "error": odd_text(g)}),
        };
        mutate(g, &mut v, 20);
        PromAnswer { status: pick(g, &[200, 400, 422, 503, 502]), body: damaged_bytes(g, &v) }
    }
}

fn prop_prometheus_answer(a: PromAnswer) -> TestResult {
    use klaxon::slo::prometheus::{read_instant, read_range};
    let check = |e: &klaxon::slo::prometheus::QueryError| {
        holds(line_clean(&e.to_string()), || format!("an error that is not clean: {e:?}"))
    };
    let instant = read_instant(a.status, &a.body);
    let range = read_range(a.status, &a.body);
    verdict((|| {
        if let Ok(Some(v)) = &instant {
            holds(v.is_finite(), || format!("{v} is not a number to show"))?;
        }
        if let Ok(points) = &range {
            holds(points.iter().all(|p| p.1.is_finite()), || format!("{points:?}"))?;
        }
        holds(a.status < 300 || (instant.is_err() && range.is_err()), || "an error status read as data".into())?;
        instant.as_ref().err().map_or(Ok(()), check)?;
        range.as_ref().err().map_or(Ok(()), check)
    })())
}

// ---------------------------------------------------------------- Icinga 2

/// Answers of Icinga 2's object queries (services, hosts, comments, downtimes), in the shape
/// of the API documentation's examples and of what Debian's Icinga 2.13 answered in
/// tests/suite/icinga2.rs: numbers as floats, names `host!service`.
#[derive(Clone, Debug)]
struct IcingaAnswer {
    services: Bytes,
    hosts: Bytes,
    comments: Bytes,
    downtimes: Bytes,
    intact: Option<usize>,
}

fn icinga_time(g: &mut Gen) -> Value {
    match below(g, 6) {
        0 => json!(0),
        1 => json!(-5.5),
        2 => json!(1e300),
        _ => json!(1_700_000_000.0 + f64::from(u32::arbitrary(g)) / 7.0),
    }
}

fn icinga_name(g: &mut Gen) -> String {
    if chance(g, 70) { pick(g, &["db1", "web-1", "Disk /var", "load"]).into() } else { odd_text(g) }
}

impl Arbitrary for IcingaAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let object = |g: &mut Gen, host: bool| {
            let (h, s) = (icinga_name(g), icinga_name(g));
            let name = if host { h.clone() } else { format!("{h}!{s}") };
            let mut attrs = json!({
                "display_name": odd_text(g), "state": below(g, 5) as f64, "state_type": below(g, 2) as f64,
                "last_check_result": {"output": odd_text(g), "execution_end": icinga_time(g), "performance_data": []},
                "last_state_change": icinga_time(g), "last_hard_state_change": icinga_time(g),
                "acknowledgement": below(g, 3) as f64, "acknowledgement_expiry": icinga_time(g),
                "downtime_depth": below(g, 2) as f64, "notes": odd_text(g), "notes_url": odd_text(g),
                "action_url": if chance(g, 20) { Value::Null } else { json!(odd_text(g)) },
            });
            if host {
                attrs["last_reachable"] = json!(chance(g, 70));
            } else {
                attrs["host_name"] = json!(h);
            }
            let joins = if host { json!({}) } else { json!({"host": {"name": h, "display_name": odd_text(g)}}) };
            (
                json!({"name": name, "type": if host { "Host" } else { "Service" }, "attrs": attrs, "joins": joins, "meta": {}}),
                h,
                s,
            )
        };
        let mut targets = Vec::new();
        let mut services = Vec::new();
        let mut hosts = Vec::new();
        for i in 0..below(g, 8) {
            let host = i % 3 == 2;
            let (o, h, s) = object(g, host);
            targets.push((h, if host { String::new() } else { s }));
            if host { hosts.push(o) } else { services.push(o) }
        }
        // Objects that are OK (state 0) are no problems, whatever the server sent.
        let problems = services.iter().chain(&hosts).filter(|o| o["attrs"]["state"] != json!(0.0)).count();
        let mut comments = Vec::new();
        let mut downtimes = Vec::new();
        for (h, s) in &targets {
            for _ in 0..below(g, 3) {
                comments.push(json!({"name": format!("{h}!{s}!c"), "type": "Comment", "attrs": {
                    "author": odd_text(g), "text": odd_text(g), "entry_type": pick(g, &[1.0, 4.0, 2.0]),
                    "entry_time": icinga_time(g), "host_name": h, "service_name": s}}));
            }
            if chance(g, 30) {
                downtimes.push(json!({"name": format!("{h}!{s}!d"), "type": "Downtime", "attrs": {
                    "author": odd_text(g), "comment": odd_text(g), "end_time": icinga_time(g),
                    "host_name": h, "service_name": s}}));
            }
        }
        let wrap = |v: Vec<Value>| json!({"results": v});
        let mut all = [wrap(services), wrap(hosts), wrap(comments), wrap(downtimes)];
        if chance(g, 60) {
            for v in &mut all {
                mutate(g, v, 4);
            }
            let [a, b, c, d] = all.each_ref().map(|v| Bytes(damaged_bytes(g, v)));
            return IcingaAnswer { services: a, hosts: b, comments: c, downtimes: d, intact: None };
        }
        let [a, b, c, d] = all.each_ref().map(|v| Bytes(serde_json::to_vec(v).unwrap()));
        IcingaAnswer { services: a, hosts: b, comments: c, downtimes: d, intact: Some(problems) }
    }
}

fn icinga() -> klaxon::sources::icinga2::Icinga2Source {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "prop-password\n").unwrap();
    std::fs::set_permissions(&password, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cfg = klaxon::settings::parse(
        &format!(
            "[[sources]]\nname = \"ici\"\nkind = \"icinga2\"\nurl = \"https://127.0.0.1:9\"\nusername = \"u\"\npassword_file = \"{}\"\n",
            password.display()
        ),
        "k.toml",
    )
    .unwrap();
    let klaxon::sources::SourceKind::Icinga2(c) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::icinga2::Icinga2Source::new(&cfg.sources[0], c).unwrap()
}

thread_local! {
    static ICI: klaxon::sources::icinga2::Icinga2Source = icinga();
}

fn prop_icinga(input: IcingaAnswer) -> TestResult {
    ICI.with(|ici| {
        let decoded = ici.decode(&input.services.0, &input.hosts.0, &input.comments.0, &input.downtimes.0);
        verdict(match decoded.map(border) {
            Ok(alerts) => (|| {
                for a in &alerts {
                    alert_clean(a, "ici")?;
                }
                if let Some(n) = input.intact {
                    holds(alerts.len() == n, || format!("{n} problems in, {} out", alerts.len()))?;
                }
                Ok(())
            })(),
            Err(e) => {
                let e = e.to_string();
                let named = ["services:", "hosts:", "comments:", "downtimes:"].iter().any(|w| e.starts_with(w));
                holds(input.intact.is_none(), || format!("an intact answer refused: {e}"))
                    .and(holds(line_clean(&e) && named, || e.clone()))
            }
        })
    })
}

// ---------------------------------------------------------------- Nagios

/// A status.dat and an objects.cache as Nagios Core 4.4 writes them (the blocks and keys of
/// the files Debian's nagios4 wrote in tests/suite/nagios.rs), values odd, sometimes cut.
#[derive(Clone, Debug)]
struct NagiosFiles {
    status: Bytes,
    objects: Bytes,
    intact: Option<usize>,
}

/// A field value as Nagios writes one: on one line.
fn nagios_value(g: &mut Gen) -> String {
    odd_text(g).replace(['\n', '\r'], " ")
}

impl Arbitrary for NagiosFiles {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut status = String::from(
            "# NAGIOS STATUS FILE\ninfo {\n\tcreated=1700000000\n\tversion=4.4.6\n\t}\n\nprogramstatus {\n\tnagios_pid=1\n\t}\n\n",
        );
        let mut objects = String::from("# objects.cache\n\n");
        let mut problems = 0;
        for _ in 0..below(g, 6) {
            let host = if chance(g, 70) { pick(g, &["db1", "web1"]).to_string() } else { nagios_value(g) };
            let service = (!chance(g, 30)).then(|| if chance(g, 60) { "disk".to_string() } else { nagios_value(g) });
            let state = below(g, 5);
            let checked = chance(g, 90);
            if checked && state > 0 {
                problems += 1;
            }
            let kind = if service.is_some() { "service" } else { "host" };
            let svc_line = service.as_ref().map(|s| format!("\tservice_description={s}\n")).unwrap_or_default();
            status.push_str(&format!(
                "{kind}status {{\n\thost_name={host}\n{svc_line}\thas_been_checked={}\n\tcurrent_state={state}\n\tstate_type={}\n\
                 \tlast_state_change={}\n\tlast_hard_state_change={}\n\tlast_check={}\n\tplugin_output={}\n\
                 \tlong_plugin_output={}\n\tproblem_has_been_acknowledged={}\n\tscheduled_downtime_depth={}\n\t}}\n\n",
                u8::from(checked),
                below(g, 2),
                pick(g, &["0", "1700000000", "-3", "99999999999999999999", "x"]),
                pick(g, &["0", "1700000100", "9223372036854775807"]),
                pick(g, &["0", "1700000200"]),
                nagios_value(g),
                nagios_value(g) + "\\nsecond line",
                below(g, 2),
                below(g, 2),
            ));
            for _ in 0..below(g, 3) {
                status.push_str(&format!(
                    "{kind}comment {{\n\thost_name={host}\n{svc_line}\tentry_type={}\n\tcomment_id={}\n\tentry_time=1700000000\n\tauthor={}\n\tcomment_data={}\n\t}}\n\n",
                    pick(g, &["1", "4", "2"]),
                    below(g, 100),
                    nagios_value(g),
                    nagios_value(g)
                ));
            }
            if chance(g, 30) {
                status.push_str(&format!(
                    "{kind}downtime {{\n\thost_name={host}\n{svc_line}\tend_time={}\n\tis_in_effect=1\n\tauthor={}\n\tcomment={}\n\t}}\n\n",
                    pick(g, &["0", "1700003600", "-1"]),
                    nagios_value(g),
                    nagios_value(g)
                ));
            }
            let svc_def = service.as_ref().map(|s| format!("\tservice_description\t{s}\n")).unwrap_or_default();
            objects.push_str(&format!(
                "define {kind} {{\n\thost_name\t{host}\n{svc_def}\tdisplay_name\t{}\n\talias\t{}\n\tnotes\t{}\n\tnotes_url\t{}\n\taction_url\t{}\n\t}}\n\n",
                nagios_value(g),
                nagios_value(g),
                nagios_value(g),
                nagios_value(g),
                nagios_value(g)
            ));
        }
        if chance(g, 40) {
            // A file cut short, or bytes changed: as a reader racing an in-place writer would see it.
            let mut status = status.into_bytes();
            let mut objects = objects.into_bytes();
            for bytes in [&mut status, &mut objects] {
                if chance(g, 50) && !bytes.is_empty() {
                    bytes.truncate(below(g, bytes.len()));
                } else if !bytes.is_empty() {
                    let i = below(g, bytes.len());
                    bytes[i] = u8::arbitrary(g);
                }
            }
            return NagiosFiles { status: Bytes(status), objects: Bytes(objects), intact: None };
        }
        NagiosFiles { status: Bytes(status.into_bytes()), objects: Bytes(objects.into_bytes()), intact: Some(problems) }
    }
}

fn nagios() -> klaxon::sources::nagios::NagiosSource {
    let cfg = klaxon::settings::parse(
        "[[sources]]\nname = \"nag\"\nkind = \"nagios\"\nstatus_file = \"/nonexistent/status.dat\"\nwrite_back = false\n",
        "k.toml",
    )
    .unwrap();
    let klaxon::sources::SourceKind::Nagios(c) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::nagios::NagiosSource::new(&cfg.sources[0], c)
}

thread_local! {
    static NAG: klaxon::sources::nagios::NagiosSource = nagios();
}

fn prop_nagios(input: NagiosFiles) -> TestResult {
    NAG.with(|nag| {
        verdict(match nag.decode(&input.status.0, &input.objects.0).map(border) {
            Ok(alerts) => (|| {
                for a in &alerts {
                    alert_clean(a, "nag")?;
                }
                if let Some(n) = input.intact {
                    holds(alerts.len() == n, || format!("{n} problems in, {} out", alerts.len()))?;
                }
                Ok(())
            })(),
            Err(e) => {
                let e = e.to_string();
                holds(input.intact.is_none(), || format!("intact files refused: {e}"))
                    .and(holds(line_clean(&e) && e.starts_with("status file"), || e.clone()))
            }
        })
    })
}

// ---------------------------------------------------------------- PagerDuty

/// A "List incidents" page (shapes as in tests/suite/common/pagerduty_mock.rs), then damaged.
#[derive(Clone, Debug)]
struct PagerdutyPage {
    page: Bytes,
    intact: Option<usize>,
}

impl Arbitrary for PagerdutyPage {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = below(g, 5);
        let incidents: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "id": format!("P{i}{}", odd_text(g)), "incident_number": u32::arbitrary(g), "title": odd_text(g),
                    "status": pick(g, &["triggered", "acknowledged", "resolved", "weird"]),
                    "urgency": pick(g, &["high", "low", ""]), "created_at": rfc3339(g),
                    "last_status_change_at": rfc3339(g), "html_url": odd_text(g),
                    "service": {"summary": odd_text(g)}, "escalation_policy": {"summary": odd_text(g)},
                    "priority": if chance(g, 50) { json!({"summary": pick(g, &["P1", "P3", "P5", "P9", "SEV1"])}) } else { Value::Null },
                    "assignments": [{"at": rfc3339(g), "assignee": {"summary": odd_text(g)}}],
                    "acknowledgements": [{"at": rfc3339(g), "acknowledger": {"summary": odd_text(g)}}],
                })
            })
            .collect();
        let mut page = json!({"incidents": incidents, "limit": 100, "offset": 0, "more": false, "total": null});
        if chance(g, 60) {
            mutate(g, &mut page, 4);
            return PagerdutyPage { page: Bytes(damaged_bytes(g, &page)), intact: None };
        }
        PagerdutyPage { page: Bytes(serde_json::to_vec(&page).unwrap()), intact: Some(n) }
    }
}

fn pagerduty() -> klaxon::sources::pagerduty::PagerdutySource {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "prop-token\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let text = format!(
        "[[sources]]\nname = \"pd\"\nkind = \"pagerduty\"\ntoken_file = \"{}\"\nwrite_back = false\n",
        token.display()
    );
    let cfg = klaxon::settings::parse(&text, "k.toml").unwrap();
    let klaxon::sources::SourceKind::Pagerduty(pd) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::pagerduty::PagerdutySource::new(&cfg.sources[0], pd).unwrap()
}

thread_local! {
    static PD: klaxon::sources::pagerduty::PagerdutySource = pagerduty();
}

/// The property of one decoded vendor page: every alert clean and under `source`, an intact
/// page kept whole, a refused one said in one clean line starting `refused`.
fn page_decoded(
    decoded: Result<Vec<Alert>, klaxon::sources::SourceError>,
    intact: Option<usize>,
    source: &str,
    refused: &str,
) -> TestResult {
    verdict(match decoded.map(border) {
        Ok(alerts) => (|| {
            for a in &alerts {
                alert_clean(a, source)?;
            }
            if let Some(n) = intact {
                holds(alerts.len() == n, || format!("{n} in, {} out", alerts.len()))?;
            }
            Ok(())
        })(),
        Err(e) => {
            let e = e.to_string();
            holds(intact.is_none(), || format!("an intact page refused: {e}"))
                .and(holds(line_clean(&e) && e.starts_with(refused), || e.clone()))
        }
    })
}

fn prop_pagerduty(input: PagerdutyPage) -> TestResult {
    PD.with(|pd| page_decoded(pd.decode(&input.page.0), input.intact, "pd", "not a PagerDuty answer"))
}

// ---------------------------------------------------------------- Opsgenie

/// A "List alerts" page (shapes as in tests/suite/common/opsgenie_mock.rs), then damaged.
#[derive(Clone, Debug)]
struct OpsgeniePage {
    page: Bytes,
    intact: Option<usize>,
}

impl Arbitrary for OpsgeniePage {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = below(g, 5);
        let alerts: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "id": format!("{i}{}", odd_text(g)), "tinyId": odd_text(g), "message": odd_text(g),
                    "status": pick(g, &["open", "closed", "weird"]), "acknowledged": chance(g, 50), "snoozed": chance(g, 20),
                    "tags": [odd_text(g), format!("{}:{}", odd_text(g), odd_text(g))], "count": u32::arbitrary(g),
                    "createdAt": rfc3339(g), "updatedAt": rfc3339(g), "source": odd_text(g), "owner": odd_text(g),
                    "priority": pick(g, &["P1", "P2", "P5", "P0", "", "high"]),
                    "report": {"acknowledgedBy": odd_text(g)},
                })
            })
            .collect();
        let mut page = json!({"data": alerts, "paging": {"first": "x"}, "took": 0.1, "requestId": "r"});
        if chance(g, 60) {
            mutate(g, &mut page, 4);
            return OpsgeniePage { page: Bytes(damaged_bytes(g, &page)), intact: None };
        }
        OpsgeniePage { page: Bytes(serde_json::to_vec(&page).unwrap()), intact: Some(n) }
    }
}

fn opsgenie() -> klaxon::sources::opsgenie::OpsgenieSource {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "prop-token\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let text = format!("[[sources]]\nname = \"og\"\nkind = \"opsgenie\"\ntoken_file = \"{}\"\n", token.display());
    let cfg = klaxon::settings::parse(&text, "k.toml").unwrap();
    let klaxon::sources::SourceKind::Opsgenie(og) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::opsgenie::OpsgenieSource::new(&cfg.sources[0], og).unwrap()
}

thread_local! {
    static OG: klaxon::sources::opsgenie::OpsgenieSource = opsgenie();
}

fn prop_opsgenie(input: OpsgeniePage) -> TestResult {
    OG.with(|og| page_decoded(og.decode(&input.page.0), input.intact, "og", "not an Opsgenie answer"))
}

// ---------------------------------------------------------------- Grafana OnCall

/// A "List alert groups" page (shapes as in tests/suite/common/grafana_oncall_mock.rs), then damaged.
#[derive(Clone, Debug)]
struct GrafanaOncallPage {
    page: Bytes,
    intact: Option<usize>,
}

impl Arbitrary for GrafanaOncallPage {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = below(g, 5);
        let groups: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "id": format!("I{i}{}", odd_text(g)), "integration_id": odd_text(g), "alerts_count": u32::arbitrary(g),
                    "state": pick(g, &["firing", "acknowledged", "silenced", "resolved", "odd"]),
                    "created_at": rfc3339(g), "acknowledged_at": if chance(g, 50) { json!(rfc3339(g)) } else { Value::Null },
                    "acknowledged_by": odd_text(g), "silenced_at": null, "title": odd_text(g),
                    "permalinks": {"web": odd_text(g), "slack": null},
                    "labels": [{"key": {"id": "k", "name": odd_text(g)}, "value": {"id": "v", "name": odd_text(g)}},
                               {"key": {"name": "severity"}, "value": {"name": pick(g, &["critical", "warning", "p1", "??"])}}],
                })
            })
            .collect();
        let mut page = json!({"count": n, "next": null, "previous": null, "results": groups});
        if chance(g, 60) {
            mutate(g, &mut page, 4);
            return GrafanaOncallPage { page: Bytes(damaged_bytes(g, &page)), intact: None };
        }
        GrafanaOncallPage { page: Bytes(serde_json::to_vec(&page).unwrap()), intact: Some(n) }
    }
}

fn grafana_oncall() -> klaxon::sources::grafana_oncall::GrafanaOncallSource {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "prop-token\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let text = format!(
        "[[sources]]\nname = \"goc\"\nkind = \"grafana-oncall\"\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n",
        token.display()
    );
    let cfg = klaxon::settings::parse(&text, "k.toml").unwrap();
    let klaxon::sources::SourceKind::GrafanaOncall(goc) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::grafana_oncall::GrafanaOncallSource::new(&cfg.sources[0], goc).unwrap()
}

thread_local! {
    static GOC: klaxon::sources::grafana_oncall::GrafanaOncallSource = grafana_oncall();
}

fn prop_grafana_oncall(input: GrafanaOncallPage) -> TestResult {
    GOC.with(|goc| page_decoded(goc.decode(&input.page.0), input.intact, "goc", "not a Grafana OnCall answer"))
}

// ---------------------------------------------------------------- Datadog

/// A "Get all monitor details" answer (shapes as in tests/suite/common/datadog_mock.rs), then damaged.
#[derive(Clone, Debug)]
struct DatadogPage {
    page: Bytes,
    /// Alerts an intact answer makes: one per group in Alert/Warn/No Data, or one per monitor
    /// in such a state without groups.
    intact: Option<usize>,
}

impl Arbitrary for DatadogPage {
    fn arbitrary(g: &mut Gen) -> Self {
        let states = ["Alert", "Warn", "No Data", "OK", "Ignored"];
        let mut expected = 0;
        let monitors: Vec<Value> = (0..below(g, 4))
            .map(|i| {
                let groups: serde_json::Map<String, Value> = (0..below(g, 3))
                    .map(|k| {
                        (
                            format!("{k}{}", odd_text(g)),
                            json!({"status": pick(g, &states), "last_triggered_ts": u32::arbitrary(g)}),
                        )
                    })
                    .collect();
                let overall = pick(g, &states);
                let open = groups
                    .values()
                    .filter(|v| ["Alert", "Warn", "No Data"].contains(&v["status"].as_str().unwrap()))
                    .count();
                expected += if open > 0 { open } else { usize::from(["Alert", "Warn", "No Data"].contains(&overall)) };
                json!({
                    "id": i + 1, "name": odd_text(g), "message": odd_text(g), "tags": [odd_text(g), "team:db"],
                    "priority": if chance(g, 50) { json!(below(g, 7)) } else { Value::Null }, "overall_state": overall,
                    "overall_state_modified": rfc3339(g), "state": {"groups": groups}, "matching_downtimes": [],
                })
            })
            .collect();
        let mut page = Value::Array(monitors);
        if chance(g, 60) {
            mutate(g, &mut page, 4);
            return DatadogPage { page: Bytes(damaged_bytes(g, &page)), intact: None };
        }
        DatadogPage { page: Bytes(serde_json::to_vec(&page).unwrap()), intact: Some(expected) }
    }
}

fn datadog() -> klaxon::sources::datadog::DatadogSource {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "prop-token\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let text = format!(
        "[[sources]]\nname = \"dd\"\nkind = \"datadog\"\napi_key_file = \"{0}\"\napp_key_file = \"{0}\"\n",
        token.display()
    );
    let cfg = klaxon::settings::parse(&text, "k.toml").unwrap();
    let klaxon::sources::SourceKind::Datadog(dd) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::datadog::DatadogSource::new(&cfg.sources[0], dd).unwrap()
}

thread_local! {
    static DD: klaxon::sources::datadog::DatadogSource = datadog();
}

fn prop_datadog(input: DatadogPage) -> TestResult {
    DD.with(|dd| page_decoded(dd.decode(&input.page.0), input.intact, "dd", "not a Datadog answer"))
}

// ---------------------------------------------------------------- Graphite

/// A render answer (`format=json`: `[{"target", "tags", "datapoints": [[value|null, ts]]}]`,
/// the shape graphite-web 1.1.8 writes in tests/suite/graphite.rs), then damaged.
#[derive(Clone, Debug)]
struct GraphiteAnswer {
    body: Bytes,
    /// Intact: how many series, and how many of them have no value at all (each of which
    /// must be a no-data alert, never silently OK).
    intact: Option<(usize, usize)>,
}

/// The time the property judges at, and the answers' newest point.
const GRAPHITE_NOW: i64 = 1_800_000_000;

impl Arbitrary for GraphiteAnswer {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut silent = 0;
        let series: Vec<Value> = (0..below(g, 5))
            .map(|i| {
                let n = below(g, 40);
                let all_null = chance(g, 25);
                let points: Vec<Value> = (0..n)
                    .map(|k| {
                        let v = match below(g, 6) {
                            _ if all_null => Value::Null,
                            0 => Value::Null,
                            1 => json!(pick(g, &[0.0, -1.5, 1e300, -1e300, 5e-324, 89.999])),
                            _ => json!(f64::from(u16::arbitrary(g) % 200)),
                        };
                        json!([v, GRAPHITE_NOW - (k as i64) * 10 + i64::from(chance(g, 10)) * 7])
                    })
                    .collect();
                if points.iter().all(|p| p[0].is_null()) {
                    silent += 1;
                }
                let target = format!("s{i}.{}", odd_text(g));
                json!({"target": target, "tags": {"name": target, "dc": odd_text(g)}, "datapoints": points})
            })
            .collect();
        let n = series.len();
        let mut answer = Value::Array(series);
        if chance(g, 50) {
            mutate(g, &mut answer, 4);
            return GraphiteAnswer { body: Bytes(damaged_bytes(g, &answer)), intact: None };
        }
        GraphiteAnswer { body: Bytes(serde_json::to_vec(&answer).unwrap()), intact: Some((n, silent)) }
    }
}

fn graphite() -> klaxon::sources::graphite::GraphiteSource {
    let text = "[[sources]]\nname = \"gr\"\nkind = \"graphite\"\nurl = \"http://127.0.0.1:1\"\n\n[[sources.checks]]\nname = \"c\"\ntarget = \"s*.*\"\nfrom = \"-2min\"\nwarning = 80\ncritical = 90\nfor = 2\ntitle = \"{1} {tag.dc} {value}\"\nlabels = { node = \"{0}\" }\n";
    let cfg = klaxon::settings::parse(text, "k.toml").unwrap();
    let klaxon::sources::SourceKind::Graphite(gr) = &cfg.sources[0].kind else { unreachable!() };
    klaxon::sources::graphite::GraphiteSource::new(&cfg.sources[0], gr).unwrap()
}

thread_local! {
    static GR: klaxon::sources::graphite::GraphiteSource = graphite();
}

fn prop_graphite(input: GraphiteAnswer) -> TestResult {
    use chrono::TimeZone;
    let now = chrono::Utc.timestamp_opt(GRAPHITE_NOW, 0).unwrap();
    let decoded = GR.with(|gr| gr.decode(0, &input.body.0, now));
    verdict(match decoded.map(border) {
        Ok(alerts) => (|| {
            for a in &alerts {
                alert_clean(a, "gr")?;
                // The window each alert carries reads back for the detail pane.
                holds(klaxon::model::Window::of(a).is_some(), || format!("no window on {a:?}"))?;
            }
            if let Some((n, silent)) = input.intact {
                let nodata = alerts.iter().filter(|a| a.key.id().ends_with(":nodata")).count();
                holds(alerts.len() <= n, || format!("{n} series, {} alerts", alerts.len()))?;
                holds(nodata >= silent, || format!("{silent} silent series, {nodata} no-data alerts"))?;
            }
            Ok(())
        })(),
        Err(e) => {
            let e = e.to_string();
            holds(input.intact.is_none(), || format!("an intact answer refused: {e}"))
                .and(holds(line_clean(&e) && e.starts_with("not a Graphite render answer"), || e.clone()))
        }
    })
}

// ---------------------------------------------------------------- the runs
//
// Each parser has a normal test (a few hundred cases) and a long one (`long_`, ignored):
// `cargo test --release --test suite parsers_prop::long_ -- --ignored --nocapture` runs them all,
// 1,000,000+ cases in total, each printing its count.

/// The long run's cases for each normal case.
const LONG: u64 = 250;

macro_rules! property {
    ($name:ident, $long:ident, $what:literal, $cases:expr, $prop:expr) => {
        #[test]
        fn $name() {
            run($what, $cases, $prop);
        }

        #[test]
        #[ignore = "long run: cargo test --release --test suite parsers_prop::long_ -- --ignored"]
        fn $long() {
            run($what, $cases * LONG, $prop);
        }
    };
}

property!(alertmanager_answers, long_alertmanager_answers, "alertmanager alerts+silences", 400, prop_alertmanager);
property!(zabbix_answers, long_zabbix_answers, "zabbix problem/trigger/user", 400, prop_zabbix);
property!(icinga2_answers, long_icinga2_answers, "icinga2 services/hosts/comments/downtimes", 400, prop_icinga);
property!(nagios_files, long_nagios_files, "nagios status.dat+objects.cache", 400, prop_nagios);
property!(pagerduty_pages, long_pagerduty_pages, "pagerduty incident pages", 400, prop_pagerduty);
property!(opsgenie_pages, long_opsgenie_pages, "opsgenie alert pages", 400, prop_opsgenie);
property!(
    grafana_oncall_pages,
    long_grafana_oncall_pages,
    "grafana-oncall alert group pages",
    400,
    prop_grafana_oncall
);
property!(datadog_monitors, long_datadog_monitors, "datadog monitor pages", 400, prop_datadog);
property!(graphite_answers, long_graphite_answers, "graphite render answers", 400, prop_graphite);
property!(plugin_output, long_plugin_output, "plugin output", 400, prop_plugin_output);
property!(plugin_runs, long_plugin_runs, "plugin output through a real command", 40, prop_plugin_run);
property!(proc_files, long_proc_files, "/proc files", 300, prop_proc_files);
property!(demo_scenario, long_demo_scenario, "demo scenario", 200, prop_demo);
property!(severity_words, long_severity_words, "severity words", 300, prop_severity_words);
property!(reassign_text, long_reassign_text, "reassignment text", 300, prop_reassign);
property!(silence_matchers, long_silence_matchers, "silence matchers, ends and entry text", 300, prop_silence);
property!(incident_entries, long_incident_entries, "incident entries and statuses", 300, prop_incident);
property!(log_lines, long_log_lines, "log lines (file, plain and JSON)", 500, prop_log_line);
property!(log_times, long_log_times, "log times", 300, prop_times);
property!(journald_entries, long_journald_entries, "journald entries", 400, prop_journald);
property!(loki_answers, long_loki_answers, "loki answers", 400, prop_loki);
property!(
    search_answers,
    long_search_answers,
    "elasticsearch, graylog, splunk, sumo logic answers",
    300,
    prop_search_answers
);
property!(config_durations, long_config_durations, "config durations", 300, prop_durations);
property!(config_files, long_config_files, "config files", 300, prop_config_file);
property!(snapshot_cache, long_snapshot_cache, "snapshot cache", 100, prop_snapshot_cache);
property!(runbook_markdown, long_runbook_markdown, "runbook markdown", 200, prop_markdown);
property!(slo_spec_files, long_slo_spec_files, "SLO spec files (Sloth, Pyrra, OpenSLO)", 300, prop_slo_spec);
property!(prometheus_answers, long_prometheus_answers, "Prometheus query answers", 400, prop_prometheus_answer);

// ---------------------------------------------------------------- JSON arrays as they arrive

/// Bytes of a JSON array (any values, compact or pretty, sometimes damaged) and where the
/// network breaks them into pieces: `klaxon::json_array` decodes answers this way.
#[derive(Clone, Debug)]
struct ArrayPieces {
    bytes: Bytes,
    cuts: Vec<usize>,
}

impl Arbitrary for ArrayPieces {
    fn arbitrary(g: &mut Gen) -> Self {
        let v = Value::Array((0..below(g, 6)).map(|_| odd_value(g, 3)).collect());
        let mut bytes = if chance(g, 30) { serde_json::to_vec_pretty(&v).unwrap() } else { damaged_bytes(g, &v) };
        if chance(g, 20) && !bytes.is_empty() {
            // A byte that moves the framing: a bracket, brace, quote, backslash, comma, space.
            let at = below(g, bytes.len());
            bytes.insert(at, pick(g, b"[]{}\"\\, \x0c"));
        }
        if chance(g, 10) {
            let lead: &[u8] = pick(g, &[&b" \n"[..], &b"\t"[..], &b"x"[..]]);
            bytes.splice(0..0, lead.iter().copied());
        }
        let mut cuts: Vec<usize> = (0..below(g, 5)).map(|_| below(g, bytes.len() + 1)).collect();
        cuts.sort_unstable();
        ArrayPieces { bytes: Bytes(bytes), cuts }
    }
}

/// Fed in any pieces, the array decodes to what `serde_json::from_slice` makes of it whole,
/// and is refused exactly when that refuses it.
fn prop_array_pieces(input: ArrayPieces) -> TestResult {
    let whole = serde_json::from_slice::<Vec<Value>>(&input.bytes.0);
    let mut array = klaxon::json_array::ArrayStream::<Value>::default();
    let mut from = 0;
    let mut fed = Ok(());
    for &cut in input.cuts.iter().chain([&input.bytes.0.len()]) {
        fed = fed.and_then(|_| array.feed(&input.bytes.0[from..cut]));
        from = cut;
    }
    let streamed = fed.and_then(|_| array.finish());
    verdict(match (&whole, &streamed) {
        (Ok(w), Ok(s)) => holds(w == s, || format!("whole {w:?}, in pieces {s:?}")),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(format!("whole {whole:?}, in pieces {streamed:?}")),
    })
}

property!(array_pieces, long_array_pieces, "json arrays in pieces", 2000, prop_array_pieces);

#[test]
fn an_answer_that_is_not_an_array_is_refused_in_serdes_words() {
    let mut array = klaxon::json_array::ArrayStream::<Value>::default();
    array.feed(b" {\"error\": ").unwrap();
    array.feed(b"1}").unwrap();
    let whole = serde_json::from_slice::<Vec<Value>>(b" {\"error\": 1}").unwrap_err().to_string();
    assert_eq!(array.finish().unwrap_err().to_string(), whole);
}
