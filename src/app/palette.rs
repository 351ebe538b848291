//! The `:` command palette: every action, fuzzy-matched by name and description.

use super::Action;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// Actions matching `query`, best first; all of them, in order, for an empty query.
pub fn matches(query: &str) -> Vec<Action> {
    if query.trim().is_empty() {
        return Action::ALL.to_vec();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let haystacks: Vec<String> = Action::ALL.iter().map(|a| format!("{} {}", a.name(), a.description())).collect();
    let mut scored = pattern.match_list(haystacks.iter(), &mut matcher);
    scored.sort_by(|a, b| b.1.cmp(&a.1));
    scored.into_iter().filter_map(|(h, _)| haystacks.iter().position(|x| x == h).map(|i| Action::ALL[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_finds_actions() {
        assert_eq!(matches("esc").first(), Some(&Action::Escalate));
        assert_eq!(matches("unack").first(), Some(&Action::Unack));
        assert!(matches("grp").contains(&Action::Group));
        assert_eq!(matches("").len(), Action::ALL.len());
        assert!(matches("zzzzqqq").is_empty());
    }
}
