//! A seeded scenario across a few services, so klaxon shows something real with no server.
//!
//! The scenario is a pure function of the wall clock: every process (the console, `klaxon
//! list`, `klaxon ack`) sees the same alerts under the same keys at the same moment.
//! Each incident keeps its id while it fires, changes severity in phases, then resolves.

use super::{AlertSource, KindConfig, PollFuture, SourceConfig, SourceError};
use crate::config::{At, Problems, duration};
use crate::model::{Alert, AlertKey, Link, Severity, SeverityMap, Status};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use std::time::Duration;

/// `kind = "demo"`: a scripted incident, for trying klaxon without any system to watch.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Changes which ids and timings the scenario uses.
    #[serde(default)]
    pub seed: u64,
    /// Length of one pass through the scenario.
    #[serde(default = "default_cycle", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub cycle: Duration,
}

fn default_cycle() -> Duration {
    Duration::from_secs(30 * 60)
}

impl KindConfig for DemoConfig {
    /// serde has checked all there is.
    fn validate(&self, _: &SourceConfig, _: At<'_>, _: &mut Problems) {}

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(DemoSource::new(&source.name, self, source.severity_map.clone())))
    }
}

/// One alert's script: phases in minutes of a 30-minute cycle (scaled to the configured
/// cycle), each with the severity label the "exporter" reports.
struct Script {
    alertname: &'static str,
    service: &'static str,
    host: &'static str,
    summary: &'static str,
    runbook: &'static str,
    phases: &'static [(u32, u32, &'static str)],
}

const CYCLE_MINUTES: u32 = 30;

const SCRIPTS: &[Script] = &[
    Script {
        alertname: "HighErrorRate",
        service: "api",
        host: "api-1",
        summary: "5xx ratio above 5% on api for 5m",
        runbook: "error-rate-slo-burn",
        phases: &[(0, 12, "major"), (12, 20, "critical"), (20, 24, "major")],
    },
    Script {
        alertname: "DiskFilling",
        service: "db",
        host: "db-1",
        summary: "/var/lib/postgresql will be full within 6h",
        runbook: "disk-filling",
        phases: &[(0, 10, "warning"), (10, 20, "minor"), (20, 30, "major")],
    },
    Script {
        alertname: "CertificateExpiry",
        service: "web",
        host: "lb-1",
        summary: "TLS certificate for shop.example.com expires in 9 days",
        runbook: "certificate-expiry",
        phases: &[(0, 30, "warning")],
    },
    Script {
        alertname: "DeployInProgress",
        service: "checkout",
        host: "checkout-1",
        summary: "checkout v2.14.0 rolling out (3/8 pods)",
        runbook: "deploy-in-progress",
        phases: &[(0, 8, "info"), (18, 26, "info")],
    },
    Script {
        alertname: "HighLoad",
        service: "queue",
        host: "worker-3",
        summary: "load average 9.1 on 4 cores",
        runbook: "high-load",
        phases: &[(0, 6, "minor"), (15, 22, "warning"), (26, 30, "minor")],
    },
    Script {
        alertname: "InstanceDown",
        service: "cache",
        host: "cache-2",
        summary: "cache-2:6379 has not answered scrapes for 2m",
        runbook: "instance-down",
        phases: &[(3, 9, "critical")],
    },
    Script {
        alertname: "ReplicationLag",
        service: "db",
        host: "db-2",
        summary: "replica db-2 is 94s behind the primary",
        runbook: "replication-lag",
        phases: &[(5, 15, "minor"), (15, 18, "major")],
    },
    Script {
        alertname: "QueueBacklog",
        service: "queue",
        host: "rabbit-1",
        summary: "orders queue holds 41k messages, consumers keep up at 60%",
        runbook: "queue-backlog",
        phases: &[(8, 14, "warning"), (14, 20, "minor")],
    },
    Script {
        alertname: "LatencySLOBurn",
        service: "checkout",
        host: "checkout-2",
        summary: "p99 latency 2.4s burns the 30-day budget 14x",
        runbook: "latency-slo-burn",
        phases: &[(10, 25, "major")],
    },
    Script {
        alertname: "AuthFailuresSpike",
        service: "auth",
        host: "auth-1",
        summary: "login failures 40x baseline from 312 addresses",
        runbook: "auth-failures",
        phases: &[(22, 28, "critical")],
    },
];

pub struct DemoSource {
    name: String,
    seed: u64,
    cycle: Duration,
    severity_map: SeverityMap,
}

impl DemoSource {
    pub fn new(name: &str, cfg: &DemoConfig, severity_map: SeverityMap) -> Self {
        DemoSource {
            name: name.to_owned(),
            seed: cfg.seed,
            // Beyond a year the scenario's millisecond arithmetic would overflow (a panic
            // found by tests/suite/parsers_prop.rs); nobody watches a longer demo.
            cycle: cfg.cycle.clamp(Duration::from_secs(60), Duration::from_secs(365 * 86_400)),
            severity_map,
        }
    }

