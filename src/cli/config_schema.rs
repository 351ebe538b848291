//! `klaxon config schema`: the JSON Schema of klaxon.toml, generated from the config types,
//! so an editor's TOML language server (taplo, Even Better TOML) completes and checks keys.
//! The starter config points to it with a `#:schema` line.

use crate::settings::Config;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The file the starter config's `#:schema` line names, beside the config.
pub const SCHEMA_FILE: &str = "klaxon.schema.json";

/// The schema, draft 7 (what taplo and most editors read), said as TOML means it.
pub fn schema() -> Value {
    let mut schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<Config>().to_value();
    let defs = schema.get("definitions").and_then(Value::as_object).cloned().unwrap_or_default();
    tomlify(&mut schema, &defs);
    if let Some(root) = schema.as_object_mut() {
        root.insert("title".into(), "klaxon.toml".into());
    }
    schema
}

/// `klaxon init --write` puts the schema beside the config it wrote, where its `#:schema`
/// line points (replacing an older one: it is generated, never edited).
pub fn write_beside(config: &std::path::Path) -> Result<(), super::CliError> {
    let path = config.with_file_name(SCHEMA_FILE);
    let text = serde_json::to_string_pretty(&schema()).expect("a JSON value prints") + "\n";
    std::fs::write(&path, text)
        .map_err(|e| super::CliError::Failure(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("klaxon: wrote {} (the config's schema, for editors)", path.display());
    Ok(())
}

pub fn print() {
    println!("{}", serde_json::to_string_pretty(&schema()).expect("a JSON value prints"));
}

/// What schemars says of Rust that TOML and serde see otherwise, mended throughout:
/// - a `[[sources]]`-like table is the common keys flattened beside the kind's (serde
///   `flatten` + a tagged enum): schemars lists the common keys once beside a `oneOf` of
///   kinds, and drops the kinds' `deny_unknown_fields`. Each kind gets the common keys
///   instead and is closed, so a typo in any key is flagged as serde flags it;
/// - TOML has no null: an `Option` is a key one leaves out;
/// - a duration's default is written as in the file ("30s"), not as serde's `{secs, nanos}`.
fn tomlify(value: &mut Value, defs: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            close_flattened_kinds(map, defs);
            drop_null(map);
            if let Some(d) = map.get("default").and_then(as_duration) {
                map.insert("default".into(), Value::String(humantime::format_duration(d).to_string()));
            }
            map.values_mut().for_each(|v| tomlify(v, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| tomlify(v, defs)),
        _ => {}
    }
}

fn close_flattened_kinds(map: &mut Map<String, Value>, defs: &Map<String, Value>) {
    let Some(Value::Array(kinds)) = map.get("oneOf") else { return };
    let is_kind = |k: &Value| k.pointer("/properties/kind/const").is_some();
    if !map.contains_key("properties") || !kinds.iter().all(is_kind) {
        return;
    }
    let Some(Value::Object(common)) = map.remove("properties") else { return };
    let common_required = map.remove("required");
    let Some(Value::Array(kinds)) = map.get_mut("oneOf") else { return };
    for kind in kinds.iter_mut().filter_map(Value::as_object_mut) {
        // A kind whose config is another type's (serde `transparent`) refers to it: its keys
        // come here too, as `additionalProperties` sees only this schema's own.
        if let Some(target) = kind.remove("allOf").and_then(|all| referred(&all[0], defs)) {
            let own = kind.entry("properties").or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(own), Some(Value::Object(theirs))) = (own, target.get("properties")) {
                own.extend(theirs.clone());
            }
            if let (Some(Value::Array(theirs)), Value::Array(list)) =
                (target.get("required"), kind.entry("required").or_insert_with(|| Value::Array(Vec::new())))
            {
                list.extend(theirs.iter().cloned());
            }
        }
        if let Some(Value::Object(own)) = kind.get_mut("properties") {
            for (key, schema) in &common {
                own.entry(key.clone()).or_insert_with(|| schema.clone());
            }
        }
        if let Some(Value::Array(required)) = &common_required {
            let list = kind.entry("required").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.extend(required.iter().cloned());
            }
        }
        kind.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// The definition a `$ref` names, through any further `$ref`s (a `transparent` newtype).
fn referred<'a>(schema: &Value, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let to = schema.get("$ref").or_else(|| schema.pointer("/allOf/0/$ref"))?;
    let name = to.as_str()?.rsplit('/').next()?;
    let def = defs.get(name)?;
    if def.get("properties").is_some() { Some(def) } else { referred(def, defs) }
}

fn drop_null(map: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(any)) = map.get_mut("anyOf") {
        any.retain(|s| s.get("type").is_none_or(|t| t != "null"));
        if any.len() == 1 {
            let only = any.remove(0);
            map.remove("anyOf");
            map.insert("allOf".into(), Value::Array(vec![only]));
        }
    }
    if map.get("default").is_some_and(Value::is_null) {
        map.remove("default");
    }
}

/// serde's form of a `std::time::Duration`.
fn as_duration(v: &Value) -> Option<std::time::Duration> {
    let o = v.as_object().filter(|o| o.len() == 2)?;
    let (secs, nanos) = (o.get("secs")?.as_u64()?, o.get("nanos")?.as_u64()?);
    Some(std::time::Duration::new(secs, u32::try_from(nanos).ok()?))
}
