//! How positions enter attention, besides a learned absolute embedding: rotary queries and keys,
//! and Part 1's uniform attention, which replaces learned attention by fixed averages.

use std::sync::Arc;

use burn::prelude::*;

use super::fused::RotaryTables;

/// Rotary position embedding in the GPT-NeoX half-split form on the first `dims` dimensions of
/// each head: pairs (i, i + dims/2) rotate by angle `position / 10000^(2i/dims)`.
#[derive(Module, Debug)]
pub struct Rotary {
    /// `[context, dims]` tables, constants (not trained, not saved).
    cos: Tensor<2>,
    sin: Tensor<2>,
    pub(super) dims: usize,
    /// The same tables as plain values, for the fused attention kernel (built once here rather
    /// than read back from the tensors at every step).
    #[module(skip)]
    pub(super) plain: Arc<RotaryTables>,
}

impl Rotary {
    pub(super) fn new(dims: usize, context: usize, device: &Device) -> Self {
        let half = dims / 2;
        let mut cos = Vec::with_capacity(context * dims);
        let mut sin = Vec::with_capacity(context * dims);
        for position in 0..context {
            for i in 0..dims {
                let angle = position as f64 / 10000f64.powf(2.0 * (i % half) as f64 / dims as f64);
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        let table = |values: &[f32]| {
            Tensor::from_data(TensorData::new(values.to_vec(), [context, dims]), device)
        };
        Self {
            cos: table(&cos),
            sin: table(&sin),
            dims,
            plain: Arc::new(RotaryTables { cos, sin, dims }),
        }
    }

    /// `x`: `[batch, heads, time, head_dim]` at positions `offset..offset + time`.
    pub(super) fn apply(&self, x: Tensor<4>, offset: usize) -> Tensor<4> {
        let [_, _, time, head_dim] = x.dims();
        let (dims, half) = (self.dims, self.dims / 2);
        let rotated = x.clone().narrow(3, 0, dims);
        let first = rotated.clone().narrow(3, 0, half);
        let second = rotated.clone().narrow(3, half, half);
        let turned = Tensor::cat(vec![second.neg(), first], 3);
        let cos = self.cos.clone().narrow(0, offset, time).unsqueeze::<4>();
        let sin = self.sin.clone().narrow(0, offset, time).unsqueeze::<4>();
        let out = rotated * cos + turned * sin;
        if dims == head_dim {
            out
        } else {
            Tensor::cat(vec![out, x.narrow(3, dims, head_dim - dims)], 3)
        }
    }
}

/// Part 1's uniform attention: head h (1-based) averages the values of the last 2^h − 1
/// positions, its own included (see [`Position::Uniform`]).
#[derive(Module, Debug)]
pub struct UniformAttention {
    /// `[heads, context, context]`: row t of head h holds 1/n over the n positions it averages.
    weights: Tensor<3>,
}

impl UniformAttention {
    pub(super) fn new(heads: usize, context: usize, device: &Device) -> Self {
        let mut weights = vec![0.0f32; heads * context * context];
        for h in 0..heads {
            let window = (1usize << (h + 1).min(62)) - 1;
            for t in 0..context {
                let first = (t + 1).saturating_sub(window);
                let share = 1.0 / (t + 1 - first) as f32;
                let row = (h * context + t) * context;
                weights[row + first..=row + t].fill(share);
            }
        }
        let data = TensorData::new(weights, [heads, context, context]);
        Self {
            weights: Tensor::from_data(data, device),
        }
    }

    /// Averages `v` (`[batch, heads, time, head_dim]`, positions `end − time..end`) over the
    /// windows, reading the values of positions `0..end` from `all_v` (`[batch, heads, end,
    /// head_dim]`; `v` itself without a cache).
    pub(super) fn apply(&self, all_v: Tensor<4>, time: usize) -> Tensor<4> {
        let end = all_v.dims()[2];
        let weights = self
            .weights
            .clone()
            .slice([0..self.weights.dims()[0], end - time..end, 0..end])
            .unsqueeze::<4>();
        weights.matmul(all_v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Head h (1-based) of uniform attention is the mean of the values of the last 2^h − 1
    /// positions up to its own, written out.
    #[test]
    fn uniform_attention_averages_the_last_positions_of_each_head() {
        let device = Device::flex();
        let (heads, time, head_dim) = (3, 9, 2);
        let values: Vec<f32> = (0..heads * time * head_dim)
            .map(|i| ((i * 37) % 11) as f32 - 5.0)
            .collect();
        let v = Tensor::<4>::from_data(
            TensorData::new(values.clone(), [1, heads, time, head_dim]),
            &device,
        );
        let got = UniformAttention::new(heads, 12, &device)
            .apply(v, time)
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap();
        for h in 0..heads {
            let window = (1 << (h + 1)) - 1;
            for t in 0..time {
                let first = (t + 1).saturating_sub(window);
                for i in 0..head_dim {
                    let at = |s: usize| values[(h * time + s) * head_dim + i];
                    let want = (first..=t).map(at).sum::<f32>() / (t + 1 - first) as f32;
                    let value = got[(h * time + t) * head_dim + i];
                    assert!(
                        (value - want).abs() < 1e-5,
                        "head {h} t {t}: {value} vs {want}"
                    );
                }
            }
        }
    }
}
