//! The model's layer-sized operations as single burn operations on the `flex` (CPU) device, each
//! computed by a kernel of `plm-kernels` forward and backward.
//!
//! burn runs attention, norms, GELU and the loss as chains of small tensor operations, and under
//! autodiff records a backward step for each; on the small models the cpu scales train, that
//! traffic costs more than the arithmetic. Every function here returns `None` when its inputs are
//! not on `flex` (e.g. `wgpu`), and the caller then runs burn's own operations: both paths compute
//! the same function (`tests/fused_ops.rs` compares their values and gradients).
//!
//! Inside autodiff each function is one graph node whose backward step calls the kernel's
//! backward; outside (evaluation) it is the kernel's forward alone.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::prelude::*;
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::{Flex, FlexTensor};
use plm_kernels::{attention, canon, cross_entropy, gated, gelu, linear, norm};

/// Off only to compare with burn's own operations (`plm bench train --unfused`, the tests).
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the fused operations on or off for the whole process (on by default).
pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// burn's `flex` device under autodiff (`Device::autodiff()` uses no checkpointing).
type Tracked = Autodiff<Flex, NoCheckpointing>;

/// A tensor recorded by autodiff on `flex`.
type AutodiffTensor = burn_backend::tensor::FloatTensor<Tracked>;

/// A float tensor as it lives on `flex`: recorded by autodiff, or plain.
enum OnFlex {
    Tracked(AutodiffTensor),
    Plain(FlexTensor),
}

impl OnFlex {
    fn of<const D: usize>(tensor: &Tensor<D>) -> Option<Self> {
        if !ENABLED.load(Ordering::Relaxed) {
            return None;
        }
        if let Ok(t) = tensor.clone().try_into_primitive::<Tracked>() {
            return Some(Self::Tracked(t));
        }
        tensor
            .clone()
            .try_into_primitive::<Flex>()
            .ok()
            .map(Self::Plain)
    }

    fn primitive(&self) -> &FlexTensor {
        match self {
            Self::Tracked(t) => t.primitive(),
            Self::Plain(t) => t,
        }
    }
}

/// The values of a `flex` tensor in row-major order, copied only if it is a strided view.
fn values(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(
            tensor
                .to_contiguous()
                .as_slice::<f32>()
                .expect("f32")
                .to_vec(),
        ),
    }
}

