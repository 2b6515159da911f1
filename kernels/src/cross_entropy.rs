//! Cross-entropy of each row of logits against its target: loss = logsumexp(z) − z[target].

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::math::{exp, max, sum_map};
use crate::simd::multiversion;

/// Rows per parallel piece.
const PIECE_ROWS: usize = 16;

/// Per-row losses (nats) of `logits` (`rows × vocab`), and each row's logsumexp for the
/// backward pass.
pub fn forward(logits: &[f32], vocab: usize, targets: &[u32]) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(logits.len(), targets.len() * vocab);
    let rows = targets.len();
    let mut losses = vec![0.0; rows];
    let mut lse = vec![0.0; rows];
    losses
        .par_iter_mut()
        .zip(lse.par_iter_mut())
        .zip(logits.par_chunks(vocab).zip(targets.par_iter()))
        .with_min_len(PIECE_ROWS)
        .for_each(|((loss, lse), (z, &target))| {
            *lse = logsumexp(z);
            *loss = *lse - z[target as usize];
        });
    (losses, lse)
}

multiversion! {
    fn logsumexp(z: &[f32]) -> f32 {
        let largest = max(z);
        largest + sum_map(z, |v| exp(v - largest)).ln()
    }
}

/// `dz[r, j] = dloss[r] · (softmax(z_r)[j] − [j = target_r])`.
pub fn backward(
    logits: &[f32],
    vocab: usize,
    targets: &[u32],
    lse: &[f32],
    dloss: &[f32],
) -> Vec<f32> {
    assert_eq!(logits.len(), targets.len() * vocab);
    // SAFETY: the rows of `dlogits` match those of `logits`, and each row is written whole.
    unsafe {
        fresh(logits.len(), |dlogits| {
            dlogits
                .par_chunks_mut(vocab)
                .zip(logits.par_chunks(vocab))
                .zip(targets.par_iter().zip(lse.par_iter().zip(dloss.par_iter())))
                .with_min_len(PIECE_ROWS)
                .for_each(|((dz, z), (&target, (&lse, &g)))| {
                    scaled_softmax(z, lse, g, dz);
                    // Written again: `dz` is not readable as values inside this closure.
                    let t = target as usize;
                    dz[t].write(g * exp(z[t] - lse) - g);
                })
        })
    }
}

multiversion! {
    /// `dz = g · exp(z − lse)`.
    fn scaled_softmax(z: &[f32], lse: f32, g: f32, dz: &mut Slots) {
        assert_eq!(z.len(), dz.len());
        for (dz, &z) in dz.iter_mut().zip(z) {
            dz.write(g * exp(z - lse));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    const VOCAB: usize = 37;

    #[test]
    fn losses_match_log_softmax_in_f64() {
        let logits = sample(20 * VOCAB, 1, 8.0);
        let targets: Vec<u32> = (0..20).map(|i| (i * 7 % VOCAB) as u32).collect();
        let (losses, _) = forward(&logits, VOCAB, &targets);
        let want: Vec<f32> = logits
            .chunks(VOCAB)
            .zip(&targets)
            .map(|(z, &t)| {
                let total: f64 = z.iter().map(|&v| f64::from(v).exp()).sum();
                (total.ln() - f64::from(z[t as usize])) as f32
            })
            .collect();
        assert_close(&losses, &want, 1e-5, "cross-entropy");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let rows = 6;
        let logits = sample(rows * VOCAB, 2, 3.0);
        let targets: Vec<u32> = (0..rows).map(|i| (i * 5 % VOCAB) as u32).collect();
        let weights = sample(rows, 3, 1.0);
        let (_, lse) = forward(&logits, VOCAB, &targets);
        let dlogits = backward(&logits, VOCAB, &targets, &lse, &weights);
        let numeric = finite_difference(&logits, |z| {
            let (losses, _) = forward(z, VOCAB, &targets);
            losses
                .iter()
                .zip(&weights)
                .map(|(&l, &w)| f64::from(l * w))
                .sum()
        });
        assert_close(&dlogits, &numeric, 2e-3, "cross-entropy gradient");
    }
}
