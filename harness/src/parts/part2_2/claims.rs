//! Part 2.2's estimators: accuracy with and without retry data (the best run of each, as the
//! paper reports its best settings), their difference, how often models retry, and the checker
//! and the rate of mistakes on the retry data itself.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::parts::Estimate;
use crate::parts::Part;
use crate::parts::part2_1::Part21;
use crate::parts::part2_1::solutions::{Measurements, best_accuracy};
use crate::run::Manifest;

/// `estimator = "..."` in a Part 2.2 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// The best full-solution accuracy on test templates with `ops = [low, high]` operations,
    /// among runs trained with retry data (`retry = true`) or without.
    Accuracy {
        retry: bool,
        #[serde(default)]
        ops: Option<(usize, usize)>,
    },
    /// The best accuracy with retry data minus the best without, over `ops`.
    RetryGain {
        #[serde(default)]
        ops: Option<(usize, usize)>,
    },
    /// `[BACK]` sentences per test problem written by the best run with retry data.
    RetriesPerProblem,
    /// The share of the retry-data training solutions (mistakes included) the checker accepts.
    TrainingAcceptance,
    /// Withdrawn mistakes per solution step in the retry data, over the `r / (1 − r)` that rate
    /// `r` gives when wrong parameters never run out (a geometric count per step; a step whose
    /// candidates run out gets fewer; at two operations that is rare: seeds measure 0.93–1.07).
    RetryRateRatio,
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let best = |retry: bool, ops| best_accuracy(runs, ops, |m| (m.retry_rate > 0.0) == retry);
    let describe = |found: Option<(f64, usize, &Manifest)>| {
        found.map_or("none".into(), |(a, n, m)| {
            format!("{a:.3} of {n} ({})", m.label())
        })
    };
    match estimator {
        Estimator::Accuracy { retry, ops } => match best(*retry, *ops) {
            Some((accuracy, _, _)) => Estimate::of(accuracy, describe(best(*retry, *ops))),
            None => Estimate::none("no such runs"),
        },
        Estimator::RetryGain { ops } => match (best(true, *ops), best(false, *ops)) {
            (Some((with, _, _)), Some((without, _, _))) => Estimate::of(
                with - without,
                format!(
                    "{} − {}",
                    describe(best(true, *ops)),
                    describe(best(false, *ops))
                ),
            ),
            _ => Estimate::none("needs runs with and without retry data"),
        },
        Estimator::RetriesPerProblem => match best(true, None) {
            Some((_, _, m)) => {
                let x = Part21::metrics(m).expect("measured");
                Estimate::of(x.retries_per_problem(), m.label())
            }
            None => Estimate::none("no run with retry data"),
        },
        Estimator::TrainingAcceptance => {
            let (mut solutions, mut accepted, mut retries) = (0, 0, 0);
            for x in with_retry_data(runs) {
                solutions += x.training_check.solutions;
                accepted += x.training_check.accepted;
                retries += x.training_check.retries;
            }
            if solutions == 0 {
                return Estimate::none("no run with retry data");
            }
            Estimate::of(
                accepted as f64 / solutions as f64,
                format!(
                    "{accepted} of {solutions} retry-data solutions, {retries} [BACK] sentences in them"
                ),
            )
        }
        Estimator::RetryRateRatio => {
            let Some(x) = with_retry_data(runs).next() else {
                return Estimate::none("no run with retry data");
            };
            let check = &x.training_check;
            if check.steps == 0 {
                return Estimate::none("the manifest predates step counts");
            }
            let per_step = check.retries as f64 / check.steps as f64;
            let expected = x.retry_rate / (1.0 - x.retry_rate);
            Estimate::of(
                per_step / expected,
                format!(
                    "{} [BACK] in {} steps: {per_step:.4} per step, rate {} gives {expected:.4}",
                    check.retries, check.steps, x.retry_rate
                ),
            )
        }
    }
}

/// The measurements of the runs trained on retry data (which all read the same data checks).
fn with_retry_data<'a>(runs: &'a [&Manifest]) -> impl Iterator<Item = Measurements> + 'a {
    runs.iter()
        .filter_map(|m| Part21::metrics(m))
        .filter(|x| x.retry_rate > 0.0)
}
