//! The `:` command palette: every action, fuzzy-matched by name and description.

use super::Action;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_finds_actions() {
        assert_eq!(matches("esc").first(), Some(&Action::Escalate));
        assert_eq!(matches("unack").first(), Some(&Action::Unack));
        assert_eq!(matches("grp").first(), Some(&Action::Group));
        assert_eq!(matches("").len(), Action::ALL.len());
        assert!(matches("zzzzqqq").is_empty());
    }
}
