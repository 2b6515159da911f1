//! The transformer itself: token embedding → pre-norm blocks (causal attention, MLP) → final norm
//! → output layer. No dropout (the papers remove it).

use burn::module::{ModuleMapper, Param, ParamId};
use burn::nn::activation::SiLU;
use burn::nn::norm::Normalization;
use burn::nn::{
    Embedding, EmbeddingConfig, Gelu, Initializer, LayerNormConfig, Linear, LinearConfig,
    RmsNormConfig,
};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use burn::tensor::module::{attention, linear as project};
use burn::tensor::ops::AttentionModuleOptions;

use super::NORM_EPSILON;
use super::canon::Canon;
use super::fused;
use super::positions::{Rotary, UniformAttention};
use crate::spec::{CanonSite, Mlp as MlpKind, ModelConfig, Norm, Position};

/// Numbers the parameters 0, 1, 2, … in module order. burn gives each parameter a random id, and
/// saved weights and optimiser state carry those ids: numbering them makes `model.bpk` the same
/// bytes for the same run. Only the id changes; a parameter's lazy initialisation (and so the
/// order in which it draws its random values) is left alone.
struct SequentialIds(u64);

impl ModuleMapper for SequentialIds {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.id = ParamId::from(self.0);
        self.0 += 1;
        param
    }
}

/// GPT-2's initialisation scale.
const INIT_STD: f64 = 0.02;

fn linear(d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out)
        .with_bias(bias)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: INIT_STD,
        })
        .init(device)
}

fn norm(kind: Norm, d: usize, device: &Device) -> Normalization {
    match kind {
        Norm::LayerNorm => Normalization::Layer(
            LayerNormConfig::new(d)
                .with_epsilon(NORM_EPSILON)
                .init(device),
        ),
        Norm::RmsNorm => Normalization::Rms(
            RmsNormConfig::new(d)
                .with_epsilon(NORM_EPSILON)
                .init(device),
        ),
    }
}

/// `layer(x)` for `x` of `[batch, time, d_in]` as one `[batch·time, d_in]` matrix product:
/// burn keeps a 3-d input as one small product per sequence when `time` fills its row tiles,
/// which costs tiny models more than the arithmetic.
fn dense(layer: &Linear, x: Tensor<3>) -> Tensor<3> {
    let bias = layer.bias.as_ref().map(|b| b.val());
    project_rows(x, layer.weight.val(), bias)
}

