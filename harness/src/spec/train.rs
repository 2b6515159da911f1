//! Everything that defines one training run; its hash names the run's checkpoints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Dataset, ModelConfig, Recipe};
use crate::util::hex;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// Seeds the data streams, the shuffle and the model initialisation.
    pub seed: u64,
    /// Trains the same data again from another initialisation and data order: replica `r > 0`
    /// seeds the model and the shuffle with [`TrainSpec::training_seed`], never the data.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replica: u32,
    pub dataset: Dataset,
    pub model: ModelConfig,
    pub recipe: Recipe,
    /// Finetuning: the spec of the finished run whose weights this run starts from (so a
    /// changed pretraining renames its finetunings too). Absent: a random initialisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Box<TrainSpec>>,
}

fn is_zero(replica: &u32) -> bool {
    *replica == 0
}

impl TrainSpec {
    /// The seed of the model initialisation and the shuffle: `seed` for replica 0 (so that
    /// specs without replicas keep their runs), else `seed` mixed with the replica number.
    pub fn training_seed(&self) -> u64 {
        self.seed ^ u64::from(self.replica).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(
            serde_json::to_vec(self).expect("spec serialises"),
        ))
    }
}
