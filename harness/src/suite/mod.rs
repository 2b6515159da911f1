//! Suite files: reading, checking and finding `suites/<part>/vN.toml`. The types they hold are
//! plain data in [`crate::spec`]; this module turns text into them, or into one error line naming
//! the file, the line where known, and the field (see [`InvalidFile`]).

mod locate;
mod validate;

use std::path::Path;

use serde_json::{Value, json};

use crate::spec::{Invalid, InvalidFile, Suite, one_line};

pub use locate::{default_suites_dir, list_suites, locate};

/// Reads, parses and checks a suite file, including its part's own settings (claims).
pub fn load(path: &Path) -> Result<Suite, InvalidFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Invalid::field("", format!("cannot read: {e}")).in_file(path))?;
    parse(&text).map_err(|e| e.in_file(path))
}

/// Parses and checks suite text.
pub fn parse(text: &str) -> Result<Suite, Invalid> {
    let line_of = |span: Option<std::ops::Range<usize>>| {
        span.map(|s| text[..s.start.min(text.len())].lines().count().max(1))
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| Invalid {
        line: line_of(e.span()),
        ..Invalid::field("", e.message())
    })?;
    let suite: Suite = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let mut field = e.path().to_string();
        let mut message = one_line(e.inner().message());
        if field == "." {
            field.clear();
        }
        // A nested deserialiser (see `DatasetSpec`) prefixes its own path: fold it in.
        if let Some((inner, rest)) = message
            .strip_prefix("field `")
            .and_then(|m| m.split_once("`: "))
        {
            (field, message) = (format!("{field}.{inner}"), rest.to_owned());
        }
        Invalid {
            line: line_of(e.inner().span()),
            ..Invalid::field(field, message)
        }
    })?;
    validate::validate(&suite)?;
    Ok(suite)
}

/// The JSON Schema of suite files (committed as `suites/schema.json`). A claim's `estimator` and
/// `settings` are spelled out from every registered part's estimators.
pub fn json_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Suite)).expect("schema");
    let mut estimators = Vec::new();
    for part in crate::parts::all() {
        let mut part_schema = serde_json::to_value(part.estimators_schema()).expect("schema");
        if let Some(Value::Object(defs)) = part_schema.get_mut("$defs").map(Value::take) {
            schema["$defs"]
                .as_object_mut()
                .expect("suite schema has $defs")
                .extend(defs);
        }
        for variant in part_schema["oneOf"].as_array().into_iter().flatten() {
            let mut settings = variant["properties"].clone();
            let name = settings
                .as_object_mut()
                .and_then(|p| p.remove("estimator"))
                .unwrap_or_default();
            let required: Vec<&Value> = variant["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| *r != "estimator")
                .collect();
            let mut claim_required = vec![json!("estimator")];
            if !required.is_empty() {
                claim_required.push(json!("settings"));
            }
            estimators.push(json!({
                "description": format!("{}: {}", part.name(), variant["description"].as_str().unwrap_or("")),
                "properties": {
                    "estimator": name,
                    "settings": {
                        "type": "object",
                        "properties": settings,
                        "required": required,
                        "additionalProperties": false,
                    },
                },
                "required": claim_required,
            }));
        }
    }
    schema["$defs"]["Claim"]["anyOf"] = Value::Array(estimators);
    serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"
}
