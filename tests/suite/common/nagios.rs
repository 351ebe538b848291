//! A real Nagios Core 4.4 (Debian's `nagios4`), started by the test in a temp dir as the
//! current user with a generated nagios.cfg: passive checks only (the test submits their
//! results through the command FIFO), the status file rewritten every `status_update_interval`.

use super::icinga2::kill_group;
use super::require;
use super::servers::eventually;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const OBJECTS: &str = "
define timeperiod {
  timeperiod_name always
  alias always
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00
}
define command {
  command_name passive
  command_line /bin/true
}
define contact {
  contact_name admin
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands passive
  service_notification_commands passive
}
define host {
  name passive-host
  register 0
  check_command passive
  max_check_attempts 1
  check_period always
  notification_period always
  contacts admin
  active_checks_enabled 0
  passive_checks_enabled 1
}
define service {
  name passive-service
  register 0
  check_command passive
  max_check_attempts 1
  check_interval 1
  retry_interval 1
  check_period always
  notification_period always
  contacts admin
  active_checks_enabled 0
  passive_checks_enabled 1
}
define host {
  use passive-host
  host_name db1
  alias db1 (klaxon test)
  address 127.0.0.1
}
define host {
  use passive-host
  host_name web1
  alias web1
  address 127.0.0.1
}
define service {
  use passive-service
  host_name db1
  service_description disk
  display_name Disk /var
  notes Clean /var/log first
  notes_url https://runbooks.example/disk
  action_url https://grafana.example/d/disk
}
define service {
  use passive-service
  host_name db1
  service_description load
}
";

pub struct Nagios {
    child: Child,
    pub dir: tempfile::TempDir,
    pub status_file: PathBuf,
    pub command_file: PathBuf,
}

