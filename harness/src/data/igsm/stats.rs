//! What can be verified about the generator itself, exactly, on a CPU (Part 2.1 §2,
//! arXiv:2407.20311): the checker accepts every generated solution; the solutions' operation
//! counts follow the generator's definition; and the number of distinct solution templates,
//! estimated with the birthday paradox as in the paper's Prop. 2.2.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::World;
use super::checker::check;
use super::official::{IdGenSettings, generate};
use super::problem::Rngs;

/// The checker's verdicts on generated solutions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckerStats {
    pub problems: usize,
    pub accepted: usize,
    /// The first rejection, if any: the checker's message.
    pub first_rejection: Option<String>,
}

/// Solutions' operation counts (their `;`, one per binary operation or constant) against the
/// generator's definition: op = min(t0, t1) of two uniform draws in 1..=max_op, so
/// P(op = k) = (2(max_op − k) + 1) / max_op².
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpStats {
    pub problems: usize,
    /// Problems with 1, 2, … max_op operations.
    pub counts: Vec<usize>,
    /// The definition's probabilities of 1, 2, … max_op.
    pub expected: Vec<f64>,
    /// Total variation distance between the two.
    pub total_variation: f64,
}

/// Distinct solution templates among problems with exactly `op` operations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateStats {
    pub op: usize,
    pub problems: usize,
    /// Pairs of problems with the same template.
    pub colliding_pairs: u64,
    /// Birthday estimate M(M − 1) / (2 · pairs); `None` when no pair collides.
    pub estimate: Option<f64>,
    /// The smallest template count consistent with the collisions at 95% (one-sided Poisson
    /// bound on the expected number of pairs).
    pub lower_bound_95: f64,
}

/// `problems` problems of `fix_seed(seed)` (one stream, every template bin), checked.
pub fn checker_stats(
    world: &std::sync::Arc<World>,
    settings: &IdGenSettings,
    seed: u32,
    problems: usize,
) -> (CheckerStats, OpStats) {
    let mut rng = Rngs::fix_seed(seed);
    let bins: Vec<u32> = (0..23).collect();
    let mut accepted = 0;
    let mut first_rejection = None;
    let mut counts = vec![0; settings.max_op];
    for _ in 0..problems {
        let generated = generate(world, &mut rng, settings, &bins);
        let solution = generated.solution();
        let verdict = check(
            &generated.problem,
            &solution,
            Some(generated.problem.answer),
        );
        if verdict.correct {
            accepted += 1;
        } else if first_rejection.is_none() {
            first_rejection = verdict.error;
        }
        let ops = solution.matches(';').count();
        if let Some(count) = ops.checked_sub(1).and_then(|k| counts.get_mut(k)) {
            *count += 1;
        }
    }
    let m = settings.max_op as f64;
    let expected: Vec<f64> = (1..=settings.max_op)
        .map(|k| (2.0 * (m - k as f64) + 1.0) / (m * m))
        .collect();
    let total_variation = counts
        .iter()
        .zip(&expected)
        .map(|(&c, &p)| (c as f64 / problems as f64 - p).abs())
        .sum::<f64>()
        / 2.0;
    (
        CheckerStats {
            problems,
            accepted,
            first_rejection,
        },
        OpStats {
            problems,
            counts,
            expected,
            total_variation,
        },
    )
}

/// Birthday-paradox count of the solution templates of problems with exactly `settings.op`
/// operations: `problems` of `fix_seed(seed)`, every template bin.
pub fn template_stats(
    world: &std::sync::Arc<World>,
    settings: &IdGenSettings,
    seed: u32,
    problems: usize,
) -> TemplateStats {
    let op = settings
        .op
        .expect("templates are counted at one operation count");
    let mut rng = Rngs::fix_seed(seed);
    let bins: Vec<u32> = (0..23).collect();
    let mut keys: Vec<[u8; 16]> = (0..problems)
        .map(|_| {
            let generated = generate(world, &mut rng, settings, &bins);
            let digest = Sha256::digest(generated.problem.solution_template().as_bytes());
            digest[..16].try_into().expect("16 bytes")
        })
        .collect();
    keys.sort_unstable();
    let mut colliding_pairs = 0u64;
    let mut run = 1u64;
    for pair in keys.windows(2) {
        if pair[0] == pair[1] {
            run += 1;
        } else {
            colliding_pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    colliding_pairs += run * (run - 1) / 2;
    let m = problems as f64;
    let pairs_of_problems = m * (m - 1.0) / 2.0;
    TemplateStats {
        op,
        problems,
        colliding_pairs,
        estimate: (colliding_pairs > 0).then(|| pairs_of_problems / colliding_pairs as f64),
        lower_bound_95: pairs_of_problems / poisson_upper_95(colliding_pairs),
    }
}

/// The λ with P(X ≤ observed; Poisson(λ)) = 0.05: the one-sided 95% upper bound on a Poisson
/// mean after seeing `observed` events (3.0 for none).
fn poisson_upper_95(observed: u64) -> f64 {
    let cdf = |lambda: f64| {
        let mut term = (-lambda).exp();
        let mut sum = term;
        for k in 1..=observed {
            term *= lambda / k as f64;
            sum += term;
        }
        sum
    };
    let (mut low, mut high) = (0.0, 10.0 + 3.0 * observed as f64);
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if cdf(mid) > 0.05 {
            low = mid;
        } else {
            high = mid;
        }
    }
    (low + high) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// −ln 0.05 for no events; 4.74 for one (the chi-square table's 9.49 / 2).
    #[test]
    fn poisson_bounds_match_tables() {
        assert!((poisson_upper_95(0) - 2.9957).abs() < 1e-3);
        assert!((poisson_upper_95(1) - 4.7439).abs() < 1e-3);
    }
}
