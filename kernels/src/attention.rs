//! Causal multi-head self-attention from packed projections: `qkv` (`batch × time × 3d`, the
//! query, key and value projections side by side, as one `d → 3d` linear layer makes them) to
//! the heads' outputs merged back to `batch × time × d`, with rotary position embedding on the
//! first dimensions of each head's queries and keys.
//!
//! Forward, per sequence and head: q·kᵀ/√head_dim, softmax over the positions up to each query,
//! then ·v. Only each row's logsumexp is kept; the backward pass recomputes the probabilities
//! from it (as FlashAttention does) instead of storing `time × time` per head.

use rayon::prelude::*;

use crate::math::{dot, exp, exp_in_place, max};
use crate::product::{View, product};
use crate::simd::multiversion;

#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub batch: usize,
    pub time: usize,
    pub heads: usize,
    pub head_dim: usize,
}

impl Shape {
    fn d(&self) -> usize {
        self.heads * self.head_dim
    }
}

/// Rotary tables: row `t` holds the cosines and sines of position `t` for the first `dims`
/// dimensions of a head, which rotate in the GPT-NeoX half-split pairs (i, i + dims/2); both
/// members of a pair have the same angle (only the first half of each row is read).
#[derive(Clone, Copy, Debug)]
pub struct Rotary<'a> {
    pub cos: &'a [f32],
    pub sin: &'a [f32],
    pub dims: usize,
}

/// Queries per block: each block of queries multiplies only the keys up to its last position,
/// which skips most of the masked half of the score matrix.
const BLOCK: usize = 64;

/// The query blocks of a window: `(first row, end row)`; keys `0..end` are visible to the block.
fn blocks(time: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..time)
        .step_by(BLOCK)
        .map(move |r0| (r0, (r0 + BLOCK).min(time)))
}

/// Merged head outputs `y` (`batch × time × d`) and the logsumexp of every (sequence, head,
/// query) row of scores, for [`backward`].
pub fn forward(qkv: &[f32], shape: Shape, rotary: Option<Rotary>, y: &mut [f32]) -> Vec<f32> {
    let (batch, time, heads, hd) = (shape.batch, shape.time, shape.heads, shape.head_dim);
    let d = shape.d();
    assert_eq!(qkv.len(), batch * time * 3 * d);
    assert_eq!(y.len(), batch * time * d);
    let scale = 1.0 / (hd as f32).sqrt();
    let mut lse = vec![0.0; batch * heads * time];
    y.par_chunks_mut(time * d)
        .zip(lse.par_chunks_mut(heads * time))
        .zip(qkv.par_chunks(time * 3 * d))
        .for_each(|((y, lse), qkv)| {
            let (mut q, mut k, mut v) = (
                vec![0.0; time * hd],
                vec![0.0; time * hd],
                vec![0.0; time * hd],
            );
            let mut p = vec![0.0; BLOCK.min(time) * time];
            for h in 0..heads {
                gather_head(qkv, shape, h, rotary, [&mut q, &mut k, &mut v]);
                for (r0, r1) in blocks(time) {
                    let rows = r1 - r0;
                    // p = scale · q kᵀ for this block's queries and the keys they may see.
                    scores(&mut p, &q, &k, (r0, r1), hd, scale);
                    for (r, row) in p[..rows * r1].chunks_mut(r1).enumerate() {
                        lse[h * time + r0 + r] = causal_softmax(row, r0 + r);
                    }
                    // y = p v, written straight into the merged layout.
                    let out = &mut y[r0 * d + h * hd..];
                    let (p, v) = (View::rows(&p, r1), View::rows(&v, hd));
                    product((rows, hd, r1), out, d, p, v, 1.0, false, false);
                }
            }
        });
    lse
}