fn flex(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn dims(tensor: &FlexTensor) -> Vec<usize> {
    tensor.layout().shape().to_vec()
}

/// Wraps a kernel's output as a burn tensor: a graph node whose backward step is `op` when the
/// input was recorded by autodiff, a plain tensor otherwise.
fn finish<const D: usize, const N: usize, Op>(
    op: Op,
    inputs: [&OnFlex; N],
    state: Op::State,
    output: FlexTensor,
) -> Tensor<D>
where
    Op: Backward<Flex, N>,
{
    if !inputs.iter().any(|i| matches!(i, OnFlex::Tracked(_))) {
        return Tensor::from_primitive::<Flex>(output);
    }
    let nodes = inputs.map(|input| match input {
        OnFlex::Tracked(t) => t.node(),
        OnFlex::Plain(_) => unreachable!("autodiff and plain tensors do not mix"),
    });
    let tracked = match op
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    Tensor::from_primitive::<Tracked>(tracked)
}

/// Registers the gradients of the first `N` parents, in order.
fn give_all<const N: usize, S>(
    ops: &Ops<S, N>,
    grads: &mut Gradients,
    gradients: [Option<FlexTensor>; 3],
) {
    for (index, gradient) in gradients.into_iter().take(N).enumerate() {
        give(
            ops,
            index,
            grads,
            gradient.expect("a gradient for every parent"),
        );
    }
}

/// Registers `grad` as the gradient of parent `index`, if that parent wants one.
fn give<const N: usize, S>(ops: &Ops<S, N>, index: usize, grads: &mut Gradients, grad: FlexTensor) {
    if let Some(parent) = &ops.parents[index] {
        grads.register::<Flex>(parent.id, grad);
    }
}

// ---------------------------------------------------------------------------------------------
// Dense layers

#[derive(Clone, Debug)]
struct LinearState {
    x: FlexTensor,
    weight: FlexTensor,
}

impl LinearState {
    /// `[dx, dW, db]` for the output gradient `dy`; `db` only when `with_bias`.
    fn gradients(&self, dy: &FlexTensor, with_bias: bool) -> [Option<FlexTensor>; 3] {
        let dy = values(dy);
        let shape = dims(&self.weight);
        let (d_in, d_out) = (shape[0], shape[1]);
        let dx = linear::backward_input(&dy, d_out, &values(&self.weight), d_in);
        let dw = linear::backward_weight(&values(&self.x), d_in, &dy, d_out);
        let db = with_bias.then(|| flex(linear::backward_bias(&dy, d_out), vec![d_out]));
        [Some(flex(dx, dims(&self.x))), Some(flex(dw, shape)), db]
    }
}

/// A dense layer's graph node: parents x and W, and b when `N` is 3.
#[derive(Debug)]
struct LinearOp<const N: usize>;

impl<const N: usize> Backward<Flex, N> for LinearOp<N> {
    type State = LinearState;

    fn backward(self, ops: Ops<LinearState, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let gradients = ops.state.gradients(&dy, N == 3);
        give_all(&ops, grads, gradients);
    }
}

/// `x·W (+ b)` for `x` of `[rows, d_in]` and `weight` of `[d_in, d_out]` (burn's layout).
pub fn linear(x: &Tensor<2>, weight: &Tensor<2>, bias: Option<&Tensor<1>>) -> Option<Tensor<2>> {
    let input = OnFlex::of(x)?;
    let weight_in = OnFlex::of(weight)?;
    let bias_in = match bias {
        Some(b) => Some(OnFlex::of(b)?),
        None => None,
    };
    let [rows, d_in] = x.dims();
    let d_out = weight.dims()[1];
    let y = linear::forward(
        &values(input.primitive()),
        d_in,
        &values(weight_in.primitive()),
        d_out,
        bias_in.as_ref().map(|b| values(b.primitive())).as_deref(),
    );
    let state = LinearState {
        x: input.primitive().clone(),
        weight: weight_in.primitive().clone(),
    };
    let output = flex(y, vec![rows, d_out]);
    Some(match &bias_in {
        Some(b) => finish(LinearOp::<3>, [&input, &weight_in, b], state, output),
        None => finish(LinearOp::<2>, [&input, &weight_in], state, output),
    })
}

// ---------------------------------------------------------------------------------------------
// GELU

#[derive(Debug)]
struct Gelu;

impl Backward<Flex, 1> for Gelu {
    type State = FlexTensor;

    fn backward(self, ops: Ops<FlexTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let dx = gelu::backward(&values(&ops.state), &values(&dy));
        give(&ops, 0, grads, flex(dx, dims(&ops.state)));
    }
}

/// Exact GELU of `x`.
pub fn gelu<const D: usize>(x: &Tensor<D>) -> Option<Tensor<D>> {
    let input = OnFlex::of(x)?;
    let primitive = input.primitive();
    let output = flex(gelu::forward(&values(primitive)), dims(primitive));
    Some(finish(Gelu, [&input], primitive.clone(), output))
}

// ---------------------------------------------------------------------------------------------
// Gated SiLU

#[derive(Debug)]
struct GatedSilu;

impl Backward<Flex, 2> for GatedSilu {
    /// The gate and up projections.
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let (gate, up) = &ops.state;
        let (dgate, dup) = gated::backward(&values(gate), &values(up), &values(&dy));
        give(&ops, 0, grads, flex(dgate, dims(gate)));
        give(&ops, 1, grads, flex(dup, dims(up)));
    }
}

/// `silu(gate) · up`, the middle of LLaMA's MLP.
pub fn gated_silu<const D: usize>(gate: &Tensor<D>, up: &Tensor<D>) -> Option<Tensor<D>> {
    let (gate_in, up_in) = (OnFlex::of(gate)?, OnFlex::of(up)?);
    let (g, u) = (gate_in.primitive(), up_in.primitive());
    let output = flex(gated::forward(&values(g), &values(u)), dims(g));
    let state = (g.clone(), u.clone());
    Some(finish(GatedSilu, [&gate_in, &up_in], state, output))
}

// ---------------------------------------------------------------------------------------------
// Canon layers (Part 4.1)

#[derive(Debug)]
struct CanonOp;

