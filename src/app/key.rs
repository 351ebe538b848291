//! A key press as the app sees it: no terminal library here, the runtime translates.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A printable character; shifted letters arrive as upper case.
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false, alt: false }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: true, alt: false }
    }
}

const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("space", KeyCode::Char(' ')),
];

const ALIASES: &[(&str, &str)] = &[
    ("return", "enter"),
    ("escape", "esc"),
    ("pageup", "pgup"),
    ("pagedown", "pgdn"),
    ("shift-tab", "backtab"),
    ("del", "delete"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown key {0:?}: write a character (\"a\", \"G\"), a name (enter, esc, tab, backtab, backspace, delete, up, down, left, right, pgup, pgdn, home, end, space, f1-f12), with optional ctrl- or alt-"
)]
pub struct UnknownKey(pub String);

impl FromStr for Key {
    type Err = UnknownKey;

    /// `"j"`, `"G"`, `"ctrl-c"`, `"alt-enter"`, `"pgdn"`, `"f1"`, `"space"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnknownKey(s.to_owned());
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").or_else(|| rest.strip_prefix("C-")) {
                (ctrl, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix("alt-").or_else(|| rest.strip_prefix("M-")) {
                (alt, rest) = (true, r);
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                let name = ALIASES.iter().find(|(a, _)| *a == lower).map_or(lower.as_str(), |(_, n)| n);
                if let Some((_, code)) = NAMES.iter().find(|(n, _)| *n == name) {
                    *code
                } else if let Some(n) =
                    name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()).filter(|n| (1..=12).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(err());
                }
            }
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => f.write_str(NAMES.iter().find(|(_, c)| *c == code).map_or("?", |(n, _)| n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for s in ["j", "G", "ctrl-c", "alt-enter", "pgdn", "f5", "space", "?", "/", "backtab", "ctrl-alt-x"] {
            let k: Key = s.parse().unwrap();
            assert_eq!(k.to_string(), s);
        }
        assert_eq!("PageDown".parse::<Key>().unwrap(), Key::plain(KeyCode::PageDown));
        assert_eq!("shift-tab".parse::<Key>().unwrap(), Key::plain(KeyCode::BackTab));
        assert_eq!("ctrl-C".parse::<Key>().unwrap(), Key::ctrl('c'));
        assert!("ctrl-".parse::<Key>().is_err());
        assert!("jj".parse::<Key>().is_err());
        assert!("f13".parse::<Key>().is_err());
    }
}
