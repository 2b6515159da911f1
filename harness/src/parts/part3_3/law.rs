//! The capacity law as a fit (Part 3.3, Result 1, Fig. 1(a)): a model of P parameters trained
//! on data holding B_max bits stores bits = min(B_max, α·P). Below the capacity boundary the
//! data is the limit (flat at B_max); above it the model is, at α bits per parameter.
//!
//! α is fitted by least squares on log bits, `Σ (ln bits − ln min(B_max, α·P))²`, by a grid over
//! ln α (the objective is flat wherever every point is data-limited, so no derivative-based
//! method). Its uncertainty is a bootstrap over runs: the fit repeated on runs resampled with
//! replacement, with a fixed seed so that the interval is the same bytes every time.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::data::rng::below;

/// One run: parameters, the bits its data holds, the bits it stored (> 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LawPoint {
    pub parameters: f64,
    pub max_bits: f64,
    pub bits: f64,
}

/// α with a 95 % bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LawFit {
    pub alpha: f64,
    pub low: f64,
    pub high: f64,
    /// Points whose fitted value is α·P (the model, not the data, is the limit).
    pub capacity_limited: usize,
}

/// α between 10⁻³ and 10² bits per parameter, in steps of 0.1 % (ln α steps of 10⁻³).
const LN_ALPHA_RANGE: (f64, f64) = (-6.907_755, 4.605_17);
const LN_ALPHA_STEP: f64 = 1e-3;
const RESAMPLES: usize = 1000;

/// A point in logs: (ln P, ln B_max, ln bits), computed once per fit rather than per grid step.
type LogPoint = (f64, f64, f64);

fn logs(points: &[LawPoint]) -> Vec<LogPoint> {
    points
        .iter()
        .map(|p| (p.parameters.ln(), p.max_bits.ln(), p.bits.ln()))
        .collect()
}

fn loss(points: &[LogPoint], ln_alpha: f64) -> f64 {
    points
        .iter()
        .map(|&(ln_p, ln_max, ln_bits)| (ln_bits - ln_max.min(ln_alpha + ln_p)).powi(2))
        .sum()
}

/// The least-squares α; the smallest one on a tie (a flat objective: every point data-limited).
fn best_alpha(points: &[LogPoint]) -> f64 {
    let steps = ((LN_ALPHA_RANGE.1 - LN_ALPHA_RANGE.0) / LN_ALPHA_STEP) as usize;
    let (mut best, mut best_loss) = (LN_ALPHA_RANGE.0, f64::INFINITY);
    for k in 0..=steps {
        let ln_alpha = LN_ALPHA_RANGE.0 + k as f64 * LN_ALPHA_STEP;
        let value = loss(points, ln_alpha);
        if value < best_loss - 1e-12 {
            (best, best_loss) = (ln_alpha, value);
        }
    }
    best.exp()
}

/// Fits α; `None` without a capacity-limited point (then the data, not α, explains every run).
pub fn fit(points: &[LawPoint]) -> Option<LawFit> {
    let in_logs = logs(points);
    let alpha = best_alpha(&in_logs);
    let capacity_limited = points
        .iter()
        .filter(|p| alpha * p.parameters < p.max_bits)
        .count();
    if capacity_limited == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x2b17_5f00);
    let mut alphas: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let sample: Vec<LogPoint> = (0..points.len())
                .map(|_| in_logs[below(&mut rng, points.len() as u32) as usize])
                .collect();
            best_alpha(&sample)
        })
        .collect();
    alphas.sort_by(f64::total_cmp);
    let quantile = |q: f64| alphas[((alphas.len() - 1) as f64 * q).round() as usize];
    Some(LawFit {
        alpha,
        low: quantile(0.025),
        high: quantile(0.975),
        capacity_limited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(parameters: f64, max_bits: f64, alpha: f64, noise: f64) -> LawPoint {
        LawPoint {
            parameters,
            max_bits,
            bits: max_bits.min(alpha * parameters) * noise,
        }
    }

    #[test]
    fn recovers_alpha_from_points_on_the_law() {
        let points: Vec<LawPoint> = [2e3, 5e3, 1e4, 3e4, 1e5]
            .iter()
            .flat_map(|&p| [point(p, 2e4, 1.7, 1.0), point(p, 6e4, 1.7, 1.0)])
            .collect();
        let fit = fit(&points).unwrap();
        assert!((fit.alpha - 1.7).abs() < 2e-3, "{fit:?}");
        assert!(fit.low <= fit.alpha && fit.alpha <= fit.high);
        // Limited by the model: 2e3…1e4 at B = 2e4 (α·P < 2e4), and 2e3…3e4 at B = 6e4.
        assert_eq!(fit.capacity_limited, 7);
    }

    #[test]
    fn the_interval_widens_with_scatter_and_covers_the_truth() {
        let noise = [0.9, 1.1, 0.95, 1.05, 0.92, 1.08];
        let points: Vec<LawPoint> = [1e3, 2e3, 4e3, 8e3, 1.6e4, 3.2e4]
            .iter()
            .zip(noise)
            .map(|(&p, n)| point(p, 1e6, 2.0, n))
            .collect();
        let fit = fit(&points).unwrap();
        assert!(fit.low < 2.0 && 2.0 < fit.high, "{fit:?}");
        assert!(fit.high - fit.low > 0.05, "{fit:?}");
    }

    #[test]
    fn data_limited_points_alone_do_not_determine_alpha() {
        let points = [point(1e5, 1e3, 2.0, 1.0), point(2e5, 1e3, 2.0, 1.0)];
        assert_eq!(fit(&points), None);
    }
}
