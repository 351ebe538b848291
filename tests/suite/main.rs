//! klaxon's integration tests, one test binary (cargo's layout for a large suite: each
//! tests/*.rs used to be a binary of its own, linking the whole dependency tree again).
//! One module per area, named as the file it was; `common` is what they share.
//! Run one area with `cargo test --test suite render::`.

mod common;

mod alertmanager;
mod alertmanager_mock;
mod architecture;
mod checks;
mod cli;
mod config_errors;
mod console_update;
mod datadog_mock;
mod disk_full;
mod e2e_tmux;
mod escalation;
mod faults;
mod grafana_oncall_mock;
mod graphite;
mod history;
mod history_view;
mod ical_props;
mod icinga2;
mod incidents;
mod logs_cli;
mod logs_pane;
mod logs_search;
mod logs_sources;
mod markdown_render;
mod nagios;
mod notify;
mod oncall;
mod oncall_console;
mod oncall_e2e;
mod opsgenie_mock;
mod packaging;
mod pagerduty_mock;
mod parsers_prop;
mod postgres;
mod reach;
mod render;
mod reports;
mod runbooks;
mod secrets;
mod silences;
mod slo;
mod slo_console;
mod triage_console;
mod zabbix;
mod zabbix_mock;
