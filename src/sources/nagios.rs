//! Nagios Core on this host (Icinga 1 and Naemon write the same files).
//!
//! A poll reads `status.dat` (states, comments, downtimes) and `objects.cache` (display
//! names, notes and their URLs) whole, each through one open file: Nagios writes a new
//! status file beside the old one and renames it over it, so an open file is one whole
//! version, and one that does not end in a closed block is refused as cut short. Neither
//! is parsed again while its inode, size and modification time stay the same.
//!
//! Actions are external commands written to the command FIFO, opened without blocking: a
//! Nagios that is not reading it is an error at once, not a hang. Every field is one line
//! without control characters; the fields before the last lose their `;` (Nagios splits
//! them on it), the last (the comment) keeps it, as Nagios takes the rest of the line. Each
//! command leaves a comment carrying `[klaxon op <op_id>]`, and is done when `status.dat`
//! shows it: a retry that finds the mark has nothing left to do.

use super::check_states::{
    self, State, StateSeverities, comment, done, links, object_id, split_object, standing, title,
};
use super::{AlertSource, KindConfig, MirrorFuture, PollFuture, SourceConfig, SourceError};
use super::{op_mark as marker, without_marks as readable};
use crate::config::{At, Problems};
use crate::model::{Alert, AlertKey, EntryKind, Fields, Guessed, MirrorDone, MirrorOp, SourceAck};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `kind = "nagios"`: a local Nagios Core's status file and command FIFO.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NagiosConfig {
    /// nagios.cfg's `status_file`, e.g. "/var/lib/nagios4/status.dat".
    pub status_file: PathBuf,
    /// nagios.cfg's `object_cache_file`; default: `objects.cache` beside the status file.
    pub object_cache_file: Option<PathBuf>,
    /// nagios.cfg's `command_file` (a FIFO), e.g. "/var/lib/nagios4/rw/nagios.cmd": needed
    /// to write acknowledgements and comments back.
    pub command_file: Option<PathBuf>,
    /// Also show host problems (DOWN, UNREACHABLE).
    #[serde(default = "crate::config::yes")]
    pub hosts: bool,
    /// Also show handled problems (acknowledged or in downtime).
    #[serde(default = "crate::config::yes")]
    pub handled: bool,
    /// The severity of each state.
    #[serde(default)]
    pub severities: StateSeverities,
    /// Carry acknowledgements, their removal and notes back to Nagios (through the outbox).
    #[serde(default = "crate::config::yes")]
    pub write_back: bool,
    /// An acknowledgement stays until the object is OK (not only until its state changes).
    #[serde(default = "crate::config::yes")]
    pub ack_sticky: bool,
    /// Nagios notifies the contacts of an acknowledgement.
    #[serde(default = "crate::config::yes")]
    pub ack_notify: bool,
    /// The acknowledgement's comment survives a Nagios restart (and the acknowledgement's end).
    #[serde(default)]
    pub ack_persistent: bool,
}

impl NagiosConfig {
    fn objects_path(&self) -> PathBuf {
        match &self.object_cache_file {
            Some(p) => crate::config::paths::expand_tilde(p),
            None => self.status_path().with_file_name("objects.cache"),
        }
    }

    fn status_path(&self) -> PathBuf {
        crate::config::paths::expand_tilde(&self.status_file)
    }
}

impl KindConfig for NagiosConfig {
    fn validate(&self, _: &SourceConfig, at: At<'_>, problems: &mut Problems) {
        if self.status_file.as_os_str().is_empty() {
            problems.push((
                at("status_file"),
                "status_file is nagios.cfg's status_file, e.g. /var/lib/nagios4/status.dat".into(),
            ));
        }
        if self.write_back && self.command_file.is_none() {
            // On `kind`: the key missing has no line to point at.
            problems.push((
                at("kind"),
                "write_back needs command_file (nagios.cfg's command_file, e.g. /var/lib/nagios4/rw/nagios.cmd), \
                 or write_back = false"
                    .into(),
            ));
        }
    }

    fn build(&self, source: &SourceConfig) -> Result<Box<dyn AlertSource>, SourceError> {
        Ok(Box::new(NagiosSource::new(source, self)))
    }
}

