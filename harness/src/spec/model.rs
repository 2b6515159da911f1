//! The papers' transformer family: GPT2-ℓ-h with rotary or absolute positions, its LLaMA-style
//! variant (RMSNorm, gated SiLU MLP) and the reduced-MLP ablations GPT2^{1/4} and GPT2^0.
//!
//! [`ModelConfig`] is plain data (it sits in suite files and manifests); `model::Gpt` is the
//! burn module built from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Invalid;

/// How token positions enter the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// Rotary embedding (GPT-NeoX half-split form, base 10000) on the first
    /// `rotary_fraction` of every query/key head's dimensions; the papers' "GPT2" (Part 3.1, App. B).
    #[default]
    Rotary,
    /// A learned absolute position embedding added to the token embedding (original GPT-2).
    Absolute,
    /// Part 1's GPT_uni: no position embedding and no learned attention. Head h (1-based)
    /// averages the values of the last 2^h − 1 positions, its own included (all of them while
    /// fewer precede it); only values and the output are projected. Heads must be few enough
    /// that 2^h − 1 stays a sensible window (the widest head sees 2^heads − 1 positions).
    Uniform,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Norm {
    /// Pre-LayerNorm with bias (GPT2).
    #[default]
    LayerNorm,
    /// RMSNorm (LLaMA).
    RmsNorm,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mlp {
    /// d → hidden → d with GELU (GPT2 with ratio 4; GPT2^{1/4} with ratio 1).
    #[default]
    Gelu,
    /// LLaMA's gated MLP: down(silu(gate(x)) · up(x)).
    GatedSilu,
    /// No MLP at all (GPT2^0).
    None,
}

/// Shape and architecture of one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub layers: usize,
    pub heads: usize,
    /// Hidden size; must be divisible by `heads`.
    pub d_model: usize,
    #[serde(default)]
    pub position: Position,
    /// Share of each head's dimensions that rotary rotates (Part 3.1 App. B: 1/4).
    #[serde(default = "quarter")]
    pub rotary_fraction: f64,
    #[serde(default)]
    pub norm: Norm,
    #[serde(default)]
    pub mlp: Mlp,
    /// MLP hidden size as a multiple of `d_model`.
    #[serde(default = "four")]
    pub mlp_ratio: f64,
    /// Output layer shares the token embedding matrix.
    #[serde(default)]
    pub tie_embeddings: bool,
}

fn quarter() -> f64 {
    0.25
}

fn four() -> f64 {
    4.0
}

impl ModelConfig {
    /// GPT2 with rotary positions and defaults elsewhere.
    pub fn gpt2(layers: usize, heads: usize, d_model: usize) -> Self {
        Self {
            layers,
            heads,
            d_model,
            position: Position::Rotary,
            rotary_fraction: quarter(),
            norm: Norm::LayerNorm,
            mlp: Mlp::Gelu,
            mlp_ratio: four(),
            tie_embeddings: false,
        }
    }

    pub fn head_dim(&self) -> usize {
        self.d_model / self.heads
    }

    /// Rotated dimensions per head: the fraction, rounded down to an even number.
    pub fn rotary_dims(&self) -> usize {
        match self.position {
            Position::Rotary => {
                let dims = (self.head_dim() as f64 * self.rotary_fraction) as usize;
                dims - dims % 2
            }
            Position::Absolute | Position::Uniform => 0,
        }
    }

    /// Width of the projection in front of attention: queries, keys and values, or values only
    /// for uniform attention.
    pub fn attention_inputs(&self) -> usize {
        match self.position {
            Position::Uniform => self.d_model,
            Position::Rotary | Position::Absolute => 3 * self.d_model,
        }
    }

    pub fn mlp_hidden(&self) -> usize {
        (self.d_model as f64 * self.mlp_ratio).round() as usize
    }

    /// Checks the shape; errors name the field relative to the model.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.layers == 0 || self.heads == 0 || self.d_model == 0 {
            return Err(Invalid::field(
                "layers",
                "layers, heads and d_model must be at least 1",
            ));
        }
        if !self.d_model.is_multiple_of(self.heads) {
            return Err(Invalid::field(
                "d_model",
                format!(
                    "{} is not divisible by heads = {}",
                    self.d_model, self.heads
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.rotary_fraction) {
            return Err(Invalid::field("rotary_fraction", "must be within 0..=1"));
        }
        if self.mlp != Mlp::None && self.mlp_hidden() == 0 {
            return Err(Invalid::field(
                "mlp_ratio",
                "gives an empty MLP; use mlp = \"none\"",
            ));
        }
        Ok(())
    }

    /// Trainable parameters, counting only the `used_tokens` embedding (and untied output) rows
    /// that occur in the data, as Part 3.3 App. A does. `context` matters for absolute positions.
    pub fn parameters(&self, used_tokens: usize, context: usize) -> u64 {
        let d = self.d_model as u64;
        let hidden = self.mlp_hidden() as u64;
        let norm = match self.norm {
            Norm::LayerNorm => 2 * d,
            Norm::RmsNorm => d,
        };
        let inputs = self.attention_inputs() as u64;
        let attention = d * inputs + inputs + d * d + d;
        let mlp = match self.mlp {
            Mlp::Gelu => d * hidden + hidden + hidden * d + d,
            Mlp::GatedSilu => 3 * d * hidden,
            Mlp::None => 0,
        };
        let mlp_norm = if self.mlp == Mlp::None { 0 } else { norm };
        let per_layer = norm + attention + mlp_norm + mlp;
        let embeddings = used_tokens as u64 * d * if self.tie_embeddings { 1 } else { 2 };
        let positions = if self.position == Position::Absolute {
            context as u64 * d
        } else {
            0
        };
        self.layers as u64 * per_layer + norm + embeddings + positions
    }
}
