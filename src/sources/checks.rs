//! This host's own checks (disk per mount, load, memory) and any Nagios-plugin-compatible
//! command. Only failing checks become alerts; a check that passes again resolves.

use super::{AlertSource, KindConfig, PollFuture, SourceConfig, SourceError};
use crate::config::{At, Problems, SecretRef, duration};
use crate::model::{Alert, AlertKey, Fields, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// `kind = "checks"`: this host's disks, load and memory, and plugin commands.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Check this host's disks, load and memory.
    #[serde(default = "crate::config::yes")]
    pub host: bool,
    /// Percent of a filesystem used.
    #[serde(default = "default_disk")]
    pub disk: Thresholds,
    /// One-minute load average per core.
    #[serde(default = "default_load")]
    pub load: Thresholds,
    /// Percent of memory in use (total minus available).
    #[serde(default = "default_memory")]
    pub memory: Thresholds,
    /// Mount points never checked (glob-free prefixes), besides pseudo filesystems.
    #[serde(default)]
    pub skip_mounts: Vec<PathBuf>,
    #[serde(default)]
    pub commands: Vec<CommandCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub warning: f64,
    pub high: f64,
}

/// A Nagios-plugin-compatible command: exit 0 OK, 1 warning, 2 critical, 3 unknown.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandCheck {
    pub name: String,
    /// Program and arguments, run directly: never through a shell.
    pub argv: Vec<String>,
    #[serde(default = "default_command_timeout", deserialize_with = "duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub timeout: Duration,
    #[serde(default = "default_on_warning")]
    pub warning: Severity,
    #[serde(default = "default_on_critical")]
    pub critical: Severity,
    #[serde(default = "default_on_unknown")]
    pub unknown: Severity,
    /// Extra environment for the command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Secrets handed over in the environment rather than argv, where `ps` would show them.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
}

fn default_command_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_disk() -> Thresholds {
    Thresholds { warning: 85.0, high: 95.0 }
}
fn default_load() -> Thresholds {
    Thresholds { warning: 2.0, high: 4.0 }
}
fn default_memory() -> Thresholds {
    Thresholds { warning: 90.0, high: 97.0 }
}
fn default_on_warning() -> Severity {
    Severity::Warning
}
fn default_on_critical() -> Severity {
    Severity::High
}
fn default_on_unknown() -> Severity {
    Severity::Average
}

impl KindConfig for ChecksConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        for (name, t) in [("disk", self.disk), ("load", self.load), ("memory", self.memory)] {
            if t.warning.partial_cmp(&t.high).is_none_or(|o| o.is_gt()) {
                problems.push((at(name), format!("warning ({}) must not be above high ({})", t.warning, t.high)));
            }
        }
        let mut names = std::collections::HashSet::new();
        for (j, cmd) in self.commands.iter().enumerate() {
            let at = |field: &str| at("commands").index(j).key(field);
            if cmd.argv.first().is_none_or(|p| p.trim().is_empty()) {
                problems.push((at("argv"), "argv needs at least the program to run".into()));
            }
            if !names.insert(cmd.name.as_str()) {
                problems.push((at("name"), format!("check name {:?} is used twice", cmd.name)));
            }
            for (var, secret) in &cmd.secrets {
                if let Err(e) = secret.resolve() {
                    problems.push((at("secrets"), format!("{var}: {e}")));
                }
            }
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(ChecksSource::new(source, self)?))
    }
}

/// Plugin output beyond this is cut: the first line is what matters.
const MAX_OUTPUT: u64 = 64 * 1024;

/// Filesystems that are not disks.
const PSEUDO_FS: &[&str] = &[
    "proc",
    "sysfs",
    "tmpfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "pstore",
    "bpf",
    "debugfs",
    "tracefs",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "nsfs",
    "rpc_pipefs",
    "efivarfs",
    "ramfs",
    "squashfs",
    "overlay",
    "nfsd",
    "selinuxfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
];

pub struct ChecksSource {
    name: String,
    cfg: ChecksConfig,
    hostname: String,
    /// When each failing check started failing, so an alert keeps its age across polls.
    since: Mutex<HashMap<String, DateTime<Utc>>>,
}

/// One failing check, before it becomes an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub id: String,
    pub check: &'static str,
    pub severity: Severity,
    pub text: String,
    pub labels: Fields,
    pub annotations: Fields,
    pub runbook: Option<&'static str>,
}

