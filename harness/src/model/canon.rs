//! Part 4.1's Canon layer (Allen-Zhu, arXiv:2512.17351, §4): each position adds a learned,
//! per-channel mix of itself and the `kernel − 1` positions before it,
//! `h'_t = h_t + Σ_{i < kernel} w_i ⊙ h_{t−i}` — a depthwise causal convolution with an explicit
//! residual, no bias and no activation (the paper's recommended "Canon(res)" form). Positions
//! before a window's start count as zero.
//!
//! The operation runs as `plm-kernels`' CPU kernel on `flex` ([`fused::canon`]), as a cubecl
//! kernel on GPUs where one is built, and otherwise as [`composed`], burn's own operations, which
//! is also the reference the kernels are tested against.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;

use super::fused;

/// One Canon layer over `channels` channels.
#[derive(Module, Debug)]
pub struct Canon {
    /// `[kernel, channels]`: row `i` weighs the position `i` steps back.
    weight: Param<Tensor<2>>,
}

impl Canon {
    /// PyTorch's default `Conv1d` initialisation, as the paper's code keeps it: Kaiming-uniform
    /// with a = √5, which for a depthwise convolution (fan-in = `kernel`) is U(−1/√kernel,
    /// 1/√kernel).
    pub fn new(channels: usize, kernel: usize, device: &Device) -> Self {
        let bound = 1.0 / (kernel as f64).sqrt();
        let weight = Initializer::Uniform {
            min: -bound,
            max: bound,
        }
        .init([kernel, channels], device);
        Self { weight }
    }

    fn kernel(&self) -> usize {
        self.weight.dims()[0]
    }

    /// `x + conv(x)` for `x` of `[batch, time, channels]`. While decoding, `history` holds the
    /// `kernel − 1` inputs before `x` (zeros before the first) and is moved along by `time`.
    pub fn forward(&self, x: Tensor<3>, history: Option<&mut Tensor<3>>) -> Tensor<3> {
        let weight = self.weight.val();
        let Some(history) = history else {
            return apply(x, weight);
        };
        let [_, time, _] = x.dims();
        let before = self.kernel() - 1;
        let extended = Tensor::cat(vec![history.clone(), x], 1);
        *history = extended.clone().narrow(1, time, before);
        composed(extended, weight).narrow(1, before, time)
    }

    /// The layer over two tensors of `channels / 2` channels each, as if over their
    /// concatenation (site D of a gated MLP: gate and up projection). Training runs the halves
    /// one at a time, which saves copying both into one tensor and back out.
    pub fn forward_pair(
        &self,
        first: Tensor<3>,
        second: Tensor<3>,
        history: Option<&mut Tensor<3>>,
    ) -> (Tensor<3>, Tensor<3>) {
        if history.is_some() {
            let mut halves = self
                .forward(Tensor::cat(vec![first, second], 2), history)
                .chunk(2, 2);
            let second = halves.pop().expect("two halves");
            return (halves.pop().expect("two halves"), second);
        }
        let mut weights = self.weight.val().chunk(2, 1);
        let (second_weight, first_weight) = (weights.pop().unwrap(), weights.pop().unwrap());
        (apply(first, first_weight), apply(second, second_weight))
    }

    /// Zeros standing for the inputs before a sequence's start, for [`Canon::forward`]'s history.
    pub fn empty_history(&self, batch: usize) -> Tensor<3> {
        let channels = self.weight.dims()[1];
        Tensor::zeros([batch, self.kernel() - 1, channels], &self.weight.device())
    }
}

/// The Canon operation for training and full passes: the device's kernel, else [`composed`].
fn apply(x: Tensor<3>, weight: Tensor<2>) -> Tensor<3> {
    kernel(&x, &weight).unwrap_or_else(|| composed(x, weight))
}

/// The Canon operation by a kernel of the device (`plm-kernels` on `flex`, its cubecl version on
/// GPUs), if it has one.
fn kernel(x: &Tensor<3>, weight: &Tensor<2>) -> Option<Tensor<3>> {
    let on_cpu = fused::canon(x, weight);
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    let on_cpu = on_cpu.or_else(|| super::cube::canon(x, weight));
    on_cpu
}

/// The Canon operation from burn's primitives: `x + Σ_i w[i] ⊙ x` shifted `i` positions later.
pub fn composed(x: Tensor<3>, weight: Tensor<2>) -> Tensor<3> {
    let [batch, time, channels] = x.dims();
    let mut y = x.clone();
    for i in 0..weight.dims()[0].min(time) {
        let tap = weight.clone().narrow(0, i, 1).reshape([1, 1, channels]);
        let shifted = match i {
            0 => x.clone(),
            _ => Tensor::cat(
                vec![
                    Tensor::zeros([batch, i, channels], &x.device()),
                    x.clone().narrow(1, 0, time - i),
                ],
                1,
            ),
        };
        y = y + shifted * tap;
    }
    y
}
