//! Escalation: who a level pages, the words that page them, and when an unacknowledged
//! High or Disaster alert goes up a level on its own. Pure, so the console's update and
//! `klaxon escalate` share it; the page itself goes through the outbox to the
//! [`PAGER`] target ([`crate::pagers::webhook`]), retried until the receiver takes it.

use crate::config::{At, Problems, SecretField, SecretRef};
use crate::model::{AlertKey, Item, MirrorOp, OnCall, Severity, Status};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::path::PathBuf;

/// `[escalation]`: who gets paged when an alert goes up a level, and when that happens alone.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationConfig {
    /// A Mattermost/Slack-compatible incoming webhook (a secret: env var or 0600 file).
    pub webhook_url_env: Option<String>,
    pub webhook_url_file: Option<PathBuf>,
    /// Escalate unacknowledged High/Disaster alerts one level after this long (per level).
    #[serde(default, deserialize_with = "crate::config::opt_duration")]
    #[schemars(with = "Option<crate::config::DurationText>")]
    pub auto_after: Option<std::time::Duration>,
    /// Tell you this long before your own shift starts.
    #[serde(default = "default_shift_notice", deserialize_with = "crate::config::duration")]
    #[schemars(with = "crate::config::DurationText")]
    pub shift_notice: std::time::Duration,
}

fn default_shift_notice() -> std::time::Duration {
    std::time::Duration::from_secs(15 * 60)
}

impl EscalationConfig {
    /// Where the webhook URL (a secret) is, if one is given.
    pub fn webhook(&self) -> Result<Option<SecretRef>, String> {
        self.webhook_url().get()
    }

    fn webhook_url(&self) -> SecretField<'_> {
        SecretField::new("webhook_url", &self.webhook_url_env, &self.webhook_url_file)
    }

    /// Checks what serde cannot; `at` names a key of `[escalation]`.
    pub fn validate(&self, at: At<'_>, problems: &mut Problems) {
        self.webhook_url().check(at, problems);
        if self.auto_after.is_some_and(|d| d < std::time::Duration::from_secs(60)) {
            problems.push((at("auto_after"), "auto_after is at least 1m".into()));
        }
    }
}

/// The outbox target of escalation pages. Not a valid source name ('@'), so never one.
pub const PAGER: &str = "@pager";

/// The actor of escalations klaxon makes itself.
pub const AUTO_ACTOR: &str = "klaxon";

/// Who is on call at `level`, per schedule answering for it: (schedule, person or None).
pub fn paged(oncall: &[&OnCall], level: i64) -> Vec<(String, Option<String>)> {
    oncall
        .iter()
        .filter(|o| o.level == level)
        .map(|o| (o.schedule.clone(), o.person_now().map(str::to_owned)))
        .collect()
}

/// The words `entry_text` writes and `for_pager` takes out again: one constant, so the two
/// cannot drift apart.
const PAGE_QUEUED: &str = "page queued for ";

/// Something that takes escalation pages: the webhook for every level, a Grafana OnCall
/// schedule for the level it answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// The level it pages for; None for every level.
    pub level: Option<i64>,
    pub name: String,
}

/// The names of the pagers that take a page for `level`.
pub fn pagers_for(pagers: &[Pager], level: i64) -> Vec<&str> {
    pagers.iter().filter(|p| p.level.is_none_or(|l| l == level)).map(|p| p.name.as_str()).collect()
}

/// The escalation entry's text: who is on call at the level (when schedules are
/// configured), whether a page goes out and where, then the person's note.
/// "on call: bob (secondary); page queued for webhook — need the DBA";
/// "no schedule answers for level 3; nobody was paged: no pager is configured".
/// A page is only *queued* here: "sent" is said when the pager accepts it. `escalating`: the
/// alert's source when it takes the escalation itself (PagerDuty, Opsgenie with `write_back`),
/// which then pages by its own rules: not "nobody".
pub fn entry_text(
    paged: Option<&[(String, Option<String>)]>,
    pagers: &[&str],
    level: i64,
    note: &str,
    escalating: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if let Some(paged) = paged {
        let who: Vec<String> = paged
            .iter()
            .map(|(schedule, person)| match person {
                Some(p) => format!("{p} ({schedule})"),
                None => format!("nobody on call on {schedule}"),
            })
            .collect();
        parts.push(if who.is_empty() {
            format!("no schedule answers for level {level}")
        } else {
            format!("on call: {}", who.join(", "))
        });
    }
    parts.push(match escalating {
        _ if !pagers.is_empty() => format!("{PAGE_QUEUED}{}", pagers.join(", ")),
        Some(source) => format!("no pager here: {source} is asked to escalate it (its own rules decide who is paged)"),
        None => "nobody was paged: no pager is configured".to_owned(),
    });
    let mut text = parts.join("; ");
    if !note.trim().is_empty() {
        text.push_str(" — ");
        text.push_str(note.trim());
    }
    text
}

