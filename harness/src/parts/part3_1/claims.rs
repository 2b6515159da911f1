//! Part 3.1's estimators: what a claim computes from the runs of a scale.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Part31;
use crate::data::Generator;
use crate::data::bios::BiosSpec;
use crate::data::mixed::BiosMixedSpec;
use crate::data::qa::Split;
use crate::parts::Estimate;
use crate::parts::Part;
use crate::parts::bios_scores::{Halves, best_on_test};
use crate::run::Manifest;
use crate::spec::Dataset;

/// `estimator = "..."` in a Part 3.1 claim, with its settings. Runs are picked by how they
/// trained, never by dataset names (which differ between scales): mixed training, or
/// pretraining on biographies with an augmentation (`single`, `multi5+permute`, …).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// QA accuracy on `split` (the mean over the six attributes) of the best run (by test
    /// accuracy: the best learning rates, as the paper reports the best of its grid): mixed
    /// training without `pretrained_on`, else the QA finetunings of models pretrained on
    /// biographies with that augmentation.
    QaAccuracy {
        split: Split,
        #[serde(default)]
        pretrained_on: Option<String>,
    },
    /// Test QA accuracy after pretraining with augmentation `better` minus with `worse`.
    QaGain { better: String, worse: String },
    /// P-probe accuracy on `attribute` at `position` (0 = before the biography's first value)
    /// of the model pretrained with augmentation `better` minus with `worse`, each the best of
    /// its learning rates at that reading.
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

/// Whether `dataset` is biographies with `augmentation`.
fn biographies_with(dataset: &Dataset, augmentation: &str) -> bool {
    BiosSpec::of(dataset).is_some_and(|b| b.augmentation == augmentation)
}

/// The best P-probe reading at (`position`, `attribute`) among the runs pretrained with
/// `augmentation`.
fn best_probe<'a>(
    runs: &[&'a Manifest],
    augmentation: &str,
    position: usize,
    attribute: Attribute,
) -> Option<(f64, &'a Manifest)> {
    runs.iter()
        .filter(|m| biographies_with(&m.spec.dataset, augmentation))
        .filter_map(|m| {
            let probe = Part31::metrics(m)?.probe?;
            Some((*probe.trained.get(position)?.get(attribute as usize)?, *m))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The best QA run (by test accuracy) of mixed training (`None`) or finetuned from biographies
/// with an augmentation.
fn best_qa<'a>(runs: &[&'a Manifest], pretrained_on: Option<&str>) -> Option<Halves<'a>> {
    best_on_test(runs, |m| match pretrained_on {
        None => m.spec.dataset.generator == BiosMixedSpec::NAME,
        Some(augmentation) => m
            .spec
            .from
            .as_ref()
            .is_some_and(|from| biographies_with(&from.dataset, augmentation)),
    })
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let missing = |what: Option<&str>| match what {
        None => Estimate::none("no mixed-training runs"),
        Some(a) => Estimate::none(format!("no QA finetunings of a model pretrained on `{a}`")),
    };
    match estimator {
        Estimator::QaAccuracy {
            split,
            pretrained_on,
        } => match best_qa(runs, pretrained_on.as_deref()) {
            Some(best) => Estimate::of(best.of(*split).mean(), best.run.label()),
            None => missing(pretrained_on.as_deref()),
        },
        Estimator::QaGain { better, worse } => {
            match (best_qa(runs, Some(better)), best_qa(runs, Some(worse))) {
                (Some(high), Some(low)) => Estimate::of(
                    high.test.mean() - low.test.mean(),
                    format!("{} − {}", high.run.label(), low.run.label()),
                ),
                (None, _) => missing(Some(better)),
                (_, None) => missing(Some(worse)),
            }
        }
        Estimator::ProbeGain {
            attribute,
            position,
            better,
            worse,
        } => {
            let probe = |augmentation: &str| best_probe(runs, augmentation, *position, *attribute);
            let none =
                |a: &str| Estimate::none(format!("no P-probe of a model pretrained on `{a}`"));
            match (probe(better), probe(worse)) {
                (Some((high, a)), Some((low, b))) => {
                    Estimate::of(high - low, format!("{} − {}", a.label(), b.label()))
                }
                (None, _) => none(better),
                (_, None) => none(worse),
            }
        }
    }
}
