//! The papers' transformer family as a burn module: GPT2-ℓ-h with rotary or absolute positions,
//! its LLaMA-style variant (RMSNorm, gated SiLU MLP) and the reduced-MLP ablations GPT2^{1/4} and
//! GPT2^0. Its configuration, [`crate::spec::ModelConfig`], is plain data in the spec layer;
//! [`gpt`] is the whole model in one readable file, in the spirit of nanoGPT, with the position
//! mechanisms (rotary, uniform attention) in [`positions`] and Part 4.1's Canon layers in
//! [`canon`], LoRA adapters in [`lora`]. [`fused`] (CPU) and `cube` (GPUs, with a GPU feature) run layers as single
//! kernels.

pub mod canon;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
pub mod cube;
pub mod decode;
pub mod fused;
pub mod gpt;
pub mod lora;
pub mod positions;

/// ε of every norm layer (burn's default, and PyTorch's).
pub const NORM_EPSILON: f64 = 1e-5;

pub use gpt::{Gpt, KvCache};
