//! The live keymap: which key runs which action, and what the help overlay says about each.
//! Keymap files are read and parsed by [`crate::config::keymap`]; here they are laid over
//! each other. Any keymap but the default is an overlay: each key it names is taken from
//! whatever it was bound to and given to the entry's action (or unbound with `run =
//! "none"`); every other key of the default stays where it was.

use super::{Action, Key};
use crate::config::ConfigError;
use crate::config::keymap::{self as file, Entry};
use std::collections::HashMap;
use std::path::Path;

/// An action, the keys that run it (in the order the files give them) and its help text.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub desc: String,
}

/// Every action once, in the default file's order, with a key → action lookup.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
    lookup: HashMap<Key, Action>,
}

/// One keymap file's entries, in this console's keys and actions.
fn parse(text: &str, file: &str) -> Result<Vec<Entry<Key, Action>>, ConfigError> {
    file::parse(text, file)
}

impl Keymap {
    /// The keymap `[ui] keymap = name` selects: the built-in default, with the named keymap
    /// laid over it (`<user_keymaps_dir>/<name>.toml` if it exists, else the bundled one).
    /// For `"default"`, `<user_keymaps_dir>/default.toml`, if it exists, is laid over it.
    pub fn load(name: &str, user_keymaps_dir: &Path) -> Result<Keymap, ConfigError> {
        let mut keymap = Keymap::builtin_default();
        if let Some((text, file)) = file::overlay(name, user_keymaps_dir)? {
            keymap.lay_over(parse(&text, &file)?);
        }
        Ok(keymap)
    }

    /// The keymap built into the binary; reads nothing from disk.
    pub fn builtin_default() -> Keymap {
        let entries = parse(file::DEFAULT_TOML, file::DEFAULT_FILE)
            .unwrap_or_else(|e| panic!("the embedded default keymap is broken: {e}"));
        // One binding per action: the default file's order, then any action it leaves out.
        let mut order: Vec<Action> = Vec::with_capacity(Action::ALL.len());
        for action in entries.iter().filter_map(|e| e.run).chain(Action::ALL.iter().copied()) {
            if !order.contains(&action) {
                order.push(action);
            }
        }
        let bindings =
            order.into_iter().map(|action| Binding { keys: Vec::new(), action, desc: action.description().into() });
        let mut keymap = Keymap { bindings: bindings.collect(), lookup: HashMap::new() };
        keymap.lay_over(entries);
        keymap
    }

    pub fn action_for(&self, key: &Key) -> Option<Action> {
        self.lookup.get(key).copied()
    }

    /// The keys that run `action`, in the order the keymap files give them.
    pub fn keys_for(&self, action: Action) -> &[Key] {
        self.bindings.iter().find(|b| b.action == action).map_or(&[], |b| &b.keys)
    }

    /// Every action once, unbound ones included, in the default file's order: for the help overlay.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// "j/down" style label of an action's keys for the status bar; "" when unbound.
    /// When one of the keys is `/` itself, the keys are separated by ", " instead.
    pub fn label(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys_for(action).iter().map(Key::to_string).collect();
        let sep = if keys.iter().any(|k| k == "/") { ", " } else { "/" };
        keys.join(sep)
    }

    /// Moves each key of each entry to the entry's action (or unbinds it); the entry's
    /// `desc`, if any, becomes its action's.
    fn lay_over(&mut self, entries: Vec<Entry<Key, Action>>) {
        for entry in entries {
            for key in entry.keys {
                if let Some(old) = self.lookup.remove(&key) {
                    self.binding_mut(old).keys.retain(|k| *k != key);
                }
                if let Some(action) = entry.run {
                    self.binding_mut(action).keys.push(key);
                    self.lookup.insert(key, action);
                }
            }
            if let (Some(action), Some(desc)) = (entry.run, entry.desc) {
                self.binding_mut(action).desc = desc;
            }
        }
    }

