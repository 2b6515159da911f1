//! Part 3.1's estimators: what a claim computes from the runs of a scale.

use schemars::JsonSchema;
use serde::Deserialize;

use super::measured;
use crate::parts::Estimate;
use crate::run::Manifest;
use crate::spec::Split;

/// `estimator = "..."` in a Part 3.1 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// QA accuracy on `split` (the mean over the six attributes) of the run with the best test
    /// accuracy: the best learning rate, as the paper reports the best of its grid.
    QaAccuracy { split: Split },
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let Estimator::QaAccuracy { split } = estimator;
    let best = runs
        .iter()
        .filter_map(|m| Some((measured(m)?, *m)))
        .max_by(|a, b| a.0.test.mean().total_cmp(&b.0.test.mean()));
    match best {
        Some((m, run)) => {
            let accuracy = match split {
                Split::Train => &m.train,
                Split::Test => &m.test,
            };
            Estimate::of(accuracy.mean(), run.label())
        }
        None => Estimate::none("no mixed-training runs"),
    }
}
