//! The multi-line note editor: plain text with a cursor, nothing clever.

use super::{Key, KeyCode};
use crate::model::AlertKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotePurpose {
    Note,
    /// Acknowledge, with the text as the ack's note.
    Ack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    pub key: AlertKey,
    pub purpose: NotePurpose,
    pub lines: Vec<String>,
    /// Cursor: line, and character (not byte) within it.
    pub row: usize,
    pub col: usize,
}

/// What a key did to the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    Submit,
    Close,
    Ignored,
}

impl Editor {
    pub fn new(key: AlertKey, purpose: NotePurpose, draft: &str) -> Self {
        let lines: Vec<String> =
            if draft.is_empty() { vec![String::new()] } else { draft.split('\n').map(str::to_owned).collect() };
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        Editor { key, purpose, lines, row, col }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    fn byte_at(&self, col: usize) -> usize {
        self.lines[self.row].char_indices().nth(col).map_or(self.lines[self.row].len(), |(i, _)| i)
    }

    fn line_len(&self) -> usize {
        self.lines[self.row].chars().count()
    }

    pub fn handle(&mut self, key: Key) -> Edit {
        match (key.code, key.ctrl, key.alt) {
            (KeyCode::Char('s'), true, _) | (KeyCode::Enter, _, true) => Edit::Submit,
            (KeyCode::Esc, ..) => Edit::Close,
            (KeyCode::Enter, false, false) => {
                let at = self.byte_at(self.col);
                let rest = self.lines[self.row].split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
                Edit::Changed
            }
            (KeyCode::Backspace, ..) => {
                if self.col > 0 {
                    self.col -= 1;
                    let at = self.byte_at(self.col);
                    self.lines[self.row].remove(at);
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.line_len();
                    self.lines[self.row].push_str(&line);
                } else {
                    return Edit::Ignored;
                }
                Edit::Changed
            }
            (KeyCode::Delete, ..) => {
                if self.col < self.line_len() {
                    let at = self.byte_at(self.col);
                    self.lines[self.row].remove(at);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                } else {
                    return Edit::Ignored;
                }
                Edit::Changed
            }
            (KeyCode::Left, ..) => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
                Edit::Moved
            }
            (KeyCode::Right, ..) => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
                Edit::Moved
            }
            (KeyCode::Up, ..) => {
                self.row = self.row.saturating_sub(1);
                self.col = self.col.min(self.line_len());
                Edit::Moved
            }
            (KeyCode::Down, ..) => {
                self.row = (self.row + 1).min(self.lines.len() - 1);
                self.col = self.col.min(self.line_len());
                Edit::Moved
            }
            (KeyCode::Home, ..) | (KeyCode::Char('a'), true, _) => {
                self.col = 0;
                Edit::Moved
            }
            (KeyCode::End, ..) | (KeyCode::Char('e'), true, _) => {
                self.col = self.line_len();
                Edit::Moved
            }
            (KeyCode::Tab, ..) => self.insert("    "),
            (KeyCode::Char(c), false, false) => self.insert(&c.to_string()),
            _ => Edit::Ignored,
        }
    }

    /// Inserts pasted or typed text at the cursor; it is sanitized first.
    pub fn insert(&mut self, text: &str) -> Edit {
        let clean = crate::sanitize::sanitize(text);
        for (i, part) in clean.split('\n').enumerate() {
            if i > 0 {
                let at = self.byte_at(self.col);
                let rest = self.lines[self.row].split_off(at);
                self.lines.insert(self.row + 1, rest);
                self.row += 1;
                self.col = 0;
            }
            let at = self.byte_at(self.col);
            self.lines[self.row].insert_str(at, part);
            self.col += part.chars().count();
        }
        Edit::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut Editor, s: &str) {
        for c in s.chars() {
            e.handle(if c == '\n' { Key::plain(KeyCode::Enter) } else { Key::ch(c) });
        }
    }

    #[test]
    fn types_multiple_lines_and_edits_in_the_middle() {
        let mut e = Editor::new(AlertKey::new("s", "1"), NotePurpose::Note, "");
        typed(&mut e, "rolled back\ndeploy 2.14");
        assert_eq!(e.text(), "rolled back\ndeploy 2.14");
        e.handle(Key::plain(KeyCode::Up));
        e.handle(Key::plain(KeyCode::Home));
        typed(&mut e, "we ");
        e.handle(Key::plain(KeyCode::Down));
        e.handle(Key::plain(KeyCode::End));
        e.handle(Key::plain(KeyCode::Backspace));
        assert_eq!(e.text(), "we rolled back\ndeploy 2.1");
        e.handle(Key::plain(KeyCode::Home));
        e.handle(Key::plain(KeyCode::Backspace));
        assert_eq!(e.text(), "we rolled backdeploy 2.1");
        assert_eq!(e.handle(Key::ctrl('s')), Edit::Submit);
        assert_eq!(e.handle(Key::plain(KeyCode::Esc)), Edit::Close);
    }

    #[test]
    fn multibyte_text_and_restored_drafts() {
        let mut e = Editor::new(AlertKey::new("s", "1"), NotePurpose::Note, "Grüße\nñ");
        assert_eq!((e.row, e.col), (1, 1));
        e.handle(Key::plain(KeyCode::Left));
        typed(&mut e, "日本");
        assert_eq!(e.text(), "Grüße\n日本ñ");
        e.insert("pasted\x1b[2J\r\nline");
        assert_eq!(e.text(), "Grüße\n日本pasted[2J\nlineñ");
    }
}
