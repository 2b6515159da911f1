//! Checks a parsed suite for settings serde cannot express (ranges, consistency, formats).

use std::collections::HashSet;

use crate::data::augmentation::Augmentation;
use crate::data::names::name_space;
use crate::data::pools::pools;
use crate::parts;
use crate::spec::{
    BiodSpec, BiosSpec, CopySpec, DatasetSpec, DepoSpec, IgsmSpec, Invalid, PoolSizes, Recipe,
    StartFrom, Suite, Sweep,
};

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
            match dataset {
                DatasetSpec::Bios(s) => validate_bios(s, &at)?,
                DatasetSpec::BiosQa(s) => {
                    positive(s.people as u64, &at("people"))?;
                    validate_pools(s.pools, &at)?;
                }
                DatasetSpec::BiosTask(s) => {
                    positive(s.people as u64, &at("people"))?;
                    validate_pools(s.pools, &at)?;
                    if s.hints && !s.task.has_hint() {
                        return Err(Invalid::field(
                            at("hints"),
                            "only the month tasks (`month-parity`, `month-ranking`) have hints",
                        ));
                    }
                }
                DatasetSpec::BiosMixed(s) => {
                    validate_bios(&s.biographies(), &at)?;
                    positive(u64::from(s.qa_copies), &at("qa_copies"))?;
                }
                DatasetSpec::Biod(s) => validate_biod(s, &at)?,
                DatasetSpec::Cfg(s) => {
                    positive(s.sentences, &at("sentences"))?;
                    crate::data::cfg::Grammar::by_name(&s.grammar)
                        .map_err(|e| Invalid::field(at("grammar"), e.to_string()))?;
                }
                DatasetSpec::Depo(s) => validate_depo(s, &at)?,
                DatasetSpec::Brevo(s) => {
                    positive(s.docs, &at("docs"))?;
                    positive(s.name_tokens as u64, &at("name_tokens"))?;
                    if s.max_vertices < 3 {
                        return Err(Invalid::field(at("max_vertices"), "needs at least 3"));
                    }
                    enough_names(s.alphabet, s.name_tokens, s.max_vertices, &at)?;
                }
                DatasetSpec::Mano(s) => {
                    positive(s.docs, &at("docs"))?;
                    positive(s.max_operators as u64, &at("max_operators"))?;
                }
                DatasetSpec::Copy(s) => validate_copy(s, &at)?,
                DatasetSpec::Igsm(s) => validate_igsm(s, &at)?,
            }
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

fn positive(value: u64, field: &str) -> Result<(), Invalid> {
    if value == 0 {
        Err(Invalid::field(field, "must be at least 1"))
    } else {
        Ok(())
    }
}

fn validate_bios(spec: &BiosSpec, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    positive(spec.people as u64, &at("people"))?;
    let n0 = name_space(pools().name_pool_sizes());
    if spec.people as f64 > n0 {
        return Err(Invalid::field(
            at("people"),
            format!("at most {n0} distinct names exist"),
        ));
    }
    Augmentation::parse(&spec.augmentation, spec.entries)
        .map_err(|e| Invalid::field(at(&e.field), e.message))?;
    validate_pools(spec.pools, at)
}

/// Each pool size lies between 1 and the published pool's length.
fn validate_pools(sizes: Option<PoolSizes>, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    let Some(sizes) = sizes else {
        return Ok(());
    };
    let p = pools();
    for (field, size, max) in [
        ("birth_cities", sizes.birth_cities, p.birth_cities.len()),
        ("universities", sizes.universities, p.universities.len()),
        ("majors", sizes.majors, p.majors.len()),
        ("companies", sizes.companies, p.companies.len()),
    ] {
        if size == 0 || usize::from(size) > max {
            return Err(Invalid::field(
                at(&format!("pools.{field}")),
                format!("must be in 1..={max} (the published pool's length)"),
            ));
        }
    }
    Ok(())
}

