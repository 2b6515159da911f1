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
//! | [`canon`] | Part 4.1's Canon layer: shifted copies, per-channel weights, residual |
//!
//! With the `cube` feature, `canon_cube` holds the Canon layer as cubecl kernels for GPUs (the
//! harness launches them on burn's `wgpu` and `cuda` devices); `tests/device_wgpu.rs` compares
//! them with burn's operations.
//!
//! [`flush_subnormals_on_this_thread`] is set on every training thread: subnormal numbers from
//! peaky attention would otherwise slow products several times.
//!
//! The harness (`plm::model::fused`) registers them as burn autodiff operations on the `flex`
//! device; every other device runs burn's own operations. Each kernel's tests compare it with a
//! direct, unfused implementation and its gradients with finite differences.
//!
//! **Determinism.** The kernels' own loops split work into pieces whose size never depends on
//! the thread count and add partial sums in piece order, so they give the same bits at any number
//! of threads. Matrix products go through `gemm`, as burn's do; the project promises bit-exact
//! training at one thread (and reruns and resumptions there), which the tests check.

pub mod attention;
pub mod canon;
#[cfg(feature = "cube")]
pub mod canon_cube;
pub mod cross_entropy;
mod fresh;
pub mod gated;
pub mod gelu;
pub mod linear;
pub mod math;
pub mod norm;
mod product;
mod simd;
mod subnormal;

pub use subnormal::flush_subnormals_on_this_thread;

#[cfg(test)]
mod check;
