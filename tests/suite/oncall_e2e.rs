//! The real binary in tmux with schedules: the on-call line shows you when you hold the
//! pager, and escalating from the console names who it paged.

use crate::common;

use common::{Sandbox, require};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    tmux: std::path::PathBuf,
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.tmux).arg("-L").arg(&self.socket).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.run(&["capture-pane", "-p"]);
            if check(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited for {what}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn the_header_shows_you_on_call_and_escalation_names_who_was_paged() {
    let Some(tmux) = require("/usr/bin/tmux", "tmux") else { return };
    let sb = Sandbox::new();
    let cfg = sb.write(
        "klaxon.toml",
        "[store]\npath = \"k.db\"\n\n[[sources]]\nname = \"demo\"\nkind = \"demo\"\ninterval = \"2s\"\n\n\
         [[schedules]]\nname = \"primary\"\nkind = \"rotation\"\nparticipants = [\"tester\"]\nstart = \"2026-01-05\"\nshift = \"7d\"\n\n\
         [[schedules]]\nname = \"secondary\"\nkind = \"rotation\"\nlevel = 2\nparticipants = [\"bob\", \"carol\"]\nstart = \"2026-01-05\"\nshift = \"1d\"\n",
    );
    let envs: Vec<String> = sb.envs().iter().map(|(k, v)| format!("{k}='{}'", v.display())).collect();
    let t = Tmux { tmux, socket: format!("klaxon-oncall-e2e-{}", std::process::id()) };
    let cmd = format!("env {} {} --config {}", envs.join(" "), env!("CARGO_BIN_EXE_klaxon"), cfg.display());
    t.run(&["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-e", "TERM=xterm-256color", &cmd]);
    let screen = t.wait_for("the on-call line", |s| s.contains("L1 ▶ tester (you)  L2") && s.contains("key demo/"));
    let header = screen.lines().nth(1).unwrap_or_default();
    assert!(header.contains(" L2 bob ") || header.contains(" L2 carol "), "{screen}");
    t.run(&["send-keys", "e"]);
    t.wait_for("the confirmation", |s| s.contains("Nobody is paged (no pager is"));
    t.run(&["send-keys", "y"]);
    t.wait_for("who is on call, and that nobody was paged", |s| {
        s.contains("to level 1 (stored): on call: tester (primary); nobody was paged")
    });
    t.run(&["send-keys", "q"]);
}
