//! What every command needs: the loaded config, the store, the sources, the actor.

use super::CliError;
use crate::config::{self, Origin};
use crate::model::{Alert, AlertKey, Board, Entry, NewEntry};
use crate::oncall::{ScheduleConfig, ScheduleKind};
use crate::settings::{self, Loaded};
use crate::sources::SourceConfig;
use crate::sources::cache::SnapshotCache;
use crate::sources::{self, AlertSource, poller};
use crate::store::Backend;
use crate::store::{PgStore, SqliteStore, Store};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Session {
    pub loaded: Loaded,
    pub store: Arc<dyn Store>,
    pub sources: Vec<(SourceConfig, Arc<dyn AlertSource>)>,
    /// On-call schedules, each answering for one escalation level.
    pub schedules: Vec<(ScheduleConfig, Arc<dyn crate::oncall::ScheduleSource>)>,
    pub cache: SnapshotCache,
    pub actor: String,
    /// Where escalation pages go: the `[escalation]` webhook, Grafana OnCall schedules.
    pub pagers: Vec<(Arc<dyn AlertSource>, std::time::Duration)>,
}

/// One source's answer to a single poll.
pub struct Polled {
    pub source: String,
    pub result: Result<Vec<Alert>, sources::SourceError>,
}

impl Session {
    pub fn open(explicit: Option<&Path>) -> Result<Session, CliError> {
        let loaded = settings::load(explicit, config::paths::Dirs::platform())?;
        let store = open_store(&loaded)?;
        if loaded.origin == Origin::Embedded {
            eprintln!(
                "klaxon: no config file; running the embedded default (demo source, local checks, {})",
                store.describe()
            );
        }
        let mut built = Vec::new();
        for cfg in &loaded.config.sources {
            let source = sources::build(cfg).map_err(|e| CliError::Failure(format!("source {}: {e}", cfg.name)))?;
            built.push((cfg.clone(), Arc::from(source)));
        }
        let mut schedules = Vec::new();
        for cfg in &loaded.config.schedules {
            let s = crate::oncall::build(cfg).map_err(|e| CliError::Failure(format!("schedule {}: {e}", cfg.name)))?;
            schedules.push((cfg.clone(), Arc::from(s)));
        }
        let mut pagers: Vec<(Arc<dyn AlertSource>, std::time::Duration)> = Vec::new();
        if let Some(r) = loaded.config.escalation.webhook().map_err(CliError::Usage)? {
            let url = r.resolve().map_err(|e| CliError::Failure(format!("escalation webhook: {e}")))?;
            let timeout = std::time::Duration::from_secs(10);
            let pager = crate::notify::webhook::WebhookPager::new(url, timeout)
                .map_err(|e| CliError::Failure(format!("escalation webhook: {e}")))?;
            pagers.push((Arc::new(pager), timeout));
        }
        for cfg in &loaded.config.schedules {
            if let ScheduleKind::GrafanaOncall(v) = &cfg.kind {
                let limits = crate::http::Limits::for_source(cfg.timeout, cfg.max_bytes);
                let pager = crate::oncall::grafana_oncall::GrafanaOnCall::new(cfg, v, limits)
                    .map_err(|e| CliError::Failure(format!("schedule {}: {e}", cfg.name)))?;
                pagers.push((Arc::new(pager), cfg.timeout));
            }
        }
        let actor = loaded.config.identity.name.clone().unwrap_or_else(login_name);
        Ok(Session {
            cache: SnapshotCache::new(&loaded.dirs.cache.join("snapshots")),
            actor: crate::sanitize::sanitize_line(&actor),
            store,
            sources: built,
            schedules,
            pagers,
            loaded,
        })
    }

    /// Writes an entry: with an outbox row when its source mirrors that kind of action.
    pub fn store_entry(&self, entry: &NewEntry) -> Result<Entry, CliError> {
        if entry.kind == crate::model::EntryKind::Escalated {
            return self.store_escalation(entry);
        }
        let source = self.source(entry.alert_key.source()).filter(|(_, s)| s.mirrors(entry.kind));
        Ok(match source {
            Some((cfg, _)) => self.store.append_mirrored(entry, &cfg.name, &self.labels(&entry.alert_key))?,
            None => self.store.append(entry)?,
        })
    }