    fn binding_mut(&mut self, action: Action) -> &mut Binding {
        // `builtin_default` gives every action a binding and none is ever removed.
        self.bindings.iter_mut().find(|b| b.action == action).expect("every action has a binding")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::KeyCode;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    fn keys(list: &[&str]) -> Vec<Key> {
        list.iter().map(|s| key(s)).collect()
    }

    fn err(text: &str) -> ConfigError {
        parse(text, "k.toml").expect_err("should not parse")
    }

    fn user_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn default_binds_every_action_and_every_key_once() {
        let km = Keymap::builtin_default();
        assert_eq!(km.bindings().len(), Action::ALL.len());
        for action in Action::ALL {
            assert!(!km.keys_for(*action).is_empty(), "{action} is not bound in keymaps/default.toml");
        }
        let mut all: Vec<Key> = km.bindings().iter().flat_map(|b| b.keys.iter().copied()).collect();
        let count = all.len();
        all.sort_by_key(|k| k.to_string());
        all.dedup();
        assert_eq!(all.len(), count, "a key is bound twice");
        assert_eq!(km.lookup.len(), count);
        // The file's order, and the file's descriptions.
        assert_eq!(km.bindings()[0].action, Action::MoveDown);
        assert_eq!(km.bindings().last().map(|b| b.action), Some(Action::Quit));
        for b in km.bindings() {
            assert_eq!(b.desc, b.action.description(), "{}", b.action);
        }
        // The default file parses the same way `load` reads it.
        let loaded = Keymap::load("default", user_dir(&[]).path()).unwrap();
        assert_eq!(loaded.bindings(), km.bindings());
    }

    #[test]
    fn looks_up_keys() {
        let km = Keymap::builtin_default();
        assert_eq!(km.action_for(&key("j")), Some(Action::MoveDown));
        assert_eq!(km.action_for(&Key::plain(KeyCode::Down)), Some(Action::MoveDown));
        assert_eq!(km.action_for(&key("G")), Some(Action::Bottom));
        assert_eq!(km.action_for(&key("g")), Some(Action::Top));
        assert_eq!(km.action_for(&key("A")), Some(Action::Unack));
        assert_eq!(km.action_for(&Key::ctrl('a')), Some(Action::AckWithNote));
        assert_eq!(km.action_for(&Key::ctrl('c')), Some(Action::Quit));
        assert_eq!(km.action_for(&key("backtab")), Some(Action::PrevPane));
        assert_eq!(km.action_for(&key("?")), Some(Action::Help));
        assert_eq!(km.action_for(&key("x")), None);
        assert_eq!(km.action_for(&key("alt-j")), None);
        assert_eq!(km.keys_for(Action::PageDown), keys(&["pgdn", "ctrl-d"]));
    }

    #[test]
    fn emacs_is_laid_over_the_default() {
        let km = Keymap::load("emacs", user_dir(&[]).path()).unwrap();
        assert_eq!(km.action_for(&key("j")), Some(Action::MoveDown));
        assert_eq!(km.action_for(&key("ctrl-n")), Some(Action::MoveDown));
        assert_eq!(km.keys_for(Action::MoveDown), keys(&["j", "down", "ctrl-n"]));
        assert_eq!(km.action_for(&key("alt-<")), Some(Action::Top));
        assert_eq!(km.action_for(&key("alt->")), Some(Action::Bottom));
        assert_eq!(km.action_for(&key("ctrl-s")), Some(Action::Filter));
        assert_eq!(km.action_for(&key("/")), Some(Action::Filter));
        assert_eq!(km.action_for(&key("ctrl-g")), Some(Action::ClearFilter));
        // Descriptions left out of the overlay stay the default's; the order stays the default's.
        assert_eq!(km.bindings()[0].desc, "Move down");
        let order: Vec<_> = km.bindings().iter().map(|b| b.action).collect();
        let default: Vec<_> = Keymap::builtin_default().bindings().iter().map(|b| b.action).collect();
        assert_eq!(order, default);
    }

    #[test]
    fn user_default_rebinds_and_unbinds() {
        let dir = user_dir(&[(
            "default.toml",
            "[[keys]]\non = \"a\"\nrun = \"note\"\ndesc = \"Scribble\"\n\n[[keys]]\non = [\"q\"]\nrun = \"none\"\n",
        )]);
        let km = Keymap::load("default", dir.path()).unwrap();
        assert_eq!(km.action_for(&key("a")), Some(Action::Note));
        assert_eq!(km.action_for(&key("n")), Some(Action::Note));
        assert_eq!(km.keys_for(Action::Note), keys(&["n", "a"]));
        assert!(km.keys_for(Action::Ack).is_empty());
        assert_eq!(km.label(Action::Ack), "");
        assert_eq!(km.action_for(&key("q")), None);
        assert_eq!(km.action_for(&key("ctrl-c")), Some(Action::Quit));
        assert_eq!(km.keys_for(Action::Quit), keys(&["ctrl-c"]));
        // The last description given wins; unbound actions keep their place.
        let note = km.bindings().iter().find(|b| b.action == Action::Note).unwrap();
        assert_eq!(note.desc, "Scribble");
        assert_eq!(km.bindings().len(), Action::ALL.len());

        // The user's default.toml is only for "default": another keymap starts from the built-in one.
        let km = Keymap::load("emacs", dir.path()).unwrap();
        assert_eq!(km.action_for(&key("a")), Some(Action::Ack));
    }

    #[test]
    fn a_user_keymap_comes_before_a_bundled_one() {
        let dir = user_dir(&[
            ("emacs.toml", "[[keys]]\non = \"ctrl-n\"\nrun = \"note\"\n"),
            ("mine.toml", "keys = [{ on = \"x\", run = \"escalate\" }]\n"),
        ]);
        let km = Keymap::load("emacs", dir.path()).unwrap();
        assert_eq!(km.action_for(&key("ctrl-n")), Some(Action::Note));
        assert_eq!(km.action_for(&key("ctrl-p")), None);
        let km = Keymap::load("mine", dir.path()).unwrap();
        assert_eq!(km.keys_for(Action::Escalate), keys(&["e", "x"]));
    }

    #[test]
    fn unknown_action_names_line_key_and_the_actions() {
        let e = err("[[keys]]\non = \"a\"\nrun = \"ack\"\n\n[[keys]]\non = \"b\"\nrun = \"ackk\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(7), Some("keys[1].run")), "{e}");
        assert!(e.message.contains("\"ackk\"") && e.message.contains("ack-note"), "{e}");
        assert!(e.message.contains("\"none\""), "{e}");
        assert!(e.to_string().starts_with("k.toml:7: key `keys[1].run`: unknown action"), "{e}");
    }

    #[test]
    fn unknown_key_name_names_its_line() {
        let e = err("[[keys]]\non = [\n  \"j\",\n  \"ctrl-q-x\",\n]\nrun = \"move-down\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("keys[0].on")), "{e}");
        assert!(e.message.contains("unknown key \"ctrl-q-x\""), "{e}");
    }

    #[test]
    fn a_key_bound_twice_in_one_file_names_both_lines() {
        let mut text = String::from("# header\n\n");
        text.push_str("[[keys]]\non = [\"x\", \"a\"]\nrun = \"ack\"\n\n");
        text.push_str("[[keys]]\non = \"y\"\nrun = \"escalate\"\n\n");
        text.push_str("[[keys]]\non = [\"n\", \"a\"]\nrun = \"note\"\n");
        let e = err(&text);
        assert_eq!((e.line, e.key.as_deref()), (Some(12), Some("keys[2].on")), "{e}");
        assert_eq!(e.message, "key `a` is bound twice: line 4 (ack) and line 12 (note)");
        // Spelt differently, still the same key; unbinding counts too.
        let e = err("[[keys]]\non = \"pgdn\"\nrun = \"none\"\n[[keys]]\non = \"PageDown\"\nrun = \"top\"\n");
        assert_eq!(e.message, "key `pgdn` is bound twice: line 2 (none) and line 5 (top)", "{e}");
    }

    #[test]
    fn unknown_fields_name_their_line() {
        let e = err("[[keys]]\non = \"a\"\nrun = \"ack\"\ndescr = \"Ack it\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("keys[0].descr")), "{e}");
        assert!(e.message.contains("unknown field `descr`") && e.message.contains("`desc`"), "{e}");
        let e = err("[[keys]]\non = \"a\"\nrun = \"ack\"\n\n[bindings]\nx = 1\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("bindings")), "{e}");
    }

    #[test]
    fn other_malformed_entries_are_located() {
        let e = err("[[keys]]\non = \"a\"\nrun = \"ack\"\n\n[[keys]]\non = \"b\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(5), Some("keys[1].run")), "{e}");
        assert!(e.message.contains("missing field `run`"), "{e}");
        let e = err("[[keys]]\nrun = \"ack\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("keys[0].on")), "{e}");
        let e = err("[[keys]]\non = 3\nrun = \"ack\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("keys[0].on")), "{e}");
        let e = err("[[keys]]\non = \"a\"\nrun = \"ack\"\ndesc = 1\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(4), Some("keys[0].desc")), "{e}");
        let e = err("keys = 1\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("keys")), "{e}");
        let e = err("[[keys]]\non = \"a\"\nrun = \n");
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn errors_in_a_user_file_name_that_file() {
        let dir = user_dir(&[("default.toml", "[[keys]]\non = \"a\"\nrun = \"ackk\"\n")]);
        let e = Keymap::load("default", dir.path()).unwrap_err();
        assert_eq!(e.file, dir.path().join("default.toml").display().to_string());
        assert_eq!((e.line, e.key.as_deref()), (Some(3), Some("keys[0].run")), "{e}");
    }

    #[test]
    fn unknown_keymap_lists_the_available_ones() {
        let dir = user_dir(&[("mine.toml", ""), ("notes.txt", "")]);
        let e = Keymap::load("emcas", dir.path()).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("ui.keymap"), "{e}");
        assert_eq!(e.file, dir.path().join("emcas.toml").display().to_string());
        assert!(e.message.contains("\"emcas\"") && e.message.contains("default, emacs, mine ("), "{e}");
        // A path is not a keymap name.
        let sub = dir.path().join("keymaps");
        std::fs::create_dir(&sub).unwrap();
        assert!(sub.join("../mine.toml").exists());
        let e = Keymap::load("../mine", &sub).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("ui.keymap"), "{e}");
        // An empty user keymap changes nothing.
        let km = Keymap::load("mine", dir.path()).unwrap();
        assert_eq!(km.bindings(), Keymap::builtin_default().bindings());
    }

    #[test]
    fn labels() {
        let km = Keymap::builtin_default();
        assert_eq!(km.label(Action::MoveDown), "j/down");
        assert_eq!(km.label(Action::Quit), "q/ctrl-c");
        assert_eq!(km.label(Action::Ack), "a");
        assert_eq!(km.label(Action::Filter), "/");
        let km = Keymap::load("emacs", user_dir(&[]).path()).unwrap();
        assert_eq!(km.label(Action::Filter), "/, ctrl-s");
        assert_eq!(km.label(Action::Top), "g/home/alt-<");
    }
}
