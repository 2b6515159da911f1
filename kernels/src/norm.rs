//! Layer norm (Ba et al.) and RMS norm (Zhang & Sennrich) over the last dimension of `rows × d`
//! activations, with a per-feature gain `gamma` and, for layer norm, shift `beta`.

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::math::{dot, sum_map};
use crate::simd::multiversion;

/// Rows per parallel piece; the gain and shift gradients are summed per piece, then over pieces
/// in order.
const PIECE_ROWS: usize = 64;

/// Which normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// (x − mean) / √(var + ε) · γ + β
    Layer,
    /// x / √(mean(x²) + ε) · γ
    Rms,
}

/// What the backward pass needs per row: the mean (0 for RMS norm) and 1/√(var + ε).
#[derive(Debug)]
pub struct Stats {
    pub mean: Vec<f32>,
    pub rstd: Vec<f32>,
}

/// `y = norm(x)·γ (+ β)` and the statistics for [`backward`]; `beta` must be `None` for RMS
/// norm.
pub fn forward(
    kind: Kind,
    x: &[f32],
    d: usize,
    gamma: &[f32],
    beta: Option<&[f32]>,
    epsilon: f32,
) -> (Vec<f32>, Stats) {
    assert_eq!(gamma.len(), d);
    assert_eq!(x.len() % d, 0);
    let rows = x.len() / d;
    let mut mean = vec![0.0; rows];
    let mut rstd = vec![0.0; rows];
    // SAFETY: the rows of `y` match those of `x`, and each row is written whole.
    let y = unsafe {
        fresh(x.len(), |y| {
            y.par_chunks_mut(d)
                .zip(x.par_chunks(d))
                .zip(mean.par_iter_mut().zip(rstd.par_iter_mut()))
                .with_min_len(PIECE_ROWS)
                .for_each(|((y, x), (mean, rstd))| {
                    (*mean, *rstd) = forward_row(kind == Kind::Layer, x, gamma, beta, epsilon, y);
                })
        })
    };
    (y, Stats { mean, rstd })
}

multiversion! {
    /// Normalises one row; returns its mean (0 without centring) and 1/√(var + ε).
    fn forward_row(
        centre: bool,
        x: &[f32],
        gamma: &[f32],
        beta: Option<&[f32]>,
        epsilon: f32,
        y: &mut Slots,
    ) -> (f32, f32) {
        let d = x.len();
        assert_eq!(y.len(), d);
        let mu = if centre { sum_map(x, |v| v) / d as f32 } else { 0.0 };
        let var = sum_map(x, |v| (v - mu) * (v - mu)) / d as f32;
        let r = 1.0 / (var + epsilon).sqrt();
        let scaled = y.iter_mut().zip(x).zip(gamma);
        match beta {
            Some(beta) => {
                for (((y, &x), &g), &b) in scaled.zip(beta) {
                    y.write((x - mu) * r * g + b);
                }
            }
            None => {
                for ((y, &x), &g) in scaled {
                    y.write((x - mu) * r * g);
                }
            }
        }
        (mu, r)
    }
}

/// Gradients of [`forward`]: `(dx, dγ, dβ)` (dβ empty for RMS norm).
pub fn backward(
    kind: Kind,
    x: &[f32],
    d: usize,
    gamma: &[f32],
    stats: &Stats,
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    assert_eq!(x.len(), dy.len());
    assert_eq!(x.len() % d, 0);
    let piece = PIECE_ROWS * d;
    let mut partials: Vec<(Vec<f32>, Vec<f32>)> = Vec::new();
    // SAFETY: the pieces of `dx` match those of `x`, and each piece is written whole.
    let dx = unsafe {
        fresh(x.len(), |dx| {
            partials = dx
                .par_chunks_mut(piece)
                .zip(x.par_chunks(piece).zip(dy.par_chunks(piece)))
                .enumerate()
                .map(|(p, (dx, (x, dy)))| {
                    let rows = p * PIECE_ROWS..p * PIECE_ROWS + x.len() / d;
                    backward_piece(
                        kind == Kind::Layer,
                        x,
                        gamma,
                        &stats.mean[rows.clone()],
                        &stats.rstd[rows],
                        dy,
                        dx,
                    )
                })
                .collect();
        })
    };
    let mut dgamma = vec![0.0; d];
    let mut dbeta = vec![0.0; d];
    for (g, b) in &partials {
        for i in 0..d {
            dgamma[i] += g[i];
            dbeta[i] += b[i];
        }
    }
    if kind == Kind::Rms {
        dbeta.clear();
    }
    (dx, dgamma, dbeta)
}