impl Drop for Nagios {
    fn drop(&mut self) {
        self.stop();
    }
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Nagios {
    /// Nagios rewriting its status file every `status_every` seconds.
    pub fn start(status_every: u32) -> Option<Nagios> {
        let bin = require("/usr/sbin/nagios4", "nagios4-core")?;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::create_dir_all(dir.path().join("checkresults")).unwrap();
        std::fs::write(dir.path().join("objects.cfg"), OBJECTS).unwrap();
        let config = dir.path().join("nagios.cfg");
        std::fs::write(
            &config,
            format!(
                "log_file={d}/nagios.log\ncfg_file={d}/objects.cfg\nobject_cache_file={d}/objects.cache\n\
                 precached_object_file={d}/objects.precache\nstatus_file={d}/status.dat\n\
                 status_update_interval={status_every}\nnagios_user={}\nnagios_group={}\n\
                 check_external_commands=1\ncommand_file={d}/nagios.cmd\nquery_socket={d}/nagios.qh\n\
                 lock_file={d}/nagios.pid\ntemp_file={d}/nagios.tmp\ntemp_path={d}\n\
                 check_result_path={d}/checkresults\nretain_state_information=0\n\
                 state_retention_file={d}/retention.dat\nuse_syslog=0\nenable_notifications=0\n\
                 check_for_updates=0\naccept_passive_service_checks=1\naccept_passive_host_checks=1\n\
                 log_passive_checks=1\nlog_external_commands=1\ninterval_length=60\n\
                 illegal_macro_output_chars=`~$&|'\"<>\n",
                id("-un"),
                id("-gn")
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg(&config)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start nagios4");
        let status_file = dir.path().join("status.dat");
        let command_file = dir.path().join("nagios.cmd");
        let nagios = Nagios { child, dir, status_file, command_file };
        let ready = eventually(Duration::from_secs(30), || nagios.status_file.exists() && nagios.command_file.exists());
        assert!(ready, "nagios4 did not start:\n{}", nagios.log());
        Some(nagios)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nagios.log")).unwrap_or_default()
    }

    /// Writes external commands to the FIFO, as an operator's script would.
    pub fn submit(&self, lines: &[String]) {
        let now = chrono::Utc::now().timestamp();
        let text: String = lines.iter().map(|l| format!("[{now}] {l}\n")).collect();
        let mut fifo = std::fs::OpenOptions::new().write(true).open(&self.command_file).unwrap();
        fifo.write_all(text.as_bytes()).unwrap();
    }

    /// A passive check result for `host!service` or `host`, and waits for the status file to show it.
    pub fn set_state(&self, object: &str, code: u8, output: &str) {
        let line = match object.split_once('!') {
            Some((h, s)) => format!("PROCESS_SERVICE_CHECK_RESULT;{h};{s};{code};{output}"),
            None => format!("PROCESS_HOST_CHECK_RESULT;{object};{code};{output}"),
        };
        self.submit(&[line]);
        let shown = eventually(Duration::from_secs(30), || {
            self.status(object).is_some_and(|s| s["current_state"] == code.to_string())
        });
        assert!(shown, "{object} reached state {code}:\n{}", self.log());
    }

    /// The blocks of the status file now, each as (kind, fields).
    pub fn blocks(&self) -> Vec<(String, BTreeMap<String, String>)> {
        let text = std::fs::read_to_string(&self.status_file).unwrap();
        let mut out = Vec::new();
        let mut open: Option<(String, BTreeMap<String, String>)> = None;
        for line in text.lines().map(str::trim) {
            if let Some(kind) = line.strip_suffix(" {") {
                open = Some((kind.to_owned(), BTreeMap::new()));
            } else if line == "}" {
                out.extend(open.take());
            } else if let (Some((_, fields)), Some((k, v))) = (&mut open, line.split_once('=')) {
                fields.insert(k.to_owned(), v.to_owned());
            }
        }
        out
    }

    fn matches(fields: &BTreeMap<String, String>, object: &str) -> bool {
        let (h, s) = object.split_once('!').unwrap_or((object, ""));
        fields.get("host_name").map(String::as_str) == Some(h)
            && fields.get("service_description").map_or("", String::as_str) == s
    }

    /// The status block of `host!service` or `host`.
    pub fn status(&self, object: &str) -> Option<BTreeMap<String, String>> {
        let kind = if object.contains('!') { "servicestatus" } else { "hoststatus" };
        self.blocks().into_iter().find(|(k, f)| k == kind && Self::matches(f, object)).map(|(_, f)| f)
    }

    /// The comments on `host!service` or `host`.
    pub fn comments(&self, object: &str) -> Vec<BTreeMap<String, String>> {
        let kind = if object.contains('!') { "servicecomment" } else { "hostcomment" };
        self.blocks().into_iter().filter(|(k, f)| k == kind && Self::matches(f, object)).map(|(_, f)| f).collect()
    }

    /// Waits (bounded) until the status file satisfies `check`.
    pub fn wait(&self, what: &str, check: impl Fn(&Nagios) -> bool) {
        assert!(eventually(Duration::from_secs(30), || check(self)), "{what}:\n{}", self.log());
    }

    /// Nagios dies at once (SIGKILL), with its workers and its command file reader (each in
    /// a process group of its own, so found by parent): status.dat and the FIFO stay behind,
    /// with nobody reading the FIFO.
    pub fn crash(&mut self) {
        let main = self.child.id();
        let children: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // "pid (comm) state ppid …": the fields after the last ')'.
                let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
                after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(main)
            })
            .collect();
        kill_group(&mut self.child);
        for pid in children.iter().filter_map(|p| rustix::process::Pid::from_raw(*p)) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            eventually(Duration::from_secs(10), || rustix::process::test_kill_process(pid).is_err());
        }
    }

    /// Stops Nagios (the FIFO stays, with nobody reading it). Asked to end, Nagios stops its
    /// workers and the command file reader (each in a process group of its own) before it
    /// exits; killed, it would leave them to notice.
    pub fn stop(&mut self) {
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32)
            && rustix::process::kill_process(pid, rustix::process::Signal::TERM).is_ok()
        {
            eventually(Duration::from_secs(10), || matches!(self.child.try_wait(), Ok(Some(_))));
        }
        kill_group(&mut self.child);
    }
}
