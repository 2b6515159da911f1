//! The Canon layer of Part 4.1 (Allen-Zhu, arXiv:2512.17351, §3) on the CPU: a depthwise causal
//! convolution with a residual,
//!
//! `y[b, t, c] = h[b, t, c] + Σ_{i < K} w[i, c] · h[b, t − i, c]`,
//!
//! where positions before a window's start count as zero (no state crosses windows). `h` is
//! `[batch, time, channels]` and `w` is `[kernel, channels]`, both row-major. The GPU version is
//! a cubecl kernel (harness, `wgpu`/`cuda`); both are checked against the same references.
//!
//! Sums run over `i` ascending from the residual, in the same order on every thread count; the
//! weight gradient adds one partial sum per sequence in sequence order.

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::simd::multiversion;

/// Sizes of one Canon operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub batch: usize,
    pub time: usize,
    pub channels: usize,
    /// Taps of the convolution: the position itself and the `kernel − 1` before it.
    pub kernel: usize,
}

impl Shape {
    fn check(&self, h: &[f32], w: &[f32]) {
        assert_eq!(
            h.len(),
            self.batch * self.time * self.channels,
            "canon input size"
        );
        assert_eq!(w.len(), self.kernel * self.channels, "canon weight size");
    }
}

/// `y = h + causal_conv(h, w)`.
pub fn forward(h: &[f32], w: &[f32], shape: Shape) -> Vec<f32> {
    shape.check(h, w);
    let sequence = shape.time * shape.channels;
    if sequence == 0 {
        return Vec::new();
    }
    // SAFETY: the sequences of `y` match those of `h`, and each call writes all of its values.
    unsafe {
        fresh(h.len(), |y| {
            y.par_chunks_mut(sequence)
                .zip(h.par_chunks(sequence))
                .for_each(|(y, h)| forward_sequence(h, w, shape, y))
        })
    }
}

multiversion! {
    fn forward_sequence(h: &[f32], w: &[f32], shape: Shape, y: &mut Slots) {
        let c = shape.channels;
        for t in 0..shape.time {
            let row = t * c;
            let taps = shape.kernel.min(t + 1);
            mix_row(&mut y[row..row + c], &h[row..row + c], w, taps, |i| &h[row - i * c..]);
        }
    }
}

/// `out = base + Σ_{i < taps} w[i] ⊙ source(i)`, for one position's channels.
///
/// The channels go in blocks that stay in vector registers while every tap is added, so the
/// taps' rows are read contiguously; each value still sums the base first and then the taps in
/// ascending order.
#[inline(always)]
fn mix_row<'a>(
    out: &mut Slots,
    base: &[f32],
    w: &[f32],
    taps: usize,
    source: impl Fn(usize) -> &'a [f32],
) {
    const BLOCK: usize = 32;
    let c = base.len();
    for start in (0..c).step_by(BLOCK) {
        let n = BLOCK.min(c - start);
        let mut sums = [0.0f32; BLOCK];
        let sums = &mut sums[..n];
        sums.copy_from_slice(&base[start..start + n]);
        for i in 0..taps {
            let weights = &w[i * c + start..][..n];
            let inputs = &source(i)[start..start + n];
            for ((sum, &weight), &input) in sums.iter_mut().zip(weights).zip(inputs) {
                *sum += weight * input;
            }
        }
        for (slot, &sum) in out[start..start + n].iter_mut().zip(sums.iter()) {
            slot.write(sum);
        }
    }
}

/// Gradients of [`forward`]: `(dh, dw)` from the output gradient `dy`.
///
/// `dh[t] = dy[t] + Σ_i w[i] · dy[t + i]` and `dw[i] = Σ_{b, t ≥ i} dy[b, t] · h[b, t − i]`.
pub fn backward(h: &[f32], w: &[f32], dy: &[f32], shape: Shape) -> (Vec<f32>, Vec<f32>) {
    shape.check(h, w);
    assert_eq!(dy.len(), h.len(), "canon output gradient size");
    let sequence = shape.time * shape.channels;
    if sequence == 0 {
        return (Vec::new(), vec![0.0; w.len()]);
    }
    // SAFETY: as in `forward`: every sequence of `dh` is written whole.
    let dh = unsafe {
        fresh(h.len(), |dh| {
            dh.par_chunks_mut(sequence)
                .zip(dy.par_chunks(sequence))
                .for_each(|(dh, dy)| input_gradient_sequence(dy, w, shape, dh))
        })
    };
    let partials: Vec<Vec<f32>> = h
        .par_chunks(sequence)
        .zip(dy.par_chunks(sequence))
        .map(|(h, dy)| weight_gradient_sequence(h, dy, shape))
        .collect();
    let mut dw = vec![0.0f32; w.len()];
    for partial in &partials {
        for (total, &p) in dw.iter_mut().zip(partial) {
            *total += p;
        }
    }
    (dh, dw)
}