    /// The alert's labels (what a silence matches on, what a page names): from the store,
    /// else (while it is out of reach) from its source's last snapshot on disk.
    fn labels(&self, key: &AlertKey) -> std::collections::BTreeMap<String, String> {
        let labels = match self.store.known_alert(key) {
            Ok(known) => known.map(|k| k.last.labels),
            Err(_) => self
                .cache
                .load(key.source())
                .and_then(|(_, alerts)| alerts.into_iter().find(|a| a.key == *key).map(|a| a.labels)),
        };
        labels.unwrap_or_default()
    }

    /// The level escalating `key` now reaches: one above the store's, or while the store is
    /// out of reach, one above what this host knew (the database reconciles it on return).
    pub fn next_escalation_level(&self, key: &AlertKey) -> Result<i64, CliError> {
        Ok(self.store.escalation_level(key)?.saturating_add(1))
    }

    /// Whether the entry's source carries this kind of action.
    pub fn mirrors(&self, entry: &NewEntry) -> bool {
        self.source(entry.alert_key.source()).is_some_and(|(_, s)| s.mirrors(entry.kind))
    }

    /// Sends queued actions to their sources and says what happened on stderr. `force`
    /// ignores the retry backoff. Returns how many still wait.
    pub async fn sync(&self, force: bool) -> usize {
        let report = crate::sync::drain(self.store.clone(), &self.targets(), force).await;
        for line in &report.done {
            eprintln!("klaxon: sent {line}");
        }
        for line in &report.failed {
            eprintln!("klaxon: not sent yet: {line}");
        }
        if report.unsent() > 0 {
            eprintln!("klaxon: {} action(s) queued; `klaxon sync` or the console sends them", report.unsent());
        }
        report.unsent()
    }

    /// An escalation pages people: the entry is stored with its webhook page in one
    /// transaction; each Grafana OnCall schedule answering for its level gets a `notified`
    /// entry of its own (op_id derived from the escalation's, so it too is written once)
    /// queued for that schedule's own escalation API.
    fn store_escalation(&self, entry: &NewEntry) -> Result<Entry, CliError> {
        use crate::escalation::PAGER;
        let labels = self.labels(&entry.alert_key);
        let has = |target: &str| self.pagers.iter().any(|(p, _)| p.name() == target);
        // A source with its own escalation (Zabbix: one severity step up) takes the entry
        // itself; the webhook page then goes as a companion entry, for one outbox row each.
        let source = self.source(entry.alert_key.source()).filter(|(_, s)| s.mirrors(entry.kind));
        let stored = match (source, has(PAGER)) {
            (Some((cfg, _)), pager) => {
                let stored = self.store.append_mirrored(entry, &cfg.name, &labels)?;
                if pager {
                    let mut page = NewEntry::new(
                        entry.alert_key.clone(),
                        crate::model::EntryKind::Notified,
                        &entry.actor,
                        &entry.text,
                    );
                    page.op_id = format!("{}:{PAGER}", entry.op_id);
                    page.at = entry.at;
                    self.store.append_mirrored(&page, PAGER, &labels)?;
                }
                stored
            }
            (None, true) => self.store.append_mirrored(entry, PAGER, &labels)?,
            (None, false) => self.store.append(entry)?,
        };
        for (cfg, _) in self.schedules.iter().filter(|(c, _)| Some(c.level) == entry.level) {
            let target = crate::oncall::grafana_oncall::target(&cfg.name);
            if !has(&target) {
                continue;
            }
            let text = format!("to Grafana OnCall ({}): {}", cfg.name, crate::escalation::for_pager(&entry.text));
            let mut page =
                NewEntry::new(entry.alert_key.clone(), crate::model::EntryKind::Notified, &entry.actor, &text);
            page.op_id = format!("{}:{}", entry.op_id, cfg.name);
            page.at = entry.at;
            self.store.append_mirrored(&page, &target, &labels)?;
        }
        Ok(stored)
    }

