//! Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2 (Hendrycks & Gimpel), as GPT-2 and PyTorch's default
//! use it — not the tanh approximation.

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::math::{erf, exp};
use crate::simd::multiversion;

/// Elements per parallel piece.
const PIECE: usize = 1 << 14;

/// `gelu(x)`.
pub fn forward(x: &[f32]) -> Vec<f32> {
    // SAFETY: the pieces of `y` match those of `x`, and each piece writes every value.
    unsafe {
        fresh(x.len(), |y| {
            y.par_chunks_mut(PIECE)
                .zip(x.par_chunks(PIECE))
                .for_each(|(y, x)| forward_piece(x, y))
        })
    }
}

multiversion! {
    fn forward_piece(x: &[f32], y: &mut Slots) {
        assert_eq!(x.len(), y.len());
        for (y, &x) in y.iter_mut().zip(x) {
            y.write(0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2)));
        }
    }
}

/// `dx = dy · gelu'(x)`, with gelu'(x) = Φ(x) + x·φ(x).
pub fn backward(x: &[f32], dy: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), dy.len());
    // SAFETY: the pieces of `dx` match those of `x`, and each piece writes every value.
    unsafe {
        fresh(x.len(), |dx| {
            dx.par_chunks_mut(PIECE)
                .zip(x.par_chunks(PIECE).zip(dy.par_chunks(PIECE)))
                .for_each(|(dx, (x, dy))| backward_piece(x, dy, dx))
        })
    }
}

multiversion! {
    fn backward_piece(x: &[f32], dy: &[f32], dx: &mut Slots) {
        assert_eq!(x.len(), dx.len());
        // 1/√(2π)
        const INV_SQRT_TAU: f32 = 0.398_942_3;
        for ((dx, &x), &dy) in dx.iter_mut().zip(x).zip(dy) {
            let cdf = 0.5 * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
            let pdf = INV_SQRT_TAU * exp(-0.5 * x * x);
            dx.write(dy * (cdf + x * pdf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    #[test]
    fn forward_matches_the_definition() {
        let x = sample(1000, 1, 4.0);
        let y = forward(&x);
        let want: Vec<f32> = x
            .iter()
            .map(|&x| {
                // Φ through the complementary error function's continued fraction would be a
                // second approximation; the trapezoid rule on φ in f64 is exact enough.
                let x = f64::from(x);
                let steps = 20_000;
                let (lo, h) = (-12.0, (x + 12.0) / steps as f64);
                let phi = |t: f64| (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt();
                let mut integral = 0.5 * (phi(lo) + phi(x));
                for i in 1..steps {
                    integral += phi(lo + i as f64 * h);
                }
                (x * integral * h) as f32
            })
            .collect();
        assert_close(&y, &want, 1e-5, "gelu");
    }

    #[test]
    fn backward_matches_finite_differences() {
        let x = sample(300, 2, 3.0);
        let dy = sample(300, 3, 1.0);
        let dx = backward(&x, &dy);
        let numeric = finite_difference(&x, |x| {
            forward(x)
                .iter()
                .zip(&dy)
                .map(|(&y, &g)| f64::from(y * g))
                .sum()
        });
        assert_close(&dx, &numeric, 2e-3, "gelu gradient");
    }
}
