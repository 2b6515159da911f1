//! Everything that defines one training run; its hash names the run's checkpoints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DatasetSpec, ModelConfig, Recipe};
use crate::util::hex;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// Seeds the data streams, the shuffle and the model initialisation.
    pub seed: u64,
    pub dataset: DatasetSpec,
    pub model: ModelConfig,
    pub recipe: Recipe,
}

impl TrainSpec {
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(
            serde_json::to_vec(self).expect("spec serialises"),
        ))
    }
}
