//! `klaxon oncall` against every schedule kind: iCal feeds in each vendor's shape (from a
//! file and over HTTP), a rotation, and the vendors' on-call APIs as mock servers built from
//! their documented shapes. The mocks check the exact requests: paths, queries, headers.

use crate::common;

use common::{Sandbox, json};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/oncall/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `klaxon oncall --format json --at AT` with these `[[schedules]]`.
fn oncall(sb: &Sandbox, schedules: &str, at: &str) -> (Option<i32>, serde_json::Value, String) {
    let cfg = sb
        .write("klaxon.toml", &format!("[identity]\nname = \"alice smith\"\n[store]\npath = \"k.db\"\n\n{schedules}"));
    let out = sb.klaxon().args(["oncall", "--format", "json", "--at", at, "--config"]).arg(cfg).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), json(&out.stdout), stderr)
}

fn token_file(sb: &Sandbox, name: &str, value: &str) -> String {
    let p = sb.write(name, &format!("{value}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

#[test]
fn vendor_shaped_feeds_name_who_is_on_call_until_when_and_next() {
    let sb = Sandbox::new();
    let schedules = format!(
        "[[schedules]]\nname = \"pd-feed\"\nkind = \"ical\"\nurl = \"file://{}\"\n\n\
         [[schedules]]\nname = \"oncall-feed\"\nkind = \"ical\"\nlevel = 2\nurl = \"{}\"\n\n\
         [[schedules]]\nname = \"og-feed\"\nkind = \"ical\"\nlevel = 3\nurl = \"{}\"\n",
        fixture("pagerduty.ics"),
        fixture("grafana-oncall.ics"),
        fixture("opsgenie.ics")
    );
    const AT: &str = "2026-11-21T12:30:00Z";
    let (code, v, err) = oncall(&sb, &schedules, AT);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        v,
        json!([
            {"schedule": "pd-feed", "level": 1, "at": AT, "now": "Alice Smith", "until": "2026-11-22T09:00:00Z",
             "next": "Bob Jones", "next_at": "2026-11-22T09:00:00Z", "warnings": 0, "warning_notes": [], "error": null},
            // mallory's cancelled hour does not count
            {"schedule": "oncall-feed", "level": 2, "at": AT, "now": "carol", "until": "2026-11-21T20:00:00Z",
             "next": "dave", "next_at": "2026-11-21T20:00:00Z", "warnings": 0, "warning_notes": [], "error": null},
            {"schedule": "og-feed", "level": 3, "at": AT, "now": "erin", "until": "2026-11-28T00:00:00Z",
             "next": "Frank, Example", "next_at": "2026-11-28T00:00:00Z", "warnings": 0, "warning_notes": [], "error": null},
        ])
    );
}

#[test]
fn a_hand_made_recurring_feed_across_the_autumn_change_in_berlin() {
    let sb = Sandbox::new();
    let s = format!("[[schedules]]\nname = \"hand\"\nkind = \"ical\"\nurl = \"{}\"\n", fixture("handmade-berlin.ics"));
    // 08:30 CET on the Monday after the change: the handoff is at 09:00 CET = 08:00 UTC.
    let (_, v, err) = oncall(&sb, &s, "2026-10-26T07:30:00Z");
    assert_eq!(v[0]["now"], "gina", "{err}");
    assert_eq!(v[0]["until"], "2026-10-26T08:00:00Z");
    assert_eq!(v[0]["next"], "hank");
    // hank's week of 9 November is excluded (EXDATE): nobody, gina comes back on the 16th.
    let (_, v, _) = oncall(&sb, &s, "2026-11-10T12:00:00Z");
    assert_eq!(v[0]["now"], serde_json::Value::Null);
    assert_eq!(v[0]["next"], "gina");
    assert_eq!(v[0]["next_at"], "2026-11-16T08:00:00Z");
}

#[test]
fn rotation_table_marks_you_and_bad_at_is_a_usage_error() {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "klaxon.toml",
        "[identity]\nname = \"bob\"\n[store]\npath = \"k.db\"\n\n[[schedules]]\nname = \"primary\"\nkind = \"rotation\"\n\
         participants = [\"alice\", \"bob\"]\nstart = \"2026-03-02\"\nshift = \"7d\"\nhandoff = \"09:00\"\ntime_zone = \"America/New_York\"\n",
    );
    // 2026-03-09 is bob's week; New York moved to EDT on the 8th, so 09:00 is 13:00 UTC.
    let out = sb.klaxon().args(["oncall", "--at", "2026-03-10T00:00:00Z", "--config"]).arg(&cfg).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<_> = table.lines().collect();
    assert!(lines[0].starts_with("LEVEL  SCHEDULE  NOW"), "{table}");
    assert!(lines[1].contains("bob (you)") && lines[1].contains("2026-03-16 13:00 UTC"), "{table}");
    assert!(lines[1].contains("alice"), "{table}");
    let out = sb.klaxon().args(["oncall", "--at", "tomorrow", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a time like 2026-03-29T09:00:00Z (RFC 3339), 2026-12-25")
    );
}

#[test]
fn a_broken_feed_fails_its_schedule_only() {
    let sb = Sandbox::new();
    let junk = sb.write("junk.ics", "<html>not a calendar</html>");
    let s = format!(
        "[[schedules]]\nname = \"broken\"\nkind = \"ical\"\nurl = \"{}\"\n\n[[schedules]]\nname = \"fine\"\nkind = \"rotation\"\nparticipants = [\"zoe\"]\nstart = \"2026-01-01\"\nshift = \"1d\"\n",
        junk.display()
    );
    let (code, v, err) = oncall(&sb, &s, "2026-11-21T12:00:00Z");
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(v[0]["error"], "not an iCalendar feed");
    assert_eq!(v[1]["now"], "zoe");
    assert_eq!(v[1]["until"], serde_json::Value::Null, "a one-person rotation has no handoff");
    assert!(err.contains("schedule broken: not an iCalendar feed"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ical_feed_over_http_with_its_secret_url_from_a_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/schedules/SBM7DV7BKFUYU/export"))
        .and(query_param("token", "hunter2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(std::fs::read_to_string(fixture("grafana-oncall.ics")).unwrap()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let url =
        token_file(&sb, "feed.url", &format!("{}/api/v1/schedules/SBM7DV7BKFUYU/export?token=hunter2", server.uri()));
    let s = format!("[[schedules]]\nname = \"feed\"\nkind = \"ical\"\nurl_file = \"{url}\"\n");
    let (code, v, err) = tokio::task::spawn_blocking(move || oncall(&sb, &s, "2026-11-21T21:00:00Z")).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v[0]["now"], "dave");
    assert!(!err.contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn pagerduty_oncalls_request_and_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oncalls"))
        .and(query_param("schedule_ids[]", "PSCHED1"))
        .and(query_param("since", "2026-11-21T12:00:00+00:00"))
        .and(query_param("until", "2026-12-21T12:00:00+00:00"))
        .and(header("Authorization", "Token token=pd-hunter2"))
        .and(header("Accept", "application/vnd.pagerduty+json;version=2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "oncalls": [
                {"user": {"id": "PU1", "summary": "Alice Smith", "type": "user_reference"},
                 "schedule": {"id": "PSCHED1", "summary": "Primary"}, "escalation_policy": {"id": "PEP1"},
                 "escalation_level": 1, "start": "2026-11-21T09:00:00Z", "end": "2026-11-22T09:00:00Z"},
                {"user": {"id": "PU2", "summary": "Bob Jones", "type": "user_reference"},
                 "schedule": {"id": "PSCHED1", "summary": "Primary"}, "escalation_policy": {"id": "PEP1"},
                 "escalation_level": 1, "start": "2026-11-22T09:00:00Z", "end": "2026-11-23T09:00:00Z"}
            ],
            "limit": 100, "offset": 0, "more": false, "total": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let token = token_file(&sb, "pd.token", "pd-hunter2");
    let s = format!(
        "[[schedules]]\nname = \"pd\"\nkind = \"pagerduty\"\nurl = \"{}\"\nschedule = \"PSCHED1\"\ntoken_file = \"{token}\"\n",
        server.uri()
    );
    let (code, v, err) = tokio::task::spawn_blocking(move || oncall(&sb, &s, "2026-11-21T12:00:00Z")).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        v,
        json!([{"schedule": "pd", "level": 1, "at": "2026-11-21T12:00:00Z", "now": "Alice Smith",
                "until": "2026-11-22T09:00:00Z", "next": "Bob Jones", "next_at": "2026-11-22T09:00:00Z",
                "warnings": 0, "warning_notes": [], "error": null}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opsgenie_on_calls_by_name_and_an_error_that_hides_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/schedules/ops%20team/on-calls")) // the name, escaped
        .and(query_param("scheduleIdentifierType", "name"))
        .and(query_param("flat", "true"))
        .and(query_param("date", "2026-11-21T12:00:00Z"))
        .and(header("Authorization", "GenieKey og-hunter2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"_parent": {"id": "d875e654", "name": "ops team", "enabled": true},
                     "onCallRecipients": ["erin@example.com"]},
            "took": 0.1, "requestId": "a4e4e3a8"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let token = token_file(&sb, "og.token", "og-hunter2");
    let s = format!(
        "[[schedules]]\nname = \"og\"\nkind = \"opsgenie\"\nlevel = 2\nurl = \"{}\"\nschedule = \"ops team\"\ntoken_file = \"{token}\"\n",
        server.uri()
    );
    let (code, v, err) = tokio::task::spawn_blocking(move || oncall(&sb, &s, "2026-11-21T12:00:00Z")).await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        v,
        json!([{"schedule": "og", "level": 2, "at": "2026-11-21T12:00:00Z", "now": "erin@example.com",
                "until": null, "next": null, "next_at": null, "warnings": 0, "warning_notes": [], "error": null}])
    );

    // A refusal is reported with the status, never with the key.
    let denied = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Could not authenticate", "took": 0.0})),
        )
        .mount(&denied)
        .await;
    let sb = Sandbox::new();
    let token = token_file(&sb, "og.token", "og-hunter2");
    let s = format!(
        "[[schedules]]\nname = \"og\"\nkind = \"opsgenie\"\nurl = \"{}\"\nschedule = \"ops team\"\ntoken_file = \"{token}\"\n",
        denied.uri()
    );
    let (code, v, err) = tokio::task::spawn_blocking(move || oncall(&sb, &s, "2026-11-21T12:00:00Z")).await.unwrap();
    assert_eq!(code, Some(1));
    assert!(v[0]["error"].as_str().unwrap().starts_with("HTTP 401"), "{v}");
    assert!(!err.contains("og-hunter2") && !v.to_string().contains("og-hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn grafana_oncall_schedule_by_name_then_the_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/schedules/"))
        .and(header("Authorization", "goc-hunter2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "count": 2, "next": null, "previous": null,
            "results": [
                {"id": "SBM7DV7BKFUYU", "name": "other", "type": "ical", "team_id": null, "on_call_now": ["U0"]},
                {"id": "S3Z477AHDXTMF", "name": "primary", "type": "calendar", "team_id": null,
                 "time_zone": "Europe/Berlin", "on_call_now": ["U4DNY931HHJS5"], "shifts": []}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users/U4DNY931HHJS5/"))
        .and(header("Authorization", "goc-hunter2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "U4DNY931HHJS5", "email": "carol@example.com", "username": "carol", "role": "admin"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sb = Sandbox::new();
    let token = token_file(&sb, "goc.token", "goc-hunter2");
    let s = format!(
        "[[schedules]]\nname = \"goc\"\nkind = \"grafana-oncall\"\nurl = \"{}\"\nschedule = \"primary\"\ntoken_file = \"{token}\"\n",
        server.uri()
    );
    let cfg = sb.write("klaxon.toml", &format!("[store]\npath = \"k.db\"\n{s}"));
    let out = tokio::task::spawn_blocking(move || {
        sb.klaxon().args(["oncall", "--format", "json", "--config"]).arg(cfg).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v[0]["now"], "carol");
    assert_eq!(v[0]["until"], serde_json::Value::Null);
}

#[test]
fn doctor_and_check_config_name_each_schedule() {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "klaxon.toml",
        "[notify]\ndesktop = false\n[store]\npath = \"k.db\"\n\n[[schedules]]\nname = \"gone\"\nkind = \"ical\"\nurl = \"/nonexistent/feed.ics\"\n\n\
         [[schedules]]\nname = \"team\"\nkind = \"rotation\"\nlevel = 2\nparticipants = [\"zoe\"]\nstart = \"2026-01-01\"\nshift = \"1d\"\n",
    );
    let out = sb.klaxon().args(["doctor", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("schedule gone (level 1): FAILING: cannot read /nonexistent/feed.ics"), "{stdout}");
    assert!(stdout.contains("schedule team (level 2): ok, zoe on call"), "{stdout}");
    let out = sb.klaxon().args(["check-config", "--config"]).arg(&cfg).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("schedule team: rotation for level 2, every 5m"));
}

#[test]
fn at_a_date_or_local_time_is_read_in_each_schedules_zone() {
    let sb = Sandbox::new();
    let s = "[[schedules]]\nname = \"ny\"\nkind = \"rotation\"\nparticipants = [\"ann\", \"ben\"]\nstart = \"2026-12-01\"\n\
             shift = \"1d\"\nhandoff = \"00:00\"\ntime_zone = \"America/New_York\"\n\n\
             [[schedules]]\nname = \"berlin\"\nkind = \"rotation\"\nlevel = 2\nparticipants = [\"cleo\"]\nstart = \"2026-12-01\"\n\
             shift = \"1d\"\ntime_zone = \"Europe/Berlin\"\n";
    // Christmas midnight is 05:00 UTC in New York (EST) and 23:00 UTC the day before in Berlin.
    let (code, v, err) = oncall(&sb, s, "2026-12-25");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((v[0]["at"].as_str(), v[0]["now"].as_str()), (Some("2026-12-25T05:00:00Z"), Some("ann")));
    assert_eq!(v[1]["at"], "2026-12-24T23:00:00Z");
    // One second before the New York midnight handoff, ben still holds it.
    let (_, v, _) = oncall(&sb, s, "2026-12-24T23:59:59");
    assert_eq!((v[0]["at"].as_str(), v[0]["now"].as_str()), (Some("2026-12-25T04:59:59Z"), Some("ben")));
}

#[test]
fn skipped_events_are_counted_in_json_table_and_doctor() {
    let sb = Sandbox::new();
    // An Exchange-shaped export where one event has a zone nobody knows and one a DURATION
    // too long for any clock; the good event still counts.
    let feed = sb.write(
        "rota.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:good\r\nSUMMARY:jon\r\nDTSTART;TZID=\"GMT Standard Time\":20261120T090000\r\n\
         DURATION:P7D\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:zone\r\nSUMMARY:kim\r\nDTSTART;TZID=Atlantis:20261120T090000\r\n\
         DURATION:PT1H\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:long\r\nSUMMARY:lou\r\nDTSTART:20261120T090000Z\r\n\
         DURATION:P99999999999999W\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let s = format!("[[schedules]]\nname = \"rota\"\nkind = \"ical\"\nurl = \"{}\"\n", feed.display());
    let (code, v, err) = oncall(&sb, &s, "2026-11-21T12:00:00Z");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v[0]["now"], "jon");
    assert_eq!(v[0]["warnings"], 2);
    assert_eq!(
        v[0]["warning_notes"],
        json!([
            "line 8: event \"zone\": unknown TZID \"Atlantis\"; skipped",
            "line 14: event \"long\": DURATION \"P99999999999999W\" is out of range; skipped"
        ])
    );
    assert!(err.contains("klaxon: schedule rota: 2 entries skipped as unreadable: line 8:"), "{err}");
    let cfg = sb.write("klaxon.toml", &format!("[notify]\ndesktop = false\n[store]\npath = \"k.db\"\n\n{s}"));
    let out = sb.klaxon().args(["doctor", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("schedule rota (level 1): ok, "), "{stdout}");
    assert!(stdout.contains("on call; 2 entries skipped as unreadable: line 8: event \"zone\""), "{stdout}");
}