    /// Where the outbox sends actions: the sources and the escalation pagers.
    pub fn targets(&self) -> crate::sync::Targets<'_> {
        crate::sync::Targets { sources: &self.sources, pagers: &self.pagers }
    }

    /// Who escalating to `level` reaches now, whether a page goes out, and the entry text
    /// saying so.
    pub async fn escalation_text(&self, level: i64, note: &str) -> String {
        let paged = if self.schedules.is_empty() {
            None // no schedules: nobody to name
        } else {
            let rows = super::oncall::ask_all(self, chrono::Utc::now()).await;
            Some(rows.into_iter().filter(|r| r.level == level).map(|r| (r.schedule, r.now)).collect::<Vec<_>>())
        };
        let pagers = self.pager_chain();
        crate::escalation::entry_text(paged.as_deref(), &crate::escalation::pagers_for(&pagers, level), level, note)
    }

    /// What takes escalation pages, and for which level.
    pub fn pager_chain(&self) -> Vec<crate::escalation::Pager> {
        use crate::escalation::{PAGER, Pager};
        let mut chain = Vec::new();
        if self.pagers.iter().any(|(p, _)| p.name() == PAGER) {
            chain.push(Pager { level: None, name: "webhook".into() });
        }
        for (cfg, _) in &self.schedules {
            if matches!(cfg.kind, ScheduleKind::GrafanaOncall(_)) {
                chain.push(Pager { level: Some(cfg.level), name: format!("Grafana OnCall ({})", cfg.name) });
            }
        }
        chain
    }

    /// The highest escalation level a schedule answers for (1 when there are none).
    pub fn top_level(&self) -> i64 {
        self.schedules.iter().map(|(c, _)| c.level).max().unwrap_or(1).max(1)
    }

    /// The escalation chain, one line per level: who answers and what pages them.
    pub fn escalation_chain(&self) -> Vec<String> {
        let levels: Vec<(i64, Vec<String>)> =
            self.schedules.iter().map(|(c, _)| (c.level, vec![c.name.clone()])).collect();
        crate::escalation::chain_lines(&levels, &self.pager_chain())
    }

    /// The runbook library (bundled, configured folders and mirrors), with any problems found.
    pub fn runbooks(&self) -> (crate::runbooks::Library, Vec<String>) {
        let cfg = &self.loaded.config.runbooks;
        let dirs: Vec<PathBuf> = cfg.paths.iter().map(|p| self.loaded.resolve_path(p)).collect();
        let mirrors: Vec<crate::runbooks::Mirror> = cfg
            .mirrors
            .iter()
            .map(|m| crate::runbooks::Mirror { url: m.url.clone(), path: self.loaded.resolve_path(&m.path) })
            .collect();
        crate::runbooks::Library::load_with(&dirs, &mirrors)
    }

    pub fn runbook_cache(&self) -> crate::runbooks::RemoteCache {
        crate::runbooks::RemoteCache::new(&self.loaded.dirs.cache.join("runbooks"))
    }

    /// `check-config`: what the config sets up.
    pub fn describe(&self) -> Result<(), CliError> {
        match &self.loaded.origin {
            Origin::File(p) => println!("config ok: {}", p.display()),
            Origin::Embedded => println!("config ok: the embedded default (no config file)"),
        }
        println!("actor: {}", self.actor);
        println!("store: {}", self.store.describe());
        for (cfg, _) in &self.sources {
            println!(
                "source {}: {} every {}, timeout {}",
                cfg.name,
                cfg.kind.name(),
                humantime::format_duration(cfg.interval),
                humantime::format_duration(cfg.timeout)
            );
        }
        for (cfg, _) in &self.schedules {
            println!(
                "schedule {}: {} for level {}, every {}",
                cfg.name,
                cfg.kind.name(),
                cfg.level,
                humantime::format_duration(cfg.interval)
            );
        }
        for line in self.escalation_chain() {
            println!("{line}");
        }
        for l in &self.loaded.config.logs {
            println!(
                "logs {}: {}, {} before an alert, up to {} lines",
                l.name,
                l.kind.name(),
                humantime::format_duration(l.before),
                l.limit
            );
        }
        Ok(())
    }

    /// The directory of the config file, which relative paths in it start from.
    pub fn config_dir(&self) -> Option<PathBuf> {
        match &self.loaded.origin {
            Origin::File(f) => Some(f.parent().unwrap_or(Path::new(".")).to_path_buf()),
            Origin::Embedded => None,
        }
    }

    fn source(&self, name: &str) -> Option<&(SourceConfig, Arc<dyn AlertSource>)> {
        self.sources.iter().find(|(c, _)| c.name == name)
    }

    /// Polls the named sources (all when `only` is None) at once, each bounded by its timeout,
    /// and records what each healthy one reported in the store.
    pub async fn poll(&self, only: Option<&str>) -> Result<Vec<Polled>, CliError> {
        let tasks: Vec<_> = self
            .sources
            .iter()
            .filter(|(c, _)| only.is_none_or(|o| o == c.name))
            .map(|(cfg, src)| {
                let (src, timeout, name) = (src.clone(), cfg.timeout, cfg.name.clone());
                tokio::spawn(
                    async move { Polled { source: name, result: poller::poll_once(src.as_ref(), timeout).await } },
                )
            })
            .collect();
        let mut polled = Vec::new();
        for task in tasks {
            let mut p = task.await.map_err(|e| CliError::Failure(format!("poll task: {e}")))?;
            if let Ok(alerts) = &mut p.result {
                // Ages the source cannot tell come from its last snapshot (this is a new process).
                if let Some((_, previous)) = self.cache.load(&p.source) {
                    crate::sources::cache::carry_starts(&previous, alerts);
                }
                let alerts = &*alerts;
                // Both only read the alerts: the cache is written on a second core meanwhile.
                let observed = std::thread::scope(|s| {
                    s.spawn(|| self.cache.save(&p.source, Utc::now(), alerts));
                    self.observe(&p.source, alerts, Utc::now())
                });
                // What the source says is still worth showing when the store is out of reach.
                if let Err(e) = observed {
                    eprintln!("klaxon: {e} (source {} not recorded)", p.source);
                }
            }
            polled.push(p);
        }
        Ok(polled)
    }

    pub fn observe(
        &self,
        source: &str,
        alerts: &[Alert],
        at: DateTime<Utc>,
    ) -> Result<Vec<crate::model::Entry>, CliError> {
        Ok(self.store.observe(source, alerts, at)?)
    }

    /// The ranked board from polled snapshots (cached ones for failed sources), with
    /// ownership from the store.
    pub fn board(&self, polled: Vec<Polled>) -> Result<Board, CliError> {
        let mut board = Board::default();
        for p in polled {
            let alerts = match p.result {
                Ok(alerts) => alerts,
                Err(e) => {
                    let cached = self.cache.load(&p.source);
                    let note = match &cached {
                        Some((at, _)) => format!("showing its snapshot from {}", at.to_rfc3339()),
                        None => "nothing cached to show".to_string(),
                    };
                    eprintln!("klaxon: source {} failed: {e} ({note})", p.source);
                    cached.map(|(_, a)| a).unwrap_or_default()
                }
            };
            board.apply_snapshot(&p.source, alerts);
        }
        match self.store.ownership() {
            Ok(owners) => board.set_ownership(owners),
            Err(e) => eprintln!("klaxon: {e} (owners not shown)"),
        }
        Ok(board)
    }

    /// Finds the alert a person named: `source/id` or `source/<unique id prefix>`, among what
    /// the store knows, else what the source reports now.
    /// Why acting on `key` would act on a problem that is over, if it would: its source
    /// answers without it (or as resolved), or, when the source cannot be asked, the store
    /// has it resolved. None when it still fires or nobody can tell.
    pub async fn resolved(&self, key: &AlertKey) -> Option<String> {
        if let Some((cfg, source)) = self.source(key.source())
            && let Ok(alerts) = poller::poll_once(source.as_ref(), cfg.timeout).await
        {
            return match alerts.iter().find(|a| &a.key == key) {
                Some(a) if a.status == crate::model::Status::Resolved => {
                    Some(format!("{} reports {key} as resolved", cfg.name))
                }
                Some(_) => None,
                None => Some(format!("{} no longer reports {key}: it has resolved", cfg.name)),
            };
        }
        match self.store.known_alert(key) {
            Ok(Some(k)) => {
                k.resolved_at.map(|t| format!("the store has {key} resolved since {}", t.format("%F %H:%M UTC")))
            }
            _ => None,
        }
    }

    pub async fn resolve_key(&self, input: &str) -> Result<AlertKey, CliError> {
        let Some((source, prefix)) = input.split_once('/') else {
            return Err(CliError::Usage(format!("{input:?} is not a key: write <source>/<id>, e.g. demo/4f3a")));
        };
        // While the store is out of reach, what the source reports now is all there is.
        let known = |s: &Session| -> Vec<AlertKey> {
            match s.store.known_alerts(Some(source), true) {
                Ok(known) => known.into_iter().map(|k| k.key).collect(),
                Err(e) => {
                    eprintln!("klaxon: {e}");
                    Vec::new()
                }
            }
        };
        let mut keys = known(self);
        if self.source(source).is_none() && keys.is_empty() {
            let names: Vec<_> = self.sources.iter().map(|(c, _)| c.name.as_str()).collect();
            return Err(CliError::Usage(format!("no source named {source:?} (configured: {})", names.join(", "))));
        }
        if pick(&keys, prefix).is_err() && self.source(source).is_some() {
            // Not known yet (or ambiguous among old ones): ask the source what fires now.
            for p in self.poll(Some(source)).await? {
                match p.result {
                    Ok(alerts) => keys.extend(alerts.into_iter().map(|a| a.key)),
                    Err(e) => eprintln!("klaxon: source {source} failed: {e}"),
                }
            }
            keys.sort();
            keys.dedup();
        }
        pick(&keys, prefix).map_err(|candidates| {
            if candidates.is_empty() {
                CliError::Usage(format!("no alert {input:?}: `klaxon list --source {source}` shows what fires"))
            } else {
                let shown: Vec<_> = candidates.iter().take(5).map(|k| k.as_str()).collect();
                CliError::Usage(format!("{input:?} matches {} alerts: {}", candidates.len(), shown.join(", ")))
            }
        })
    }
}