    /// The alerts firing at `now`.
    pub fn alerts_at(&self, now: DateTime<Utc>) -> Vec<Alert> {
        let cycle_ms = self.cycle.as_millis() as i64;
        let minute_ms = cycle_ms / i64::from(CYCLE_MINUTES);
        // The seed shifts where in the scenario we are, and which ids come out.
        let shifted = now.timestamp_millis() + (self.seed as i64 % 1000) * 7 * minute_ms;
        let cycle_index = shifted.div_euclid(cycle_ms);
        let offset = shifted.rem_euclid(cycle_ms);
        // Whole milliseconds, so every process computes identical times.
        let cycle_start = Utc.timestamp_millis_opt(now.timestamp_millis() - offset).single().unwrap_or(now);
        let at_minute = |m: u32| cycle_start + chrono::Duration::milliseconds(i64::from(m) * minute_ms);
        let minute = (offset / minute_ms) as u32;

        SCRIPTS
            .iter()
            .filter_map(|s| {
                let (phase_start, _, raw) = *s.phases.iter().find(|(a, b, _)| (*a..*b).contains(&minute))?;
                let run_start = run_start(s.phases, phase_start);
                let whole_cycle = run_start == 0 && s.phases.last().is_some_and(|p| p.1 == CYCLE_MINUTES);
                // An incident that never stops keeps one id; others get a new one per run.
                let incident = if whole_cycle { 0 } else { cycle_index * 100 + i64::from(run_start) };
                let id =
                    format!("{:012x}", fnv1a(&format!("{}/{}/{}/{incident}", self.seed, s.alertname, s.host)) >> 16);
                // A never-ending incident started, as far as anyone remembers, at midnight UTC.
                let midnight = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(0, 0, 0)?);
                let started_at = if whole_cycle { midnight.min(cycle_start) } else { at_minute(run_start) };
                let labels = [
                    ("alertname", s.alertname),
                    ("severity", raw),
                    ("service", s.service),
                    ("instance", s.host),
                    ("env", "demo"),
                    ("job", s.service),
                ];
                let alert = Alert {
                    key: AlertKey::new(&self.name, &id),
                    title: format!("{}: {}", s.alertname, s.summary),
                    severity: self.severity_map.map(raw, Severity::Average),
                    status: Status::Firing,
                    started_at,
                    updated_at: at_minute(phase_start).max(started_at),
                    labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    annotations: [
                        ("summary".to_string(), s.summary.to_string()),
                        ("description".to_string(), format!("{} on {} ({} service).", s.summary, s.host, s.service)),
                        ("runbook_url".to_string(), s.runbook.to_string()),
                    ]
                    .into(),
                    host: Some(s.host.to_string()),
                    service: Some(s.service.to_string()),
                    links: vec![Link { kind: "runbook".into(), url: s.runbook.into() }],
                    source_acks: vec![],
                    suppression: None,
                    guessed: Default::default(),
                };
                Some(alert)
            })
            .collect()
    }
}

/// Where the contiguous run of phases containing `phase_start` began.
fn run_start(phases: &[(u32, u32, &str)], phase_start: u32) -> u32 {
    let mut start = phase_start;
    while let Some(prev) = phases.iter().find(|p| p.1 == start) {
        start = prev.0;
    }
    start
}

/// Stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

impl AlertSource for DemoSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(async move { Ok(self.alerts_at(Utc::now())) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn demo() -> DemoSource {
        DemoSource::new("demo", &DemoConfig { seed: 0, cycle: Duration::from_secs(1800) }, SeverityMap::default())
    }

    fn cycle_start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap()
    }

    #[test]
    fn several_alerts_fire_at_every_minute_and_all_severities_appear() {
        let d = demo();
        let mut severities = BTreeSet::new();
        for m in 0..CYCLE_MINUTES {
            let alerts = d.alerts_at(cycle_start() + chrono::Duration::minutes(i64::from(m)));
            assert!(alerts.len() >= 3, "minute {m}: {}", alerts.len());
            severities.extend(alerts.iter().map(|a| a.severity));
        }
        assert_eq!(severities.len(), 5, "{severities:?}");
    }

    #[test]
    fn an_incident_keeps_its_key_while_it_changes_severity_then_resolves() {
        let d = demo();
        let find = |m: i64| {
            d.alerts_at(cycle_start() + chrono::Duration::minutes(m))
                .into_iter()
                .find(|a| &a.labels["alertname"] == "HighErrorRate")
        };
        let (a, b) = (find(1).unwrap(), find(13).unwrap());
        assert_eq!(a.key, b.key);
        assert_eq!((a.severity, b.severity), (Severity::High, Severity::Disaster));
        assert!(find(25).is_none());
        assert_ne!(find(31).unwrap().key, a.key, "the next cycle is a new incident");
    }

    #[test]
    fn same_moment_same_alerts_and_the_seed_changes_ids() {
        let t = cycle_start() + chrono::Duration::minutes(4);
        assert_eq!(demo().alerts_at(t), demo().alerts_at(t));
        let other =
            DemoSource::new("demo", &DemoConfig { seed: 3, cycle: Duration::from_secs(1800) }, SeverityMap::default());
        let ids = |v: Vec<Alert>| v.into_iter().map(|a| a.key).collect::<BTreeSet<_>>();
        assert!(ids(demo().alerts_at(t)).is_disjoint(&ids(other.alerts_at(t))));
    }

    #[test]
    fn severity_map_applies() {
        let map = SeverityMap::new([("critical".to_string(), Severity::Average)]);
        let d = DemoSource::new("demo", &DemoConfig { seed: 0, cycle: Duration::from_secs(1800) }, map);
        let alerts = d.alerts_at(cycle_start() + chrono::Duration::minutes(5));
        let down = alerts.iter().find(|a| &a.labels["alertname"] == "InstanceDown").unwrap();
        assert_eq!(down.severity, Severity::Average);
    }
}