multiversion! {
    fn input_gradient_sequence(dy: &[f32], w: &[f32], shape: Shape, dh: &mut Slots) {
        let c = shape.channels;
        for t in 0..shape.time {
            let row = t * c;
            let taps = shape.kernel.min(shape.time - t);
            mix_row(&mut dh[row..row + c], &dy[row..row + c], w, taps, |i| &dy[row + i * c..]);
        }
    }
}

multiversion! {
    fn weight_gradient_sequence(h: &[f32], dy: &[f32], shape: Shape) -> Vec<f32> {
        let c = shape.channels;
        let mut dw = vec![0.0f32; shape.kernel * c];
        for i in 0..shape.kernel.min(shape.time) {
            let tap = &mut dw[i * c..(i + 1) * c];
            for t in i..shape.time {
                let (g, x) = (&dy[t * c..(t + 1) * c], &h[(t - i) * c..(t - i + 1) * c]);
                for ((acc, &g), &x) in tap.iter_mut().zip(g).zip(x) {
                    *acc += g * x;
                }
            }
        }
        dw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    const SHAPE: Shape = Shape {
        batch: 3,
        time: 7,
        channels: 5,
        kernel: 4,
    };

    /// The definition, in f64, one output at a time.
    fn reference(h: &[f32], w: &[f32], s: Shape) -> Vec<f32> {
        let at = |b: usize, t: usize, c: usize| f64::from(h[(b * s.time + t) * s.channels + c]);
        let mut y = Vec::new();
        for b in 0..s.batch {
            for t in 0..s.time {
                for c in 0..s.channels {
                    let conv: f64 = (0..s.kernel)
                        .filter(|&i| i <= t)
                        .map(|i| f64::from(w[i * s.channels + c]) * at(b, t - i, c))
                        .sum();
                    y.push((at(b, t, c) + conv) as f32);
                }
            }
        }
        y
    }

    #[test]
    fn forward_matches_the_definition_for_every_kernel_size() {
        for kernel in 1..=4 {
            let s = Shape { kernel, ..SHAPE };
            let h = sample(s.batch * s.time * s.channels, 1, 1.0);
            let w = sample(kernel * s.channels, 2, 0.5);
            assert_close(&forward(&h, &w, s), &reference(&h, &w, s), 1e-6, "canon");
        }
        // Windows shorter than the kernel see zeros before their start.
        let s = Shape { time: 2, ..SHAPE };
        let h = sample(s.batch * s.time * s.channels, 3, 1.0);
        let w = sample(s.kernel * s.channels, 4, 0.5);
        assert_close(
            &forward(&h, &w, s),
            &reference(&h, &w, s),
            1e-6,
            "short canon",
        );
    }

    #[test]
    fn gradients_match_finite_differences() {
        let s = SHAPE;
        let h = sample(s.batch * s.time * s.channels, 5, 1.0);
        let w = sample(s.kernel * s.channels, 6, 0.5);
        let dy = sample(h.len(), 7, 1.0);
        let loss = |y: Vec<f32>| -> f64 {
            y.iter()
                .zip(&dy)
                .map(|(&y, &g)| f64::from(y) * f64::from(g))
                .sum()
        };
        let (dh, dw) = backward(&h, &w, &dy, s);
        let numeric_h = finite_difference(&h, |h| loss(forward(h, &w, s)));
        let numeric_w = finite_difference(&w, |w| loss(forward(&h, w, s)));
        assert_close(&dh, &numeric_h, 2e-3, "canon input gradient");
        assert_close(&dw, &numeric_w, 2e-3, "canon weight gradient");
    }

    #[test]
    fn the_weight_gradient_does_not_depend_on_the_thread_count() {
        let s = Shape {
            batch: 16,
            time: 64,
            channels: 32,
            kernel: 4,
        };
        let h = sample(s.batch * s.time * s.channels, 8, 1.0);
        let w = sample(s.kernel * s.channels, 9, 0.5);
        let dy = sample(h.len(), 10, 1.0);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| backward(&h, &w, &dy, s))
        };
        assert_eq!(on(1), on(3));
    }
}