impl ChecksSource {
    pub fn new(src: &SourceConfig, cfg: &ChecksConfig) -> Result<Self, SourceError> {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".into());
        Ok(ChecksSource { name: src.name.clone(), cfg: cfg.clone(), hostname, since: Mutex::new(HashMap::new()) })
    }

    async fn run(&self) -> Result<Vec<Alert>, SourceError> {
        let mut failures = Vec::new();
        if self.cfg.host {
            let cfg = self.cfg.clone();
            // statvfs can block on a hung network mount: keep it off the async threads.
            let host = tokio::task::spawn_blocking(move || host_failures(&cfg))
                .await
                .map_err(|e| SourceError::new(format!("host checks: {e}")))??;
            failures.extend(host);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for cmd in self.cfg.commands.clone() {
            tasks.spawn(async move { run_command(&cmd).await });
        }
        while let Some(done) = tasks.join_next().await {
            if let Some(f) = done.map_err(|e| SourceError::new(format!("command check: {e}")))? {
                failures.push(f);
            }
        }
        Ok(self.to_alerts(failures, Utc::now()))
    }

    fn to_alerts(&self, failures: Vec<Failure>, now: DateTime<Utc>) -> Vec<Alert> {
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        since.retain(|id, _| failures.iter().any(|f| &f.id == id));
        let mut alerts: Vec<Alert> = failures
            .into_iter()
            .map(|f| {
                let started_at = *since.entry(f.id.clone()).or_insert(now);
                let mut labels = f.labels;
                labels.insert("alertname", f.id.clone());
                labels.insert("check", f.check);
                labels.insert("severity", f.severity.name());
                labels.insert("instance", self.hostname.clone());
                let mut annotations = f.annotations;
                annotations.insert("summary", f.text.clone());
                let mut links = Vec::new();
                if let Some(rb) = f.runbook {
                    annotations.insert("runbook_url", rb);
                    links.push(crate::model::Link { kind: "runbook".into(), url: rb.into() });
                }
                Alert {
                    key: AlertKey::new(&self.name, &f.id),
                    title: format!("{} on {}: {}", f.id, self.hostname, f.text),
                    severity: f.severity,
                    status: Status::Firing,
                    started_at,
                    updated_at: now,
                    labels,
                    annotations,
                    host: Some(self.hostname.clone()),
                    service: None,
                    links,
                    source_acks: vec![],
                    suppression: None,
                    // A check knows that it fails, not since when: the poller carries the
                    // first time it was seen across restarts.
                    guessed: crate::model::Guessed { started_at: true, ..Default::default() },
                }
            })
            .collect();
        alerts.sort_by(|a, b| a.key.cmp(&b.key));
        alerts
    }
}

impl AlertSource for ChecksSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn poll(&self) -> PollFuture<'_> {
        Box::pin(self.run())
    }
}

