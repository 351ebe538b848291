//! Notifications through the terminal: they reach a person over SSH, where no desktop bus
//! is. The bell works everywhere; OSC 9 (iTerm2, WezTerm, Windows Terminal), OSC 777
//! (VTE terminals, foot, WezTerm) and OSC 99 (kitty) show a real notification. Inside tmux
//! they are wrapped for passthrough (tmux needs `allow-passthrough on` to forward them).

use super::Message;
use super::TerminalNotify;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Bell,
    Osc9,
    Osc777,
    Osc99,
}

/// `auto`: what the terminal says of itself in its environment (some of which SSH
/// forwards: LC_TERMINAL), the bell when unsure.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Mode {
    let has = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let program = env("TERM_PROGRAM").or_else(|| env("LC_TERMINAL")).unwrap_or_default().to_lowercase();
    let term = env("TERM").unwrap_or_default();
    if has("KITTY_WINDOW_ID") || term == "xterm-kitty" {
        Mode::Osc99
    } else if program.contains("iterm") || has("WT_SESSION") || program.contains("ghostty") {
        Mode::Osc9
    } else if program.contains("wezterm") || has("VTE_VERSION") || term.starts_with("foot") {
        Mode::Osc777
    } else {
        Mode::Bell
    }
}

/// Text inside an OSC must not end it early: no ESC, BEL, controls or `;` (a separator).
fn clean(s: &str) -> String {
    crate::sanitize::sanitize_line(s).replace(';', ",")
}

/// The exact bytes for one notification.
pub fn sequence(mode: Mode, in_tmux: bool, title: &str, body: &str) -> String {
    let (title, body) = (clean(title), clean(body));
    let seq = match mode {
        Mode::Off => return String::new(),
        // The bell is no escape sequence: tmux passes it on (and marks the window) as it is.
        Mode::Bell => return "\x07".into(),
        Mode::Osc9 => format!("\x1b]9;{title}: {body}\x07"),
        Mode::Osc777 => format!("\x1b]777;notify;{title};{body}\x07"),
        Mode::Osc99 => format!("\x1b]99;i=klaxon:d=0;{title}\x1b\\\x1b]99;i=klaxon:d=1:p=body;{body}\x1b\\"),
    };
    if in_tmux {
        // DCS passthrough: every ESC inside doubled.
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    }
}

pub struct TerminalNotifier {
    mode: Mode,
    in_tmux: bool,
}

impl TerminalNotifier {
    pub fn new(setting: TerminalNotify, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mode = match setting {
            TerminalNotify::Off => Mode::Off,
            TerminalNotify::Bell => Mode::Bell,
            TerminalNotify::Osc9 => Mode::Osc9,
            TerminalNotify::Osc777 => Mode::Osc777,
            TerminalNotify::Osc99 => Mode::Osc99,
            TerminalNotify::Auto => detect(env),
        };
        TerminalNotifier { mode, in_tmux: env("TMUX").is_some_and(|v| !v.is_empty()) }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Writes to the controlling terminal (not stdout, which `watch` may be piping).
    pub fn send(&self, m: &Message) -> Result<(), String> {
        if self.mode == Mode::Off {
            return Ok(());
        }
        let mut tty =
            std::fs::OpenOptions::new().write(true).open("/dev/tty").map_err(|e| format!("no terminal: {e}"))?;
        self.write_to(&mut tty, m).map_err(|e| e.to_string())
    }

    pub fn write_to(&self, out: &mut dyn Write, m: &Message) -> std::io::Result<()> {
        out.write_all(sequence(self.mode, self.in_tmux, &m.title, &m.body).as_bytes())?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn exact_sequences_outside_tmux() {
        assert_eq!(sequence(Mode::Bell, false, "t", "b"), "\x07");
        assert_eq!(sequence(Mode::Osc9, false, "DIS disk full", "prod/1"), "\x1b]9;DIS disk full: prod/1\x07");
        assert_eq!(sequence(Mode::Osc777, false, "DIS x", "prod/1"), "\x1b]777;notify;DIS x;prod/1\x07");
        assert_eq!(
            sequence(Mode::Osc99, false, "DIS x", "prod/1"),
            "\x1b]99;i=klaxon:d=0;DIS x\x1b\\\x1b]99;i=klaxon:d=1:p=body;prod/1\x1b\\"
        );
        assert_eq!(sequence(Mode::Off, false, "t", "b"), "");
    }

    #[test]
    fn exact_sequences_inside_tmux() {
        assert_eq!(sequence(Mode::Bell, true, "t", "b"), "\x07");
        assert_eq!(sequence(Mode::Osc9, true, "t", "b"), "\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\");
        assert_eq!(sequence(Mode::Osc777, true, "t", "b"), "\x1bPtmux;\x1b\x1b]777;notify;t;b\x07\x1b\\");
        assert_eq!(
            sequence(Mode::Osc99, true, "t", "b"),
            "\x1bPtmux;\x1b\x1b]99;i=klaxon:d=0;t\x1b\x1b\\\x1b\x1b]99;i=klaxon:d=1:p=body;b\x1b\x1b\\\x1b\\"
        );
    }

    #[test]
    fn hostile_text_cannot_end_the_sequence_early() {
        let s = sequence(Mode::Osc777, false, "a\x07b;c\x1b]0;x", "\u{9c}d\x1b\\");
        assert_eq!(s, "\x1b]777;notify;ab,c]0,x;d\\\x07");
    }

    #[test]
    fn auto_detects_from_the_environment() {
        assert_eq!(detect(&env(&[("KITTY_WINDOW_ID", "1")])), Mode::Osc99);
        assert_eq!(detect(&env(&[("TERM_PROGRAM", "iTerm.app")])), Mode::Osc9);
        assert_eq!(detect(&env(&[("LC_TERMINAL", "iTerm2")])), Mode::Osc9, "forwarded by ssh");
        assert_eq!(detect(&env(&[("VTE_VERSION", "7006")])), Mode::Osc777);
        assert_eq!(detect(&env(&[("TERM", "screen-256color")])), Mode::Bell);
        let n = TerminalNotifier::new(
            TerminalNotify::Auto,
            &env(&[("TMUX", "/tmp/tmux-0/default,1,0"), ("WT_SESSION", "x")]),
        );
        let mut out = Vec::new();
        n.write_to(&mut out, &Message { title: "t".into(), body: "b".into(), severity: Severity::High }).unwrap();
        assert_eq!(out, b"\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\");
    }
}
