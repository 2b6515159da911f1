//! The learning curve of a grammar run: excess loss (training loss minus the grammar's entropy
//! per token) against tokens seen, and the power law that its second half follows.
//!
//! With fresh sentences each training batch is unseen data, so its mean loss estimates the
//! model's cross-entropy on the grammar; minus the grammar's own entropy per token (the exact
//! sentence entropy over the expected length plus the `<eos>`), that is the mean KL(p* ‖ q) per
//! position, the quantity the KL claim bounds. Windows cut their last sentence, which tilts the
//! mix slightly toward early positions, so it is an estimate next to the held-out KL.

use serde::{Deserialize, Serialize};

/// Points on the curve (log-spaced in steps).
const POINTS: usize = 30;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LearningCurve {
    /// (tokens seen, mean excess loss in nats per token over the steps since the last point).
    pub points: Vec<(f64, f64)>,
    /// The grammar's entropy in nats per token.
    pub floor: f64,
    /// excess ≈ factor · tokens^power, fitted on the points of the second half of training.
    pub fit: Option<(f64, f64)>,
}

impl LearningCurve {
    /// From the loss of every step, `tokens_per_step` and the entropy floor.
    pub fn new(losses: &[f32], tokens_per_step: f64, floor: f64) -> Self {
        let steps = losses.len();
        let mut ends: Vec<usize> = (1..=POINTS)
            .map(|i| (steps as f64).powf(i as f64 / POINTS as f64).round() as usize)
            .filter(|&end| end >= 1)
            .collect();
        ends.dedup();
        let mut points = Vec::new();
        let mut start = 0;
        for end in ends {
            let window = &losses[start..end];
            let mean = window.iter().map(|&l| f64::from(l)).sum::<f64>() / window.len() as f64;
            points.push((end as f64 * tokens_per_step, mean - floor));
            start = end;
        }
        let half = steps as f64 * tokens_per_step / 2.0;
        let tail: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|&(x, y)| x > half && y > 0.0)
            .collect();
        Self {
            fit: power_law(&tail),
            points,
            floor,
        }
    }

    /// Tokens at which the fitted trend reaches `excess` (None without a falling fit).
    pub fn tokens_to_reach(&self, excess: f64) -> Option<f64> {
        let (factor, power) = self.fit?;
        (power < 0.0).then(|| (excess / factor).powf(1.0 / power))
    }
}

/// Least squares on log–log axes: (factor, power) of y = factor · x^power; None for fewer than
/// 3 points.
fn power_law(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let power = sxy / sxx;
    Some(((my - power * mx).exp(), power))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loss that follows floor + 3·t^-0.5 exactly gives back that law and its crossing points.
    #[test]
    fn a_power_law_curve_is_recovered() {
        let (floor, per_step) = (0.4, 1000.0);
        let losses: Vec<f32> = (1..=4000)
            .map(|s| (floor + 3.0 * (s as f64 * per_step).powf(-0.5)) as f32)
            .collect();
        let curve = LearningCurve::new(&losses, per_step, floor);
        let (factor, power) = curve.fit.unwrap();
        // Bucket means lag the law slightly; the fit stays close.
        assert!((power + 0.5).abs() < 0.05, "power {power}");
        assert!((factor / 3.0 - 1.0).abs() < 0.3, "factor {factor}");
        let needed = curve.tokens_to_reach(3.0 * 1e8f64.powf(-0.5)).unwrap();
        assert!((needed / 1e8 - 1.0).abs() < 0.3, "{needed}");
        assert!(curve.points.len() >= 20);
    }
}
