//! The Canon layer ([`crate::canon`]) as cubecl kernels, for GPUs (burn's `wgpu` and `cuda`
//! devices; the harness launches them, `plm::model::cube`). Same function, same layouts
//! (`h`: `[batch, time, channels]`, `w`: `[kernel, channels]`, contiguous), one unit per output
//! value. The weight gradient is a sum over every row, done in two passes without atomics (which
//! WGSL has for f32 only as an optional feature): partial sums over fixed groups of rows, then
//! the groups added in order — so it is deterministic.

use cubecl::prelude::*;

/// Rows (flattened batch × time positions) per partial sum of the weight gradient.
pub const ROWS_PER_GROUP: usize = 32;

/// `y = h + conv(h, w)`: one unit per value of `y`.
#[cube(launch)]
pub fn forward<F: Float>(
    h: &Tensor<F>,
    w: &Tensor<F>,
    y: &mut Tensor<F>,
    time: usize,
    channels: usize,
    kernel: usize,
    #[define(F)] _dtype: ElemType,
) {
    let pos = ABSOLUTE_POS;
    if pos >= y.len() {
        terminate!();
    }
    let c = pos % channels;
    let t = (pos / channels) % time;
    let mut sum = h[pos];
    for i in 0..kernel {
        if i <= t {
            sum += w[i * channels + c] * h[pos - i * channels];
        }
    }
    y[pos] = sum;
}

/// `dh = dy + Σ_i w[i] · dy` shifted `i` positions earlier: one unit per value of `dh`.
#[cube(launch)]
pub fn input_gradient<F: Float>(
    dy: &Tensor<F>,
    w: &Tensor<F>,
    dh: &mut Tensor<F>,
    time: usize,
    channels: usize,
    kernel: usize,
    #[define(F)] _dtype: ElemType,
) {
    let pos = ABSOLUTE_POS;
    if pos >= dh.len() {
        terminate!();
    }
    let c = pos % channels;
    let t = (pos / channels) % time;
    let mut sum = dy[pos];
    for i in 0..kernel {
        if t + i < time {
            sum += w[i * channels + c] * dy[pos + i * channels];
        }
    }
    dh[pos] = sum;
}

/// `partial[g, i, c] = Σ dy[r, c] · h[r − i, c]` over the rows `r` of group `g` whose position in
/// their sequence is at least `i`: one unit per value of `partial` (`[groups, kernel, channels]`).
#[cube(launch)]
pub fn weight_gradient_partial<F: Float>(
    dy: &Tensor<F>,
    h: &Tensor<F>,
    partial: &mut Tensor<F>,
    rows: usize,
    time: usize,
    channels: usize,
    kernel: usize,
    #[define(F)] _dtype: ElemType,
) {
    let pos = ABSOLUTE_POS;
    if pos >= partial.len() {
        terminate!();
    }
    let c = pos % channels;
    let i = (pos / channels) % kernel;
    let first = (pos / (channels * kernel)) * ROWS_PER_GROUP;
    let mut sum = F::new(0.0);
    for j in 0..ROWS_PER_GROUP {
        let r = first + j;
        if r < rows && r % time >= i {
            sum += dy[r * channels + c] * h[(r - i) * channels + c];
        }
    }
    partial[pos] = sum;
}

/// `dw[i, c] = Σ_g partial[g, i, c]`, groups in order: one unit per value of `dw`.
#[cube(launch)]
pub fn weight_gradient_sum<F: Float>(
    partial: &Tensor<F>,
    dw: &mut Tensor<F>,
    groups: usize,
    #[define(F)] _dtype: ElemType,
) {
    let pos = ABSOLUTE_POS;
    let n = dw.len();
    if pos >= n {
        terminate!();
    }
    let mut sum = F::new(0.0);
    for g in 0..groups {
        sum += partial[g * n + pos];
    }
    dw[pos] = sum;
}