impl Backward<Flex, 2> for CanonOp {
    /// The input, the weights and the sizes.
    type State = (FlexTensor, FlexTensor, canon::Shape);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let (h, w, shape) = &ops.state;
        let (dh, dw) = canon::backward(&values(h), &values(w), &values(&dy), *shape);
        give(&ops, 0, grads, flex(dh, dims(h)));
        give(&ops, 1, grads, flex(dw, dims(w)));
    }
}

/// `x + causal_conv(x, w)` for `x` of `[batch, time, channels]` and `weight` of
/// `[kernel, channels]` (`model::canon`).
pub fn canon(x: &Tensor<3>, weight: &Tensor<2>) -> Option<Tensor<3>> {
    let (x_in, w_in) = (OnFlex::of(x)?, OnFlex::of(weight)?);
    let (h, w) = (x_in.primitive(), w_in.primitive());
    let [batch, time, channels] = x.dims();
    let shape = canon::Shape {
        batch,
        time,
        channels,
        kernel: weight.dims()[0],
    };
    let output = flex(canon::forward(&values(h), &values(w), shape), dims(h));
    let state = (h.clone(), w.clone(), shape);
    Some(finish(CanonOp, [&x_in, &w_in], state, output))
}

// ---------------------------------------------------------------------------------------------
// Layer norm and RMS norm

#[derive(Clone, Debug)]
struct NormState {
    kind: norm::Kind,
    x: FlexTensor,
    gamma: FlexTensor,
    stats: Arc<norm::Stats>,
}

impl NormState {
    /// `[dx, dγ, dβ]` for the output gradient `dy` (no dβ for RMS norm).
    fn gradients(&self, dy: &FlexTensor) -> [Option<FlexTensor>; 3] {
        let d = *dims(&self.gamma).last().expect("1-d gain");
        let (dx, dgamma, dbeta) = norm::backward(
            self.kind,
            &values(&self.x),
            d,
            &values(&self.gamma),
            &self.stats,
            &values(dy),
        );
        let dbeta = (self.kind == norm::Kind::Layer).then(|| flex(dbeta, vec![d]));
        [
            Some(flex(dx, dims(&self.x))),
            Some(flex(dgamma, vec![d])),
            dbeta,
        ]
    }
}

/// A norm layer's graph node: parents x and γ, and β when `N` is 3 (layer norm).
#[derive(Debug)]
struct NormOp<const N: usize>;

impl<const N: usize> Backward<Flex, N> for NormOp<N> {
    type State = NormState;

    fn backward(self, ops: Ops<NormState, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let gradients = ops.state.gradients(&dy);
        give_all(&ops, grads, gradients);
    }
}

/// burn's norm layer applied to `x` (`[batch, time, d]`): layer norm with gain and shift, or
/// RMS norm with gain.
pub fn norm(layer: &burn::nn::norm::Normalization, x: &Tensor<3>) -> Option<Tensor<3>> {
    use burn::nn::norm::Normalization;
    let (kind, gamma, beta, epsilon) = match layer {
        Normalization::Layer(l) => (
            norm::Kind::Layer,
            l.gamma.val(),
            Some(l.beta.as_ref()?.val()),
            super::NORM_EPSILON,
        ),
        Normalization::Rms(r) => (norm::Kind::Rms, r.gamma.val(), None, r.epsilon),
        _ => return None,
    };
    let input = OnFlex::of(x)?;
    let gamma_in = OnFlex::of(&gamma)?;
    let beta_in = match &beta {
        Some(b) => Some(OnFlex::of(b)?),
        None => None,
    };
    let x_flex = input.primitive();
    let d = gamma.dims()[0];
    let (y, stats) = norm::forward(
        kind,
        &values(x_flex),
        d,
        &values(gamma_in.primitive()),
        beta_in.as_ref().map(|b| values(b.primitive())).as_deref(),
        epsilon as f32,
    );
    let state = NormState {
        kind,
        x: x_flex.clone(),
        gamma: gamma_in.primitive().clone(),
        stats: Arc::new(stats),
    };
    let output = flex(y, dims(x_flex));
    Some(match &beta_in {
        Some(beta_in) => finish(NormOp::<3>, [&input, &gamma_in, beta_in], state, output),
        None => finish(NormOp::<2>, [&input, &gamma_in], state, output),
    })
}