/// `x·W (+ b)` over the rows of `x` (`[batch, time, d_in]`), by the fused kernel where the
/// device has one.
fn project_rows(x: Tensor<3>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<3> {
    let [batch, time, d_in] = x.dims();
    let rows = x.reshape([batch * time, d_in]);
    let y = match fused::linear(&rows, &weight, bias.as_ref()) {
        Some(y) => y,
        None => project(rows, weight, bias),
    };
    let d_out = y.dims()[1];
    y.reshape([batch, time, d_out])
}

/// `layer(x)`, by the fused kernel where the device has one.
fn normalize(layer: &Normalization, x: Tensor<3>) -> Tensor<3> {
    match fused::norm(layer, &x) {
        Some(y) => y,
        None => layer.forward(x),
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    up: Linear,
    /// Present for the gated (LLaMA) form.
    gate: Option<Linear>,
    down: Linear,
    gelu: Gelu,
    silu: SiLU,
    /// Canon-D: on the up projection (and the gate, as one layer over both) before the
    /// activation.
    canon: Option<Canon>,
}

impl Mlp {
    fn forward(&self, x: Tensor<3>, history: Option<&mut Tensor<3>>) -> Tensor<3> {
        match &self.gate {
            None => {
                let mut hidden = dense(&self.up, x);
                if let Some(canon) = &self.canon {
                    hidden = canon.forward(hidden, history);
                }
                let activated = fused::gelu(&hidden).unwrap_or_else(|| self.gelu.forward(hidden));
                dense(&self.down, activated)
            }
            Some(gate) => {
                let (mut gated, mut up) = (dense(gate, x.clone()), dense(&self.up, x));
                if let Some(canon) = &self.canon {
                    (gated, up) = canon.forward_pair(gated, up, history);
                }
                let activated =
                    fused::gated_silu(&gated, &up).unwrap_or_else(|| self.silu.forward(gated) * up);
                dense(&self.down, activated)
            }
        }
    }
}

/// How positions mix in attention: rotary queries and keys, or uniform attention (neither for
/// absolute positions).
type Mixing<'a> = (Option<&'a Rotary>, Option<&'a UniformAttention>);

#[derive(Module, Debug)]
pub struct Block {
    attention_norm: Normalization,
    /// Query, key and value in one matrix `d → 3d`; values only (`d → d`) for uniform attention.
    qkv: Linear,
    projection: Linear,
    mlp_norm: Option<Normalization>,
    mlp: Option<Mlp>,
    heads: usize,
    /// Canon-A (after the attention norm), -B (on q, k, v), -C (after the MLP norm).
    canon_a: Option<Canon>,
    canon_b: Option<Canon>,
    canon_c: Option<Canon>,
}

impl Block {
    /// Causal self-attention of positions `offset..offset + time`. With a cache, this call's keys
    /// and values are stored at those positions and the queries attend to every position up to
    /// their own; without one, `offset` is 0.
    fn attend(
        &self,
        x: Tensor<3>,
        (rotary, uniform): Mixing,
        offset: usize,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let [batch, time, d] = x.dims();
        let head_dim = d / self.heads;
        let mut cache = cache;
        let mut qkv = dense(&self.qkv, x);
        if let Some(canon) = &self.canon_b {
            qkv = canon.forward(qkv, LayerCache::history(&mut cache, CanonSite::B, canon));
        }
        let heads = |t: Tensor<3>| {
            t.reshape([batch, time, self.heads, head_dim])
                .swap_dims(1, 2)
        };
        let merge = |y: Tensor<4>| y.swap_dims(1, 2).reshape([batch, time, d]);
        if let Some(uniform) = uniform {
            let v = heads(qkv);
            let all_v = match cache {
                Some(cache) => cache.append(v.clone(), v, offset).1,
                None => v,
            };
            return dense(&self.projection, merge(uniform.apply(all_v, time)));
        }
        if cache.is_none() {
            let tables = rotary.filter(|r| r.dims > 0).map(|r| r.plain.clone());
            if let Some(y) = fused::attention(&qkv, self.heads, tables) {
                return dense(&self.projection, y);
            }
        }
        let mut qkv = qkv.chunk(3, 2);
        let (v, k, q) = (
            heads(qkv.pop().unwrap()),
            heads(qkv.pop().unwrap()),
            heads(qkv.pop().unwrap()),
        );
        let (q, k) = match rotary {
            Some(r) if r.dims > 0 => (r.apply(q, offset), r.apply(k, offset)),
            _ => (q, k),
        };
        let (k, v) = match cache {
            Some(cache) => cache.append(k, v, offset),
            None => (k, v),
        };
        // burn's causal mask aligns queries with the first keys, so it is right for a block that
        // starts at position 0; a single new query may see every cached key, so needs no mask.
        assert!(
            offset == 0 || time == 1,
            "decoding after a prefix goes one token at a time"
        );
        let causal = AttentionModuleOptions {
            scale: None,
            softcap: None,
            is_causal: time > 1,
        };
        let y = merge(attention(q, k, v, None, None, causal));
        dense(&self.projection, y)
    }

    fn forward(
        &self,
        x: Tensor<3>,
        mixing: Mixing,
        offset: usize,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let mut cache = cache;
        let mut a = normalize(&self.attention_norm, x.clone());
        if let Some(canon) = &self.canon_a {
            a = canon.forward(a, LayerCache::history(&mut cache, CanonSite::A, canon));
        }
        let x = x + self.attend(a, mixing, offset, cache.as_deref_mut());
        let (Some(norm), Some(mlp)) = (&self.mlp_norm, &self.mlp) else {
            return x;
        };
        let mut c = normalize(norm, x.clone());
        if let Some(canon) = &self.canon_c {
            c = canon.forward(c, LayerCache::history(&mut cache, CanonSite::C, canon));
        }
        let d_history = match &mlp.canon {
            Some(canon) => LayerCache::history(&mut cache, CanonSite::D, canon),
            None => None,
        };
        x + mlp.forward(c, d_history)
    }
}

/// One layer's keys and values `[batch, heads, capacity, head_dim]`, written in place, and the
/// last inputs of each of its Canon layers (A, B, C, D).
struct LayerCache {
    keys: Tensor<4>,
    values: Tensor<4>,
    canon: [Option<Tensor<3>>; 4],
}

impl LayerCache {
    /// While decoding, the inputs before this step of the Canon layer at `site` (zeros at
    /// first); `None` without a cache.
    fn history<'a>(
        cache: &'a mut Option<&mut LayerCache>,
        site: CanonSite,
        canon: &Canon,
    ) -> Option<&'a mut Tensor<3>> {
        let layer = cache.as_deref_mut()?;
        let batch = layer.keys.dims()[0];
        Some(layer.canon[site as usize].get_or_insert_with(|| canon.empty_history(batch)))
    }

    /// Stores `k`, `v` at `offset..` and returns every key and value up to them.
    fn append(&mut self, k: Tensor<4>, v: Tensor<4>, offset: usize) -> (Tensor<4>, Tensor<4>) {
        let end = offset + k.dims()[2];
        // Taking the tensors out leaves them uniquely owned, so the backend writes in place
        // rather than copying the whole cache every step.
        let write = |cache: &mut Tensor<4>, new: Tensor<4>| {
            let [batch, heads, _, head_dim] = new.dims();
            let taken = std::mem::replace(cache, new.clone());
            *cache = taken.slice_assign([0..batch, 0..heads, offset..end, 0..head_dim], new);
            cache.clone().narrow(2, 0, end)
        };
        (write(&mut self.keys, k), write(&mut self.values, v))
    }
}

