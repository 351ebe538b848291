//! What the JSON Schema of klaxon.toml (`klaxon config schema`) says about the field types
//! the config layer owns: durations are text, not serde's `{secs, nanos}`.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// A duration as written in klaxon.toml ("15s", "5m", "1h30m"): the schema type of every
/// field read with [`super::duration`] (`#[schemars(with = "crate::config::DurationText")]`).
pub struct DurationText;

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration like \"15s\", \"5m\" or \"1h30m\" (at most 10 years).",
            // humantime's units, as many as wanted, with optional spaces between.
            "pattern": DURATION_PATTERN,
        })
    }
}

/// What humantime's `parse_duration` reads: numbers each followed by a unit.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+\s*(nsec|ns|usec|us|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)\s*)+$";