/// SQLite at its path, or PostgreSQL with its local spool beside the other data.
fn open_store(loaded: &Loaded) -> Result<Arc<dyn Store>, CliError> {
    let cfg = &loaded.config.store;
    Ok(match cfg.backend {
        Backend::Sqlite => {
            let path = cfg.path.as_ref().map_or_else(|| loaded.dirs.data.join("klaxon.db"), |p| loaded.resolve_path(p));
            Arc::new(SqliteStore::open(&path)?)
        }
        Backend::Postgres => {
            // Validation made sure there is a connection string and that it reads.
            let secret =
                cfg.url().ok().flatten().ok_or_else(|| CliError::Failure("store: no url_env or url_file".into()))?;
            let url = secret.resolve().map_err(|e| CliError::Failure(format!("store: {e}")))?;
            let ca = cfg.ca_file.as_ref().map(|p| loaded.resolve_path(p));
            Arc::new(PgStore::open(url.expose(), ca.as_deref(), &loaded.dirs.data.join("outbox.db"))?)
        }
    })
}

/// The key whose id is `prefix`, else the one whose id starts with it; Err with the
/// candidates when there is not exactly one.
fn pick<'a>(keys: &'a [AlertKey], prefix: &str) -> Result<AlertKey, Vec<&'a AlertKey>> {
    if let Some(exact) = keys.iter().find(|k| k.id() == prefix) {
        return Ok(exact.clone());
    }
    let matches: Vec<_> = keys.iter().filter(|k| k.id().starts_with(prefix)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(matches),
    }
}

/// The login name: $USER, else $LOGNAME, else the account's name in /etc/passwd.
pub fn login_name() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return v.trim().to_owned();
        }
    }
    let uid = rustix::process::getuid().as_raw().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<_> = l.split(':').collect();
                (f.len() > 2 && f[2] == uid).then(|| f[0].to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid{uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefixes_resolve_when_unique() {
        let keys = vec![AlertKey::new("s", "abc123"), AlertKey::new("s", "abd456"), AlertKey::new("s", "ab")];
        assert_eq!(pick(&keys, "abc").unwrap().id(), "abc123");
        assert_eq!(pick(&keys, "ab").unwrap().id(), "ab", "an exact id wins over prefixes");
        assert_eq!(pick(&keys, "a").unwrap_err().len(), 3);
        assert!(pick(&keys, "zz").unwrap_err().is_empty());
    }
}
