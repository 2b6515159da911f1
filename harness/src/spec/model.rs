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
    /// No positional encoding at all ("NoPE", Part 4.1): order reaches attention only through
    /// the causal mask, or through Canon layers.
    Nope,
}

/// Where Canon layers sit in each block (Part 4.1, arXiv:2512.17351, §4), written as the
/// paper's letters in any order: "ABCD" (all four), "AC", … ; empty for none.
/// A: after the pre-attention norm; B: on the concatenated queries, keys and values (on the
/// values alone for uniform attention); C: after the pre-MLP norm; D: inside the MLP, on the
/// up (and gate) projection before the activation.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct CanonSites(#[schemars(regex(pattern = r"^[ABCD]{0,4}$"))] pub String);

/// One of the four places a Canon layer can sit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanonSite {
    A,
    B,
    C,
    D,
}

impl CanonSites {
    pub fn has(&self, site: CanonSite) -> bool {
        let letter = match site {
            CanonSite::A => 'A',
            CanonSite::B => 'B',
            CanonSite::C => 'C',
            CanonSite::D => 'D',
        };
        self.0.contains(letter)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
    /// Canon layers per block; none by default (left out of files and run ids when empty).
    #[serde(default, skip_serializing_if = "CanonSites::is_empty")]
    pub canon: CanonSites,
    /// Positions each Canon layer mixes, its own included (2–4; the paper's default 4).
    #[serde(default = "canon_kernel", skip_serializing_if = "is_canon_kernel")]
    pub canon_kernel: usize,
}

fn canon_kernel() -> usize {
    4
}

fn is_canon_kernel(kernel: &usize) -> bool {
    *kernel == canon_kernel()
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
            canon: CanonSites::default(),
            canon_kernel: canon_kernel(),
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
            Position::Absolute | Position::Uniform | Position::Nope => 0,
        }
    }

    /// Width of the projection in front of attention: queries, keys and values, or values only
    /// for uniform attention.
    pub fn attention_inputs(&self) -> usize {
        match self.position {
            Position::Uniform => self.d_model,
            Position::Rotary | Position::Absolute | Position::Nope => 3 * self.d_model,
        }
    }

    pub fn mlp_hidden(&self) -> usize {
        (self.d_model as f64 * self.mlp_ratio).round() as usize
    }

    /// Channels of a Canon layer at site D: the MLP's up projection, and its gate when gated.
    pub fn mlp_d_channels(&self) -> usize {
        match self.mlp {
            Mlp::Gelu => self.mlp_hidden(),
            Mlp::GatedSilu => 2 * self.mlp_hidden(),
            Mlp::None => 0,
        }
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
        let sites = &self.canon.0;
        let known = sites.chars().all(|c| "ABCD".contains(c));
        let once = "ABCD".chars().all(|c| sites.matches(c).count() <= 1);
        if !known || !once {
            return Err(Invalid::field(
                "canon",
                format!("\"{sites}\" is not a set of the sites A, B, C, D (e.g. \"ABCD\", \"AC\")"),
            ));
        }
        if !(2..=4).contains(&self.canon_kernel) {
            return Err(Invalid::field(
                "canon_kernel",
                format!("{} is outside 2..=4", self.canon_kernel),
            ));
        }
        if self.mlp == Mlp::None && self.canon.has(CanonSite::D) {
            return Err(Invalid::field(
                "canon",
                "site D sits in the MLP, and mlp = \"none\"",
            ));
        }
        if self.mlp != Mlp::None && self.mlp_hidden() == 0 {
            return Err(Invalid::field(
                "mlp_ratio",
                "gives an empty MLP; use mlp = \"none\"",
            ));
        }
        Ok(())
    }

    /// Training FLOPs per token (Kaplan et al. 2020): 3 × the forward pass, which costs
    /// 2 × (the non-embedding parameters plus the output layer, a matmul; the input embedding is
    /// a lookup) + 2 × layers × context × d for attention scores and their use.
    pub fn training_flops_per_token(&self, vocab: usize, context: usize) -> f64 {
        let non_embedding = self.parameters(0, context);
        6.0 * (non_embedding + (self.d_model * vocab) as u64) as f64
            + 6.0 * (self.layers * context * self.d_model) as f64
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
        let canon_channels = [
            (CanonSite::A, d),
            (CanonSite::B, inputs),
            (CanonSite::C, d),
            (CanonSite::D, self.mlp_d_channels() as u64),
        ]
        .iter()
        .filter(|(site, _)| self.canon.has(*site))
        .map(|(_, channels)| channels)
        .sum::<u64>();
        let canon = canon_channels * self.canon_kernel as u64;
        let per_layer = norm + attention + mlp_norm + mlp + canon;
        let embeddings = used_tokens as u64 * d * if self.tie_embeddings { 1 } else { 2 };
        let positions = if self.position == Position::Absolute {
            context as u64 * d
        } else {
            0
        };
        self.layers as u64 * per_layer + norm + embeddings + positions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_canon(sites: &str, kernel: usize, mlp: Mlp) -> Result<(), Invalid> {
        let mut config = ModelConfig::gpt2(1, 1, 8);
        (config.canon, config.canon_kernel, config.mlp) = (CanonSites(sites.into()), kernel, mlp);
        config.check()
    }

    #[test]
    fn canon_sites_are_a_set_of_the_four_letters_and_kernels_are_2_to_4() {
        for good in ["", "A", "AC", "ABCD", "DCBA"] {
            assert!(with_canon(good, 4, Mlp::Gelu).is_ok(), "{good}");
        }
        for bad in ["E", "AA", "abcd", "A C"] {
            let error = with_canon(bad, 4, Mlp::Gelu).unwrap_err();
            assert_eq!(error.field, "canon", "{bad}");
        }
        assert!(with_canon("D", 4, Mlp::None).is_err());
        assert!(with_canon("AB", 4, Mlp::None).is_ok());
        for (kernel, ok) in [(1, false), (2, true), (4, true), (5, false)] {
            assert_eq!(
                with_canon("A", kernel, Mlp::Gelu).is_ok(),
                ok,
                "kernel {kernel}"
            );
        }
    }

    /// Models without Canon layers serialise as before, so their run ids do not change.
    #[test]
    fn default_canon_settings_stay_out_of_files() {
        let text = toml::to_string(&ModelConfig::gpt2(1, 1, 8)).unwrap();
        assert!(!text.contains("canon"), "{text}");
    }
}