/// Gradient of [`forward`]'s output with respect to `qkv`, given `dy` (`batch × time × d`).
pub fn backward(
    qkv: &[f32],
    shape: Shape,
    rotary: Option<Rotary>,
    lse: &[f32],
    dy: &[f32],
    dqkv: &mut [f32],
) {
    let (batch, time, heads, hd) = (shape.batch, shape.time, shape.heads, shape.head_dim);
    let d = shape.d();
    assert_eq!(dy.len(), batch * time * d);
    assert_eq!(dqkv.len(), qkv.len());
    let scale = 1.0 / (hd as f32).sqrt();
    dqkv.par_chunks_mut(time * 3 * d)
        .zip(qkv.par_chunks(time * 3 * d))
        .zip(dy.par_chunks(time * d).zip(lse.par_chunks(heads * time)))
        .for_each(|((dqkv, qkv), (dy, lse))| {
            let buffer = || vec![0.0; time * hd];
            let (mut q, mut k, mut v) = (buffer(), buffer(), buffer());
            let (mut dq, mut dk, mut dv) = (buffer(), buffer(), buffer());
            let mut p = vec![0.0; BLOCK.min(time) * time];
            let mut dp = vec![0.0; BLOCK.min(time) * time];
            for h in 0..heads {
                gather_head(qkv, shape, h, rotary, [&mut q, &mut k, &mut v]);
                // Keys past the first block receive their first contribution from a later block.
                dk.fill(0.0);
                dv.fill(0.0);
                for (r0, r1) in blocks(time) {
                    let rows = r1 - r0;
                    let dy_block = &dy[r0 * d + h * hd..];
                    // Probabilities again, from the saved logsumexp.
                    scores(&mut p, &q, &k, (r0, r1), hd, scale);
                    for (r, row) in p[..rows * r1].chunks_mut(r1).enumerate() {
                        causal_probabilities(row, r0 + r, lse[h * time + r0 + r]);
                    }
                    // dp = dy vᵀ, then through the softmax: ds = p ⊙ (dp − p·dp) · scale.
                    let (dy_rows, v_t) = (View::rows(dy_block, d), View::transposed(&v, hd));
                    product((rows, r1, hd), &mut dp, r1, dy_rows, v_t, 1.0, false, false);
                    for (row_p, row_dp) in p[..rows * r1].chunks(r1).zip(dp.chunks_mut(r1)) {
                        softmax_gradient(row_p, row_dp, scale);
                    }
                    // dq = ds k for the block; dv += pᵀ dy and dk += dsᵀ q over the visible keys.
                    let (ds, ds_t) = (View::rows(&dp, r1), View::transposed(&dp, r1));
                    let (k_rows, q_rows) = (View::rows(&k, hd), View::rows(&q[r0 * hd..], hd));
                    let dq_block = &mut dq[r0 * hd..];
                    product((rows, hd, r1), dq_block, hd, ds, k_rows, 1.0, false, false);
                    let p_t = View::transposed(&p, r1);
                    product((r1, hd, rows), &mut dv, hd, p_t, dy_rows, 1.0, true, false);
                    product((r1, hd, rows), &mut dk, hd, ds_t, q_rows, 1.0, true, false);
                }
                scatter(&dq, Slot::new(shape, 0, h), rotary, dqkv);
                scatter(&dk, Slot::new(shape, 1, h), rotary, dqkv);
                scatter(&dv, Slot::new(shape, 2, h), None, dqkv);
            }
        });
}

multiversion! {
    /// Softmax of `row[..=i]` in place, zeros after; returns the logsumexp of `row[..=i]`.
    fn causal_softmax(row: &mut [f32], i: usize) -> f32 {
        let largest = max(&row[..=i]);
        let sum = exp_in_place(&mut row[..=i], largest);
        let inv = 1.0 / sum;
        row[..=i].iter_mut().for_each(|s| *s *= inv);
        row[i + 1..].fill(0.0);
        largest + sum.ln()
    }
}

multiversion! {
    /// The probabilities of scores `row[..=i]` given their logsumexp, zeros after.
    fn causal_probabilities(row: &mut [f32], i: usize, lse: f32) {
        row[..=i].iter_mut().for_each(|s| *s = exp(*s - lse));
        row[i + 1..].fill(0.0);
    }
}

multiversion! {
    /// Through the softmax: `dp ← p ⊙ (dp − p·dp) · scale`.
    fn softmax_gradient(p: &[f32], dp: &mut [f32], scale: f32) {
        let through = dot(p, dp);
        for (g, &pr) in dp.iter_mut().zip(p) {
            *g = pr * (*g - through) * scale;
        }
    }
}

/// Where one head of one projection sits in a sequence's packed rows (`time × 3d`).
#[derive(Clone, Copy)]
struct Slot {
    row: usize,
    start: usize,
    width: usize,
}

impl Slot {
    /// Head `h` of projection `section` (0 query, 1 key, 2 value).
    fn new(shape: Shape, section: usize, h: usize) -> Self {
        let (hd, d) = (shape.head_dim, shape.d());
        Self {
            row: 3 * d,
            start: section * d + h * hd,
            width: hd,
        }
    }