/// One `name {` … `}` block of either file, its fields in order.
#[derive(Debug)]
struct Block<'a> {
    kind: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Block<'a> {
    fn get(&self, key: &str) -> &'a str {
        self.fields.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| v)
    }

    fn num(&self, key: &str) -> i64 {
        self.get(key).trim().parse().unwrap_or(0)
    }
}

/// The blocks of `status.dat` (`key=value`) or of `objects.cache` (`define kind {`, `key<TAB>value`).
/// Text outside blocks (comments) is skipped. Err when the text ends inside a block.
fn blocks(text: &str) -> Result<Vec<Block<'_>>, String> {
    let mut out = Vec::new();
    let mut open: Option<Block<'_>> = None;
    for line in text.lines() {
        let line = line.trim_start();
        match &mut open {
            None => {
                if let Some(head) = line.trim_end().strip_suffix('{') {
                    let kind = head.trim();
                    open =
                        Some(Block { kind: kind.strip_prefix("define ").unwrap_or(kind).trim(), fields: Vec::new() });
                }
            }
            Some(block) => {
                if line.trim_end() == "}" {
                    out.extend(open.take());
                } else if let Some((k, v)) = line.split_once('=').filter(|(k, _)| !k.contains(char::is_whitespace)) {
                    block.fields.push((k, v));
                } else if let Some((k, v)) = line.split_once('\t') {
                    block.fields.push((k, v.trim_start_matches('\t')));
                }
            }
        }
    }
    match open {
        Some(b) => Err(format!("it ends inside a {} block (cut short)", b.kind)),
        None => Ok(out),
    }
}

/// What objects.cache says of an object.
#[derive(Debug, Default, Clone)]
struct Meta {
    display: String,
    notes: String,
    notes_url: String,
    action_url: String,
}

fn metadata(text: &str) -> Result<HashMap<String, Meta>, String> {
    let mut out = HashMap::new();
    for b in blocks(text)? {
        let (id, display) = match b.kind {
            "host" => {
                let name = b.get("host_name");
                let shown = [b.get("display_name"), b.get("alias")].into_iter().find(|d| !d.is_empty() && *d != name);
                (object_id(name, None), shown.unwrap_or(name))
            }
            "service" => {
                let svc = b.get("service_description");
                let shown = b.get("display_name");
                (object_id(b.get("host_name"), Some(svc)), if shown.is_empty() { svc } else { shown })
            }
            _ => continue,
        };
        let meta = Meta {
            display: display.to_owned(),
            notes: b.get("notes").to_owned(),
            notes_url: b.get("notes_url").to_owned(),
            action_url: b.get("action_url").to_owned(),
        };
        out.insert(id, meta);
    }
    Ok(out)
}

/// A file's identity and version: the same four, the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

impl Version {
    fn of(meta: &std::fs::Metadata) -> Version {
        use std::os::unix::fs::MetadataExt;
        Version { dev: meta.dev(), ino: meta.ino(), len: meta.len(), mtime: (meta.mtime(), meta.mtime_nsec()) }
    }

    /// The version at `path` now, without opening it.
    fn at(path: &Path) -> Option<Version> {
        std::fs::metadata(path).ok().map(|m| Version::of(&m))
    }
}

/// The whole of one version of `path`, read through one open file, at most `max` bytes.
fn read_whole(path: &Path, max: u64) -> Result<(Version, Vec<u8>), String> {
    use std::io::Read;
    let shown = path.display();
    let mut file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > max {
        return Err(format!("{shown} is larger than the {max}-byte cap (max_bytes)"));
    }
    let version = Version::of(&meta);
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.by_ref().take(max + 1).read_to_end(&mut bytes).map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("{shown} is larger than the {max}-byte cap (max_bytes)"));
    }
    Ok((version, bytes))
}

fn at(epoch: i64) -> Option<DateTime<Utc>> {
    if epoch <= 0 { None } else { Utc.timestamp_opt(epoch, 0).single() }
}

/// Nagios writes a long plugin output's line breaks as `\n`.
fn unescape(s: &str) -> String {
    s.replace("\\n", "\n").replace("\\\\", "\\")
}

/// status.dat's version and objects.cache's (None: not there).
type Versions = (Version, Option<Version>);

