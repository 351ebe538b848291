//! The `:` command palette: every action, fuzzy-matched by name and description; and a few
//! commands that take an argument (`:sort newest`, `:group service`, `:filter sev>=high`,
//! `:theme light`).

use super::Action;
use super::state::{Group, Sort};
use crate::model::filter::Filter;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// Actions matching `query`, best first; all of them, in order, for an empty query.
pub fn matches(query: &str) -> Vec<Action> {
    if query.trim().is_empty() {
        return Action::ALL.to_vec();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut score = |text: &str| pattern.score(Utf32Str::new(text, &mut buf), &mut matcher);
    // A hit in the action's name outweighs one in its description.
    let mut scored: Vec<(Action, u32)> = Action::ALL
        .iter()
        .filter_map(|a| {
            let best = score(a.name()).map(|s| s * 2).max(score(a.description()))?;
            Some((*a, best))
        })
        .collect();
    scored.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
    scored.into_iter().map(|(a, _)| a).collect()
}

/// A palette line that names a command and its argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Sort(Sort),
    Group(Group),
    Filter(String),
    Theme(String),
}

/// The commands that take an argument, what they do, and the arguments they take (None:
/// any text).
pub const COMMANDS: &[(&str, &str, Option<&[&str]>)] = &[
    ("sort", "Sort the list by", Some(&["rank", "newest", "oldest", "source"])),
    ("group", "Group the list by", Some(&["none", "alertname", "service", "source"])),
    ("filter", "Filter the list (empty: clear)", None),
    ("theme", "Switch the theme for this session", None),
];

/// What a command's argument may be, for the palette to show: its choices, or the bundled
/// themes (a user's own theme is found by name too).
pub fn choices(word: &str) -> Vec<&'static str> {
    match COMMANDS.iter().find(|(name, ..)| *name == word) {
        Some((_, _, Some(list))) => list.to_vec(),
        Some(("theme", ..)) => crate::config::theme::Theme::builtin_names().to_vec(),
        _ => Vec::new(),
    }
}

/// `sort newest` and the like: Some when the first word names a command and a space follows
/// it (then the rest is its argument, checked); None for a plain action search.
pub fn command(input: &str) -> Option<Result<Command, String>> {
    let (word, arg) = input.trim_start().split_once(' ')?;
    let (_, _, options) = COMMANDS.iter().find(|(name, ..)| *name == word)?;
    let arg = arg.trim();
    let pick = |options: &[&str]| -> Result<usize, String> {
        options.iter().position(|o| *o == arg).ok_or_else(|| format!("{word} takes {}", options.join(", ")))
    };
    Some(match word {
        "sort" => pick(options.unwrap_or_default()).map(|i| Command::Sort(cycle(Sort::Rank, Sort::next)[i])),
        "group" => pick(options.unwrap_or_default()).map(|i| Command::Group(cycle(Group::None, Group::next)[i])),
        "filter" => Filter::parse(arg).map(|_| Command::Filter(arg.to_owned())),
        // User themes live in the config dir: the runtime looks the name up.
        _ if arg.is_empty() => Err(format!("theme takes a name: {}", choices("theme").join(", "))),
        _ => Ok(Command::Theme(arg.to_owned())),
    })
}

/// Every value of a cycling setting, in its cycle's order.
fn cycle<T: Copy + PartialEq>(first: T, next: fn(T) -> T) -> Vec<T> {
    std::iter::successors(Some(first), |v| Some(next(*v)).filter(|n| *n != first)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_take_their_arguments() {
        assert_eq!(command("sort newest"), Some(Ok(Command::Sort(Sort::Newest))));
        assert_eq!(command("group service"), Some(Ok(Command::Group(Group::Service))));
        assert_eq!(command("filter severity>=high"), Some(Ok(Command::Filter("severity>=high".into()))));
        assert_eq!(command("filter "), Some(Ok(Command::Filter(String::new()))), "clears");
        assert_eq!(command("theme light"), Some(Ok(Command::Theme("light".into()))));
        assert_eq!(command("sort sideways"), Some(Err("sort takes rank, newest, oldest, source".into())));
        assert!(command("filter severity>>x").unwrap().is_err());
        assert_eq!(command("sort"), None, "no space yet: a plain search");
        assert_eq!(command("ack now"), None, "not a command with an argument");
        // The labels the list shows are the arguments.
        assert_eq!(cycle(Sort::Rank, Sort::next).iter().map(|s| s.label()).collect::<Vec<_>>(), COMMANDS[0].2.unwrap());
        assert_eq!(
            cycle(Group::None, Group::next).iter().map(|g| g.label()).collect::<Vec<_>>(),
            COMMANDS[1].2.unwrap()
        );
    }

    #[test]
    fn fuzzy_finds_actions() {
        assert_eq!(matches("esc").first(), Some(&Action::Escalate));
        assert_eq!(matches("unack").first(), Some(&Action::Unack));
        assert_eq!(matches("grp").first(), Some(&Action::Group));
        assert_eq!(matches("").len(), Action::ALL.len());
        assert!(matches("zzzzqqq").is_empty());
    }
}
