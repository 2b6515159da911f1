//! The spec layer: plain data that says *what* to run and *what the papers claim* — suites,
//! datasets, models, recipes, evaluation settings, claims — with serde and JSON Schema, and the
//! checks each type can make on its own. It imports nothing of plm but `util`; loading suite files
//! is `suite`'s job, generating data `data`'s.

mod claim;
mod dataset;
mod error;
mod model;
mod recipe;
mod train;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use claim::Claim;
pub use dataset::{Dataset, StreamHashes};
pub use error::{Invalid, InvalidFile, one_line};
pub use model::{CanonSite, CanonSites, Mlp, ModelConfig, Norm, Position};
pub use recipe::{Decay, LoraSpec, LossMask, Packing, Recipe};
pub use train::TrainSpec;

/// One suite file, e.g. `suites/part3.3/v1.toml`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Part of the papers this suite reproduces, e.g. `part3.3`; equals its folder name.
    pub name: String,
    /// Bumped whenever any pinned output (a data hash, a claim) changes meaning.
    pub version: u32,
    /// The paper (title, arXiv id) whose claims this suite checks.
    pub paper: String,
    pub description: String,
    /// Root of every random stream in the suite (see `data::rng`).
    pub seed: u64,
    pub scales: Scales,
    /// The paper's claims this suite checks, each with its estimator and bounds.
    #[serde(default)]
    pub claims: Vec<Claim>,
}

/// The three scales every suite defines.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scales {
    /// CI: minutes on 2 CPU cores.
    pub smoke: ScaleSpec,
    /// At most one hour on 2 CPU cores.
    pub cpu: ScaleSpec,
    /// The papers' own recipes, for GPUs.
    pub paper: ScaleSpec,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Smoke,
    Cpu,
    Paper,
}

impl Scale {
    pub fn name(self) -> &'static str {
        match self {
            Scale::Smoke => "smoke",
            Scale::Cpu => "cpu",
            Scale::Paper => "paper",
        }
    }
}

impl Scales {
    pub fn get(&self, scale: Scale) -> &ScaleSpec {
        match scale {
            Scale::Smoke => &self.smoke,
            Scale::Cpu => &self.cpu,
            Scale::Paper => &self.paper,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Scale, &ScaleSpec)> {
        [Scale::Smoke, Scale::Cpu, Scale::Paper]
            .into_iter()
            .map(move |s| (s, self.get(s)))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    pub description: String,
    #[serde(default)]
    pub datasets: Vec<Dataset>,
    /// Named model configurations used by the sweeps.
    #[serde(default)]
    pub models: BTreeMap<String, ModelConfig>,
    /// Named training recipes used by the sweeps (a recipe search is several recipes).
    #[serde(default)]
    pub recipes: BTreeMap<String, Recipe>,
    /// Which models to train: every (dataset, model, recipe) combination of each sweep.
    #[serde(default)]
    pub sweeps: Vec<Sweep>,
    /// How the trained models are measured, where the part has settings.
    #[serde(default, skip_serializing_if = "Evaluation::is_empty")]
    pub evaluation: Evaluation,
}

/// How a scale measures its trained models: settings that the suite's part reads as its own
/// evaluation type (`plm schema` spells them out per part).
pub type Evaluation = serde_json::Map<String, serde_json::Value>;

/// A grid of training runs.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// A dataset `name` of this scale.
    pub dataset: String,
    /// Names from this scale's `models`.
    pub models: Vec<String>,
    /// Names from this scale's `recipes`.
    pub recipes: Vec<String>,
    /// Trainings of each combination (replicas 0, 1, …): seeds of a measurement's spread.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub replicas: u32,
    /// Finetuning: each run starts from the weights of a finished run of this scale instead of
    /// a random initialisation (Part 3.1's pretrain-then-finetune). Absent: from scratch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<StartFrom>,
}

/// The pretrained runs a finetuning sweep starts from: for each of the sweep's models, the run
/// of `dataset` × that model × each of `recipes` (same replica), which another sweep of the
/// scale must train. Every (pretrained run, finetuning recipe) pair is a run.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartFrom {
    /// A dataset `name` of this scale.
    pub dataset: String,
    /// Names from this scale's `recipes`: the pretraining recipes.
    pub recipes: Vec<String>,
}

fn one() -> u32 {
    1
}

fn is_one(replicas: &u32) -> bool {
    *replicas == 1
}
