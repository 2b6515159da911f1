//! The linear probes of Parts 1 and 3.1: a model's last hidden layer read back as feature rows,
//! and ridge-regularised least squares in closed form (deterministic, no learning rate) that fits
//! one-hot labels to them; a probe's guess is its largest output.

use burn::prelude::*;

use crate::model::Gpt;
use crate::model::decode::values;

/// The last hidden layer for token ids `input` (`[batch, time]`) as plain values with the
/// width `d`: row (r, t) starts at `(r · time + t) · d`.
pub fn hidden_values(model: &Gpt, input: Tensor<2, Int>) -> (Vec<f32>, usize) {
    let hidden = model.hidden_states(input);
    let d = hidden.dims()[2];
    (values(hidden), d)
}

/// One probe input: the `d` values from `at`, with a trailing 1 for the bias.
pub fn feature_row(values: &[f32], at: usize, d: usize) -> Vec<f64> {
    let mut row: Vec<f64> = values[at..at + d].iter().map(|&v| f64::from(v)).collect();
    row.push(1.0);
    row
}

/// Ridge strength relative to the mean diagonal of XᵀX.
const RIDGE: f64 = 1e-4;

/// Ridge least squares: for each of the `width` target columns, the weights `w` (one per feature)
/// minimising |X w − y|² + λ|w|², returned column by column.
pub fn least_squares(features: &[Vec<f64>], targets: &[f64], width: usize) -> Vec<Vec<f64>> {
    let n = features.first().map_or(0, Vec::len);
    let mut gram = vec![0.0; n * n];
    let mut rhs = vec![0.0; n * width];
    for (x, y) in features.iter().zip(targets.chunks(width)) {
        for i in 0..n {
            for j in 0..=i {
                gram[i * n + j] += x[i] * x[j];
            }
            for (c, &t) in y.iter().enumerate() {
                rhs[i * width + c] += x[i] * t;
            }
        }
    }
    let scale = (0..n).map(|i| gram[i * n + i]).sum::<f64>() / n.max(1) as f64;
    for i in 0..n {
        gram[i * n + i] += RIDGE * scale;
    }
    let lower = cholesky(&gram, n);
    (0..width)
        .map(|c| {
            let b: Vec<f64> = (0..n).map(|i| rhs[i * width + c]).collect();
            solve(&lower, n, &b)
        })
        .collect()
}

/// The lower Cholesky factor L (row-major) of the symmetric positive definite `a`, read from its
/// lower triangle: a = L Lᵀ.
fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            l[i * n + j] = if i == j {
                (a[i * n + i] - sum).max(f64::MIN_POSITIVE).sqrt()
            } else {
                (a[i * n + j] - sum) / l[j * n + j]
            };
        }
    }
    l
}

/// x with L Lᵀ x = b.
fn solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| l[i * n + k] * y[k]).sum::<f64>()) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| l[k * n + i] * x[k]).sum::<f64>()) / l[i * n + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Least squares recovers an exact linear relation, and the solve inverts the factor.
    #[test]
    fn least_squares_recovers_a_linear_map() {
        let features: Vec<Vec<f64>> = (0..50)
            .map(|i| {
                let t = f64::from(i);
                vec![(t * 0.37).sin(), (t * 0.11).cos(), t / 50.0, 1.0]
            })
            .collect();
        let w = [0.5, -2.0, 1.5, 0.25];
        let targets: Vec<f64> = features
            .iter()
            .flat_map(|x| {
                let y: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
                [y, -y]
            })
            .collect();
        let fitted = least_squares(&features, &targets, 2);
        for (got, want) in fitted[0].iter().zip(&w) {
            assert!((got - want).abs() < 1e-2, "{got} vs {want}");
        }
        for (got, want) in fitted[1].iter().zip(&w) {
            assert!((got + want).abs() < 1e-2, "{got} vs {}", -want);
        }
    }
}
