//! Part 3.1's estimators: what a claim computes from the runs of a scale.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{SplitAccuracy, measured};
use crate::parts::Estimate;
use crate::run::Manifest;
use crate::spec::Split;

/// `estimator = "..."` in a Part 3.1 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// QA accuracy on `split` (the mean over the six attributes) of the best run (by test
    /// accuracy: the best learning rates, as the paper reports the best of its grid) among
    /// those trained on, or finetuned from a model pretrained on, the dataset `trained_on`.
    QaAccuracy { split: Split, trained_on: String },
    /// Test QA accuracy of the best run for `better` minus that for `worse` (datasets as in
    /// `qa-accuracy`): the gain of one kind of training data over another.
    QaGain { better: String, worse: String },
    /// P-probe accuracy on `attribute` at `position` (0 = before the biography's first value)
    /// of the model pretrained on `better` minus that of the model pretrained on `worse`, each
    /// the best of its learning rates at that reading.
    ProbeGain {
        attribute: Attribute,
        position: usize,
        better: String,
        worse: String,
    },
}

/// An attribute by name.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    BirthDate,
    BirthCity,
    University,
    Major,
    Employer,
    CompanyCity,
}

/// The best P-probe reading at (`position`, `attribute`) among the runs pretrained on `dataset`.
fn best_probe<'a>(
    runs: &[&'a Manifest],
    dataset: &str,
    position: usize,
    attribute: Attribute,
) -> Option<(f64, &'a Manifest)> {
    runs.iter()
        .filter(|m| m.spec.dataset.name() == dataset)
        .filter_map(|m| {
            let probe = measured(m)?.probe?;
            Some((*probe.trained.get(position)?.get(attribute as usize)?, *m))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The QA runs trained on (or pretrained on) `dataset`, best test accuracy first.
type Best<'a> = (SplitAccuracy, SplitAccuracy, &'a Manifest);

fn best_on<'a>(runs: &[&'a Manifest], dataset: &str) -> Option<Best<'a>> {
    let on = |m: &Manifest| {
        m.spec.dataset.name() == dataset
            || m.spec
                .from
                .as_ref()
                .is_some_and(|from| from.dataset.name() == dataset)
    };
    runs.iter()
        .filter(|m| on(m))
        .filter_map(|m| {
            let measured = measured(m)?;
            Some((measured.train?, measured.test?, *m))
        })
        .max_by(|a, b| a.1.mean().total_cmp(&b.1.mean()))
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let missing = |dataset: &str| Estimate::none(format!("no QA runs trained on `{dataset}`"));
    match estimator {
        Estimator::QaAccuracy { split, trained_on } => match best_on(runs, trained_on) {
            Some((train, test, run)) => {
                let accuracy = match split {
                    Split::Train => train,
                    Split::Test => test,
                };
                Estimate::of(accuracy.mean(), run.label())
            }
            None => missing(trained_on),
        },
        Estimator::QaGain { better, worse } => {
            match (best_on(runs, better), best_on(runs, worse)) {
                (Some((_, high, a)), Some((_, low, b))) => Estimate::of(
                    high.mean() - low.mean(),
                    format!("{} − {}", a.label(), b.label()),
                ),
                (None, _) => missing(better),
                (_, None) => missing(worse),
            }
        }
        Estimator::ProbeGain {
            attribute,
            position,
            better,
            worse,
        } => {
            let probe = |dataset: &str| best_probe(runs, dataset, *position, *attribute);
            match (probe(better), probe(worse)) {
                (Some((high, a)), Some((low, b))) => {
                    Estimate::of(high - low, format!("{} − {}", a.label(), b.label()))
                }
                (None, _) => Estimate::none(format!("no P-probe of a run trained on `{better}`")),
                (_, None) => Estimate::none(format!("no P-probe of a run trained on `{worse}`")),
            }
        }
    }
}