/// The person's own words in an escalation entry's text (after who was on call and what
/// paged): what a vendor's escalation note carries, since the vendor pages by itself.
pub fn note_of(text: &str) -> &str {
    text.split_once(" — ").map_or("", |(_, note)| note.trim())
}

/// Why an escalation to `level` is refused, if it is: past the highest level a schedule
/// answers for (level 1 when there are no schedules), there is nobody further to ask.
pub fn refuse_level(level: i64, top: i64) -> Option<String> {
    (level > top).then(|| {
        format!(
            "already at level {top}, the highest configured: add a [[schedules]] entry with level = {level} to escalate further"
        )
    })
}

/// The escalation chain as `check-config` and `doctor` print it: one line per level.
/// `escalating`: the sources that take an escalation to a level themselves (their own rules
/// page), beside the pagers.
pub fn chain_lines(
    levels: &[(i64, Vec<String>)],
    pagers: &[Pager],
    escalating: impl Fn(i64) -> Vec<String>,
) -> Vec<String> {
    let top = levels.iter().map(|(l, _)| *l).max().unwrap_or(1).max(1);
    (1..=top)
        .map(|level| {
            let schedules: Vec<&str> =
                levels.iter().filter(|(l, _)| *l == level).flat_map(|(_, s)| s.iter().map(String::as_str)).collect();
            let who = if schedules.is_empty() { "no schedule".to_owned() } else { schedules.join(", ") };
            let mut pages: Vec<String> = pagers_for(pagers, level).into_iter().map(str::to_owned).collect();
            pages.extend(escalating(level).into_iter().map(|source| format!("{source}'s own escalation")));
            let pages = if pages.is_empty() { "no pager: nobody is paged".to_owned() } else { pages.join(", ") };
            format!("escalation level {level}: answered by {who}; pages {pages}")
        })
        .collect()
}

/// What the webhook receives: one line a chat channel shows well.
pub fn message(op: &MirrorOp) -> String {
    let what = op.labels.get("alertname").map(|n| format!(" ({n})")).unwrap_or_default();
    format!(":rotating_light: {} escalated {}{what}: {}", op.actor, op.alert_key, for_pager(&op.text))
}

/// An escalation entry's text as a pager shows it: without the note that a page was
/// queued for it, which the page itself makes true.
pub fn for_pager(text: &str) -> String {
    let Some(at) = text.find(PAGE_QUEUED) else { return text.to_owned() };
    let end = text[at..].find(" — ").map_or(text.len(), |i| at + i);
    let (head, tail) = (text[..at].trim_end_matches("; "), &text[end..]);
    if head.is_empty() { tail.trim_start_matches(" — ").to_owned() } else { format!("{head}{tail}") }
}

/// The idempotency key of an automatic escalation: one per alert, incident and level, so
/// several consoles (or `klaxon watch`) deciding the same thing write one entry and one page.
pub fn auto_op_id(key: &AlertKey, started_at: DateTime<Utc>, level: i64) -> String {
    format!("auto-escalate:{key}:{}:{level}", started_at.timestamp())
}

/// Alerts due to go up a level on their own: firing, High or Disaster, nobody acknowledged,
/// and unacknowledged for `after` per level (level 1 after `after`, level 2 after twice
/// that, …) up to `max_level`. Returns (key, the level to reach, op_id).
pub fn auto_due<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    now: DateTime<Utc>,
    after: Duration,
    max_level: i64,
) -> Vec<(AlertKey, i64, String)> {
    let mut due = Vec::new();
    for item in items {
        let a = &item.alert;
        if a.status != Status::Firing || item.is_acked() || a.severity < Severity::High {
            continue;
        }
        let level = item.own.escalation_level.saturating_add(1);
        // Checked: a level or a wait too large to reckon with is never due.
        let wait = i32::try_from(level).ok().and_then(|l| after.checked_mul(l));
        if level > max_level || wait.is_none_or(|w| now - a.started_at < w) {
            continue;
        }
        due.push((a.key.clone(), level, auto_op_id(&a.key, a.started_at, level)));
    }
    due
}

