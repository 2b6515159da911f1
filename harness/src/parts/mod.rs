//! Parts as plug-ins. Everything specific to one part of the papers lives in its folder: what it
//! measures on a trained model and the metrics type it stores, its estimators, its runs-table
//! columns, its figures, its evaluation settings and its method text. A part implements the
//! typed [`Part`] trait; the generic pipeline (`driver`, `claims`, `report`) reaches it only as
//! [`AnyPart`], found by suite name in [`PARTS`].
//!
//! Adding a part: a folder here with a type implementing [`Part`], one `mod` line and one entry
//! in [`PARTS`] (see ARCHITECTURE.md).

mod bios_scores;
mod exact_match;
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
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::data::Generator;
use crate::figure::Figure;
use crate::model::Gpt;
use crate::run::{Manifest, Run};
use crate::spec::{Claim, Dataset, Invalid, Suite};
use crate::train::Trained;

/// Every part plm runs, by the `name` of its suites.
static PARTS: &[&dyn AnyPart] = &[
    &part1::Part1,
    &part2_1::Part21,
    &part2_2::Part22,
    &part3_1::Part31,
    &part3_2::Part32,
    &part3_3::Part33,
    &part4_1::Part41,
];

/// The part that runs suites named `name`.
pub fn find(name: &str) -> Result<&'static dyn AnyPart, String> {
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
pub struct Measured<M> {
    /// The part's metrics, stored as the manifest's `measurements`: the same bytes when the run
    /// is repeated, so never a wall-clock number.
    pub metrics: M,
    /// Wall-clock numbers of the measurement (e.g. `verifier_ms`), stored in `timing.json`.
    pub timings: std::collections::BTreeMap<String, f64>,
}

impl<M> Measured<M> {
    /// Metrics without wall-clock numbers.
    pub fn untimed(metrics: M) -> Self {
        Self {
            metrics,
            timings: Default::default(),
        }
    }
}

/// What [`Part::measure`] gets: the run, its scale's evaluation settings read as the part's
/// type, the trained model, and a progress bar to advance.
pub struct Measuring<'a, E> {
    pub run: &'a Run,
    pub evaluation: &'a E,
    pub trained: &'a Trained,
    pub progress: &'a ProgressBar,
}

impl<E> Measuring<'_, E> {
    /// The trained model.
    pub fn model(&self) -> &Gpt {
        &self.trained.model
    }

    /// The dataset the model was trained on.
    pub fn dataset(&self) -> &Dataset {
        &self.run.spec.dataset
    }

    /// The suite's seed: evaluation data is drawn from it as the training data was.
    pub fn seed(&self) -> u64 {
        self.run.spec.seed
    }

    /// The training context, the longest document the model has learnt to read.
    pub fn context(&self) -> usize {
        self.run.spec.recipe.context
    }

    /// The dataset's settings as generator `G`'s. The adapter's check of [`Part::GENERATORS`]
    /// keeps other datasets from being trained, so the error is for a part that lists a
    /// generator it does not measure.
    pub fn settings<G: Generator>(&self) -> Result<G> {
        let dataset = self.dataset();
        G::of(dataset).ok_or_else(|| {
            anyhow::anyhow!(
                "dataset `{}` comes from `{}`, not `{}`",
                dataset.name,
                dataset.generator,
                G::NAME
            )
        })
    }
}

