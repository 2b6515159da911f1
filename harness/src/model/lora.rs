//! LoRA adapters on a [`Gpt`] (the settings: [`LoraSpec`]), by burn's own reparameterisation:
//! an adapted weight reads as `W + (α/r)·A·B` with `W` frozen, `A` random and `B` zero at first
//! (so the adapted model starts as the pretrained one). Merging writes `W + (α/r)·A·B` into the
//! weights: a plain model with the same outputs, which is what a finished run saves.

use burn::module::{Lora, LoraAdapter, Module, Param, Reparameterizer};
use burn::prelude::*;

use super::Gpt;
use crate::spec::LoraSpec;

/// Routes each weight to its adapter: the attention's q/k/v matrices to `attention`, the token
/// embedding to `embedding`; every other parameter is frozen without one.
struct Adapters {
    attention: Lora,
    embedding: Option<Lora>,
}

impl Reparameterizer for Adapters {
    type Reparam = LoraAdapter;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<LoraAdapter>) {
        if path.ends_with(".qkv.weight") {
            return self.attention.reparameterize(path, param);
        }
        match &mut self.embedding {
            Some(lora) if path == "token_embedding.weight" => lora.reparameterize(path, param),
            _ => (param.set_require_grad(false), None),
        }
    }
}

/// `model` with every weight frozen and trainable adapters attached. The adapters' random
/// factors come from the device's random source: seed it first for reproducible runs.
pub fn attach(model: Gpt, spec: &LoraSpec) -> Gpt {
    let adapters = Adapters {
        attention: Lora::new(spec.rank, spec.alpha),
        embedding: (spec.embedding_rank > 0).then(|| Lora::new(spec.embedding_rank, spec.alpha)),
    };
    model.apply_reparameterization(adapters).numbered()
}

/// The adapters merged into the weights: a plain model computing the same function.
pub fn merge(model: Gpt) -> Gpt {
    model.materialize().numbered()
}