multiversion! {
    /// Gradients of a piece of rows: writes `dx`, returns this piece's `(dγ, dβ)`.
    fn backward_piece(
        centre: bool,
        x: &[f32],
        gamma: &[f32],
        mean: &[f32],
        rstd: &[f32],
        dy: &[f32],
        dx: &mut Slots,
    ) -> (Vec<f32>, Vec<f32>) {
        let d = gamma.len();
        assert_eq!(dx.len(), x.len());
        let mut dgamma = vec![0.0; d];
        let mut dbeta = vec![0.0; d];
        // x̂ = (x − μ)·r and g = dy·γ of the current row.
        let (mut xhat, mut g) = (vec![0.0; d], vec![0.0; d]);
        for (r, ((dx, x), dy)) in dx.chunks_mut(d).zip(x.chunks(d)).zip(dy.chunks(d)).enumerate() {
            let (mu, rs) = (mean[r], rstd[r]);
            // x̂ = (x − μ)·r; g = dy·γ; dx = r·(g − mean(g) − x̂·mean(g·x̂)), the mean(g) term
            // only for layer norm (RMS norm has no centring).
            for ((xh, &x), (gi, (&dy, &gamma))) in
                xhat.iter_mut().zip(x).zip(g.iter_mut().zip(dy.iter().zip(gamma)))
            {
                *xh = (x - mu) * rs;
                *gi = dy * gamma;
            }
            for (((dg, db), &dy), &xh) in dgamma.iter_mut().zip(dbeta.iter_mut()).zip(dy).zip(&xhat) {
                *dg += dy * xh;
                *db += dy;
            }
            let (sum_g, sum_gx) = (sum_map(&g, |v| v), dot(&g, &xhat));
            let mean_g = if centre { sum_g / d as f32 } else { 0.0 };
            let mean_gx = sum_gx / d as f32;
            for ((dx, &gi), &xh) in dx.iter_mut().zip(&g).zip(&xhat) {
                dx.write(rs * (gi - mean_g - xh * mean_gx));
            }
        }
        (dgamma, dbeta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    const D: usize = 24;
    const ROWS: usize = 150;

    fn loss(kind: Kind, x: &[f32], gamma: &[f32], beta: &[f32], weights: &[f32]) -> f64 {
        let beta = (kind == Kind::Layer).then_some(beta);
        let (y, _) = forward(kind, x, D, gamma, beta, 1e-5);
        y.iter().zip(weights).map(|(&y, &w)| f64::from(y * w)).sum()
    }

    #[test]
    fn forward_matches_the_definition_in_f64() {
        let x = sample(ROWS * D, 1, 3.0);
        let gamma = sample(D, 2, 1.0);
        let beta = sample(D, 3, 1.0);
        for kind in [Kind::Layer, Kind::Rms] {
            let b = (kind == Kind::Layer).then_some(&beta[..]);
            let (y, _) = forward(kind, &x, D, &gamma, b, 1e-5);
            let mut want = Vec::new();
            for row in x.chunks(D) {
                let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
                let mu = if kind == Kind::Layer {
                    row.iter().sum::<f64>() / D as f64
                } else {
                    0.0
                };
                let var = row.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / D as f64;
                for i in 0..D {
                    let shift = b.map_or(0.0, |b| f64::from(b[i]));
                    let v = (row[i] - mu) / (var + 1e-5).sqrt() * f64::from(gamma[i]) + shift;
                    want.push(v as f32);
                }
            }
            assert_close(&y, &want, 1e-5, &format!("{kind:?} forward"));
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = sample(ROWS * D, 4, 2.0);
        let gamma = sample(D, 5, 1.5);
        let beta = sample(D, 6, 1.0);
        let weights = sample(ROWS * D, 7, 1.0);
        for kind in [Kind::Layer, Kind::Rms] {
            let b = (kind == Kind::Layer).then_some(&beta[..]);
            let (_, stats) = forward(kind, &x, D, &gamma, b, 1e-5);
            let (dx, dgamma, dbeta) = backward(kind, &x, D, &gamma, &stats, &weights);
            let name = |what: &str| format!("{kind:?} {what}");
            let numeric = finite_difference(&x[..5 * D], |head| {
                let mut probe = x.clone();
                probe[..5 * D].copy_from_slice(head);
                loss(kind, &probe, &gamma, &beta, &weights)
            });
            assert_close(&dx[..5 * D], &numeric, 2e-2, &name("dx"));
            let numeric = finite_difference(&gamma, |g| loss(kind, &x, g, &beta, &weights));
            assert_close(&dgamma, &numeric, 2e-2, &name("dgamma"));
            if kind == Kind::Layer {
                let numeric = finite_difference(&beta, |b| loss(kind, &x, &gamma, b, &weights));
                assert_close(&dbeta, &numeric, 2e-2, &name("dbeta"));
            } else {
                assert!(dbeta.is_empty());
            }
        }
    }
}