/// What a part implements: its types, what it measures on a trained model and how it shows and
/// judges the measurements. The pipeline reaches it through [`AnyPart`], which every `Part` is:
/// that adapter reads the part's settings (estimators, evaluation), checks them, writes and
/// reads its metrics as JSON, and fills the runs table for runs without metrics.
pub trait Part: Sync + 'static {
    /// The `name` of the suites this part runs, e.g. `part3.3`.
    const NAME: &'static str;
    /// Bumped by hand whenever a change to this part's code would change its results (its
    /// measurement, a generator only it uses); part of every run id beside the engine's epoch
    /// ([`crate::run::ENGINE_EPOCH`]), so stale runs are retrained.
    const CODE_EPOCH: u32;
    /// The generators (`data::Generator::NAME`) of the datasets it can measure models of.
    const GENERATORS: &'static [&'static str];
    /// Headers of the measurement columns of the runs table.
    const COLUMNS: &'static [&'static str];
    /// What the measurements mean, printed under the report, citing the paper.
    const METHOD: &'static str;

    /// What one run measured: the manifest's `measurements`.
    type Metrics: serde::Serialize + DeserializeOwned;
    /// `estimator = "..."` of the part's claims with their settings: an enum tagged
    /// `estimator` whose variants hold the settings.
    type Estimator: DeserializeOwned + JsonSchema;
    /// `[scales.<scale>.evaluation]`: how the scale measures its models; `Default` when absent.
    type Evaluation: DeserializeOwned + JsonSchema + Default;

    /// Checks what serde cannot, beyond the adapter's checks (none by default).
    fn check(&self, _suite: &Suite) -> Result<(), Invalid> {
        Ok(())
    }

    /// Checks a scale's evaluation settings beyond serde (none by default).
    fn check_evaluation(&self, _evaluation: &Self::Evaluation) -> Result<(), Invalid> {
        Ok(())
    }

    /// Measures a trained model.
    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>>;

    /// One console line with the run's headline numbers.
    fn brief(&self, manifest: &Manifest, metrics: &Self::Metrics) -> String;

    /// One run's cells under [`Part::COLUMNS`].
    fn cells(&self, manifest: &Manifest, metrics: &Self::Metrics) -> Vec<String>;

    /// The report's figures over the finished runs.
    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure>;

    /// Passages of text the report shows after the figures (none by default).
    fn excerpts(&self, _manifests: &[Manifest]) -> Vec<Excerpt> {
        Vec::new()
    }

    /// Computes a (checked) claim's estimator on the runs the claim is about.
    fn estimate(&self, estimator: &Self::Estimator, runs: &[&Manifest]) -> Estimate;

    /// A manifest's metrics, or `None` for another part's runs.
    fn metrics(manifest: &Manifest) -> Option<Self::Metrics>
    where
        Self: Sized,
    {
        serde_json::from_value(manifest.measurements.clone()).ok()
    }
}

/// What the generic pipeline needs from a part: [`Part`] without its types.
pub trait AnyPart: Sync {
    fn name(&self) -> &'static str;
    fn code_epoch(&self) -> u32;
    /// Checks the part's claims, evaluation settings and trained datasets; errors name the field.
    fn check(&self, suite: &Suite) -> Result<(), Invalid>;
    /// Measures a trained model with its scale's evaluation settings, as JSON.
    fn measure(
        &self,
        run: &Run,
        trained: &Trained,
        progress: &ProgressBar,
    ) -> Result<Measured<serde_json::Value>>;
    fn brief(&self, manifest: &Manifest) -> String;
    fn columns(&self) -> &'static [&'static str];
    fn cells(&self, manifest: &Manifest) -> Vec<String>;
    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure>;
    fn excerpts(&self, manifests: &[Manifest]) -> Vec<Excerpt>;
    fn method(&self) -> &'static str;
    /// The JSON Schema of the estimators: a `oneOf` of objects tagged `estimator` whose other
    /// properties are the estimator's settings (for `plm schema`).
    fn estimators_schema(&self) -> schemars::Schema;
    /// The JSON Schema of `[scales.<scale>.evaluation]` (for `plm schema`).
    fn evaluation_schema(&self) -> schemars::Schema;
    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate;
}

impl<P: Part> AnyPart for P {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn code_epoch(&self) -> u32 {
        P::CODE_EPOCH
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        for (i, claim) in suite.claims.iter().enumerate() {
            estimator::<P::Estimator>(claim).map_err(|e| e.within(&format!("claims[{i}]")))?;
        }
        for (scale, spec) in suite.scales.iter() {
            let at = format!("scales.{}.evaluation", scale.name());
            let evaluation =
                read_evaluation::<P::Evaluation>(&spec.evaluation).map_err(|e| e.within(&at))?;
            Part::check_evaluation(self, &evaluation).map_err(|e| e.within(&at))?;
        }
        check_trained_datasets(suite, |d| made_by(d, P::GENERATORS))?;
        Part::check(self, suite)
    }

