//! Suite files: reading, checking and finding `suites/<part>/vN.toml`. The types they hold are
//! plain data in [`crate::spec`]; this module turns text into them, or into one error line naming
//! the file, the line where known, and the field (see [`InvalidFile`]).

mod lines;
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
    let line_of =
        |span: Option<std::ops::Range<usize>>| span.map(|s| lines::line_at(text, s.start));
    let deserializer = toml::Deserializer::parse(text).map_err(|e| Invalid {
        line: line_of(e.span()),
        ..Invalid::field("", e.message())
    })?;
    let suite: Suite = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let mut field = e.path().to_string();
        if field == "." {
            field.clear();
        }
        let message = one_line(e.inner().message());
        Invalid {
            line: line_of(e.inner().span()),
            ..Invalid::field(field, message)
        }
    })?;
    // The checks after parsing know the field, not the line: find it in the text.
    validate::validate(&suite).map_err(|mut e| {
        e.line = e.line.or_else(|| lines::line_of_field(text, &e.field));
        e
    })?;
    Ok(suite)
}

/// The JSON Schema of suite files (committed as `suites/schema.json`). A claim's `estimator` and
/// `settings` are spelled out from every registered part's estimators.
pub fn json_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Suite)).expect("schema");
    schema["$defs"]["Dataset"] = datasets_schema(&mut schema);
    let mut estimators = Vec::new();
    for part in crate::parts::all() {
        let mut part_schema = serde_json::to_value(part.estimators_schema()).expect("schema");
        adopt_definitions(&mut schema, &mut part_schema);
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
    let evaluations: Vec<Value> = crate::parts::all()
        .iter()
        .map(|part| {
            let mut evaluation = serde_json::to_value(part.evaluation_schema()).expect("schema");
            adopt_definitions(&mut schema, &mut evaluation);
            evaluation["description"] = json!(format!("{}: how its scales measure", part.name()));
            evaluation.as_object_mut().map(|o| o.remove("$schema"));
            evaluation.as_object_mut().map(|o| o.remove("title"));
            evaluation
        })
        .collect();
    schema["$defs"]["ScaleSpec"]["properties"]["evaluation"] = json!({
        "description": "How the scale measures its trained models: the suite's part's settings",
        "anyOf": evaluations,
    });
    serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"
}

/// A dataset entry: one of the registered generators, each an object of `name`, `generator`
/// (its name), `sha256` and the generator's own settings.
fn datasets_schema(schema: &mut Value) -> Value {
    let common = schema["$defs"]["Dataset"]["properties"].clone();
    let generators = crate::data::generator::schemas()
        .map(|(name, settings)| {
            let mut settings = serde_json::to_value(settings).expect("schema");
            adopt_definitions(schema, &mut settings);
            let mut properties = common.clone();
            properties["generator"] = json!({ "const": name });
            if let Some(Value::Object(own)) = settings.get("properties") {
                properties
                    .as_object_mut()
                    .expect("Dataset has properties")
                    .extend(own.clone());
            }
            let mut required = vec![json!("name"), json!("generator")];
            required.extend(
                settings["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
            json!({
                "description": settings["description"],
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        })
        .collect();
    json!({ "oneOf": Value::Array(generators) })
}

/// Moves `part`'s `$defs` (types it refers to) into the suite schema's.
fn adopt_definitions(schema: &mut Value, part: &mut Value) {
    let defs = part.as_object_mut().and_then(|p| p.remove("$defs"));
    if let Some(Value::Object(defs)) = defs {
        schema["$defs"]
            .as_object_mut()
            .expect("suite schema has $defs")
            .extend(defs);
    }
}
