//! Parts as plug-ins. Everything specific to one part of the papers lives in its folder: what it
//! measures on a trained model and the metrics type it stores, its estimators, its runs-table
//! columns, its figures and its method text. The generic pipeline (`driver`, `claims`, `report`)
//! reaches a part only through the [`Part`] trait, found by suite name in [`PARTS`].
//!
//! Adding a part: a folder here with a type implementing [`Part`], one `mod` line and one entry
//! in [`PARTS`] (see ARCHITECTURE.md).

mod answers;
mod bios_answers;
mod greedy;
mod igsm_solutions;
mod linear_probe;
mod part1;
mod part2_1;
mod part2_2;
mod part3_1;
mod part3_2;
mod part3_3;
mod part4_1;

use anyhow::Result;
use indicatif::ProgressBar;
use serde::de::DeserializeOwned;

use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{Claim, Invalid, Suite};
use crate::train::Trained;

/// Every part plm runs, by the `name` of its suites.
static PARTS: &[&dyn Part] = &[
    &part1::Part1,
    &part2_1::PART,
    &part2_2::PART,
    &part3_1::Part31,
    &part3_2::Part32,
    &part3_3::Part33,
    &part4_1::Part41,
];

/// The part that runs suites named `name`.
pub fn find(name: &str) -> Result<&'static dyn Part, String> {
    PARTS
        .iter()
        .copied()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let known: Vec<&str> = PARTS.iter().map(|p| p.name()).collect();
            format!("no part named `{name}`; plm runs: {}", known.join(", "))
        })
}

/// A claim's estimate on the runs of a scale: the value (`None` when the runs cannot decide it)
/// and which runs it comes from.
pub struct Estimate {
    pub value: Option<f64>,
    pub evidence: String,
}

impl Estimate {
    pub fn of(value: f64, evidence: impl Into<String>) -> Self {
        Self {
            value: Some(value),
            evidence: evidence.into(),
        }
    }

    pub fn none(why: impl Into<String>) -> Self {
        Self {
            value: None,
            evidence: why.into(),
        }
    }
}

/// A titled passage of text in the report (e.g. a test problem and a model's solution): each
/// line a label and its text.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Excerpt {
    pub title: String,
    pub lines: Vec<(String, String)>,
}

/// What [`Part::measure`] returns.
pub struct Measured {
    /// The part's metrics, stored as the manifest's `measurements`: the same bytes when the run
    /// is repeated, so never a wall-clock number.
    pub measurements: serde_json::Value,
    /// Wall-clock numbers of the measurement (e.g. `verifier_ms`), stored in `timing.json`.
    pub timings: std::collections::BTreeMap<String, f64>,
}

/// What the generic pipeline needs from a part.
pub trait Part: Sync {
    /// The `name` of the suites this part runs, e.g. `part3.3`.
    fn name(&self) -> &'static str;

    /// Bumped by hand whenever a code change would change this part's results (a generator, the
    /// model, the trainer, the measurement); part of every run id, so stale runs are retrained.
    fn code_epoch(&self) -> u32;

    /// Checks what only the part understands: its claims' estimators and settings, and that the
    /// datasets it trains on are ones it can measure. Errors name the field.
    fn check(&self, suite: &Suite) -> Result<(), Invalid>;

    /// Measures a trained model.
    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured>;

    /// One console line with the run's headline numbers.
    fn brief(&self, manifest: &Manifest) -> String;

    /// Headers of the measurement columns of the runs table, and one run's cells.
    fn columns(&self) -> &'static [&'static str];
    fn cells(&self, manifest: &Manifest) -> Vec<String>;

    /// The report's figures over the finished runs.
    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure>;

    /// Passages of text the report shows after the figures (none by default).
    fn excerpts(&self, _manifests: &[Manifest]) -> Vec<Excerpt> {
        Vec::new()
    }

    /// What the measurements mean, printed under the report, citing the paper.
    fn method(&self) -> &'static str;

    /// The JSON Schema of the part's estimators: a `oneOf` of objects tagged `estimator` whose
    /// other properties are the estimator's settings (for `plm schema`).
    fn estimators_schema(&self) -> schemars::Schema;

    /// Computes a (checked) claim's estimator on the runs the claim is about.
    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate;
}

/// The registered parts, for whatever must see all of them (the suite schema).
pub fn all() -> &'static [&'static dyn Part] {
    PARTS
}

/// Reads a claim's estimator and settings as the part's estimator type `E`: an enum tagged by
/// `estimator` whose variants hold the settings (unknown settings are rejected).
pub fn estimator<E: DeserializeOwned>(claim: &Claim) -> Result<E, Invalid> {
    let mut fields = claim.settings.clone();
    fields.insert("estimator".into(), claim.estimator.clone().into());
    serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|e| {
        let message = e.inner().to_string();
        let path = e.path().to_string();
        let field = if message.contains("variant") {
            "estimator".to_owned()
        } else if path == "." {
            "settings".to_owned()
        } else {
            format!("settings.{path}")
        };
        Invalid::field(field, message)
    })
}

/// Checks every claim of `suite` against the estimator type `E`.
pub fn check_claims<E: DeserializeOwned>(suite: &Suite) -> Result<(), Invalid> {
    for (i, claim) in suite.claims.iter().enumerate() {
        estimator::<E>(claim).map_err(|e| e.within(&format!("claims[{i}]")))?;
    }
    Ok(())
}

/// A manifest's measurements as the part's metrics type, or `None` for another part's runs.
pub fn measurements<T: DeserializeOwned>(manifest: &Manifest) -> Option<T> {
    serde_json::from_value(manifest.measurements.clone()).ok()
}

/// Checks that every dataset a scale trains on is one `measurable` accepts; errors name it.
pub fn check_trained_datasets(
    suite: &Suite,
    measurable: impl Fn(&crate::spec::DatasetSpec) -> Result<(), String>,
) -> Result<(), Invalid> {
    for (scale, spec) in suite.scales.iter() {
        for (i, sweep) in spec.sweeps.iter().enumerate() {
            let dataset = spec.datasets.iter().find(|d| d.name() == sweep.dataset);
            if let Some(Err(message)) = dataset.map(&measurable) {
                return Err(Invalid::field(
                    format!("scales.{}.sweeps[{i}].dataset", scale.name()),
                    message,
                ));
            }
        }
    }
    Ok(())
}