fn validate_biod(spec: &BiodSpec, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    for (field, value) in [
        ("people", spec.people as u64),
        ("attributes", u64::from(spec.attributes)),
        ("chunks", u64::from(spec.chunks)),
        ("diversity", u64::from(spec.diversity)),
        ("length", u64::from(spec.length)),
        ("alphabet", u64::from(spec.alphabet)),
        ("entries", u64::from(spec.entries)),
    ] {
        positive(value, &at(field))?;
    }
    let full = pools().name_pool_sizes();
    for (k, (&size, &max)) in spec.name_pools.iter().zip(&full).enumerate() {
        if size == 0 || size > max {
            return Err(Invalid::field(
                at("name_pools"),
                format!("entry {k} must be in 1..={max} (the pool's size)"),
            ));
        }
    }
    if spec.people as f64 > name_space(spec.name_pools) {
        return Err(Invalid::field(
            at("people"),
            format!(
                "at most {} distinct names exist with name_pools",
                name_space(spec.name_pools)
            ),
        ));
    }
    let strings = f64::from(spec.alphabet).powf(f64::from(spec.length));
    if f64::from(spec.diversity) > strings {
        return Err(Invalid::field(
            at("diversity"),
            format!(
                "D = {} exceeds T^L = {strings} distinct strings",
                spec.diversity
            ),
        ));
    }
    Ok(())
}

/// Depo needs a cycle of at least 3 nodes, hop counts below the cycle's length, and enough
/// distinct names for the longest cycle.
fn validate_depo(s: &DepoSpec, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    positive(s.docs, &at("docs"))?;
    positive(s.max_hops as u64, &at("max_hops"))?;
    positive(s.name_tokens as u64, &at("name_tokens"))?;
    positive(s.alphabet as u64, &at("alphabet"))?;
    if s.max_nodes < 3 {
        return Err(Invalid::field(
            at("max_nodes"),
            "a cycle needs at least 3 nodes",
        ));
    }
    if s.max_hops >= s.max_nodes {
        return Err(Invalid::field(
            at("max_hops"),
            format!("K = {} must be below N = {}", s.max_hops, s.max_nodes),
        ));
    }
    enough_names(s.alphabet, s.name_tokens, s.max_nodes, at)
}

/// Names of 1..=`tokens` tokens over `alphabet` must outnumber twice the `nodes` a document
/// names, so that drawing distinct ones stays quick.
fn enough_names(
    alphabet: usize,
    tokens: usize,
    nodes: usize,
    at: &dyn Fn(&str) -> String,
) -> Result<(), Invalid> {
    let names: f64 = (1..=tokens).map(|l| (alphabet as f64).powi(l as i32)).sum();
    if names < 2.0 * nodes as f64 {
        return Err(Invalid::field(
            at("alphabet"),
            format!(
                "{names} possible names are too few for {nodes} distinct ones (need twice as many)"
            ),
        ));
    }
    Ok(())
}

fn validate_copy(s: &CopySpec, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    positive(s.docs, &at("docs"))?;
    positive(s.min_length as u64, &at("min_length"))?;
    if s.max_length < s.min_length {
        return Err(Invalid::field(
            at("max_length"),
            format!("{} is below min_length = {}", s.max_length, s.min_length),
        ));
    }
    if s.alphabet < s.max_length {
        return Err(Invalid::field(
            at("alphabet"),
            format!(
                "{} tokens cannot make {} distinct ones",
                s.alphabet, s.max_length
            ),
        ));
    }
    Ok(())
}

fn validate_igsm(s: &IgsmSpec, at: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    use crate::data::igsm::official::{IdGenSettings, check_settings};
    positive(s.docs, &at("docs"))?;
    let settings = IdGenSettings {
        max_op: s.max_op,
        max_edge: s.max_edge,
        op: None,
        perm_level: Some(s.perm_level),
        detail_level: Some(s.detail_level),
    };
    check_settings(&settings).map_err(|(field, message)| Invalid::field(at(field), message))?;
    if s.perm_level > 6 {
        return Err(Invalid::field(at("perm_level"), "expected 0 to 6"));
    }
    if ![0, 2, 6, 8].contains(&s.detail_level) {
        return Err(Invalid::field(
            at("detail_level"),
            "expected 0, 2, 6 or 8: the levels whose solutions name every parameter and operand, \
             which the checker reads",
        ));
    }
    crate::data::igsm::dataset::world(s).map_err(|message| {
        let field = if message.starts_with("lists") {
            "lists"
        } else if message.contains("items") {
            "items"
        } else {
            "categorisations"
        };
        Invalid::field(at(field), message)
    })?;
    if let Some(retry) = &s.retry
        && !(0.0..1.0).contains(&retry.rate)
    {
        return Err(Invalid::field(
            at("retry.rate"),
            "expected a probability in [0, 1)",
        ));
    }
    Ok(())
}