    /// The head's values at position `t`.
    fn at(self, t: usize) -> std::ops::Range<usize> {
        let start = t * self.row + self.start;
        start..start + self.width
    }
}

/// Head `h`'s queries and keys (rotated) and values, each `time × head_dim`.
fn gather_head(qkv: &[f32], shape: Shape, h: usize, rotary: Option<Rotary>, out: [&mut [f32]; 3]) {
    let [q, k, v] = out;
    gather(qkv, Slot::new(shape, 0, h), rotary, q);
    gather(qkv, Slot::new(shape, 1, h), rotary, k);
    gather(qkv, Slot::new(shape, 2, h), None, v);
}

/// Copies a head into `out` (`time × head_dim`), rotating it when `rotary` is given.
fn gather(qkv: &[f32], slot: Slot, rotary: Option<Rotary>, out: &mut [f32]) {
    for (t, out) in out.chunks_mut(slot.width).enumerate() {
        copy_rotated(&qkv[slot.at(t)], out, rotary, t, 1.0);
    }
}

/// Writes the gradient `g` (`time × head_dim`) of a gathered head back to its place in `dqkv`,
/// through the transpose of the rotation (the rotation back).
fn scatter(g: &[f32], slot: Slot, rotary: Option<Rotary>, dqkv: &mut [f32]) {
    for (t, g) in g.chunks(slot.width).enumerate() {
        copy_rotated(g, &mut dqkv[slot.at(t)], rotary, t, -1.0);
    }
}

/// `out = x` rotated at position `t` by each pair's angle (`sign` 1) or back by it (`sign` −1).
/// Pairs (i, i + dims/2) share one angle, so `cos[i]` and `sin[i]` serve both.
fn copy_rotated(x: &[f32], out: &mut [f32], rotary: Option<Rotary>, t: usize, sign: f32) {
    let Some(r) = rotary.filter(|r| r.dims > 0) else {
        out.copy_from_slice(x);
        return;
    };
    let half = r.dims / 2;
    let (cos, sin) = (&r.cos[t * r.dims..][..half], &r.sin[t * r.dims..][..half]);
    let (x_first, x_rest) = x.split_at(half);
    let (out_first, out_rest) = out.split_at_mut(half);
    let rotated = (&mut *out_first, &mut out_rest[..half]);
    rotate_pairs(x_first, &x_rest[..half], rotated, cos, sin, sign);
    out[r.dims..].copy_from_slice(&x[r.dims..]);
}

multiversion! {
    /// The rotation of [`copy_rotated`] on the pairs' first and second members.
    fn rotate_pairs(
        a: &[f32],
        b: &[f32],
        out: (&mut [f32], &mut [f32]),
        cos: &[f32],
        sin: &[f32],
        sign: f32,
    ) {
        let (out_a, out_b) = out;
        let inputs = a.iter().zip(b).zip(cos.iter().zip(sin));
        for ((oa, ob), ((&a, &b), (&c, &s))) in out_a.iter_mut().zip(out_b.iter_mut()).zip(inputs) {
            let s = sign * s;
            *oa = a * c - b * s;
            *ob = b * c + a * s;
        }
    }
}