/// Keys and values of the positions decoded so far, so that generating one more token costs one
/// position's work rather than a pass over the whole prefix.
pub struct KvCache {
    layers: Vec<LayerCache>,
    /// Positions filled.
    length: usize,
}

impl KvCache {
    /// An empty cache for `batch` sequences of up to `capacity` positions.
    pub fn new(model: &Gpt, batch: usize, capacity: usize) -> Self {
        let device = model.device();
        let layers = model
            .blocks
            .iter()
            .map(|block| {
                let d = block.qkv.weight.dims()[0];
                let shape = [batch, block.heads, capacity, d / block.heads];
                LayerCache {
                    keys: Tensor::zeros(shape, &device),
                    values: Tensor::zeros(shape, &device),
                    canon: Default::default(),
                }
            })
            .collect();
        Self { layers, length: 0 }
    }

    /// Positions filled so far.
    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }
}

#[derive(Module, Debug)]
pub struct Gpt {
    token_embedding: Embedding,
    position_embedding: Option<Embedding>,
    blocks: Vec<Block>,
    final_norm: Normalization,
    /// Absent when the output layer is tied to the token embedding.
    output: Option<Linear>,
    rotary: Option<Rotary>,
    uniform: Option<UniformAttention>,
}

impl Gpt {
    /// A freshly initialised model for `vocab` tokens and windows of up to `context` tokens.
    pub fn new(config: &ModelConfig, vocab: usize, context: usize, device: &Device) -> Self {
        let d = config.d_model;
        let embedding = |rows| {
            EmbeddingConfig::new(rows, d)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: INIT_STD,
                })
                .init(device)
        };
        let canon = |site: CanonSite, channels: usize| {
            config
                .canon
                .has(site)
                .then(|| Canon::new(channels, config.canon_kernel, device))
        };
        let blocks = (0..config.layers)
            .map(|_| {
                let hidden = config.mlp_hidden();
                let mlp = match config.mlp {
                    MlpKind::None => None,
                    kind => Some(Mlp {
                        up: linear(d, hidden, kind == MlpKind::Gelu, device),
                        gate: (kind == MlpKind::GatedSilu)
                            .then(|| linear(d, hidden, false, device)),
                        down: linear(hidden, d, kind == MlpKind::Gelu, device),
                        gelu: Gelu::new(),
                        silu: SiLU::new(),
                        canon: canon(CanonSite::D, config.mlp_d_channels()),
                    }),
                };
                Block {
                    attention_norm: norm(config.norm, d, device),
                    qkv: linear(d, config.attention_inputs(), true, device),
                    projection: linear(d, d, true, device),
                    mlp_norm: mlp.is_some().then(|| norm(config.norm, d, device)),
                    mlp,
                    heads: config.heads,
                    canon_a: canon(CanonSite::A, d),
                    canon_b: canon(CanonSite::B, config.attention_inputs()),
                    canon_c: canon(CanonSite::C, d),
                }
            })
            .collect();
        let model = Self {
            token_embedding: embedding(vocab),
            position_embedding: (config.position == Position::Absolute).then(|| embedding(context)),
            blocks,
            final_norm: norm(config.norm, d, device),
            output: (!config.tie_embeddings).then(|| linear(d, vocab, false, device)),
            rotary: (config.position == Position::Rotary)
                .then(|| Rotary::new(config.rotary_dims(), context, device)),
            uniform: (config.position == Position::Uniform)
                .then(|| UniformAttention::new(config.heads, context, device)),
        };
        model.numbered()
    }

    /// Parameter ids renumbered 0, 1, 2, … in module order (after adapters come or go).
    pub fn numbered(self) -> Self {
        self.map(&mut SequentialIds(0))
    }

    /// The device holding the weights.
    pub fn device(&self) -> Device {
        self.token_embedding.weight.val().device()
    }

    /// Logits `[batch, time, vocab]` for token ids `[batch, time]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.forward_at(tokens, None)
    }

    /// Logits of the next positions of a decoding: `tokens` (`[batch, time]`) continue the
    /// sequences whose keys and values `cache` holds. The first call may pass a whole prompt
    /// (`time` ≥ 1); later calls pass one token per sequence.
    pub fn decode(&self, tokens: Tensor<2, Int>, cache: &mut KvCache) -> Tensor<3> {
        self.forward_at(tokens, Some(cache))
    }

    /// The last block's output `[batch, time, d]` (before the final norm) for token ids
    /// `[batch, time]`: what Part 1's probes read.
    pub fn hidden_states(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.residual_stream(tokens, None)
    }

    fn forward_at(&self, tokens: Tensor<2, Int>, cache: Option<&mut KvCache>) -> Tensor<3> {
        let x = normalize(&self.final_norm, self.residual_stream(tokens, cache));
        match &self.output {
            Some(output) => dense(output, x),
            // One product over all rows, as in `dense` (a broadcast `matmul` would also sum one
            // weight gradient per sequence).
            None => project_rows(x, self.token_embedding.weight.val().transpose(), None),
        }
    }

    /// Embeddings through every block.
    fn residual_stream(
        &self,
        tokens: Tensor<2, Int>,
        mut cache: Option<&mut KvCache>,
    ) -> Tensor<3> {
        let [_, time] = tokens.dims();
        let offset = cache.as_ref().map_or(0, |c| c.length);
        let mut x = self.token_embedding.forward(tokens.clone());
        if let Some(positions) = &self.position_embedding {
            let range = offset as i64..(offset + time) as i64;
            let ids = Tensor::<1, Int>::arange(range, &tokens.device()).unsqueeze::<2>();
            x = x + positions.forward(ids);
        }
        for (i, block) in self.blocks.iter().enumerate() {
            let layer = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            let mixing = (self.rotary.as_ref(), self.uniform.as_ref());
            x = block.forward(x, mixing, offset, layer);
        }
        if let Some(cache) = cache {
            cache.length += time;
        }
        x
    }

    /// Cross-entropy (nats) of each target token, `[batch, time]`.
    pub fn token_losses(&self, tokens: Tensor<2, Int>, targets: Tensor<2, Int>) -> Tensor<2> {
        let logits = self.forward(tokens);
        if let Some(losses) = fused::cross_entropy(&logits, &targets) {
            return losses;
        }
        let log_probs = log_softmax(logits, 2);
        log_probs
            .gather(2, targets.unsqueeze_dim::<3>(2))
            .squeeze_dim::<2>(2)
            .neg()
    }

    /// Mean cross-entropy over the targets where `mask` is 1.
    pub fn masked_loss(
        &self,
        tokens: Tensor<2, Int>,
        targets: Tensor<2, Int>,
        mask: Tensor<2>,
    ) -> Tensor<1> {
        let total = mask.clone().sum();
        (self.token_losses(tokens, targets) * mask).sum() / total
    }

    /// Replaces every parameter by `f(path, shape, current values)`: loads reference weights
    /// (the forward-pass fixture test) and quantizes weights (the capacity evaluation).
    pub fn map_parameters(self, mut f: impl FnMut(&str, &[usize], Vec<f32>) -> Vec<f32>) -> Self {
        struct Mapper<'a, F> {
            f: &'a mut F,
            path: Vec<String>,
        }
        impl<F: FnMut(&str, &[usize], Vec<f32>) -> Vec<f32>> burn::module::ModuleMapper for Mapper<'_, F> {
            fn enter_module(&mut self, name: &str, _: &str) {
                self.path.push(name.to_owned());
            }
            fn exit_module(&mut self, _: &str, _: &str) {
                self.path.pop();
            }
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let (id, tensor, mapper) = param.consume();
                let (shape, device) = (tensor.dims(), tensor.device());
                let current = tensor
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .expect("f32 parameter");
                let values = (self.f)(&self.path.join("."), &shape, current);
                Param::from_mapped_value(
                    id,
                    Tensor::from_data(TensorData::new(values, shape), &device),
                    mapper,
                )
            }
        }
        self.map(&mut Mapper {
            f: &mut f,
            path: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter count the reports use (`ModelConfig::parameters`) is the model's own.
    #[test]
    fn parameter_counts_match_the_built_model() {
        let device = Device::flex();
        for (position, sites, mlp) in [
            (Position::Rotary, "", MlpKind::Gelu),
            (Position::Absolute, "AC", MlpKind::Gelu),
            (Position::Uniform, "ABCD", MlpKind::Gelu),
            (Position::Nope, "ABCD", MlpKind::GatedSilu),
            (Position::Rotary, "AB", MlpKind::None),
        ] {
            let mut config = ModelConfig::gpt2(2, 2, 16);
            (config.position, config.mlp) = (position, mlp);
            config.canon = crate::spec::CanonSites(sites.into());
            let model = Gpt::new(&config, 7, 12, &device);
            assert_eq!(
                model.num_params() as u64,
                config.parameters(7, 12),
                "{position:?}, canon {sites:?}, {mlp:?}"
            );
        }
    }

    /// Decoding with the cache (a prompt, then one token at a time) gives the logits of one full
    /// forward pass, for every position encoding, and with Canon layers (whose last inputs the
    /// cache carries) at every site, with the plain and the gated MLP.
    #[test]
    fn cached_decoding_matches_the_full_forward_pass() {
        let device = Device::flex();
        let positions = [
            Position::Rotary,
            Position::Absolute,
            Position::Uniform,
            Position::Nope,
        ];
        let canon = [
            ("", MlpKind::Gelu),
            ("ABCD", MlpKind::Gelu),
            ("ABCD", MlpKind::GatedSilu),
        ];
        let configs = positions
            .iter()
            .flat_map(|&p| canon.iter().map(move |&c| (p, c)));
        for (position, (sites, mlp)) in configs {
            let mut config = ModelConfig::gpt2(2, 2, 16);
            config.position = position;
            config.rotary_fraction = 1.0;
            config.canon = crate::spec::CanonSites(sites.into());
            config.canon_kernel = 3;
            config.mlp = mlp;
            let model = Gpt::new(&config, 7, 12, &device);
            let rows: [[i64; 9]; 2] = [[0, 3, 4, 2, 6, 5, 3, 0, 2], [0, 2, 2, 5, 3, 4, 6, 1, 3]];
            let ids = |cols: std::ops::Range<usize>| {
                let values: Vec<i64> = rows.iter().flat_map(|r| r[cols.clone()].to_vec()).collect();
                Tensor::<2, Int>::from_data(TensorData::new(values, [2, cols.len()]), &device)
            };
            let read = |t: Tensor<3>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
            let full = read(model.forward(ids(0..9)));
            let mut cache = KvCache::new(&model, 2, 12);
            let mut pieces = vec![read(model.decode(ids(0..4), &mut cache))];
            for t in 4..9 {
                pieces.push(read(model.decode(ids(t..t + 1), &mut cache)));
            }
            assert_eq!(cache.len(), 9);
            // Reassemble [row, time, vocab] from the pieces' [row, t, vocab].
            let mut stitched = Vec::new();
            for row in 0..2 {
                for piece in &pieces {
                    let per_row = piece.len() / 2;
                    stitched.extend_from_slice(&piece[row * per_row..(row + 1) * per_row]);
                }
            }
            let worst = full
                .iter()
                .zip(&stitched)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-5,
                "{position:?}, canon {sites:?}, {mlp:?}: largest difference {worst}"
            );
        }
    }
}