// ---------------------------------------------------------------------------------------------
// Attention

#[derive(Clone, Debug)]
struct AttentionState {
    qkv: FlexTensor,
    shape: attention::Shape,
    rotary: Option<Arc<RotaryTables>>,
    lse: Arc<Vec<f32>>,
}

/// Cosines and sines of the rotary embedding, `[positions, dims]` each.
#[derive(Debug)]
pub struct RotaryTables {
    pub cos: Vec<f32>,
    pub sin: Vec<f32>,
    pub dims: usize,
}

impl RotaryTables {
    fn view(&self) -> attention::Rotary<'_> {
        attention::Rotary {
            cos: &self.cos,
            sin: &self.sin,
            dims: self.dims,
        }
    }
}

#[derive(Debug)]
struct AttentionOp;

impl Backward<Flex, 1> for AttentionOp {
    type State = AttentionState;

    fn backward(self, ops: Ops<AttentionState, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let state = &ops.state;
        let qkv = values(&state.qkv);
        let mut dqkv = vec![0.0; qkv.len()];
        let rotary = state.rotary.as_deref().map(RotaryTables::view);
        attention::backward(
            &qkv,
            state.shape,
            rotary,
            &state.lse,
            &values(&dy),
            &mut dqkv,
        );
        give(&ops, 0, grads, flex(dqkv, dims(&state.qkv)));
    }
}

/// Causal self-attention of a whole window from the packed projections `qkv`
/// (`[batch, time, 3d]`: queries, keys, values), rotating the first `rotary.dims` dimensions of
/// each head's queries and keys; returns the merged heads `[batch, time, d]`.
pub fn attention(
    qkv: &Tensor<3>,
    heads: usize,
    rotary: Option<Arc<RotaryTables>>,
) -> Option<Tensor<3>> {
    let input = OnFlex::of(qkv)?;
    let [batch, time, three_d] = qkv.dims();
    let d = three_d / 3;
    let shape = attention::Shape {
        batch,
        time,
        heads,
        head_dim: d / heads,
    };
    let primitive = input.primitive();
    let mut y = vec![0.0; batch * time * d];
    let lse = attention::forward(
        &values(primitive),
        shape,
        rotary.as_deref().map(RotaryTables::view),
        &mut y,
    );
    let state = AttentionState {
        qkv: primitive.clone(),
        shape,
        rotary,
        lse: Arc::new(lse),
    };
    Some(finish(
        AttentionOp,
        [&input],
        state,
        flex(y, vec![batch, time, d]),
    ))
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy

#[derive(Clone, Debug)]
struct CrossEntropyState {
    logits: FlexTensor,
    targets: Arc<Vec<u32>>,
    lse: Arc<Vec<f32>>,
}

#[derive(Debug)]
struct CrossEntropyOp;

impl Backward<Flex, 1> for CrossEntropyOp {
    type State = CrossEntropyState;

    fn backward(self, ops: Ops<CrossEntropyState, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dloss = grads.consume::<Flex>(&ops.node);
        let state = &ops.state;
        let logits = values(&state.logits);
        let shape = dims(&state.logits);
        let vocab = *shape.last().expect("logits have a vocabulary axis");
        let dlogits =
            cross_entropy::backward(&logits, vocab, &state.targets, &state.lse, &values(&dloss));
        give(&ops, 0, grads, flex(dlogits, shape));
    }
}

/// Cross-entropy (nats) of each target under `logits` (`[batch, time, vocab]`), `[batch, time]`.
pub fn cross_entropy(logits: &Tensor<3>, targets: &Tensor<2, Int>) -> Option<Tensor<2>> {
    let input = OnFlex::of(logits)?;
    let [batch, time, vocab] = logits.dims();
    let targets: Vec<u32> = targets
        .to_data()
        .convert::<i64>()
        .iter::<i64>()
        .map(|t| t as u32)
        .collect();
    let primitive = input.primitive();
    let (losses, lse) = cross_entropy::forward(&values(primitive), vocab, &targets);
    let state = CrossEntropyState {
        logits: primitive.clone(),
        targets: Arc::new(targets),
        lse: Arc::new(lse),
    };
    Some(finish(
        CrossEntropyOp,
        [&input],
        state,
        flex(losses, vec![batch, time]),
    ))
}