/// `p = scale · q kᵀ` for the queries `r0..r1` and the keys `0..r1` they may see (`p` row-major,
/// `r1` wide).
fn scores(p: &mut [f32], q: &[f32], k: &[f32], (r0, r1): (usize, usize), hd: usize, scale: f32) {
    let (q, k_t) = (View::rows(&q[r0 * hd..], hd), View::transposed(k, hd));
    product((r1 - r0, r1, hd), p, r1, q, k_t, scale, false, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    const SHORT: Shape = Shape {
        batch: 2,
        time: 7,
        heads: 2,
        head_dim: 6,
    };
    /// Longer than a query block, so that blocks and their accumulation are exercised, with two
    /// heads, so that a head's scratch buffers come used.
    const LONG: Shape = Shape {
        batch: 1,
        time: 150,
        heads: 2,
        head_dim: 4,
    };

    fn tables(shape: Shape, dims: usize) -> (Vec<f32>, Vec<f32>) {
        let half = dims / 2;
        let angle =
            |t: usize, i: usize| t as f32 / 10000f32.powf(2.0 * (i % half) as f32 / dims as f32);
        let cos = (0..shape.time * dims)
            .map(|n| angle(n / dims, n % dims).cos())
            .collect();
        let sin = (0..shape.time * dims)
            .map(|n| angle(n / dims, n % dims).sin())
            .collect();
        (cos, sin)
    }

    /// No rotation, and rotation of the first 4 dimensions of each head.
    fn with_and_without<'a>(cos: &'a [f32], sin: &'a [f32]) -> [Option<Rotary<'a>>; 2] {
        [None, Some(Rotary { cos, sin, dims: 4 })]
    }

    /// Attention written out one score at a time, in f64, rotating with explicit pairs.
    fn reference(qkv: &[f32], shape: Shape, rotary: Option<Rotary>) -> Vec<f32> {
        let Shape {
            batch,
            time,
            heads,
            head_dim,
        } = shape;
        let d = heads * head_dim;
        let at = |b: usize, t: usize, s: usize, h: usize, i: usize| {
            f64::from(qkv[(b * time + t) * 3 * d + s * d + h * head_dim + i])
        };
        let rotated = |b, t, s, h| -> Vec<f64> {
            let x: Vec<f64> = (0..head_dim).map(|i| at(b, t, s, h, i)).collect();
            let Some(r) = rotary else { return x };
            let half = r.dims / 2;
            let mut out = x.clone();
            for i in 0..half {
                let (c, s) = (
                    f64::from(r.cos[t * r.dims + i]),
                    f64::from(r.sin[t * r.dims + i]),
                );
                out[i] = x[i] * c - x[i + half] * s;
                out[i + half] = x[i + half] * c + x[i] * s;
            }
            out
        };
        let mut y = vec![0.0f32; batch * time * d];
        for b in 0..batch {
            for h in 0..heads {
                for i in 0..time {
                    let q = rotated(b, i, 0, h);
                    let scores: Vec<f64> = (0..=i)
                        .map(|j| {
                            let k = rotated(b, j, 1, h);
                            q.iter().zip(&k).map(|(a, b)| a * b).sum::<f64>()
                                / (head_dim as f64).sqrt()
                        })
                        .collect();
                    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
                    for c in 0..head_dim {
                        let value: f64 = (0..=i)
                            .map(|j| (scores[j] - max).exp() / total * at(b, j, 2, h, c))
                            .sum();
                        y[(b * time + i) * d + h * head_dim + c] = value as f32;
                    }
                }
            }
        }
        y
    }

    #[test]
    fn forward_matches_scores_written_out() {
        for shape in [SHORT, LONG] {
            let qkv = sample(shape.batch * shape.time * 3 * shape.d(), 1, 2.0);
            let (cos, sin) = tables(shape, 4);
            for rotary in with_and_without(&cos, &sin) {
                let mut y = vec![0.0; shape.batch * shape.time * shape.d()];
                forward(&qkv, shape, rotary, &mut y);
                assert_close(&y, &reference(&qkv, shape, rotary), 1e-5, "attention");
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for (shape, probes) in [(SHORT, 1), (LONG, 13)] {
            let qkv = sample(shape.batch * shape.time * 3 * shape.d(), 2, 1.5);
            let weights = sample(shape.batch * shape.time * shape.d(), 3, 1.0);
            let (cos, sin) = tables(shape, 4);
            for rotary in with_and_without(&cos, &sin) {
                let mut y = vec![0.0; weights.len()];
                let lse = forward(&qkv, shape, rotary, &mut y);
                let mut dqkv = vec![0.0; qkv.len()];
                backward(&qkv, shape, rotary, &lse, &weights, &mut dqkv);
                // Every coordinate of the short window; every 13th of the long one.
                let picked: Vec<usize> = (0..qkv.len()).step_by(probes).collect();
                let numeric = finite_difference(
                    &picked.iter().map(|&i| qkv[i]).collect::<Vec<_>>(),
                    |values| {
                        let mut x = qkv.clone();
                        for (&i, &v) in picked.iter().zip(values) {
                            x[i] = v;
                        }
                        let mut y = vec![0.0; weights.len()];
                        forward(&x, shape, rotary, &mut y);
                        y.iter()
                            .zip(&weights)
                            .map(|(&y, &w)| f64::from(y * w))
                            .sum()
                    },
                );
                let analytic: Vec<f32> = picked.iter().map(|&i| dqkv[i]).collect();
                assert_close(&analytic, &numeric, 5e-3, "attention gradient");
            }
        }
    }
}
