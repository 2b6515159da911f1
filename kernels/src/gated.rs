//! LLaMA's gated activation, silu(g)·u with silu(g) = g·σ(g) (Shazeer, "GLU variants"): the
//! middle of the gated MLP `down(silu(gate(x)) · up(x))`.

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::math::exp;
use crate::simd::multiversion;

/// Elements per parallel piece.
const PIECE: usize = 1 << 14;

/// `silu(gate) · up`.
pub fn forward(gate: &[f32], up: &[f32]) -> Vec<f32> {
    assert_eq!(gate.len(), up.len());
    // SAFETY: the pieces of `y` match those of `gate`, and each piece writes every value.
    unsafe {
        fresh(gate.len(), |y| {
            y.par_chunks_mut(PIECE)
                .zip(gate.par_chunks(PIECE).zip(up.par_chunks(PIECE)))
                .for_each(|(y, (g, u))| forward_piece(g, u, y))
        })
    }
}

multiversion! {
    fn forward_piece(gate: &[f32], up: &[f32], y: &mut Slots) {
        assert_eq!(gate.len(), y.len());
        for ((y, &g), &u) in y.iter_mut().zip(gate).zip(up) {
            y.write(g / (1.0 + exp(-g)) * u);
        }
    }
}

/// `(dgate, dup)` for the output gradient `dy`: dup = dy·silu(g), dgate = dy·u·silu'(g) with
/// silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
pub fn backward(gate: &[f32], up: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(gate.len(), dy.len());
    assert_eq!(gate.len(), up.len());
    let len = gate.len();
    // SAFETY (both): the pieces of the outputs match those of `gate`, and each piece writes
    // every value of both.
    let mut dup = Vec::new();
    let dgate = unsafe {
        fresh(len, |dgate| {
            dup = fresh(len, |dup| {
                dgate
                    .par_chunks_mut(PIECE)
                    .zip(dup.par_chunks_mut(PIECE))
                    .zip(
                        gate.par_chunks(PIECE)
                            .zip(up.par_chunks(PIECE).zip(dy.par_chunks(PIECE))),
                    )
                    .for_each(|((dg, du), (g, (u, dy)))| backward_piece(g, u, dy, dg, du))
            })
        })
    };
    (dgate, dup)
}

multiversion! {
    fn backward_piece(gate: &[f32], up: &[f32], dy: &[f32], dgate: &mut Slots, dup: &mut Slots) {
        assert!(gate.len() == dgate.len() && gate.len() == dup.len());
        let outputs = dgate.iter_mut().zip(dup.iter_mut());
        for ((dg, du), ((&g, &u), &dy)) in outputs.zip(gate.iter().zip(up).zip(dy)) {
            let sigmoid = 1.0 / (1.0 + exp(-g));
            du.write(dy * g * sigmoid);
            dg.write(dy * u * sigmoid * (1.0 + g * (1.0 - sigmoid)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, finite_difference, sample};

    #[test]
    fn forward_matches_the_definition_in_f64() {
        let (g, u) = (sample(500, 1, 8.0), sample(500, 2, 2.0));
        let y = forward(&g, &u);
        let want: Vec<f32> = g
            .iter()
            .zip(&u)
            .map(|(&g, &u)| {
                let g = f64::from(g);
                (g / (1.0 + (-g).exp()) * f64::from(u)) as f32
            })
            .collect();
        assert_close(&y, &want, 1e-6, "silu(g)·u");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let (g, u, dy) = (
            sample(200, 3, 4.0),
            sample(200, 4, 2.0),
            sample(200, 5, 1.0),
        );
        let (dg, du) = backward(&g, &u, &dy);
        let loss = |g: &[f32], u: &[f32]| {
            forward(g, u)
                .iter()
                .zip(&dy)
                .map(|(&y, &w)| f64::from(y * w))
                .sum::<f64>()
        };
        assert_close(&dg, &finite_difference(&g, |g| loss(g, &u)), 2e-3, "dgate");
        assert_close(&du, &finite_difference(&u, |u| loss(&g, u)), 2e-3, "dup");
    }
}
