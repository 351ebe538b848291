//! A real PostgreSQL from Debian's packages (`postgresql`), initialised in a temp dir and
//! listening on a free loopback port. PostgreSQL refuses to run as root, so under root
//! (CI containers) it runs as `nobody` through setpriv.

use super::require;
use super::servers::{eventually, free_port};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Postgres {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    nobody: bool,
    extra: Vec<String>,
}

/// The newest installed server's bin dir, e.g. /usr/lib/postgresql/15/bin.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|d| d.ok().map(|d| d.path().join("bin")))
        .filter(|d| d.join("postgres").exists())
        .collect();
    dirs.sort_by_key(|d| d.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0));
    dirs.pop()
}

impl Postgres {
    /// Starts a fresh cluster with a database `klaxon`, trusting local connections.
    pub fn start() -> Option<Postgres> {
        Self::start_with(&[])
    }

    /// `extra`: more `-c name=value` server settings (written to postgresql.conf).
    pub fn start_with(extra: &[&str]) -> Option<Postgres> {
        let bin = match bin_dir() {
            Some(b) => b,
            None => {
                require("/usr/lib/postgresql/<version>/bin/postgres", "postgresql")?;
                return None;
            }
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let nobody = running_as_root();
        let mut pg = Postgres {
            port: free_port(),
            bin,
            dir,
            child: None,
            nobody,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        pg.give_to_nobody(pg.dir.path());
        let out = pg
            .command("initdb")
            .args(["-D", &pg.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])
            .output()
            .expect("initdb runs");
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        pg.run();
        pg.psql_db("postgres", "CREATE DATABASE klaxon");
        Some(pg)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Files the server reads (TLS keys) must belong to the user it runs as.
    pub fn give_to_nobody(&self, path: &Path) {
        if self.nobody {
            std::os::unix::fs::chown(path, Some(65534), Some(65534)).expect("chown to nobody");
        }
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&mut self) {
        let sock = self.dir.path().display().to_string();
        let mut cmd = self.command("postgres");
        cmd.args(["-D", &self.data(), "-p", &self.port.to_string(), "-k", &sock]).args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]);
        for setting in &self.extra {
            cmd.args(["-c", setting]);
        }
        let log = std::fs::File::create(self.dir.path().join("postgres.log")).expect("log file");
        self.child = Some(cmd.stdout(Stdio::null()).stderr(log).spawn().expect("postgres starts"));
        let ready = eventually(Duration::from_secs(30), || {
            self.try_psql("postgres", "SELECT 1").is_ok_and(|o| o.trim() == "1")
        });
        assert!(ready, "postgres did not start: {}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// A connection string for `user` (a role made with `create_user`, or postgres).
    pub fn url(&self, user: &str) -> String {
        format!("postgresql://{user}@127.0.0.1:{}/klaxon?sslmode=disable", self.port)
    }

    /// A person's login role, in the team role `oncall`: whichever console starts first
    /// creates the tables, and what anyone creates is the whole team's (README: team setup).
    pub fn create_user(&self, name: &str) {
        self.psql(
            "DO $$ BEGIN CREATE ROLE oncall; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
             GRANT ALL ON SCHEMA public TO oncall",
        );
        self.psql(&format!(
            "CREATE ROLE {name} LOGIN IN ROLE oncall;
             ALTER DEFAULT PRIVILEGES FOR ROLE {name} IN SCHEMA public GRANT ALL ON TABLES TO oncall;
             ALTER DEFAULT PRIVILEGES FOR ROLE {name} IN SCHEMA public GRANT ALL ON SEQUENCES TO oncall;"
        ));
    }

    /// Fast shutdown, as `pg_ctl stop` does: clients are disconnected, nothing is lost.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    pub fn try_psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", db, "-XAtq", "-c", sql])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn psql_db(&self, db: &str, sql: &str) -> String {
        self.try_psql(db, sql).unwrap_or_else(|e| panic!("psql {sql}: {e}"))
    }

    /// Loads a gzipped SQL file (a schema shipped by a Debian package) into `db`.
    pub fn load_gz(&self, db: &str, path: &Path) {
        let mut zcat = Command::new("zcat").arg(path).stdout(Stdio::piped()).spawn().expect("zcat");
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .args(["-XAtq", "-v", "ON_ERROR_STOP=1"])
            .stdin(zcat.stdout.take().expect("zcat output"))
            .output()
            .expect("psql");
        let _ = zcat.wait();
        assert!(out.status.success(), "loading {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    }

    /// Runs SQL as the superuser in `db`.
    pub fn psql_in(&self, db: &str, sql: &str) -> String {
        self.psql_db(db, sql)
    }

    /// Runs SQL as the superuser in database klaxon; returns the unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_db("klaxon", sql)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn running_as_root() -> bool {
    // The tests have no libc binding; `id -u` says it.
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
