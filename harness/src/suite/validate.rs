//! Checks a parsed suite's structure for what serde cannot express: unique dataset names, pin
//! formats, sweeps naming what the scale defines, finetunings with something to start from,
//! claims with bounds. Each generator checks its own settings (`data::generator::check`), each
//! model and recipe its own, and the suite's part its claims and evaluation settings.

use std::collections::HashSet;

use crate::parts;
use crate::spec::{Invalid, Recipe, StartFrom, Suite, Sweep};

/// Checks everything serde could not; the suite's part checks its own settings last.
pub fn validate(suite: &Suite) -> Result<(), Invalid> {
    let part = parts::find(&suite.name).map_err(|message| Invalid::field("name", message))?;
    if suite.version == 0 {
        return Err(Invalid::field("version", "must be at least 1"));
    }
    for (scale, spec) in suite.scales.iter() {
        let mut names = HashSet::new();
        for (i, dataset) in spec.datasets.iter().enumerate() {
            let at = |field: &str| format!("scales.{}.datasets[{i}].{field}", scale.name());
            if !names.insert(dataset.name()) {
                return Err(Invalid::field(
                    at("name"),
                    format!(
                        "dataset name `{}` is used twice in this scale",
                        dataset.name()
                    ),
                ));
            }
            if let Some(hashes) = dataset.sha256() {
                for (field, value) in [
                    ("sha256.tokens", &hashes.tokens),
                    ("sha256.text", &hashes.text),
                ] {
                    if value.len() != 64
                        || !value
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    {
                        return Err(Invalid::field(
                            at(field),
                            format!("`{value}` is not 64 lowercase hex digits"),
                        ));
                    }
                }
            }
            crate::data::generator::check(dataset)
                .map_err(|e| e.within(&format!("scales.{}.datasets[{i}]", scale.name())))?;
        }
        let scale_field = |field: String| format!("scales.{}.{field}", scale.name());
        for (name, model) in &spec.models {
            model
                .check()
                .map_err(|e| e.within(&scale_field(format!("models.{name}"))))?;
        }
        for (name, recipe) in &spec.recipes {
            recipe
                .check()
                .map_err(|e| e.within(&scale_field(format!("recipes.{name}"))))?;
        }
        for (i, sweep) in spec.sweeps.iter().enumerate() {
            let at = |field: &str| scale_field(format!("sweeps[{i}].{field}"));
            if !names.contains(sweep.dataset.as_str()) {
                return Err(Invalid::field(
                    at("dataset"),
                    format!("no dataset named `{}` in this scale", sweep.dataset),
                ));
            }
            known_names("model", &sweep.models, &spec.models, &at("models"))?;
            known_names("recipe", &sweep.recipes, &spec.recipes, &at("recipes"))?;
            match &sweep.from {
                Some(from) => validate_start(from, sweep, &spec.sweeps, &spec.recipes, &at)?,
                None => {
                    if let Some(name) = sweep
                        .recipes
                        .iter()
                        .find(|r| spec.recipes[*r].lora.is_some())
                    {
                        return Err(Invalid::field(
                            at("recipes"),
                            format!(
                                "recipe `{name}` trains LoRA adapters, which finetune: give the \
                                 sweep a `from` (the pretrained runs)"
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (i, claim) in suite.claims.iter().enumerate() {
        if claim.at_least.is_none() && claim.at_most.is_none() {
            return Err(Invalid::field(
                format!("claims[{i}].at_least"),
                "a claim needs at_least and/or at_most",
            ));
        }
        if let Some(scale) = claim.binding_scales.iter().find(|s| !claim.applies_at(**s)) {
            return Err(Invalid::field(
                format!("claims[{i}].binding_scales"),
                format!(
                    "binds at `{}`, which is not among the claim's `scales`",
                    scale.name()
                ),
            ));
        }
    }
    part.check(suite)
}

/// Every name in `used` must be a key of `defined` (a sweep's models or recipes).
fn known_names<T>(
    kind: &str,
    used: &[String],
    defined: &std::collections::BTreeMap<String, T>,
    field: &str,
) -> Result<(), Invalid> {
    match used.iter().find(|name| !defined.contains_key(*name)) {
        Some(name) => {
            let known: Vec<&str> = defined.keys().map(String::as_str).collect();
            Err(Invalid::field(
                field,
                format!(
                    "unknown {kind} `{name}`; this scale has: {}",
                    known.join(", ")
                ),
            ))
        }
        None => Ok(()),
    }
}

/// A finetuning sweep starts from runs another sweep of the scale trains from scratch.
fn validate_start(
    from: &StartFrom,
    sweep: &Sweep,
    sweeps: &[Sweep],
    recipes: &std::collections::BTreeMap<String, Recipe>,
    at: &dyn Fn(&str) -> String,
) -> Result<(), Invalid> {
    known_names("recipe", &from.recipes, recipes, &at("from.recipes"))?;
    let trains = |model: &String, recipe: &String| {
        sweeps.iter().any(|s| {
            s.from.is_none()
                && s.dataset == from.dataset
                && s.models.contains(model)
                && s.recipes.contains(recipe)
                && s.replicas >= sweep.replicas
        })
    };
    for model in &sweep.models {
        if let Some(recipe) = from.recipes.iter().find(|r| !trains(model, r)) {
            return Err(Invalid::field(
                at("from"),
                format!(
                    "no sweep of this scale trains `{}` × `{model}` × `{recipe}` from scratch \
                     ({} replicas) to start from",
                    from.dataset, sweep.replicas
                ),
            ));
        }
    }
    for recipe in &from.recipes {
        if sweep
            .recipes
            .iter()
            .any(|r| recipes[r].context != recipes[recipe].context)
        {
            return Err(Invalid::field(
                at("recipes"),
                format!(
                    "finetuning recipes need the context of the pretraining recipe `{recipe}` \
                     ({} tokens)",
                    recipes[recipe].context
                ),
            ));
        }
    }
    Ok(())
}
