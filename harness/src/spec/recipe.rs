//! A training recipe: optimiser, learning-rate schedule, batch shape and how long to train.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// How many times each person is seen; one round of the data per exposure.
    pub exposures: u32,
    /// Windows per optimiser step.
    pub batch: usize,
    /// Tokens per window.
    pub context: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// The decay after warmup ends at `lr × final_lr_fraction` (Part 3.3: 0.1).
    #[serde(default = "tenth")]
    pub final_lr_fraction: f64,
    /// Shape of the decay after warmup: `cosine` (Part 3) or `linear` (Parts 1 and 4.1).
    #[serde(default, skip_serializing_if = "Decay::is_cosine")]
    pub decay: Decay,
    /// Linear warmup from 0 to `lr` over this many steps.
    #[serde(default)]
    pub warmup_steps: u64,
    /// AdamW decoupled weight decay (not applied to norms and biases).
    #[serde(default = "tenth")]
    pub weight_decay: f64,
    #[serde(default = "beta1")]
    pub beta1: f64,
    #[serde(default = "beta2")]
    pub beta2: f64,
    #[serde(default = "epsilon")]
    pub epsilon: f64,
    /// Clip the global gradient norm to this value; 0 disables clipping.
    #[serde(default = "one")]
    pub grad_clip: f64,
    #[serde(default = "all_tokens")]
    pub loss_mask: LossMask,
    /// `whole-documents` (padded windows) or `stream` (Part 1's concatenated stream).
    #[serde(default, skip_serializing_if = "is_whole_documents")]
    pub packing: Packing,
    /// Steps between checkpoints (a checkpoint is also written at the end).
    #[serde(default = "checkpoint_every")]
    pub checkpoint_every: u64,
    /// Trains low-rank adapters on frozen weights instead of every weight (finetuning only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<LoraSpec>,
}

/// LoRA (Hu et al., arXiv:2106.09685) as Parts 3.1/3.2 finetune (arXiv:2309.14316, App. B): a
/// rank-`rank` update on the attention's query/key/value matrix of every layer and a
/// rank-`embedding_rank` update on the token embedding; every other weight stays frozen. The
/// paper adapts the query and value matrices; plm holds q, k and v in one matrix, so its adapter
/// also reaches the keys. The embedding is tied to the output layer, so its update reaches both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoraSpec {
    /// r of the attention adapters (the paper: 8 or 16).
    pub rank: usize,
    /// r′ of the embedding adapter (the paper: 128); 0 leaves the embedding frozen.
    pub embedding_rank: usize,
    /// Adapters are scaled by `alpha / rank`.
    #[serde(default = "lora_alpha")]
    pub alpha: f64,
}

fn lora_alpha() -> f64 {
    4.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decay {
    #[default]
    Cosine,
    Linear,
}

impl Decay {
    fn is_cosine(&self) -> bool {
        *self == Decay::Cosine
    }
}

/// Which target tokens carry loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LossMask {
    /// Every real token (documents and their `<eos>`), never padding.
    AllTokens,
    /// Only the tokens of attribute values and of Part 3.2's answers (answer-only loss for QA).
    ValuesOnly,
}

/// How documents become windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Packing {
    /// Whole documents per window, padded (Part 3: every name starts its window's text).
    #[default]
    WholeDocuments,
    /// One stream cut at fixed offsets (Part 1's code: sentences straddle windows, no padding).
    Stream,
    /// Every window opens at a document start, `<eos> doc <eos> doc …`, and its last document is
    /// cut at the window's end and the rest of it dropped: no padding, and every window looks like
    /// a generation from `<bos>` (Part 1 generates from `<bos>`). Costs data, not compute: each
    /// target still follows its true prefix.
    DocumentStarts,
}

fn tenth() -> f64 {
    0.1
}
fn beta1() -> f64 {
    0.9
}
/// Parts 2.1 and 4.1 use β = (0.9, 0.98), ε = 1e-6.
fn beta2() -> f64 {
    0.98
}
fn epsilon() -> f64 {
    1e-6
}
fn one() -> f64 {
    1.0
}
fn is_whole_documents(packing: &Packing) -> bool {
    *packing == Packing::WholeDocuments
}
fn all_tokens() -> LossMask {
    LossMask::AllTokens
}
fn checkpoint_every() -> u64 {
    500
}

impl Recipe {
    /// Learning rate at `step` (0-based) of `total` steps: linear warmup, then cosine or linear
    /// decay from `lr` to `lr × final_lr_fraction`.
    pub fn learning_rate(&self, step: u64, total: u64) -> f64 {
        if step < self.warmup_steps {
            return self.lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = total.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0);
        let floor = self.lr * self.final_lr_fraction;
        let remaining = match self.decay {
            Decay::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
            Decay::Linear => 1.0 - progress,
        };
        floor + (self.lr - floor) * remaining
    }

    /// Checks ranges; errors name the field relative to the recipe.
    pub fn check(&self) -> Result<(), Invalid> {
        for (field, value) in [
            ("exposures", u64::from(self.exposures)),
            ("batch", self.batch as u64),
            ("context", self.context as u64),
        ] {
            if value == 0 {
                return Err(Invalid::field(field, "must be at least 1"));
            }
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(Invalid::field("lr", "must be a positive number"));
        }
        if !(0.0..=1.0).contains(&self.final_lr_fraction) {
            return Err(Invalid::field("final_lr_fraction", "must be within 0..=1"));
        }
        if let Some(lora) = &self.lora {
            if lora.rank == 0 {
                return Err(Invalid::field("lora.rank", "must be at least 1"));
            }
            if !(lora.alpha > 0.0 && lora.alpha.is_finite()) {
                return Err(Invalid::field("lora.alpha", "must be a positive number"));
            }
        }
        if self.packing != Packing::WholeDocuments && self.loss_mask == LossMask::ValuesOnly {
            return Err(Invalid::field(
                "packing",
                "only `whole-documents` keeps documents whole, as loss_mask `values-only` needs",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine_to_the_floor() {
        let recipe: Recipe =
            toml::from_str("exposures = 1\nbatch = 1\ncontext = 8\nlr = 1.0\nwarmup_steps = 10")
                .unwrap();
        assert!((recipe.learning_rate(0, 110) - 0.1).abs() < 1e-12);
        assert!((recipe.learning_rate(9, 110) - 1.0).abs() < 1e-12);
        assert!((recipe.learning_rate(10, 110) - 1.0).abs() < 1e-12);
        assert!(
            (recipe.learning_rate(60, 110) - 0.55).abs() < 1e-12,
            "halfway is the midpoint"
        );
        assert!((recipe.learning_rate(110, 110) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn linear_decay_without_warmup_reaches_zero() {
        let recipe: Recipe = toml::from_str(
            "exposures = 1\nbatch = 1\ncontext = 8\nlr = 1.0\ndecay = \"linear\"\nfinal_lr_fraction = 0.0",
        )
        .unwrap();
        assert_eq!(recipe.learning_rate(0, 100), 1.0);
        assert!((recipe.learning_rate(25, 100) - 0.75).abs() < 1e-12);
        assert_eq!(recipe.learning_rate(100, 100), 0.0);
    }
}