    fn measure(
        &self,
        run: &Run,
        trained: &Trained,
        progress: &ProgressBar,
    ) -> Result<Measured<serde_json::Value>> {
        let evaluation = read_evaluation::<P::Evaluation>(&run.evaluation)?;
        let input = Measuring {
            run,
            evaluation: &evaluation,
            trained,
            progress,
        };
        let measured = Part::measure(self, input)?;
        Ok(Measured {
            metrics: serde_json::to_value(measured.metrics)?,
            timings: measured.timings,
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        match P::metrics(manifest) {
            Some(metrics) => Part::brief(self, manifest, &metrics),
            None => format!("no {} measurements", P::NAME),
        }
    }

    fn columns(&self) -> &'static [&'static str] {
        P::COLUMNS
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        match P::metrics(manifest) {
            Some(metrics) => Part::cells(self, manifest, &metrics),
            None => vec!["—".into(); P::COLUMNS.len()],
        }
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        Part::figures(self, manifests)
    }

    fn excerpts(&self, manifests: &[Manifest]) -> Vec<Excerpt> {
        Part::excerpts(self, manifests)
    }

    fn method(&self) -> &'static str {
        P::METHOD
    }

    fn estimators_schema(&self) -> schemars::Schema {
        schemars::schema_for!(P::Estimator)
    }

    fn evaluation_schema(&self) -> schemars::Schema {
        schemars::schema_for!(P::Evaluation)
    }

    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate {
        match estimator::<P::Estimator>(claim) {
            Ok(estimator) => Part::estimate(self, &estimator, runs),
            Err(e) => Estimate::none(format!("unusable claim: {e}")),
        }
    }
}

/// The registered parts, for whatever must see all of them (the suite schema).
pub fn all() -> &'static [&'static dyn AnyPart] {
    PARTS
}

/// The `estimator` names an estimator type accepts, from its schema's variants.
fn estimator_names<E: JsonSchema>() -> Vec<String> {
    let schema = serde_json::to_value(schemars::schema_for!(E)).unwrap_or_default();
    schema["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|variant| {
            let tag = &variant["properties"]["estimator"];
            tag["const"]
                .as_str()
                .or_else(|| tag["enum"][0].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Reads a claim's estimator and settings as the part's estimator type `E`: an unknown name is
/// an error of field `estimator` listing the known ones, a bad setting one of its field.
fn estimator<E: DeserializeOwned + JsonSchema>(claim: &Claim) -> Result<E, Invalid> {
    let known = estimator_names::<E>();
    if !known.contains(&claim.estimator) {
        return Err(Invalid::field(
            "estimator",
            format!(
                "unknown estimator `{}`; this part has: {}",
                claim.estimator,
                known.join(", ")
            ),
        ));
    }
    let mut fields = claim.settings.clone();
    fields.insert("estimator".into(), claim.estimator.clone().into());
    serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "settings".to_owned()
        } else {
            format!("settings.{path}")
        };
        Invalid::field(field, e.inner().to_string())
    })
}

/// Reads a scale's evaluation settings as the part's evaluation type, naming the field at fault.
fn read_evaluation<T: DeserializeOwned + Default>(
    settings: &crate::spec::Evaluation,
) -> Result<T, Invalid> {
    if settings.is_empty() {
        return Ok(T::default());
    }
    serde_path_to_error::deserialize(serde_json::Value::Object(settings.clone())).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        Invalid::field(field, e.inner().to_string())
    })
}

/// No settings: the evaluation type of a part that has none (any key is an error).
#[derive(Debug, Default, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// `Ok` when `dataset` comes from one of `generators`, else why the part cannot measure it.
fn made_by(dataset: &Dataset, generators: &[&str]) -> Result<(), String> {
    if generators.contains(&dataset.generator.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "dataset `{}` comes from `{}`; this part measures models trained on {} only",
            dataset.name,
            dataset.generator,
            generators.join(", ")
        ))
    }
}

/// Checks that every dataset a scale trains on is one `measurable` accepts; errors name it.
fn check_trained_datasets(
    suite: &Suite,
    measurable: impl Fn(&Dataset) -> Result<(), String>,
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