/// What the last read of each file left, so an unchanged file is not read again. The
/// alerts are keyed by both files' versions: new metadata maps the same states anew.
#[derive(Default)]
struct Cache {
    status: Option<(Versions, Arc<Vec<Alert>>)>,
    objects: Option<(Version, Arc<HashMap<String, Meta>>)>,
}

struct Reader {
    name: String,
    cfg: NagiosConfig,
    status: PathBuf,
    objects: PathBuf,
    max_bytes: u64,
    cache: Mutex<Cache>,
}

pub struct NagiosSource {
    reader: Arc<Reader>,
    timeout: Duration,
}

/// An object's state in status.dat, for acting on it.
struct Standing {
    acknowledged: bool,
    /// (comment_id, text) of each comment on it.
    comments: Vec<(String, String)>,
}

impl Reader {
    /// objects.cache's version and what it says. Metadata is an extra: without the file,
    /// alerts still come, with plain names.
    fn metadata(&self) -> (Option<Version>, Arc<HashMap<String, Meta>>) {
        let now = Version::at(&self.objects);
        if let Some((v, meta)) = &self.cache.lock().unwrap_or_else(|p| p.into_inner()).objects
            && Some(*v) == now
        {
            return (now, meta.clone());
        }
        let Ok((version, bytes)) = read_whole(&self.objects, self.max_bytes) else { return (None, Arc::default()) };
        let meta = Arc::new(metadata(&String::from_utf8_lossy(&bytes)).unwrap_or_default());
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).objects = Some((version, meta.clone()));
        (Some(version), meta)
    }

    fn status_text(&self) -> Result<(Version, Vec<u8>), SourceError> {
        read_whole(&self.status, self.max_bytes).map_err(|e| SourceError::new(format!("status file {e}")))
    }

    fn poll(&self) -> Result<Vec<Alert>, SourceError> {
        let (objects, meta) = self.metadata();
        // Unchanged since the last poll (same file, size and time): the same alerts.
        if let Some(now) = Version::at(&self.status)
            && let Some((v, alerts)) = &self.cache.lock().unwrap_or_else(|p| p.into_inner()).status
            && *v == (now, objects)
        {
            return Ok(alerts.as_ref().clone());
        }
        // Keyed by the version read, which may be newer than the one looked at.
        let (version, bytes) = self.status_text()?;
        let alerts = self.decode_with(&bytes, &meta)?;
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).status =
            Some(((version, objects), Arc::new(alerts.clone())));
        Ok(alerts)
    }

    fn decode_with(&self, status: &[u8], meta: &HashMap<String, Meta>) -> Result<Vec<Alert>, SourceError> {
        let text = String::from_utf8_lossy(status);
        let blocks =
            blocks(&text).map_err(|e| SourceError::new(format!("status file {}: {e}", self.status.display())))?;
        let object = |b: &Block| {
            let svc = b.get("service_description");
            object_id(b.get("host_name"), (!svc.is_empty()).then_some(svc))
        };
        let mut comments: HashMap<String, Vec<&Block>> = HashMap::new();
        let mut downtimes: HashMap<String, &Block> = HashMap::new();
        for b in &blocks {
            match b.kind {
                "hostcomment" | "servicecomment" => comments.entry(object(b)).or_default().push(b),
                "hostdowntime" | "servicedowntime" if b.get("is_in_effect") != "0" => {
                    let key = object(b);
                    if downtimes.get(&key).is_none_or(|had| had.num("end_time") < b.num("end_time")) {
                        downtimes.insert(key, b);
                    }
                }
                _ => {}
            }
        }
        let now = Utc::now();
        let mut alerts = Vec::new();
        for b in &blocks {
            let is_host = match b.kind {
                "servicestatus" => false,
                "hoststatus" if self.cfg.hosts => true,
                _ => continue,
            };
            let n = b.num("current_state");
            let state = if is_host { State::host(n, true) } else { State::service(n) };
            if !state.is_problem() || b.get("has_been_checked") == "0" {
                continue;
            }
            let acked = b.get("problem_has_been_acknowledged") == "1";
            let down = b.num("scheduled_downtime_depth") > 0;
            if !self.cfg.handled && (acked || down) {
                continue;
            }
            let id = object(b);
            let host_name = b.get("host_name");
            let host_meta = meta.get(host_name);
            let own = meta.get(&id);
            let host_shown = host_meta.map_or(host_name, |m| m.display.as_str()).to_owned();
            let service =
                (!is_host).then(|| own.map_or(b.get("service_description"), |m| m.display.as_str()).to_owned());
            let mut labels = Fields::new();
            labels.insert("host".to_string(), host_name.to_owned());
            if !is_host {
                labels.insert("service", b.get("service_description").to_owned());
            }
            labels.insert("state", state.name());
            labels.insert("state_type", if b.get("state_type") == "1" { "hard" } else { "soft" });
            let mut annotations = Fields::new();
            let long = unescape(b.get("long_plugin_output"));
            let output = b.get("plugin_output");
            annotations.insert(
                "output".to_string(),
                if long.is_empty() { output.to_owned() } else { format!("{output}\n{long}") },
            );
            if let Some(n) = own.map(|m| m.notes.trim()).filter(|n| !n.is_empty()) {
                annotations.insert("notes", n.to_owned());
            }
            let links = own.map_or_else(Vec::new, |m| links(&m.notes_url, &m.action_url));
            let downtime = downtimes.get(&id).map(|d| check_states::Downtime {
                until: at(d.num("end_time")),
                author: d.get("author"),
                comment: d.get("comment"),
            });
            let (status, suppression) = standing(down, acked, downtime);
            let hard = b.get("state_type") == "1";
            let started = (if hard { at(b.num("last_hard_state_change")) } else { None })
                .or_else(|| at(b.num("last_state_change")));
            let source_acks = comments
                .get(&id)
                .into_iter()
                .flatten()
                // klaxon's own are in the timeline already, as the person's entries.
                .filter(|c| !super::has_mark(c.get("comment_data")))
                .map(|c| SourceAck {
                    by: c.get("author").to_owned(),
                    at: at(c.num("entry_time")),
                    text: readable(c.get("comment_data")),
                    id: Some(c.get("comment_id").to_owned()),
                    // Entry type 4: an acknowledgement's comment; 1: a person's own.
                    kind: if c.get("entry_type") == "4" { EntryKind::Acked } else { EntryKind::Note },
                })
                .collect();
            alerts.push(Alert {
                // Clean here, not only at the border: the key is the one field the border leaves.
                key: AlertKey::new(&self.name, &crate::sanitize::sanitize_line(&id)),
                title: title(&host_shown, service.as_deref(), state),
                severity: self.cfg.severities.of(state),
                status,
                started_at: started.unwrap_or(now),
                updated_at: at(b.num("last_check")).or(started).unwrap_or(now),
                labels,
                annotations,
                host: Some(host_shown),
                service,
                links,
                source_acks,
                suppression,
                guessed: Guessed { severity: None, started_at: started.is_none() },
            });
        }
        Ok(alerts)
    }

    /// The object's acknowledgement and comments as status.dat has them now.
    fn standing(&self, host: &str, service: Option<&str>) -> Result<Standing, SourceError> {
        let (_, bytes) = self.status_text()?;
        let text = String::from_utf8_lossy(&bytes);
        let blocks =
            blocks(&text).map_err(|e| SourceError::new(format!("status file {}: {e}", self.status.display())))?;
        let svc = service.unwrap_or("");
        let ours = |b: &Block| b.get("host_name") == host && b.get("service_description") == svc;
        let (status_kind, comment_kind) =
            if service.is_some() { ("servicestatus", "servicecomment") } else { ("hoststatus", "hostcomment") };
        let status = blocks
            .iter()
            .find(|b| b.kind == status_kind && ours(b))
            .ok_or_else(|| SourceError::new(format!("{} is not in Nagios's status file", object_id(host, service))))?;
        Ok(Standing {
            acknowledged: status.get("problem_has_been_acknowledged") == "1",
            comments: blocks
                .iter()
                .filter(|b| b.kind == comment_kind && ours(b))
                .map(|b| (b.get("comment_id").to_owned(), b.get("comment_data").to_owned()))
                .collect(),
        })
    }

    fn act(&self, op: &MirrorOp, deadline: Instant) -> Result<MirrorDone, SourceError> {
        let Some(fifo) = self.cfg.command_file.as_deref() else {
            return Err(SourceError::new("no command_file: klaxon cannot write to Nagios"));
        };
        let (host, service) = split_object(op.alert_key.id());
        let mark = marker(&op.op_id);
        let find = |s: &Standing| s.comments.iter().find(|(_, text)| text.contains(&mark)).map(|(id, _)| id.clone());
        let now = self.standing(host, service)?;
        if let Some(id) = find(&now) {
            return Ok(done(op, id, "already in Nagios"));
        }
        let text = readable(&op.text);
        let said = |what: &str| comment(&text, what, &mark);
        let kind = if service.is_some() { "SVC" } else { "HOST" };
        let target: Vec<&str> = std::iter::once(host).chain(service).collect();
        let flag = |b: bool| if b { "1" } else { "0" };
        let add_comment = |c: String| command(&format!("ADD_{kind}_COMMENT"), &target, &["1", &op.actor], &c);
        let mut how = "in Nagios";
        let commands = match op.kind {
            EntryKind::Acked if now.acknowledged => {
                how = "in Nagios (it was acknowledged already: added as a comment)";
                vec![add_comment(said("acknowledged (already acknowledged)"))?]
            }
            EntryKind::Acked => {
                let sticky = if self.cfg.ack_sticky { "2" } else { "1" };
                let flags = [sticky, flag(self.cfg.ack_notify), flag(self.cfg.ack_persistent), &op.actor];
                vec![command(&format!("ACKNOWLEDGE_{kind}_PROBLEM"), &target, &flags, &said("acknowledged"))?]
            }
            EntryKind::Note => vec![add_comment(said(""))?],
            EntryKind::Unacked => vec![
                command(&format!("REMOVE_{kind}_ACKNOWLEDGEMENT"), &target, &[], "")?,
                add_comment(said("acknowledgement removed"))?,
            ],
            other => return Err(SourceError::new(format!("Nagios takes no {other} action"))),
        };
        write_commands(fifo, &commands.concat())?;
        // Nagios shows what it did at its next status update (status_update_interval).
        loop {
            let back = self.standing(host, service)?;
            let settled = match op.kind {
                EntryKind::Acked => back.acknowledged,
                EntryKind::Unacked => !back.acknowledged,
                _ => true,
            };
            if let (Some(id), true) = (find(&back), settled) {
                return Ok(done(op, id, how));
            }
            if Instant::now() >= deadline {
                return Err(SourceError::new(format!(
                    "written to {}, but not in the status file yet (Nagios writes it every status_update_interval)",
                    fifo.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// The largest write to a FIFO that arrives whole, never interleaved with another writer's.
const PIPE_BUF: usize = 4096;

/// One external command line: `[<epoch>] NAME;target…;fields…;last`. The target (host,
/// service) must hold no `;` or line break (no Nagios object name does); the other fields
/// lose theirs; the last keeps its `;` and has its line breaks folded to spaces.
pub fn command(name: &str, target: &[&str], fields: &[&str], last: &str) -> Result<String, SourceError> {
    let mut line = format!("[{}] {name}", Utc::now().timestamp());
    for t in target {
        if t.contains([';', '\n', '\r']) || t.is_empty() {
            return Err(SourceError::new(format!("{t:?} cannot be named in a Nagios command")));
        }
        line.push(';');
        line.push_str(t);
    }
    for f in fields {
        line.push(';');
        line.push_str(&crate::sanitize::sanitize_line(f).replace(';', ","));
    }
    if !name.starts_with("REMOVE_") {
        line.push(';');
        let last = crate::sanitize::sanitize_line(last);
        // The whole line must fit one atomic write: a long comment is cut at a character.
        let room = PIPE_BUF / 2 - line.len().min(PIPE_BUF / 2);
        let mut end = last.len().min(room);
        while !last.is_char_boundary(end) {
            end -= 1;
        }
        line.push_str(&last[..end]);
    }
    line.push('\n');
    Ok(line)
}

/// Writes `text` (whole command lines) to the FIFO in one write, never blocking: a Nagios
/// that is not reading it, or is behind, is an error naming the file.
fn write_commands(path: &Path, text: &str) -> Result<(), SourceError> {
    use rustix::fs::{FileType, Mode, OFlags};
    use rustix::io::Errno;
    let shown = path.display();
    let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| {
        SourceError::new(match e {
            Errno::NXIO => format!("Nagios is not reading its command file {shown} (is it running?)"),
            Errno::NOENT => format!("no command file {shown} (is Nagios running with check_external_commands=1?)"),
            e => format!("command file {shown}: {e}"),
        })
    })?;
    let stat = rustix::fs::fstat(&fd).map_err(|e| SourceError::new(format!("command file {shown}: {e}")))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::Fifo {
        return Err(SourceError::new(format!("command file {shown} is not a FIFO: is it nagios.cfg's command_file?")));
    }
    match rustix::io::write(&fd, text.as_bytes()) {
        Ok(n) if n == text.len() => Ok(()),
        Ok(n) => Err(SourceError::new(format!("command file {shown}: only {n} of {} bytes written", text.len()))),
        Err(Errno::AGAIN) => Err(SourceError::new(format!("command file {shown} is full: Nagios is not keeping up"))),
        Err(e) => Err(SourceError::new(format!("command file {shown}: {e}"))),
    }
}

impl NagiosSource {
    pub fn new(src: &SourceConfig, cfg: &NagiosConfig) -> Self {
        NagiosSource {
            reader: Arc::new(Reader {
                name: src.name.clone(),
                cfg: cfg.clone(),
                status: cfg.status_path(),
                objects: cfg.objects_path(),
                max_bytes: src.max_bytes,
                cache: Mutex::new(Cache::default()),
            }),
            timeout: src.timeout,
        }
    }

    /// What a poll makes of a status.dat and an objects.cache (whole files), without the
    /// files: the parser on its own, for the property tests and the benchmark.
    pub fn decode(&self, status: &[u8], objects: &[u8]) -> Result<Vec<Alert>, SourceError> {
        // As in a poll: metadata is an extra, a broken objects.cache leaves plain names.
        let meta = metadata(&String::from_utf8_lossy(objects)).unwrap_or_default();
        self.reader.decode_with(status, &meta)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SourceError> + Send + 'static,
) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SourceError::new(format!("reading Nagios's files failed: {e}")))?
}

impl AlertSource for NagiosSource {
    fn name(&self) -> &str {
        &self.reader.name
    }

    fn poll(&self) -> PollFuture<'_> {
        let reader = self.reader.clone();
        Box::pin(blocking(move || reader.poll()))
    }

    fn mirrors(&self, kind: EntryKind) -> bool {
        // Nagios has no severity to set, nothing to close and no escalation of its own.
        self.reader.cfg.write_back && matches!(kind, EntryKind::Acked | EntryKind::Unacked | EntryKind::Note)
    }

    fn mirror<'a>(&'a self, op: &'a MirrorOp) -> MirrorFuture<'a> {
        let (reader, op) = (self.reader.clone(), op.clone());
        // Reading back stops short of the source's timeout, so the answer is ours, not a timeout.
        let deadline = Instant::now() + self.timeout.mul_f32(0.8);
        Box::pin(blocking(move || reader.act(&op, deadline)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_keeps_its_semicolons_and_loses_its_line_breaks() {
        let line = command("ADD_SVC_COMMENT", &["db1", "disk"], &["1", "al;ice\n"], "one; two\nthree\r\n").unwrap();
        assert!(line.ends_with(";1;al,ice;one; two three\n"), "{line}");
        assert_eq!(line.matches('\n').count(), 1);
        assert!(command("X", &["db1;evil"], &[], "").is_err());
    }

    #[test]
    fn a_long_comment_is_cut_to_one_atomic_write() {
        let line = command("ADD_HOST_COMMENT", &["db1"], &["1", "a"], &"é".repeat(5000)).unwrap();
        assert!(line.len() <= PIPE_BUF && line.ends_with("é\n"), "{}", line.len());
    }

    #[test]
    fn blocks_of_both_files_parse_and_a_cut_file_is_refused() {
        let status =
            "# header\ninfo {\n\tversion=4.4.6\n\t}\n\nservicestatus {\n\thost_name=db1\n\tplugin_output=a=b\n\t}\n";
        let b = blocks(status).unwrap();
        assert_eq!((b[1].kind, b[1].get("plugin_output")), ("servicestatus", "a=b"));
        let objects = "define service {\n\thost_name\tdb1\n\tnotes_url\thttps://x/?a=b\n\t}\n";
        assert_eq!(blocks(objects).unwrap()[0].get("notes_url"), "https://x/?a=b");
        assert!(blocks("servicestatus {\n\thost_name=db1\n").is_err());
    }
}