/// The severity a value reaches against thresholds, if any.
pub fn grade(value: f64, t: Thresholds) -> Option<Severity> {
    if value >= t.high {
        Some(Severity::High)
    } else if value >= t.warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

fn host_failures(cfg: &ChecksConfig) -> Result<Vec<Failure>, SourceError> {
    let mut out = Vec::new();
    let mounts = std::fs::read_to_string("/proc/self/mounts")
        .map_err(|e| SourceError::new(format!("cannot read /proc/self/mounts: {e}")))?;
    for (mount, fstype) in disk_mounts(&mounts, &cfg.skip_mounts) {
        let Ok(st) = rustix::fs::statvfs(&mount) else { continue };
        let Some(pct) = used_percent(st.f_blocks, st.f_bfree, st.f_bavail) else { continue };
        if let Some(sev) = grade(pct, cfg.disk) {
            let m = mount.display().to_string();
            out.push(Failure {
                id: format!("disk:{m}"),
                check: "disk",
                severity: sev,
                text: format!("{pct:.1}% of {m} used (warning at {}%, high at {}%)", cfg.disk.warning, cfg.disk.high),
                labels: [("mount".to_string(), m), ("fstype".to_string(), fstype)].into(),
                annotations: Fields::new(),
                runbook: Some("disk-filling"),
            });
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .map_err(|e| SourceError::new(format!("cannot read /proc/loadavg: {e}")))?;
    let load1: f64 = loadavg
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| SourceError::new(format!("unexpected /proc/loadavg: {loadavg:?}")))?;
    if let Some(sev) = grade(load1 / cores, cfg.load) {
        out.push(Failure {
            id: "load".into(),
            check: "load",
            severity: sev,
            text: format!(
                "load {load1:.2} on {cores} cores ({:.2} per core; warning at {}, high at {})",
                load1 / cores,
                cfg.load.warning,
                cfg.load.high
            ),
            labels: Fields::new(),
            annotations: Fields::new(),
            runbook: Some("high-load"),
        });
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .map_err(|e| SourceError::new(format!("cannot read /proc/meminfo: {e}")))?;
    if let Some(pct) = memory_used_percent(&meminfo)
        && let Some(sev) = grade(pct, cfg.memory)
    {
        out.push(Failure {
            id: "memory".into(),
            check: "memory",
            severity: sev,
            text: format!(
                "{pct:.1}% of memory in use (warning at {}%, high at {}%)",
                cfg.memory.warning, cfg.memory.high
            ),
            labels: Fields::new(),
            annotations: Fields::new(),
            runbook: Some("memory-pressure"),
        });
    }
    Ok(out)
}

/// Real filesystems from /proc/self/mounts, one per device (bind mounts once).
pub fn disk_mounts(mounts: &str, skip: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut seen_dev = std::collections::HashSet::new();
    mounts
        .lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (dev, mount, fstype) = (f.next()?, f.next()?, f.next()?);
            let mount = PathBuf::from(unescape_mount(mount));
            let pseudo = PSEUDO_FS.contains(&fstype) || (fstype.starts_with("fuse.") && !fstype.ends_with("sshfs"));
            if pseudo || skip.iter().any(|s| mount.starts_with(s)) || !seen_dev.insert(dev.to_owned()) {
                return None;
            }
            Some((mount, fstype.to_owned()))
        })
        .collect()
}

/// /proc/mounts writes space, tab, newline and backslash as octal escapes.
fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
}

/// As `df` computes it: used over what an unprivileged user could have.
pub fn used_percent(blocks: u64, free: u64, avail: u64) -> Option<f64> {
    let used = blocks.checked_sub(free)?;
    let usable = used + avail;
    (usable > 0).then(|| used as f64 * 100.0 / usable as f64)
}

pub fn memory_used_percent(meminfo: &str) -> Option<f64> {
    let field = |name: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.split_whitespace().next()?.parse::<f64>().ok())
    };
    let (total, avail) = (field("MemTotal")?, field("MemAvailable")?);
    (total > 0.0).then(|| (total - avail) * 100.0 / total)
}

/// Runs one plugin: never through a shell, killed at its timeout, output capped.
pub async fn run_command(cmd: &CommandCheck) -> Option<Failure> {
    let unknown = |text: String| Failure {
        id: cmd.name.clone(),
        check: "command",
        severity: cmd.unknown,
        text,
        labels: Fields::new(),
        annotations: [("command".to_string(), program_name(&cmd.argv))].into(),
        runbook: None,
    };
    let mut command = tokio::process::Command::new(&cmd.argv[0]);
    command.args(&cmd.argv[1..]).envs(&cmd.env).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    command.kill_on_drop(true);
    for (var, secret) in &cmd.secrets {
        match secret.resolve() {
            Ok(value) => command.env(var, value.expose()),
            Err(e) => return Some(unknown(format!("secret {var}: {e}"))),
        };
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return Some(unknown(format!("cannot run {}: {e}", program_name(&cmd.argv)))),
    };
    let mut stdout = child.stdout.take()?;
    let outcome = tokio::time::timeout(cmd.timeout, async {
        let mut buf = Vec::new();
        let read = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut buf).await;
        // Drain anything past the cap so the plugin is not stuck on a full pipe.
        let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
        let status = child.wait().await;
        (read.map(|_| buf), status)
    })
    .await;
    let (output, status) = match outcome {
        Ok((Ok(buf), Ok(status))) => (String::from_utf8_lossy(&buf).into_owned(), status),
        Ok((Err(e), _)) | Ok((_, Err(e))) => return Some(unknown(format!("{}: {e}", program_name(&cmd.argv)))),
        Err(_) => {
            return Some(unknown(format!(
                "{} gave no result within {}",
                program_name(&cmd.argv),
                humantime::format_duration(cmd.timeout)
            )));
        }
    };
    let parsed = PluginOutput::parse(&output);
    let severity = match status.code() {
        Some(0) => return None,
        Some(1) => cmd.warning,
        Some(2) => cmd.critical,
        Some(3) => cmd.unknown,
        Some(n) => return Some(unknown(format!("exit status {n}: {}", parsed.text))),
        None => return Some(unknown(format!("killed by a signal: {}", parsed.text))),
    };
    let mut annotations = Fields::from([("command".to_string(), program_name(&cmd.argv))]);
    if !parsed.perfdata.is_empty() {
        annotations.insert("perfdata", parsed.perfdata);
    }
    if !parsed.long_text.is_empty() {
        annotations.insert("output", parsed.long_text);
    }
    Some(Failure {
        id: cmd.name.clone(),
        check: "command",
        severity,
        text: if parsed.text.is_empty() { format!("exit status {}", status.code().unwrap_or(-1)) } else { parsed.text },
        labels: Fields::new(),
        annotations,
        runbook: None,
    })
}