/// The first moment after `now` at which [`auto_due`] has more to say, if any.
pub fn next_auto_due<'a>(
    items: impl IntoIterator<Item = &'a Item>,
    after: Duration,
    max_level: i64,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    items
        .into_iter()
        .filter(|i| i.alert.status == Status::Firing && !i.is_acked() && i.alert.severity >= Severity::High)
        .filter_map(|i| {
            let level = i.own.escalation_level.saturating_add(1);
            let wait = after.checked_mul(i32::try_from(level).ok()?)?;
            (level <= max_level).then(|| i.alert.started_at.checked_add_signed(wait)).flatten()
        })
        .filter(|t| *t > now)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Board, Shift};
    use chrono::TimeZone;

    fn oc(schedule: &str, level: i64, person: Option<&str>) -> OnCall {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let shifts: Vec<Shift> = person.map(|p| Shift::new(p, t, t + Duration::hours(8))).into_iter().collect();
        OnCall::from_shifts(schedule, level, &shifts, t + Duration::hours(1))
    }

    #[test]
    fn the_text_names_who_was_paged_per_schedule() {
        let (a, b, c) = (oc("primary", 1, Some("alice")), oc("secondary", 2, Some("bob")), oc("dba", 2, None));
        let all = [&a, &b, &c];
        assert_eq!(
            entry_text(Some(&paged(&all, 2)), &["webhook"], 2, " need the DBA ", None),
            "on call: bob (secondary), nobody on call on dba; page queued for webhook — need the DBA"
        );
        assert_eq!(
            entry_text(Some(&paged(&all, 3)), &[], 3, "", None),
            "no schedule answers for level 3; nobody was paged: no pager is configured"
        );
        assert_eq!(entry_text(None, &[], 1, "db down", None), "nobody was paged: no pager is configured — db down");
        assert_eq!(
            entry_text(None, &[], 2, "db down", Some("pd")),
            "no pager here: pd is asked to escalate it (its own rules decide who is paged) — db down",
            "a source that escalates itself pages someone"
        );
        let text = entry_text(Some(&paged(&all, 2)), &["webhook"], 2, "need the DBA", None);
        assert_eq!(for_pager(&text), "on call: bob (secondary), nobody on call on dba — need the DBA");
        assert_eq!(for_pager(&entry_text(None, &["webhook"], 1, "x", None)), "x");
        assert_eq!(note_of(&text), "need the DBA");
        assert_eq!(note_of(&entry_text(None, &[], 1, "", None)), "");
    }

    #[test]
    fn the_chain_says_who_answers_and_who_pages_each_level() {
        let pagers = [
            Pager { level: None, name: "webhook".into() },
            Pager { level: Some(2), name: "grafana-oncall schedule dba".into() },
        ];
        let levels = [(1, vec!["primary".to_owned()]), (2, vec!["dba".to_owned()])];
        assert_eq!(
            chain_lines(&levels, &pagers, |_| Vec::new()),
            [
                "escalation level 1: answered by primary; pages webhook",
                "escalation level 2: answered by dba; pages webhook, grafana-oncall schedule dba",
            ]
        );
        assert_eq!(
            chain_lines(&[], &[], |_| Vec::new()),
            ["escalation level 1: answered by no schedule; pages no pager: nobody is paged"]
        );
        // A source that escalates by itself at a level pages there: not "nobody".
        assert_eq!(
            chain_lines(&levels, &[], |level| if level == 2 { vec!["pd".into()] } else { Vec::new() }),
            [
                "escalation level 1: answered by primary; pages no pager: nobody is paged",
                "escalation level 2: answered by dba; pages pd's own escalation",
            ]
        );
        assert!(refuse_level(2, 1).unwrap().contains("level = 2"));
        assert_eq!(refuse_level(1, 1), None);
    }

    #[test]
    fn auto_escalation_waits_per_level_and_skips_acked_and_low() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let alert = |id: &str, sev: Severity| crate::model::Alert::test("prod", id, sev, t0);
        let mut board = Board::default();
        board.apply_snapshot(
            "prod",
            vec![alert("d", Severity::Disaster), alert("w", Severity::Warning), alert("h", Severity::High)],
        );
        let own = crate::model::Ownership { owner: Some("carol".into()), ..Default::default() };
        board.set_ownership([(AlertKey::new("prod", "h"), own)]);
        let after = Duration::minutes(15);
        assert!(auto_due(board.ranked(), t0 + Duration::minutes(14), after, 2).is_empty());
        let due = auto_due(board.ranked(), t0 + Duration::minutes(15), after, 2);
        assert_eq!(due, [(AlertKey::new("prod", "d"), 1, "auto-escalate:prod/d:1795230000:1".to_string())]);
        let mut own = crate::model::Ownership { escalation_level: 1, ..Default::default() };
        board.set_ownership([(AlertKey::new("prod", "d"), own.clone())]);
        assert!(auto_due(board.ranked(), t0 + Duration::minutes(29), after, 2).is_empty(), "level 2 after 30m");
        assert_eq!(auto_due(board.ranked(), t0 + Duration::minutes(30), after, 2)[0].1, 2);
        own.escalation_level = 2;
        board.set_ownership([(AlertKey::new("prod", "d"), own)]);
        assert!(auto_due(board.ranked(), t0 + Duration::hours(9), after, 2).is_empty(), "no level above the last");
    }
}
