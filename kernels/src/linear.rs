//! A dense layer `y = x·W + b` on `rows × d_in` inputs (`W`: `d_in × d_out`, burn's layout), with
//! its three gradients.
//!
//! burn's own layer allocates every product's output twice (a zeroed byte buffer, then an aligned
//! copy), adds the bias as a second pass and sums its gradient as a third; here the bias seeds the
//! output that the product accumulates into, and each gradient is one product or one reduction.

use rayon::prelude::*;

use crate::fresh::{Slots, fresh};
use crate::product::{View, new_product, product};

/// Rows per parallel piece of the bias gradient.
const PIECE_ROWS: usize = 256;

/// Multiply-adds below which a product runs on the calling thread: waking the others costs more.
const PARALLEL_WORK: usize = 1 << 20;

/// `y = x·W (+ b)`.
pub fn forward(
    x: &[f32],
    d_in: usize,
    weight: &[f32],
    d_out: usize,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let rows = x.len() / d_in;
    assert_eq!(weight.len(), d_in * d_out);
    let (x, w) = (View::rows(x, d_in), View::rows(weight, d_out));
    let Some(bias) = bias else {
        return new_product((rows, d_out, d_in), x, w, parallel(rows, d_out, d_in));
    };
    assert_eq!(bias.len(), d_out);
    let parallel = parallel(rows, d_out, d_in);
    let seed = |piece: &mut Slots| {
        for row in piece.chunks_mut(d_out) {
            for (slot, &b) in row.iter_mut().zip(bias) {
                slot.write(b);
            }
        }
    };
    // SAFETY: every row of `rows × d_out` receives a copy of the bias.
    let mut y = unsafe {
        fresh(rows * d_out, |slots| {
            if parallel {
                slots.par_chunks_mut(PIECE_ROWS * d_out).for_each(seed);
            } else {
                seed(slots);
            }
        })
    };
    product(
        (rows, d_out, d_in),
        &mut y,
        d_out,
        x,
        w,
        1.0,
        true,
        parallel,
    );
    y
}

/// `dx = dy·Wᵀ`.
pub fn backward_input(dy: &[f32], d_out: usize, weight: &[f32], d_in: usize) -> Vec<f32> {
    let rows = dy.len() / d_out;
    let (dy, w_t) = (View::rows(dy, d_out), View::transposed(weight, d_out));
    new_product((rows, d_in, d_out), dy, w_t, parallel(rows, d_in, d_out))
}

/// `dW = xᵀ·dy`.
pub fn backward_weight(x: &[f32], d_in: usize, dy: &[f32], d_out: usize) -> Vec<f32> {
    let rows = x.len() / d_in;
    let (x_t, dy) = (View::transposed(x, d_in), View::rows(dy, d_out));
    new_product((d_in, d_out, rows), x_t, dy, parallel(d_in, d_out, rows))
}

/// `db = Σ_rows dy`, summed per piece of rows and then over pieces in order.
pub fn backward_bias(dy: &[f32], d_out: usize) -> Vec<f32> {
    let partials: Vec<Vec<f32>> = dy
        .par_chunks(PIECE_ROWS * d_out)
        .map(|piece| {
            let mut sum = vec![0.0; d_out];
            for row in piece.chunks(d_out) {
                for (s, &v) in sum.iter_mut().zip(row) {
                    *s += v;
                }
            }
            sum
        })
        .collect();
    let mut db = vec![0.0; d_out];
    for partial in &partials {
        for (s, &v) in db.iter_mut().zip(partial) {
            *s += v;
        }
    }
    db
}

/// Whether an `m × n × k` product is worth splitting over rayon's threads.
fn parallel(m: usize, n: usize, k: usize) -> bool {
    m * n * k >= PARALLEL_WORK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{assert_close, sample};

    const ROWS: usize = 300;
    const D_IN: usize = 7;
    const D_OUT: usize = 5;

    /// Σ over all outputs of y·w for a weighting w, in f64: the loss whose gradients are checked.
    fn loss(x: &[f32], weight: &[f32], bias: &[f32], w: &[f32]) -> f64 {
        let mut total = 0.0;
        for r in 0..ROWS {
            for j in 0..D_OUT {
                let mut y = f64::from(bias[j]);
                for i in 0..D_IN {
                    y += f64::from(x[r * D_IN + i]) * f64::from(weight[i * D_OUT + j]);
                }
                total += y * f64::from(w[r * D_OUT + j]);
            }
        }
        total
    }

    #[test]
    fn forward_and_gradients_match_sums_written_out() {
        let x = sample(ROWS * D_IN, 1, 1.0);
        let weight = sample(D_IN * D_OUT, 2, 1.0);
        let bias = sample(D_OUT, 3, 1.0);
        let dy = sample(ROWS * D_OUT, 4, 1.0);

        let y = forward(&x, D_IN, &weight, D_OUT, Some(&bias));
        let mut want = Vec::new();
        for r in 0..ROWS {
            for j in 0..D_OUT {
                let dot: f64 = (0..D_IN)
                    .map(|i| f64::from(x[r * D_IN + i]) * f64::from(weight[i * D_OUT + j]))
                    .sum();
                want.push((dot + f64::from(bias[j])) as f32);
            }
        }
        assert_close(&y, &want, 1e-5, "y");
        let no_bias = forward(&x, D_IN, &weight, D_OUT, None);
        let shifted: Vec<f32> = no_bias
            .iter()
            .enumerate()
            .map(|(n, v)| v + bias[n % D_OUT])
            .collect();
        assert_close(&shifted, &y, 1e-5, "y without bias");

        // The loss is linear in each argument, so central differences are exact up to rounding.
        let numeric = |which: usize, i: usize| {
            let h = 0.5f32;
            let (mut a, mut b, mut c) = (x.clone(), weight.clone(), bias.clone());
            let probe = |a: &mut Vec<f32>, b: &mut Vec<f32>, c: &mut Vec<f32>, s: f32| {
                match which {
                    0 => a[i] += s,
                    1 => b[i] += s,
                    _ => c[i] += s,
                }
                let l = loss(a, b, c, &dy);
                match which {
                    0 => a[i] -= s,
                    1 => b[i] -= s,
                    _ => c[i] -= s,
                }
                l
            };
            let up = probe(&mut a, &mut b, &mut c, h);
            let down = probe(&mut a, &mut b, &mut c, -h);
            ((up - down) / (2.0 * f64::from(h))) as f32
        };
        let dx = backward_input(&dy, D_OUT, &weight, D_IN);
        let dw = backward_weight(&x, D_IN, &dy, D_OUT);
        let db = backward_bias(&dy, D_OUT);
        let picked_x: Vec<usize> = (0..x.len()).step_by(11).collect();
        let want_dx: Vec<f32> = picked_x.iter().map(|&i| numeric(0, i)).collect();
        let got_dx: Vec<f32> = picked_x.iter().map(|&i| dx[i]).collect();
        assert_close(&got_dx, &want_dx, 1e-4, "dx");
        let want_dw: Vec<f32> = (0..weight.len()).map(|i| numeric(1, i)).collect();
        assert_close(&dw, &want_dw, 1e-4, "dW");
        let want_db: Vec<f32> = (0..bias.len()).map(|i| numeric(2, i)).collect();
        assert_close(&db, &want_db, 1e-4, "db");
    }
}