fn program_name(argv: &[String]) -> String {
    argv.first()
        .map(|p| Path::new(p).file_name().map_or(p.clone(), |f| f.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The Nagios plugin output format: `TEXT | perfdata` on the first line, then long text,
/// whose own perfdata follows a `|` on any later line.
#[derive(Debug, PartialEq, Eq)]
pub struct PluginOutput {
    pub text: String,
    pub long_text: String,
    pub perfdata: String,
}

impl PluginOutput {
    pub fn parse(output: &str) -> Self {
        let mut lines = output.lines();
        let first = lines.next().unwrap_or("");
        let (text, perf) = first.split_once('|').unwrap_or((first, ""));
        let mut perfdata = vec![perf.trim().to_owned()];
        let mut long = Vec::new();
        let mut in_perf = false;
        for line in lines {
            if in_perf {
                perfdata.push(line.trim().to_owned());
            } else if let Some((l, p)) = line.split_once('|') {
                long.push(l.trim_end().to_owned());
                perfdata.push(p.trim().to_owned());
                in_perf = true;
            } else {
                long.push(line.trim_end().to_owned());
            }
        }
        perfdata.retain(|p| !p.is_empty());
        while long.last().is_some_and(|l| l.is_empty()) {
            long.pop();
        }
        PluginOutput { text: text.trim().to_owned(), long_text: long.join("\n"), perfdata: perfdata.join(" ") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_output_splits_text_long_text_and_perfdata() {
        let p = PluginOutput::parse(
            "DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n",
        );
        assert_eq!(p.text, "DISK WARNING - free space: / 3326 MB (56%);");
        assert_eq!(p.long_text, "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);");
        assert_eq!(p.perfdata, "/=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98 /home=69357MB;253404;253409;0;253414");
        assert_eq!(PluginOutput::parse("").text, "");
    }

    #[test]
    fn thresholds_grade_values() {
        let t = Thresholds { warning: 85.0, high: 95.0 };
        assert_eq!(grade(84.9, t), None);
        assert_eq!(grade(85.0, t), Some(Severity::Warning));
        assert_eq!(grade(99.0, t), Some(Severity::High));
    }

    #[test]
    fn disk_usage_as_df_computes_it() {
        // 1000 blocks, 100 free of which 50 are reserved for root.
        let pct = used_percent(1000, 100, 50).unwrap();
        assert!((pct - 900.0 * 100.0 / 950.0).abs() < 1e-9);
        assert_eq!(used_percent(0, 0, 0), None);
    }

    #[test]
    fn only_real_filesystems_once_per_device() {
        let mounts = "proc /proc proc rw 0 0\n/dev/vda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vda1 /srv/bind ext4 rw 0 0\n/dev/vdb1 /mnt/my\\040disk xfs rw 0 0\n/dev/vdc1 /snap/core squashfs ro 0 0\n/dev/vdd1 /skip/me ext4 rw 0 0\n";
        let got = disk_mounts(mounts, &[PathBuf::from("/skip")]);
        assert_eq!(
            got,
            vec![(PathBuf::from("/"), "ext4".to_string()), (PathBuf::from("/mnt/my disk"), "xfs".to_string())]
        );
    }

    #[test]
    fn memory_from_meminfo() {
        let m = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n";
        assert_eq!(memory_used_percent(m), Some(75.0));
        assert_eq!(memory_used_percent("MemTotal: 1 kB\n"), None);
    }
}
