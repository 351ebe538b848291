//! What the console and every command share: the loaded config, the store, the sources,
//! the schedules, the pagers and the actor, set up once from the config.

use crate::Error;
use crate::config::{self, Origin};
use crate::model::{Alert, AlertKey};
use crate::oncall::ScheduleConfig;
use crate::settings::{self, Loaded};
use crate::sources::SourceConfig;
use crate::sources::cache::SnapshotCache;
use crate::sources::{self, AlertSource};
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
    pub pagers: Vec<Arc<dyn crate::pagers::Pager>>,
}

impl Session {
    /// From the config at `explicit` (else where klaxon looks), with the platform's
    /// data and cache directories.
    pub fn open(explicit: Option<&Path>) -> Result<Session, Error> {
        Session::open_in(explicit, config::paths::Dirs::platform())
    }

    /// As [`Session::open`], with these directories (the tests' temp dirs).
    pub fn open_in(explicit: Option<&Path>, dirs: config::paths::Dirs) -> Result<Session, Error> {
        let loaded = settings::load(explicit, dirs)?;
        let store = open_store(&loaded)?;
        let mut built = Vec::new();
        for cfg in &loaded.config.sources {
            let source = sources::build(cfg).map_err(|e| Error::Failed(format!("source {}: {e}", cfg.name)))?;
            built.push((cfg.clone(), Arc::from(source)));
        }
        let mut schedules = Vec::new();
        for cfg in &loaded.config.schedules {
            let s = crate::oncall::build(cfg).map_err(|e| Error::Failed(format!("schedule {}: {e}", cfg.name)))?;
            schedules.push((cfg.clone(), Arc::from(s)));
        }
        let pagers = crate::pagers::build(&loaded)?;
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

    /// The alert's labels (what a silence matches on, what a page names): from the store,
    /// else (while it is out of reach) from its source's last snapshot on disk.
    pub(crate) fn labels(&self, key: &AlertKey) -> crate::model::Fields {
        let labels = match self.store.known_alert(key) {
            Ok(known) => known.map(|k| k.last.labels),
            Err(_) => self
                .cache
                .load(key.source())
                .and_then(|(_, alerts)| alerts.into_iter().find(|a| a.key == *key).map(|a| a.labels)),
        };
        labels.unwrap_or_default()
    }

    /// Sends queued actions to their sources (the outbox); `force` ignores the retry
    /// backoff. The report says what went, what failed and how many still wait.
    pub async fn drain(&self, force: bool) -> crate::sync::Report {
        crate::sync::drain(self.store.clone(), &self.targets(), force).await
    }

    /// Where the outbox sends actions: the sources and the escalation pagers.
    pub fn targets(&self) -> crate::sync::Targets<'_> {
        crate::sync::Targets { sources: &self.sources, pagers: &self.pagers }
    }

    /// What takes escalation pages, and for which level.
    pub fn pager_chain(&self) -> Vec<crate::escalation::Pager> {
        crate::pagers::chain(&self.pagers)
    }

    /// The highest escalation level a schedule answers for (1 when there are none).
    pub fn top_level(&self) -> i64 {
        self.schedules.iter().map(|(c, _)| c.level).max().unwrap_or(1).max(1)
    }

    /// The escalation chain, one line per level: who answers and what pages them.
    pub fn escalation_chain(&self) -> Vec<String> {
        let levels: Vec<(i64, Vec<String>)> =
            self.schedules.iter().map(|(c, _)| (c.level, vec![c.name.clone()])).collect();
        let escalating = |level: i64| {
            let sources = self.sources.iter().filter(|(c, _)| crate::actions::escalates_at(self, &c.name, level));
            sources.map(|(c, _)| c.name.clone()).collect()
        };
        crate::escalation::chain_lines(&levels, &self.pager_chain(), escalating)
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

    /// The directory of the config file, which relative paths in it start from.
    pub fn config_dir(&self) -> Option<PathBuf> {
        match &self.loaded.origin {
            Origin::File(f) => Some(f.parent().unwrap_or(Path::new(".")).to_path_buf()),
            Origin::Embedded => None,
        }
    }

    /// The configured source of that name.
    pub fn source(&self, name: &str) -> Option<&(SourceConfig, Arc<dyn AlertSource>)> {
        self.sources.iter().find(|(c, _)| c.name == name)
    }

    pub fn observe(
        &self,
        source: &str,
        alerts: &[Alert],
        at: DateTime<Utc>,
    ) -> Result<Vec<crate::model::Entry>, Error> {
        Ok(self.store.observe(source, alerts, at)?)
    }
}

/// SQLite at its path, or PostgreSQL with its local spool beside the other data.
fn open_store(loaded: &Loaded) -> Result<Arc<dyn Store>, Error> {
    let cfg = &loaded.config.store;
    Ok(match cfg.backend {
        Backend::Sqlite => {
            let path = cfg.path.as_ref().map_or_else(|| loaded.dirs.data.join("klaxon.db"), |p| loaded.resolve_path(p));
            Arc::new(SqliteStore::open(&path)?)
        }
        Backend::Postgres => {
            // Validation made sure there is a connection string and that it reads.
            let secret =
                cfg.url().ok().flatten().ok_or_else(|| Error::Failed("store: no url_env or url_file".into()))?;
            let url = secret.resolve().map_err(|e| Error::Failed(format!("store: {e}")))?;
            let ca = cfg.ca_file.as_ref().map(|p| loaded.resolve_path(p));
            Arc::new(PgStore::open(url.expose(), ca.as_deref(), &loaded.dirs.data.join("outbox.db"))?)
        }
    })
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
