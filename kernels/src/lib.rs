//! plm's fused training operations.
//!
//! burn's CPU backend (`flex`) runs a transformer as dozens of small tensor operations per layer,
//! each reading and writing whole activations, and its autodiff records a backward step for each.
//! On the tiny models the cpu scales train, that bookkeeping and memory traffic, not arithmetic,
//! set the speed. Each module here computes one layer-sized piece of the model — forward and
//! backward — in a single pass over plain `f32` slices:
//!
//! | module | replaces |
//! |---|---|
//! | [`attention`] | rotary, q·kᵀ, scale, causal mask, softmax, ·v, head split and merge |
//! | [`norm`] | layer norm and RMS norm (mean, variance, scale, shift) |
//! | [`gelu`] | exact GELU, with an erf that vectorises |
//! | [`gated`] | LLaMA's silu(gate)·up and its two gradients |
//! | [`cross_entropy`] | log-softmax, gather of the target, negation |
//! | [`linear`] | matrix product, bias broadcast and add, and their gradients (bias sum, transposes) |
//!
//! The harness (`plm::model::fused`) registers them as burn autodiff operations on the `flex`
//! device; every other device runs burn's own operations. Each kernel's tests compare it with a
//! direct, unfused implementation and its gradients with finite differences.
//!
//! **Determinism.** Work is split into pieces whose size never depends on the thread count, and
//! sums across pieces are added in piece order, so results are the same bits at any number of
//! threads.

pub mod attention;
pub mod cross_entropy;
pub mod gated;
pub mod gelu;
pub mod linear;
pub mod math;
pub mod norm;
mod product;
mod simd;

#[cfg(test)]
mod check;
